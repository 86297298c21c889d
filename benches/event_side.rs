//! The event side of ccemu (issue 25), measured in one process: what a load profile or a
//! dashboard leans on, which the request benchmarks never touch.
//!
//! 1. Webhook deliveries to a local keep-alive receiver: deliveries per second, and the real time
//!    from the API answer that caused an event to the event's arrival (p50/p99).
//! 2. Signed request throughput while every change is delivered to a receiver that answers 200,
//!    one that answers 500 (so every delivery is retried), and one that never answers (so every
//!    delivery times out), against no subscription at all: a failing receiver must not cost the
//!    API more than 10 %. The four run in turn for a few rounds; each keeps its best run. Memory
//!    per pending delivery is read from the silent receiver's backlog, as heap bytes held
//!    (`Counting`).
//! 3. A virtual day of 100,000 calls through an IVR flow (keys, speech, voicemail, hang-ups) into
//!    two queues, with agents holding, consulting and transferring: calls simulated per second of
//!    real time; and memory per live call (calls kept waiting in a queue with no agent), in heap
//!    bytes held.
//!
//! Each figure is printed as a line, and all of them as one `BENCH_JSON {...}` line that
//! bench/bench.py reads into BENCHMARKS.md. Run: `cargo bench --bench event_side`
//! (BENCH_QUICK=1 for a smaller run).

use ccemu::{Config, Emulator};
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APP: &str = "4b8dc715-05e0-4340-6cae-a6e3c39a6012";
const SID: &str = "udesk-demo-sid";
const TOKEN: &str = "udesk-demo-token";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build()
}

fn send(a: &ureq::Agent, method: &str, url: &str, body: &Value) -> Value {
    match a
        .request(method, url)
        .set("Content-Type", "application/json")
        .send_json(body)
    {
        Ok(r) => r.into_json().unwrap_or(Value::Null),
        Err(ureq::Error::Status(_, r)) => r.into_json().unwrap_or(Value::Null),
        Err(e) => panic!("{url}: {e}"),
    }
}

fn get(a: &ureq::Agent, url: &str) -> Value {
    a.get(url).call().expect(url).into_json().expect("json")
}

fn signed(base: &str, path: &str, ts: i64) -> String {
    let mut h = Sha1::new();
    h.update(format!("{SID}{TOKEN}{ts}").as_bytes());
    let sign: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{base}/ccapi/v2{path}{sep}AppId={APP}&Timestamp={ts}&Sign={sign}&Sid={SID}")
}

/// The system allocator, counting the bytes handed out and given back while `COUNTING` is on.
///
/// The memory figures are heap bytes held, counted here, and not growth of the resident size.
/// The resident size moved with whatever the earlier phases of this process had freed into the
/// allocator's pools: one full run measured a pending delivery at -146 bytes. It also counts whole
/// pages. Off, the count costs one relaxed load of a flag that nothing writes, so the throughput
/// phases are not slowed by threads contending for a counter.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);

fn count(bytes: i64) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(bytes, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on to `System` unchanged; the counting touches no memory of the
// blocks.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and answers what it returned and by how many bytes the heap grew while it ran (all
/// threads: the emulator's, the clients' and the receivers').
fn heap_growth<R>(f: impl FnOnce() -> R) -> (R, i64) {
    LIVE.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::SeqCst);
    let r = f();
    COUNTING.store(false, Ordering::SeqCst);
    (r, LIVE.load(Ordering::Relaxed))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// How a receiver answers.
#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    Error,
    Never,
}

/// A keep-alive HTTP/1.1 receiver on port 0: counts the requests it reads and the instant each
/// arrived.
struct Receiver {
    url: String,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

fn receiver(answer: Answer) -> Receiver {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", l.local_addr().expect("addr"));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || serve(conn, answer, &seen));
        }
    });
    Receiver { url, arrivals }
}

