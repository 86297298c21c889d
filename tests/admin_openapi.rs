//! `GET /_ccemu/openapi/admin.json`: the admin route table against the dispatcher (both ways),
//! the document against independent validators, and real deliveries against its webhooks.

mod common;

use ccemu::admin::openapi::{document, ROUTES};
use common::receiver::Receiver;
use common::*;
use serde_json::json;
use std::time::Duration;

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
    let mut seen = std::collections::BTreeSet::new();
    for hit in &hits {
        let (hook, event) = if hit.path.ends_with("/cdr") {
            assert_eq!(hit.header("token"), Some("cdr-secret"));
            ("nxcloud.cdr".to_string(), "cdr".to_string())
        } else {
            let event = hit.header("x-ccemu-event").unwrap().to_string();
            (format!("udesk.{event}"), event)
        };
        let op = &doc["webhooks"][&hook]["post"];
        assert!(op.is_object(), "no webhook {hook}");
        for p in op["parameters"].as_array().unwrap() {
            if p["required"] == true {
                assert!(
                    hit.header(&p["name"].as_str().unwrap().to_ascii_lowercase())
                        .is_some(),
                    "{hook}: {p}"
                );
            }
        }
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "components": doc["components"],
        });
        let v = jsonschema::draft202012::new(&root).unwrap();
        let errors: Vec<String> = v.iter_errors(&hit.body).map(|e| e.to_string()).collect();
        assert_eq!(errors, Vec::<String>::new(), "{hook}: {}", hit.body);
        seen.insert(event);
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
