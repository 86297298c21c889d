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
