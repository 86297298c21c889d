//! The vendor-neutral contact center every vendor face reads and writes.
//!
//! Nothing here knows about HTTP or any vendor's envelope. The serde form of [`Model`] is also the
//! fixture format, so `GET /_ccemu/state` answers in the same shape `--fixture` and
//! `POST /_ccemu/fixture` accept.
//!
//! Invariants kept by the operations below (and checked by the property tests):
//! - an agent binds at most one extension of each signal type, and an extension is bound to at most
//!   one agent, and both sides agree;
//! - every queue an agent lists exists (Udesk's "at least one queue" rule is Udesk's, kept by
//!   its operations in `ops.rs`; NXCloud groups and scenario events may empty a queue);
//! - a timeline is ordered by time;
//! - the agent indexes (id order, per-queue members, accounts, WorkIds, SIP numbers) agree with
//!   the agent records, and the queue name index with the queues.

pub mod agents;
mod credentials;
mod errors;
pub mod events;
pub mod fixture;
pub mod idset;
pub mod ivr;
pub mod memory;
pub mod ops;
pub mod queues;
pub mod ranked;
mod records;
pub mod state;
mod tenant;
pub mod tokens;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use agents::Agents;
pub use credentials::*;
pub use errors::*;
pub use events::{line_of, ModelEvent};
pub use idset::IdSet;
pub use queues::Queues;
pub use records::*;
pub use state::{AgentState, Durations, RestReason, StateChange};
pub use tenant::*;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Model {
    #[serde(default, with = "fixture::keyed_list")]
    pub tenants: BTreeMap<String, Tenant>,
    /// Events recorded under the lock and not yet handed to the event engine; the model guard
    /// drains it on release (see `model::events`).
    #[serde(skip)]
    pub outbox: Vec<ModelEvent>,
    /// Bearer tokens issued by token exchanges (Huawei tokenByAkSk); cleared by reset.
    #[serde(skip)]
    pub tokens: tokens::Tokens,
}

pub type ModelResult<T> = Result<T, ModelError>;

impl Model {
    pub fn tenant(&self, id: &str) -> ModelResult<&Tenant> {
        self.tenants
            .get(id)
            .ok_or_else(|| ModelError::TenantNotFound(id.into()))
    }

    pub fn tenant_mut(&mut self, id: &str) -> ModelResult<&mut Tenant> {
        self.tenants
            .get_mut(id)
            .ok_or_else(|| ModelError::TenantNotFound(id.into()))
    }

    /// The tenant whose credentials satisfy `pred`. Tenants are few, so a scan beats keeping an
    /// index in step with fixture merges.
    pub fn find_tenant(&self, pred: impl Fn(&Credentials) -> bool) -> Option<&Tenant> {
        self.tenants.values().find(|t| pred(&t.credentials))
    }

    /// Records an event for delivery once the model lock is released.
    pub fn emit(&mut self, event: ModelEvent) {
        self.outbox.push(event);
    }

    /// The one place an agent's state changes. Login is leaving offline, logout is entering it.
    /// A change to the state the agent is already in is a no-op (no duplicate timeline entry).
    pub fn set_agent_state(
        &mut self,
        tenant: &str,
        agent: &str,
        to: AgentState,
        at_ms: i64,
    ) -> ModelResult<()> {
        let t = self.tenant_mut(tenant)?;
        let mut a = t
            .agents
            .get_mut(agent)
            .ok_or_else(|| ModelError::AgentNotFound(agent.into()))?;
        if let Some(last) = a.last_change_ms() {
            if at_ms < last {
                return Err(ModelError::StateInPast {
                    agent: agent.into(),
                    last_ms: last,
                });
            }
        }
        let from = a.state();
        if from == to {
            return Ok(());
        }
        a.timeline.push(StateChange { at_ms, state: to });
        drop(a);
        let (line_from, line_to) = (line_of(from), line_of(to));
        let line = if line_from == line_to {
            None
        } else {
            let t = self.tenant(tenant)?;
            t.agents
                .get(agent)
                .and_then(|a| a.call_extension(t))
                .map(|e| e.extension.clone())
        };
        self.emit(ModelEvent::AgentState {
            tenant: tenant.into(),
            agent: agent.into(),
            at_ms,
            from,
            to,
        });
        if let Some(extension) = line {
            self.emit(ModelEvent::ExtensionLine {
                tenant: tenant.into(),
                agent: agent.into(),
                extension,
                at_ms,
                from: line_from,
                to: line_to,
            });
        }
        Ok(())
    }

