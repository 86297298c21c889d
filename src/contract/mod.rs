//! The contract of every vendor route, written once in the routing tables (`Route::contract`):
//! the request's fields as the vendor spells them, their JSON types, whether required and where
//! they travel; the answer's envelope; the documented error codes; the document's own example.
//!
//! From that one description come the route catalogue (`GET /_ccemu/routes`), the OpenAPI 3.1
//! documents (`openapi`), the strict-mode findings (`strict`), the coverage report (`report`)
//! and the test that every required field's absence gets the vendor's parameter error.

pub use crate::conform;
pub mod drift;
pub mod openapi;
pub mod report;
pub mod schemas;
pub mod strict;

/// The vocabulary the route tables are written in lives at the ground (`crate::op`), so that
/// the tables and the router need nothing of this module; it is re-exported here for the
/// readers of contracts.
pub use crate::op::*;

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::Vendor;
use crate::routing::{Described, Match};

/// The described route a request reaches, if any.
pub fn route_of(vendor: Vendor, req: &ApiRequest) -> Option<Described> {
    fn one<H>(routes: &[crate::routing::Route<H>], req: &ApiRequest) -> Option<Described> {
        match crate::routing::find(routes, &req.method, &req.path) {
            Match::Found(r, _) => Some(crate::routing::describe(std::slice::from_ref(r)).next()?),
            _ => None,
        }
    }
    use crate::vendors::{huawei, nxcloud, udesk};
    match vendor {
        Vendor::Udesk => one(udesk::routes::ROUTES, req),
        Vendor::Nxcloud => one(nxcloud::routes::ROUTES, req),
        Vendor::Huawei => one(huawei::routes::ROUTES, req),
    }
}

/// Strict mode's look at a request before it is answered: its findings (none when strict mode
/// is off) and, when refusing, the vendor-style refusal naming the first finding that is not a
/// quirk of the document.
pub fn before(ctx: &Ctx, vendor: Vendor, req: &ApiRequest) -> (Vec<Finding>, Option<Reply>) {
    if !ctx.contract.strict() {
        return (Vec::new(), None);
    }
    let Some(d) = route_of(vendor, req) else {
        return (Vec::new(), None);
    };
    let findings = strict::inspect(vendor, &d, req);
    let refusal = if ctx.contract.refuse() {
        findings
            .iter()
            .find(|f| !f.quirk)
            .map(|f| strict::refusal(vendor, &d, f, &ctx.random_hex(32)))
    } else {
        None
    };
    (findings, refusal)
}

/// Counts an answered request for the coverage report: its operation, its answer code (the
/// vendor's code; Huawei's HTTP status, the only code its pages document) and its findings.
pub fn after(
    ctx: &Ctx,
    vendor: Vendor,
    req: &ApiRequest,
    operation: Option<&'static str>,
    status: Option<u16>,
    code: Option<&str>,
    findings: &[Finding],
) {
    let Some(operation) = operation else { return };
    // Huawei answers with HTTP statuses; their text is the status's own.
    let status = status.and_then(|s| hyper::StatusCode::from_u16(s).ok());
    let code = match vendor {
        Vendor::Huawei => status.as_ref().map(hyper::StatusCode::as_str),
        _ => code,
    };
    ctx.contract
        .observe(vendor, operation, code, findings, || example(req));
}

/// A request as a finding's example: method, path, query and body (as JSON when it is).
fn example(req: &ApiRequest) -> serde_json::Value {
    let body = serde_json::from_slice::<serde_json::Value>(&req.body)
        .unwrap_or_else(|_| String::from_utf8_lossy(&req.body).into_owned().into());
    serde_json::json!({"method": req.method.as_str(), "path": req.path, "query": req.query, "body": body})
}

/// The JSON Schema type name of a value (`integer` for whole numbers), as strict-mode findings
/// and drift reports both name types.
pub fn json_type(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
