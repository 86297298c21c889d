//! Udesk subscriptions that really deliver: a receiver in the test process on port 0, the
//! delivery log, retries on the virtual clock, faults on deliveries, bounds.
mod common;
use ccemu::model::ModelEvent;
use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;
const LONG: Duration = Duration::from_secs(20);

/// Subscribes `events` for the demo app with `callback`, answering the subscription id.
fn subscribe(emu: &ccemu::Emulator, name: &str, callback: &str, events: &[&str]) -> u64 {
    let r = udesk_ok(
        emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": callback, "events": events, "name": name}]})),
    );
    r["sub_succ"][0]["subid"].as_u64().expect("subid")
}

fn login(emu: &ccemu::Emulator, agent: &str) {
    udesk_session(emu, "/agent/login?MsgId=m1", agent);
}

fn logout(emu: &ccemu::Emulator, agent: &str) {
    udesk_session(emu, "/agent/logout", agent);
}

fn udesk_session(emu: &ccemu::Emulator, path: &str, agent: &str) {
    let r = udesk(emu, "POST", path, Some(json!({"agent_id": agent})));
    assert_eq!(r.json["ErrCode"], "000000", "{path}: {}", r.text);
}

fn deliveries(emu: &ccemu::Emulator, query: &str) -> Vec<Value> {
    let r = admin(emu, "GET", &format!("/webhooks/deliveries{query}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["deliveries"].as_array().cloned().unwrap_or_default()
}

fn wait(emu: &ccemu::Emulator, m: Value, count: usize) -> Vec<Value> {
    let r = admin(
        emu,
        "POST",
        "/webhooks/wait",
        Some(json!({"match": m, "count": count, "timeout_ms": 20_000})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["deliveries"].as_array().cloned().unwrap_or_default()
}

fn advance(emu: &ccemu::Emulator, ms: i64) {
    let r = admin(emu, "POST", "/clock", Some(json!({"advance_ms": ms})));
    assert_eq!(r.status, 200, "{}", r.text);
}

fn target(emu: &ccemu::Emulator, sub: u64) -> Value {
    let r = admin(emu, "GET", "/webhooks", None);
    r.json["targets"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|t| t["target"] == format!("subscription:{sub}"))
                .cloned()
        })
        .unwrap_or(Value::Null)
}

#[test]
fn a_login_delivers_acd_agent_state_with_the_documented_body() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    let sub = subscribe(
        &emu,
        "states",
        &format!("{}/udesk", rx.url),
        &["acd_agent_state"],
    );
    login(&emu, "189");
    let hit = rx.wait_for(1, LONG).remove(0);
    assert_eq!(hit.path, "/udesk");
    assert_eq!(hit.header("content-type"), Some("application/json"));
    let body = hit.body.clone();
    let id = body["event_id"].as_str().expect("event id").to_string();
    assert_eq!(hit.header("x-ccemu-event-id"), Some(id.as_str()));
    assert_eq!(hit.header("x-ccemu-event"), Some("acd_agent_state"));
    assert_eq!(
        body,
        json!({
            "event": "acd_agent_state",
            "category": "agent_state",
            "event_id": id,
            "app_id": UDESK_APP_ID,
            "subscription_id": sub,
            "subscription_name": "states",
            "timestamp": T0,
            "data": {
                "agent_id": "189",
                "work_id": body["data"]["work_id"],
                "agent_name": body["data"]["agent_name"],
                "extension": "1001",
                "state": 0,
                "state_des": "idle",
                "reason_code": 0,
                "reason_code_des": "",
                "previous_state": 1,
                "previous_state_des": "busy",
                "ext_state": 0
            }
        })
    );
    // The log shows the one attempt, delivered, dated on the virtual clock.
    let log = wait(&emu, json!({"subscription": sub, "status": "delivered"}), 1);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["http_status"], 200);
    assert_eq!(log[0]["at_ms"], T0);
    assert_eq!(log[0]["event_at_ms"], T0);
    assert_eq!(log[0]["body"], body);
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((wall - 60_000..=wall).contains(&log[0]["real_ms"].as_i64().unwrap()));
    // A second event gets a new id.
    logout(&emu, "189");
    let hits = rx.wait_for(2, LONG);
    assert_eq!(hits[1].body["data"]["state"], 4);
    assert_ne!(hits[1].body["event_id"], hits[0].body["event_id"]);
}

