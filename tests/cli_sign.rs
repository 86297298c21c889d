//! `ccemu sign` and `ccemu routes` as a user runs them (issue 12): the printed curl line, pasted
//! into a shell against an emulator whose clock is frozen and moved, succeeds for every vendor.
mod common;
use common::*;
use serde_json::{json, Value};
use std::process::Command;

fn ccemu(args: &[&str]) -> (String, String, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(args)
        .output()
        .expect("ccemu runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

/// Runs `script` with sh, as a user pasting it would; answers stdout as JSON.
fn paste(script: &str) -> Value {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("sh runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{script}\nanswered {text}"))
}

#[test]
fn signed_lines_work_against_a_frozen_and_moved_clock_for_every_vendor() {
    let emu = start();
    let url = emu.url();
    let r = admin(
        &emu,
        "POST",
        "/clock",
        Some(json!({"frozen": true, "advance_ms": -86_400_000})),
    );
    assert_eq!(r.status, 200);

    let (line, _, ok) = ccemu(&["sign", "udesk", "GET", "spnumbers", "--url", &url]);
    assert!(ok, "{line}");
    assert!(line.starts_with("curl "), "{line}");
    assert_eq!(paste(&line)["ErrCode"], "000000", "{line}");

    let body = r#"{"AgentId":"9200","WorkId":"920","Name":"Cli"}"#;
    let (line, _, _) = ccemu(&[
        "sign",
        "udesk",
        "POST",
        "/ccapi/v2/agents",
        body,
        "--url",
        &url,
    ]);
    assert_eq!(paste(&line)["ErrCode"], "000000", "{line}");

    let body = r#"{"tenantId":144,"queueNo":"NXQueue0001"}"#;
    let (line, explained, _) = ccemu(&[
        "sign",
        "nxcloud",
        "POST",
        "agentGroup/member/list",
        body,
        "--url",
        &url,
        "-v",
    ]);
    assert_eq!(paste(&line)["code"], 0, "{line}");
    assert!(
        explained.contains("&accessSecret=nx-demo-secret"),
        "{explained}"
    );
    let (line, _, _) = ccemu(&[
        "sign",
        "nxcloud",
        "POST",
        "agentGroup/member/list",
        body,
        "--url",
        &url,
        "--algorithm",
        "sha256",
    ]);
    assert_eq!(paste(&line)["code"], 0, "{line}");

    let (line, _, ok) = ccemu(&[
        "sign",
        "huawei",
        "GET",
        "CC-Mangemant/v1/queryAgentInfo",
        "--url",
        &url,
    ]);
    assert!(ok, "{line}");
    let answer = paste(&line);
    assert!(answer["agents"].is_array(), "{line}\n{answer}");

    // Without --url: the token is fetched by the printed script itself (here against `url`,
    // whose clock is still moved: tokens follow the emulator's clock, not the caller's).
    let (script, _, _) = ccemu(&[
        "sign",
        "huawei",
        "POST",
        "rest/cc-management/v1/skill/querySkills",
        "{}",
    ]);
    let script = script.replace(ccemu::cli::sign::DEFAULT_URL, &url);
    assert_eq!(paste(&script)["returnCode"], "0", "{script}");

    // A tenant whose clock a scenario skewed is signed at its own clock.
    for (tenant, offset) in [(UDESK_APP_ID, 1_200_000), ("144", -120_000)] {
        let r = admin(
            &emu,
            "POST",
            "/skews",
            Some(json!({"tenant": tenant, "offset_ms": offset})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let (line, _, _) = ccemu(&["sign", "udesk", "GET", "spnumbers", "--url", &url]);
    assert_eq!(paste(&line)["ErrCode"], "000000", "{line}");
    let (line, _, _) = ccemu(&[
        "sign",
        "nxcloud",
        "POST",
        "agentGroup/member/list",
        body,
        "--url",
        &url,
    ]);
    assert_eq!(paste(&line)["code"], 0, "{line}");

    // --auth-only prints just the signed parts.
    let (query, _, _) = ccemu(&[
        "sign",
        "udesk",
        "GET",
        "agents",
        "--url",
        &url,
        "--auth-only",
    ]);
    let full = format!("{url}/ccapi/v2/agents?{}", query.trim());
    assert_eq!(send("GET", &full, &[], None).json["ErrCode"], "000000");

    // Signed at wall time (no --url), the same call is refused by the moved clock.
    let (line, _, _) = ccemu(&["sign", "udesk", "GET", "spnumbers"]);
    let line = line.replace(ccemu::cli::sign::DEFAULT_URL, &url);
    assert_eq!(paste(&line)["ErrCode"], "000035");
}

#[test]
fn a_missing_emulator_is_a_clear_error_and_routes_lists_everything() {
    let (out, err, ok) = ccemu(&[
        "sign",
        "udesk",
        "GET",
        "spnumbers",
        "--url",
        "http://127.0.0.1:1",
    ]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("cannot reach http://127.0.0.1:1"), "{err}");
    let (table, _, ok) = ccemu(&["routes"]);
    assert!(ok);
    let routes = ccemu::vendors::catalogue().len();
    assert_eq!(
        table.lines().count(),
        routes + 1,
        "a header and one line a route:\n{table}"
    );
    let (json, _, _) = ccemu(&["routes", "--json"]);
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["routes"].as_array().unwrap().len(), routes);
    // Server flags and subcommands do not mix.
    let (_, _, ok) = ccemu(&["--port", "0", "routes"]);
    assert!(!ok);
}
