//! Huawei Cloud CEC: the token exchange, the Bearer check on the virtual clock, tenancy, and each
//! agent and skill endpoint's success and error paths.

mod common;
use common::*;
use serde_json::{json, Value};

const AGENT_INFO: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";
const AGENT_INFO_SEED: &str = "/apiaccess/CC-Management/v1/queryAgentInfo";
const SYS_INFO: &str = "/apiaccess/CC-Mangemant/v1/querySysInfo";
const SYS_INFO_EN: &str = "/apiaccess/CC-Management/v1/querySysInfo";
const LOGIN_PARAMS: &str = "/apiaccess/CC-Management/v1/queryAgentLoginParams";
const BY_ACCOUNT: &str = "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount";
const ACCOUNT_QUERY: &str = "/apiaccess/rest/cc-management/v1/agentAccount/query";
const BY_SKILL: &str = "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId";
const QUERY_SKILLS: &str = "/apiaccess/rest/cc-management/v1/skill/querySkills";
const DELETE_SKILL: &str = "/apiaccess/rest/cc-management/v1/skill/deleteSkill";

const T0: i64 = 1_700_000_000_000;

fn assert_error(r: &Resp, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.json["error_code"],
        format!("CCEMU.{status:04}"),
        "{}",
        r.text
    );
    assert!(
        r.json["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r.text
    );
    assert_eq!(r.json.as_object().map(|o| o.len()), Some(2), "{}", r.text);
}

fn url(emu: &ccemu::Emulator, path: &str) -> String {
    format!("{}{path}", emu.url())
}

fn merge(emu: &ccemu::Emulator, fragment: Value) {
    let r = admin(emu, "POST", "/fixture", Some(fragment));
    assert_eq!(r.status, 200, "{}", r.text);
}

fn add_second_tenant(emu: &ccemu::Emulator) {
    merge(
        emu,
        json!({"tenants": [{
            "id": "huawei-two",
            "credentials": {"vendor": "huawei", "apps": [{"app_key": "two-ak", "app_secret": "two-sk"}]},
            "sip_server": {"ip": "10.20.0.1", "port": 5070},
            "queues": [{"id": "7", "name": "Second space skill"}],
            "agents": [{"id": "2001", "name": "Agent 2001", "account_code": "bbbb",
                        "sip_number": "99990001", "sip_password": "two-pw", "password": "Two@2001",
                        "queues": ["7"]}]
        }]}),
    );
}

fn skill_ids(r: &Resp) -> Vec<u64> {
    r.json["data"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .filter_map(|s| s["skillId"].as_u64())
        .collect()
}

// ---- token exchange ----

#[test]
fn token_flow_end_to_end() {
    let emu = start();
    freeze_at(&emu, T0 + 250);
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, Some("600"));
    assert_eq!(r.status, 200, "{}", r.text);
    let obj = r.json.as_object().unwrap();
    assert!(
        obj.values().all(Value::is_string),
        "every value a string: {}",
        r.text
    );
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    for k in [
        "AccessToken",
        "ApplyType",
        "CreateTime",
        "Expires",
        "Scope",
        "AppKey",
        "UserID",
    ] {
        assert!(keys.contains(&k), "{k} missing: {}", r.text);
    }
    assert_eq!(r.json["ApplyType"], "Bearer");
    assert_eq!(r.json["CreateTime"], (T0 / 1000).to_string());
    assert_eq!(r.json["Expires"], "600");
    assert_eq!(r.json["AppKey"], HW_APP_KEY);
    assert_eq!(r.json["UserID"], "Anonymous");
    let first = r.json["AccessToken"].as_str().unwrap().to_string();
    assert!(first.len() >= 16);

    // A second token does not revoke the first.
    let second = hw_token(&emu);
    assert_ne!(first, second);
    for tok in [&first, &second] {
        for path in [AGENT_INFO, AGENT_INFO_SEED] {
            let r = huawei(&emu, "GET", path, tok, None);
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            assert_eq!(r.json["agents"][0]["workNo"], 1522);
        }
    }
    // X-APP-Key is optional; when sent (any spelling of the name) it must be the token's app.
    let auth = format!("Bearer {first}");
    for name in ["X-APP-Key", "x-app-key", "X-APP-KEY"] {
        let r = send(
            "GET",
            &url(&emu, AGENT_INFO),
            &[("Authorization", &auth), (name, HW_APP_KEY)],
            None,
        );
        assert_eq!(r.status, 200, "{name}: {}", r.text);
    }
    let r = send(
        "GET",
        &url(&emu, AGENT_INFO),
        &[("Authorization", &auth), ("X-APP-Key", "other")],
        None,
    );
    assert_error(&r, 401);
}

