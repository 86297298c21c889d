mod common;
use common::*;
use serde_json::json;

#[test]
fn list_shows_default_apart_from_the_others() {
    let emu = start();
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json,
        json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": {
            "SpNumbers": ["057126200671", "057126200672", "057126200673", "057126200674"],
            "DefSpNumber": "057126200670"}})
    );
}

#[test]
fn default_must_be_one_of_the_apps_numbers() {
    let emu = start();
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "01000000000"})),
    );
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (200, Some("100005"))
    );
    let r = udesk(
        &emu,
        "PUT",
        "/spnumbers/default",
        Some(json!({"DefSpNumber": "057126200673"})),
    );
    assert_eq!(
        r.json,
        json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": null})
    );
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.json["Result"]["DefSpNumber"], "057126200673");
    assert!(r.json["Result"]["SpNumbers"]
        .as_array()
        .unwrap()
        .contains(&json!("057126200670")));
}

#[test]
fn clearing_the_default_answers_an_empty_string() {
    let emu = start();
    let r = udesk(&emu, "DELETE", "/spnumbers/default", None);
    assert_eq!(
        r.json,
        json!({"ErrCode": "000000", "ErrDesc": "OK", "Result": ""})
    );
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.json["Result"]["DefSpNumber"], "");
    assert_eq!(r.json["Result"]["SpNumbers"].as_array().unwrap().len(), 5);
}

#[test]
fn malformed_and_missing_bodies_are_refused_without_change() {
    let emu = start();
    let url = format!(
        "{}/ccapi/v2/spnumbers/default?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    let r = send("PUT", &url, &[], Some(b"{not json"));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (400, Some("000001"))
    );
    let r = send("PUT", &url, &[], Some(b"{}"));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (400, Some("100001"))
    );
    let r = send("PUT", &url, &[], Some(br#"{"DefSpNumber": 5}"#));
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (400, Some("000001"))
    );
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!(r.json["Result"]["DefSpNumber"], "057126200670");
}

#[test]
fn auth_failures_answer_401_with_the_vendor_code() {
    let emu = start();
    let now = 1_700_000_000_000;
    freeze_at(&emu, now);
    let base = format!("{}/ccapi/v2/spnumbers", emu.url());
    let good = udesk_query(now);
    // Wrong sign.
    let bad_sign = good.replace("Sign=", "Sign=0");
    let r = send("GET", &format!("{base}?{bad_sign}"), &[], None);
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (401, Some("200020"))
    );
    // Outside the window, in both directions.
    for skew in [-600_000, 600_000] {
        let r = send(
            "GET",
            &format!("{base}?{}", udesk_query(now + skew)),
            &[],
            None,
        );
        assert_eq!(
            r.json["ErrCode"], "000000",
            "the window's edge is inside: {skew}"
        );
    }
    for skew in [-600_001, 600_001] {
        let r = send(
            "GET",
            &format!("{base}?{}", udesk_query(now + skew)),
            &[],
            None,
        );
        assert_eq!(
            (r.status, r.json["ErrCode"].as_str()),
            (401, Some("000035")),
            "{skew}"
        );
    }
    // Unknown Sid and a foreign AppId.
    let r = send(
        "GET",
        &format!("{base}?{}", good.replace(UDESK_SID, "nobody")),
        &[],
        None,
    );
    assert_eq!(r.json["ErrCode"], "100003");
    let r = send(
        "GET",
        &format!("{base}?{}", good.replace(UDESK_APP_ID, "other-app")),
        &[],
        None,
    );
    assert_eq!(r.json["ErrCode"], "100002");
    // Missing parameters.
    let r = send("GET", &base, &[], None);
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (401, Some("100001"))
    );
    // app_id is accepted as well as AppId.
    let r = send(
        "GET",
        &format!("{base}?{}", good.replace("AppId=", "app_id=")),
        &[],
        None,
    );
    assert_eq!(r.json["ErrCode"], "000000");
}

#[test]
fn unknown_paths_and_methods_get_the_envelope() {
    let emu = start();
    let r = udesk(&emu, "GET", "/nothing-here", None);
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (404, Some("000036"))
    );
    let r = udesk(&emu, "PATCH", "/spnumbers", None);
    assert_eq!(
        (r.status, r.json["ErrCode"].as_str()),
        (405, Some("000036"))
    );
    let r = send("GET", &format!("{}/elsewhere", emu.url()), &[], None);
    assert_eq!(r.status, 404);
    assert_eq!(r.json["error"], "not_found");
}
