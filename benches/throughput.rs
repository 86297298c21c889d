//! Side-by-side throughput: a bare hyper server that answers a fixed JSON body, and ccemu answering
//! signed vendor calls (signature check, one model lock, serialisation). Both run in this process
//! on the same kind of runtime (2 workers) and are driven by the same client threads over
//! keep-alive connections on loopback; the ratio is what matters, not the absolute numbers.
//!
//! Run: `cargo bench --bench throughput` (env BENCH_REQUESTS, BENCH_CONNECTIONS to change the load).

#[path = "common/bare.rs"]
mod bare;

use ccemu::{Config, Emulator};
use hyper::body::Bytes;
use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The baseline (`common/bare.rs`) on a thread of its own; answers its address.
fn start_bare_hyper(bodies: HashMap<String, Bytes>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        bare::serve(([127, 0, 0, 1], 0).into(), bodies, |addr| {
            tx.send(addr).expect("send")
        })
    });
    rx.recv().expect("bare hyper address")
}

/// ccemu's answer body to one request, for the baseline to send back verbatim.
fn body_of(addr: SocketAddr, request: &[u8]) -> Bytes {
    let mut stream = TcpStream::connect(addr).expect("connect");
    // The same request with `Connection: close` after its request line, so the answer ends.
    let line_end = request
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(request.len(), |i| i + 2);
    let mut closing = request[..line_end].to_vec();
    closing.extend_from_slice(b"Connection: close\r\n");
    closing.extend_from_slice(&request[line_end..]);
    stream.write_all(&closing).expect("write");
    let mut all = Vec::new();
    stream.read_to_end(&mut all).expect("read");
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(all.len(), |i| i + 4);
    Bytes::from(all[split..].to_vec())
}

/// Sends `n` requests built by `make` over one keep-alive connection; answers how many got a 200.
fn drive(addr: SocketAddr, n: usize, make: &(dyn Fn() -> Vec<u8> + Sync)) -> usize {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut ok = 0;
    let mut line = String::new();
    for _ in 0..n {
        writer.write_all(&make()).expect("write");
        line.clear();
        reader.read_line(&mut line).expect("status line");
        if line.starts_with("HTTP/1.1 200") {
            ok += 1;
        }
        let mut len = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).expect("body");
    }
    ok
}

fn measure(
    label: &str,
    addr: SocketAddr,
    total: usize,
    conns: usize,
    make: &(dyn Fn() -> Vec<u8> + Sync),
) -> f64 {
    // Warm up connections and caches.
    drive(addr, 200, make);
    let per = total / conns;
    let start = Instant::now();
    let ok: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..conns)
            .map(|_| s.spawn(|| drive(addr, per, make)))
            .collect();
        handles.into_iter().map(|h| h.join().expect("client")).sum()
    });
    let secs = start.elapsed().as_secs_f64();
    let rps = (per * conns) as f64 / secs;
    println!(
        "{label:<44} {rps:>10.0} req/s   ({ok}/{} answered 200, {secs:.2} s)",
        per * conns
    );
    rps
}

fn udesk_get(path: &str, now_ms: i64) -> Vec<u8> {
    let ts = now_ms.to_string();
    let mut h = Sha1::new();
    h.update(format!("udesk-demo-sidudesk-demo-token{ts}").as_bytes());
    let sign: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "GET /ccapi/v2{path}?AppId=4b8dc715-05e0-4340-6cae-a6e3c39a6012&Timestamp={ts}&Sign={sign}&Sid=udesk-demo-sid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .into_bytes()
}

/// A signed NXCloud call, md5 over the sorted headers, the body and the secret.
fn nx_post(op: &str, body: &str, now_ms: i64) -> Vec<u8> {
    use md5::{Digest as _, Md5};
    let ts = now_ms.to_string();
    let text = format!("accessKey=fme2na3kdi3ki&action=cc&bizType=8&ts={ts}&body={body}&accessSecret=nx-demo-secret");
    let sign: String = Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "POST /saas/cc/openapi/{op} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\naccessKey: fme2na3kdi3ki\r\nts: {ts}\r\nbizType: 8\r\naction: cc\r\nsign: {sign}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A Huawei AccessToken for the demo app.
fn huawei_token(addr: SocketAddr) -> String {
    let body = r#"{"app_key":"huawei-demo-ak","app_secret":"huawei-demo-sk"}"#;
    let req = format!(
        "POST /apigovernance/api/oauth/tokenByAkSk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Token-Expire: 3600\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&body_of(addr, req.as_bytes())).expect("token JSON");
    answer["AccessToken"]
        .as_str()
        .expect("AccessToken")
        .to_string()
}

fn main() {
    let total = env_usize("BENCH_REQUESTS", 40_000);
    let conns = env_usize("BENCH_CONNECTIONS", 8);
    let emu = Emulator::start_background(Config::ephemeral()).expect("ccemu");
    emu.ctx().clock.set_frozen(true);
    let now = emu.ctx().clock.now_ms();
    let token = huawei_token(emu.addr());
    let cases = [
        (
            "udesk GET /spnumbers (signed)",
            "/ccapi/v2/spnumbers",
            udesk_get("/spnumbers", now),
        ),
        (
            "udesk GET /agents (signed, 9 agents)",
            "/ccapi/v2/agents",
            udesk_get("/agents", now),
        ),
        (
            "nxcloud agentGroup/member/list (md5)",
            "/saas/cc/openapi/agentGroup/member/list",
            nx_post("agentGroup/member/list", r#"{"tenantId":144,"queueNo":"NXQueue0001"}"#, now),
        ),
        (
            "huawei queryAgentInfo (Bearer)",
            "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
            format!("GET /apiaccess/CC-Mangemant/v1/queryAgentInfo HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").into_bytes(),
        ),
    ];
    let bodies = cases
        .iter()
        .map(|(_, path, req)| (path.to_string(), body_of(emu.addr(), req)))
        .collect();
    let bare = start_bare_hyper(bodies);
    println!("{total} requests over {conns} keep-alive connections, per case and server\n");
    let mut ratios = Vec::new();
    for (label, _, req) in &cases {
        let base = measure(
            &format!("bare hyper, same bytes as {label}"),
            bare,
            total,
            conns,
            &|| req.clone(),
        );
        let emu_rps = measure(&format!("ccemu {label}"), emu.addr(), total, conns, &|| {
            req.clone()
        });
        ratios.push(format!("{label}: {:.0}%", 100.0 * emu_rps / base));
    }
    println!("\nccemu / bare hyper: {}", ratios.join(", "));
}
