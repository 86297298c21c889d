//! Skill management: skills are the model's queues (skillId = queue id as a number), and an
//! agent's skills are its queue memberships, so a skill deleted here is gone for every vendor.

use super::agents::{parse_skill_id, queue_key, skill_id};
use super::errors::HuaweiError;
use super::{ok, Call};
use crate::http::Reply;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct QuerySkillsRequest {
    name: Option<String>,
    media_type_id: Option<u32>,
    limit: Option<i64>,
    offset: Option<i64>,
    skill_ids: Option<Vec<Value>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillRow {
    skill_id: u64,
    name: String,
    description: String,
    media_type_id: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillPage {
    return_code: &'static str,
    description: &'static str,
    total: usize,
    data: Vec<SkillRow>,
}

/// Querying Skills (querySkills) — `POST /apiaccess/rest/cc-management/v1/skill/querySkills`
/// `{name?, mediaTypeId?, limit ≤ 100, offset, skillIds[]?}`.
///
/// Every filter is optional (an empty body lists all skills): name matches as a substring,
/// mediaTypeId exactly, skillIds (numbers or digit strings) by id. limit is 1..=100 (default
/// 100), offset counts skills from 0; total is the number of matches before paging.
pub fn query_skills(call: &Call) -> Result<Reply, HuaweiError> {
    let q: QuerySkillsRequest = if call.req.body.iter().all(|b| b.is_ascii_whitespace()) {
        QuerySkillsRequest::default()
    } else {
        call.body()?
    };
    let limit = match q.limit {
        None => 100,
        Some(n @ 1..=100) => n as usize,
        Some(n) => {
            return Err(HuaweiError::BadRequest(format!(
                "limit must be from 1 to 100, not {n}."
            )))
        }
    };
    let offset = match q.offset {
        None => 0,
        Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(n) => {
            return Err(HuaweiError::BadRequest(format!(
                "offset must not be negative, not {n}."
            )))
        }
    };
    let wanted_ids = match &q.skill_ids {
        None => None,
        Some(ids) => Some(
            ids.iter()
                .map(|v| parse_skill_id("skillIds", v))
                .collect::<Result<Vec<u64>, _>>()?,
        ),
    };
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    // Polled again before the model or the clock moves, the answer is the bytes made last time.
    // The filters spelled out only when there are any: a `format!` of them all cost more than
    // the lookup it keys.
    let filtered = q.name.is_some() || q.media_type_id.is_some() || wanted_ids.is_some();
    let filters = if filtered {
        format!("{:?}/{:?}/{wanted_ids:?}", q.name, q.media_type_id)
    } else {
        String::new()
    };
    let (key, version, now) = (
        crate::read_cache::cache_key!["huawei/querySkills", call.tenant, offset, limit, &filters],
        model.version(),
        call.now_ms(),
    );
    if let Some(reply) = super::kept_reply(call, &key, version, now) {
        return Ok(reply);
    }
    let mut rows: Vec<SkillRow> = t
        .queues
        .values()
        .filter_map(|queue| {
            let id = skill_id(&queue.id)?;
            let keep = q
                .name
                .as_ref()
                .is_none_or(|n| queue.name.contains(n.as_str()))
                && q.media_type_id.is_none_or(|m| m == queue.media_type_id)
                && wanted_ids.as_ref().is_none_or(|ids| ids.contains(&id));
            keep.then(|| SkillRow {
                skill_id: id,
                name: queue.name.clone(),
                description: queue.description.clone(),
                media_type_id: queue.media_type_id,
            })
        })
        .collect();
    drop(model);
    rows.sort_by_key(|r| r.skill_id);
    let total = rows.len();
    let data = rows.into_iter().skip(offset).take(limit).collect();
    let reply = ok(&SkillPage {
        return_code: "0",
        description: "Success",
        total,
        data,
    })?;
    Ok(super::keep(call, key, version, now, reply))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteSkillRequest {
    skill_ids: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Done {
    return_code: &'static str,
    description: &'static str,
}

/// Deleting Skills (deleteSkill) — `POST /apiaccess/rest/cc-management/v1/skill/deleteSkill`
/// `{"skillIds":"3,4"}`.
///
/// All or nothing: every id must name a skill with no agents (as a Udesk queue delete), or
/// nothing is deleted and the answer is a business failure (500). A list that is not
/// comma-separated numbers is a bad request (400).
pub fn delete_skill(call: &Call) -> Result<Reply, HuaweiError> {
    let body: DeleteSkillRequest = call.body()?;
    let mut ids = Vec::new();
    for part in body.skill_ids.split(',') {
        let part = part.trim();
        let id = skill_id(part).ok_or_else(|| {
            HuaweiError::BadRequest(format!(
                "skillIds must be comma-separated skill IDs, such as \"3,4\"; {part:?} is not one."
            ))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let mut model = call.ctx.model();
    let t = model.tenant_mut(call.tenant)?;
    let mut keys = Vec::with_capacity(ids.len());
    for id in &ids {
        let key = queue_key(t, *id)
            .ok_or_else(|| HuaweiError::Business(format!("Skill {id} does not exist.")))?;
        if t.queue_has_members(&key) {
            return Err(HuaweiError::Business(format!(
                "Skill {id} still has agents; remove them from the skill first."
            )));
        }
        keys.push(key);
    }
    for key in keys {
        t.delete_queue(&key)?;
    }
    drop(model);
    ok(&Done {
        return_code: "0",
        description: "Success",
    })
}
