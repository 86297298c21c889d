//! The call-center OpenAPI routing table. Every endpoint is a POST with a JSON body; the
//! operation name is the path after `/saas/cc/openapi/`, as the vendor's pages title them.

use super::{agent_groups, agents, cdr, Handler};
use crate::routing::Route;
use hyper::Method;

macro_rules! post {
    ($op:literal, $handler:path) => {
        Route {
            method: Method::POST,
            pattern: concat!("/saas/cc/openapi/", $op),
            operation: $op,
            handler: $handler as Handler,
        }
    };
}

pub static ROUTES: &[Route<Handler>] = &[
    post!("agent/page", agents::page),
    post!("agent/status/info", agents::status_info),
    post!("agentGroup/page", agent_groups::page),
    post!("agentGroup/member/list", agent_groups::member_list),
    post!("agentGroup/updateMembers", agent_groups::update_members),
    post!("cdr/page", cdr::page),
    post!("cdr/queryByOrderId", cdr::query_by_order_id),
];
