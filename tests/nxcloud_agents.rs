//! NXCloud agents: agent/status/info durations from the model's timeline (the document's example,
//! a scripted session on the virtual clock, windows that cut states, several sessions, an agent
//! never logged in, and a property over random timelines) and the agent/page list.

mod common;
use ccemu::model::{AgentState, StateChange};
use ccemu::vendors::nxcloud::agents::status_durations;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A whole second well after the fixture's recorded day.
const T: i64 = 1_704_700_000_000;
const T_S: i64 = T / 1000;
const DURATIONS: [&str; 10] = [
    "busyDuration",
    "wrapupDuration",
    "idleDuration",
    "callingDuration",
    "ringingDuration",
    "meetingDuration",
    "eatingDuration",
    "wcDuration",
    "sleepDuration",
    "otherDuration",
];

fn status(emu: &ccemu::Emulator, user: &str, start: i64, end: i64) -> Value {
    let r = nx_call(
        emu,
        "agent/status/info",
        &json!({"tenantId": 144, "userName": user, "startDateTime": start, "endDateTime": end}),
    );
    assert_eq!(r.json["code"], 0, "{}", r.text);
    let data = r.json["data"].as_array().expect("a list").clone();
    assert_eq!(data.len(), 1);
    data[0].clone()
}

fn set_state(emu: &ccemu::Emulator, agent: &str, state: &str, at_ms: Option<i64>) {
    let mut body = json!({"vendor": "nxcloud", "tenant": "144", "agent": agent, "state": state});
    if let Some(at) = at_ms {
        body["at_ms"] = json!(at);
    }
    let r = admin(emu, "POST", "/agent-state", Some(body));
    assert_eq!(r.status, 200, "{}", r.text);
}

fn advance(emu: &ccemu::Emulator, ms: i64) {
    let r = admin(emu, "POST", "/clock", Some(json!({"advance_ms": ms})));
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The durations that are not zero, by name.
fn nonzero(entry: &Value) -> Vec<(&'static str, i64)> {
    DURATIONS
        .iter()
        .map(|d| (*d, entry[d].as_i64().unwrap()))
        .filter(|(_, v)| *v != 0)
        .collect()
}

#[test]
fn the_documents_request_example_reports_the_recorded_day() {
    let emu = start();
    // The document sends its long timestamps as strings.
    let body = br#"{
"tenantId": 144,
"userName": "NXAgent0001",
"startDateTime":"1704643200",
"endDateTime":"1704729600"
}"#;
    let r = nx_send(
        &emu,
        "agent/status/info",
        &nx_headers(now_ms(&emu), body),
        body,
    );
    assert_eq!(
        (r.status, r.json["code"].as_i64()),
        (200, Some(0)),
        "{}",
        r.text
    );
    let e = &r.json["data"][0];
    assert_eq!(
        nonzero(e),
        [
            ("busyDuration", 900),
            ("wrapupDuration", 30),
            ("idleDuration", 20_960),
            ("callingDuration", 300),
            ("ringingDuration", 10),
            ("meetingDuration", 1800),
            ("eatingDuration", 3600),
            ("wcDuration", 300),
            ("sleepDuration", 600),
            ("otherDuration", 300),
        ]
    );
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(1_704_646_800), Some(1_704_675_600))
    );
    insta::assert_json_snapshot!("status_info_example", r.json, {".reqId" => "[reqId]"});
}

#[test]
fn a_scripted_session_on_the_virtual_clock() {
    let emu = start();
    freeze_at(&emu, T);
    let agent = "NXAgent1000013";
    set_state(&emu, agent, "idle", None);
    advance(&emu, 200_000);
    set_state(&emu, agent, "calling", None);
    advance(&emu, 50_000);
    set_state(&emu, agent, "wrapup", None);
    // Still logged in: the open state runs until now and there is no logout yet.
    let e = status(&emu, agent, T_S - 100, T_S + 1000);
    assert_eq!(
        nonzero(&e),
        [("idleDuration", 200), ("callingDuration", 50)]
    );
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(T_S), Some(0))
    );
    advance(&emu, 10_000);
    set_state(&emu, agent, "offline", None);
    advance(&emu, 500_000);
    let e = status(&emu, agent, T_S - 100, T_S + 1000);
    assert_eq!(
        nonzero(&e),
        [
            ("wrapupDuration", 10),
            ("idleDuration", 200),
            ("callingDuration", 50)
        ]
    );
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(T_S), Some(T_S + 260))
    );
    assert_eq!(
        (e["userName"].as_str(), e["sipNumber"].as_str()),
        (Some(agent), Some(agent))
    );
    assert_eq!(e["nickName"], "example2");
    // A window that cuts idle and calling in the middle.
    let e = status(&emu, agent, T_S + 100, T_S + 225);
    assert_eq!(
        nonzero(&e),
        [("idleDuration", 100), ("callingDuration", 25)]
    );
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(T_S), Some(T_S + 260))
    );
    // A window that starts inside wrap-up and ends after the logout.
    let e = status(&emu, agent, T_S + 255, T_S + 400);
    assert_eq!(nonzero(&e), [("wrapupDuration", 5)]);
    // A window before the login and one after the logout see nothing.
    for (s, end) in [(T_S - 500, T_S), (T_S + 260, T_S + 600)] {
        let e = status(&emu, agent, s, end);
        assert_eq!(nonzero(&e), []);
        assert_eq!(
            (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
            (Some(0), Some(0)),
            "{s}..{end}"
        );
    }
}

