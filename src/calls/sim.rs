//! The simulation's state and the agenda's vocabulary: the calls, the agenda of steps, the
//! queues of waiting calls and the routing memory, and what a step is. Every other room of
//! calls/ works on these; this one imports none of them, so the rooms above it stack without a
//! circle: effects, then the state machine (`machine`), the IVR (`flow`) and the agents' actions
//! (`actions`) and the ACD (`acd`), then the step dispatcher (`step`), then the agenda.

use super::spec::CallSpec;
use super::{Call, CallState, Direction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

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
    /// The timer of IVR node entry `gen` (a voice played, a collection timed out, ...).
    Ivr {
        gen: u32,
    },
    /// The caller presses keys (caller script).
    Keys {
        keys: String,
    },
    /// The caller speaks (caller script).
    Say {
        text: String,
    },
    /// The caller hangs up, wherever the call is (caller script).
    CallerHangup,
    /// A webhook node's answer: the body of a 2xx answer, or why there was none.
    WebhookAnswer {
        gen: u32,
        answer: Result<String, String>,
    },
    /// An agent's or supervisor's scripted action.
    Agent {
        action: super::script::AgentAction,
    },
    /// The consulted agent's phone has rung long enough: it answers.
    ConsultAnswer {
        agent: String,
    },
    /// Blind transfer: the target agent's phone has rung long enough: it answers.
    TransferAnswer {
        agent: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(super) struct Due {
    pub(super) at_ms: i64,
    pub(super) seq: u64,
    pub(super) call: String,
    pub(super) action: Action,
}

/// A waiting call's place in line: (enqueue instant, 0, call id).
pub(super) type WaitKey = (i64, u64, String);

#[derive(Default)]
pub(super) struct Sim {
    pub(super) calls: BTreeMap<String, Call>,
    /// Creation order, for listing.
    pub(super) order: Vec<String>,
    /// Calls waiting in a queue, by (enqueue instant, agenda seq): offered first come, first served.
    pub(super) queued: std::collections::BTreeSet<WaitKey>,
    /// The same calls by (tenant, queue): the ACD passes over a queue with no free agent whole,
    /// instead of looking at each of its calls (20,000 calls waiting on an unstaffed queue made
    /// every step walk all 20,000).
    pub(super) queued_by_queue: HashMap<(String, String), std::collections::BTreeSet<WaitKey>>,
    pub(super) agenda: BinaryHeap<Reverse<Due>>,
    pub(super) seq: u64,
    pub(super) offers: HashMap<String, u32>,
    /// Strategy 0: the last agent offered a call per (tenant, queue).
    pub(super) last_offered: HashMap<(String, String), String>,
    /// Strategy 1: answered calls per (tenant, agent, virtual UTC day).
    pub(super) answered: HashMap<(String, String, i64), u32>,
    /// Load profiles still making arrivals, by id.
    pub(super) profiles: BTreeMap<u64, Profile>,
    /// Each live profile's next arrival, as (instant, profile id): one entry per profile, so a
    /// profile of any size costs the same few bytes until the clock reaches its arrivals.
    pub(super) arrivals: BinaryHeap<Reverse<(i64, u64)>>,
    pub(super) next_profile: u64,
    /// Webhook requests of IVR nodes, waiting for the host to make them outside the locks.
    pub(super) webhooks: Vec<WebhookJob>,
    /// The ACD's memo of each agent's login (see `acd::Logins`).
    pub(super) logins: super::acd::Logins,
}

/// A load profile (`load` in a scenario timeline): Poisson arrivals of copies of `call`, made one
/// at a time as the virtual clock reaches them, never up front.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub id: u64,
    pub call: CallSpec,
    pub calls_per_hour: f64,
    pub from_ms: i64,
    pub until_ms: i64,
    /// The next arrival, unrounded, so that the gaps add up exactly over a long profile.
    pub next_ms: f64,
    /// Arrivals made so far, and those the model refused (an agent or queue gone since).
    pub made: u64,
    pub refused: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refusal: Option<String>,
}

pub(super) fn is_inbound(sim: &Sim, id: &str) -> bool {
    sim.calls
        .get(id)
        .is_some_and(|c| c.direction == Direction::Inbound)
}

pub(super) fn schedule(sim: &mut Sim, at_ms: i64, call: &str, action: Action) {
    sim.seq += 1;
    let seq = sim.seq;
    sim.agenda.push(Reverse(Due {
        at_ms,
        seq,
        call: call.to_string(),
        action,
    }));
}

/// Keeps the set of waiting calls in step with a call's state, after it changed.
pub(super) fn sync_queued(sim: &mut Sim, id: &str) {
    let Some(c) = sim.calls.get(id) else {
        return;
    };
    let key = (c.enqueue_ms.unwrap_or(c.start_ms), 0, id.to_string());
    let group = (c.tenant.clone(), c.queue.clone().unwrap_or_default());
    if c.state == CallState::Queued {
        // The index holds what `queued` holds: a call new to one is in no queue's calls.
        let new = sim.queued.insert(key.clone());
        let filed = !new
            && sim
                .queued_by_queue
                .get(&group)
                .is_some_and(|calls| calls.contains(&key));
        if !filed {
            if !new {
                // Moved to another queue while it waited: filed under its new queue only.
                unfile(sim, &key, None);
            }
            sim.queued_by_queue.entry(group).or_default().insert(key);
        }
    } else if sim.queued.remove(&key) {
        unfile(sim, &key, Some(&group));
    }
}

/// Takes a waiting call out of the per-queue index: from `group` when it is filed there (it
/// nearly always is), else from wherever it was.
fn unfile(sim: &mut Sim, key: &WaitKey, group: Option<&(String, String)>) {
    if let Some(group) = group {
        if let Some(calls) = sim.queued_by_queue.get_mut(group) {
            if calls.remove(key) {
                if calls.is_empty() {
                    sim.queued_by_queue.remove(group);
                }
                return;
            }
        }
    }
    sim.queued_by_queue.retain(|_, calls| {
        calls.remove(key);
        !calls.is_empty()
    });
}

pub(super) fn next_offer(sim: &mut Sim, id: &str) -> u32 {
    let n = sim.offers.entry(id.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// A webhook node's request, made by the host outside every lock; its answer comes back
/// through [`super::Calls::webhook_answered`].
#[derive(Debug, Clone)]
pub struct WebhookJob {
    pub call: String,
    pub gen: u32,
    pub url: String,
    pub body: Value,
    pub timeout_ms: u64,
}
