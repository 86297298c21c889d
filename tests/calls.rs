//! Simulated calls: routing by each queue's strategy on the virtual clock, agent states, Udesk
//! call events, NXCloud CDRs (page, by order id, push), determinism and a busy virtual hour.
mod common;
use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;
const LONG: Duration = Duration::from_secs(20);
const NX: &str = "144";
const ACD_Q: &str = "7001";
const NX_Q: &str = "NXQ-ACD";

fn advance(emu: &ccemu::Emulator, ms: i64) {
    let r = admin(emu, "POST", "/clock", Some(json!({"advance_ms": ms})));
    assert_eq!(r.status, 200, "{}", r.text);
}

fn merge(emu: &ccemu::Emulator, fragment: Value) {
    let r = admin(emu, "POST", "/fixture", Some(fragment));
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Udesk queue 7001 with `strategy` and agents 7101–7103 (no wrap-up).
fn udesk_queue(emu: &ccemu::Emulator, strategy: u8) {
    let agents: Vec<Value> = ["7101", "7102", "7103"]
        .iter()
        .map(|id| json!({"id": id, "name": format!("Agent {id}"), "queues": [ACD_Q]}))
        .collect();
    merge(
        emu,
        json!({"tenants": [{"id": UDESK_APP_ID,
            "queues": [{"id": ACD_Q, "name": "acd", "strategy": strategy}],
            "agents": agents}]}),
    );
}

/// NXCloud group NXQ-ACD with `ring_policy` and agents n1–n3.
fn nx_group(emu: &ccemu::Emulator, ring_policy: u8) {
    let agents: Vec<Value> = ["n1", "n2", "n3"]
        .iter()
        .map(|id| json!({"id": id, "nick_name": format!("Nick {id}"), "sip_number": format!("sip-{id}"), "queues": [NX_Q]}))
        .collect();
    merge(
        emu,
        json!({"tenants": [{"id": NX,
            "queues": [{"id": NX_Q, "name": "acd", "ring_policy": ring_policy}],
            "agents": agents}]}),
    );
}

fn set_state(emu: &ccemu::Emulator, tenant: &str, agent: &str, state: &str, at_ms: i64) {
    let r = admin(
        emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": tenant, "agent": agent, "state": state, "at_ms": at_ms})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn start_call(emu: &ccemu::Emulator, spec: Value) -> String {
    let r = admin(emu, "POST", "/calls", Some(spec));
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

fn call(emu: &ccemu::Emulator, id: &str) -> Value {
    let r = admin(emu, "GET", &format!("/calls/{id}"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn inbound(tenant: &str, queue: &str) -> Value {
    json!({"tenant": tenant, "queue": queue, "caller": "13800138000", "callee": "02863208944",
           "talk_ms": 10000, "wrapup_ms": 0})
}

/// Who answers each of `n` calls made one after another (each finished before the next).
fn answerers(emu: &ccemu::Emulator, tenant: &str, queue: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let id = start_call(emu, inbound(tenant, queue));
            advance(emu, 30_000);
            let c = call(emu, &id);
            assert_eq!(c["outcome"], "answered", "{c}");
            c["agent"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Login order 7103, 7102, 7101; idle since 7102, 7101, 7103.
fn staggered(emu: &ccemu::Emulator) {
    set_state(emu, UDESK_APP_ID, "7103", "busy", T0 - 7_000);
    set_state(emu, UDESK_APP_ID, "7102", "idle", T0 - 6_000);
    set_state(emu, UDESK_APP_ID, "7101", "idle", T0 - 5_000);
    set_state(emu, UDESK_APP_ID, "7103", "idle", T0 - 1_000);
}

#[test]
fn strategy_0_rotates_in_login_order() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 0);
    staggered(&emu);
    assert_eq!(
        answerers(&emu, UDESK_APP_ID, ACD_Q, 4),
        ["7103", "7102", "7101", "7103"]
    );
}

#[test]
fn strategy_2_offers_the_longest_idle_agent_first() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 2);
    staggered(&emu);
    assert_eq!(
        answerers(&emu, UDESK_APP_ID, ACD_Q, 4),
        ["7102", "7101", "7103", "7102"]
    );
}

#[test]
fn strategy_1_offers_the_agent_with_fewest_answered_calls_today() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 1);
    set_state(&emu, UDESK_APP_ID, "7101", "idle", T0 - 5_000);
    assert_eq!(answerers(&emu, UDESK_APP_ID, ACD_Q, 2), ["7101", "7101"]);
    let now = now_ms(&emu);
    set_state(&emu, UDESK_APP_ID, "7102", "idle", now - 2);
    set_state(&emu, UDESK_APP_ID, "7103", "idle", now - 1);
    assert_eq!(
        answerers(&emu, UDESK_APP_ID, ACD_Q, 5),
        ["7102", "7103", "7102", "7103", "7101"]
    );
}

#[test]
fn agent_states_walk_ringing_talking_wrap_up_idle_on_every_face() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 0);
    merge(
        &emu,
        json!({"tenants": [{"id": UDESK_APP_ID, "agents": [{"id": "7101", "wrap_up_time": 15}]}]}),
    );
    set_state(&emu, UDESK_APP_ID, "7101", "idle", T0 - 1_000);
    let id = start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "queue": ACD_Q, "ring_ms": 4000, "talk_ms": 30000}),
    );
    let udesk_state = |emu: &ccemu::Emulator| {
        let r = udesk_ok(emu, "GET", "/agents/7101", None);
        r["State"].as_i64().unwrap()
    };
    assert_eq!(call(&emu, &id)["state"], "ringing");
    assert_eq!(udesk_state(&emu), 5, "ringing");
    advance(&emu, 4_000);
    assert_eq!(call(&emu, &id)["state"], "talking");
    assert_eq!(udesk_state(&emu), 6, "talking");
    advance(&emu, 30_000);
    let c = call(&emu, &id);
    assert_eq!(
        (c["state"].as_str(), c["outcome"].as_str()),
        (Some("ended"), Some("answered"))
    );
    assert_eq!(
        udesk_state(&emu),
        3,
        "neaten (wrap-up, the agent's WrapUpTime)"
    );
    advance(&emu, 15_000);
    assert_eq!(udesk_state(&emu), 0, "idle again");
    // The timeline every face reads, dated on the virtual clock.
    let state = admin(&emu, "GET", "/state", None).json;
    let tl = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == UDESK_APP_ID)
        .and_then(|t| {
            t["agents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["id"] == "7101")
        })
        .map(|a| a["timeline"].clone())
        .unwrap();
    assert_eq!(
        tl,
        json!([
            {"at_ms": T0 - 1_000, "state": "idle"},
            {"at_ms": T0, "state": "ringing"},
            {"at_ms": T0 + 4_000, "state": "calling"},
            {"at_ms": T0 + 34_000, "state": "wrapup"},
            {"at_ms": T0 + 49_000, "state": "idle"},
        ])
    );
}

