//! The queueing truth (issue 20): Poisson arrivals and exponential handle times into c agents,
//! callers who wait as long as it takes (abandonment off on the queue), for every Udesk strategy
//! and both NXCloud ring policies, against Erlang C for the λ and μ the runs drew: P(wait),
//! average speed of answer (ASA) and the 20-second service level, each within 5 % of the
//! formula. Also the run's own cost (calls simulated per second of real time).
//!
//! Why a benchmark and not a test: ASA is a mean of strongly correlated waits (a busy spell
//! delays many callers in a row), so its sampling error falls slowly with the number of calls.
//! The traffic is chosen so that a few hundred thousand calls per queue bring that error well
//! inside 5 % (c = 4 agents at 60 % occupancy; the heavier textbook case, 18 agents at 83 %,
//! would need millions per queue and runs as a test in tests/calls_erlang.rs with a tolerance
//! fitted to its sample); the error itself is estimated from batch means and printed beside
//! each figure.
//!
//! Run: `cargo bench --bench erlang` (BENCH_QUICK=1: a tenth of the calls). Prints a line per
//! queue and one `BENCH_JSON {...}` line that bench/bench.py reads into BENCHMARKS.md.

use ccemu::{Config, Emulator};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const T0: i64 = 1_800_000_000_000;
const UDESK: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";
const NXCLOUD: &str = "144";
/// Agents, mean handle time (s), arrivals per hour: offered load 2.4 erlangs on 4 agents.
const C: u32 = 4;
const HANDLE_S: f64 = 180.0;
const PER_HOUR: f64 = 48.0;
/// Virtual hours per emulator run (below the 100,000 calls an emulator keeps) and per advance.
const RUN_HOURS: i64 = 1_800;
const STEP_HOURS: i64 = 100;
/// Batches for the sampling error: each run's calls in stretches of this many virtual hours.
const BATCH_HOURS: i64 = 50;

fn erlang_c(a: f64, c: u32) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let top = term * a / c as f64 * (c as f64 / (c as f64 - a));
    top / (sum + top)
}

fn send(a: &ureq::Agent, method: &str, url: &str, body: Option<&Value>) -> Value {
    let req = a
        .request(method, url)
        .set("Content-Type", "application/json");
    let r = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    match r {
        Ok(r) => r.into_json().expect("json"),
        Err(ureq::Error::Status(s, r)) => {
            panic!("{url}: {s} {}", r.into_string().unwrap_or_default())
        }
        Err(e) => panic!("{url}: {e}"),
    }
}

/// One call kept: when it started (virtual ms), its wait and its handle time (s).
struct Seen {
    start_ms: i64,
    wait_s: f64,
    handle_s: f64,
}

/// One emulator, one queue, `RUN_HOURS` of traffic; the answered calls, the first hour left out
/// (the queue warms up from empty).
fn run(tenant: &str, queue: &Value, seed: u64) -> Vec<Seen> {
    let mut config = Config::ephemeral();
    config.seed = seed;
    let emu = Emulator::start_background(config).expect("start");
    let base = format!("{}/_ccemu", emu.url());
    let a = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
    send(
        &a,
        "POST",
        &format!("{base}/clock"),
        Some(&json!({"frozen": true, "now_ms": T0})),
    );
    let qid = queue["id"].as_str().expect("id");
    let agents: Vec<Value> = (0..C)
        .map(|i| json!({"id": format!("e{i}"), "sip_number": format!("sip-e{i}"), "queues": [qid]}))
        .collect();
    send(
        &a,
        "POST",
        &format!("{base}/fixture"),
        Some(&json!({"tenants": [{"id": tenant, "queues": [queue], "agents": agents}]})),
    );
    for i in 0..C {
        send(
            &a,
            "POST",
            &format!("{base}/agent-state"),
            Some(
                &json!({"tenant": tenant, "agent": format!("e{i}"), "state": "idle", "at_ms": T0 - 1000}),
            ),
        );
    }
    // A load profile lasts at most 31 days: consecutive ones of 600 hours.
    let timeline: Vec<Value> = (0..RUN_HOURS / 600)
        .map(|k| {
            json!({"at_ms": k * 600 * 3_600_000, "event": "load",
                "calls_per_hour": PER_HOUR, "duration_ms": 600 * 3_600_000i64,
                "call": {"tenant": tenant, "queue": qid, "ring_ms": 0,
                         "talk_ms": {"mean": (HANDLE_S * 1000.0) as u64}, "wrapup_ms": 0}})
        })
        .collect();
    send(
        &a,
        "POST",
        &format!("{base}/scenarios"),
        Some(&json!({"name": "erlang", "timeline": timeline})),
    );
    for _ in 0..(RUN_HOURS / STEP_HOURS + 1) {
        send(
            &a,
            "POST",
            &format!("{base}/clock"),
            Some(&json!({"advance_ms": STEP_HOURS * 3_600_000})),
        );
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = send(
            &a,
            "GET",
            &format!("{base}/calls?queue={qid}&offset={offset}&limit=5000"),
            None,
        );
        let calls = page["calls"].as_array().expect("calls");
        if calls.is_empty() {
            break;
        }
        offset += calls.len();
        for c in calls {
            let at = |k: &str| c[k].as_i64().unwrap_or_else(|| panic!("{k}: {c}"));
            assert_eq!(c["outcome"], "answered", "abandonment is off: {c}");
            seen.push(Seen {
                start_ms: at("start_ms"),
                wait_s: (at("answer_ms") - at("enqueue_ms")) as f64 / 1000.0,
                handle_s: (at("end_ms") - at("answer_ms")) as f64 / 1000.0,
            });
        }
    }
    seen.retain(|s| s.start_ms >= T0 + 3_600_000);
    seen
}

