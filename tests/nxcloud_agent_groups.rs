//! NXCloud agent groups: member/list (the document's example), agentGroup/page and
//! agentGroup/updateMembers over the shared model, and their parameter refusals.

mod common;
use common::*;
use serde_json::{json, Value};

fn members(emu: &ccemu::Emulator, queue: &str) -> Value {
    let r = nx_call(
        emu,
        "agentGroup/member/list",
        &json!({"tenantId": 144, "queueNo": queue}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    r.json["data"].clone()
}

#[test]
fn member_list_answers_the_documents_example() {
    let emu = start();
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json["data"],
        json!([
            {"sipNumber": "NXAgent000011", "nickName": "example1", "userName": "example@nxcloud.com"},
            {"sipNumber": "NXAgent1000013", "nickName": "example2", "userName": "NXAgent1000013"}
        ])
    );
    // The envelope's members come in the document's order on the wire.
    assert!(r.text.starts_with("{\"reqId\":\""), "{}", r.text);
    insta::assert_json_snapshot!("member_list_example", r.json, {".reqId" => "[reqId]"});
}

#[test]
fn member_list_refuses_an_unknown_group_and_bad_parameters() {
    let emu = start();
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": 144, "queueNo": "NXQueue9999"}),
    );
    assert_eq!(
        (r.json["code"].as_i64(), &r.json["data"]),
        (Some(41000), &json!({})),
        "{}",
        r.text
    );
    assert!(r.json["msg"].as_str().unwrap().contains("NXQueue9999"));
    for (body, field) in [
        (json!({"tenantId": 144}), "queueNo"),
        (json!({"tenantId": 144, "queueNo": ""}), "queueNo"),
        (json!({"tenantId": 144, "queueNo": 5}), "queueNo"),
        (json!({"queueNo": "NXQueue0001"}), "tenantId"),
        (
            json!({"tenantId": "abc", "queueNo": "NXQueue0001"}),
            "tenantId",
        ),
        (
            json!({"tenantId": true, "queueNo": "NXQueue0001"}),
            "tenantId",
        ),
        (
            json!({"tenantId": 144.5, "queueNo": "NXQueue0001"}),
            "tenantId",
        ),
    ] {
        let r = nx_call(&emu, "agentGroup/member/list", &body);
        assert_eq!(
            (r.status, r.json["code"].as_i64()),
            (200, Some(1002)),
            "{body}: {}",
            r.text
        );
        let msg = r.json["msg"].as_str().unwrap();
        assert!(
            msg.starts_with("Parameter error: ") && msg.contains(field),
            "{body}: {msg}"
        );
        assert_eq!(r.json["data"], json!({}));
    }
    // tenantId as a string of digits is the same team (the vendor's Java backend coerces it).
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": "144", "queueNo": "NXQueue0001"}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    // Malformed and non-object bodies, correctly signed.
    for raw in [&b"{not json"[..], b"[1,2]", b"", b"   "] {
        let r = nx_send(
            &emu,
            "agentGroup/member/list",
            &nx_headers(now_ms(&emu), raw),
            raw,
        );
        assert_eq!(
            r.json["code"],
            1002,
            "{:?}: {}",
            String::from_utf8_lossy(raw),
            r.text
        );
    }
}

#[test]
fn update_members_replaces_the_group_by_sip_number() {
    let emu = start();
    let r = nx_call(
        &emu,
        "agentGroup/updateMembers",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": ["NXAgent0001", "NXAgent000011"]}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    assert_eq!(r.json["data"], Value::Null);
    assert!(r.text.contains("\"data\":null"));
    let data = members(&emu, "NXQueue0001");
    let sips: Vec<&str> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sipNumber"].as_str().unwrap())
        .collect();
    assert_eq!(sips, ["NXAgent000011", "NXAgent0001"], "sipNumber order");
    // The removed agent's seat no longer lists the group; the added one does.
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": 144, "userName": "NXAgent", "size": 10, "page": 1}),
    );
    let seats = r.json["data"].as_array().unwrap().clone();
    let seat = |u: &str| seats.iter().find(|s| s["userName"] == u).unwrap().clone();
    assert_eq!(seat("NXAgent0001")["queueName"], json!(["NX demo group"]));
    assert_eq!(seat("NXAgent1000013")["queueName"], json!([]));
    // An empty list empties the group.
    let r = nx_call(
        &emu,
        "agentGroup/updateMembers",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": []}),
    );
    assert_eq!(r.json["code"], 0);
    assert_eq!(members(&emu, "NXQueue0001"), json!([]));
}

