//! What happened in the model, in vendor-neutral words, for the vendors that call back.
//!
//! Every operation that changes something a vendor pushes (an agent's state, an extension's binding
//! or line, an agent's call mode, a call's progress) records a [`ModelEvent`] in the model's
//! outbox while it holds the model lock. The lock's guard (`emulator::ModelGuard`) hands the
//! outbox to the event engine when it is released, so an event can never be lost between the
//! change and its delivery, and nothing about HTTP or any vendor's payload lives here.

use super::{AgentState, LineState};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelEvent {
    /// An agent's state changed on the shared timeline (login, logout, rest, ring, talk, ...).
    AgentState {
        tenant: String,
        agent: String,
        at_ms: i64,
        from: AgentState,
        to: AgentState,
    },
    /// An extension was bound to (`bound: true`) or unbound from an agent.
    ExtensionBinding {
        tenant: String,
        agent: String,
        extension: String,
        at_ms: i64,
        bound: bool,
    },
    /// An extension's line went free, ringing or talking.
    ExtensionLine {
        tenant: String,
        agent: String,
        extension: String,
        at_ms: i64,
        from: LineState,
        to: LineState,
    },
    /// The signal type an agent calls with (0 SIP, 1 WebRTC) changed; `None` = no extension.
    CallMode {
        tenant: String,
        agent: String,
        at_ms: i64,
        from: Option<u8>,
        to: Option<u8>,
    },
    /// A simulated call's step, in the vendor-neutral words of `calls/`; `name` is the step
    /// (enqueue, dequeue, dialout, hangup, ...) and `fields` what a receiver needs.
    Call {
        tenant: String,
        call: String,
        name: String,
        at_ms: i64,
        fields: Value,
    },
    /// An event injected by hand (`POST /_ccemu/events`): the vendor's own event name and the
    /// fields to send, as given.
    Injected {
        tenant: String,
        event: String,
        at_ms: i64,
        fields: Value,
    },
}

impl ModelEvent {
    pub fn tenant(&self) -> &str {
        match self {
            ModelEvent::AgentState { tenant, .. }
            | ModelEvent::ExtensionBinding { tenant, .. }
            | ModelEvent::ExtensionLine { tenant, .. }
            | ModelEvent::CallMode { tenant, .. }
            | ModelEvent::Call { tenant, .. }
            | ModelEvent::Injected { tenant, .. } => tenant,
        }
    }

    pub fn at_ms(&self) -> i64 {
        match self {
            ModelEvent::AgentState { at_ms, .. }
            | ModelEvent::ExtensionBinding { at_ms, .. }
            | ModelEvent::ExtensionLine { at_ms, .. }
            | ModelEvent::CallMode { at_ms, .. }
            | ModelEvent::Call { at_ms, .. }
            | ModelEvent::Injected { at_ms, .. } => *at_ms,
        }
    }
}

/// The line state an agent's state implies for the extension it calls on: a line is busy exactly
/// when its agent rings or talks.
pub fn line_of(state: AgentState) -> LineState {
    match state {
        AgentState::Ringing => LineState::Ringing,
        AgentState::Calling => LineState::Talking,
        _ => LineState::Free,
    }
}
