//! `GET /_ccemu/openapi/admin.json`: the admin route table against the dispatcher (both ways),
//! the document against independent validators, and real deliveries against its webhooks.

mod common;

use ccemu::admin::openapi::{document, ROUTES};
use common::receiver::Receiver;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// `value` fits `schema`, a schema of admin.json whose `#/components/…` references resolve
/// against the document.
fn assert_fits(doc: &Value, schema: &Value, value: &Value, what: &str) {
    let mut root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    });
    root["components"] = doc["components"].clone();
    let v = jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{what}: {e}"));
    let errors: Vec<String> = v
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert_eq!(errors, Vec::<String>::new(), "{what}: {value}");
}

#[test]
fn the_document_is_served_and_independent_parsers_accept_it() {
    let emu = start();
    let r = admin(&emu, "GET", "/openapi/admin.json", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json, document());
    assert_eq!(r.json["openapi"], "3.1.0");
    let spec = oas3::from_json(&r.text).unwrap_or_else(|e| panic!("oas3 rejects it: {e}"));
    let ops = spec.operations().count();
    assert_eq!(ops, ROUTES.len());
    // Every component schema compiles as draft 2020-12 with the document as its root.
    let components = r.json["components"].clone();
    for name in components["schemas"].as_object().unwrap().keys() {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": format!("#/components/schemas/{name}"),
            "components": components,
        });
        jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The OpenAPI project's own validator. Required under CI (`.ci/run` installs it); elsewhere it
/// runs where it is installed.
#[test]
fn the_document_passes_openapi_spec_validator() {
    let has = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openapi-spec-validator is missing under CI; .ci/run installs it"
        );
        eprintln!("openapi-spec-validator is not installed; skipped");
        return;
    }
    let dir = Scratch::new("admin-openapi");
    let path = dir.path("admin.json");
    std::fs::write(&path, document().to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every row of the table is answered by the dispatcher (not "no such admin path", not 405).
#[test]
fn every_documented_operation_is_served() {
    let emu = start();
    for r in ROUTES {
        // An event stream never ends: tests/dashboard_stream.rs reads it.
        if r.path == "/_ccemu/stream" {
            continue;
        }
        let path = r
            .path
            .replace("{id}", "x")
            .replace("{name}", "x")
            .replace("{document}", "x.json");
        let body = match path.as_str() {
            "/_ccemu/requests/wait" | "/_ccemu/webhooks/wait" => {
                Some(json!({"count": 1, "timeout_ms": 1}))
            }
            _ if r.method == "POST" => Some(json!({})),
            _ => None,
        };
        let rest = path.strip_prefix("/_ccemu").unwrap();
        let got = admin(&emu, r.method, rest, body);
        assert_ne!(got.status, 405, "{} {}: {}", r.method, r.path, got.text);
        assert!(
            !(got.status == 404 && got.text.contains("no such admin path")),
            "{} {} is documented but not served",
            r.method,
            r.path
        );
        if r.sandbox {
            let scoped = if rest.contains('?') { "&" } else { "?" };
            let got = admin(&emu, r.method, &format!("{rest}{scoped}sandbox=nope"), None);
            assert!(
                got.text.contains("no sandbox"),
                "{} {} documents ?sandbox=: {}",
                r.method,
                r.path,
                got.text
            );
        }
    }
}

/// Every admin path the handlers name (a `"/_ccemu/…"` literal in src/admin/) has a row.
#[test]
fn every_served_path_is_documented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/admin");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "openapi.rs")
            || path.extension().is_none_or(|x| x != "rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, _) in text.match_indices("\"/_ccemu/") {
            let literal: String = text[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/_-.".contains(*c))
                .collect();
            let literal = literal.trim_end_matches('/');
            if literal == "/_ccemu" || literal == "/_ccemu/sandboxes/{id}" {
                continue;
            }
            checked += 1;
            assert!(
                ROUTES
                    .iter()
                    .any(|r| r.path == literal || r.path.starts_with(&format!("{literal}/"))),
                "{literal} (in {}) has no row in admin::openapi::ROUTES",
                path.display()
            );
        }
    }
    assert!(checked > 30, "only {checked} literals found");
}

