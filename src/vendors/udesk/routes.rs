//! The ccapi v2 routing table, in the document's order. Literal segments come before `{id}`
//! patterns where both could match (`/agents/extensions` before `/agents/{id}`).
//!
//! Each route carries its contract (`crate::contract`): the document's request tables (query,
//! path, body), the envelope it answers in, the return codes it can answer and the document's
//! example body. The document's blank "Email" rows are read as `Email`; section 18 types
//! `subscriptions` as `object` while its example (and every client) sends a list, so it is
//! described as either (`object_or_list`), as the handler reads it.

use super::{
    agents, callback, extensions, queue_members, queues, relay_numbers, sessions, subscriptions,
    Envelope, Handler,
};
use crate::op::{opt, req, Auth, Field, In::*, Op, Ty::*};
use crate::routing::Route;
use hyper::Method;

use Envelope::*;

/// The source document of every route: the vendor's ccapi v2 reference, whose sections are
/// numbered; `$section` is the section's own title.
macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $env:ident, $section:literal,
     [$($field:expr),* $(,)?], [$($code:literal),*], $example:expr) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            head: crate::routing::head($pattern),
            operation: $op,
            doc: concat!("Udesk CCPaaS ccapi v2 API documentation, ", $section),
            contract: &Op {
                auth: Auth::QuerySignature,
                request: &[$($field),*],
                has_body: !matches!(Method::$method, Method::GET),
                envelope: envelope_name($env),
                answer: answer_of($env),
                errors: &[
                    "000001", "000035", "000036", "000060", "100001", "100002", "100003",
                    "100017", "200020" $(, $code)*
                ],
                example: $example,
            },
            handler: ($handler as Handler, $env),
        }
    };
}

/// The signature parameters every ccapi v2 call carries in its query (section "Authentication
/// Method"); `AppId` as the general specification spells it.
const APP_ID: Field = req(Query, "AppId", String);
/// Sections 23 and 24 spell the tenant `app_id`.
const APP_ID_SNAKE: Field = req(Query, "app_id", String);
const TIMESTAMP: Field = req(Query, "Timestamp", TimestampMs);
const SIGN: Field = req(Query, "Sign", String);
const SID: Field = req(Query, "Sid", String);

const fn envelope_name(e: Envelope) -> &'static str {
    match e {
        Standard => "udesk.standard",
        Session => "udesk.session",
        Callback => "udesk.callback",
    }
}

const STANDARD: &[Field] = &[
    req(Body, "ErrCode", String),
    req(Body, "ErrDesc", String),
    req(Body, "Result", Any),
];
const SESSION: &[Field] = &[
    req(Body, "ErrCode", String),
    req(Body, "ErrDesc", String),
    req(Body, "msg_id", String),
    req(Body, "results", String),
    req(Body, "data", Any),
];
const CALLBACK: &[Field] = &[
    req(Body, "code", String),
    req(Body, "message", String),
    req(Body, "results", Any),
];
/// Section 18's members of each subscription.
const SUBSCRIPTION: &[Field] = &[
    req(Body, "callback", String),
    req(Body, "events", StringList),
    req(Body, "name", String),
];

const fn answer_of(e: Envelope) -> &'static [Field] {
    match e {
        Standard => STANDARD,
        Session => SESSION,
        Callback => CALLBACK,
    }
}

/// The table described, for the route catalogue.
pub fn catalogue() -> impl Iterator<Item = crate::routing::Described> {
    crate::routing::describe(ROUTES)
}

