//! Fixtures: the serde form of the model, loaded at start, restored on reset, merged at runtime.
//!
//! In a fixture file every collection is a JSON list of objects carrying their own key (`id`, or
//! `extension` for extensions); the model keeps them in `BTreeMap`s so lookups are by key and
//! listings come out in a stable order.

use super::{Agent, Extension, Model, Queue, Subscription, Tenant};
use serde_json::Value;

/// The fixture compiled into the binary, used when no `--fixture` is given.
pub const DEFAULT_FIXTURE: &str = include_str!("../../fixtures/default.json");

/// Something stored in a keyed list.
pub trait Keyed {
    type Key: Ord + Clone;
    fn key(&self) -> Self::Key;
}

impl Keyed for Tenant {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}
impl Keyed for Agent {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}
impl Keyed for Queue {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}
impl Keyed for Extension {
    type Key = String;
    fn key(&self) -> String {
        self.extension.clone()
    }
}
impl Keyed for Subscription {
    type Key = u64;
    fn key(&self) -> u64 {
        self.id
    }
}

/// `#[serde(with = "keyed_list")]`: a `BTreeMap<K, V>` written as a list of `V`.
pub mod keyed_list {
    use super::Keyed;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S, V>(map: &BTreeMap<V::Key, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        V: Keyed + Serialize,
    {
        s.collect_seq(map.values())
    }

    pub fn deserialize<'de, D, V>(d: D) -> Result<BTreeMap<V::Key, V>, D::Error>
    where
        D: Deserializer<'de>,
        V: Keyed + Deserialize<'de>,
    {
        let items = Vec::<V>::deserialize(d)?;
        Ok(items.into_iter().map(|v| (v.key(), v)).collect())
    }
}

/// Parses a fixture and checks the model's invariants, so a broken fixture fails at start with a
/// message instead of misbehaving later.
pub fn parse(json: &str) -> Result<Model, String> {
    let model: Model = serde_json::from_str(json).map_err(|e| format!("fixture: {e}"))?;
    validate(&model)?;
    Ok(model)
}

fn validate(model: &Model) -> Result<(), String> {
    for (key, t) in &model.tenants {
        if key != &t.id {
            return Err(format!(
                "fixture: tenant key {key} differs from id {}",
                t.id
            ));
        }
    }
    model
        .check_invariants()
        .map_err(|e| format!("fixture: {e}"))
}

/// The identity field of the objects in a keyed list, by the list's name.
fn identity_field(list: &str) -> Option<&'static str> {
    match list {
        "tenants" | "agents" | "queues" | "subscriptions" => Some("id"),
        "extensions" => Some("extension"),
        _ => None,
    }
}

/// Merges a fixture fragment into `model`: objects merge field by field, keyed lists merge by
/// identity (an entry with a new key is added, one with a known key is merged into it), any other
/// value replaces. All or nothing: on error `model` is unchanged.
pub fn merge(model: &mut Model, fragment: &Value) -> Result<(), String> {
    if !fragment.is_object() {
        return Err("fixture fragment must be a JSON object".into());
    }
    let mut current = serde_json::to_value(&*model).map_err(|e| e.to_string())?;
    merge_value(&mut current, fragment, None);
    let mut merged: Model = serde_json::from_value(current).map_err(|e| format!("fixture: {e}"))?;
    validate(&merged)?;
    merged.outbox = std::mem::take(&mut model.outbox);
    merged.tokens = std::mem::take(&mut model.tokens);
    *model = merged;
    Ok(())
}

fn merge_value(target: &mut Value, patch: &Value, list_name: Option<&str>) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) => merge_value(existing, v, Some(k)),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(p)) if list_name.and_then(identity_field).is_some() => {
            let field = list_name.and_then(identity_field).unwrap_or("id");
            for item in p {
                let key = item.get(field);
                let existing = key.and_then(|k| t.iter_mut().find(|e| e.get(field) == Some(k)));
                match existing {
                    Some(e) => merge_value(e, item, None),
                    None => t.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fixture_loads_and_keeps_invariants() {
        let m = parse(DEFAULT_FIXTURE).expect("default fixture");
        assert!(m.tenants.len() >= 3);
    }

    #[test]
    fn merge_adds_and_updates_by_key() {
        let mut m = parse(DEFAULT_FIXTURE).unwrap();
        let tid = m.tenants.keys().next().unwrap().clone();
        let frag = serde_json::json!({"tenants": [{"id": tid, "agents": [{"id": "merged-1", "name": "M"}]}]});
        merge(&mut m, &frag).unwrap();
        assert_eq!(m.tenants[&tid].agents["merged-1"].name, "M");
        let frag = serde_json::json!({"tenants": [{"id": tid, "agents": [{"id": "merged-1", "mobile": "1"}]}]});
        merge(&mut m, &frag).unwrap();
        let a = &m.tenants[&tid].agents["merged-1"];
        assert_eq!((a.name.as_str(), a.mobile.as_str()), ("M", "1"));
    }

    #[test]
    fn a_bad_merge_changes_nothing() {
        let mut m = parse(DEFAULT_FIXTURE).unwrap();
        let before = m.clone();
        let tid = m.tenants.keys().next().unwrap().clone();
        let frag = serde_json::json!({"tenants": [{"id": tid, "agents": [{"id": "x", "queues": ["no-such-queue"]}]}]});
        assert!(merge(&mut m, &frag).is_err());
        assert_eq!(m, before);
    }
}
