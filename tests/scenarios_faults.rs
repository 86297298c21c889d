//! Fault rules seen from a real client socket: each kind behaves truthfully on the wire, rules fire
//! by count, chance and window, and counting stays exact under concurrency.

mod common;
use ccemu::{Config, Emulator};
use common::*;
use serde_json::{json, Value};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn add_fault(emu: &Emulator, rule: Value) -> u64 {
    let r = admin(emu, "POST", "/faults", Some(rule));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_u64().expect("id")
}

fn spnumbers(emu: &Emulator) -> Resp {
    udesk(emu, "GET", "/spnumbers", None)
}

/// A raw HTTP/1.1 GET of the signed relay-number list, answering the socket for the test to read.
fn raw_get(emu: &Emulator, read_timeout: Duration) -> TcpStream {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(read_timeout)).unwrap();
    let q = udesk_query(now_ms(emu));
    write!(
        s,
        "GET /ccapi/v2/spnumbers?{q} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    s
}

/// Reads until EOF or error; answers what arrived, one entry per successful read, and the error.
fn read_all(s: &mut TcpStream) -> (Vec<Vec<u8>>, Option<std::io::Error>) {
    let mut chunks = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (chunks, None),
            Ok(n) => chunks.push(buf[..n].to_vec()),
            Err(e) => return (chunks, Some(e)),
        }
    }
}

#[test]
fn vendor_error_first_n_then_normal_and_listing_counts_hits() {
    let emu = start();
    let id = add_fault(
        &emu,
        json!({"match": {"vendor": "udesk", "method": "GET", "path": "/ccapi/v2/spnumbers*"},
               "times": 2, "fault": {"kind": "vendor_error", "code": "100004"}}),
    );
    for _ in 0..2 {
        let r = spnumbers(&emu);
        assert_eq!(r.json["ErrCode"], "100004", "{}", r.text);
        assert_eq!(r.json["ErrDesc"], "Incorrect message");
    }
    assert_eq!(spnumbers(&emu).json["ErrCode"], "000000");
    let list = admin(&emu, "GET", "/faults", None);
    let rule = &list.json["faults"][0];
    assert_eq!(
        (
            rule["id"].as_u64(),
            rule["hits"].as_u64(),
            rule["matched"].as_u64()
        ),
        (Some(id), Some(2), Some(3))
    );
    assert_eq!(rule["fault"]["kind"], "vendor_error");
}

#[test]
fn a_refusing_fault_leaves_the_model_alone_unless_phase_after() {
    let emu = start();
    add_fault(
        &emu,
        json!({"match": {"method": "PUT", "path": "*/spnumbers/default"}, "times": 1,
               "fault": {"kind": "vendor_error", "code": "000060"}}),
    );
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "057126200673"})),
    );
    assert_eq!(r.json["ErrCode"], "000060");
    assert_eq!(
        spnumbers(&emu).json["Result"]["DefSpNumber"],
        "057126200670"
    );

    add_fault(
        &emu,
        json!({"match": {"method": "PUT"}, "times": 1,
               "fault": {"kind": "status", "status": 504, "phase": "after"}}),
    );
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "057126200672"})),
    );
    assert_eq!((r.status, r.text.as_str()), (504, "Gateway Timeout"));
    // The call took effect although the client was told it failed.
    assert_eq!(
        spnumbers(&emu).json["Result"]["DefSpNumber"],
        "057126200672"
    );
}

#[test]
fn status_fault_sends_the_given_body() {
    let emu = start();
    add_fault(
        &emu,
        json!({"fault": {"kind": "status", "status": 503, "body": {"busy": true},
                         "headers": {"Retry-After": "30"}}}),
    );
    let r = spnumbers(&emu);
    assert_eq!((r.status, r.json.clone()), (503, json!({"busy": true})));
    assert_eq!(r.header("retry-after"), Some("30"));
    let bad = json!({"fault": {"kind": "status", "status": 503, "headers": {"Bad Name": "x"}}});
    assert_eq!(admin(&emu, "POST", "/faults", Some(bad)).status, 400);
}

#[test]
fn reset_is_a_tcp_reset() {
    let emu = start();
    add_fault(
        &emu,
        json!({"match": {"vendor": "udesk"}, "fault": {"kind": "reset"}}),
    );
    let mut s = raw_get(&emu, Duration::from_secs(5));
    let (chunks, err) = read_all(&mut s);
    assert!(chunks.is_empty(), "no bytes before the reset");
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::ConnectionReset));
}