#[test]
fn update_members_refusals_change_nothing() {
    let emu = start();
    let before = admin(&emu, "GET", "/state", None).json;
    for (body, code) in [
        (
            json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": ["NXAgent0001", "NoSuchSip"]}),
            41000,
        ),
        (
            json!({"tenantId": 144, "queueNo": "NXQueue9999", "members": ["NXAgent0001"]}),
            41000,
        ),
        (json!({"tenantId": 144, "queueNo": "NXQueue0001"}), 1002),
        (
            json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": "NXAgent0001"}),
            1002,
        ),
        (
            json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": [1, 2]}),
            1002,
        ),
        (
            json!({"tenantId": 145, "queueNo": "NXQueue0001", "members": []}),
            1005,
        ),
    ] {
        let r = nx_call(&emu, "agentGroup/updateMembers", &body);
        assert_eq!(r.json["code"], code, "{body}: {}", r.text);
        assert_eq!(r.json["data"], json!({}));
    }
    let r = nx_call(
        &emu,
        "agentGroup/updateMembers",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": ["NoSuchSip"]}),
    );
    assert!(
        r.json["msg"].as_str().unwrap().contains("NoSuchSip"),
        "{}",
        r.text
    );
    // A bad signature is refused before anything is touched.
    let body = br#"{"tenantId":144,"queueNo":"NXQueue0001","members":[]}"#;
    let mut h = nx_headers(now_ms(&emu), body);
    h.retain(|(k, _)| k != "sign");
    h.push(("sign".into(), "0".repeat(32)));
    assert_eq!(
        nx_send(&emu, "agentGroup/updateMembers", &h, body).json["code"],
        1003
    );
    assert_eq!(admin(&emu, "GET", "/state", None).json, before);
}

#[test]
fn group_page_lists_filters_and_pages() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(json!({"tenants": [{"id": "144", "queues": [
            {"id": "NX60029101086000001", "name": "Sales", "description": "inbound sales", "ring_policy": 2, "familiarize_first": true},
            {"id": "NX60029101086000002", "name": "Sales night"}
        ]}]})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = nx_call(
        &emu,
        "agentGroup/page",
        &json!({"tenantId": 144, "size": 200, "page": 1}),
    );
    assert_eq!(
        (r.json["code"].as_i64(), r.json["total"].as_i64()),
        (Some(0), Some(3)),
        "{}",
        r.text
    );
    assert_eq!(
        r.json["data"][0],
        json!({"groupName": "Sales", "groupNo": "NX60029101086000001", "remark": "inbound sales",
               "familiarizeFirst": true, "ringPolicy": 2})
    );
    let r = nx_call(
        &emu,
        "agentGroup/page",
        &json!({"tenantId": 144, "queueName": "Sales", "size": 1, "page": 2}),
    );
    assert_eq!(r.json["total"], 2);
    assert_eq!(
        r.json["data"],
        json!([{"groupName": "Sales night", "groupNo": "NX60029101086000002", "remark": "",
        "familiarizeFirst": false, "ringPolicy": 1}])
    );
    let r = nx_call(
        &emu,
        "agentGroup/page",
        &json!({"tenantId": 144, "size": 10, "page": 9}),
    );
    assert_eq!(
        (r.json["data"].clone(), r.json["total"].as_i64()),
        (json!([]), Some(3))
    );
    for (body, code) in [
        (json!({"tenantId": 144, "size": 201, "page": 1}), 41000),
        (json!({"tenantId": 144, "size": 0, "page": 1}), 41000),
        (json!({"tenantId": 144, "size": 10, "page": 0}), 41000),
        (json!({"tenantId": 144, "page": 1}), 1002),
        (json!({"tenantId": 144, "size": 10}), 1002),
        (json!({"tenantId": 144, "size": "ten", "page": 1}), 1002),
        (
            json!({"tenantId": 144, "queueName": 3, "size": 10, "page": 1}),
            1002,
        ),
    ] {
        let r = nx_call(&emu, "agentGroup/page", &body);
        assert_eq!(r.json["code"], code, "{body}: {}", r.text);
    }
}
