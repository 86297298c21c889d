//! 22–24: agent sign-in and sign-out, and calling a user back into the IVR.
mod common;
use common::*;
use serde_json::json;

#[test]
fn login_and_logout_write_the_timeline_and_echo_msg_id() {
    let emu = start();
    let t0 = 1_800_000_000_000;
    freeze_at(&emu, t0);
    let r = udesk(
        &emu,
        "POST",
        "/agent/login?MsgId=111",
        Some(json!({"agent_id": "189"})),
    );
    assert_eq!(
        r.json,
        json!({"ErrCode": "000000", "ErrDesc": "OK", "msg_id": "111", "results": "", "data": null})
    );
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents/189", None)["StateDes"],
        "idle"
    );
    let r = udesk(
        &emu,
        "POST",
        "/agent/login?MsgId=112",
        Some(json!({"agent_id": "189", "state": 1})),
    );
    assert_eq!(r.json["ErrCode"], "000000");
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents/189", None)["StateDes"],
        "busy"
    );
    let r = udesk(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "189"})),
    );
    assert_eq!(
        r.json,
        json!({"ErrCode": "000000", "ErrDesc": "OK", "msg_id": "", "results": "", "data": null})
    );
    assert_eq!(udesk_ok(&emu, "GET", "/agents/189", None)["State"], 4);
    // The timeline carries the virtual clock's instants.
    let state = udesk_model_state(&emu);
    let tenant = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == UDESK_APP_ID)
        .unwrap()
        .clone();
    let agent = tenant["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "189")
        .unwrap()
        .clone();
    let tail: Vec<_> = agent["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .cloned()
        .collect();
    assert_eq!(
        tail,
        [
            json!({"at_ms": t0, "state": "offline"}),
            json!({"at_ms": t0, "state": "busy"})
        ]
    );
    // Logging out an offline agent is a no-op success.
    let r = udesk(
        &emu,
        "POST",
        "/agent/logout?MsgId=9",
        Some(json!({"agent_id": "189"})),
    );
    assert_eq!(
        (r.json["ErrCode"].as_str(), r.json["msg_id"].as_str()),
        (Some("000000"), Some("9"))
    );
}

#[test]
fn login_refusals_change_nothing() {
    let emu = start();
    // No extension.
    udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({"agent_id": "9415"})),
        "100021",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({"agent_id": "4242"})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({"agent_id": "189", "state": 2})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/login",
        Some(json!({"agent_id": "189"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({})),
        "100001",
    );
    // Disabled.
    udesk(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "189"})),
    );
    udesk_ok(&emu, "PUT", "/agents/189", Some(json!({"Enable": false})));
    let r = udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=7",
        Some(json!({"agent_id": "189"})),
        "100021",
    );
    assert_eq!(r.json["msg_id"], "7");
    // In a call.
    udesk_ok(&emu, "PUT", "/agents/189", Some(json!({"Enable": true})));
    udesk_set_state(&emu, "189", "calling");
    udesk_refused(
        &emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({"agent_id": "189"})),
        "100021",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "189"})),
        "100021",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "4242"})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": 189})),
        "000001",
    );
}

#[test]
fn callback2ivr_answers_a_call_uuid() {
    let emu = start();
    let body = json!({"caller": "18789998765", "called": "057126200671", "called_display": "057126200671"});
    let r = udesk(&emu, "POST", "/callback2ivr", Some(body.clone()));
    assert_eq!(
        (r.json["code"].as_str(), r.json["message"].as_str()),
        (Some("000000"), Some("OK"))
    );
    let uuid = r.json["results"].as_str().unwrap();
    let parts: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12]);
    // Seeded: a fresh emulator answers the same uuid.
    let r2 = udesk(&start(), "POST", "/callback2ivr", Some(body));
    assert_eq!(r2.json["results"], uuid);
}

#[test]
fn callback2ivr_refusals() {
    let emu = start();
    let r = udesk_refused(
        &emu,
        "POST",
        "/callback2ivr",
        Some(
            json!({"caller": "18789998765", "called": "02863208944", "called_display": "02863208944"}),
        ),
        "100005",
    );
    assert_eq!(r.json["results"], "");
    assert!(r.json.get("ErrCode").is_none());
    udesk_refused(
        &emu,
        "POST",
        "/callback2ivr",
        Some(json!({"caller": "18789998765", "called": "057126200671"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/callback2ivr",
        Some(json!({"called": "057126200671", "called_display": "1"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/callback2ivr",
        Some(
            json!({"caller": "call-me", "called": "057126200671", "called_display": "057126200671"}),
        ),
        "000001",
    );
    udesk_refused(&emu, "POST", "/callback2ivr", None, "100001");
}