fn serve(conn: TcpStream, answer: Answer, seen: &Mutex<Vec<Instant>>) {
    let _ = conn.set_nodelay(true);
    let mut out = conn.try_clone().expect("clone");
    let mut r = BufReader::new(conn);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        // The request line and headers.
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().expect("arrivals").push(Instant::now());
        let reply: &[u8] = match answer {
            Answer::Ok => b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Answer::Error => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
            Answer::Never => {
                // Holds the connection open, reading nothing more.
                std::thread::sleep(Duration::from_secs(3600));
                return;
            }
        };
        if out.write_all(reply).is_err() {
            return;
        }
    }
}

/// An emulator on the real clock, its URL and a client; the Udesk demo app's agent 189 is
/// subscribed (when `to` is given) for agent state changes.
fn emulator(to: Option<&str>) -> (Emulator, String, ureq::Agent) {
    emulator_with(to, Config::ephemeral())
}

fn emulator_with(to: Option<&str>, config: Config) -> (Emulator, String, ureq::Agent) {
    let emu = Emulator::start_background(config).expect("start");
    let base = emu.url();
    let a = agent();
    if let Some(url) = to {
        let now = now_ms(&a, &base);
        let r = send(
            &a,
            "POST",
            &signed(&base, "/subscriptions", now),
            &json!({"subscriptions": [{"callback": url, "events": ["agent_state"], "name": "bench"}]}),
        );
        assert_eq!(r["ErrCode"], "000000", "{r}");
    }
    (emu, base, a)
}

fn now_ms(a: &ureq::Agent, base: &str) -> i64 {
    get(a, &format!("{base}/_ccemu/clock"))["now_ms"]
        .as_i64()
        .expect("now_ms")
}

/// Signed agent login/logout pairs from `threads` clients for `secs`; answers requests per
/// second and the instant each request was answered, in order, per client.
fn hammer(base: &str, threads: usize, secs: f64, limit: usize) -> (f64, Vec<Instant>) {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (base, stop, count, answered) = (
                base.to_string(),
                Arc::clone(&stop),
                Arc::clone(&count),
                Arc::clone(&answered),
            );
            std::thread::spawn(move || {
                let a = agent();
                let now = now_ms(&a, &base);
                // Each client its own agent, so that every request is a change (an event).
                let id = ["189", "355", "10032"][t % 3];
                let mut mine = Vec::new();
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) && count.load(Ordering::Relaxed) < limit as u64
                {
                    let path = if i.is_multiple_of(2) {
                        "/agent/login?MsgId=b"
                    } else {
                        "/agent/logout"
                    };
                    let r = send(
                        &a,
                        "POST",
                        &signed(&base, path, now),
                        &json!({"agent_id": id}),
                    );
                    assert_eq!(r["ErrCode"], "000000", "{id}: {r}");
                    mine.push(Instant::now());
                    count.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                answered.lock().expect("answered").extend(mine);
            })
        })
        .collect();
    while started.elapsed().as_secs_f64() < secs && count.load(Ordering::Relaxed) < limit as u64 {
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("client");
    }
    let took = started.elapsed().as_secs_f64();
    let mut all = Arc::try_unwrap(answered)
        .expect("joined")
        .into_inner()
        .expect("answered");
    all.sort();
    (count.load(Ordering::Relaxed) as f64 / took, all)
}

/// Webhook deliveries to a keep-alive receiver that answers 200.
fn deliveries(n: usize) -> Value {
    let rx = receiver(Answer::Ok);
    // Room for every event: the figure is how fast they are delivered. With the default bound
    // (16,384 waiting per target) a burst sent faster than one receiver takes them has its
    // excess refused, as documented, and the count would measure the bound instead.
    let mut config = Config::ephemeral();
    config.events.backlog = n * 2;
    let (_emu, base, _a) = emulator_with(Some(&rx.url), config);
    let started = Instant::now();
    let (_, answered) = hammer(&base, 2, 600.0, n);
    let deadline = Instant::now() + Duration::from_secs(120);
    while rx.arrivals.lock().expect("arrivals").len() < answered.len() && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(2));
    }
    let arrivals = rx.arrivals.lock().expect("arrivals").clone();
    let last = arrivals.last().copied().unwrap_or(started);
    let per_s = arrivals.len() as f64 / last.duration_since(started).as_secs_f64();
    // The k-th arrival against the k-th answer: deliveries to one target go in event order.
    let mut lag: Vec<f64> = answered
        .iter()
        .zip(&arrivals)
        .map(|(a, r)| r.saturating_duration_since(*a).as_secs_f64() * 1000.0)
        .collect();
    lag.sort_by(f64::total_cmp);
    let out = json!({"events": answered.len(), "delivered": arrivals.len(), "per_s": per_s,
        "p50_ms": percentile(&lag, 0.5), "p99_ms": percentile(&lag, 0.99)});
    println!(
        "deliveries to a keep-alive receiver: {} of {} events delivered, {:.0}/s; API answer to arrival p50 {:.2} ms, p99 {:.2} ms",
        arrivals.len(),
        answered.len(),
        per_s,
        percentile(&lag, 0.5),
        percentile(&lag, 0.99)
    );
    out
}

