//! 04–06, 25: agents — create, modify, list, get one — and the Udesk view of an agent.

use super::errors::UdeskError;
use super::{Answer, Call};
use crate::model::ops::AgentPatch;
use crate::model::IdSet;
use crate::model::{Agent, AgentState, Extension, ModelEvent, RestReason, Tenant, SIGNAL_WEBRTC};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// Udesk `State` numbers. Only 4 = offline is pinned by the document; the rest is ccemu's table
/// (docs/udesk.md): 0 idle, 1 busy, 2 resting, 3 neaten (wrap-up), 4 offline, 5 ringing, 6 talking.
pub fn state_code(s: AgentState) -> (u8, &'static str) {
    match s {
        AgentState::Idle => (0, "idle"),
        AgentState::Busy => (1, "busy"),
        AgentState::Rest(_) => (2, "resting"),
        AgentState::Wrapup => (3, "neaten"),
        AgentState::Offline => (4, "offline"),
        AgentState::Ringing => (5, "ringing"),
        AgentState::Calling => (6, "talking"),
    }
}

/// `ReasonCode` / `ReasonCodeDes`: why a resting agent rests (0 and "" otherwise).
pub fn reason_code(s: AgentState) -> (u8, &'static str) {
    match s {
        AgentState::Rest(RestReason::Meeting) => (1, "meeting"),
        AgentState::Rest(RestReason::Eating) => (2, "eating"),
        AgentState::Rest(RestReason::Wc) => (3, "wc"),
        AgentState::Rest(RestReason::Sleep) => (4, "sleep"),
        AgentState::Rest(RestReason::Other) => (5, "other"),
        _ => (0, ""),
    }
}

/// `ExtState`: the extension's line state — 0 free, 1 ringing, 2 in a call (ccemu's choice).
pub fn ext_state(s: AgentState) -> u8 {
    match s {
        AgentState::Ringing => 1,
        AgentState::Calling => 2,
        _ => 0,
    }
}

fn is_agent_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

fn is_work_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Checks an AgentId from a body (digits, at most 32).
pub fn check_agent_id(id: &str) -> Result<(), UdeskError> {
    if id.is_empty() {
        return Err(UdeskError::EmptyParameter("AgentId is required".into()));
    }
    if !is_agent_id(id) {
        return Err(UdeskError::InvalidParameter(format!(
            "AgentId {id:?} must be digits, at most 32"
        )));
    }
    Ok(())
}

/// The `{id:[0-9]+}` path segment: anything else is no route at all, as on the vendor's router.
pub fn path_agent_id(call: &Call) -> Result<String, UdeskError> {
    let id = call.param("id");
    if matches!(id, "extensions" | "queues") {
        // `/agents/extensions` and `/agents/queues` exist, for other methods.
        return Err(UdeskError::IncorrectRequest(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed on {}", call.req.method, call.req.path),
        ));
    }
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UdeskError::IncorrectRequest(
            StatusCode::NOT_FOUND,
            format!("no endpoint {} {}", call.req.method, call.req.path),
        ));
    }
    Ok(id.to_string())
}

/// An integer flag that clients send as a number or a boolean.
#[derive(Deserialize, Clone, Copy)]
#[serde(untagged)]
pub enum Flag {
    Int(i64),
    Bool(bool),
}

