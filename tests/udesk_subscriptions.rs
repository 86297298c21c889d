//! 18–21: event subscriptions.
mod common;
use common::*;
use serde_json::json;

fn sub(name: &str) -> serde_json::Value {
    json!({"callback": "http://127.0.0.1:9/cb", "events": ["acd_agent_state"], "name": name})
}

#[test]
fn list_answers_the_single_subscription_as_an_object() {
    let emu = start();
    let r = udesk_ok(&emu, "GET", "/subscriptions", None);
    assert_eq!(
        r,
        json!({"callback": "http://127.0.0.1:9/ccemu-demo-callback", "enable": "false", "events": ["acd_agent_state"], "name": "sub1"})
    );
}

#[test]
fn subscribe_update_delete_round_trip() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("a"), sub("b")]})),
    );
    assert_eq!(
        r,
        json!({"sub_succ": [{"subid": 168, "name": "a"}, {"subid": 169, "name": "b"}], "sub_fail": null})
    );
    // Several: an array in id order, enable as a string.
    let list = udesk_ok(&emu, "GET", "/subscriptions", None);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(
        (list[1]["name"].as_str(), list[1]["enable"].as_str()),
        (Some("a"), Some("true"))
    );

    let r = udesk_ok(
        &emu,
        "PUT",
        "/subscriptions/168",
        Some(
            json!({"callback": "https://x.test/cb", "name": "ymtest111", "events": ["acd_agent_state"], "enable": false}),
        ),
    );
    assert_eq!(r, json!({"ymtest111": 168}));
    let list = udesk_ok(&emu, "GET", "/subscriptions", None);
    assert_eq!(
        list[1],
        json!({"callback": "https://x.test/cb", "enable": "false", "events": ["acd_agent_state"], "name": "ymtest111"})
    );

    for id in [164, 168, 169] {
        assert_eq!(
            udesk_ok(&emu, "DELETE", &format!("/subscriptions/{id}"), None),
            json!([])
        );
    }
    // None left: null.
    assert_eq!(
        udesk_ok(&emu, "GET", "/subscriptions", None),
        serde_json::Value::Null
    );
    // Ids are not reused.
    let r = udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("c")]})),
    );
    assert_eq!(r["sub_succ"][0]["subid"], 170);
}

#[test]
fn subscribe_refusals_change_nothing() {
    let emu = start();
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("sub1")]})),
        "200019",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("n"), sub("n")]})),
        "200019",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("ok"), sub("sub1")]})),
        "200019",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": []})),
        "100001",
    );
    udesk_refused(&emu, "POST", "/subscriptions", Some(json!({})), "100001");
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": "http://x", "name": "x"}]})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": "http://x", "events": [], "name": "x"}]})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": "ftp://x", "events": ["a"], "name": "x"}]})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [{"callback": "http://x", "events": ["a"], "name": ""}]})),
        "100001",
    );
}

#[test]
fn update_and_delete_refusals_change_nothing() {
    let emu = start();
    udesk_ok(
        &emu,
        "POST",
        "/subscriptions",
        Some(json!({"subscriptions": [sub("other")]})),
    );
    let body = json!({"callback": "http://x/cb", "name": "other", "events": ["acd_agent_state"], "enable": true});
    udesk_refused(&emu, "PUT", "/subscriptions/164", Some(body), "200019");
    let body = json!({"callback": "http://x/cb", "name": "n", "events": ["acd_agent_state"], "enable": true});
    udesk_refused(
        &emu,
        "PUT",
        "/subscriptions/999",
        Some(body.clone()),
        "100018",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/subscriptions/164",
        Some(json!({"callback": "http://x/cb", "name": "n", "events": ["e"]})),
        "100001",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/subscriptions/164",
        Some(json!({"callback": "http://x/cb", "name": "n", "events": ["e"], "enable": "yes"})),
        "000001",
    );
    let r = udesk_refused(&emu, "PUT", "/subscriptions/abc", Some(body), "000036");
    assert_eq!(r.status, 404);
    udesk_refused(&emu, "DELETE", "/subscriptions/999", None, "100018");
    udesk_refused(
        &emu,
        "DELETE",
        "/subscriptions/99999999999999999999999",
        None,
        "000036",
    );
}
