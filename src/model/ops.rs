//! Directory operations on a tenant: agents, extensions, queues, memberships, subscriptions and
//! sign-in. Vendor-neutral: a vendor face parses its request into these arguments and maps the
//! `ModelError` back to its own code.
//!
//! Every operation validates everything first and mutates only after, so a refused call leaves the
//! tenant exactly as it was (the property tests compare whole models to check it).

use super::{
    Agent, AgentState, Extension, Model, ModelError, ModelResult, Queue, Subscription, Tenant,
    SIGNAL_SIP, SIGNAL_WEBRTC,
};
use std::collections::BTreeSet;

/// An agent's editable fields; `None` leaves a field as it is (on a new agent: its default, role
/// "agent" and enabled). Create and modify both take one, so the two cannot drift apart.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    pub work_id: Option<String>,
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub enable: Option<bool>,
    pub wrap_up_time: Option<i64>,
    pub out_wrap_up_time: Option<i64>,
    pub assistant_access_right: Option<i64>,
}

impl AgentPatch {
    fn apply(self, a: &mut Agent) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = self.$f { a.$f = v; } )* };
        }
        set!(
            work_id,
            name,
            mobile,
            email,
            role,
            enable,
            wrap_up_time,
            out_wrap_up_time,
            assistant_access_right
        );
    }
}

/// A partial update of a queue.
#[derive(Debug, Clone, Default)]
pub struct QueuePatch {
    pub name: Option<String>,
    pub strategy: Option<u8>,
    pub timeout: Option<i64>,
    pub wait_music: Option<String>,
}

/// The roles an agent can have (Udesk's `Role`).
pub const ROLES: [&str; 2] = ["agent", "leader"];

fn check_role(role: &str) -> ModelResult<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(ModelError::Invalid(format!(
            "Role {role:?} must be \"agent\" or \"leader\""
        )))
    }
}

/// Four characters, digits only, the first one `1` (Udesk's rule for extensions).
pub fn is_extension_number(e: &str) -> bool {
    e.len() == 4 && e.starts_with('1') && e.bytes().all(|b| b.is_ascii_digit())
}

impl Tenant {
    fn agent_ref(&self, id: &str) -> ModelResult<&Agent> {
        self.agents
            .get(id)
            .ok_or_else(|| ModelError::AgentNotFound(id.into()))
    }

    fn work_id_taken(&self, work_id: &str, except: Option<&str>) -> bool {
        !work_id.is_empty()
            && self
                .agents
                .with_work_id(work_id)
                .any(|id| Some(id) != except)
    }

    /// The lowest free extension numbers (1000–1999), `n` of them.
    fn free_extensions(&self, n: usize) -> Vec<String> {
        (1000..2000)
            .map(|e: u32| e.to_string())
            .filter(|e| !self.extensions.contains_key(e))
            .take(n)
            .collect()
    }

    /// Creates an agent, enrolled in the tenant's default queue when it has one (an agent must be
    /// in at least one queue). With `create_extensions`, a SIP extension and, when the tenant has
    /// the web phone, a WebRTC one are created and bound to it, each with a password from
    /// `password` (asked only once the request is accepted, so a refusal draws nothing from the
    /// seeded RNG). Answers the new extensions, SIP first.
    pub fn create_agent(
        &mut self,
        id: &str,
        fields: AgentPatch,
        create_extensions: bool,
        password: &mut dyn FnMut() -> String,
        now_ms: i64,
    ) -> ModelResult<Vec<Extension>> {
        if self.agents.contains_key(id) {
            return Err(ModelError::AgentExists(id.into()));
        }
        if let Some(w) = fields.work_id.as_deref() {
            if self.work_id_taken(w, None) {
                return Err(ModelError::WorkIdExists(w.into()));
            }
        }
        if let Some(role) = &fields.role {
            check_role(role)?;
        }
        let mut types = vec![SIGNAL_SIP];
        if self.webrtc_enabled {
            types.push(SIGNAL_WEBRTC);
        }
        let numbers = if create_extensions {
            let numbers = self.free_extensions(types.len());
            if numbers.len() < types.len() {
                return Err(ModelError::Invalid(
                    "no free extension number is left (1000-1999)".into(),
                ));
            }
            numbers
        } else {
            Vec::new()
        };
        let mut agent = Agent {
            id: id.into(),
            created_ms: now_ms,
            modified_ms: now_ms,
            ..Agent::default()
        };
        fields.apply(&mut agent);
        if let Some(q) = self
            .default_queue
            .as_ref()
            .filter(|q| self.queues.contains_key(*q))
        {
            agent.queues.insert(q.clone());
        }
        let mut created = Vec::new();
        for (number, signal_type) in numbers.into_iter().zip(types) {
            let ext = Extension {
                number: format!("{}{number}", self.extension_prefix),
                extension: number.clone(),
                password: password(),
                signal_type,
                agent: Some(id.into()),
            };
            agent.extensions.insert(number.clone());
            self.extensions.insert(number, ext.clone());
            created.push(ext);
        }
        self.agents.insert(agent);
        Ok(created)
    }