#[test]
fn failed_deliveries_retry_on_the_virtual_clock_schedule() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    rx.answer_next(&[500, 500]);
    let sub = subscribe(&emu, "retry", &rx.url, &["acd_agent_state"]);
    login(&emu, "189");
    let first = wait(&emu, json!({"subscription": sub}), 1);
    assert_eq!(first[0]["status"], "pending");
    assert_eq!(first[0]["http_status"], 500);
    assert_eq!(first[0]["next_attempt_ms"], T0 + 1_000);
    // Nothing more happens while the clock stands still.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rx.hits().len(), 1);
    advance(&emu, 999);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.hits().len(), 1, "retried before its time");
    advance(&emu, 1);
    let second = wait(&emu, json!({"subscription": sub, "status": "pending"}), 2);
    assert_eq!(second[1]["attempt"], 2);
    assert_eq!(second[1]["at_ms"], T0 + 1_000);
    assert_eq!(second[1]["next_attempt_ms"], T0 + 6_000);
    advance(&emu, 4_999);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.hits().len(), 2);
    advance(&emu, 1);
    let done = wait(&emu, json!({"subscription": sub, "status": "delivered"}), 1);
    assert_eq!(done[0]["attempt"], 3);
    let hits = rx.wait_for(3, LONG);
    assert_eq!(hits.len(), 3, "exactly three attempts");
    assert!(hits
        .iter()
        .all(|h| h.body["event_id"] == hits[0].body["event_id"]));
    assert_eq!(target(&emu, sub)["queued"], 0);
}

#[test]
fn a_receiver_that_keeps_failing_is_given_up_after_the_last_retry() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    rx.answer_next(&[503; 10]);
    let sub = subscribe(&emu, "down", &rx.url, &["agent_state"]);
    login(&emu, "189");
    for (n, step) in [(1, 1_000), (2, 5_000), (3, 30_000)] {
        wait(&emu, json!({"subscription": sub, "status": "pending"}), n);
        advance(&emu, step);
    }
    let failed = wait(&emu, json!({"subscription": sub, "status": "failed"}), 1);
    assert_eq!(failed[0]["attempt"], 4);
    assert_eq!(failed[0]["next_attempt_ms"], Value::Null);
    // The next event is not held behind the failed one.
    logout(&emu, "189");
    wait(&emu, json!({"subscription": sub}), 5);
    assert_eq!(target(&emu, sub)["failed"], 1);
}

#[test]
fn a_disabled_or_deleted_subscription_gets_nothing_more() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    let sub = subscribe(&emu, "soon-off", &rx.url, &["acd_agent_state"]);
    login(&emu, "189");
    wait(&emu, json!({"subscription": sub, "status": "delivered"}), 1);
    let r = udesk_ok(
        &emu,
        "PUT",
        &format!("/subscriptions/{sub}"),
        Some(
            json!({"callback": rx.url, "name": "soon-off", "events": ["acd_agent_state"], "enable": false}),
        ),
    );
    assert_eq!(r["soon-off"], sub);
    logout(&emu, "189");
    // Routing happens as the state changes: nothing was queued for the disabled subscription.
    assert_eq!(target(&emu, sub)["queued"], 0);
    assert_eq!(deliveries(&emu, &format!("?subscription={sub}")).len(), 1);
    // Enabled again it gets the next event; deleted it gets nothing.
    udesk_ok(
        &emu,
        "PUT",
        &format!("/subscriptions/{sub}"),
        Some(
            json!({"callback": rx.url, "name": "soon-off", "events": ["acd_agent_state"], "enable": true}),
        ),
    );
    login(&emu, "189");
    wait(&emu, json!({"subscription": sub, "status": "delivered"}), 2);
    udesk_ok(&emu, "DELETE", &format!("/subscriptions/{sub}"), None);
    logout(&emu, "189");
    assert_eq!(target(&emu, sub)["queued"], 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.hits().len(), 2);
}

