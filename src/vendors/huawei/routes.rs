//! The API Fabric routing table. Paths are the documented spellings, case and all: the agent
//! management pages spell the module `CC-Mangemant` (a vendor typo, served as documented) and
//! the English pages `CC-Management`; both are served for queryAgentInfo and querySysInfo. The
//! `rest/` APIs use the spelling of their own page.

use super::{agents, skills, Endpoint, Handler};
use crate::routing::Route;
use hyper::Method;

macro_rules! route {
    ($method:ident, $pattern:literal, $op:literal, token) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            handler: Endpoint::Token,
        }
    };
    ($method:ident, $pattern:literal, $op:literal, $handler:path) => {
        Route {
            method: Method::$method,
            pattern: $pattern,
            operation: $op,
            handler: Endpoint::Api($handler as Handler),
        }
    };
}

pub static ROUTES: &[Route<Endpoint>] = &[
    route!(
        POST,
        "/apigovernance/api/oauth/tokenByAkSk",
        "tokenByAkSk",
        token
    ),
    route!(
        GET,
        "/apiaccess/CC-Mangemant/v1/queryAgentInfo",
        "queryAgentInfo",
        agents::query_agent_info
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/queryAgentInfo",
        "queryAgentInfo",
        agents::query_agent_info
    ),
    route!(
        GET,
        "/apiaccess/CC-Mangemant/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info
    ),
    route!(
        GET,
        "/apiaccess/CC-Management/v1/querySysInfo",
        "querySysInfo",
        agents::query_sys_info
    ),
    route!(
        POST,
        "/apiaccess/CC-Management/v1/queryAgentLoginParams",
        "queryAgentLoginParams",
        agents::query_agent_login_params
    ),
    route!(
        POST,
        "/apiaccess/rest/CC-Management/v1/queryAgentInfoByAccount",
        "queryAgentInfoByAccount",
        agents::query_agent_info_by_account
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/query",
        "agentAccountQuery",
        agents::agent_account_query
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/agentAccount/queryAgentInfoBySkillId",
        "queryAgentInfoBySkillId",
        agents::query_agent_info_by_skill_id
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/querySkills",
        "querySkills",
        skills::query_skills
    ),
    route!(
        POST,
        "/apiaccess/rest/cc-management/v1/skill/deleteSkill",
        "deleteSkill",
        skills::delete_skill
    ),
];