    /// Modifies an agent. Disabling is allowed only while it is offline (at `now_ms`).
    pub fn modify_agent(&mut self, id: &str, patch: AgentPatch, now_ms: i64) -> ModelResult<()> {
        let agent = self.agent_ref(id)?;
        if let Some(role) = &patch.role {
            check_role(role)?;
        }
        if let Some(w) = &patch.work_id {
            if self.work_id_taken(w, Some(id)) {
                return Err(ModelError::WorkIdExists(w.clone()));
            }
        }
        if patch.enable == Some(false) && agent.enable && agent.state_at(now_ms).is_online() {
            return Err(ModelError::AgentOnline(id.into()));
        }
        let mut a = self
            .agents
            .get_mut(id)
            .ok_or_else(|| ModelError::AgentNotFound(id.into()))?;
        patch.apply(&mut a);
        a.modified_ms = now_ms;
        Ok(())
    }

    /// Binds extensions to an agent: each must exist and be free (or already the agent's), and the
    /// agent ends with at most one extension of each signal type.
    pub fn bind_extensions(&mut self, agent: &str, extensions: &[String]) -> ModelResult<()> {
        let a = self.agent_ref(agent)?;
        let mut types: BTreeSet<u8> = a
            .extensions
            .iter()
            .filter_map(|e| self.extensions.get(e))
            .map(|e| e.signal_type)
            .collect();
        let mut seen = BTreeSet::new();
        for e in extensions {
            let ext = self
                .extensions
                .get(e)
                .ok_or_else(|| ModelError::ExtensionNotFound(e.clone()))?;
            match &ext.agent {
                Some(owner) if owner == agent => continue,
                Some(owner) => {
                    return Err(ModelError::ExtensionBound {
                        extension: e.clone(),
                        agent: owner.clone(),
                    })
                }
                None => {}
            }
            if !seen.insert(e) {
                continue;
            }
            if !types.insert(ext.signal_type) {
                return Err(ModelError::SignalTypeTaken {
                    agent: agent.into(),
                    signal_type: ext.signal_type,
                });
            }
        }
        for e in extensions {
            if let Some(ext) = self.extensions.get_mut(e) {
                ext.agent = Some(agent.into());
            }
            if let Some(mut a) = self.agents.get_mut(agent) {
                a.extensions.insert(e.clone());
            }
        }
        Ok(())
    }

    /// Unbinds extensions from an agent; each must be bound to that agent.
    pub fn unbind_extensions(&mut self, agent: &str, extensions: &[String]) -> ModelResult<()> {
        self.agent_ref(agent)?;
        for e in extensions {
            let ext = self
                .extensions
                .get(e)
                .ok_or_else(|| ModelError::ExtensionNotFound(e.clone()))?;
            if ext.agent.as_deref() != Some(agent) {
                return Err(ModelError::ExtensionNotBound {
                    extension: e.clone(),
                    agent: agent.into(),
                });
            }
        }
        for e in extensions {
            if let Some(ext) = self.extensions.get_mut(e) {
                ext.agent = None;
            }
            if let Some(mut a) = self.agents.get_mut(agent) {
                a.extensions.remove(e);
            }
        }
        Ok(())
    }

