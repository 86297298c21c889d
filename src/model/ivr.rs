//! IVR flows and the voice list they play from: tenant configuration, like queues.
//!
//! A flow is a graph of the node kinds the Udesk document's own return codes name (start, play,
//! number collection, voice collection, condition, webhook, queue, hangup, end, plus voicemail),
//! bound to the relay numbers whose inbound calls run it. A flow is checked whenever it is
//! loaded (fixture, fixture merge, scenario, admin API), so a broken graph is refused with the
//! document's code for the node kind at fault and a message naming the node, never discovered
//! by a call half-way through it. Running a flow is `calls/`'s business; this file only says
//! what a flow is and whether it holds together.

use super::{Tenant, Vendor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A recording of the app's voice list (the document has no voice API; voices come with the
/// fixture). A play node names one by `id`; playing it takes `duration_ms` of virtual time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub file: String,
    #[serde(default = "default_voice_ms")]
    pub duration_ms: u64,
}

pub const DEFAULT_VOICE_MS: u64 = 3_000;

fn default_voice_ms() -> u64 {
    DEFAULT_VOICE_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Start,
    Play,
    /// Number collection: DTMF digits.
    CollectDigits,
    /// Voice collection: speech recognition.
    CollectSpeech,
    Condition,
    Webhook,
    Queue,
    Voicemail,
    Hangup,
    End,
}

impl NodeKind {
    /// The document's return code for an error in a node of this kind. Voicemail and end nodes
    /// have none of their own, so they answer the generic 200002 "Parameter error".
    pub fn code(self) -> &'static str {
        match self {
            NodeKind::Start => "200005",
            NodeKind::Condition => "200006",
            NodeKind::Play => "200007",
            NodeKind::CollectSpeech => "200008",
            NodeKind::Queue => "200009",
            NodeKind::Webhook => "200010",
            NodeKind::CollectDigits => "200011",
            NodeKind::Hangup => "200018",
            NodeKind::Voicemail | NodeKind::End => "200002",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Start => "start",
            NodeKind::Play => "play",
            NodeKind::CollectDigits => "collect_digits",
            NodeKind::CollectSpeech => "collect_speech",
            NodeKind::Condition => "condition",
            NodeKind::Webhook => "webhook",
            NodeKind::Queue => "queue",
            NodeKind::Voicemail => "voicemail",
            NodeKind::Hangup => "hangup",
            NodeKind::End => "end",
        }
    }
}

/// One branch of a condition or webhook node: the first branch whose test holds is taken.
/// Exactly one test per branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// The digits last collected equal this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    /// The text last recognised contains this (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_contains: Option<String>,
    /// The call variable of this name (callback2ivr `variables`, or a webhook answer stored
    /// with `store_as`) equals `equals`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    pub next: String,
}

/// A node. One flat shape for every kind (the fields a kind does not use are left out), so a
/// flow reads the same in a fixture, an admin body and a call's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    /// Where the flow goes after this node (every kind but condition, queue, hangup and end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Play: the voice played (required). Collection nodes: a prompt played first. Hangup: a
    /// goodbye played before the line drops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    /// Number collection: the most digits taken (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    /// Number collection: the key that ends input early (`#` by default); not kept in the digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminator: Option<String>,
    /// Collection nodes: how long the caller has after the prompt (default 5000 ms); webhook:
    /// how long the URL has to answer (default 3000 ms, at most 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Collection nodes: where to go when nothing was collected (default `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_timeout: Option<String>,
    /// Condition and webhook nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<Branch>,
    /// Condition: where to go when no branch holds (required unless `next` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<String>,
    /// Webhook: the URL the call's data is POSTed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook: the variable the answer is stored under (its top-level fields as `name.field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_as: Option<String>,
    /// Webhook: where to go when the URL does not answer 2xx JSON in time. Without it the call
    /// hangs up with cause `webhook_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// Queue: the queue entered; the ACD takes over from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Voicemail: the longest message recorded (default 60000 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
    /// Hangup: the hangup cause the call's events carry (default `ivr_hangup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrFlow {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// The relay numbers whose inbound calls (and callback2ivr calls) run this flow.
    #[serde(default)]
    pub numbers: Vec<String>,
    pub nodes: Vec<Node>,
}

impl IvrFlow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn start(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.kind == NodeKind::Start)
    }
}

