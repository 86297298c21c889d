//! The words every admin body shares: `tenant` is a tenant id (Udesk AppId, NXCloud tenantId,
//! Huawei tenant space), `agent` an agent id as the model keys it, `vendor` one of `udesk`,
//! `nxcloud`, `huawei`. Wherever a body names a `tenant`, it may also name its `vendor`: optional,
//! and when given it must be the tenant's (a test that mixed up two tenants hears so instead of
//! acting on the wrong one). `/_ccemu/agent-state` always took it; the other bodies refused it.

use super::refusal::{refuse, Refusal};
use crate::model::{Model, Vendor};
use hyper::StatusCode;
use serde_json::Value;

/// Checks that `tenant` exists and, when `vendor` is given, belongs to it.
pub fn check_vendor(model: &Model, tenant: &str, vendor: Option<Vendor>) -> Result<(), Refusal> {
    let Some(v) = vendor else {
        return Ok(());
    };
    let t = model
        .tenant(tenant)
        .map_err(|e| refuse(StatusCode::NOT_FOUND, e.to_string()))?;
    if t.vendor() != v {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "tenant {} belongs to {}, not {}",
                t.id,
                t.vendor().name(),
                v.name()
            ),
        ));
    }
    Ok(())
}

/// Takes `vendor` out of a JSON body whose own type has no such field (a call spec, shared with
/// scenario files), so the rest parses as before.
pub fn take_vendor(body: &mut Value) -> Result<Option<Vendor>, Refusal> {
    let Some(v) = body.as_object_mut().and_then(|m| m.remove("vendor")) else {
        return Ok(None);
    };
    serde_json::from_value(v).map(Some).map_err(|_| {
        refuse(
            StatusCode::BAD_REQUEST,
            "vendor is udesk, nxcloud or huawei",
        )
    })
}
