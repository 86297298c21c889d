//! Scenario files: the shipped ones load and do what their descriptions say, and timelines move
//! with the virtual clock.

mod common;
use ccemu::model::state::durations;
use ccemu::model::AgentState;
use ccemu::{Config, Emulator};
use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const T0: i64 = 1_800_000_000_000;
const MIN: i64 = 60_000;

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.json"))
}

fn scenario(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(scenario_path(name)).unwrap()).unwrap()
}

fn load(emu: &Emulator, file: Value) -> Value {
    let r = admin(emu, "POST", "/scenarios", Some(file));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn agent_state(state: &Value, tenant: &str, agent: &str) -> String {
    let t = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == tenant)
        .unwrap();
    let a = t["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == agent)
        .unwrap();
    a["timeline"].as_array().unwrap().last().unwrap()["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_shipped_scenario_loads_and_describes_itself() {
    let emu = start();
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            file["description"].as_str().is_some_and(|d| d.len() > 40),
            "{}",
            path.display()
        );
        let loaded = load(&emu, file);
        names.push(loaded["name"].as_str().unwrap().to_string());
        admin(&emu, "POST", "/reset", None);
    }
    names.sort();
    for want in [
        "busy_call_center",
        "expired_credentials",
        "flaky_vendor",
        "retry_huawei",
        "retry_nxcloud",
        "retry_udesk",
        "slow_network",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

#[test]
fn busy_call_center_gives_nxlink_durations_on_the_virtual_clock() {
    let emu = start();
    freeze_at(&emu, T0);
    let loaded = load(&emu, scenario("busy_call_center"));
    assert_eq!(loaded["start_ms"], T0);
    // Due events are applied by the next request after the clock moves, without waiting.
    admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 30 * MIN})),
    );
    let state = admin(&emu, "GET", "/state", None).json;
    assert_eq!(agent_state(&state, "144", "NXAgent0001"), "rest:eating");
    assert_eq!(agent_state(&state, "144", "NXAgent1000013"), "rest:meeting");
    assert_eq!(agent_state(&state, UDESK_APP_ID, "9006"), "rest:other");
    assert_eq!(agent_state(&state, UDESK_APP_ID, "9007"), "idle");

    admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 31 * MIN})),
    );
    let state = admin(&emu, "GET", "/state", None).json;
    for (tenant, agent) in [
        ("144", "NXAgent0001"),
        ("144", "example@nxcloud.com"),
        (UDESK_APP_ID, "189"),
        (UDESK_APP_ID, "9006"),
    ] {
        assert_eq!(agent_state(&state, tenant, agent), "offline", "{agent}");
    }
    let model = emu.ctx().model();
    let agent = &model.tenants["144"].agents["NXAgent0001"];
    let d = durations(&agent.timeline, T0, T0 + 60 * MIN, T0 + 61 * MIN);
    assert_eq!(d.of(AgentState::Idle), 17 * MIN);
    assert_eq!(d.of(AgentState::Ringing), 20_000);
    assert_eq!(d.of(AgentState::Calling), 7 * MIN);
    assert_eq!(d.of(AgentState::Wrapup), 40_000);
    assert_eq!(
        d.of(AgentState::Rest(ccemu::model::RestReason::Eating)),
        30 * MIN
    );
    assert_eq!(d.of(AgentState::Busy), 5 * MIN);
    assert_eq!(d.online_total(), 60 * MIN);
    assert_eq!(d.sessions, vec![(T0, Some(T0 + 60 * MIN))]);
    drop(model);

    let described = admin(&emu, "GET", "/scenarios", None).json;
    assert_eq!(described["pending"], json!([]));
    assert!(described["applied"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["error"].is_null()));
}

#[test]
fn a_running_clock_drives_the_timeline_without_requests() {
    let emu = start();
    load(
        &emu,
        json!({"name": "soon", "timeline": [
            {"at_ms": 100, "event": "agent_state", "tenant": "144", "agent": "NXAgent0001", "state": "idle"}
        ]}),
    );
    let started = Instant::now();
    loop {
        let applied =
            emu.ctx().model().tenants["144"].agents["NXAgent0001"].state() == AgentState::Idle;
        if applied {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the ticker never applied the event"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn timeline_skew_revocation_and_refused_events_are_reported() {
    let emu = start();
    freeze_at(&emu, T0);
    load(
        &emu,
        json!({"name": "mixed", "start_ms": T0 + 1000, "timeline": [
            {"at_ms": 0, "event": "skew", "tenant": "huawei-demo", "offset_ms": 5000},
            {"at_ms": 0, "event": "revoke_tokens", "tenant": "huawei-demo"},
            {"at_ms": 0, "event": "agent_state", "tenant": "144", "agent": "ghost", "state": "idle"},
            {"at_ms": 0, "event": "queue_members", "tenant": UDESK_APP_ID, "queue": "551", "members": ["189", "9006"]}
        ]}),
    );
    assert_eq!(emu.ctx().now_ms_for("huawei-demo"), T0);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 1000})));
    let described = admin(&emu, "GET", "/scenarios", None).json;
    assert_eq!(emu.ctx().now_ms_for("huawei-demo"), T0 + 6000);
    assert!(emu.ctx().token_revoked("huawei-demo", T0));
    let applied = described["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 4);
    assert!(applied[2]["error"].as_str().unwrap().contains("ghost"));
    assert!(applied[3]["error"].is_null(), "{}", applied[3]);
    let model = emu.ctx().model();
    let udesk_app = &model.tenants[UDESK_APP_ID];
    assert!(
        udesk_app.agents["189"].queues.contains("551")
            && udesk_app.agents["9006"].queues.contains("551")
    );
    drop(model);

    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "bad", "rules": [{"fault": {"kind": "nope"}}]})),
    );
    assert_eq!(r.status, 400);
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "bad", "timeline": [{"at_ms": 0, "event": "dance"}]})),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn retry_udesk_fails_twice_then_succeeds() {
    let emu = start();
    load(&emu, scenario("retry_udesk"));
    let codes: Vec<String> = (0..3)
        .map(|_| {
            udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(codes, ["000060", "000060", "000000"]);
}

#[test]
fn expired_credentials_refuse_every_udesk_call_and_change_nothing() {
    let emu = start();
    load(&emu, scenario("expired_credentials"));
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "057126200673"})),
    );
    assert_eq!(r.json["ErrCode"], "200020");
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"],
        "200020"
    );
    admin(&emu, "DELETE", "/faults", None);
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["Result"]["DefSpNumber"],
        "057126200670"
    );
}

