//! 24: call a user back into the IVR.

use super::errors::UdeskError;
use super::{Answer, Call};
use crate::calls::spec::{CallSpec, DEFAULT_RING_MS};
use crate::model::ModelError;
use serde::Deserialize;

#[derive(Deserialize)]
struct Callback2Ivr {
    #[serde(default)]
    caller: String,
    #[serde(default)]
    called: String,
    #[serde(default)]
    called_display: String,
    /// Custom IVR variables: a JSON text holding `[{"key","type","value"}]`.
    variables: Option<String>,
}

fn is_phone_number(n: &str) -> bool {
    (3..=20).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())
}

/// 24. Callback User to IVR — `POST /ccapi/v2/callback2ivr` (Callback envelope).
///
/// caller, called and called_display are required (100001); caller must be a PSTN number (digits,
/// 000001); called must be one of the app's relay numbers (100005) and have an IVR flow (100020
/// "Ivr not found"); `variables`, when given, must be the document's JSON text (000001 with what is
/// wrong). Answers a call uuid drawn from the seeded RNG, which is also the id of the simulated
/// call it starts (`GET /_ccemu/calls/{id}`): once the customer answers, it runs the number's flow
/// with the variables.
pub fn callback2ivr(call: &Call) -> Result<Answer, UdeskError> {
    let b: Callback2Ivr = call.body()?;
    for (name, v) in [
        ("caller", &b.caller),
        ("called", &b.called),
        ("called_display", &b.called_display),
    ] {
        if v.is_empty() {
            return Err(UdeskError::EmptyParameter(format!("{name} is required")));
        }
    }
    if !is_phone_number(&b.caller) {
        return Err(UdeskError::InvalidParameter(format!(
            "caller {:?} must be a phone number (digits)",
            b.caller
        )));
    }
    let variables = match b.variables.as_deref().filter(|v| !v.trim().is_empty()) {
        Some(text) => crate::model::ivr::parse_variables(text)
            .map_err(|e| UdeskError::InvalidParameter(format!("variables: {e}")))?,
        None => Default::default(),
    };
    let flow = {
        let model = call.ctx.model();
        let t = model.tenant(&call.tenant)?;
        if !t.relay_numbers.contains(&b.called) {
            return Err(ModelError::RelayNumberNotFound(b.called).into());
        }
        crate::model::ivr::flow_for(t, &b.called)
            .map(|f| f.id.clone())
            .ok_or(UdeskError::Code(
                "100020",
                "Ivr not found: the relay number has no IVR flow",
            ))?
    };
    let uuid = crate::calls::uuid_form(&call.ctx.random_hex_for(Some(&call.tenant), 32));
    // The customer's phone rings first; once answered the call runs the relay number's flow,
    // as an inbound call to that number does.
    let spec = CallSpec {
        tenant: call.tenant.clone(),
        flow: Some(flow),
        caller: Some(b.caller),
        callee: Some(b.called),
        variables,
        at_ms: Some(call.now_ms().saturating_add(DEFAULT_RING_MS as i64)),
        ..CallSpec::default()
    };
    let _ = call.ctx.calls.start(call.ctx, spec, Some(uuid.clone()));
    Answer::of(&uuid)
}