#[test]
fn a_call_with_no_free_agent_waits_and_is_abandoned_at_the_wait_limit() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 0);
    let id = start_call(&emu, inbound(UDESK_APP_ID, ACD_Q));
    assert_eq!(call(&emu, &id)["state"], "queued");
    advance(&emu, 59_999);
    assert_eq!(call(&emu, &id)["state"], "queued");
    advance(&emu, 1);
    let c = call(&emu, &id);
    assert_eq!(c["outcome"], "abandoned");
    assert_eq!(c["hangup_cause"], "queue_timeout");
    assert_eq!(c["end_ms"], T0 + 60_000);
    // The queue's own Timeout (seconds) is its wait limit when set.
    merge(
        &emu,
        json!({"tenants": [{"id": UDESK_APP_ID, "queues": [{"id": ACD_Q, "timeout": 5}]}]}),
    );
    let id = start_call(&emu, inbound(UDESK_APP_ID, ACD_Q));
    advance(&emu, 5_000);
    assert_eq!(call(&emu, &id)["outcome"], "abandoned");
    // An agent who frees up while the caller waits is offered the call at once.
    let mut spec = inbound(UDESK_APP_ID, ACD_Q);
    spec["ring_ms"] = json!(2_000);
    let id = start_call(&emu, spec);
    advance(&emu, 2_000);
    set_state(&emu, UDESK_APP_ID, "7102", "idle", now_ms(&emu));
    assert_eq!(call(&emu, &id)["ringing"], json!(["7102"]));
    advance(&emu, 2_000);
    let c = call(&emu, &id);
    assert_eq!(
        (c["outcome"].as_str(), c["agent"].as_str()),
        (Some("answered"), Some("7102"))
    );
    assert_eq!(c["answer_ms"], T0 + 60_000 + 5_000 + 2_000 + 2_000);
}