fn flaky_run() -> Vec<u16> {
    let emu = start();
    let mut file = scenario("flaky_vendor");
    // Keep the test fast: the latency rule is not what is being checked here.
    file["rules"].as_array_mut().unwrap().pop();
    load(&emu, file);
    (0..30)
        .map(|_| udesk(&emu, "GET", "/spnumbers", None).status)
        .collect()
}

#[test]
fn flaky_vendor_repeats_exactly_with_its_seed() {
    let a = flaky_run();
    assert_eq!(a, flaky_run());
    assert!(a.iter().any(|s| *s >= 500) && a.contains(&200), "{a:?}");
}

#[test]
fn scenario_flag_loads_at_start_and_reset_reloads_it() {
    let emu = start_with(Config {
        scenarios: vec![scenario_path("retry_udesk")],
        ..Config::ephemeral()
    });
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"],
        "000060"
    );
    let faults = admin(&emu, "GET", "/faults", None).json;
    assert_eq!(
        (
            faults["faults"][0]["scenario"].as_str(),
            faults["faults"][0]["hits"].as_u64()
        ),
        (Some("retry_udesk"), Some(1))
    );
    admin(&emu, "POST", "/reset", None);
    let faults = admin(&emu, "GET", "/faults", None).json;
    assert_eq!(faults["faults"][0]["hits"], 0);
    let bad = Emulator::start_background(Config {
        scenarios: vec![PathBuf::from("/nonexistent.json")],
        ..Config::ephemeral()
    });
    assert!(bad.is_err());
}

#[test]
fn extension_events_ring_and_connect_the_agent_on_the_line() {
    let emu = start();
    freeze_at(&emu, T0);
    // Agent 189 holds extensions 1001 (SIP) and 1008 (WebRTC); log it in first.
    load(
        &emu,
        json!({"name": "lines", "start_ms": T0, "timeline": [
            {"at_ms": 0, "event": "agent_state", "tenant": UDESK_APP_ID, "agent": "189", "state": "idle"},
            {"at_ms": 1000, "event": "extension_state", "tenant": UDESK_APP_ID, "extension": "1001", "state": "ringing"},
            {"at_ms": 4000, "event": "extension_state", "tenant": UDESK_APP_ID, "extension": "1001", "state": "talking"},
            {"at_ms": 64000, "event": "extension_state", "tenant": UDESK_APP_ID, "extension": "1001", "state": "free"},
            {"at_ms": 65000, "event": "extension_state", "tenant": UDESK_APP_ID, "extension": "1002", "state": "ringing"}
        ]}),
    );
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 2000})));
    let r = udesk(&emu, "GET", "/agents/189", None);
    assert_eq!(
        (&r.json["Result"]["State"], &r.json["Result"]["ExtState"]),
        (&json!(5), &json!(1)),
        "{}",
        r.text
    );
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 10_000})));
    let r = udesk(&emu, "GET", "/agents/189", None);
    assert_eq!(
        (&r.json["Result"]["State"], &r.json["Result"]["ExtState"]),
        (&json!(6), &json!(2))
    );
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 60_000})));
    let r = udesk(&emu, "GET", "/agents/189", None);
    assert_eq!(
        (&r.json["Result"]["State"], &r.json["Result"]["ExtState"]),
        (&json!(0), &json!(0))
    );
    // The timeline holds exact instants: 3 s ringing, 60 s talking.
    let model = emu.ctx().model();
    let d = ccemu::model::state::durations(
        &model.tenants[UDESK_APP_ID].agents["189"].timeline,
        T0,
        T0 + 72_000,
        T0 + 72_000,
    );
    assert_eq!(d.of(ccemu::model::AgentState::Ringing), 3_000);
    assert_eq!(d.of(ccemu::model::AgentState::Calling), 60_000);
    drop(model);
    // A line bound to no agent cannot ring: the event is refused and reported.
    let described = admin(&emu, "GET", "/scenarios", None).json;
    let applied = described["applied"].as_array().unwrap();
    let last = applied.last().unwrap();
    assert!(last["error"].as_str().unwrap().contains("1002"), "{last}");
}
