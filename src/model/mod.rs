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
pub mod events;
pub mod fixture;
pub mod idset;
pub mod ivr;
pub mod memory;
pub mod ops;
pub mod queues;
pub mod ranked;
pub mod state;
pub mod tokens;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use agents::Agents;
pub use events::{line_of, ModelEvent};
pub use idset::IdSet;
pub use queues::Queues;
pub use state::{AgentState, Durations, RestReason, StateChange};

/// Which vendor a tenant's credentials belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Udesk,
    Nxcloud,
    Huawei,
}

impl Vendor {
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Udesk => "udesk",
            Vendor::Nxcloud => "nxcloud",
            Vendor::Huawei => "huawei",
        }
    }
}

/// A Huawei CEC app (one app key/secret pair) inside a tenant space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HuaweiApp {
    pub app_key: String,
    pub app_secret: String,
}

/// The credentials a tenant is reached with; a tenant belongs to exactly one vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "vendor", rename_all = "lowercase")]
pub enum Credentials {
    Udesk {
        app_id: String,
        sid: String,
        auth_token: String,
    },
    Nxcloud {
        access_key: String,
        access_secret: String,
        /// NXLink regions whose gateways accept this key; empty = every host.
        #[serde(default)]
        regions: Vec<String>,
    },
    Huawei {
        apps: Vec<HuaweiApp>,
        /// Status for a wrong app_key/app_secret: 401 by default, 403 as some real gateways answer.
        #[serde(default = "default_bad_credentials_status")]
        bad_credentials_status: u16,
    },
}

fn default_bad_credentials_status() -> u16 {
    401
}

