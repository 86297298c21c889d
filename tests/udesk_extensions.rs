//! 07–10: bind and unbind extensions, create and delete extensions.
mod common;
use common::*;
use serde_json::{json, Value};

#[test]
fn create_generates_the_password_and_the_account_number() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1032", "Password": "802411d4", "SignalType": 1})),
    );
    assert_eq!(r["Extension"], "1032");
    assert_eq!(r["Number"], "93000077121032");
    assert_eq!(r["SignalType"], 1);
    let pw = r["Password"].as_str().unwrap();
    assert_ne!(pw, "802411d4", "the password in the request is ignored");
    assert_eq!(pw.len(), 16);
    // Same seed, same answers.
    let emu2 = start();
    let r2 = udesk_ok(
        &emu2,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1032", "SignalType": 1})),
    );
    assert_eq!(r2["Password"], pw);
    // SignalType defaults to SIP.
    assert_eq!(
        udesk_ok(
            &emu,
            "POST",
            "/extensions",
            Some(json!({"Extension": "1999"}))
        )["SignalType"],
        0
    );
}

#[test]
fn create_refusals() {
    let emu = start();
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1002"})),
        "100015",
    );
    for bad in ["2001", "100", "10011", "1a01", "0100"] {
        udesk_refused(
            &emu,
            "POST",
            "/extensions",
            Some(json!({"Extension": bad})),
            "000001",
        );
    }
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1050", "SignalType": 2})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": ""})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"SignalType": 0})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": 1050})),
        "000001",
    );
}

#[test]
fn delete_refuses_bound_and_unknown_extensions() {
    let emu = start();
    assert_eq!(
        udesk_ok(
            &emu,
            "DELETE",
            "/extensions",
            Some(json!({"Extension": "1002"}))
        ),
        Value::Null
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/extensions",
        Some(json!({"Extension": "1002"})),
        "100018",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/extensions",
        Some(json!({"Extension": "1001"})),
        "100022",
    );
    udesk_refused(&emu, "DELETE", "/extensions", Some(json!({})), "100001");
}

#[test]
fn bind_and_unbind() {
    let emu = start();
    udesk_ok(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1135"]})),
    );
    let a = udesk_ok(&emu, "GET", "/agents/9415", None);
    assert_eq!(a["Extensions"], json!(["1135"]));
    // Binding again is harmless.
    udesk_ok(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1135"]})),
    );
    // A second SIP extension is refused; a WebRTC one is fine.
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1002"]})),
        "100022",
    );
    udesk_ok(
        &emu,
        "POST",
        "/extensions",
        Some(json!({"Extension": "1500", "SignalType": 1})),
    );
    udesk_ok(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1500"]})),
    );
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents/9415", None)["Extensions"],
        json!(["1135", "1500"])
    );
    // Unbind both at once.
    udesk_ok(
        &emu,
        "DELETE",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1135", "1500"]})),
    );
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents/9415", None)["Extensions"],
        json!([])
    );
    // Now 1135 can be deleted.
    udesk_ok(
        &emu,
        "DELETE",
        "/extensions",
        Some(json!({"Extension": "1135"})),
    );
}

#[test]
fn bind_refusals_change_nothing() {
    let emu = start();
    // Bound to 189.
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1001"]})),
        "100022",
    );
    // Two SIP extensions in one request: neither is bound.
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1002", "1135"]})),
        "100022",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1135", "1777"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "4242", "Extensions": ["1135"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": []})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": "1135"})),
        "000001",
    );
}

#[test]
fn unbind_refusals_change_nothing() {
    let emu = start();
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/extensions",
        Some(json!({"AgentId": "9415", "Extensions": ["1001"]})),
        "100022",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/extensions",
        Some(json!({"AgentId": "189", "Extensions": ["1001", "1002"]})),
        "100022",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/extensions",
        Some(json!({"AgentId": "189", "Extensions": ["1777"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/extensions",
        Some(json!({"AgentId": "4242", "Extensions": ["1001"]})),
        "100018",
    );
}
