//! Fresh-eyes review: a scenario's `revoke_tokens` event on a skewed tenant. Tokens are dated on
//! the tenant's own clock (docs/scenarios.md: "Huawei's token CreateTime … judged on now_ms_for(tenant)"), and
//! `POST /_ccemu/revoke-tokens` reads "now" there too; the timeline event must agree, or the
//! docs/scenarios.md's example scenario (skew huawei-demo by +90 s, then revoke) misses tokens.

mod common;

use common::*;
use serde_json::json;

const T: i64 = 1_800_000_000_000;
const API: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";

fn skew(emu: &ccemu::Emulator, offset_ms: i64) {
    let r = admin(
        emu,
        "POST",
        "/skews",
        Some(json!({"tenant": "huawei-demo", "offset_ms": offset_ms})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn revoke_in(emu: &ccemu::Emulator, after_ms: i64) {
    let r = admin(
        emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "revoke", "timeline": [
            {"at_ms": after_ms, "event": "revoke_tokens", "tenant": "huawei-demo"}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn advance(emu: &ccemu::Emulator, ms: i64) {
    let r = admin(emu, "POST", "/clock", Some(json!({"advance_ms": ms})));
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn a_timeline_revocation_on_a_clock_ahead_revokes_the_tokens_issued_before_it() {
    let emu = start();
    freeze_at(&emu, T);
    skew(&emu, 90_000);
    let token = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", API, &token, None).status, 200);
    revoke_in(&emu, 1_000);
    advance(&emu, 2_000);
    let r = huawei(&emu, "GET", API, &token, None);
    assert_eq!(r.status, 401, "issued before the revocation: {}", r.text);
    // The admin call agrees: a token issued now survives a revocation dated before it.
    let fresh = hw_token(&emu);
    assert_eq!(huawei(&emu, "GET", API, &fresh, None).status, 200);
}

#[test]
fn a_timeline_revocation_on_a_clock_behind_spares_the_tokens_issued_after_it() {
    let emu = start();
    freeze_at(&emu, T);
    skew(&emu, -90_000);
    revoke_in(&emu, 1_000);
    advance(&emu, 2_000);
    let token = hw_token(&emu);
    let r = huawei(&emu, "GET", API, &token, None);
    assert_eq!(r.status, 200, "issued after the revocation: {}", r.text);
}