    /// Creates a free extension; its account number is the tenant's prefix and the extension.
    /// Creates a free extension; its password comes from `password`, asked only once the request
    /// is accepted.
    pub fn create_extension(
        &mut self,
        extension: &str,
        signal_type: u8,
        password: &mut dyn FnMut() -> String,
    ) -> ModelResult<Extension> {
        if !is_extension_number(extension) {
            return Err(ModelError::Invalid(format!(
                "Extension {extension:?} must be four digits starting with 1"
            )));
        }
        if signal_type != SIGNAL_SIP && signal_type != SIGNAL_WEBRTC {
            return Err(ModelError::Invalid(format!(
                "SignalType {signal_type} must be 0 (SIP) or 1 (WebRTC)"
            )));
        }
        if self.extensions.contains_key(extension) {
            return Err(ModelError::ExtensionExists(extension.into()));
        }
        let ext = Extension {
            extension: extension.into(),
            password: password(),
            number: format!("{}{extension}", self.extension_prefix),
            signal_type,
            agent: None,
        };
        self.extensions.insert(extension.into(), ext.clone());
        Ok(ext)
    }

    /// Deletes an extension; a bound one must be unbound first.
    pub fn delete_extension(&mut self, extension: &str) -> ModelResult<Extension> {
        let ext = self
            .extensions
            .get(extension)
            .ok_or_else(|| ModelError::ExtensionNotFound(extension.into()))?;
        if let Some(agent) = &ext.agent {
            return Err(ModelError::ExtensionBound {
                extension: extension.into(),
                agent: agent.clone(),
            });
        }
        self.extensions
            .remove(extension)
            .ok_or_else(|| ModelError::ExtensionNotFound(extension.into()))
    }

    fn queue_name_taken(&self, name: &str, except: Option<&str>) -> bool {
        self.queues.name_taken(name, except)
    }

    /// Creates a queue under the next server-assigned id (ids already taken are skipped).
    /// Queue names are unique within a tenant.
    pub fn create_queue(
        &mut self,
        name: &str,
        patch: QueuePatch,
        now_ms: i64,
    ) -> ModelResult<Queue> {
        if self.queue_name_taken(name, None) {
            return Err(ModelError::QueueNameExists(name.into()));
        }
        check_strategy(patch.strategy)?;
        check_timeout(patch.timeout)?;
        let mut next = self.next_queue_id;
        // Wrapping: a fixture may set the counter to its maximum; ids are only ever compared.
        while self.queues.contains_key(&next.to_string()) {
            next = next.wrapping_add(1);
        }
        let q = Queue {
            id: next.to_string(),
            name: name.into(),
            strategy: patch.strategy.unwrap_or(0),
            timeout: patch.timeout.unwrap_or(0),
            wait_music: patch.wait_music.unwrap_or_default(),
            created_ms: now_ms,
            ..Queue::default()
        };
        self.next_queue_id = next.wrapping_add(1);
        self.queues.insert(q.clone());
        Ok(q)
    }

    pub fn modify_queue(&mut self, id: &str, patch: QueuePatch) -> ModelResult<()> {
        if !self.queues.contains_key(id) {
            return Err(ModelError::QueueNotFound(id.into()));
        }
        if let Some(name) = &patch.name {
            if self.queue_name_taken(name, Some(id)) {
                return Err(ModelError::QueueNameExists(name.clone()));
            }
        }
        check_strategy(patch.strategy)?;
        check_timeout(patch.timeout)?;
        self.queues
            .modify(id, |q| {
                macro_rules! set {
                    ($($f:ident),*) => { $( if let Some(v) = patch.$f { q.$f = v; } )* };
                }
                set!(name, strategy, timeout, wait_music);
            })
            .ok_or_else(|| ModelError::QueueNotFound(id.into()))
    }

