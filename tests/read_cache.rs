//! The read cache (`src/read_cache.rs`) keeps a list page until the model or the reader's clock
//! moves. These tests read each cached page, change what it shows (through the vendor's own API,
//! the admin API, a reset, or only the clock), and read again: a kept answer must never outlive
//! the state it was made from.

mod common;
use common::*;
use serde_json::{json, Value};

const HW_ACCOUNTS: &str = "/apiaccess/rest/cc-management/v1/agentAccount/query";

fn udesk_page(emu: &ccemu::Emulator) -> Value {
    udesk_ok(emu, "GET", "/agents?PageSize=20", None)
}

fn udesk_row(page: &Value, agent: &str) -> Value {
    page["AgentList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["AgentId"] == agent)
        .unwrap_or_else(|| panic!("{agent} on the page: {page}"))
        .clone()
}

/// Starts a Udesk call to queue 9001 (ring 1 s, talk 2 s, wrap-up 3 s) and reads `look` before
/// it and after each step, moving only the clock.
fn call_steps(emu: &ccemu::Emulator, look: impl Fn(&ccemu::Emulator) -> Value) -> Vec<Value> {
    let call = json!({"tenant": UDESK_APP_ID, "queue": "9001", "ring_ms": 1000, "talk_ms": 2000, "wrapup_ms": 3000});
    let r = admin(emu, "POST", "/calls", Some(call));
    assert_eq!(r.status, 200, "{}", r.text);
    let mut seen = vec![look(emu)];
    for step in [1000, 2000, 3000] {
        admin(emu, "POST", "/clock", Some(json!({"advance_ms": step})));
        seen.push(look(emu));
    }
    seen
}

/// Merges one tenant's changes into the running model (`POST /_ccemu/fixture`): a write that no
/// vendor request made.
fn merge_tenant(emu: &ccemu::Emulator, tenant: Value) {
    let r = admin(emu, "POST", "/fixture", Some(json!({"tenants": [tenant]})));
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Gives agent 9006 a timeline state (busy) 5 s ahead, and reads `look` before and after the
/// clock alone reaches it: the model does not change at that instant, only what it shows.
fn timeline_step(
    emu: &ccemu::Emulator,
    look: impl Fn(&ccemu::Emulator) -> Value,
) -> (Value, Value) {
    let at = now_ms(emu) + 5000;
    let agent = json!({"id": "9006", "timeline": [{"at_ms": at, "state": "busy"}]});
    merge_tenant(emu, json!({"id": UDESK_APP_ID, "agents": [agent]}));
    let before = look(emu);
    admin(emu, "POST", "/clock", Some(json!({"advance_ms": 5000})));
    (before, look(emu))
}

#[test]
fn a_udesk_page_follows_every_write_and_the_clock() {
    let emu = start();
    let t0 = now_ms(&emu);
    freeze_at(&emu, t0);
    let first = udesk_page(&emu);
    assert_eq!(udesk_page(&emu), first, "the same page twice");

    // A vendor write.
    udesk_ok(&emu, "PUT", "/agents/189", Some(json!({"Name": "Renamed"})));
    let renamed = udesk_page(&emu);
    assert_eq!(udesk_row(&renamed, "189")["Name"], "Renamed");

    // An admin write.
    udesk_set_state(&emu, "9006", "idle");
    let idle = udesk_page(&emu);
    assert_ne!(
        udesk_row(&idle, "9006")["State"],
        udesk_row(&renamed, "9006")["State"]
    );

    // A call, then only the clock: ringing, talking, wrap-up, and idle again when wrap-up ends.
    let seen = call_steps(&emu, |emu| {
        udesk_row(&udesk_page(emu), "9006")["State"].clone()
    });
    for w in seen.windows(2) {
        assert_ne!(w[0], w[1], "every step shows on the page: {seen:?}");
    }
    assert_eq!(
        seen[3],
        udesk_row(&idle, "9006")["State"],
        "idle again: {seen:?}"
    );

    // A reset brings the fixture's page back.
    admin(&emu, "POST", "/reset", None);
    assert_eq!(
        udesk_row(&udesk_page(&emu), "189")["Name"],
        udesk_row(&first, "189")["Name"]
    );
}

#[test]
fn nxcloud_pages_follow_group_changes() {
    let emu = start();
    // Frozen, so that only the model can tell one read from the next.
    freeze_at(&emu, now_ms(&emu));
    let page = |emu: &ccemu::Emulator| {
        nx_ok(
            emu,
            "agent/page",
            &json!({"tenantId": 144, "page": 1, "size": 20}),
        )
    };
    let members = |emu: &ccemu::Emulator| {
        nx_ok(
            emu,
            "agentGroup/member/list",
            &json!({"tenantId": 144, "queueNo": "NXQueue0001"}),
        )["data"]
            .clone()
    };
    let (p0, m0) = (page(&emu), members(&emu));
    assert_eq!(
        (page(&emu)["data"].clone(), members(&emu)),
        (p0["data"].clone(), m0.clone())
    );
    nx_ok(
        &emu,
        "agentGroup/updateMembers",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001", "members": []}),
    );
    assert_eq!(members(&emu), json!([]));
    assert_ne!(
        page(&emu)["data"],
        p0["data"],
        "the agents' group names moved"
    );
}

#[test]
fn a_huawei_account_page_follows_a_reset_and_a_write() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    // A token of its own each time: a reset forgets the tokens it gave.
    let query = |emu: &ccemu::Emulator| {
        let r = huawei(
            emu,
            "POST",
            HW_ACCOUNTS,
            &hw_token(emu),
            Some(json!({"requestParams": {"pageNum": 0, "pageSize": 50}})),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.json.clone()
    };
    let before = query(&emu);
    assert_eq!(query(&emu), before);
    let name_of = |page: &Value| {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["userAccount"] == "aaaa")
            .map(|a| a["userName"].clone())
            .unwrap_or_else(|| panic!("account aaaa on the page: {page}"))
    };
    // A write through the admin API's fixture merge.
    merge_tenant(
        &emu,
        json!({"id": "huawei-demo", "agents": [{"id": "1522", "name": "Renamed 1522"}]}),
    );
    let after = query(&emu);
    assert_eq!(name_of(&after), "Renamed 1522", "{after}");
    // A reset brings the fixture's page back.
    let r = admin(&emu, "POST", "/reset", None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(query(&emu), before, "the fixture again after a reset");
    assert_ne!(name_of(&before), name_of(&after));
}

#[test]
fn an_nxcloud_group_page_follows_a_new_group_and_a_rename() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let names = |emu: &ccemu::Emulator| {
        let r = nx_ok(
            emu,
            "agentGroup/page",
            &json!({"tenantId": 144, "page": 1, "size": 20}),
        );
        let names: Vec<String> = r["data"]
            .as_array()
            .unwrap_or_else(|| panic!("records: {r}"))
            .iter()
            .map(|g| g["groupName"].as_str().unwrap().to_string())
            .collect();
        (names, r["total"].clone())
    };
    let before = names(&emu);
    assert_eq!(names(&emu), before, "the same page twice");
    let merge = |queues: Value| merge_tenant(&emu, json!({"id": "144", "queues": queues}));
    merge(json!([{"id": "NXQueue0002", "name": "Docs group"}]));
    let added = names(&emu);
    assert!(added.0.contains(&"Docs group".to_string()), "{added:?}");
    assert_ne!(added.1, before.1, "the total moved too");
    merge(json!([{"id": "NXQueue0001", "name": "Renamed group"}]));
    let renamed = names(&emu);
    assert!(
        renamed.0.contains(&"Renamed group".to_string()),
        "{renamed:?}"
    );
}

const HW_SKILLS: &str = "/apiaccess/rest/cc-management/v1/skill/querySkills";
const HW_BY_SKILL: &str = "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId";

#[test]
fn huawei_skill_pages_follow_a_new_skill_a_deletion_and_a_membership() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let tok = hw_token(&emu);
    let post = |path: &str, body: Value| huawei_ok(&emu, "POST", path, &tok, Some(body));
    let skill_ids = |page: &Value| -> Vec<i64> {
        page["data"]
            .as_array()
            .unwrap_or_else(|| panic!("data: {page}"))
            .iter()
            .map(|s| s["skillId"].as_i64().unwrap())
            .collect()
    };
    let skills = || skill_ids(&post(HW_SKILLS, json!({})));
    let first = skills();
    assert_eq!(skills(), first, "the same page twice");
    let merge = |tenant: Value| merge_tenant(&emu, tenant);
    merge(json!({"id": "huawei-demo", "queues": [{"id": "9", "name": "Added skill"}]}));
    assert!(skills().contains(&9), "the new skill is listed");
    let r = post(HW_DELETE_SKILL, json!({"skillIds": "9"}));
    assert_eq!(r["returnCode"], "0", "{r}");
    assert_eq!(skills(), first, "and gone again");

    let members = || {
        let page = post(
            HW_BY_SKILL,
            json!({"requestParam": {"skillId": 1, "pageSize": 20, "pageNum": 0}}),
        );
        let mut ids: Vec<String> = page["data"]
            .as_array()
            .unwrap_or_else(|| panic!("data: {page}"))
            .iter()
            .map(|a| a["workNo"].to_string())
            .collect();
        ids.sort();
        ids
    };
    let before = members();
    assert_eq!(members(), before, "the same page twice");
    merge(json!({"id": "huawei-demo", "agents": [{"id": "1523", "queues": ["2"]}]}));
    let after = members();
    assert_eq!(after.len() + 1, before.len(), "{before:?} -> {after:?}");
}

