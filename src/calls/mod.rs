//! The simulated contact center: calls on the virtual clock, routed by each queue's strategy,
//! writing the agents' shared timeline and emitting call events through the model's outbox (so
//! they reach receivers by the one delivery engine), and kept as call records (CDRs).
//!
//! A discrete-event simulation: every call step (arrival, end of ringing, abandon, hang-up, end
//! of wrap-up) sits in one agenda ordered by virtual time. The host's `advance` (`Ctx::advance`)
//! applies every step due by now, interleaved in time order with the scenario timeline, at the
//! start of every request and on the 50 ms ticker — so a frozen clock moved by an hour runs that
//! hour's calls at once, each step dated at its own instant. After each step, calls waiting in a
//! queue are offered to agents who have become free.
//!
//! The rooms: `agenda` (the driver, the agenda and what the state file keeps), `acd` (which
//! agents a waiting call rings), `machine` (what each step does to a call), `effects` (events out
//! and agent states moved on the model). The simulation knows the emulator only as a [`Host`]:
//! a model behind its lock and a clock; its RNG is its own.
//!
//! Locks: the driver lock, then the simulation lock, then the model lock (never the other way).

mod acd;
mod actions;
mod agenda;
mod effects;
pub mod flow;
pub mod ivr;
mod machine;
pub mod script;
mod sim;
pub mod spec;
mod step;

pub use actions::Refused;
pub use agenda::{Calls, Profile, Saved, MAX_CALLS_PER_HOUR};

use crate::model::{Model, Tenant};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spec::HangupBy;
use std::collections::BTreeMap;
use std::ops::DerefMut;

/// What the simulation needs from whoever runs it: the model (behind its lock, as a guard that
/// hands the events recorded under it on when dropped) and the virtual clock. `Ctx` is the host
/// in the emulator; a unit test hosts the simulation on a bare model and a fixed instant.
pub trait Host {
    type Model<'a>: DerefMut<Target = Model>
    where
        Self: 'a;
    /// The model lock, held for one model operation.
    fn model(&self) -> Self::Model<'_>;
    /// The virtual now, in epoch milliseconds.
    fn now_ms(&self) -> i64;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    /// Not started yet (`at_ms` in the future).
    Scheduled,
    /// In its IVR flow (menus, collections, webhooks), before any queue.
    Ivr,
    /// In the queue, waiting for an agent.
    Queued,
    /// A phone rings: the agent's (inbound) or the customer's (outbound).
    Ringing,
    Talking,
    Ended,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    /// The caller gave up waiting (or hung up while it rang).
    Abandoned,
    /// Outbound: the customer did not answer.
    NoAnswer,
    /// Outbound: the agent could not dial (offline, in a call); inbound: no such queue.
    Failed,
    /// The IVR ended the call before any agent had it (a hangup or end node, a failed webhook).
    Ivr,
    /// The caller left a voicemail.
    Voicemail,
}

/// A consultation in progress: the consulted agent rings, then talks to the first agent while
/// the customer is held, or has joined a three-way call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consult {
    pub agent: String,
    pub since_ms: i64,
    /// false while the consulted agent's phone rings.
    pub answered: bool,
    pub three_way: bool,
}

/// A stretch of talk one agent had with the customer: a transferred call's talk time is split
/// between the agents who had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Leg {
    pub agent: String,
    pub from_ms: i64,
    pub to_ms: Option<i64>,
}

/// One step of a call's history, as `GET /_ccemu/calls` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    pub name: String,
    pub at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A call and, once it ended, its record: the vendor faces shape their CDRs from this.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Call {
    pub id: String,
    pub tenant: String,
    pub direction: Direction,
    pub queue: Option<String>,
    pub caller: String,
    pub callee: String,
    pub order_id: Option<String>,
    pub state: CallState,
    pub outcome: Option<Outcome>,
    /// The agent who answered (inbound) or dialled (outbound).
    pub agent: Option<String>,
    /// Agents ringing for it now.
    pub ringing: Vec<String>,
    /// Agents who were offered it and did not answer.
    pub skipped: Vec<String>,
    pub start_ms: i64,
    pub enqueue_ms: Option<i64>,
    pub dequeue_ms: Option<i64>,
    /// When the phone that was answered (or last rang) started ringing.
    pub ring_ms: Option<i64>,
    pub answer_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub hangup_by: Option<HangupBy>,
    pub hangup_cause: Option<String>,
    /// Drawn when the call was created.
    pub plan: Plan,
    pub steps: Vec<Step>,
    /// The IVR flow the call runs, and where it is in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ivr: Option<ivr::IvrState>,
    /// The call's variables (callback2ivr `variables`, webhook answers stored by the IVR).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Every key the caller pressed that an IVR took, in order (NXCloud `dtmfKeys`).
    #[serde(default)]
    pub dtmf_keys: String,
    /// The caller's script (drawn from the spec's weighted scripts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_script: Option<script::CallerScript>,
    /// The agents' script, run from the first answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<script::AgentAction>,
    /// The customer is on hold.
    #[serde(default)]
    pub held: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult: Option<Consult>,
    /// Agents consulted on this call, in order.
    #[serde(default)]
    pub consulted: Vec<String>,
    /// Supervisors listening in.
    #[serde(default)]
    pub listeners: Vec<String>,
    /// The external number the call was transferred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<String>,
    /// Transfers, in order: `agent:ID`, `queue:ID`, `external:NUMBER`, `consult:ID`,
    /// `intercept:ID`.
    #[serde(default)]
    pub transfers: Vec<String>,
    #[serde(default)]
    pub legs: Vec<Leg>,
    /// When the pending hang-up and abandon steps are due: an earlier one is stale once a
    /// transfer moved the call on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hangup_due_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandon_due_ms: Option<i64>,
}

