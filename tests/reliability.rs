//! Reliability and safety under hostile or unusual clients: half-closed connections, connection
//! limits, the admin API's defences against web pages, self-contradicting fixtures and wedged
//! admin actions.
mod common;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// Sends `request`, shuts down the write side (as `nc -N` and socat health checks do), and reads
/// whatever comes back until the server closes.
fn half_closed(emu: &ccemu::Emulator, request: &[u8]) -> String {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn half_closed_clients_are_answered_on_admin_and_vendor_paths() {
    let emu = start();
    for _ in 0..20 {
        let answer = half_closed(
            &emu,
            b"GET /_ccemu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        );
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // A vendor write sent by a half-closed client is answered and applied.
    let body = serde_json::to_vec(&json!({"QueueName": "half-closed"})).unwrap();
    let mut request = format!(
        "POST /ccapi/v2/queues?{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        udesk_query(now_ms(&emu)),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let answer = half_closed(&emu, &request);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("000000"), "{answer}");
    let queues = udesk_ok(&emu, "GET", "/queues", None)["Queues"].to_string();
    assert!(queues.contains("half-closed"), "{queues}");
}

/// An admin request as a browser would send it: explicit Host, optional Origin and Content-Type.
fn browser(
    emu: &ccemu::Emulator,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    send(
        method,
        &format!("{}/_ccemu{path}", emu.url()),
        headers,
        body,
    )
}

#[test]
fn the_admin_api_refuses_web_pages_from_other_origins() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).json;
    let fragment = br#"{"tenants":[{"id":"evil","credentials":{"vendor":"nxcloud","access_key":"k","access_secret":"s"}}]}"#;
    // The cross-site "simple" POST a page can send without a preflight.
    let r = browser(
        &emu,
        "POST",
        "/fixture",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
        ],
        Some(fragment),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    // A foreign Origin is refused even with the right content type.
    let r = browser(
        &emu,
        "POST",
        "/fixture",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "application/json"),
        ],
        Some(fragment),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("Origin"), "{}", r.text);
    // No Origin, but not JSON: a write must say application/json.
    let r = browser(
        &emu,
        "POST",
        "/fixture",
        &[("Content-Type", "text/plain")],
        Some(fragment),
    );
    assert_eq!(r.status, 415, "{}", r.text);
    let r = browser(&emu, "POST", "/fixture", &[], Some(fragment));
    assert_eq!(r.status, 415, "{}", r.text);
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
    // DNS rebinding: the page's own name in Host.
    let r = browser(
        &emu,
        "GET",
        "/state",
        &[("Host", "evil.example:8080")],
        None,
    );
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(!r.text.contains("udesk-demo-token"), "{}", r.text);
    // The developer's own tools: loopback names and addresses, same-origin or loopback Origins,
    // a bodyless POST without a content type.
    for host in ["localhost:8080", "127.0.0.1", "[::1]:1"] {
        let r = browser(&emu, "GET", "/state", &[("Host", host)], None);
        assert_eq!(r.status, 200, "{host}: {}", r.text);
    }
    let r = browser(
        &emu,
        "POST",
        "/clock",
        &[
            ("Origin", "http://localhost:3000"),
            ("Content-Type", "application/json; charset=utf-8"),
        ],
        Some(br#"{"advance_ms": 1}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(browser(&emu, "POST", "/reset", &[], None).status, 200);
    // Health answers probes that call ccemu by a service name.
    let r = browser(&emu, "GET", "/health", &[("Host", "ccemu:8080")], None);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn an_admin_token_guards_every_admin_path_but_health() {
    let emu = start_with(ccemu::Config {
        admin_token: Some("s3cret".into()),
        admin_public: true,
        ..ccemu::Config::ephemeral()
    });
    let r = browser(&emu, "GET", "/state", &[], None);
    assert_eq!(r.status, 401, "{}", r.text);
    let r = browser(
        &emu,
        "GET",
        "/state",
        &[("Authorization", "Bearer wrong!")],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.text);
    // --admin-public: callers use ccemu's name on their network, so any Host is served.
    let r = browser(
        &emu,
        "GET",
        "/state",
        &[("Authorization", "Bearer s3cret"), ("Host", "ccemu:8080")],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(browser(&emu, "GET", "/health", &[], None).status, 200);
}

#[test]
fn past_max_connections_a_client_is_answered_503_and_a_freed_slot_serves_again() {
    let emu = start_with(ccemu::Config {
        max_connections: 4,
        ..ccemu::Config::ephemeral()
    });
    // Four slow clients, each in the middle of its request head.
    let slow: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(emu.addr()).unwrap();
            s.write_all(b"GET /_ccemu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(b"GET /_ccemu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let answer = String::from_utf8_lossy(&out);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("max-connections"), "{answer}");
    // The slow clients give up: their slots serve new clients again.
    drop(slow);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(admin(&emu, "GET", "/health", None).status, 200);
}

#[test]
fn a_fixture_that_contradicts_itself_is_refused_with_the_field_named() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).json;
    let udesk_tenant = UDESK_APP_ID;
    for (fragment, names) in [
        (
            json!({"tenants": [{"id": udesk_tenant, "agnets": [{"id": "x"}]}]}),
            "agnets",
        ),
        (json!({"tenant": {"id": "t"}}), "tenant"),
        (
            json!({"tenants": [{"id": "copycat", "credentials": {"vendor": "nxcloud", "access_key": NX_ACCESS_KEY, "access_secret": "mine"}}]}),
            "access_key",
        ),
        (
            json!({"tenants": [{"id": "0-copycat", "credentials": {"vendor": "udesk", "app_id": UDESK_APP_ID, "sid": UDESK_SID, "auth_token": "mine"}}]}),
            "sid",
        ),
        (
            json!({"tenants": [{"id": "hw-copycat", "credentials": {"vendor": "huawei", "apps": [{"app_key": HW_APP_KEY, "app_secret": "x"}]}}]}),
            "app_key",
        ),
    ] {
        let r = admin(&emu, "POST", "/fixture", Some(fragment.clone()));
        assert_eq!(r.status, 400, "{fragment}: {}", r.text);
        assert!(
            r.json["message"].as_str().unwrap().contains(names),
            "{fragment}: {}",
            r.text
        );
    }
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
    // The demo NXCloud client is not locked out.
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": NX_TENANT, "size": 10, "page": 1}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    // The same rules hold for a fixture file at start.
    let dir = Scratch::new("fixture");
    let path = dir.path("typo.json");
    std::fs::write(&path, r#"{"tenants": [], "agents": []}"#).unwrap();
    let err = ccemu::Config {
        fixture: Some(path.clone()),
        ..ccemu::Config::ephemeral()
    }
    .load_fixture()
    .unwrap_err();
    assert!(err.contains("unknown field agents"), "{err}");
}

#[test]
fn an_agent_state_change_dated_in_the_future_is_refused_and_leaves_the_agent_free() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let change = |at_ms: i64| {
        admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "state": "idle", "at_ms": at_ms})),
        )
    };
    let r = change(1_800_000_060_000);
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("at_ms"), "{}", r.text);
    // Nothing was written: a change dated now still goes through.
    assert_eq!(change(1_800_000_000_000).status, 200);
}

