//! The simulated contact center: calls on the virtual clock, routed by each queue's strategy,
//! writing the agents' shared timeline and emitting call events through the model's outbox (so
//! they reach receivers by the one delivery engine), and kept as call records (CDRs).
//!
//! A discrete-event simulation: every call step (arrival, end of ringing, abandon, hang-up, end
//! of wrap-up) sits in one agenda ordered by virtual time. [`advance`] applies every step due by
//! now, interleaved in time order with the scenario timeline, at the start of every request and on
//! the 50 ms ticker — so a frozen clock moved by an hour runs that hour's calls at once, each step
//! dated at its own instant. After each step, calls waiting in a queue are offered to agents who
//! have become free.
//!
//! Locks: the driver lock, then the simulation lock, then the model lock (never the other way).

mod acd;
pub mod ivr;
pub mod script;
pub mod spec;

use crate::emulator::Ctx;
use crate::model::{AgentState, ModelEvent, Tenant, Vendor};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use spec::{CallSpec, HangupBy};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    /// Not started yet (`at_ms` in the future).
    Scheduled,
    /// In the queue, waiting for an agent.
    Queued,
    /// A phone rings: the agent's (inbound) or the customer's (outbound).
    Ringing,
    Talking,
    Ended,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    /// The caller gave up waiting (or hung up while it rang).
    Abandoned,
    /// Outbound: the customer did not answer.
    NoAnswer,
    /// Outbound: the agent could not dial (offline, in a call); inbound: no such queue.
    Failed,
}

/// One step of a call's history, as `GET /_ccemu/calls` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A call and, once it ended, its record: the vendor faces shape their CDRs from this.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Call {
    pub id: String,
    pub tenant: String,
    pub direction: Direction,
    pub queue: Option<String>,
    pub caller: String,
    pub callee: String,
    pub order_id: Option<String>,
    pub state: CallState,
    pub outcome: Option<Outcome>,
    /// The agent who answered (inbound) or dialled (outbound).
    pub agent: Option<String>,
    /// Agents ringing for it now.
    pub ringing: Vec<String>,
    /// Agents who were offered it and did not answer.
    pub skipped: Vec<String>,
    pub start_ms: i64,
    pub enqueue_ms: Option<i64>,
    pub dequeue_ms: Option<i64>,
    /// When the phone that was answered (or last rang) started ringing.
    pub ring_ms: Option<i64>,
    pub answer_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub hangup_by: Option<HangupBy>,
    pub hangup_cause: Option<String>,
    /// Drawn when the call was created.
    pub plan: Plan,
    pub steps: Vec<Step>,
}

/// The call's durations and behaviour, drawn once at creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub ring_ms: i64,
    pub ring_timeout_ms: i64,
    pub talk_ms: i64,
    /// `None`: the agent's own wrap-up time.
    pub wrapup_ms: Option<i64>,
    pub wait_limit_ms: Option<i64>,
    pub answered: bool,
    pub no_answer: Vec<String>,
    pub hangup_by: HangupBy,
}

impl Call {
    /// Seconds of talk (0 when unanswered).
    pub fn talk_s(&self) -> i64 {
        match (self.answer_ms, self.end_ms) {
            (Some(a), Some(e)) => (e - a) / 1000,
            _ => 0,
        }
    }

    /// The fields every call event carries (Udesk's payload `data`, the source of NXCloud's
    /// CDR), in ccemu's snake_case.
    pub fn fields(&self, t: Option<&Tenant>) -> Value {
        let agent = self
            .agent
            .as_deref()
            .or(self.ringing.first().map(String::as_str));
        let a = agent.and_then(|id| t.and_then(|t| t.agents.get(id)));
        let ext = a.and_then(|a| t.and_then(|t| a.call_extension(t)));
        json!({
            "call_id": self.id,
            "direction": self.direction,
            "caller": self.caller,
            "callee": self.callee,
            "queue_id": self.queue,
            "agent_id": agent,
            "work_id": a.map(|a| a.work_id.clone()),
            "extension": ext.map(|e| e.extension.clone()),
            "order_id": self.order_id,
            "start_time": self.start_ms,
            "enqueue_time": self.enqueue_ms,
            "dequeue_time": self.dequeue_ms,
            "ring_time": self.ring_ms,
            "answer_time": self.answer_ms,
            "end_time": self.end_ms,
            "talk_duration": self.talk_s(),
            "hangup_by": self.hangup_by,
            "hangup_cause": self.hangup_cause,
            "outcome": self.outcome,
        })
    }
}