pub const DEFAULT_MAX_DIGITS: u32 = 1;
pub const DEFAULT_COLLECT_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_WEBHOOK_TIMEOUT_MS: u64 = 3_000;
pub const MAX_WEBHOOK_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_VOICEMAIL_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

/// Why a flow was refused: the document's code, the flow and node at fault, and a message that
/// names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrError {
    pub code: &'static str,
    pub flow: String,
    pub node: Option<String>,
    pub message: String,
}

impl std::fmt::Display for IvrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn node_error(flow: &IvrFlow, node: &Node, what: String) -> IvrError {
    IvrError {
        code: node.kind.code(),
        flow: flow.id.clone(),
        node: Some(node.id.clone()),
        message: format!(
            "{} node {:?} of flow {:?}: {what}",
            node.kind.name(),
            node.id,
            flow.id
        ),
    }
}

/// Checks every flow of a tenant against itself, the tenant's voices, queues and relay numbers.
pub fn validate(t: &Tenant) -> Result<(), IvrError> {
    let mut bound: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, flow) in &t.ivr_flows {
        if key != &flow.id {
            return Err(IvrError {
                code: "200002",
                flow: flow.id.clone(),
                node: None,
                message: format!("flow key {key} differs from its id {:?}", flow.id),
            });
        }
        validate_flow(t, flow)?;
        for n in &flow.numbers {
            // Udesk flows hang off the app's relay numbers; NXCloud and Huawei numbers are not
            // modelled, so any number goes there.
            if t.vendor() == Vendor::Udesk && !t.relay_numbers.contains(n) {
                return Err(IvrError {
                    code: "100005",
                    flow: flow.id.clone(),
                    node: None,
                    message: format!(
                        "flow {:?}: {n} is not one of the app's relay numbers",
                        flow.id
                    ),
                });
            }
            if let Some(other) = bound.insert(n, &flow.id) {
                return Err(IvrError {
                    code: "100015",
                    flow: flow.id.clone(),
                    node: None,
                    message: format!("flow {:?}: number {n} already runs flow {other:?}", flow.id),
                });
            }
        }
    }
    Ok(())
}

impl Tenant {
    /// Replaces the tenant's IVR flows (and its voice list, when given), all or nothing: a
    /// refused flow leaves the old ones in place.
    pub fn replace_ivr_flows(
        &mut self,
        flows: Vec<IvrFlow>,
        voices: Option<Vec<Voice>>,
    ) -> Result<(), super::ModelError> {
        let twice = |what: &str, id: &str| {
            super::ModelError::Ivr(IvrError {
                code: "200002",
                flow: id.to_string(),
                node: None,
                message: format!("{what} {id:?} appears twice"),
            })
        };
        let mut new_flows = BTreeMap::new();
        for f in flows {
            let id = f.id.clone();
            if new_flows.insert(id.clone(), f).is_some() {
                return Err(twice("flow", &id));
            }
        }
        let new_voices = match voices {
            Some(list) => {
                let mut m = BTreeMap::new();
                for v in list {
                    let id = v.id.clone();
                    if m.insert(id.clone(), v).is_some() {
                        return Err(twice("voice", &id));
                    }
                }
                Some(m)
            }
            None => None,
        };
        let old_flows = std::mem::replace(&mut self.ivr_flows, new_flows);
        let old_voices = new_voices.map(|v| std::mem::replace(&mut self.voices, v));
        if let Err(e) = validate(self) {
            self.ivr_flows = old_flows;
            if let Some(v) = old_voices {
                self.voices = v;
            }
            return Err(super::ModelError::Ivr(e));
        }
        Ok(())
    }
}

/// The flow a call to `number` runs, if any.
pub fn flow_for<'a>(t: &'a Tenant, number: &str) -> Option<&'a IvrFlow> {
    t.ivr_flows
        .values()
        .find(|f| f.numbers.iter().any(|n| n == number))
}

