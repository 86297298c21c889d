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
fn a_huge_advance_of_a_frozen_clock_is_refused_and_changes_nothing() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    for change in [
        json!({"advance_ms": i64::MAX}),
        json!({"advance_ms": i64::MIN}),
        json!({"now_ms": i64::MIN}),
        json!({"now_ms": i64::MAX}),
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

#[test]
fn far_but_sane_clock_moves_still_work() {
    let emu = start();
    freeze_at(&emu, 0);
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": -86_400_000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["now_ms"], -86_400_000);
    // Year 9999 is the last instant a vendor's date formats can show.
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"now_ms": 253_402_300_799_999i64})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn a_huge_skew_is_refused_and_vendor_auth_keeps_answering() {
    let emu = start();
    for offset in [i64::MAX, i64::MIN] {
        let r = admin(
            &emu,
            "POST",
            "/skews",
            Some(json!({"tenant": NX_TENANT.to_string(), "offset_ms": offset})),
        );
        assert_eq!(r.status, 400, "{offset}: {}", r.text);
    }
    assert_eq!(
        admin(&emu, "GET", "/skews", None).json,
        json!({"skews": {}})
    );
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn a_scenario_skew_far_out_of_range_is_reported_not_applied() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "skewed", "timeline": [
            {"at_ms": 0, "event": "skew", "tenant": NX_TENANT.to_string(), "offset_ms": i64::MAX},
            {"at_ms": 0, "event": "skew", "tenant": "huawei-demo", "offset_ms": i64::MIN}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let applied = admin(&emu, "GET", "/scenarios", None).json["applied"].clone();
    assert!(
        applied
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["error"].is_string()),
        "{applied}"
    );
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn agent_state_at_an_instant_out_of_range_is_refused() {
    let emu = start();
    for at in [i64::MIN, i64::MAX] {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(
                json!({"tenant": NX_TENANT.to_string(), "agent": "NXAgent0001", "state": "idle", "at_ms": at}),
            ),
        );
        assert_eq!(r.status, 400, "{at}: {}", r.text);
    }
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