/// What happens at an instant of the agenda.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum Action {
    Start,
    /// The ringing of offer number `offer` ends: answered by `by`, or unanswered.
    RingEnd {
        offer: u32,
        by: Option<String>,
    },
    /// An inbound caller's wait limit.
    Abandon,
    Hangup,
    /// The agent's wrap-up after this call ends.
    WrapEnd {
        agent: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Due {
    at_ms: i64,
    seq: u64,
    call: String,
    action: Action,
}

#[derive(Default)]
struct Sim {
    calls: BTreeMap<String, Call>,
    /// Creation order, for listing.
    order: Vec<String>,
    /// Calls waiting in a queue, by (enqueue instant, agenda seq): offered first come, first served.
    queued: std::collections::BTreeSet<(i64, u64, String)>,
    agenda: BinaryHeap<Reverse<Due>>,
    seq: u64,
    offers: HashMap<String, u32>,
    /// Strategy 0: the last agent offered a call per (tenant, queue).
    last_offered: HashMap<(String, String), String>,
    /// Strategy 1: answered calls per (tenant, agent, virtual UTC day).
    answered: HashMap<(String, String, i64), u32>,
}

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
}

/// The simulation; cheap to reach through `Ctx`.
pub struct Calls {
    seed: u64,
    sim: Mutex<Sim>,
    rng: Mutex<StdRng>,
    /// The earliest agenda instant, `i64::MAX` when none: the per-request check is one load.
    next_due_ms: AtomicI64,
    /// Serialises `advance`, so steps of the scenario timeline and of calls apply in time order.
    driver: Mutex<()>,
    /// How many calls wait in a queue: while some do, every request offers them to agents who
    /// may have become free through the API (one atomic load otherwise).
    waiting: std::sync::atomic::AtomicUsize,
}

/// The most calls kept; the oldest finished ones go first.
const KEEP_CALLS: usize = 100_000;

impl Calls {
    pub fn new(seed: u64) -> Calls {
        Calls {
            seed,
            sim: Mutex::new(Sim::default()),
            rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0xca11_ca11)),
            next_due_ms: AtomicI64::new(i64::MAX),
            driver: Mutex::new(()),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn next_due(&self) -> i64 {
        self.next_due_ms.load(Ordering::Acquire)
    }

    fn refresh(&self, sim: &Sim) {
        self.next_due_ms.store(
            sim.agenda.peek().map_or(i64::MAX, |r| r.0.at_ms),
            Ordering::Release,
        );
        self.waiting.store(sim.queued.len(), Ordering::Release);
    }