    /// Adds agents to a queue, leaving its other members alone.
    pub fn add_queue_members(&mut self, queue: &str, agents: &[String]) -> ModelResult<()> {
        if !self.queues.contains_key(queue) {
            return Err(ModelError::QueueNotFound(queue.into()));
        }
        if let Some(missing) = agents.iter().find(|a| !self.agents.contains_key(a)) {
            return Err(ModelError::AgentNotFound(missing.clone()));
        }
        for id in agents {
            if let Some(mut a) = self.agents.get_mut(id) {
                a.queues.insert(queue.into());
            }
        }
        Ok(())
    }

    /// Enrols an agent in queues: added to its queues, or (`replace`) becoming exactly its queues.
    /// A replacement by no queue at all is refused: an agent stays in at least one queue.
    pub fn enrol_agent(
        &mut self,
        agent: &str,
        queues: &[String],
        replace: bool,
    ) -> ModelResult<()> {
        self.agent_ref(agent)?;
        if let Some(missing) = queues.iter().find(|q| !self.queues.contains_key(*q)) {
            return Err(ModelError::QueueNotFound(missing.clone()));
        }
        if replace && queues.is_empty() {
            return Err(ModelError::LastQueue(agent.into()));
        }
        let mut a = self
            .agents
            .get_mut(agent)
            .ok_or_else(|| ModelError::AgentNotFound(agent.into()))?;
        if replace {
            a.queues.clear();
        }
        a.queues.extend(queues.iter().cloned());
        Ok(())
    }

    /// Removes an agent from queues. Queues it is not in are ignored; removing it from its last
    /// queue is refused.
    pub fn dequeue_agent(&mut self, agent: &str, queues: &[String]) -> ModelResult<()> {
        let a = self.agent_ref(agent)?;
        if let Some(missing) = queues.iter().find(|q| !self.queues.contains_key(*q)) {
            return Err(ModelError::QueueNotFound(missing.clone()));
        }
        if !a.queues.is_empty() && a.queues.iter().all(|q| queues.contains(q)) {
            return Err(ModelError::LastQueue(agent.into()));
        }
        if let Some(mut a) = self.agents.get_mut(agent) {
            for q in queues {
                a.queues.remove(q);
            }
        }
        Ok(())
    }

    fn subscription_name_taken(&self, name: &str, except: Option<u64>) -> bool {
        self.subscriptions
            .values()
            .any(|s| s.name == name && Some(s.id) != except)
    }

    /// Creates subscriptions under consecutive ids; all or none (names unique in the tenant and
    /// within the request).
    pub fn subscribe(&mut self, subs: Vec<Subscription>) -> ModelResult<Vec<Subscription>> {
        let mut names = BTreeSet::new();
        for s in &subs {
            if self.subscription_name_taken(&s.name, None) || !names.insert(s.name.as_str()) {
                return Err(ModelError::SubscriptionNameExists(s.name.clone()));
            }
        }
        let mut next = self.next_subscription_id;
        let mut created = Vec::new();
        for mut s in subs {
            while self.subscriptions.contains_key(&next) {
                next += 1;
            }
            s.id = next;
            next += 1;
            self.subscriptions.insert(s.id, s.clone());
            created.push(s);
        }
        self.next_subscription_id = next;
        Ok(created)
    }

    /// Replaces a subscription's callback, name, events and flag.
    pub fn update_subscription(&mut self, id: u64, new: Subscription) -> ModelResult<()> {
        if !self.subscriptions.contains_key(&id) {
            return Err(ModelError::SubscriptionNotFound(id));
        }
        if self.subscription_name_taken(&new.name, Some(id)) {
            return Err(ModelError::SubscriptionNameExists(new.name));
        }
        self.subscriptions.insert(id, Subscription { id, ..new });
        Ok(())
    }

    pub fn unsubscribe(&mut self, id: u64) -> ModelResult<Subscription> {
        self.subscriptions
            .remove(&id)
            .ok_or(ModelError::SubscriptionNotFound(id))
    }
}