#[test]
fn an_agent_who_does_not_answer_is_skipped() {
    let emu = start();
    freeze_at(&emu, T0);
    nx_group(&emu, 2);
    for (i, a) in ["n1", "n2", "n3"].iter().enumerate() {
        set_state(&emu, NX, a, "idle", T0 - 10_000 + i as i64);
    }
    let mut spec = inbound(NX, NX_Q);
    spec["no_answer"] = json!(["n1"]);
    spec["ring_timeout_ms"] = json!(15_000);
    let id = start_call(&emu, spec);
    assert_eq!(call(&emu, &id)["ringing"], json!(["n1"]));
    advance(&emu, 15_000);
    let c = call(&emu, &id);
    assert_eq!(c["skipped"], json!(["n1"]));
    assert_eq!(
        c["ringing"],
        json!(["n2"]),
        "sequential: the next agent in order"
    );
    advance(&emu, 3_000);
    let c = call(&emu, &id);
    assert_eq!(
        (c["state"].as_str(), c["agent"].as_str()),
        (Some("talking"), Some("n2"))
    );
    // Nobody answers at all: each free agent in turn rings out and is skipped (n2 once its
    // first call ended), until the caller gives up while n3 rings.
    let mut spec = inbound(NX, NX_Q);
    spec["answered"] = json!(false);
    let id = start_call(&emu, spec);
    advance(&emu, 60_000);
    let c = call(&emu, &id);
    assert_eq!(c["outcome"], "abandoned");
    assert_eq!(c["skipped"], json!(["n1", "n2"]), "{c}");
    let rang: Vec<_> = c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "ring")
        .map(|s| s["agent"].clone())
        .collect();
    assert_eq!(rang, [json!("n1"), json!("n2"), json!("n3")]);
}

#[test]
fn simultaneous_ringing_rings_every_free_agent_and_the_longest_idle_answers() {
    let emu = start();
    freeze_at(&emu, T0);
    nx_group(&emu, 1);
    set_state(&emu, NX, "n1", "idle", T0 - 1_000);
    set_state(&emu, NX, "n2", "idle", T0 - 3_000);
    set_state(&emu, NX, "n3", "idle", T0 - 2_000);
    let id = start_call(&emu, inbound(NX, NX_Q));
    assert_eq!(call(&emu, &id)["ringing"], json!(["n2", "n3", "n1"]));
    advance(&emu, 3_000);
    let c = call(&emu, &id);
    assert_eq!(c["agent"], "n2");
    // The others went back to idle when it was answered: the next call rings them both.
    let id2 = start_call(&emu, inbound(NX, NX_Q));
    assert_eq!(call(&emu, &id2)["ringing"], json!(["n1", "n3"]));
}

fn subscribe_calls(emu: &ccemu::Emulator, url: &str) -> u64 {
    let r = udesk_ok(
        emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": url, "events": ["call"], "name": "calls"}]})),
    );
    r["sub_succ"][0]["subid"].as_u64().unwrap()
}

#[test]
fn udesk_hears_the_call_events_in_call_order() {
    let emu = start();
    freeze_at(&emu, T0);
    udesk_queue(&emu, 0);
    set_state(&emu, UDESK_APP_ID, "7101", "idle", T0 - 1_000);
    let rx = Receiver::start();
    subscribe_calls(&emu, &rx.url);
    let mut spec = inbound(UDESK_APP_ID, ACD_Q);
    spec["order_id"] = json!("order-1");
    let id = start_call(&emu, spec);
    advance(&emu, 60_000);
    let hits = rx.wait_for(5, LONG);
    let names: Vec<_> = hits
        .iter()
        .map(|h| h.body["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "enqueue_succ",
            "dequeue_succ",
            "general_hangup",
            "hangup_cause",
            "record_stop"
        ]
    );
    assert!(hits
        .iter()
        .all(|h| h.body["data"]["call_id"] == id.as_str()));
    let hangup = hits[2].body.clone();
    insta::assert_json_snapshot!("general_hangup_payload", hangup, {
        ".event_id" => "[event_id]",
        ".data.call_id" => "[call_id]",
    });
    // Outbound: the agent dials; the customer answers.
    set_state(&emu, UDESK_APP_ID, "7102", "idle", now_ms(&emu));
    start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "agent": "7102", "callee": "13900139000", "talk_ms": 5000, "wrapup_ms": 0}),
    );
    advance(&emu, 60_000);
    let hits = rx.wait_for(9, LONG);
    let names: Vec<_> = hits[5..]
        .iter()
        .map(|h| h.body["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "start_dialout",
            "general_hangup",
            "hangup_cause",
            "record_stop"
        ]
    );
    assert_eq!(hits[5].body["data"]["direction"], "outbound");
    assert_eq!(hits[5].body["data"]["agent_id"], "7102");
}

