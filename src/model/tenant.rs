//! A tenant: one vendor account (a Udesk app, an NXCloud team, a Huawei tenant space) and all it holds.

use super::*;

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
