//! Two figures the events and calls issues ask for, measured rather than asserted:
//! 1. a virtual hour of 600 simulated calls (Poisson arrivals, exponential talk) runs in how much
//!    real time once the frozen clock is moved by the hour;
//! 2. API latency (p50/p99 of signed Udesk login/logout calls) with no subscription, and with every
//!    state change subscribed by a receiver that never answers — a slow receiver must not slow an
//!    API call.
//!
//! 3. how long the heavy admin requests take (issue 23: they must not stall anything else, and
//!    their own duration is recorded here rather than asserted): loading a 1,000,000-calls-an-hour
//!    profile, a virtual day caught up at once over a busy queue, and listing every call kept,
//!    with the slowest `GET /_ccemu/health` seen while each ran.
//!
//! 4. memory: the resident size of this process after each of six batches of about 10,000 IVR
//!    calls whose webhook node points at a dead URL, each batch followed by a reset (issue 20:
//!    dead webhooks must leave memory where it was). Resident size also moves with the
//!    allocator's arenas, which is why it is read here and not asserted in a test.
//!
//! Run: `cargo bench --bench calls_events` (env BENCH_CALLS_N to change the request count).

use ccemu::{Config, Emulator};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

const APP: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";
const SID: &str = "udesk-demo-sid";
const TOKEN: &str = "udesk-demo-token";
const T0: i64 = 1_800_000_000_000;

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

fn post(a: &ureq::Agent, url: &str, body: &Value) -> Value {
    match a
        .post(url)
        .set("Content-Type", "application/json")
        .send_json(body)
    {
        Ok(r) => r.into_json().unwrap_or(Value::Null),
        Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("{url}: {e}"),
    }
}

fn signed(base: &str, path: &str, ts: i64) -> String {
    let mut h = Sha1::new();
    h.update(format!("{SID}{TOKEN}{ts}").as_bytes());
    let sign: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{base}/ccapi/v2{path}{sep}AppId={APP}&Timestamp={ts}&Sign={sign}&Sid={SID}")
}

/// An emulator with its clock frozen at `T0`, its URL and a client.
fn frozen() -> (Emulator, String, ureq::Agent) {
    let emu = Emulator::start_background(Config::ephemeral()).expect("start");
    let base = emu.url();
    let a = agent();
    post(
        &a,
        &format!("{base}/_ccemu/clock"),
        &json!({"frozen": true, "now_ms": T0}),
    );
    (emu, base, a)
}

fn busy_hour() {
    // `_emu` (not `_`): the emulator lives until the end of the run.
    let (_emu, base, a) = frozen();
    // Twenty agents in one queue, longest idle first.
    let agents: Vec<Value> = (0..20)
        .map(|i| json!({"id": format!("{}", 8000 + i), "queues": ["8000"]}))
        .collect();
    post(
        &a,
        &format!("{base}/_ccemu/fixture"),
        &json!({"tenants": [{"id": APP, "queues": [{"id": "8000", "name": "bench", "strategy": 2}], "agents": agents}]}),
    );
    for i in 0..20 {
        post(
            &a,
            &format!("{base}/_ccemu/agent-state"),
            &json!({"tenant": APP, "agent": format!("{}", 8000 + i), "state": "idle", "at_ms": T0 - 1000}),
        );
    }
    post(
        &a,
        &format!("{base}/_ccemu/scenarios"),
        &json!({"name": "busy hour", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 600,
            "duration_ms": 3_600_000, "call": {"tenant": APP, "queue": "8000",
            "talk_ms": {"mean": 90_000}, "wrapup_ms": {"min": 0, "max": 15_000}}}]}),
    );
    let started = Instant::now();
    post(
        &a,
        &format!("{base}/_ccemu/clock"),
        &json!({"advance_ms": 3_600_000 + 900_000}),
    );
    let took = started.elapsed();
    let calls: Value = a
        .get(&format!("{base}/_ccemu/calls"))
        .call()
        .expect("calls")
        .into_json()
        .expect("json");
    let all = calls["calls"].as_array().cloned().unwrap_or_default();
    let answered = all.iter().filter(|c| c["outcome"] == "answered").count();
    let ended = all.iter().filter(|c| c["state"] == "ended").count();
    println!(
        "busy hour: {} calls ({answered} answered, {ended} ended) simulated in {:.1} ms of real time",
        all.len(),
        took.as_secs_f64() * 1000.0
    );
}

/// Runs `heavy` while a thread probes health every 5 ms; prints how long it took and the slowest
/// probe.
fn timed_with_health(base: &str, what: &str, heavy: impl FnOnce() -> String) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stop);
    let url = format!("{base}/_ccemu/health");
    let probe = std::thread::spawn(move || {
        let a = agent();
        let mut worst = Duration::ZERO;
        while !flag.load(std::sync::atomic::Ordering::Acquire) {
            let t = Instant::now();
            let _ = a.get(&url).call();
            worst = worst.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(5));
        }
        worst
    });
    let started = Instant::now();
    let detail = heavy();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Release);
    let worst = probe.join().unwrap_or_default();
    println!(
        "heavy admin: {what}: {:.1} ms ({detail}); slowest health meanwhile {:.1} ms",
        took.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0
    );
}