fn nx(emu: &ccemu::Emulator, op: &str, body: Value) -> Value {
    let r = nx_call(emu, op, &body);
    assert_eq!(r.json["code"], 0, "{op}: {}", r.text);
    r.json
}

#[test]
fn nxcloud_cdrs_page_and_query_by_order_id() {
    let emu = start();
    freeze_at(&emu, T0);
    nx_group(&emu, 2);
    set_state(&emu, NX, "n1", "idle", T0 - 1_000);
    let mut spec = inbound(NX, NX_Q);
    spec["order_id"] = json!("ord-42");
    let answered = start_call(&emu, spec);
    advance(&emu, 60_000);
    // No one free now (n1 went idle, but set n1 offline): this one is abandoned.
    set_state(&emu, NX, "n1", "offline", now_ms(&emu));
    let lost = start_call(&emu, inbound(NX, NX_Q));
    advance(&emu, 60_000);
    let window =
        json!({"startTime": T0 / 1000, "endTime": T0 / 1000 + 3600, "size": 10, "page": 1});
    // No tenantId: the accessKey names the team.
    let all = nx(&emu, "cdr/page", window.clone());
    assert_eq!(all["total"], 2);
    let cdrs = all["data"].as_array().unwrap();
    assert_eq!(cdrs[0]["callId"], lost.as_str(), "newest first");
    assert_eq!(cdrs[1]["callId"], answered.as_str());
    let cdr = cdrs[1].clone();
    insta::assert_json_snapshot!("nxcloud_cdr", cdr, {
        ".callId" => "[callId]",
        ".recordUrl" => "[recordUrl]",
    });
    assert_eq!(cdrs[0]["answered"], 0);
    assert_eq!(cdrs[0]["queueDuration"], 60);
    let mut f = window.clone();
    f["answered"] = json!(2);
    assert_eq!(nx(&emu, "cdr/page", f)["total"], 1);
    let mut f = window.clone();
    f["orderId"] = json!("ord-42");
    assert_eq!(
        nx(&emu, "cdr/page", f)["data"][0]["callId"],
        answered.as_str()
    );
    let mut f = window.clone();
    f["name"] = json!("Nick n1");
    assert_eq!(nx(&emu, "cdr/page", f)["total"], 1);
    let mut f = window.clone();
    f["direction"] = json!(2);
    assert_eq!(nx(&emu, "cdr/page", f)["total"], 0);
    let mut f = window.clone();
    f["startTime"] = json!(T0 / 1000 + 61);
    assert_eq!(
        nx(&emu, "cdr/page", f)["total"],
        0,
        "the window is on the call's start"
    );
    let by_order = nx(
        &emu,
        "cdr/queryByOrderId",
        json!({"tenantId": NX_TENANT, "orderId": "ord-42"}),
    );
    assert_eq!(by_order["data"].as_array().unwrap().len(), 1);
    assert_eq!(by_order["data"][0], cdr);
    // Refusals name the field.
    for (bad, what) in [
        (
            json!({"startTime": 1, "endTime": 2, "size": 101, "page": 1}),
            "size",
        ),
        (json!({"endTime": 2, "size": 10, "page": 1}), "startTime"),
        (
            json!({"startTime": 5, "endTime": 2, "size": 10, "page": 1}),
            "End time",
        ),
        (
            json!({"startTime": 1, "endTime": 2, "size": 10, "page": 1, "answered": 7}),
            "answered",
        ),
        (
            json!({"startTime": 1, "endTime": 2, "size": 10, "page": 1, "tenantId": 999}),
            "tenantId",
        ),
    ] {
        let r = nx_call(&emu, "cdr/page", &bad);
        assert_ne!(r.json["code"], 0, "{bad}");
        assert!(
            r.text.contains(what) || r.header("x-ccemu-detail").is_some_and(|d| d.contains(what)),
            "{bad}: {}",
            r.text
        );
    }
    let r = nx_call(&emu, "cdr/queryByOrderId", &json!({"orderId": "ord-42"}));
    assert_eq!(
        r.json["code"], 1002,
        "queryByOrderId still needs tenantId: {}",
        r.text
    );
}

