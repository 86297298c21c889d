//! The JSON Schemas in schemas/ against the loaders they describe: every shipped file validates
//! and still loads with its `$schema`, every state ccemu writes validates as a fixture, a key the
//! loader refuses the schema refuses too, the IVR flow schema matches the flows ccemu ships and
//! its copies in the fixture and scenario schemas, and `ccemu check` reports lines and pointers.

mod common;

use ccemu::contract::schemas;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn validator(name: &str) -> jsonschema::Validator {
    let schema = schemas::by_name(name).unwrap().value();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn shipped(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} has files");
    files
}

#[test]
fn the_repository_schemas_are_the_ones_served_and_compiled_in() {
    let emu = start();
    for s in schemas::ALL {
        let on_disk = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{}.json", s.name)),
        )
        .unwrap();
        assert_eq!(on_disk, s.text);
        let r = admin(&emu, "GET", &format!("/schemas/{}.json", s.name), None);
        assert_eq!(r.status, 200);
        assert_eq!(r.json, s.value());
        jsonschema::meta::validate(&r.json).unwrap();
    }
    let r = admin(&emu, "GET", "/schemas/nope.json", None);
    assert_eq!(r.status, 404);
    assert!(r.text.contains("fixture.json"), "{}", r.text);
    assert_eq!(
        admin(&emu, "POST", "/schemas/fixture.json", Some(json!({}))).status,
        405
    );
}

#[test]
fn every_shipped_file_names_its_schema_validates_and_still_loads() {
    let fixture = validator("fixture");
    for path in shipped("fixtures") {
        let doc = read(&path);
        assert_eq!(
            doc["$schema"],
            "../schemas/fixture.json",
            "{}",
            path.display()
        );
        assert_eq!(
            errors(&fixture, &doc),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        ccemu::model::fixture::parse(&doc.to_string()).unwrap();
    }
    let scenario = validator("scenario");
    let emu = start();
    for path in shipped("scenarios") {
        let doc = read(&path);
        assert_eq!(
            doc["$schema"],
            "../schemas/scenario.json",
            "{}",
            path.display()
        );
        assert_eq!(
            errors(&scenario, &doc),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
        let r = admin(&emu, "POST", "/scenarios", Some(doc));
        assert_eq!(r.status, 200, "{}: {}", path.display(), r.text);
    }
    // The relative `$schema` resolves to the repository's schema from where the files sit.
    for (dir, schema) in [("fixtures", "fixture"), ("scenarios", "scenario")] {
        let target = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(dir)
            .join(format!("../schemas/{schema}.json"));
        assert!(target.exists(), "{}", target.display());
    }
}

#[test]
fn a_merged_fragment_and_a_fixture_file_may_name_their_schema() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"$schema": "../schemas/fixture.json", "tenants": [{"id": "144", "name": "renamed"}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let state = admin(&emu, "GET", "/state", None).json;
    assert!(state.get("$schema").is_none());
    // Still refused: an unknown key beside it.
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"$schema": "x", "tenantz": []})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
}

#[test]
fn every_state_ccemu_writes_is_a_valid_fixture() {
    let emu = start();
    freeze_at(&emu, 1_800_000_000_000);
    let fixture = validator("fixture");
    let state = admin(&emu, "GET", "/state", None).json;
    assert_eq!(errors(&fixture, &state), Vec::<String>::new());
    // After traffic: agents logged in, a call rung, answered and wrapped up, a queue added.
    for agent in ["189", "9006"] {
        let r = admin(
            &emu,
            "POST",
            "/agent-state",
            Some(json!({"tenant": UDESK_APP_ID, "agent": agent, "state": "idle"})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = admin(
        &emu,
        "POST",
        "/calls",
        Some(json!({"tenant": UDESK_APP_ID, "queue": "9001", "talk_ms": 30000})),
    );
    assert!(r.status < 300, "{}", r.text);
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 10_000})));
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": "144", "queues": [{"id": "Q2", "name": "two"}], "cdr_url": "http://127.0.0.1:9/cdr", "cdr_token": "t"}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let state = admin(&emu, "GET", "/state", None).json;
    let timeline = state["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["agents"].as_array().unwrap())
        .map(|a| a["timeline"].as_array().unwrap().len())
        .sum::<usize>();
    assert!(timeline > 2, "the call moved agents: {state}");
    assert_eq!(errors(&fixture, &state), Vec::<String>::new());
}

