//! The agenda: calls and their pending steps in virtual-time order, the driver that applies
//! them one by one, and what the state file keeps of it.

use super::acd::dispatch;
use super::effects::step;
use super::machine::{abandon, hang_up, no_answer_outbound};
pub use super::sim::Profile;
use super::sim::{is_inbound, schedule, sync_queued, Action, Due, Sim};
use super::spec::{self, CallSpec, HangupBy};
use super::step::apply;
use super::{uuid_form, Call, CallState, Direction, Host, Outcome, Plan};
use parking_lot::{Mutex, MutexGuard};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

use std::sync::atomic::{AtomicI64, Ordering};

/// The simulation as the state file keeps it (`--state-file`): calls, the agenda of their
/// pending steps and the routing memory (rotation, answered counts).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Saved {
    calls: Vec<Call>,
    agenda: Vec<Due>,
    seq: u64,
    offers: Vec<(String, u32)>,
    last_offered: Vec<(String, String, String)>,
    answered: Vec<(String, String, i64, u32)>,
    #[serde(default)]
    profiles: Vec<Profile>,
    #[serde(default)]
    next_profile: u64,
}

/// The simulation: the agenda of call steps, the calls and the routing memory.
pub struct Calls {
    seed: u64,
    pub(super) sim: Mutex<Sim>,
    rng: Mutex<StdRng>,
    /// The earliest agenda instant, `i64::MAX` when none: the per-request check is one load.
    next_due_ms: AtomicI64,
    /// Serialises `advance`, so steps of the scenario timeline and of calls apply in time order.
    driver: Mutex<()>,
    /// How many calls wait in a queue: while some do, every request offers them to agents who
    /// may have become free through the API (one atomic load otherwise).
    waiting: std::sync::atomic::AtomicUsize,
    /// Whether IVR webhook requests wait for the host (`take_webhooks`).
    webhooks_pending: std::sync::atomic::AtomicBool,
}

/// The most calls kept (a tenth more between sweeps); the oldest finished ones go first.
const KEEP_CALLS: usize = 100_000;
/// The highest load profile rate; `scenarios::timeline` refuses more when a scenario is loaded.
pub const MAX_CALLS_PER_HOUR: f64 = 1_000_000.0;

impl Calls {
    pub fn new(seed: u64) -> Calls {
        Calls {
            seed,
            sim: Mutex::new(Sim::default()),
            rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0xca11_ca11)),
            next_due_ms: AtomicI64::new(i64::MAX),
            driver: Mutex::new(()),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            webhooks_pending: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn next_due(&self) -> i64 {
        self.next_due_ms.load(Ordering::Acquire)
    }

    /// Whether some call waits in a queue (one atomic load): while one does, every request
    /// offers it to agents the API may have freed.
    pub fn waiting(&self) -> bool {
        self.waiting.load(Ordering::Acquire) > 0
    }

