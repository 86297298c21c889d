//! 01–03: relay numbers (SpNumbers) and the app's default caller ID.

use super::errors::UdeskError;
use super::{Answer, Call};
use crate::model::ModelError;
use serde::Deserialize;
use serde_json::json;

/// 01. Get Relay Number List — `GET /ccapi/v2/spnumbers`.
///
/// The document's example lists the default (057126200670) under DefSpNumber and the others
/// under SpNumbers, so SpNumbers leaves the default out.
pub fn list(call: &Call) -> Result<Answer, UdeskError> {
    let model = call.ctx.model();
    let t = model.tenant(&call.tenant)?;
    let def = t.default_relay_number.clone();
    let numbers: Vec<String> = t
        .relay_numbers
        .iter()
        .filter(|n| Some(*n) != def.as_ref())
        .cloned()
        .collect();
    drop(model);
    Ok(json!({"SpNumbers": numbers, "DefSpNumber": def.unwrap_or_default()}).into())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DefaultRelayNumber {
    def_sp_number: String,
}

/// 02. Modify Default Relay Number — `PUT /ccapi/v2/spnumbers/default`.
///
/// The default must be one of the app's relay numbers (100005 otherwise).
pub fn set_default(call: &Call) -> Result<Answer, UdeskError> {
    let body: DefaultRelayNumber = call.body()?;
    if body.def_sp_number.is_empty() {
        return Err(UdeskError::EmptyParameter("DefSpNumber is required".into()));
    }
    let mut model = call.ctx.model();
    let t = model.tenant_mut(&call.tenant)?;
    if !t.relay_numbers.contains(&body.def_sp_number) {
        return Err(ModelError::RelayNumberNotFound(body.def_sp_number).into());
    }
    t.default_relay_number = Some(body.def_sp_number);
    Ok(Answer::null())
}

/// 03. Delete Default Relay Number: `DELETE /ccapi/v2/spnumbers/default`.
///
/// Answers `Result: ""` as the document's example does.
pub fn clear_default(call: &Call) -> Result<Answer, UdeskError> {
    let mut model = call.ctx.model();
    model.tenant_mut(&call.tenant)?.default_relay_number = None;
    Answer::of("")
}
