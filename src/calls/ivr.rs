//! Running an IVR flow (`model::ivr`) for one call: a small interpreter with no clock, lock or
//! agenda of its own. It is told what happened (the call reached a node, a timer fired, keys were
//! pressed, words were said, a webhook answered) and answers what follows as a list of
//! [`Out`]s — steps for the call's history, call events, a timer to set, or the way the call
//! leaves the IVR (a queue, or its end) — which the simulation applies at the instant given.
//! Keeping it pure keeps the flow logic testable without a running emulator.

use super::script::CallerScript;
use crate::model::ivr::{
    Branch, IvrFlow, Node, NodeKind, DEFAULT_COLLECT_TIMEOUT_MS, DEFAULT_MAX_DIGITS,
    DEFAULT_VOICEMAIL_MS, DEFAULT_WEBHOOK_TIMEOUT_MS,
};
use crate::model::Tenant;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What the current node waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// A voice plays (play node, or a hangup node's goodbye).
    Playing,
    Digits,
    Speech,
    Webhook,
    /// The caller records a message.
    Recording,
}

/// Where a call is in its flow; kept on the call (and in the state file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IvrState {
    pub flow: String,
    pub node: Option<String>,
    pub waiting: Option<Waiting>,
    /// Digits gathered so far by the current number collection.
    pub digits: String,
    pub last_digits: Option<String>,
    pub last_text: Option<String>,
    /// Counts node entries: a timer or webhook answer for an earlier one is stale.
    pub gen: u32,
    /// Every node the call reached, in order.
    pub visited: Vec<String>,
}

/// What the simulation does next, in order, at the instant it was asked at unless one says
/// otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A history step (`name` like `ivr_node`, `keys_ignored`).
    Step { name: String, detail: String },
    /// A call event (`play`, `dtmf`, `asr`, `voicemail`: Udesk's play_succ, dtmf_gather_succ,
    /// asr_gather_succ, voice_mail_succ), with the fields it adds to the call's own.
    Event { name: &'static str, data: Value },
    /// Call back with [`timer`] at this instant, for node entry `gen`.
    Timer { at_ms: i64, gen: u32 },
    /// POST the call's data to `url`, and call back with [`webhook_answer`] within
    /// `timeout_ms`.
    Webhook {
        url: String,
        body: Value,
        timeout_ms: u64,
        gen: u32,
    },
    /// The call leaves the IVR for this queue (the ACD takes over).
    Queue(String),
    /// The call ends in the IVR.
    End { cause: String, by_caller: bool },
}

/// Instant node hops without a timer before the flow is judged a loop and the call dropped.
const MAX_HOPS: u32 = 1000;

pub struct Ctx<'a> {
    pub tenant: &'a Tenant,
    pub flow: &'a IvrFlow,
    pub script: Option<&'a CallerScript>,
    pub variables: &'a mut BTreeMap<String, String>,
    pub call_id: &'a str,
    pub caller: &'a str,
    pub callee: &'a str,
}

fn voice_ms(t: &Tenant, voice: Option<&String>) -> i64 {
    voice
        .and_then(|v| t.voices.get(v))
        .map_or(0, |v| v.duration_ms as i64)
}

fn node_data(n: &Node) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ivr_node".into(), n.id.clone().into());
    m.insert("ivr_node_kind".into(), n.kind.name().into());
    m
}

/// The call reaches the flow's start.
pub fn begin(cx: &mut Ctx, st: &mut IvrState, at: i64) -> Vec<Out> {
    st.flow = cx.flow.id.clone();
    let start = cx.flow.start().map(|n| n.id.clone()).unwrap_or_default();
    let mut out = Vec::new();
    enter(cx, st, &start, at, &mut out);
    out
}