    /// The driver lock: whoever drives the agenda (the host's `advance`, a hang-up) holds it, so
    /// scenario events and call steps apply in time order.
    pub fn driver(&self) -> MutexGuard<'_, ()> {
        self.driver.lock()
    }

    /// The driver lock if it comes free within `patience`.
    pub fn try_driver_for(&self, patience: std::time::Duration) -> Option<MutexGuard<'_, ()>> {
        self.driver.try_lock_for(patience)
    }

    fn refresh(&self, sim: &Sim) {
        if !sim.webhooks.is_empty() {
            self.webhooks_pending.store(true, Ordering::Release);
        }
        let step = sim.agenda.peek().map_or(i64::MAX, |r| r.0.at_ms);
        let arrival = sim.arrivals.peek().map_or(i64::MAX, |r| r.0 .0);
        self.next_due_ms.store(step.min(arrival), Ordering::Release);
        self.waiting.store(sim.queued.len(), Ordering::Release);
    }

    /// Offers waiting calls to agents free at `now` (an agent the API just made idle).
    pub fn dispatch_now<H: Host>(&self, host: &H, now: i64) {
        if self.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut sim = self.sim.lock();
        dispatch(&mut sim, host, now);
        self.refresh(&sim);
    }

    pub fn save(&self) -> Saved {
        let sim = self.sim.lock();
        Saved {
            calls: sim
                .order
                .iter()
                .filter_map(|id| sim.calls.get(id))
                .cloned()
                .collect(),
            agenda: sim.agenda.iter().map(|r| r.0.clone()).collect(),
            seq: sim.seq,
            offers: sim.offers.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            last_offered: sim
                .last_offered
                .iter()
                .map(|((t, q), a)| (t.clone(), q.clone(), a.clone()))
                .collect(),
            answered: sim
                .answered
                .iter()
                .map(|((t, a, d), n)| (t.clone(), a.clone(), *d, *n))
                .collect(),
            profiles: sim.profiles.values().cloned().collect(),
            next_profile: sim.next_profile,
        }
    }

    pub fn restore(&self, saved: Saved) {
        let mut sim = self.sim.lock();
        *sim = Sim::default();
        for c in saved.calls {
            sim.order.push(c.id.clone());
            sim.calls.insert(c.id.clone(), c);
        }
        let ids: Vec<String> = sim.order.clone();
        for id in &ids {
            sync_queued(&mut sim, id);
        }
        sim.agenda = saved.agenda.into_iter().map(Reverse).collect();
        sim.seq = saved.seq;
        sim.offers = saved.offers.into_iter().collect();
        sim.last_offered = saved
            .last_offered
            .into_iter()
            .map(|(t, q, a)| ((t, q), a))
            .collect();
        sim.answered = saved
            .answered
            .into_iter()
            .map(|(t, a, d, n)| ((t, a, d), n))
            .collect();
        for p in saved.profiles {
            sim.arrivals.push(Reverse((p.next_ms as i64, p.id)));
            sim.profiles.insert(p.id, p);
        }
        sim.next_profile = saved.next_profile;
        // A webhook request in flight when the state was saved is not made again: its node
        // takes the failure path at once, so the call never waits for an answer that cannot come.
        let lost: Vec<(String, u32, i64)> = sim
            .calls
            .values()
            .filter(|c| c.state == CallState::Ivr)
            .filter_map(|c| {
                let st = c.ivr.as_ref()?;
                (st.waiting == Some(super::ivr::Waiting::Webhook)).then(|| {
                    let at = c.steps.last().map_or(c.start_ms, |s| s.at_ms);
                    (c.id.clone(), st.gen, at)
                })
            })
            .collect();
        for (id, gen, at) in lost {
            let answer = Err("the request was lost when ccemu restarted".to_string());
            schedule(&mut sim, at, &id, Action::WebhookAnswer { gen, answer });
        }
        self.refresh(&sim);
    }

    /// Load profiles still making arrivals.
    pub fn profiles(&self) -> Vec<Profile> {
        self.sim.lock().profiles.values().cloned().collect()
    }

    /// Ends every load profile (`DELETE /_ccemu/scenarios`): no more arrivals; calls already
    /// made go on.
    pub fn stop_profiles(&self) {
        let mut sim = self.sim.lock();
        sim.profiles.clear();
        sim.arrivals.clear();
        self.refresh(&sim);
    }

    /// Forgets every call and reseeds (reset).
    pub fn clear(&self) {
        let mut sim = self.sim.lock();
        *sim = Sim::default();
        *self.rng.lock() = StdRng::seed_from_u64(self.seed ^ 0xca11_ca11);
        self.refresh(&sim);
    }

    /// A call id in the form Udesk answers (8-4-4-4-12 hex), from the calls' RNG.
    fn new_id(&self) -> String {
        let h: String = {
            let mut rng = self.rng.lock();
            (0..32)
                .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
                .collect()
        };
        uuid_form(&h)
    }

    /// Starts a call: checks it against the model, draws its plan, and puts its start on the
    /// agenda. Answers the call as created. `id` is given by callers that already answered one
    /// (Udesk callback2ivr).
    pub fn start<H: Host>(
        &self,
        host: &H,
        spec: CallSpec,
        id: Option<String>,
    ) -> Result<Call, String> {
        let call = self.make(host, spec, id)?;
        {
            let mut sim = self.sim.lock();
            file(&mut sim, call.clone())?;
            self.refresh(&sim);
        }
        // Not advanced here: a scenario's call event starts calls from inside `advance`. The
        // caller (the admin API) advances after.
        Ok(call)
    }

    /// A call as `start` files it: checked against the model, its plan drawn. Takes the model
    /// lock and the RNG, not the simulation lock, so an arrival can be made under the latter.
    fn make<H: Host>(&self, host: &H, spec: CallSpec, id: Option<String>) -> Result<Call, String> {
        spec.validate()?;
        let now = host.now_ms();
        let at = spec.at_ms.unwrap_or(now);
        let (queue, flow, queue_limit, queue_abandons) = route(host, &spec)?;
        let id = id.unwrap_or_else(|| self.new_id());
        let (plan, caller_script) = {
            let mut rng = self.rng.lock();
            let ring = spec
                .ring_ms
                .unwrap_or(spec::Duration::Fixed(spec::DEFAULT_RING_MS));
            let talk = spec
                .talk_ms
                .unwrap_or(spec::Duration::Fixed(spec::DEFAULT_TALK_MS));
            let abandon = spec.abandon.unwrap_or(queue_abandons);
            let plan = Plan {
                ring_ms: ring.draw(&mut *rng),
                ring_timeout_ms: spec
                    .ring_timeout_ms
                    .unwrap_or(spec::DEFAULT_RING_TIMEOUT_MS)
                    as i64,
                talk_ms: talk.draw(&mut *rng),
                wrapup_ms: spec.wrapup_ms.map(|w| w.draw(&mut *rng)),
                wait_limit_ms: if abandon {
                    spec.wait_limit_ms
                        .map(|w| w as i64)
                        .or(queue_limit)
                        .or(Some(spec::DEFAULT_WAIT_LIMIT_MS as i64))
                } else {
                    None
                },
                answered: spec.answered.unwrap_or(true),
                no_answer: spec.no_answer.clone(),
                hangup_by: spec.hangup_by.unwrap_or_default(),
                abandon,
                wait_limit_given: spec.wait_limit_ms.is_some(),
            };
            // Drawn only when there is a choice, so calls without scripts draw as before.
            let script = match (&spec.caller_script, spec.caller_scripts.len()) {
                (Some(s), _) => Some(s.clone()),
                (None, 0) => None,
                (None, 1) => spec.caller_scripts.first().cloned(),
                (None, _) => super::script::draw(&spec.caller_scripts, &mut *rng).cloned(),
            };
            (plan, script)
        };
        let inbound = spec.agent.is_none();
        let (direction, caller, callee) = if inbound {
            (
                Direction::Inbound,
                spec.caller.clone().unwrap_or_else(|| "13800000000".into()),
                spec.callee.clone().unwrap_or_default(),
            )
        } else {
            (
                Direction::Outbound,
                spec.caller.clone().unwrap_or_default(),
                spec.callee.clone().unwrap_or_else(|| "13800000000".into()),
            )
        };
        let mut steps = Vec::new();
        if let Some(name) = caller_script.as_ref().and_then(|s| s.name.clone()) {
            let mut s = step("caller_script", at, None);
            s.detail = Some(name);
            steps.push(s);
        }
        let call = Call {
            id: id.clone(),
            tenant: spec.tenant.clone(),
            direction,
            queue,
            caller,
            callee,
            order_id: spec.order_id.clone(),
            state: CallState::Scheduled,
            outcome: None,
            agent: if direction == Direction::Outbound {
                spec.agent.clone()
            } else {
                None
            },
            ringing: Vec::new(),
            skipped: Vec::new(),
            start_ms: at,
            enqueue_ms: None,
            dequeue_ms: None,
            ring_ms: None,
            answer_ms: None,
            end_ms: None,
            hangup_by: None,
            hangup_cause: None,
            plan,
            steps,
            ivr: flow.map(|flow| super::ivr::IvrState {
                flow,
                ..Default::default()
            }),
            variables: spec.variables.clone(),
            dtmf_keys: String::new(),
            caller_script,
            actions: spec.actions.clone(),
            held: false,
            consult: None,
            consulted: Vec::new(),
            listeners: Vec::new(),
            external: None,
            transfers: Vec::new(),
            legs: Vec::new(),
            hangup_due_ms: None,
            abandon_due_ms: None,
        };
        Ok(call)
    }

    /// Ends a call now: a caller still queued or ringing abandons; a call in talk is hung up by
    /// `by`. A call already ended is refused. The caller advances the agenda to now first, so
    /// the steps due before this instant have happened.
    pub fn hangup<H: Host>(&self, host: &H, id: &str, by: HangupBy) -> Result<Call, String> {
        let now = host.now_ms();
        {
            let _driver = self.driver.lock();
            let mut sim = self.sim.lock();
            let state = sim
                .calls
                .get(id)
                .map(|c| c.state)
                .ok_or_else(|| format!("call {id} not found"))?;
            match state {
                CallState::Ended => return Err(format!("call {id} has already ended")),
                CallState::Scheduled => {
                    let c = sim.calls.get_mut(id).ok_or("gone")?;
                    c.state = CallState::Ended;
                    c.outcome = Some(Outcome::Failed);
                    c.hangup_cause = Some("cancelled".into());
                    c.end_ms = Some(now);
                    c.steps.push(step("cancelled", now, None));
                }
                CallState::Ivr => {
                    super::flow::end(&mut sim, host, id, now, "caller_hangup", true);
                }
                CallState::Queued | CallState::Ringing if is_inbound(&sim, id) => {
                    abandon(&mut sim, host, id, now, "caller_hangup");
                }
                CallState::Queued | CallState::Ringing => {
                    no_answer_outbound(&mut sim, host, id, now)
                }
                CallState::Talking => {
                    if let Some(c) = sim.calls.get_mut(id) {
                        c.plan.hangup_by = by;
                    }
                    hang_up(&mut sim, host, id, now);
                }
            }
            dispatch(&mut sim, host, now);
            self.refresh(&sim);
        }
        self.get(id).ok_or_else(|| format!("call {id} not found"))
    }

    /// The webhook requests IVR nodes asked for since the last call (one atomic load when none).
    pub fn take_webhooks(&self) -> Vec<super::flow::WebhookJob> {
        if !self.webhooks_pending.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut sim = self.sim.lock();
        self.webhooks_pending.store(false, Ordering::Release);
        std::mem::take(&mut sim.webhooks)
    }

    /// A webhook node's answer (the body of a 2xx answer, or why there was none) arrives: the
    /// call goes on from its node at the virtual now.
    pub fn webhook_answered<H: Host>(
        &self,
        host: &H,
        call: &str,
        gen: u32,
        answer: Result<String, String>,
    ) {
        let now = host.now_ms();
        let mut sim = self.sim.lock();
        if sim.calls.contains_key(call) {
            schedule(&mut sim, now, call, Action::WebhookAnswer { gen, answer });
        }
        self.refresh(&sim);
    }

    /// An agent's or supervisor's action on a live call, now. Refused with the call's state
    /// when it does not allow it (`Refused::State`), or when the call is unknown.
    pub fn act<H: Host>(
        &self,
        host: &H,
        id: &str,
        action: &super::script::AgentAction,
    ) -> Result<Call, super::actions::Refused> {
        action
            .validate()
            .map_err(super::actions::Refused::Invalid)?;
        let now = host.now_ms();
        {
            let _driver = self.driver.lock();
            let mut sim = self.sim.lock();
            if !sim.calls.contains_key(id) {
                return Err(super::actions::Refused::NotFound(format!(
                    "call {id} not found"
                )));
            }
            super::actions::act(&mut sim, host, id, action, now)?;
            dispatch(&mut sim, host, now);
            self.refresh(&sim);
        }
        self.get(id)
            .ok_or_else(|| super::actions::Refused::NotFound(format!("call {id} not found")))
    }

    pub fn get(&self, id: &str) -> Option<Call> {
        self.sim.lock().calls.get(id).cloned()
    }

    /// Calls in creation order that pass `keep`.
    pub fn list(&self, keep: impl Fn(&Call) -> bool) -> Vec<Call> {
        let sim = self.sim.lock();
        sim.order
            .iter()
            .filter_map(|id| sim.calls.get(id))
            .filter(|c| keep(c))
            .cloned()
            .collect()
    }

    /// Applies the earliest agenda step. Answers false when nothing is due by `now`.
    pub fn step<H: Host>(&self, host: &H, now: i64) -> bool {
        let mut sim = self.sim.lock();
        let step_at = sim.agenda.peek().map_or(i64::MAX, |r| r.0.at_ms);
        if let Some(&Reverse((at, profile))) = sim.arrivals.peek() {
            // An arrival before (or with) the next step: the call is made now, its start filed
            // for this instant, and the profile's next arrival drawn.
            if at <= now && at <= step_at {
                sim.arrivals.pop();
                self.arrive(&mut sim, host, profile, at);
                self.refresh(&sim);
                return true;
            }
        }
        let due = match sim.agenda.peek() {
            Some(Reverse(d)) if d.at_ms <= now => sim.agenda.pop().map(|r| r.0),
            _ => None,
        };
        let Some(due) = due else {
            self.refresh(&sim);
            return false;
        };
        apply(&mut sim, host, &due);
        dispatch(&mut sim, host, due.at_ms);
        self.refresh(&sim);
        true
    }

    /// Files a load profile: Poisson arrivals, `per_hour` calls an hour over `[from, from +
    /// duration)`, each a copy of `spec` started at its arrival. Only the first arrival is drawn
    /// here; each arrival draws the next when the clock reaches it (`step`), so a profile of any
    /// rate and length loads at once and memory follows the calls alive, not the profile.
    /// Answers the profile's id.
    pub fn load<H: Host>(
        &self,
        host: &H,
        spec: &CallSpec,
        per_hour: f64,
        from_ms: i64,
        duration_ms: i64,
    ) -> Result<u64, String> {
        if !(per_hour.is_finite() && per_hour > 0.0 && per_hour <= MAX_CALLS_PER_HOUR) {
            return Err(format!(
                "calls_per_hour must be above 0 and at most {MAX_CALLS_PER_HOUR}"
            ));
        }
        if duration_ms <= 0 {
            return Err("duration_ms must be above 0".into());
        }
        spec.validate()?;
        // Checked once up front, so that a profile naming an unknown tenant or queue is an
        // error when it is loaded rather than a refusal per arrival.
        route(host, spec)?;
        let until_ms = from_ms.saturating_add(duration_ms);
        let mut sim = self.sim.lock();
        sim.next_profile += 1;
        let id = sim.next_profile;
        let mut profile = Profile {
            id,
            call: spec.clone(),
            calls_per_hour: per_hour,
            from_ms,
            until_ms,
            next_ms: from_ms as f64,
            made: 0,
            refused: 0,
            last_refusal: None,
        };
        if self.draw_next(&mut profile) {
            sim.arrivals.push(Reverse((profile.next_ms as i64, id)));
            sim.profiles.insert(id, profile);
        }
        self.refresh(&sim);
        Ok(id)
    }

    /// Moves `profile` to its next arrival; false when that falls past its end.
    fn draw_next(&self, profile: &mut Profile) -> bool {
        let mean_gap_ms = 3_600_000.0 / profile.calls_per_hour;
        let u: f64 = self.rng.lock().gen_range(f64::EPSILON..1.0);
        profile.next_ms += -u.ln() * mean_gap_ms;
        profile.next_ms < profile.until_ms as f64
    }

    /// One arrival of `profile` at `at`: its call made and filed, the next arrival drawn.
    fn arrive<H: Host>(&self, sim: &mut Sim, host: &H, profile: u64, at: i64) {
        let Some(mut p) = sim.profiles.remove(&profile) else {
            return;
        };
        let mut one = p.call.clone();
        one.at_ms = Some(at);
        match self.make(host, one, None).and_then(|call| file(sim, call)) {
            Ok(()) => p.made += 1,
            Err(why) => {
                p.refused += 1;
                p.last_refusal = Some(why);
            }
        }
        if self.draw_next(&mut p) {
            sim.arrivals.push(Reverse((p.next_ms as i64, profile)));
            sim.profiles.insert(profile, p);
        }
    }
}