#[test]
fn several_sessions_in_one_window() {
    let emu = start();
    freeze_at(&emu, T + 3_600_000);
    let agent = "NXAgent1000013";
    set_state(&emu, agent, "idle", Some(T));
    set_state(&emu, agent, "offline", Some(T + 100_000));
    set_state(&emu, agent, "busy", Some(T + 200_000));
    set_state(&emu, agent, "rest:wc", Some(T + 250_000));
    set_state(&emu, agent, "offline", Some(T + 300_000));
    set_state(&emu, agent, "idle", Some(T + 400_000));
    // Both closed sessions and the open third: first login, and 0 since the last is open.
    let e = status(&emu, agent, T_S, T_S + 3600);
    assert_eq!(
        nonzero(&e),
        [
            ("busyDuration", 50),
            ("idleDuration", 100 + 3200),
            ("wcDuration", 50)
        ]
    );
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(T_S), Some(0))
    );
    // Overlapping the end of the first and the start of the second session.
    let e = status(&emu, agent, T_S + 50, T_S + 225);
    assert_eq!(nonzero(&e), [("busyDuration", 25), ("idleDuration", 50)]);
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(T_S), Some(T_S + 300))
    );
    // Between two sessions.
    let e = status(&emu, agent, T_S + 120, T_S + 180);
    assert_eq!(nonzero(&e), []);
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(0), Some(0))
    );
}

