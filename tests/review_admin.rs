//! Fresh-eyes review of the admin API against the README's tables.

mod common;

use common::*;
use serde_json::json;

#[test]
fn journal_filters_left_empty_as_in_the_readme_template_filter_nothing() {
    let emu = start();
    assert_eq!(udesk(&emu, "GET", "/spnumbers", None).status, 200);
    let r = admin(
        &emu,
        "GET",
        "/requests?vendor=&method=&path=&operation=&tenant=&status=&code=&rule=&fault=&since=&limit=",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["requests"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    let r = admin(&emu, "GET", "/requests/count?vendor=&status=", None);
    assert_eq!(r.json, json!({"count": 1}), "{}", r.text);
    // A filter with a value still filters.
    let r = admin(&emu, "GET", "/requests/count?vendor=huawei&status=", None);
    assert_eq!(r.json, json!({"count": 0}), "{}", r.text);
}

#[test]
fn an_unknown_journal_filter_is_still_refused_even_empty() {
    let emu = start();
    let r = admin(&emu, "GET", "/requests?colour=", None);
    assert_eq!(r.status, 400, "{}", r.text);
}

#[test]
fn a_status_fault_cannot_set_the_framing_headers_ccemu_writes_itself() {
    let emu = start();
    for name in ["Content-Length", "content-length", "Transfer-Encoding"] {
        let r = admin(
            &emu,
            "POST",
            "/faults",
            Some(json!({"match": {"vendor": "udesk"},
                        "fault": {"kind": "status", "status": 503, "headers": {name: "1000"}}})),
        );
        assert_eq!(r.status, 400, "{name}: {}", r.text);
    }
    assert_eq!(
        admin(&emu, "GET", "/faults", None).json,
        json!({"faults": []})
    );
    // Other headers are fine, and the answer is the status the README promises.
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"match": {"vendor": "udesk"},
                    "fault": {"kind": "status", "status": 503, "headers": {"Retry-After": "30"}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = udesk(&emu, "GET", "/spnumbers", None);
    assert_eq!((r.status, r.header("retry-after")), (503, Some("30")));
}
