//! What a call step does outside the simulation: it records the step on the call, emits it
//! as a model event into the outbox (the vendors decide who hears it) and moves agents on the
//! shared timeline.

use super::sim::Sim;
use super::{Host, Step};
use crate::model::{AgentState, ModelEvent, Vendor};
use serde_json::Value;

pub(super) fn step(name: &str, at_ms: i64, agent: Option<&str>) -> Step {
    Step {
        name: name.into(),
        at_ms,
        agent: agent.map(str::to_string),
        detail: None,
    }
}

/// Records a call step and emits it as a model event (the vendors decide who hears it).
pub(super) fn emit<H: Host>(sim: &mut Sim, host: &H, id: &str, name: &str, at_ms: i64) {
    emit_data(sim, host, id, name, at_ms, Value::Null);
}

/// [`emit`] with the fields this step adds to the call's own (digits, consulted agent, ...),
/// which the history shows as the step's detail too.
pub(super) fn emit_data<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    name: &str,
    at_ms: i64,
    data: Value,
) {
    let Some(c) = sim.calls.get_mut(id) else {
        return;
    };
    let agent = c.agent.clone().or_else(|| c.ringing.first().cloned());
    let mut s = step(name, at_ms, agent.as_deref());
    if let Value::Object(m) = &data {
        if !m.is_empty() {
            s.detail = Some(data.to_string());
        }
    }
    c.steps.push(s);
    let mut model = host.model();
    let mut fields = c.fields(model.tenants.get(&c.tenant));
    if let (Value::Object(f), Value::Object(extra)) = (&mut fields, data) {
        f.extend(extra);
    }
    model.emit(ModelEvent::Call {
        tenant: c.tenant.clone(),
        call: c.id.clone(),
        name: name.into(),
        at_ms,
        fields,
    });
}

/// Moves an agent on the shared timeline; a refusal (the agent is gone, or its timeline already
/// moved past `at`) is noted on the call and answered as false.
pub(super) fn set_state<H: Host>(
    sim: &mut Sim,
    host: &H,
    id: &str,
    agent: &str,
    to: AgentState,
    at: i64,
) -> bool {
    let (tenant, result) = {
        let Some(c) = sim.calls.get(id) else {
            return false;
        };
        let r = host.model().set_agent_state(&c.tenant, agent, to, at);
        (c.tenant.clone(), r)
    };
    let _ = tenant;
    match result {
        Ok(()) => true,
        Err(e) => {
            if let Some(c) = sim.calls.get_mut(id) {
                let mut s = step("agent_state_refused", at, Some(agent));
                s.detail = Some(e.to_string());
                c.steps.push(s);
            }
            false
        }
    }
}

pub(super) fn state_of<H: Host>(
    host: &H,
    tenant: &str,
    agent: &str,
    at: i64,
) -> Option<AgentState> {
    let model = host.model();
    model
        .tenants
        .get(tenant)
        .and_then(|t| t.agents.get(agent))
        .map(|a| a.state_at(at))
}

pub(super) fn vendor_of<H: Host>(host: &H, tenant: &str) -> Vendor {
    host.model()
        .tenants
        .get(tenant)
        .map_or(Vendor::Udesk, |t| t.vendor())
}