#[test]
fn the_cdr_push_retries_like_any_webhook() {
    let emu = start();
    freeze_at(&emu, T0);
    nx_group(&emu, 2);
    let rx = Receiver::start();
    rx.answer_next(&[500]);
    merge(
        &emu,
        json!({"tenants": [{"id": NX, "cdr_url": format!("{}/cdr", rx.url), "cdr_token": "tok-1"}]}),
    );
    set_state(&emu, NX, "n1", "idle", T0 - 1_000);
    let id = start_call(&emu, inbound(NX, NX_Q));
    advance(&emu, 13_000);
    let first = rx.wait_for(1, LONG).remove(0);
    assert_eq!(first.header("token"), Some("tok-1"));
    assert_eq!(first.body["callId"], id.as_str());
    let r = admin(
        &emu,
        "POST",
        "/webhooks/wait",
        Some(
            json!({"match": {"event": "cdr", "status": "pending"}, "count": 1, "timeout_ms": 20000}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    advance(&emu, 1_000);
    let second = rx.wait_for(2, LONG).remove(1);
    assert_eq!(second.body, first.body);
    let r = admin(
        &emu,
        "POST",
        "/webhooks/wait",
        Some(
            json!({"match": {"event": "cdr", "status": "delivered"}, "count": 1, "timeout_ms": 20000}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["deliveries"][0]["attempt"], 2);
}

#[test]
fn callback2ivr_starts_a_real_call_and_answers_its_uuid() {
    let emu = start();
    freeze_at(&emu, T0);
    let r = udesk(
        &emu,
        "POST",
        "/callback2ivr",
        Some(
            json!({"caller": "18789998765", "called": "057126200670", "called_display": "057126200670"}),
        ),
    );
    assert_eq!(r.json["code"], "000000", "{}", r.text);
    let uuid = r.json["results"].as_str().unwrap();
    let c = call(&emu, uuid);
    assert_eq!(c["state"], "scheduled", "the customer's phone rings first");
    assert_eq!(c["caller"], "18789998765");
    advance(&emu, 3_000);
    assert_eq!(call(&emu, uuid)["enqueue_ms"], T0 + 3_000);
}

#[test]
fn the_calls_admin_api_refuses_nonsense() {
    let emu = start();
    for bad in [
        json!({"tenant": UDESK_APP_ID}),
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "agent": "189"}),
        json!({"tenant": "nope", "queue": "9001"}),
        json!({"tenant": UDESK_APP_ID, "queue": "404"}),
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": {"min": 5, "max": 1}}),
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "colour": "red"}),
    ] {
        let r = admin(&emu, "POST", "/calls", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    assert_eq!(admin(&emu, "GET", "/calls/nope", None).status, 404);
    assert_eq!(admin(&emu, "POST", "/calls/nope/hangup", None).status, 404);
    assert_eq!(admin(&emu, "DELETE", "/calls", None).status, 405);
    assert_eq!(admin(&emu, "GET", "/calls?colour=red", None).status, 400);
    let id = start_call(&emu, json!({"tenant": UDESK_APP_ID, "queue": "9001"}));
    let r = admin(&emu, "POST", &format!("/calls/{id}/hangup"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["call"]["outcome"], "abandoned");
    let r = admin(&emu, "POST", &format!("/calls/{id}/hangup"), None);
    assert_eq!(r.status, 409, "{}", r.text);
    let r = admin(&emu, "GET", "/calls?state=ended&queue=9001", None);
    assert_eq!(r.json["count"], 1);
}

/// Runs the busy hour on a fresh emulator and answers (calls, CDR pages, deliveries' bodies).
fn busy_hour(seed: u64) -> (Value, Vec<Value>, Vec<Value>, ccemu::Emulator) {
    let mut config = ccemu::Config::ephemeral();
    config.seed = seed;
    let emu = start_with(config);
    freeze_at(&emu, T0);
    nx_group(&emu, 1);
    udesk_queue(&emu, 2);
    for (i, a) in ["n1", "n2", "n3"].iter().enumerate() {
        set_state(&emu, NX, a, "idle", T0 - 10_000 + i as i64);
    }
    for (i, a) in ["7101", "7102", "7103"].iter().enumerate() {
        set_state(&emu, UDESK_APP_ID, a, "idle", T0 - 10_000 + i as i64);
    }
    let rx = Receiver::start();
    subscribe_calls(&emu, &rx.url);
    let load = |tenant: &str, queue: &str| {
        json!({"at_ms": 0, "event": "load", "calls_per_hour": 300, "duration_ms": 3_600_000,
               "call": {"tenant": tenant, "queue": queue, "talk_ms": {"mean": 30000},
                        "wrapup_ms": {"min": 0, "max": 10000}, "ring_ms": {"min": 1000, "max": 6000}}})
    };
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(json!({"name": "busy hour", "timeline": [load(NX, NX_Q), load(UDESK_APP_ID, ACD_Q)]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    advance(&emu, 3_600_000 + 600_000);
    let calls = admin(&emu, "GET", "/calls", None).json;
    let mut cdrs = Vec::new();
    for page in 1.. {
        let r = nx(
            &emu,
            "cdr/page",
            json!({"startTime": T0 / 1000 - 60, "endTime": T0 / 1000 + 7200, "size": 100, "page": page}),
        );
        let items = r["data"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        cdrs.extend(items);
    }
    let udesk_calls = calls["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tenant"] == UDESK_APP_ID)
        .count();
    assert!(udesk_calls > 200, "about 300 calls an hour: {udesk_calls}");
    // Every Udesk call event reaches the receiver: wait for the last hang-up's record_stop or cause.
    let expected: usize = calls["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tenant"] == UDESK_APP_ID)
        .map(|c| if c["outcome"] == "answered" { 5 } else { 4 })
        .sum();
    let hits = rx.wait_for(expected, Duration::from_secs(60));
    let bodies = hits
        .iter()
        .map(|h| {
            let mut b = h.body.clone();
            b["event_id"] = Value::Null;
            b
        })
        .collect();
    (calls, cdrs, bodies, emu)
}

#[test]
fn a_busy_virtual_hour_adds_up_and_repeats_with_the_same_seed() {
    let (calls, cdrs, events, emu) = busy_hour(7);
    let all = calls["calls"].as_array().unwrap();
    let nx_calls: Vec<&Value> = all.iter().filter(|c| c["tenant"] == NX).collect();
    assert_eq!(
        cdrs.len(),
        nx_calls.len(),
        "one CDR per finished NXCloud call"
    );
    assert!(
        all.iter().all(|c| c["state"] == "ended"),
        "the hour is over"
    );
    // Talk time over CDRs equals calling time over agents (NXLink agent/status/info).
    let cdr_talk: i64 = cdrs
        .iter()
        .map(|c| c["callDuration"].as_i64().unwrap())
        .sum();
    let mut calling = 0;
    for a in ["n1", "n2", "n3"] {
        let r = nx(
            &emu,
            "agent/status/info",
            json!({"tenantId": NX_TENANT, "userName": a, "startDateTime": T0 / 1000 - 60, "endDateTime": T0 / 1000 + 7200}),
        );
        calling += r["data"][0]["callingDuration"].as_i64().unwrap();
    }
    assert!(cdr_talk > 0);
    assert_eq!(cdr_talk, calling);
    // Per-agent answered counts: CDRs against the agents' timelines (entries into "calling").
    let mut by_cdr: BTreeMap<String, usize> = BTreeMap::new();
    for c in cdrs.iter().filter(|c| c["answered"] == 1) {
        *by_cdr
            .entry(c["agentName"].as_str().unwrap().into())
            .or_default() += 1;
    }
    let state = admin(&emu, "GET", "/state", None).json;
    let nx_tenant = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == NX)
        .unwrap();
    let mut by_timeline: BTreeMap<String, usize> = BTreeMap::new();
    for a in nx_tenant["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| ["n1", "n2", "n3"].contains(&a["id"].as_str().unwrap()))
    {
        let n = a["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["state"] == "calling")
            .count();
        if n > 0 {
            by_timeline.insert(a["id"].as_str().unwrap().into(), n);
        }
    }
    assert_eq!(by_cdr, by_timeline);
    // Udesk: every answered call has exactly one general_hangup.
    let udesk_answered: Vec<&str> = all
        .iter()
        .filter(|c| c["tenant"] == UDESK_APP_ID && c["outcome"] == "answered")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(!udesk_answered.is_empty());
    for id in &udesk_answered {
        let n = events
            .iter()
            .filter(|e| e["event"] == "general_hangup" && e["data"]["call_id"] == *id)
            .count();
        assert_eq!(n, 1, "call {id}");
    }
    // The same seed gives the same calls, routing, CDRs and events; another seed another hour.
    let (calls2, cdrs2, events2, _) = busy_hour(7);
    assert_eq!(calls, calls2);
    assert_eq!(cdrs, cdrs2);
    assert_eq!(events, events2);
    let (calls3, _, _, _) = busy_hour(8);
    assert_ne!(calls["calls"], calls3["calls"]);
}

#[test]
fn huawei_agent_status_follows_a_call_into_a_skill() {
    let emu = start();
    freeze_at(&emu, T0);
    set_state(&emu, "huawei-demo", "1523", "idle", T0 - 1_000);
    let id = start_call(
        &emu,
        json!({"tenant": "huawei-demo", "queue": "1", "talk_ms": 20000, "wrapup_ms": 5000}),
    );
    let tok = hw_token(&emu);
    let status = |emu: &ccemu::Emulator| {
        let r = huawei(
            emu,
            "GET",
            "/apiaccess/CC-Management/v1/querySysInfo",
            &tok,
            None,
        );
        r.json["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["workNo"] == 1523)
            .map(|a| a["agentStatus"].as_i64().unwrap())
            .unwrap()
    };
    assert_eq!(call(&emu, &id)["ringing"], json!(["1523"]));
    assert_eq!(status(&emu), 7, "ringing");
    advance(&emu, 3_000);
    assert_eq!(status(&emu), 7, "talking");
    advance(&emu, 20_000);
    assert_eq!(status(&emu), 5, "wrap-up");
    advance(&emu, 5_000);
    assert_eq!(status(&emu), 4, "idle");
}

/// Huawei `agentStatus` through agent actions: a consulted agent rings then talks, a completed
/// transfer sends the first agent to wrap-up while the second keeps talking, and both end idle.
#[test]
fn huawei_agent_status_follows_a_consult_and_a_transfer() {
    let emu = start();
    freeze_at(&emu, T0);
    set_state(&emu, "huawei-demo", "1522", "idle", T0 - 2_000);
    let id = start_call(
        &emu,
        json!({"tenant": "huawei-demo", "queue": "1", "ring_ms": 1000, "talk_ms": 60000, "wrapup_ms": 5000}),
    );
    let first = call(&emu, &id)["ringing"][0].as_str().unwrap().to_string();
    let other = if first == "1522" { "1523" } else { "1522" };
    set_state(&emu, "huawei-demo", other, "idle", T0);
    let tok = hw_token(&emu);
    let status = |emu: &ccemu::Emulator, work_no: &str| {
        let r = huawei(
            emu,
            "GET",
            "/apiaccess/CC-Management/v1/querySysInfo",
            &tok,
            None,
        );
        r.json["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["workNo"].as_u64().map(|w| w.to_string()).as_deref() == Some(work_no))
            .map(|a| a["agentStatus"].as_i64().unwrap())
            .unwrap_or_else(|| panic!("{work_no} in {}", r.text))
    };
    let act = |emu: &ccemu::Emulator, body: Value| {
        let r = admin(emu, "POST", &format!("/calls/{id}/actions"), Some(body));
        assert_eq!(r.status, 200, "{}", r.text);
    };
    advance(&emu, 1_000);
    assert_eq!(
        (status(&emu, &first), status(&emu, other)),
        (7, 4),
        "talking, idle"
    );
    act(&emu, json!({"action": "consult", "agent": other}));
    assert_eq!(status(&emu, other), 7, "the consulted agent rings");
    advance(&emu, 1_000);
    assert_eq!(
        (status(&emu, &first), status(&emu, other)),
        (7, 7),
        "consulting"
    );
    act(&emu, json!({"action": "complete_transfer"}));
    assert_eq!(
        (status(&emu, &first), status(&emu, other)),
        (5, 7),
        "wrap-up, keeps the call"
    );
    advance(&emu, 5_000);
    assert_eq!(status(&emu, &first), 4, "idle after wrap-up");
    // The call's 60 s of talk are split between the two: it ends 60 s after the first answer.
    advance(&emu, 50_000);
    assert_eq!(status(&emu, other), 7, "still talking");
    advance(&emu, 5_000);
    assert_eq!(
        status(&emu, other),
        5,
        "the second agent wraps up when the call ends"
    );
    advance(&emu, 5_000);
    assert_eq!((status(&emu, &first), status(&emu, other)), (4, 4));
}