#[test]
fn empty_closes_without_an_answer() {
    let emu = start();
    add_fault(&emu, json!({"fault": {"kind": "empty"}}));
    let mut s = raw_get(&emu, Duration::from_secs(5));
    let (chunks, err) = read_all(&mut s);
    assert!(chunks.is_empty() && err.is_none(), "{chunks:?} {err:?}");
}

#[test]
fn hang_never_answers_until_the_client_gives_up() {
    let emu = start();
    add_fault(&emu, json!({"fault": {"kind": "hang"}}));
    let mut s = raw_get(&emu, Duration::from_millis(300));
    let (chunks, err) = read_all(&mut s);
    assert!(chunks.is_empty());
    let kind = err.map(|e| e.kind());
    assert!(
        matches!(kind, Some(ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "{kind:?}"
    );
    // A client that gives up (closes its side) releases the hung request: the server lets go
    // of the connection at once instead of holding it until shutdown.
    let mut s = raw_get(&emu, Duration::from_secs(5));
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let (chunks, err) = read_all(&mut s);
    assert!(chunks.is_empty() && err.is_none(), "{chunks:?} {err:?}");
    // The emulator still serves others while the hang holds its connection.
    admin(&emu, "DELETE", "/faults", None);
    assert_eq!(spnumbers(&emu).json["ErrCode"], "000000");
    // Dropping the emulator must not wait on the hung request (the test would time out).
}

#[test]
fn malformed_is_a_200_that_does_not_parse() {
    let emu = start();
    add_fault(&emu, json!({"fault": {"kind": "malformed"}}));
    let r = spnumbers(&emu);
    assert_eq!(r.status, 200);
    assert!(!r.text.is_empty());
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );
}

#[test]
fn slow_body_arrives_in_chunks() {
    let emu = start();
    let whole = spnumbers(&emu).text;
    add_fault(
        &emu,
        json!({"fault": {"kind": "slow_body", "chunk_bytes": 40, "interval_ms": 40}}),
    );
    let started = Instant::now();
    let mut s = raw_get(&emu, Duration::from_secs(5));
    let (chunks, err) = read_all(&mut s);
    assert!(err.is_none(), "{err:?}");
    let bytes: Vec<u8> = chunks.concat();
    let text = String::from_utf8(bytes).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    assert_eq!(body, whole);
    let expected_chunks = whole.len().div_ceil(40);
    assert!(expected_chunks >= 3);
    // Chunks are 40 ms apart, so they arrive in several reads (a client stalled by a loaded
    // machine may merge a few, hence not one read per chunk), and the whole cannot arrive before
    // the intervals have passed.
    assert!(
        chunks.len() >= 3,
        "{} reads for {expected_chunks} chunks",
        chunks.len()
    );
    assert!(started.elapsed() >= Duration::from_millis(40 * (expected_chunks as u64 - 1)));
}

#[test]
fn delay_then_the_normal_answer() {
    let emu = start();
    add_fault(&emu, json!({"fault": {"kind": "delay", "ms": 150}}));
    let started = Instant::now();
    assert_eq!(spnumbers(&emu).json["ErrCode"], "000000");
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn rate_limit_is_a_token_bucket_on_the_virtual_clock() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    add_fault(
        &emu,
        json!({"fault": {"kind": "rate_limit", "per_second": 0.5, "burst": 2}}),
    );
    assert_eq!(spnumbers(&emu).status, 200);
    assert_eq!(spnumbers(&emu).status, 200);
    let r = spnumbers(&emu);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 2000})));
    assert_eq!(spnumbers(&emu).status, 200);
    assert_eq!(spnumbers(&emu).status, 429);
    // With a vendor code the body is the vendor's own error.
    admin(&emu, "DELETE", "/faults", None);
    add_fault(
        &emu,
        json!({"fault": {"kind": "rate_limit", "per_second": 1, "burst": 0, "code": "000060"}}),
    );
    let r = spnumbers(&emu);
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (429, Some("000060"))
    );
}

