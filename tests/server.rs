//! The server core: limits, keep-alive, bad bytes, shutdown.
mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn raw(emu: &ccemu::Emulator, request: &[u8]) -> String {
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn oversized_bodies_get_the_vendor_envelope() {
    let emu = start_with(ccemu::Config {
        body_limit: 1024,
        ..ccemu::Config::ephemeral()
    });
    let url = format!(
        "{}/ccapi/v2/spnumbers/default?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    let big = vec![b' '; 4096];
    let r = send("PUT", &url, &[], Some(&big));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (400, Some("000001")),
        "{}",
        r.text
    );
    // Declared length over the limit is refused before the body is read.
    let head = format!(
        "PUT /ccapi/v2/spnumbers/default?{} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n",
        udesk_query(now_ms(&emu))
    );
    let answer = raw(&emu, head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("000001"), "{answer}");
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let emu = start();
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for _ in 0..20 {
        s.write_all(b"GET /_ccemu/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
}

#[test]
fn garbage_on_the_wire_never_takes_the_server_down() {
    let emu = start();
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /ccapi/v2/agents HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST /saas/cc/openapi/agent/page HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let _ = raw(&emu, junk);
    }
    assert_eq!(admin(&emu, "GET", "/health", None).status, 200);
}

#[test]
fn dropping_the_emulator_closes_the_port() {
    let emu = start();
    let addr = emu.addr();
    drop(emu);
    std::thread::sleep(Duration::from_millis(100));
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn stalled_headers_and_stalled_bodies_are_cut_off() {
    let emu = start_with(ccemu::Config {
        header_read_timeout: Duration::from_millis(300),
        ..ccemu::Config::ephemeral()
    });
    // Headers that never end: the connection is closed, with or without a 408 from hyper.
    let started = std::time::Instant::now();
    let answer = raw(&emu, b"GET /_ccemu/health HTTP/1.1\r\nHost: x\r\n");
    assert!(started.elapsed() < Duration::from_secs(5), "{answer}");
    assert!(!answer.contains("200 OK"), "{answer}");
    // A body shorter than promised: the vendor's answer, not a hang.
    let head = format!(
        "PUT /ccapi/v2/spnumbers/default?{} HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{{\"DefSp",
        udesk_query(now_ms(&emu))
    );
    let started = std::time::Instant::now();
    let answer = raw(&emu, head.as_bytes());
    assert!(started.elapsed() < Duration::from_secs(5), "{answer}");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("000001"), "{answer}");
    assert_eq!(admin(&emu, "GET", "/health", None).status, 200);
}

/// Reads until the server closes (or 10 s pass): what arrived and when it closed.
fn until_closed(s: &mut TcpStream) -> (String, Duration) {
    let started = std::time::Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

/// Adds the fault `rule`, then sends a signed Udesk relay-number list on a fresh connection
/// and reads it until the server closes: what arrived and when.
fn spnumbers_under(emu: &ccemu::Emulator, rule: serde_json::Value) -> (String, Duration) {
    let added = admin(emu, "POST", "/faults", Some(rule));
    assert_eq!(added.status, 200, "{}", added.text);
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    let q = udesk_query(now_ms(emu));
    write!(
        s,
        "GET /ccapi/v2/spnumbers?{q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    until_closed(&mut s)
}

#[test]
fn the_head_deadline_runs_from_the_wait_and_never_cuts_an_answer() {
    let patience = Duration::from_millis(400);
    let emu = start_with(ccemu::Config {
        header_read_timeout: patience,
        ..ccemu::Config::ephemeral()
    });
    // A head that trickles in, a line every 100 ms: bytes arriving do not move the deadline.
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    s.write_all(b"GET /_ccemu/health HTTP/1.1\r\n").unwrap();
    let mut writer = s.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for i in 0..40 {
            std::thread::sleep(Duration::from_millis(100));
            if writer
                .write_all(format!("X-Line-{i}: x\r\n").as_bytes())
                .is_err()
            {
                return i;
            }
        }
        40
    });
    let (answer, after) = until_closed(&mut s);
    assert!(!answer.contains("200 OK"), "{answer}");
    assert!(after >= patience, "cut after {after:?}");
    assert!(after < Duration::from_secs(3), "cut only after {after:?}");
    assert!(trickle.join().unwrap() < 40);
    // Between requests the wait starts again: an idle keep-alive connection closes a deadline
    // after its last answer, not a deadline after it opened.
    let mut s = TcpStream::connect(emu.addr()).unwrap();
    std::thread::sleep(Duration::from_millis(250));
    s.write_all(b"GET /_ccemu/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(250));
    let (answer, after) = until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        after >= patience - Duration::from_millis(250),
        "closed after {after:?}"
    );
    assert!(
        after < Duration::from_secs(3),
        "closed only after {after:?}"
    );
    // A request served for longer than the deadline (a delay fault) is answered: a request with
    // the service has no head deadline.
    let (answer, after) = spnumbers_under(
        &emu,
        serde_json::json!({"fault": {"kind": "delay", "ms": 1200}, "times": 1}),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(after >= Duration::from_millis(1200), "{after:?}");
    // An answer written for longer than the deadline (a slow_body fault, 100 ms a chunk) arrives
    // whole: nor has one whose answer is being written.
    let (answer, after) = spnumbers_under(
        &emu,
        serde_json::json!({"fault": {"kind": "slow_body", "chunk_bytes": 16, "interval_ms": 100}}),
    );
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .unwrap();
    assert_eq!(body.len(), length, "{answer}");
    assert!(
        length > 16 * 6,
        "{length} bytes come in too few chunks to outlast the deadline"
    );
    assert!(after > patience * 2, "{after:?}");
}

/// The request of a signed NXCloud `agentGroup/page` for the demo team, its body cut in two:
/// the head and the first part, then the rest.
fn nx_page_in_two(emu: &ccemu::Emulator, chunked: bool) -> (Vec<u8>, Vec<u8>) {
    let body = format!(r#"{{"tenantId": {NX_TENANT}, "size": 2, "page": 1}}"#);
    let mut head =
        "POST /saas/cc/openapi/agentGroup/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            .to_string();
    for (k, v) in nx_headers(now_ms(emu), body.as_bytes()) {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let (first, rest) = body.split_at(10);
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        let chunk = |s: &str| format!("{:x}\r\n{s}\r\n", s.len());
        head.push_str(&chunk(first));
        (
            head.into_bytes(),
            format!("{}0\r\n\r\n", chunk(rest)).into_bytes(),
        )
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n{first}", body.len()));
        (head.into_bytes(), rest.as_bytes().to_vec())
    }
}

#[test]
fn a_body_that_arrives_in_pieces_is_read_whole() {
    let emu = start();
    for chunked in [false, true] {
        let (first, rest) = nx_page_in_two(&emu, chunked);
        let mut s = TcpStream::connect(emu.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&first).unwrap();
        // Long enough for the server to have taken the first part and to wait for the rest.
        std::thread::sleep(Duration::from_millis(150));
        s.write_all(&rest).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let answer = String::from_utf8_lossy(&out);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "chunked {chunked}: {answer}"
        );
        let json: serde_json::Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or_default())
                .unwrap_or_else(|e| panic!("chunked {chunked}: {e}: {answer}"));
        assert_eq!(json["code"], 0, "chunked {chunked}: {answer}");
        assert!(
            json["total"].as_u64().is_some(),
            "chunked {chunked}: {answer}"
        );
    }
}
