//! The call's state machine: what each step of the agenda does to a call — it starts (queued,
//! or dialled out), its ringing ends (answered, or not), the caller abandons, the call is hung up
//! and the agent wraps up.

use super::effects::{emit, set_state, state_of, step};
use super::sim::{next_offer, schedule, sync_queued, Action, Sim};
use super::spec::HangupBy;
use super::{Call, CallState, Direction, Host, Outcome, Step};
use crate::model::AgentState;

/// An inbound call enters its queue (from the start, a flow's queue node, or a blind transfer):
/// the caller waits for an agent up to the wait limit — the call's own, else the queue's
/// `timeout`, else 60 s — unless abandonment is switched off for the call or the queue.
pub(super) fn enqueue<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    let (tenant, queue, plan) = {
        let c = &sim.calls[id];
        (
            c.tenant.clone(),
            c.queue.clone().unwrap_or_default(),
            c.plan.clone(),
        )
    };
    let q = host
        .model()
        .tenants
        .get(&tenant)
        .and_then(|t| t.queues.get(&queue))
        .map(|q| (q.timeout, q.abandon));
    let abandons = plan.abandon && q.is_none_or(|(_, a)| a);
    let limit = if !abandons {
        None
    } else if plan.wait_limit_given {
        plan.wait_limit_ms
    } else {
        q.and_then(|(t, _)| (t > 0).then_some(t.saturating_mul(1000)))
            .or(Some(super::spec::DEFAULT_WAIT_LIMIT_MS as i64))
    };
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Queued;
        c.enqueue_ms = Some(at);
        c.abandon_due_ms = limit.map(|l| at.saturating_add(l));
    }
    sync_queued(sim, id);
    emit(sim, host, id, "enqueue", at);
    if let Some(limit) = limit {
        schedule(sim, at.saturating_add(limit), id, Action::Abandon);
    }
}

/// Outbound: the agent dials the customer; the customer's phone rings.
pub(super) fn dial<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
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
pub(super) fn ring_end_inbound<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    at: i64,
    by: Option<&str>,
) {
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

pub(super) fn answer<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, agent: Option<String>) {
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
    let (tenant, inbound, talk, first, script) = {
        let c = sim.calls.get_mut(id).expect("present");
        let first = c.answer_ms.is_none();
        c.state = CallState::Talking;
        c.agent = Some(agent.clone());
        c.ringing.clear();
        // A call answered again after a transfer to a queue keeps its first answer (and its
        // first dequeue) for its record; its talk time goes on where it stopped.
        if first {
            c.answer_ms = Some(at);
        }
        c.outcome = Some(Outcome::Answered);
        if c.direction == Direction::Inbound && (first || c.dequeue_ms.is_none()) {
            c.dequeue_ms = Some(at);
        }
        let talked: i64 = c
            .legs
            .iter()
            .map(|l| l.to_ms.unwrap_or(at) - l.from_ms)
            .sum();
        c.legs.push(super::Leg {
            agent: agent.clone(),
            from_ms: at,
            to_ms: None,
        });
        let talk = (c.plan.talk_ms - talked).max(0);
        c.hangup_due_ms = Some(at + talk);
        c.abandon_due_ms = None;
        (
            c.tenant.clone(),
            c.direction == Direction::Inbound,
            talk,
            first,
            if first { c.actions.clone() } else { Vec::new() },
        )
    };
    *sim.answered.entry((tenant, agent, day(at))).or_insert(0) += 1;
    if inbound {
        emit(sim, host, id, "dequeue", at);
    }
    emit(sim, host, id, "answer", at);
    schedule(sim, at + talk, id, Action::Hangup);
    if first {
        for action in script {
            let when = at.saturating_add(action.after_ms.unwrap_or(0) as i64);
            schedule(sim, when, id, Action::Agent { action });
        }
    }
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
    let (agent, consult, listeners) = {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.end_ms = Some(at);
        c.hangup_by = Some(c.plan.hangup_by);
        c.hangup_cause = Some("normal_clearing".into());
        c.held = false;
        for l in c.legs.iter_mut().filter(|l| l.to_ms.is_none()) {
            l.to_ms = Some(at);
        }
        (
            c.agent.clone(),
            c.consult.take(),
            std::mem::take(&mut c.listeners),
        )
    };
    // Everyone still on the call leaves: the agent (none after a transfer out) and a
    // three-way partner wrap up; a consulted agent not yet joined and listening supervisors
    // are free at once.
    let mut leaving: Vec<(String, bool)> = agent.into_iter().map(|a| (a, true)).collect();
    if let Some(k) = consult {
        leaving.push((k.agent, k.three_way));
    }
    leaving.extend(listeners.into_iter().map(|l| (l, false)));
    for (who, wraps) in leaving {
        release(sim, host, id, &who, at, wraps);
    }
    finish(sim, host, id, at, true);
}

/// An agent leaves the call: wrap-up (when `wraps` and it has one), else idle at once.
pub(super) fn release<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    agent: &str,
    at: i64,
    wraps: bool,
) {
    let wrap = if wraps {
        wrapup_of(host, &sim.calls[id], agent)
    } else {
        0
    };
    if wrap > 0 {
        set_state(sim, host, id, agent, AgentState::Wrapup, at);
        let agent = agent.to_string();
        schedule(sim, at + wrap, id, Action::WrapEnd { agent });
    } else {
        set_state(sim, host, id, agent, AgentState::Idle, at);
    }
}

/// The hang-up events of an ended call, in order, and its record pushed (NXCloud CDR).
pub(super) fn finish<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64, recorded: bool) {
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