const HW_DELETE_SKILL: &str = "/apiaccess/rest/cc-management/v1/skill/deleteSkill";

fn udesk_queue(list: &Value, id: &str) -> Option<Value> {
    list["Queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["QueueId"] == id)
        .cloned()
}

#[test]
fn the_udesk_queue_list_follows_a_create_a_rename_and_a_delete() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let first = udesk_ok(&emu, "GET", "/queues", None);
    assert_eq!(udesk_ok(&emu, "GET", "/queues", None), first);

    let made = udesk_ok(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Kept list test"})),
    );
    let id = made["QueueId"].as_str().unwrap().to_string();
    let created = udesk_ok(&emu, "GET", "/queues", None);
    assert_eq!(
        udesk_queue(&created, &id).unwrap()["Name"],
        "Kept list test"
    );

    udesk_ok(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": id, "QueueName": "Renamed list test"})),
    );
    let renamed = udesk_ok(&emu, "GET", "/queues", None);
    assert_eq!(
        udesk_queue(&renamed, &id).unwrap()["Name"],
        "Renamed list test"
    );

    udesk_ok(&emu, "DELETE", "/queues", Some(json!({"QueueId": id})));
    let deleted = udesk_ok(&emu, "GET", "/queues", None);
    assert!(udesk_queue(&deleted, &id).is_none(), "{deleted}");
    assert_eq!(deleted, first);
}

