//! Fresh-eyes review of the shipped scenario files: each vendor_error they name exists in that
//! vendor's table (else the documented answer becomes ccemu's 500 `ccemu_fault`), and
//! every scripted event of the busy hour is accepted by the model.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::PathBuf;

fn scenario(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn load(emu: &ccemu::Emulator, name: &str) {
    let r = admin(emu, "POST", "/scenarios", Some(scenario(name)));
    assert_eq!(r.status, 200, "{name}: {}", r.text);
}

#[test]
fn shipped_vendor_errors_are_the_vendors_own() {
    for (name, udesk_code, nx_code, hw_status) in [
        ("expired_credentials", "200020", 1005, 401),
        ("retry_udesk", "000060", 0, 200),
        ("retry_nxcloud", "000000", 99, 200),
        ("retry_huawei", "000000", 0, 500),
    ] {
        let emu = start();
        load(&emu, name);
        let u = udesk(&emu, "GET", "/spnumbers", None);
        assert_eq!(u.json["ErrCode"], udesk_code, "{name}: {}", u.text);
        let n = nx_call(
            &emu,
            "agentGroup/member/list",
            &json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"}),
        );
        assert_eq!(n.json["code"], nx_code, "{name}: {}", n.text);
        let h = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
        assert_eq!(h.status, hw_status, "{name}: {}", h.text);
        for text in [&u.text, &n.text, &h.text] {
            assert!(!text.contains("ccemu_fault"), "{name}: {text}");
        }
    }
}

#[test]
fn every_event_of_the_busy_hour_is_accepted() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    load(&emu, "busy_call_center");
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 2 * 3_600_000})),
    );
    assert_eq!(r.status, 200);
    let d = admin(&emu, "GET", "/scenarios", None).json;
    assert_eq!(d["pending"], json!([]));
    let refused: Vec<&Value> = d["applied"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["error"].is_null())
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}