fn check_strategy(s: Option<u8>) -> ModelResult<()> {
    match s {
        Some(s) if s > 2 => Err(ModelError::Invalid(format!(
            "Strategy {s} must be 0, 1 or 2"
        ))),
        _ => Ok(()),
    }
}

fn check_timeout(t: Option<i64>) -> ModelResult<()> {
    match t {
        Some(t) if t < 0 => Err(ModelError::Invalid(format!(
            "Timeout {t} must not be negative"
        ))),
        _ => Ok(()),
    }
}

impl Model {
    /// Signs an agent in (`to` is the state after going online: idle or busy). A disabled agent or
    /// one without an extension cannot sign in; an agent ringing or talking keeps its call.
    pub fn login_agent(
        &mut self,
        tenant: &str,
        agent: &str,
        to: AgentState,
        at_ms: i64,
    ) -> ModelResult<()> {
        let a = self.tenant(tenant)?.agent_ref(agent)?;
        if !a.enable {
            return Err(ModelError::AgentDisabled(agent.into()));
        }
        if a.extensions.is_empty() {
            return Err(ModelError::NoExtension(agent.into()));
        }
        if matches!(a.state_at(at_ms), AgentState::Calling | AgentState::Ringing) {
            return Err(ModelError::InCall(agent.into()));
        }
        self.set_agent_state(tenant, agent, to, at_ms)
    }

    /// Signs an agent out; signing out an offline agent is a no-op. An agent ringing or talking
    /// must finish the call first.
    pub fn logout_agent(&mut self, tenant: &str, agent: &str, at_ms: i64) -> ModelResult<()> {
        let a = self.tenant(tenant)?.agent_ref(agent)?;
        if matches!(a.state_at(at_ms), AgentState::Calling | AgentState::Ringing) {
            return Err(ModelError::InCall(agent.into()));
        }
        self.set_agent_state(tenant, agent, AgentState::Offline, at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixture;

    fn tenant() -> Tenant {
        let m = fixture::parse(fixture::DEFAULT_FIXTURE).unwrap();
        m.tenants["4b8dc715-05e0-4340-6cae-a6e3c39a6012"].clone()
    }

    fn new_agent(id: &str) -> AgentPatch {
        AgentPatch {
            work_id: Some(format!("w{id}")),
            ..AgentPatch::default()
        }
    }

    #[test]
    fn an_agent_without_free_extension_numbers_is_not_created() {
        let mut t = tenant();
        for e in 1000..2000 {
            let e = e.to_string();
            if !t.extensions.contains_key(&e) {
                t.create_extension(&e, SIGNAL_SIP, &mut String::new)
                    .unwrap();
            }
        }
        let before = t.clone();
        let err = t.create_agent("7001", new_agent("7001"), true, &mut String::new, 0);
        assert!(matches!(err, Err(ModelError::Invalid(_))));
        assert_eq!(t, before);
    }

    #[test]
    fn a_binding_that_fails_on_its_last_extension_binds_none() {
        let mut t = tenant();
        let before = t.clone();
        let exts = ["1002".to_string(), "1001".to_string()];
        assert!(matches!(
            t.bind_extensions("9415", &exts),
            Err(ModelError::ExtensionBound { .. })
        ));
        assert_eq!(t, before);
    }

    #[test]
    fn new_agents_join_the_default_queue_when_it_exists() {
        let mut t = tenant();
        t.create_agent("7001", new_agent("7001"), false, &mut String::new, 5)
            .unwrap();
        assert!(t.agents["7001"].queues.contains("9001"));
        t.default_queue = Some("gone".into());
        t.create_agent("7002", new_agent("7002"), false, &mut String::new, 5)
            .unwrap();
        assert!(t.agents["7002"].queues.is_empty());
    }

    #[test]
    fn queue_ids_skip_ids_in_use() {
        let mut t = tenant();
        t.next_queue_id = 9001;
        let q = t.create_queue("fresh", QueuePatch::default(), 0).unwrap();
        assert_eq!(q.id, "9002");
        assert_eq!(t.next_queue_id, 9003);
    }
}