impl Flag {
    pub fn on(self) -> bool {
        matches!(self, Flag::Int(n) if n != 0) || matches!(self, Flag::Bool(true))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExtenInfo {
    pub number: String,
    pub extension: String,
    pub password: String,
    /// A number in the create answers, a string elsewhere, as each example shows.
    pub signal_type: Value,
}

/// One agent as `GET /agents/{id}` and the queue agent list show it: AgentId and queues qualified
/// with `@AppId`, state read from the timeline at the virtual clock. Built under the model lock
/// from owned copies, serialised after it is released.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentDetail {
    app_id: String,
    agent_id: String,
    work_id: String,
    name: String,
    nick_name: String,
    mobile: String,
    email: String,
    role: String,
    queues: Vec<String>,
    queues_names: Vec<String>,
    extensions: Vec<String>,
    def_sp_number: String,
    state: u8,
    state_des: &'static str,
    reason_code: u8,
    reason_code_des: &'static str,
    ext_state: u8,
    enable: bool,
    exten_infos: Vec<ExtenInfo>,
}

pub fn agent_detail(t: &Tenant, a: &Agent, now_ms: i64) -> AgentDetail {
    let state = a.state_at(now_ms);
    let (code, des) = state_code(state);
    let (reason, reason_des) = reason_code(state);
    AgentDetail {
        app_id: t.id.clone(),
        agent_id: format!("{}@{}", a.id, t.id),
        work_id: a.work_id.clone(),
        name: a.name.clone(),
        nick_name: a.nick_name.clone(),
        mobile: a.mobile.clone(),
        email: a.email.clone(),
        role: a.role.clone(),
        queues: qualified_queues(t, a),
        queues_names: queue_names(t, a),
        extensions: a.extensions.iter().cloned().collect(),
        def_sp_number: a.def_sp_number.clone(),
        state: code,
        state_des: des,
        reason_code: reason,
        reason_code_des: reason_des,
        ext_state: ext_state(state),
        enable: a.enable,
        exten_infos: extensions_of(t, a)
            .map(|e| ExtenInfo {
                number: e.number.clone(),
                extension: e.extension.clone(),
                password: e.password.clone(),
                signal_type: json!(if e.signal_type == SIGNAL_WEBRTC {
                    "webrtc"
                } else {
                    "voip"
                }),
            })
            .collect(),
    }
}

/// One agent as the agent list shows it (the list example: plain AgentId, wrap-up times,
/// ExtenInfos with SignalType as a string "0"/"1", or null without extensions).
///
/// The fields that are the agent's own are borrowed from the page's shared chunks of records
/// (`model::agents::Page`): under the model lock a row costs its queue names and extensions, and
/// the page is written out after the lock is released (at 20 rows, copying every field under the
/// lock cost more than writing the JSON).
struct AgentRow {
    queues_names: Vec<String>,
    state: u8,
    ext_state: u8,
    exten_infos: Option<Vec<ExtenInfo>>,
}

fn agent_row(t: &Tenant, a: &Agent, now_ms: i64) -> AgentRow {
    let state = a.state_at(now_ms);
    let infos: Vec<ExtenInfo> = extensions_of(t, a)
        .map(|e| ExtenInfo {
            number: e.number.clone(),
            extension: e.extension.clone(),
            password: e.password.clone(),
            signal_type: Value::String(e.signal_type.to_string()),
        })
        .collect();
    AgentRow {
        queues_names: queue_names(t, a),
        state: state_code(state).0,
        ext_state: ext_state(state),
        exten_infos: if infos.is_empty() { None } else { Some(infos) },
    }
}

/// A row as the list writes it, `AppId` being the page's.
struct AgentSummary<'a> {
    app_id: &'a str,
    agent: &'a Agent,
    row: &'a AgentRow,
}

impl Serialize for AgentSummary<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (r, a) = (self.row, self.agent);
        let mut m = s.serialize_map(Some(17))?;
        m.serialize_entry("AppId", self.app_id)?;
        m.serialize_entry("AgentId", &a.id)?;
        m.serialize_entry("WorkId", &a.work_id)?;
        m.serialize_entry("Name", &a.name)?;
        m.serialize_entry("Mobile", &a.mobile)?;
        m.serialize_entry("Email", &a.email)?;
        m.serialize_entry("Role", &a.role)?;
        m.serialize_entry("Queues", &Qualified(&a.queues, self.app_id))?;
        m.serialize_entry("QueuesNames", &r.queues_names)?;
        m.serialize_entry("Extensions", &a.extensions)?;
        m.serialize_entry("DefSpNumber", &a.def_sp_number)?;
        m.serialize_entry("State", &r.state)?;
        m.serialize_entry("ExtState", &r.ext_state)?;
        m.serialize_entry("WrapUpTime", &a.wrap_up_time)?;
        m.serialize_entry("OutWrapUpTime", &a.out_wrap_up_time)?;
        m.serialize_entry("Enable", &a.enable)?;
        m.serialize_entry("ExtenInfos", &r.exten_infos)?;
        m.end()
    }
}

/// Queue ids qualified with `@AppId`, written without building the strings.
struct Qualified<'a>(&'a IdSet, &'a str);

impl Serialize for Qualified<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|q| QualifiedId(q, self.1)))
    }
}

struct QualifiedId<'a>(&'a str, &'a str);

