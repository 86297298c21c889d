//! 11–14 and 26: queues — list, create, modify, delete — and a queue's agents.

use super::agents::{agent_detail, AgentDetail};
use super::errors::UdeskError;
use super::{Answer, Call};
use crate::model::ops::QueuePatch;
use crate::model::ModelError;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A queue as the list shows it, copied out so that it is serialised with the lock released.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueueView {
    queue_id: String,
    name: String,
    strategy: u8,
    timeout: i64,
    wait_music: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueueList {
    queues: Vec<QueueView>,
}

/// 11. Get Queue List — `GET /ccapi/v2/queues`, in queue id order.
///
/// The list is the model's alone (no field moves with the clock), so it is kept per model
/// version and polled again for the cost of a copy (`read_cache`).
pub fn list(call: &Call) -> Result<Answer, UdeskError> {
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    let key = crate::read_cache::cache_key!["udesk/queues", &call.tenant];
    let version = model.version();
    if let Some(kept) = call.ctx.reads.get(&key, version, 0) {
        drop(model);
        return Ok(Answer::kept(&kept));
    }
    let view = QueueList {
        queues: t
            .queues
            .values()
            .map(|q| QueueView {
                queue_id: q.id.clone(),
                name: q.name.clone(),
                strategy: q.strategy,
                timeout: q.timeout,
                wait_music: q.wait_music.clone(),
            })
            .collect(),
    };
    drop(model);
    let answer = Answer::sized(&view, 64 + 96 * view.queues.len())?;
    call.ctx.reads.put(key, version, 0, answer.to_kept());
    Ok(answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateQueue {
    /// Ignored: the server assigns the id (the example sends 9008 and is answered 181154).
    #[allow(dead_code)]
    queue_id: Option<String>,
    #[serde(default)]
    queue_name: String,
    wait_music: Option<String>,
    strategy: Option<u8>,
    timeout: Option<i64>,
}

/// 12. Creating a Queue — `POST /ccapi/v2/queues`.
///
/// Answers the server-assigned QueueId (from the app's counter; the QueueId sent is ignored, as in
/// the document's example). QueueName is required (100001) and unique in the app (100006).
pub fn create(call: &Call) -> Result<Answer, UdeskError> {
    let b: CreateQueue = call.body()?;
    if b.queue_name.is_empty() {
        return Err(UdeskError::EmptyParameter("QueueName is required".into()));
    }
    let patch = QueuePatch {
        name: None,
        strategy: b.strategy,
        timeout: b.timeout,
        wait_music: b.wait_music,
    };
    let now = call.now_ms();
    let q = {
        let mut model = call.ctx.model();
        model
            .tenant_mut(&call.tenant)?
            .create_queue(&b.queue_name, patch, now)?
    };
    Ok(json!({ "QueueId": q.id }).into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyQueue {
    #[serde(default)]
    queue_id: String,
    queue_name: Option<String>,
    strategy: Option<u8>,
    timeout: Option<i64>,
    wait_music: Option<String>,
}

/// 13. Modify Queue — `PUT /ccapi/v2/queues`.
///
/// Strategy 0, 1 or 2 (000001); a name another queue has answers 100006; an unknown queue 100018.
pub fn modify(call: &Call) -> Result<Answer, UdeskError> {
    let b: ModifyQueue = call.body()?;
    if b.queue_id.is_empty() {
        return Err(UdeskError::EmptyParameter("QueueId is required".into()));
    }
    if b.queue_name.as_deref() == Some("") {
        return Err(UdeskError::EmptyParameter(
            "QueueName cannot be empty".into(),
        ));
    }
    let patch = QueuePatch {
        name: b.queue_name,
        strategy: b.strategy,
        timeout: b.timeout,
        wait_music: b.wait_music,
    };
    let mut model = call.ctx.model();
    model
        .tenant_mut(&call.tenant)?
        .modify_queue(&b.queue_id, patch)?;
    Ok(Answer::null())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueRef {
    #[serde(default)]
    queue_id: String,
}

/// 14. Delete Queue — `DELETE /ccapi/v2/queues`; a queue with agents cannot be deleted (100022).
pub fn delete(call: &Call) -> Result<Answer, UdeskError> {
    let b: QueueRef = call.body()?;
    if b.queue_id.is_empty() {
        return Err(UdeskError::EmptyParameter("QueueId is required".into()));
    }
    let mut model = call.ctx.model();
    model.tenant_mut(&call.tenant)?.delete_queue(&b.queue_id)?;
    Ok(Answer::null())
}

/// 26. Get Queue Agent List — `GET /ccapi/v2/queues/agents_list/{queue_id}`: the members in the
///     get-agent shape, in agent id order; 100018 for an unknown queue.
pub fn agents(call: &Call) -> Result<Answer, UdeskError> {
    let queue = call.param("queue_id");
    let now = call.now_ms();
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    if !t.queues.contains_key(queue) {
        return Err(ModelError::QueueNotFound(queue.to_string()).into());
    }
    // The members' states move with the clock: kept per model version and instant.
    let key = crate::read_cache::cache_key!["udesk/queues/agents_list", &call.tenant, queue];
    let version = model.version();
    if let Some(kept) = call.ctx.reads.get(&key, version, now) {
        drop(model);
        return Ok(Answer::kept(&kept));
    }
    let list: Vec<AgentDetail> = t
        .queue_members(queue)
        .map(|a| agent_detail(t, a, now))
        .collect();
    drop(model);
    let answer = Answer::sized(&list, 64 + 320 * list.len())?;
    call.ctx.reads.put(key, version, now, answer.to_kept());
    Ok(answer)
}
