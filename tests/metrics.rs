//! `GET /_ccemu/metrics`: the counts agree with the journal, the fault counters, the call list
//! and the delivery log after a known run; the exposition parses; the series stay bounded
//! under the load profile of docs/calls.md.

mod common;

use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// One sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parses the Prometheus text exposition strictly enough to catch a broken one: metadata lines
/// (HELP and TYPE naming each family as its samples), sample syntax, label quoting, numeric
/// values, histogram buckets rising to `+Inf`. `promtool check metrics` checks the same in CI
/// when it is installed.
fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in &lines {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(matches!(kind, "HELP" | "TYPE"), "{line}");
            assert!(name_ok(name), "{line}");
            if kind == "TYPE" {
                let t = parts.next().unwrap();
                assert!(
                    matches!(t, "counter" | "gauge" | "histogram" | "unknown"),
                    "{line}"
                );
                typed.insert(name.into(), t.into());
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels close");
                let mut labels = BTreeMap::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (k, v) = rest.split_once("=\"").expect("label=\"value\"");
                    let end = v.find('"').expect("closing quote");
                    assert!(name_ok(k), "{line}");
                    labels.insert(k.to_string(), v[..end].to_string());
                    rest = v[end + 1..].trim_start_matches(',');
                }
                (name.to_string(), labels)
            }
        };
        assert!(name_ok(&name), "{line}");
        let family = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| typed.contains_key(*f))
            .unwrap_or(&name);
        assert!(typed.contains_key(family), "{name} has a TYPE line");
        out.push((name, labels, value));
    }
    // Histograms: buckets never fall, and +Inf is the count.
    let mut buckets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (name, labels, v) in &out {
        if let Some(family) = name.strip_suffix("_bucket") {
            let mut key = labels.clone();
            let le = key.remove("le").expect("bucket has le");
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            buckets
                .entry(format!("{family}{key:?}"))
                .or_default()
                .push((le, *v));
        }
    }
    for (series, mut b) in buckets {
        b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap());
        assert!(b.windows(2).all(|w| w[0].1 <= w[1].1), "{series} rises");
        assert_eq!(b.last().unwrap().0, f64::INFINITY, "{series} ends at +Inf");
    }
    out
}

