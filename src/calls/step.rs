//! The step dispatcher: what each agenda step does, handed to the room that owns it — the call's
//! state machine, the IVR flow, or the agents' actions. It sits above all three, so that they
//! can use one another's transitions without naming the dispatcher.

use super::effects::{set_state, state_of};
use super::machine::{
    abandon, answer, dial, enqueue, hang_up, no_answer_outbound, ring_end_inbound,
};
use super::sim::{Action, Due, Sim};
use super::spec::HangupBy;
use super::{CallState, Direction, Host};
use crate::model::AgentState;

pub(super) fn apply<H: Host>(sim: &mut Sim, host: &H, due: &Due) {
    let id = due.call.as_str();
    let at = due.at_ms;
    let Some(call) = sim.calls.get(id) else {
        return;
    };
    let (state, direction) = (call.state, call.direction);
    match &due.action {
        Action::Start if state == CallState::Scheduled => match direction {
            Direction::Inbound if call.ivr.is_some() => super::flow::begin(sim, host, id, at),
            Direction::Inbound => enqueue(sim, host, id, at),
            Direction::Outbound => dial(sim, host, id, at),
        },
        Action::RingEnd { offer, by } if sim.offers.get(id) == Some(offer) => match direction {
            Direction::Inbound => ring_end_inbound(sim, host, id, at, by.as_deref()),
            Direction::Outbound => match by {
                Some(_) => answer(sim, host, id, at, None),
                None => no_answer_outbound(sim, host, id, at),
            },
        },
        Action::Abandon
            if matches!(state, CallState::Queued | CallState::Ringing)
                && call
                    .abandon_due_ms
                    .map_or(call.answer_ms.is_none(), |d| d == at) =>
        {
            abandon(sim, host, id, at, "queue_timeout")
        }
        Action::Hangup
            if state == CallState::Talking && call.hangup_due_ms.is_none_or(|d| d == at) =>
        {
            hang_up(sim, host, id, at)
        }
        Action::Ivr { gen } => super::flow::timer(sim, host, id, *gen, at),
        Action::Keys { keys } => super::flow::keys(sim, host, id, keys, at),
        Action::Say { text } => super::flow::say(sim, host, id, text, at),
        Action::WebhookAnswer { gen, answer } => {
            super::flow::webhook_answer(sim, host, id, *gen, answer, at)
        }
        Action::CallerHangup => caller_hangup(sim, host, id, at),
        Action::Agent { action } => super::actions::scripted(sim, host, id, action, at),
        Action::ConsultAnswer { agent } => super::actions::consult_answer(sim, host, id, agent, at),
        Action::TransferAnswer { agent } => {
            super::actions::transfer_answer(sim, host, id, agent, at)
        }
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

/// The caller hangs up (caller script): in the IVR, the queue, while an agent rings, or in talk.
fn caller_hangup<H: Host>(sim: &mut Sim, host: &H, id: &str, at: i64) {
    let Some(c) = sim.calls.get(id) else {
        return;
    };
    match (c.state, c.direction) {
        (CallState::Ivr, _) => super::flow::end(sim, host, id, at, "caller_hangup", true),
        (CallState::Queued | CallState::Ringing, Direction::Inbound) => {
            abandon(sim, host, id, at, "caller_hangup")
        }
        (CallState::Queued | CallState::Ringing, Direction::Outbound) => {
            no_answer_outbound(sim, host, id, at)
        }
        (CallState::Talking, _) => {
            if let Some(c) = sim.calls.get_mut(id) {
                c.plan.hangup_by = HangupBy::Customer;
            }
            hang_up(sim, host, id, at)
        }
        (CallState::Scheduled | CallState::Ended, _) => {}
    }
}
