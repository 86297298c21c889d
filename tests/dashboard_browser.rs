//! The dashboard in a real browser: headless Chromium driven over the DevTools protocol (a small
//! client on `tungstenite`), against an emulator in this process. A call rings, is answered, hangs
//! up, a delivery is made, an agent goes to wrap-up: each change must show in the page within a
//! second of the admin call that made it happen. Then an action clicked in the page must change
//! the model, and a refusal must show the API's message. A screenshot is left in
//! `target/dashboard.png`.
//!
//! Without Chromium the test says so loudly and passes, except under CI (`CI` set), where a
//! missing browser fails it: `.ci/run` installs one.

mod common;

use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// What the issue asks: a change shows within a second of the virtual event.
const WITHIN: Duration = Duration::from_millis(1000);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CCEMU_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The browser process, killed (and its profile removed) when the test ends either way.
struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn launch(exe: &Path, name: &str) -> (Browser, u16) {
    let profile =
        std::env::temp_dir().join(format!("ccemu-chromium-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let browser = Browser { child, profile };
    // Chromium writes the port it picked here once it listens.
    let file = browser.profile.join("DevToolsActivePort");
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        if let Some(port) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u16>().ok()))
        {
            break port;
        }
        assert!(
            Instant::now() < deadline,
            "chromium did not open its DevTools port"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    (browser, port)
}

/// A DevTools session on one page.
struct Cdp {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
}

impl Cdp {
    fn connect(port: u16) -> Cdp {
        let list: Value = ureq::get(&format!("http://127.0.0.1:{port}/json/list"))
            .call()
            .expect("DevTools target list")
            .into_json()
            .unwrap();
        let url = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let (mut ws, _) = tungstenite::connect(url).expect("DevTools websocket");
        if let MaybeTlsStream::Plain(s) = ws.get_mut() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        Cdp { ws, next: 1 }
    }

    /// Sends a command and answers its result; events in between are skipped.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).expect("send to chromium");
        loop {
            let m = self.ws.read().expect("read from chromium");
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method} failed: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Reads until the event `method` arrives (after a command that causes it).
    fn wait_event(&mut self, method: &str) {
        loop {
            let m = self.ws.read().expect("read from chromium");
            let Ok(text) = m.to_text() else { continue };
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if v["method"] == method {
                return;
            }
        }
    }

    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits, in the page, for `cond` (a JS expression) to hold: checked on every DOM change,
    /// up to `timeout`. Answers how long it took, or fails the test with `what`.
    fn wait_for(&mut self, what: &str, cond: &str, timeout: Duration, since: Instant) -> Duration {
        let left = timeout.saturating_sub(since.elapsed()).as_millis();
        let js = format!(
            "new Promise((ok) => {{
               const cond = () => {{ try {{ return !!({cond}); }} catch (_) {{ return false; }} }};
               if (cond()) return ok(true);
               const obs = new MutationObserver(() => {{ if (cond()) {{ obs.disconnect(); clearTimeout(t); ok(true); }} }});
               const t = setTimeout(() => {{ obs.disconnect(); ok(cond()); }}, {left});
               obs.observe(document.documentElement, {{subtree: true, childList: true, characterData: true, attributes: true}});
             }})"
        );
        let met = self.eval(&js);
        let took = since.elapsed();
        if met != json!(true) {
            let body = self.eval("document.querySelector('main').innerText.slice(0, 3000)");
            panic!(
                "{what}: not shown within {timeout:?} (waited {took:?}); page:\n{}",
                body.as_str().unwrap_or("")
            );
        }
        took
    }
}

fn agent_state_is(agent: &str, state: &str) -> String {
    format!("document.querySelector('[data-agent-row=\"{agent}\"] [data-state]').dataset.state === '{state}'")
}

fn b64decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=' && c != b'\n').collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | (val(c) as u32) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Chromium, or `None` after a loud message; under CI a missing browser fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let exe = chromium();
    if exe.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but no chromium was found: .ci/run installs Debian's chromium");
        }
        eprintln!(
            "\n\n!!!!!!!!!! SKIPPED: the dashboard browser test needs chromium (apt-get install chromium); it runs in CI !!!!!!!!!!\n\n"
        );
    }
    exe
}

/// A ccemu process, stopped when the test ends either way.
struct Ccemu(Child);

impl Drop for Ccemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The ccemu binary on `port` (0: a free one), and the port it took.
fn spawn_on(port: u16) -> (Ccemu, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ccemu runs");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in the banner: {first}"));
    (Ccemu(child), port)
}

