//! The simulation hosted on a bare model and a hand-moved clock: no emulator, no HTTP, no
//! vendor face — the calls see only what [`Host`] gives them.

use super::spec::CallSpec;
use super::{CallState, Calls, Host, Outcome};
use crate::model::{fixture, AgentState, Model, ModelEvent};
use parking_lot::{Mutex, MutexGuard};
use serde_json::json;
use std::sync::atomic::{AtomicI64, Ordering};

const T0: i64 = 1_800_000_000_000;
const UDESK: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";
const QUEUE: &str = "7001";

struct Bare {
    model: Mutex<Model>,
    now: AtomicI64,
}

impl Host for Bare {
    type Model<'a> = MutexGuard<'a, Model>;
    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock()
    }
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::Acquire)
    }
}

impl Bare {
    /// The default fixture plus Udesk queue 7001 (strategy 0) with agents 7101–7103, logged in
    /// (idle) in the order 7103, 7102, 7101.
    fn new() -> Bare {
        let mut model = fixture::parse(fixture::DEFAULT_FIXTURE).expect("default fixture");
        let agents: Vec<_> = ["7101", "7102", "7103"]
            .iter()
            .map(|id| json!({"id": id, "name": format!("Agent {id}"), "queues": [QUEUE]}))
            .collect();
        fixture::merge(
            &mut model,
            &json!({"tenants": [{"id": UDESK,
                "queues": [{"id": QUEUE, "name": "acd", "strategy": 0}],
                "agents": agents}]}),
        )
        .expect("merge");
        for (agent, at) in [
            ("7103", T0 - 3_000),
            ("7102", T0 - 2_000),
            ("7101", T0 - 1_000),
        ] {
            model
                .set_agent_state(UDESK, agent, AgentState::Idle, at)
                .expect("idle");
        }
        model.outbox.clear();
        Bare {
            model: Mutex::new(model),
            now: AtomicI64::new(T0),
        }
    }

    /// Moves the clock to `at` and applies every call step due by then, as the emulator's
    /// `advance` does without a scenario timeline.
    fn run_to(&self, calls: &Calls, at: i64) {
        self.now.store(at, Ordering::Release);
        while calls.step(self, at) {}
        calls.dispatch_now(self, at);
    }

    /// Agents 7101–7103 busy since just before T0: no one is free to take a call.
    fn all_busy(&self) {
        for agent in ["7101", "7102", "7103"] {
            self.model
                .lock()
                .set_agent_state(UDESK, agent, AgentState::Busy, T0 - 500)
                .expect("busy");
        }
    }

    fn state(&self, agent: &str) -> AgentState {
        self.model.lock().tenants[UDESK].agents[agent].state_at(self.now_ms())
    }

    /// The call events in the outbox so far, as (name, instant), taken out of it.
    fn events(&self) -> Vec<(String, i64)> {
        std::mem::take(&mut self.model.lock().outbox)
            .into_iter()
            .filter_map(|e| match e {
                ModelEvent::Call { name, at_ms, .. } => Some((name, at_ms)),
                _ => None,
            })
            .collect()
    }
}

fn inbound() -> CallSpec {
    serde_json::from_value(json!({"tenant": UDESK, "queue": QUEUE, "ring_ms": 2000,
        "talk_ms": 10000, "wrapup_ms": 0}))
    .expect("spec")
}

#[test]
fn routes_an_inbound_call_to_the_first_agent_logged_in_and_frees_it_after_talk() {
    let host = Bare::new();
    let calls = Calls::new(7);
    let id = calls.start(&host, inbound(), None).expect("start").id;
    assert_eq!(calls.get(&id).unwrap().state, CallState::Scheduled);

    host.run_to(&calls, T0);
    let c = calls.get(&id).unwrap();
    assert_eq!(c.state, CallState::Ringing);
    assert_eq!(c.ringing, ["7103"]);
    assert_eq!(host.state("7103"), AgentState::Ringing);
    assert_eq!(host.state("7102"), AgentState::Idle);

    host.run_to(&calls, T0 + 2_000);
    let c = calls.get(&id).unwrap();
    assert_eq!(
        (c.state, c.agent.as_deref()),
        (CallState::Talking, Some("7103"))
    );
    assert_eq!(c.answer_ms, Some(T0 + 2_000));
    assert_eq!(host.state("7103"), AgentState::Calling);

    host.run_to(&calls, T0 + 12_000);
    let c = calls.get(&id).unwrap();
    assert_eq!(
        (c.state, c.outcome, c.end_ms),
        (CallState::Ended, Some(Outcome::Answered), Some(T0 + 12_000))
    );
    assert_eq!(host.state("7103"), AgentState::Idle);
    let names: Vec<String> = host.events().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "enqueue",
            "dequeue",
            "answer",
            "hangup",
            "hangup_cause",
            "record_stop",
            "cdr"
        ]
    );

    // Strategy 0 rotates: the next call rings the next agent in login order.
    let next = calls.start(&host, inbound(), None).expect("start").id;
    host.run_to(&calls, T0 + 12_000);
    assert_eq!(calls.get(&next).unwrap().ringing, ["7102"]);
}

