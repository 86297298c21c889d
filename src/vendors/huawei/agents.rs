//! Agent management (cec_07_0019): softphone information, sign-in parameters, agent accounts and
//! the agents of a skill, read from the model's agents (workNo = agent id) and queues (skills).
//!
//! Only agents whose id is a workNo (digits, 101..=59999) and queues whose id is a number are
//! visible to the Huawei face; anything else in a fixture is another vendor's shape.

use super::errors::HuaweiError;
use super::{body_error, ok, Call};
use crate::conform::Name;
use crate::http::Reply;
use crate::model::{Agent, AgentState, Tenant};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;

/// The workNo of an agent, if its id is one.
pub fn work_no(agent: &Agent) -> Option<u32> {
    if agent.id.is_empty() || !agent.id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    agent
        .id
        .parse()
        .ok()
        .filter(|n| (WORK_NOS.0..=WORK_NOS.1).contains(&u64::from(*n)))
}

/// The skillId of a queue, if its id is a number.
pub fn skill_id(queue_id: &str) -> Option<u64> {
    if queue_id.is_empty() || !queue_id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    queue_id.parse().ok()
}

/// The model's queue id for `skill` (so "01" and "1" name the same skill): the first id in id
/// order that reads as it.
pub fn queue_key(tenant: &Tenant, skill: u64) -> Option<String> {
    queue_id_of(&tenant.queues, skill)
}

fn queue_id_of(queues: &crate::model::Queues, skill: u64) -> Option<String> {
    use std::ops::Bound::{Excluded, Included};
    // Where no id starts with 0, the one id that can read as `skill` is its own spelling: looked
    // up, not searched for among every queue (a skill-heavy tenant has thousands).
    if skill > 0
        && queues
            .range::<str, _>((Included("0"), Excluded("1")))
            .next()
            .is_none()
    {
        let mut digits = itoa::Buffer::new();
        return queues
            .get_key_value(digits.format(skill))
            .map(|(id, _)| id.clone());
    }
    queues
        .keys()
        .find(|id| skill_id(id) == Some(skill))
        .cloned()
}

/// Huawei CEC agent status (cec_07_0581, "Agent Status"): 2 sign-out, 3 busy, 4 idle,
/// 5 wrap-up, 7 talking (CTI states 2–5: preoccupied, occupied, answering, talking, so ringing
/// too), 8 rest. 0 unknown, 1 sign-in, 6 and 9 are never produced.
pub fn agent_status(state: AgentState) -> u8 {
    match state {
        AgentState::Offline => 2,
        AgentState::Busy => 3,
        AgentState::Idle => 4,
        AgentState::Wrapup => 5,
        AgentState::Calling | AgentState::Ringing => 7,
        AgentState::Rest(_) => 8,
    }
}

/// ccRoleId: 2 operator, 3 quality inspector, 4 outbound agent, 255 idle role. The model's
/// role "leader" (or "inspector") reads as 3, "outbound" as 4, "idle" as 255, anything else 2.
pub fn cc_role_id(agent: &Agent) -> u8 {
    match agent.role.as_str() {
        "leader" | "inspector" => 3,
        "outbound" => 4,
        "idle" => 255,
        _ => 2,
    }
}

/// agentType: 4 voice (the default when the fixture leaves it out), 5 multimedia, 11 video,
/// 99 versatile, 255 idle.
pub fn agent_type(agent: &Agent) -> u32 {
    agent.agent_type.unwrap_or(4)
}

pub(super) fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Agents the Huawei face sees, with their workNo, in workNo order.
fn visible(tenant: &Tenant) -> Vec<(u32, &Agent)> {
    let mut v: Vec<(u32, &Agent)> = tenant
        .agents
        .values()
        .filter_map(|a| work_no(a).map(|w| (w, a)))
        .collect();
    v.sort_by_key(|(w, _)| *w);
    v
}