/// Enters `id` and runs on through nodes that take no time.
fn enter(cx: &mut Ctx, st: &mut IvrState, id: &str, at: i64, out: &mut Vec<Out>) {
    let mut id = id.to_string();
    for _ in 0..MAX_HOPS {
        let Some(n) = cx.flow.node(&id) else {
            // Validation makes this unreachable; a flow replaced mid-call could still get here.
            out.push(Out::End {
                cause: "ivr_node_missing".into(),
                by_caller: false,
            });
            return;
        };
        st.gen = st.gen.wrapping_add(1);
        st.node = Some(n.id.clone());
        st.waiting = None;
        st.digits.clear();
        st.visited.push(n.id.clone());
        out.push(Out::Step {
            name: "ivr_node".into(),
            detail: format!("{} {}", n.kind.name(), n.id),
        });
        if cx.script.and_then(|s| s.hangup_at_node.as_deref()) == Some(n.id.as_str()) {
            out.push(Out::End {
                cause: "caller_hangup".into(),
                by_caller: true,
            });
            return;
        }
        let next = match n.kind {
            NodeKind::Start => n.next.clone(),
            NodeKind::Condition => Some(
                choose(st, cx.variables, &n.branches)
                    .unwrap_or_else(|| n.otherwise.clone().or(n.next.clone()).unwrap_or_default()),
            ),
            NodeKind::Play => {
                st.waiting = Some(Waiting::Playing);
                let ms = voice_ms(cx.tenant, n.voice.as_ref());
                out.push(Out::Timer {
                    at_ms: at + ms,
                    gen: st.gen,
                });
                None
            }
            NodeKind::CollectDigits | NodeKind::CollectSpeech => {
                st.waiting = Some(if n.kind == NodeKind::CollectDigits {
                    Waiting::Digits
                } else {
                    Waiting::Speech
                });
                let ms = voice_ms(cx.tenant, n.voice.as_ref())
                    + n.timeout_ms.unwrap_or(DEFAULT_COLLECT_TIMEOUT_MS) as i64;
                out.push(Out::Timer {
                    at_ms: at + ms,
                    gen: st.gen,
                });
                None
            }
            NodeKind::Webhook => {
                st.waiting = Some(Waiting::Webhook);
                out.push(Out::Webhook {
                    url: n.url.clone().unwrap_or_default(),
                    body: webhook_body(cx, st, n),
                    timeout_ms: n.timeout_ms.unwrap_or(DEFAULT_WEBHOOK_TIMEOUT_MS),
                    gen: st.gen,
                });
                None
            }
            NodeKind::Queue => {
                out.push(Out::Queue(n.queue.clone().unwrap_or_default()));
                return;
            }
            NodeKind::Voicemail => {
                let prompt = voice_ms(cx.tenant, n.voice.as_ref());
                match cx.script.and_then(|s| s.voicemail_ms) {
                    Some(ms) => {
                        st.waiting = Some(Waiting::Recording);
                        let ms = ms.min(n.max_ms.unwrap_or(DEFAULT_VOICEMAIL_MS)) as i64;
                        out.push(Out::Timer {
                            at_ms: at + prompt + ms,
                            gen: st.gen,
                        });
                    }
                    None => {
                        // No message: the caller hangs up at the beep.
                        out.push(Out::End {
                            cause: "caller_hangup".into(),
                            by_caller: true,
                        });
                        return;
                    }
                }
                None
            }
            NodeKind::Hangup => {
                let ms = voice_ms(cx.tenant, n.voice.as_ref());
                if ms > 0 {
                    st.waiting = Some(Waiting::Playing);
                    out.push(Out::Timer {
                        at_ms: at + ms,
                        gen: st.gen,
                    });
                    None
                } else {
                    out.push(Out::End {
                        cause: n.cause.clone().unwrap_or_else(|| "ivr_hangup".into()),
                        by_caller: false,
                    });
                    return;
                }
            }
            NodeKind::End => {
                out.push(Out::End {
                    cause: "ivr_end".into(),
                    by_caller: false,
                });
                return;
            }
        };
        match next {
            Some(next) => id = next,
            None => return,
        }
    }
    out.push(Out::End {
        cause: "ivr_loop".into(),
        by_caller: false,
    });
}

fn choose(st: &IvrState, vars: &BTreeMap<String, String>, branches: &[Branch]) -> Option<String> {
    branches
        .iter()
        .find(|b| {
            if let Some(d) = &b.digits {
                return st.last_digits.as_deref() == Some(d.as_str());
            }
            if let Some(t) = &b.text_contains {
                return st
                    .last_text
                    .as_deref()
                    .is_some_and(|x| x.to_lowercase().contains(&t.to_lowercase()));
            }
            match (&b.variable, &b.equals) {
                (Some(v), Some(e)) => vars.get(v) == Some(e),
                _ => false,
            }
        })
        .map(|b| b.next.clone())
}

fn webhook_body(cx: &Ctx, st: &IvrState, n: &Node) -> Value {
    json!({
        "call_id": cx.call_id,
        "caller": cx.caller,
        "callee": cx.callee,
        "flow": cx.flow.id,
        "node": n.id,
        "digits": st.last_digits,
        "text": st.last_text,
        "variables": cx.variables,
    })
}

fn current<'a>(cx: &Ctx<'a>, st: &IvrState) -> Option<&'a Node> {
    st.node.as_deref().and_then(|id| cx.flow.node(id))
}