fn scrape(emu: &ccemu::Emulator) -> Vec<Sample> {
    let r = admin(emu, "GET", "/metrics", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    promtool(&r.text);
    parse(&r.text)
}

/// `promtool check metrics`, the yardstick, where it is installed (Debian: prometheus).
fn promtool(text: &str) {
    use std::io::Write;
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("promtool not installed: the exposition is checked by this file's parser only");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(n, l, _)| {
            n == name
                && want
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

#[test]
fn counts_match_the_journal_faults_calls_and_deliveries() {
    let emu = start();
    let t0 = now_ms(&emu);
    freeze_at(&emu, t0);
    let rx = Receiver::start();
    udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": rx.url, "events": ["call"], "name": "calls"}]})),
    );
    let rule = admin(
        &emu,
        "POST",
        "/faults",
        Some(
            json!({"match": {"vendor": "udesk", "operation": "getAgentList"}, "times": 2,
                    "fault": {"kind": "vendor_error", "code": "100004"}}),
        ),
    );
    assert_eq!(rule.status, 200, "{}", rule.text);
    let rule_id = rule.json["id"].as_u64().unwrap();
    for _ in 0..5 {
        udesk(&emu, "GET", "/agents", None);
    }
    // A bad signature: refused with the vendor's own code.
    send(
        "GET",
        &format!(
            "{}/ccapi/v2/agents?AppId={UDESK_APP_ID}&Timestamp={t0}&Sign=bad&Sid={UDESK_SID}",
            emu.url()
        ),
        &[],
        None,
    );
    nx_call(
        &emu,
        "agent/status/info",
        &json!({"agentIds": ["NXAgent0001"]}),
    );

    // One call answered, one abandoned at its wait limit.
    admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "9006", "state": "idle"})),
    );
    for (talk, wait) in [(2000, 60000), (2000, 1000)] {
        let r = admin(
            &emu,
            "POST",
            "/calls",
            Some(
                json!({"tenant": UDESK_APP_ID, "queue": "9001", "ring_ms": 1000, "talk_ms": talk,
                        "wrapup_ms": 60000, "wait_limit_ms": wait}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 10_000})));
    // 5 events for the answered call, 4 for the abandoned one.
    rx.wait_for(9, Duration::from_secs(10));
    // The log records an attempt once its answer is read: wait for all nine there too.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while admin(&emu, "GET", "/webhooks/deliveries?status=delivered", None).json["deliveries"]
        .as_array()
        .unwrap()
        .len()
        < 9
    {
        assert!(
            std::time::Instant::now() < deadline,
            "nine deliveries logged"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let m = scrape(&emu);

    let journal = admin(&emu, "GET", "/requests", None).json;
    let mut by_key: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for e in journal["requests"].as_array().unwrap() {
        let s = |v: &Value, d: &str| v.as_str().unwrap_or(d).to_string();
        *by_key
            .entry((
                s(&e["vendor"], ""),
                s(&e["operation"], "unknown"),
                s(&e["code"], "none"),
            ))
            .or_default() += 1.0;
    }
    assert!(by_key.len() >= 3, "{by_key:?}");
    for ((vendor, op, code), n) in &by_key {
        let got = value(
            &m,
            "ccemu_requests_total",
            &[("vendor", vendor), ("operation", op), ("code", code)],
        );
        assert_eq!(got, *n, "requests {vendor} {op} {code}");
    }
    let total: f64 = by_key.values().sum();
    assert_eq!(value(&m, "ccemu_requests_total", &[]), total);
    assert_eq!(
        value(&m, "ccemu_request_duration_seconds_count", &[]),
        total
    );

    let faults = admin(&emu, "GET", "/faults", None).json;
    let hits = faults["faults"][0]["hits"].as_f64().unwrap();
    assert_eq!(hits, 2.0);
    assert_eq!(
        value(
            &m,
            "ccemu_faults_total",
            &[("rule", &rule_id.to_string()), ("target", "request")]
        ),
        hits
    );

    let calls = admin(&emu, "GET", "/calls", None).json;
    for outcome in ["answered", "abandoned"] {
        let n = calls["calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["outcome"] == outcome)
            .count() as f64;
        assert_eq!(n, 1.0, "{outcome}");
        assert_eq!(value(&m, "ccemu_calls_total", &[("outcome", outcome)]), n);
    }

    let log = admin(&emu, "GET", "/webhooks/deliveries", None).json;
    let mut deliveries: BTreeMap<(String, String), f64> = BTreeMap::new();
    for d in log["deliveries"].as_array().unwrap() {
        *deliveries
            .entry((
                d["event"].as_str().unwrap().into(),
                d["status"].as_str().unwrap().into(),
            ))
            .or_default() += 1.0;
    }
    assert!(!deliveries.is_empty());
    for ((event, status), n) in &deliveries {
        assert_eq!(
            value(
                &m,
                "ccemu_deliveries_total",
                &[("event", event), ("outcome", status)]
            ),
            *n,
            "{event} {status}"
        );
    }

    // Gauges read from the model now: 9006 in wrap-up, nobody waiting.
    assert_eq!(
        value(
            &m,
            "ccemu_agents",
            &[("tenant", UDESK_APP_ID), ("state", "wrapup")]
        ),
        1.0
    );
    assert_eq!(
        value(&m, "ccemu_calls_waiting", &[("tenant", UDESK_APP_ID)]),
        0.0
    );
}

#[test]
fn series_stay_bounded_under_the_documented_load_profile() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    for agent in ["example@nxcloud.com", "NXAgent1000013"] {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": "144", "agent": agent, "state": "idle"})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // The load profile of docs/calls.md: 600 calls an hour, exponential talk times.
    let scenario = json!({"name": "a busy morning", "timeline": [
        {"at_ms": 0, "event": "load", "calls_per_hour": 600, "duration_ms": 7_200_000,
         "call": {"tenant": "144", "queue": "NXQueue0001", "talk_ms": {"mean": 180000}, "wrapup_ms": {"min": 0, "max": 20000}}}
    ]});
    let r = admin(&emu, "POST", "/scenarios", Some(scenario));
    assert_eq!(r.status, 200, "{}", r.text);
    let series = |emu: &ccemu::Emulator| {
        let m = scrape(emu);
        let names: std::collections::BTreeSet<String> =
            m.iter().map(|(n, l, _)| format!("{n}{l:?}")).collect();
        names.len()
    };
    let mut counts = Vec::new();
    for hour in 0..2 {
        for _ in 0..60 {
            admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 60_000})));
            // Requests with ever-new bodies and ids: none of it may become a label.
            nx_call(
                &emu,
                "agent/status/info",
                &json!({"agentIds": [format!("x{}", counts.len())]}),
            );
        }
        counts.push(series(&emu));
        let calls = admin(&emu, "GET", "/calls", None).json;
        eprintln!(
            "hour {}: {} calls so far, {} series",
            hour + 1,
            calls["count"],
            counts[hour]
        );
    }
    assert_eq!(
        counts[0], counts[1],
        "the second hour added series: {counts:?}"
    );
    assert!(counts[1] < 400, "{counts:?}");
}
