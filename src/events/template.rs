//! Reshaping an event body with a fixture's template, for teams whose real payload differs from
//! ccemu's. A template is any JSON value; inside it, a string that is exactly `"{{path}}"` becomes
//! the value at that path of ccemu's payload (a number stays a number, an object an object), and
//! `{{path}}` inside longer text is replaced by the value as text. Paths are dot-separated keys
//! and array indexes (`data.agent_id`, `data.extensions.0`); `{{$}}` is the whole payload. A path
//! that leads nowhere gives `null` (or empty text).

use serde_json::Value;

pub fn apply(template: &Value, payload: &Value) -> Value {
    match template {
        Value::String(s) => fill(s, payload),
        Value::Array(items) => Value::Array(items.iter().map(|v| apply(v, payload)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), apply(v, payload)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn lookup<'a>(payload: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim();
    if path == "$" {
        return Some(payload);
    }
    path.split('.').try_fold(payload, |v, key| match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn fill(s: &str, payload: &Value) -> Value {
    if let Some(path) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        if !path.contains("{{") && !path.contains("}}") {
            return lookup(payload, path).cloned().unwrap_or(Value::Null);
        }
    }
    if !s.contains("{{") {
        return Value::String(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        match lookup(payload, &rest[start + 2..start + 2 + len]) {
            Some(Value::String(v)) => out.push_str(v),
            Some(Value::Null) | None => {}
            Some(v) => out.push_str(&v.to_string()),
        }
        rest = &rest[start + 2 + len + 2..];
    }
    out.push_str(rest);
    Value::String(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_placeholders_keep_their_type_and_text_is_interpolated() {
        let payload = json!({"event": "acd_agent_state", "data": {"state": 0, "ids": ["a", "b"]}});
        let t = json!({
            "action": "{{event}}",
            "message": {"State": "{{data.state}}", "first": "{{data.ids.0}}", "all": "{{$}}"},
            "text": "agent is {{data.state}} ({{event}}){{missing}}",
            "fixed": 7,
            "missing": "{{nope.deeper}}"
        });
        let out = apply(&t, &payload);
        assert_eq!(out["action"], "acd_agent_state");
        assert_eq!(out["message"]["State"], 0);
        assert_eq!(out["message"]["first"], "a");
        assert_eq!(out["message"]["all"], payload);
        assert_eq!(out["text"], "agent is 0 (acd_agent_state)");
        assert_eq!(out["fixed"], 7);
        assert_eq!(out["missing"], Value::Null);
    }

    #[test]
    fn unclosed_braces_stay_text() {
        assert_eq!(apply(&json!("a {{b"), &json!({})), json!("a {{b"));
    }
}
