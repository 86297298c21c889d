//! What a model operation refuses, in vendor-neutral words, and the line states scenarios script.

use super::*;

/// The state of an extension's line, as scenario timelines script it (Udesk's ExtState words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineState {
    Free,
    Ringing,
    Talking,
}

/// What a model operation refused, in vendor-neutral words. Each vendor maps these to its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    TenantNotFound(String),
    AgentNotFound(String),
    AgentExists(String),
    ExtensionNotFound(String),
    ExtensionExists(String),
    QueueNotFound(String),
    QueueExists(String),
    QueueNameExists(String),
    SubscriptionNotFound(u64),
    SubscriptionNameExists(String),
    RelayNumberNotFound(String),
    /// The extension is bound to this agent and must be unbound first.
    ExtensionBound {
        extension: String,
        agent: String,
    },
    /// The agent already binds an extension of this signal type.
    SignalTypeTaken {
        agent: String,
        signal_type: u8,
    },
    QueueNotEmpty(String),
    /// Disabling is allowed only while offline.
    AgentOnline(String),
    AgentDisabled(String),
    NoExtension(String),
    /// The operation would leave the agent in no queue.
    LastQueue(String),
    /// A state change dated before the agent's last change.
    StateInPast {
        agent: String,
        last_ms: i64,
    },
    Invalid(String),
    /// Another agent already has this work id.
    WorkIdExists(String),
    /// The extension is not bound to this agent.
    ExtensionNotBound {
        extension: String,
        agent: String,
    },
    /// The agent is ringing or talking; the change must wait for the call to end.
    InCall(String),
    /// An IVR flow that does not hold together, with the document's code for it.
    Ivr(ivr::IvrError),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ModelError::*;
        match self {
            TenantNotFound(t) => write!(f, "tenant {t} not found"),
            AgentNotFound(a) => write!(f, "agent {a} not found"),
            AgentExists(a) => write!(f, "agent {a} already exists"),
            ExtensionNotFound(e) => write!(f, "extension {e} not found"),
            ExtensionExists(e) => write!(f, "extension {e} already exists"),
            QueueNotFound(q) => write!(f, "queue {q} not found"),
            QueueExists(q) => write!(f, "queue {q} already exists"),
            QueueNameExists(n) => write!(f, "queue name {n:?} already exists"),
            SubscriptionNotFound(s) => write!(f, "subscription {s} not found"),
            SubscriptionNameExists(n) => write!(f, "subscription name {n:?} already exists"),
            RelayNumberNotFound(n) => write!(f, "relay number {n} is not one of the app's"),
            ExtensionBound { extension, agent } => {
                write!(f, "extension {extension} is bound to agent {agent}; unbind it first")
            }
            SignalTypeTaken { agent, signal_type } => write!(
                f,
                "agent {agent} already binds a {} extension",
                if *signal_type == SIGNAL_WEBRTC { "WebRTC" } else { "SIP" }
            ),
            QueueNotEmpty(q) => write!(f, "queue {q} still has agents"),
            AgentOnline(a) => write!(f, "agent {a} is online; it can be disabled only when offline"),
            AgentDisabled(a) => write!(f, "agent {a} is disabled"),
            NoExtension(a) => write!(f, "agent {a} has no extension bound"),
            LastQueue(a) => write!(f, "agent {a} must stay in at least one queue"),
            StateInPast { agent, last_ms } => write!(
                f,
                "agent {agent} last changed state at {last_ms} ms; a change cannot be dated before it"
            ),
            Invalid(m) => f.write_str(m),
            WorkIdExists(w) => write!(f, "work id {w} already belongs to another agent"),
            ExtensionNotBound { extension, agent } => {
                write!(f, "extension {extension} is not bound to agent {agent}")
            }
            InCall(a) => write!(f, "agent {a} is in a call"),
            Ivr(e) => f.write_str(&e.message),
        }
    }
}
