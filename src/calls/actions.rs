//! What agents and supervisors do on a live call: hold and resume, consult a colleague (then
//! end it, join the three of them, or hand the call over), blind transfer to an agent or a queue,
//! transfer out to a number, listen in, take over. Each moves every agent involved on the shared
//! timeline and emits the call event Udesk names for it (hold_agent_succ, consult_succ,
//! end_consult_succ, three_way_succ, extern_succ, eavesdrop_succ, substitute_succ). An action the
//! call's state does not allow is refused with that state, never half applied.

use super::effects::{emit_data, set_state, state_of, step};
use super::machine::{enqueue, release};
use super::script::{ActionKind, AgentAction};
use super::sim::Action;
use super::sim::{schedule, Sim};
use super::{CallState, Consult, Host, Leg};
use crate::model::AgentState;
use serde_json::{json, Map, Value};

/// Why an action was refused: the admin API answers 404, 409 and 400 for these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotFound(String),
    /// The call's (or an agent's) state does not allow it; the message names the state.
    State(String),
    Invalid(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotFound(m) | Refused::State(m) | Refused::Invalid(m) => f.write_str(m),
        }
    }
}

fn state_name(s: CallState) -> &'static str {
    match s {
        CallState::Scheduled => "scheduled",
        CallState::Ivr => "in its IVR",
        CallState::Queued => "queued",
        CallState::Ringing => "ringing",
        CallState::Talking => "talking",
        CallState::Ended => "ended",
    }
}

/// An action from a call's script: a refusal is noted in its history instead.
pub(super) fn scripted<H: Host>(sim: &mut Sim, host: &H, id: &str, action: &AgentAction, at: i64) {
    if let Err(e) = act(sim, host, id, action, at) {
        if let Some(c) = sim.calls.get_mut(id) {
            let mut s = step("action_refused", at, None);
            s.detail = Some(format!("{}: {e}", action.action.name()));
            c.steps.push(s);
        }
    }
}

/// The agent's fields an event names another agent by (consulted agent, supervisor).
fn agent_data<H: Host>(host: &H, tenant: &str, agent: &str, prefix: &str) -> Map<String, Value> {
    let model = host.model();
    let t = model.tenants.get(tenant);
    let a = t.and_then(|t| t.agents.get(agent));
    let ext = a.and_then(|a| t.and_then(|t| a.call_extension(t)));
    let mut m = Map::new();
    m.insert(format!("{prefix}_id"), agent.into());
    m.insert(
        format!("{prefix}_work_id"),
        a.map(|a| a.work_id.clone()).into(),
    );
    m.insert(
        format!("{prefix}_extension"),
        ext.map(|e| e.extension.clone()).into(),
    );
    m
}

fn agent_exists<H: Host>(host: &H, tenant: &str, agent: &str) -> Result<(), Refused> {
    let model = host.model();
    match model
        .tenants
        .get(tenant)
        .map(|t| t.agents.get(agent).is_some())
    {
        Some(true) => Ok(()),
        _ => Err(Refused::Invalid(format!(
            "agent {agent} not found in tenant {tenant}"
        ))),
    }
}

/// The agent must be free to join: idle (a supervisor may also be busy, as supervisors sit).
fn free<H: Host>(
    host: &H,
    tenant: &str,
    agent: &str,
    at: i64,
    busy_ok: bool,
) -> Result<(), Refused> {
    agent_exists(host, tenant, agent)?;
    match state_of(host, tenant, agent, at) {
        Some(AgentState::Idle) => Ok(()),
        Some(AgentState::Busy) if busy_ok => Ok(()),
        Some(s) => Err(Refused::State(format!(
            "agent {agent} is {}, not idle",
            s.name()
        ))),
        None => Err(Refused::Invalid(format!("agent {agent} not found"))),
    }
}

/// Closes the open leg of `agent` at `at`.
fn close_leg(sim: &mut Sim, id: &str, agent: &str, at: i64) {
    if let Some(c) = sim.calls.get_mut(id) {
        for l in c
            .legs
            .iter_mut()
            .filter(|l| l.agent == agent && l.to_ms.is_none())
        {
            l.to_ms = Some(at);
        }
    }
}

