//! Shared test support: an emulator per test on a free port, a plain HTTP client, and the demo
//! credentials of the default fixture. Each vendor's signing is written here independently of the
//! emulator's own code, the way a client would write it.
#![allow(dead_code)]

pub mod receiver;

use ccemu::{Config, Emulator};
use serde_json::Value;
use sha1::{Digest, Sha1};
use std::time::Duration;

pub const UDESK_APP_ID: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";
pub const UDESK_SID: &str = "udesk-demo-sid";
pub const UDESK_TOKEN: &str = "udesk-demo-token";

pub const NX_ACCESS_KEY: &str = "fme2na3kdi3ki";
pub const NX_SECRET: &str = "nx-demo-secret";
pub const NX_TENANT: i64 = 144;

pub const HW_APP_KEY: &str = "huawei-demo-ak";
pub const HW_APP_SECRET: &str = "huawei-demo-sk";

pub fn start() -> Emulator {
    Emulator::start_background(Config::ephemeral()).expect("emulator starts")
}

pub fn start_with(config: Config) -> Emulator {
    Emulator::start_background(config).expect("emulator starts")
}

/// An answer: status, headers (lower-case names) and the body as JSON (Null if not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

/// Sends a request; any status is an answer, only transport failures panic.
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
    let mut req = agent().request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: transport error {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let text = resp.into_string().unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

pub fn now_ms(emu: &Emulator) -> i64 {
    emu.ctx().clock.now_ms()
}

pub fn sha1_hex(s: &str) -> String {
    let mut h = Sha1::new();
    h.update(s.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The Udesk query string for the demo app at `timestamp_ms`.
pub fn udesk_query(timestamp_ms: i64) -> String {
    let ts = timestamp_ms.to_string();
    let sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{ts}"));
    format!("AppId={UDESK_APP_ID}&Timestamp={ts}&Sign={sign}&Sid={UDESK_SID}")
}

/// A signed Udesk call for the demo app; `path` is after `/ccapi/v2`, and may carry its own
/// query (`/agents?Role=agent`).
pub fn udesk(emu: &Emulator, method: &str, path: &str, body: Option<Value>) -> Resp {
    let q = udesk_query(now_ms(emu));
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("{}/ccapi/v2{path}{sep}{q}", emu.url());
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(
        method,
        &url,
        &[("Content-Type", "application/json;charset=utf-8")],
        bytes.as_deref(),
    )
}

pub fn admin(emu: &Emulator, method: &str, path: &str, body: Option<Value>) -> Resp {
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(
        method,
        &format!("{}/_ccemu{path}", emu.url()),
        &[("Content-Type", "application/json")],
        bytes.as_deref(),
    )
}

/// Freezes the virtual clock at `t` ms.
pub fn freeze_at(emu: &Emulator, t: i64) {
    let r = admin(
        emu,
        "POST",
        "/clock",
        Some(serde_json::json!({"frozen": true, "now_ms": t})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The whole model as `GET /_ccemu/state` answers it, to compare before and after a refusal.
pub fn udesk_model_state(emu: &Emulator) -> Value {
    let r = admin(emu, "GET", "/state", None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// Sends a signed Udesk call that must be refused with `code` (in `ErrCode`, or `code` for the
/// callback envelope) and must leave the model as it was.
pub fn udesk_refused(
    emu: &Emulator,
    method: &str,
    path: &str,
    body: Option<Value>,
    code: &str,
) -> Resp {
    let before = udesk_model_state(emu);
    let r = udesk(emu, method, path, body);
    let got = r.json.get("ErrCode").or_else(|| r.json.get("code"));
    assert_eq!(
        got.and_then(|c| c.as_str()),
        Some(code),
        "{method} {path}: {}",
        r.text
    );
    assert_eq!(
        udesk_model_state(emu),
        before,
        "{method} {path} changed state although refused"
    );
    r
}

/// Sends a signed Udesk call that must succeed (`ErrCode` 000000) and answers its `Result`.
pub fn udesk_ok(emu: &Emulator, method: &str, path: &str, body: Option<Value>) -> Value {
    let r = udesk(emu, method, path, body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
    assert_eq!(r.json["ErrCode"], "000000", "{method} {path}: {}", r.text);
    r.json["Result"].clone()
}

/// Sets a Udesk demo agent's state through the admin API (at the virtual clock's now).
pub fn udesk_set_state(emu: &Emulator, agent: &str, state: &str) {
    let body = serde_json::json!({"vendor": "udesk", "tenant": UDESK_APP_ID, "agent": agent, "state": state});
    let r = admin(emu, "POST", "/agent-state", Some(body));
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Lowercase hex md5 (md-5 crate), written apart from the emulator's NXCloud code.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// NXCloud's sign as a client computes it: `accessKey=..&action=..&bizType=..&ts=..`, then
/// `&body=<raw body>` unless the body is empty, then `&accessSecret=<secret>`; md5 (or sha256).
pub fn nx_sign(
    access_key: &str,
    ts: &str,
    biz_type: &str,
    action: &str,
    body: &[u8],
    secret: &str,
    sha256: bool,
) -> String {
    let mut text =
        format!("accessKey={access_key}&action={action}&bizType={biz_type}&ts={ts}").into_bytes();
    if !body.is_empty() {
        text.extend_from_slice(b"&body=");
        text.extend_from_slice(body);
    }
    text.extend_from_slice(format!("&accessSecret={secret}").as_bytes());
    if sha256 {
        sha256_hex(&text)
    } else {
        md5_hex(&text)
    }
}

/// The five headers of a demo-team call at `ts_ms` over `body`, signed with md5.
pub fn nx_headers(ts_ms: i64, body: &[u8]) -> Vec<(String, String)> {
    nx_headers_as(NX_ACCESS_KEY, NX_SECRET, ts_ms, body)
}

/// `nx_headers` for the team of another access key.
pub fn nx_headers_as(
    access_key: &str,
    secret: &str,
    ts_ms: i64,
    body: &[u8],
) -> Vec<(String, String)> {
    let ts = ts_ms.to_string();
    let sign = nx_sign(access_key, &ts, "8", "cc", body, secret, false);
    vec![
        ("Content-Type".into(), "application/json".into()),
        ("accessKey".into(), access_key.into()),
        ("ts".into(), ts),
        ("bizType".into(), "8".into()),
        ("action".into(), "cc".into()),
        ("sign".into(), sign),
    ]
}

/// POSTs `body` bytes to `/saas/cc/openapi/{op}` with the given headers.
pub fn nx_send(emu: &Emulator, op: &str, headers: &[(String, String)], body: &[u8]) -> Resp {
    let h: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    send(
        "POST",
        &format!("{}/saas/cc/openapi/{op}", emu.url()),
        &h,
        Some(body),
    )
}

/// A signed NXCloud call for the demo team at the emulator's current time.
pub fn nx_call(emu: &Emulator, op: &str, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap();
    nx_send(emu, op, &nx_headers(now_ms(emu), &bytes), &bytes)
}

/// An NXCloud call that must succeed (`code` 0); the whole answer.
pub fn nx_ok(emu: &Emulator, op: &str, body: &Value) -> Value {
    let r = nx_call(emu, op, body);
    assert_eq!(r.json["code"], 0, "{op}: {}", r.text);
    r.json
}

pub const HW_TOKEN_PATH: &str = "/apigovernance/api/oauth/tokenByAkSk";

/// Asks tokenByAkSk for a token (optionally with `X-Token-Expire`); any status is an answer.
pub fn hw_token_request(
    emu: &Emulator,
    app_key: &str,
    app_secret: &str,
    expire: Option<&str>,
) -> Resp {
    let body = serde_json::json!({"app_key": app_key, "app_secret": app_secret});
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(e) = expire {
        headers.push(("X-Token-Expire", e));
    }
    send(
        "POST",
        &format!("{}{HW_TOKEN_PATH}", emu.url()),
        &headers,
        Some(&serde_json::to_vec(&body).unwrap()),
    )
}

/// A live Huawei CEC AccessToken for an app.
pub fn hw_token_for(emu: &Emulator, app_key: &str, app_secret: &str) -> String {
    let r = hw_token_request(emu, app_key, app_secret, None);
    assert_eq!(r.status, 200, "tokenByAkSk: {}", r.text);
    r.json["AccessToken"]
        .as_str()
        .expect("AccessToken")
        .to_string()
}

/// A live AccessToken for the demo app of the default fixture.
pub fn hw_token(emu: &Emulator) -> String {
    hw_token_for(emu, HW_APP_KEY, HW_APP_SECRET)
}

/// A Huawei API call with `Authorization: Bearer {token}`; `path` is the full path.
pub fn huawei(emu: &Emulator, method: &str, path: &str, token: &str, body: Option<Value>) -> Resp {
    let auth = format!("Bearer {token}");
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(
        method,
        &format!("{}{path}", emu.url()),
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ],
        bytes.as_deref(),
    )
}

/// A Huawei call that must answer 200; its JSON.
pub fn huawei_ok(
    emu: &Emulator,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let r = huawei(emu, method, path, token, body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
    r.json
}

/// A scratch directory of this test process (named after the test), removed when dropped.
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ccemu-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, file: &str) -> std::path::PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The ccemu binary on a free port (`--port 0` and `args`), and the URL its banner names.
pub fn spawn_ccemu(args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["--port", "0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ccemu runs");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("ccemu listening on ")
        .unwrap_or_else(|| panic!("no URL in the banner: {first}"))
        .to_string();
    (child, url)
}
