//! `/_ccemu/calls`: start simulated calls, list them with their history, end one. Paths and
//! shapes are a public contract (docs/calls.md).
//!
//! - `POST /_ccemu/calls` — a `CallSpec`; answers `{"id", "call"}` at once, the call then lives on
//!   the virtual clock.
//! - `GET /_ccemu/calls?tenant=&vendor=&state=&queue=&agent=&direction=&outcome=&offset=&limit=`
//!   — live and finished calls, oldest first.
//! - `GET /_ccemu/calls/{id}` — one call.
//! - `POST /_ccemu/calls/{id}/hangup` `{"by": "customer"|"agent"}` — end one now.
//! - `POST /_ccemu/calls/{id}/actions` `{"action": "hold"|"consult"|..., ...}` — an agent's or
//!   supervisor's action on the live call, now (404 unknown call, 409 naming the state that
//!   refuses it, 400 a malformed action).

use super::answers::{CallAnswer, CallList};
use super::refusal::{method_not_allowed, not_found, parse, refuse, typed, Answer};
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
            .map(|c| typed(&c))
            .ok_or_else(|| refuse(StatusCode::NOT_FOUND, format!("call {id} not found"))),
        (&Method::POST, [id, "hangup"]) => hangup(ctx, req, id),
        (&Method::POST, [id, "actions"]) => act(ctx, req, id),
        (_, [] | [_] | [_, "hangup" | "actions"]) => Err(method_not_allowed()),
        _ => Err(not_found()),
    }
}

/// The answer to a change: the call as it is now.
fn changed(call: &Call) -> Reply {
    typed(&CallAnswer { id: &call.id, call })
}

fn start(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let mut body: Value = parse(req)?;
    let vendor = super::names::take_vendor(&mut body)?;
    let spec: CallSpec = serde_json::from_value(body)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))?;
    super::names::check_vendor(&ctx.model(), &spec.tenant, vendor)?;
    spec.validate_at(ctx.now_ms())
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    let call = ctx
        .calls
        .start(ctx, spec, None)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
    // A call starting now rings its first agent before this answer is sent.
    ctx.advance();
    let call = ctx.calls.get(&call.id).unwrap_or(call);
    Ok(changed(&call))
}

fn list(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let mut filters: Vec<(String, String)> = Vec::new();
    let (mut offset, mut limit) = (0usize, usize::MAX);
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        if v.is_empty() {
            continue;
        }
        let number = |v: &str| {
            v.parse::<usize>().map_err(|_| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("{k} must be a whole number, not {v:?}"),
                )
            })
        };
        match k.as_ref() {
            "tenant" | "state" | "queue" | "agent" | "direction" | "outcome" | "vendor" => {
                filters.push((k.into_owned(), v.into_owned()))
            }
            "offset" => offset = number(&v)?,
            "limit" => limit = number(&v)?,
            other => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                    "unknown filter {other:?}; use tenant, vendor, state, queue, agent, direction, outcome, offset, limit"
                ),
                ))
            }
        }
    }
    // `vendor`, as the journal and the delivery log take it: the calls of that vendor's tenants.
    let vendor_tenants: Option<Vec<String>> = match filters.iter().find(|(k, _)| k == "vendor") {
        None => None,
        Some((_, v)) => {
            let want: crate::model::Vendor = serde_json::from_value(json!(v)).map_err(|_| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    format!("vendor={v:?} is not udesk, nxcloud or huawei"),
                )
            })?;
            let model = ctx.model();
            Some(
                model
                    .tenants
                    .values()
                    .filter(|t| t.vendor() == want)
                    .map(|t| t.id.clone())
                    .collect(),
            )
        }
    };
    // Filtered on the records under the simulation lock (no copy of a call that is not kept),
    // serialised after it is let go, straight to bytes.
    let calls = ctx.calls.list(|c| {
        filters.iter().all(|(k, want)| match k.as_str() {
            "vendor" => vendor_tenants
                .as_ref()
                .is_some_and(|v| v.contains(&c.tenant)),
            k => keeps(c, k, want),
        })
    });
    let total = calls.len();
    let page: Vec<&Call> = calls.iter().skip(offset).take(limit).collect();
    Ok(typed(&CallList {
        count: page.len(),
        total,
        calls: page,
    }))
}

/// Whether `c` passes the filter `key=want`. Enum fields compare in their JSON spelling.
fn keeps(c: &Call, key: &str, want: &str) -> bool {
    let spelled = |v: Value| v.as_str() == Some(want);
    match key {
        "tenant" => c.tenant == want,
        "queue" => c.queue.as_deref() == Some(want),
        "state" => spelled(json!(c.state)),
        "direction" => spelled(json!(c.direction)),
        "outcome" => c.outcome.is_some_and(|o| spelled(json!(o))),
        // An agent filter matches who answered or dialled, and who was offered it.
        "agent" => {
            c.agent.as_deref() == Some(want)
                || c.skipped.iter().any(|a| a == want)
                || c.ringing.iter().any(|a| a == want)
        }
        _ => false,
    }
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
    Ok(changed(&call))
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
    Ok(changed(&call))
}
