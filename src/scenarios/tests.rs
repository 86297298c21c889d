//! Scenarios on their own: fault rules matched against requests through a stand-in `Face` (no
//! vendor, no emulator), and a timeline applied to a bare model and a hand-moved clock.

use super::faults::{self, Action, Face};
use super::rules::RuleSpec;
use super::{Host, ScenarioFile, Scenarios};
use crate::calls::Calls;
use crate::http::{ApiRequest, Reply};
use crate::model::{fixture, AgentState, Model, Vendor};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use parking_lot::{Mutex, MutexGuard};
use serde_json::json;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

const T0: i64 = 1_800_000_000_000;
const UDESK: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";

/// Says what a request is the way a vendor face would (the tenant from `?tenant=`), and counts
/// the times its handler ran.
#[derive(Default)]
struct StandIn {
    handled: AtomicUsize,
}

impl Face for StandIn {
    fn vendor(&self) -> Vendor {
        Vendor::Udesk
    }
    fn operation(&self, req: &ApiRequest) -> Option<&'static str> {
        req.path
            .starts_with("/ccapi/v2/agents")
            .then_some("agents.list")
    }
    fn tenant_hint(&self, req: &ApiRequest) -> Option<String> {
        req.query.strip_prefix("tenant=").map(str::to_string)
    }
    fn handle(&self, _req: &ApiRequest) -> Reply {
        self.handled.fetch_add(1, Ordering::Relaxed);
        Reply::json(StatusCode::OK, &json!({"code": 0}))
    }
    fn error_for_code(&self, _req: &ApiRequest, code: &str) -> Option<Reply> {
        (code == "100004").then(|| Reply::json(StatusCode::OK, &json!({"code": 100004})))
    }
}

fn request(path_and_query: &str, body: serde_json::Value) -> ApiRequest {
    let mut req = ApiRequest::new(Method::POST, path_and_query);
    req.body = Bytes::from(body.to_string());
    req
}

#[tokio::test]
async fn a_rule_fires_on_the_request_it_matches_inside_its_window_only() {
    let scenarios = Scenarios::new(1);
    let spec: RuleSpec = serde_json::from_value(json!({
        "match": {"vendor": "udesk", "path": "/ccapi/v2/agents*", "operation": "agents.list",
                  "tenant": "t1", "body": {"agentId": "7"}},
        "from_ms": T0, "until_ms": T0 + 1_000,
        "fault": {"kind": "vendor_error", "code": "100004"}}))
    .unwrap();
    let id = scenarios.add_rule(spec, None).unwrap();
    let face = StandIn::default();
    let hit = request("/ccapi/v2/agents/7?tenant=t1", json!({"agentId": 7}));

    for (req, now) in [
        (
            request("/ccapi/v2/agents/7?tenant=t2", json!({"agentId": 7})),
            T0,
        ),
        (
            request("/ccapi/v2/queues?tenant=t1", json!({"agentId": 7})),
            T0,
        ),
        (
            request("/ccapi/v2/agents/7?tenant=t1", json!({"agentId": 8})),
            T0,
        ),
        (hit.clone(), T0 - 1),
        (hit.clone(), T0 + 1_000),
    ] {
        assert!(
            scenarios.decide(&face, &req, || now).is_none(),
            "{}",
            req.path
        );
    }
    let fired = scenarios.decide(&face, &hit, || T0 + 999).expect("fires");
    assert_eq!(fired.rule, id);

    // Applied before the handler (the default phase): the face's own error, the model untouched.
    let outcome = faults::apply(&face, &hit, &fired).await;
    let Action::Send(reply) = outcome.action else {
        panic!("a vendor error is sent");
    };
    assert_eq!(reply.json_body(), Some(json!({"code": 100004})));
    assert_eq!(face.handled.load(Ordering::Relaxed), 0);
}

/// A model, a clock and calls, driven as the emulator's `advance` drives them.
struct Bare {
    model: Mutex<Model>,
    now: AtomicI64,
    calls: Calls,
    scenarios: Scenarios,
}

impl crate::calls::Host for Bare {
    type Model<'a> = MutexGuard<'a, Model>;
    fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock()
    }
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::Acquire)
    }
}

impl Host for Bare {
    fn calls(&self) -> &Calls {
        &self.calls
    }
    fn scenarios(&self) -> &Scenarios {
        &self.scenarios
    }
    fn advance(&self) {
        let now = self.now.load(Ordering::Acquire);
        while self.scenarios.apply_next(self, now) {}
    }
}

#[test]
fn a_timeline_applies_each_event_at_its_own_instant_when_the_clock_reaches_it() {
    let host = Bare {
        model: Mutex::new(fixture::parse(fixture::DEFAULT_FIXTURE).unwrap()),
        now: AtomicI64::new(T0),
        calls: Calls::new(1),
        scenarios: Scenarios::new(1),
    };
    let agent = {
        let model = host.model.lock();
        let first = model.tenants[UDESK]
            .agents
            .keys()
            .next()
            .unwrap()
            .to_string();
        first
    };
    let file: ScenarioFile = serde_json::from_value(json!({
    "name": "shift",
    "timeline": [
        {"at_ms": 1_000, "event": "agent_state", "tenant": UDESK, "agent": agent, "state": "idle"},
        {"at_ms": 5_000, "event": "skew", "tenant": UDESK, "offset_ms": 250}
    ]}))
    .unwrap();
    host.scenarios.load(&host, file).unwrap();
    assert_eq!(host.scenarios.next_due(), T0 + 1_000);

    // The clock jumps past both: each is dated at its own instant, not when it was noticed.
    host.now.store(T0 + 60_000, Ordering::Release);
    host.advance();
    assert_eq!(host.scenarios.next_due(), i64::MAX);
    let model = host.model.lock();
    let a = &model.tenants[UDESK].agents[&agent];
    assert_eq!(a.state_at(T0 + 999), AgentState::Offline);
    assert_eq!(a.state_at(T0 + 1_000), AgentState::Idle);
    assert_eq!(host.scenarios.skew_for(UDESK), 250);
}
