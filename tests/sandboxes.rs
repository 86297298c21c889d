//! Sandboxes: isolated tenants on one shared emulator, each with its own clock, fault rules,
//! journal view and RNG, found through their credentials alone.
mod common;
use ccemu::{Config, Emulator};
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T: i64 = 1_767_225_600_000;

/// A sandbox's credentials, as `POST /_ccemu/sandboxes` answers them.
#[derive(Clone, Debug)]
struct Sb {
    id: String,
    app_id: String,
    sid: String,
    token: String,
    nx_tenant: i64,
    nx_key: String,
    nx_secret: String,
    hw_key: String,
    hw_secret: String,
}

fn create(emu: &Emulator, id: &str) -> Sb {
    let r = admin(emu, "POST", "/sandboxes", Some(json!({"id": id})));
    assert_eq!(r.status, 200, "{}", r.text);
    let j = &r.json;
    let s = |v: &Value| v.as_str().unwrap().to_string();
    Sb {
        id: s(&j["id"]),
        app_id: s(&j["udesk"]["AppId"]),
        sid: s(&j["udesk"]["Sid"]),
        token: s(&j["udesk"]["AuthToken"]),
        nx_tenant: j["nxcloud"]["tenantId"].as_i64().unwrap(),
        nx_key: s(&j["nxcloud"]["accessKey"]),
        nx_secret: s(&j["nxcloud"]["accessSecret"]),
        hw_key: s(&j["huawei"]["app_key"]),
        hw_secret: s(&j["huawei"]["app_secret"]),
    }
}

fn sb_admin(emu: &Emulator, sb: &Sb, method: &str, path: &str, body: Option<Value>) -> Resp {
    let sep = if path.contains('?') { '&' } else { '?' };
    admin(emu, method, &format!("{path}{sep}sandbox={}", sb.id), body)
}

