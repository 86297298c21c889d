//! `/_ccemu/calls`: start simulated calls, list them with their history, end one. Paths and
//! shapes are a public contract (docs/calls.md).
//!
//! - `POST /_ccemu/calls` — a `CallSpec`; answers `{"id", "call"}` at once, the call then lives on
//!   the virtual clock.
//! - `GET /_ccemu/calls?tenant=&state=&queue=&agent=&direction=&outcome=` — live and finished calls.
//! - `GET /_ccemu/calls/{id}` — one call.
//! - `POST /_ccemu/calls/{id}/hangup` `{"by": "customer"|"agent"}` — end one now.
//! - `POST /_ccemu/calls/{id}/actions` `{"action": "hold"|"consult"|..., ...}` — an agent's or
//!   supervisor's action on the live call, now (404 unknown call, 409 naming the state that
//!   refuses it, 400 a malformed action).

use super::refusal::{method_not_allowed, not_found, ok, parse, refuse, Answer};
use crate::calls::spec::{CallSpec, HangupBy};
use crate::calls::Call;
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn serves(path: &str) -> bool {
    path == "/_ccemu/calls" || path.starts_with("/_ccemu/calls/")
}

pub fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    route(ctx, req, path).unwrap_or_else(Reply::from)
}

fn route(ctx: &Ctx, req: &ApiRequest, path: &str) -> Answer {
    let rest = path.strip_prefix("/_ccemu/calls").unwrap_or("");
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (&req.method, segments.as_slice()) {
        (&Method::POST, []) => start(ctx, req),
        (&Method::GET, []) => list(ctx, req),
        (&Method::GET, [id]) => ctx
            .calls
            .get(id)
            .map(|c| ok(view(&c)))
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("call {id} not found"))),
        (&Method::POST, [id, "hangup"]) => hangup(ctx, req, id),
        (&Method::POST, [id, "actions"]) => act(ctx, req, id),
        (_, [] | [_] | [_, "hangup" | "actions"]) => Err(method_not_allowed()),
        _ => Err(not_found()),
    }
}

fn view(c: &Call) -> Value {
    serde_json::to_value(c).unwrap_or(Value::Null)
}

fn start(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let spec: CallSpec = parse(req)?;
    let call = ctx
        .calls
        .start(ctx, spec, None)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    // A call starting now rings its first agent before this answer is sent.
    ctx.advance();
    let call = ctx.calls.get(&call.id).unwrap_or(call);
    Ok(ok(json!({"id": call.id, "call": view(&call)})))
}

fn list(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let mut filters: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        if v.is_empty() {
            continue;
        }
        match k.as_ref() {
            "tenant" | "state" | "queue" | "agent" | "direction" | "outcome" => {
                filters.push((k.into_owned(), v.into_owned()))
            }
            other => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                    "unknown filter {other:?}; use tenant, state, queue, agent, direction, outcome"
                ),
                ))
            }
        }
    }
    let text = |v: &Value| v.as_str().map(str::to_string);
    let calls: Vec<Value> = ctx
        .calls
        .list(|_| true)
        .iter()
        .map(view)
        .filter(|c| {
            filters.iter().all(|(k, want)| match k.as_str() {
                // An agent filter matches who answered or dialled, and who was offered it.
                "agent" => {
                    text(&c["agent"]).as_deref() == Some(want.as_str())
                        || c["skipped"]
                            .as_array()
                            .is_some_and(|s| s.iter().any(|a| a == want.as_str()))
                        || c["ringing"]
                            .as_array()
                            .is_some_and(|s| s.iter().any(|a| a == want.as_str()))
                }
                k => text(&c[k]).as_deref() == Some(want.as_str()),
            })
        })
        .collect();
    Ok(ok(json!({"count": calls.len(), "calls": calls})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Hangup {
    #[serde(default)]
    by: HangupBy,
}

fn hangup(ctx: &Ctx, req: &ApiRequest, id: &str) -> Answer {
    let body: Hangup = if req.body.iter().all(u8::is_ascii_whitespace) {
        Hangup::default()
    } else {
        parse(req)?
    };
    if ctx.calls.get(id).is_none() {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("call {id} not found"),
        ));
    }
    // Steps due before now happen first: a call that has already ended is refused.
    ctx.advance();
    let call = ctx
        .calls
        .hangup(ctx, id, body.by)
        .map_err(|e| refuse(StatusCode::CONFLICT, e))?;
    Ok(ok(json!({"id": call.id, "call": view(&call)})))
}

fn act(ctx: &Ctx, req: &ApiRequest, id: &str) -> Answer {
    let action: crate::calls::script::AgentAction = parse(req)?;
    if action.after_ms.is_some() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "after_ms belongs in a call's actions script; this endpoint acts now",
        ));
    }
    if ctx.calls.get(id).is_none() {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!("call {id} not found"),
        ));
    }
    // Steps due before now happen first, so the action meets the call as it is now.
    ctx.advance();
    let call = ctx.calls.act(ctx, id, &action).map_err(|e| match e {
        crate::calls::Refused::NotFound(m) => refuse(StatusCode::NOT_FOUND, m),
        crate::calls::Refused::State(m) => refuse(StatusCode::CONFLICT, m),
        crate::calls::Refused::Invalid(m) => refuse(StatusCode::BAD_REQUEST, m),
    })?;
    Ok(ok(json!({"id": call.id, "call": view(&call)})))
}
