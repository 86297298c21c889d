//! Fixtures: the serde form of the model, loaded at start, restored on reset, merged at runtime.
//!
//! In a fixture file every collection is a JSON list of objects carrying their own key (`id`, or
//! `extension` for extensions); the model keeps them in `BTreeMap`s so lookups are by key and
//! listings come out in a stable order.

use super::ivr::{IvrFlow, Voice};
use super::{Agent, Credentials, Extension, Model, Queue, Subscription, Tenant};
use serde_json::Value;
use std::collections::BTreeMap;

/// The fixture compiled into the binary, used when no `--fixture` is given.
pub const DEFAULT_FIXTURE: &str = include_str!("../../fixtures/default.json");

/// Something stored in a keyed list.
pub trait Keyed {
    type Key: Ord + Clone + std::fmt::Display;
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
impl Keyed for Voice {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
    }
}
impl Keyed for IvrFlow {
    type Key = String;
    fn key(&self) -> String {
        self.id.clone()
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
        let mut map = BTreeMap::new();
        for v in items {
            let key = v.key();
            // Two entries with one key contradict each other: neither may silently win.
            if map.insert(key.clone(), v).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "{key} appears twice in one list"
                )));
            }
        }
        Ok(map)
    }
}

/// Parses a fixture and checks the model's invariants, so a broken fixture fails at start with a
/// message instead of misbehaving later.
pub fn parse(json: &str) -> Result<Model, String> {
    let input: Value = serde_json::from_str(json).map_err(|e| format!("fixture: {e}"))?;
    from_value(input)
}

/// The model a fixture value describes, refused if any key in it means nothing to ccemu (a typo
/// like `"agnets"` would otherwise load as "no agents") or it contradicts itself.
///
/// Two checks share the work. The agents (all but a sliver of a large fixture) are checked while
/// they are read: `serde_ignored` reports every key the model did not take. Everything else is
/// compared with the model written back out without its agents, which catches what
/// `serde_ignored` cannot see (the fields of the internally tagged credentials). Writing 100,000
/// agents back out only to compare keys cost seconds at start.
fn from_value(input: Value) -> Result<Model, String> {
    let mut input = input;
    // `$schema` names the file's JSON Schema for editors (schemas/fixture.json); it is not state.
    if let Some(top) = input.as_object_mut() {
        top.remove("$schema");
    }
    let mut ignored: Vec<Vec<Segment>> = Vec::new();
    let model: Model = serde_ignored::deserialize(&input, |path| ignored.push(segments(&path)))
        .map_err(|e| format!("fixture: {e}"))?;
    let mut shape = model.clone();
    for t in shape.tenants.values_mut() {
        t.agents = Default::default();
    }
    let known = serde_json::to_value(&shape).map_err(|e| format!("fixture: {e}"))?;
    let in_agents = |p: &Vec<Segment>| {
        p.iter()
            .any(|s| matches!(s, Segment::Key(k) if k == "agents"))
    };
    let unknown = unknown_key(&input, &known, None, "").or_else(|| {
        ignored
            .iter()
            .filter(|p| in_agents(p))
            .find_map(|p| path_text(&input, p))
    });
    if let Some(path) = unknown {
        return Err(format!("fixture: unknown field {path}"));
    }
    validate(&model)?;
    drop((input, known, shape));
    super::memory::release_freed_memory();
    Ok(model)
}

/// One step of a path `serde_ignored` reports.
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &serde_ignored::Path) -> Vec<Segment> {
    use serde_ignored::Path;
    let mut out = Vec::new();
    let mut at = path;
    loop {
        at = match at {
            Path::Root => break,
            Path::Seq { parent, index } => {
                out.push(Segment::Index(*index));
                parent
            }
            Path::Map { parent, key } => {
                out.push(Segment::Key(key.clone()));
                parent
            }
            Path::Some { parent }
            | Path::NewtypeStruct { parent }
            | Path::NewtypeVariant { parent } => parent,
        };
    }
    out.reverse();
    out
}

/// An ignored path written the way `unknown_key` writes one (`tenants[id=x].agents[id=y].key`),
/// or `None` when the value there is null (an empty optional says nothing either way).
fn path_text(input: &Value, path: &[Segment]) -> Option<String> {
    let (mut at, mut text, mut list) = (input, String::new(), None::<&str>);
    for seg in path {
        match seg {
            Segment::Key(k) => {
                at = at.get(k)?;
                text.push('.');
                text.push_str(k);
                list = Some(k);
            }
            Segment::Index(n) => {
                at = at.get(n)?;
                match list.and_then(identity_field) {
                    Some(f) => text.push_str(&format!("[{f}={}]", id_text(at.get(f)?))),
                    None => text.push_str(&format!("[{n}]")),
                }
                list = None;
            }
        }
    }
    (!at.is_null()).then(|| text.trim_start_matches('.').to_string())
}

