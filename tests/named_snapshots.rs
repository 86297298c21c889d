//! Named snapshots (`/_ccemu/snapshots`): a prepared state taken once and restored between tests,
//! globally and per sandbox.

mod common;

use common::*;
use serde_json::{json, Value};

const T0: i64 = 1_800_000_000_000;

fn state(emu: &ccemu::Emulator) -> Value {
    admin(emu, "GET", "/state", None).json
}

fn ok(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

#[test]
fn a_restore_brings_back_model_clock_rules_calls_and_journal_position() {
    let emu = start();
    freeze_at(&emu, T0);
    // The prepared state: an agent logged in, a rule, one vendor request in the journal.
    ok(admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "NXAgent0001", "state": "idle"})),
    ));
    ok(admin(
        &emu,
        "POST",
        "/faults",
        Some(
            json!({"match": {"vendor": "udesk", "operation": "createAgent"}, "times": 1,
                    "fault": {"kind": "vendor_error", "code": "000060"}}),
        ),
    ));
    udesk(&emu, "GET", "/agents", None);
    let prepared = state(&emu);
    let faults = admin(&emu, "GET", "/faults", None).json;
    let journal = admin(&emu, "GET", "/requests/count", None).json["count"].clone();
    let taken = ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "prepared"})),
    ));
    assert_eq!(taken["name"], "prepared");
    assert_eq!(taken["now_ms"], T0);
    assert_eq!(taken["frozen"], true);
    assert_eq!(taken["replaced"], false);
    assert!(taken["agents"].as_u64().unwrap() > 10, "{taken}");

    // A test runs: a new agent, the clock moved, the rule gone, a call, more requests.
    ok(admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": "144", "agents": [{"id": "added", "queues": []}]}]})),
    ));
    admin(&emu, "DELETE", "/faults", None);
    let r = admin(
        &emu,
        "POST",
        "/calls",
        Some(json!({"tenant": UDESK_APP_ID, "queue": "9001"})),
    );
    assert!(r.status < 300, "{}", r.text);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 120_000})));
    udesk(&emu, "GET", "/agents", None);
    udesk(&emu, "GET", "/queues", None);
    assert_ne!(state(&emu), prepared);
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"],
        json!([])
    );

    let back = ok(admin(&emu, "POST", "/snapshots/prepared/restore", None));
    assert_eq!(back["status"], "restored");
    assert_eq!(state(&emu), prepared);
    assert_eq!(admin(&emu, "GET", "/faults", None).json, faults);
    let clock = admin(&emu, "GET", "/clock", None).json;
    assert_eq!(clock, json!({"now_ms": T0, "frozen": true}));
    assert_eq!(
        admin(&emu, "GET", "/requests/count", None).json["count"],
        journal
    );
    let calls = admin(&emu, "GET", "/calls", None).json;
    assert_eq!(calls["calls"], json!([]), "{calls}");

    // Restored twice: the snapshot is not used up, and the rule fires again from its counters.
    udesk(&emu, "GET", "/agents", None);
    ok(admin(&emu, "POST", "/snapshots/prepared/restore", None));
    assert_eq!(state(&emu), prepared);
}

#[test]
fn names_are_listed_replaced_deleted_and_checked() {
    let emu = start();
    ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "a"})),
    ));
    let again = ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "a"})),
    ));
    assert_eq!(again["replaced"], true);
    ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "b.2"})),
    ));
    let list = ok(admin(&emu, "GET", "/snapshots", None));
    let names: Vec<&str> = list["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b.2"]);
    assert_eq!(
        admin(&emu, "POST", "/snapshots/zz/restore", None).status,
        404
    );
    assert_eq!(admin(&emu, "GET", "/snapshots/a/restore", None).status, 405);
    assert_eq!(
        admin(
            &emu,
            "POST",
            "/snapshots",
            Some(json!({"name": "no/slash"}))
        )
        .status,
        400
    );
    assert_eq!(
        admin(&emu, "POST", "/snapshots", Some(json!({"name": ""}))).status,
        400
    );
    assert_eq!(
        admin(&emu, "POST", "/snapshots", Some(json!({"nmae": "x"}))).status,
        400
    );
    ok(admin(&emu, "DELETE", "/snapshots/a", None));
    assert_eq!(admin(&emu, "DELETE", "/snapshots/a", None).status, 404);
    assert_eq!(
        admin(&emu, "POST", "/snapshots/a/restore", None).status,
        404
    );
}

