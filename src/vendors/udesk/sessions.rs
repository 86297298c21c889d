//! 22–23: agent sign-in and sign-out. Both answer in the Session envelope, echoing the `MsgId`
//! query parameter as `msg_id`, and write the agent's state timeline at the virtual clock.

use super::agents::check_agent_id;
use super::errors::UdeskError;
use super::{Answer, Call};
use crate::model::AgentState;
use serde::Deserialize;

#[derive(Deserialize)]
struct Login {
    agent_id: String,
    /// Sent for the vendor's own reporting; accepted and not used.
    #[allow(dead_code)]
    work_id: Option<String>,
    #[allow(dead_code)]
    queue_ids: Option<Vec<String>>,
    state: Option<i64>,
}

/// 22. Agent Sign-In — `POST /ccapi/v2/agent/login?MsgId=…`.
///
/// MsgId is required (100001). `state` 0 (default) signs in idle, 1 ("Waiting") busy; any other
/// value answers 000001. A disabled agent, one without an extension and one ringing or talking
/// cannot sign in (100021); an unknown agent answers 100018.
pub fn login(call: &Call) -> Result<Answer, UdeskError> {
    if call.req.query_param("MsgId").is_none_or(|m| m.is_empty()) {
        return Err(UdeskError::EmptyParameter("MsgId is required".into()));
    }
    let b: Login = call.body()?;
    check_agent_id(&b.agent_id)?;
    let to = match b.state.unwrap_or(0) {
        0 => AgentState::Idle,
        1 => AgentState::Busy,
        n => {
            return Err(UdeskError::InvalidParameter(format!(
                "state {n} must be 0 (Idle) or 1 (Waiting)"
            )))
        }
    };
    let now = call.now_ms();
    let mut model = call.ctx.model();
    model.login_agent(&call.tenant, &b.agent_id, to, now)?;
    Ok(Answer::null())
}

#[derive(Deserialize)]
struct Logout {
    agent_id: String,
}

/// 23. Agent Logout — `POST /ccapi/v2/agent/logout`. Signing out an offline agent succeeds and
///     changes nothing; one ringing or talking cannot sign out (100021).
pub fn logout(call: &Call) -> Result<Answer, UdeskError> {
    let b: Logout = call.body()?;
    check_agent_id(&b.agent_id)?;
    let now = call.now_ms();
    let mut model = call.ctx.model();
    model.logout_agent(&call.tenant, &b.agent_id, now)?;
    Ok(Answer::null())
}