fn heavy_admin() {
    // `_emu` (not `_`): the emulator lives until the end of the run.
    let (_emu, base, a) = frozen();
    timed_with_health(&base, "load a 1,000,000 calls/h profile for a day", || {
        let r = post(
            &a,
            &format!("{base}/_ccemu/scenarios"),
            &json!({"name": "huge", "timeline": [{"at_ms": 0, "event": "load",
                "calls_per_hour": 1_000_000, "duration_ms": 86_400_000,
                "call": {"tenant": "144", "queue": "NXQueue0001", "talk_ms": 30_000}}]}),
        );
        format!("{} event", r["events"])
    });
    let _ = a.delete(&format!("{base}/_ccemu/scenarios")).call();
    post(
        &a,
        &format!("{base}/_ccemu/scenarios"),
        &json!({"name": "day", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": 4_000, "duration_ms": 86_400_000,
            "call": {"tenant": "144", "queue": "NXQueue0001", "talk_ms": {"mean": 60_000}}}]}),
    );
    timed_with_health(
        &base,
        "a virtual day at 4,000 calls/h caught up at once",
        || {
            post(
                &a,
                &format!("{base}/_ccemu/clock"),
                &json!({"advance_ms": 86_400_000 + 600_000}),
            );
            let n: Value = a
                .get(&format!("{base}/_ccemu/calls?limit=0"))
                .call()
                .expect("calls")
                .into_json()
                .expect("json");
            format!("{} calls kept", n["total"])
        },
    );
    timed_with_health(&base, "list every call kept", || {
        let answer = a
            .get(&format!("{base}/_ccemu/calls"))
            .call()
            .expect("calls");
        let bytes = std::io::copy(&mut answer.into_reader(), &mut std::io::sink()).unwrap_or(0);
        format!("{bytes} bytes")
    });
}

/// This process's resident size in KB (Linux; 0 elsewhere).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn memory_after_dead_webhooks() {
    let (_emu, base, a) = frozen();
    let flow = json!({"tenant": APP, "flows": [{"id": "dead", "numbers": ["057126200674"], "nodes": [
        {"id": "s", "kind": "start", "next": "ask"},
        {"id": "ask", "kind": "webhook", "url": "http://127.0.0.1:9/dead", "timeout_ms": 1000, "next": "e"},
        {"id": "e", "kind": "end"}]}]});
    let mut seen = Vec::new();
    let started = Instant::now();
    for _ in 0..6 {
        a.put(&format!("{base}/_ccemu/ivr-flows"))
            .send_json(&flow)
            .expect("flows");
        post(
            &a,
            &format!("{base}/_ccemu/clock"),
            &json!({"frozen": true, "now_ms": T0}),
        );
        post(
            &a,
            &format!("{base}/_ccemu/scenarios"),
            &json!({"name": "dead-webhooks", "timeline": [{"at_ms": 0, "event": "load",
                "calls_per_hour": 100_000, "duration_ms": 360_000,
                "call": {"tenant": APP, "callee": "057126200674"}}]}),
        );
        post(
            &a,
            &format!("{base}/_ccemu/clock"),
            &json!({"advance_ms": 400_000}),
        );
        loop {
            let n: Value = a
                .get(&format!("{base}/_ccemu/calls?state=ivr&limit=0"))
                .call()
                .expect("calls")
                .into_json()
                .expect("json");
            if n["total"].as_i64() == Some(0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        post(&a, &format!("{base}/_ccemu/reset"), &json!({}));
        seen.push(rss_kb());
    }
    println!(
        "memory: resident KB after each batch of ~10,000 dead-webhook IVR calls and a reset: {seen:?} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A receiver that accepts connections and reads forever, never answering.
fn silent_receiver() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut conn = conn;
                let mut buf = [0u8; 4096];
                while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    url
}

fn api_latency(subscribed: bool, n: usize) {
    // `_emu` (not `_`): the emulator lives until the end of the run.
    let (_emu, base, a) = frozen();
    if subscribed {
        let url = silent_receiver();
        post(
            &a,
            &signed(&base, "/subscriptions", T0),
            &json!({"subscriptions": [{"callback": url, "events": ["agent_state", "ext_state"], "name": "silent"}]}),
        );
    }
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let path = if i % 2 == 0 {
            "/agent/login?MsgId=b"
        } else {
            "/agent/logout"
        };
        let t = Instant::now();
        let r = post(&a, &signed(&base, path, T0), &json!({"agent_id": "189"}));
        lat.push(t.elapsed());
        assert_eq!(r["ErrCode"], "000000", "{r}");
    }
    lat.sort();
    let backlog: Value = a
        .get(&format!("{base}/_ccemu/webhooks"))
        .call()
        .expect("webhooks")
        .into_json()
        .expect("json");
    println!(
        "signed login/logout x{n}, {}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; webhook queues {}",
        if subscribed {
            "subscribed by a receiver that never answers"
        } else {
            "no subscription"
        },
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
        backlog["targets"]
    );
}

fn main() {
    let n = std::env::var("BENCH_CALLS_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    busy_hour();
    heavy_admin();
    memory_after_dead_webhooks();
    api_latency(false, n);
    api_latency(true, n);
}
