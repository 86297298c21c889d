//! Call flows beyond the happy path: IVR flows (validation with the Udesk document's codes,
//! the admin API, callback2ivr), caller scripts, agent and supervisor actions, and the reference
//! scenario `scenarios/call_flows.json` producing all 17 call event types to a subscriber.
mod common;
use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;
const LONG: Duration = Duration::from_secs(20);
const MENU: &str = "057126200674";

fn advance(emu: &ccemu::Emulator, ms: i64) {
    let r = admin(emu, "POST", "/clock", Some(json!({"advance_ms": ms})));
    assert_eq!(r.status, 200, "{}", r.text);
}

fn set_state(emu: &ccemu::Emulator, agent: &str, state: &str) {
    let r = admin(
        emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": UDESK_APP_ID, "agent": agent, "state": state})),
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

fn steps(c: &Value) -> Vec<String> {
    c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

const EVENT_TYPES: [&str; 17] = [
    "general_hangup",
    "enqueue_succ",
    "record_stop",
    "hangup_cause",
    "dequeue_succ",
    "start_dialout",
    "voice_mail_succ",
    "play_succ",
    "dtmf_gather_succ",
    "asr_gather_succ",
    "consult_succ",
    "end_consult_succ",
    "three_way_succ",
    "substitute_succ",
    "hold_agent_succ",
    "extern_succ",
    "eavesdrop_succ",
];

#[test]
fn the_reference_scenario_produces_all_17_call_event_types() {
    let emu = start();
    freeze_at(&emu, T0);
    let rx = Receiver::start();
    udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": rx.url, "events": ["call"], "name": "calls"}]})),
    );
    let file = std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/call_flows.json"),
    )
    .unwrap();
    let r = send(
        "POST",
        &format!("{}/_ccemu/scenarios", emu.url()),
        &[("Content-Type", "application/json")],
        Some(file.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    advance(&emu, 600_000);
    let r = admin(
        &emu,
        "GET",
        "/calls?tenant=4b8dc715-05e0-4340-6cae-a6e3c39a6012",
        None,
    );
    let calls = r.json["calls"].as_array().unwrap().clone();
    assert_eq!(calls.len(), 5, "{}", r.text);
    assert!(calls.iter().all(|c| c["state"] == "ended"), "{}", r.text);
    // Wait until the deliveries stop growing, then read them in order.
    let mut seen = 0;
    let mut hits = Vec::new();
    for _ in 0..50 {
        hits = rx.hits();
        if hits.len() == seen && seen > 0 {
            break;
        }
        seen = hits.len();
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for h in &hits {
        by_type
            .entry(h.body["event"].as_str().unwrap().to_string())
            .or_default()
            .push(h.body.clone());
    }
    for t in EVENT_TYPES {
        assert!(
            by_type.contains_key(t),
            "{t} never came: {:?}",
            by_type.keys()
        );
    }
    // One snapshot of the first payload of each type.
    for t in EVENT_TYPES {
        let first = by_type[t][0].clone();
        insta::assert_json_snapshot!(format!("event_{t}"), first, {
            ".event_id" => "[event_id]",
        });
    }
    // Call A: every node and action in its history, at its instant, in order.
    let a = calls
        .iter()
        .find(|c| c["order_id"] == "flows-a-menu-1")
        .unwrap();
    let names = steps(a);
    let order = [
        "ivr_node",
        "play",
        "dtmf",
        "enqueue",
        "ring",
        "dequeue",
        "answer",
        "hold",
        "resume",
        "consult_ringing",
        "consult",
        "three_way",
        "end_consult",
        "eavesdrop",
        "substitute",
        "hangup",
    ];
    let mut at = 0;
    for want in order {
        let i = names[at..]
            .iter()
            .position(|n| n == want)
            .unwrap_or_else(|| panic!("{want} missing after step {at}: {names:?}"));
        at += i;
    }
    let instants: Vec<i64> = a["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["at_ms"].as_i64().unwrap())
        .collect();
    assert!(instants.windows(2).all(|w| w[0] <= w[1]), "{instants:?}");
    assert_eq!(a["dtmf_keys"], "1");
    // The talk is split between the agents who had it: 9006, then supervisor 355.
    let legs: Vec<&str> = a["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["agent"].as_str().unwrap())
        .collect();
    assert_eq!(legs, ["9006", "9009", "355"]);
    assert_eq!(a["agent"], "355");
    // Call E: keys pressed after it hung up are ignored, and the history says so.
    let e = calls
        .iter()
        .find(|c| c["order_id"] == "flows-e-gone")
        .unwrap();
    assert_eq!(e["outcome"], "abandoned");
    let ignored = e["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "keys_ignored")
        .expect("keys after hang-up are noted");
    assert!(
        ignored["detail"].as_str().unwrap().contains("ended"),
        "{ignored}"
    );
    // Call C left a voicemail; B was transferred out.
    let c = calls
        .iter()
        .find(|c| c["order_id"] == "flows-c-voicemail")
        .unwrap();
    assert_eq!(c["outcome"], "voicemail");
    let b = calls
        .iter()
        .find(|c| c["order_id"] == "flows-b-speech")
        .unwrap();
    assert_eq!(b["external"], "13900139000");
    // Every agent involved is free again on the shared timeline.
    let agents = udesk_ok(&emu, "GET", "/agents?PageSize=100", None);
    let _ = agents;
    for id in ["9006", "9007", "9009", "355"] {
        let a = udesk_ok(&emu, "GET", &format!("/agents/{id}"), None);
        assert_eq!(a["StateDes"], "idle", "{id}: {a}");
    }
}

#[test]
fn flows_are_listed_and_replaced_and_refused_with_the_documents_codes() {
    let emu = start();
    let r = admin(
        &emu,
        "GET",
        &format!("/ivr-flows?tenant={UDESK_APP_ID}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["flows"].as_array().unwrap().len(), 2);
    let flow = |nodes: Value| json!({"tenant": UDESK_APP_ID, "flows": [{"id": "f", "numbers": [MENU], "nodes": nodes}]});
    for (nodes, code, node) in [
        (json!([{"id": "e", "kind": "end"}]), "200024", Value::Null),
        (
            json!([{"id": "s", "kind": "start", "next": "nowhere"}, {"id": "e", "kind": "end"}]),
            "200005",
            json!("s"),
        ),
        (
            json!([{"id": "s", "kind": "start", "next": "p"}, {"id": "p", "kind": "play", "voice": "no-such-voice", "next": "e"}, {"id": "e", "kind": "end"}]),
            "100007",
            json!("p"),
        ),
        (
            json!([{"id": "s", "kind": "start", "next": "q"}, {"id": "q", "kind": "queue", "queue": "no-such-queue"}, {"id": "e", "kind": "end"}]),
            "200009",
            json!("q"),
        ),
    ] {
        let r = admin(&emu, "PUT", "/ivr-flows", Some(flow(nodes)));
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json["code"], code, "{}", r.text);
        assert_eq!(r.json["node"], node, "{}", r.text);
        if let Some(n) = node.as_str() {
            assert!(
                r.json["message"].as_str().unwrap().contains(n),
                "{}",
                r.text
            );
        }
    }
    // A refusal changed nothing.
    let r = admin(
        &emu,
        "GET",
        &format!("/ivr-flows?tenant={UDESK_APP_ID}"),
        None,
    );
    assert_eq!(r.json["flows"].as_array().unwrap().len(), 2);
    let r = admin(
        &emu,
        "PUT",
        "/ivr-flows",
        Some(flow(
            json!([{"id": "s", "kind": "start", "next": "h"}, {"id": "h", "kind": "hangup", "cause": "closed"}, {"id": "e", "kind": "end"}]),
        )),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["flows"].as_array().unwrap().len(), 1);
    // A fixture with a broken flow is refused at load, naming the code and the node.
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": UDESK_APP_ID, "ivr_flows": [{"id": "g", "nodes": [
            {"id": "s", "kind": "start", "next": "c"},
            {"id": "c", "kind": "condition", "branches": [{"digits": "1", "next": "gone"}], "otherwise": "e"},
            {"id": "e", "kind": "end"}]}]}]}),
        ),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text.contains("200006") && r.text.contains("\\\"c\\\""),
        "{}",
        r.text
    );
    // So is a scenario, when it loads (not at its event's instant).
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(
            json!({"name": "broken", "timeline": [{"at_ms": 60000, "event": "ivr_flows", "tenant": UDESK_APP_ID,
            "flows": [{"id": "g", "nodes": [{"id": "s", "kind": "start", "next": "p"},
                {"id": "p", "kind": "play", "next": "e"}, {"id": "e", "kind": "end"}]}]}]}),
        ),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("200007"), "{}", r.text);
}

