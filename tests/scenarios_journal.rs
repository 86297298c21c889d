//! The journal: what reached ccemu, listed, counted and waited on.

mod common;
use ccemu::{Config, Emulator};
use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn requests(emu: &Emulator, query: &str) -> Vec<Value> {
    let r = admin(emu, "GET", &format!("/requests{query}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["requests"].as_array().cloned().unwrap_or_default()
}

#[test]
fn every_request_is_journaled_with_what_became_of_it() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    udesk(&emu, "GET", "/spnumbers", None);
    udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "01"})),
    );
    send(
        "GET",
        &format!("{}/ccapi/v2/spnumbers?AppId={UDESK_APP_ID}", emu.url()),
        &[],
        None,
    );
    let rule = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"times": 1, "fault": {"kind": "vendor_error", "code": "100004"}})),
    );
    let rule = rule.json["id"].as_u64().unwrap();
    udesk(&emu, "DELETE", "/spnumbers/default", None);
    // Admin calls are not journaled.
    admin(&emu, "GET", "/state", None);

    let all = requests(&emu, "");
    assert_eq!(all.len(), 4);
    let e = &all[0];
    assert_eq!(e["vendor"], "udesk");
    assert_eq!(e["operation"], "getRelayNumberList");
    assert_eq!(e["tenant"], UDESK_APP_ID);
    assert_eq!(
        (e["method"].as_str(), e["path"].as_str()),
        (Some("GET"), Some("/ccapi/v2/spnumbers"))
    );
    assert_eq!(
        (e["status"].as_u64(), e["code"].as_str()),
        (Some(200), Some("000000"))
    );
    assert_eq!(e["at_ms"], 1_800_000_000_000i64);
    assert!(e["latency_ms"].is_u64() && e["rule"].is_null());
    assert_eq!(
        (all[1]["operation"].as_str(), all[1]["code"].as_str()),
        (Some("modifyDefaultRelayNumber"), Some("100005"))
    );
    // Refused before authentication: the tenant is the one the credentials claim.
    assert_eq!(
        (all[2]["status"].as_u64(), all[2]["tenant"].as_str()),
        (Some(401), Some(UDESK_APP_ID))
    );
    assert_eq!(all[3]["rule"].as_u64(), Some(rule));
    assert_eq!(
        (all[3]["fault"].as_str(), all[3]["code"].as_str()),
        (Some("vendor_error"), Some("100004"))
    );
    assert_eq!(all[3]["operation"], "deleteDefaultRelayNumber");
    assert!(all
        .windows(2)
        .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()));

    assert_eq!(requests(&emu, "?status=401").len(), 1);
    assert_eq!(requests(&emu, "?path=*/default").len(), 2);
    assert_eq!(requests(&emu, "?vendor=nxcloud").len(), 0);
    let last = requests(&emu, "?limit=2");
    assert_eq!(last.len(), 2);
    assert_eq!(last[1]["seq"], all[3]["seq"]);
    assert_eq!(admin(&emu, "GET", "/requests?colour=red", None).status, 400);
    let since = all[1]["seq"].as_u64().unwrap();
    assert_eq!(requests(&emu, &format!("?since={since}")).len(), 2);

    let c = admin(
        &emu,
        "GET",
        "/requests/count?operation=getRelayNumberList",
        None,
    );
    assert_eq!(c.json["count"], 2);
    let c = admin(
        &emu,
        "POST",
        "/requests/count",
        Some(json!({"match": {"code": 100005}})),
    );
    assert_eq!(c.json["count"], 1);

    assert_eq!(admin(&emu, "DELETE", "/requests", None).status, 200);
    assert!(requests(&emu, "").is_empty());
}

#[test]
fn wait_answers_as_soon_as_the_request_arrives() {
    let emu = start();
    let url = emu.url();
    let q = udesk_query(now_ms(&emu));
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        send("GET", &format!("{url}/ccapi/v2/spnumbers?{q}"), &[], None).status
    });
    let started = Instant::now();
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(
            json!({"match": {"vendor": "udesk", "path": "/ccapi/v2/spnumbers"}, "count": 1, "timeout_ms": 5000}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.json["requests"][0]["operation"], "getRelayNumberList");
    assert_eq!(sender.join().unwrap(), 200);
}

#[test]
fn wait_counts_what_is_already_there_and_times_out_with_the_count() {
    let emu = start();
    udesk(&emu, "GET", "/spnumbers", None);
    udesk(&emu, "GET", "/spnumbers", None);
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"match": {"operation": "getRelayNumberList"}, "count": 2, "timeout_ms": 100})),
    );
    assert_eq!((r.status, r.json["count"].as_u64()), (200, Some(2)));
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"match": {"operation": "getRelayNumberList"}, "count": 3, "timeout_ms": 100})),
    );
    assert_eq!((r.status, r.json["count"].as_u64()), (408, Some(2)));
    admin(&emu, "DELETE", "/requests", None);
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"count": 1, "timeout_ms": 50})),
    );
    assert_eq!((r.status, r.json["count"].as_u64()), (408, Some(0)));
    // The journal keeps headers now, so a wait may match on them; an unknown field is still 400.
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"match": {"headers": {"a": "b"}}, "timeout_ms": 50})),
    );
    assert_eq!(r.status, 408);
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"match": {"header": {"a": "b"}}})),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn a_hung_request_is_journaled_when_the_hang_starts() {
    let emu = start();
    admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "hang"}})),
    );
    let url = format!(
        "{}/ccapi/v2/spnumbers?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    let client = std::thread::spawn(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_millis(500))
            .build();
        agent.get(&url).call().is_err()
    });
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"match": {"fault": "hang"}, "timeout_ms": 5000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["requests"][0]["status"].is_null());
    assert!(
        client.join().unwrap(),
        "the hung call must fail on the client's timeout"
    );
}

#[test]
fn the_ring_is_bounded_and_can_be_disabled() {
    let emu = start_with(Config {
        journal_size: 3,
        ..Config::ephemeral()
    });
    for _ in 0..5 {
        udesk(&emu, "GET", "/spnumbers", None);
    }
    let all = requests(&emu, "");
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["seq"], 5);
    drop(emu);

    let emu = start_with(Config {
        journal_size: 0,
        ..Config::ephemeral()
    });
    assert_eq!(udesk(&emu, "GET", "/spnumbers", None).status, 200);
    assert!(requests(&emu, "").is_empty());
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"timeout_ms": 10})),
    );
    assert_eq!(r.status, 409);
}