#[test]
fn a_call_waits_while_no_agent_is_free_and_abandons_at_its_wait_limit() {
    let host = Bare::new();
    host.all_busy();
    let calls = Calls::new(7);
    let mut spec = inbound();
    spec.wait_limit_ms = Some(30_000);
    let id = calls.start(&host, spec, None).expect("start").id;
    host.run_to(&calls, T0 + 29_999);
    assert_eq!(calls.get(&id).unwrap().state, CallState::Queued);
    assert!(calls.waiting());
    host.run_to(&calls, T0 + 30_000);
    let c = calls.get(&id).unwrap();
    assert_eq!(
        (c.state, c.outcome),
        (CallState::Ended, Some(Outcome::Abandoned))
    );
    assert!(!calls.waiting());
    assert_eq!(
        host.events().last(),
        Some(&("cdr".to_string(), T0 + 30_000))
    );
}

/// The per-queue index of waiting calls holds exactly `queued`, each call under its own queue.
fn assert_index_matches(calls: &Calls) {
    let sim = calls.sim.lock();
    let mut filed: Vec<super::sim::WaitKey> = Vec::new();
    for ((tenant, queue), keys) in &sim.queued_by_queue {
        assert!(!keys.is_empty(), "an empty group is dropped");
        for key in keys {
            let c = &sim.calls[&key.2];
            assert_eq!(
                (&c.tenant, c.queue.as_deref()),
                (tenant, Some(queue.as_str()))
            );
            filed.push(key.clone());
        }
    }
    filed.sort();
    assert_eq!(filed, sim.queued.iter().cloned().collect::<Vec<_>>());
}

#[test]
fn an_unstaffed_queue_is_passed_over_whole_and_its_oldest_call_goes_first_when_an_agent_frees() {
    let host = Bare::new();
    host.all_busy();
    let calls = Calls::new(7);
    let mut ids = Vec::new();
    for i in 0..40 {
        host.run_to(&calls, T0 + i * 10);
        ids.push(calls.start(&host, inbound(), None).expect("start").id);
    }
    host.run_to(&calls, T0 + 1_000);
    assert!(ids
        .iter()
        .all(|id| calls.get(id).unwrap().state == CallState::Queued));
    assert_eq!(calls.sim.lock().queued_by_queue.len(), 1);
    assert_eq!(calls.sim.lock().queued.len(), 40);
    assert_index_matches(&calls);
    // One agent frees: the oldest call rings it, the rest keep waiting, the index follows.
    host.model
        .lock()
        .set_agent_state(UDESK, "7102", AgentState::Idle, T0 + 2_000)
        .expect("idle");
    host.run_to(&calls, T0 + 2_000);
    assert_eq!(calls.get(&ids[0]).unwrap().state, CallState::Ringing);
    assert_eq!(calls.get(&ids[0]).unwrap().ringing, ["7102"]);
    assert!(ids[1..]
        .iter()
        .all(|id| calls.get(id).unwrap().state == CallState::Queued));
    assert_eq!(calls.sim.lock().queued.len(), 39);
    assert_index_matches(&calls);
    // Every one waits out its limit (the spec's default) or is answered: nothing stays filed.
    host.run_to(&calls, T0 + 86_400_000);
    assert!(calls.sim.lock().queued.is_empty());
    assert!(calls.sim.lock().queued_by_queue.is_empty());
}