#[test]
fn a_udesk_queue_agent_list_follows_a_state_change_and_the_clock() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let members = |emu: &ccemu::Emulator| {
        let list = udesk_ok(emu, "GET", "/queues/agents_list/9001", None);
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["AgentId"].as_str().unwrap().starts_with("9006@"))
            .unwrap_or_else(|| panic!("9006 in queue 9001: {list}"))["State"]
            .clone()
    };
    let before = members(&emu);
    udesk_set_state(&emu, "9006", "idle");
    let idle = members(&emu);
    assert_ne!(idle, before, "an admin state change shows");

    // A call rings the idle member; only the clock moves it on to talking and wrap-up.
    let seen = call_steps(&emu, members);
    for w in seen.windows(2) {
        assert_ne!(w[0], w[1], "every step shows in the list: {seen:?}");
    }
    assert_eq!(seen[3], idle, "idle again: {seen:?}");

    // A state the fixture's timeline gives at a later instant: nothing but the clock moves.
    let (before, after) = timeline_step(&emu, members);
    assert_ne!(after, before, "the timeline's state shows at its instant");
}

#[test]
fn a_udesk_agent_read_follows_a_rename_a_state_change_and_the_clock() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let read = |emu: &ccemu::Emulator| udesk_ok(emu, "GET", "/agents/9006", None);
    let first = read(&emu);
    assert_eq!(read(&emu), first, "the same agent twice");

    udesk_ok(
        &emu,
        "PUT",
        "/agents/9006",
        Some(json!({"Name": "Renamed 9006"})),
    );
    assert_eq!(read(&emu)["Name"], "Renamed 9006");

    udesk_set_state(&emu, "9006", "idle");
    let idle = read(&emu);
    assert_ne!(idle["State"], first["State"], "an admin state change shows");

    let seen = call_steps(&emu, |emu| read(emu)["State"].clone());
    for w in seen.windows(2) {
        assert_ne!(w[0], w[1], "every step of a call shows: {seen:?}");
    }

    let (before, after) = timeline_step(&emu, |emu| read(emu)["State"].clone());
    assert_ne!(after, before, "the timeline's state shows at its instant");

    // An unknown agent is still refused, kept answers or not.
    let r = udesk(&emu, "GET", "/agents/999999", None);
    assert_ne!(r.json["ErrCode"], "000000", "{}", r.text);
}

