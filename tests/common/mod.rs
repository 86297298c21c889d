//! Shared test support: an emulator per test on a free port, a plain HTTP client, and the demo
//! credentials of the default fixture. Each vendor's signing is written here independently of the
//! emulator's own code, the way a client would write it.
#![allow(dead_code)]

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
    Resp { status, headers, text, json }
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
    let r = admin(emu, "POST", "/clock", Some(serde_json::json!({"frozen": true, "now_ms": t})));
    assert_eq!(r.status, 200, "{}", r.text);
}
