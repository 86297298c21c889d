//! A journal a test can assert on (issue 12): each entry keeps the request's headers and body and
//! the answer's status, headers and body, capped with a `truncated` flag, and can be filtered by
//! body text, headers and answer code.
mod common;
use common::*;
use serde_json::{json, Value};

fn requests(emu: &ccemu::Emulator, query: &str) -> Vec<Value> {
    let r = admin(emu, "GET", &format!("/requests?{query}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["requests"].as_array().unwrap().clone()
}

#[test]
fn an_entry_shows_what_the_client_sent_and_what_it_got() {
    let emu = start();
    udesk(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "9100", "WorkId": "910", "Name": "Ann"})),
    );
    udesk(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "9101", "WorkId": "911", "Name": "Bo"})),
    );
    // Exactly one createAgent with AgentId 9100 was sent, and it succeeded.
    let found = requests(
        &emu,
        "operation=createAgent&body_contains=%22AgentId%22%3A%229100%22",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let e = &found[0];
    let sent: Value = serde_json::from_str(e["request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["Name"], "Ann");
    assert_eq!(
        e["request"]["headers"]["content-type"],
        "application/json;charset=utf-8"
    );
    assert_eq!(e["request"]["truncated"], false);
    assert_eq!(e["status"], 200);
    let answer: Value = serde_json::from_str(e["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(answer["ErrCode"], "000000");
    assert!(e["response"]["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("application/json"));

    // The same as a count, with the body filter in a match, and by answer code.
    let count = |m: Value| {
        let r = admin(&emu, "POST", "/requests/count", Some(json!({"match": m})));
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["count"].as_u64().unwrap()
    };
    assert_eq!(count(json!({"body": {"AgentId": "9101"}})), 1);
    assert_eq!(count(json!({"body_contains": "\"Name\":\"Bo\""})), 1);
    assert_eq!(
        count(json!({"operation": "createAgent", "code": "000000"})),
        2
    );
    assert_eq!(
        count(json!({"headers": {"content-type": "application/json*"}})),
        2
    );
    assert_eq!(count(json!({"body_contains": "nobody"})), 0);

    // A refusal keeps its detail header in the journal too.
    let refused = udesk(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "9100", "WorkId": "912"})),
    );
    assert_eq!(refused.json["ErrCode"], "100006");
    let found = requests(&emu, "code=100006");
    assert_eq!(found.len(), 1);
    assert!(found[0]["response"]["headers"]["x-ccemu-detail"].is_string());
}

#[test]
fn bodies_over_16_kib_are_cut_and_flagged_and_unanswered_requests_have_no_response() {
    let emu = start();
    let body = format!(r#"{{"tenantId":144,"queueNo":"{}"}}"#, "q".repeat(20_000));
    nx_send(
        &emu,
        "agentGroup/member/list",
        &nx_headers(now_ms(&emu), body.as_bytes()),
        body.as_bytes(),
    );
    let e = &requests(&emu, "vendor=nxcloud")[0];
    assert_eq!(e["request"]["truncated"], true);
    assert_eq!(e["request"]["body"].as_str().unwrap().len(), 16 * 1024);
    assert_eq!(e["request"]["headers"]["accesskey"], NX_ACCESS_KEY);

    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"match": {"vendor": "huawei"}, "fault": {"kind": "empty"}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    ccemu_probe(&emu);
    let e = &requests(&emu, "vendor=huawei")[0];
    assert_eq!(e["status"], Value::Null);
    assert_eq!(e["response"], Value::Null);
    assert!(e["request"]["body"]
        .as_str()
        .unwrap()
        .contains("huawei-demo-ak"));
}

/// A token request that the `empty` fault answers with a closed connection.
fn ccemu_probe(emu: &ccemu::Emulator) {
    let _ = agent()
        .post(&format!("{}{HW_TOKEN_PATH}", emu.url()))
        .set("Content-Type", "application/json")
        .send_string(r#"{"app_key":"huawei-demo-ak","app_secret":"huawei-demo-sk"}"#);
}

/// Large pages go out as the envelope's head, the kept page and the tail, without a copy
/// (issue 25). The client must still get one whole body under a matching content-length, and
/// the journal the same bytes.
#[test]
fn a_page_sent_in_parts_arrives_and_is_journaled_whole() {
    let emu = start();
    let queues: Vec<Value> = (0..40)
        .map(|i| json!({"id": format!("NX600291010860{i:05}"), "name": format!("Group {i}"), "description": "framed page"}))
        .collect();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": "144", "queues": queues}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = nx_call(
        &emu,
        "agentGroup/page",
        &json!({"tenantId": 144, "size": 100, "page": 1}),
    );
    assert!(
        r.text.len() > 2048,
        "a page big enough to be framed: {}",
        r.text
    );
    assert_eq!(r.json["total"], 41, "{}", r.text);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 41);
    let length = r
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap());
    assert_eq!(length, Some(r.text.len()));
    let found = requests(&emu, "operation=agentGroup%2Fpage");
    let kept = found
        .last()
        .and_then(|e| e["response"]["body"].as_str())
        .expect("the page's journal entry");
    assert_eq!(kept, r.text);

    // The same for Udesk's list, which frames every success.
    let got = udesk(&emu, "GET", "/agents", None);
    assert_eq!(got.json["ErrCode"], "000000", "{}", got.text);
    let found = requests(&emu, "operation=getAgentList");
    assert_eq!(
        found.last().and_then(|e| e["response"]["body"].as_str()),
        Some(got.text.as_str())
    );
}