/// Where a call goes, checked against the model: the queue asked for, the flow asked for, the
/// agent who dials, or the flow bound to the number called (else the tenant's default queue).
/// Answers (queue, flow, the queue's own wait limit, whether its callers give up).
type Route = (Option<String>, Option<String>, Option<i64>, bool);

fn route<H: Host>(host: &H, spec: &CallSpec) -> Result<Route, String> {
    let model = host.model();
    let t = model.tenant(&spec.tenant).map_err(|e| e.to_string())?;
    let limit_of =
        |q: &crate::model::Queue| (q.timeout > 0).then_some(q.timeout.saturating_mul(1000));
    Ok(if let Some(q) = &spec.queue {
        let queue = t
            .queues
            .get(q)
            .ok_or_else(|| format!("queue {q} not found in tenant {}", t.id))?;
        (Some(q.clone()), None, limit_of(queue), queue.abandon)
    } else if let Some(f) = &spec.flow {
        if !t.ivr_flows.contains_key(f) {
            return Err(format!("IVR flow {f} not found in tenant {}", t.id));
        }
        (None, Some(f.clone()), None, true)
    } else if let Some(a) = &spec.agent {
        t.agents
            .get(a)
            .ok_or_else(|| format!("agent {a} not found in tenant {}", t.id))?;
        (None, None, None, true)
    } else {
        let number = spec.callee.as_deref().unwrap_or_default();
        match crate::model::ivr::flow_for(t, number) {
            Some(f) => (None, Some(f.id.clone()), None, true),
            None => {
                let q = t
                    .default_queue
                    .as_ref()
                    .and_then(|q| t.queues.get(q))
                    .or_else(|| t.queues.values().next())
                    .ok_or_else(|| {
                        format!("{number} has no IVR flow and tenant {} has no queue", t.id)
                    })?;
                (Some(q.id.clone()), None, limit_of(q), q.abandon)
            }
        }
    })
}