/// The node's timer fires: a play ends, a collection times out, a message is recorded.
pub fn timer(cx: &mut Ctx, st: &mut IvrState, gen: u32, at: i64) -> Vec<Out> {
    let mut out = Vec::new();
    if gen != st.gen {
        return out;
    }
    let Some(n) = current(cx, st) else {
        return out;
    };
    match (n.kind, st.waiting) {
        (NodeKind::Play, Some(Waiting::Playing)) => {
            let mut data = node_data(n);
            let voice = n.voice.clone().unwrap_or_default();
            let name = cx
                .tenant
                .voices
                .get(&voice)
                .map(|v| v.name.clone())
                .unwrap_or_default();
            data.insert("voice_id".into(), voice.into());
            data.insert("voice_name".into(), name.into());
            out.push(Out::Event {
                name: "play",
                data: Value::Object(data),
            });
            let next = n.next.clone().unwrap_or_default();
            enter(cx, st, &next, at, &mut out);
        }
        (NodeKind::Hangup, Some(Waiting::Playing)) => out.push(Out::End {
            cause: n.cause.clone().unwrap_or_else(|| "ivr_hangup".into()),
            by_caller: false,
        }),
        (NodeKind::CollectDigits, Some(Waiting::Digits)) => {
            if st.digits.is_empty() {
                out.push(Out::Step {
                    name: "ivr_timeout".into(),
                    detail: format!("no digits at {}", n.id),
                });
                st.last_digits = Some(String::new());
                let next = n.on_timeout.clone().or(n.next.clone()).unwrap_or_default();
                enter(cx, st, &next, at, &mut out);
            } else {
                gathered(cx, st, n, at, &mut out);
            }
        }
        (NodeKind::CollectSpeech, Some(Waiting::Speech)) => {
            out.push(Out::Step {
                name: "ivr_timeout".into(),
                detail: format!("nothing said at {}", n.id),
            });
            st.last_text = Some(String::new());
            let next = n.on_timeout.clone().or(n.next.clone()).unwrap_or_default();
            enter(cx, st, &next, at, &mut out);
        }
        (NodeKind::Voicemail, Some(Waiting::Recording)) => {
            let mut data = node_data(n);
            let ms = cx
                .script
                .and_then(|s| s.voicemail_ms)
                .unwrap_or(0)
                .min(n.max_ms.unwrap_or(DEFAULT_VOICEMAIL_MS));
            data.insert("voicemail_duration".into(), (ms / 1000).into());
            data.insert(
                "voicemail_file".into(),
                format!("voicemail/{}.wav", cx.call_id).into(),
            );
            out.push(Out::Event {
                name: "voicemail",
                data: Value::Object(data),
            });
            let next = n.next.clone().unwrap_or_default();
            enter(cx, st, &next, at, &mut out);
        }
        _ => {}
    }
    out
}

fn gathered(cx: &mut Ctx, st: &mut IvrState, n: &Node, at: i64, out: &mut Vec<Out>) {
    let digits = std::mem::take(&mut st.digits);
    let mut data = node_data(n);
    data.insert("digits".into(), digits.clone().into());
    out.push(Out::Event {
        name: "dtmf",
        data: Value::Object(data),
    });
    st.last_digits = Some(digits);
    let next = n.next.clone().unwrap_or_default();
    enter(cx, st, &next, at, out);
}

/// The caller presses `keys`. Keys while no number collection listens are ignored, and the
/// history says so.
pub fn keys(cx: &mut Ctx, st: &mut IvrState, keys: &str, at: i64) -> Vec<Out> {
    let mut out = Vec::new();
    let Some(n) = current(cx, st).filter(|_| st.waiting == Some(Waiting::Digits)) else {
        out.push(Out::Step {
            name: "keys_ignored".into(),
            detail: format!(
                "{keys}: no number collection is listening{}",
                st.node
                    .as_deref()
                    .map(|n| format!(" (at node {n})"))
                    .unwrap_or_default()
            ),
        });
        return out;
    };
    let max = n.max_digits.unwrap_or(DEFAULT_MAX_DIGITS) as usize;
    let terminator = n.terminator.as_deref().unwrap_or("#");
    for (i, k) in keys.char_indices() {
        if st.waiting != Some(Waiting::Digits) || st.node.as_deref() != Some(n.id.as_str()) {
            out.push(Out::Step {
                name: "keys_ignored".into(),
                detail: format!("{}: pressed after {} had its digits", &keys[i..], n.id),
            });
            break;
        }
        if terminator.starts_with(k) {
            gathered(cx, st, n, at, &mut out);
            continue;
        }
        st.digits.push(k);
        if st.digits.len() >= max {
            gathered(cx, st, n, at, &mut out);
        }
    }
    out
}

