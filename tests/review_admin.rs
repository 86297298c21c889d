//! Fresh-eyes review of the admin API against docs/admin.md's tables.

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
    // Other headers are fine, and the answer is the status docs/admin.md promises.
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

#[test]
fn odd_vendor_error_codes_answer_for_every_vendor() {
    let emu = start();
    let codes = [
        json!(""),
        json!("CCEMU."),
        json!("CCEMU.0"),
        json!(" 1001 "),
        json!("-1"),
        json!("99999999999999999999999"),
        json!("中"),
        json!(1.5),
        json!(-401),
        json!(u64::MAX),
    ];
    for code in codes {
        for kind in [
            json!({"kind": "vendor_error", "code": code.clone()}),
            json!({"kind": "rate_limit", "per_second": 0.001, "burst": 0, "code": code.clone()}),
        ] {
            assert_eq!(admin(&emu, "DELETE", "/faults", None).status, 200);
            let r = admin(&emu, "POST", "/faults", Some(json!({"fault": kind})));
            assert_eq!(r.status, 200, "{code}: {}", r.text);
            let u = udesk(&emu, "GET", "/spnumbers", None);
            let n = nx_call(
                &emu,
                "agentGroup/member/list",
                &json!({"tenantId": NX_TENANT, "queueNo": "NXQueue0001"}),
            );
            let h = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
            for s in [u.status, n.status, h.status] {
                assert!((200..600).contains(&s), "{code}: {s}");
            }
        }
    }
}

#[test]
fn the_admin_api_answers_a_loopback_client_of_a_dual_stack_bind() {
    let Ok(emu) = ccemu::Emulator::start_background(ccemu::Config {
        bind: "::".parse().unwrap(),
        ..ccemu::Config::ephemeral()
    }) else {
        eprintln!("no IPv6 here; nothing to check");
        return;
    };
    // An IPv4 client of a `::` socket arrives as ::ffff:127.0.0.1, which is still loopback.
    let url = format!("http://127.0.0.1:{}/_ccemu/health", emu.addr().port());
    let r = send("GET", &url, &[], None);
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn a_status_fault_header_replaces_the_one_ccemu_would_send() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/faults",
        Some(json!({"match": {"vendor": "udesk"},
                    "fault": {"kind": "status", "status": 502, "body": "<html>bad gateway</html>",
                              "headers": {"content-type": "text/html"}}})),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let url = format!(
        "{}/ccapi/v2/spnumbers?{}",
        emu.url(),
        udesk_query(now_ms(&emu))
    );
    let resp = match ureq::get(&url).call() {
        Err(ureq::Error::Status(_, r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.all("content-type"), vec!["text/html"]);
    assert_eq!(resp.into_string().unwrap(), "<html>bad gateway</html>");
}

#[test]
fn a_wait_for_more_requests_than_the_journal_keeps_is_refused_at_once() {
    let emu = start_with(ccemu::Config {
        journal_size: 3,
        ..ccemu::Config::ephemeral()
    });
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"count": 4, "timeout_ms": 60_000})),
    );
    assert_eq!(r.status, 400, "{}", r.text);
    let r = admin(
        &emu,
        "POST",
        "/requests/wait",
        Some(json!({"count": 0, "timeout_ms": 60_000})),
    );
    assert_eq!(r.json, json!({"count": 0, "requests": []}), "{}", r.text);
}
