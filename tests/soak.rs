//! A few seconds of mixed hostile and ordinary traffic against the binary: half-closed,
//! pipelined, slow and normal clients together. The process must keep answering every kind, and
//! its memory must stay flat once warm (read from /proc, so Linux only).
#![cfg(target_os = "linux")]
mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const HEALTH: &[u8] = b"GET /_ccemu/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Runs `client` in a loop on its own thread until `stop`, counting the rounds it completed.
fn spawn_client(
    stop: &Arc<AtomicBool>,
    rounds: &Arc<AtomicU64>,
    client: impl Fn() + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (stop, rounds) = (Arc::clone(stop), Arc::clone(rounds));
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            client();
            rounds.fetch_add(1, Ordering::Relaxed);
        }
    })
}

#[test]
fn mixed_hostile_traffic_keeps_the_process_answering_with_flat_memory() {
    let (mut child, url) = spawn_ccemu(&["--journal-size".as_ref(), "100".as_ref()]);
    let addr: SocketAddr = url.strip_prefix("http://").unwrap().parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let counters: Vec<Arc<AtomicU64>> = (0..4).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let mut threads = Vec::new();

    // Normal: signed vendor calls and admin reads on fresh connections.
    let base = url.clone();
    threads.push(spawn_client(&stop, &counters[0], move || {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let r = send(
            "GET",
            &format!("{base}/ccapi/v2/spnumbers?{}", udesk_query(now)),
            &[],
            None,
        );
        assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
        assert_eq!(
            send("GET", &format!("{base}/_ccemu/state"), &[], None).status,
            200
        );
    }));
    // Half-closed: request, shut down the write side, read the answer.
    threads.push(spawn_client(&stop, &counters[1], move || {
        let mut s = connect(addr);
        s.write_all(HEALTH).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }));
    // Pipelined: ten requests in one write, ten answers back.
    threads.push(spawn_client(&stop, &counters[2], move || {
        let mut s = connect(addr);
        s.write_all(&HEALTH.repeat(10)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        while got.windows(12).filter(|w| w == b"HTTP/1.1 200").count() < 10 {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
    }));
    // Slow: 40 connections dribbling a request head a byte at a time, reopened when cut off.
    threads.push(spawn_client(&stop, &counters[3], move || {
        let mut slow: Vec<TcpStream> = (0..40).map(|_| connect(addr)).collect();
        for _ in 0..20 {
            for s in &mut slow {
                let _ = s.write_all(b"G");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }));

    let pid = child.id();
    std::thread::sleep(Duration::from_millis(1000));
    let warm = rss_kb(pid);
    let warm_rounds: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    std::thread::sleep(Duration::from_millis(2500));
    let end = rss_kb(pid);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a client saw a wrong answer");
    }
    let rounds: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    eprintln!("rss warm {warm} KB, end {end} KB; rounds warm {warm_rounds:?}, end {rounds:?}");
    // Every kind of client kept being served after the warm-up.
    for (w, e) in warm_rounds.iter().zip(&rounds) {
        assert!(e > w, "a client stalled: {warm_rounds:?} -> {rounds:?}");
    }
    assert!(
        end <= warm + warm / 4 + 4096,
        "memory grew under steady traffic: {warm} KB -> {end} KB"
    );
    assert_eq!(
        send("GET", &format!("{url}/_ccemu/health"), &[], None).status,
        200
    );
    let _ = child.kill();
    let _ = child.wait();
}
