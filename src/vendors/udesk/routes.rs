//! The ccapi v2 routing table, in the document's order. Literal segments come before `{id}`
//! patterns where both could match (`/agents/extensions` before `/agents/{id}`).

use super::{
    agents, callback, extensions, queue_members, queues, relay_numbers, sessions, subscriptions,
    Envelope, Handler,
};
use crate::routing::Route;
use hyper::Method;

use Envelope::*;

/// The source document of every route: the vendor's ccapi v2 reference, whose sections are
/// numbered; `$section` is the section's own title.
macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $env:ident, $section:literal) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            doc: concat!("Udesk CCPaaS ccapi v2 API documentation, ", $section),
            handler: ($handler as Handler, $env),
        }
    };
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
        "01. Get Relay Number List"
    ),
    route!(
        PUT,
        "/ccapi/v2/spnumbers/default",
        "modifyDefaultRelayNumber",
        relay_numbers::set_default,
        Standard,
        "02. Modify Default Relay Number"
    ),
    route!(
        DELETE,
        "/ccapi/v2/spnumbers/default",
        "deleteDefaultRelayNumber",
        relay_numbers::clear_default,
        Standard,
        "03. Delete Default Relay Number"
    ),
    route!(
        POST,
        "/ccapi/v2/agents",
        "createAgent",
        agents::create,
        Standard,
        "04. Create Agent"
    ),
    route!(
        GET,
        "/ccapi/v2/agents",
        "getAgentList",
        agents::list,
        Standard,
        "06. Get Seat List"
    ),
    route!(
        POST,
        "/ccapi/v2/agents/extensions",
        "bindAgentExtensions",
        extensions::bind,
        Standard,
        "07. Seat Extension Binding"
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/extensions",
        "unbindAgentExtensions",
        extensions::unbind,
        Standard,
        "08. Unbinding Extensions for Agents"
    ),
    route!(
        POST,
        "/ccapi/v2/agents/queues",
        "enrolAgentInQueues",
        queue_members::enrol,
        Standard,
        "16. Batch Agent Queue Enrollment"
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/queues",
        "dequeueAgent",
        queue_members::dequeue,
        Standard,
        "17. Batch Agent Dequeue"
    ),
    route!(
        PUT,
        "/ccapi/v2/agents/{id}",
        "modifyAgent",
        agents::modify,
        Standard,
        "05. Modify Agent"
    ),
    route!(
        GET,
        "/ccapi/v2/agents/{id}",
        "getAgentInformation",
        agents::get,
        Standard,
        "25. Get Agent Information"
    ),
    route!(
        DELETE,
        "/ccapi/v2/extensions",
        "deleteExtension",
        extensions::delete,
        Standard,
        "09. Delete Extension"
    ),
    route!(
        POST,
        "/ccapi/v2/extensions",
        "createExtension",
        extensions::create,
        Standard,
        "10. Create Extension"
    ),
    route!(
        GET,
        "/ccapi/v2/queues",
        "getQueueList",
        queues::list,
        Standard,
        "11. Get Queue List"
    ),
    route!(
        POST,
        "/ccapi/v2/queues",
        "createQueue",
        queues::create,
        Standard,
        "12. Creating a Queue"
    ),
    route!(
        PUT,
        "/ccapi/v2/queues",
        "modifyQueue",
        queues::modify,
        Standard,
        "13. Modify Queue"
    ),
    route!(
        DELETE,
        "/ccapi/v2/queues",
        "deleteQueue",
        queues::delete,
        Standard,
        "14. Delete Queue"
    ),
    route!(
        POST,
        "/ccapi/v2/queues/agents",
        "batchAddAgentsToQueue",
        queue_members::add_agents,
        Standard,
        "15. Batch Add Agents to Queue"
    ),
    route!(
        POST,
        "/ccapi/v2/subscriptions",
        "subscribeEvents",
        subscriptions::subscribe,
        Standard,
        "18. Subscription to Events"
    ),
    route!(
        PUT,
        "/ccapi/v2/subscriptions/{id}",
        "updateEventSubscription",
        subscriptions::update,
        Standard,
        "19. Update Event Subscription"
    ),
    route!(
        DELETE,
        "/ccapi/v2/subscriptions/{id}",
        "deleteEvent",
        subscriptions::delete,
        Standard,
        "20. Delete Event"
    ),
    route!(
        GET,
        "/ccapi/v2/subscriptions",
        "getEventList",
        subscriptions::list,
        Standard,
        "21. Get Event List"
    ),
    route!(
        POST,
        "/ccapi/v2/agent/login",
        "agentSignIn",
        sessions::login,
        Session,
        "22. Agent Sign-In"
    ),
    route!(
        POST,
        "/ccapi/v2/agent/logout",
        "agentLogout",
        sessions::logout,
        Session,
        "23. Agent Logout"
    ),
    route!(
        POST,
        "/ccapi/v2/callback2ivr",
        "callbackUserToIvr",
        callback::callback2ivr,
        Callback,
        "24. Callback User to IVR"
    ),
    route!(
        GET,
        "/ccapi/v2/queues/agents_list/{queue_id}",
        "getQueueAgentList",
        queues::agents,
        Standard,
        "26. Get Queue Agent List"
    ),
];
