//! `--state-file`: the state survives a restart, and a `kill -9` at any moment leaves a complete,
//! loadable snapshot.
mod common;
use common::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const T: i64 = 1_800_000_000_000;
const AGENT_INFO: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";

fn with_state(path: &Path) -> ccemu::Config {
    ccemu::Config {
        state_file: Some(path.to_path_buf()),
        ..ccemu::Config::ephemeral()
    }
}

#[test]
fn state_survives_a_restart() {
    let dir = Scratch::new("state-roundtrip");
    let file = dir.path("state.json");
    let emu = start_with(with_state(&file));
    freeze_at(&emu, T);
    udesk_ok(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "persisted"})),
    );
    udesk_set_state(&emu, "189", "idle");
    let token = hw_token(&emu);
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"match": {"path": "/ccapi/v2/nowhere"}, "fault": {"kind": "empty"}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        admin(
            &emu,
            "POST",
            "/skews",
            Some(json!({"tenant": "144", "offset_ms": 5000}))
        )
        .status,
        200
    );
    let state = admin(&emu, "GET", "/state", None).json;
    let faults = admin(&emu, "GET", "/faults", None).json;
    drop(emu);

    let emu = start_with(with_state(&file));
    assert_eq!(admin(&emu, "GET", "/state", None).json, state);
    assert_eq!(admin(&emu, "GET", "/faults", None).json, faults);
    let clock = admin(&emu, "GET", "/clock", None).json;
    assert_eq!(
        (clock["now_ms"].as_i64(), clock["frozen"].as_bool()),
        (Some(T), Some(true))
    );
    assert_eq!(
        admin(&emu, "GET", "/skews", None).json["skews"]["144"],
        5000
    );
    // The token issued before the restart still works.
    assert_eq!(huawei(&emu, "GET", AGENT_INFO, &token, None).status, 200);
    // A new rule does not reuse the restored rule's id.
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"match": {"path": "/x"}, "fault": {"kind": "empty"}})),
    );
    assert_ne!(r.json["id"], faults["faults"][0]["id"]);
    // Reset goes back to the fixture, not to the restored state.
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert!(!admin(&emu, "GET", "/state", None)
        .text
        .contains("persisted"));
}

#[test]
fn a_snapshot_from_another_version_is_refused_with_a_clear_error() {
    let dir = Scratch::new("state-version");
    let file = dir.path("state.json");
    let emu = start_with(with_state(&file));
    drop(emu);
    let mut snapshot: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(snapshot["version"], ccemu::persist::VERSION);
    snapshot["version"] = json!(ccemu::persist::VERSION + 1);
    std::fs::write(&file, snapshot.to_string()).unwrap();
    let err = ccemu::Emulator::start_background(with_state(&file))
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("version 2") && msg.contains("reads version 1"),
        "{msg}"
    );
    std::fs::write(&file, b"{\"tenants\": []}").unwrap();
    let err = ccemu::Emulator::start_background(with_state(&file))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not a ccemu state file"), "{err}");
}

/// The binary with a state file written as often as it can be, its port read from the banner.
fn spawn_writing(file: &Path) -> (std::process::Child, String) {
    let args = [
        "--max-connections",
        "100000",
        "--state-interval-ms",
        "1",
        "--state-file",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(file.as_os_str());
    spawn_ccemu(&args)
}

#[test]
fn kill_9_while_writing_leaves_a_loadable_snapshot() {
    let dir = Scratch::new("state-kill");
    let file = dir.path("state.json");
    let admin_at = |url: &str, path: &str, body: serde_json::Value| {
        let r = send(
            "POST",
            &format!("{url}/_ccemu{path}"),
            &[("Content-Type", "application/json")],
            Some(&serde_json::to_vec(&body).unwrap()),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    };
    let mut caught_mid_write = 0;
    for round in 0..5u64 {
        let (mut child, url) = spawn_writing(&file);
        if round == 0 {
            // A model large enough that each write takes a while: thousands of agents.
            let agents: Vec<_> = (0..1500)
                .map(|i| json!({"id": format!("bulk-{i}"), "name": format!("Bulk agent {i} with a longish name")}))
                .collect();
            admin_at(
                &url,
                "/fixture",
                json!({"tenants": [{"id": UDESK_APP_ID, "agents": agents}]}),
            );
            admin_at(&url, "/clock", json!({"frozen": true, "now_ms": T}));
            // From the first snapshot holding them on, every snapshot does.
            let deadline = Instant::now() + Duration::from_secs(20);
            while !ccemu::persist::load(&file).is_ok_and(|s| {
                s.model.tenants[UDESK_APP_ID]
                    .agents
                    .contains_key("bulk-1499")
            }) {
                assert!(Instant::now() < deadline, "no snapshot written");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Every snapshot differs from the last (the clock moves), so every tick writes.
        let until = Instant::now() + Duration::from_millis(300 + 100 * round);
        while Instant::now() < until {
            admin_at(&url, "/clock", json!({"advance_ms": 1}));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut tmp = file.clone().into_os_string();
        tmp.push(".tmp");
        if Path::new(&tmp).exists() {
            caught_mid_write += 1;
        }
        let snapshot = ccemu::persist::load(&file).expect("the last complete snapshot loads");
        assert!(snapshot.model.tenants[UDESK_APP_ID]
            .agents
            .contains_key("bulk-1499"));
    }
    eprintln!("killed mid-write (a .tmp present) in {caught_mid_write} of 5 rounds");
    // And the binary starts from what the kills left.
    let (mut child, url) = spawn_writing(&file);
    let r = send("GET", &format!("{url}/_ccemu/clock"), &[], None);
    assert!(r.json["now_ms"].as_i64().unwrap() > T, "{}", r.text);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn queued_deliveries_and_simulated_calls_survive_a_restart() {
    let dir = Scratch::new("state-deliveries-calls");
    let file = dir.path("state.json");
    let rx = receiver::Receiver::start();
    rx.answer_next(&[500]);
    let emu = start_with(with_state(&file));
    freeze_at(&emu, T);
    udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": rx.url, "events": ["acd_agent_state"], "name": "kept"}]}),
        ),
    );
    udesk_set_state(&emu, "189", "idle");
    // The first attempt fails; the retry is due a second later on the frozen clock.
    let r = admin(
        &emu,
        "POST",
        "/webhooks/wait",
        Some(json!({"match": {"status": "pending"}, "count": 1, "timeout_ms": 20000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // A call in talk when ccemu stops.
    let r = admin(
        &emu,
        "POST",
        "/calls",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "talk_ms": 60000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 500})));
    assert_eq!(r.status, 200);
    drop(emu);

    let emu = start_with(with_state(&file));
    let c = admin(&emu, "GET", &format!("/calls/{id}"), None);
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.json["state"], "ringing");
    let targets = admin(&emu, "GET", "/webhooks", None).json;
    assert!(
        targets["targets"][0]["queued"].as_u64().unwrap() >= 1,
        "{targets}"
    );
    // The kept retry and the kept call both go on when the clock moves.
    let r = admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 120_000})));
    assert_eq!(r.status, 200);
    let c = admin(&emu, "GET", &format!("/calls/{id}"), None).json;
    assert_eq!(c["state"], "ended", "{c}");
    let hits = rx.wait_for(2, Duration::from_secs(20));
    assert_eq!(hits[0].body["event_id"], hits[1].body["event_id"]);
}
