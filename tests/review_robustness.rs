//! Fresh-eyes review: admin inputs at the edges of their types must be refused cleanly (or
//! survived), never panic the server, and a refused admin call changes nothing.

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;

/// A request that must get an HTTP answer (any status): a transport error means the server task
/// panicked or dropped the connection.
fn answers(method: &str, url: &str, body: Option<&[u8]>) -> bool {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let req = agent
        .request(method, url)
        .set("Content-Type", "application/json");
    let r = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    matches!(r, Ok(_) | Err(ureq::Error::Status(..)))
}

fn clock_reading(emu: &ccemu::Emulator) -> serde_json::Value {
    admin(emu, "GET", "/clock", None).json
}

#[test]
fn a_clock_change_that_overflows_is_refused_and_changes_nothing() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    for change in [
        json!({"advance_ms": i64::MAX}),
        json!({"now_ms": -5, "advance_ms": i64::MIN}),
        // i64::MIN is the running clock's marker: a frozen clock set there would start running.
        json!({"now_ms": i64::MIN}),
        json!({"now_ms": i64::MAX, "advance_ms": 1}),
        json!({"frozen": false, "now_ms": 1_900_000_000_000i64, "advance_ms": i64::MAX}),
    ] {
        let r = admin(&emu, "POST", "/clock", Some(change.clone()));
        assert_eq!(r.status, 400, "{change}: {}", r.text);
        assert_eq!(
            clock_reading(&emu),
            json!({"now_ms": 1_800_000_000_000i64, "frozen": true}),
            "{change}"
        );
    }
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn a_huge_advance_of_a_running_clock_is_refused_and_the_server_keeps_answering() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": i64::MAX})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = admin(&emu, "POST", "/clock", Some(json!({"now_ms": i64::MIN})));
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(answers(
        "GET",
        &format!("{}/_ccemu/health", emu.url()),
        None
    ));
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Every vendor, a rate-limited rule and the journal at a clock reading; all must answer.
fn all_answer(emu: &ccemu::Emulator) {
    let url = format!(
        "{}/ccapi/v2/spnumbers?{}",
        emu.url(),
        udesk_query(now_ms(emu))
    );
    assert!(answers("GET", &url, None), "udesk at {}", now_ms(emu));
    let body =
        serde_json::to_vec(&json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"})).unwrap();
    let h = nx_headers(now_ms(emu), &body);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let url = format!("{}/saas/cc/openapi/agentGroup/member/list", emu.url());
    let agent = ureq::AgentBuilder::new().build();
    let mut req = agent.post(&url);
    for (k, v) in h {
        req = req.set(k, v);
    }
    assert!(
        matches!(req.send_bytes(&body), Ok(_) | Err(ureq::Error::Status(..))),
        "nxcloud at {}",
        now_ms(emu)
    );
    let token = format!("{}{HW_TOKEN_PATH}", emu.url());
    let b =
        serde_json::to_vec(&json!({"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET})).unwrap();
    assert!(
        answers("POST", &token, Some(&b)),
        "huawei at {}",
        now_ms(emu)
    );
    assert!(answers(
        "GET",
        &format!("{}/_ccemu/requests", emu.url()),
        None
    ));
}

#[test]
fn far_off_clocks_and_skews_answer_everywhere() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(
            json!({"match": {"vendor": "udesk"}, "fault": {"kind": "rate_limit", "per_second": 1, "burst": 5}}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for t in [
        i64::MIN + 1,
        -9_000_000_000_000_000_000,
        0,
        9_000_000_000_000_000_000,
        i64::MAX,
    ] {
        freeze_at(&emu, t);
        all_answer(&emu);
    }
    // A running clock set far off saturates instead of overflowing on every read.
    for t in [i64::MAX, i64::MIN + 1] {
        let r = admin(
            &emu,
            "POST",
            "/clock",
            Some(json!({"frozen": false, "now_ms": t})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        all_answer(&emu);
    }
    freeze_at(&emu, 1_800_000_000_000);
    for offset in [i64::MAX, i64::MIN] {
        for tenant in [UDESK_APP_ID, "144", "huawei-demo"] {
            let r = admin(
                &emu,
                "POST",
                "/skews",
                Some(json!({"tenant": tenant, "offset_ms": offset})),
            );
            assert_eq!(r.status, 200, "{offset}: {}", r.text);
        }
        all_answer(&emu);
    }
}

#[test]
fn far_off_scenario_events_and_agent_states_answer_everywhere() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "far", "start_ms": i64::MAX, "timeline": [
            {"at_ms": i64::MIN, "event": "skew", "tenant": "144", "offset_ms": i64::MAX},
            {"at_ms": i64::MIN, "event": "revoke_tokens", "tenant": "huawei-demo"},
            {"at_ms": i64::MIN, "event": "agent_state", "tenant": "144", "agent": "NXAgent1000013", "state": "idle"},
            {"at_ms": i64::MAX, "event": "skew", "tenant": "144", "offset_ms": 0}]})),
    );
    // Instants a year and more away are refused when the scenario is loaded (docs/calls.md,
    // "Limits"), naming the first event at fault; nothing of it is kept.
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("timeline[0]"), "{}", r.text);
    all_answer(&emu);
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "far", "start_ms": i64::MAX, "timeline": []})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("start_ms"), "{}", r.text);
    let far_state = || {
        admin(
            &emu,
            "POST",
            "/agent-state",
            Some(
                json!({"tenant": "144", "agent": "NXAgent0001", "state": "idle", "at_ms": i64::MAX}),
            ),
        )
    };
    // Dated after now, the change is refused (it would wedge the agent until then)...
    let r = far_state();
    assert_eq!(r.status, 400, "{}", r.text);
    all_answer(&emu);
    // ...and once the clock is at the far end, the same change goes through.
    freeze_at(&emu, i64::MAX);
    let r = far_state();
    assert_eq!(r.status, 200, "{}", r.text);
    all_answer(&emu);
    let body = json!({"tenantId": NX_TENANT, "userName": "NXAgent0001",
                      "startDateTime": 1_700_000_000, "endDateTime": 1_700_086_400});
    let r = nx_call(&emu, "agent/status/info", &body);
    assert_eq!(r.status, 200, "{}", r.text);
}
#[test]
fn a_fixture_queue_counter_at_its_maximum_does_not_panic_queue_creation() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": UDESK_APP_ID, "next_queue_id": u64::MAX}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for name in ["edge-one", "edge-two"] {
        let url = format!(
            "{}/ccapi/v2/queues?{}",
            emu.url(),
            udesk_query(now_ms(&emu))
        );
        let body = serde_json::to_vec(&json!({"QueueName": name})).unwrap();
        assert!(answers("POST", &url, Some(&body)), "{name}: no answer");
        let r = udesk(
            &emu,
            "POST",
            "/queues",
            Some(json!({"QueueName": format!("{name}-again")})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
