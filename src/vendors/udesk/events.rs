//! What Udesk CCPaaS pushes to event subscriptions: which events exist (the table of
//! "18. Subscription to Events"), which subscriptions get each, and the body sent.
//!
//! Udesk does not publish the callback payload, so the body is ccemu's own, in the house style of
//! Udesk's call-event push (flat snake_case fields), documented in docs/events.md:
//! `{"event","category","event_id","app_id","subscription_id","subscription_name","timestamp",
//! "data":{...}}`. A fixture's `webhook_template` reshapes it.

use super::agents::{ext_state, reason_code, state_code};
use crate::events::{template, Outbound};
use crate::model::{Agent, LineState, ModelEvent, Subscription, Tenant, Vendor, SIGNAL_WEBRTC};
use serde_json::{Map, Value};

/// The document's table: (category, event type). The first four rows name a category and its one
/// event; the `call` category holds every call event.
pub const EVENTS: [(&str, &str); 20] = [
    ("agent_state", "acd_agent_state"),
    ("ext_state", "extension_state_update"),
    ("agent_call_mode", "agent_call_mode_change"),
    ("call", "general_hangup"),
    ("call", "enqueue_succ"),
    ("call", "record_stop"),
    ("call", "hangup_cause"),
    ("call", "dequeue_succ"),
    ("call", "start_dialout"),
    ("call", "voice_mail_succ"),
    ("call", "play_succ"),
    ("call", "dtmf_gather_succ"),
    ("call", "asr_gather_succ"),
    ("call", "consult_succ"),
    ("call", "end_consult_succ"),
    ("call", "three_way_succ"),
    ("call", "substitute_succ"),
    ("call", "hold_agent_succ"),
    ("call", "extern_succ"),
    ("call", "eavesdrop_succ"),
];

/// The subscribe example's own event names, in neither column of the table. Accepted so the
/// example works: `begin` gets the events that start a call (enqueue_succ, start_dialout), `end`
/// the one that ends it (general_hangup).
pub const EXAMPLE_NAMES: [&str; 2] = ["begin", "end"];

/// Whether a subscription may name `name`: an event type, a category, or the example's names.
pub fn is_subscribable(name: &str) -> bool {
    EVENTS.iter().any(|(c, t)| *c == name || *t == name) || EXAMPLE_NAMES.contains(&name)
}

/// Whether `name` is an event type ccemu can push (for injection).
pub fn is_event_type(name: &str) -> bool {
    EVENTS.iter().any(|(_, t)| *t == name)
}

pub fn category_of(event: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|(_, t)| *t == event)
        .map_or("call", |(c, _)| c)
}

fn wants(sub: &Subscription, event: &str, category: &str) -> bool {
    sub.enable
        && sub.events.iter().any(|e| {
            e == event
                || e == category
                || (e == "begin" && matches!(event, "enqueue_succ" | "start_dialout"))
                || (e == "end" && event == "general_hangup")
        })
}

/// The Udesk event type for a simulated call's step (`calls/` names steps in neutral words).
pub fn call_event_type(step: &str) -> Option<&'static str> {
    Some(match step {
        "enqueue" => "enqueue_succ",
        "dequeue" => "dequeue_succ",
        "dialout" => "start_dialout",
        "hangup" => "general_hangup",
        "hangup_cause" => "hangup_cause",
        "record_stop" => "record_stop",
        "voicemail" => "voice_mail_succ",
        "play" => "play_succ",
        "dtmf" => "dtmf_gather_succ",
        "asr" => "asr_gather_succ",
        "consult" => "consult_succ",
        "end_consult" => "end_consult_succ",
        "three_way" => "three_way_succ",
        "substitute" => "substitute_succ",
        "hold" => "hold_agent_succ",
        "extern" => "extern_succ",
        "eavesdrop" => "eavesdrop_succ",
        _ => return None,
    })
}

fn line_code(l: LineState) -> u8 {
    match l {
        LineState::Free => 0,
        LineState::Ringing => 1,
        LineState::Talking => 2,
    }
}

fn signal_name(t: Option<u8>) -> &'static str {
    match t {
        Some(SIGNAL_WEBRTC) => "webrtc",
        Some(_) => "sip",
        None => "",
    }
}

fn agent_fields(t: &Tenant, a: Option<&Agent>, agent: &str) -> Map<String, Value> {
    // Room for the most any event adds (an agent state's eleven members), so the map is not
    // grown member by member under the model lock.
    let mut m = Map::with_capacity(12);
    m.insert("agent_id".into(), agent.into());
    m.insert(
        "work_id".into(),
        a.map_or(String::new(), |a| a.work_id.clone()).into(),
    );
    m.insert(
        "agent_name".into(),
        a.map_or(String::new(), |a| a.name.clone()).into(),
    );
    let ext = a.and_then(|a| a.call_extension(t));
    m.insert(
        "extension".into(),
        ext.map_or(String::new(), |e| e.extension.clone()).into(),
    );
    m
}

