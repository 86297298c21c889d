//! Agent accounts (cec_07_0023, `agentAccount/query`): the business accounts of a tenant's
//! agents, by account or a page of them, read from the model's agents (workNo = agent id).

use super::agents::{
    agent_type, cc_role_id, index, non_empty, page, params, skill_id, work_no, WEIGHT, WORK_NOS,
};
use super::errors::HuaweiError;
use super::{ok, Call};
use crate::http::Reply;
use crate::model::{Agent, Tenant};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AccountQuery {
    user_account: Option<String>,
    page_num: Option<i64>,
    page_size: Option<i64>,
    agent_type: Option<Vec<u32>>,
    transparent_display_flag: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountRow {
    user_account: String,
    user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    agent_type: u32,
    cc_role_id: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_account: Option<String>,
    skills: Vec<SkillWeight>,
    work_no: u32,
    transparent_display_flag: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillWeight {
    skill_id: u64,
    agent_weight: u32,
    skill_weight: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccountPage {
    result_code: &'static str,
    result_message: &'static str,
    data: Vec<AccountRow>,
    total: usize,
}

/// Querying Agent Account Information (agentAccount/query) —
/// `POST /apiaccess/rest/cc-management/v1/agentAccount/query`
/// `{requestParams: {userAccount}}` or `{requestParams: {pageNum, pageSize, agentType[], transparentDisplayFlag}}`
/// (the unwrapped form of the page's example is accepted too).
///
/// Agent accounts are the agents with a business account (accountCode = userAccount). With
/// userAccount the other parameters are ignored and an unknown account answers an empty list;
/// without it pageNum (from 0) and pageSize (1..=1000) are mandatory.
pub fn agent_account_query(call: &Call) -> Result<Reply, HuaweiError> {
    let q: AccountQuery = params(call, &["requestParams", "requestParam"])?;
    let user_account = q.user_account.filter(|u| !u.is_empty());
    let paging = match &user_account {
        Some(_) => None,
        None => {
            let num = index("pageNum", q.page_num, 0, i64::from(u32::MAX))?;
            let size = index("pageSize", q.page_size, 1, 1000)?;
            match (num, size) {
                (Some(n), Some(s)) => Some((n, s)),
                _ => {
                    return Err(HuaweiError::BadRequest(
                        "userAccount, or pageNum and pageSize, are mandatory.".into(),
                    ))
                }
            }
        }
    };
    let types = q.agent_type.unwrap_or_default();
    let hidden = user_account.is_none() && q.transparent_display_flag == Some(true);
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    if let (None, Some((num, size)), true) = (&user_account, paging, types.is_empty()) {
        // The plain paged form walks the account index: the lock costs the page; polled again
        // before the model or the clock moves, it is the bytes made last time.
        let (key, version, now) = (
            crate::read_cache::cache_key![
                "huawei/agentAccount/query",
                call.tenant,
                num,
                size,
                hidden,
            ],
            model.version(),
            call.now_ms(),
        );
        if let Some(reply) = super::kept_reply(call, &key, version, now) {
            return Ok(reply);
        }
        let (total, data) = {
            let (total, ids) =
                t.agents
                    .accounts_in(WORK_NOS.0, WORK_NOS.1, num.saturating_mul(size));
            let data: Vec<AccountRow> = if hidden {
                Vec::new()
            } else {
                ids.take(size)
                    .filter_map(|(w, id)| Some((u32::try_from(w).ok()?, t.agents.get(id)?)))
                    .filter_map(|(w, a)| account_row(t, w, a))
                    .collect()
            };
            (total, data)
        };
        drop(model);
        let reply = ok(&AccountPage {
            result_code: "0",
            result_message: "Success",
            data,
            total: if hidden { 0 } else { total },
        })?;
        return Ok(super::keep(call, key, version, now, reply));
    }
    // One account, or a filter by agentType: scan a snapshot with the lock released.
    let snapshot = t.agents.snapshot();
    drop(model);
    let mut matching: Vec<(u32, &Arc<Agent>)> = snapshot
        .shared()
        .filter_map(|a| work_no(a).map(|w| (w, a)))
        .filter(|(_, a)| match (&a.account_code, &user_account) {
            (None, _) => false,
            (Some(account), Some(u)) => account == u,
            (Some(_), None) => !hidden && (types.is_empty() || types.contains(&agent_type(a))),
        })
        .collect();
    matching.sort_by_key(|(w, _)| *w);
    let total = matching.len();
    let on_page = match paging {
        Some((n, s)) => page(matching, n, s),
        None => matching,
    };
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let data: Vec<AccountRow> = on_page
        .into_iter()
        .filter_map(|(w, a)| account_row(t, w, a))
        .collect();
    drop(model);
    ok(&AccountPage {
        result_code: "0",
        result_message: "Success",
        data,
        total,
    })
}

/// One agent account row; `None` for an agent without a business account.
fn account_row(t: &Tenant, work_no: u32, a: &Agent) -> Option<AccountRow> {
    Some(AccountRow {
        user_account: a.account_code.clone()?,
        user_name: a.name.clone(),
        phone: non_empty(&a.mobile),
        email: non_empty(&a.email),
        agent_type: agent_type(a),
        cc_role_id: cc_role_id(a),
        sip_account: a.sip_number.clone(),
        skills: a
            .queues
            .iter()
            .filter(|q| t.queues.contains_key(*q))
            .filter_map(|q| skill_id(q))
            .map(|skill_id| SkillWeight {
                skill_id,
                agent_weight: WEIGHT,
                skill_weight: WEIGHT,
            })
            .collect(),
        work_no,
        transparent_display_flag: false,
    })
}
