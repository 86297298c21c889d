//! `/_ccemu/openapi/{vendor}.json`, `/_ccemu/schemas/{name}.json`, `/_ccemu/strict` and `/_ccemu/contract/report`: the
//! contract side of the admin API (docs/contract.md).

use super::{error, ok, parse, refusal, AdminResult};
use crate::contract::{openapi, report};
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::Vendor;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

pub fn serves(path: &str) -> bool {
    path.starts_with("/_ccemu/openapi/")
        || path.starts_with("/_ccemu/schemas/")
        || path == "/_ccemu/strict"
        || path == "/_ccemu/contract/report"
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictSwitch {
    on: bool,
    #[serde(default)]
    refuse: bool,
}

pub fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    result(ctx, req, path).unwrap_or_else(Reply::from)
}

fn result(ctx: &Ctx, req: &ApiRequest, path: &str) -> AdminResult {
    if let Some(name) = path.strip_prefix("/_ccemu/openapi/") {
        if req.method != Method::GET {
            return Err(refusal(Rejection::MethodNotAllowed));
        }
        let vendor = match name {
            "admin.json" => return Ok(ok(super::openapi::document())),
            "udesk.json" => Vendor::Udesk,
            "nxcloud.json" => Vendor::Nxcloud,
            "huawei.json" => Vendor::Huawei,
            _ => {
                return Err(error(
                    StatusCode::NOT_FOUND,
                    "no such document; try udesk.json, nxcloud.json, huawei.json or admin.json",
                ))
            }
        };
        return Ok(ok(openapi::document(vendor)));
    }
    if let Some(name) = path.strip_prefix("/_ccemu/schemas/") {
        if req.method != Method::GET {
            return Err(refusal(Rejection::MethodNotAllowed));
        }
        let schema = name
            .strip_suffix(".json")
            .and_then(crate::contract::schemas::by_name)
            .ok_or_else(|| {
                let names: Vec<String> = crate::contract::schemas::ALL
                    .iter()
                    .map(|s| format!("{}.json", s.name))
                    .collect();
                error(
                    StatusCode::NOT_FOUND,
                    format!("no such schema; try {}", names.join(", ")),
                )
            })?;
        // The file as written, descriptions and order kept, so an editor shows what the repo has.
        return Ok(Reply::raw(
            StatusCode::OK,
            crate::http::JSON_UTF8,
            schema.text,
        ));
    }
    let strict_state =
        |ctx: &Ctx| json!({"on": ctx.contract.strict(), "refuse": ctx.contract.refuse()});
    match (&req.method, path) {
        (&Method::GET, "/_ccemu/strict") => Ok(ok(strict_state(ctx))),
        (&Method::POST, "/_ccemu/strict") => {
            let s: StrictSwitch = parse(req)?;
            ctx.contract.set_strict(s.on, s.on && s.refuse);
            Ok(ok(strict_state(ctx)))
        }
        (&Method::GET, "/_ccemu/contract/report") => {
            let report = ctx.contract.report();
            match req.query_param("format").as_deref() {
                None | Some("json") => Ok(ok(report)),
                Some("markdown") => Ok(Reply::raw(
                    StatusCode::OK,
                    "text/markdown;charset=utf-8",
                    report::markdown(&report),
                )),
                Some("junit") => Ok(Reply::raw(
                    StatusCode::OK,
                    "application/xml;charset=utf-8",
                    report::junit(&report),
                )),
                Some(other) => Err(error(
                    StatusCode::BAD_REQUEST,
                    format!("unknown format {other}; use json, markdown or junit"),
                )),
            }
        }
        (&Method::DELETE, "/_ccemu/contract/report") => {
            ctx.contract.clear();
            Ok(ok(json!({"cleared": true})))
        }
        _ => Err(refusal(Rejection::MethodNotAllowed)),
    }
}
