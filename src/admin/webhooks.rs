//! `/_ccemu/webhooks/…` and `/_ccemu/events`: what ccemu pushed, waiting for a push, and pushing
//! one by hand. Paths and shapes are a public contract (docs/events.md).
//!
//! - `GET /_ccemu/webhooks` — every target's queue (backlog, delivered, failed, dropped).
//! - `GET /_ccemu/webhooks/deliveries?subscription=&event=&status=&url=&tenant=&limit=` — every
//!   attempt; `DELETE` clears the log.
//! - `POST /_ccemu/webhooks/wait` `{"match": {...}, "count": N, "timeout_ms": T}`.
//! - `POST /_ccemu/events` `{"tenant", "vendor"?, "event", "fields", "at_ms"?}` — inject one event.
//! - `POST /_ccemu/call-mode` `{"tenant", "agent", "signal_type"}` — the agent switches the
//!   extension type it calls with (the console action behind `agent_call_mode_change`).

use super::answers::{Deliveries, DeliveriesFound};
use super::refusal::typed;
use super::refusal::{method_not_allowed, not_found, ok, parse, refuse, Answer, Refusal, Wait};
use crate::emulator::Ctx;
use crate::events::log::{DeliveryMatch, Status};
use crate::http::{ApiRequest, Reply};
use crate::model::ModelEvent;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

const PATHS: [&str; 5] = [
    "/_ccemu/webhooks",
    "/_ccemu/webhooks/deliveries",
    "/_ccemu/webhooks/wait",
    "/_ccemu/events",
    "/_ccemu/call-mode",
];

pub fn serves(path: &str) -> bool {
    PATHS.contains(&path)
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest, path: &str) -> Reply {
    let answer = match (&req.method, path) {
        (&Method::GET, "/_ccemu/webhooks") => Ok(ok(json!({"targets": ctx.events.backlogs()}))),
        (&Method::GET, "/_ccemu/webhooks/deliveries") => list(ctx, req),
        (&Method::DELETE, "/_ccemu/webhooks/deliveries") => {
            ctx.events.log.clear();
            Ok(ok(json!({"status": "cleared"})))
        }
        (&Method::POST, "/_ccemu/webhooks/wait") => wait(ctx, req).await,
        (&Method::POST, "/_ccemu/events") => inject(ctx, req),
        (&Method::POST, "/_ccemu/call-mode") => call_mode(ctx, req),
        _ if serves(path) => Err(method_not_allowed()),
        _ => Err(not_found()),
    };
    answer.unwrap_or_else(Reply::from)
}

fn bad(message: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, message)
}

fn filters(req: &ApiRequest) -> Result<(DeliveryMatch, Option<usize>), Refusal> {
    let mut m = DeliveryMatch::default();
    let mut limit = None;
    for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
        if v.is_empty() {
            continue;
        }
        let not = |what: &str| bad(format!("{k}={v:?} is not {what}"));
        match k.as_ref() {
            "subscription" => m.subscription = Some(v.parse().map_err(|_| not("a subscription id"))?),
            "status" => {
                m.status = Some(
                    Status::parse(&v).ok_or_else(|| not("delivered, pending, failed or dropped"))?,
                )
            }
            "event" => m.event = Some(v.into_owned()),
            "url" => m.url = Some(v.into_owned()),
            "tenant" => m.tenant = Some(v.into_owned()),
            "event_id" => m.event_id = Some(v.into_owned()),
            "vendor" => {
                m.vendor = Some(
                    serde_json::from_value(Value::String(v.to_string()))
                        .map_err(|_| not("udesk, nxcloud or huawei"))?,
                )
            }
            "limit" => limit = Some(v.parse().map_err(|_| not("a count"))?),
            other => {
                return Err(bad(format!(
                    "unknown filter {other:?}; use subscription, event, status, url, tenant, vendor, event_id, limit"
                )))
            }
        }
    }
    Ok((m, limit))
}