/// The listing's parameters as `T`: the wrapped request object (`requestParam`, `requestParams`)
/// when the body has one, else the body itself (see `unwrap_params`).
///
/// Read straight from the bytes of the wrapper's value where it can be: a `Value` tree of the
/// body (an ordered map per object, SipHash-keyed) was the dearest part of a small listing read.
/// Whatever the quick way cannot read alone (a body holding a `null`, which means absent and is
/// stripped first, as the contract walk tells: `Call::body_has_null`; an escaped name; anything
/// refused) goes the way below, so every answer and refusal is what it was. The whole document's
/// validity was checked before (`conform`).
pub(super) fn params<T: serde::de::DeserializeOwned>(
    call: &Call,
    wrappers: &[&str; 2],
) -> Result<T, HuaweiError> {
    read_params(&call.req.body, call.body_has_null, wrappers)
}

fn read_params<T: serde::de::DeserializeOwned>(
    body: &[u8],
    has_null: bool,
    wrappers: &[&str; 2],
) -> Result<T, HuaweiError> {
    if !has_null {
        if let Some(q) = params_quick(body, wrappers) {
            return Ok(q);
        }
    }
    let params = unwrap_params(body, wrappers)?;
    serde_json::from_value(params).map_err(body_error)
}

fn params_quick<T: serde::de::DeserializeOwned>(body: &[u8], wrappers: &[&str; 2]) -> Option<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let found = Wrappers(wrappers).deserialize(&mut de).ok()??;
    de.end().ok()?;
    // The first of the wrappers, in their order, that the body has.
    match found.into_iter().flatten().next() {
        Some(inner) if inner.get().starts_with('{') => serde_json::from_str(inner.get()).ok(),
        Some(_) => None,
        None => serde_json::from_slice(body).ok(),
    }
}