fn validate_flow(t: &Tenant, flow: &IvrFlow) -> Result<(), IvrError> {
    let whole = |code: &'static str, message: String| IvrError {
        code,
        flow: flow.id.clone(),
        node: None,
        message,
    };
    if flow.id.is_empty() {
        return Err(whole("200002", "a flow needs an id".into()));
    }
    let mut ids = BTreeSet::new();
    for n in &flow.nodes {
        if n.id.is_empty() {
            return Err(node_error(flow, n, "a node needs an id".into()));
        }
        if !ids.insert(n.id.as_str()) {
            return Err(node_error(flow, n, "two nodes have this id".into()));
        }
    }
    let starts: Vec<&Node> = flow
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Start)
        .collect();
    if starts.is_empty() {
        return Err(whole(
            "200024",
            format!("flow {:?} has no start node", flow.id),
        ));
    }
    if !flow.nodes.iter().any(|n| n.kind == NodeKind::End) {
        return Err(whole(
            "200024",
            format!("flow {:?} has no end node", flow.id),
        ));
    }
    if let Some(second) = starts.get(1) {
        return Err(node_error(
            flow,
            second,
            format!(
                "a flow has one start node; {:?} is one already",
                starts[0].id
            ),
        ));
    }
    for n in &flow.nodes {
        validate_node(t, flow, n, &ids)?;
    }
    Ok(())
}

fn validate_node(
    t: &Tenant,
    flow: &IvrFlow,
    n: &Node,
    ids: &BTreeSet<&str>,
) -> Result<(), IvrError> {
    let err = |what: String| node_error(flow, n, what);
    let target = |field: &str, to: &Option<String>, required: bool| -> Result<(), IvrError> {
        match to {
            None if required => Err(err(format!("{field} is required"))),
            Some(to) if !ids.contains(to.as_str()) => {
                Err(err(format!("{field} {to:?} names no node of the flow")))
            }
            Some(to) if to == &n.id => Err(err(format!("{field} leads back to the node itself"))),
            _ => Ok(()),
        }
    };
    let none = |field: &str, set: bool| -> Result<(), IvrError> {
        if set {
            Err(err(format!("a {} node has no {field}", n.kind.name())))
        } else {
            Ok(())
        }
    };
    if let Some(v) = &n.voice {
        if !t.voices.contains_key(v) {
            return Err(IvrError {
                code: "100007",
                flow: flow.id.clone(),
                node: Some(n.id.clone()),
                message: format!(
                    "{} node {:?} of flow {:?}: voice {v:?} is not in the app's voice list",
                    n.kind.name(),
                    n.id,
                    flow.id
                ),
            });
        }
    }
    let collects = matches!(n.kind, NodeKind::CollectDigits | NodeKind::CollectSpeech);
    if !collects {
        none("on_timeout", n.on_timeout.is_some())?;
        none("max_digits", n.max_digits.is_some())?;
        none("terminator", n.terminator.is_some())?;
    }
    if n.kind != NodeKind::Webhook {
        none("url", n.url.is_some())?;
        none("store_as", n.store_as.is_some())?;
        none("on_failure", n.on_failure.is_some())?;
        if n.kind != NodeKind::Condition {
            none("branches", !n.branches.is_empty())?;
            none("otherwise", n.otherwise.is_some())?;
        }
    }
    if n.kind != NodeKind::Queue {
        none("queue", n.queue.is_some())?;
    }
    if n.kind != NodeKind::Voicemail {
        none("max_ms", n.max_ms.is_some())?;
    }
    if n.kind != NodeKind::Hangup {
        none("cause", n.cause.is_some())?;
    }
    if !collects && n.kind != NodeKind::Webhook {
        none("timeout_ms", n.timeout_ms.is_some())?;
    }
    match n.kind {
        NodeKind::Start => {
            none("voice", n.voice.is_some())?;
            target("next", &n.next, true)
        }
        NodeKind::Play => {
            if n.voice.is_none() {
                return Err(err("a play node names the voice it plays".into()));
            }
            target("next", &n.next, true)
        }
        NodeKind::CollectDigits | NodeKind::CollectSpeech => {
            if n.kind == NodeKind::CollectDigits {
                if let Some(m) = n.max_digits {
                    if !(1..=32).contains(&m) {
                        return Err(err(format!("max_digits {m} must be from 1 to 32")));
                    }
                }
                if let Some(k) = &n.terminator {
                    if k.len() != 1
                        || !k
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
                    {
                        return Err(err(format!(
                            "terminator {k:?} must be one key: 0-9, * or #"
                        )));
                    }
                }
            } else {
                none("max_digits", n.max_digits.is_some())?;
                none("terminator", n.terminator.is_some())?;
            }
            if n.timeout_ms.is_some_and(|ms| ms == 0 || ms > DAY_MS) {
                return Err(err("timeout_ms must be from 1 ms to a day".into()));
            }
            target("next", &n.next, true)?;
            target("on_timeout", &n.on_timeout, false)
        }
        NodeKind::Condition => {
            none("voice", n.voice.is_some())?;
            if n.branches.is_empty() {
                return Err(err("a condition node needs at least one branch".into()));
            }
            branches(flow, n, ids)?;
            if n.otherwise.is_none() && n.next.is_none() {
                return Err(err(
                    "otherwise (where to go when no branch holds) is required".into(),
                ));
            }
            target("otherwise", &n.otherwise, false)?;
            target("next", &n.next, false)
        }
        NodeKind::Webhook => {
            none("voice", n.voice.is_some())?;
            let url = n.url.as_deref().unwrap_or_default();
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                return Err(err(format!(
                    "url {url:?} must be an http:// or https:// URL"
                )));
            }
            if n.timeout_ms
                .is_some_and(|ms| ms == 0 || ms > MAX_WEBHOOK_TIMEOUT_MS)
            {
                return Err(err(format!(
                    "timeout_ms must be from 1 to {MAX_WEBHOOK_TIMEOUT_MS} ms"
                )));
            }
            if n.store_as.as_deref() == Some("") {
                return Err(err("store_as must name a variable".into()));
            }
            branches(flow, n, ids)?;
            target("next", &n.next, true)?;
            target("on_failure", &n.on_failure, false)
        }
        NodeKind::Queue => {
            none("voice", n.voice.is_some())?;
            none("next", n.next.is_some())?;
            match &n.queue {
                None => Err(err("a queue node names the queue it enters".into())),
                Some(q) if !t.queues.contains_key(q) => {
                    Err(err(format!("queue {q:?} is not one of the app's queues")))
                }
                Some(_) => Ok(()),
            }
        }
        NodeKind::Voicemail => {
            if n.max_ms.is_some_and(|ms| ms == 0 || ms > DAY_MS) {
                return Err(err("max_ms must be from 1 ms to a day".into()));
            }
            target("next", &n.next, true)
        }
        NodeKind::Hangup => {
            if n.next.is_some() {
                return Err(err("a hangup node ends the call; it has no next".into()));
            }
            if n.cause.as_deref() == Some("") {
                return Err(err("cause must not be empty".into()));
            }
            Ok(())
        }
        NodeKind::End => {
            none("voice", n.voice.is_some())?;
            none("next", n.next.is_some())
        }
    }
}

