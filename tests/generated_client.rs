//! A client generated from `GET /_ccemu/openapi/admin.json` by openapi-python-client (pinned in
//! `.ci/run`) drives a call: `contrib/generated-client/drive_call.py` freezes the clock, puts an
//! agent on line, starts a call, moves the clock and reads the finished call, every answer parsed
//! into the generated models. Under CI the generator must be installed; elsewhere the test is
//! skipped without it.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The version `.ci/run` installs.
const PINNED: &str = "0.29.1";

fn generator_version() -> Option<String> {
    let out = Command::new("openapi-python-client")
        .arg("--version")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_generated_python_client_drives_a_call() {
    let Some(version) = generator_version() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openapi-python-client is missing under CI; .ci/run installs it"
        );
        eprintln!("openapi-python-client is not installed; skipped");
        return;
    };
    if !version.contains(PINNED) {
        eprintln!("openapi-python-client {version}, not the pinned {PINNED}");
    }
    let emu = start();
    let doc = admin(&emu, "GET", "/openapi/admin.json", None);
    assert_eq!(doc.status, 200, "{}", doc.text);
    let dir = Scratch::new("generated-client");
    let spec = dir.path("admin.json");
    std::fs::write(&spec, &doc.text).unwrap();
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/generated-client");
    let out = dir.path("gen");
    run(Command::new("openapi-python-client")
        .args(["generate", "--meta", "none", "--path"])
        .arg(&spec)
        .arg("--output-path")
        .arg(out.join("ccemu_admin"))
        .arg("--config")
        .arg(contrib.join("config.yml")));
    let printed = run(Command::new("python3")
        .arg(contrib.join("drive_call.py"))
        .arg(&out)
        .args([&emu.url(), UDESK_APP_ID, "9003", "189"]));
    let call: Value = serde_json::from_str(printed.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {printed}"));
    assert_eq!(call["started_state"], "ringing", "{call}");
    assert_eq!(call["state"], "ended", "{call}");
    assert_eq!(call["outcome"], "answered", "{call}");
    assert_eq!(call["agent"], "189", "{call}");
    assert_eq!(call["order_id"], "generated-client", "{call}");
    // What the client read is what the emulator holds.
    let id = call["id"].as_str().unwrap();
    let held = admin(&emu, "GET", &format!("/calls/{id}"), None).json;
    assert_eq!(held["outcome"], "answered", "{held}");
    assert_eq!(held["end_ms"], call["end_ms"], "{held}");
    assert_eq!(held["answer_ms"], call["answer_ms"], "{held}");
    let steps: Vec<&str> = call["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        steps.contains(&"answer") && steps.contains(&"hangup"),
        "{call}"
    );
}