fn open_leg(sim: &mut Sim, id: &str, agent: &str, at: i64) {
    if let Some(c) = sim.calls.get_mut(id) {
        c.legs.push(Leg {
            agent: agent.to_string(),
            from_ms: at,
            to_ms: None,
        });
    }
}

fn note(sim: &mut Sim, id: &str, name: &str, at: i64, agent: Option<&str>, detail: String) {
    if let Some(c) = sim.calls.get_mut(id) {
        let mut s = step(name, at, agent);
        s.detail = Some(detail);
        c.steps.push(s);
    }
}

/// The agent who has the call leaves it (a transfer, an interception): its talk stops, it
/// wraps up.
fn agent_leaves<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) -> Option<String> {
    let agent = sim.calls.get_mut(id)?.agent.take()?;
    close_leg(sim, id, &agent, at);
    release(sim, host, id, &agent, at, true);
    Some(agent)
}

pub(super) fn act<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    action: &AgentAction,
    at: i64,
) -> Result<(), Refused> {
    let Some(c) = sim.calls.get(id) else {
        return Err(Refused::NotFound(format!("call {id} not found")));
    };
    let name = action.action.name();
    if c.state != CallState::Talking {
        return Err(Refused::State(format!(
            "call {id} is {}; {name} needs a call in talk",
            state_name(c.state)
        )));
    }
    let tenant = c.tenant.clone();
    let consult = c.consult.clone();
    let agent = c.agent.clone();
    let held = c.held;
    let no_consult = || {
        match &consult {
        Some(k) => Err(Refused::State(format!(
            "agent {} is being consulted on call {id}; end the consultation or complete the transfer first",
            k.agent
        ))),
        None => Ok(()),
    }
    };
    let has_agent = || {
        agent.clone().ok_or_else(|| {
            Refused::State(format!("call {id} was transferred out; no agent has it"))
        })
    };
    match action.action {
        ActionKind::Hold => {
            has_agent()?;
            if held {
                return Err(Refused::State(format!("call {id} is already on hold")));
            }
            sim.calls.get_mut(id).expect("present").held = true;
            emit_data(sim, host, id, "hold", at, json!({"hold": true}));
        }
        ActionKind::Resume => {
            has_agent()?;
            if !held {
                return Err(Refused::State(format!("call {id} is not on hold")));
            }
            if consult.as_ref().is_some_and(|k| !k.three_way) {
                return Err(Refused::State(format!(
                    "call {id} is held for a consultation; end it or make it three-way"
                )));
            }
            sim.calls.get_mut(id).expect("present").held = false;
            note(
                sim,
                id,
                "resume",
                at,
                agent.as_deref(),
                "the customer is back".into(),
            );
        }
        ActionKind::Consult => {
            let first = has_agent()?;
            no_consult()?;
            let other = action.agent.clone().unwrap_or_default();
            if other == first {
                return Err(Refused::Invalid(format!(
                    "agent {other} has the call; consult another agent"
                )));
            }
            free(host, &tenant, &other, at, false)?;
            if !set_state(sim, host, id, &other, AgentState::Ringing, at) {
                return Err(Refused::State(format!("agent {other} cannot ring now")));
            }
            let ring = {
                let c = sim.calls.get_mut(id).expect("present");
                c.held = true;
                c.consult = Some(Consult {
                    agent: other.clone(),
                    since_ms: at,
                    answered: false,
                    three_way: false,
                });
                c.consulted.push(other.clone());
                c.plan.ring_ms
            };
            note(
                sim,
                id,
                "consult_ringing",
                at,
                Some(&first),
                format!("{other} rings; the customer is held"),
            );
            schedule(sim, at + ring, id, Action::ConsultAnswer { agent: other });
        }
        ActionKind::EndConsult => {
            let Some(k) = consult else {
                return Err(Refused::State(format!(
                    "no consultation is in progress on call {id}"
                )));
            };
            {
                let c = sim.calls.get_mut(id).expect("present");
                c.consult = None;
                c.held = false;
            }
            close_leg(sim, id, &k.agent, at);
            release(sim, host, id, &k.agent, at, false);
            let data = agent_data(host, &tenant, &k.agent, "consulted_agent");
            emit_data(sim, host, id, "end_consult", at, Value::Object(data));
        }
        ActionKind::ThreeWay => {
            let k = match consult {
                Some(k) if k.answered && !k.three_way => k,
                Some(k) if k.three_way => {
                    return Err(Refused::State(format!("call {id} is three-way already")))
                }
                Some(k) => {
                    return Err(Refused::State(format!(
                        "agent {} has not answered the consultation yet",
                        k.agent
                    )))
                }
                None => {
                    return Err(Refused::State(format!(
                        "no consultation is in progress on call {id}"
                    )))
                }
            };
            {
                let c = sim.calls.get_mut(id).expect("present");
                c.held = false;
                if let Some(k) = c.consult.as_mut() {
                    k.three_way = true;
                }
            }
            open_leg(sim, id, &k.agent, at);
            let data = agent_data(host, &tenant, &k.agent, "consulted_agent");
            emit_data(sim, host, id, "three_way", at, Value::Object(data));
        }
        ActionKind::CompleteTransfer => {
            let k = match consult {
                Some(k) if k.answered => k,
                Some(k) => {
                    return Err(Refused::State(format!(
                        "agent {} has not answered the consultation yet",
                        k.agent
                    )))
                }
                None => {
                    return Err(Refused::State(format!(
                        "no consultation is in progress on call {id}"
                    )))
                }
            };
            let from = agent_leaves(sim, host, id, at);
            {
                let c = sim.calls.get_mut(id).expect("present");
                c.consult = None;
                c.held = false;
                c.agent = Some(k.agent.clone());
                c.transfers.push(format!("consult:{}", k.agent));
            }
            if !k.three_way {
                open_leg(sim, id, &k.agent, at);
            }
            note(
                sim,
                id,
                "transfer_completed",
                at,
                Some(&k.agent),
                format!("from {}", from.unwrap_or_default()),
            );
        }
        ActionKind::Transfer => {
            has_agent()?;
            no_consult()?;
            if let Some(q) = &action.queue {
                let known = host
                    .model()
                    .tenants
                    .get(&tenant)
                    .is_some_and(|t| t.queues.contains_key(q));
                if !known {
                    return Err(Refused::Invalid(format!(
                        "queue {q} not found in tenant {tenant}"
                    )));
                }
                let from = agent_leaves(sim, host, id, at);
                {
                    let c = sim.calls.get_mut(id).expect("present");
                    c.held = false;
                    c.queue = Some(q.clone());
                    c.transfers.push(format!("queue:{q}"));
                    c.skipped.clear();
                }
                note(
                    sim,
                    id,
                    "transfer",
                    at,
                    from.as_deref(),
                    format!("to queue {q}"),
                );
                sim.offers.remove(id);
                enqueue(sim, host, id, at);
            } else {
                let to = action.agent.clone().unwrap_or_default();
                if Some(&to) == agent.as_ref() {
                    return Err(Refused::Invalid(format!("agent {to} has the call already")));
                }
                free(host, &tenant, &to, at, false)?;
                let from = agent_leaves(sim, host, id, at);
                if !set_state(sim, host, id, &to, AgentState::Ringing, at) {
                    return Err(Refused::State(format!("agent {to} cannot ring now")));
                }
                let ring = {
                    let c = sim.calls.get_mut(id).expect("present");
                    c.held = false;
                    c.state = CallState::Ringing;
                    c.ringing = vec![to.clone()];
                    c.transfers.push(format!("agent:{to}"));
                    c.plan.ring_ms
                };
                note(
                    sim,
                    id,
                    "transfer",
                    at,
                    from.as_deref(),
                    format!("to agent {to}"),
                );
                schedule(sim, at + ring, id, Action::TransferAnswer { agent: to });
            }
        }
        ActionKind::TransferExternal => {
            has_agent()?;
            no_consult()?;
            let number = action.number.clone().unwrap_or_default();
            emit_data(
                sim,
                host,
                id,
                "extern",
                at,
                json!({"external_number": number}),
            );
            agent_leaves(sim, host, id, at);
            let c = sim.calls.get_mut(id).expect("present");
            c.held = false;
            c.external = Some(number.clone());
            c.transfers.push(format!("external:{number}"));
        }
        ActionKind::Eavesdrop => {
            let first = has_agent()?;
            let sup = action.supervisor.clone().unwrap_or_default();
            if sup == first || consult.as_ref().is_some_and(|k| k.agent == sup) {
                return Err(Refused::Invalid(format!("{sup} is on the call already")));
            }
            if sim.calls[id].listeners.contains(&sup) {
                return Err(Refused::State(format!("{sup} is listening already")));
            }
            free(host, &tenant, &sup, at, true)?;
            if !set_state(sim, host, id, &sup, AgentState::Calling, at) {
                return Err(Refused::State(format!("supervisor {sup} cannot join now")));
            }
            sim.calls
                .get_mut(id)
                .expect("present")
                .listeners
                .push(sup.clone());
            let data = agent_data(host, &tenant, &sup, "supervisor");
            emit_data(sim, host, id, "eavesdrop", at, Value::Object(data));
        }
        ActionKind::Intercept => {
            let first = has_agent()?;
            no_consult()?;
            let sup = action.supervisor.clone().unwrap_or_default();
            if sup == first {
                return Err(Refused::Invalid(format!("{sup} has the call already")));
            }
            let listening = sim.calls[id].listeners.contains(&sup);
            if !listening {
                free(host, &tenant, &sup, at, true)?;
                if !set_state(sim, host, id, &sup, AgentState::Calling, at) {
                    return Err(Refused::State(format!("supervisor {sup} cannot join now")));
                }
            }
            agent_leaves(sim, host, id, at);
            {
                let c = sim.calls.get_mut(id).expect("present");
                c.listeners.retain(|l| l != &sup);
                c.agent = Some(sup.clone());
                c.held = false;
                c.transfers.push(format!("intercept:{sup}"));
            }
            open_leg(sim, id, &sup, at);
            let mut data = agent_data(host, &tenant, &sup, "supervisor");
            data.insert("replaced_agent_id".into(), first.into());
            emit_data(sim, host, id, "substitute", at, Value::Object(data));
        }
    }
    Ok(())
}