/// Every delivery a receiver gets (Udesk agent, extension, call-mode and call events; the
/// NXCloud CDR push with its token) fits its webhook's schema.
#[test]
fn real_deliveries_fit_their_webhook_schemas() {
    let doc = document();
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let rx = Receiver::start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [
            {"id": UDESK_APP_ID, "subscriptions": [{"id": 900, "name": "all", "callback": rx.url,
              "events": ["agent_state", "ext_state", "agent_call_mode", "call"]}]},
            {"id": "144", "cdr_url": format!("{}/cdr", rx.url), "cdr_token": "cdr-secret"}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for (agent, state) in [
        ("189", "idle"),
        ("9006", "idle"),
        ("189", "busy"),
        ("189", "idle"),
    ] {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": UDESK_APP_ID, "agent": agent, "state": state})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    admin(
        &emu,
        "POST",
        "/call-mode",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "signal_type": 1})),
    );
    admin(
        &emu,
        "POST",
        "/call-mode",
        Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "signal_type": 0})),
    );
    admin(
        &emu,
        "POST",
        "/agent-state",
        Some(json!({"tenant": "144", "agent": "NXAgent0001", "state": "idle"})),
    );
    for call in [
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 5000}),
        json!({"tenant": UDESK_APP_ID, "agent": "189", "talk_ms": 5000}),
        json!({"tenant": "144", "queue": "NXQueue0001", "talk_ms": 5000}),
    ] {
        let r = admin(&emu, "POST", "/calls", Some(call));
        assert!(r.status < 300, "{}", r.text);
        admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 120_000})));
    }
    // Deliveries are asynchronous: wait for the last kinds to arrive.
    for (event, count) in [("cdr", 1), ("record_stop", 2)] {
        let r = admin(
            &emu,
            "POST",
            "/webhooks/wait",
            Some(
                json!({"match": {"event": event, "status": "delivered"}, "count": count, "timeout_ms": 10_000}),
            ),
        );
        assert_eq!(r.status, 200, "{event}: {}", r.text);
    }
    let log = admin(&emu, "GET", "/webhooks/deliveries", None).json;
    let sent = log["count"].as_u64().unwrap() as usize;
    assert!(sent >= 10, "{log}");
    // At least those the log showed when asked; later ones (retries, the last CDR) count too.
    let hits = rx.wait_for(sent, Duration::from_secs(10));
    assert!(hits.len() >= sent, "{} of {sent}", hits.len());
    let mut seen = BTreeSet::new();
    for hit in &hits {
        seen.insert(fits_its_webhook(&doc, hit));
    }
    for want in [
        "acd_agent_state",
        "extension_state_update",
        "agent_call_mode_change",
        "enqueue_succ",
        "dequeue_succ",
        "start_dialout",
        "general_hangup",
        "hangup_cause",
        "record_stop",
        "cdr",
    ] {
        assert!(seen.contains(want), "no {want} delivery; saw {seen:?}");
    }
}

/// A method the table does not list on a path it does is 405 with `Allow` naming the table's
/// methods (`{id}` segments match any one segment); the fuzzer's ST204 check.
#[test]
fn an_undocumented_method_is_405_with_allow_from_the_table() {
    let emu = start();
    for (method, path, allow) in [
        ("TRACE", "/health", "GET"),
        ("PATCH", "/clock", "GET, POST"),
        ("PUT", "/calls/no-such-call", "GET"),
        ("GET", "/sandboxes/sb-x/reset", "POST"),
        ("POST", "/ui/app.js", "GET"),
    ] {
        let r = admin(&emu, method, path, None);
        assert_eq!(r.status, 405, "{method} {path}: {}", r.text);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }
    // Not in the table: still 404.
    let r = admin(&emu, "TRACE", "/no-such-admin-path", None);
    assert_eq!(r.status, 404, "{}", r.text);
}

/// The webhook of admin.json a delivery answers to, and its event name.
fn webhook_of(hit: &common::receiver::Hit) -> (String, String) {
    if hit.path.ends_with("/cdr") {
        ("nxcloud.cdr".to_string(), "cdr".to_string())
    } else {
        let event = hit.header("x-ccemu-event").unwrap_or_default().to_string();
        (format!("udesk.{event}"), event)
    }
}

/// A delivery carries its webhook's required headers (the CDR push its token) and its body fits
/// the webhook's schema; answers its event name.
fn fits_its_webhook(doc: &Value, hit: &common::receiver::Hit) -> String {
    let (hook, event) = webhook_of(hit);
    if event == "cdr" {
        assert_eq!(hit.header("token"), Some("cdr-secret"));
    }
    let op = &doc["webhooks"][&hook]["post"];
    assert!(op.is_object(), "no webhook {hook}");
    for p in op["parameters"].as_array().unwrap() {
        if p["required"] == true {
            let name = p["name"].as_str().unwrap().to_ascii_lowercase();
            assert!(hit.header(&name).is_some(), "{hook}: {p}");
        }
    }
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    assert_fits(doc, schema, &hit.body, &hook);
    event
}

/// Admin answers checked against admin.json: each request's 200 answer fits its route's schema.
struct Answers {
    doc: Value,
    checked: BTreeSet<(String, String)>,
}