/// Request throughput with deliveries to a receiver that answers `answer`, or none.
fn throughput_while_delivering(answer: Option<Answer>, secs: f64) -> Value {
    let rx = answer.map(receiver);
    let (_emu, base, a) = emulator(rx.as_ref().map(|r| r.url.as_str()));
    let (per_s, answered) = hammer(&base, 2, secs, usize::MAX);
    let queues = get(&a, &format!("{base}/_ccemu/webhooks"));
    let pending: u64 = queues["targets"]
        .as_array()
        .map(|t| t.iter().filter_map(|q| q["queued"].as_u64()).sum())
        .unwrap_or(0);
    let arrived = rx
        .as_ref()
        .map_or(0, |r| r.arrivals.lock().expect("a").len());
    let label = match answer {
        None => "no subscription",
        Some(Answer::Ok) => "a receiver answering 200",
        Some(Answer::Error) => "a receiver answering 500 (retries)",
        Some(Answer::Never) => "a receiver that never answers (timeouts)",
    };
    println!(
        "signed login/logout with {label}: {per_s:.0} req/s ({} requests); {arrived} delivery attempts arrived, {pending} pending",
        answered.len(),
    );
    json!({"receiver": label, "req_per_s": per_s, "requests": answered.len(), "arrived": arrived, "pending": pending})
}

/// Memory per pending delivery: the same `n` changes made with every one waiting for a receiver
/// that never answers, against none subscribed (the journal and the model grow alike in both).
fn memory_per_pending(n: usize) -> Value {
    let mut grew = Vec::new();
    for answer in [None, Some(Answer::Never)] {
        let rx = answer.map(receiver);
        let (emu, base, a) = emulator(rx.as_ref().map(|r| r.url.as_str()));
        let (_, grown) = heap_growth(|| hammer(&base, 2, 600.0, n));
        let queues = get(&a, &format!("{base}/_ccemu/webhooks"));
        let pending: u64 = queues["targets"]
            .as_array()
            .map(|t| t.iter().filter_map(|q| q["queued"].as_u64()).sum())
            .unwrap_or(0);
        grew.push((grown as f64, pending));
        drop(emu);
    }
    let (base, _) = grew[0];
    let (with, pending) = grew[1];
    let per = (with - base) / pending.max(1) as f64;
    println!(
        "memory per pending delivery: {n} changes, {pending} pending: heap +{:.0} KB against +{:.0} KB with none subscribed, {per:.0} bytes a pending delivery",
        with / 1024.0,
        base / 1024.0
    );
    json!({"changes": n, "pending": pending, "bytes_per_pending": per})
}

fn fixture_for_the_day(agents: usize) -> Value {
    let agents: Vec<Value> = (0..agents)
        .map(|i| {
            let q = if i.is_multiple_of(3) { "B2" } else { "B1" };
            json!({"id": format!("b{i}"), "sip_number": format!("sip-b{i}"), "queues": [q]})
        })
        .collect();
    json!({"tenants": [{"id": APP, "relay_numbers": ["057126200670", "057126200671", "057126200672", "057126200673", "057126200674", "057100000001"],
        "queues": [{"id": "B1", "name": "sales", "strategy": 2}, {"id": "B2", "name": "support", "strategy": 1}],
        "voices": [{"id": "hello", "name": "Hello", "file": "hello.wav", "duration_ms": 2000},
                   {"id": "menu", "name": "Menu", "file": "menu.wav", "duration_ms": 3000},
                   {"id": "vm", "name": "Voicemail", "file": "vm.wav", "duration_ms": 2000}],
        "agents": agents}]})
}