/// The body's top-level members named as the wrappers are, as raw text (the last of a repeated
/// name, as a map keeps it); the other members are passed over unread. `None` for a name that
/// is escaped in the body, which only the tree reads as written.
struct Wrappers<'w>(&'w [&'w str; 2]);

impl<'de> serde::de::DeserializeSeed<'de> for Wrappers<'_> {
    type Value = Option<[Option<&'de RawValue>; 2]>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Wrappers<'_> {
    type Value = Option<[Option<&'de RawValue>; 2]>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut found = [None; 2];
        while let Some(Name(name)) = m.next_key::<Name<'de>>()? {
            if let Cow::Owned(_) = name {
                return Ok(None);
            }
            match self.0.iter().position(|w| *w == name) {
                Some(i) => found[i] = Some(m.next_value::<&'de RawValue>()?),
                None => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(Some(found))
    }
}

/// Picks the wrapped request object (`requestParam`, `requestParams`) when the body has one,
/// else the body itself: the pages' tables wrap the parameters while some of their examples do
/// not, and clients follow either.
pub(super) fn unwrap_params(body: &[u8], wrappers: &[&str]) -> Result<Value, HuaweiError> {
    let v: Value = super::parse_whole(body)?;
    let Value::Object(mut map) = v else {
        return Err(HuaweiError::BadRequest(
            "The request body must be a JSON object.".into(),
        ));
    };
    for w in wrappers {
        if let Some(inner) = map.remove(*w) {
            return match inner {
                Value::Object(_) => Ok(inner),
                _ => Err(HuaweiError::BadRequest(format!("{w} must be an object."))),
            };
        }
    }
    Ok(Value::Object(map))
}

fn too_long(field: &str, value: &str, max: usize) -> Result<(), HuaweiError> {
    if value.chars().count() > max {
        return Err(HuaweiError::BadRequest(format!(
            "{field} is longer than {max} characters."
        )));
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AgentInfo {
    sip_service_ip: String,
    sip_service_port: u16,
    agents: Vec<Softphone>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Softphone {
    work_no: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_pwd: Option<String>,
}

/// Querying Softphone Information of All Agents, Including Business Accounts (queryAgentInfo) —
/// `GET /apiaccess/CC-Mangemant/v1/queryAgentInfo` (and `CC-Management`).
///
/// A bare object; the port is a number as in the page's example (its table says string);
/// accountCode is left out for agents without a business account, as the example shows.
pub fn query_agent_info(call: &Call) -> Result<Reply, HuaweiError> {
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    // Every softphone polls it; until the model or the clock moves it is the same bytes.
    let (key, version, now) = (
        crate::read_cache::cache_key!["huawei/queryAgentInfo", call.tenant],
        model.version(),
        call.now_ms(),
    );
    if let Some(reply) = super::kept_reply(call, &key, version, now) {
        return Ok(reply);
    }
    let answer = AgentInfo {
        sip_service_ip: t.sip_server.ip.clone(),
        sip_service_port: t.sip_server.port,
        agents: visible(t)
            .into_iter()
            .map(|(work_no, a)| Softphone {
                work_no,
                account_code: a.account_code.clone(),
                sip_account: a.sip_number.clone(),
                sip_pwd: a.sip_password.clone(),
            })
            .collect(),
    };
    drop(model);
    Ok(super::keep(call, key, version, now, ok(&answer)?))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SysInfo {
    service_ip: String,
    service_port: u16,
    sip_service_ip: String,
    sip_service_port: u16,
    agents: Vec<SysAgent>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SysAgent {
    work_no: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_pwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    id: String,
    cc_role_id: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_code: Option<String>,
    account_name: String,
    agent_type: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    self_phone: Option<String>,
    agent_status: u8,
    tenant_id: String,
}

/// The agent sign-in service: where the client reached ccemu (the Host header), since ccemu is
/// the one server that answers for the whole tenant space.
fn service_address(call: &Call) -> (String, u16) {
    let host = call.req.host().unwrap_or_else(|| "127.0.0.1".into());
    let port = call
        .req
        .header("host")
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(80);
    (host, port)
}

/// Querying Softphone Information of All Agents, Excluding Business Accounts (querySysInfo) —
/// `GET /apiaccess/CC-Mangemant/v1/querySysInfo` (and `CC-Management`).
///
/// serviceIp/servicePort are where the client reached ccemu; agentStatus is read from the
/// agent's timeline at the virtual clock's now.
pub fn query_sys_info(call: &Call) -> Result<Reply, HuaweiError> {
    let (service_ip, service_port) = service_address(call);
    let now_ms = call.now_ms();
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let answer = SysInfo {
        service_ip,
        service_port,
        sip_service_ip: t.sip_server.ip.clone(),
        sip_service_port: t.sip_server.port,
        agents: visible(t)
            .into_iter()
            .map(|(work_no, a)| SysAgent {
                work_no,
                sip_account: a.sip_number.clone(),
                sip_pwd: a.sip_password.clone(),
                password: a.password.clone(),
                id: a.id.clone(),
                cc_role_id: cc_role_id(a),
                account_id: a.account_code.clone(),
                account_code: a.account_code.clone(),
                account_name: a.name.clone(),
                agent_type: agent_type(a),
                self_phone: non_empty(&a.mobile),
                agent_status: agent_status(a.state_at(now_ms)),
                tenant_id: t.id.clone(),
            })
            .collect(),
    };
    drop(model);
    ok(&answer)
}

#[derive(Deserialize)]
struct LoginParamsRequest {
    account: String,
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginParams {
    message: &'static str,
    return_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<LoginResults>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginResults {
    work_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_pwd: Option<String>,
    sip_server_info: Vec<SipServerInfo>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SipServerInfo {
    sip_service_ip: String,
    sip_service_port: String,
    node: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Querying the Account Sign-in Result (queryAgentLoginParams) —
/// `POST /apiaccess/CC-Management/v1/queryAgentLoginParams` `{account, password}`.
///
/// The account is the agent's accountCode or its workNo; the password its sign-in password.
/// A wrong pair answers 200 with returnCode "1" (the page's "account verification" code), not an
/// HTTP error. The table types workNo and the port as strings here, so they are strings.
pub fn query_agent_login_params(call: &Call) -> Result<Reply, HuaweiError> {
    let body: LoginParamsRequest = call.body()?;
    if body.account.is_empty() || body.password.is_empty() {
        return Err(HuaweiError::BadRequest(
            "account and password are mandatory.".into(),
        ));
    }
    too_long("account", &body.account, 100)?;
    too_long("password", &body.password, 100)?;
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let agents = visible(t);
    let found = agents
        .iter()
        .find(|(_, a)| a.account_code.as_deref() == Some(body.account.as_str()))
        .or_else(|| agents.iter().find(|(_, a)| a.id == body.account))
        .filter(|(_, a)| a.password.as_deref() == Some(body.password.as_str()));
    let answer = match found {
        None => LoginParams {
            message: "The account or password is incorrect.",
            return_code: "1",
            results: None,
        },
        Some((work_no, a)) => LoginParams {
            message: "success",
            return_code: "0",
            results: Some(LoginResults {
                work_no: work_no.to_string(),
                password: a.password.clone(),
                sip_account: a.sip_number.clone(),
                sip_pwd: a.sip_password.clone(),
                sip_server_info: vec![SipServerInfo {
                    sip_service_ip: t.sip_server.ip.clone(),
                    sip_service_port: t.sip_server.port.to_string(),
                    node: "1",
                    kind: "0",
                }],
            }),
        },
    };
    drop(model);
    ok(&answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByAccountRequest {
    account_code: String,
    password: Option<String>,
    username: Option<String>,
}

/// The page's order: returnCode, description, data {workNo, agentType, agentStatus} (a struct,
/// since a `serde_json::Value` object would sort its keys).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByAccount {
    return_code: &'static str,
    description: String,
    data: ByAccountData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByAccountData {
    /// A number for a known account, `""` for an unknown one, as the page describes.
    work_no: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_type: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_status: Option<u8>,
}

/// Querying Agent Information by Sign-in Account (queryAgentInfoByAccount) —
/// `POST /apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount` `{accountCode, password?, username?}`.
///
/// An unknown accountCode answers returnCode "1" with `data.workNo` "" as the page says; a
/// password that is not the agent's sign-in password answers 403 (the page's "authentication
/// failed"). Fields are limited to 64 characters.
pub fn query_agent_info_by_account(call: &Call) -> Result<Reply, HuaweiError> {
    let body: ByAccountRequest = call.body()?;
    if body.account_code.is_empty() {
        return Err(HuaweiError::BadRequest("accountCode is mandatory.".into()));
    }
    too_long("accountCode", &body.account_code, 64)?;
    too_long("password", body.password.as_deref().unwrap_or_default(), 64)?;
    too_long("username", body.username.as_deref().unwrap_or_default(), 64)?;
    let now_ms = call.now_ms();
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    // A softphone asks at every sign-in, and the answer costs a pass over the tenant's agents.
    // The password is part of the key (a hit is a password already accepted at this version);
    // the code's length comes first, so that no code and password run into another pair's.
    let (kept_as, version) = (
        crate::read_cache::cache_key![
            "huawei/queryAgentInfoByAccount",
            call.tenant,
            body.account_code.len(),
            body.account_code.as_str(),
            match &body.password {
                Some(_) => "password",
                None => "-",
            },
            body.password.as_deref().unwrap_or_default(),
        ],
        model.version(),
    );
    if let Some(reply) = super::kept_reply(call, &kept_as, version, now_ms) {
        return Ok(reply);
    }
    // The first in work-number order, as the listings have them; found without sorting them all.
    let found = t
        .agents
        .values()
        .filter(|a| a.account_code.as_deref() == Some(body.account_code.as_str()))
        .filter_map(|a| work_no(a).map(|w| (w, a)))
        .min_by_key(|(w, _)| *w);
    let answer = match found {
        None => ByAccount {
            return_code: "1",
            description: format!("The account {} does not exist.", body.account_code),
            data: ByAccountData {
                work_no: Value::from(""),
                agent_type: None,
                agent_status: None,
            },
        },
        Some((work_no, a)) => {
            if let Some(pw) = &body.password {
                if a.password.as_deref() != Some(pw.as_str()) {
                    return Err(HuaweiError::Forbidden(
                        "The password does not match the account.".into(),
                    ));
                }
            }
            ByAccount {
                return_code: "0",
                description: "Success".into(),
                data: ByAccountData {
                    work_no: Value::from(work_no),
                    agent_type: Some(agent_type(a)),
                    agent_status: Some(agent_status(a.state_at(now_ms))),
                },
            }
        }
    };
    drop(model);
    Ok(super::keep(call, kept_as, version, now_ms, ok(&answer)?))
}

/// The ids that are Huawei workNos.
pub(super) const WORK_NOS: (u64, u64) = (101, 59999);

/// Weights are not in the model; every membership has weight 1 both ways.
pub(super) const WEIGHT: u32 = 1;

pub(super) fn page<T>(items: Vec<T>, page_num: usize, page_size: usize) -> Vec<T> {
    items
        .into_iter()
        .skip(page_num.saturating_mul(page_size))
        .take(page_size)
        .collect()
}

pub(super) fn index(
    field: &str,
    v: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<usize>, HuaweiError> {
    match v {
        None => Ok(None),
        Some(n) if (min..=max).contains(&n) => Ok(usize::try_from(n).ok()),
        Some(n) => Err(HuaweiError::BadRequest(format!(
            "{field} must be from {min} to {max}, not {n}."
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BySkillRequest {
    skill_id: Value,
    page_size: Option<i64>,
    page_num: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillAgent {
    work_no: u32,
    agent_type: u32,
    agent_weight: u32,
    account_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip_account: Option<String>,
    skill_weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_account: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SkillAgents {
    data: Vec<SkillAgent>,
    count: usize,
    result_code: &'static str,
}

/// A skill id sent as a number or as a string of digits.
pub fn parse_skill_id(field: &str, v: &Value) -> Result<u64, HuaweiError> {
    let parsed = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => skill_id(s.trim()),
        _ => None,
    };
    parsed.ok_or_else(|| HuaweiError::BadRequest(format!("{field} must be a skill ID, not {v}.")))
}

/// Querying Agents by Skill (queryAgentInfoBySkillId) —
/// `POST /apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId`
/// `{requestParam: {skillId, pageSize ≤ 100, pageNum from 0}}`.
///
/// The skill's members in workNo order; count is the number of members. pageSize defaults to
/// 100 and pageNum to 0; an unknown skill is a business failure (500).
pub fn query_agent_info_by_skill_id(call: &Call) -> Result<Reply, HuaweiError> {
    let q: BySkillRequest = params(call, &["requestParam", "requestParams"])?;
    let skill = parse_skill_id("skillId", &q.skill_id)?;
    let size = index("pageSize", q.page_size, 1, 100)?.unwrap_or(100);
    let num = index("pageNum", q.page_num, 0, i64::from(u32::MAX))?.unwrap_or(0);
    let model = call.ctx.model();
    let t = model.tenant(call.tenant)?;
    let key = queue_key(t, skill)
        .ok_or_else(|| HuaweiError::Business(format!("Skill {skill} does not exist.")))?;
    // Polled again before the model or the clock moves, the answer is the bytes made last time.
    let (kept_as, version, now) = (
        crate::read_cache::cache_key![
            "huawei/queryAgentInfoBySkillId",
            call.tenant,
            skill,
            num,
            size,
        ],
        model.version(),
        call.now_ms(),
    );
    if let Some(reply) = super::kept_reply(call, &kept_as, version, now) {
        return Ok(reply);
    }
    // Page first, so that only the page's rows are built while the lock is held.
    let mut members: Vec<(u32, &Agent)> = t
        .queue_members(&key)
        .filter_map(|a| work_no(a).map(|w| (w, a)))
        .collect();
    members.sort_by_key(|(w, _)| *w);
    let count = members.len();
    let data: Vec<SkillAgent> = page(members, num, size)
        .into_iter()
        .map(|(work_no, a)| SkillAgent {
            work_no,
            agent_type: agent_type(a),
            agent_weight: WEIGHT,
            account_name: a.name.clone(),
            sip_account: a.sip_number.clone(),
            skill_weight: WEIGHT,
            user_account: a.account_code.clone(),
        })
        .collect();
    drop(model);
    let reply = ok(&SkillAgents {
        data,
        count,
        result_code: "0",
    })?;
    Ok(super::keep(call, kept_as, version, now, reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Q {
        skill_id: Option<Value>,
        page_size: Option<i64>,
    }

    /// A route documenting nothing of its body: the walk only reads it.
    const ANY: crate::op::Op = crate::op::Op {
        auth: crate::op::Auth::Bearer,
        request: &[],
        has_body: true,
        envelope: "test",
        answer: &[],
        errors: &[],
        example: None,
    };

    #[test]
    fn params_read_quickly_answer_as_the_value_tree_does() {
        const W: &[&str; 2] = &["requestParam", "requestParams"];
        let slow = |body: &str| -> Result<Q, String> {
            unwrap_params(body.as_bytes(), W)
                .and_then(|v| serde_json::from_value(v).map_err(body_error))
                .map_err(|e| format!("{e:?}"))
        };
        for body in [
            r#"{"requestParam": {"skillId": 7, "pageSize": 2}}"#,
            r#"{"requestParam": {"skillId": "null", "pageSize": 2}, "note": "nullable"}"#,
            r#"{"other": {"requestParam": 1}, "requestParam": {"skillId": 3}}"#,
            r#"{"requestParams": {"skillId": 4}}"#,
            r#"{"requestParams": {"skillId": "7"}, "requestParam": {"skillId": 8}}"#,
            r#"{"skillId": 7, "pageSize": 3, "other": [1, {"a": "b"}]}"#,
            r#"{"requestParam": {"skillId": 7, "pageSize": null}}"#,
            r#"{"request\u0050aram": {"skillId": 9}}"#,
            r#"{"requestParam": [1]}"#,
            r#"{"requestParam": {"pageSize": "x"}}"#,
            r#"{"requestParam": {"skillId": 1}, "requestParam": {"skillId": 2}}"#,
            r#"[1]"#,
        ] {
            // Whether it holds a null, as the contract walk tells the handler.
            // (A body it refuses never reaches a handler; read here as holding one.)
            let walked = crate::conform::body_holding_null(
                crate::model::Vendor::Huawei,
                &ANY,
                body.as_bytes(),
            );
            if let Ok(has) = walked {
                assert_eq!(has, body.contains(": null"), "{body}");
            }
            let has_null = walked.unwrap_or(true);
            let quick =
                read_params::<Q>(body.as_bytes(), has_null, W).map_err(|e| format!("{e:?}"));
            assert_eq!(quick, slow(body), "{body}");
        }
        // The quick way reads what it can; the rest is left to the tree.
        assert!(params_quick::<Q>(br#"{"requestParam": {"skillId": 7}}"#, W).is_some());
        assert!(params_quick::<Q>(br#"{"request\u0050aram": {"skillId": 7}}"#, W).is_none());
        assert!(params_quick::<Q>(br#"{"requestParam": [7]}"#, W).is_none());
    }

    #[test]
    fn a_skill_names_the_first_queue_reading_as_it() {
        let scan = |q: &crate::model::Queues, skill: u64| {
            q.keys().find(|id| skill_id(id) == Some(skill)).cloned()
        };
        for ids in [
            &["1", "2", "10", "1001"][..],
            &["01", "1", "7"],
            &["0", "00", "5"],
            &["a", "1x", "12"],
            &[],
        ] {
            let mut q = crate::model::Queues::default();
            for id in ids {
                q.insert(crate::model::Queue {
                    id: id.to_string(),
                    ..Default::default()
                });
            }
            for skill in [0, 1, 2, 5, 7, 10, 12, 1001, 99] {
                assert_eq!(
                    queue_id_of(&q, skill),
                    scan(&q, skill),
                    "{ids:?} skill {skill}"
                );
            }
        }
    }

    #[test]
    fn work_numbers_are_digits_in_range() {
        let mut a = Agent {
            id: "1522".into(),
            ..Agent::default()
        };
        assert_eq!(work_no(&a), Some(1522));
        for bad in ["100", "60000", "+101", "", "abc", "1522 "] {
            a.id = bad.into();
            assert_eq!(work_no(&a), None, "{bad}");
        }
    }

    #[test]
    fn every_model_state_has_a_documented_status() {
        for s in AgentState::ALL {
            assert!([2, 3, 4, 5, 7, 8].contains(&agent_status(s)), "{s}");
        }
    }
}
