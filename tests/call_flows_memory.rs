//! Batches of about 10,000 IVR calls whose webhook node points at a dead URL: every call leaves
//! its webhook node by the failure path, none is wedged, and a reset forgets them all. The memory
//! the process keeps across such batches is a benchmark figure (`cargo bench --bench
//! calls_events`, "memory"), not asserted here: resident size moves with the allocator's arenas,
//! not only with what ccemu keeps.
mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn post(url: &str, path: &str, body: Value) -> Resp {
    send(
        "POST",
        &format!("{url}/_ccemu{path}"),
        &[("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    )
}

fn count(url: &str, query: &str) -> i64 {
    let r = send("GET", &format!("{url}/_ccemu/calls?{query}"), &[], None);
    r.json["count"].as_i64().unwrap_or(-1)
}

/// Loads the flow and 10,000 calls, runs them, waits until none is left in its IVR, resets.
fn batch(url: &str) {
    let flow = json!({"tenant": UDESK_APP_ID, "flows": [{"id": "dead", "numbers": ["057126200674"], "nodes": [
        {"id": "s", "kind": "start", "next": "ask"},
        {"id": "ask", "kind": "webhook", "url": "http://127.0.0.1:9/dead", "timeout_ms": 1000, "next": "e"},
        {"id": "e", "kind": "end"}]}]});
    let r = send(
        "PUT",
        &format!("{url}/_ccemu/ivr-flows"),
        &[("Content-Type", "application/json")],
        Some(flow.to_string().as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = post(
        url,
        "/clock",
        json!({"frozen": true, "now_ms": 1_800_000_000_000i64}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // A load profile: about 10,000 arrivals in six virtual minutes.
    let r = post(
        url,
        "/scenarios",
        json!({"name": "dead-webhooks", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": 100_000, "duration_ms": 360_000,
            "call": {"tenant": UDESK_APP_ID, "callee": "057126200674"}}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = post(url, "/clock", json!({"advance_ms": 400_000}));
    assert_eq!(r.status, 200, "{}", r.text);
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(url, "state=ivr") != 0 {
        assert!(
            Instant::now() < deadline,
            "calls wedged in their webhook node"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // (A listing of all 10,000 is more than the test client reads; the small ones say enough.)
    assert_eq!(count(url, "state=scheduled"), 0);
    assert_eq!(count(url, "outcome=abandoned"), 0);
    assert_eq!(count(url, "outcome=answered"), 0);
    let r = post(url, "/reset", json!({}));
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn ten_thousand_dead_webhooks_never_wedge_a_call_and_a_reset_forgets_them() {
    let (mut child, url) = spawn_ccemu(&[]);
    for _ in 0..2 {
        batch(&url);
        // The reset forgot every call and every profile; nothing is left due.
        assert_eq!(count(&url, ""), 0);
        let r = send("GET", &format!("{url}/_ccemu/scenarios"), &[], None);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["load_profiles"], json!([]), "{}", r.text);
    }
    let _ = child.kill();
    let _ = child.wait();
}