    /// Offers waiting calls to agents free at `now` (an agent the API just made idle).
    fn dispatch_now(&self, ctx: &Ctx, now: i64) {
        if self.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut sim = self.sim.lock();
        dispatch(&mut sim, ctx, now);
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
    pub fn start(&self, ctx: &Ctx, spec: CallSpec, id: Option<String>) -> Result<Call, String> {
        spec.validate()?;
        let now = ctx.now_ms();
        let at = spec.at_ms.unwrap_or(now);
        let queue_limit = {
            let model = ctx.model();
            let t = model.tenant(&spec.tenant).map_err(|e| e.to_string())?;
            if let Some(q) = &spec.queue {
                let queue = t
                    .queues
                    .get(q)
                    .ok_or_else(|| format!("queue {q} not found in tenant {}", t.id))?;
                (queue.timeout > 0).then_some(queue.timeout.saturating_mul(1000))
            } else {
                let a = spec.agent.as_deref().unwrap_or_default();
                t.agents
                    .get(a)
                    .ok_or_else(|| format!("agent {a} not found in tenant {}", t.id))?;
                None
            }
        };
        let id = id.unwrap_or_else(|| self.new_id());
        let plan = {
            let mut rng = self.rng.lock();
            let ring = spec
                .ring_ms
                .unwrap_or(spec::Duration::Fixed(spec::DEFAULT_RING_MS));
            let talk = spec
                .talk_ms
                .unwrap_or(spec::Duration::Fixed(spec::DEFAULT_TALK_MS));
            Plan {
                ring_ms: ring.draw(&mut *rng),
                ring_timeout_ms: spec
                    .ring_timeout_ms
                    .unwrap_or(spec::DEFAULT_RING_TIMEOUT_MS)
                    as i64,
                talk_ms: talk.draw(&mut *rng),
                wrapup_ms: spec.wrapup_ms.map(|w| w.draw(&mut *rng)),
                wait_limit_ms: spec
                    .wait_limit_ms
                    .map(|w| w as i64)
                    .or(queue_limit)
                    .or(Some(spec::DEFAULT_WAIT_LIMIT_MS as i64)),
                answered: spec.answered.unwrap_or(true),
                no_answer: spec.no_answer.clone(),
                hangup_by: spec.hangup_by.unwrap_or_default(),
            }
        };
        let (direction, caller, callee) = match &spec.queue {
            Some(_) => (
                Direction::Inbound,
                spec.caller.clone().unwrap_or_else(|| "13800000000".into()),
                spec.callee.clone().unwrap_or_default(),
            ),
            None => (
                Direction::Outbound,
                spec.caller.clone().unwrap_or_default(),
                spec.callee.clone().unwrap_or_else(|| "13800000000".into()),
            ),
        };
        let call = Call {
            id: id.clone(),
            tenant: spec.tenant.clone(),
            direction,
            queue: spec.queue.clone(),
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
            steps: Vec::new(),
        };
        {
            let mut sim = self.sim.lock();
            if sim.calls.contains_key(&id) {
                return Err(format!("call {id} already exists"));
            }
            sim.calls.insert(id.clone(), call.clone());
            sim.order.push(id.clone());
            schedule(&mut sim, at, &id, Action::Start);
            prune(&mut sim);
            self.refresh(&sim);
        }
        // Not advanced here: a scenario's call event starts calls from inside `advance`. The
        // caller (the admin API) advances after.
        Ok(call)
    }

    /// Ends a call now: a caller still queued or ringing abandons; a call in talk is hung up by
    /// `by`. A call already ended is refused.
    pub fn hangup(&self, ctx: &Ctx, id: &str, by: HangupBy) -> Result<Call, String> {
        advance(ctx);
        let now = ctx.now_ms();
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
                CallState::Queued | CallState::Ringing if is_inbound(&sim, id) => {
                    abandon(&mut sim, ctx, id, now, "caller_hangup");
                }
                CallState::Queued | CallState::Ringing => {
                    no_answer_outbound(&mut sim, ctx, id, now)
                }
                CallState::Talking => {
                    if let Some(c) = sim.calls.get_mut(id) {
                        c.plan.hangup_by = by;
                    }
                    hang_up(&mut sim, ctx, id, now);
                }
            }
            dispatch(&mut sim, ctx, now);
            self.refresh(&sim);
        }
        self.get(id).ok_or_else(|| format!("call {id} not found"))
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
    fn step(&self, ctx: &Ctx, now: i64) -> bool {
        let mut sim = self.sim.lock();
        let due = match sim.agenda.peek() {
            Some(Reverse(d)) if d.at_ms <= now => sim.agenda.pop().map(|r| r.0),
            _ => None,
        };
        let Some(due) = due else {
            self.refresh(&sim);
            return false;
        };
        apply(&mut sim, ctx, &due);
        dispatch(&mut sim, ctx, due.at_ms);
        self.refresh(&sim);
        true
    }

