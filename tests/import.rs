//! `ccemu import udesk` against a running ccemu standing in for Udesk: import from one, start
//! another on the fixture written, and compare what the Udesk face of each answers.

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

fn import(emu: &ccemu::Emulator, out: &std::path::Path, extra: &[&str]) -> (i32, String) {
    import_with(emu, UDESK_TOKEN, out, extra)
}

fn import_with(
    emu: &ccemu::Emulator,
    token: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> (i32, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args([
            "import",
            "udesk",
            "--url",
            &emu.url(),
            "--app-id",
            UDESK_APP_ID,
        ])
        .args(["--sid", UDESK_SID, "--auth-token", token, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    (
        run.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

/// An answer without what an import does not copy: live agent states (every imported agent
/// starts offline) and nick names (no list answer carries them).
fn configuration(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in [
                    "State",
                    "StateDes",
                    "ReasonCode",
                    "ReasonCodeDes",
                    "ExtState",
                    "NickName",
                ] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn answers(emu: &ccemu::Emulator) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let list = udesk(emu, "GET", "/agents?PageSize=100", None).json;
    let ids: Vec<String> = list["Result"]["AgentList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AgentId"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() > 3, "{list}");
    out.push(("agents".to_string(), configuration(list)));
    for path in ["/spnumbers", "/queues"] {
        out.push((path.to_string(), udesk(emu, "GET", path, None).json));
    }
    for id in ids {
        let path = format!("/agents/{id}");
        out.push((
            path.clone(),
            configuration(udesk(emu, "GET", &path, None).json),
        ));
    }
    out
}

#[test]
fn an_imported_app_answers_as_the_original() {
    let original = start();
    let dir = Scratch::new("import");
    let path = dir.path("imported.json");
    let (code, err) = import(&original, &path, &["--show-secrets"]);
    assert_eq!(code, 0, "{err}");
    let copy = start_with(ccemu::Config {
        fixture: Some(path.clone()),
        ..ccemu::Config::ephemeral()
    });
    let a = answers(&original);
    let b = answers(&copy);
    assert_eq!(a.len(), b.len());
    for ((pa, va), (pb, vb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        assert_eq!(va, vb, "{pa} differs");
    }
    // And the file is a valid fixture by the schema, as `ccemu check` sees it.
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn secrets_are_masked_unless_asked() {
    let original = start();
    let dir = Scratch::new("import-masked");
    let path = dir.path("imported.json");
    let (code, err) = import(&original, &path, &[]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(UDESK_TOKEN), "{text}");
    // An extension password of the default fixture.
    assert!(!text.contains("5f1c0a9e2b7d4c31"), "{text}");
    let fixture: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        fixture["tenants"][0]["credentials"]["auth_token"],
        ccemu::cli::import::MASK
    );
    // Wrong credentials: the vendor's refusal, exit 1, nothing written.
    let refused = dir.path("refused.json");
    let (code, err) = import_with(&original, "wrong", &refused, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ErrCode"), "{err}");
    assert!(!refused.exists());
}

fn nx_answers(emu: &ccemu::Emulator) -> Vec<Value> {
    ["agent/page", "agentGroup/page"]
        .iter()
        .map(|op| {
            let mut v = nx_call(
                emu,
                op,
                &serde_json::json!({"tenantId": NX_TENANT, "size": 100, "page": 1}),
            )
            .json;
            assert_eq!(v["code"], 0, "{op}: {v}");
            v.as_object_mut().unwrap().remove("reqId");
            // Live state is not copied.
            for a in v["data"].as_array_mut().unwrap() {
                a.as_object_mut().unwrap().remove("status");
            }
            v
        })
        .collect()
}

#[test]
fn an_imported_nxcloud_tenant_answers_as_the_original() {
    let original = start();
    let dir = Scratch::new("import-nx");
    let path = dir.path("nx.json");
    let run = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .args(["import", "nxcloud", "--url", &original.url()])
        .args(["--tenant-id", &NX_TENANT.to_string()])
        .args(["--access-key", NX_ACCESS_KEY, "--access-secret", NX_SECRET])
        .arg("--out")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(NX_SECRET), "masked by default: {text}");
    let mut fixture: Value = serde_json::from_str(&text).unwrap();
    fixture["tenants"][0]["credentials"]["access_secret"] = NX_SECRET.into();
    std::fs::write(&path, fixture.to_string()).unwrap();
    let copy = start_with(ccemu::Config {
        fixture: Some(path.clone()),
        ..ccemu::Config::ephemeral()
    });
    let a = nx_answers(&original);
    assert!(a[0]["data"].as_array().unwrap().len() >= 3, "{}", a[0]);
    assert_eq!(a, nx_answers(&copy));
}