impl Answers {
    /// Sends `method path` (`template` is the table's path), wants 200, checks the answer.
    fn check(
        &mut self,
        emu: &ccemu::Emulator,
        method: &str,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let r = admin(emu, method, path, body);
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
        let schema = &self.doc["paths"][template][method.to_ascii_lowercase()]["responses"]["200"]
            ["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} has no answer schema"
        );
        assert_fits(&self.doc, schema, &r.json, &format!("{method} {path}"));
        self.checked
            .insert((method.to_string(), template.to_string()));
        r.json
    }
}

/// Every admin answer with a typed schema, driven for real and validated against admin.json;
/// every row that names an answer type is driven at least once.
#[test]
fn typed_admin_answers_fit_their_schemas() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let mut a = Answers {
        doc: document(),
        checked: BTreeSet::new(),
    };
    let c = "/_ccemu";
    a.check(&emu, "GET", &format!("{c}/health"), "/health", None);
    a.check(&emu, "GET", &format!("{c}/clock"), "/clock", None);
    a.check(
        &emu,
        "POST",
        &format!("{c}/clock"),
        "/clock",
        Some(json!({"advance_ms": 1000})),
    );
    for agent in ["189", "355"] {
        a.check(
            &emu,
            "POST",
            &format!("{c}/agent-state"),
            "/agent-state",
            Some(json!({"tenant": UDESK_APP_ID, "agent": agent, "state": "idle"})),
        );
    }
    // The reference scenario: IVR menus, holds, consults, transfers, on five calls.
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/call_flows.json"),
    )
    .unwrap();
    let loaded = a.check(
        &emu,
        "POST",
        &format!("{c}/scenarios"),
        "/scenarios",
        Some(serde_json::from_str(&file).unwrap()),
    );
    assert!(loaded["events"].as_u64().unwrap() > 0, "{loaded}");
    let started = a.check(
        &emu,
        "POST",
        &format!("{c}/calls"),
        "/calls",
        Some(json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 60000})),
    );
    let id = started["id"].as_str().unwrap().to_string();
    a.check(
        &emu,
        "POST",
        &format!("{c}/clock"),
        "/clock",
        Some(json!({"advance_ms": 30000})),
    );
    a.check(
        &emu,
        "POST",
        &format!("{c}/calls/{{id}}/actions"),
        &format!("/calls/{id}/actions"),
        Some(json!({"action": "hold"})),
    );
    let one = a.check(
        &emu,
        "GET",
        &format!("{c}/calls/{{id}}"),
        &format!("/calls/{id}"),
        None,
    );
    assert_eq!(one["held"], true, "{one}");
    a.check(
        &emu,
        "POST",
        &format!("{c}/calls/{{id}}/hangup"),
        &format!("/calls/{id}/hangup"),
        Some(json!({"by": "agent"})),
    );
    a.check(
        &emu,
        "POST",
        &format!("{c}/clock"),
        "/clock",
        Some(json!({"advance_ms": 600_000})),
    );
    let calls = a.check(&emu, "GET", &format!("{c}/calls"), "/calls", None);
    assert!(calls["count"].as_u64().unwrap() >= 6, "{calls}");
    // Every call of the scenario, each in its finished state with its IVR and actions.
    for call in calls["calls"].as_array().unwrap() {
        let id = call["id"].as_str().unwrap();
        a.check(
            &emu,
            "GET",
            &format!("{c}/calls/{{id}}"),
            &format!("/calls/{id}"),
            None,
        );
    }
    let rule = json!({"match": {"vendor": "udesk", "path": "/ccapi/v2/nothing-here"}, "fault": {"kind": "reset"}});
    a.check(&emu, "POST", &format!("{c}/faults"), "/faults", Some(rule));
    let faults = a.check(&emu, "GET", &format!("{c}/faults"), "/faults", None);
    assert!(!faults["faults"].as_array().unwrap().is_empty(), "{faults}");
    udesk_ok(&emu, "GET", "/spnumbers", None);
    let journal = a.check(&emu, "GET", &format!("{c}/requests"), "/requests", None);
    assert!(!journal["requests"].as_array().unwrap().is_empty());
    a.check(
        &emu,
        "POST",
        &format!("{c}/requests/wait"),
        "/requests/wait",
        Some(json!({"count": 1, "timeout_ms": 5000})),
    );
    a.check(
        &emu,
        "GET",
        &format!("{c}/webhooks/deliveries"),
        "/webhooks/deliveries",
        None,
    );
    a.check(
        &emu,
        "POST",
        &format!("{c}/webhooks/wait"),
        "/webhooks/wait",
        Some(json!({"count": 0, "timeout_ms": 1})),
    );
    let flows = a.check(
        &emu,
        "GET",
        &format!("{c}/ivr-flows"),
        &format!("/ivr-flows?tenant={UDESK_APP_ID}"),
        None,
    );
    a.check(&emu, "GET", &format!("{c}/ivr-flows"), "/ivr-flows", None);
    a.check(
        &emu,
        "PUT",
        &format!("{c}/ivr-flows"),
        "/ivr-flows",
        Some(json!({"tenant": UDESK_APP_ID, "flows": flows["flows"], "voices": flows["voices"]})),
    );
    let sb = a.check(
        &emu,
        "POST",
        &format!("{c}/sandboxes"),
        "/sandboxes",
        Some(json!({})),
    );
    let sid = sb["id"].as_str().unwrap().to_string();
    assert!(sb["udesk"].is_object(), "{sb}");
    a.check(&emu, "GET", &format!("{c}/sandboxes"), "/sandboxes", None);
    a.check(
        &emu,
        "GET",
        &format!("{c}/sandboxes/{{id}}"),
        &format!("/sandboxes/{sid}"),
        None,
    );
    a.check(
        &emu,
        "GET",
        &format!("{c}/clock"),
        &format!("/clock?sandbox={sid}"),
        None,
    );
    a.check(
        &emu,
        "POST",
        &format!("{c}/snapshots"),
        "/snapshots",
        Some(json!({"name": "after-calls"})),
    );
    // The whole model after the reference scenario's calls, held to the fixture's schema.
    a.check(&emu, "GET", &format!("{c}/state"), "/state", None);
    a.check(&emu, "GET", &format!("{c}/snapshots"), "/snapshots", None);
    a.check(
        &emu,
        "POST",
        &format!("{c}/snapshots/{{name}}/restore"),
        "/snapshots/after-calls/restore",
        None,
    );
    let typed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.answer.is_some())
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missed: Vec<_> = typed.difference(&a.checked).collect();
    assert!(missed.is_empty(), "typed but not driven: {missed:?}");
    assert!(typed.len() >= 24, "{typed:?}");
}

