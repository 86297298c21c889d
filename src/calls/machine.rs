//! The call's state machine: what each step of the agenda does to a call — it starts (queued,
//! or dialled out), its ringing ends (answered, or not), the caller abandons, the call is hung up
//! and the agent wraps up.

use super::agenda::{next_offer, schedule, sync_queued, Due, Sim};
use super::effects::{emit, set_state, state_of, step};
use super::spec::HangupBy;
use super::{Call, CallState, Direction, Host, Outcome, Step};
use crate::model::AgentState;
use serde::{Deserialize, Serialize};

/// What happens at an instant of the agenda.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) enum Action {
    Start,
    /// The ringing of offer number `offer` ends: answered by `by`, or unanswered.
    RingEnd {
        offer: u32,
        by: Option<String>,
    },
    /// An inbound caller's wait limit.
    Abandon,
    Hangup,
    /// The agent's wrap-up after this call ends.
    WrapEnd {
        agent: String,
    },
}

pub(super) fn apply<H: Host>(sim: &mut Sim, host: &H, due: &Due) {
    let id = due.call.as_str();
    let at = due.at_ms;
    let Some(call) = sim.calls.get(id) else {
        return;
    };
    let (state, direction) = (call.state, call.direction);
    match &due.action {
        Action::Start if state == CallState::Scheduled => match direction {
            Direction::Inbound => {
                let limit = {
                    let c = sim.calls.get_mut(id).expect("present");
                    c.state = CallState::Queued;
                    c.enqueue_ms = Some(at);
                    c.plan.wait_limit_ms
                };
                sync_queued(sim, id);
                emit(sim, host, id, "enqueue", at);
                if let Some(limit) = limit {
                    schedule(sim, at.saturating_add(limit), id, Action::Abandon);
                }
            }
            Direction::Outbound => dial(sim, host, id, at),
        },
        Action::RingEnd { offer, by } if sim.offers.get(id) == Some(offer) => match direction {
            Direction::Inbound => ring_end_inbound(sim, host, id, at, by.as_deref()),
            Direction::Outbound => match by {
                Some(_) => answer(sim, host, id, at, None),
                None => no_answer_outbound(sim, host, id, at),
            },
        },
        Action::Abandon if matches!(state, CallState::Queued | CallState::Ringing) => {
            abandon(sim, host, id, at, "queue_timeout")
        }
        Action::Hangup if state == CallState::Talking => hang_up(sim, host, id, at),
        Action::WrapEnd { agent } => {
            let tenant = call.tenant.clone();
            if state_of(host, &tenant, agent, at) == Some(AgentState::Wrapup) {
                set_state(sim, host, id, agent, AgentState::Idle, at);
            }
        }
        // A step made stale by what happened first (answered before its abandon instant, ...).
        _ => {}
    }
}

/// Outbound: the agent dials the customer; the customer's phone rings.
fn dial<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    let (tenant, agent, plan) = {
        let c = &sim.calls[id];
        (
            c.tenant.clone(),
            c.agent.clone().unwrap_or_default(),
            c.plan.clone(),
        )
    };
    let free = matches!(
        state_of(host, &tenant, &agent, at),
        Some(AgentState::Idle | AgentState::Busy)
    );
    if !free {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::Failed);
        c.end_ms = Some(at);
        c.hangup_cause = Some("agent_unavailable".into());
        c.steps.push(step("failed", at, Some(&agent)));
        return;
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ringing;
        c.ring_ms = Some(at);
    }
    emit(sim, host, id, "dialout", at);
    set_state(sim, host, id, &agent, AgentState::Ringing, at);
    let offer = next_offer(sim, id);
    let answers = plan.answered && plan.ring_ms <= plan.ring_timeout_ms;
    let (when, by) = if answers {
        (at + plan.ring_ms, Some(agent))
    } else {
        (at + plan.ring_timeout_ms, None)
    };
    schedule(sim, when, id, Action::RingEnd { offer, by });
}

/// Inbound ringing ends: `by` answers (if still ringing), the others go back to idle; with no
/// answer every ringing agent is skipped and the call waits for the next free agent.
fn ring_end_inbound<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, by: Option<&str>) {
    let (tenant, ringing) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.ringing.clone())
    };
    let answerer = by.filter(|a| state_of(host, &tenant, a, at) == Some(AgentState::Ringing));
    for agent in &ringing {
        if Some(agent.as_str()) != answerer
            && state_of(host, &tenant, agent, at) == Some(AgentState::Ringing)
        {
            set_state(sim, host, id, agent, AgentState::Idle, at);
        }
    }
    match answerer {
        Some(agent) => answer(sim, host, id, at, Some(agent.to_string())),
        None => {
            let c = sim.calls.get_mut(id).expect("present");
            c.skipped.extend(ringing.iter().cloned());
            c.ringing.clear();
            c.state = CallState::Queued;
            c.steps.push(Step {
                name: "no_answer".into(),
                at_ms: at,
                agent: Some(ringing.join(",")),
                detail: None,
            });
            sync_queued(sim, id);
        }
    }
}

