//! The simulation is right where queueing theory says what to expect: Poisson arrivals and
//! exponential handle times into c agents (M/M/c, callers who wait as long as it takes) give the
//! Erlang C waiting probability, average speed of answer and service level, within sampling error.
//! Worked example (planning textbooks): λ = 300 calls an hour, mean handle 180 s, c = 18 agents
//! → P(wait) ≈ 0.36, ASA ≈ 22 s, SL(20 s) ≈ 0.74. Seeded, so the run repeats exactly.
mod common;
use common::*;
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000_000;

/// Erlang C: the probability that a caller waits, for offered load `a` erlangs and `c` agents.
fn erlang_c(a: f64, c: u32) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0; // k = 0
    for k in 1..c {
        term *= a / k as f64;
        sum += term;
    }
    let top = term * a / c as f64 * (c as f64 / (c as f64 - a));
    top / (sum + top)
}

#[test]
fn waiting_matches_erlang_c_for_poisson_arrivals_and_exponential_handle_times() {
    let (lambda_per_s, mean_handle_s, c) = (1.0 / 12.0, 180.0, 18u32);
    // The formula as written reproduces the textbook example.
    let p = erlang_c(lambda_per_s * mean_handle_s, c);
    let asa = p / (c as f64 / mean_handle_s - lambda_per_s);
    assert!(
        (p - 0.36).abs() < 0.01 && (asa - 22.0).abs() < 1.0,
        "{p} {asa}"
    );

    let emu = start();
    freeze_at(&emu, T0);
    let agents: Vec<Value> = (0..c)
        .map(|i| json!({"id": format!("{}", 7200 + i), "queues": ["7002"]}))
        .collect();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": UDESK_APP_ID,
            "queues": [{"id": "7002", "name": "erlang", "strategy": 2}], "agents": agents}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for i in 0..c {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(
                json!({"tenant": UDESK_APP_ID, "agent": format!("{}", 7200 + i), "state": "idle", "at_ms": T0 - 1000}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let hours = 24;
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(
            json!({"name": "erlang", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": lambda_per_s * 3600.0, "duration_ms": hours * 3_600_000,
            "call": {"tenant": UDESK_APP_ID, "queue": "7002", "ring_ms": 0,
                     "talk_ms": {"mean": (mean_handle_s * 1000.0) as u64}, "wrapup_ms": 0,
                     "wait_limit_ms": 86_400_000}}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // An hour at a time, so no single request runs a whole day of calls.
    for _ in 0..hours + 2 {
        let r = admin(
            &emu,
            "POST",
            "/clock",
            Some(json!({"advance_ms": 3_600_000})),
        );
        assert_eq!(r.status, 200);
    }
    let calls = admin(&emu, "GET", "/calls?queue=7002", None).json;
    let calls = calls["calls"].as_array().unwrap();
    assert!(calls.len() > 6_000, "{} calls", calls.len());
    // The first hour warms the queue up from empty; it is left out.
    let waits: Vec<f64> = calls
        .iter()
        .filter(|c| c["start_ms"].as_i64().unwrap() >= T0 + 3_600_000)
        .map(|c| {
            assert_eq!(c["outcome"], "answered", "{c}");
            (c["answer_ms"].as_i64().unwrap() - c["enqueue_ms"].as_i64().unwrap()) as f64 / 1000.0
        })
        .collect();
    // Erlang C for the λ and μ this run drew (the formula's inputs, sampled): a day of arrivals
    // and handle times is a sample, and P(wait) moves fast with the offered load near c.
    let drawn_lambda = calls.len() as f64 / (hours as f64 * 3600.0);
    let drawn_handle = calls
        .iter()
        .map(|c| (c["end_ms"].as_i64().unwrap() - c["answer_ms"].as_i64().unwrap()) as f64 / 1000.0)
        .sum::<f64>()
        / calls.len() as f64;
    let mu = 1.0 / drawn_handle;
    let p_wait = erlang_c(drawn_lambda / mu, c);
    let asa = p_wait / (c as f64 * mu - drawn_lambda);
    let sl20 = 1.0 - p_wait * (-(c as f64 * mu - drawn_lambda) * 20.0).exp();
    let n = waits.len() as f64;
    let got_p_wait = waits.iter().filter(|w| **w > 0.0).count() as f64 / n;
    let got_asa = waits.iter().sum::<f64>() / n;
    let got_sl20 = waits.iter().filter(|w| **w <= 20.0).count() as f64 / n;
    let report = format!(
        "P(wait) {got_p_wait:.3} vs {p_wait:.3}, ASA {got_asa:.1} s vs {asa:.1} s, SL(20) {got_sl20:.3} vs {sl20:.3}, {n} calls"
    );
    assert!((got_p_wait - p_wait).abs() < 0.05, "{report}");
    assert!((got_asa - asa).abs() < 5.0, "{report}");
    assert!((got_sl20 - sl20).abs() < 0.05, "{report}");
    println!("{report}");
}

/// One run of Erlang C traffic into one queue, abandonment switched off on the queue (not by a
/// huge wait limit): answers the waits (s) of the calls after the first hour, the number of calls
/// and the sum of their handle times (s).
fn erlang_run(tenant: &str, queue: &Value, hours: i64, seed: u64) -> (Vec<f64>, usize, f64) {
    let (lambda_per_s, mean_handle_s, c) = (1.0 / 12.0, 180.0, 18u32);
    let mut config = ccemu::Config::ephemeral();
    config.seed = seed;
    let emu = start_with(config);
    freeze_at(&emu, T0);
    let qid = queue["id"].as_str().unwrap().to_string();
    let agents: Vec<Value> = (0..c)
        .map(|i| json!({"id": format!("e{}", 7200 + i), "sip_number": format!("sip-e{i}"), "queues": [qid]}))
        .collect();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": tenant, "queues": [queue], "agents": agents}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for i in 0..c {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(
                json!({"tenant": tenant, "agent": format!("e{}", 7200 + i), "state": "idle", "at_ms": T0 - 1000}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(
            json!({"name": "erlang", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": lambda_per_s * 3600.0, "duration_ms": hours * 3_600_000,
            "call": {"tenant": tenant, "queue": qid, "ring_ms": 0,
                     "talk_ms": {"mean": (mean_handle_s * 1000.0) as u64}, "wrapup_ms": 0}}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for _ in 0..hours + 2 {
        let r = admin(
            &emu,
            "POST",
            "/clock",
            Some(json!({"advance_ms": 3_600_000})),
        );
        assert_eq!(r.status, 200);
    }
    let r = admin(&emu, "GET", &format!("/calls?queue={qid}"), None);
    let calls = r.json["calls"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: {}", r.status, &r.text[..r.text.len().min(300)]))
        .clone();
    let waits: Vec<f64> = calls
        .iter()
        .filter(|c| c["start_ms"].as_i64().unwrap() >= T0 + 3_600_000)
        .map(|c| {
            assert_eq!(c["outcome"], "answered", "abandonment is off: {c}");
            (c["answer_ms"].as_i64().unwrap() - c["enqueue_ms"].as_i64().unwrap()) as f64 / 1000.0
        })
        .collect();
    let handle = calls
        .iter()
        .map(|c| (c["end_ms"].as_i64().unwrap() - c["answer_ms"].as_i64().unwrap()) as f64 / 1000.0)
        .sum::<f64>();
    (waits, calls.len(), handle)
}

/// At least 10,000 calls for every Udesk strategy and both NXCloud ring policies, abandonment
/// off, against Erlang C for the λ and μ the runs drew: P(wait) and SL(20 s) within 5
/// percentage points, ASA within 5 % of the mean handle time (9 s: ASA itself is a small number
/// whose sampling error over these runs is several seconds). Three seeded runs of 14 virtual
/// hours per queue, pooled (one admin listing holds at most ~7,000 calls). Slow in a debug
/// build: `cargo test --release --test calls_erlang -- --ignored --nocapture`.
#[test]
#[ignore]
fn every_strategy_matches_erlang_c_over_ten_thousand_calls() {
    let (c, hours, runs) = (18u32, 14i64, 3u64);
    for (tenant, queue) in [
        (
            UDESK_APP_ID,
            json!({"id": "7010", "name": "udesk strategy 0", "strategy": 0, "abandon": false}),
        ),
        (
            UDESK_APP_ID,
            json!({"id": "7011", "name": "udesk strategy 1", "strategy": 1, "abandon": false}),
        ),
        (
            UDESK_APP_ID,
            json!({"id": "7012", "name": "udesk strategy 2", "strategy": 2, "abandon": false}),
        ),
        (
            "144",
            json!({"id": "NXQ-E1", "name": "nxcloud ringPolicy 1", "ring_policy": 1, "abandon": false}),
        ),
        (
            "144",
            json!({"id": "NXQ-E2", "name": "nxcloud ringPolicy 2", "ring_policy": 2, "abandon": false}),
        ),
    ] {
        let (mut waits, mut calls, mut handle) = (Vec::new(), 0usize, 0.0);
        for seed in 0..runs {
            let (w, n, h) = erlang_run(tenant, &queue, hours, 1000 + seed);
            waits.extend(w);
            calls += n;
            handle += h;
        }
        let lambda = calls as f64 / ((hours * runs as i64) as f64 * 3600.0);
        let mu = calls as f64 / handle;
        let p_wait = erlang_c(lambda / mu, c);
        let asa = p_wait / (c as f64 * mu - lambda);
        let sl20 = 1.0 - p_wait * (-(c as f64 * mu - lambda) * 20.0).exp();
        let n = waits.len() as f64;
        let got_p = waits.iter().filter(|w| **w > 0.0).count() as f64 / n;
        let got_asa = waits.iter().sum::<f64>() / n;
        let got_sl = waits.iter().filter(|w| **w <= 20.0).count() as f64 / n;
        let report = format!(
            "{}: P(wait) {got_p:.3} vs {p_wait:.3}, ASA {got_asa:.1} s vs {asa:.1} s, SL(20) {got_sl:.3} vs {sl20:.3}, {calls} calls",
            queue["name"].as_str().unwrap()
        );
        println!("{report}");
        assert!(calls >= 10_000, "{report}");
        assert!((got_p - p_wait).abs() < 0.05, "{report}");
        assert!((got_asa - asa).abs() < 0.05 * 180.0, "{report}");
        assert!((got_sl - sl20).abs() < 0.05, "{report}");
    }
}
