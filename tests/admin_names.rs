//! One vocabulary across the admin API: every body that names a `tenant` also takes its `vendor`
//! (optional, checked against the tenant), and every list that filters by tenant also filters by
//! vendor. Bodies without `vendor` keep working as they always did.

mod common;

use common::*;
use serde_json::{json, Value};

/// Each admin write naming a tenant, with the NXCloud demo tenant.
fn bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/agent-state",
            json!({"tenant": "144", "agent": "NXAgent0001", "state": "idle"}),
        ),
        (
            "/events",
            json!({"tenant": UDESK_APP_ID, "event": "acd_agent_state", "fields": {}}),
        ),
        (
            "/call-mode",
            json!({"tenant": UDESK_APP_ID, "agent": "189", "signal_type": 0}),
        ),
        ("/skews", json!({"tenant": "144", "offset_ms": 0})),
        ("/revoke-tokens", json!({"tenant": "huawei-demo"})),
        ("/calls", json!({"tenant": "144", "queue": "NXQueue0001"})),
    ]
}

fn vendor_of(tenant: &str) -> &'static str {
    match tenant {
        "144" => "nxcloud",
        "huawei-demo" => "huawei",
        _ => "udesk",
    }
}

#[test]
fn every_body_naming_a_tenant_takes_its_vendor_and_checks_it() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    for (path, body) in bodies() {
        let tenant = body["tenant"].as_str().unwrap().to_string();
        // Without vendor, as before.
        let r = admin(&emu, "POST", path, Some(body.clone()));
        assert!(r.status < 300, "{path} without vendor: {}", r.text);
        // With the tenant's own vendor.
        let mut right = body.clone();
        right["vendor"] = json!(vendor_of(&tenant));
        let r = admin(&emu, "POST", path, Some(right));
        assert!(r.status < 300, "{path} with its vendor: {}", r.text);
        // With another vendor: refused, naming the tenant's.
        let mut wrong = body.clone();
        wrong["vendor"] = json!(if vendor_of(&tenant) == "udesk" {
            "huawei"
        } else {
            "udesk"
        });
        let r = admin(&emu, "POST", path, Some(wrong));
        assert_eq!(r.status, 400, "{path} with a wrong vendor: {}", r.text);
        assert!(r.text.contains(vendor_of(&tenant)), "{path}: {}", r.text);
        // Not a vendor at all.
        let mut junk = body.clone();
        junk["vendor"] = json!("avaya");
        assert_eq!(admin(&emu, "POST", path, Some(junk)).status, 400, "{path}");
    }
}

#[test]
fn the_calls_list_filters_by_vendor_like_the_journal_and_the_delivery_log() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    for body in [
        json!({"tenant": "144", "queue": "NXQueue0001"}),
        json!({"tenant": UDESK_APP_ID, "queue": "9001"}),
    ] {
        let r = admin(&emu, "POST", "/calls", Some(body));
        assert!(r.status < 300, "{}", r.text);
    }
    let all = admin(&emu, "GET", "/calls", None).json["count"]
        .as_u64()
        .unwrap();
    let nx = admin(&emu, "GET", "/calls?vendor=nxcloud", None).json;
    let ud = admin(&emu, "GET", "/calls?vendor=udesk", None).json;
    assert_eq!(nx["count"], 1, "{nx}");
    assert_eq!(nx["calls"][0]["tenant"], "144");
    assert_eq!(ud["count"], 1, "{ud}");
    assert_eq!(all, 2);
    assert_eq!(
        admin(&emu, "GET", "/calls?vendor=huawei", None).json["count"],
        0
    );
    assert_eq!(admin(&emu, "GET", "/calls?vendor=avaya", None).status, 400);
}
