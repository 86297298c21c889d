//! The per-tenant clock skew and early token revocation of the fault engine, as each vendor's auth
//! sees them, and fault rules that match a tenant for every vendor.
mod common;
use common::*;
use serde_json::json;

const T: i64 = 1_750_000_000_000;

fn skew(emu: &ccemu::Emulator, tenant: &str, offset_ms: i64) {
    let r = admin(
        emu,
        "POST",
        "/skews",
        Some(json!({"tenant": tenant, "offset_ms": offset_ms})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn nx_at(emu: &ccemu::Emulator, ts: i64) -> Resp {
    let body =
        serde_json::to_vec(&json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"})).unwrap();
    nx_send(emu, "agentGroup/member/list", &nx_headers(ts, &body), &body)
}

#[test]
fn a_skewed_udesk_tenant_judges_timestamps_on_its_own_clock() {
    let emu = start();
    freeze_at(&emu, T);
    skew(&emu, UDESK_APP_ID, 11 * 60_000);
    let url = |ts: i64| format!("{}/ccapi/v2/spnumbers?{}", emu.url(), udesk_query(ts));
    assert_eq!(send("GET", &url(T), &[], None).json["ErrCode"], "000035");
    assert_eq!(
        send("GET", &url(T + 11 * 60_000), &[], None).json["ErrCode"],
        "000000"
    );
    // Other tenants keep the shared clock.
    assert_eq!(nx_at(&emu, T).json["code"], 0);
    skew(&emu, UDESK_APP_ID, 0);
    assert_eq!(send("GET", &url(T), &[], None).json["ErrCode"], "000000");
}

#[test]
fn a_skewed_nxcloud_team_judges_ts_on_its_own_clock() {
    let emu = start();
    freeze_at(&emu, T);
    skew(&emu, "144", -61_000);
    assert_eq!(nx_at(&emu, T).json["code"], 1004);
    assert_eq!(nx_at(&emu, T - 61_000).json["code"], 0);
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"],
        "000000"
    );
}

#[test]
fn huawei_tokens_expire_early_on_a_skewed_clock_and_can_be_revoked() {
    let emu = start();
    freeze_at(&emu, T);
    let path = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";
    let token = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", path, &token, None).status, 200);
    // The tenant's clock runs 10 minutes ahead: the 600 s token is spent.
    skew(&emu, "huawei-demo", 600_000);
    assert_eq!(huawei(&emu, "GET", path, &token, None).status, 401);
    skew(&emu, "huawei-demo", 0);
    assert_eq!(huawei(&emu, "GET", path, &token, None).status, 200);
    // Revoked early: every token issued so far is refused, a new one works.
    let r = admin(
        &emu,
        "POST",
        "/revoke-tokens",
        Some(json!({"tenant": "huawei-demo"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = huawei(&emu, "GET", path, &token, None);
    assert_eq!(r.status, 401);
    assert!(r.text.contains("revoked"), "{}", r.text);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 1})));
    let fresh = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", path, &fresh, None).status, 200);
}

#[test]
fn fault_rules_match_a_tenant_for_every_vendor() {
    let emu = start();
    for (vendor, tenant, code) in [
        ("nxcloud", "144", json!(99)),
        ("huawei", "huawei-demo", json!("503")),
    ] {
        let r = admin(
            &emu,
            "POST",
            "/faults",
            Some(
                json!({"match": {"vendor": vendor, "tenant": tenant}, "fault": {"kind": "vendor_error", "code": code}}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.json["code"], 99, "{}", r.text);
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
    assert_eq!(r.status, 503, "{}", r.text);
    // A tenant the rules do not name is untouched.
    assert_eq!(
        udesk(&emu, "GET", "/spnumbers", None).json["ErrCode"],
        "000000"
    );
}
