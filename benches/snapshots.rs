//! Named snapshots at the size the issue names: a 10,000-agent state taken once and restored
//! between tests. Measured, not asserted (the tests check the state comes back whole).
//!
//! Run: `cargo bench --bench snapshots` (env BENCH_SNAPSHOT_AGENTS to change the agent count,
//! BENCH_SNAPSHOT_RUNS the number of restores).

use ccemu::{Config, Emulator};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn post(a: &ureq::Agent, url: &str, body: Option<&Value>) -> Value {
    let req = a.post(url).set("Content-Type", "application/json");
    let r = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    match r {
        Ok(r) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("{url}: {e}"),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let agents = env("BENCH_SNAPSHOT_AGENTS", 10_000);
    let runs = env("BENCH_SNAPSHOT_RUNS", 20).max(1);
    let emu = Emulator::start_background(Config {
        body_limit: 256 << 20,
        ..Config::ephemeral()
    })
    .expect("start");
    let base = emu.url();
    let a = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build();
    // Agents with a queue and a short timeline each, as a prepared suite state would have.
    let list: Vec<Value> = (0..agents)
        .map(|i| {
            json!({"id": format!("A{i:06}"), "name": format!("Agent {i}"), "queues": ["NXQueue0001"],
                   "timeline": [{"at_ms": 1000, "state": "idle"}, {"at_ms": 2000, "state": "busy"}]})
        })
        .collect();
    post(
        &a,
        &format!("{base}/_ccemu/fixture"),
        Some(&json!({"tenants": [{"id": "144", "agents": list}]})),
    );
    let started = Instant::now();
    let taken = post(
        &a,
        &format!("{base}/_ccemu/snapshots"),
        Some(&json!({"name": "prepared"})),
    );
    let save_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(
        taken["agents"].as_u64().unwrap_or(0) >= agents as u64,
        "{taken}"
    );

    // Over HTTP, as a test suite calls it between tests.
    let mut http = Vec::with_capacity(runs);
    for _ in 0..runs {
        post(&a, &format!("{base}/_ccemu/reset"), None);
        let t = Instant::now();
        post(
            &a,
            &format!("{base}/_ccemu/snapshots/prepared/restore"),
            None,
        );
        http.push(t.elapsed());
    }
    // In process: the restore alone, without the HTTP round trip.
    let mut direct = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        ccemu::snapshots::restore(emu.ctx(), "prepared").expect("restore");
        direct.push(t.elapsed());
    }
    http.sort();
    direct.sort();
    println!(
        "{{\"agents\": {agents}, \"runs\": {runs}, \"save_ms\": {save_ms:.2}, \
         \"restore_http_ms\": {{\"p50\": {:.2}, \"max\": {:.2}}}, \
         \"restore_in_process_ms\": {{\"p50\": {:.2}, \"max\": {:.2}}}}}",
        percentile(&http, 0.5),
        percentile(&http, 1.0),
        percentile(&direct, 0.5),
        percentile(&direct, 1.0),
    );
}