#[test]
fn an_agent_never_logged_in_reports_zeroes() {
    let emu = start();
    let e = status(&emu, "example@nxcloud.com", 1_704_643_200, 1_704_729_600);
    assert_eq!(nonzero(&e), []);
    assert_eq!(
        (e["loginTimeStamp"].as_i64(), e["logoutTimeStamp"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(e["sipNumber"], "NXAgent000011");
}

#[test]
fn status_info_refusals() {
    let emu = start();
    let day = 86_400;
    let ok = status(&emu, "NXAgent0001", 1_704_643_200, 1_704_643_200 + 31 * day);
    assert_eq!(ok["idleDuration"], 20_960, "exactly 31 days is allowed");
    for (body, code, needle) in [
        (
            json!({"userName": "NXAgent0001", "startDateTime": 200, "endDateTime": 100}),
            41000,
            "later",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": 100, "endDateTime": 100}),
            41000,
            "later",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": 0, "endDateTime": 31 * day + 1}),
            41000,
            "31 days",
        ),
        (
            json!({"userName": "NXAgent0001", "endDateTime": 100}),
            41000,
            "Start date cannot be empty",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": 100}),
            41000,
            "End date cannot be empty",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": 1_704_643_200_000_i64, "endDateTime": 1_704_729_600_000_i64}),
            41000,
            "milliseconds",
        ),
        (
            json!({"userName": "nobody", "startDateTime": 0, "endDateTime": 100}),
            41000,
            "nobody",
        ),
        (
            json!({"startDateTime": 0, "endDateTime": 100}),
            1002,
            "userName",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": "yesterday", "endDateTime": 100}),
            1002,
            "startDateTime",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": 0, "endDateTime": [1]}),
            1002,
            "endDateTime",
        ),
        (
            json!({"userName": "NXAgent0001", "startDateTime": -5, "endDateTime": 100}),
            1002,
            "startDateTime",
        ),
    ] {
        let mut body = body;
        body["tenantId"] = json!(144);
        let r = nx_call(&emu, "agent/status/info", &body);
        assert_eq!(
            (r.status, r.json["code"].as_i64()),
            (200, Some(code)),
            "{body}: {}",
            r.text
        );
        assert!(
            r.json["msg"].as_str().unwrap().contains(needle),
            "{body}: {}",
            r.text
        );
        assert_eq!(r.json["data"], json!({}));
    }
}

#[test]
fn agent_page_lists_seats() {
    let emu = start();
    let r = admin(
        &emu,
        "POST",
        "/fixture",
        Some(
            json!({"tenants": [{"id": "144", "agents": [{"id": "NXAgent0001", "created_ms": T,
            "modified_ms": T + 1000, "allow_country": ["HK", "ID"], "end_point_name": "Hong Kong",
            "recording": true, "recording_storage_days": 90}]}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": 144, "size": 200, "page": 1}),
    );
    assert_eq!(
        (r.json["code"].as_i64(), r.json["total"].as_i64()),
        (Some(0), Some(3)),
        "{}",
        r.text
    );
    let users: Vec<&str> = r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["userName"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        ["NXAgent0001", "NXAgent1000013", "example@nxcloud.com"]
    );
    assert_eq!(
        r.json["data"][0],
        json!({"allowCountry": ["HK", "ID"], "endPointName": "Hong Kong", "gmtCreate": "2024-01-08 07:46:40",
            "gmtModified": "2024-01-08 07:46:41", "queueName": [], "nickName": "agent0001", "recording": 1,
            "recordingStorageDays": 90, "sipNumber": "NXAgent0001", "status": 1, "userName": "NXAgent0001"})
    );
    assert_eq!(r.json["data"][2]["queueName"], json!(["NX demo group"]));
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"userName": "example@", "tenantId": 144, "size": 100, "page": 1}),
    );
    assert_eq!(
        (
            r.json["total"].as_i64(),
            r.json["data"][0]["sipNumber"].as_str()
        ),
        (Some(1), Some("NXAgent000011"))
    );
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": 144, "size": 2, "page": 2}),
    );
    assert_eq!(
        (
            r.json["total"].as_i64(),
            r.json["data"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    let r = nx_call(
        &emu,
        "agent/page",
        &json!({"tenantId": 144, "size": 300, "page": 1}),
    );
    assert_eq!(r.json["code"], 41000, "{}", r.text);
}

fn timeline() -> impl Strategy<Value = Vec<StateChange>> {
    prop::collection::vec(
        (
            0i64..5_000_000,
            prop::sample::select(AgentState::ALL.to_vec()),
        ),
        0..30,
    )
    .prop_map(|mut v| {
        v.sort_by_key(|(at, _)| *at);
        v.into_iter()
            .map(|(at_ms, state)| StateChange { at_ms, state })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn durations_never_sum_to_more_than_the_window(
        tl in timeline(),
        start in -1_000i64..5_000,
        len in 1i64..5_000,
        now_ms in -1_000_000i64..6_000_000,
    ) {
        let s = status_durations(&tl, start, start + len, now_ms);
        let parts = [s.busy_duration, s.wrapup_duration, s.idle_duration, s.calling_duration,
            s.ringing_duration, s.meeting_duration, s.eating_duration, s.wc_duration,
            s.sleep_duration, s.other_duration];
        prop_assert!(parts.iter().all(|d| *d >= 0), "{:?}", parts);
        let sum: i64 = parts.iter().sum();
        prop_assert!(sum <= len, "sum {} > window {}", sum, len);
        // Nothing is counted after the virtual now.
        let elapsed = (now_ms.div_euclid(1000) + 1 - start).clamp(0, len);
        prop_assert!(sum <= elapsed, "sum {} > elapsed {}", sum, elapsed);
        if s.login_time_stamp != 0 && s.logout_time_stamp != 0 {
            prop_assert!(s.login_time_stamp <= s.logout_time_stamp);
        }
    }
}

/// The members of `text`'s first object after `from` come in `order` (a parsed `Value` would
/// sort them, so this reads the bytes on the wire).
fn assert_wire_order(text: &str, from: &str, order: &[&str]) {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("{from} in {text}"));
    let mut at = start;
    for key in order {
        let pos = text[start..]
            .find(&format!("\"{key}\":"))
            .map(|p| p + start)
            .unwrap_or_else(|| panic!("{key} in {text}"));
        assert!(pos >= at, "{key} out of the document's order in {text}");
        at = pos;
    }
}

#[test]
fn answers_keep_the_documents_member_order_on_the_wire() {
    let emu = start();
    let body = json!({"tenantId": 144, "userName": "NXAgent0001",
                      "startDateTime": 1_704_643_200, "endDateTime": 1_704_729_600});
    let r = nx_call(&emu, "agent/status/info", &body);
    assert_eq!(r.json["code"], 0, "{}", r.text);
    assert_wire_order(&r.text, "{", &["reqId", "code", "msg", "data"]);
    assert_wire_order(
        &r.text,
        "\"data\":[{",
        &[
            "sipNumber",
            "nickName",
            "userName",
            "busyDuration",
            "wrapupDuration",
            "idleDuration",
            "callingDuration",
            "ringingDuration",
            "meetingDuration",
            "eatingDuration",
            "wcDuration",
            "sleepDuration",
            "otherDuration",
            "loginTimeStamp",
            "logoutTimeStamp",
        ],
    );
    let r = nx_call(
        &emu,
        "agentGroup/member/list",
        &json!({"tenantId": 144, "queueNo": "NXQueue0001"}),
    );
    assert_wire_order(
        &r.text,
        "\"data\":[{",
        &["sipNumber", "nickName", "userName"],
    );
}
