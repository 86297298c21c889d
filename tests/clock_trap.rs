//! The clock trap (issue 12): a frozen or moved clock refuses calls signed with wall time, and
//! every such refusal says how far off the request was and how the clock stands; `{"real": true}`
//! and `POST /_ccemu/reset {"clock": true}` bring wall-time signing back.
mod common;
use common::*;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn udesk_at(emu: &ccemu::Emulator, ts: i64) -> Resp {
    let url = format!("{}/ccapi/v2/spnumbers?{}", emu.url(), udesk_query(ts));
    send("GET", &url, &[], None)
}

const MEMBERS: &[u8] = br#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;

fn nx_at(emu: &ccemu::Emulator, ts: i64) -> Resp {
    nx_send(
        emu,
        "agentGroup/member/list",
        &nx_headers(ts, MEMBERS),
        MEMBERS,
    )
}

const HW_AGENTS: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";

#[test]
fn a_moved_frozen_clock_explains_its_refusals_and_real_brings_wall_time_back() {
    let emu = start();
    let token = hw_token(&emu);
    // Frozen two hours ahead: wall-time signatures fall outside every window, the token expires.
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"frozen": true, "advance_ms": 7_200_000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    let u = udesk_at(&emu, wall_ms());
    assert_eq!(u.json["ErrCode"], "000035", "{}", u.text);
    let desc = u.json["ErrDesc"].as_str().unwrap();
    assert!(desc.contains("behind the emulator clock"), "{desc}");
    assert!(desc.contains("frozen and moved 2h"), "{desc}");
    let detail = u.header("x-ccemu-detail").expect("udesk detail header");
    assert!(detail.contains("frozen"), "{detail}");

    let n = nx_at(&emu, wall_ms());
    assert_eq!(n.json["code"], 1004, "{}", n.text);
    assert_eq!(
        n.json["msg"], "Timestamp has expired",
        "the table's text stays exact"
    );
    let detail = n.header("x-ccemu-detail").expect("nxcloud detail header");
    assert!(detail.contains("behind the emulator clock"), "{detail}");
    assert!(detail.contains("frozen and moved 2h"), "{detail}");

    let h = huawei(&emu, "GET", HW_AGENTS, &token, None);
    assert_eq!(h.status, 401, "{}", h.text);
    let msg = h.json["error_msg"].as_str().unwrap();
    assert!(
        msg.contains("expired") && msg.contains("frozen and moved 2h"),
        "{msg}"
    );
    assert!(h
        .header("x-ccemu-detail")
        .is_some_and(|d| d.contains("frozen")));

    // Signed at the emulator's clock, all three pass while it is frozen and moved.
    let now = now_ms(&emu);
    assert_eq!(udesk_at(&emu, now).json["ErrCode"], "000000");
    assert_eq!(nx_at(&emu, now).json["code"], 0);
    let fresh = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", HW_AGENTS, &fresh, None).status, 200);

    // Back to wall time: wall-signed calls pass again.
    let r = admin(&emu, "POST", "/clock", Some(json!({"real": true})));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["frozen"], false);
    assert!(
        (r.json["now_ms"].as_i64().unwrap() - wall_ms()).abs() < 1000,
        "{}",
        r.text
    );
    assert_eq!(udesk_at(&emu, wall_ms()).json["ErrCode"], "000000");
    assert_eq!(nx_at(&emu, wall_ms()).json["code"], 0);
    // (The first token was pruned as expired when `fresh` was issued; a new one works.)
    let again = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", HW_AGENTS, &again, None).status, 200);

    // `real: false` means nothing and is refused; `real` combines with the other fields.
    assert_eq!(
        admin(&emu, "POST", "/clock", Some(json!({"real": false}))).status,
        400
    );
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"real": true, "frozen": true})),
    );
    assert_eq!(r.json["frozen"], true, "{}", r.text);
}

#[test]
fn reset_keeps_the_clock_unless_asked_and_a_running_clock_says_so() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let r = admin(&emu, "POST", "/reset", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        now_ms(&emu),
        1_800_000_000_000,
        "a plain reset leaves the clock alone"
    );
    let r = admin(&emu, "POST", "/reset", Some(json!({"clock": false})));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(emu.ctx().clock.is_frozen());
    assert_eq!(
        admin(&emu, "POST", "/reset", Some(json!({"clocks": true}))).status,
        400
    );
    let r = admin(&emu, "POST", "/reset", Some(json!({"clock": true})));
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!emu.ctx().clock.is_frozen());
    assert!((now_ms(&emu) - wall_ms()).abs() < 1000);

    // Running but moved back a day: the refusal says "running" and "behind wall time".
    admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": -86_400_000})),
    );
    let u = udesk_at(&emu, wall_ms());
    let detail = u.header("x-ccemu-detail").unwrap_or_default().to_string();
    assert!(detail.contains("ahead of the emulator clock"), "{detail}");
    assert!(detail.contains("running and moved 1d"), "{detail}");
    assert!(detail.contains("behind wall time"), "{detail}");
}

#[test]
fn a_refused_reset_leaves_the_clock_alone_too() {
    let dir = std::env::temp_dir().join(format!("ccemu-clock-reset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json");
    std::fs::write(&file, r#"{"name": "s", "rules": [], "timeline": []}"#).unwrap();
    let emu = start_with(ccemu::Config {
        scenarios: vec![file.clone()],
        ..ccemu::Config::ephemeral()
    });
    freeze_at(&emu, 1_800_000_000_000);
    std::fs::remove_file(&file).unwrap();
    let r = admin(&emu, "POST", "/reset", Some(json!({"clock": true})));
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(emu.ctx().clock.is_frozen());
    assert_eq!(
        now_ms(&emu),
        1_800_000_000_000,
        "all or nothing, the clock included"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
