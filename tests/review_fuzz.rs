//! Fresh-eyes review: every route of every vendor, authenticated, fed hostile bodies, path
//! segments and query values from a seeded generator. Each request must get an HTTP answer (a
//! transport error means a handler panicked), and the emulator must keep answering afterwards.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::time::Duration;

const FIELDS: &[&str] = &[
    // Udesk
    "AgentId",
    "AgentIds",
    "WorkId",
    "Name",
    "Mobile",
    "Email",
    "Role",
    "Enable",
    "WrapUpTime",
    "OutWrapUpTime",
    "AssistantAccessRight",
    "Extension",
    "Extensions",
    "SignalType",
    "Password",
    "QueueId",
    "QueueIds",
    "QueueName",
    "Strategy",
    "Timeout",
    "WaitMusic",
    "Page",
    "PageSize",
    "SpNumber",
    "DefSpNumber",
    "Callback",
    "Events",
    "MsgId",
    "Caller",
    "Called",
    "CalledDisplay",
    "State",
    "AgentList",
    "IsFull",
    "Url",
    // NXCloud
    "tenantId",
    "queueNo",
    "members",
    "queueName",
    "size",
    "page",
    "userName",
    "startDateTime",
    "endDateTime",
    // Huawei
    "account",
    "password",
    "username",
    "accountCode",
    "userAccount",
    "pageNum",
    "pageSize",
    "agentType",
    "transparentDisplayFlag",
    "skillId",
    "skillIds",
    "name",
    "mediaTypeId",
    "limit",
    "offset",
    "requestParams",
    "requestParam",
    "app_key",
    "app_secret",
];

const SEGMENTS: &[&str] = &[
    "9006",
    "189",
    "1",
    "0",
    "-1",
    "99999999999999999999999",
    "%E4%B8%AD%E6%96%87",
    "a%2Fb",
    "%20",
    "NXQueue0001",
    "9001",
];

fn value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..22) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(0),
        4 => json!(1),
        5 => json!(i64::MAX),
        6 => json!(i64::MIN),
        7 => json!(u64::MAX),
        8 => json!(1e300),
        9 => json!(-1.5),
        10 => json!(""),
        11 => json!("中文字符串é"),
        12 => json!(["9006", "1001", "189", "1522", "NXAgent000011"][rng.gen_range(0..5)]),
        13 => json!("-1"),
        14 => json!("99999999999999999999"),
        15 => json!("é".repeat(rng.gen_range(30..200))),
        16 => json!(" 1, 2 ,,3 "),
        17 => json!(rng.gen_range(0..2_000_000_000i64)),
        18 if depth < 2 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| value(rng, depth + 1))
                .collect(),
        ),
        19 if depth < 2 => object(rng, depth + 1),
        20 => json!(rng.gen_range(1_700_000_000_000i64..1_900_000_000_000)),
        _ => json!(["0", "1", "2", "100", "1000"][rng.gen_range(0..5)]),
    }
}

fn object(rng: &mut StdRng, depth: u32) -> Value {
    let mut m = Map::new();
    for _ in 0..rng.gen_range(0..7) {
        let k = FIELDS[rng.gen_range(0..FIELDS.len())];
        m.insert(k.to_string(), value(rng, depth));
    }
    Value::Object(m)
}

fn body(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..12) {
        0 => b"".to_vec(),
        1 => b"null".to_vec(),
        2 => b"[]".to_vec(),
        3 => b"{\"".to_vec(),
        4 => vec![0xff, 0xfe, b'{', b'}'],
        5 => b"\"\xe4\xb8\xad\"".to_vec(),
        _ => serde_json::to_vec(&object(rng, 0)).unwrap(),
    }
}

