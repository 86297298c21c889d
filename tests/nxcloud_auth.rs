//! NXCloud authentication: the signature over sorted headers + raw body + secret, the 60-second
//! window on the virtual clock, the check order, every refusal row, regions by host, and the
//! envelope of refusals the server core makes (404, 405, 413).

mod common;
use ccemu::http::ApiRequest;
use ccemu::model::Vendor;
use ccemu::{vendors, Config};
use common::*;
use hyper::Method;
use proptest::prelude::*;
use serde_json::{json, Value};

const T: i64 = 1_704_650_000_000;
const MEMBER_LIST: &[u8] = br#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    for (k, v) in headers.iter_mut() {
        if k.eq_ignore_ascii_case(name) {
            *v = value.to_string();
        }
    }
}

fn without(headers: &[(String, String)], name: &str) -> Vec<(String, String)> {
    headers.iter().filter(|(k, _)| k != name).cloned().collect()
}

fn is_req_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A refusal in the vendor's shape: HTTP 200, the code and msg, `data: {}`, a fresh reqId.
fn assert_refused(r: &Resp, code: i64, msg: &str) {
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["code"], code, "{}", r.text);
    assert_eq!(r.json["msg"], msg, "{}", r.text);
    assert_eq!(r.json["data"], json!({}), "{}", r.text);
    assert!(is_req_id(&r.json["reqId"]), "{}", r.text);
}