/// A key the loader refuses, at each level of a fixture, is refused by the schema too (so an
/// editor flags what ccemu would refuse).
#[test]
fn the_fixture_schema_refuses_what_the_loader_refuses() {
    let fixture = validator("fixture");
    let base: Value =
        serde_json::from_str(ccemu::model::fixture::DEFAULT_FIXTURE).expect("default fixture");
    type Typo = (&'static str, fn(&mut Value));
    let typos: [Typo; 7] = [
        ("top", |d| d["tenantz"] = json!([])),
        ("tenant", |d| d["tenants"][0]["nmae"] = json!("x")),
        ("credentials", |d| {
            d["tenants"][0]["credentials"]["sidd"] = json!("x")
        }),
        ("agent", |d| {
            d["tenants"][0]["agents"][0]["rol"] = json!("x")
        }),
        ("queue", |d| {
            d["tenants"][0]["queues"][0]["strategyy"] = json!(1)
        }),
        ("extension", |d| {
            d["tenants"][0]["extensions"][0]["agnet"] = json!("1")
        }),
        ("timeline state", |d| {
            d["tenants"][0]["agents"][0]["timeline"] = json!([{"at_ms": 1, "state": "sleepy"}])
        }),
    ];
    for (what, typo) in typos {
        let mut doc = base.clone();
        typo(&mut doc);
        assert!(
            ccemu::model::fixture::parse(&doc.to_string()).is_err(),
            "{what}: the loader accepts it"
        );
        assert!(
            !errors(&fixture, &doc).is_empty(),
            "{what}: the schema accepts it"
        );
    }
}

#[test]
fn the_scenario_schema_refuses_what_the_loader_refuses() {
    let scenario = validator("scenario");
    let emu = start();
    let cases = [
        json!({"name": "x", "rulez": []}),
        json!({"name": "x", "rules": [{"fault": {"kind": "explode"}}]}),
        json!({"name": "x", "rules": [{"fault": {"kind": "delay", "ms": 1, "phase": "after"}}]}),
        json!({"name": "x", "rules": [{"match": {"vendr": "udesk"}, "fault": {"kind": "malformed"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "agent_state", "tenant": "144", "agent": "a", "state": "nap"}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "skew", "tenant": "144"}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "tlak_ms": 1}}]}),
        // Call flows: scripts, actions, flows and the load profile's limits.
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "caller_script": {"press": [{"after_ms": 1, "keys": "1", "hold": 1}]}}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "caller_script": {"press": [{"after_ms": 1, "keys": "x"}]}}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "caller_scripts": [{"weight": 0}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "caller_script": {}, "caller_scripts": [{}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "hold"}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "hold", "after_ms": 1, "agent": "a"}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "consult", "after_ms": 1}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "transfer", "after_ms": 1, "agent": "a", "queue": "q"}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "transfer_external", "after_ms": 1, "number": "12"}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "actions": [{"action": "hold", "after_ms": 1, "then": 2}]}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "queue": "q", "flow": "f"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144", "agent": "a", "flow": "f"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "call", "call": {"tenant": "144"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "ivr_flows", "tenant": "144", "flows": [{"id": "f", "nodes": [{"id": "s", "kind": "start", "next": "e", "nxet": "e"}, {"id": "e", "kind": "end"}]}]}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "ivr_flows", "tenant": "144", "flows": [], "voices": [{"id": "v", "length_ms": 1}]}]}),
        json!({"name": "x", "timeline": [{"at_ms": 31_622_400_001_i64, "event": "revoke_tokens", "tenant": "144"}]}),
        json!({"name": "x", "timeline": [{"at_ms": -31_622_400_001_i64, "event": "revoke_tokens", "tenant": "144"}]}),
        json!({"name": "x", "start_ms": -1}),
        json!({"name": "x", "start_ms": 253_402_300_800_000_i64}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 0, "duration_ms": 1000, "call": {"tenant": "144", "queue": "q"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 1_000_001, "duration_ms": 1000, "call": {"tenant": "144", "queue": "q"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 10, "duration_ms": 0, "call": {"tenant": "144", "queue": "q"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 10, "duration_ms": 2_678_400_001_i64, "call": {"tenant": "144", "queue": "q"}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 10, "duration_ms": 1000, "call": {"tenant": "144", "queue": "q", "at_ms": 5}}]}),
    ];
    for case in cases {
        let r = admin(&emu, "POST", "/scenarios", Some(case.clone()));
        assert_eq!(r.status, 400, "the loader accepts {case}: {}", r.text);
        assert!(
            !errors(&scenario, &case).is_empty(),
            "the schema accepts {case}"
        );
    }
    // And accepts the old spellings the loader accepts.
    for ok in [
        json!({"name": "x", "faults": [{"fault": {"kind": "vendor_error", "code": 100004}}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "agent_state", "tenant": "144", "agent": "NXAgent0001", "state": "wrap-up"}]}),
        // And the limits themselves.
        json!({"name": "x", "start_ms": 253_402_300_799_999_i64, "timeline": [
            {"at_ms": 31_622_400_000_i64, "event": "revoke_tokens", "tenant": "144"},
            {"at_ms": -31_622_400_000_i64, "event": "revoke_tokens", "tenant": "144"}]}),
        json!({"name": "x", "timeline": [{"at_ms": 0, "event": "load", "calls_per_hour": 1_000_000, "duration_ms": 2_678_400_000_i64,
            "call": {"tenant": "144", "queue": "Q2", "abandon": false, "variables": {"vip": "1"},
                "caller_scripts": [{"weight": 3, "name": "one", "press": [{"after_ms": 100, "keys": "1#"}]}, {"say": [{"after_ms": 1, "text": "sales"}], "hangup_after_ms": 9000}],
                "actions": [{"action": "hold", "after_ms": 1000}, {"action": "transfer", "after_ms": 2000, "queue": "Q2"}]}}]}),
    ] {
        assert_eq!(errors(&scenario, &ok), Vec::<String>::new(), "{ok}");
        let r = admin(&emu, "POST", "/scenarios", Some(ok.clone()));
        assert_eq!(r.status, 200, "{ok}: {}", r.text);
    }
}

