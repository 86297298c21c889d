//! `--tls`: HTTPS on the vendors' own hostnames beside plain HTTP. A client that trusts the local
//! CA reaches every vendor by its production hostname (sent to loopback, as a hosts file or
//! `curl --resolve` would) and gets byte-for-byte the answers plain HTTP gives; a client without
//! the CA is refused at the handshake; garbage on the TLS port never hurts anyone else.
mod common;
use ccemu::tls::TlsConfig;
use ccemu::{Config, Emulator};
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const T: i64 = 1_767_225_600_000;

fn tls_config(data_dir: &Path) -> Config {
    Config {
        tls: Some(TlsConfig {
            data_dir: data_dir.to_path_buf(),
            ..TlsConfig::default()
        }),
        ..Config::ephemeral()
    }
}

fn tls_addr(emu: &Emulator) -> SocketAddr {
    emu.tls().expect("tls is on").addr
}

fn ca_pem(emu: &Emulator) -> Vec<u8> {
    std::fs::read(emu.tls().unwrap().ca_file.as_ref().unwrap()).unwrap()
}

fn client(ca_pem: Option<&[u8]>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    if let Some(pem) = ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One HTTP/1.1 request (`Connection: close`), with `Host` when given.
fn request(
    method: &str,
    path: &str,
    host: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let version = if host.is_some() {
        "HTTP/1.1"
    } else {
        "HTTP/1.0"
    };
    let mut out = format!("{method} {path} {version}\r\n");
    if let Some(h) = host {
        out.push_str(&format!("Host: {h}\r\n"));
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Status and body of a raw answer (headers but for the status are left out: Date differs).
fn parse(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn over_http(addr: SocketAddr, req: &[u8]) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = tcp.read_to_end(&mut out);
    parse(&out)
}

/// A TLS exchange to `addr` (loopback) asking for `sni`, as a client whose hosts file sends the
/// vendor's name to ccemu would.
fn over_https(
    addr: SocketAddr,
    sni: &str,
    cfg: Arc<ClientConfig>,
    req: &[u8],
) -> std::io::Result<(u16, String)> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    let conn = ClientConnection::new(cfg, ServerName::try_from(sni.to_string()).unwrap())
        .map_err(std::io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(req)?;
    tls.flush()?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // A peer that closes without close_notify: the answer is still whole (Connection: close).
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(parse(&out))
}

struct Call {
    host: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn nx(host: &'static str, op: &str, body: &[u8]) -> Call {
    Call {
        host,
        method: "POST",
        path: format!("/saas/cc/openapi/{op}"),
        headers: nx_headers(T, body),
        body: body.to_vec(),
    }
}

fn hw(path: &str, token: &str) -> Call {
    Call {
        host: "service.besclouds.com",
        method: "GET",
        path: path.to_string(),
        headers: vec![("Authorization".into(), format!("Bearer {token}"))],
        body: Vec::new(),
    }
}

/// Two emulators with the same seed and the same frozen instant; the same calls go to one over
/// HTTP (with the vendor's name in Host) and to the other over HTTPS (the vendor's name in SNI and
/// Host). Every answer must be identical, and the interesting ones must be real answers.
#[test]
fn every_vendor_answers_over_https_as_over_http() {
    let dir = Scratch::new("https-same");
    let plain = start();
    let secure = start_with(tls_config(&dir.path("data")));
    let trust = client(Some(&ca_pem(&secure)));
    let regions = json!({"tenants": [{"id": "144", "credentials": {"vendor": "nxcloud", "regions": ["hk"]}}]});
    for emu in [&plain, &secure] {
        freeze_at(emu, T);
        assert_eq!(
            admin(emu, "POST", "/fixture", Some(regions.clone())).status,
            200
        );
    }
    let member_list = br#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;
    let token_body =
        serde_json::to_vec(&json!({"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET})).unwrap();
    let calls = vec![
        Call {
            host: "demo.udesk.cn",
            method: "GET",
            path: format!("/ccapi/v2/agents?{}", udesk_query(T)),
            headers: vec![],
            body: vec![],
        },
        nx("api-hk.nxlink.ai", "agentGroup/member/list", member_list),
        // The team is pinned to hk: the same refusal over both, so the host keeps its meaning.
        nx("chl-api.nxlink.ai", "agentGroup/member/list", member_list),
        nx("api2.nxcloud.com", "agentGroup/member/list", member_list),
        Call {
            host: "service.besclouds.com",
            method: "POST",
            path: HW_TOKEN_PATH.to_string(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: token_body,
        },
    ];
    let mut answers = Vec::new();
    for c in &calls {
        let req = request(c.method, &c.path, Some(c.host), &c.headers, &c.body);
        let a = over_http(plain.addr(), &req);
        let b = over_https(tls_addr(&secure), c.host, Arc::clone(&trust), &req).unwrap();
        assert_eq!(a, b, "{} {}{}", c.method, c.host, c.path);
        answers.push(a);
    }
    let json = |i: usize| serde_json::from_str::<Value>(&answers[i].1).unwrap();
    assert_eq!(json(0)["ErrCode"], "000000", "udesk: {}", answers[0].1);
    assert_eq!(json(1)["code"], 0, "nxcloud hk: {}", answers[1].1);
    assert_eq!(json(2)["code"], 1005, "nxcloud amer: {}", answers[2].1);
    assert_eq!(json(3)["code"], 1005, "nxcloud nxcc: {}", answers[3].1);
    assert_eq!(answers[4].0, 200, "huawei token: {}", answers[4].1);
    // The same seed made the same token: use it on both.
    let token = json(4)["AccessToken"].as_str().unwrap().to_string();
    let c = hw("/apiaccess/CC-Mangemant/v1/querySysInfo", &token);
    let req = request(c.method, &c.path, Some(c.host), &c.headers, &c.body);
    let a = over_http(plain.addr(), &req);
    let b = over_https(tls_addr(&secure), c.host, Arc::clone(&trust), &req).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.0, 200, "{}", a.1);
    // The admin API answers over HTTPS too (it is loopback either way).
    let req = request("GET", "/_ccemu/health", Some("localhost"), &[], b"");
    let (status, body) = over_https(tls_addr(&secure), "localhost", trust, &req).unwrap();
    assert_eq!(status, 200, "{body}");
}

/// A request without Host (HTTP/1.0) over HTTPS takes the host from SNI, so the NXLink region
/// still follows the name the client dialled.
#[test]
fn sni_stands_in_for_a_missing_host() {
    let dir = Scratch::new("https-sni");
    let emu = start_with(tls_config(&dir.path("data")));
    let trust = client(Some(&ca_pem(&emu)));
    freeze_at(&emu, T);
    let regions = json!({"tenants": [{"id": "144", "credentials": {"vendor": "nxcloud", "regions": ["hk"]}}]});
    assert_eq!(admin(&emu, "POST", "/fixture", Some(regions)).status, 200);
    let body = br#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;
    let code = |sni: &str| {
        let req = request(
            "POST",
            "/saas/cc/openapi/agentGroup/member/list",
            None,
            &nx_headers(T, body),
            body,
        );
        let (_, text) = over_https(tls_addr(&emu), sni, Arc::clone(&trust), &req).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["code"].clone()
    };
    assert_eq!(code("api-hk.nxlink.ai"), 0);
    assert_eq!(code("chl-api.nxlink.ai"), 1005);
    // Loopback names belong to no region: every team answers there.
    assert_eq!(code("localhost"), 0);
}

#[test]
fn every_vendor_hostname_and_loopback_is_on_the_certificate() {
    let dir = Scratch::new("https-names");
    let mut config = tls_config(&dir.path("data"));
    if let Some(tls) = config.tls.as_mut() {
        tls.hosts = vec!["cc.example.test".into()];
    }
    let emu = start_with(config);
    let trust = client(Some(&ca_pem(&emu)));
    let req = request("GET", "/_ccemu/health", Some("localhost"), &[], b"");
    for name in [
        "localhost",
        "127.0.0.1",
        "::1",
        "acme.udesk.cn",
        "api2.nxcloud.com",
        "api-hk.nxlink.ai",
        "chl-api.nxlink.ai",
        "api-idn.nxlink.ai",
        "service.besclouds.com",
        "cc.example.test",
    ] {
        let (status, _) = over_https(tls_addr(&emu), name, Arc::clone(&trust), &req)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(status, 200, "{name}");
    }
    // A name that is on no certificate is refused by a verifying client.
    assert!(over_https(tls_addr(&emu), "example.com", trust, &req).is_err());
}

#[test]
fn a_client_without_the_ca_is_refused_at_the_handshake() {
    let dir = Scratch::new("https-untrusted");
    let emu = start_with(tls_config(&dir.path("data")));
    let req = request("GET", "/_ccemu/health", Some("localhost"), &[], b"");
    // No roots at all, and the roots of another ccemu's CA.
    let other_dir = Scratch::new("https-untrusted-other");
    let other = start_with(tls_config(&other_dir.path("data")));
    for cfg in [client(None), client(Some(&ca_pem(&other)))] {
        let err = over_https(tls_addr(&emu), "api2.nxcloud.com", cfg, &req)
            .expect_err("handshake must fail");
        assert!(
            err.to_string().contains("UnknownIssuer") || err.to_string().contains("certificate"),
            "{err}"
        );
    }
    // Nothing reached the vendor side.
    let journal = admin(&emu, "GET", "/requests", None);
    assert_eq!(
        journal.json["requests"].as_array().map(Vec::len),
        Some(0),
        "{}",
        journal.text
    );
}

#[test]
fn garbage_and_stalled_client_hellos_never_hurt_either_listener() {
    let dir = Scratch::new("https-garbage");
    let emu = start_with(Config {
        header_read_timeout: Duration::from_millis(500),
        ..tls_config(&dir.path("data"))
    });
    let trust = client(Some(&ca_pem(&emu)));
    let health = request("GET", "/_ccemu/health", Some("localhost"), &[], b"");
    // Connections that say nothing at all, held open.
    let stalled: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(tls_addr(&emu)).unwrap())
        .collect();
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &[0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00][..],
        &[0u8; 4096][..],
        &[0x16, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5][..],
    ] {
        let mut tcp = TcpStream::connect(tls_addr(&emu)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = tcp.write_all(garbage);
        // The TLS side answers with an alert or closes; it never answers HTTP.
        let mut out = Vec::new();
        let _ = tcp.read_to_end(&mut out);
        assert!(
            !out.starts_with(b"HTTP/"),
            "{:?}",
            &out[..out.len().min(32)]
        );
        // Both listeners keep serving meanwhile.
        assert_eq!(over_http(emu.addr(), &health).0, 200);
        let (status, _) =
            over_https(tls_addr(&emu), "localhost", Arc::clone(&trust), &health).unwrap();
        assert_eq!(status, 200);
    }
    // The stalled handshakes are given up after the head timeout, freeing their slots.
    for mut s in stalled {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(s.read(&mut buf), Ok(0) | Err(_)));
    }
}

#[test]
fn the_ca_is_made_once_and_reused() {
    let dir = Scratch::new("https-reuse");
    let data = dir.path("data");
    let first = start_with(tls_config(&data));
    assert!(first.tls().unwrap().ca_created);
    let ca = ca_pem(&first);
    drop(first);
    let second = start_with(tls_config(&data));
    assert!(!second.tls().unwrap().ca_created);
    assert_eq!(ca_pem(&second), ca, "the CA file is left as it was");
    // A client that trusted the first run's CA trusts the second run's fresh leaf.
    let req = request("GET", "/_ccemu/health", Some("localhost"), &[], b"");
    let (status, _) = over_https(
        tls_addr(&second),
        "api-hk.nxlink.ai",
        client(Some(&ca)),
        &req,
    )
    .unwrap();
    assert_eq!(status, 200);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("ca-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the CA key is private to its owner");
    }
}

#[test]
fn a_certificate_of_ones_own_is_served() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = Scratch::new("https-own");
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["cc.internal.test".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    std::fs::write(dir.path("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.path("key.pem"), leaf_key.serialize_pem()).unwrap();
    let emu = start_with(Config {
        tls: Some(TlsConfig {
            data_dir: dir.path("data"),
            cert: Some(dir.path("cert.pem")),
            key: Some(dir.path("key.pem")),
            ..TlsConfig::default()
        }),
        ..Config::ephemeral()
    });
    assert!(emu.tls().unwrap().ca_file.is_none());
    assert!(
        !dir.path("data").exists(),
        "no local CA is made for an own certificate"
    );
    let req = request("GET", "/_ccemu/health", Some("cc.internal.test"), &[], b"");
    let (status, _) = over_https(
        tls_addr(&emu),
        "cc.internal.test",
        client(Some(ca.pem().as_bytes())),
        &req,
    )
    .unwrap();
    assert_eq!(status, 200);
    // A key that does not belong to the certificate is a start-up error, not a broken listener.
    std::fs::write(
        dir.path("other-key.pem"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let bad = Emulator::start_background(Config {
        tls: Some(TlsConfig {
            data_dir: dir.path("data"),
            cert: Some(dir.path("cert.pem")),
            key: Some(dir.path("other-key.pem")),
            ..TlsConfig::default()
        }),
        ..Config::ephemeral()
    });
    assert!(bad.is_err());
}

#[test]
fn the_binary_prints_the_https_port_and_the_ca() {
    let dir = Scratch::new("https-cli");
    let data = dir.path("data");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args([
            "--port",
            "0",
            "--tls",
            "--tls-host",
            "cc.example.test",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    for _ in 0..5 {
        std::io::BufRead::read_line(&mut out, &mut banner).unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.contains("https://localhost:"), "{banner}");
    assert!(
        banner.contains(&data.join("ca.pem").display().to_string()),
        "{banner}"
    );
    assert!(banner.contains("cc.example.test"), "{banner}");
    assert!(data.join("ca.pem").exists());
}