#[test]
fn the_published_vectors_verify_with_the_clients_signer() {
    let s = |body: &str| {
        nx_sign(
            "fme2na3kdi3ki",
            "1655710885431",
            "1",
            "send",
            body.as_bytes(),
            "abciiiko2k3",
            false,
        )
    };
    assert_eq!(
        s(r#"{"name":"牛小信","id":10001}"#),
        "87c3560d3331ae23f1021e2025722354"
    );
    assert_eq!(
        s(r#"{"id":10001,"name":"牛小信"}"#),
        "7750759da06333f20d0640be09355e34"
    );
    assert_eq!(
        s(r#"{"id": 10001, "name": "牛小信"}"#),
        "d0c24a9886c629330d7f3f2056c65bc2"
    );
    assert_eq!(s(""), "884afe159e39b6c88a0d6102ca97d704");
    let sha = nx_sign(
        "fme2na3kdi3ki",
        "1655710885431",
        "1",
        "send",
        r#"{"name":"牛小信","id":10001}"#.as_bytes(),
        "abciiiko2k3",
        true,
    );
    assert_eq!(
        sha,
        "e0eec2c99ef80f269a82795e2223f618ebfc0616c8b6c8c7d438021ec38ad0eb"
    );
}

#[test]
fn a_signed_call_succeeds_and_every_answer_has_a_fresh_req_id() {
    let emu = start();
    freeze_at(&emu, T);
    let a = nx_send(
        &emu,
        "agentGroup/member/list",
        &nx_headers(T, MEMBER_LIST),
        MEMBER_LIST,
    );
    let b = nx_send(
        &emu,
        "agentGroup/member/list",
        &nx_headers(T, MEMBER_LIST),
        MEMBER_LIST,
    );
    assert_eq!(
        (a.status, a.json["code"].as_i64()),
        (200, Some(0)),
        "{}",
        a.text
    );
    assert_eq!(a.json["msg"], "Success");
    assert!(is_req_id(&a.json["reqId"]) && is_req_id(&b.json["reqId"]));
    assert_ne!(a.json["reqId"], b.json["reqId"]);
    // Header names are case-insensitive.
    let lower: Vec<(String, String)> = nx_headers(T, MEMBER_LIST)
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let r = nx_send(&emu, "agentGroup/member/list", &lower, MEMBER_LIST);
    assert_eq!(r.json["code"], 0, "{}", r.text);
}

#[test]
fn sha256_is_chosen_by_the_algorithm_header() {
    let emu = start();
    freeze_at(&emu, T);
    let ts = T.to_string();
    let sign = nx_sign(NX_ACCESS_KEY, &ts, "8", "cc", MEMBER_LIST, NX_SECRET, true);
    let mut h = nx_headers(T, MEMBER_LIST);
    set(&mut h, "sign", &sign);
    h.push(("algorithm".into(), "sha256".into()));
    let r = nx_send(&emu, "agentGroup/member/list", &h, MEMBER_LIST);
    assert_eq!(r.json["code"], 0, "{}", r.text);
    // The same sha256 sign without the header is checked as md5, and fails.
    let r = nx_send(
        &emu,
        "agentGroup/member/list",
        &without(&h, "algorithm"),
        MEMBER_LIST,
    );
    assert_refused(&r, 1003, "Invalid signature");
    // An unknown algorithm is a parameter error; values are matched exactly, case included.
    for other in ["sha1", "SHA256", "Sha256", "MD5", ""] {
        set(&mut h, "algorithm", other);
        let r = nx_send(&emu, "agentGroup/member/list", &h, MEMBER_LIST);
        assert_refused(&r, 1002, "Parameter error");
    }
}

#[test]
fn every_authentication_refusal_row() {
    let emu = start();
    freeze_at(&emu, T);
    let op = "agentGroup/member/list";
    let good = nx_headers(T, MEMBER_LIST);
    for name in ["accessKey", "ts", "bizType", "action", "sign"] {
        let r = nx_send(&emu, op, &without(&good, name), MEMBER_LIST);
        assert_refused(&r, 1001, "Missing common parameters");
        assert!(
            r.header("x-ccemu-detail")
                .unwrap_or_default()
                .contains(name),
            "{name}"
        );
        let mut empty = good.clone();
        set(&mut empty, name, "");
        let r = nx_send(&emu, op, &empty, MEMBER_LIST);
        assert_eq!(r.json["code"], 1001, "empty {name}");
    }
    // Wrong bizType / action (even when signed with them).
    for (name, value) in [("bizType", "1"), ("action", "send")] {
        let mut h = good.clone();
        set(&mut h, name, value);
        let r = nx_send(&emu, op, &h, MEMBER_LIST);
        // The table's text exactly, like the other authentication codes; the cause is a header.
        assert_refused(&r, 1002, "Parameter error");
        assert!(r
            .header("x-ccemu-detail")
            .unwrap_or_default()
            .contains(name));
    }
    // Unknown accessKey.
    let mut h = good.clone();
    set(&mut h, "accessKey", "nobody");
    assert_refused(
        &nx_send(&emu, op, &h, MEMBER_LIST),
        1005,
        "Insufficient permissions",
    );
    // ts: seconds, not a number, and outside the window.
    for ts in [
        (T / 1000).to_string(),
        "abc".into(),
        "-5".into(),
        (T + 60_001).to_string(),
    ] {
        let mut h = good.clone();
        set(&mut h, "ts", &ts);
        assert_refused(
            &nx_send(&emu, op, &h, MEMBER_LIST),
            1004,
            "Timestamp has expired",
        );
    }
    // Wrong sign, and the right one in upper case (the rule says lowercase hex).
    let mut h = good.clone();
    set(&mut h, "sign", "6e9506557d1f289501d333ee2c365826");
    assert_refused(
        &nx_send(&emu, op, &h, MEMBER_LIST),
        1003,
        "Invalid signature",
    );
    let upper = good
        .iter()
        .find(|(k, _)| k == "sign")
        .unwrap()
        .1
        .to_ascii_uppercase();
    set(&mut h, "sign", &upper);
    assert_refused(
        &nx_send(&emu, op, &h, MEMBER_LIST),
        1003,
        "Invalid signature",
    );
    // Another team's tenantId, correctly signed.
    let body = br#"{"tenantId":145,"queueNo":"NXQueue0001"}"#;
    let r = nx_send(&emu, op, &nx_headers(T, body), body);
    assert_refused(&r, 1005, "Insufficient permissions");
    // The body is signed byte for byte: the same JSON re-spaced is a different signature.
    let spaced = br#"{"tenantId": 144, "queueNo": "NXQueue0001"}"#;
    let r = nx_send(&emu, op, &nx_headers(T, MEMBER_LIST), spaced);
    assert_refused(&r, 1003, "Invalid signature");
}

#[test]
fn checks_run_in_the_documented_order() {
    let emu = start();
    freeze_at(&emu, T);
    let op = "agentGroup/member/list";
    // Everything wrong at once, then fixed one step at a time.
    let mut h = nx_headers(T, MEMBER_LIST);
    set(&mut h, "bizType", "1");
    set(&mut h, "accessKey", "nobody");
    set(&mut h, "ts", "1");
    set(&mut h, "sign", "0");
    let missing = without(&h, "action");
    assert_eq!(nx_send(&emu, op, &missing, MEMBER_LIST).json["code"], 1001);
    set(&mut h, "action", "cc");
    assert_eq!(nx_send(&emu, op, &h, MEMBER_LIST).json["code"], 1002);
    set(&mut h, "bizType", "8");
    assert_eq!(nx_send(&emu, op, &h, MEMBER_LIST).json["code"], 1005);
    set(&mut h, "accessKey", NX_ACCESS_KEY);
    assert_eq!(nx_send(&emu, op, &h, MEMBER_LIST).json["code"], 1004);
    set(&mut h, "ts", &T.to_string());
    assert_eq!(nx_send(&emu, op, &h, MEMBER_LIST).json["code"], 1003);
    // Signature before body: a bad body with a bad sign is 1003, with a good sign 1002.
    let bad = b"{not json";
    let mut h = nx_headers(T, bad);
    let r = nx_send(&emu, op, &h, bad);
    assert_eq!(r.json["code"], 1002, "{}", r.text);
    set(&mut h, "sign", "0");
    assert_eq!(nx_send(&emu, op, &h, bad).json["code"], 1003);
}

fn code_at(emu: &ccemu::Emulator, ts: i64) -> i64 {
    let r = nx_send(
        emu,
        "agentGroup/member/list",
        &nx_headers(ts, MEMBER_LIST),
        MEMBER_LIST,
    );
    r.json["code"].as_i64().unwrap()
}

#[test]
fn sixty_second_window_on_a_frozen_and_on_a_moved_clock() {
    let emu = start();
    freeze_at(&emu, T);
    for skew in [-60_000, 0, 60_000] {
        assert_eq!(code_at(&emu, T + skew), 0, "frozen, skew {skew}");
    }
    for skew in [-60_001, 60_001, -3_600_000] {
        assert_eq!(code_at(&emu, T + skew), 1004, "frozen, skew {skew}");
    }
    // Move the frozen clock an hour on: the window moves with it.
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"advance_ms": 3_600_000})),
    );
    assert_eq!(r.status, 200);
    let t2 = T + 3_600_000;
    assert_eq!(code_at(&emu, T), 1004, "the old instant is an hour stale");
    for skew in [-60_000, 60_000] {
        assert_eq!(code_at(&emu, t2 + skew), 0, "moved, skew {skew}");
    }
    for skew in [-60_001, 60_001] {
        assert_eq!(code_at(&emu, t2 + skew), 1004, "moved, skew {skew}");
    }
    // A running clock set far from real time: the window follows the virtual clock.
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"frozen": false, "now_ms": T})),
    );
    assert_eq!(r.status, 200);
    let now = now_ms(&emu);
    assert!((T..T + 30_000).contains(&now));
    assert_eq!(code_at(&emu, now + 50_000), 0);
    assert_eq!(code_at(&emu, now - 50_000), 0);
    assert_eq!(code_at(&emu, now + 90_000), 1004);
    assert_eq!(code_at(&emu, now - 90_000), 1004);
}