impl Credentials {
    pub fn vendor(&self) -> Vendor {
        match self {
            Credentials::Udesk { .. } => Vendor::Udesk,
            Credentials::Nxcloud { .. } => Vendor::Nxcloud,
            Credentials::Huawei { .. } => Vendor::Huawei,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipServer {
    pub ip: String,
    pub port: u16,
}

impl Default for SipServer {
    fn default() -> Self {
        SipServer {
            ip: "127.0.0.1".into(),
            port: 5060,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Agent {
    /// Udesk AgentId, NXCloud userName, Huawei workNo (as digits).
    pub id: String,
    /// Udesk WorkId.
    pub work_id: String,
    pub name: String,
    pub nick_name: String,
    pub mobile: String,
    pub email: String,
    /// "agent" or "leader" (Udesk).
    pub role: String,
    pub enable: bool,
    pub wrap_up_time: i64,
    pub out_wrap_up_time: i64,
    pub assistant_access_right: i64,
    pub def_sp_number: String,
    /// Queue ids (Udesk queues, NXCloud agent groups, Huawei skills).
    pub queues: IdSet,
    /// Bound extension numbers.
    pub extensions: IdSet,
    /// NXCloud sipNumber, Huawei sipAccount.
    pub sip_number: Option<String>,
    /// Huawei sipPwd.
    pub sip_password: Option<String>,
    /// Huawei accountCode (the Service Cloud sign-in account).
    pub account_code: Option<String>,
    /// Huawei sign-in password (queryAgentLoginParams).
    pub password: Option<String>,
    /// Huawei agentType (4 voice, 5 video, 11 multimedia, 99 versatile, 255 ...).
    pub agent_type: Option<u32>,
    /// NXCloud allowCountry: ISO-3166 alpha-2 codes the agent may call.
    pub allow_country: Vec<String>,
    /// NXCloud endPointName (the access point the agent registers on).
    pub end_point_name: String,
    /// NXCloud recording switch and recordingStorageDays.
    pub recording: bool,
    pub recording_storage_days: u32,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The signal type (0 SIP, 1 WebRTC) the agent calls with, as Udesk agents switch it in the
    /// console; `None` = the first bound type (see [`Agent::call_mode`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_mode: Option<u8>,
    /// What the vendor faces read the agent's state and durations from; ordered by time.
    pub timeline: Vec<StateChange>,
}

impl Default for Agent {
    fn default() -> Self {
        Agent {
            id: String::new(),
            work_id: String::new(),
            name: String::new(),
            nick_name: String::new(),
            mobile: String::new(),
            email: String::new(),
            role: "agent".into(),
            enable: true,
            wrap_up_time: 0,
            out_wrap_up_time: 0,
            assistant_access_right: 0,
            def_sp_number: String::new(),
            queues: IdSet::new(),
            extensions: IdSet::new(),
            sip_number: None,
            sip_password: None,
            account_code: None,
            password: None,
            agent_type: None,
            allow_country: Vec::new(),
            end_point_name: String::new(),
            recording: false,
            recording_storage_days: 0,
            created_ms: 0,
            modified_ms: 0,
            call_mode: None,
            timeline: Vec::new(),
        }
    }
}

impl Agent {
    /// The state now: the last entry of the timeline (a timeline never holds future entries
    /// except those written with an explicit `at_ms`, which the admin API refuses).
    pub fn state(&self) -> AgentState {
        self.timeline
            .last()
            .map_or(AgentState::Offline, |c| c.state)
    }

    /// The state at `at_ms`, for reads that must honour the virtual clock.
    pub fn state_at(&self, at_ms: i64) -> AgentState {
        state::state_at(&self.timeline, at_ms)
    }

    pub fn last_change_ms(&self) -> Option<i64> {
        self.timeline.last().map(|c| c.at_ms)
    }

    /// The extension the agent calls on: the one of its chosen signal type, else its first bound
    /// one (SIP before WebRTC). `None` without extensions.
    pub fn call_extension<'a>(&self, t: &'a Tenant) -> Option<&'a Extension> {
        let bound = || self.extensions.iter().filter_map(|e| t.extensions.get(e));
        self.call_mode
            .and_then(|m| bound().find(|e| e.signal_type == m))
            .or_else(|| bound().min_by_key(|e| e.signal_type))
    }

    /// The signal type the agent calls with now, as `agent_call_mode_change` reports it.
    pub fn call_mode(&self, t: &Tenant) -> Option<u8> {
        self.call_extension(t).map(|e| e.signal_type)
    }
}

/// Udesk signal types: 0 SIP (a desk phone), 1 WebRTC (the web phone).
pub const SIGNAL_SIP: u8 = 0;
pub const SIGNAL_WEBRTC: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extension {
    /// Four digits, first is 1 (Udesk).
    pub extension: String,
    pub password: String,
    /// The 14-digit account: the tenant's 10-digit prefix + the extension.
    pub number: String,
    pub signal_type: u8,
    /// The agent this extension is bound to.
    pub agent: Option<String>,
}

impl Default for Extension {
    fn default() -> Self {
        Extension {
            extension: String::new(),
            password: String::new(),
            number: String::new(),
            signal_type: SIGNAL_SIP,
            agent: None,
        }
    }
}

/// A queue (Udesk), agent group (NXCloud) or skill (Huawei). Members are the agents listing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Queue {
    pub id: String,
    pub name: String,
    /// Udesk distribution strategy 0/1/2.
    pub strategy: u8,
    pub timeout: i64,
    pub wait_music: String,
    pub description: String,
    /// NXCloud ringPolicy: 1 simultaneous, 2 sequential.
    pub ring_policy: u8,
    /// NXCloud familiarizeFirst.
    pub familiarize_first: bool,
    /// Huawei mediaTypeId (5 voice).
    pub media_type_id: u32,
    pub created_ms: i64,
    /// Whether callers give up waiting (at `timeout`, or the call's wait limit). `false`: they
    /// wait as long as it takes, as Erlang C assumes.
    pub abandon: bool,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            id: String::new(),
            name: String::new(),
            strategy: 0,
            timeout: 0,
            wait_music: String::new(),
            description: String::new(),
            ring_policy: 1,
            familiarize_first: false,
            media_type_id: 5,
            created_ms: 0,
            abandon: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subscription {
    pub id: u64,
    pub name: String,
    pub callback: String,
    pub events: Vec<String>,
    pub enable: bool,
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription {
            id: 0,
            name: String::new(),
            callback: String::new(),
            events: Vec::new(),
            enable: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub credentials: Credentials,
    /// Udesk relay numbers (SpNumbers).
    #[serde(default)]
    pub relay_numbers: Vec<String>,
    #[serde(default)]
    pub default_relay_number: Option<String>,
    /// The 10-digit prefix of extension accounts (Udesk).
    #[serde(default)]
    pub extension_prefix: String,
    /// Whether the app has the web phone: IsCreateExtension then creates a WebRTC extension too.
    #[serde(default = "yes")]
    pub webrtc_enabled: bool,
    /// Where new agents are enrolled so that every agent is in at least one queue (Udesk rule).
    #[serde(default)]
    pub default_queue: Option<String>,
    #[serde(default)]
    pub sip_server: SipServer,
    /// In id order, with per-queue member indexes (see `model::agents`).
    #[serde(default)]
    pub agents: Agents,
    #[serde(default, with = "fixture::keyed_list")]
    pub extensions: BTreeMap<String, Extension>,
    #[serde(default)]
    pub queues: Queues,
    #[serde(default, with = "fixture::keyed_list")]
    pub subscriptions: BTreeMap<u64, Subscription>,
    /// Next server-assigned queue id (Udesk answers a new id, not the one sent).
    #[serde(default = "first_queue_id")]
    pub next_queue_id: u64,
    #[serde(default = "first_subscription_id")]
    pub next_subscription_id: u64,
    /// Reshapes the body of every event pushed for this tenant, for teams whose real payload
    /// differs from ccemu's: a JSON value whose `"{{path}}"` strings are filled from ccemu's own
    /// payload (see `events::template`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_template: Option<serde_json::Value>,
    /// NXCloud: where each finished call's CDR is POSTed (set in the vendor's console), and the
    /// `token` header sent with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdr_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdr_token: Option<String>,
    /// The app's voice list, which IVR play nodes name.
    #[serde(default, with = "fixture::keyed_list")]
    pub voices: BTreeMap<String, ivr::Voice>,
    /// IVR flows, each bound to the numbers whose inbound calls run it (see `model::ivr`).
    #[serde(default, with = "fixture::keyed_list")]
    pub ivr_flows: BTreeMap<String, ivr::IvrFlow>,
}

fn yes() -> bool {
    true
}
fn first_queue_id() -> u64 {
    181154
}
fn first_subscription_id() -> u64 {
    168
}

impl Tenant {
    pub fn vendor(&self) -> Vendor {
        self.credentials.vendor()
    }

    /// Agents in `queue_id`, in agent id order, read from the queue's member index.
    pub fn queue_members<'a>(&'a self, queue_id: &str) -> impl Iterator<Item = &'a Agent> + 'a {
        self.queue_members_from(queue_id, 0)
    }

    /// The members of `queue_id` from the `rank`-th on: a page of a queue costs the page.
    pub fn queue_members_from<'a>(
        &'a self,
        queue_id: &str,
        rank: usize,
    ) -> impl Iterator<Item = &'a Agent> + 'a {
        self.agents.members_from(queue_id, rank)
    }

    pub fn queue_has_members(&self, queue_id: &str) -> bool {
        self.agents.member_count(queue_id) > 0
    }

    /// Deletes a queue (Udesk queue, Huawei skill). A queue with agents cannot be deleted.
    pub fn delete_queue(&mut self, queue_id: &str) -> ModelResult<Queue> {
        if !self.queues.contains_key(queue_id) {
            return Err(ModelError::QueueNotFound(queue_id.into()));
        }
        if self.queue_has_members(queue_id) {
            return Err(ModelError::QueueNotEmpty(queue_id.into()));
        }
        if self.default_queue.as_deref() == Some(queue_id) {
            self.default_queue = None;
        }
        self.queues
            .remove(queue_id)
            .ok_or_else(|| ModelError::QueueNotFound(queue_id.into()))
    }

    /// Makes `members` (agent ids) exactly the queue's members. All or nothing: every agent must
    /// exist, or nothing changes.
    pub fn set_queue_members(&mut self, queue_id: &str, members: &[String]) -> ModelResult<()> {
        if !self.queues.contains_key(queue_id) {
            return Err(ModelError::QueueNotFound(queue_id.into()));
        }
        if let Some(missing) = members.iter().find(|m| !self.agents.contains_key(m)) {
            return Err(ModelError::AgentNotFound(missing.clone()));
        }
        let wanted: BTreeSet<&str> = members.iter().map(String::as_str).collect();
        let leaving: Vec<String> = self
            .agents
            .member_ids_from(queue_id, 0)
            .filter(|id| !wanted.contains(id))
            .map(String::from)
            .collect();
        for id in leaving {
            if let Some(mut a) = self.agents.get_mut(&id) {
                a.queues.remove(queue_id);
            }
        }
        for id in wanted {
            if let Some(mut a) = self.agents.get_mut(id) {
                if !a.queues.contains(queue_id) {
                    a.queues.insert(queue_id.to_string());
                }
            }
        }
        Ok(())
    }

    /// The agent whose SIP number (NXCloud sipNumber, Huawei sipAccount) is `sip`.
    pub fn agent_by_sip(&self, sip: &str) -> Option<&Agent> {
        self.agents.by_sip(sip)
    }
}

/// The state of an extension's line, as scenario timelines script it (Udesk's ExtState words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineState {
    Free,
    Ringing,
    Talking,
}

/// What a model operation refused, in vendor-neutral words. Each vendor maps these to its codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    TenantNotFound(String),
    AgentNotFound(String),
    AgentExists(String),
    ExtensionNotFound(String),
    ExtensionExists(String),
    QueueNotFound(String),
    QueueExists(String),
    QueueNameExists(String),
    SubscriptionNotFound(u64),
    SubscriptionNameExists(String),
    RelayNumberNotFound(String),
    /// The extension is bound to this agent and must be unbound first.
    ExtensionBound {
        extension: String,
        agent: String,
    },
    /// The agent already binds an extension of this signal type.
    SignalTypeTaken {
        agent: String,
        signal_type: u8,
    },
    QueueNotEmpty(String),
    /// Disabling is allowed only while offline.
    AgentOnline(String),
    AgentDisabled(String),
    NoExtension(String),
    /// The operation would leave the agent in no queue.
    LastQueue(String),
    /// A state change dated before the agent's last change.
    StateInPast {
        agent: String,
        last_ms: i64,
    },
    Invalid(String),
    /// Another agent already has this work id.
    WorkIdExists(String),
    /// The extension is not bound to this agent.
    ExtensionNotBound {
        extension: String,
        agent: String,
    },
    /// The agent is ringing or talking; the change must wait for the call to end.
    InCall(String),
    /// An IVR flow that does not hold together, with the document's code for it.
    Ivr(ivr::IvrError),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ModelError::*;
        match self {
            TenantNotFound(t) => write!(f, "tenant {t} not found"),
            AgentNotFound(a) => write!(f, "agent {a} not found"),
            AgentExists(a) => write!(f, "agent {a} already exists"),
            ExtensionNotFound(e) => write!(f, "extension {e} not found"),
            ExtensionExists(e) => write!(f, "extension {e} already exists"),
            QueueNotFound(q) => write!(f, "queue {q} not found"),
            QueueExists(q) => write!(f, "queue {q} already exists"),
            QueueNameExists(n) => write!(f, "queue name {n:?} already exists"),
            SubscriptionNotFound(s) => write!(f, "subscription {s} not found"),
            SubscriptionNameExists(n) => write!(f, "subscription name {n:?} already exists"),
            RelayNumberNotFound(n) => write!(f, "relay number {n} is not one of the app's"),
            ExtensionBound { extension, agent } => {
                write!(f, "extension {extension} is bound to agent {agent}; unbind it first")
            }
            SignalTypeTaken { agent, signal_type } => write!(
                f,
                "agent {agent} already binds a {} extension",
                if *signal_type == SIGNAL_WEBRTC { "WebRTC" } else { "SIP" }
            ),
            QueueNotEmpty(q) => write!(f, "queue {q} still has agents"),
            AgentOnline(a) => write!(f, "agent {a} is online; it can be disabled only when offline"),
            AgentDisabled(a) => write!(f, "agent {a} is disabled"),
            NoExtension(a) => write!(f, "agent {a} has no extension bound"),
            LastQueue(a) => write!(f, "agent {a} must stay in at least one queue"),
            StateInPast { agent, last_ms } => write!(
                f,
                "agent {agent} last changed state at {last_ms} ms; a change cannot be dated before it"
            ),
            Invalid(m) => f.write_str(m),
            WorkIdExists(w) => write!(f, "work id {w} already belongs to another agent"),
            ExtensionNotBound { extension, agent } => {
                write!(f, "extension {extension} is not bound to agent {agent}")
            }
            InCall(a) => write!(f, "agent {a} is in a call"),
            Ivr(e) => f.write_str(&e.message),
        }
    }
}

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
