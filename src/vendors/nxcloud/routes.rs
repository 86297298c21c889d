//! The call-center OpenAPI routing table. Every endpoint is a POST with a JSON body; the
//! operation name is the path after `/saas/cc/openapi/`, as the vendor's pages title them.

use super::{agent_groups, agents, cdr, Handler};
use crate::routing::Route;
use hyper::Method;

macro_rules! post {
    ($op:literal, $handler:path, $doc:literal) => {
        Route {
            method: Method::POST,
            pattern: concat!("/saas/cc/openapi/", $op),
            operation: $op,
            doc: $doc,
            handler: $handler as Handler,
        }
    };
}

/// The table described, for the route catalogue.
pub fn catalogue() -> impl Iterator<Item = crate::routing::Described> {
    crate::routing::describe(ROUTES)
}

pub static ROUTES: &[Route<Handler>] = &[
    post!(
        "agent/page",
        agents::page,
        "NXCC/NXLink OpenAPI wiki, agent list (agent/page)"
    ),
    post!(
        "agent/status/info",
        agents::status_info,
        "NXLink API, Query seat status information (agent/status/info)"
    ),
    post!(
        "agentGroup/page",
        agent_groups::page,
        "NXCC/NXLink OpenAPI wiki, agent group list (agentGroup/page)"
    ),
    post!(
        "agentGroup/member/list",
        agent_groups::member_list,
        "NXCC API queueAgents, Querying the Binding Relationship between Agent Groups and Agents"
    ),
    post!(
        "agentGroup/updateMembers",
        agent_groups::update_members,
        "NXCC/NXLink OpenAPI wiki, agent group members (agentGroup/updateMembers)"
    ),
    post!(
        "cdr/page",
        cdr::page,
        "NXCC/NXLink OpenAPI wiki, call detail records (cdr/page)"
    ),
    post!(
        "cdr/queryByOrderId",
        cdr::query_by_order_id,
        "NXCC/NXLink OpenAPI wiki, call detail record by order id (cdr/queryByOrderId)"
    ),
];
