//! The binary as a user runs it: flags, the banner with URL and demo credentials, SIGTERM.
mod common;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> (std::process::Child, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ccemu runs");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    // The banner ends with the credentials; read until the Huawei line.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let done = line.contains("huawei");
        lines.push(line.trim_end().to_string());
        if done {
            break;
        }
    }
    (child, lines)
}

#[test]
fn port_zero_prints_the_url_and_the_demo_credentials_and_serves() {
    let (mut child, lines) = spawn(&["--port", "0", "--seed", "7"]);
    let text = lines.join("\n");
    let url = lines
        .iter()
        .find_map(|l| l.strip_prefix("ccemu listening on "))
        .unwrap_or_else(|| panic!("no URL in banner:\n{text}"))
        .to_string();
    assert!(text.contains("Sid=udesk-demo-sid"), "{text}");
    assert!(text.contains("accessKey=fme2na3kdi3ki"), "{text}");
    assert!(text.contains("app_key=huawei-demo-ak"), "{text}");
    let r = common::send("GET", &format!("{url}/_ccemu/health"), &[], None);
    assert_eq!(r.json["status"], "ok");
    #[cfg(unix)]
    {
        // SIGTERM stops it cleanly.
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                break;
            }
            assert!(Instant::now() < deadline, "ccemu did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
}

#[test]
fn a_broken_fixture_is_refused_at_start() {
    let dir = std::env::temp_dir().join(format!("ccemu-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.json");
    std::fs::write(&path, "{\"tenants\": [{\"id\": 1}]}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["--port", "0", "--fixture", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fixture"));
}

#[test]
fn a_stream_buffer_of_nothing_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["--port", "0", "--stream-buffer", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--stream-buffer"), "{err}");
}
