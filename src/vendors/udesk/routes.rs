//! The ccapi v2 routing table, in the document's order. Literal segments come before `{id}`
//! patterns where both could match (`/agents/extensions` before `/agents/{id}`).

use super::{
    agents, callback, extensions, queue_members, queues, relay_numbers, sessions, subscriptions,
    Envelope, Handler,
};
use crate::routing::Route;
use hyper::Method;

use Envelope::*;

macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $env:ident) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            handler: ($handler as Handler, $env),
        }
    };
}

pub static ROUTES: &[Route<(Handler, Envelope)>] = &[
    route!(
        GET,
        "/ccapi/v2/spnumbers",
        "getRelayNumberList",
        relay_numbers::list,
        Standard
    ),
    route!(
        PUT,
        "/ccapi/v2/spnumbers/default",
        "modifyDefaultRelayNumber",
        relay_numbers::set_default,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/spnumbers/default",
        "deleteDefaultRelayNumber",
        relay_numbers::clear_default,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/agents",
        "createAgent",
        agents::create,
        Standard
    ),
    route!(
        GET,
        "/ccapi/v2/agents",
        "getAgentList",
        agents::list,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/agents/extensions",
        "bindAgentExtensions",
        extensions::bind,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/extensions",
        "unbindAgentExtensions",
        extensions::unbind,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/agents/queues",
        "enrolAgentInQueues",
        queue_members::enrol,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/agents/queues",
        "dequeueAgent",
        queue_members::dequeue,
        Standard
    ),
    route!(
        PUT,
        "/ccapi/v2/agents/{id}",
        "modifyAgent",
        agents::modify,
        Standard
    ),
    route!(
        GET,
        "/ccapi/v2/agents/{id}",
        "getAgentInformation",
        agents::get,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/extensions",
        "deleteExtension",
        extensions::delete,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/extensions",
        "createExtension",
        extensions::create,
        Standard
    ),
    route!(
        GET,
        "/ccapi/v2/queues",
        "getQueueList",
        queues::list,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/queues",
        "createQueue",
        queues::create,
        Standard
    ),
    route!(
        PUT,
        "/ccapi/v2/queues",
        "modifyQueue",
        queues::modify,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/queues",
        "deleteQueue",
        queues::delete,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/queues/agents",
        "batchAddAgentsToQueue",
        queue_members::add_agents,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/subscriptions",
        "subscribeEvents",
        subscriptions::subscribe,
        Standard
    ),
    route!(
        PUT,
        "/ccapi/v2/subscriptions/{id}",
        "updateEventSubscription",
        subscriptions::update,
        Standard
    ),
    route!(
        DELETE,
        "/ccapi/v2/subscriptions/{id}",
        "deleteEvent",
        subscriptions::delete,
        Standard
    ),
    route!(
        GET,
        "/ccapi/v2/subscriptions",
        "getEventList",
        subscriptions::list,
        Standard
    ),
    route!(
        POST,
        "/ccapi/v2/agent/login",
        "agentSignIn",
        sessions::login,
        Session
    ),
    route!(
        POST,
        "/ccapi/v2/agent/logout",
        "agentLogout",
        sessions::logout,
        Session
    ),
    route!(
        POST,
        "/ccapi/v2/callback2ivr",
        "callbackUserToIvr",
        callback::callback2ivr,
        Callback
    ),
    route!(
        GET,
        "/ccapi/v2/queues/agents_list/{queue_id}",
        "getQueueAgentList",
        queues::agents,
        Standard
    ),
];
