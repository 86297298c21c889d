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
    let url = emu.url();
    let app = [
        "udesk",
        "--url",
        &url,
        "--app-id",
        UDESK_APP_ID,
        "--sid",
        UDESK_SID,
    ];
    run_import(&[&app[..], &["--auth-token", token]].concat(), out, extra)
}

/// `ccemu import ARGS --out OUT EXTRA`: its exit code and stderr.
fn run_import(args: &[&str], out: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .arg("import")
        .args(args)
        .arg("--out")
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

/// The two lists of (what, answer) are the same, item by item.
fn same_answers(a: &[(String, Value)], b: &[(String, Value)]) {
    assert_eq!(a.len(), b.len());
    for ((pa, va), (pb, vb)) in a.iter().zip(b) {
        assert_eq!(pa, pb);
        assert_eq!(va, vb, "{pa} differs");
    }
}

/// The file is a valid fixture by the schema, as `ccemu check` sees it.
fn passes_check(path: &std::path::Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_ccemu"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
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
    same_answers(&a, &b);
    // And the file is a valid fixture by the schema, as `ccemu check` sees it.
    passes_check(&path);
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

/// What the Huawei face answers about configuration: the softphones, the agents (without their
/// live status, and without serviceIp/servicePort, which name the emulator reached), the skills,
/// each skill's agents and the agent accounts.
fn hw_answers(emu: &ccemu::Emulator) -> Vec<(String, Value)> {
    let token = hw_token(emu);
    let mut out = Vec::new();
    let info = huawei(
        emu,
        "GET",
        "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
        &token,
        None,
    );
    assert_eq!(info.status, 200, "{}", info.text);
    out.push(("queryAgentInfo".to_string(), info.json));
    let mut sys = huawei(
        emu,
        "GET",
        "/apiaccess/CC-Mangemant/v1/querySysInfo",
        &token,
        None,
    )
    .json;
    for k in ["serviceIp", "servicePort"] {
        sys.as_object_mut().unwrap().remove(k);
    }
    for a in sys["agents"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("agentStatus");
    }
    out.push(("querySysInfo".to_string(), sys));
    let skills = huawei(
        emu,
        "POST",
        "/apiaccess/rest/cc-management/v1/skill/querySkills",
        &token,
        Some(serde_json::json!({})),
    )
    .json;
    let ids: Vec<Value> = skills["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skillId"].clone())
        .collect();
    out.push(("querySkills".to_string(), skills));
    for id in ids {
        let members = huawei(
            emu,
            "POST",
            "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
            &token,
            Some(serde_json::json!({"requestParam": {"skillId": id}})),
        );
        assert_eq!(members.status, 200, "{}", members.text);
        out.push((format!("queryAgentInfoBySkillId {id}"), members.json));
    }
    let accounts = huawei(
        emu,
        "POST",
        "/apiaccess/rest/cc-management/v1/agentAccount/query",
        &token,
        Some(serde_json::json!({"requestParams": {"pageNum": 0, "pageSize": 100}})),
    );
    assert_eq!(accounts.status, 200, "{}", accounts.text);
    out.push(("agentAccount/query".to_string(), accounts.json));
    out
}

fn hw_import(
    emu: &ccemu::Emulator,
    secret: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> (i32, String) {
    let url = emu.url();
    let app = ["huawei", "--url", &url, "--app-key", HW_APP_KEY];
    run_import(&[&app[..], &["--app-secret", secret]].concat(), out, extra)
}

#[test]
fn an_imported_huawei_tenant_answers_as_the_original() {
    let original = start();
    // More than the default fixture's two agents and two skills: roles, types, a mobile, an
    // agent without a business account in two skills, a third skill, an agent in none.
    let merge = admin(
        &original,
        "POST",
        "/fixture",
        Some(serde_json::json!({"tenants": [{
            "id": "huawei-demo",
            "queues": [{"id": "7", "name": "Video skill", "description": "Video callers", "media_type_id": 11}],
            "agents": [
                {"id": "1530", "name": "Lead 1530", "role": "leader", "account_code": "lead30",
                 "sip_number": "88881630", "sip_password": "Sip@1530pw", "password": "Agent@1530",
                 "agent_type": 11, "mobile": "13800001530", "queues": ["2", "7"]},
                {"id": "1531", "name": "Outbound 1531", "role": "outbound",
                 "sip_number": "88881631", "agent_type": 5, "queues": ["1", "7"]},
                {"id": "1532", "name": "Idle 1532", "role": "idle", "account_code": "idle32"}
            ]
        }]})),
    );
    assert_eq!(merge.status, 200, "{}", merge.text);
    let dir = Scratch::new("import-hw");
    let path = dir.path("hw.json");
    let (code, err) = hw_import(&original, HW_APP_SECRET, &path, &["--show-secrets"]);
    assert_eq!(code, 0, "{err}");
    let copy = start_with(ccemu::Config {
        fixture: Some(path.clone()),
        ..ccemu::Config::ephemeral()
    });
    let a = hw_answers(&original);
    let b = hw_answers(&copy);
    assert!(
        a[1].1["agents"].as_array().unwrap().len() == 5,
        "{}",
        a[1].1
    );
    assert_eq!(a.len(), 7, "three skills: {a:?}");
    same_answers(&a, &b);
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(fixture["tenants"][0]["id"], "huawei-demo");
    passes_check(&path);
}

#[test]
fn huawei_secrets_are_masked_unless_asked() {
    let original = start();
    let dir = Scratch::new("import-hw-masked");
    let path = dir.path("hw.json");
    let (code, err) = hw_import(
        &original,
        HW_APP_SECRET,
        &path,
        &["--tenant-id", "my-space"],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [HW_APP_SECRET, "Sip@1522pw", "Agent@1522", "Sip@1523pw"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let tenant = &fixture["tenants"][0];
    assert_eq!(tenant["id"], "my-space");
    assert_eq!(
        tenant["credentials"]["apps"][0]["app_secret"],
        ccemu::cli::import::MASK
    );
    assert_eq!(tenant["agents"][0]["password"], ccemu::cli::import::MASK);
    assert_eq!(tenant["agents"][0]["sip_number"], "88881619");
    // A wrong secret: the vendor's 401, exit 1, nothing written.
    let refused = dir.path("refused.json");
    let (code, err) = hw_import(&original, "wrong", &refused, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("401"), "{err}");
    assert!(!refused.exists());
}
