//! The `/_ccemu/` contract: health, reset, state, clock, agent-state and fixture merges.
mod common;
use common::*;
use serde_json::json;

#[test]
fn health_answers_ok() {
    let emu = start();
    let r = admin(&emu, "GET", "/health", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");
    assert_eq!(r.json["tenants"], 3);
}

#[test]
fn clock_can_be_frozen_set_advanced_and_released() {
    let emu = start();
    let r = admin(&emu, "GET", "/clock", None);
    assert_eq!(r.json["frozen"], false);
    let r = admin(&emu, "POST", "/clock", Some(json!({"frozen": true})));
    assert_eq!(r.json["frozen"], true);
    let r = admin(&emu, "POST", "/clock", Some(json!({"now_ms": 1_000_000})));
    assert_eq!(r.json, json!({"now_ms": 1_000_000, "frozen": true}));
    let r = admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 2_500})));
    assert_eq!(r.json["now_ms"], 1_002_500);
    assert_eq!(admin(&emu, "GET", "/clock", None).json["now_ms"], 1_002_500);
    let r = admin(&emu, "POST", "/clock", Some(json!({"frozen": false})));
    assert_eq!(r.json["frozen"], false);
    let now = r.json["now_ms"].as_i64().unwrap();
    assert!((1_002_500..1_002_500 + 60_000).contains(&now), "{now}");
    // Nonsense is refused.
    assert_eq!(admin(&emu, "POST", "/clock", Some(json!({}))).status, 400);
    assert_eq!(
        admin(&emu, "POST", "/clock", Some(json!({"now_ms": "soon"}))).status,
        400
    );
}

#[test]
fn the_virtual_clock_drives_the_udesk_window() {
    let emu = start();
    freeze_at(&emu, 2_000_000_000_000);
    // Signed for the frozen instant: accepted.
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"],
        "000000"
    );
    // A request signed 11 minutes ago, after the clock moved on: refused.
    let q = udesk_query(2_000_000_000_000);
    admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 11 * 60_000})),
    );
    let r = send(
        "GET",
        &format!("{}/ccapi/v2/spnumbers?{q}", emu.url()),
        &[],
        None,
    );
    assert_eq!(r.json["ErrCode"], "000035");
}

#[test]
fn reset_restores_the_fixture_and_state_shows_the_model() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).json;
    assert!(before["tenants"].as_array().unwrap().len() == 3);
    udesk(&emu, "DELETE", "/spnumbers/default", None);
    let changed = admin(&emu, "GET", "/state", None).json;
    assert_ne!(before, changed);
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
}

#[test]
fn agent_state_writes_the_shared_timeline() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(
            json!({"vendor": "nxcloud", "tenant": "144", "agent": "NXAgent1000013", "state": "rest:wc"}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["at_ms"], 1_800_000_000_000i64);
    let state = admin(&emu, "GET", "/state", None).json;
    let tenant = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "144")
        .unwrap();
    let agent = tenant["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "NXAgent1000013")
        .unwrap();
    assert_eq!(
        agent["timeline"],
        json!([{"at_ms": 1_800_000_000_000i64, "state": "rest:wc"}])
    );
    // Not before the last change, not an unknown state, agent, or a vendor the tenant is not.
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "NXAgent1000013", "state": "idle", "at_ms": 1})),
    );
    assert_eq!(r.status, 409);
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "NXAgent1000013", "state": "dancing"})),
    );
    assert_eq!(r.status, 400);
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "nobody", "state": "idle"})),
    );
    assert_eq!(r.status, 404);
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(
            json!({"vendor": "udesk", "tenant": "144", "agent": "NXAgent1000013", "state": "idle"}),
        ),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn fixture_fragments_merge_into_the_live_model() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": "144", "agents": [{"id": "NXAgent0002", "sip_number": "NXAgent0002"}]}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let state = admin(&emu, "GET", "/state", None).json;
    let tenant = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "144")
        .unwrap();
    assert!(tenant["agents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == "NXAgent0002"));
    // A fragment that breaks an invariant is refused whole.
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": "144", "agents": [{"id": "NXAgent0003", "queues": ["no-such-group"]}]}]}),
        ),
    );
    assert_eq!(r.status, 400);
    assert_eq!(admin(&emu, "GET", "/state", None).json, state);
}

#[test]
fn unknown_admin_paths_and_methods() {
    let emu = start();
    assert_eq!(admin(&emu, "GET", "/nothing", None).status, 404);
    assert_eq!(admin(&emu, "DELETE", "/health", None).status, 405);
    assert_eq!(admin(&emu, "POST", "/fixture", None).status, 400);
}
