//! `/_ccemu/faults`, `/_ccemu/scenarios`, `/_ccemu/skews` and `/_ccemu/revoke-tokens`: the control
//! side of `crate::scenarios`.

use super::answers::{FaultAdded, FaultList};
use super::refusal::typed;
use super::refusal::{method_not_allowed, not_found, ok, parse, refuse as error, Answer};
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::scenarios::rules::RuleSpec;
use crate::scenarios::{ScenarioFile, Scenarios};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn serves(path: &str) -> bool {
    [
        "/_ccemu/faults",
        "/_ccemu/scenarios",
        "/_ccemu/skews",
        "/_ccemu/revoke-tokens",
    ]
    .iter()
    .any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

pub fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    route(ctx, req, path).unwrap_or_else(Reply::from)
}

fn route(ctx: &Ctx, req: &ApiRequest, path: &str) -> Answer {
    if path == "/_ccemu/faults" || path.starts_with("/_ccemu/faults/") {
        return rules_in(ctx, &ctx.scenarios, req, path);
    }
    match (&req.method, path) {
        (&Method::POST, "/_ccemu/scenarios") => load_scenario(ctx, req),
        (&Method::GET, "/_ccemu/scenarios") => {
            let mut described = ctx.scenarios.describe();
            if let Value::Object(map) = &mut described {
                map.insert("load_profiles".into(), json!(ctx.calls.profiles()));
            }
            Ok(ok(described))
        }
        (&Method::DELETE, "/_ccemu/scenarios") => {
            ctx.scenarios.clear_timeline();
            // A profile is a timeline event that lasts: it ends with the timeline.
            ctx.calls.stop_profiles();
            Ok(ok(json!({"status": "cleared"})))
        }
        (&Method::POST, "/_ccemu/skews") => set_skew(ctx, req),
        (&Method::GET, "/_ccemu/skews") => Ok(ok(json!({"skews": ctx.scenarios.skews()}))),
        (&Method::POST, "/_ccemu/revoke-tokens") => revoke(ctx, req),
        (&Method::GET, "/_ccemu/revoke-tokens") => {
            Ok(ok(json!({"revoked": ctx.scenarios.revocations()})))
        }
        (_, p) if serves_exact(p) => Err(method_not_allowed()),
        _ => Err(not_found()),
    }
}

/// `/_ccemu/faults` and `/_ccemu/faults/{id}` on one rule set: the global one, or a sandbox's
/// (`?sandbox=ID`, see `super::sandboxes`).
pub fn rules_in(ctx: &Ctx, scenarios: &Scenarios, req: &ApiRequest, path: &str) -> Answer {
    match (&req.method, path) {
        (&Method::POST, "/_ccemu/faults") => {
            let spec: RuleSpec = parse(req)?;
            let id = scenarios
                .add_rule(spec, None)
                .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
            Ok(typed(&FaultAdded { id }))
        }
        (&Method::GET, "/_ccemu/faults") => Ok(typed(&FaultList {
            faults: scenarios
                .list_rules()
                .into_iter()
                .filter_map(|r| match r {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect(),
        })),
        (&Method::DELETE, "/_ccemu/faults") => {
            for id in scenarios.rule_ids() {
                ctx.hangs.release_rule(id);
            }
            scenarios.clear_rules();
            Ok(ok(json!({"status": "cleared"})))
        }
        (_, "/_ccemu/faults") => Err(method_not_allowed()),
        (method, p) => match p.strip_prefix("/_ccemu/faults/") {
            Some(id) if !id.contains('/') => {
                let missing = || error(StatusCode::NOT_FOUND, format!("no fault rule {id:?}"));
                let id: u64 = id.parse().map_err(|_| missing())?;
                match *method {
                    Method::GET => scenarios.rule(id).map(ok).ok_or_else(missing),
                    Method::DELETE if scenarios.remove_rule(id) => {
                        ctx.hangs.release_rule(id);
                        Ok(ok(json!({"status": "deleted", "id": id})))
                    }
                    Method::DELETE => Err(missing()),
                    _ => Err(method_not_allowed()),
                }
            }
            _ => Err(not_found()),
        },
    }
}

fn serves_exact(path: &str) -> bool {
    [
        "/_ccemu/faults",
        "/_ccemu/scenarios",
        "/_ccemu/skews",
        "/_ccemu/revoke-tokens",
    ]
    .contains(&path)
}

fn load_scenario(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let raw: Value = parse(req)?;
    // serde reads an internally tagged enum's tag from a number too (variant 0, 1, ...); the
    // schema names events by string only.
    // serde reads null as left out for an optional field; no top-level field of the scenario
    // schema takes null.
    if let Some((k, _)) = raw
        .as_object()
        .and_then(|m| m.iter().find(|(_, v)| v.is_null()))
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!("{k} must not be null (leave it out for its default)"),
        ));
    }
    if let Some(events) = raw.get("timeline").and_then(Value::as_array) {
        if let Some(n) = events
            .iter()
            .position(|e| e.get("event").is_some_and(|t| !t.is_string()))
        {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("timeline[{n}].event must be an event name (a string)"),
            ));
        }
    }
    let file: ScenarioFile = serde_json::from_value(raw)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))?;
    let loaded = ctx
        .scenarios
        .load(ctx, file)
        .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    Ok(typed(&loaded))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SkewChange {
    #[serde(default)]
    vendor: Option<crate::model::Vendor>,
    tenant: String,
    offset_ms: i64,
}

fn set_skew(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let change: SkewChange = parse(req)?;
    super::names::check_vendor(&ctx.model(), &change.tenant, change.vendor)?;
    if ctx.model().tenant(&change.tenant).is_err() {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("tenant {} not found", change.tenant),
        ));
    }
    ctx.scenarios.set_skew(&change.tenant, change.offset_ms);
    Ok(ok(
        json!({"tenant": change.tenant, "offset_ms": change.offset_ms}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revocation {
    #[serde(default)]
    vendor: Option<crate::model::Vendor>,
    tenant: String,
    at_ms: Option<i64>,
}

fn revoke(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let r: Revocation = parse(req)?;
    super::names::check_vendor(&ctx.model(), &r.tenant, r.vendor)?;
    if ctx.model().tenant(&r.tenant).is_err() {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("tenant {} not found", r.tenant),
        ));
    }
    // Tokens are dated on the tenant's own clock, so "now" is read there too.
    let at = r.at_ms.unwrap_or_else(|| ctx.now_ms_for(&r.tenant));
    ctx.scenarios.revoke_tokens(&r.tenant, at);
    Ok(ok(json!({"tenant": r.tenant, "revoked_at_ms": at})))
}
