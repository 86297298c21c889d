//! Scripted events at virtual times: agent and extension state changes, queue membership, clock skew and token
//! revocation. `apply_event` is the one place a scripted event touches the emulator, so anything
//! that must react to changes (webhook delivery, later) hooks in there or in the model's own
//! event log that `Model::set_agent_state` writes.

use crate::calls::spec::CallSpec;
use crate::emulator::Ctx;
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

pub fn apply_event(ctx: &Ctx, at_ms: i64, event: &Event) -> Result<(), String> {
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
            ctx.scenarios.set_skew(tenant, *offset_ms);
            Ok(())
        }
        Event::Call { call } => {
            let mut spec = call.clone();
            spec.at_ms = Some(at_ms);
            ctx.calls.start(ctx, spec, None).map(|_| ())
        }
        Event::Load {
            calls_per_hour,
            duration_ms,
            call,
        } => ctx
            .calls
            .load(ctx, call, *calls_per_hour, at_ms, *duration_ms)
            .map(|_| ()),
        Event::RevokeTokens { tenant } => {
            // Tokens are dated on the tenant's own (possibly skewed) clock, as
            // `POST /_ccemu/revoke-tokens` reads "now"; the event's instant is read there too.
            let at = at_ms.saturating_add(ctx.scenarios.skew_for(tenant));
            ctx.scenarios.revoke_tokens(tenant, at);
            Ok(())
        }
    }
}