// It once failed about one run in four: stream ids restarted at 1 in each process, so after a
// restart the page's old Last-Event-ID looked like an id of the new process and was "resumed"
// from, skipping what came first. Ids now start after the process's start time in µs and only
// ids this process gave out resume (src/hub.rs).
#[test]
fn the_page_reconnects_and_catches_up_after_a_restart() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let (first, port) = spawn_on(0);
    let url = format!("http://127.0.0.1:{port}");
    let (_browser, devtools) = launch(&exe, "restart");
    let mut page = Cdp::connect(devtools);
    page.call("Page.enable", json!({}));
    page.call(
        "Page.navigate",
        json!({"url": format!("{url}/_ccemu/ui?tenant={UDESK_APP_ID}")}),
    );
    page.wait_event("Page.loadEventFired");
    let live = "document.getElementById('conn').textContent === 'live'";
    page.wait_for(
        "the page live",
        &format!("{live} && document.querySelector('[data-agent-row=\"9006\"]')"),
        Duration::from_secs(20),
        Instant::now(),
    );
    let r = send(
        "POST",
        &format!("{url}/_ccemu/agent-state"),
        &[("Content-Type", "application/json")],
        Some(br#"{"tenant": "4b8dc715-05e0-4340-6cae-a6e3c39a6012", "agent": "9006", "state": "idle"}"#),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    page.wait_for(
        "9006 idle",
        &agent_state_is("9006", "idle"),
        WITHIN,
        Instant::now(),
    );

    // ccemu stops: the page says so, and keeps trying.
    drop(first);
    page.wait_for(
        "the page noticing the restart",
        "document.getElementById('conn').textContent === 'reconnecting'",
        Duration::from_secs(10),
        Instant::now(),
    );
    // ccemu is back, with its start-up state: the page reconnects and reads it afresh.
    let (_second, again) = spawn_on(port);
    assert_eq!(again, port);
    let t = Instant::now();
    page.wait_for(
        "the page live again with the fresh state",
        &format!("{live} && {}", agent_state_is("9006", "offline")),
        Duration::from_secs(10),
        t,
    );
    eprintln!("caught up {:?} after ccemu came back", t.elapsed());
}

#[test]
fn the_dashboard_follows_a_call_and_acts_on_the_model() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let emu = start();
    let t0 = now_ms(&emu);
    freeze_at(&emu, t0);
    let rx = Receiver::start();
    udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": rx.url, "events": ["call"], "name": "calls"}]})),
    );

    let (_browser, port) = launch(&exe, "follow");
    let mut page = Cdp::connect(port);
    page.call("Page.enable", json!({}));
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/_ccemu/ui?tenant={UDESK_APP_ID}", emu.url())}),
    );
    // Evaluated before this, a script could still land in the blank page being left.
    page.wait_event("Page.loadEventFired");
    page.wait_for(
        "the page catching up and following the stream",
        "document.getElementById('conn').textContent === 'live' && document.querySelector('[data-agent-row=\"9006\"]')",
        Duration::from_secs(20),
        Instant::now(),
    );

    // An agent logs in.
    let t = Instant::now();
    let r = admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "9006", "state": "idle"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let took_login = page.wait_for(
        "agent 9006 idle",
        &agent_state_is("9006", "idle"),
        WITHIN,
        t,
    );

    // A call enters queue 9001 and rings the only idle agent.
    let t = Instant::now();
    let r = admin(
        &emu,
        "POST",
        "/calls",
        Some(
            json!({"tenant": UDESK_APP_ID, "queue": "9001", "caller": "13800138000",
                    "ring_ms": 2000, "talk_ms": 5000, "wrapup_ms": 3000}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    let card = format!("document.querySelector('#live [data-call=\"{id}\"] [data-call-state]')");
    page.wait_for(
        "the call ringing",
        &format!(
            "{card}.dataset.callState === 'ringing' && {}",
            agent_state_is("9006", "ringing")
        ),
        WITHIN,
        t,
    );

    // Answered after the ring.
    let t = Instant::now();
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 2000})));
    page.wait_for(
        "the call answered",
        &format!(
            "{card}.dataset.callState === 'talking' && {} && document.querySelector('#live [data-call=\"{id}\"] [data-step=\"answer\"]')",
            agent_state_is("9006", "calling")
        ),
        WITHIN,
        t,
    );
    let queue_waiting =
        page.eval("document.querySelector('[data-queue=\"9001\"] [data-waiting]').dataset.waiting");
    assert_eq!(queue_waiting, json!("0"));

    // Hung up: finished with its record, the agent in wrap-up, the events delivered.
    let t = Instant::now();
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 5000})));
    let took_hangup = page.wait_for(
        "hang-up, wrap-up and a delivery",
        &format!(
            "document.querySelector('#done [data-call=\"{id}\"] [data-step=\"hangup\"]') && {} && document.querySelector('#deliveries [data-status=\"delivered\"]')",
            agent_state_is("9006", "wrapup")
        ),
        WITHIN,
        t,
    );
    assert!(!rx.hits().is_empty(), "the receiver heard the call");

    // An action clicked in the page changes the model.
    let t = Instant::now();
    page.eval(
        "(() => { const s = document.querySelector('select[data-agent=\"9007\"]'); s.value = 'rest:meeting';
                  document.querySelector('[data-set-agent=\"9007\"]').click(); return true; })()",
    );
    page.wait_for(
        "agent 9007 set from the page",
        &agent_state_is("9007", "rest:meeting"),
        WITHIN,
        t,
    );
    let snap = admin(
        &emu,
        "GET",
        &format!("/ui/snapshot?tenant={UDESK_APP_ID}"),
        None,
    );
    let a = snap.json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "9007")
        .unwrap()
        .clone();
    assert_eq!(a["state"], "rest:meeting", "the model moved: {a}");

    // A refusal shows the API's own message.
    let t = Instant::now();
    page.eval(
        "(() => { document.getElementById('sc-script').value = '{\"no_such_field\": 1}';
                  document.querySelector('#startcall button[type=submit]').click(); return true; })()",
    );
    page.wait_for(
        "the API's refusal",
        "!document.getElementById('msg').hidden && document.getElementById('msg').textContent.includes('unknown field `no_such_field`')",
        WITHIN,
        t,
    );

    let shot = page.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = b64decode(shot["data"].as_str().unwrap());
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("dashboard.png"), &png).unwrap();
    eprintln!("login shown after {took_login:?}, hang-up after {took_hangup:?}; screenshot in target/dashboard.png");
}