pub static ROUTES: &[Route<(Handler, Envelope)>] = &[
    route!(
        GET,
        "/ccapi/v2/spnumbers",
        "getRelayNumberList",
        relay_numbers::list,
        Standard,
        "01. Get Relay Number List",
        [APP_ID, TIMESTAMP, SIGN, SID],
        [],
        None
    ),
    route!(
        PUT,
        "/ccapi/v2/spnumbers/default",
        "modifyDefaultRelayNumber",
        relay_numbers::set_default,
        Standard,
        "02. Modify Default Relay Number",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            opt(Body, "DefSpNumber", String)
        ],
        ["100005"],
        Some(r#"{"DefSpNumber":"057126200670"}"#)
    ),
    route!(
        DELETE,
        "/ccapi/v2/spnumbers/default",
        "deleteDefaultRelayNumber",
        relay_numbers::clear_default,
        Standard,
        "03. Delete Default Relay Number",
        [APP_ID, TIMESTAMP, SIGN, SID],
        [],
        None
    ),
    route!(
        POST,
        "/ccapi/v2/agents",
        "createAgent",
        agents::create,
        Standard,
        "04. Create Agent",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "AgentId", String),
            req(Body, "WorkId", String),
            opt(Body, "Name", String),
            opt(Body, "Mobile", String),
            opt(Body, "Email", String),
            opt(Body, "Role", String),
            opt(Body, "Enable", Boolean),
            opt(Body, "IsCreateExtension", Flag),
            opt(Body, "WrapUpTime", Integer),
            opt(Body, "OutWrapUpTime", Integer),
            opt(Body, "AssistantAccessRight", Integer),
        ],
        ["100006", "100015"],
        Some(r#"{"AgentId": "9415", "WorkId": "199"}"#)
    ),
    route!(
        GET,
        "/ccapi/v2/agents",
        "getAgentList",
        agents::list,
        Standard,
        "06. Get Seat List",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            opt(Query, "Role", String),
            opt(Query, "Enable", String),
            opt(Query, "State", String),
            opt(Query, "FuzzyQuery", String),
            opt(Query, "PageNum", String),
            opt(Query, "PageSize", String),
        ],
        [],
        None
    ),
    route!(
        POST,
        "/ccapi/v2/agents/extensions",
        "bindAgentExtensions",
        extensions::bind,
        Standard,
        "07. Seat Extension Binding",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "AgentId", String),
            opt(Body, "WorkId", String),
            opt(Body, "Name", String),
            opt(Body, "Mobile", String),
            opt(Body, "Email", String),
            opt(Body, "Role", String),
            opt(Body, "Queues", StringList),
            opt(Body, "QueuesNames", StringList),
            req(Body, "Extensions", StringList),
            opt(Body, "State", Integer),
            opt(Body, "ExtState", Integer),
            opt(Body, "WrapUpTime", Integer),
            opt(Body, "OutWrapUpTime", Integer),
            opt(Body, "Enable", Boolean),
            opt(Body, "AssistantAccessRight", Integer),
        ],
        ["100018", "100022"],
        Some(r#"{"AgentId":"9415","Extensions":["1135"]}"#)
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/extensions",
        "unbindAgentExtensions",
        extensions::unbind,
        Standard,
        "08. Unbinding Extensions for Agents",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "Extensions", StringList),
            req(Body, "AgentId", String),
        ],
        ["100018", "100022"],
        Some(r#"{"AgentId":"9415","Extensions":["1135"]}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/agents/queues",
        "enrolAgentInQueues",
        queue_members::enrol,
        Standard,
        "16. Batch Agent Queue Enrollment",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "AgentId", String),
            req(Body, "Queues", StringList),
            opt(Body, "IsFull", Integer),
        ],
        ["100018"],
        Some(r#"{"AgentId":"9415","Queues":["551","114"],"IsFull":1}"#)
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/queues",
        "dequeueAgent",
        queue_members::dequeue,
        Standard,
        "17. Batch Agent Dequeue",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "AgentId", String),
            req(Body, "Queues", StringList),
        ],
        ["100018"],
        Some(r#"{"AgentId":"9415","Queues":["551","114"]}"#)
    ),
    route!(
        PUT,
        "/ccapi/v2/agents/{id}",
        "modifyAgent",
        agents::modify,
        Standard,
        "05. Modify Agent",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Path, "id", String),
            opt(Body, "AgentId", String),
            opt(Body, "WorkId", String),
            opt(Body, "Name", String),
            opt(Body, "Mobile", String),
            opt(Body, "Email", String),
            opt(Body, "Role", String),
            opt(Body, "Enable", Boolean),
            opt(Body, "WrapUpTime", Integer),
            opt(Body, "OutWrapUpTime", Integer),
            opt(Body, "AssistantAccessRight", Integer),
        ],
        ["100006", "100018", "100021"],
        Some(r#"{"AgentId":"9415","Enable":false}"#)
    ),
    route!(
        GET,
        "/ccapi/v2/agents/{id}",
        "getAgentInformation",
        agents::get,
        Standard,
        "25. Get Agent Information",
        [APP_ID, TIMESTAMP, SIGN, SID, req(Path, "id", String)],
        ["100018"],
        None
    ),
    route!(
        DELETE,
        "/ccapi/v2/extensions",
        "deleteExtension",
        extensions::delete,
        Standard,
        "09. Delete Extension",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "Extension", String),
            opt(Body, "Password", String),
            opt(Body, "Number", String),
            opt(Body, "SignalType", Integer),
        ],
        ["100018", "100022"],
        Some(r#"{"Extension":"1002"}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/extensions",
        "createExtension",
        extensions::create,
        Standard,
        "10. Create Extension",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "Extension", String),
            opt(Body, "Password", String),
            opt(Body, "SignalType", Integer),
        ],
        ["100015"],
        Some(r#"{"Extension":"1002","Password":"802411d4","SignalType":0}"#)
    ),
    route!(
        GET,
        "/ccapi/v2/queues",
        "getQueueList",
        queues::list,
        Standard,
        "11. Get Queue List",
        [APP_ID, TIMESTAMP, SIGN, SID],
        [],
        None
    ),
    route!(
        POST,
        "/ccapi/v2/queues",
        "createQueue",
        queues::create,
        Standard,
        "12. Creating a Queue",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            opt(Body, "QueueId", String),
            opt(Body, "QueueName", String),
            opt(Body, "WaitMusic", String),
            opt(Body, "Strategy", Integer),
            opt(Body, "Timeout", Integer),
        ],
        ["100006"],
        Some(r#"{"QueueId":"9008","QueueName":"Test Create Queue 007","WaitMusic":""}"#)
    ),
    route!(
        PUT,
        "/ccapi/v2/queues",
        "modifyQueue",
        queues::modify,
        Standard,
        "13. Modify Queue",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "QueueId", String),
            opt(Body, "QueueName", String),
            opt(Body, "Strategy", Integer),
            opt(Body, "Timeout", Integer),
            opt(Body, "WaitMusic", String),
        ],
        ["100006", "100018"],
        Some(r#"{"QueueId":"9009"}"#)
    ),
    route!(
        DELETE,
        "/ccapi/v2/queues",
        "deleteQueue",
        queues::delete,
        Standard,
        "14. Delete Queue",
        [APP_ID, TIMESTAMP, SIGN, SID, req(Body, "QueueId", String)],
        ["100018", "100022"],
        Some(r#"{"QueueId":"9009"}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/queues/agents",
        "batchAddAgentsToQueue",
        queue_members::add_agents,
        Standard,
        "15. Batch Add Agents to Queue",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "QueueId", String),
            req(Body, "AgentIds", StringList),
        ],
        ["100018"],
        Some(r#"{"QueueId":"9009","AgentIds":["9009","9008","9007","9006"]}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/subscriptions",
        "subscribeEvents",
        subscriptions::subscribe,
        Standard,
        "18. Subscription to Events",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "subscriptions", ObjectOrList).with(SUBSCRIPTION),
        ],
        ["200019"],
        Some(
            r#"{"subscriptions":[{"callback":"http://s-km5.udesk.cn/as/api/v1/dialog/6/c6d4c463-5c60-43ba-a522-c972dd60e058","events":["begin","end"],"name":"lymtest"}]}"#
        )
    ),
    route!(
        PUT,
        "/ccapi/v2/subscriptions/{id}",
        "updateEventSubscription",
        subscriptions::update,
        Standard,
        "19. Update Event Subscription",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Path, "id", String),
            req(Body, "callback", String),
            req(Body, "name", String),
            req(Body, "events", StringList),
            req(Body, "enable", Boolean),
        ],
        ["100018", "200019"],
        Some(
            r#"{"callback":"https://qa.udesk.cn/api/v2/middleware/","name":"ymtest111","events":["acd_agent_state"],"enable":false}"#
        )
    ),
    route!(
        DELETE,
        "/ccapi/v2/subscriptions/{id}",
        "deleteEvent",
        subscriptions::delete,
        Standard,
        "20. Delete Event",
        [APP_ID, TIMESTAMP, SIGN, SID, req(Path, "id", String)],
        ["100018"],
        None
    ),
    route!(
        GET,
        "/ccapi/v2/subscriptions",
        "getEventList",
        subscriptions::list,
        Standard,
        "21. Get Event List",
        [APP_ID, TIMESTAMP, SIGN, SID],
        [],
        None
    ),
    route!(
        POST,
        "/ccapi/v2/agent/login",
        "agentSignIn",
        sessions::login,
        Session,
        "22. Agent Sign-In",
        [
            APP_ID,
            TIMESTAMP,
            SIGN,
            SID,
            req(Query, "MsgId", String),
            req(Body, "agent_id", String),
            opt(Body, "work_id", String),
            opt(Body, "queue_ids", StringList),
            opt(Body, "state", Integer),
        ],
        ["100018", "100021"],
        Some(r#"{"agent_id":"10032"}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/agent/logout",
        "agentLogout",
        sessions::logout,
        Session,
        "23. Agent Logout",
        [
            APP_ID_SNAKE,
            TIMESTAMP,
            SIGN,
            SID,
            opt(Query, "MsgId", String),
            req(Body, "agent_id", String),
        ],
        ["100018", "100021"],
        Some(r#"{"agent_id":"1802"}"#)
    ),
    route!(
        POST,
        "/ccapi/v2/callback2ivr",
        "callbackUserToIvr",
        callback::callback2ivr,
        Callback,
        "24. Callback User to IVR",
        [
            APP_ID_SNAKE,
            TIMESTAMP,
            SIGN,
            SID,
            req(Body, "caller", String),
            req(Body, "called", String),
            req(Body, "called_display", String),
            opt(Body, "variables", String),
        ],
        ["100005"],
        Some(r#"{"caller":"18789998765","called":"02863208944","called_display":"02863208944"}"#)
    ),
    route!(
        GET,
        "/ccapi/v2/queues/agents_list/{queue_id}",
        "getQueueAgentList",
        queues::agents,
        Standard,
        "26. Get Queue Agent List",
        [APP_ID, TIMESTAMP, SIGN, SID, req(Path, "queue_id", String)],
        ["100018"],
        None
    ),
];