#[test]
fn after_every_window_and_matching_on_tenant_operation_header_body() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let boom = json!({"kind": "status", "status": 500});
    add_fault(
        &emu,
        json!({"match": {"operation": "getRelayNumberList"}, "after": 2, "every": 2, "fault": boom}),
    );
    let seq: Vec<u16> = (0..8).map(|_| spnumbers(&emu).status).collect();
    assert_eq!(seq, [200, 200, 200, 500, 200, 500, 200, 500]);

    admin(&emu, "DELETE", "/faults", None);
    add_fault(
        &emu,
        json!({"match": {"tenant": "someone-else"}, "fault": boom}),
    );
    add_fault(
        &emu,
        json!({"match": {"headers": {"x-test": "on*"}}, "fault": {"kind": "status", "status": 501}}),
    );
    add_fault(
        &emu,
        json!({"match": {"body": {"DefSpNumber": 57126200671u64}}, "fault": {"kind": "status", "status": 502}}),
    );
    add_fault(
        &emu,
        json!({"match": {"tenant": UDESK_APP_ID}, "from_ms": 1_800_000_010_000i64,
                           "until_ms": 1_800_000_020_000i64, "fault": {"kind": "status", "status": 503}}),
    );
    assert_eq!(spnumbers(&emu).status, 200);
    let url = format!(
        "{}/ccapi/v2/spnumbers?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    assert_eq!(send("GET", &url, &[("X-Test", "one")], None).status, 501);
    assert_eq!(send("GET", &url, &[("X-Test", "no")], None).status, 200);
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "57126200671"})),
    );
    assert_eq!(r.status, 502);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 10_000})));
    assert_eq!(spnumbers(&emu).status, 503);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 10_000})));
    assert_eq!(spnumbers(&emu).status, 200);
}

#[test]
fn first_matching_rule_wins_and_rules_can_be_removed() {
    let emu = start();
    let a = add_fault(
        &emu,
        json!({"times": 1, "fault": {"kind": "status", "status": 501}}),
    );
    let b = add_fault(&emu, json!({"fault": {"kind": "status", "status": 502}}));
    assert_eq!(spnumbers(&emu).status, 501);
    assert_eq!(spnumbers(&emu).status, 502);
    let one = admin(&emu, "GET", &format!("/faults/{b}"), None);
    assert_eq!((one.status, one.json["hits"].as_u64()), (200, Some(1)));
    assert_eq!(
        admin(&emu, "PUT", &format!("/faults/{b}"), None).status,
        405
    );
    assert_eq!(admin(&emu, "GET", "/faults/99", None).status, 404);
    assert_eq!(
        admin(&emu, "DELETE", &format!("/faults/{b}"), None).status,
        200
    );
    assert_eq!(
        admin(&emu, "DELETE", &format!("/faults/{b}"), None).status,
        404
    );
    assert_eq!(spnumbers(&emu).status, 200);
    let list = admin(&emu, "GET", "/faults", None).json;
    assert_eq!(list["faults"].as_array().unwrap().len(), 1);
    assert_eq!(list["faults"][0]["id"].as_u64(), Some(a));
    add_fault(&emu, json!({"fault": {"kind": "status", "status": 502}}));
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"],
        json!([])
    );
    assert_eq!(spnumbers(&emu).status, 200);
}

