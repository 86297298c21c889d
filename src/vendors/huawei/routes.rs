//! The API Fabric routing table. Paths are the documented spellings, case and all: the agent
//! management pages spell the module `CC-Mangemant` (a vendor typo, served as documented) and
//! the English pages `CC-Management`; both are served for queryAgentInfo and querySysInfo. The
//! `rest/` APIs use the spelling of their own page.
//!
//! Each route carries its contract (`crate::contract`). The pages document errors only as HTTP
//! statuses, so the statuses are the route's error codes. Bodies of the `rest/` listing APIs are
//! described unwrapped; their `requestParam(s)` wrapper, which the pages' tables show and some
//! of their examples leave out, is accepted either way.

use super::{accounts, agents, skills, Endpoint, Handler};
use crate::op::{opt, req, Auth, Field, In::*, Op, Ty::*};
use crate::routing::Route;
use hyper::Method;

/// `Authorization: Bearer {AccessToken}` from tokenByAkSk, and the app key it was issued to.
const AUTHORIZATION: Field = req(Header, "Authorization", String);
const X_APP_KEY: Field = opt(Header, "X-APP-Key", String);
const API_ERRORS: &[&str] = &["400", "401", "404", "500"];

/// `$page` is the page id in the vendor's Huawei Cloud CEC API reference.
macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, token, $page:literal) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            head: crate::routing::head($pattern),
            operation: $op,
            doc: concat!("Huawei Cloud CEC API reference, ", $page, " (", $op, ")"),
            contract: &Op {
                auth: Auth::AppKeySecret,
                request: &[
                    opt(Header, "X-Token-Expire", Integer),
                    req(Body, "app_key", String),
                    req(Body, "app_secret", String),
                ],
                has_body: true,
                envelope: "huawei.token",
                answer: &[
                    req(Body, "AccessToken", String),
                    opt(Body, "ApplyType", String),
                    opt(Body, "CreateTime", String),
                    req(Body, "Expires", String),
                    opt(Body, "Scope", String),
                    opt(Body, "AppKey", String),
                    opt(Body, "UserID", String),
                ],
                errors: &["400", "401", "403", "415"],
                example: None,
            },
            handler: Endpoint::Token,
        }
    };
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $page:literal,
     [$($field:expr),* $(,)?], [$($answer:expr),* $(,)?], $example:expr) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            head: crate::routing::head($pattern),
            operation: $op,
            doc: concat!("Huawei Cloud CEC API reference, ", $page, " (", $op, ")"),
            contract: &Op {
                auth: Auth::Bearer,
                request: &[AUTHORIZATION, X_APP_KEY $(, $field)*],
                has_body: matches!(Method::$method, Method::POST),
                envelope: concat!("huawei.", $op),
                answer: &[$($answer),*],
                errors: API_ERRORS,
                example: $example,
            },
            handler: Endpoint::Api($handler as Handler),
        }
    };
}

/// The table described, for the route catalogue.
pub fn catalogue() -> impl Iterator<Item = crate::routing::Described> {
    crate::routing::describe(ROUTES)
}

pub static ROUTES: &[Route<Endpoint>] = &[
    route!(
        POST,
        "/apigovernance/api/oauth/tokenByAkSk",
        "tokenByAkSk",
        token,
        "cec_07_0002"
    ),
    route!(
        GET,
        "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
        "queryAgentInfo",
        agents::query_agent_info,
        "cec_07_0029",
        [],
        [
            opt(Body, "sipServicePort", Any),
            opt(Body, "sipServiceIp", String),
            opt(Body, "agents", ObjectList)
        ],
        None
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/queryAgentInfo",
        "queryAgentInfo",
        agents::query_agent_info,
        "cec_07_0029",
        [],
        [
            opt(Body, "sipServicePort", Any),
            opt(Body, "sipServiceIp", String),
            opt(Body, "agents", ObjectList)
        ],
        None
    ),
    route!(
        GET,
        "/apiaccess/CC-Mangemant/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info,
        "cec_07_0028",
        [],
        [],
        None
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info,
        "cec_07_0028",
        [],
        [],
        None
    ),
    route!(
        POST,
        "/apiaccess/CC-Management/v1/queryAgentLoginParams",
        "queryAgentLoginParams",
        agents::query_agent_login_params,
        "cec_07_0030",
        [req(Body, "account", String), req(Body, "password", String)],
        [],
        None
    ),
    route!(
        POST,
        "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount",
        "queryAgentInfoByAccount",
        agents::query_agent_info_by_account,
        "cec_07_0031",
        [
            req(Body, "accountCode", String),
            opt(Body, "password", String),
            opt(Body, "username", String),
        ],
        [
            opt(Body, "returnCode", String),
            opt(Body, "description", String),
            opt(Body, "data", Any)
        ],
        None
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/query",
        "agentAccountQuery",
        accounts::agent_account_query,
        "cec_07_0023",
        [
            opt(Body, "userAccount", String),
            opt(Body, "pageNum", Integer),
            opt(Body, "pageSize", Integer),
            opt(Body, "agentType", Any),
            opt(Body, "transparentDisplayFlag", Boolean),
        ],
        [],
        None
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
        "queryAgentInfoBySkillId",
        agents::query_agent_info_by_skill_id,
        "cec_07_0026",
        [
            req(Body, "skillId", Any),
            opt(Body, "pageSize", Integer),
            opt(Body, "pageNum", Integer),
        ],
        [],
        None
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/querySkills",
        "querySkills",
        skills::query_skills,
        "cec_07_0037",
        [
            opt(Body, "name", String),
            opt(Body, "mediaTypeId", Integer),
            opt(Body, "limit", Integer),
            opt(Body, "offset", Integer),
            opt(Body, "skillIds", Any),
        ],
        [],
        None
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/deleteSkill",
        "deleteSkill",
        skills::delete_skill,
        "cec_07_0035",
        [req(Body, "skillIds", String)],
        [],
        None
    ),
];
