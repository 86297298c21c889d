//! The dashboard: one page embedded in the binary (`/_ccemu/ui`), the snapshot it catches up
//! from, and the Prometheus exposition (`/_ccemu/metrics`).
//!
//! The page is plain HTML, CSS and JS under `src/admin/ui/`, with no build step and nothing
//! fetched from elsewhere; its Content-Security-Policy allows only itself. Everything it shows
//! comes from the admin API and `/_ccemu/stream`, and every action it offers is an admin call.

use super::{error, ok, refusal, AdminResult};
use crate::calls::CallState;
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::AgentState;
use hyper::header::{HeaderName, HeaderValue, CACHE_CONTROL, LOCATION};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PAGE: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

/// Only the page's own files: no inline script or style, no other origin, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn serves(path: &str) -> bool {
    path == super::PREFIX || path == "/_ccemu/metrics" || path.starts_with("/_ccemu/ui")
}

/// The files a browser loads before the page can ask for the admin token.
pub fn is_asset(path: &str) -> bool {
    matches!(
        path,
        "/_ccemu" | "/_ccemu/ui" | "/_ccemu/ui/app.js" | "/_ccemu/ui/app.css"
    )
}

pub fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    if req.method != Method::GET {
        return refusal(Rejection::MethodNotAllowed).into();
    }
    let result: AdminResult = match path {
        "/_ccemu" => Ok(
            Reply::raw(StatusCode::FOUND, "text/plain", "see /_ccemu/ui")
                .with_header(LOCATION, HeaderValue::from_static("/_ccemu/ui")),
        ),
        "/_ccemu/ui" => Ok(asset(PAGE, "text/html; charset=utf-8")),
        "/_ccemu/ui/app.js" => Ok(asset(SCRIPT, "text/javascript; charset=utf-8")),
        "/_ccemu/ui/app.css" => Ok(asset(STYLE, "text/css; charset=utf-8")),
        "/_ccemu/ui/snapshot" => snapshot(ctx, req),
        "/_ccemu/metrics" => Ok(metrics(ctx)),
        _ => Err(refusal(Rejection::NotFound)),
    };
    result.unwrap_or_else(Reply::from)
}

fn asset(text: &'static str, content_type: &'static str) -> Reply {
    Reply::raw(StatusCode::OK, content_type, text)
        .with_header(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(CSP),
        )
        .with_header(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        )
        .with_header(CACHE_CONTROL, HeaderValue::from_static("no-cache"))
}

/// `GET /_ccemu/ui/snapshot?tenant=ID`: the tenants, and the chosen one's agents, queues and
/// clock, in the dashboard's words. Calls, deliveries, requests and faults the page reads from
/// their own admin paths.
fn snapshot(ctx: &Ctx, req: &ApiRequest) -> AdminResult {
    let wanted = req.query_param("tenant").map(|t| t.into_owned());
    let model = ctx.model();
    let tenants: Vec<Value> = model
        .tenants
        .values()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "vendor": t.vendor(),
                "sandbox": ctx.sandboxes.of_tenant(&t.id).map(|s| s.id.clone()),
            })
        })
        .collect();
    let chosen = match wanted.filter(|w| !w.is_empty()) {
        Some(id) => Some(
            model
                .tenants
                .get(&id)
                .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no tenant {id}")))?,
        ),
        None => model.tenants.values().next(),
    };
    let Some(t) = chosen else {
        drop(model);
        return Ok(ok(json!({"tenants": tenants, "tenant": null})));
    };
    let agents: Vec<Value> = t
        .agents
        .values()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "work_id": a.work_id, "enable": a.enable,
                "state": a.state().name(), "since_ms": a.last_change_ms(),
                "extension": a.call_extension(t).map(|e| e.extension.clone()),
                "queues": a.queues.iter().collect::<Vec<_>>(),
            })
        })
        .collect();
    let queues: Vec<Value> = t
        .queues
        .values()
        .map(|q| {
            json!({
                "id": q.id, "name": q.name, "strategy": q.strategy,
                "ring_policy": q.ring_policy, "timeout": q.timeout,
            })
        })
        .collect();
    let relay_numbers = t.relay_numbers.clone();
    let (id, vendor) = (t.id.clone(), t.vendor());
    drop(model);
    let sandbox = ctx.sandboxes.of_tenant(&id).map(|s| s.id.clone());
    Ok(ok(json!({
        "tenants": tenants,
        "tenant": {"id": id, "vendor": vendor, "sandbox": sandbox},
        "clock": {"now_ms": ctx.clock_ms_for(&id), "frozen": ctx.clock_frozen_for(&id)},
        "agents": agents,
        "queues": queues,
        "relay_numbers": relay_numbers,
        "states": AgentState::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "stream_newest": ctx.hub.newest(),
    })))
}

/// The exposition, with calls waiting and agents by state read now from the model.
fn metrics(ctx: &Ctx) -> Reply {
    let mut waiting: BTreeMap<String, i64> = BTreeMap::new();
    for c in ctx.calls.list(|c| c.state == CallState::Queued) {
        *waiting.entry(c.tenant).or_default() += 1;
    }
    let tenants: Vec<crate::metrics::TenantGauges> = {
        let model = ctx.model();
        model
            .tenants
            .values()
            .map(|t| {
                let states = AgentState::ALL
                    .iter()
                    .map(|s| {
                        (
                            s.name(),
                            t.agents.values().filter(|a| a.state() == *s).count() as i64,
                        )
                    })
                    .collect();
                crate::metrics::TenantGauges {
                    tenant: t.id.clone(),
                    waiting: waiting.get(&t.id).copied().unwrap_or(0),
                    agents: states,
                }
            })
            .collect()
    };
    Reply::raw(
        StatusCode::OK,
        crate::metrics::CONTENT_TYPE,
        ctx.metrics.encode(&tenants),
    )
}
