//! `/_ccemu/ivr-flows`: a tenant's IVR flows and voice list (docs/calls.md).
//!
//! - `GET /_ccemu/ivr-flows?tenant=` — `{"tenant","voices","flows"}`; without `tenant`, every
//!   tenant's as `{"tenants": [...]}`.
//! - `PUT /_ccemu/ivr-flows` `{"tenant","flows":[...],"voices":[...]}` — replaces the tenant's
//!   flows (and voices, when given), all or nothing. A flow that does not hold together is
//!   refused 400 with the Udesk document's code for the node kind at fault and the node named:
//!   `{"error","message","code","flow","node"}`.

use super::answers::{IvrList, IvrView};
use super::refusal::typed;
use super::refusal::{method_not_allowed, parse, refuse, Answer};
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::ivr::{IvrFlow, Voice};
use crate::model::{ModelError, Tenant};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

pub const PATH: &str = "/_ccemu/ivr-flows";

pub fn serves(path: &str) -> bool {
    path == PATH
}

pub fn handle(ctx: &Ctx, req: &ApiRequest) -> Reply {
    let answer = match req.method {
        Method::GET => list(ctx, req),
        Method::PUT => replace(ctx, req),
        _ => Err(method_not_allowed()),
    };
    answer.unwrap_or_else(Reply::from)
}

fn view(t: &Tenant) -> IvrView<'_> {
    IvrView {
        tenant: &t.id,
        voices: t.voices.values().collect(),
        flows: t.ivr_flows.values().collect(),
    }
}

fn list(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let tenant = form_urlencoded::parse(req.query.as_bytes())
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    let model = ctx.model();
    match tenant {
        Some(id) => model
            .tenants
            .get(&id)
            .map(|t| typed(&view(t)))
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("tenant {id} not found"))),
        None => Ok(typed(&IvrList {
            tenants: model.tenants.values().map(view).collect(),
        })),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Replace {
    tenant: String,
    flows: Vec<IvrFlow>,
    #[serde(default)]
    voices: Option<Vec<Voice>>,
}

fn replace(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: Replace = parse(req)?;
    let mut model = ctx.model();
    let t = model
        .tenant_mut(&body.tenant)
        .map_err(|e| refuse(StatusCode::NOT_FOUND, e.to_string()))?;
    match t.replace_ivr_flows(body.flows, body.voices) {
        Ok(()) => Ok(typed(&view(t))),
        Err(ModelError::Ivr(e)) => Ok(Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({
                "error": "Bad Request",
                "message": format!("{} {}", e.code, e.message),
                "code": e.code,
                "flow": e.flow,
                "node": e.node,
            }),
        )),
        Err(e) => Err(refuse(StatusCode::BAD_REQUEST, e.to_string())),
    }
}