fn path(rng: &mut StdRng, pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| {
            if s.starts_with('{') {
                SEGMENTS[rng.gen_range(0..SEGMENTS.len())]
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn query(rng: &mut StdRng) -> String {
    let names = [
        "Page",
        "PageSize",
        "PageNum",
        "page",
        "per_page",
        "State",
        "Role",
        "Enable",
        "FuzzyQuery",
        "MsgId",
        "QueueId",
    ];
    let vals = [
        "",
        "0",
        "-1",
        "1",
        "2",
        "100",
        "101",
        "18446744073709551615",
        "9223372036854775807",
        "99999999999999999999",
        "%E4%B8%AD",
        "true",
        "abc",
        "%FF",
    ];
    (0..rng.gen_range(0..4))
        .map(|_| {
            format!(
                "{}={}&",
                names[rng.gen_range(0..names.len())],
                vals[rng.gen_range(0..vals.len())]
            )
        })
        .collect()
}

/// Sends and answers the status; a transport error fails the test with the request.
fn must_answer(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let r = if body.is_empty() && (method == "GET" || method == "DELETE") {
        req.call()
    } else {
        req.send_bytes(body)
    };
    match r {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(e) => panic!(
            "{method} {url} body {:?}: no answer ({e})",
            String::from_utf8_lossy(body)
        ),
    }
}

/// `FZ=<seed> FR=<rounds> cargo test --test review_fuzz` searches further than the default run.
#[test]
fn every_route_answers_hostile_input_without_panicking() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let mut rng = StdRng::seed_from_u64(
        std::env::var("FZ")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20261123),
    );
    let base = emu.url();
    for _round in 0..std::env::var("FR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
    {
        for r in ccemu::vendors::udesk::routes::ROUTES {
            let b = body(&mut rng);
            let url = format!(
                "{base}{}?{}{}",
                path(&mut rng, r.pattern),
                query(&mut rng),
                udesk_query(now_ms(&emu))
            );
            let h = vec![("Content-Type".to_string(), "application/json".to_string())];
            must_answer(r.method.as_str(), &url, &h, &b);
        }
        for r in ccemu::vendors::nxcloud::routes::ROUTES {
            let b = body(&mut rng);
            let url = format!("{base}{}", path(&mut rng, r.pattern));
            let url = if url.contains("/saas/") {
                url
            } else {
                format!("{base}/saas/cc/openapi/{}", r.pattern)
            };
            // Mostly the demo team's tenantId, so the handler gets past the team check.
            let b = match serde_json::from_slice::<Value>(&b) {
                Ok(Value::Object(mut m)) if rng.gen_bool(0.8) => {
                    m.insert("tenantId".into(), json!(NX_TENANT));
                    serde_json::to_vec(&m).unwrap()
                }
                _ => b,
            };
            must_answer(r.method.as_str(), &url, &nx_headers(now_ms(&emu), &b), &b);
        }
        let token = hw_token(&emu);
        for r in ccemu::vendors::huawei::routes::ROUTES {
            let b = body(&mut rng);
            let url = format!("{base}{}", path(&mut rng, r.pattern));
            let h = vec![
                ("Content-Type".to_string(), "application/json".to_string()),
                ("Authorization".to_string(), format!("Bearer {token}")),
            ];
            must_answer(r.method.as_str(), &url, &h, &b);
        }
    }
    assert_eq!(admin(&emu, "GET", "/health", None).status, 200);
}

const ADMIN_FIELDS: &[&str] = &[
    "now_ms",
    "advance_ms",
    "frozen",
    "vendor",
    "tenant",
    "agent",
    "state",
    "at_ms",
    "tenants",
    "match",
    "after",
    "times",
    "every",
    "probability",
    "from_ms",
    "until_ms",
    "fault",
    "kind",
    "code",
    "status",
    "body",
    "headers",
    "phase",
    "ms",
    "jitter_ms",
    "chunk_bytes",
    "interval_ms",
    "per_second",
    "burst",
    "name",
    "seed",
    "start_ms",
    "rules",
    "timeline",
    "event",
    "offset_ms",
    "count",
    "method",
    "path",
    "operation",
    "since",
    "rule",
    "extension",
    "queue",
    "members",
    "description",
];

const ADMIN_PATHS: &[(&str, &str)] = &[
    ("POST", "/clock"),
    ("POST", "/agent-state"),
    ("POST", "/fixture"),
    ("POST", "/faults"),
    ("POST", "/scenarios"),
    ("POST", "/skews"),
    ("POST", "/revoke-tokens"),
    ("POST", "/requests/count"),
    ("POST", "/requests/wait"),
    ("GET", "/faults/1"),
    ("DELETE", "/faults/2"),
];

fn admin_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..10) {
        0 if depth < 3 => admin_object(rng, depth + 1),
        1 if depth < 3 => Value::Array(
            (0..rng.gen_range(0..3))
                .map(|_| admin_value(rng, depth + 1))
                .collect(),
        ),
        2 => json!(
            [
                "udesk",
                "nxcloud",
                "huawei",
                "144",
                "huawei-demo",
                UDESK_APP_ID,
                "NXAgent0001",
                "9006",
                "idle",
                "rest:wc",
                "status",
                "delay",
                "rate_limit",
                "slow_body",
                "vendor_error",
                "agent_state",
                "skew",
                "revoke_tokens",
                "queue_members",
                "extension_state",
                "after",
                "*"
            ][rng.gen_range(0..22)]
        ),
        _ => value(rng, 2),
    }
}

fn admin_object(rng: &mut StdRng, depth: u32) -> Value {
    let mut m = Map::new();
    for _ in 0..rng.gen_range(0..6) {
        let k = ADMIN_FIELDS[rng.gen_range(0..ADMIN_FIELDS.len())];
        m.insert(k.to_string(), admin_value(rng, depth));
    }
    Value::Object(m)
}

#[test]
fn every_admin_call_answers_hostile_input_without_panicking() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let mut rng = StdRng::seed_from_u64(
        std::env::var("FZ")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(7),
    );
    let rounds = std::env::var("FR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let h = vec![("Content-Type".to_string(), "application/json".to_string())];
    for _ in 0..rounds {
        for (method, path) in ADMIN_PATHS {
            let mut b = admin_object(&mut rng, 0);
            if *path == "/requests/wait" {
                b["timeout_ms"] = json!(5);
            }
            let url = format!("{}/_ccemu{path}", emu.url());
            must_answer(method, &url, &h, &serde_json::to_vec(&b).unwrap());
        }
    }
    // And the vendors still answer whatever the admin calls left behind (no faults, no hangs).
    assert_eq!(admin(&emu, "DELETE", "/faults", None).status, 200);
    freeze_at(&emu, 1_800_000_000_000);
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert!(r.status < 500, "{}", r.text);
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
    assert!(r.status < 500, "{}", r.text);
}
