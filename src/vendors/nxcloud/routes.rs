//! The call-center OpenAPI routing table. Every endpoint is a POST with a JSON body; the
//! operation name is the path after `/saas/cc/openapi/`, as the vendor's pages title them.
//!
//! Each route carries its contract (`crate::contract`): the five signed headers every call
//! carries, the body fields of its page, the envelope and the codes it can answer. The
//! NXLink status/info page types its dates `long` but its example sends them as strings of
//! seconds; they are described as the table says (integers) and the example's strings are a
//! documented quirk.

use super::{agent_groups, agents, cdr, Handler};
use crate::op::{opt, req, Auth, Field, In::*, Op, Ty::*};
use crate::routing::Route;
use hyper::Method;

macro_rules! post {
    ($op:literal, $handler:path, $doc:literal, $answer:expr,
     [$($field:expr),* $(,)?], $example:expr) => {
        Route {
            method: Method::POST,
            pattern: concat!("/saas/cc/openapi/", $op),
            head: crate::routing::head(concat!("/saas/cc/openapi/", $op)),
            operation: $op,
            doc: $doc,
            contract: &Op {
                auth: Auth::SignedHeaders,
                request: &[ACCESS_KEY, TS, BIZ_TYPE, ACTION, SIGN $(, $field)*],
                has_body: true,
                envelope: $answer.0,
                answer: $answer.1,
                errors: &["0", "88", "99", "1001", "1002", "1003", "1004", "1005", "41000"],
                example: $example,
            },
            handler: $handler as Handler,
        }
    };
}

/// The headers of the "API Interface Call Agreement" every page refers to.
const ACCESS_KEY: Field = req(Header, "accessKey", String);
const TS: Field = req(Header, "ts", TimestampMs);
const BIZ_TYPE: Field = req(Header, "bizType", String);
const ACTION: Field = req(Header, "action", String);
const SIGN: Field = req(Header, "sign", String);

const ENVELOPE: (&str, &[Field]) = (
    "nxcloud.standard",
    &[
        req(Body, "reqId", String),
        req(Body, "code", Integer),
        req(Body, "msg", String),
        req(Body, "data", Any),
    ],
);
/// Paged lists add `total`.
const PAGED: (&str, &[Field]) = (
    "nxcloud.paged",
    &[
        req(Body, "reqId", String),
        req(Body, "code", Integer),
        req(Body, "msg", String),
        req(Body, "data", Any),
        opt(Body, "total", Integer),
    ],
);

/// The table described, for the route catalogue.
pub fn catalogue() -> impl Iterator<Item = crate::routing::Described> {
    crate::routing::describe(ROUTES)
}

pub static ROUTES: &[Route<Handler>] = &[
    post!(
        "agent/page",
        agents::page,
        "NXCC/NXLink OpenAPI wiki, agent list (agent/page)",
        PAGED,
        [
            req(Body, "tenantId", Integer),
            opt(Body, "userName", String),
            req(Body, "size", Integer),
            req(Body, "page", Integer),
        ],
        None
    ),
    post!(
        "agent/status/info",
        agents::status_info,
        "NXLink API, Query seat status information (agent/status/info)",
        ENVELOPE,
        [
            req(Body, "tenantId", Integer),
            req(Body, "userName", String),
            req(Body, "startDateTime", Integer),
            req(Body, "endDateTime", Integer),
        ],
        Some(
            r#"{"tenantId": 144, "userName": "NXAgent0001", "startDateTime":"1704643200", "endDateTime":"1704729600"}"#
        )
    ),
    post!(
        "agentGroup/page",
        agent_groups::page,
        "NXCC/NXLink OpenAPI wiki, agent group list (agentGroup/page)",
        PAGED,
        [
            req(Body, "tenantId", Integer),
            opt(Body, "queueName", String),
            req(Body, "size", Integer),
            req(Body, "page", Integer),
        ],
        None
    ),
    post!(
        "agentGroup/member/list",
        agent_groups::member_list,
        "NXCC API queueAgents, Querying the Binding Relationship between Agent Groups and Agents",
        ENVELOPE,
        [req(Body, "tenantId", Integer), req(Body, "queueNo", String),],
        Some(r#"{"tenantId": 144, "queueNo": "NXQueue0001"}"#)
    ),
    post!(
        "agentGroup/updateMembers",
        agent_groups::update_members,
        "NXCC/NXLink OpenAPI wiki, agent group members (agentGroup/updateMembers)",
        ENVELOPE,
        [
            req(Body, "tenantId", Integer),
            req(Body, "queueNo", String),
            req(Body, "members", StringList),
        ],
        None
    ),
    post!(
        "cdr/page",
        cdr::page,
        "NXCC/NXLink OpenAPI wiki, call detail records (cdr/page)",
        PAGED,
        [
            opt(Body, "tenantId", Integer),
            req(Body, "startTime", Integer),
            req(Body, "endTime", Integer),
            opt(Body, "answered", Integer),
            opt(Body, "direction", Integer),
            opt(Body, "callId", String),
            opt(Body, "callee", String),
            opt(Body, "caller", String),
            opt(Body, "name", String),
            opt(Body, "orderId", String),
            req(Body, "size", Integer),
            req(Body, "page", Integer),
        ],
        None
    ),
    post!(
        "cdr/queryByOrderId",
        cdr::query_by_order_id,
        "NXCC/NXLink OpenAPI wiki, call detail record by order id (cdr/queryByOrderId)",
        ENVELOPE,
        [req(Body, "tenantId", Integer), req(Body, "orderId", String),],
        None
    ),
];
