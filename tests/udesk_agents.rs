//! 04–06 and 25: create, modify, list and get agents.
mod common;
use common::*;
use serde_json::{json, Value};

const APP: &str = UDESK_APP_ID;

#[test]
fn create_answers_the_example_shape_and_enrols_in_the_default_queue() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7001", "WorkId": "701", "Name": "Li"})),
    );
    assert_eq!(
        r,
        json!({"AgentId": "7001", "Extension": "", "Password": "", "Number": "", "ExtenInfos": null})
    );
    let a = udesk_ok(&emu, "GET", "/agents/7001", None);
    assert_eq!(a["AgentId"], format!("7001@{APP}"));
    assert_eq!(a["Queues"], json!([format!("9001@{APP}")]));
    assert_eq!(a["QueuesNames"], json!(["Admin test "]));
    assert_eq!(
        (a["State"].clone(), a["StateDes"].clone()),
        (json!(4), json!("offline"))
    );
    assert_eq!(a["Role"], "agent");
    assert_eq!(a["Enable"], true);
}

#[test]
fn create_with_extension_binds_a_sip_and_a_webrtc_extension() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7002", "WorkId": "702", "IsCreateExtension": 1})),
    );
    // 1000 is the lowest free extension in the fixture, then 1003.
    assert_eq!(r["Extension"], "1000");
    assert_eq!(r["Number"], "93000077121000");
    let pw = r["Password"].as_str().unwrap();
    assert_eq!(pw.len(), 16);
    assert!(pw.bytes().all(|b| b.is_ascii_hexdigit()));
    let infos = r["ExtenInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(
        (
            infos[0]["SignalType"].clone(),
            infos[1]["SignalType"].clone()
        ),
        (json!(0), json!(1))
    );
    assert_eq!(infos[1]["Extension"], "1003");
    let a = udesk_ok(&emu, "GET", "/agents/7002", None);
    assert_eq!(a["Extensions"], json!(["1000", "1003"]));
    assert_eq!(a["ExtenInfos"][0]["SignalType"], "voip");
    assert_eq!(a["ExtenInfos"][1]["SignalType"], "webrtc");
}

#[test]
fn create_with_extension_without_web_phone_binds_only_sip() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": APP, "webrtc_enabled": false}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = udesk_ok(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7003", "WorkId": "703", "IsCreateExtension": true})),
    );
    assert_eq!(r["ExtenInfos"].as_array().unwrap().len(), 1);
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents/7003", None)["Extensions"],
        json!(["1000"])
    );
}

#[test]
fn create_refusals_change_nothing() {
    let emu = start();
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "9415", "WorkId": "999"})),
        "100006",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7010", "WorkId": "199"})),
        "100006",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7010"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"WorkId": "1"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "", "WorkId": "1"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "a12", "WorkId": "1"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "1".repeat(33), "WorkId": "1"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7010", "WorkId": "a b"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": "7010", "WorkId": "1", "Role": "boss"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents",
        Some(json!({"AgentId": 7010, "WorkId": "1"})),
        "000001",
    );
    udesk_refused(&emu, "POST", "/agents", None, "100001");
}

#[test]
fn modify_changes_fields_but_never_the_agent_id() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "PUT",
        "/agents/9415",
        Some(json!({"AgentId": "9415", "Name": "New", "Role": "leader"})),
    );
    assert_eq!(r, Value::Null);
    let a = udesk_ok(&emu, "GET", "/agents/9415", None);
    assert_eq!(
        (a["Name"].as_str(), a["Role"].as_str(), a["WorkId"].as_str()),
        (Some("New"), Some("leader"), Some("199"))
    );
    udesk_refused(
        &emu,
        "PUT",
        "/agents/9415",
        Some(json!({"AgentId": "9416"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/agents/9415",
        Some(json!({"WorkId": "206"})),
        "100006",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/agents/9415",
        Some(json!({"Role": "boss"})),
        "000001",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/agents/1234",
        Some(json!({"Name": "x"})),
        "100018",
    );
    let r = udesk_refused(
        &emu,
        "PUT",
        "/agents/abc",
        Some(json!({"Name": "x"})),
        "000036",
    );
    assert_eq!(r.status, 404);
}

#[test]
fn an_agent_can_be_disabled_only_when_offline() {
    let emu = start();
    // 189 is busy in the fixture.
    udesk_refused(
        &emu,
        "PUT",
        "/agents/189",
        Some(json!({"Enable": false})),
        "100021",
    );
    udesk(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "189"})),
    );
    udesk_ok(&emu, "PUT", "/agents/189", Some(json!({"Enable": false})));
    assert_eq!(udesk_ok(&emu, "GET", "/agents/189", None)["Enable"], false);
    // Offline 9415 is disabled directly.
    udesk_ok(
        &emu,
        "PUT",
        "/agents/9415",
        Some(json!({"AgentId": "9415", "Enable": false})),
    );
}