/// The call's durations and behaviour, drawn once at creation.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Plan {
    pub ring_ms: i64,
    pub ring_timeout_ms: i64,
    pub talk_ms: i64,
    /// `None`: the agent's own wrap-up time.
    pub wrapup_ms: Option<i64>,
    pub wait_limit_ms: Option<i64>,
    pub answered: bool,
    pub no_answer: Vec<String>,
    pub hangup_by: HangupBy,
    /// false: callers wait in a queue as long as it takes.
    #[serde(default = "yes")]
    pub abandon: bool,
    /// Whether `wait_limit_ms` was asked for by the call (else a flow's queue node reads the
    /// queue's own timeout when the call gets there).
    #[serde(default)]
    pub wait_limit_given: bool,
}

fn yes() -> bool {
    true
}

impl Call {
    /// The agent who had the call last (who finished it, once it ended).
    pub fn finishing_agent(&self) -> Option<&str> {
        self.legs
            .last()
            .map(|l| l.agent.as_str())
            .or(self.agent.as_deref())
    }

    /// Seconds of talk (0 when unanswered).
    pub fn talk_s(&self) -> i64 {
        match (self.answer_ms, self.end_ms) {
            (Some(a), Some(e)) => (e - a) / 1000,
            _ => 0,
        }
    }

    /// The fields every call event carries (Udesk's payload `data`, the source of NXCloud's
    /// CDR), in ccemu's snake_case.
    pub fn fields(&self, t: Option<&Tenant>) -> Value {
        serde_json::to_value(self.event_fields(t)).unwrap_or(Value::Null)
    }

    /// [`Call::fields`] as its type, whose JSON Schema is the webhooks' (admin.json).
    pub fn event_fields(&self, t: Option<&Tenant>) -> CallFields {
        let agent = self
            .agent
            .as_deref()
            .or(self.ringing.first().map(String::as_str));
        let a = agent.and_then(|id| t.and_then(|t| t.agents.get(id)));
        let ext = a.and_then(|a| t.and_then(|t| a.call_extension(t)));
        CallFields {
            call_id: self.id.clone(),
            direction: self.direction,
            caller: self.caller.clone(),
            callee: self.callee.clone(),
            queue_id: self.queue.clone(),
            agent_id: agent.map(str::to_string),
            work_id: a.map(|a| a.work_id.clone()),
            extension: ext.map(|e| e.extension.clone()),
            order_id: self.order_id.clone(),
            start_time: self.start_ms,
            enqueue_time: self.enqueue_ms,
            dequeue_time: self.dequeue_ms,
            ring_time: self.ring_ms,
            answer_time: self.answer_ms,
            end_time: self.end_ms,
            talk_duration: self.talk_s(),
            hangup_by: self.hangup_by,
            hangup_cause: self.hangup_cause.clone(),
            outcome: self.outcome,
            ivr_flow: self.ivr.as_ref().map(|s| s.flow.clone()),
            variables: self.variables.clone(),
            dtmf_keys: self.dtmf_keys.clone(),
            finishing_agent_id: self.finishing_agent().map(str::to_string),
        }
    }
}

/// The fields every call event carries, as Udesk call events' `data` and the source of the
/// NXCloud CDR (docs/events.md); a step adds its own beside them (digits, consulted agent...).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CallFields {
    pub call_id: String,
    pub direction: Direction,
    pub caller: String,
    pub callee: String,
    pub queue_id: Option<String>,
    /// Who answered or dialled, else the first agent ringing.
    pub agent_id: Option<String>,
    pub work_id: Option<String>,
    pub extension: Option<String>,
    pub order_id: Option<String>,
    /// Instants are epoch milliseconds on the virtual clock.
    pub start_time: i64,
    pub enqueue_time: Option<i64>,
    pub dequeue_time: Option<i64>,
    pub ring_time: Option<i64>,
    pub answer_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Whole seconds of talk (0 when unanswered).
    pub talk_duration: i64,
    pub hangup_by: Option<HangupBy>,
    pub hangup_cause: Option<String>,
    pub outcome: Option<Outcome>,
    pub ivr_flow: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub dtmf_keys: String,
    /// The agent who had the call last.
    pub finishing_agent_id: Option<String>,
}

/// 32 hex digits in the 8-4-4-4-12 form Udesk answers call ids in.
pub fn uuid_form(h: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests;
