//! The JSON Schemas in schemas/ against the loaders they describe: every shipped file validates
//! and still loads with its `$schema`, every state ccemu writes validates as a fixture, a key the
//! loader refuses the schema refuses too, and `ccemu check` reports lines and pointers.

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