fn ids(result: &Value) -> Vec<String> {
    result["AgentList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AgentId"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_filters_and_pages() {
    let emu = start();
    let all = udesk_ok(&emu, "GET", "/agents", None);
    assert_eq!(
        ids(&all),
        ["10032", "1802", "189", "355", "9006", "9007", "9008", "9009", "9415"]
    );
    assert_eq!(
        (all["CurrPage"].clone(), all["PageSize"].clone()),
        (json!(1), json!(20))
    );
    assert_eq!(
        (all["Total"].clone(), all["TotalPage"].clone()),
        (json!(9), json!(1))
    );
    let first = &all["AgentList"][2];
    assert_eq!(first["AgentId"], "189");
    assert_eq!(first["Queues"], json!([format!("9003@{APP}")]));
    assert_eq!(first["Extensions"], json!(["1001", "1008"]));
    assert_eq!(first["State"], 1);
    assert_eq!(first["DefSpNumber"], "02863138587");
    assert_eq!(first["ExtenInfos"][1]["SignalType"], "1");
    assert_eq!(all["AgentList"][1]["ExtenInfos"], Value::Null);

    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?State=1", None)),
        ["189"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?State=4", None)).len(),
        8
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?FuzzyQuery=admin", None)),
        ["189"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?FuzzyQuery=199", None)),
        ["9415"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?FuzzyQuery=crmdiao", None)),
        ["189"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?FuzzyQuery=1760036", None)),
        ["189"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?Role=leader", None)).len(),
        0
    );
    udesk(
        &emu,
        "POST",
        "/agent/logout",
        Some(json!({"agent_id": "189"})),
    );
    udesk_ok(
        &emu,
        "PUT",
        "/agents/9006",
        Some(json!({"Enable": false, "Role": "leader"})),
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?Enable=false", None)),
        ["9006"]
    );
    assert_eq!(
        ids(&udesk_ok(
            &emu,
            "GET",
            "/agents?Role=leader&Enable=false",
            None
        )),
        ["9006"]
    );
    assert_eq!(
        ids(&udesk_ok(&emu, "GET", "/agents?Enable=true", None)).len(),
        8
    );

    let p = udesk_ok(&emu, "GET", "/agents?PageNum=2&PageSize=4", None);
    assert_eq!(ids(&p), ["9006", "9007", "9008", "9009"]);
    assert_eq!(
        (
            p["CurrPage"].clone(),
            p["Total"].clone(),
            p["TotalPage"].clone()
        ),
        (json!(2), json!(9), json!(3))
    );
    let p = udesk_ok(&emu, "GET", "/agents?page=3&per_page=2", None);
    assert_eq!(ids(&p), ["9006", "9007"]);
    let p = udesk_ok(&emu, "GET", "/agents?page=9&per_page=2", None);
    assert_eq!(ids(&p).len(), 0);
    assert_eq!(
        udesk_ok(&emu, "GET", "/agents?PageSize=1000", None)["PageSize"],
        100
    );
    udesk_refused(&emu, "GET", "/agents?PageSize=0", None, "000001");
    udesk_refused(&emu, "GET", "/agents?PageNum=x", None, "000001");
    udesk_refused(&emu, "GET", "/agents?State=9", None, "000001");
    udesk_refused(&emu, "GET", "/agents?Enable=maybe", None, "000001");
}

#[test]
fn get_reads_state_and_reason_from_the_timeline() {
    let emu = start();
    let a = udesk_ok(&emu, "GET", "/agents/189", None);
    assert_eq!(a["AgentId"], format!("189@{APP}"));
    assert_eq!(a["AppId"], APP);
    assert_eq!(
        (a["State"].clone(), a["StateDes"].clone()),
        (json!(1), json!("busy"))
    );
    assert_eq!(
        a["ExtenInfos"][0],
        json!({"Number": "93000077121001", "Extension": "1001", "Password": "5f1c0a9e2b7d4c31", "SignalType": "voip"})
    );
    for (state, code, des, reason, reason_des, ext) in [
        ("idle", 0, "idle", 0, "", 0),
        ("rest:eating", 2, "resting", 2, "eating", 0),
        ("rest:meeting", 2, "resting", 1, "meeting", 0),
        ("wrapup", 3, "neaten", 0, "", 0),
        ("ringing", 5, "ringing", 0, "", 1),
        ("calling", 6, "talking", 0, "", 2),
        ("offline", 4, "offline", 0, "", 0),
    ] {
        udesk_set_state(&emu, "189", state);
        let a = udesk_ok(&emu, "GET", "/agents/189", None);
        assert_eq!(
            (
                a["State"].clone(),
                a["StateDes"].clone(),
                a["ReasonCode"].clone(),
                a["ReasonCodeDes"].clone(),
                a["ExtState"].clone()
            ),
            (
                json!(code),
                json!(des),
                json!(reason),
                json!(reason_des),
                json!(ext)
            ),
            "{state}"
        );
    }
    udesk_refused(&emu, "GET", "/agents/356", None, "100018");
    let r = udesk_refused(&emu, "GET", "/agents/x1", None, "000036");
    assert_eq!(r.status, 404);
}

#[test]
fn concurrent_creates_are_each_listed_once() {
    let emu = start();
    let url = emu.url();
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let url = url.clone();
            let now = now_ms(&emu);
            std::thread::spawn(move || {
                let body = serde_json::to_vec(
                    &json!({"AgentId": format!("{}", 50000 + i), "WorkId": format!("w{i}")}),
                )
                .unwrap();
                let r = send(
                    "POST",
                    &format!("{url}/ccapi/v2/agents?{}", udesk_query(now)),
                    &[("Content-Type", "application/json")],
                    Some(&body),
                );
                assert_eq!(r.json["ErrCode"], "000000", "{}", r.text);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let list = udesk_ok(&emu, "GET", "/agents?PageSize=100&FuzzyQuery=w", None);
    assert_eq!(list["Total"], 200);
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=2 {
        let p = udesk_ok(
            &emu,
            "GET",
            &format!("/agents?PageSize=100&PageNum={page}&FuzzyQuery=w"),
            None,
        );
        for id in ids(&p) {
            assert!(seen.insert(id.clone()), "{id} listed twice");
        }
    }
    assert_eq!(seen.len(), 200);
    assert!((0..200).all(|i| seen.contains(&format!("{}", 50000 + i))));
}

#[test]
fn unsigned_or_misrouted_calls_change_nothing() {
    let emu = start();
    let before = udesk_model_state(&emu);
    let body = serde_json::to_vec(&json!({"AgentId": "7100", "WorkId": "710"})).unwrap();
    let url = format!("{}/ccapi/v2/agents", emu.url());
    let r = send("POST", &url, &[], Some(&body));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (401, Some("100001"))
    );
    let bad = udesk_query(now_ms(&emu)).replace("Sign=", "Sign=f");
    let r = send("POST", &format!("{url}?{bad}"), &[], Some(&body));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (401, Some("200020"))
    );
    assert_eq!(udesk_model_state(&emu), before);
    let r = udesk_refused(&emu, "GET", "/agents/extensions", None, "000036");
    assert_eq!(r.status, 405);
    let r = udesk_refused(&emu, "PUT", "/agents/queues", Some(json!({})), "000036");
    assert_eq!(r.status, 405);
    let r = udesk_refused(&emu, "PATCH", "/agents/189", Some(json!({})), "000036");
    assert_eq!(r.status, 405);
}