fn flow() -> Value {
    json!({"tenant": APP, "flows": [{"id": "day", "numbers": ["057100000001"], "nodes": [
        {"id": "s", "kind": "start", "next": "hello"},
        {"id": "hello", "kind": "play", "voice": "hello", "next": "menu"},
        {"id": "menu", "kind": "collect_digits", "voice": "menu", "max_digits": 1, "timeout_ms": 5000,
         "next": "route", "on_timeout": "speech"},
        {"id": "route", "kind": "condition", "branches": [
            {"digits": "1", "next": "sales"}, {"digits": "2", "next": "support"},
            {"digits": "9", "next": "voicemail"}], "otherwise": "bye"},
        {"id": "speech", "kind": "collect_speech", "timeout_ms": 5000, "next": "heard", "on_timeout": "bye"},
        {"id": "heard", "kind": "condition", "branches": [{"text_contains": "sales", "next": "sales"}],
         "otherwise": "support"},
        {"id": "sales", "kind": "queue", "queue": "B1"},
        {"id": "support", "kind": "queue", "queue": "B2"},
        {"id": "voicemail", "kind": "voicemail", "voice": "vm", "max_ms": 60000, "next": "e"},
        {"id": "bye", "kind": "hangup"},
        {"id": "e", "kind": "end"}]}]})
}