#[test]
fn regions_pin_a_team_to_its_gateways() {
    let emu = start();
    freeze_at(&emu, T);
    let with_host = |host: &str| {
        let mut h = nx_headers(T, MEMBER_LIST);
        h.push(("Host".into(), host.into()));
        nx_send(&emu, "agentGroup/member/list", &h, MEMBER_LIST)
    };
    // By default every host answers.
    for host in [
        "api2.nxcloud.com",
        "api-hk.nxlink.ai",
        "chl-api.nxlink.ai",
        "api-idn.nxlink.ai",
        "localhost",
    ] {
        assert_eq!(with_host(host).json["code"], 0, "{host}");
    }
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": "144", "credentials": {"vendor": "nxcloud", "regions": ["hk", "idn"]}}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for host in [
        "api-hk.nxlink.ai",
        "API-IDN.nxlink.ai:443",
        "127.0.0.1",
        "localhost",
        "emulator.test",
    ] {
        assert_eq!(with_host(host).json["code"], 0, "{host}");
    }
    for host in ["api2.nxcloud.com", "chl-api.nxlink.ai"] {
        let r = with_host(host);
        assert_refused(&r, 1005, "Insufficient permissions");
    }
}

#[test]
fn refusals_of_the_server_core_are_vendor_shaped() {
    let emu = start_with(Config {
        body_limit: 1024,
        ..Config::ephemeral()
    });
    freeze_at(&emu, T);
    // Unknown path: 404 in the envelope.
    let r = nx_send(
        &emu,
        "agent/nothing",
        &nx_headers(T, MEMBER_LIST),
        MEMBER_LIST,
    );
    assert_eq!(
        (r.status, r.json["code"].as_i64()),
        (404, Some(88)),
        "{}",
        r.text
    );
    assert!(is_req_id(&r.json["reqId"]));
    assert_eq!(r.json["data"], json!({}));
    // Wrong method: 405.
    let h: Vec<(&str, &str)> = vec![];
    let r = send(
        "GET",
        &format!("{}/saas/cc/openapi/agentGroup/member/list", emu.url()),
        &h,
        None,
    );
    assert_eq!(
        (r.status, r.json["code"].as_i64()),
        (405, Some(88)),
        "{}",
        r.text
    );
    // A body over the limit: 413, Parameter error.
    let big = vec![b' '; 4096];
    let r = nx_send(&emu, "agentGroup/member/list", &nx_headers(T, &big), &big);
    assert_eq!(
        (r.status, r.json["code"].as_i64()),
        (413, Some(1002)),
        "{}",
        r.text
    );
    assert!(is_req_id(&r.json["reqId"]));
}