/// The consulted agent answers (if the consultation still waits for it).
pub(super) fn consult_answer<H: Host>(sim: &mut Sim, host: &H, id: &str, agent: &str, at: i64) {
    let Some(c) = sim.calls.get(id) else {
        return;
    };
    let waiting = c.state == CallState::Talking
        && c.consult
            .as_ref()
            .is_some_and(|k| k.agent == agent && !k.answered);
    if !waiting || state_of(host, &c.tenant.clone(), agent, at) != Some(AgentState::Ringing) {
        return;
    }
    let tenant = c.tenant.clone();
    if !set_state(sim, host, id, agent, AgentState::Calling, at) {
        return;
    }
    if let Some(k) = sim.calls.get_mut(id).and_then(|c| c.consult.as_mut()) {
        k.answered = true;
    }
    let mut data = agent_data(host, &tenant, agent, "consulted_agent");
    data.insert("customer_held".into(), true.into());
    emit_data(sim, host, id, "consult", at, Value::Object(data));
}

/// A blind transfer's target answers: it has the call now, for the rest of its talk time.
pub(super) fn transfer_answer<H: Host>(sim: &mut Sim, host: &H, id: &str, agent: &str, at: i64) {
    let Some(c) = sim.calls.get(id) else {
        return;
    };
    if c.state != CallState::Ringing || c.ringing.as_slice() != [agent.to_string()] {
        return;
    }
    let tenant = c.tenant.clone();
    if state_of(host, &tenant, agent, at) != Some(AgentState::Ringing)
        || !set_state(sim, host, id, agent, AgentState::Calling, at)
    {
        // The target went elsewhere while it rang: nobody has the customer any more.
        super::flow::end(sim, host, id, at, "transfer_failed", false);
        return;
    }
    let talk = {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Talking;
        c.ringing.clear();
        c.agent = Some(agent.to_string());
        let talked: i64 = c
            .legs
            .iter()
            .map(|l| l.to_ms.unwrap_or(at) - l.from_ms)
            .sum();
        let talk = (c.plan.talk_ms - talked).max(0);
        c.hangup_due_ms = Some(at + talk);
        talk
    };
    open_leg(sim, id, agent, at);
    note(sim, id, "transfer_answered", at, Some(agent), String::new());
    schedule(sim, at + talk, id, Action::Hangup);
}