    /// Arrivals of a load profile: Poisson with `per_hour` calls an hour over `[from, from +
    /// duration)`, each a copy of `spec` started at its arrival.
    pub fn load(
        &self,
        ctx: &Ctx,
        spec: &CallSpec,
        per_hour: f64,
        from_ms: i64,
        duration_ms: i64,
    ) -> Result<usize, String> {
        if !(per_hour.is_finite() && per_hour > 0.0 && per_hour <= 1_000_000.0) {
            return Err("calls_per_hour must be above 0 and at most 1000000".into());
        }
        let mut t = from_ms as f64;
        let end = from_ms.saturating_add(duration_ms) as f64;
        let mean_gap_ms = 3_600_000.0 / per_hour;
        let mut n = 0;
        loop {
            let u: f64 = self.rng.lock().gen_range(f64::EPSILON..1.0);
            t += -u.ln() * mean_gap_ms;
            if t >= end {
                break;
            }
            let mut one = spec.clone();
            one.at_ms = Some(t as i64);
            self.start(ctx, one, None)?;
            n += 1;
        }
        Ok(n)
    }
}

/// 32 hex digits in the 8-4-4-4-12 form Udesk answers call ids in.
pub fn uuid_form(h: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn is_inbound(sim: &Sim, id: &str) -> bool {
    sim.calls
        .get(id)
        .is_some_and(|c| c.direction == Direction::Inbound)
}

fn step(name: &str, at_ms: i64, agent: Option<&str>) -> Step {
    Step {
        name: name.into(),
        at_ms,
        agent: agent.map(str::to_string),
        detail: None,
    }
}

fn schedule(sim: &mut Sim, at_ms: i64, call: &str, action: Action) {
    sim.seq += 1;
    let seq = sim.seq;
    sim.agenda.push(Reverse(Due {
        at_ms,
        seq,
        call: call.to_string(),
        action,
    }));
}

/// Keeps memory bounded over a long load: the oldest ended calls go beyond `KEEP_CALLS`.
fn prune(sim: &mut Sim) {
    if sim.order.len() <= KEEP_CALLS {
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

/// Records a call step and emits it as a model event (the vendors decide who hears it).
fn emit(sim: &mut Sim, ctx: &Ctx, id: &str, name: &str, at_ms: i64) {
    let Some(c) = sim.calls.get_mut(id) else {
        return;
    };
    let agent = c.agent.clone().or_else(|| c.ringing.first().cloned());
    c.steps.push(step(name, at_ms, agent.as_deref()));
    let mut model = ctx.model();
    let fields = c.fields(model.tenants.get(&c.tenant));
    model.emit(ModelEvent::Call {
        tenant: c.tenant.clone(),
        call: c.id.clone(),
        name: name.into(),
        at_ms,
        fields,
    });
}

/// Moves an agent on the shared timeline; a refusal (the agent is gone, or its timeline already
/// moved past `at`) is noted on the call and answered as false.
fn set_state(sim: &mut Sim, ctx: &Ctx, id: &str, agent: &str, to: AgentState, at: i64) -> bool {
    let (tenant, result) = {
        let Some(c) = sim.calls.get(id) else {
            return false;
        };
        let r = ctx.model().set_agent_state(&c.tenant, agent, to, at);
        (c.tenant.clone(), r)
    };
    let _ = tenant;
    match result {
        Ok(()) => true,
        Err(e) => {
            if let Some(c) = sim.calls.get_mut(id) {
                let mut s = step("agent_state_refused", at, Some(agent));
                s.detail = Some(e.to_string());
                c.steps.push(s);
            }
            false
        }
    }
}

fn state_of(ctx: &Ctx, tenant: &str, agent: &str, at: i64) -> Option<AgentState> {
    let model = ctx.model();
    model
        .tenants
        .get(tenant)
        .and_then(|t| t.agents.get(agent))
        .map(|a| a.state_at(at))
}

fn apply(sim: &mut Sim, ctx: &Ctx, due: &Due) {
    let id = due.call.as_str();
    let at = due.at_ms;
    let Some(call) = sim.calls.get(id) else {
        return;
    };
    let (state, direction) = (call.state, call.direction);
    match &due.action {
        Action::Start if state == CallState::Scheduled => match direction {
            Direction::Inbound => {
                let limit = {
                    let c = sim.calls.get_mut(id).expect("present");
                    c.state = CallState::Queued;
                    c.enqueue_ms = Some(at);
                    c.plan.wait_limit_ms
                };
                sync_queued(sim, id);
                emit(sim, ctx, id, "enqueue", at);
                if let Some(limit) = limit {
                    schedule(sim, at.saturating_add(limit), id, Action::Abandon);
                }
            }
            Direction::Outbound => dial(sim, ctx, id, at),
        },
        Action::RingEnd { offer, by } if sim.offers.get(id) == Some(offer) => match direction {
            Direction::Inbound => ring_end_inbound(sim, ctx, id, at, by.as_deref()),
            Direction::Outbound => match by {
                Some(_) => answer(sim, ctx, id, at, None),
                None => no_answer_outbound(sim, ctx, id, at),
            },
        },
        Action::Abandon if matches!(state, CallState::Queued | CallState::Ringing) => {
            abandon(sim, ctx, id, at, "queue_timeout")
        }
        Action::Hangup if state == CallState::Talking => hang_up(sim, ctx, id, at),
        Action::WrapEnd { agent } => {
            let tenant = call.tenant.clone();
            if state_of(ctx, &tenant, agent, at) == Some(AgentState::Wrapup) {
                set_state(sim, ctx, id, agent, AgentState::Idle, at);
            }
        }
        // A step made stale by what happened first (answered before its abandon instant, ...).
        _ => {}
    }
}

/// Outbound: the agent dials the customer; the customer's phone rings.
fn dial(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64) {
    let (tenant, agent, plan) = {
        let c = &sim.calls[id];
        (
            c.tenant.clone(),
            c.agent.clone().unwrap_or_default(),
            c.plan.clone(),
        )
    };
    let free = matches!(
        state_of(ctx, &tenant, &agent, at),
        Some(AgentState::Idle | AgentState::Busy)
    );
    if !free {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::Failed);
        c.end_ms = Some(at);
        c.hangup_cause = Some("agent_unavailable".into());
        c.steps.push(step("failed", at, Some(&agent)));
        return;
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ringing;
        c.ring_ms = Some(at);
    }
    emit(sim, ctx, id, "dialout", at);
    set_state(sim, ctx, id, &agent, AgentState::Ringing, at);
    let offer = next_offer(sim, id);
    let answers = plan.answered && plan.ring_ms <= plan.ring_timeout_ms;
    let (when, by) = if answers {
        (at + plan.ring_ms, Some(agent))
    } else {
        (at + plan.ring_timeout_ms, None)
    };
    schedule(sim, when, id, Action::RingEnd { offer, by });
}

/// Keeps the set of waiting calls in step with a call's state, after it changed.
fn sync_queued(sim: &mut Sim, id: &str) {
    let Some(c) = sim.calls.get(id) else {
        return;
    };
    let key = (c.enqueue_ms.unwrap_or(c.start_ms), 0, id.to_string());
    if c.state == CallState::Queued {
        sim.queued.insert(key);
    } else {
        sim.queued.remove(&key);
    }
}

fn next_offer(sim: &mut Sim, id: &str) -> u32 {
    let n = sim.offers.entry(id.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// Offers waiting calls to free agents, oldest call first.
fn dispatch(sim: &mut Sim, ctx: &Ctx, at: i64) {
    let waiting: Vec<String> = sim
        .queued
        .iter()
        .filter(|(enqueued, _, _)| *enqueued <= at)
        .map(|(_, _, id)| id.clone())
        .collect();
    for id in waiting {
        let (tenant, queue, skipped, plan) = {
            let c = &sim.calls[&id];
            (
                c.tenant.clone(),
                c.queue.clone().unwrap_or_default(),
                c.skipped.clone(),
                c.plan.clone(),
            )
        };
        let offered = {
            let model = ctx.model();
            let Some(t) = model.tenants.get(&tenant) else {
                continue;
            };
            acd::choose(t, &queue, at, &skipped, &sim.last_offered, &sim.answered)
        };
        if offered.is_empty() {
            continue;
        }
        if let (Some(first), Vendor::Udesk | Vendor::Huawei) =
            (offered.first(), vendor_of(ctx, &tenant))
        {
            sim.last_offered
                .insert((tenant.clone(), queue.clone()), first.clone());
        }
        let mut rang = Vec::new();
        for agent in &offered {
            if set_state(sim, ctx, &id, agent, AgentState::Ringing, at) {
                rang.push(agent.clone());
            }
        }
        if rang.is_empty() {
            continue;
        }
        {
            let c = sim.calls.get_mut(&id).expect("present");
            c.state = CallState::Ringing;
            c.ringing = rang.clone();
            c.ring_ms = Some(at);
            c.steps.push(Step {
                name: "ring".into(),
                at_ms: at,
                agent: Some(rang.join(",")),
                detail: None,
            });
        }
        sync_queued(sim, &id);
        let answerer = rang
            .iter()
            .find(|a| {
                plan.answered && plan.ring_ms <= plan.ring_timeout_ms && !plan.no_answer.contains(a)
            })
            .cloned();
        let offer = next_offer(sim, &id);
        let when = if answerer.is_some() {
            at + plan.ring_ms
        } else {
            at + plan.ring_timeout_ms
        };
        schedule(
            sim,
            when,
            &id,
            Action::RingEnd {
                offer,
                by: answerer,
            },
        );
    }
}

fn vendor_of(ctx: &Ctx, tenant: &str) -> Vendor {
    ctx.model()
        .tenants
        .get(tenant)
        .map_or(Vendor::Udesk, |t| t.vendor())
}

/// Inbound ringing ends: `by` answers (if still ringing), the others go back to idle; with no
/// answer every ringing agent is skipped and the call waits for the next free agent.
fn ring_end_inbound(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64, by: Option<&str>) {
    let (tenant, ringing) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.ringing.clone())
    };
    let answerer = by.filter(|a| state_of(ctx, &tenant, a, at) == Some(AgentState::Ringing));
    for agent in &ringing {
        if Some(agent.as_str()) != answerer
            && state_of(ctx, &tenant, agent, at) == Some(AgentState::Ringing)
        {
            set_state(sim, ctx, id, agent, AgentState::Idle, at);
        }
    }
    match answerer {
        Some(agent) => answer(sim, ctx, id, at, Some(agent.to_string())),
        None => {
            let c = sim.calls.get_mut(id).expect("present");
            c.skipped.extend(ringing.iter().cloned());
            c.ringing.clear();
            c.state = CallState::Queued;
            c.steps.push(Step {
                name: "no_answer".into(),
                at_ms: at,
                agent: Some(ringing.join(",")),
                detail: None,
            });
            sync_queued(sim, id);
        }
    }
}

fn day(at: i64) -> i64 {
    at.div_euclid(86_400_000)
}

fn answer(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64, agent: Option<String>) {
    let agent = match agent {
        Some(a) => a,
        None => sim.calls[id].agent.clone().unwrap_or_default(),
    };
    if !set_state(sim, ctx, id, &agent, AgentState::Calling, at) {
        // The agent went elsewhere while it rang: treat as not answered.
        match sim.calls[id].direction {
            Direction::Inbound => ring_end_inbound(sim, ctx, id, at, None),
            Direction::Outbound => no_answer_outbound(sim, ctx, id, at),
        }
        return;
    }
    let (tenant, inbound, talk) = {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Talking;
        c.agent = Some(agent.clone());
        c.ringing.clear();
        c.answer_ms = Some(at);
        c.outcome = Some(Outcome::Answered);
        if c.direction == Direction::Inbound {
            c.dequeue_ms = Some(at);
        }
        (
            c.tenant.clone(),
            c.direction == Direction::Inbound,
            c.plan.talk_ms,
        )
    };
    *sim.answered.entry((tenant, agent, day(at))).or_insert(0) += 1;
    if inbound {
        emit(sim, ctx, id, "dequeue", at);
    }
    emit(sim, ctx, id, "answer", at);
    schedule(sim, at + talk, id, Action::Hangup);
}

fn wrapup_of(ctx: &Ctx, c: &Call, agent: &str) -> i64 {
    if let Some(w) = c.plan.wrapup_ms {
        return w;
    }
    let model = ctx.model();
    let a = model
        .tenants
        .get(&c.tenant)
        .and_then(|t| t.agents.get(agent));
    let s = a.map_or(0, |a| match c.direction {
        Direction::Inbound => a.wrap_up_time,
        Direction::Outbound => a.out_wrap_up_time,
    });
    s.clamp(0, 86_400) * 1000
}

/// An answered call ends: the agent wraps up (or is idle at once), the call's record is closed.
fn hang_up(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64) {
    let agent = sim.calls[id].agent.clone().unwrap_or_default();
    let wrap = wrapup_of(ctx, &sim.calls[id], &agent);
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.end_ms = Some(at);
        c.hangup_by = Some(c.plan.hangup_by);
        c.hangup_cause = Some("normal_clearing".into());
    }
    if wrap > 0 {
        set_state(sim, ctx, id, &agent, AgentState::Wrapup, at);
        schedule(sim, at + wrap, id, Action::WrapEnd { agent });
    } else {
        set_state(sim, ctx, id, &agent, AgentState::Idle, at);
    }
    finish(sim, ctx, id, at, true);
}

/// The hang-up events of an ended call, in order, and its record pushed (NXCloud CDR).
fn finish(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64, recorded: bool) {
    emit(sim, ctx, id, "hangup", at);
    emit(sim, ctx, id, "hangup_cause", at);
    if recorded {
        emit(sim, ctx, id, "record_stop", at);
    }
    emit(sim, ctx, id, "cdr", at);
}

/// Inbound: the caller gives up (wait limit, or hung up) while queued or ringing.
fn abandon(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64, cause: &str) {
    let (tenant, ringing) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.ringing.clone())
    };
    for agent in &ringing {
        if state_of(ctx, &tenant, agent, at) == Some(AgentState::Ringing) {
            set_state(sim, ctx, id, agent, AgentState::Idle, at);
        }
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::Abandoned);
        c.dequeue_ms = Some(at);
        c.end_ms = Some(at);
        c.hangup_by = Some(HangupBy::Customer);
        c.hangup_cause = Some(cause.into());
        c.ringing.clear();
    }
    sync_queued(sim, id);
    sim.offers.remove(id);
    emit(sim, ctx, id, "dequeue", at);
    finish(sim, ctx, id, at, false);
}

