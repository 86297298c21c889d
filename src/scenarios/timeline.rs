//! Scripted events at virtual times: agent and extension state changes, queue membership, clock skew and token
//! revocation. `apply_event` is the one place a scripted event touches the emulator, so anything
//! that must react to changes (webhook delivery, later) hooks in there or in the model's own
//! event log that `Model::set_agent_state` writes.

use super::Host;
use crate::calls::spec::CallSpec;
use crate::model::{AgentState, LineState};
use serde::{Deserialize, Serialize};

/// An event as written in a scenario file: `at_ms` is counted from the scenario's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Through `Model::set_agent_state`, dated at the event's virtual time (not when it was
    /// noticed), so durations come out exact however late the clock was looked at.
    AgentState {
        tenant: String,
        agent: String,
        state: AgentState,
    },
    /// An extension's line rings, talks or is free again: its agent's state follows
    /// (`Model::set_extension_state`).
    ExtensionState {
        tenant: String,
        extension: String,
        state: LineState,
    },
    /// Replaces a queue's members.
    QueueMembers {
        tenant: String,
        queue: String,
        members: Vec<String>,
    },
    /// The tenant's view of now moves by `offset_ms` from here on (0 removes the skew).
    Skew { tenant: String, offset_ms: i64 },
    /// Every token the tenant holds, issued at or before this instant (on the tenant's own clock),
    /// is refused from now on.
    RevokeTokens { tenant: String },
    /// A simulated call starts (`calls::spec::CallSpec`; its `at_ms` is the event's).
    Call { call: CallSpec },
    /// Replaces the tenant's IVR flows (and voice list, when given), checked as the admin API
    /// checks them (`model::ivr`).
    IvrFlows {
        tenant: String,
        flows: Vec<crate::model::ivr::IvrFlow>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        voices: Option<Vec<crate::model::ivr::Voice>>,
    },
    /// A load profile: `calls_per_hour` calls arriving as a Poisson process for `duration_ms`
    /// from the event's instant, each a copy of `call`.
    Load {
        calls_per_hour: f64,
        duration_ms: i64,
        call: CallSpec,
    },
}

/// The most calls an hour a load profile may ask for. At this rate a virtual day is 24 million
/// calls, made one arrival at a time as the clock reaches it (memory follows the live calls,
/// not the profile); beyond it one core cannot keep up with a running clock.
pub use crate::calls::MAX_CALLS_PER_HOUR;
/// The longest load profile: 31 virtual days.
pub const MAX_LOAD_DURATION_MS: i64 = 31 * 86_400_000;
/// The latest scenario start: the last millisecond of the year 9999.
pub const MAX_START_MS: i64 = 253_402_300_799_999;
/// How far from the scenario's start an event may be placed, either way: a year.
pub const MAX_EVENT_OFFSET_MS: i64 = 366 * 86_400_000;

impl Event {
    /// The `event` tag, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Event::AgentState { .. } => "agent_state",
            Event::ExtensionState { .. } => "extension_state",
            Event::QueueMembers { .. } => "queue_members",
            Event::Skew { .. } => "skew",
            Event::RevokeTokens { .. } => "revoke_tokens",
            Event::Call { .. } => "call",
            Event::Load { .. } => "load",
            Event::IvrFlows { .. } => "ivr_flows",
        }
    }
}

impl TimedEvent {
    /// What can be known of an event before it is due: its place on the clock, its rates and
    /// durations, and the call it describes. Checked when a scenario is loaded, so a typo is a
    /// 400 then rather than an error logged when the event comes up.
    pub fn validate(&self) -> Result<(), String> {
        if self.at_ms.unsigned_abs() > MAX_EVENT_OFFSET_MS as u64 {
            return Err(format!(
                "at_ms {} is more than a year from the scenario's start",
                self.at_ms
            ));
        }
        match &self.event {
            Event::Call { call } => call.validate(),
            Event::Load {
                calls_per_hour,
                duration_ms,
                call,
            } => {
                if !(calls_per_hour.is_finite()
                    && *calls_per_hour > 0.0
                    && *calls_per_hour <= MAX_CALLS_PER_HOUR)
                {
                    return Err(format!(
                        "calls_per_hour must be above 0 and at most {MAX_CALLS_PER_HOUR}, not {calls_per_hour}"
                    ));
                }
                if *duration_ms <= 0 || *duration_ms > MAX_LOAD_DURATION_MS {
                    return Err(format!(
                        "duration_ms must be from 1 ms to 31 days ({MAX_LOAD_DURATION_MS}), not {duration_ms}"
                    ));
                }
                if call.at_ms.is_some() {
                    return Err("a load profile's call takes no at_ms: each arrival sets it".into());
                }
                call.validate()
            }
            _ => Ok(()),
        }
    }
}

/// An event placed on the absolute virtual clock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scheduled {
    pub at_ms: i64,
    pub scenario: String,
    #[serde(flatten)]
    pub event: Event,
}

/// What became of an applied event.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    #[serde(flatten)]
    pub scheduled: Scheduled,
    /// `None` when applied; the model's refusal otherwise (e.g. an agent that no longer exists).
    pub error: Option<String>,
}

pub fn apply_event<H: Host>(ctx: &H, at_ms: i64, event: &Event) -> Result<(), String> {
    match event {
        Event::AgentState {
            tenant,
            agent,
            state,
        } => ctx
            .model()
            .set_agent_state(tenant, agent, *state, at_ms)
            .map_err(|e| e.to_string()),
        Event::ExtensionState {
            tenant,
            extension,
            state,
        } => ctx
            .model()
            .set_extension_state(tenant, extension, *state, at_ms)
            .map_err(|e| e.to_string()),
        Event::QueueMembers {
            tenant,
            queue,
            members,
        } => {
            let mut model = ctx.model();
            let t = model.tenant_mut(tenant).map_err(|e| e.to_string())?;
            t.set_queue_members(queue, members)
                .map_err(|e| e.to_string())
        }
        Event::IvrFlows {
            tenant,
            flows,
            voices,
        } => {
            let mut model = ctx.model();
            let t = model.tenant_mut(tenant).map_err(|e| e.to_string())?;
            t.replace_ivr_flows(flows.clone(), voices.clone())
                .map_err(|e| match e {
                    crate::model::ModelError::Ivr(e) => format!("{} {}", e.code, e.message),
                    e => e.to_string(),
                })
        }
        Event::Skew { tenant, offset_ms } => {
            ctx.scenarios().set_skew(tenant, *offset_ms);
            Ok(())
        }
        Event::Call { call } => {
            let mut spec = call.clone();
            spec.at_ms = Some(at_ms);
            ctx.calls().start(ctx, spec, None).map(|_| ())
        }
        Event::Load {
            calls_per_hour,
            duration_ms,
            call,
        } => ctx
            .calls()
            .load(ctx, call, *calls_per_hour, at_ms, *duration_ms)
            .map(|_| ()),
        Event::RevokeTokens { tenant } => {
            // Tokens are dated on the tenant's own (possibly skewed) clock, as
            // `POST /_ccemu/revoke-tokens` reads "now"; the event's instant is read there too.
            let at = at_ms.saturating_add(ctx.scenarios().skew_for(tenant));
            ctx.scenarios().revoke_tokens(tenant, at);
            Ok(())
        }
    }
}
