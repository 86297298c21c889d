//! The records a tenant holds: agents, extensions, queues, event subscriptions, SIP servers.

use super::*;

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