impl Serialize for QualifiedId<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}@{}", self.0, self.1))
    }
}

/// One page of the agent list, in the example's field order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AgentPage<'a> {
    curr_page: usize,
    page_size: usize,
    total: usize,
    total_page: usize,
    agent_list: Vec<AgentSummary<'a>>,
}

impl AgentPage<'_> {
    fn answer<'a>(
        app_id: &str,
        (page, size, total): (usize, usize, usize),
        agents: impl Iterator<Item = &'a Agent>,
        rows: &[AgentRow],
    ) -> Result<Answer, UdeskError> {
        let view = AgentPage {
            curr_page: page,
            page_size: size,
            total,
            total_page: total.div_ceil(size),
            agent_list: agents
                .zip(rows)
                .map(|(agent, row)| AgentSummary { app_id, agent, row })
                .collect(),
        };
        // About 330 bytes a row without extensions.
        Answer::sized(&view, 96 + rows.len() * 384)
    }
}

fn extensions_of<'a>(t: &'a Tenant, a: &'a Agent) -> impl Iterator<Item = &'a Extension> {
    a.extensions.iter().filter_map(|e| t.extensions.get(e))
}

fn qualified_queues(t: &Tenant, a: &Agent) -> Vec<String> {
    a.queues.iter().map(|q| format!("{q}@{}", t.id)).collect()
}