/// Freezes the sandbox's clock at `t`.
fn freeze(emu: &Emulator, sb: &Sb, t: i64) -> Resp {
    let r = sb_admin(
        emu,
        sb,
        "POST",
        "/clock",
        Some(json!({"frozen": true, "now_ms": t})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

fn udesk_as(
    emu: &Emulator,
    sb: &Sb,
    ts: i64,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let sign = sha1_hex(&format!("{}{}{ts}", sb.sid, sb.token));
    let url = format!(
        "{}/ccapi/v2{path}?AppId={}&Timestamp={ts}&Sign={sign}&Sid={}",
        emu.url(),
        sb.app_id,
        sb.sid
    );
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(
        method,
        &url,
        &[("Content-Type", "application/json")],
        bytes.as_deref(),
    )
}

fn nx_as(emu: &Emulator, sb: &Sb, ts: i64, op: &str, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    let ts = ts.to_string();
    let sign = nx_sign(&sb.nx_key, &ts, "8", "cc", &bytes, &sb.nx_secret, false);
    send(
        "POST",
        &format!("{}/saas/cc/openapi/{op}", emu.url()),
        &[
            ("Content-Type", "application/json"),
            ("accessKey", &sb.nx_key),
            ("ts", &ts),
            ("bizType", "8"),
            ("action", "cc"),
            ("sign", &sign),
        ],
        Some(&bytes),
    )
}

fn hw_token_as(emu: &Emulator, sb: &Sb) -> Resp {
    let body = json!({"app_key": sb.hw_key, "app_secret": sb.hw_secret});
    send(
        "POST",
        &format!("{}{HW_TOKEN_PATH}", emu.url()),
        &[("Content-Type", "application/json")],
        Some(&serde_json::to_vec(&body).unwrap()),
    )
}

/// One worker's test: freeze and move its clock, arm a fault, create an agent (a generated
/// password), ask NXCloud (a generated reqId) and Huawei (a generated token), count its journal.
/// Answers every status and body, for comparison with the same script run alone.
fn script(emu: &Emulator, id: &str, start_ms: i64) -> Vec<(u16, String)> {
    let sb = create(emu, id);
    let mut out = Vec::new();
    // The one value that differs between emulators: the port Huawei's querySysInfo reports.
    let port = format!("\"servicePort\":{}", emu.addr().port());
    // And a window refusal's words on how far the clock is from wall time, which moves on.
    let mut keep = |r: Resp| {
        let text = if r.json["ErrCode"] == "000035" {
            let mut j = r.json.clone();
            j["ErrDesc"] = json!("(depends on wall time)");
            j.to_string()
        } else {
            r.text.replace(&port, "\"servicePort\":0")
        };
        out.push((r.status, text))
    };
    let r = freeze(emu, &sb, start_ms);
    assert_eq!(r.json["now_ms"], start_ms, "{}", r.text);
    let r = udesk_as(emu, &sb, start_ms, "GET", "/agents", None);
    assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
    keep(r);
    // Eleven minutes off this sandbox's clock: outside Udesk's window.
    let r = udesk_as(emu, &sb, start_ms - 660_000, "GET", "/agents", None);
    assert_eq!(r.json["ErrCode"], "000035", "{}", r.text);
    // The refusal points at this sandbox's clock, not the global one.
    assert!(
        r.text.contains(&format!("/_ccemu/clock?sandbox={id}")),
        "{}",
        r.text
    );
    keep(r);
    let now = start_ms + 60_000;
    let r = sb_admin(
        emu,
        &sb,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 60_000})),
    );
    assert_eq!(r.json["now_ms"], now);
    let fault = json!({"match": {"vendor": "udesk"}, "times": 1,
                       "fault": {"kind": "vendor_error", "code": "100004"}});
    let r = sb_admin(emu, &sb, "POST", "/faults", Some(fault));
    assert_eq!(r.status, 200, "{}", r.text);
    let r = udesk_as(emu, &sb, now, "GET", "/agents", None);
    assert_eq!(r.json["ErrCode"], "100004", "{}", r.text);
    keep(r);
    let r = udesk_as(
        emu,
        &sb,
        now,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7001", "WorkId": "701", "IsCreateExtension": 1})),
    );
    assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
    keep(r);
    let r = nx_as(
        emu,
        &sb,
        now,
        "agentGroup/member/list",
        &json!({"tenantId": sb.nx_tenant, "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    keep(r);
    let r = hw_token_as(emu, &sb);
    assert_eq!(r.status, 200, "{}", r.text);
    let token = r.json["AccessToken"].as_str().unwrap().to_string();
    keep(r);
    let r = send(
        "GET",
        &format!("{}/apiaccess/CC-Mangemant/v1/querySysInfo", emu.url()),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    keep(r);
    // Seven vendor requests were this sandbox's; the journal view counts exactly those.
    let r = sb_admin(emu, &sb, "GET", "/requests/count", None);
    assert_eq!(r.json["count"], 7, "{}", r.text);
    keep(r);
    let r = sb_admin(emu, &sb, "GET", "/requests?fault=vendor_error", None);
    assert_eq!(
        r.json["requests"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    out
}

#[test]
fn thirty_two_sandboxes_in_parallel_behave_as_each_alone() {
    let shared = start();
    let together: Vec<Vec<(u16, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let emu = &shared;
                s.spawn(move || script(emu, &format!("w{i}"), T + i as i64 * 3_600_000))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // The global clock and rules were never touched.
    let clock = admin(&shared, "GET", "/clock", None);
    assert_eq!(clock.json["frozen"], false);
    assert_eq!(
        admin(&shared, "GET", "/faults", None).json["faults"],
        json!([])
    );
    // No sandbox's agent reached the demo tenant.
    assert_ne!(
        udesk(&shared, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    drop(shared);
    for (i, seen) in together.iter().enumerate() {
        let alone = start();
        let expected = script(&alone, &format!("w{i}"), T + i as i64 * 3_600_000);
        assert_eq!(seen.len(), expected.len(), "sandbox w{i}");
        for (n, (a, b)) in seen.iter().zip(&expected).enumerate() {
            assert_eq!(a, b, "sandbox w{i}, answer {n}");
        }
    }
}

#[test]
fn credentials_never_reach_another_sandbox() {
    let emu = start();
    freeze_at(&emu, T);
    let a = create(&emu, "a");
    let b = create(&emu, "b");
    for sb in [&a, &b] {
        freeze(&emu, sb, T);
    }
    // Udesk: an agent made in A exists in A only.
    let r = udesk_as(
        &emu,
        &a,
        T,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7001", "WorkId": "701"})),
    );
    assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
    assert_eq!(
        udesk_as(&emu, &a, T, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    assert_ne!(
        udesk_as(&emu, &b, T, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    assert_ne!(
        udesk(&emu, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    // A's Sid and token with B's AppId: refused.
    let mixed = Sb {
        app_id: b.app_id.clone(),
        ..a.clone()
    };
    assert_ne!(
        udesk_as(&emu, &mixed, T, "GET", "/agents", None).json["ErrCode"],
        "000000"
    );
    // NXCloud: A's key cannot name B's team or the demo team.
    for other in [b.nx_tenant, NX_TENANT] {
        let r = nx_as(
            &emu,
            &a,
            T,
            "agentGroup/member/list",
            &json!({"tenantId": other, "queueNo": "NXQueue0001"}),
        );
        assert_ne!(r.json["code"], 0, "{}", r.text);
    }
    // NXCloud: a change in A is not seen by B.
    let r = nx_as(
        &emu,
        &a,
        T,
        "agentGroup/updateMembers",
        &json!({"tenantId": a.nx_tenant, "queueNo": "NXQueue0001", "members": []}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    let members = |sb: &Sb| {
        nx_as(
            &emu,
            sb,
            T,
            "agentGroup/member/list",
            &json!({"tenantId": sb.nx_tenant, "queueNo": "NXQueue0001"}),
        )
        .json["data"]
            .clone()
    };
    assert_ne!(members(&a), members(&b));
    // Huawei: A's token answers for A's tenant; B's app secret does not open A's app.
    let r = hw_token_as(
        &emu,
        &Sb {
            hw_secret: b.hw_secret.clone(),
            ..a.clone()
        },
    );
    assert_ne!(r.status, 200);
    let tok_a = hw_token_as(&emu, &a).json["AccessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let tok_b = hw_token_as(&emu, &b).json["AccessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(tok_a, tok_b);
    // Journal views: each sees its own requests only.
    let ja = sb_admin(&emu, &a, "GET", "/requests", None);
    let tenants_a: Vec<&str> = ja.json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["tenant"].as_str())
        .collect();
    assert!(!tenants_a.is_empty());
    assert!(
        tenants_a.iter().all(
            |t| [a.app_id.as_str(), &a.nx_tenant.to_string()].contains(t) || t.starts_with("sb-")
        ),
        "{tenants_a:?}"
    );
    assert!(!tenants_a.contains(&b.app_id.as_str()));
}

#[test]
fn sandbox_rules_and_clocks_stay_inside_and_global_ones_outside() {
    let emu = start();
    let a = create(&emu, "a");
    let now_a = admin(&emu, "GET", "/clock?sandbox=a", None).json["now_ms"]
        .as_i64()
        .unwrap();
    // A sandbox rule fails A's requests only.
    let r = sb_admin(
        &emu,
        &a,
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "vendor_error", "code": "100004"}})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        udesk_as(&emu, &a, now_a, "GET", "/agents", None).json["ErrCode"],
        "100004"
    );
    assert_eq!(
        udesk(&emu, "GET", "/agents", None).json["ErrCode"],
        "000000"
    );
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"],
        json!([])
    );
    assert_eq!(
        sb_admin(&emu, &a, "GET", "/faults", None).json["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(sb_admin(&emu, &a, "DELETE", "/faults", None).status, 200);
    // A global rule fails global requests only.
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "vendor_error", "code": "100004"}})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        udesk(&emu, "GET", "/agents", None).json["ErrCode"],
        "100004"
    );
    let now_a = admin(&emu, "GET", "/clock?sandbox=a", None).json["now_ms"]
        .as_i64()
        .unwrap();
    assert_eq!(
        udesk_as(&emu, &a, now_a, "GET", "/agents", None).json["ErrCode"],
        "000000"
    );
    admin(&emu, "DELETE", "/faults", None);
    // Freezing A's clock a day back leaves the global clock running on real time.
    freeze(&emu, &a, T);
    assert_eq!(
        udesk_as(&emu, &a, T, "GET", "/agents", None).json["ErrCode"],
        "000000"
    );
    assert_ne!(
        udesk(&emu, "GET", "/agents", None).json["ErrCode"],
        "100004"
    );
    assert_eq!(admin(&emu, "GET", "/clock", None).json["frozen"], false);
    // The demo credentials signed on A's clock are refused: they live on the global one.
    let q = udesk_query(T);
    let r = send(
        "GET",
        &format!("{}/ccapi/v2/agents?{q}", emu.url()),
        &[],
        None,
    );
    assert_ne!(r.json["ErrCode"], "000000");
    // Unknown sandbox, and a path that takes no sandbox.
    assert_eq!(admin(&emu, "GET", "/clock?sandbox=nope", None).status, 404);
    assert_eq!(admin(&emu, "GET", "/state?sandbox=a", None).status, 400);
}

#[test]
fn reset_restores_a_sandbox_and_a_global_reset_leaves_it_alone() {
    let emu = start();
    let a = create(&emu, "a");
    freeze(&emu, &a, T);
    let make = || {
        udesk_as(
            &emu,
            &a,
            T,
            "POST",
            "/agents",
            Some(json!({"AgentId": "7001", "WorkId": "701", "IsCreateExtension": 1})),
        )
    };
    let first = make();
    assert_eq!(first.json["ErrCode"], "000000", "{}", first.text);
    // A global reset keeps the sandbox's tenants and its changes.
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert_eq!(
        udesk_as(&emu, &a, T, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    // The sandbox's own reset puts it back as made, with the same generated values again.
    sb_admin(
        &emu,
        &a,
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "vendor_error", "code": "100004"}})),
    );
    assert_eq!(admin(&emu, "POST", "/sandboxes/a/reset", None).status, 200);
    assert_eq!(
        sb_admin(&emu, &a, "GET", "/faults", None).json["faults"],
        json!([])
    );
    assert_ne!(
        udesk_as(&emu, &a, T, "GET", "/agents/7001", None).json["ErrCode"],
        "000000"
    );
    let second = make();
    assert_eq!(
        first.text, second.text,
        "the sandbox's RNG restarts at reset"
    );
    // Its clock is left as it was (frozen at T), as a global reset leaves the global clock.
    assert_eq!(
        admin(&emu, "GET", "/clock?sandbox=a", None).json["now_ms"],
        T
    );
}

#[test]
fn deleting_frees_the_sandbox_and_its_tenants() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).text.len();
    let made: Vec<Sb> = (0..32).map(|i| create(&emu, &format!("m{i}"))).collect();
    for sb in &made {
        assert_eq!(hw_token_as(&emu, sb).status, 200);
    }
    assert_eq!(emu.ctx().model().tenants.len(), 3 + 32 * 3);
    assert_eq!(admin(&emu, "GET", "/sandboxes", None).json["count"], 32);
    for sb in &made {
        let r = admin(&emu, "DELETE", &format!("/sandboxes/{}", sb.id), None);
        assert_eq!(r.status, 200, "{}", r.text);
    }
    assert_eq!(admin(&emu, "GET", "/sandboxes", None).json["count"], 0);
    assert!(emu.ctx().sandboxes.is_empty());
    assert_eq!(emu.ctx().model().tenants.len(), 3);
    assert_eq!(
        emu.ctx().model().tokens.len(),
        0,
        "the sandboxes' tokens went with them"
    );
    assert_eq!(admin(&emu, "GET", "/state", None).text.len(), before);
    // Their credentials no longer work, and the id is free again.
    assert_ne!(hw_token_as(&emu, &made[0]).status, 200);
    assert_eq!(admin(&emu, "DELETE", "/sandboxes/m0", None).status, 404);
    create(&emu, "m0");
}

#[test]
fn the_cap_is_a_clear_error_and_ids_are_checked() {
    let emu = start_with(Config {
        max_sandboxes: 2,
        ..Config::ephemeral()
    });
    create(&emu, "one");
    let r = admin(&emu, "POST", "/sandboxes", Some(json!({"id": "one"})));
    assert_eq!(r.status, 400, "{}", r.text);
    let r = admin(&emu, "POST", "/sandboxes", Some(json!({"id": "bad id!"})));
    assert_eq!(r.status, 400, "{}", r.text);
    // No body at all numbers the sandbox.
    let r = admin(&emu, "POST", "/sandboxes", None);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = admin(&emu, "POST", "/sandboxes", Some(json!({})));
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(
        r.json["message"]
            .as_str()
            .unwrap()
            .contains("--max-sandboxes"),
        "{}",
        r.text
    );
}

#[test]
fn a_sandbox_from_a_fixture_fragment_has_those_tenants_only() {
    let emu = start();
    let from = json!({"tenants": [{"id": "t1", "name": "Mine", "credentials": {"vendor": "nxcloud", "access_key": "k", "access_secret": "s"}}]});
    let r = admin(
        &emu,
        "POST",
        "/sandboxes",
        Some(json!({"id": "f", "from": from})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["tenants"][0]["name"], "Mine");
    assert_ne!(
        r.json["nxcloud"]["accessKey"], "k",
        "credentials are always fresh"
    );
    assert!(r.json.get("udesk").is_none());
    let bad = admin(
        &emu,
        "POST",
        "/sandboxes",
        Some(json!({"from": {"tenants": [{"agnets": []}]}})),
    );
    assert_eq!(bad.status, 400, "{}", bad.text);
}

#[test]
fn an_idle_sandbox_expires_after_its_ttl() {
    let emu = start_with(Config {
        sandbox_ttl: Some(Duration::from_millis(300)),
        ..Config::ephemeral()
    });
    create(&emu, "idle");
    let busy = create(&emu, "busy");
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(hw_token_as(&emu, &busy).status, 200);
    }
    let list = admin(&emu, "GET", "/sandboxes", None);
    let ids: Vec<&str> = list.json["sandboxes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, ["busy"], "{}", list.text);
    assert_eq!(emu.ctx().model().tenants.len(), 6);
}

/// Webhook deliveries of a sandboxed tenant are timed on the sandbox's clock: a retry waits for
/// that clock, not the global one.
#[test]
fn deliveries_retry_on_the_sandbox_clock() {
    let emu = start();
    let rx = common::receiver::Receiver::start();
    rx.answer_next(&[500]);
    let a = create(&emu, "hooks");
    freeze(&emu, &a, T);
    let r = udesk_as(
        &emu,
        &a,
        T,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": rx.url, "events": ["general_hangup"], "name": "s"}]}),
        ),
    );
    assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
    let r = admin(
        &emu,
        "POST",
        "/events",
        Some(json!({"tenant": a.app_id, "event": "general_hangup", "fields": {"call_id": "c-1"}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rx.wait_for(1, Duration::from_secs(10)).len(), 1);
    // The retry is due 1 s later on the sandbox's clock, which stands still: none comes, however
    // long the global clock runs on.
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(rx.hits().len(), 1);
    let log = sb_admin(&emu, &a, "GET", "/webhooks/deliveries", None);
    assert_eq!(log.json["count"], 1, "{}", log.text);
    sb_admin(
        &emu,
        &a,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 1_000})),
    );
    assert_eq!(rx.wait_for(2, Duration::from_secs(10)).len(), 2);
    // Nothing of it shows in the global tenants' view of another sandbox.
    let b = create(&emu, "other");
    assert_eq!(
        sb_admin(&emu, &b, "GET", "/webhooks/deliveries", None).json["count"],
        0
    );
}

#[test]
fn the_state_file_keeps_no_sandbox() {
    let dir = Scratch::new("sandbox-state");
    let path = dir.path("state.json");
    let emu = start_with(Config {
        state_file: Some(path.clone()),
        ..Config::ephemeral()
    });
    let a = create(&emu, "a");
    assert_eq!(hw_token_as(&emu, &a).status, 200);
    drop(emu);
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let text = saved.to_string();
    assert!(
        !text.contains(&a.app_id) && !text.contains(&a.hw_key),
        "{text}"
    );
    let emu = start_with(Config {
        state_file: Some(path),
        ..Config::ephemeral()
    });
    assert_eq!(emu.ctx().model().tenants.len(), 3);
}
