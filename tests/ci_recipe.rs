//! The CI recipe (issue 12) end to end: `examples/ci.sh` starts the binary on a free port through
//! `--ready-file`, waits for health, runs a command with CCEMU_URL, stops ccemu and passes the
//! command's status on.
mod common;
use std::process::Command;
use std::time::{Duration, Instant};

fn script(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    Command::new("sh")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci.sh"))
        .args(args)
        .env("CCEMU", env!("CARGO_BIN_EXE_ccemu"))
        .env("OUT", dir)
        .output()
        .expect("sh runs")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ccemu-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_ci_script_runs_a_suite_against_ccemu_and_stops_it() {
    let dir = temp_dir("ci");
    // The "suite": records the URL, checks health and a signed call.
    let out = script(
        &[
            "sh",
            "-c",
            r#"echo "$CCEMU_URL" > "$OUT/url" && curl -fsS "$CCEMU_URL/_ccemu/health" | grep -q '"status":"ok"'"#,
        ],
        &dir,
    );
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let url = std::fs::read_to_string(dir.join("url")).unwrap();
    let url = url.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // Stopped: nothing listens there any more.
    let addr = url.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "ccemu still listens at {addr}"
    );

    // A failing suite fails the script with its status.
    let out = script(&["sh", "-c", "exit 3"], &dir);
    assert_eq!(out.status.code(), Some(3));

    // No command: the smoke calls, one per vendor.
    let out = script(&[], &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ok   udesk")
            && text.contains("ok   nxcloud")
            && text.contains("ok   huawei"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ready_file_holds_the_url_of_the_first_stdout_line() {
    let dir = temp_dir("ready");
    let ready = dir.join("url");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["--port", "0", "--ready-file", ready.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&ready).unwrap();
    assert!(url.ends_with('\n'));
    let url = url.trim().to_string();
    let r = common::send("GET", &format!("{url}/_ccemu/health"), &[], None);
    assert_eq!(r.json["status"], "ok");
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(first, format!("ccemu listening on {url}"));
    let _ = std::fs::remove_dir_all(&dir);
}
