//! 15–17: queue membership — batch add agents to a queue, enrol an agent in queues, dequeue.
//!
//! An agent must be in at least one queue: a change that would leave it in none is refused with
//! 000001 (the document has no code for it; docs/udesk.md).

use super::agents::check_agent_id;
use super::errors::UdeskError;
use super::{Answer, Call};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueAgents {
    #[serde(default)]
    queue_id: String,
    agent_ids: Vec<String>,
}

/// 15. Batch Add Agents to Queue — `POST /ccapi/v2/queues/agents`; incremental. Every agent must
///     exist (100018), or nobody is added.
pub fn add_agents(call: &Call) -> Result<Answer, UdeskError> {
    let b: QueueAgents = call.body()?;
    if b.queue_id.is_empty() {
        return Err(UdeskError::EmptyParameter("QueueId is required".into()));
    }
    if b.agent_ids.is_empty() {
        return Err(UdeskError::EmptyParameter("AgentIds is required".into()));
    }
    let mut model = call.ctx.model();
    model
        .tenant_mut(&call.tenant)?
        .add_queue_members(&b.queue_id, &b.agent_ids)?;
    Ok(Answer::null())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AgentQueues {
    agent_id: String,
    queues: Vec<String>,
    #[serde(default)]
    is_full: i64,
}

/// An empty `Queues` is "Parameter is empty" (100001), except for a full replacement (IsFull 1),
/// where it would leave the agent in no queue and is refused as such (000001) by the model.
fn parse(call: &Call) -> Result<AgentQueues, UdeskError> {
    let b: AgentQueues = call.body()?;
    check_agent_id(&b.agent_id)?;
    if b.queues.is_empty() && b.is_full != 1 {
        return Err(UdeskError::EmptyParameter("Queues is required".into()));
    }
    Ok(b)
}

/// 16. Batch Agent Queue Enrollment — `POST /ccapi/v2/agents/queues`.
///
/// IsFull 0 (default) adds the queues; 1 makes them exactly the agent's queues; anything else is
/// 000001. Every queue must exist (100018).
pub fn enrol(call: &Call) -> Result<Answer, UdeskError> {
    let b = parse(call)?;
    let replace = match b.is_full {
        0 => false,
        1 => true,
        n => {
            return Err(UdeskError::InvalidParameter(format!(
                "IsFull {n} must be 0 or 1"
            )))
        }
    };
    let mut model = call.ctx.model();
    model
        .tenant_mut(&call.tenant)?
        .enrol_agent(&b.agent_id, &b.queues, replace)?;
    Ok(Answer::null())
}

/// 17. Batch Agent Dequeue — `DELETE /ccapi/v2/agents/queues`. Queues the agent is not in are
///     ignored; unknown queues answer 100018; leaving the agent in no queue answers 000001.
pub fn dequeue(call: &Call) -> Result<Answer, UdeskError> {
    let b = parse(call)?;
    let mut model = call.ctx.model();
    model
        .tenant_mut(&call.tenant)?
        .dequeue_agent(&b.agent_id, &b.queues)?;
    Ok(Answer::null())
}