fn check(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn ccemu_check_passes_the_shipped_files() {
    let files: Vec<String> = shipped("fixtures")
        .into_iter()
        .chain(shipped("scenarios"))
        .map(|p| p.display().to_string())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, out) = check(&args);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches(": ok\n").count(), files.len(), "{out}");
}

#[test]
fn ccemu_check_names_the_line_and_pointer_of_each_error_and_fails() {
    let dir = Scratch::new("schemas-check");
    let bad = dir.path("bad.json");
    std::fs::write(
        &bad,
        r#"{
  "$schema": "../schemas/scenario.json",
  "name": "bad",
  "rules": [
    {
      "match": {"vendor": "udesk"},
      "fault": {"kind": "status", "status": "503"}
    }
  ],
  "timeline": [
    {"at_ms": 0, "event": "agent_state", "tenant": "144",
     "agent": "NXAgent0001", "state": "idle", "extra": 1}
  ]
}
"#,
    )
    .unwrap();
    let (code, out) = check(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let name = bad.display().to_string();
    assert!(
        out.contains(&format!("{name}:7: /rules/0/fault/status: ")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{name}:12: /timeline/0/extra: ")),
        "{out}"
    );

    // Past the schema, ccemu's own load checks: an agent in a queue that does not exist.
    let broken = dir.path("fixture.json");
    let mut doc: Value = serde_json::from_str(ccemu::model::fixture::DEFAULT_FIXTURE).unwrap();
    doc["tenants"][0]["agents"][0]["queues"] = json!(["no-such-queue"]);
    std::fs::write(&broken, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let (code, out) = check(&[broken.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no-such-queue"), "{out}");

    // Not JSON: the parser's line.
    let junk = dir.path("junk.json");
    std::fs::write(&junk, "{\n  \"name\": \"x\",\n  oops\n}\n").unwrap();
    let (code, out) = check(&["--kind", "scenario", junk.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":3: not JSON"), "{out}");

    // Something that is neither.
    let other = dir.path("other.json");
    std::fs::write(&other, "{\"hello\": 1}").unwrap();
    let (code, out) = check(&[other.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--kind"), "{out}");
}

fn ivr_flows_shipped() -> Vec<(String, Value)> {
    let mut flows = Vec::new();
    let fixture: Value =
        serde_json::from_str(ccemu::model::fixture::DEFAULT_FIXTURE).expect("default fixture");
    for t in fixture["tenants"].as_array().unwrap() {
        for f in t["ivr_flows"].as_array().into_iter().flatten() {
            flows.push((format!("fixture {}/{}", t["id"], f["id"]), f.clone()));
        }
    }
    let scenario = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/call_flows.json"));
    for e in scenario["timeline"].as_array().unwrap() {
        if e["event"] == "ivr_flows" {
            for f in e["flows"].as_array().unwrap() {
                flows.push((format!("call_flows {}", f["id"]), f.clone()));
            }
        }
    }
    flows
}

/// `ivr-flow.json` describes the flows ccemu ships, refuses what the flow loader refuses, and
/// its `$defs` are the ones `fixture.json` and `scenario.json` carry (each schema stands alone).
#[test]
fn the_ivr_flow_schema_takes_the_shipped_flows_and_refuses_what_the_loader_refuses() {
    let flow = validator("ivr-flow");
    let shipped = ivr_flows_shipped();
    assert!(shipped.len() >= 3, "{shipped:?}");
    for (what, f) in &shipped {
        assert_eq!(errors(&flow, f), Vec::<String>::new(), "{what}");
        serde_json::from_value::<ccemu::model::ivr::IvrFlow>(f.clone())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    let mut kinds: Vec<&str> = shipped
        .iter()
        .flat_map(|(_, f)| f["nodes"].as_array().unwrap())
        .filter_map(|n| n["kind"].as_str())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert!(
        kinds.len() >= 8,
        "the shipped flows use most node kinds: {kinds:?}"
    );

    let (_, base) = shipped
        .iter()
        .find(|(_, f)| f["nodes"].as_array().unwrap().len() > 5)
        .unwrap()
        .clone();
    type Typo = (&'static str, fn(&mut Value));
    let typos: [Typo; 6] = [
        ("flow", |f| f["nmae"] = json!("x")),
        ("node", |f| f["nodes"][0]["nxet"] = json!("end")),
        ("branch", |f| {
            let n = f["nodes"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|n| n["kind"] == "condition")
                .unwrap();
            n["branches"][0]["goto"] = json!("end");
        }),
        ("kind", |f| f["nodes"][0]["kind"] = json!("begin")),
        ("no id", |f| {
            f.as_object_mut().unwrap().remove("id");
        }),
        ("no nodes", |f| {
            f.as_object_mut().unwrap().remove("nodes");
        }),
    ];
    for (what, typo) in typos {
        let mut doc = base.clone();
        typo(&mut doc);
        assert!(
            serde_json::from_value::<ccemu::model::ivr::IvrFlow>(doc.clone()).is_err(),
            "{what}: the loader accepts it"
        );
        assert!(
            !errors(&flow, &doc).is_empty(),
            "{what}: the schema accepts it"
        );
    }

    // What the loader refuses past serde (checked when a tenant takes the flow): a field of
    // another kind, two start nodes, no end, a branch with two tests.
    let emu = start();
    let nodes = |extra: Value| {
        let mut list = vec![json!({"id": "s", "kind": "start", "next": "e"})];
        list.extend(extra.as_array().unwrap().iter().cloned());
        list.push(json!({"id": "e", "kind": "end"}));
        json!({"id": "f", "nodes": list})
    };
    for bad in [
        json!({"id": "f", "nodes": [{"id": "s", "kind": "start", "next": "e"}]}),
        nodes(json!([{"id": "s2", "kind": "start", "next": "e"}])),
        nodes(json!([{"id": "q", "kind": "queue", "queue": "9001", "next": "e"}])),
        nodes(json!([{"id": "p", "kind": "play", "next": "e"}])),
        nodes(
            json!([{"id": "c", "kind": "condition", "branches": [{"digits": "1", "text_contains": "x", "next": "e"}], "otherwise": "e"}]),
        ),
        nodes(json!([{"id": "c", "kind": "condition", "branches": [], "otherwise": "e"}])),
        nodes(
            json!([{"id": "c", "kind": "condition", "branches": [{"digits": "1", "next": "e"}]}]),
        ),
        nodes(json!([{"id": "d", "kind": "collect_digits", "max_digits": 33, "next": "e"}])),
        nodes(json!([{"id": "d", "kind": "collect_speech", "terminator": "#", "next": "e"}])),
        nodes(json!([{"id": "w", "kind": "webhook", "url": "ftp://example.com/x", "next": "e"}])),
        nodes(
            json!([{"id": "w", "kind": "webhook", "url": "http://127.0.0.1:9/x", "timeout_ms": 30001, "next": "e"}]),
        ),
        nodes(json!([{"id": "h", "kind": "hangup", "next": "e"}])),
    ] {
        let r = admin(
            &emu,
            "PUT",
            "/ivr-flows",
            Some(json!({"tenant": UDESK_APP_ID, "flows": [bad.clone()]})),
        );
        assert!(r.status >= 400, "the loader accepts {bad}: {}", r.text);
        assert!(!errors(&flow, &bad).is_empty(), "the schema accepts {bad}");
    }

    let defs = schemas::by_name("ivr-flow").unwrap().value()["$defs"].clone();
    for name in ["fixture", "scenario"] {
        let theirs = schemas::by_name(name).unwrap().value()["$defs"].clone();
        for (k, v) in defs.as_object().unwrap() {
            assert_eq!(
                &theirs[k], v,
                "{name}.json $defs/{k} differs from ivr-flow.json's"
            );
        }
    }

    // `ccemu check` tells a flow file by its keys.
    let dir = Scratch::new("schemas-flow");
    let file = dir.path("flow.json");
    std::fs::write(&file, serde_json::to_string_pretty(&base).unwrap()).unwrap();
    let (code, out) = check(&[file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}