#[test]
fn a_token_lives_exactly_its_lifetime_on_the_virtual_clock() {
    let emu = start();
    for (expire, life_s) in [(None, 600i64), (Some("3600"), 3600), (Some("1"), 1)] {
        freeze_at(&emu, T0);
        let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, expire);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["Expires"], life_s.to_string());
        let tok = r.json["AccessToken"].as_str().unwrap().to_string();
        freeze_at(&emu, T0 + life_s * 1000 - 1000);
        assert_eq!(
            huawei(&emu, "GET", AGENT_INFO, &tok, None).status,
            200,
            "{expire:?} at T+lifetime-1s"
        );
        freeze_at(&emu, T0 + life_s * 1000);
        let r = huawei(&emu, "GET", AGENT_INFO, &tok, None);
        assert_error(&r, 401);
        assert!(
            r.json["error_msg"].as_str().unwrap().contains("expired"),
            "{}",
            r.text
        );
    }
}

#[test]
fn x_token_expire_outside_1_to_3600_is_refused() {
    let emu = start();
    for bad in ["0", "3601", "abc", "-5", "", "60.5", "99999999999999999999"] {
        let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, Some(bad));
        assert_error(&r, 400);
    }
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, Some(" 120 "));
    assert_eq!((r.status, r.json["Expires"].as_str()), (200, Some("120")));
}