fn branches(flow: &IvrFlow, n: &Node, ids: &BTreeSet<&str>) -> Result<(), IvrError> {
    for (i, b) in n.branches.iter().enumerate() {
        let tests = [
            b.digits.is_some(),
            b.text_contains.is_some(),
            b.variable.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if tests != 1 {
            return Err(node_error(
                flow,
                n,
                format!("branch {i} must test one of digits, text_contains or variable"),
            ));
        }
        if b.variable.is_some() != b.equals.is_some() {
            return Err(node_error(
                flow,
                n,
                format!("branch {i}: variable and equals go together"),
            ));
        }
        if !ids.contains(b.next.as_str()) {
            return Err(node_error(
                flow,
                n,
                format!(
                    "branch {i} leads to {:?}, which names no node of the flow",
                    b.next
                ),
            ));
        }
    }
    Ok(())
}

/// Parses callback2ivr's `variables`: a JSON text holding a list of `{"key","type","value"}`
/// (the document's example spells the first `"key/"`, accepted too) or a plain object of
/// name → value. Values are kept as text, as an IVR compares them.
pub fn parse_variables(text: &str) -> Result<BTreeMap<String, String>, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("variables is not JSON text: {e}"))?;
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = BTreeMap::new();
    match v {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = item
                    .get("key")
                    .or_else(|| item.get("key/"))
                    .and_then(|k| k.as_str())
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| format!("variables[{i}] has no key"))?;
                let value = item
                    .get("value")
                    .ok_or_else(|| format!("variables[{i}] ({key}) has no value"))?;
                out.insert(key.to_string(), as_text(value));
            }
        }
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.insert(k, as_text(&v));
            }
        }
        _ => {
            return Err(
                "variables must be a JSON list of {\"key\",\"type\",\"value\"} (or an object)"
                    .into(),
            )
        }
    }
    if out.len() > 100 {
        return Err("variables holds more than 100 entries".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture::DEFAULT_FIXTURE;

    fn udesk() -> Tenant {
        let m = crate::model::fixture::parse(DEFAULT_FIXTURE).unwrap();
        m.tenants
            .values()
            .find(|t| t.vendor() == Vendor::Udesk)
            .unwrap()
            .clone()
    }

    fn flow(nodes: serde_json::Value) -> IvrFlow {
        serde_json::from_value(serde_json::json!({"id": "f", "nodes": nodes})).unwrap()
    }

    fn check(nodes: serde_json::Value) -> Result<(), IvrError> {
        let mut t = udesk();
        let f = flow(nodes);
        t.ivr_flows.insert(f.id.clone(), f);
        validate(&t)
    }

    #[test]
    fn each_fault_gets_its_node_kinds_code_and_names_the_node() {
        use serde_json::json;
        let e = check(json!([{"id": "e", "kind": "end"}])).unwrap_err();
        assert_eq!(e.code, "200024");
        let e = check(json!([{"id": "s", "kind": "start", "next": "e"}])).unwrap_err();
        assert_eq!(e.code, "200024");
        let e =
            check(json!([{"id": "s", "kind": "start", "next": "x"}, {"id": "e", "kind": "end"}]))
                .unwrap_err();
        assert_eq!((e.code, e.node.as_deref()), ("200005", Some("s")));
        let e = check(json!([
            {"id": "s", "kind": "start", "next": "p"},
            {"id": "p", "kind": "play", "voice": "nope", "next": "e"},
            {"id": "e", "kind": "end"}]))
        .unwrap_err();
        assert_eq!(e.code, "100007");
        assert!(
            e.message.contains("\"p\"") && e.message.contains("nope"),
            "{e}"
        );
        for (kind, extra, code) in [
            ("play", json!({}), "200007"),
            ("collect_digits", json!({}), "200011"),
            ("collect_speech", json!({}), "200008"),
            ("webhook", json!({"url": "http://127.0.0.1:9/x"}), "200010"),
            ("voicemail", json!({}), "200002"),
        ] {
            let mut n = json!({"id": "n", "kind": kind, "next": "gone"});
            for (k, v) in extra.as_object().unwrap() {
                n[k] = v.clone();
            }
            let e = check(
                json!([{"id": "s", "kind": "start", "next": "n"}, n, {"id": "e", "kind": "end"}]),
            )
            .unwrap_err();
            assert_eq!(
                (e.code, e.node.as_deref()),
                (code, Some("n")),
                "{kind}: {e}"
            );
        }
        let e = check(json!([
            {"id": "s", "kind": "start", "next": "c"},
            {"id": "c", "kind": "condition", "branches": [{"digits": "1", "next": "gone"}], "otherwise": "e"},
            {"id": "e", "kind": "end"}]))
        .unwrap_err();
        assert_eq!((e.code, e.node.as_deref()), ("200006", Some("c")));
        let e = check(json!([
            {"id": "s", "kind": "start", "next": "q"},
            {"id": "q", "kind": "queue", "queue": "no-such-queue"},
            {"id": "e", "kind": "end"}]))
        .unwrap_err();
        assert_eq!((e.code, e.node.as_deref()), ("200009", Some("q")));
        let e = check(json!([
            {"id": "s", "kind": "start", "next": "h"},
            {"id": "h", "kind": "hangup", "next": "e"},
            {"id": "e", "kind": "end"}]))
        .unwrap_err();
        assert_eq!((e.code, e.node.as_deref()), ("200018", Some("h")));
        check(json!([
            {"id": "s", "kind": "start", "next": "q"},
            {"id": "q", "kind": "queue", "queue": "9001"},
            {"id": "e", "kind": "end"}]))
        .unwrap();
    }

    #[test]
    fn variables_parse_in_the_documents_form_and_refuse_garbage() {
        let v = parse_variables(
            r#"[{"key/": "extemalNumber","type":"string","value":"13800000000"},{"key":"vip","type":"number","value":1}]"#,
        )
        .unwrap();
        assert_eq!(v["extemalNumber"], "13800000000");
        assert_eq!(v["vip"], "1");
        assert!(parse_variables("[{").unwrap_err().contains("not JSON"));
        assert!(parse_variables("7").is_err());
        assert!(parse_variables(r#"[{"value": 1}]"#)
            .unwrap_err()
            .contains("no key"));
    }
}