#[test]
fn a_sandbox_has_its_own_snapshots_and_a_restore_touches_only_it() {
    let emu = start();
    let sb = ok(admin(&emu, "POST", "/sandboxes", Some(json!({"id": "w1"}))));
    let nx = sb["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["vendor"] == "nxcloud")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(admin(
        &emu,
        "POST",
        "/clock?sandbox=w1",
        Some(json!({"frozen": true, "now_ms": T0})),
    ));
    let tenant_of = |emu: &ccemu::Emulator, id: &str| -> Value {
        state(emu)["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap()
    };
    let before = tenant_of(&emu, &nx);
    ok(admin(
        &emu,
        "POST",
        "/snapshots?sandbox=w1",
        Some(json!({"name": "clean"})),
    ));
    // Its names are its own: the global list does not show it.
    assert_eq!(
        ok(admin(&emu, "GET", "/snapshots", None))["snapshots"],
        json!([])
    );
    let listed = ok(admin(&emu, "GET", "/snapshots?sandbox=w1", None));
    assert_eq!(listed["snapshots"][0]["sandbox"], "w1");
    assert_eq!(
        admin(&emu, "POST", "/snapshots/clean/restore", None).status,
        404
    );

    // The sandbox's agent and clock move; so does a global tenant's agent.
    ok(admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": nx, "agent": "NXAgent0001", "state": "busy"})),
    ));
    ok(admin(
        &emu,
        "POST",
        "/clock?sandbox=w1",
        Some(json!({"advance_ms": 5000})),
    ));
    ok(admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "NXAgent1000013", "state": "idle"})),
    ));
    let global_after = tenant_of(&emu, "144");
    assert_ne!(tenant_of(&emu, &nx), before);

    ok(admin(
        &emu,
        "POST",
        "/snapshots/clean/restore?sandbox=w1",
        None,
    ));
    assert_eq!(tenant_of(&emu, &nx), before);
    assert_eq!(
        tenant_of(&emu, "144"),
        global_after,
        "the global tenant kept its change"
    );
    assert_eq!(
        ok(admin(&emu, "GET", "/clock?sandbox=w1", None))["now_ms"],
        T0
    );

    // A global restore leaves the sandbox's tenants alone.
    ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "g"})),
    ));
    ok(admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": nx, "agent": "NXAgent0001", "state": "busy"})),
    ));
    let sandbox_now = tenant_of(&emu, &nx);
    ok(admin(&emu, "POST", "/snapshots/g/restore", None));
    assert_eq!(tenant_of(&emu, &nx), sandbox_now);

    // Its snapshots go with it.
    ok(admin(&emu, "DELETE", "/sandboxes/w1", None));
    ok(admin(&emu, "POST", "/sandboxes", Some(json!({"id": "w1"}))));
    assert_eq!(
        ok(admin(&emu, "GET", "/snapshots?sandbox=w1", None))["snapshots"],
        json!([])
    );
}

/// The size the issue names, checked for correctness here (the time is the bench's:
/// `cargo bench --bench snapshots`).
#[test]
fn a_ten_thousand_agent_state_comes_back_whole() {
    let emu = start_with(ccemu::Config {
        body_limit: 16 << 20,
        ..ccemu::Config::ephemeral()
    });
    let agents: Vec<Value> = (0..10_000)
        .map(|i| json!({"id": format!("A{i:05}"), "queues": ["NXQueue0001"], "timeline": [{"at_ms": 1000, "state": "idle"}]}))
        .collect();
    ok(admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": "144", "agents": agents}]})),
    ));
    let prepared = state(&emu);
    let taken = ok(admin(
        &emu,
        "POST",
        "/snapshots",
        Some(json!({"name": "big"})),
    ));
    assert!(taken["agents"].as_u64().unwrap() >= 10_000);
    ok(admin(&emu, "POST", "/reset", None));
    assert_ne!(state(&emu), prepared);
    ok(admin(&emu, "POST", "/snapshots/big/restore", None));
    assert_eq!(state(&emu), prepared);
}