#[test]
fn bad_token_requests_get_one_error_shape() {
    let emu = start();
    assert_error(&hw_token_request(&emu, HW_APP_KEY, "wrong", None), 401);
    assert_error(&hw_token_request(&emu, "nobody", HW_APP_SECRET, None), 401);
    let token_url = url(&emu, HW_TOKEN_PATH);
    let json_ct = [("Content-Type", "application/json")];
    let r = send(
        "POST",
        &token_url,
        &json_ct,
        Some(br#"{"app_key":"huawei-demo-ak"}"#),
    );
    assert_error(&r, 400);
    assert!(
        r.json["error_msg"].as_str().unwrap().contains("app_secret"),
        "{}",
        r.text
    );
    assert_error(&send("POST", &token_url, &json_ct, Some(b"{not json")), 400);
    assert_error(&send("POST", &token_url, &json_ct, Some(b"")), 400);
    assert_error(
        &send(
            "POST",
            &token_url,
            &json_ct,
            Some(br#"{"app_key":1,"app_secret":2}"#),
        ),
        400,
    );
    assert_error(
        &send(
            "POST",
            &token_url,
            &json_ct,
            Some(br#"{"app_key":"","app_secret":""}"#),
        ),
        400,
    );
    let good =
        serde_json::to_vec(&json!({"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET})).unwrap();
    let r = send(
        "POST",
        &token_url,
        &[("Content-Type", "text/plain")],
        Some(&good),
    );
    assert_error(&r, 415);
    assert_error(&send("POST", &token_url, &[], Some(&good)), 415);
    assert_error(&send("GET", &token_url, &[], None), 405);
    assert_error(
        &send(
            "POST",
            &url(&emu, "/apigovernance/api/oauth/nothing"),
            &json_ct,
            Some(&good),
        ),
        404,
    );
    // Content-Type parameters and case do not matter.
    let r = send(
        "POST",
        &token_url,
        &[("Content-Type", "Application/JSON;charset=UTF-8")],
        Some(&good),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn bad_credentials_status_403_is_honoured() {
    let emu = start();
    merge(
        &emu,
        json!({"tenants": [{"id": "huawei-demo", "credentials": {"bad_credentials_status": 403}}]}),
    );
    assert_error(&hw_token_request(&emu, HW_APP_KEY, "wrong", None), 403);
    assert_error(&hw_token_request(&emu, "unknown-key", "x", None), 403);
    assert_eq!(
        hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None).status,
        200
    );
}

// ---- Bearer check ----

#[test]
fn the_authorization_header_must_be_bearer_and_one_space() {
    let emu = start();
    let tok = hw_token(&emu);
    let u = url(&emu, AGENT_INFO);
    for good in [
        format!("Bearer {tok}"),
        format!("bearer {tok}"),
        format!("BEARER {tok}"),
    ] {
        assert_eq!(
            send("GET", &u, &[("Authorization", &good)], None).status,
            200,
            "{good}"
        );
    }
    for bad in [
        format!("Bearer  {tok}"),
        format!("Bearer{tok}"),
        format!("Basic {tok}"),
        tok.clone(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        format!("Bearer {tok}x"),
        "Bearer 0123456789abcdef0123456789abcdef".to_string(),
    ] {
        assert_error(&send("GET", &u, &[("Authorization", &bad)], None), 401);
    }
    assert_error(&send("GET", &u, &[], None), 401);
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let emu = start();
    let tok = hw_token(&emu);
    assert_error(
        &huawei(
            &emu,
            "GET",
            "/apiaccess/CC-Management/v1/noSuchApi",
            &tok,
            None,
        ),
        404,
    );
    assert_error(
        &huawei(
            &emu,
            "GET",
            "/apiaccess/rest/cc-management/v1/skill/querySkills",
            &tok,
            None,
        ),
        405,
    );
    assert_error(
        &huawei(&emu, "POST", AGENT_INFO, &tok, Some(json!({}))),
        405,
    );
    // Without a token the answer is the same: the path does not exist whoever asks.
    assert_error(
        &send("GET", &url(&emu, "/apiaccess/nothing"), &[], None),
        404,
    );
}

#[test]
fn reset_clears_tokens_and_fixture_merges_keep_them() {
    let emu = start();
    let tok = hw_token(&emu);
    add_second_tenant(&emu);
    assert_eq!(huawei(&emu, "GET", AGENT_INFO, &tok, None).status, 200);
    // Removing the app from the tenant retires its tokens.
    merge(
        &emu,
        json!({"tenants": [{"id": "huawei-demo", "credentials": {"apps": [{"app_key": "new-ak", "app_secret": "new-sk"}]}}]}),
    );
    assert_error(&huawei(&emu, "GET", AGENT_INFO, &tok, None), 401);
    let tok = hw_token_for(&emu, "new-ak", "new-sk");
    assert_eq!(huawei(&emu, "GET", AGENT_INFO, &tok, None).status, 200);
    assert_eq!(admin(&emu, "POST", "/reset", None).status, 200);
    assert_error(&huawei(&emu, "GET", AGENT_INFO, &tok, None), 401);
}

// ---- tenancy ----

#[test]
fn two_tenants_never_see_each_others_agents_or_skills() {
    let emu = start();
    add_second_tenant(&emu);
    let one = hw_token(&emu);
    let two = hw_token_for(&emu, "two-ak", "two-sk");

    let r = huawei(&emu, "GET", AGENT_INFO, &two, None);
    assert_eq!(
        r.json,
        json!({"sipServiceIp": "10.20.0.1", "sipServicePort": 5070, "agents": [
            {"workNo": 2001, "accountCode": "bbbb", "sipAccount": "99990001", "sipPwd": "two-pw"}]})
    );
    let r = huawei(&emu, "GET", AGENT_INFO, &one, None);
    let works: Vec<u64> = r.json["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["workNo"].as_u64().unwrap())
        .collect();
    assert_eq!(works, vec![1522, 1523]);

    // The other space's account, skill and sign-in are unknown here.
    let r = huawei(
        &emu,
        "POST",
        BY_ACCOUNT,
        &one,
        Some(json!({"accountCode": "bbbb"})),
    );
    assert_eq!(
        (
            r.json["returnCode"].as_str(),
            r.json["data"]["workNo"].as_str()
        ),
        (Some("1"), Some(""))
    );
    let r = huawei(
        &emu,
        "POST",
        LOGIN_PARAMS,
        &one,
        Some(json!({"account": "bbbb", "password": "Two@2001"})),
    );
    assert_eq!(r.json["returnCode"], "1");
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &one,
            Some(json!({"requestParam": {"skillId": 7}})),
        ),
        500,
    );
    assert_eq!(
        skill_ids(&huawei(&emu, "POST", QUERY_SKILLS, &two, Some(json!({})))),
        vec![7]
    );
    assert_eq!(
        skill_ids(&huawei(&emu, "POST", QUERY_SKILLS, &one, Some(json!({})))),
        vec![1, 2]
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            DELETE_SKILL,
            &two,
            Some(json!({"skillIds": "2"})),
        ),
        500,
    );
    let r = huawei(
        &emu,
        "POST",
        ACCOUNT_QUERY,
        &two,
        Some(json!({"requestParams": {"pageNum": 0, "pageSize": 10}})),
    );
    assert_eq!(
        (
            r.json["total"].as_u64(),
            r.json["data"][0]["userAccount"].as_str()
        ),
        (Some(1), Some("bbbb"))
    );
    let r = huawei(&emu, "GET", SYS_INFO, &two, None);
    assert_eq!(r.json["agents"][0]["tenantId"], "huawei-two");
    assert_eq!(r.json["agents"].as_array().unwrap().len(), 1);
}

// ---- the document's example ----

#[test]
fn query_agent_info_matches_the_documented_example() {
    let emu = start();
    let tok = hw_token(&emu);
    let r = huawei(&emu, "GET", AGENT_INFO, &tok, None);
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    // The stored passwords are real; the document prints them as ***.
    assert_eq!(r.json["agents"][0]["sipPwd"], "Sip@1522pw");
    insta::assert_json_snapshot!("query_agent_info_example", r.json, {
        ".agents[].sipPwd" => "***",
    });
}

// ---- agent endpoints ----

#[test]
fn query_sys_info_reads_agent_status_from_the_timeline() {
    let emu = start();
    freeze_at(&emu, T0);
    let tok = hw_token(&emu);
    let r = huawei(&emu, "GET", SYS_INFO_EN, &tok, None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json["sipServiceIp"].as_str(),
            r.json["sipServicePort"].as_u64()
        ),
        (Some("10.10.96.98"), Some(5060))
    );
    assert_eq!(r.json["serviceIp"], "127.0.0.1");
    assert_eq!(
        r.json["servicePort"].as_u64(),
        Some(emu.addr().port() as u64)
    );
    let a = &r.json["agents"][0];
    assert_eq!(a["workNo"], 1522);
    assert_eq!(a["accountCode"], "aaaa");
    assert_eq!(a["password"], "Agent@1522");
    assert_eq!(a["agentType"], 4);
    assert_eq!(a["ccRoleId"], 2);
    assert_eq!(a["agentStatus"], 2, "offline = signed out");
    assert_eq!(a["tenantId"], "huawei-demo");
    assert!(r.json["agents"][1].get("accountCode").is_none());

    let expect = [
        ("idle", 4),
        ("calling", 7),
        ("ringing", 7),
        ("wrapup", 5),
        ("busy", 3),
        ("rest:eating", 8),
        ("offline", 2),
    ];
    for (i, (state, code)) in expect.iter().enumerate() {
        let at = T0 + 1000 * (i as i64 + 1);
        freeze_at(&emu, at);
        let body =
            json!({"vendor": "huawei", "tenant": "huawei-demo", "agent": "1522", "state": state});
        assert_eq!(admin(&emu, "POST", "/agent-state", Some(body)).status, 200);
        let r = huawei(&emu, "GET", SYS_INFO, &tok, None);
        assert_eq!(r.json["agents"][0]["agentStatus"], *code, "{state}");
        let r = huawei(
            &emu,
            "POST",
            BY_ACCOUNT,
            &tok,
            Some(json!({"accountCode": "aaaa"})),
        );
        assert_eq!(r.json["data"]["agentStatus"], *code, "{state}");
    }
}

#[test]
fn query_agent_login_params() {
    let emu = start();
    let tok = hw_token(&emu);
    let r = huawei(
        &emu,
        "POST",
        LOGIN_PARAMS,
        &tok,
        Some(json!({"account": "aaaa", "password": "Agent@1522"})),
    );
    assert_eq!(
        r.json,
        json!({"message": "success", "returnCode": "0", "results": {
            "workNo": "1522", "password": "Agent@1522", "sipAccount": "88881619", "sipPwd": "Sip@1522pw",
            "sipServerInfo": [{"sipServiceIp": "10.10.96.98", "sipServicePort": "5060", "node": "1", "type": "0"}]}})
    );
    let r = huawei(
        &emu,
        "POST",
        LOGIN_PARAMS,
        &tok,
        Some(json!({"account": "1523", "password": "Agent@1523"})),
    );
    assert_eq!(
        (
            r.json["returnCode"].as_str(),
            r.json["results"]["sipAccount"].as_str()
        ),
        (Some("0"), Some("88881620"))
    );
    let r = huawei(
        &emu,
        "POST",
        LOGIN_PARAMS,
        &tok,
        Some(json!({"account": "aaaa", "password": "nope"})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json["returnCode"], "1");
    assert!(r.json.get("results").is_none());
    assert_error(
        &huawei(
            &emu,
            "POST",
            LOGIN_PARAMS,
            &tok,
            Some(json!({"account": "aaaa"})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            LOGIN_PARAMS,
            &tok,
            Some(json!({"account": "", "password": "x"})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            LOGIN_PARAMS,
            &tok,
            Some(json!({"account": "a".repeat(101), "password": "x"})),
        ),
        400,
    );
    assert_error(&huawei(&emu, "POST", LOGIN_PARAMS, &tok, None), 400);
    assert_error(
        &huawei(
            &emu,
            "POST",
            LOGIN_PARAMS,
            "not-a-token",
            Some(json!({"account": "aaaa", "password": "Agent@1522"})),
        ),
        401,
    );
}

#[test]
fn query_agent_info_by_account() {
    let emu = start();
    let tok = hw_token(&emu);
    let r = huawei(
        &emu,
        "POST",
        BY_ACCOUNT,
        &tok,
        Some(json!({"accountCode": "aaaa", "password": "Agent@1522"})),
    );
    assert_eq!(
        r.json,
        json!({"returnCode": "0", "description": "Success", "data": {"workNo": 1522, "agentType": 4, "agentStatus": 2}})
    );
    let r = huawei(
        &emu,
        "POST",
        BY_ACCOUNT,
        &tok,
        Some(json!({"accountCode": "zzzz"})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        (
            r.json["returnCode"].as_str(),
            r.json["data"]["workNo"].as_str()
        ),
        (Some("1"), Some(""))
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_ACCOUNT,
            &tok,
            Some(json!({"accountCode": "aaaa", "password": "bad"})),
        ),
        403,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_ACCOUNT,
            &tok,
            Some(json!({"password": "x"})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_ACCOUNT,
            &tok,
            Some(json!({"accountCode": 5})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_ACCOUNT,
            &tok,
            Some(json!({"accountCode": "a".repeat(65)})),
        ),
        400,
    );
}

#[test]
fn agent_account_query_single_and_paged() {
    let emu = start();
    merge(
        &emu,
        json!({"tenants": [{"id": "huawei-demo", "agents": [
            {"id": "1524", "name": "Agent 1524", "account_code": "cccc", "agent_type": 5, "queues": ["2"], "mobile": "13800000000"},
            {"id": "1525", "name": "Agent 1525", "account_code": "dddd", "role": "leader", "queues": ["1"]}]}]}),
    );
    let tok = hw_token(&emu);
    let r = huawei(
        &emu,
        "POST",
        ACCOUNT_QUERY,
        &tok,
        Some(json!({"requestParams": {"userAccount": "aaaa"}})),
    );
    assert_eq!(
        r.json,
        json!({"resultCode": "0", "resultMessage": "Success", "total": 1, "data": [{
            "userAccount": "aaaa", "userName": "Agent 1522", "agentType": 4, "ccRoleId": 2, "sipAccount": "88881619",
            "skills": [{"skillId": 1, "agentWeight": 1, "skillWeight": 1}, {"skillId": 2, "agentWeight": 1, "skillWeight": 1}],
            "workNo": 1522, "transparentDisplayFlag": false}]})
    );
    // The page's example sends the parameters unwrapped.
    let r = huawei(
        &emu,
        "POST",
        ACCOUNT_QUERY,
        &tok,
        Some(json!({"userAccount": "cccc"})),
    );
    assert_eq!(
        (
            r.json["data"][0]["workNo"].as_u64(),
            r.json["data"][0]["phone"].as_str()
        ),
        (Some(1524), Some("13800000000"))
    );
    let r = huawei(
        &emu,
        "POST",
        ACCOUNT_QUERY,
        &tok,
        Some(json!({"requestParams": {"userAccount": "zzzz"}})),
    );
    assert_eq!(
        (
            r.status,
            r.json["total"].as_u64(),
            r.json["data"].as_array().map(Vec::len)
        ),
        (200, Some(0), Some(0))
    );

    // Paged: only agents with a business account (1523 has none), in workNo order.
    let page = |num: i64, size: i64, extra: Value| {
        let mut p = json!({"pageNum": num, "pageSize": size});
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        huawei(
            &emu,
            "POST",
            ACCOUNT_QUERY,
            &tok,
            Some(json!({"requestParams": p})),
        )
    };
    let works = |r: &Resp| -> Vec<u64> {
        r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["workNo"].as_u64().unwrap())
            .collect()
    };
    let r = page(0, 2, json!({}));
    assert_eq!(
        (works(&r), r.json["total"].as_u64()),
        (vec![1522, 1524], Some(3))
    );
    let r = page(1, 2, json!({}));
    assert_eq!((works(&r), r.json["total"].as_u64()), (vec![1525], Some(3)));
    assert_eq!(page(1, 2, json!({}))["data"], page(1, 2, json!({}))["data"]);
    assert_eq!(works(&page(0, 10, json!({"agentType": [5]}))), vec![1524]);
    assert_eq!(page(0, 10, json!({"agentType": [5]})).json["total"], 1);
    assert_eq!(
        works(&page(0, 10, json!({"transparentDisplayFlag": true}))),
        Vec::<u64>::new()
    );
    assert_eq!(page(5, 10, json!({})).json["total"], 3);
    assert_eq!(
        page(0, 10, json!({})).json["data"][2]["ccRoleId"],
        3,
        "a leader reads as ccRoleId 3"
    );

    assert_error(
        &huawei(
            &emu,
            "POST",
            ACCOUNT_QUERY,
            &tok,
            Some(json!({"requestParams": {}})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            ACCOUNT_QUERY,
            &tok,
            Some(json!({"requestParams": {"pageNum": 0}})),
        ),
        400,
    );
    assert_error(&page(0, 0, json!({})), 400);
    assert_error(&page(-1, 10, json!({})), 400);
    assert_error(
        &huawei(
            &emu,
            "POST",
            ACCOUNT_QUERY,
            &tok,
            Some(json!({"requestParams": "aaaa"})),
        ),
        400,
    );
    assert_error(
        &huawei(&emu, "POST", ACCOUNT_QUERY, &tok, Some(json!([1, 2]))),
        400,
    );
    assert_error(&page(0, 10, json!({"agentType": "4"})), 400);
}

impl std::ops::Index<&str> for Resp {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        &self.json[key]
    }
}

#[test]
fn query_agent_info_by_skill_id() {
    let emu = start();
    let tok = hw_token(&emu);
    let r = huawei(
        &emu,
        "POST",
        BY_SKILL,
        &tok,
        Some(json!({"requestParam": {"skillId": 1, "pageSize": 10, "pageNum": 0}})),
    );
    assert_eq!(
        r.json,
        json!({"resultCode": "0", "count": 2, "data": [
            {"workNo": 1522, "agentType": 4, "agentWeight": 1, "accountName": "Agent 1522", "sipAccount": "88881619", "skillWeight": 1, "userAccount": "aaaa"},
            {"workNo": 1523, "agentType": 4, "agentWeight": 1, "accountName": "Agent 1523", "sipAccount": "88881620", "skillWeight": 1}]})
    );
    let r = huawei(
        &emu,
        "POST",
        BY_SKILL,
        &tok,
        Some(json!({"requestParam": {"skillId": "1", "pageSize": 1, "pageNum": 1}})),
    );
    assert_eq!(
        (
            r.json["count"].as_u64(),
            r.json["data"][0]["workNo"].as_u64()
        ),
        (Some(2), Some(1523))
    );
    let r = huawei(
        &emu,
        "POST",
        BY_SKILL,
        &tok,
        Some(json!({"requestParam": {"skillId": 2}})),
    );
    assert_eq!(r.json["count"], 1);
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &tok,
            Some(json!({"requestParam": {"skillId": 99}})),
        ),
        500,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &tok,
            Some(json!({"requestParam": {"skillId": 1, "pageSize": 101}})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &tok,
            Some(json!({"requestParam": {"skillId": 1, "pageNum": -1}})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &tok,
            Some(json!({"requestParam": {}})),
        ),
        400,
    );
    assert_error(
        &huawei(
            &emu,
            "POST",
            BY_SKILL,
            &tok,
            Some(json!({"requestParam": {"skillId": "one"}})),
        ),
        400,
    );
}

// ---- skill endpoints ----

#[test]
fn query_skills_filters_and_pages() {
    let emu = start();
    let tok = hw_token(&emu);
    let url_ = url(&emu, QUERY_SKILLS);
    let auth = format!("Bearer {tok}");
    let r = send("POST", &url_, &[("Authorization", &auth)], None);
    assert_eq!(
        r.json,
        json!({"returnCode": "0", "description": "Success", "total": 2, "data": [
            {"skillId": 1, "name": "Voice skill", "description": "Default voice skill", "mediaTypeId": 5},
            {"skillId": 2, "name": "VIP skill", "description": "Priority callers", "mediaTypeId": 5}]})
    );
    let q = |body: Value| huawei(&emu, "POST", QUERY_SKILLS, &tok, Some(body));
    assert_eq!(skill_ids(&q(json!({"name": "VIP"}))), vec![2]);
    assert_eq!(skill_ids(&q(json!({"skillIds": [1]}))), vec![1]);
    assert_eq!(skill_ids(&q(json!({"skillIds": ["2", 1]}))), vec![1, 2]);
    assert_eq!(skill_ids(&q(json!({"mediaTypeId": 6}))), Vec::<u64>::new());
    let r = q(json!({"limit": 1, "offset": 1}));
    assert_eq!(
        (skill_ids(&r), r.json["total"].as_u64()),
        (vec![2], Some(2))
    );
    assert_error(&q(json!({"limit": 101})), 400);
    assert_error(&q(json!({"limit": 0})), 400);
    assert_error(&q(json!({"offset": -1})), 400);
    assert_error(&q(json!({"skillIds": [true]})), 400);
    assert_error(&q(json!({"name": 3})), 400);
}

#[test]
fn delete_skill_refuses_skills_with_agents_and_is_all_or_nothing() {
    let emu = start();
    merge(
        &emu,
        json!({"tenants": [{"id": "huawei-demo", "queues": [{"id": "9", "name": "Empty"}, {"id": "10", "name": "Also empty"}]}]}),
    );
    let tok = hw_token(&emu);
    let del = |ids: Value| {
        huawei(
            &emu,
            "POST",
            DELETE_SKILL,
            &tok,
            Some(json!({"skillIds": ids})),
        )
    };
    let all = || skill_ids(&huawei(&emu, "POST", QUERY_SKILLS, &tok, Some(json!({}))));
    assert_eq!(all(), vec![1, 2, 9, 10]);
    let before = admin(&emu, "GET", "/state", None).json;

    let r = del(json!("1"));
    assert_error(&r, 500);
    assert!(
        r.json["error_msg"].as_str().unwrap().contains("agents"),
        "{}",
        r.text
    );
    assert_error(&del(json!("9,2")), 500);
    assert_error(&del(json!("9,99")), 500);
    assert_error(&del(json!("abc")), 400);
    assert_error(&del(json!("")), 400);
    assert_error(&del(json!("9,,10")), 400);
    assert_error(&del(json!(9)), 400);
    assert_error(
        &huawei(&emu, "POST", DELETE_SKILL, &tok, Some(json!({}))),
        400,
    );
    assert_eq!(
        admin(&emu, "GET", "/state", None).json,
        before,
        "refusals change nothing"
    );

    let r = del(json!("9, 10"));
    assert_eq!(r.json, json!({"returnCode": "0", "description": "Success"}));
    assert_eq!(all(), vec![1, 2]);
    assert_error(&del(json!("9")), 500);
}

// ---- the order of the members on the wire ----

#[test]
fn answers_keep_the_documents_member_order_on_the_wire() {
    let emu = start();
    freeze_at(&emu, T0);
    let tok = hw_token(&emu);
    // queryAgentInfo: the page's example, byte for byte but for the passwords it prints as ***.
    let r = huawei(&emu, "GET", AGENT_INFO, &tok, None);
    let masked = r
        .text
        .replace(r.json["agents"][0]["sipPwd"].as_str().unwrap(), "***")
        .replace(r.json["agents"][1]["sipPwd"].as_str().unwrap(), "***");
    let example = r#"{ "sipServiceIp": "10.10.96.98", "sipServicePort": 5060, "agents": [ { "workNo": 1522, "accountCode": "aaaa", "sipAccount": "88881619", "sipPwd": "***" }, { "workNo": 1523, "sipAccount": "88881620", "sipPwd": "***" } ] }"#;
    assert_eq!(masked, example.replace(' ', ""));
    // The page's response header, spelled as the gateway sends it; the token exchange and the
    // error answers alike.
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let r = hw_token_request(&emu, HW_APP_KEY, HW_APP_SECRET, None);
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    // The token answer in the page's order, every value a string.
    let token = r.json["AccessToken"].as_str().unwrap();
    assert_eq!(
        r.text,
        format!(
            r#"{{"AccessToken":"{token}","ApplyType":"Bearer","CreateTime":"{}","Expires":"600","Scope":"default","AppKey":"{HW_APP_KEY}","UserID":"Anonymous"}}"#,
            T0 / 1000
        )
    );
    let r = huawei(&emu, "GET", AGENT_INFO, "nope", None);
    assert_eq!(
        (r.status, r.header("content-type")),
        (401, Some("application/json;charset=UTF-8"))
    );
    // queryAgentInfoByAccount: returnCode, description, data {workNo, agentType, agentStatus}.
    let r = huawei(
        &emu,
        "POST",
        BY_ACCOUNT,
        &tok,
        Some(json!({"accountCode": "aaaa"})),
    );
    assert_eq!(
        r.text,
        r#"{"returnCode":"0","description":"Success","data":{"workNo":1522,"agentType":4,"agentStatus":2}}"#
    );
    let r = huawei(
        &emu,
        "POST",
        BY_ACCOUNT,
        &tok,
        Some(json!({"accountCode": "zzzz"})),
    );
    assert!(
        r.text.starts_with(r#"{"returnCode":"1","description":"#)
            && r.text.ends_with(r#","data":{"workNo":""}}"#),
        "{}",
        r.text
    );
}
