//! The contract written in the routing tables (docs/contract.md): the OpenAPI documents read by
//! independent parsers, the documents' example requests against their operations, every
//! required field's absence against the handlers, strict mode's findings and the coverage report.

mod common;

use ccemu::contract::{openapi, In, Ty};
use ccemu::model::Vendor;
use ccemu::vendors::catalogue;
use common::*;
use serde_json::{json, Map, Value};

fn vendor_name(v: Vendor) -> &'static str {
    v.name()
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::meta::validate(schema)
        .unwrap_or_else(|e| panic!("not a valid JSON Schema: {e}: {schema}"));
    jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("schema {schema}: {e}"))
}

fn errors_of(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| e.to_string()).collect()
}

/// Every schema object in a document, wherever it sits.
fn schemas(doc: &Value, out: &mut Vec<Value>) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "schema" {
                    out.push(v.clone());
                } else {
                    schemas(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| schemas(v, out)),
        _ => {}
    }
}

#[test]
fn each_face_serves_an_openapi_3_1_document_that_independent_parsers_accept() {
    let emu = start();
    for vendor in [Vendor::Udesk, Vendor::Nxcloud, Vendor::Huawei] {
        let r = admin(
            &emu,
            "GET",
            &format!("/openapi/{}.json", vendor_name(vendor)),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["openapi"], "3.1.0");
        // oas3 reads the document into its typed OpenAPI 3.1 model.
        let spec = oas3::from_json(&r.text)
            .unwrap_or_else(|e| panic!("{vendor:?}: oas3 rejects the document: {e}"));
        let ops: Vec<String> = spec
            .operations()
            .filter_map(|(_, _, op)| op.operation_id.clone())
            .collect();
        let routes: Vec<_> = catalogue()
            .into_iter()
            .filter(|e| e.vendor == vendor)
            .collect();
        assert_eq!(
            ops.len(),
            routes.len(),
            "{vendor:?}: one operation per route"
        );
        for e in &routes {
            let item = &r.json["paths"][e.route.path][e.route.method.to_ascii_lowercase()];
            assert!(
                item.is_object(),
                "{} {} missing",
                e.route.method,
                e.route.path
            );
            assert!(!item["x-error-codes"].as_array().unwrap().is_empty());
        }
        // Every schema in it is valid JSON Schema (2020-12, OpenAPI 3.1's dialect).
        let mut all = Vec::new();
        schemas(&r.json, &mut all);
        assert!(all.len() > routes.len());
        for s in &all {
            compile(s);
        }
    }
    // Authentication as each vendor does it.
    let udesk = openapi::document(Vendor::Udesk);
    assert_eq!(
        udesk["components"]["securitySchemes"]["Sign"]["in"],
        "query"
    );
    let nx = openapi::document(Vendor::Nxcloud);
    assert_eq!(nx["components"]["securitySchemes"]["sign"]["in"], "header");
    let hw = openapi::document(Vendor::Huawei);
    assert_eq!(
        hw["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        hw["paths"]["/apigovernance/api/oauth/tokenByAkSk"]["post"]["security"],
        json!([])
    );
    let r = admin(&emu, "GET", "/openapi/other.json", None);
    assert_eq!(r.status, 404);
}

/// The OpenAPI project's own validator (openapi-spec-validator, against the 3.1 meta-schema),
/// where the machine has it; the Rust parsers above run everywhere.
#[test]
fn the_documents_pass_openapi_spec_validator_where_it_is_installed() {
    let has = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        eprintln!("openapi-spec-validator is not installed; skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ccemu-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for vendor in [Vendor::Udesk, Vendor::Nxcloud, Vendor::Huawei] {
        let path = dir.join(format!("{}.json", vendor_name(vendor)));
        std::fs::write(&path, openapi::document(vendor).to_string()).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-m", "openapi_spec_validator"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{vendor:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends `body` to a route the way its vendor signs (path parameters filled with `fill`).
fn call(emu: &ccemu::Emulator, vendor: Vendor, method: &str, path: &str, body: &Value) -> Resp {
    let path = path.replace("{id}", "9415").replace("{queue_id}", "9001");
    let bytes = serde_json::to_vec(body).unwrap();
    match vendor {
        Vendor::Udesk => {
            let rest = path.strip_prefix("/ccapi/v2").unwrap();
            let body = (method != "GET").then(|| body.clone());
            let rest = if rest == "/agent/login" {
                format!("{rest}?MsgId=7")
            } else {
                rest.to_string()
            };
            udesk(emu, method, &rest, body)
        }
        Vendor::Nxcloud => nx_send(
            emu,
            path.strip_prefix("/saas/cc/openapi/").unwrap(),
            &nx_headers(now_ms(emu), &bytes),
            &bytes,
        ),
        Vendor::Huawei if path.ends_with("tokenByAkSk") => send(
            "POST",
            &format!("{}{path}", emu.url()),
            &[("Content-Type", "application/json")],
            Some(&bytes),
        ),
        Vendor::Huawei => {
            let token = hw_token(emu);
            let body = (method != "GET").then(|| body.clone());
            huawei(emu, method, &path, &token, body)
        }
    }
}

#[test]
fn every_documented_example_request_validates_and_its_answer_fits_the_answer_schema() {
    let emu = start();
    let mut examples = 0;
    for e in catalogue() {
        let Some(example) = e.route.contract.example else {
            continue;
        };
        examples += 1;
        let example: Value = serde_json::from_str(example).expect("example is JSON");
        let v = compile(&openapi::request_schema(e.route.contract, e.vendor));
        assert_eq!(
            errors_of(&v, &example),
            Vec::<String>::new(),
            "{}: the document's example does not fit its operation",
            e.route.operation
        );
        let doc = openapi::document(e.vendor);
        let answer_schema = &doc["paths"][e.route.path][e.route.method.to_ascii_lowercase()]
            ["responses"]["200"]["content"]["application/json"]["schema"];
        let r = call(&emu, e.vendor, e.route.method, e.route.path, &example);
        let v = compile(answer_schema);
        assert_eq!(
            errors_of(&v, &r.json),
            Vec::<String>::new(),
            "{}: answer {} does not fit the envelope",
            e.route.operation,
            r.text
        );
    }
    assert!(examples >= 20, "only {examples} examples");
}

/// A value of a field's documented type.
fn sample(ty: Ty, items: &[ccemu::contract::Field]) -> Value {
    match ty {
        Ty::String | Ty::TimestampMs => json!("9001"),
        Ty::Integer => json!(1),
        Ty::Boolean | Ty::Flag => json!(true),
        Ty::StringList => json!(["9001"]),
        Ty::Object => Value::Object(sample_object(items)),
        Ty::ObjectList | Ty::ObjectOrList => json!([Value::Object(sample_object(items))]),
        Ty::Any => json!("1"),
    }
}

fn sample_object(fields: &[ccemu::contract::Field]) -> Map<String, Value> {
    fields
        .iter()
        .filter(|f| f.required)
        .map(|f| (f.name.to_string(), sample(f.ty, f.items)))
        .collect()
}

/// The codes a vendor answers a missing or malformed parameter with.
fn is_parameter_error(vendor: Vendor, r: &Resp) -> bool {
    match vendor {
        Vendor::Udesk => {
            // callback2ivr answers in {code, message, results}.
            let code = r.json["ErrCode"].as_str().or(r.json["code"].as_str());
            ["100001", "000001"].contains(&code.unwrap_or(""))
        }
        Vendor::Nxcloud => [1002, 41000].contains(&r.json["code"].as_i64().unwrap_or(0)),
        Vendor::Huawei => r.status == 400,
    }
}

#[test]
fn every_required_body_field_is_required_by_its_handler() {
    let emu = start();
    let mut checked = 0;
    for e in catalogue() {
        let c = e.route.contract;
        let base = base_body(&e);
        for f in c.fields_in(In::Body).filter(|f| f.required) {
            let mut without = base.clone();
            without.as_object_mut().unwrap().remove(f.name);
            let r = call(&emu, e.vendor, e.route.method, e.route.path, &without);
            assert!(
                is_parameter_error(e.vendor, &r),
                "{:?} {}: without {} answered {} {}",
                e.vendor,
                e.route.operation,
                f.name,
                r.status,
                r.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} required fields");
    // The one required non-signature query parameter: MsgId on agent login.
    let r = udesk(
        &emu,
        "POST",
        "/agent/login",
        Some(json!({"agent_id": "9415"})),
    );
    assert_eq!(r.json["ErrCode"], "100001", "{}", r.text);
}

fn strict(emu: &ccemu::Emulator, on: bool, refuse: bool) {
    let r = admin(
        emu,
        "POST",
        "/strict",
        Some(json!({"on": on, "refuse": refuse})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

fn last_findings(emu: &ccemu::Emulator) -> Vec<Value> {
    let r = admin(emu, "GET", "/requests?limit=1", None);
    let entries = r.json["requests"]
        .as_array()
        .or_else(|| r.json.as_array())
        .cloned()
        .unwrap_or_default();
    let last = entries.last().cloned().unwrap_or(Value::Null);
    last["findings"].as_array().cloned().unwrap_or_default()
}

fn kinds(findings: &[Value]) -> Vec<(String, String, bool)> {
    findings
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["field"].as_str().unwrap().to_string(),
                f["quirk"] == true,
            )
        })
        .collect()
}

#[test]
fn the_documents_own_examples_give_no_findings_but_their_quirks() {
    let emu = start();
    strict(&emu, true, false);
    for e in catalogue() {
        let Some(example) = e.route.contract.example else {
            continue;
        };
        let example: Value = serde_json::from_str(example).unwrap();
        call(&emu, e.vendor, e.route.method, e.route.path, &example);
        let found = kinds(&last_findings(&emu));
        assert!(
            found.iter().all(|(_, _, quirk)| *quirk),
            "{}: {found:?}",
            e.route.operation
        );
        if e.route.operation == "agent/status/info" {
            // The page types its dates long and its example sends strings.
            assert_eq!(
                found,
                vec![
                    ("wrong_type".into(), "startDateTime".into(), true),
                    ("wrong_type".into(), "endDateTime".into(), true)
                ]
            );
        }
    }
}

#[test]
fn strict_mode_flags_each_kind_of_deviation_and_refuses_when_asked() {
    let emu = start();
    // Off: nothing recorded.
    udesk(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "q", "Colour": "red"})),
    );
    assert!(last_findings(&emu).is_empty());

    strict(&emu, true, false);
    // Unknown field, with the document's spelling when only the case differs.
    udesk(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "q2", "queueid": "9055"})),
    );
    let f = last_findings(&emu);
    assert_eq!(
        kinds(&f),
        vec![("unknown_field".into(), "queueid".into(), false)]
    );
    assert!(f[0]["detail"].as_str().unwrap().contains("QueueId"));
    // Wrong type the vendor coerces (NXCloud reads integers from strings).
    nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": "144", "size": 10, "page": 1}),
    );
    assert_eq!(
        kinds(&last_findings(&emu)),
        vec![("wrong_type".into(), "tenantId".into(), false)]
    );
    // Udesk app_id where the section spells AppId; a timestamp in seconds.
    let ts = now_ms(&emu).to_string();
    let sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{ts}"));
    send(
        "GET",
        &format!(
            "{}/ccapi/v2/queues?app_id={UDESK_APP_ID}&Timestamp={ts}&Sign={sign}&Sid={UDESK_SID}",
            emu.url()
        ),
        &[],
        None,
    );
    assert_eq!(
        kinds(&last_findings(&emu)),
        vec![("quirky_spelling".into(), "app_id".into(), false)]
    );
    let secs = (now_ms(&emu) / 1000).to_string();
    let sign = sha1_hex(&format!("{UDESK_SID}{UDESK_TOKEN}{secs}"));
    send(
        "GET",
        &format!(
            "{}/ccapi/v2/queues?AppId={UDESK_APP_ID}&Timestamp={secs}&Sign={sign}&Sid={UDESK_SID}",
            emu.url()
        ),
        &[],
        None,
    );
    assert_eq!(
        kinds(&last_findings(&emu)),
        vec![("timestamp_seconds".into(), "Timestamp".into(), false)]
    );
    // Huawei: X-APP-Key missing; the CC-Mangemant spelling is the pages' own quirk.
    let token = hw_token(&emu);
    huawei(
        &emu,
        "GET",
        "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
        &token,
        None,
    );
    assert_eq!(
        kinds(&last_findings(&emu)),
        vec![
            ("missing_header".into(), "X-APP-Key".into(), false),
            ("quirky_spelling".into(), "CC-Mangemant".into(), true)
        ]
    );
    // A body that is not the documented shape.
    nx_call(&emu, "agent/page", &json!([1, 2]));
    assert_eq!(
        kinds(&last_findings(&emu)),
        vec![("body_shape".into(), "body".into(), false)]
    );

    // Refuse: the first finding is named in the vendor's own envelope; quirks pass.
    strict(&emu, true, true);
    let r = udesk(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "q3", "Colour": "red"})),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json["ErrCode"], "000001");
    assert!(
        r.json["ErrDesc"]
            .as_str()
            .unwrap()
            .contains("unknown_field Colour"),
        "{}",
        r.text
    );
    let queues = udesk_ok(&emu, "GET", "/queues", None);
    assert!(
        !queues.to_string().contains("q3"),
        "a refused request changes nothing"
    );
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": 144, "size": "10", "page": 1}),
    );
    assert_eq!(r.json["code"], 1002);
    assert!(
        r.json["msg"].as_str().unwrap().contains("wrong_type size"),
        "{}",
        r.text
    );
    let r = send(
        "GET",
        &format!("{}/apiaccess/CC-Mangemant/v1/queryAgentInfo", emu.url()),
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("X-APP-Key", HW_APP_KEY),
        ],
        None,
    );
    assert_eq!(r.status, 200, "a quirk alone is not refused: {}", r.text);
    let r = admin(&emu, "GET", "/strict", None);
    assert_eq!(r.json, json!({"on": true, "refuse": true}));
    let report = admin(&emu, "GET", "/contract/report", None).json;
    assert!(report["summary"]["findings"].as_u64().unwrap() >= 7);
    assert!(report["summary"]["quirks"].as_u64().unwrap() >= 2);
}

