//! Call detail records: `cdr/page`, `cdr/queryByOrderId` and the CDR push.
//!
//! One shape for all three, built from a simulated call's fields (`calls::Call::fields`). Units
//! as the notes give them and, where they are silent, ccemu's choice (docs/nxcloud.md): instants
//! (`startTime`, `ringTime`, `answerTime`, `endTime`, `inQueueTime`, `outQueueTime`) in
//! milliseconds, 0 when the call never got there; durations (`callDuration` = talk,
//! `ringDuration`, `queueDuration`) in whole seconds; `answered` 1/0; `direction` 0 in, 1 out;
//! `hangupBy` 0 agent, 1 user, 2 unknown.

use super::errors::NxError;
use super::{Call, Data};
use crate::calls::CallState;
use crate::events::Outbound;
use crate::model::{Tenant, Vendor};
use serde::Serialize;
use serde_json::Value;

/// The request's `size` limit for CDR pages (the notes: ≤ 100).
const MAX_CDR_PAGE: i64 = 100;

fn ms(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn secs(from: &Value, to: &Value) -> i64 {
    match (from.as_i64(), to.as_i64()) {
        (Some(a), Some(b)) if b > a => (b - a) / 1000,
        _ => 0,
    }
}

/// The CDR of a finished call, from its event fields.
pub fn record(t: &Tenant, f: &Value) -> Value {
    // The agent who finished the call: after a transfer, the last one who had it.
    let agent_id = f["finishing_agent_id"]
        .as_str()
        .or(f["agent_id"].as_str())
        .unwrap_or_default();
    let agent = t.agents.get(agent_id);
    let answered = f["outcome"] == "answered";
    let (status, code, reason) = match f["outcome"].as_str() {
        Some("answered") => ("ANSWERED", 200, "Normal clearing"),
        Some("abandoned") => ("ABANDONED", 487, "Caller abandoned"),
        Some("no_answer") => ("NO_ANSWER", 480, "No answer"),
        Some("ivr") => ("IVR", 200, "Ended in IVR"),
        Some("voicemail") => ("VOICEMAIL", 200, "Voicemail left"),
        _ => ("FAILED", 503, "Call failed"),
    };
    let hangup_by = match f["hangup_by"].as_str() {
        Some("agent") => 0,
        Some("customer") => 1,
        _ => 2,
    };
    let call_id = f["call_id"].as_str().unwrap_or_default();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let cdr = Cdr {
        agent_name: agent_id.to_string(),
        agent_nick_name: agent.map(|a| a.nick_name.clone()).unwrap_or_default(),
        answered: u8::from(answered),
        answer_time: ms(&f["answer_time"]),
        call_duration: f["talk_duration"].as_i64().unwrap_or(0),
        callee: text(&f["callee"]),
        caller: text(&f["caller"]),
        call_id: call_id.to_string(),
        direction: u8::from(f["direction"] == "outbound"),
        dtmf_keys: f["dtmf_keys"].as_str().unwrap_or_default().to_string(),
        end_time: ms(&f["end_time"]),
        hangup_by,
        hangup_code: code,
        call_status: status,
        hangup_reason: reason,
        in_queue_time: ms(&f["enqueue_time"]),
        out_queue_time: ms(&f["dequeue_time"]),
        queue_duration: secs(&f["enqueue_time"], &f["dequeue_time"]),
        record_url: if answered {
            format!("https://records.ccemu.invalid/{call_id}.mp3")
        } else {
            String::new()
        },
        ring_duration: secs(
            &f["ring_time"],
            if answered {
                &f["answer_time"]
            } else {
                &f["end_time"]
            },
        ),
        ring_time: ms(&f["ring_time"]),
        start_time: ms(&f["start_time"]),
        task_id: String::new(),
        order_id: f["order_id"].as_str().unwrap_or_default().to_string(),
        total_customer_price: 0,
    };
    serde_json::to_value(cdr).unwrap_or(Value::Null)
}

/// One call detail record, as `cdr/page` answers it and the CDR push POSTs it (the
/// `nxcloud.cdr` webhook of admin.json is this type's schema).
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cdr {
    pub agent_name: String,
    pub agent_nick_name: String,
    /// 1 answered, 0 not.
    pub answered: u8,
    pub answer_time: i64,
    /// Seconds of talk.
    pub call_duration: i64,
    pub callee: Option<String>,
    pub caller: Option<String>,
    pub call_id: String,
    /// 0 inbound, 1 outbound.
    pub direction: u8,
    pub dtmf_keys: String,
    pub end_time: i64,
    /// 0 agent, 1 customer, 2 unknown.
    pub hangup_by: u8,
    pub hangup_code: u16,
    pub call_status: &'static str,
    pub hangup_reason: &'static str,
    pub in_queue_time: i64,
    pub out_queue_time: i64,
    pub queue_duration: i64,
    pub record_url: String,
    pub ring_duration: i64,
    pub ring_time: i64,
    pub start_time: i64,
    pub task_id: String,
    pub order_id: String,
    pub total_customer_price: i64,
}

/// The push of a finished call's CDR to the tenant's `cdr_url`, with its `token` header.
pub fn route(
    t: &Tenant,
    event: &crate::model::ModelEvent,
    ids: &dyn Fn() -> String,
) -> Vec<Outbound> {
    let crate::model::ModelEvent::Call {
        name,
        fields,
        at_ms,
        ..
    } = event
    else {
        return Vec::new();
    };
    let Some(url) = t.cdr_url.as_ref().filter(|u| !u.is_empty()) else {
        return Vec::new();
    };
    if name != "cdr" {
        return Vec::new();
    }
    vec![Outbound {
        vendor: Vendor::Nxcloud,
        tenant: t.id.clone(),
        event: "cdr".into(),
        target: "cdr".into(),
        subscription: None,
        url: url.clone(),
        headers: t
            .cdr_token
            .iter()
            .map(|tok| ("token".to_string(), tok.clone()))
            .collect(),
        event_id: ids(),
        at_ms: *at_ms,
        body: record(t, fields),
    }]
}

/// The tenant's finished calls as CDRs, newest first.
fn records(call: &Call) -> Result<Vec<Value>, NxError> {
    let calls = call
        .ctx
        .calls
        .list(|c| c.tenant == call.tenant && c.state == CallState::Ended);
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let mut out: Vec<Value> = calls
        .iter()
        .map(|c| record(t, &c.fields(Some(t))))
        .collect();
    drop(model);
    out.sort_by(|a, b| {
        (ms(&b["startTime"]), b["callId"].as_str())
            .cmp(&(ms(&a["startTime"]), a["callId"].as_str()))
    });
    Ok(out)
}

/// Query CDRs — `POST /saas/cc/openapi/cdr/page` `{answered, direction, startTime*, endTime*
/// (seconds), name, caller, callee, callId, orderId, size* (≤ 100), page*}`. No `tenantId`: the
/// accessKey names the team (one given must still be the key's own).
///
/// `answered` 0 all, 1 unanswered, 2 answered; `direction` 0 all, 1 in, 2 out, 3 AICC (ccemu
/// simulates no AICC calls, so 3 finds none); the window keeps calls that started in
/// `[startTime, endTime]`; `name` matches the agent's userName or nickName.
pub fn page(call: &Call) -> Result<Data, NxError> {
    let b = &call.body;
    let start = b.int("startTime")?;
    let end = b.int("endTime")?;
    if end < start {
        return Err(NxError::Validation(format!(
            "End time must not be before start time (startTime {start}, endTime {end})"
        )));
    }
    let answered = b.opt_int("answered")?.unwrap_or(0);
    let direction = b.opt_int("direction")?.unwrap_or(0);
    if !(0..=2).contains(&answered) {
        return Err(NxError::Validation(format!(
            "answered must be 0 (all), 1 (unanswered) or 2 (answered), not {answered}"
        )));
    }
    if !(0..=3).contains(&direction) {
        return Err(NxError::Validation(format!(
            "direction must be 0 (all), 1 (in), 2 (out) or 3 (AICC), not {direction}"
        )));
    }
    let size = b.int("size")?;
    let page = b.int("page")?;
    if !(1..=MAX_CDR_PAGE).contains(&size) {
        return Err(NxError::Validation(format!(
            "size must be between 1 and {MAX_CDR_PAGE} (got {size})"
        )));
    }
    if page < 1 {
        return Err(NxError::Validation(format!(
            "page starts from 1 (got {page})"
        )));
    }
    let text = |name: &str| b.opt_string(name).map(|s| s.filter(|s| !s.is_empty()));
    let (name, caller, callee, call_id, order_id) = (
        text("name")?,
        text("caller")?,
        text("callee")?,
        text("callId")?,
        text("orderId")?,
    );
    let (from_ms, to_ms) = (
        start.saturating_mul(1000),
        end.saturating_mul(1000).saturating_add(999),
    );
    let eq =
        |v: &Value, want: &Option<String>| want.as_deref().is_none_or(|w| v.as_str() == Some(w));
    let all: Vec<Value> = records(call)?
        .into_iter()
        .filter(|r| (from_ms..=to_ms).contains(&ms(&r["startTime"])))
        .filter(|r| match answered {
            1 => r["answered"] == 0,
            2 => r["answered"] == 1,
            _ => true,
        })
        .filter(|r| match direction {
            1 => r["direction"] == 0,
            2 => r["direction"] == 1,
            3 => false,
            _ => true,
        })
        .filter(|r| {
            name.as_deref()
                .is_none_or(|n| r["agentName"] == n || r["agentNickName"] == n)
                && eq(&r["caller"], &caller)
                && eq(&r["callee"], &callee)
                && eq(&r["callId"], &call_id)
                && eq(&r["orderId"], &order_id)
        })
        .collect();
    let (items, total) = super::Page { page, size }.slice(all);
    Data::paged(&items, total)
}

/// Query CDRs by order id — `POST /saas/cc/openapi/cdr/queryByOrderId` `{tenantId*, orderId*}`:
/// every finished call with that order id (an order may be called more than once), newest first.
pub fn query_by_order_id(call: &Call) -> Result<Data, NxError> {
    let order_id = call.body.string("orderId")?;
    let items: Vec<Value> = records(call)?
        .into_iter()
        .filter(|r| r["orderId"] == order_id.as_str())
        .collect();
    Data::of(&items)
}
