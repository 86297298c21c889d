//! The dashboard's page and paths behind the admin API's protections: its Content-Security-Policy,
//! the redirect from `/_ccemu/`, the token (the page's own files load without it, data does not),
//! and the Origin check on the stream.

mod common;

use ccemu::Config;
use common::*;

#[test]
fn the_page_allows_only_itself() {
    let emu = start();
    let r = send("GET", &format!("{}/_ccemu/ui", emu.url()), &[], None);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let csp = r.header("content-security-policy").expect("a CSP");
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !r.text.contains("http://") && !r.text.contains("https://"),
        "nothing from elsewhere"
    );
    for asset in ["app.js", "app.css"] {
        let r = send(
            "GET",
            &format!("{}/_ccemu/ui/{asset}", emu.url()),
            &[],
            None,
        );
        assert_eq!(r.status, 200, "{asset}");
        assert!(
            !r.text.contains("https://"),
            "{asset} fetches nothing from elsewhere"
        );
    }
    let r = send("GET", &format!("{}/_ccemu/", emu.url()), &[], None);
    assert_eq!(r.status, 200, "the redirect is followed to the page");
    assert!(r.text.contains("ccemu dashboard"));
}

#[test]
fn with_a_token_the_page_loads_and_its_data_needs_the_token() {
    let emu = start_with(Config {
        admin_token: Some("s3cret".into()),
        ..Config::ephemeral()
    });
    let get = |path: &str, token: bool| {
        let auth = [("Authorization", "Bearer s3cret")];
        send(
            "GET",
            &format!("{}{path}", emu.url()),
            if token { &auth } else { &[] },
            None,
        )
        .status
    };
    for asset in ["/_ccemu/ui", "/_ccemu/ui/app.js", "/_ccemu/ui/app.css"] {
        assert_eq!(get(asset, false), 200, "{asset}");
    }
    for data in [
        "/_ccemu/ui/snapshot",
        "/_ccemu/metrics",
        "/_ccemu/stream",
        "/_ccemu/calls",
    ] {
        assert_eq!(get(data, false), 401, "{data}");
    }
    assert_eq!(get("/_ccemu/ui/snapshot", true), 200);
    assert_eq!(get("/_ccemu/metrics", true), 200);
}

#[test]
fn the_stream_refuses_foreign_pages() {
    let emu = start();
    let r = send(
        "GET",
        &format!("{}/_ccemu/stream", emu.url()),
        &[("Origin", "http://evil.example")],
        None,
    );
    assert_eq!(r.status, 403, "{}", r.text);
    let r = send("POST", &format!("{}/_ccemu/stream", emu.url()), &[], None);
    assert_eq!(r.status, 405);
}