#[test]
fn the_coverage_report_lists_exactly_the_calls_made() {
    let emu = start();
    udesk_ok(&emu, "GET", "/queues", None);
    udesk_ok(&emu, "GET", "/queues", None);
    // Parameter missing (100001), then unknown agent (100018).
    udesk(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "9415"})),
    );
    udesk(
        &emu,
        "POST",
        "/agents/extensions",
        Some(json!({"AgentId": "999999", "Extensions": ["1135"]})),
    );
    nx_call(&emu, "agentGroup/member/list", &json!({"tenantId": 144}));
    let token = hw_token(&emu);
    huawei(
        &emu,
        "GET",
        "/apiaccess/CC-Management/v1/queryAgentInfo",
        &token,
        None,
    );
    huawei(
        &emu,
        "GET",
        "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
        "nope",
        None,
    );

    let report = admin(&emu, "GET", "/contract/report", None).json;
    let called: Vec<(String, String, Value)> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["calls"] != 0)
        .map(|o| {
            (
                o["vendor"].as_str().unwrap().to_string(),
                o["operation"].as_str().unwrap().to_string(),
                o["codes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        called,
        vec![
            (
                "udesk".into(),
                "bindAgentExtensions".into(),
                json!({"100001": 1, "100018": 1})
            ),
            ("udesk".into(), "getQueueList".into(), json!({"000000": 2})),
            (
                "nxcloud".into(),
                "agentGroup/member/list".into(),
                json!({"1002": 1})
            ),
            ("huawei".into(), "tokenByAkSk".into(), json!({"200": 1})),
            (
                "huawei".into(),
                "queryAgentInfo".into(),
                json!({"200": 1, "401": 1})
            ),
        ]
    );
    let ops = report["operations"].as_array().unwrap();
    let bind = ops
        .iter()
        .find(|o| o["operation"] == "bindAgentExtensions")
        .unwrap();
    assert_eq!(bind["errors_reached"], json!(["100001", "100018"]));
    assert!(bind["errors_never_reached"]
        .as_array()
        .unwrap()
        .contains(&json!("100022")));
    assert_eq!(report["summary"]["operations_covered"], 5);
    assert_eq!(
        report["summary"]["operations"].as_u64().unwrap() as usize,
        ops.len()
    );

    let md = admin(&emu, "GET", "/contract/report?format=markdown", None).text;
    assert!(
        md.contains("| udesk | `getQueueList` | 2 | 000000×2 |"),
        "{md}"
    );

    // JUnit: parses, one case per operation and per documented error code.
    let xml = admin(&emu, "GET", "/contract/report?format=junit", None).text;
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut skipped, mut suites) = (0, 0, 0);
    loop {
        match reader.read_event().expect("JUnit XML parses") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    "testcase" => cases += 1,
                    "skipped" => skipped += 1,
                    "testsuite" => suites += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let expected_cases: usize = ops
        .iter()
        .map(|o| 1 + o["documented_errors"].as_array().unwrap().len())
        .sum();
    assert_eq!(suites, 3);
    assert_eq!(cases, expected_cases);
    let reached: usize = ops
        .iter()
        .map(|o| o["errors_reached"].as_array().unwrap().len())
        .sum();
    assert_eq!(skipped, expected_cases - 5 - reached);
    assert_eq!(reached, 4, "100001, 100018, 1002, 401");

    let r = admin(&emu, "DELETE", "/contract/report", None);
    assert_eq!(r.status, 200);
    let report = admin(&emu, "GET", "/contract/report", None).json;
    assert_eq!(report["summary"]["operations_covered"], 0);
}

#[test]
fn ccemu_report_writes_the_three_files_and_gates() {
    let emu = start();
    udesk_ok(&emu, "GET", "/queues", None);
    let dir = std::env::temp_dir().join(format!("ccemu-report-{}", std::process::id()));
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ccemu"))
            .args(["report", "--url", &emu.url(), "--out"])
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--min-coverage", "0.01", "--fail-on-findings"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("operations called 1/"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("contract-report.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["operations_covered"], 1);
    assert!(std::fs::read_to_string(dir.join("contract-report.md"))
        .unwrap()
        .contains("`getQueueList` | 1 |"));
    assert!(std::fs::read_to_string(dir.join("contract-junit.xml"))
        .unwrap()
        .starts_with("<?xml"));
    let out = run(&["--min-coverage", "0.5"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below 0.5"));
    // A finding fails the findings gate.
    strict(&emu, true, false);
    udesk(&emu, "GET", "/queues?Colour=red", None);
    let out = run(&["--fail-on-findings"]);
    assert_eq!(out.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The code a vendor answers: Udesk ErrCode (callback2ivr's `code`), NXCloud `code`, Huawei's
/// HTTP status.
fn answer_code(vendor: Vendor, r: &Resp) -> String {
    match vendor {
        Vendor::Udesk => r.json["ErrCode"]
            .as_str()
            .or(r.json["code"].as_str())
            .unwrap_or("")
            .to_string(),
        Vendor::Nxcloud => r.json["code"].to_string(),
        Vendor::Huawei => r.status.to_string(),
    }
}

/// The vendor's code for a parameter of the wrong type or shape.
fn invalid_code(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Udesk => "000001",
        Vendor::Nxcloud => "1002",
        Vendor::Huawei => "400",
    }
}

/// The vendor's code for a missing parameter.
fn missing_code(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Udesk => "100001",
        Vendor::Nxcloud => "1002",
        Vendor::Huawei => "400",
    }
}

/// A route's example (or empty object) with every required body field filled and the NXCloud
/// team and Huawei app credentials set: a body the route reads.
fn base_body(e: &ccemu::vendors::CatalogueEntry) -> Value {
    let c = e.route.contract;
    let mut base = match c.example {
        Some(ex) => serde_json::from_str::<Value>(ex).unwrap(),
        None => Value::Object(Map::new()),
    };
    let obj = base.as_object_mut().unwrap();
    for f in c.fields_in(In::Body).filter(|f| f.required) {
        obj.entry(f.name).or_insert_with(|| sample(f.ty, f.items));
    }
    if e.vendor == Vendor::Nxcloud {
        obj.insert("tenantId".into(), json!(NX_TENANT));
    }
    if e.vendor == Vendor::Huawei && e.route.operation == "tokenByAkSk" {
        obj.insert("app_key".into(), json!(HW_APP_KEY));
        obj.insert("app_secret".into(), json!(HW_APP_SECRET));
    }
    base
}

/// Values the OpenAPI document says a field of type `ty` cannot take.
fn wrong_values(vendor: Vendor, ty: Ty) -> Vec<Value> {
    match ty {
        Ty::String => vec![json!(7), json!({}), json!(["x"])],
        Ty::Integer if vendor == Vendor::Nxcloud => vec![json!("x"), json!({}), json!(1.5)],
        Ty::Integer => vec![json!({}), json!("x"), json!(1.5), json!(true)],
        Ty::Boolean => vec![json!("true"), json!(1)],
        Ty::Flag => vec![json!("1"), json!({})],
        Ty::StringList => vec![json!("x"), json!([1]), json!([null])],
        Ty::Object => vec![json!([]), json!("x")],
        Ty::ObjectList => vec![json!({}), json!([1])],
        Ty::ObjectOrList => vec![json!("x"), json!([1])],
        Ty::TimestampMs => vec![json!(true), json!("soon")],
        Ty::Any => vec![],
    }
}

/// Sends every body route its base body with one field at a time set to each of `values(vendor,
/// field)`, and checks the answer's code is `expected(vendor)` and names the field. Returns how
/// many requests it checked.
fn each_field_set_to(
    emu: &ccemu::Emulator,
    values: impl Fn(Vendor, &ccemu::contract::Field) -> Vec<Value>,
    expected: impl Fn(Vendor) -> &'static str,
) -> usize {
    let mut checked = 0;
    for e in catalogue() {
        let c = e.route.contract;
        if !c.has_body {
            continue;
        }
        let base = base_body(&e);
        for f in c.fields_in(In::Body) {
            for value in values(e.vendor, f) {
                let mut body = base.clone();
                body[f.name] = value.clone();
                let r = call(emu, e.vendor, e.route.method, e.route.path, &body);
                assert_eq!(
                    answer_code(e.vendor, &r),
                    expected(e.vendor),
                    "{:?} {} {}: {}={value} answered {} {}",
                    e.vendor,
                    e.route.method,
                    e.route.operation,
                    f.name,
                    r.status,
                    r.text
                );
                // The refusal names the field (Huawei and NXCloud in the body, Udesk in ErrDesc).
                assert!(r.text.contains(f.name), "{}", r.text);
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn every_body_field_of_the_wrong_type_is_refused_with_the_vendors_code() {
    let checked = each_field_set_to(&start(), |v, f| wrong_values(v, f.ty), invalid_code);
    assert!(checked >= 150, "only {checked} wrong values");
}

#[test]
fn a_nested_member_of_the_wrong_type_is_refused_by_its_path() {
    let emu = start();
    // Udesk section 18: each subscription's events are strings.
    let r = udesk(
        &emu,
        "POST",
        "/subscriptions",
        Some(
            json!({"subscriptions": [{"callback": "http://127.0.0.1:9/x", "events": [1], "name": "n"}]}),
        ),
    );
    assert_eq!(r.json["ErrCode"], "000001", "{}", r.text);
    assert!(r.text.contains("subscriptions[0].events[0]"), "{}", r.text);
}

#[test]
fn every_body_route_refuses_a_body_that_is_not_an_object() {
    let emu = start();
    let mut checked = 0;
    for e in catalogue() {
        if !e.route.contract.has_body {
            continue;
        }
        for body in [json!([null, null]), json!("x"), json!(7), json!(null)] {
            if e.vendor == Vendor::Nxcloud && body.is_null() {
                continue; // signed as no body at all (nxcloud::auth), which common's signer does not do
            }
            let r = call(&emu, e.vendor, e.route.method, e.route.path, &body);
            assert!(
                [invalid_code(e.vendor), missing_code(e.vendor)]
                    .contains(&answer_code(e.vendor, &r).as_str()),
                "{:?} {} {}: {body} answered {} {}",
                e.vendor,
                e.route.method,
                e.route.operation,
                r.status,
                r.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 80, "only {checked}");
}

#[test]
fn null_is_absent_for_every_body_field_of_every_route() {
    // Two emulators take the same requests, one with a field null, the other without it, and
    // answer each with the same code; a required field's null is refused as its absence is.
    let (with_null, without) = (start(), start());
    let (mut optional, mut required) = (0, 0);
    for e in catalogue() {
        let c = e.route.contract;
        if !c.has_body {
            continue;
        }
        let base = base_body(&e);
        for f in c.fields_in(In::Body) {
            let mut body = base.clone();
            body[f.name] = Value::Null;
            let mut absent = base.clone();
            absent.as_object_mut().unwrap().remove(f.name);
            let a = call(&with_null, e.vendor, e.route.method, e.route.path, &body);
            let b = call(&without, e.vendor, e.route.method, e.route.path, &absent);
            assert_eq!(
                answer_code(e.vendor, &a),
                answer_code(e.vendor, &b),
                "{:?} {}: {}=null answered {} {}, absent {} {}",
                e.vendor,
                e.route.operation,
                f.name,
                a.status,
                a.text,
                b.status,
                b.text
            );
            if f.required {
                assert!(is_parameter_error(e.vendor, &a), "{}", a.text);
                required += 1;
            } else {
                optional += 1;
            }
        }
    }
    assert!(optional >= 40, "only {optional} optional fields");
    assert!(required >= 30, "only {required} required fields");
}

#[test]
fn optional_request_members_admit_null_in_the_openapi_and_required_ones_do_not() {
    let doc = openapi::document(Vendor::Udesk);
    let schema = &doc["paths"]["/ccapi/v2/agents/extensions"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let v = compile(schema);
    let ok = json!({"AgentId": "9415", "Extensions": ["1001"], "AssistantAccessRight": null});
    assert_eq!(errors_of(&v, &ok), Vec::<String>::new());
    for bad in [
        json!({"AgentId": "9415", "Extensions": ["1001"], "AssistantAccessRight": {}}),
        json!({"AgentId": "9415", "Extensions": ["1001"], "AssistantAccessRight": "x"}),
        json!({"AgentId": null, "Extensions": ["1001"]}),
        json!([null, null]),
    ] {
        assert!(!errors_of(&v, &bad).is_empty(), "{bad}");
    }
    // NXCloud says in the document that its refusals come with HTTP 200.
    let doc = openapi::document(Vendor::Nxcloud);
    let op = doc["paths"].as_object().unwrap().values().next().unwrap()["post"].clone();
    assert_eq!(op["x-errors-in-body"]["status"], 200, "{op}");
    assert!(op["responses"]["200"]["description"]
        .as_str()
        .unwrap()
        .contains("Refusals come with HTTP 200"));
}

#[test]
fn a_required_field_sent_empty_is_refused_as_missing() {
    let empty = |_: Vendor, f: &ccemu::contract::Field| {
        if f.required && f.ty == Ty::String {
            vec![json!("")]
        } else {
            vec![]
        }
    };
    let checked = each_field_set_to(&start(), empty, missing_code);
    assert!(checked >= 25, "only {checked}");
}
