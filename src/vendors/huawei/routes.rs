//! The API Fabric routing table. Paths are the documented spellings, case and all: the agent
//! management pages spell the module `CC-Mangemant` (a vendor typo, served as documented) and
//! the English pages `CC-Management`; both are served for queryAgentInfo and querySysInfo. The
//! `rest/` APIs use the spelling of their own page.

use super::{agents, skills, Endpoint, Handler};
use crate::routing::Route;
use hyper::Method;

/// `$page` is the page id in the vendor's Huawei Cloud CEC API reference.
macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, token, $page:literal) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            doc: concat!("Huawei Cloud CEC API reference, ", $page, " (", $op, ")"),
            handler: Endpoint::Token,
        }
    };
    ($method:ident, $pattern:literal, $op:literal, $handler:path, $page:literal) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            doc: concat!("Huawei Cloud CEC API reference, ", $page, " (", $op, ")"),
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
        "cec_07_0029"
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/queryAgentInfo",
        "queryAgentInfo",
        agents::query_agent_info,
        "cec_07_0029"
    ),
    route!(
        GET,
        "/apiaccess/CC-Mangemant/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info,
        "cec_07_0028"
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info,
        "cec_07_0028"
    ),
    route!(
        POST,
        "/apiaccess/CC-Management/v1/queryAgentLoginParams",
        "queryAgentLoginParams",
        agents::query_agent_login_params,
        "cec_07_0030"
    ),
    route!(
        POST,
        "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount",
        "queryAgentInfoByAccount",
        agents::query_agent_info_by_account,
        "cec_07_0031"
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/query",
        "agentAccountQuery",
        agents::agent_account_query,
        "cec_07_0023"
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
        "queryAgentInfoBySkillId",
        agents::query_agent_info_by_skill_id,
        "cec_07_0026"
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/querySkills",
        "querySkills",
        skills::query_skills,
        "cec_07_0037"
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/deleteSkill",
        "deleteSkill",
        skills::delete_skill,
        "cec_07_0035"
    ),
];