fn queue_names(t: &Tenant, a: &Agent) -> Vec<String> {
    a.queues
        .iter()
        .map(|q| t.queues.get(q).map(|q| q.name.clone()).unwrap_or_default())
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateAgent {
    agent_id: String,
    work_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    role: Option<String>,
    enable: Option<bool>,
    is_create_extension: Option<Flag>,
    #[serde(default)]
    wrap_up_time: i64,
    #[serde(default)]
    out_wrap_up_time: i64,
    #[serde(default)]
    assistant_access_right: i64,
}

/// 04. Create Agent — `POST /ccapi/v2/agents`.
///
/// AgentId digits (≤ 32), WorkId `\w+` (≤ 32), both required and unique (100006). The agent joins
/// the app's default queue. `IsCreateExtension` creates and binds the lowest free SIP extension,
/// and a WebRTC one as well when the app has the web phone; passwords come from the seeded RNG.
pub fn create(call: &Call) -> Result<Answer, UdeskError> {
    let b: CreateAgent = call.body()?;
    check_agent_id(&b.agent_id)?;
    if b.work_id.is_empty() {
        return Err(UdeskError::EmptyParameter("WorkId is required".into()));
    }
    if !is_work_id(&b.work_id) {
        return Err(UdeskError::InvalidParameter(format!(
            "WorkId {:?} must be letters, digits or _, at most 32",
            b.work_id
        )));
    }
    let with_ext = b.is_create_extension.is_some_and(Flag::on);
    let fields = AgentPatch {
        work_id: Some(b.work_id),
        name: Some(b.name),
        mobile: Some(b.mobile),
        email: Some(b.email),
        role: b.role,
        enable: b.enable,
        wrap_up_time: Some(b.wrap_up_time),
        out_wrap_up_time: Some(b.out_wrap_up_time),
        assistant_access_right: Some(b.assistant_access_right),
    };
    let now = call.now_ms();
    let created = {
        let mut model = call.ctx.model();
        let t = model.tenant_mut(&call.tenant)?;
        let created = t.create_agent(
            &b.agent_id,
            fields,
            with_ext,
            &mut || call.ctx.random_hex_for(Some(&call.tenant), 16),
            now,
        )?;
        // Extensions created with the agent are bound to it: the same events as a binding.
        let mode = created.iter().map(|e| e.signal_type).min();
        for e in &created {
            model.emit(ModelEvent::ExtensionBinding {
                tenant: call.tenant.clone(),
                agent: b.agent_id.clone(),
                extension: e.extension.clone(),
                at_ms: now,
                bound: true,
            });
        }
        if mode.is_some() {
            model.emit(ModelEvent::CallMode {
                tenant: call.tenant.clone(),
                agent: b.agent_id.clone(),
                at_ms: now,
                from: None,
                to: mode,
            });
        }
        created
    };
    let first = created.first();
    let infos: Vec<ExtenInfo> = created
        .iter()
        .map(|e| ExtenInfo {
            number: e.number.clone(),
            extension: e.extension.clone(),
            password: e.password.clone(),
            signal_type: json!(e.signal_type),
        })
        .collect();
    Ok(json!({
        "AgentId": b.agent_id,
        "Extension": first.map(|e| e.extension.clone()).unwrap_or_default(),
        "Password": first.map(|e| e.password.clone()).unwrap_or_default(),
        "Number": first.map(|e| e.number.clone()).unwrap_or_default(),
        "ExtenInfos": if infos.is_empty() { Value::Null } else { json!(infos) },
    })
    .into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyAgent {
    agent_id: Option<String>,
    work_id: Option<String>,
    name: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
    role: Option<String>,
    enable: Option<bool>,
    wrap_up_time: Option<i64>,
    out_wrap_up_time: Option<i64>,
    assistant_access_right: Option<i64>,
}

/// 05. Modify Agent — `PUT /ccapi/v2/agents/{id}`.
///
/// AgentId cannot be modified: a body AgentId other than the path's is refused (000001). An agent
/// can be disabled only while offline (100021).
pub fn modify(call: &Call) -> Result<Answer, UdeskError> {
    let id = path_agent_id(call)?;
    let b: ModifyAgent = call.body()?;
    if let Some(body_id) = b.agent_id.as_deref().filter(|s| !s.is_empty()) {
        if body_id != id {
            return Err(UdeskError::InvalidParameter(format!(
                "AgentId cannot be modified (path {id}, body {body_id})"
            )));
        }
    }
    if let Some(w) = &b.work_id {
        if !is_work_id(w) {
            return Err(UdeskError::InvalidParameter(format!(
                "WorkId {w:?} must be letters, digits or _, at most 32"
            )));
        }
    }
    let patch = AgentPatch {
        work_id: b.work_id,
        name: b.name,
        mobile: b.mobile,
        email: b.email,
        role: b.role,
        enable: b.enable,
        wrap_up_time: b.wrap_up_time,
        out_wrap_up_time: b.out_wrap_up_time,
        assistant_access_right: b.assistant_access_right,
    };
    let now = call.now_ms();
    let mut model = call.ctx.model();
    model
        .tenant_mut(&call.tenant)?
        .modify_agent(&id, patch, now)?;
    Ok(Answer::null())
}

/// Paging of `GET /agents` (docs/udesk.md): page 1 and 20 per page by default, at most 100 per page.
pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// The query string parsed once: the list reads up to nine parameters, and parsing the whole
/// query again for each was a tenth of a list request's CPU under perf.
struct Query<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Query<'a> {
    fn new(query: &'a str) -> Self {
        Query(crate::http::query_pairs(query).collect())
    }

    /// The first value of `name`, percent-decoded.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }
}

fn query_number(query: &Query, names: &[&str]) -> Result<Option<usize>, UdeskError> {
    for name in names {
        if let Some(v) = query.get(name) {
            if v.is_empty() {
                continue;
            }
            return match v.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => Err(UdeskError::InvalidParameter(format!(
                    "{name} {v:?} must be a positive integer"
                ))),
            };
        }
    }
    Ok(None)
}

/// 06. Get Agent List — `GET /ccapi/v2/agents`.
///
/// Filters: `Role` (exact), `Enable` (true/false), `State` (the state table's number),
/// `FuzzyQuery` (case-insensitive substring of name, AgentId, WorkId, email or mobile), and
/// `QueueId` (ccemu's: the queue's members; 100018 for an unknown queue). Paging:
/// `PageNum`/`page` and `PageSize`/`per_page`; a PageSize over 100 is cut to 100.
pub fn list(call: &Call) -> Result<Answer, UdeskError> {
    let query = Query::new(&call.req.query);
    let page = query_number(&query, &["PageNum", "page"])?.unwrap_or(1);
    let size = query_number(&query, &["PageSize", "per_page"])?
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let role = query.get("Role").filter(|r| !r.is_empty());
    let enable = match query.get("Enable") {
        None | Some("") => None,
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        Some(other) => {
            return Err(UdeskError::InvalidParameter(format!(
                "Enable {other:?} must be true or false"
            )))
        }
    };
    let state = match query.get("State") {
        None | Some("") => None,
        Some(s) => match s.parse::<u8>() {
            Ok(n) if n <= 6 => Some(n),
            _ => {
                return Err(UdeskError::InvalidParameter(format!(
                    "State {s:?} must be one of 0-6"
                )))
            }
        },
    };
    let fuzzy = query
        .get("FuzzyQuery")
        .map(|f| f.to_lowercase())
        .filter(|f| !f.is_empty());
    let queue = query.get("QueueId").filter(|q| !q.is_empty());
    let skip = (page - 1).saturating_mul(size);
    let now = call.now_ms();
    let scan = role.is_some() || enable.is_some() || state.is_some() || fuzzy.is_some();
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    let queue = match queue {
        Some(q) if !t.queues.contains_key(q) => {
            return Err(crate::model::ModelError::QueueNotFound(q.into()).into())
        }
        q => q,
    };
    // Without a filter that must look at every agent, the page comes straight from the indexes:
    // the work under the lock is the page's.
    if !scan {
        // The answer depends on the model, the tenant's instant and these inputs only: a page
        // polled again before either moves is the bytes made last time (`read_cache`).
        let key = crate::read_cache::cache_key![
            "udesk/agents",
            &call.tenant,
            page,
            size,
            queue.unwrap_or(""),
        ];
        let version = model.version();
        if let Some(kept) = call.ctx.reads.get(&key, version, now) {
            drop(model);
            return Ok(Answer::kept(&kept));
        }
        let (total, page_of) = match queue {
            Some(q) => (
                t.agents.member_count(q),
                t.agents.member_page(q, skip, size),
            ),
            None => (t.agents.len(), t.agents.page(skip, size)),
        };
        let rows: Vec<AgentRow> = page_of.agents().map(|a| agent_row(t, a, now)).collect();
        drop(model);
        let answer = AgentPage::answer(&call.tenant, (page, size, total), page_of.agents(), &rows)?;
        call.ctx.reads.put(key, version, now, answer.to_kept());
        return Ok(answer);
    }
    // A filter on fields no index keeps: scan a snapshot with the lock released, then take it
    // again to build the page's rows.
    let snapshot = t.agents.snapshot();
    drop(model);
    let fuzzy_match = |a: &Agent, f: &str| {
        [&a.name, &a.id, &a.work_id, &a.email, &a.mobile]
            .iter()
            .any(|v| contains_ignoring_case(v, f))
    };
    let mut total = 0;
    let mut on_page = Vec::with_capacity(size);
    for a in snapshot.shared() {
        let wanted = role.is_none_or(|r| a.role == r)
            && enable.is_none_or(|e| a.enable == e)
            && state.is_none_or(|s| state_code(a.state_at(now)).0 == s)
            && queue.is_none_or(|q| a.queues.contains(q))
            && fuzzy.as_deref().is_none_or(|f| fuzzy_match(a, f));
        if wanted {
            if total >= skip && on_page.len() < size {
                on_page.push(Arc::clone(a));
            }
            total += 1;
        }
    }
    drop(snapshot);
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    let rows: Vec<AgentRow> = on_page.iter().map(|a| agent_row(t, a, now)).collect();
    drop(model);
    let agents = on_page.iter().map(|a| &**a);
    AgentPage::answer(&call.tenant, (page, size, total), agents, &rows)
}

/// Whether `haystack` contains `needle` (already lowercase), ignoring case, without allocating
/// for ASCII text.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// 25. Get Agent Information — `GET /ccapi/v2/agents/{id}`; 100018 for an unknown agent.
pub fn get(call: &Call) -> Result<Answer, UdeskError> {
    let id = path_agent_id(call)?;
    let now = call.now_ms();
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    // An agent polled for its state is read far more often than it changes: kept per model
    // version and instant, like the pages (`read_cache`).
    let key = crate::read_cache::cache_key!["udesk/agent", &call.tenant, &id];
    let version = model.version();
    if let Some(kept) = call.ctx.reads.get(&key, version, now) {
        drop(model);
        return Ok(Answer::kept(&kept));
    }
    let a = t
        .agents
        .get(&id)
        .ok_or(crate::model::ModelError::AgentNotFound(id))?;
    let view = agent_detail(t, a, now);
    drop(model);
    let answer = Answer::sized(&view, 640)?;
    call.ctx.reads.put(key, version, now, answer.to_kept());
    Ok(answer)
}