fn list(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let (m, limit) = filters(req)?;
    let deliveries = ctx.events.log.select(&m, limit);
    Ok(typed(&Deliveries {
        capacity: ctx.events.log.capacity(),
        count: deliveries.len(),
        deliveries: &deliveries,
    }))
}

/// Answers as soon as `count` matching deliveries are in the log (those already there count),
/// or 408 with the count seen once `timeout_ms` of real time passes.
async fn wait(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: Wait<DeliveryMatch> = parse(req)?;
    if body.count > ctx.events.log.capacity() {
        return Err(bad(format!(
            "count {} exceeds the delivery log size {} (--webhook-log-size)",
            body.count,
            ctx.events.log.capacity()
        )));
    }
    match ctx
        .events
        .log
        .wait(&body.matcher, body.count, body.timeout())
        .await
    {
        Ok(found) => Ok(typed(&DeliveriesFound {
            count: found.len(),
            deliveries: &found,
        })),
        Err(seen) => Ok(body.timed_out(seen, "deliveries")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inject {
    /// Optional; checked against the tenant (`names`).
    #[serde(default)]
    vendor: Option<crate::model::Vendor>,
    tenant: String,
    event: String,
    #[serde(default)]
    fields: Value,
    at_ms: Option<i64>,
}

/// One event now (or dated `at_ms`), to the tenant's receivers that want it, with `fields` as
/// the event's data.
fn inject(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: Inject = parse(req)?;
    let fields = match body.fields {
        Value::Null => json!({}),
        Value::Object(m) => Value::Object(m),
        _ => return Err(bad("fields must be a JSON object")),
    };
    // On the tenant's clock (its sandbox's when it is in one), as its deliveries are timed.
    let at_ms = body.at_ms.unwrap_or_else(|| ctx.clock_ms_for(&body.tenant));
    let event = ModelEvent::Injected {
        tenant: body.tenant.clone(),
        event: body.event.clone(),
        at_ms,
        fields,
    };
    // Routed here rather than through the model's outbox, so the answer can name the ids queued.
    let outs = {
        let model = ctx.model();
        let tenant = model
            .tenant(&body.tenant)
            .map_err(|e| refuse(StatusCode::NOT_FOUND, e.to_string()))?;
        super::names::check_vendor(&model, &body.tenant, body.vendor)?;
        let vendor = crate::vendors::by_vendor(tenant.vendor());
        if !vendor.knows_event(&body.event) {
            return Err(bad(format!(
                "{} pushes no event {:?}",
                tenant.vendor().name(),
                body.event
            )));
        }
        vendor.route_event(tenant, &event, &|| ctx.events.next_event_id())
    };
    let ids: Vec<&str> = outs.iter().map(|o| o.event_id.as_str()).collect();
    let answer = json!({
        "tenant": body.tenant,
        "event": body.event,
        "at_ms": at_ms,
        "event_ids": ids,
    });
    ctx.events.enqueue(outs);
    Ok(ok(answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallMode {
    #[serde(default)]
    vendor: Option<crate::model::Vendor>,
    tenant: String,
    agent: String,
    signal_type: u8,
}

fn call_mode(ctx: &Ctx, req: &ApiRequest) -> Answer {
    let body: CallMode = parse(req)?;
    super::names::check_vendor(&ctx.model(), &body.tenant, body.vendor)?;
    let now = ctx.clock_ms_for(&body.tenant);
    ctx.model()
        .set_call_mode(&body.tenant, &body.agent, body.signal_type, now)
        .map_err(|e| {
            let status = match e {
                crate::model::ModelError::TenantNotFound(_)
                | crate::model::ModelError::AgentNotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            refuse(status, e.to_string())
        })?;
    Ok(ok(json!({
        "tenant": body.tenant,
        "agent": body.agent,
        "signal_type": body.signal_type,
    })))
}