#[test]
fn fault_hooks_know_the_codes_and_operations() {
    let emu = start();
    let nx = vendors::by_vendor(Vendor::Nxcloud);
    let req = ApiRequest::new(Method::POST, "/saas/cc/openapi/agent/status/info");
    assert_eq!(nx.operation(&req), Some("agent/status/info"));
    assert_eq!(
        nx.operation(&ApiRequest::new(
            Method::POST,
            "/saas/cc/openapi/agentGroup/member/list"
        )),
        Some("agentGroup/member/list")
    );
    assert_eq!(
        nx.operation(&ApiRequest::new(Method::POST, "/saas/cc/openapi/nothing")),
        None
    );
    for (code, msg) in [
        (88, "Request failed"),
        (99, "System error"),
        (1001, "Missing common parameters"),
        (1002, "Parameter error"),
        (1003, "Invalid signature"),
        (1004, "Timestamp has expired"),
        (1005, "Insufficient permissions"),
    ] {
        let reply = nx
            .error_for_code(emu.ctx(), &req, &code.to_string())
            .expect("known code");
        let body = reply.json_body().unwrap();
        assert_eq!(
            (reply.status.as_u16(), &body["code"], &body["msg"]),
            (200, &json!(code), &json!(msg))
        );
        assert_eq!(body["data"], json!({}));
        assert!(is_req_id(&body["reqId"]));
        assert_eq!(reply.meta.operation, Some("agent/status/info"));
    }
    assert!(nx.error_for_code(emu.ctx(), &req, "41000").is_some());
    assert!(nx.error_for_code(emu.ctx(), &req, "1000").is_none());
    assert!(nx.error_for_code(emu.ctx(), &req, "abc").is_none());
}

#[derive(Debug, Clone)]
enum Tamper {
    None,
    SignedTs(i64),
    SignedAccessKey(String),
    SignedBizType(String),
    SignedAction(String),
    BodyByte(usize, u8),
    Secret(String),
    OtherAlgorithm,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        3 => Just(Tamper::None),
        1 => (1i64..100_000).prop_map(Tamper::SignedTs),
        1 => "[a-z0-9]{1,16}".prop_filter("differs", |k| k != NX_ACCESS_KEY).prop_map(Tamper::SignedAccessKey),
        1 => "[0-9]{1,2}".prop_filter("differs", |v| v != "8").prop_map(Tamper::SignedBizType),
        1 => "[a-z]{1,4}".prop_filter("differs", |v| v != "cc").prop_map(Tamper::SignedAction),
        1 => (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Tamper::BodyByte(i, x)),
        1 => "[ -~]{0,20}".prop_filter("differs", |s| s != NX_SECRET).prop_map(Tamper::Secret),
        1 => Just(Tamper::OtherAlgorithm),
    ]
}