/// Outbound: the customer does not answer; the agent is free again.
fn no_answer_outbound(sim: &mut Sim, ctx: &Ctx, id: &str, at: i64) {
    let (tenant, agent) = {
        let c = &sim.calls[id];
        (c.tenant.clone(), c.agent.clone().unwrap_or_default())
    };
    if state_of(ctx, &tenant, &agent, at) == Some(AgentState::Ringing) {
        set_state(sim, ctx, id, &agent, AgentState::Idle, at);
    }
    {
        let c = sim.calls.get_mut(id).expect("present");
        c.state = CallState::Ended;
        c.outcome = Some(Outcome::NoAnswer);
        c.end_ms = Some(at);
        c.hangup_by = Some(HangupBy::Customer);
        c.hangup_cause = Some("no_answer".into());
    }
    sim.offers.remove(id);
    finish(sim, ctx, id, at, false);
}

/// Applies every scenario event and call step due by now, in time order (scenario events first
/// at the same instant). Called at the start of every request and by the ticker.
pub fn advance(ctx: &Ctx) {
    let now = ctx.now_ms();
    let waiting = ctx.calls.waiting.load(Ordering::Acquire) > 0;
    if now < ctx.scenarios.next_due() && now < ctx.calls.next_due() && !waiting {
        return;
    }
    let _driver = ctx.calls.driver.lock();
    loop {
        let (s, c) = (ctx.scenarios.next_due(), ctx.calls.next_due());
        if s.min(c) > now {
            break;
        }
        let progressed = if s <= c {
            ctx.scenarios.apply_next(ctx, now)
        } else {
            ctx.calls.step(ctx, now)
        };
        if !progressed {
            break;
        }
    }
    ctx.calls.dispatch_now(ctx, now);
}