#[test]
fn callback2ivr_needs_a_flow_and_parses_variables() {
    let emu = start();
    freeze_at(&emu, T0);
    // A relay number without a flow: 100020.
    let r = admin(
        &emu,
        "PUT",
        "/ivr-flows",
        Some(
            json!({"tenant": UDESK_APP_ID, "flows": [{"id": "only", "numbers": [MENU], "nodes": [
            {"id": "s", "kind": "start", "next": "vip"},
            {"id": "vip", "kind": "condition", "branches": [{"variable": "vip", "equals": "1", "next": "q"}], "otherwise": "bye"},
            {"id": "q", "kind": "queue", "queue": "9001"},
            {"id": "bye", "kind": "hangup", "cause": "not_vip"},
            {"id": "e", "kind": "end"}]}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let body = |called: &str, vars: Option<&str>| {
        let mut b = json!({"caller": "18789998765", "called": called, "called_display": called});
        if let Some(v) = vars {
            b["variables"] = json!(v);
        }
        b
    };
    let r = udesk(
        &emu,
        "POST",
        "/callback2ivr",
        Some(body("057126200670", None)),
    );
    assert_eq!(r.json["code"], "100020", "{}", r.text);
    let r = udesk(&emu, "POST", "/callback2ivr", Some(body("0000", None)));
    assert_eq!(r.json["code"], "100005", "{}", r.text);
    let r = udesk(
        &emu,
        "POST",
        "/callback2ivr",
        Some(body(MENU, Some("[{oops"))),
    );
    assert_eq!(r.json["code"], "000001", "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("variables"),
        "{}",
        r.text
    );
    // The document's own form (with its "key/" spelling) reaches the condition node.
    let vip = r#"[{"key/": "vip", "type": "string", "value": "1"}]"#;
    let r = udesk(&emu, "POST", "/callback2ivr", Some(body(MENU, Some(vip))));
    assert_eq!(r.json["code"], "000000", "{}", r.text);
    let id = r.json["results"].as_str().unwrap().to_string();
    let r = udesk(
        &emu,
        "POST",
        "/callback2ivr",
        Some(body(MENU, Some(r#"[{"key":"vip","value":"0"}]"#))),
    );
    let other = r.json["results"].as_str().unwrap().to_string();
    advance(&emu, 5_000);
    let c = call(&emu, &id);
    assert_eq!(c["variables"]["vip"], "1");
    assert_eq!(c["queue"], "9001", "{c}");
    let o = call(&emu, &other);
    assert_eq!(
        (o["outcome"].as_str(), o["hangup_cause"].as_str()),
        (Some("ivr"), Some("not_vip")),
        "{o}"
    );
}

#[test]
fn actions_are_refused_on_the_wrong_state_and_unknown_calls() {
    let emu = start();
    freeze_at(&emu, T0);
    set_state(&emu, "9006", "idle");
    let r = admin(
        &emu,
        "POST",
        "/calls/nope/actions",
        Some(json!({"action": "hold"})),
    );
    assert_eq!(r.status, 404, "{}", r.text);
    let id = start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 60000, "wrapup_ms": 0}),
    );
    // Ringing: hold is refused, naming the state.
    let r = admin(
        &emu,
        "POST",
        &format!("/calls/{id}/actions"),
        Some(json!({"action": "hold"})),
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("ringing"),
        "{}",
        r.text
    );
    advance(&emu, 3_000);
    let act = |body: Value| admin(&emu, "POST", &format!("/calls/{id}/actions"), Some(body));
    // 189 is busy, not idle: no consultation.
    let r = act(json!({"action": "consult", "agent": "189"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("busy"),
        "{}",
        r.text
    );
    assert_eq!(act(json!({"action": "consult"})).status, 400);
    assert_eq!(act(json!({"action": "resume"})).status, 409);
    assert_eq!(act(json!({"action": "hold"})).status, 200);
    assert_eq!(act(json!({"action": "hold"})).status, 409);
    assert_eq!(act(json!({"action": "resume"})).status, 200);
    // Blind transfer to a queue: the call waits there again, 9006 is free.
    let r = act(json!({"action": "transfer", "queue": "551"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["call"]["state"], "queued");
    let a = udesk_ok(&emu, "GET", "/agents/9006", None);
    assert_eq!(a["StateDes"], "idle", "{a}");
    let r = admin(&emu, "POST", &format!("/calls/{id}/hangup"), None);
    assert_eq!(r.status, 200, "{}", r.text);
    let r = act(json!({"action": "hold"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("ended"),
        "{}",
        r.text
    );
}

/// A backend that answers every POST with `{"route": "sales"}`.
fn json_backend() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/route", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut w = conn.try_clone().unwrap();
            let mut r = BufReader::new(conn);
            let mut len = 0;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if l.is_empty() {
                    let mut body = vec![0u8; len];
                    let _ = r.read_exact(&mut body);
                    let answer = r#"{"route":"sales"}"#;
                    let _ = write!(
                        w,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    len = 0;
                }
            }
        }
    });
    url
}

#[test]
fn webhook_nodes_branch_on_the_answer_and_never_wedge_on_a_dead_or_garbage_url() {
    let emu = start();
    freeze_at(&emu, T0);
    let garbage = Receiver::start();
    let nodes = |url: &str| {
        json!([
            {"id": "s", "kind": "start", "next": "ask"},
            {"id": "ask", "kind": "webhook", "url": url, "timeout_ms": 2000, "store_as": "crm",
             "branches": [{"variable": "crm.route", "equals": "sales", "next": "q"}],
             "next": "bye", "on_failure": "failed"},
            {"id": "q", "kind": "queue", "queue": "9001"},
            {"id": "failed", "kind": "hangup", "cause": "crm_down"},
            {"id": "bye", "kind": "hangup"},
            {"id": "e", "kind": "end"}])
    };
    for (url, want) in [
        ("http://127.0.0.1:9/dead".to_string(), "crm_down"),
        (garbage.url.clone(), "crm_down"),
        (json_backend(), "queued"),
    ] {
        let r = admin(
            &emu,
            "PUT",
            "/ivr-flows",
            Some(
                json!({"tenant": UDESK_APP_ID, "flows": [{"id": "w", "numbers": [MENU], "nodes": nodes(&url)}]}),
            ),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        let id = start_call(
            &emu,
            json!({"tenant": UDESK_APP_ID, "callee": MENU, "variables": {"customer": "42"}}),
        );
        let mut c = call(&emu, &id);
        for _ in 0..100 {
            if c["state"] != "ivr" {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            advance(&emu, 0);
            c = call(&emu, &id);
        }
        if want == "queued" {
            assert_eq!(c["state"], "queued", "{c}");
            assert_eq!(c["variables"]["crm.route"], "sales", "{c}");
        } else {
            assert_eq!(c["hangup_cause"], want, "{c}");
            assert!(steps(&c).contains(&"webhook_failed".to_string()), "{c}");
        }
    }
    let hit = garbage.wait_for(1, LONG).remove(0);
    assert_eq!(hit.body["variables"]["customer"], "42");
}

fn nx(emu: &ccemu::Emulator, op: &str, body: Value) -> Value {
    let r = nx_call(emu, op, &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["code"], 0, "{}", r.text);
    r.json
}

#[test]
fn nxcloud_cdrs_carry_the_keys_and_calls_that_ended_in_the_ivr() {
    let emu = start();
    freeze_at(&emu, T0);
    let r = admin(
        &emu,
        "PUT",
        "/ivr-flows",
        Some(
            json!({"tenant": "144", "flows": [{"id": "team", "numbers": ["6501"], "nodes": [
            {"id": "s", "kind": "start", "next": "menu"},
            {"id": "menu", "kind": "collect_digits", "max_digits": 2, "timeout_ms": 3000, "next": "route"},
            {"id": "route", "kind": "condition", "branches": [{"digits": "9", "next": "vm"}], "otherwise": "q"},
            {"id": "vm", "kind": "voicemail", "next": "e"},
            {"id": "q", "kind": "queue", "queue": "NXQueue0001"},
            {"id": "e", "kind": "end"}]}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let vm = start_call(
        &emu,
        json!({"tenant": "144", "callee": "6501", "caller_script": {"press": [{"after_ms": 1000, "keys": "9#"}], "voicemail_ms": 5000}}),
    );
    let gone = start_call(
        &emu,
        json!({"tenant": "144", "callee": "6501", "caller_script": {"hangup_after_ms": 500}}),
    );
    advance(&emu, 60_000);
    assert_eq!(call(&emu, &vm)["outcome"], "voicemail");
    assert_eq!(call(&emu, &gone)["outcome"], "abandoned");
    let page = nx(
        &emu,
        "cdr/page",
        json!({"startTime": T0 / 1000, "endTime": T0 / 1000 + 3600, "size": 10, "page": 1}),
    );
    let cdrs = page["data"].as_array().unwrap();
    let of = |id: &str| cdrs.iter().find(|c| c["callId"] == id).unwrap().clone();
    let v = of(&vm);
    assert_eq!(
        (
            v["dtmfKeys"].as_str(),
            v["callStatus"].as_str(),
            v["answered"].as_i64()
        ),
        (Some("9"), Some("VOICEMAIL"), Some(0)),
        "{v}"
    );
    let g = of(&gone);
    assert_eq!(g["callStatus"], "ABANDONED", "{g}");
    assert_eq!(g["hangupBy"], 1, "{g}");
}

#[test]
fn a_load_profile_mixes_caller_scripts_by_weight() {
    let emu = start();
    freeze_at(&emu, T0);
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(
            json!({"name": "mix", "timeline": [{"at_ms": 0, "event": "load",
            "calls_per_hour": 1000, "duration_ms": 3_600_000,
            "call": {"tenant": UDESK_APP_ID, "callee": MENU, "caller_scripts": [
                {"weight": 70, "name": "sales", "press": [{"after_ms": 8000, "keys": "1"}]},
                {"weight": 20, "name": "support", "press": [{"after_ms": 8000, "keys": "2"}]},
                {"weight": 10, "name": "gives up", "hangup_after_ms": 5000}]}}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    advance(&emu, 3_600_000 + 600_000);
    let calls = admin(&emu, "GET", &format!("/calls?tenant={UDESK_APP_ID}"), None).json;
    let calls = calls["calls"].as_array().unwrap().clone();
    assert!(calls.len() > 800, "{}", calls.len());
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for c in &calls {
        let script = c["caller_script"]["name"].as_str().unwrap().to_string();
        // What each script does shows in the call: the queue it reached, or where it ended.
        match script.as_str() {
            "sales" => assert_eq!(c["queue"], "9001", "{c}"),
            "support" => assert_eq!(c["queue"], "551", "{c}"),
            _ => assert_eq!(
                (c["outcome"].as_str(), c["queue"].as_str()),
                (Some("abandoned"), None),
                "{c}"
            ),
        }
        assert_eq!(
            c["dtmf_keys"],
            if script == "sales" {
                "1"
            } else if script == "support" {
                "2"
            } else {
                ""
            }
        );
        *by.entry(script).or_default() += 1;
    }
    let n = calls.len() as f64;
    let share = |s: &str| by.get(s).copied().unwrap_or(0) as f64 / n;
    assert!((share("sales") - 0.7).abs() < 0.05, "{by:?}");
    assert!((share("support") - 0.2).abs() < 0.05, "{by:?}");
    assert!((share("gives up") - 0.1).abs() < 0.04, "{by:?}");
}

#[test]
fn a_consult_then_transfer_splits_the_talk_between_the_agents() {
    let emu = start();
    freeze_at(&emu, T0);
    let idle = |a: &str| {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": "144", "agent": a, "state": "idle"})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    };
    idle("NXAgent1000013");
    let id = start_call(
        &emu,
        json!({"tenant": "144", "queue": "NXQueue0001", "talk_ms": 60000, "wrapup_ms": 0, "ring_ms": 2000}),
    );
    advance(&emu, 2_000);
    assert_eq!(call(&emu, &id)["agent"], "NXAgent1000013");
    idle("NXAgent0001");
    advance(&emu, 8_000);
    let act = |body: Value| admin(&emu, "POST", &format!("/calls/{id}/actions"), Some(body));
    // Completing before the consulted agent answers is refused, naming why.
    let r = act(json!({"action": "consult", "agent": "NXAgent0001"}));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["call"]["held"], true);
    let r = act(json!({"action": "complete_transfer"}));
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.json["message"].as_str().unwrap().contains("not answered"),
        "{}",
        r.text
    );
    advance(&emu, 10_000);
    let r = act(json!({"action": "complete_transfer"}));
    assert_eq!(r.status, 200, "{}", r.text);
    advance(&emu, 120_000);
    let c = call(&emu, &id);
    assert_eq!(c["state"], "ended", "{c}");
    assert_eq!(c["agent"], "NXAgent0001");
    // The first agent had the customer 18 s (answer at 2 s, hand-over at 20 s), the consulted
    // one the remaining 42 s of the call's 60 s.
    let legs = c["legs"].as_array().unwrap();
    let dur = |l: &Value| l["to_ms"].as_i64().unwrap() - l["from_ms"].as_i64().unwrap();
    assert_eq!(legs[0]["agent"], "NXAgent1000013");
    assert_eq!((dur(&legs[0]), dur(&legs[1])), (18_000, 42_000), "{c}");
    assert_eq!(c["end_ms"], T0 + 62_000);
    // The CDR names the agent who finished the call.
    let page = nx(
        &emu,
        "cdr/page",
        json!({"startTime": T0 / 1000, "endTime": T0 / 1000 + 3600, "size": 10, "page": 1}),
    );
    assert_eq!(page["data"][0]["agentName"], "NXAgent0001", "{page}");
    // NXLink status durations agree: the consulted agent rang 2 s and was calling 50 s (8 s
    // with the first agent, 42 s with the customer); the first rang 2 s and talked 18 s. A
    // consultation is calling time, not meetingDuration ("Rest - Meeting").
    for (user, ringing, calling) in [("NXAgent0001", 2, 50), ("NXAgent1000013", 2, 18)] {
        let r = nx_call(
            &emu,
            "agent/status/info",
            &json!({"tenantId": 144, "userName": user, "startDateTime": T0 / 1000, "endDateTime": T0 / 1000 + 100}),
        );
        let d = &r.json["data"][0];
        assert_eq!(
            (
                d["ringingDuration"].as_i64(),
                d["callingDuration"].as_i64(),
                d["meetingDuration"].as_i64()
            ),
            (Some(ringing), Some(calling), Some(0)),
            "{user}: {d}"
        );
    }
}

#[test]
fn a_blind_transfer_to_an_agent_rings_it_and_hands_the_call_over() {
    let emu = start();
    freeze_at(&emu, T0);
    set_state(&emu, "9006", "idle");
    let id = start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 30000, "wrapup_ms": 5000,
               "actions": [{"after_ms": 10000, "action": "transfer", "agent": "355"}]}),
    );
    advance(&emu, 3_000);
    // 355 is offline when the script fires: refused, and the history says so.
    advance(&emu, 10_000);
    let c = call(&emu, &id);
    let refused = c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "action_refused")
        .expect("a refused scripted action is noted");
    assert!(
        refused["detail"].as_str().unwrap().contains("offline"),
        "{refused}"
    );
    set_state(&emu, "355", "idle");
    let r = admin(
        &emu,
        "POST",
        &format!("/calls/{id}/actions"),
        Some(json!({"action": "transfer", "agent": "355"})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["call"]["state"], "ringing");
    // The first agent wraps up from the transfer; the target rings, then has the call.
    let a = udesk_ok(&emu, "GET", "/agents/9006", None);
    assert_eq!(a["StateDes"], "neaten", "{a}");
    let a = udesk_ok(&emu, "GET", "/agents/355", None);
    assert_eq!(a["ExtState"], 1, "{a}");
    advance(&emu, 3_000);
    let c = call(&emu, &id);
    assert_eq!(
        (c["state"].as_str(), c["agent"].as_str()),
        (Some("talking"), Some("355")),
        "{c}"
    );
    advance(&emu, 60_000);
    let c = call(&emu, &id);
    let legs = c["legs"].as_array().unwrap();
    let dur = |l: &Value| l["to_ms"].as_i64().unwrap() - l["from_ms"].as_i64().unwrap();
    assert_eq!(dur(&legs[0]) + dur(&legs[1]), 30_000, "{c}");
    assert_eq!(c["transfers"], json!(["agent:355"]));
}

#[test]
fn a_relay_number_without_a_flow_goes_to_the_default_queue_and_callers_hang_up_at_a_node() {
    let emu = start();
    freeze_at(&emu, T0);
    // Only the menu number keeps a flow.
    let r = admin(
        &emu,
        "GET",
        &format!("/ivr-flows?tenant={UDESK_APP_ID}"),
        None,
    );
    let menu = r.json["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "menu")
        .unwrap()
        .clone();
    let r = admin(
        &emu,
        "PUT",
        "/ivr-flows",
        Some(json!({"tenant": UDESK_APP_ID, "flows": [menu]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let plain = start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "callee": "057126200670"}),
    );
    let c = call(&emu, &plain);
    assert_eq!(
        (c["state"].as_str(), c["queue"].as_str()),
        (Some("queued"), Some("9001")),
        "{c}"
    );
    assert!(c.get("ivr").is_none(), "{c}");
    let id = start_call(
        &emu,
        json!({"tenant": UDESK_APP_ID, "callee": MENU, "caller_script": {"hangup_at_node": "menu"}}),
    );
    advance(&emu, 10_000);
    let c = call(&emu, &id);
    assert_eq!(
        (
            c["outcome"].as_str(),
            c["hangup_cause"].as_str(),
            c["end_ms"].as_i64()
        ),
        (Some("abandoned"), Some("caller_hangup"), Some(T0 + 3_000)),
        "{c}"
    );
    assert_eq!(
        c["ivr"]["visited"],
        json!(["start", "welcome", "vip", "menu"])
    );
}