const HW_AGENT_INFO: &str = "/apiaccess/CC-Mangemant/v1/queryAgentInfo";

#[test]
fn huawei_query_agent_info_follows_a_new_sip_password_and_a_new_agent() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let tok = hw_token(&emu);
    let info = || huawei_ok(&emu, "GET", HW_AGENT_INFO, &tok, None);
    let pwd_of = |page: &Value, work_no: i64| -> Option<String> {
        page["agents"]
            .as_array()
            .unwrap_or_else(|| panic!("agents: {page}"))
            .iter()
            .find(|a| a["workNo"] == work_no)
            .map(|a| a["sipPwd"].as_str().unwrap_or_default().to_string())
    };
    let first = info();
    assert_eq!(info(), first, "the same answer twice");
    assert_eq!(
        pwd_of(&first, 1522).as_deref(),
        Some("Sip@1522pw"),
        "{first}"
    );
    let merge = |agent: Value| merge_tenant(&emu, json!({"id": "huawei-demo", "agents": [agent]}));
    merge(json!({"id": "1522", "sip_password": "Changed@1522"}));
    assert_eq!(pwd_of(&info(), 1522).as_deref(), Some("Changed@1522"));
    merge(
        json!({"id": "1599", "name": "Agent 1599", "account_code": "zz99",
                 "sip_number": "88881699", "sip_password": "Sip@1599pw", "queues": ["1"]}),
    );
    assert_eq!(
        pwd_of(&info(), 1599).as_deref(),
        Some("Sip@1599pw"),
        "the new agent is listed"
    );
}

#[test]
fn an_nxcloud_status_info_follows_a_state_change_a_rename_and_the_clock() {
    let emu = start();
    let t0 = now_ms(&emu);
    freeze_at(&emu, t0);
    let day = t0 / 1000;
    let info = |emu: &ccemu::Emulator, from: i64| {
        let body = json!({"tenantId": NX_TENANT, "userName": "NXAgent1000013",
                          "startDateTime": from, "endDateTime": day + 3600});
        nx_ok(emu, "agent/status/info", &body)["data"][0].clone()
    };
    let idle_s = |v: &Value| v["idleDuration"].as_i64().unwrap();
    let first = info(&emu, day - 86400);
    assert_eq!(info(&emu, day - 86400), first, "the same window twice");

    let body =
        json!({"vendor": "nxcloud", "tenant": "144", "agent": "NXAgent1000013", "state": "idle"});
    let r = admin(&emu, "POST", "/agent-state", Some(body));
    assert_eq!(r.status, 200, "{}", r.text);
    let idle = info(&emu, day - 86400);
    assert_ne!(idle, first, "an admin state change shows");

    // Only the clock moves: the idle seconds grow with it.
    admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 5000})));
    let later = info(&emu, day - 86400);
    assert_eq!(idle_s(&later) - idle_s(&idle), 5, "{idle} then {later}");
    // Another window is another answer, not the one kept for the first.
    let narrow = info(&emu, day + 2);
    assert!(idle_s(&narrow) < idle_s(&later), "{narrow} vs {later}");

    // A rename no vendor request made (a fixture merge) shows too.
    let agent = json!({"id": "NXAgent1000013", "nick_name": "Renamed seat"});
    merge_tenant(&emu, json!({"id": "144", "agents": [agent]}));
    assert_eq!(info(&emu, day - 86400)["nickName"], "Renamed seat");
}

