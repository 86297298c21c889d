//! Huawei CEC properties: no request without a live token reaches a handler, and random bytes as
//! a body never panic the server nor change its state.

mod common;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};

/// Every documented `/apiaccess/` path (the token exchange needs no token and is left out).
const API_PATHS: &[&str] = &[
    "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
    "/apiaccess/CC-Management/v1/queryAgentInfo",
    "/apiaccess/CC-Mangemant/v1/querySysInfo",
    "/apiaccess/CC-Management/v1/querySysInfo",
    "/apiaccess/CC-Management/v1/queryAgentLoginParams",
    "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount",
    "/apiaccess/rest/cc-management/v1/agentAccount/query",
    "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
    "/apiaccess/rest/cc-management/v1/skill/querySkills",
    "/apiaccess/rest/cc-management/v1/skill/deleteSkill",
];

const POST_PATHS: &[&str] = &[
    HW_TOKEN_PATH,
    "/apiaccess/CC-Management/v1/queryAgentLoginParams",
    "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount",
    "/apiaccess/rest/cc-management/v1/agentAccount/query",
    "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
    "/apiaccess/rest/cc-management/v1/skill/querySkills",
    "/apiaccess/rest/cc-management/v1/skill/deleteSkill",
];

/// Header names a client library owns or that would make the request malformed on the wire.
const RESERVED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "expect",
    "upgrade",
    "te",
    "trailer",
    "authorization",
    "x-app-key",
];

fn path() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9_-]{1,12}";
    prop_oneof![
        proptest::sample::select(API_PATHS).prop_map(str::to_string),
        proptest::collection::vec(segment, 1..5)
            .prop_map(|s| format!("/apiaccess/{}", s.join("/"))),
        proptest::collection::vec(segment, 1..5)
            .prop_map(|s| format!("/apigovernance/{}", s.join("/")))
            .prop_filter("not the token exchange", |p| p != HW_TOKEN_PATH),
    ]
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Random(String),
    UnknownToken(String),
    Expired { scheme: String },
    LiveWrongAppKey(String),
    LiveBadSpacing,
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        Just(Auth::None),
        "[!-~][ -~]{0,40}".prop_map(Auth::Random),
        "[0-9a-f]{32}".prop_map(Auth::UnknownToken),
        prop::sample::select(vec!["Bearer", "bearer", "BEARER", "BeArEr"]).prop_map(|s| {
            Auth::Expired {
                scheme: s.to_string(),
            }
        }),
        "[A-Za-z0-9-]{1,36}"
            .prop_filter("not the app key", |k| k != HW_APP_KEY)
            .prop_map(Auth::LiveWrongAppKey),
        Just(Auth::LiveBadSpacing),
    ]
}

fn extra_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(
        (
            "[A-Za-z][A-Za-z0-9-]{0,15}".prop_filter("not reserved", |n| {
                !RESERVED.contains(&n.to_ascii_lowercase().as_str())
            }),
            "[ -~]{0,30}".prop_map(|v| v.trim().to_string()),
        ),
        0..4,
    )
}

#[test]
fn no_request_without_a_live_token_reaches_a_handler() {
    let emu = start();
    let now = 1_700_000_000_000;
    freeze_at(&emu, now);
    let live = hw_token(&emu);
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, Some("1"));
    let expired = r.json["AccessToken"].as_str().unwrap().to_string();
    freeze_at(&emu, now + 1_000);

    let methods = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]);
    let body = proptest::collection::vec(any::<u8>(), 0..64);
    let mut runner = TestRunner::new(PropConfig {
        cases: 160,
        failure_persistence: None,
        ..PropConfig::default()
    });
    runner
        .run(
            &(path(), methods, auth(), extra_headers(), body),
            |(path, method, auth, extra, body)| {
                let mut headers: Vec<(String, String)> = extra;
                match &auth {
                    Auth::None => {}
                    Auth::Random(v) => headers.push(("Authorization".into(), v.clone())),
                    Auth::UnknownToken(t) => {
                        headers.push(("Authorization".into(), format!("Bearer {t}")))
                    }
                    Auth::Expired { scheme } => {
                        headers.push(("Authorization".into(), format!("{scheme} {expired}")))
                    }
                    Auth::LiveWrongAppKey(k) => {
                        headers.push(("Authorization".into(), format!("Bearer {live}")));
                        headers.push(("X-APP-Key".into(), k.clone()));
                    }
                    Auth::LiveBadSpacing => {
                        headers.push(("Authorization".into(), format!("Bearer  {live}")))
                    }
                }
                let refs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let url = format!("{}{path}", emu.url());
                let body = (method != "GET").then_some(body.as_slice());
                let r = send(method, &url, &refs, body);
                prop_assert!(
                    [401, 404, 405].contains(&r.status),
                    "{method} {path} with {auth:?} answered {}: {}",
                    r.status,
                    r.text
                );
                prop_assert!(r.json["error_code"].is_string(), "{}", r.text);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn random_bodies_never_panic_and_change_nothing() {
    let emu = start();
    let token = hw_token(&emu);
    let before = admin(&emu, "GET", "/state", None).text;
    let auth = format!("Bearer {token}");

    let mut runner = TestRunner::new(PropConfig {
        cases: 160,
        failure_persistence: None,
        ..PropConfig::default()
    });
    let bodies = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        // Near-JSON: random text between braces reaches the field checks more often.
        "[ -~]{0,60}".prop_map(|s| format!("{{{s}}}").into_bytes()),
    ];
    runner
        .run(
            &(proptest::sample::select(POST_PATHS), bodies),
            |(path, body)| {
                let url = format!("{}{path}", emu.url());
                let headers = [
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ];
                let r = send("POST", &url, &headers, Some(&body));
                prop_assert!(
                    r.status == 200 || (400..500).contains(&r.status) || r.status == 500,
                    "{path} answered {}: {}",
                    r.status,
                    r.text
                );
                if path == HW_TOKEN_PATH || path.ends_with("deleteSkill") {
                    prop_assert_ne!(r.status, 200, "{}", r.text);
                }
                Ok(())
            },
        )
        .unwrap();
    let after = admin(&emu, "GET", "/state", None).text;
    assert_eq!(before, after, "random bodies changed the model");
    // The server is still alive and the token still works.
    let r = huawei(
        &emu,
        "GET",
        "/apiaccess/CC-Management/v1/queryAgentInfo",
        &token,
        None,
    );
    assert_eq!(r.status, 200);
}