/// The caller says `text`; a voice collection listening hears it.
pub fn say(cx: &mut Ctx, st: &mut IvrState, text: &str, at: i64) -> Vec<Out> {
    let mut out = Vec::new();
    let Some(n) = current(cx, st).filter(|_| st.waiting == Some(Waiting::Speech)) else {
        out.push(Out::Step {
            name: "speech_ignored".into(),
            detail: format!("{text:?}: no voice collection is listening"),
        });
        return out;
    };
    let mut data = node_data(n);
    data.insert("text".into(), text.into());
    out.push(Out::Event {
        name: "asr",
        data: Value::Object(data),
    });
    st.last_text = Some(text.to_string());
    let next = n.next.clone().unwrap_or_default();
    enter(cx, st, &next, at, &mut out);
    out
}

/// A webhook node's answer: `Ok(body)` for a 2xx answer, `Err(why)` for anything else (no
/// answer in time, a refused connection, a non-2xx status, a body that is not JSON).
pub fn webhook_answer(
    cx: &mut Ctx,
    st: &mut IvrState,
    gen: u32,
    answer: Result<Value, String>,
    at: i64,
) -> Vec<Out> {
    let mut out = Vec::new();
    if gen != st.gen || st.waiting != Some(Waiting::Webhook) {
        return out;
    }
    let Some(n) = current(cx, st) else {
        return out;
    };
    match answer {
        Ok(body) => {
            out.push(Out::Step {
                name: "webhook_answered".into(),
                detail: format!("{}: {}", n.id, truncate(&body.to_string(), 200)),
            });
            if let Some(name) = &n.store_as {
                let text = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                cx.variables.insert(name.clone(), text(&body));
                if let Value::Object(m) = &body {
                    for (k, v) in m.iter().take(50) {
                        cx.variables.insert(format!("{name}.{k}"), text(v));
                    }
                }
            }
            let next = choose(st, cx.variables, &n.branches)
                .or(n.next.clone())
                .unwrap_or_default();
            enter(cx, st, &next, at, &mut out);
        }
        Err(why) => {
            out.push(Out::Step {
                name: "webhook_failed".into(),
                detail: format!("{}: {}", n.id, truncate(&why, 200)),
            });
            match n.on_failure.clone() {
                Some(next) => enter(cx, st, &next, at, &mut out),
                None => out.push(Out::End {
                    cause: "webhook_failed".into(),
                    by_caller: false,
                }),
            }
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture::{parse, DEFAULT_FIXTURE};
    use crate::model::Vendor;

    fn tenant() -> Tenant {
        let m = parse(DEFAULT_FIXTURE).unwrap();
        let mut t = m
            .tenants
            .values()
            .find(|t| t.vendor() == Vendor::Udesk)
            .unwrap()
            .clone();
        t.voices.insert(
            "menu".into(),
            serde_json::from_value(json!({"id": "menu", "name": "Menu", "duration_ms": 4000}))
                .unwrap(),
        );
        t
    }

    fn flow() -> IvrFlow {
        serde_json::from_value(json!({"id": "f", "nodes": [
            {"id": "s", "kind": "start", "next": "p"},
            {"id": "p", "kind": "play", "voice": "menu", "next": "d"},
            {"id": "d", "kind": "collect_digits", "max_digits": 2, "next": "c", "on_timeout": "e"},
            {"id": "c", "kind": "condition", "branches": [{"digits": "12", "next": "q"}], "otherwise": "e"},
            {"id": "q", "kind": "queue", "queue": "9001"},
            {"id": "e", "kind": "end"}
        ]}))
        .unwrap()
    }

    #[test]
    fn a_menu_plays_gathers_and_branches_to_a_queue() {
        let t = tenant();
        let f = flow();
        let mut vars = BTreeMap::new();
        let mut cx = Ctx {
            tenant: &t,
            flow: &f,
            script: None,
            variables: &mut vars,
            call_id: "c1",
            caller: "1",
            callee: "2",
        };
        let mut st = IvrState::default();
        let out = begin(&mut cx, &mut st, 0);
        assert_eq!(
            out.last(),
            Some(&Out::Timer {
                at_ms: 4000,
                gen: 2
            })
        );
        let out = keys(&mut cx, &mut st, "1", 1000);
        assert!(out
            .iter()
            .any(|o| matches!(o, Out::Step { name, .. } if name == "keys_ignored")));
        let out = timer(&mut cx, &mut st, 2, 4000);
        assert!(out
            .iter()
            .any(|o| matches!(o, Out::Event { name: "play", .. })));
        let out = keys(&mut cx, &mut st, "12", 5000);
        assert!(out
            .iter()
            .any(|o| matches!(o, Out::Event { name: "dtmf", data } if data["digits"] == "12")));
        assert_eq!(out.last(), Some(&Out::Queue("9001".into())));
        assert_eq!(st.visited, ["s", "p", "d", "c", "q"]);
    }
}