/// Puts a made call in the simulation, its start on the agenda.
fn file(sim: &mut Sim, call: Call) -> Result<(), String> {
    if sim.calls.contains_key(&call.id) {
        return Err(format!("call {} already exists", call.id));
    }
    let (id, at) = (call.id.clone(), call.start_ms);
    let script = call.caller_script.clone();
    sim.calls.insert(id.clone(), call);
    sim.order.push(id.clone());
    schedule(sim, at, &id, Action::Start);
    // The caller's script: keys, speech and hang-up, each on the agenda at its instant.
    if let Some(script) = &script {
        let from = |ms: u64| at.saturating_add(ms as i64);
        for p in &script.press {
            let keys = p.keys.clone();
            schedule(sim, from(p.after_ms), &id, Action::Keys { keys });
        }
        for s in &script.say {
            let text = s.text.clone();
            schedule(sim, from(s.after_ms), &id, Action::Say { text });
        }
        if let Some(ms) = script.hangup_after_ms {
            schedule(sim, from(ms), &id, Action::CallerHangup);
        }
    }
    prune(sim);
    Ok(())
}

/// Keeps memory bounded over a long load: the oldest ended calls go beyond `KEEP_CALLS`. The
/// sweep runs when a tenth more have piled up, so that its walk over every call is paid once per
/// `KEEP_CALLS / 10` calls rather than once per call.
pub(super) fn prune(sim: &mut Sim) {
    if sim.order.len() <= KEEP_CALLS + KEEP_CALLS / 10 {
        return;
    }
    let excess = sim.order.len() - KEEP_CALLS;
    let mut removed = 0;
    let Sim { order, calls, .. } = sim;
    order.retain(|id| {
        if removed < excess && calls.get(id).is_some_and(|c| c.state == CallState::Ended) {
            calls.remove(id);
            removed += 1;
            false
        } else {
            true
        }
    });
}