/// The mean of `xs` and its standard error from batch means (`batches` of the per-call values).
fn mean_and_error(batches: &[Vec<f64>]) -> (f64, f64) {
    let all: Vec<f64> = batches.iter().flatten().copied().collect();
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    let means: Vec<f64> = batches
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| b.iter().sum::<f64>() / b.len() as f64)
        .collect();
    let k = means.len() as f64;
    let m = means.iter().sum::<f64>() / k;
    let var = means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (var / k).sqrt())
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let runs = if quick { 1 } else { 4 };
    let queues = [
        (
            UDESK,
            json!({"id": "7010", "name": "Udesk strategy 0", "strategy": 0, "abandon": false}),
        ),
        (
            UDESK,
            json!({"id": "7011", "name": "Udesk strategy 1", "strategy": 1, "abandon": false}),
        ),
        (
            UDESK,
            json!({"id": "7012", "name": "Udesk strategy 2", "strategy": 2, "abandon": false}),
        ),
        (
            NXCLOUD,
            json!({"id": "NXQ-E1", "name": "NXCloud ringPolicy 1", "ring_policy": 1, "abandon": false}),
        ),
        (
            NXCLOUD,
            json!({"id": "NXQ-E2", "name": "NXCloud ringPolicy 2", "ring_policy": 2, "abandon": false}),
        ),
    ];
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut total_calls = 0usize;
    for (qi, (tenant, queue)) in queues.iter().enumerate() {
        let t = Instant::now();
        let mut batches: Vec<Vec<f64>> = Vec::new();
        let (mut waits_p, mut waits_sl): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (Vec::new(), Vec::new());
        let (mut calls, mut handle) = (0usize, 0.0);
        for seed in 0..runs {
            // Each queue its own draws: five samples, not one seen five times.
            let seen = run(tenant, queue, 7000 + 100 * qi as u64 + seed);
            calls += seen.len();
            handle += seen.iter().map(|s| s.handle_s).sum::<f64>();
            let per_batch = (RUN_HOURS / BATCH_HOURS) as usize + 1;
            let first = batches.len();
            batches.resize(first + per_batch, Vec::new());
            waits_p.resize(first + per_batch, Vec::new());
            waits_sl.resize(first + per_batch, Vec::new());
            for s in &seen {
                let b = first + ((s.start_ms - T0) / (BATCH_HOURS * 3_600_000)) as usize;
                batches[b].push(s.wait_s);
                waits_p[b].push(if s.wait_s > 0.0 { 1.0 } else { 0.0 });
                waits_sl[b].push(if s.wait_s <= 20.0 { 1.0 } else { 0.0 });
            }
        }
        total_calls += calls;
        let took = t.elapsed().as_secs_f64();
        // The formula for the λ and μ the runs drew.
        let lambda = calls as f64 / (runs as f64 * (RUN_HOURS - 1) as f64 * 3600.0);
        let mu = calls as f64 / handle;
        let p = erlang_c(lambda / mu, C);
        let asa = p / (C as f64 * mu - lambda);
        let sl = 1.0 - p * (-(C as f64 * mu - lambda) * 20.0).exp();
        let (got_p, err_p) = mean_and_error(&waits_p);
        let (got_asa, err_asa) = mean_and_error(&batches);
        let (got_sl, err_sl) = mean_and_error(&waits_sl);
        let off = |got: f64, want: f64| (got - want).abs() / want;
        let within = off(got_p, p) <= 0.05 && off(got_asa, asa) <= 0.05 && off(got_sl, sl) <= 0.05;
        let name = queue["name"].as_str().expect("name");
        println!(
            "{name}: {calls} calls in {took:.1} s ({:.0} calls/s); P(wait) {got_p:.4} ± {err_p:.4} vs {p:.4} ({:+.1} %), ASA {got_asa:.2} ± {err_asa:.2} s vs {asa:.2} s ({:+.1} %), SL(20) {got_sl:.4} ± {err_sl:.4} vs {sl:.4} ({:+.1} %); {}",
            calls as f64 / took,
            100.0 * (got_p - p) / p,
            100.0 * (got_asa - asa) / asa,
            100.0 * (got_sl - sl) / sl,
            if within { "within 5 %" } else { "OUTSIDE 5 %" }
        );
        rows.push(json!({"queue": name, "calls": calls, "real_s": took,
            "p_wait": [got_p, err_p, p], "asa_s": [got_asa, err_asa, asa], "sl20": [got_sl, err_sl, sl],
            "within": within}));
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "Erlang C: {total_calls} calls in {took:.1} s of real time, {:.0} calls/s",
        total_calls as f64 / took
    );
    println!(
        "BENCH_JSON {}",
        json!({"agents": C, "handle_s": HANDLE_S, "per_hour": PER_HOUR, "calls": total_calls,
            "real_s": took, "queues": rows})
    );
}
