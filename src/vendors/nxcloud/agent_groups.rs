//! Agent groups (the model's queues: queueNo/groupNo is the queue id, groupName its name) and
//! their members, who are addressed by SIP number.

use super::errors::NxError;
use super::{Call, Data, Page};
use crate::model::{Agent, Tenant};
use serde::Serialize;
use std::collections::BTreeSet;

fn group_not_found(queue_no: &str) -> NxError {
    NxError::Validation(format!("Agent group {queue_no} does not exist"))
}

/// A member as the list shows it, borrowed from the agent's shared record: under the lock the
/// queue's member chunks are shared (a reference count each), and the members are sorted and
/// written after it is released.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Member<'a> {
    sip_number: &'a str,
    nick_name: &'a str,
    user_name: &'a str,
}

impl<'a> From<&'a Agent> for Member<'a> {
    fn from(a: &'a Agent) -> Self {
        Member {
            sip_number: a.sip_number.as_deref().unwrap_or_default(),
            nick_name: &a.nick_name,
            user_name: &a.id,
        }
    }
}

/// Querying the Binding Relationship between Agent Groups and Agents —
/// `POST /saas/cc/openapi/agentGroup/member/list` `{tenantId, queueNo}`.
///
/// Members come in sipNumber order (the document's example is in that order); an unknown
/// queueNo answers 41000 "Agent group … does not exist".
pub fn member_list(call: &Call) -> Result<Data, NxError> {
    let queue_no = call.body.string("queueNo")?;
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    if !t.queues.contains_key(&queue_no) {
        return Err(group_not_found(&queue_no));
    }
    // Polled again before the model or the clock moves, the list is the bytes made last time.
    let (key, version, now) = (
        crate::read_cache::cache_key!["nxcloud/agentGroup/member/list", call.tenant, &queue_no],
        model.version(),
        call.now_ms(),
    );
    if let Some(data) = call.kept(&key, version, now) {
        return Ok(data);
    }
    let page = t.agents.member_page(&queue_no, 0, usize::MAX);
    drop(model);
    let mut members: Vec<Member> = page.agents().map(Member::from).collect();
    members.sort_by(|a, b| (a.sip_number, a.user_name).cmp(&(b.sip_number, b.user_name)));
    let data = Data::of(&members)?;
    call.keep(key, version, now, &data);
    Ok(data)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    group_name: String,
    group_no: String,
    remark: String,
    familiarize_first: bool,
    ring_policy: u8,
}

/// Query agent group list — `POST /saas/cc/openapi/agentGroup/page`
/// `{tenantId, queueName?, size (≤ 200), page (from 1)}`.
///
/// `queueName` filters by substring of the group name; groups come in groupNo order.
pub fn page(call: &Call) -> Result<Data, NxError> {
    let name = call.body.opt_string("queueName")?.unwrap_or_default();
    let page = call.page()?;
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    // Polled again before the model or the clock moves, the page is the bytes made last time.
    let (key, version, now) = (
        crate::read_cache::cache_key![
            "nxcloud/agentGroup/page",
            call.tenant,
            page.page,
            page.size,
            &name,
        ],
        model.version(),
        call.now_ms(),
    );
    if let Some(data) = call.kept(&key, version, now) {
        return Ok(data);
    }
    // Counted over every match, built for the page's only: a tenant may have a thousand groups.
    let (skip, take) = page.window();
    let mut total = 0u64;
    let mut groups: Vec<Group> = Vec::with_capacity(take.min(Page::MAX_SIZE as usize));
    for q in t.queues.values().filter(|q| q.name.contains(&name)) {
        if total >= skip as u64 && groups.len() < take {
            groups.push(Group {
                group_name: q.name.clone(),
                group_no: q.id.clone(),
                remark: q.description.clone(),
                familiarize_first: q.familiarize_first,
                ring_policy: q.ring_policy,
            });
        }
        total += 1;
    }
    drop(model);
    let data = Data::paged(&groups, total)?;
    call.keep(key, version, now, &data);
    Ok(data)
}

/// The agent ids behind `sips`, all or nothing.
fn agents_by_sip(t: &Tenant, sips: &[String]) -> Result<Vec<String>, NxError> {
    sips.iter()
        .map(|sip| {
            t.agent_by_sip(sip).map(|a| a.id.clone()).ok_or_else(|| {
                NxError::Validation(format!("Agent with SIP number {sip} does not exist"))
            })
        })
        .collect()
}

/// Bulk Adding and Removing Agents in an Agent Group —
/// `POST /saas/cc/openapi/agentGroup/updateMembers` `{tenantId, queueNo, members: [sipNumber]}`.
///
/// `members` becomes the group's whole membership (an empty list empties it). An unknown group or
/// SIP number answers 41000 and changes nothing. Answers `data: null`.
pub fn update_members(call: &Call) -> Result<Data, NxError> {
    let queue_no = call.body.string("queueNo")?;
    let sips = call.body.string_list("members")?;
    let now = call.now_ms();
    let mut model = call.ctx.model();
    let t = model.tenant_mut(call.tenant)?;
    if !t.queues.contains_key(&queue_no) {
        return Err(group_not_found(&queue_no));
    }
    let ids = agents_by_sip(t, &sips)?;
    let before: BTreeSet<String> = t
        .agents
        .member_ids_from(&queue_no, 0)
        .map(String::from)
        .collect();
    t.set_queue_members(&queue_no, &ids)?;
    let after: BTreeSet<&String> = ids.iter().collect();
    let changed: Vec<&String> = before
        .iter()
        .filter(|id| !after.contains(id))
        .chain(ids.iter().filter(|id| !before.contains(*id)))
        .collect();
    for id in changed {
        if let Some(mut a) = t.agents.get_mut(id) {
            a.modified_ms = now;
        }
    }
    Ok(Data::null())
}