/// A broad run (the reference scenario's IVR menus, speech, voicemail, holds, consults,
/// three-way calls, transfers, eavesdropping, takeovers; plain queue and outbound calls; NXCloud
/// calls) delivered to a receiver subscribed to every Udesk event type and the NXCloud CDR push:
/// every body fits its webhook's schema, and every event type came.
#[test]
fn every_delivery_of_a_broad_run_fits_its_webhook_schema() {
    let doc = document();
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let rx = Receiver::start();
    let every: Vec<&str> = ccemu::vendors::udesk::events::EVENTS
        .iter()
        .map(|(_, e)| *e)
        .collect();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [
            {"id": UDESK_APP_ID, "subscriptions": [{"id": 901, "name": "every", "callback": rx.url,
              "events": every}]},
            {"id": "144", "cdr_url": format!("{}/cdr", rx.url), "cdr_token": "cdr-secret"}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    for (tenant, agent) in [(UDESK_APP_ID, "189"), ("144", "NXAgent0001")] {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": tenant, "agent": agent, "state": "idle"})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    for mode in [1, 0] {
        admin(
            &emu,
            "POST",
            "/call-mode",
            Some(json!({"tenant": UDESK_APP_ID, "agent": "189", "signal_type": mode})),
        );
    }
    let file = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/call_flows.json"),
    )
    .unwrap();
    let r = admin(
        &emu,
        "POST",
        "/scenarios",
        Some(serde_json::from_str(&file).unwrap()),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 600_000})));
    for call in [
        json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 5000}),
        json!({"tenant": UDESK_APP_ID, "agent": "189", "talk_ms": 5000}),
        json!({"tenant": "144", "queue": "NXQueue0001", "talk_ms": 5000}),
        json!({"tenant": "144", "callee": "6501", "caller_script": {"press": [{"after_ms": 1000, "keys": "9#"}], "voicemail_ms": 5000}}),
    ] {
        let r = admin(&emu, "POST", "/calls", Some(call));
        assert_eq!(r.status, 200, "{}", r.text);
        admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 120_000})));
    }
    // Deliveries are asynchronous: wait until every kind has come (the assertions below say
    // which did not), and a moment more for the rest.
    let wanted: BTreeSet<String> = every
        .iter()
        .map(|e| e.to_string())
        .chain(["cdr".to_string()])
        .collect();
    for _ in 0..200 {
        let got: BTreeSet<String> = rx.hits().iter().map(|h| webhook_of(h).1).collect();
        if wanted.is_subset(&got) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let hits = rx.hits();
    let mut seen = BTreeSet::new();
    for hit in &hits {
        seen.insert(fits_its_webhook(&doc, hit));
    }
    for want in every.iter().copied().chain(["cdr"]) {
        assert!(seen.contains(want), "no {want} delivery; saw {seen:?}");
    }
    let nx = hits.iter().filter(|h| h.path.ends_with("/cdr")).count();
    assert!(nx >= 2, "{nx} CDRs");
}
