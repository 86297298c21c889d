//! Batches of about 10,000 IVR calls whose webhook node points at a dead URL: every call leaves
//! its webhook node by the failure path, and after each batch (and a reset that forgets the
//! calls) the process's memory is where it was after the ones before (read from /proc, Linux
//! only).
#![cfg(target_os = "linux")]
mod common;
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

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
fn ten_thousand_dead_webhooks_never_wedge_a_call_and_leave_memory_where_it_was() {
    let (mut child, url) = spawn_ccemu(&[]);
    let pid = child.id();
    let mut seen = Vec::new();
    for _ in 0..4 {
        batch(&url);
        seen.push(rss_kb(pid));
    }
    eprintln!("rss after each batch: {seen:?}");
    // The first batch warms the process up; after that, a batch leaves memory where the ones
    // before it did (within 10 %).
    let (first, second) = (seen[1].max(seen[2]), seen[3]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        second <= first + first / 10,
        "memory grew from {first} KB to {second} KB"
    );
}
