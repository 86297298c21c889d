//! `ccemu proxy` (docs/contract.md): a second ccemu with different data stands in for the live
//! vendor; answers equal in shape give no drift, and a deliberately altered answer gives exactly
//! the differences injected.

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proxy {
    child: Child,
    url: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_proxy(upstream: &str, extra: &[&str]) -> Proxy {
    let ready = std::env::temp_dir().join(format!(
        "ccemu-proxy-{}-{}",
        std::process::id(),
        extra.len()
    ));
    let _ = std::fs::remove_file(&ready);
    let mut proxy = Proxy {
        child: Command::new(env!("CARGO_BIN_EXE_ccemu"))
            .args([
                "proxy",
                "--upstream",
                upstream,
                "--port",
                "0",
                "--ready-file",
            ])
            .arg(&ready)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ccemu proxy starts"),
        url: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(url) = std::fs::read_to_string(&ready) {
            let _ = std::fs::remove_file(&ready);
            proxy.url = url.trim().to_string();
            return proxy;
        }
        assert!(Instant::now() < deadline, "proxy did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The drift report once the background comparisons have caught up.
fn drift(proxy: &Proxy) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = send("GET", &format!("{}/_ccemu/drift", proxy.url), &[], None);
        assert_eq!(r.status, 200, "{}", r.text);
        if r.json["pending"] == 0 {
            return r.json;
        }
        assert!(Instant::now() < deadline, "comparisons never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A Udesk GET through the proxy, signed for the upstream at its clock.
fn udesk_via(proxy: &Proxy, upstream: &ccemu::Emulator, path: &str) -> Resp {
    let q = udesk_query(now_ms(upstream));
    send(
        "GET",
        &format!("{}/ccapi/v2{path}?{q}", proxy.url),
        &[],
        None,
    )
}

#[test]
fn the_proxy_forwards_unchanged_and_reports_exactly_the_injected_differences() {
    let upstream = start();
    // The "live vendor" holds other data: a queue ccemu's scratch copy does not have.
    udesk_ok(
        &upstream,
        "POST",
        "/queues",
        Some(json!({"QueueId": "9077", "QueueName": "upstream only"})),
    );
    let proxy = start_proxy(&upstream.url(), &[]);

    // Same shapes, other values: no drift, on all three faces.
    let r = udesk_via(&proxy, &upstream, "/queues");
    assert_eq!(r.json["ErrCode"], "000000");
    assert!(
        r.text.contains("upstream only"),
        "the upstream's answer, unchanged"
    );
    let body =
        serde_json::to_vec(&json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"})).unwrap();
    let h = nx_headers(now_ms(&upstream), &body);
    let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = send(
        "POST",
        &format!("{}/saas/cc/openapi/agentGroup/member/list", proxy.url),
        &h,
        Some(&body),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    let token_body =
        serde_json::to_vec(&json!({"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET})).unwrap();
    let r = send(
        "POST",
        &format!("{}{HW_TOKEN_PATH}", proxy.url),
        &[("Content-Type", "application/json")],
        Some(&token_body),
    );
    let token = r.json["AccessToken"].as_str().unwrap().to_string();
    let r = send(
        "GET",
        &format!("{}/apiaccess/CC-Management/v1/queryAgentInfo", proxy.url),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(
        r.status, 200,
        "the upstream's token works upstream: {}",
        r.text
    );
    let report = drift(&proxy);
    assert_eq!(report["compared"], 4, "{report}");
    assert_eq!(report["drifted"], 0, "{report}");

    // An altered answer: one field gone, one of another type, one added, the code changed.
    let mut altered = udesk_ok(&upstream, "GET", "/queues", None);
    let first = altered["Queues"][0].as_object_mut().unwrap();
    first.remove("Strategy");
    first.insert("QueueId".into(), json!(9001));
    first.insert("Colour".into(), json!("red"));
    let altered = json!({"ErrCode": "000060", "ErrDesc": "OK", "Result": altered});
    let r = admin(
        &upstream,
        "POST",
        "/faults",
        Some(
            json!({"match": {"vendor": "udesk", "operation": "getQueueList"}, "times": 1,
            "fault": {"kind": "status", "status": 200, "body": altered}}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = udesk_via(&proxy, &upstream, "/queues");
    assert_eq!(
        r.json, altered,
        "the client gets the upstream's answer as it was"
    );
    let report = drift(&proxy);
    assert_eq!(report["compared"], 5);
    assert_eq!(report["drifted"], 1, "{report}");
    let record = &report["records"][0];
    assert_eq!(record["operation"], "getQueueList");
    let mut diffs: Vec<(String, String)> = record["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    diffs.sort();
    assert_eq!(
        diffs,
        vec![
            ("code".to_string(), "ErrCode".to_string()),
            (
                "extra_in_ccemu".to_string(),
                "Result.Queues[].Strategy".to_string()
            ),
            (
                "missing_in_ccemu".to_string(),
                "Result.Queues[].Colour".to_string()
            ),
            ("type".to_string(), "Result.Queues[].QueueId".to_string()),
        ],
        "{record}"
    );
    // Credentials are not kept in what the proxy reports.
    let text = report.to_string();
    assert!(!text.contains(UDESK_TOKEN) && !text.contains(&token) && !text.contains("Sign="));
}

#[test]
fn a_proxy_for_one_vendor_forwards_that_vendor_only() {
    let upstream = start();
    let proxy = start_proxy(&upstream.url(), &["--vendor", "nxcloud"]);
    let r = udesk_via(&proxy, &upstream, "/queues");
    assert_eq!(r.status, 502);
    assert!(r.text.contains("nxcloud only"));
    let report = drift(&proxy);
    assert_eq!(report["compared"], 0);
}