#[test]
fn a_category_subscription_gets_every_event_of_its_category() {
    let emu = start();
    freeze_at(&emu, T0);
    let ext_rx = Receiver::start();
    let agent_rx = Receiver::start();
    let mode_rx = Receiver::start();
    let call_rx = Receiver::start();
    let ext = subscribe(&emu, "ext", &ext_rx.url, &["ext_state"]);
    subscribe(&emu, "agents", &agent_rx.url, &["agent_state"]);
    subscribe(&emu, "modes", &mode_rx.url, &["agent_call_mode"]);
    subscribe(&emu, "calls", &call_rx.url, &["call"]);
    // Bind a SIP extension to an agent without one: a binding event and a call-mode change.
    udesk_ok(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9006", "Extensions": ["1002"]})),
    );
    let bound = ext_rx.wait_for(1, LONG).remove(0).body;
    assert_eq!(bound["event"], "extension_state_update");
    assert_eq!(bound["data"]["action"], "bind");
    assert_eq!(bound["data"]["extension"], "1002");
    assert_eq!(bound["data"]["agent_id"], "9006");
    let mode = mode_rx.wait_for(1, LONG).remove(0).body;
    assert_eq!(mode["event"], "agent_call_mode_change");
    assert_eq!(mode["data"]["signal_type"], 0);
    assert_eq!(mode["data"]["previous_signal_type"], Value::Null);
    // A scripted line state: the extension rings, the agent state follows; both categories hear.
    login(&emu, "9006");
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "ring", "timeline": [
            {"at_ms": 0, "event": "extension_state", "tenant": UDESK_APP_ID, "extension": "1002", "state": "ringing"}
        ]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let ext_hits = ext_rx.wait_for(2, LONG);
    assert_eq!(ext_hits[1].body["data"]["action"], "line");
    assert_eq!(ext_hits[1].body["data"]["ext_state"], 1);
    let states = agent_rx.wait_for(2, LONG);
    assert_eq!(states[0].body["data"]["state_des"], "idle");
    assert_eq!(states[1].body["data"]["state_des"], "ringing");
    // Switching to WebRTC in the console: only after binding one.
    let r = admin(
        &emu,
        "POST",
        "/call-mode",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "signal_type": 1})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let mode = mode_rx.wait_for(2, LONG).remove(1).body;
    assert_eq!(
        (
            mode["data"]["agent_id"].as_str(),
            mode["data"]["call_mode"].as_str()
        ),
        (Some("189"), Some("webrtc"))
    );
    let r = admin(
        &emu,
        "POST",
        "/call-mode",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "9007", "signal_type": 1})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    // An injected call event reaches the `call` category only.
    let r = admin(
        &emu,
        "POST",
        "/events",
        Some(
            json!({"tenant": UDESK_APP_ID, "event": "general_hangup", "fields": {"call_id": "c-1"}}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["event_ids"].as_array().map(Vec::len), Some(1));
    let call = call_rx.wait_for(1, LONG).remove(0).body;
    assert_eq!(call["event"], "general_hangup");
    assert_eq!(call["category"], "call");
    assert_eq!(call["data"], json!({"call_id": "c-1"}));
    assert_eq!(call["event_id"], r.json["event_ids"][0]);
    // Every category subscription got only its own.
    assert_eq!(deliveries(&emu, &format!("?subscription={ext}")).len(), 2);
    assert!(ext_rx
        .hits()
        .iter()
        .all(|h| h.body["event"] == "extension_state_update"));
}

#[test]
fn subscriptions_name_only_known_events() {
    let emu = start();
    let before = udesk_model_state(&emu);
    let r = udesk(
        &emu,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": "http://127.0.0.1:9/x", "events": ["acd_agent_state", "agent_went_home"], "name": "x"}]}),
        ),
    );
    assert_eq!(r.json["ErrCode"], "000001", "{}", r.text);
    assert!(r.json["ErrDesc"]
        .as_str()
        .unwrap()
        .contains("agent_went_home"));
    assert_eq!(udesk_model_state(&emu), before);
    // The document's own example names are accepted.
    subscribe(&emu, "lymtest", "http://127.0.0.1:9/x", &["begin", "end"]);
    let r = admin(
        &emu,
        "POST",
        "/events",
        Some(json!({"tenant": UDESK_APP_ID, "event": "no_such_event"})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
}

#[test]
fn example_names_begin_and_end_hear_call_start_and_hangup() {
    let emu = start();
    let rx = Receiver::start();
    subscribe(&emu, "lymtest", &rx.url, &["begin", "end"]);
    for event in ["enqueue_succ", "record_stop", "general_hangup"] {
        let r = admin(
            &emu,
            "POST",
            "/events",
            Some(json!({"tenant": UDESK_APP_ID, "event": event})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let hits = rx.wait_for(2, LONG);
    std::thread::sleep(Duration::from_millis(200));
    let names: Vec<_> = rx.hits().iter().map(|h| h.body["event"].clone()).collect();
    assert_eq!(names, ["enqueue_succ", "general_hangup"], "{hits:?}");
}

#[test]
fn ten_thousand_events_to_one_subscription_arrive_in_order_none_lost() {
    let emu = start();
    let rx = Receiver::start();
    let sub = subscribe(&emu, "bulk", &rx.url, &["call"]);
    let now = now_ms(&emu);
    for n in 0..10_000 {
        emu.ctx().model().emit(ModelEvent::Injected {
            tenant: UDESK_APP_ID.into(),
            event: "play_succ".into(),
            at_ms: now,
            fields: json!({"n": n}),
        });
    }
    let hits = rx.wait_for(10_000, Duration::from_secs(120));
    let order: Vec<i64> = hits
        .iter()
        .map(|h| h.body["data"]["n"].as_i64().unwrap())
        .collect();
    assert_eq!(order, (0..10_000).collect::<Vec<_>>());
    let ids: std::collections::HashSet<_> =
        hits.iter().map(|h| h.body["event_id"].clone()).collect();
    assert_eq!(ids.len(), 10_000);
    let done = wait(
        &emu,
        json!({"subscription": sub, "status": "delivered"}),
        10_000,
    );
    assert_eq!(done.len(), 10_000);
}

#[test]
fn a_silent_receiver_fills_a_bounded_backlog_and_never_blocks_the_api() {
    let mut config = ccemu::Config::ephemeral();
    config.events.backlog = 10;
    config.events.attempt_timeout = Duration::from_secs(30);
    let emu = start_with(config);
    let rx = Receiver::start();
    rx.set_silent(true);
    let sub = subscribe(&emu, "silent", &rx.url, &["agent_state"]);
    for _ in 0..30 {
        login(&emu, "189");
        logout(&emu, "189");
    }
    // One event in flight (the head stays queued while it is tried) and the backlog full.
    let t = target(&emu, sub);
    assert_eq!(t["queued"], 10, "{t}");
    assert_eq!(t["dropped"], 50, "{t}");
    let dropped = deliveries(&emu, &format!("?subscription={sub}&status=dropped"));
    assert_eq!(dropped.len(), 50);
    assert!(dropped[0]["error"]
        .as_str()
        .unwrap()
        .contains("backlog full"));
    assert_eq!(rx.wait_for(1, LONG).len(), 1);
}

fn fault(emu: &ccemu::Emulator, rule: Value) -> u64 {
    let r = admin(emu, "POST", "/faults", Some(rule));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_u64().unwrap()
}

#[test]
fn a_duplicate_fault_delivers_the_same_event_id_twice() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    let sub = subscribe(&emu, "dup", &rx.url, &["acd_agent_state"]);
    let rule = fault(
        &emu,
        json!({"delivery": {"event": "acd_agent_state", "subscription": sub}, "times": 1, "fault": {"kind": "duplicate"}}),
    );
    login(&emu, "189");
    logout(&emu, "189");
    let hits = rx.wait_for(3, LONG);
    assert_eq!(hits[0].body, hits[1].body);
    assert_eq!(
        hits[0].header("x-ccemu-event-id"),
        hits[1].header("x-ccemu-event-id")
    );
    assert_ne!(hits[2].body["event_id"], hits[0].body["event_id"]);
    let log = wait(&emu, json!({"subscription": sub}), 3);
    assert_eq!(log.len(), 3);
    assert_eq!(log[1]["duplicate"], true);
    assert_eq!(log[0]["rule"], rule);
    assert_eq!(log[0]["fault"], "duplicate");
}

#[test]
fn drop_delay_and_reorder_faults_bend_deliveries() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    let sub = subscribe(&emu, "bent", &rx.url, &["call"]);
    let inject = |n: i64, at_ms: i64| {
        let r = admin(
            &emu,
            "POST",
            "/events",
            Some(
                json!({"tenant": UDESK_APP_ID, "event": "play_succ", "fields": {"n": n}, "at_ms": at_ms}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    };
    // Drop the first.
    fault(
        &emu,
        json!({"delivery": {"url": format!("{}*", rx.url)}, "times": 1, "fault": {"kind": "drop"}}),
    );
    inject(0, T0);
    let dropped = wait(&emu, json!({"subscription": sub, "status": "dropped"}), 1);
    assert_eq!(dropped[0]["fault"], "drop");
    assert!(rx.hits().is_empty());
    // Reorder the next: two events dated a second ahead wait together in the queue; when they
    // fall due, the first meets the rule and goes after the second.
    fault(
        &emu,
        json!({"delivery": {"event": "play_succ"}, "times": 1, "fault": {"kind": "reorder"}}),
    );
    inject(1, T0 + 1_000);
    inject(2, T0 + 1_000);
    std::thread::sleep(Duration::from_millis(200));
    assert!(rx.hits().is_empty(), "events are due at their own instant");
    advance(&emu, 1_000);
    let hits = rx.wait_for(2, LONG);
    let order: Vec<_> = hits.iter().map(|h| h.body["data"]["n"].clone()).collect();
    assert_eq!(order, [json!(2), json!(1)]);
    // Delay the next by 5 s of virtual time.
    fault(
        &emu,
        json!({"delivery": {"event": "play_succ"}, "times": 1, "fault": {"kind": "delay", "ms": 5000}}),
    );
    inject(3, T0 + 1_000);
    let held = wait(&emu, json!({"subscription": sub, "status": "delivered"}), 2);
    assert_eq!(held.len(), 2);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.hits().len(), 2, "the delayed event waits for the clock");
    advance(&emu, 5_000);
    let hits = rx.wait_for(3, LONG);
    assert_eq!(hits[2].body["data"]["n"], 3);
    let last = wait(&emu, json!({"subscription": sub, "status": "delivered"}), 3);
    assert_eq!(last[2]["fault"], "delay");
    assert_eq!(last[2]["at_ms"], T0 + 6_000);
}

#[test]
fn delivery_rules_and_request_rules_stay_apart() {
    let emu = start();
    for bad in [
        json!({"fault": {"kind": "duplicate"}}),
        json!({"delivery": {}, "fault": {"kind": "reset"}}),
        json!({"delivery": {}, "match": {"vendor": "udesk"}, "fault": {"kind": "drop"}}),
        json!({"delivery": {"nope": 1}, "fault": {"kind": "drop"}}),
    ] {
        let r = admin(&emu, "POST", "/faults", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    // A delivery rule never touches a request.
    fault(
        &emu,
        json!({"delivery": {}, "fault": {"kind": "delay", "ms": 60000}}),
    );
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.json["ErrCode"], "000000");
}

#[test]
fn a_fixture_template_reshapes_the_body() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": UDESK_APP_ID, "webhook_template": {
                "action": "{{event}}",
                "message": {"AgentId": "{{data.agent_id}}", "State": "{{data.state}}", "Text": "{{data.agent_id}} is {{data.state_des}}"}
            }}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    subscribe(&emu, "tpl", &rx.url, &["acd_agent_state"]);
    login(&emu, "189");
    let hit = rx.wait_for(1, LONG).remove(0);
    assert_eq!(
        hit.body,
        json!({"action": "acd_agent_state", "message": {"AgentId": "189", "State": 0, "Text": "189 is idle"}})
    );
    assert!(hit.header("x-ccemu-event-id").is_some());
}

#[test]
fn wait_times_out_with_the_count_seen_and_filters_refuse_nonsense() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/webhooks/wait",
        Some(json!({"match": {"event": "acd_agent_state"}, "count": 1, "timeout_ms": 50})),
    );
    assert_eq!(r.status, 408, "{}", r.text);
    assert_eq!(r.json["count"], 0);
    let r = admin(&emu, "GET", "/webhooks/deliveries?status=lost", None);
    assert_eq!(r.status, 400);
    let r = admin(&emu, "GET", "/webhooks/deliveries?colour=red", None);
    assert_eq!(r.status, 400);
    let r = admin(
        &emu,
        "POST",
        "/webhooks/wait",
        Some(json!({"match": {"colour": 1}})),
    );
    assert_eq!(r.status, 400);
    let r = admin(&emu, "DELETE", "/webhooks/deliveries", None);
    assert_eq!(r.status, 200);
    let r = admin(&emu, "PUT", "/webhooks/deliveries", None);
    assert_eq!(r.status, 405);
}

#[test]
fn wait_returns_as_soon_as_the_delivery_lands() {
    let emu = start();
    let rx = Receiver::start();
    let sub = subscribe(&emu, "w", &rx.url, &["acd_agent_state"]);
    let url = emu.url();
    let waiter = std::thread::spawn(move || {
        send(
            "POST",
            &format!("{url}/_ccemu/webhooks/wait"),
            &[("Content-Type", "application/json")],
            Some(
                serde_json::to_vec(&json!({"match": {"subscription": sub, "status": "delivered"}, "count": 1, "timeout_ms": 60000}))
                    .unwrap()
                    .as_slice(),
            ),
        )
    });
    std::thread::sleep(Duration::from_millis(100));
    login(&emu, "189");
    let r = waiter.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["deliveries"][0]["event"], "acd_agent_state");
}