#[test]
fn the_sign_check_accepts_exactly_the_valid_signatures() {
    let emu = start();
    freeze_at(&emu, T);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 96,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(
                any::<String>(),
                any::<bool>(),
                0i64..=60_000,
                any::<bool>(),
                tamper(),
            ),
            |(note, sha256, skew, ahead, tamper)| {
                let ts = if ahead { T + skew } else { T - skew };
                let sent = serde_json::to_vec(
                    &json!({"tenantId": 144, "queueNo": "NXQueue0001", "note": note}),
                )
                .unwrap();
                let mut signed_body = sent.clone();
                let (mut ts_s, mut key, mut biz, mut action, mut secret, mut algo) = (
                    ts.to_string(),
                    NX_ACCESS_KEY.to_string(),
                    "8".to_string(),
                    "cc".to_string(),
                    NX_SECRET.to_string(),
                    sha256,
                );
                match &tamper {
                    Tamper::None => {}
                    Tamper::SignedTs(d) => ts_s = (ts - d).to_string(),
                    Tamper::SignedAccessKey(k) => key = k.clone(),
                    Tamper::SignedBizType(b) => biz = b.clone(),
                    Tamper::SignedAction(a) => action = a.clone(),
                    Tamper::BodyByte(i, x) => {
                        let i = i % signed_body.len();
                        signed_body[i] ^= x;
                    }
                    Tamper::Secret(s) => secret = s.clone(),
                    Tamper::OtherAlgorithm => algo = !algo,
                }
                let sign = nx_sign(&key, &ts_s, &biz, &action, &signed_body, &secret, algo);
                let mut h = nx_headers(ts, &sent);
                set(&mut h, "sign", &sign);
                if sha256 {
                    h.push(("algorithm".into(), "sha256".into()));
                }
                let r = nx_send(&emu, "agentGroup/member/list", &h, &sent);
                let expected = if matches!(tamper, Tamper::None) {
                    0
                } else {
                    1003
                };
                prop_assert_eq!(
                    r.json["code"].as_i64(),
                    Some(expected),
                    "{:?}: {}",
                    tamper,
                    r.text
                );
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn correctly_signed_random_bodies_get_an_envelope_never_a_crash() {
    let emu = start();
    freeze_at(&emu, T);
    let ops = [
        "agent/page",
        "agent/status/info",
        "agentGroup/page",
        "agentGroup/member/list",
        "agentGroup/updateMembers",
    ];
    let before = admin(&emu, "GET", "/state", None).json;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "\\{\"tenantId\":144(,\"[a-zA-Z]{1,12}\":(null|true|-?[0-9]{1,20}|\"[ -~]{0,8}\"|\\[\\]|\\{\\}))*\\}"
            .prop_map(String::into_bytes),
    ];
    runner
        .run(&(body, prop::sample::select(ops.to_vec())), |(body, op)| {
            let r = nx_send(&emu, op, &nx_headers(T, &body), &body);
            prop_assert_eq!(r.status, 200, "{}", r.text);
            let code = r.json["code"].as_i64();
            prop_assert!(matches!(code, Some(0 | 1002 | 41000)), "{}: {}", op, r.text);
            prop_assert!(is_req_id(&r.json["reqId"]));
            Ok(())
        })
        .unwrap();
    // Random member lists never matched a SIP number and bodies never reached a write.
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
}

#[test]
fn a_null_body_is_signed_like_an_empty_one() {
    let emu = start();
    freeze_at(&emu, T);
    let op = "agentGroup/member/list";
    let ts = T.to_string();
    for body in [&b"null"[..], b" null\n"] {
        // The convention leaves an empty or null body out of the string to sign: the signature
        // holds, and the body itself is then refused as a parameter error.
        let mut h = nx_headers(T, b"");
        let r = nx_send(&emu, op, &h, body);
        assert_eq!(r.json["code"], 1002, "{}", r.text);
        assert_eq!(r.json["data"], json!({}));
        // Signing `&body=null` is not what the vendor checks.
        let with_body = nx_sign(NX_ACCESS_KEY, &ts, "8", "cc", body, NX_SECRET, false);
        set(&mut h, "sign", &with_body);
        assert_refused(&nx_send(&emu, op, &h, body), 1003, "Invalid signature");
    }
}

#[test]
fn a_clock_far_before_the_epoch_refuses_a_huge_ts_without_overflow() {
    let emu = start();
    let before_epoch = -9_000_000_000_000_000_000;
    freeze_at(&emu, before_epoch);
    let mut h = nx_headers(before_epoch, MEMBER_LIST);
    set(&mut h, "ts", &i64::MAX.to_string());
    let r = nx_send(&emu, "agentGroup/member/list", &h, MEMBER_LIST);
    assert_refused(&r, 1004, "Timestamp has expired");
}
