//! The schemathesis run of every vendor face from ccemu's own OpenAPI documents
//! (contrib/schemathesis/fuzz.sh; docs/contract.md, "Fuzzing"), inside `cargo test`, so that the
//! README's test command is what CI runs, fuzzing included. `.ci/run` installs schemathesis
//! first; under `CI=true` its absence is a failure, on a developer's machine a skip that says so.

use std::process::Command;

#[test]
fn every_vendor_face_passes_schemathesis_from_its_own_openapi() {
    // `st`, or the module where pip's scripts are not on PATH (fuzz.sh splits the words).
    let candidates = match std::env::var("SCHEMATHESIS") {
        Ok(st) => vec![st],
        Err(_) => vec!["st".to_string(), "python3 -m schemathesis.cli".to_string()],
    };
    let runs = |st: &String| {
        let mut words = st.split_whitespace();
        Command::new(words.next().unwrap_or("st"))
            .args(words)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let Some(st) = candidates.iter().find(|st| runs(st)) else {
        let st = candidates.join(" or ");
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "schemathesis ({st}) is not installed; .ci/run installs it"
        );
        eprintln!("skipped: schemathesis is not installed (python3 -m pip install 'schemathesis==4.32.5')");
        return;
    };
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contrib/schemathesis/fuzz.sh"
        ))
        .env("CCEMU", env!("CARGO_BIN_EXE_ccemu"))
        .env("SCHEMATHESIS", st)
        .output()
        .expect("bash runs");
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("fuzz: every face passed"), "{log}");
}