fn day(at: i64) -> i64 {
    at.div_euclid(86_400_000)
}

fn answer<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, agent: Option<String>) {
    let agent = match agent {
        Some(a) => a,
        None => sim.calls[id].agent.clone().unwrap_or_default(),
    };
    if !set_state(sim, host, id, &agent, AgentState::Calling, at) {
        // The agent went elsewhere while it rang: treat as not answered.
        match sim.calls[id].direction {
            Direction::Inbound => ring_end_inbound(sim, host, id, at, None),
            Direction::Outbound => no_answer_outbound(sim, host, id, at),
        }
        return;
    }
    let (tenant, inbound, talk) = {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Talking;
        c.agent = Some(agent.clone());
        c.ringing.clear();
        c.answer_ms = Some(at);
        c.outcome = Some(Outcome::Answered);
        if c.direction == Direction::Inbound {
            c.dequeue_ms = Some(at);
        }
        (
            c.tenant.clone(),
            c.direction == Direction::Inbound,
            c.plan.talk_ms,
        )
    };
    *sim.answered.entry((tenant, agent, day(at))).or_insert(0) += 1;
    if inbound {
        emit(sim, host, id, "dequeue", at);
    }
    emit(sim, host, id, "answer", at);
    schedule(sim, at + talk, id, Action::Hangup);
}

fn wrapup_of<H: Host>(host: &H, c: &Call, agent: &str) -> i64 {
    if let Some(w) = c.plan.wrapup_ms {
        return w;
    }
    let model = host.model();
    let a = model
        .tenants
        .get(&c.tenant)
        .and_then(|t| t.agents.get(agent));
    let s = a.map_or(0, |a| match c.direction {
        Direction::Inbound => a.wrap_up_time,
        Direction::Outbound => a.out_wrap_up_time,
    });
    s.clamp(0, 86_400) * 1000
}

/// An answered call ends: the agent wraps up (or is idle at once), the call's record is closed.
pub(super) fn hang_up<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    let agent = sim.calls[id].agent.clone().unwrap_or_default();
    let wrap = wrapup_of(host, &sim.calls[id], &agent);
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.end_ms = Some(at);
        c.hangup_by = Some(c.plan.hangup_by);
        c.hangup_cause = Some("normal_clearing".into());
    }
    if wrap > 0 {
        set_state(sim, host, id, &agent, AgentState::Wrapup, at);
        schedule(sim, at + wrap, id, Action::WrapEnd { agent });
    } else {
        set_state(sim, host, id, &agent, AgentState::Idle, at);
    }
    finish(sim, host, id, at, true);
}

/// The hang-up events of an ended call, in order, and its record pushed (NXCloud CDR).
fn finish<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, recorded: bool) {
    emit(sim, host, id, "hangup", at);
    emit(sim, host, id, "hangup_cause", at);
    if recorded {
        emit(sim, host, id, "record_stop", at);
    }
    emit(sim, host, id, "cdr", at);
}

/// Inbound: the caller gives up (wait limit, or hung up) while queued or ringing.
pub(super) fn abandon<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, cause: &str) {
    let (tenant, ringing) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.ringing.clone())
    };
    for agent in &ringing {
        if state_of(host, &tenant, agent, at) == Some(AgentState::Ringing) {
            set_state(sim, host, id, agent, AgentState::Idle, at);
        }
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::Abandoned);
        c.dequeue_ms = Some(at);
        c.end_ms = Some(at);
        c.hangup_by = Some(HangupBy::Customer);
        c.hangup_cause = Some(cause.into());
        c.ringing.clear();
    }
    sync_queued(sim, id);
    sim.offers.remove(id);
    emit(sim, host, id, "dequeue", at);
    finish(sim, host, id, at, false);
}

/// Outbound: the customer does not answer; the agent is free again.
pub(super) fn no_answer_outbound<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    let (tenant, agent) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.agent.clone().unwrap_or_default())
    };
    if state_of(host, &tenant, &agent, at) == Some(AgentState::Ringing) {
        set_state(sim, host, id, &agent, AgentState::Idle, at);
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::NoAnswer);
        c.end_ms = Some(at);
        c.hangup_by = Some(HangupBy::Customer);
        c.hangup_cause = Some("no_answer".into());
    }
    sim.offers.remove(id);
    finish(sim, host, id, at, false);
}
