//! Fresh-eyes review: every lock the emulator has (model, RNG, fault rules, timeline, skews,
//! revocations, journal ring) taken at once from many clients. Lock order as reviewed: rules and
//! the journal ring are leaves; timeline → model → RNG / skews.read / revoked.read; timeline →
//! skews.write / revoked.write. A deadlock shows up here as the run not finishing in time.

mod common;

use common::*;
use serde_json::json;
use std::sync::mpsc;
use std::time::Duration;

fn worker(url: String, kind: usize, rounds: usize) {
    let emu = Remote(url);
    for i in 0..rounds {
        match kind {
            0 => {
                let token = emu.hw_token();
                emu.huawei_api(&token);
            }
            1 => emu.nx(),
            2 => emu.udesk_extension(i),
            3 => {
                emu.admin(
                    "POST",
                    "/skews",
                    json!({"tenant": "huawei-demo", "offset_ms": (i as i64 % 3) * 1000}),
                );
                emu.admin(
                    "POST",
                    "/skews",
                    json!({"tenant": "144", "offset_ms": (i as i64 % 2) * 500}),
                );
                emu.admin("POST", "/revoke-tokens", json!({"tenant": "huawei-demo"}));
            }
            4 => {
                // Events due at once: applied under the timeline lock, through the model.
                emu.admin(
                    "POST",
                    "/scenarios",
                    json!({"name": format!("s{i}"), "timeline": [
                        {"at_ms": 0, "event": "agent_state", "tenant": "144", "agent": "NXAgent0001", "state": if i % 2 == 0 { "idle" } else { "busy" }},
                        {"at_ms": 0, "event": "skew", "tenant": "huawei-demo", "offset_ms": 1},
                        {"at_ms": 0, "event": "revoke_tokens", "tenant": "huawei-demo"}]}),
                );
                emu.admin("DELETE", "/scenarios", json!(null));
            }
            _ => {
                // Rules that need the tenant hint (model lock before the rules lock).
                emu.admin(
                    "POST",
                    "/faults",
                    json!({"match": {"tenant": "144", "body": {"queueNo": "nope"}}, "fault": {"kind": "status", "status": 503}}),
                );
                emu.admin(
                    "POST",
                    "/requests/count",
                    json!({"match": {"vendor": "nxcloud"}}),
                );
                emu.admin(
                    "POST",
                    "/requests/wait",
                    json!({"match": {"vendor": "huawei"}, "count": 1, "timeout_ms": 50}),
                );
                emu.admin("DELETE", "/faults", json!(null));
            }
        }
    }
}

/// The common helpers take an `Emulator`; threads only need its URL.
struct Remote(String);

impl Remote {
    fn admin(&self, method: &str, path: &str, body: serde_json::Value) {
        let bytes = serde_json::to_vec(&body).unwrap();
        let r = send(
            method,
            &format!("{}/_ccemu{path}", self.0),
            &[("Content-Type", "application/json")],
            (!body.is_null()).then_some(&bytes[..]),
        );
        assert!(r.status < 500, "{path}: {}", r.text);
    }
    fn now(&self) -> i64 {
        let r = send("GET", &format!("{}/_ccemu/clock", self.0), &[], None);
        r.json["now_ms"].as_i64().unwrap()
    }
    fn hw_token(&self) -> String {
        let body = serde_json::to_vec(&json!({"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET}))
            .unwrap();
        let r = send(
            "POST",
            &format!("{}{HW_TOKEN_PATH}", self.0),
            &[("Content-Type", "application/json")],
            Some(&body),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["AccessToken"].as_str().unwrap().to_string()
    }
    fn huawei_api(&self, token: &str) {
        let auth = format!("Bearer {token}");
        // 200, or 401 when a concurrent revocation got there first.
        let r = send(
            "GET",
            &format!("{}/apiaccess/CC-Mangemant/v1/queryAgentInfo", self.0),
            &[("Authorization", auth.as_str())],
            None,
        );
        assert!(r.status == 200 || r.status == 401, "{}", r.text);
    }
    fn nx(&self) {
        let body =
            serde_json::to_vec(&json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"})).unwrap();
        let h = nx_headers(self.now(), &body);
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = send(
            "POST",
            &format!("{}/saas/cc/openapi/agentGroup/member/list", self.0),
            &h,
            Some(&body),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    fn udesk_extension(&self, i: usize) {
        let url = format!("{}/ccapi/v2/extensions?{}", self.0, udesk_query(self.now()));
        let body =
            serde_json::to_vec(&json!({"Extension": format!("1{:03}", 500 + i % 400)})).unwrap();
        let r = send(
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            Some(&body),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

#[test]
fn every_lock_at_once_never_deadlocks() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let (done_tx, done_rx) = mpsc::channel();
    let mut handles = Vec::new();
    for kind in 0..6 {
        let url = emu.url();
        let done = done_tx.clone();
        handles.push(std::thread::spawn(move || {
            worker(url, kind, 30);
            let _ = done.send(kind);
        }));
    }
    drop(done_tx);
    for _ in 0..6 {
        match done_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(e) => panic!("a worker did not finish within 60 s: deadlock? ({e})"),
        }
    }
    for h in handles {
        h.join().expect("a worker failed");
    }
    assert_eq!(admin(&emu, "GET", "/health", None).status, 200);
}
