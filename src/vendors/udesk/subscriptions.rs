//! 18–21: event subscriptions — subscribe, update, delete, list.
//!
//! The document's field names here are snake_case (`callback`, `events`, `name`, `enable`), unlike
//! the rest of the API; they are reproduced as written.

use super::errors::UdeskError;
use super::{Answer, Call};
use crate::model::Subscription;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
struct NewSubscription {
    callback: String,
    events: Vec<String>,
    name: String,
}

/// The example sends `subscriptions` as an array, the field table types it `object`: both are
/// accepted, a single object being one subscription.
#[derive(Deserialize)]
struct Subscribe {
    subscriptions: Value,
}

impl Subscribe {
    fn list(self) -> Result<Vec<NewSubscription>, UdeskError> {
        let v = match self.subscriptions {
            Value::Object(o) => Value::Array(vec![Value::Object(o)]),
            other => other,
        };
        serde_json::from_value(v).map_err(super::parse_error)
    }
}

fn check(callback: &str, events: &[String], name: &str) -> Result<(), UdeskError> {
    if name.is_empty() {
        return Err(UdeskError::EmptyParameter("name is required".into()));
    }
    if callback.is_empty() {
        return Err(UdeskError::EmptyParameter("callback is required".into()));
    }
    if !(callback.starts_with("http://") || callback.starts_with("https://")) {
        return Err(UdeskError::InvalidParameter(format!(
            "callback {callback:?} must be an http:// or https:// URL"
        )));
    }
    if events.is_empty() || events.iter().any(|e| e.is_empty()) {
        return Err(UdeskError::EmptyParameter("events is required".into()));
    }
    if let Some(bad) = events.iter().find(|e| !super::events::is_subscribable(e)) {
        return Err(UdeskError::InvalidParameter(format!(
            "unknown event {bad:?}: use an event type or category of the subscription table (e.g. acd_agent_state, agent_state, call)"
        )));
    }
    Ok(())
}

/// 18. Subscription to Events — `POST /ccapi/v2/subscriptions`.
///
/// All or nothing: a name the app already has (or a name twice in the request) answers 200019 and
/// nothing is created, so `sub_fail` is always null. Ids come from the app's counter. Event names
/// must be a type or category of the table, or the example's own "begin"/"end" (000001 otherwise).
pub fn subscribe(call: &Call) -> Result<Answer, UdeskError> {
    let subscriptions = call.body::<Subscribe>()?.list()?;
    if subscriptions.is_empty() {
        return Err(UdeskError::EmptyParameter(
            "subscriptions is required".into(),
        ));
    }
    for s in &subscriptions {
        check(&s.callback, &s.events, &s.name)?;
    }
    let subs = subscriptions
        .into_iter()
        .map(|s| Subscription {
            id: 0,
            name: s.name,
            callback: s.callback,
            events: s.events,
            enable: true,
        })
        .collect();
    let created = {
        let mut model = call.ctx.model();
        model.tenant_mut(&call.tenant)?.subscribe(subs)?
    };
    let succ: Vec<Value> = created
        .iter()
        .map(|s| json!({"subid": s.id, "name": s.name}))
        .collect();
    Ok(json!({"sub_succ": succ, "sub_fail": Value::Null}).into())
}

fn path_id(call: &Call) -> Result<u64, UdeskError> {
    let id = call.param("id");
    match id.parse::<u64>() {
        Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(UdeskError::IncorrectRequest(
            StatusCode::NOT_FOUND,
            format!("no endpoint {} {}", call.req.method, call.req.path),
        )),
    }
}

#[derive(Deserialize)]
struct UpdateSubscription {
    callback: String,
    name: String,
    events: Vec<String>,
    enable: bool,
}

/// 19. Update Event Subscription — `PUT /ccapi/v2/subscriptions/{id}`; all four fields required.
///     Answers `{"<name>": id}`; an unknown id 100018, a name another subscription has 200019.
pub fn update(call: &Call) -> Result<Answer, UdeskError> {
    let id = path_id(call)?;
    let b: UpdateSubscription = call.body()?;
    check(&b.callback, &b.events, &b.name)?;
    let name = b.name.clone();
    let new = Subscription {
        id,
        name: b.name,
        callback: b.callback,
        events: b.events,
        enable: b.enable,
    };
    {
        let mut model = call.ctx.model();
        model
            .tenant_mut(&call.tenant)?
            .update_subscription(id, new)?;
    }
    let mut result = Map::new();
    result.insert(name, json!(id));
    Ok(Value::Object(result).into())
}

/// 20. Delete Event — `DELETE /ccapi/v2/subscriptions/{id}`; answers `Result: []`.
pub fn delete(call: &Call) -> Result<Answer, UdeskError> {
    let id = path_id(call)?;
    let mut model = call.ctx.model();
    model.tenant_mut(&call.tenant)?.unsubscribe(id)?;
    Ok(json!([]).into())
}

fn view(s: &Subscription) -> Value {
    json!({
        "callback": s.callback,
        "enable": if s.enable { "true" } else { "false" },
        "events": s.events,
        "name": s.name,
    })
}

/// 21. Get Event List — `GET /ccapi/v2/subscriptions`.
///
/// The example answers one object with `enable` as a string. ccemu answers that object when the
/// app has exactly one subscription, `null` when it has none and an array of such objects (by id)
/// when it has several (docs/udesk.md).
pub fn list(call: &Call) -> Result<Answer, UdeskError> {
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    let mut all: Vec<Value> = t.subscriptions.values().map(view).collect();
    drop(model);
    Ok(match all.len() {
        0 => Answer::null(),
        1 => all.pop().unwrap_or_default().into(),
        _ => Value::Array(all).into(),
    })
}
