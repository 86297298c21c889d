//! 11–17 and 26: queues, their members and agents' queue enrolment.
mod common;
use common::*;
use serde_json::{json, Value};

const APP: &str = UDESK_APP_ID;

fn queue_ids(emu: &ccemu::Emulator) -> Vec<String> {
    udesk_ok(emu, "GET", "/queues", None)["Queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["QueueId"].as_str().unwrap().to_string())
        .collect()
}

fn agent_queues(emu: &ccemu::Emulator, agent: &str) -> Vec<String> {
    udesk_ok(emu, "GET", &format!("/agents/{agent}"), None)["Queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q.as_str()
                .unwrap()
                .trim_end_matches(&format!("@{APP}"))
                .to_string()
        })
        .collect()
}

#[test]
fn list_answers_every_queue() {
    let emu = start();
    let r = udesk_ok(&emu, "GET", "/queues", None);
    assert_eq!(
        r["Queues"][3],
        json!({"QueueId": "9001", "Name": "Admin test ", "Strategy": 0, "Timeout": 0, "WaitMusic": "waitmusic.wav"})
    );
    assert_eq!(queue_ids(&emu), ["114", "3", "551", "9001", "9003", "9009"]);
}

#[test]
fn create_assigns_ids_and_keeps_names_unique() {
    let emu = start();
    let r = udesk_ok(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueId": "9008", "QueueName": "Q7", "WaitMusic": ""})),
    );
    assert_eq!(r, json!({"QueueId": "181154"}));
    let r = udesk_ok(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Q8", "Strategy": 2, "Timeout": 30})),
    );
    assert_eq!(r, json!({"QueueId": "181155"}));
    let q = udesk_ok(&emu, "GET", "/queues", None)["Queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["QueueId"] == "181155")
        .cloned()
        .unwrap();
    assert_eq!(
        (q["Strategy"].clone(), q["Timeout"].clone()),
        (json!(2), json!(30))
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Q7"})),
        "100006",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Admin test "})),
        "100006",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueId": "9010"})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Q9", "Strategy": 3})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": "Q9", "Timeout": -1})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues",
        Some(json!({"QueueName": 9})),
        "000001",
    );
}

#[test]
fn modify_validates_strategy_and_names() {
    let emu = start();
    assert_eq!(
        udesk_ok(&emu, "PUT", "/queues", Some(json!({"QueueId": "9009"}))),
        Value::Null
    );
    udesk_ok(
        &emu,
        "PUT",
        "/queues",
        Some(
            json!({"QueueId": "9009", "QueueName": "Renamed", "Strategy": 1, "Timeout": 20, "WaitMusic": "m.wav"}),
        ),
    );
    let q = udesk_ok(&emu, "GET", "/queues", None)["Queues"][5].clone();
    assert_eq!(
        q,
        json!({"QueueId": "9009", "Name": "Renamed", "Strategy": 1, "Timeout": 20, "WaitMusic": "m.wav"})
    );
    // Its own name is not a clash.
    udesk_ok(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": "9009", "QueueName": "Renamed"})),
    );
    udesk_refused(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": "9009", "QueueName": "Support"})),
        "100006",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": "9009", "Strategy": 5})),
        "000001",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": "9009", "Strategy": -1})),
        "000001",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueId": "9999"})),
        "100018",
    );
    udesk_refused(
        &emu,
        "PUT",
        "/queues",
        Some(json!({"QueueName": "x"})),
        "100001",
    );
}

#[test]
fn delete_refuses_a_queue_with_agents() {
    let emu = start();
    udesk_refused(
        &emu,
        "DELETE",
        "/queues",
        Some(json!({"QueueId": "9001"})),
        "100022",
    );
    udesk_ok(&emu, "DELETE", "/queues", Some(json!({"QueueId": "9009"})));
    assert_eq!(queue_ids(&emu), ["114", "3", "551", "9001", "9003"]);
    udesk_refused(
        &emu,
        "DELETE",
        "/queues",
        Some(json!({"QueueId": "9009"})),
        "100018",
    );
    udesk_refused(&emu, "DELETE", "/queues", Some(json!({})), "100001");
}

#[test]
fn batch_add_is_incremental_and_all_or_nothing() {
    let emu = start();
    udesk_ok(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"QueueId": "9009", "AgentIds": ["9009", "9008"]})),
    );
    udesk_ok(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"QueueId": "9009", "AgentIds": ["9007", "9006"]})),
    );
    let members: Vec<Value> = udesk_ok(&emu, "GET", "/queues/agents_list/9009", None)
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AgentId"].clone())
        .collect();
    assert_eq!(
        members,
        ["9006", "9007", "9008", "9009"].map(|a| json!(format!("{a}@{APP}")))
    );
    assert_eq!(agent_queues(&emu, "9006"), ["9001", "9009"]);
    udesk_refused(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"QueueId": "9009", "AgentIds": ["189", "4242"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"QueueId": "7777", "AgentIds": ["189"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"QueueId": "9009", "AgentIds": []})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/queues/agents",
        Some(json!({"AgentIds": ["189"]})),
        "100001",
    );
}

#[test]
fn enrolment_adds_or_replaces() {
    let emu = start();
    udesk_ok(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["9003"]})),
    );
    assert_eq!(agent_queues(&emu, "9415"), ["114", "551", "9001", "9003"]);
    udesk_ok(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551", "114"], "IsFull": 1})),
    );
    assert_eq!(agent_queues(&emu, "9415"), ["114", "551"]);
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551", "7777"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "4242", "Queues": ["551"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551"], "IsFull": 2})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": [], "IsFull": 1})),
        "000001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": []})),
        "100001",
    );
    udesk_refused(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415"})),
        "100001",
    );
}

#[test]
fn dequeue_never_leaves_an_agent_in_no_queue() {
    let emu = start();
    udesk_ok(
        &emu,
        "POST",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551", "114"]})),
    );
    udesk_ok(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["551", "114"]})),
    );
    assert_eq!(agent_queues(&emu, "9415"), ["9001"]);
    let r = udesk_refused(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["9001"]})),
        "000001",
    );
    assert!(r.json["ErrDesc"]
        .as_str()
        .unwrap()
        .contains("at least one queue"));
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["9001", "551"]})),
        "000001",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["7777"]})),
        "100018",
    );
    udesk_refused(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "4242", "Queues": ["9001"]})),
        "100018",
    );
    // A queue it is not in is ignored.
    udesk_ok(
        &emu,
        "DELETE",
        "/agents/queues",
        Some(json!({"AgentId": "9415", "Queues": ["9003"]})),
    );
    assert_eq!(agent_queues(&emu, "9415"), ["9001"]);
}

#[test]
fn queue_agent_list_uses_the_get_agent_shape() {
    let emu = start();
    let r = udesk_ok(&emu, "GET", "/queues/agents_list/9003", None);
    let list = r.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0], udesk_ok(&emu, "GET", "/agents/189", None));
    assert_eq!(
        udesk_ok(&emu, "GET", "/queues/agents_list/9009", None),
        json!([])
    );
    udesk_refused(&emu, "GET", "/queues/agents_list/4", None, "100018");
}