#[test]
fn reset_with_a_scenario_file_gone_changes_nothing() {
    let dir = Scratch::new("reset");
    let scenario = dir.path("s.json");
    let text = json!({"name": "s", "rules": [{"match": {"path": "/nowhere"}, "fault": {"kind": "empty"}}]});
    std::fs::write(&scenario, text.to_string()).unwrap();
    let emu = start_with(ccemu::Config {
        scenarios: vec![scenario.clone()],
        ..ccemu::Config::ephemeral()
    });
    udesk_ok(&emu, "POST", "/queues", Some(json!({"QueueName": "kept"})));
    let before = admin(&emu, "GET", "/state", None).json;
    std::fs::remove_file(&scenario).unwrap();
    let r = admin(&emu, "POST", "/reset", None);
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(r.text.contains("nothing changed"), "{}", r.text);
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json["faults"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A broken rule is found before anything is cleared too.
    let broken = json!({"name": "s", "rules": [{"probability": 7, "fault": {"kind": "empty"}}]});
    std::fs::write(&scenario, broken.to_string()).unwrap();
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 500);
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
    // Back in place: reset goes through.
    std::fs::write(&scenario, text.to_string()).unwrap();
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert!(!admin(&emu, "GET", "/state", None).text.contains("kept"));
}

/// A client waiting on a request that a `hang` fault holds.
fn hung_client(emu: &ccemu::Emulator, path: &str) -> TcpStream {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .unwrap();
    s
}

/// What the client gets within `wait`: `Some(bytes)` if the server answered or closed, `None`
/// if it is still waiting.
fn outcome(s: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => Some(out),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            None
        }
        Err(_) => Some(out),
    }
}