/// Readable on a narrow window (nothing wider than 400 px makes the page scroll sideways) and
/// usable from the keyboard alone: Tab reaches an agent's controls, and Enter on the focused
/// button changes the model.
#[test]
fn the_page_fits_a_narrow_window_and_works_from_the_keyboard() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let emu = start();
    let (_browser, port) = launch(&exe, "narrow");
    let mut page = Cdp::connect(port);
    page.call("Page.enable", json!({}));
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
    );
    page.call(
        "Page.navigate",
        json!({"url": format!("{}/_ccemu/ui?tenant={UDESK_APP_ID}", emu.url())}),
    );
    page.wait_event("Page.loadEventFired");
    page.wait_for(
        "the page live",
        "document.getElementById('conn').textContent === 'live' && document.querySelector('[data-agent-row=\"9007\"]')",
        Duration::from_secs(20),
        Instant::now(),
    );
    let widths = page.eval(
        "[document.documentElement.scrollWidth, window.innerWidth,
          [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
             && ![...document.querySelectorAll('body *')].some(a => a !== e && a.contains(e)
                   && ['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX))).slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)]",
    );
    let (scroll, inner) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
    assert!(
        scroll <= inner + 1.0,
        "the page scrolls sideways at 400 px: {widths}"
    );

    // Every control can take the focus: nothing interactive is taken out of the tab order.
    let untabbable = page.eval(
        "[...document.querySelectorAll('button, select, input, textarea, a[href]')]
           .filter(e => e.tabIndex < 0 && e.offsetParent !== null).map(e => e.outerHTML.slice(0, 80))",
    );
    assert_eq!(untabbable, json!([]), "controls out of the tab order");

    // Tab to agent 9007's select, pick the next state with the arrow key, and while the table is
    // redrawn by another agent's events, Tab on to its button and press Enter.
    let key = |page: &mut Cdp, key: &str, code: i64| {
        for kind in ["keyDown", "keyUp"] {
            let mut p =
                json!({"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code});
            if key == "Enter" && kind == "keyDown" {
                p["text"] = json!("\r");
            }
            page.call("Input.dispatchKeyEvent", p);
        }
    };
    let focused_is = |page: &mut Cdp, sel: &str| {
        page.eval(&format!(
            "document.activeElement === document.querySelector('{sel}')"
        )) == json!(true)
    };
    let select = "select[data-agent=\"9007\"]";
    let mut tabs = 0;
    while !focused_is(&mut page, select) {
        key(&mut page, "Tab", 9);
        tabs += 1;
        assert!(tabs < 400, "Tab never reached agent 9007's state select");
    }
    key(&mut page, "ArrowDown", 40);
    let picked = page.eval(&format!("document.querySelector('{select}').value"));
    assert_ne!(
        picked,
        json!("offline"),
        "the arrow key picks another state"
    );
    set_agent(&emu, "9006", "idle");
    page.wait_for(
        "9006 idle",
        &agent_state_is("9006", "idle"),
        WITHIN,
        Instant::now(),
    );
    assert!(focused_is(&mut page, select), "the redraw kept the focus");
    assert_eq!(
        page.eval(&format!("document.querySelector('{select}').value")),
        picked
    );
    key(&mut page, "Tab", 9);
    assert!(
        focused_is(&mut page, "[data-set-agent=\"9007\"]"),
        "Tab moves on to the Set button"
    );
    let t = Instant::now();
    key(&mut page, "Enter", 13);
    let picked = picked.as_str().unwrap().to_string();
    page.wait_for(
        "agent 9007 set from the keyboard",
        &agent_state_is("9007", &picked),
        WITHIN,
        t,
    );
    let snap = admin(
        &emu,
        "GET",
        &format!("/ui/snapshot?tenant={UDESK_APP_ID}"),
        None,
    );
    let a = snap.json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "9007")
        .unwrap()
        .clone();
    assert_eq!(a["state"], picked.as_str(), "the model moved: {a}");
    let shot = page.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = b64decode(shot["data"].as_str().unwrap());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("dashboard-narrow.png"), &png).unwrap();
    eprintln!("{tabs} Tab presses to agent 9007's select at 400 px; it became {picked}");
}

fn set_agent(emu: &ccemu::Emulator, agent: &str, state: &str) {
    let r = admin(
        emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": UDESK_APP_ID, "agent": agent, "state": state})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}