#[test]
fn bad_rules_are_refused_with_a_reason() {
    let emu = start();
    for bad in [
        json!({"fault": {"kind": "teleport"}}),
        json!({"fault": {"kind": "delay"}}),
        json!({"match": {"colour": "red"}, "fault": {"kind": "empty"}}),
        json!({"match": {"status": 200}, "fault": {"kind": "empty"}}),
        json!({"probability": 1.5, "fault": {"kind": "empty"}}),
        json!({"every": 0, "fault": {"kind": "empty"}}),
        json!({"fault": {"kind": "status", "status": 42}}),
        json!({"fault": {"kind": "slow_body", "chunk_bytes": 0, "interval_ms": 1}}),
        json!({"fault": {"kind": "rate_limit", "per_second": 0, "burst": 1}}),
    ] {
        let r = admin(&emu, "POST", "/faults", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad} → {}", r.text);
        assert!(!r.json["message"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"],
        json!([])
    );
}

/// The fault/no-fault pattern of 40 sequential calls under a 50% rule.
fn pattern(seed: u64) -> Vec<bool> {
    let emu = start_with(Config {
        seed,
        ..Config::ephemeral()
    });
    add_fault(
        &emu,
        json!({"probability": 0.5, "fault": {"kind": "status", "status": 503}}),
    );
    (0..40).map(|_| spnumbers(&emu).status == 503).collect()
}

#[test]
fn same_seed_same_faults_other_seed_other_faults() {
    let a = pattern(7);
    assert_eq!(a, pattern(7));
    assert_ne!(a, pattern(8));
    assert!(a.iter().any(|f| *f) && a.iter().any(|f| !*f));
}

fn concurrent_statuses(emu: &Emulator, n: usize) -> Vec<u16> {
    let url = emu.url();
    let q = udesk_query(now_ms(emu));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let url = format!("{url}/ccapi/v2/spnumbers?{q}");
            std::thread::spawn(move || send("GET", &url, &[], None).status)
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn first_n_and_after_n_are_exact_under_50_concurrent_clients() {
    let emu = start();
    add_fault(
        &emu,
        json!({"times": 10, "fault": {"kind": "status", "status": 503}}),
    );
    let s = concurrent_statuses(&emu, 50);
    assert_eq!(s.iter().filter(|&&c| c == 503).count(), 10);
    assert_eq!(s.iter().filter(|&&c| c == 200).count(), 40);

    admin(&emu, "DELETE", "/faults", None);
    add_fault(
        &emu,
        json!({"after": 20, "fault": {"kind": "status", "status": 502}}),
    );
    let s = concurrent_statuses(&emu, 50);
    assert_eq!(s.iter().filter(|&&c| c == 502).count(), 30);
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"][0]["hits"],
        30
    );
}

#[test]
fn skew_and_revocation_hooks() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let r = admin(
        &emu,
        "POST",
        "/skews",
        Some(json!({"tenant": "huawei-demo", "offset_ms": -90_000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        emu.ctx().now_ms_for("huawei-demo"),
        1_800_000_000_000 - 90_000
    );
    assert_eq!(emu.ctx().now_ms_for("144"), 1_800_000_000_000);
    assert_eq!(
        admin(
            &emu,
            "POST",
            "/skews",
            Some(json!({"tenant": "nobody", "offset_ms": 1}))
        )
        .status,
        404
    );

    assert!(!emu.ctx().token_revoked("huawei-demo", 1_799_999_999_000));
    admin(
        &emu,
        "POST",
        "/revoke-tokens",
        Some(json!({"tenant": "huawei-demo"})),
    );
    // "Now" is the tenant's own (skewed) now: tokens are dated on that clock.
    assert!(emu
        .ctx()
        .token_revoked("huawei-demo", 1_800_000_000_000 - 90_000));
    assert!(!emu
        .ctx()
        .token_revoked("huawei-demo", 1_800_000_000_000 - 89_999));
    admin(&emu, "POST", "/reset", None);
    assert_eq!(emu.ctx().now_ms_for("huawei-demo"), 1_800_000_000_000);
    assert!(!emu.ctx().token_revoked("huawei-demo", 1_799_999_999_000));
}

#[test]
fn a_code_the_vendor_lacks_is_ccemus_own_error_and_phase_after_reset_still_applies() {
    let emu = start();
    add_fault(
        &emu,
        json!({"times": 1, "fault": {"kind": "vendor_error", "code": 999999}}),
    );
    let r = spnumbers(&emu);
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (500, Some("ccemu_fault"))
    );
    assert!(r.json["message"].as_str().unwrap().contains("999999"));

    add_fault(
        &emu,
        json!({"match": {"method": "PUT"}, "fault": {"kind": "reset", "phase": "after"}}),
    );
    let url = format!(
        "{}/ccapi/v2/spnumbers/default?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    let err = ureq::put(&url).send_json(json!({"DefSpNumber": "057126200674"}));
    assert!(matches!(err, Err(ureq::Error::Transport(_))), "{err:?}");
    assert_eq!(
        spnumbers(&emu).json["Result"]["DefSpNumber"],
        "057126200674"
    );
    let j = admin(&emu, "GET", "/requests?fault=reset", None).json;
    assert_eq!(j["requests"][0]["status"], Value::Null);
    assert_eq!(j["requests"][0]["operation"], "modifyDefaultRelayNumber");
}