#[test]
fn deleting_a_hang_rule_releases_its_hung_requests_with_the_connection_closed() {
    let emu = start();
    let rule = |path: &str| {
        let r = admin(
            &emu,
            "POST",
            "/faults",
            Some(json!({"match": {"path": path}, "fault": {"kind": "hang"}})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["id"].as_u64().unwrap()
    };
    let a = rule("/ccapi/v2/hang-a");
    rule("/ccapi/v2/hang-b");
    let mut client_a = hung_client(&emu, "/ccapi/v2/hang-a");
    let mut client_b = hung_client(&emu, "/ccapi/v2/hang-b");
    assert!(outcome(&mut client_a, Duration::from_millis(300)).is_none());
    // Deleting rule a frees a's client only.
    assert_eq!(
        admin(&emu, "DELETE", &format!("/faults/{a}"), None).status,
        200
    );
    let freed = outcome(&mut client_a, Duration::from_secs(5)).expect("released");
    assert!(freed.is_empty(), "closed without an answer: {freed:?}");
    assert!(outcome(&mut client_b, Duration::from_millis(300)).is_none());
    // Deleting every rule frees the rest.
    assert_eq!(admin(&emu, "DELETE", "/faults", None).status, 200);
    assert!(outcome(&mut client_b, Duration::from_secs(5)).is_some());
}

#[test]
fn a_rate_limit_that_refills_slowly_sends_a_sane_retry_after() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"fault": {"kind": "rate_limit", "per_second": 1e-12, "burst": 0}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.status, 429, "{}", r.text);
    let after: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(after, 3600);
}

#[test]
fn invalid_json_inside_an_unknown_field_is_refused_by_udesk_and_huawei() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).json;
    for extra in [r#""\ud800""#, "1e999"] {
        // Udesk: 000001, the format error, and no queue created.
        let body = format!(r#"{{"QueueName": "sneaky", "Junk": {extra}}}"#);
        let url = format!(
            "{}/ccapi/v2/queues?{}",
            emu.url(),
            udesk_query(now_ms(&emu))
        );
        let r = send(
            "POST",
            &url,
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        );
        assert_eq!(r.json["ErrCode"], "000001", "{extra}: {}", r.text);
        // Huawei: 400 on the token exchange.
        let body = format!(
            r#"{{"app_key": "{HW_APP_KEY}", "app_secret": "{HW_APP_SECRET}", "junk": {extra}}}"#
        );
        let r = send(
            "POST",
            &format!("{}{HW_TOKEN_PATH}", emu.url()),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 400, "{extra}: {}", r.text);
    }
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
}

/// The binary's banner, up to and including the first line containing `last`.
fn banner(args: &[&str], last: &str) -> String {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        text.push_str(&line);
        if line.contains(last) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn the_banner_hides_a_users_own_secrets_but_not_the_demo_credentials() {
    let dir = Scratch::new("banner");
    let path = dir.path("mine.json");
    let mut fixture: serde_json::Value =
        serde_json::from_str(ccemu::model::fixture::DEFAULT_FIXTURE).unwrap();
    fixture["tenants"].as_array_mut().unwrap().push(json!({
        "id": "zz-mine",
        "credentials": {"vendor": "nxcloud", "access_key": "mine-key", "access_secret": "my-own-secret"}
    }));
    std::fs::write(&path, fixture.to_string()).unwrap();
    let path = path.to_str().unwrap();
    let text = banner(&["--port", "0", "--fixture", path], "hidden");
    assert!(
        text.contains("accessKey=mine-key accessSecret=********"),
        "{text}"
    );
    assert!(!text.contains("my-own-secret"), "{text}");
    assert!(text.contains("AuthToken=udesk-demo-token"), "{text}");
    assert!(text.contains("accessSecret=nx-demo-secret"), "{text}");
    let text = banner(
        &["--port", "0", "--fixture", path, "--show-secrets"],
        "mine-key",
    );
    assert!(text.contains("accessSecret=my-own-secret"), "{text}");
}

#[test]
fn a_request_head_over_64_kib_is_refused_and_one_under_it_served() {
    let emu = start();
    let ask = |filler: usize| {
        let mut s = TcpStream::connect(emu.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "GET /_ccemu/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(filler)
        );
        let _ = s.write_all(head.as_bytes());
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(ask(40 * 1024).starts_with("HTTP/1.1 200"));
    let answer = ask(70 * 1024);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}