/// A virtual day of calls through the IVR with agent actions, on a frozen clock moved an hour
/// at a time: calls per second of real time.
fn virtual_day(calls: f64) -> Value {
    let emu = Emulator::start_background(Config::ephemeral()).expect("start");
    let base = emu.url();
    let a = agent();
    let t0 = 1_800_000_000_000i64;
    send(
        &a,
        "POST",
        &format!("{base}/_ccemu/clock"),
        &json!({"frozen": true, "now_ms": t0}),
    );
    // Offered load: calls/day × ~100 s handled, over 86,400 s, plus a fifth for headroom.
    let agents = ((calls * 100.0 / 86_400.0) * 1.2).ceil() as usize + 5;
    let r = send(
        &a,
        "POST",
        &format!("{base}/_ccemu/fixture"),
        &fixture_for_the_day(agents),
    );
    assert!(r.get("error").is_none(), "{r}");
    for i in 0..agents {
        let r = send(
            &a,
            "POST",
            &format!("{base}/_ccemu/agent-state"),
            &json!({"tenant": APP, "agent": format!("b{i}"), "state": "idle", "at_ms": t0 - 1000}),
        );
        assert!(r.get("error").is_none(), "{r}");
    }
    let r = send(&a, "PUT", &format!("{base}/_ccemu/ivr-flows"), &flow());
    assert!(r.get("error").is_none(), "{r}");
    let call = json!({"tenant": APP, "callee": "057100000001",
        "talk_ms": {"mean": 90_000}, "wrapup_ms": {"min": 0, "max": 10_000},
        "caller_scripts": [
            {"weight": 55, "name": "sales", "press": [{"after_ms": 4000, "keys": "1"}]},
            {"weight": 20, "name": "support", "press": [{"after_ms": 4000, "keys": "2"}]},
            {"weight": 10, "name": "speaks", "say": [{"after_ms": 9000, "text": "sales please"}]},
            {"weight": 5, "name": "voicemail", "press": [{"after_ms": 4000, "keys": "9"}], "voicemail_ms": 15000},
            {"weight": 10, "name": "gives up", "hangup_after_ms": 3000}],
        "actions": [{"after_ms": 20_000, "action": "hold"}, {"after_ms": 30_000, "action": "resume"}]});
    let r = send(
        &a,
        "POST",
        &format!("{base}/_ccemu/scenarios"),
        &json!({"name": "day", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": calls / 24.0, "duration_ms": 86_400_000, "call": call}]}),
    );
    assert!(r.get("error").is_none(), "{r}");
    let started = Instant::now();
    for _ in 0..25 {
        send(
            &a,
            "POST",
            &format!("{base}/_ccemu/clock"),
            &json!({"advance_ms": 3_600_000}),
        );
    }
    let took = started.elapsed().as_secs_f64();
    let made = get(&a, &format!("{base}/_ccemu/calls?limit=0"))["total"]
        .as_u64()
        .unwrap_or(0);
    let answered = get(&a, &format!("{base}/_ccemu/calls?outcome=answered&limit=0"))["total"]
        .as_u64()
        .unwrap_or(0);
    let per_s = made as f64 / took;
    println!(
        "a virtual day through the IVR with hold/resume: {made} calls ({answered} answered, {agents} agents) in {took:.2} s of real time, {per_s:.0} calls/s"
    );
    json!({"offered": calls, "calls": made, "answered": answered, "agents": agents, "real_s": took, "calls_per_s": per_s})
}

/// Memory per live call: calls waiting in a queue with no agent logged in.
fn memory_per_live_call(n: usize) -> Value {
    let emu = Emulator::start_background(Config::ephemeral()).expect("start");
    let base = emu.url();
    let a = agent();
    let t0 = 1_800_000_000_000i64;
    send(
        &a,
        "POST",
        &format!("{base}/_ccemu/clock"),
        &json!({"frozen": true, "now_ms": t0}),
    );
    let r = send(
        &a,
        "POST",
        &format!("{base}/_ccemu/fixture"),
        &json!({"tenants": [{"id": APP, "queues": [{"id": "M1", "name": "nobody", "strategy": 2}], "agents": []}]}),
    );
    assert!(r.get("error").is_none(), "{r}");
    let (live, grown) = heap_growth(|| {
        // n arrivals in ten virtual minutes (a load profile's rate is at most 1,000,000 calls an
        // hour), each willing to wait a day.
        let r = send(
            &a,
            "POST",
            &format!("{base}/_ccemu/scenarios"),
            &json!({"name": "live", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": (n as f64) * 6.0, "duration_ms": 600_000,
            "call": {"tenant": APP, "queue": "M1", "wait_limit_ms": 86_400_000}}]}),
        );
        assert!(r.get("error").is_none(), "{r}");
        send(
            &a,
            "POST",
            &format!("{base}/_ccemu/clock"),
            &json!({"advance_ms": 601_000}),
        );
        get(&a, &format!("{base}/_ccemu/calls?state=queued&limit=0"))["total"]
            .as_u64()
            .unwrap_or(0)
    });
    let per = grown as f64 / live.max(1) as f64;
    println!(
        "memory per live call: {live} calls waiting, heap +{} KB, {per:.0} bytes a call",
        grown / 1024
    );
    json!({"live": live, "bytes_per_call": per})
}

fn main() {
    let q = quick();
    let secs = if q { 2.0 } else { 5.0 };
    let delivered = deliveries(if q { 4_000 } else { 20_000 });
    // The four receivers in turn, a few rounds, the best run of each kept: on a machine shared
    // with other work noise only ever slows, and a single pass in a fixed order measured the
    // machine's load falling as much as the receivers (1.3-1.9x "faster" beside failing ones).
    let receivers = [
        None,
        Some(Answer::Ok),
        Some(Answer::Error),
        Some(Answer::Never),
    ];
    let mut during = vec![Value::Null; receivers.len()];
    for _ in 0..(if q { 2 } else { 3 }) {
        for (best, answer) in during.iter_mut().zip(receivers) {
            let r = throughput_while_delivering(answer, secs);
            if best.is_null() || r["req_per_s"].as_f64() > best["req_per_s"].as_f64() {
                *best = r;
            }
        }
    }
    let pending = memory_per_pending(10_000);
    let day = virtual_day(if q { 20_000.0 } else { 100_000.0 });
    let live = memory_per_live_call(if q { 5_000 } else { 20_000 });
    println!(
        "BENCH_JSON {}",
        json!({"deliveries": delivered, "during": during, "pending": pending, "day": day, "live": live})
    );
}