/// The agent's fields with the extension named by the event (not necessarily the one it calls
/// on), its account number and signal type.
fn extension_fields(
    t: &Tenant,
    a: Option<&Agent>,
    agent: &str,
    extension: &str,
) -> Map<String, Value> {
    let mut m = agent_fields(t, a, agent);
    let ext = t.extensions.get(extension);
    m.insert("extension".into(), extension.into());
    m.insert(
        "number".into(),
        ext.map_or(String::new(), |e| e.number.clone()).into(),
    );
    m.insert(
        "signal_type".into(),
        ext.map_or(0, |e| e.signal_type).into(),
    );
    m
}

/// The event's type and its `data`, or `None` for events Udesk does not push.
fn describe(t: &Tenant, event: &ModelEvent) -> Option<(String, Value)> {
    match event {
        ModelEvent::AgentState {
            agent, from, to, ..
        } => {
            let a = t.agents.get(agent);
            let mut m = agent_fields(t, a, agent);
            let (state, des) = state_code(*to);
            let (reason, reason_des) = reason_code(*to);
            let (prev, prev_des) = state_code(*from);
            m.insert("state".into(), state.into());
            m.insert("state_des".into(), des.into());
            m.insert("reason_code".into(), reason.into());
            m.insert("reason_code_des".into(), reason_des.into());
            m.insert("previous_state".into(), prev.into());
            m.insert("previous_state_des".into(), prev_des.into());
            m.insert("ext_state".into(), ext_state(*to).into());
            Some(("acd_agent_state".into(), Value::Object(m)))
        }
        ModelEvent::ExtensionBinding {
            agent,
            extension,
            bound,
            ..
        } => {
            let a = t.agents.get(agent);
            let mut m = extension_fields(t, a, agent, extension);
            m.insert(
                "action".into(),
                if *bound { "bind" } else { "unbind" }.into(),
            );
            m.insert(
                "ext_state".into(),
                a.filter(|_| *bound)
                    .map_or(0, |a| ext_state(a.state()))
                    .into(),
            );
            Some(("extension_state_update".into(), Value::Object(m)))
        }
        ModelEvent::ExtensionLine {
            agent,
            extension,
            from,
            to,
            ..
        } => {
            let mut m = extension_fields(t, t.agents.get(agent), agent, extension);
            m.insert("action".into(), "line".into());
            m.insert("ext_state".into(), line_code(*to).into());
            m.insert("previous_ext_state".into(), line_code(*from).into());
            Some(("extension_state_update".into(), Value::Object(m)))
        }
        ModelEvent::CallMode {
            agent, from, to, ..
        } => {
            let a = t.agents.get(agent);
            let mut m = agent_fields(t, a, agent);
            m.insert("signal_type".into(), (*to).map_or(Value::Null, Value::from));
            m.insert("call_mode".into(), signal_name(*to).into());
            m.insert(
                "previous_signal_type".into(),
                (*from).map_or(Value::Null, Value::from),
            );
            m.insert("previous_call_mode".into(), signal_name(*from).into());
            Some(("agent_call_mode_change".into(), Value::Object(m)))
        }
        ModelEvent::Call { name, fields, .. } => {
            call_event_type(name).map(|e| (e.to_string(), fields.clone()))
        }
        ModelEvent::Injected { event, fields, .. } => Some((event.clone(), fields.clone())),
    }
}

/// Every enabled subscription of the app whose `events` name the event or its category gets one
/// delivery, with a fresh event id each.
pub fn route(t: &Tenant, event: &ModelEvent, ids: &dyn Fn() -> String) -> Vec<Outbound> {
    let Some((name, data)) = describe(t, event) else {
        return Vec::new();
    };
    let category = category_of(&name);
    let app_id = match &t.credentials {
        crate::model::Credentials::Udesk { app_id, .. } => app_id.as_str(),
        _ => t.id.as_str(),
    };
    let wanted: Vec<_> = t
        .subscriptions
        .values()
        .filter(|s| wants(s, &name, category))
        .collect();
    // Built under the model lock, for every change an agent makes: `data` is moved into the last
    // payload and cloned for the others (`json!` would write each copy out through serde).
    let mut data = Some(data);
    let last = wanted.len().saturating_sub(1);
    wanted
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let event_id = ids();
            let data = if i == last {
                data.take().unwrap_or_default()
            } else {
                data.clone().unwrap_or_default()
            };
            let mut payload = Map::with_capacity(8);
            payload.insert("event".into(), Value::String(name.clone()));
            payload.insert("category".into(), Value::from(category));
            payload.insert("event_id".into(), Value::String(event_id.clone()));
            payload.insert("app_id".into(), Value::from(app_id));
            payload.insert("subscription_id".into(), Value::from(s.id));
            payload.insert("subscription_name".into(), Value::String(s.name.clone()));
            payload.insert("timestamp".into(), Value::from(event.at_ms()));
            payload.insert("data".into(), data);
            let payload = Value::Object(payload);
            let body = match &t.webhook_template {
                Some(tpl) => template::apply(tpl, &payload),
                None => payload,
            };
            Outbound {
                vendor: Vendor::Udesk,
                tenant: t.id.clone(),
                event: name.clone(),
                target: format!("subscription:{}", s.id),
                subscription: Some(s.id),
                url: s.callback.clone(),
                headers: Vec::new(),
                event_id,
                at_ms: event.at_ms(),
                body,
            }
        })
        .collect()
}