    /// Binds (`bind: true`) or unbinds extensions through the tenant's rules, recording a
    /// binding event per extension whose binding changed and a call-mode event when the signal
    /// type the agent calls with changes with it.
    pub fn bind_extensions(
        &mut self,
        tenant: &str,
        agent: &str,
        extensions: &[String],
        bind: bool,
        at_ms: i64,
    ) -> ModelResult<()> {
        let t = self.tenant_mut(tenant)?;
        let mode_before = t.agents.get(agent).and_then(|a| a.call_mode(t));
        let bound_before = t
            .agents
            .get(agent)
            .map(|a| a.extensions.clone())
            .unwrap_or_default();
        if bind {
            t.bind_extensions(agent, extensions)?;
        } else {
            t.unbind_extensions(agent, extensions)?;
        }
        let Some(a) = t.agents.get(agent) else {
            return Ok(());
        };
        let mode_after = a.call_mode(t);
        let changed: Vec<String> = if bind {
            a.extensions.difference(&bound_before).cloned().collect()
        } else {
            bound_before.difference(&a.extensions).cloned().collect()
        };
        for extension in changed {
            self.emit(ModelEvent::ExtensionBinding {
                tenant: tenant.into(),
                agent: agent.into(),
                extension,
                at_ms,
                bound: bind,
            });
        }
        if mode_before != mode_after {
            self.emit(ModelEvent::CallMode {
                tenant: tenant.into(),
                agent: agent.into(),
                at_ms,
                from: mode_before,
                to: mode_after,
            });
        }
        Ok(())
    }

    /// The agent switches the extension type it calls with (Udesk: "the agent needs to manually
    /// switch to the extension type that matches the current outgoing call method"). The agent
    /// must bind an extension of that type.
    pub fn set_call_mode(
        &mut self,
        tenant: &str,
        agent: &str,
        signal_type: u8,
        at_ms: i64,
    ) -> ModelResult<()> {
        let t = self.tenant_mut(tenant)?;
        let a = t
            .agents
            .get(agent)
            .ok_or_else(|| ModelError::AgentNotFound(agent.into()))?;
        let before = a.call_mode(t);
        let has_type = a
            .extensions
            .iter()
            .filter_map(|e| t.extensions.get(e))
            .any(|e| e.signal_type == signal_type);
        if !has_type {
            return Err(ModelError::Invalid(format!(
                "agent {agent} binds no extension of signal type {signal_type}"
            )));
        }
        if let Some(mut a) = t.agents.get_mut(agent) {
            a.call_mode = Some(signal_type);
        }
        if before != Some(signal_type) {
            self.emit(ModelEvent::CallMode {
                tenant: tenant.into(),
                agent: agent.into(),
                at_ms,
                from: before,
                to: Some(signal_type),
            });
        }
        Ok(())
    }

    /// An extension's line changes state: the agent bound to it rings, talks, or is free again
    /// (idle). The model keeps no separate line state: a line is busy exactly when its agent is
    /// ringing or calling, so every vendor face (Udesk State and ExtState, NXLink durations,
    /// Huawei agentStatus) sees the change. The extension must be bound to an online agent.
    pub fn set_extension_state(
        &mut self,
        tenant: &str,
        extension: &str,
        line: LineState,
        at_ms: i64,
    ) -> ModelResult<()> {
        let t = self.tenant(tenant)?;
        let ext = t
            .extensions
            .get(extension)
            .ok_or_else(|| ModelError::ExtensionNotFound(extension.into()))?;
        let agent = ext.agent.clone().ok_or_else(|| {
            ModelError::Invalid(format!("extension {extension} is bound to no agent"))
        })?;
        let online = t.agents.get(&agent).is_some_and(|a| a.state().is_online());
        if !online {
            return Err(ModelError::Invalid(format!(
                "agent {agent} on extension {extension} is offline; its line cannot change state"
            )));
        }
        let to = match line {
            LineState::Free => AgentState::Idle,
            LineState::Ringing => AgentState::Ringing,
            LineState::Talking => AgentState::Calling,
        };
        self.set_agent_state(tenant, &agent, to, at_ms)
    }

    /// Checks the invariants listed at the top of this module; used by tests and after merges.
    pub fn check_invariants(&self) -> Result<(), String> {
        for t in self.tenants.values() {
            t.agents.check().map_err(|e| format!("{}: {e}", t.id))?;
            t.queues.check().map_err(|e| format!("{}: {e}", t.id))?;
            for a in t.agents.values() {
                for q in &a.queues {
                    if !t.queues.contains_key(q) {
                        return Err(format!("{}: agent {} lists missing queue {q}", t.id, a.id));
                    }
                }
                let mut types = BTreeSet::new();
                for e in &a.extensions {
                    let ext = t.extensions.get(e).ok_or_else(|| {
                        format!("{}: agent {} binds missing extension {e}", t.id, a.id)
                    })?;
                    if ext.agent.as_deref() != Some(a.id.as_str()) {
                        return Err(format!(
                            "{}: extension {e} does not point back at {}",
                            t.id, a.id
                        ));
                    }
                    if !types.insert(ext.signal_type) {
                        return Err(format!(
                            "{}: agent {} binds two extensions of one type",
                            t.id, a.id
                        ));
                    }
                }
                if a.timeline.windows(2).any(|w| w[0].at_ms > w[1].at_ms) {
                    return Err(format!("{}: agent {} timeline out of order", t.id, a.id));
                }
            }
            for e in t.extensions.values() {
                if let Some(agent) = &e.agent {
                    let ok = t
                        .agents
                        .get(agent)
                        .is_some_and(|a| a.extensions.contains(&e.extension));
                    if !ok {
                        return Err(format!(
                            "{}: extension {} points at {agent} which does not bind it",
                            t.id, e.extension
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