#[test]
fn reset_forgets_queued_events_and_the_log() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    rx.answer_next(&[500]);
    let sub = subscribe(&emu, "r", &rx.url, &["acd_agent_state"]);
    login(&emu, "189");
    wait(&emu, json!({"subscription": sub, "status": "pending"}), 1);
    let r = admin(&emu, "POST", "/reset", None);
    assert_eq!(r.status, 200);
    assert!(deliveries(&emu, "").is_empty());
    let r = admin(&emu, "GET", "/webhooks", None);
    assert_eq!(r.json["targets"], json!([]));
    advance(&emu, 60_000);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rx.hits().len(), 1);
}

#[test]
fn an_agent_created_with_extensions_announces_their_binding() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    subscribe(&emu, "ext", &rx.url, &["ext_state", "agent_call_mode"]);
    udesk_ok(
        &emu,
        "POST",
        "/agents",
        Some(
            json!({"AgentId": "9501", "WorkId": "w9501", "Name": "New", "IsCreateExtension": true}),
        ),
    );
    let hits = rx.wait_for(3, LONG);
    let mut events: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            (
                h.body["event"].as_str().unwrap().to_string(),
                h.body["data"]["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            ("agent_call_mode_change".to_string(), String::new()),
            ("extension_state_update".to_string(), "bind".to_string()),
            ("extension_state_update".to_string(), "bind".to_string()),
        ]
    );
    assert!(hits.iter().all(|h| h.body["data"]["agent_id"] == "9501"));
}
