//! An inbound call in its IVR flow: feeds the interpreter (`ivr`) what happened on the agenda
//! and applies what it answers — history steps, call events, timers, webhook requests, the
//! queue the call enters, or its end in the IVR.

use super::effects::{emit_data, step};
use super::ivr::{self, IvrState, Out};
use super::machine::{enqueue, finish};
use super::sim::Action;
pub use super::sim::WebhookJob;
use super::sim::{schedule, Sim};
use super::spec::HangupBy;
use super::{CallState, Host, Outcome};
use serde_json::Value;

/// The call reaches its flow's start node.
pub(super) fn begin<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    if let Some(c) = sim.calls.get_mut(id) {
        c.state = CallState::Ivr;
    }
    run(sim, host, id, at, |cx, st| ivr::begin(cx, st, at));
}

pub(super) fn timer<H: Host>(sim: &mut Sim, host: &H, id: &str, gen: u32, at: i64) {
    if in_ivr(sim, id) {
        run(sim, host, id, at, |cx, st| ivr::timer(cx, st, gen, at));
    }
}

fn in_ivr(sim: &Sim, id: &str) -> bool {
    sim.calls.get(id).is_some_and(|c| c.state == CallState::Ivr)
}

/// Why input reached no IVR, for the history; `None` when the call is in its IVR.
fn not_listening(sim: &Sim, id: &str) -> Option<String> {
    let c = sim.calls.get(id)?;
    match c.state {
        CallState::Ivr => None,
        CallState::Ended => Some(format!(
            "the call had ended at {}",
            c.end_ms.unwrap_or_default()
        )),
        CallState::Scheduled => Some("the call had not started".into()),
        _ if c.ivr.is_none() => Some("the call has no IVR".into()),
        _ => Some("the call had left its IVR".into()),
    }
}

pub(super) fn keys<H: Host>(sim: &mut Sim, host: &H, id: &str, keys: &str, at: i64) {
    if let Some(why) = not_listening(sim, id) {
        note(sim, id, at, "keys_ignored", format!("{keys}: {why}"));
        return;
    }
    run(sim, host, id, at, |cx, st| ivr::keys(cx, st, keys, at));
}

pub(super) fn say<H: Host>(sim: &mut Sim, host: &H, id: &str, text: &str, at: i64) {
    if let Some(why) = not_listening(sim, id) {
        note(sim, id, at, "speech_ignored", format!("{text:?}: {why}"));
        return;
    }
    run(sim, host, id, at, |cx, st| ivr::say(cx, st, text, at));
}

pub(super) fn webhook_answer<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    gen: u32,
    answer: &Result<String, String>,
    at: i64,
) {
    if !in_ivr(sim, id) {
        return;
    }
    let answer = match answer {
        Ok(text) => {
            serde_json::from_str::<Value>(text).map_err(|e| format!("the answer is not JSON: {e}"))
        }
        Err(e) => Err(e.clone()),
    };
    run(sim, host, id, at, |cx, st| {
        ivr::webhook_answer(cx, st, gen, answer, at)
    });
}

fn note(sim: &mut Sim, id: &str, at: i64, name: &str, detail: String) {
    if let Some(c) = sim.calls.get_mut(id) {
        let mut s = step(name, at, None);
        s.detail = Some(detail);
        c.steps.push(s);
    }
}

/// Runs the interpreter on the call under the model lock (it reads the flow and voices), then
/// applies its answer with the lock let go.
fn run<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    at: i64,
    f: impl FnOnce(&mut ivr::Ctx, &mut IvrState) -> Vec<Out>,
) {
    let outs = {
        let model = host.model();
        let Some(c) = sim.calls.get_mut(id) else {
            return;
        };
        let Some(st) = c.ivr.as_mut() else {
            return;
        };
        let flow = model
            .tenants
            .get(&c.tenant)
            .and_then(|t| Some((t, t.ivr_flows.get(&st.flow)?)));
        match flow {
            Some((tenant, flow)) => {
                let mut cx = ivr::Ctx {
                    tenant,
                    flow,
                    script: c.caller_script.as_ref(),
                    variables: &mut c.variables,
                    call_id: &c.id,
                    caller: &c.caller,
                    callee: &c.callee,
                };
                f(&mut cx, st)
            }
            // The flow was replaced under a call in it.
            None => vec![Out::End {
                cause: "ivr_flow_missing".into(),
                by_caller: false,
            }],
        }
    };
    apply(sim, host, id, at, outs);
}

fn apply<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, outs: Vec<Out>) {
    for o in outs {
        match o {
            Out::Step { name, detail } => note(sim, id, at, &name, detail),
            Out::Event { name, data } => {
                if name == "dtmf" {
                    if let (Some(c), Some(d)) = (sim.calls.get_mut(id), data["digits"].as_str()) {
                        c.dtmf_keys.push_str(d);
                    }
                }
                emit_data(sim, host, id, name, at, data);
            }
            Out::Timer { at_ms, gen } => schedule(sim, at_ms, id, Action::Ivr { gen }),
            Out::Webhook {
                url,
                body,
                timeout_ms,
                gen,
            } => sim.webhooks.push(WebhookJob {
                call: id.to_string(),
                gen,
                url,
                body,
                timeout_ms,
            }),
            Out::Queue(q) => {
                if let Some(c) = sim.calls.get_mut(id) {
                    c.queue = Some(q);
                }
                enqueue(sim, host, id, at);
            }
            Out::End { cause, by_caller } => end(sim, host, id, at, &cause, by_caller),
        }
    }
}

/// The call ends in its IVR: the caller hung up, or a hangup or end node (or a failed webhook)
/// ended it. Its record is a CDR like any other.
pub(super) fn end<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    at: i64,
    cause: &str,
    by_caller: bool,
) {
    {
        let Some(c) = sim.calls.get_mut(id) else {
            return;
        };
        if c.state == CallState::Ended {
            return;
        }
        let voicemail = c.steps.iter().any(|s| s.name == "voicemail");
        c.state = CallState::Ended;
        if c.answer_ms.is_none() {
            c.outcome = Some(if voicemail {
                Outcome::Voicemail
            } else if by_caller {
                Outcome::Abandoned
            } else {
                Outcome::Ivr
            });
        }
        c.end_ms = Some(at);
        c.hangup_by = Some(if by_caller {
            HangupBy::Customer
        } else {
            HangupBy::System
        });
        c.hangup_cause = Some(cause.into());
        if let Some(st) = c.ivr.as_mut() {
            st.waiting = None;
        }
    }
    finish(sim, host, id, at, false);
}