#[test]
fn huawei_by_account_follows_a_new_password_a_state_change_and_the_clock() {
    const BY_ACCOUNT: &str = "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount";
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    let tok = hw_token(&emu);
    let ask = |body: Value| huawei(&emu, "POST", BY_ACCOUNT, &tok, Some(body));
    let signed_in = json!({"accountCode": "aaaa", "password": "Agent@1522"});
    let first = ask(signed_in.clone());
    assert_eq!(first.json["data"]["workNo"], 1522, "{}", first.text);
    assert_eq!(
        ask(signed_in.clone()).json,
        first.json,
        "the same answer twice"
    );
    // A password already accepted does not let another through.
    assert_eq!(
        ask(json!({"accountCode": "aaaa", "password": "bad"})).status,
        403
    );
    // Nor does an unknown code's answer stand for a known code with a password that, joined to
    // it, spells the same text.
    let run_on = ask(json!({"accountCode": "aaaa/password/Agent@1522"}));
    assert_eq!(run_on.json["returnCode"], "1", "{}", run_on.text);
    assert_eq!(
        ask(json!({"accountCode": "aaaa", "password": "Agent@1522/-/"})).status,
        403
    );
    // The password changes: the old one is refused at once, the new one accepted.
    merge_tenant(
        &emu,
        json!({"id": "huawei-demo", "agents": [{"id": "1522", "password": "Next@1522"}]}),
    );
    assert_eq!(ask(signed_in.clone()).status, 403);
    let next = json!({"accountCode": "aaaa", "password": "Next@1522"});
    assert_eq!(ask(next.clone()).json["data"]["workNo"], 1522);
    // The status moves with the clock alone (a timeline state) and with a write.
    let (idle, busy) = {
        let at = now_ms(&emu) + 5000;
        let agent = json!({"id": "1522", "timeline": [{"at_ms": at, "state": "busy"}]});
        merge_tenant(&emu, json!({"id": "huawei-demo", "agents": [agent]}));
        let before = ask(next.clone()).json;
        admin(&emu, "POST", "/clock", Some(json!({"advance_ms": 5000})));
        (before, ask(next.clone()).json)
    };
    assert_ne!(
        idle["data"]["agentStatus"], busy["data"]["agentStatus"],
        "{idle} then {busy}"
    );
    // A new account is found once it exists.
    let zz = json!({"accountCode": "zz99"});
    assert_eq!(ask(zz.clone()).json["returnCode"], "1");
    merge_tenant(
        &emu,
        json!({"id": "huawei-demo", "agents": [{"id": "1599", "name": "Agent 1599",
            "account_code": "zz99", "queues": ["1"]}]}),
    );
    assert_eq!(ask(zz).json["data"]["workNo"], 1599);
}

/// The same bytes of a kept read, sent by another team: answered as that team's request (its
/// tenantId check and its own page), never with the page kept for the first team.
#[test]
fn the_same_bytes_from_another_team_are_that_teams_request() {
    let emu = start();
    freeze_at(&emu, now_ms(&emu));
    merge_tenant(
        &emu,
        json!({"id": "145", "name": "Other team",
               "credentials": {"vendor": "nxcloud", "access_key": "other-key", "access_secret": "other-secret"},
               "agents": [{"id": "NXOther0001", "name": "Other"}]}),
    );
    let as_team = |key: &str, secret: &str, body: &[u8]| {
        let headers = nx_headers_as(key, secret, now_ms(&emu), body);
        nx_send(&emu, "agent/page", &headers, body)
    };
    let demo_page = br#"{"tenantId":144,"page":1,"size":2}"#;
    let first = as_team(NX_ACCESS_KEY, NX_SECRET, demo_page);
    assert_eq!(first.json["code"], 0, "{}", first.text);
    assert_eq!(
        as_team(NX_ACCESS_KEY, NX_SECRET, demo_page).json["data"],
        first.json["data"],
        "kept for the demo team"
    );
    let other = as_team("other-key", "other-secret", demo_page);
    assert_ne!(other.json["code"], 0, "{}", other.text);
    let own = as_team(
        "other-key",
        "other-secret",
        br#"{"tenantId":145,"page":1,"size":2}"#,
    );
    assert_eq!(own.json["code"], 0, "{}", own.text);
    assert_eq!(
        own.json["data"][0]["userName"], "NXOther0001",
        "{}",
        own.text
    );
    assert_eq!(own.json["total"], 1, "{}", own.text);
}
