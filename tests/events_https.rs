//! https callbacks: a receiver with a certificate from its own CA is reached when ccemu is given
//! that CA (`--webhook-ca`), and refused (at the handshake, logged as a failed attempt) when not.
mod common;
use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{mpsc, Arc};
use std::time::Duration;

struct Tls {
    ca_pem: String,
    url: String,
    bodies: mpsc::Receiver<Value>,
}

/// An https receiver on 127.0.0.1 with a leaf certificate signed by a fresh CA.
fn tls_receiver() -> Tls {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    )
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let (tx, bodies) = mpsc::channel();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            let tx = tx.clone();
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut stream = BufReader::new(rustls::StreamOwned::new(conn, tcp));
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    if stream.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if stream.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end().to_ascii_lowercase();
                        if h.is_empty() {
                            break;
                        }
                        if let Some(v) = h.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; len];
                    if stream.read_exact(&mut body).is_err() {
                        return;
                    }
                    let _ = tx.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    let out = stream.get_mut();
                    if out
                        .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                    let _ = out.flush();
                }
            });
        }
    });
    Tls {
        ca_pem: ca_cert.pem(),
        url,
        bodies,
    }
}

fn subscribe_and_login(emu: &ccemu::Emulator, url: &str) -> u64 {
    let r = udesk_ok(
        emu,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": url, "events": ["acd_agent_state"], "name": "tls"}]}),
        ),
    );
    let r2 = udesk(
        emu,
        "POST",
        "/agent/login?MsgId=1",
        Some(json!({"agent_id": "189"})),
    );
    assert_eq!(r2.json["ErrCode"], "000000", "{}", r2.text);
    r["sub_succ"][0]["subid"].as_u64().unwrap()
}

fn wait_status(emu: &ccemu::Emulator, sub: u64, status: &str) -> Value {
    let r = admin(
        emu,
        "POST",
        "/webhooks/wait",
        Some(
            json!({"match": {"subscription": sub, "status": status}, "count": 1, "timeout_ms": 20000}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["deliveries"][0].clone()
}

#[test]
fn an_https_receiver_is_reached_with_the_extra_ca() {
    let rx = tls_receiver();
    let dir = std::env::temp_dir().join(format!("ccemu-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &rx.ca_pem).unwrap();
    let mut config = ccemu::Config::ephemeral();
    config.events.ca_file = Some(ca.clone());
    let emu = start_with(config);
    let sub = subscribe_and_login(&emu, &rx.url);
    let body = rx.bodies.recv_timeout(Duration::from_secs(20)).unwrap();
    assert_eq!(body["event"], "acd_agent_state");
    let d = wait_status(&emu, sub, "delivered");
    assert_eq!(d["http_status"], 204);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_https_receiver_with_an_unknown_ca_is_refused_at_the_handshake() {
    let rx = tls_receiver();
    let emu = start();
    let sub = subscribe_and_login(&emu, &rx.url);
    let d = wait_status(&emu, sub, "pending");
    let error = d["error"].as_str().unwrap_or_default().to_ascii_lowercase();
    assert!(error.contains("certificate"), "{d}");
    assert!(rx.bodies.try_recv().is_err());
}

#[test]
fn a_missing_or_empty_ca_file_stops_the_start() {
    let mut config = ccemu::Config::ephemeral();
    config.events.ca_file = Some("/nonexistent/ca.pem".into());
    assert!(ccemu::Emulator::start_background(config).is_err());
    let empty = std::env::temp_dir().join(format!("ccemu-empty-ca-{}.pem", std::process::id()));
    std::fs::write(&empty, "").unwrap();
    let mut config = ccemu::Config::ephemeral();
    config.events.ca_file = Some(empty.clone());
    let err = ccemu::Emulator::start_background(config).err().unwrap();
    assert!(err.to_string().contains("no certificate"), "{err}");
    let _ = std::fs::remove_file(&empty);
}