/// The path of the first key of `input` that the model does not have. `known` is the model
/// written back out, which holds every field it knows (defaults included); keyed lists come back
/// in key order, so their entries are paired by identity rather than by position.
fn unknown_key(input: &Value, known: &Value, list: Option<&str>, path: &str) -> Option<String> {
    match (input, known) {
        (Value::Object(i), Value::Object(k)) => i.iter().find_map(|(key, v)| match k.get(key) {
            // An optional field left out of the written form when empty (`call_mode`) may be
            // given as null; that says nothing either way.
            None if v.is_null() => None,
            None => Some(format!("{path}.{key}").trim_start_matches('.').to_string()),
            Some(kv) => unknown_key(v, kv, Some(key), &format!("{path}.{key}")),
        }),
        (Value::Array(i), Value::Array(k)) => {
            let field = list.and_then(identity_field);
            let by_id: BTreeMap<String, &Value> = field
                .map(|f| {
                    k.iter()
                        .filter_map(|e| Some((id_text(e.get(f)?), e)))
                        .collect()
                })
                .unwrap_or_default();
            i.iter().enumerate().find_map(|(n, v)| {
                let (kv, at) = match field {
                    Some(f) => {
                        let id = id_text(v.get(f)?);
                        let at = format!("{path}[{f}={id}]");
                        (*by_id.get(&id)?, at)
                    }
                    None => (k.get(n)?, format!("{path}[{n}]")),
                };
                unknown_key(v, kv, None, &at)
            })
        }
        _ => None,
    }
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn validate(model: &Model) -> Result<(), String> {
    // Credentials pick the tenant a signed request belongs to: two tenants with the same ones
    // would leave one unreachable (the first in id order wins every lookup).
    let mut owners: BTreeMap<String, &str> = BTreeMap::new();
    for t in model.tenants.values() {
        let claims: Vec<(String, String)> = match &t.credentials {
            Credentials::Udesk { app_id, sid, .. } => vec![(
                format!("udesk Sid {sid:?} with AppId {app_id:?}"),
                "credentials.sid".into(),
            )],
            Credentials::Nxcloud { access_key, .. } => vec![(
                format!("nxcloud accessKey {access_key:?}"),
                "credentials.access_key".into(),
            )],
            Credentials::Huawei { apps, .. } => apps
                .iter()
                .map(|a| {
                    (
                        format!("huawei app_key {:?}", a.app_key),
                        "credentials.apps.app_key".into(),
                    )
                })
                .collect(),
        };
        for (claim, field) in claims {
            if let Some(other) = owners.insert(claim.clone(), &t.id) {
                return Err(format!(
                    "fixture: tenants[id={}].{field}: the {claim} already belongs to tenant {other}",
                    t.id
                ));
            }
        }
    }
    for (key, t) in &model.tenants {
        if key != &t.id {
            return Err(format!(
                "fixture: tenant key {key} differs from id {}",
                t.id
            ));
        }
    }
    for t in model.tenants.values() {
        super::ivr::validate(t).map_err(|e| {
            format!(
                "fixture: tenants[id={}].ivr_flows: {} {}",
                t.id, e.code, e.message
            )
        })?;
    }
    model
        .check_invariants()
        .map_err(|e| format!("fixture: {e}"))
}

/// The identity field of the objects in a keyed list, by the list's name.
fn identity_field(list: &str) -> Option<&'static str> {
    match list {
        "tenants" | "agents" | "queues" | "subscriptions" | "voices" | "ivr_flows" => Some("id"),
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
    check_identities(fragment, None)?;
    let mut current = serde_json::to_value(&*model).map_err(|e| e.to_string())?;
    merge_value(&mut current, fragment, None);
    let mut merged = from_value(current)?;
    merged.outbox = std::mem::take(&mut model.outbox);
    merged.tokens = std::mem::take(&mut model.tokens);
    *model = merged;
    Ok(())
}

/// Every entry of a keyed list in the fragment names its key (`id`, `extension`), as the
/// fixture's schema requires: an entry without one could be neither matched nor told apart.
fn check_identities(v: &Value, list_name: Option<&str>) -> Result<(), String> {
    match v {
        Value::Object(m) => m.iter().try_for_each(|(k, x)| check_identities(x, Some(k))),
        Value::Array(items) => {
            let Some(field) = list_name.and_then(identity_field) else {
                return Ok(());
            };
            for (n, item) in items.iter().enumerate() {
                if item.is_object() && item.get(field).is_none() {
                    return Err(format!(
                        "fixture: {}[{n}] has no {field}",
                        list_name.unwrap_or_default()
                    ));
                }
                check_identities(item, None)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
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
        // An agent's `queues` shares its name with the tenant's keyed list but holds ids, not
        // entries: a list of plain values is replaced like any other value.
        (Value::Array(t), Value::Array(p))
            if list_name.and_then(identity_field).is_some()
                && t.iter().chain(p).all(Value::is_object) =>
        {
            let field = list_name.and_then(identity_field).unwrap_or("id");
            // Indexed by identity: a merge of thousands of entries must not compare each with
            // every other.
            let mut at: BTreeMap<String, usize> = t
                .iter()
                .enumerate()
                .filter_map(|(n, e)| Some((id_text(e.get(field)?), n)))
                .collect();
            for item in p {
                let key = item.get(field).map(id_text);
                match key
                    .as_ref()
                    .and_then(|k| at.get(k))
                    .and_then(|&n| t.get_mut(n))
                {
                    Some(e) => merge_value(e, item, None),
                    None => {
                        if let Some(k) = key {
                            at.insert(k, t.len());
                        }
                        t.push(item.clone());
                    }
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
    fn unknown_keys_and_duplicate_ids_are_refused_with_their_path() {
        let mut doc: Value = serde_json::from_str(DEFAULT_FIXTURE).unwrap();
        doc["tenants"][0]["agents"][0]["nick"] = "typo".into();
        let e = parse(&doc.to_string()).unwrap_err();
        assert!(e.contains("unknown field tenants[id="), "{e}");
        assert!(e.ends_with(".nick"), "{e}");
        // The whole path, through identities, down into an agent's timeline.
        let mut doc: Value = serde_json::from_str(DEFAULT_FIXTURE).unwrap();
        let tenant = doc["tenants"][0]["id"].as_str().unwrap().to_string();
        let agent = doc["tenants"][0]["agents"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        doc["tenants"][0]["agents"][0]["timeline"] =
            serde_json::json!([{"at_ms": 1, "state": "idle", "mood": "good"}]);
        let e = parse(&doc.to_string()).unwrap_err();
        assert_eq!(
            e,
            format!(
                "fixture: unknown field tenants[id={tenant}].agents[id={agent}].timeline[0].mood"
            )
        );
        // An unknown key given as null says nothing; one in the credentials is still found.
        let mut doc: Value = serde_json::from_str(DEFAULT_FIXTURE).unwrap();
        doc["tenants"][0]["agents"][0]["nick"] = Value::Null;
        parse(&doc.to_string()).unwrap();
        doc["tenants"][0]["credentials"]["sdi"] = "typo".into();
        let e = parse(&doc.to_string()).unwrap_err();
        assert!(e.ends_with("].credentials.sdi"), "{e}");
        let mut doc: Value = serde_json::from_str(DEFAULT_FIXTURE).unwrap();
        let first = doc["tenants"][0]["queues"][0].clone();
        doc["tenants"][0]["queues"]
            .as_array_mut()
            .unwrap()
            .push(first);
        let e = parse(&doc.to_string()).unwrap_err();
        assert!(e.contains("appears twice"), "{e}");
    }

    #[test]
    fn an_agents_queue_list_is_replaced_whole() {
        let mut m = parse(DEFAULT_FIXTURE).unwrap();
        // An agent in a queue, in a tenant with some other queue to move it to.
        let (tid, aid, other) = m
            .tenants
            .iter()
            .find_map(|(tid, t)| {
                let a = t.agents.values().find(|a| !a.queues.is_empty())?;
                let other = t.queues.keys().find(|q| !a.queues.contains(q))?;
                Some((tid.clone(), a.id.clone(), other.clone()))
            })
            .expect("the default fixture has an agent and a queue it is not in");
        let frag = serde_json::json!({"tenants": [{"id": tid, "agents": [{"id": aid, "queues": [other]}]}]});
        merge(&mut m, &frag).unwrap();
        let now: Vec<&String> = m.tenants[&tid]
            .agents
            .get(&aid)
            .unwrap()
            .queues
            .iter()
            .collect();
        assert_eq!(now, vec![&other]);
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
