//! The typed answers of the admin API. A handler serialises one of these, and
//! `admin::openapi` derives the answer's schema in admin.json from the same type (schemars), so
//! the document cannot drift from what is sent. Domain types answered as they are (a call, a
//! delivery, a journal entry, a snapshot summary, an IVR flow) derive their schemas where they
//! are defined.

use crate::calls::Call;
use crate::events::log::Delivery;
use crate::journal::Entry;
use crate::model::ivr::{IvrFlow, Voice};
use crate::snapshot_store::Summary;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// `GET /_ccemu/health`.
#[derive(Serialize, JsonSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub tenants: usize,
    pub now_ms: i64,
}

/// `GET`/`POST /_ccemu/clock`, and a sandbox's clock (with `sandbox`).
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockView {
    pub now_ms: i64,
    pub frozen: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
}

/// `POST /_ccemu/agent-state`: the change as made.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentStateSet {
    pub tenant: String,
    pub agent: String,
    pub state: String,
    pub at_ms: i64,
}

/// `POST /_ccemu/calls`, `…/hangup`, `…/actions`: the call after the change.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallAnswer<'a> {
    pub id: &'a str,
    pub call: &'a Call,
}

/// `GET /_ccemu/calls`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallList<'a> {
    pub count: usize,
    /// Calls that passed the filters, before `offset` and `limit`.
    pub total: usize,
    pub calls: Vec<&'a Call>,
}

/// One tenant of a sandbox, with its credentials under the vendor's own names.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxTenant {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub credentials: Map<String, Value>,
}

/// `GET /_ccemu/sandboxes/{id}`, and `POST /_ccemu/sandboxes` with the first tenant of each
/// vendor's credentials beside (`udesk`, `nxcloud`, `huawei`).
#[derive(Serialize, JsonSchema)]
pub struct SandboxView {
    pub id: String,
    pub seed: String,
    pub tenants: Vec<SandboxTenant>,
    pub clock: ClockView,
    /// How many fault rules it has.
    pub faults: usize,
    pub idle_ms: i64,
    pub created_ms: i64,
    /// On creation: each vendor's first tenant's credentials, by vendor.
    #[serde(flatten)]
    pub first: Map<String, Value>,
}

/// `GET /_ccemu/sandboxes`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxList {
    pub count: usize,
    pub max: usize,
    pub sandboxes: Vec<SandboxView>,
}

/// `GET /_ccemu/snapshots`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotList {
    pub snapshots: Vec<Summary>,
}

/// `POST /_ccemu/snapshots`: what was saved, and whether a snapshot of that name was replaced.
#[derive(Serialize, JsonSchema)]
pub struct SnapshotTaken {
    #[serde(flatten)]
    pub summary: Summary,
    pub replaced: bool,
}

/// `POST /_ccemu/snapshots/{name}/restore`.
#[derive(Serialize, JsonSchema)]
pub struct SnapshotRestored {
    #[serde(flatten)]
    pub summary: Summary,
    /// `"restored"`.
    pub status: &'static str,
}

/// `GET /_ccemu/webhooks/deliveries`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deliveries<'a> {
    pub capacity: usize,
    pub count: usize,
    pub deliveries: &'a [Delivery],
}

/// `POST /_ccemu/webhooks/wait` once enough matched.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesFound<'a> {
    pub count: usize,
    pub deliveries: &'a [Delivery],
}

/// `GET /_ccemu/requests`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Journal<'a> {
    pub enabled: bool,
    pub capacity: usize,
    pub requests: Vec<&'a Entry>,
}

/// `POST /_ccemu/requests/wait` once enough matched.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalFound<'a> {
    pub count: usize,
    pub requests: Vec<&'a Entry>,
}

/// A tenant's IVR flows and voices (`GET /_ccemu/ivr-flows?tenant=`, `PUT /_ccemu/ivr-flows`).
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrView<'a> {
    pub tenant: &'a str,
    pub voices: Vec<&'a Voice>,
    pub flows: Vec<&'a IvrFlow>,
}

/// `GET /_ccemu/ivr-flows` without `?tenant=`.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrList<'a> {
    pub tenants: Vec<IvrView<'a>>,
}

/// `GET /_ccemu/faults`: each rule as loaded, with its `id`, `matched` and `hits` counters.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultList {
    pub faults: Vec<Map<String, Value>>,
}

/// `POST /_ccemu/faults`: the new rule's id.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultAdded {
    pub id: u64,
}
