//! Findings of the second reading of the Udesk document, each pinned by a test.
mod common;
use common::*;
use serde_json::json;

const NOW: i64 = 1_700_000_000_000;

fn spnumbers_with(emu: &ccemu::Emulator, query: &str) -> Resp {
    send(
        "GET",
        &format!("{}/ccapi/v2/spnumbers?{query}", emu.url()),
        &[],
        None,
    )
}

/// A Timestamp at the edge of i64 must be refused as outside the window, not overflow.
#[test]
fn extreme_timestamps_are_outside_the_window() {
    let emu = start();
    freeze_at(&emu, NOW);
    for ts in [i64::MIN, i64::MAX, i64::MIN + 1] {
        let ts = ts.to_string();
        let sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{ts}"));
        let q = format!("AppId={UDESK_APP_ID}&Timestamp={ts}&Sign={sign}&Sid={UDESK_SID}");
        let r = spnumbers_with(&emu, &q);
        assert_eq!(
            (r.status, r.json["ErrCode"].as_str()),
            (401, Some("000035")),
            "{ts}: {}",
            r.text
        );
    }
}

/// The code table has "100017 App ID is empty": a missing or empty AppId answers it, not 100001.
#[test]
fn a_missing_or_empty_app_id_is_100017() {
    let emu = start();
    freeze_at(&emu, NOW);
    let good = udesk_query(NOW);
    let without = good.replace(&format!("AppId={UDESK_APP_ID}&"), "");
    let empty = good.replace(&format!("AppId={UDESK_APP_ID}"), "AppId=");
    for q in [without, empty] {
        let r = spnumbers_with(&emu, &q);
        assert_eq!(
            (r.status, r.json["ErrCode"].as_str()),
            (401, Some("100017")),
            "{q}: {}",
            r.text
        );
    }
    // Other missing credentials stay 100001.
    let r = spnumbers_with(&emu, &good.replace("Sign=", "NoSign="));
    assert_eq!(r.json["ErrCode"], "100001");
}

/// Subscribe: the field table types `subscriptions` as an object, the example sends an array; a
/// single object is one subscription. Shape errors keep their codes either way.
#[test]
fn subscribe_accepts_a_single_object_as_the_table_types_it() {
    let emu = start();
    let one =
        json!({"callback": "http://127.0.0.1:9/cb", "events": ["acd_agent_state"], "name": "solo"});
    let r = udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({ "subscriptions": one })),
    );
    assert_eq!(
        r,
        json!({"sub_succ": [{"subid": 168, "name": "solo"}], "sub_fail": null})
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": {"callback": "http://x.test/", "events": ["e"]}})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": "http://x.test/", "events": "e", "name": "n"}]}),
        ),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": "nope"})),
        "000001",
    );
    udesk_refused(&emu, "POST", "/subscriptions", Some(json!({})), "100001");
}

/// Passwords come from the seeded RNG; a refused create must not draw from it, so the next
/// accepted create gets the same password as on an emulator that never saw the refusal.
#[test]
fn refused_creates_leave_the_seeded_sequence_alone() {
    let clean = start();
    let ext = udesk_ok(
        &clean,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1500"})),
    );
    let agent = udesk_ok(
        &clean,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7001", "WorkId": "w7001", "IsCreateExtension": 1})),
    );

    let emu = start();
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1002"})),
        "100015",
    );
    assert_eq!(
        udesk_ok(
            &emu,
            "POST",
            "/extensions",
            Some(json!({"Extension": "1500"}))
        ),
        ext
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "9415", "WorkId": "w9415", "IsCreateExtension": 1})),
        "100006",
    );
    assert_eq!(
        udesk_ok(
            &emu,
            "POST",
            "/agents",
            Some(json!({"AgentId": "7001", "WorkId": "w7001", "IsCreateExtension": 1})),
        ),
        agent
    );
    let a = udesk_ok(&emu, "GET", "/agents/7001", None);
    assert_eq!(a["ExtenInfos"][0]["Password"], agent["Password"]);
}

/// A malformed value answers 000001 with HTTP 400 whether the handler or the model spots it
/// (docs/udesk.md: request-shape errors are 400); leaving an agent in no queue stays a 200 business rule.
#[test]
fn malformed_values_are_400_wherever_they_are_caught() {
    let emu = start();
    let cases = [
        ("POST", "/extensions", json!({"Extension": "0999"})),
        (
            "POST",
            "/extensions",
            json!({"Extension": "1500", "SignalType": 2}),
        ),
        ("PUT", "/queues", json!({"QueueId": "9009", "Strategy": 5})),
        ("PUT", "/queues", json!({"QueueId": "9009", "Timeout": -1})),
        ("POST", "/queues", json!({"QueueName": "Q", "Strategy": 3})),
        ("PUT", "/agents/9415", json!({"Role": "boss"})),
        (
            "POST",
            "/agents",
            json!({"AgentId": "7001", "WorkId": "w7001", "Role": "boss"}),
        ),
        (
            "POST",
            "/agents",
            json!({"AgentId": "x7", "WorkId": "w7001"}),
        ),
    ];
    for (method, path, body) in cases {
        let r = udesk_refused(&emu, method, path, Some(body.clone()), "000001");
        assert_eq!(r.status, 400, "{method} {path} {body}: {}", r.text);
    }
    let r = udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": [], "IsFull": 1})),
        "000001",
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Example 17 dequeues agent 9415 from queues 551 and 114: the default fixture has it there, so
/// the example, sent as written, does what it says (and 9001 keeps it in a queue).
#[test]
fn the_dequeue_example_meets_an_agent_in_those_queues() {
    let emu = start();
    let queues =
        |emu: &ccemu::Emulator| udesk_ok(emu, "GET", "/agents/9415", None)["Queues"].clone();
    assert_eq!(
        queues(&emu),
        json!([
            format!("114@{UDESK_APP_ID}"),
            format!("551@{UDESK_APP_ID}"),
            format!("9001@{UDESK_APP_ID}")
        ])
    );
    udesk_ok(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551", "114"]})),
    );
    assert_eq!(queues(&emu), json!([format!("9001@{UDESK_APP_ID}")]));
}
