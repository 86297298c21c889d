//! The contract of every vendor route, written once in the routing tables (`Route::contract`):
//! the request's fields as the vendor spells them, their JSON types, whether required and where
//! they travel; the answer's envelope; the documented error codes; the document's own example.
//!
//! From that one description come the route catalogue (`GET /_ccemu/routes`), the OpenAPI 3.1
//! documents (`openapi`), the strict-mode findings (`strict`), the coverage report (`report`)
//! and the test that every required field's absence gets the vendor's parameter error.

pub mod drift;
pub mod openapi;
pub mod report;
pub mod schemas;
pub mod strict;

use serde::Serialize;

/// Where a field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum In {
    Query,
    Body,
    Path,
    Header,
}

/// A field's JSON type as the vendor documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ty {
    String,
    Integer,
    Boolean,
    /// `string[]`.
    StringList,
    Object,
    /// `object[]`; its members are the field's `items`.
    ObjectList,
    /// Anything (a documented field whose type the document leaves open).
    Any,
    /// Unix time in milliseconds, as the vendor documents it (sent as text in a query or header).
    TimestampMs,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Integer => "integer",
            Ty::Boolean => "boolean",
            Ty::StringList => "string[]",
            Ty::Object => "object",
            Ty::ObjectList => "object[]",
            Ty::Any => "any",
            Ty::TimestampMs => "timestamp (ms)",
        }
    }
}

/// One documented field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: Ty,
    pub required: bool,
    #[serde(rename = "in")]
    pub at: In,
    /// Members of an object (or of each object of a list).
    #[serde(skip_serializing_if = "<[Field]>::is_empty")]
    pub items: &'static [Field],
}

/// A required field.
pub const fn req(at: In, name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: true,
        at,
        items: &[],
    }
}

/// An optional field.
pub const fn opt(at: In, name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        at,
        items: &[],
    }
}

impl Field {
    /// The same field with members (for `Object` and `ObjectList`).
    pub const fn with(self, items: &'static [Field]) -> Field {
        Field { items, ..self }
    }
}

/// How a vendor authenticates a request (the OpenAPI security scheme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// Udesk: `AppId, Timestamp, Sign, Sid` in the query.
    QuerySignature,
    /// NXCloud: `accessKey, ts, bizType, action, sign` headers.
    SignedHeaders,
    /// Huawei: `Authorization: Bearer` from the token exchange (and `X-APP-Key`).
    Bearer,
    /// Huawei's token exchange itself: app key and secret in the body.
    AppKeySecret,
}

/// A documented quirk of the vendor's own document: the strict mode flags it as a quirk, not
/// as the client's deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quirk {
    pub what: &'static str,
}

/// The contract of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Op {
    pub auth: Auth,
    /// The request's fields: query, path, header and (top-level) body fields.
    pub request: &'static [Field],
    /// Whether the request carries a JSON body at all.
    pub has_body: bool,
    /// The answer's envelope, by name (`udesk.standard`, `nxcloud.paged`, ...).
    pub envelope: &'static str,
    /// The answer's top-level fields.
    pub answer: &'static [Field],
    /// The documented error codes this route can answer (the vendor's own codes, or HTTP statuses
    /// where the vendor documents only those), authentication's included.
    pub errors: &'static [&'static str],
    /// The vendor document's own example request body, verbatim (JSON), if it shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<&'static str>,
}

impl Op {
    pub fn fields_in(&self, at: In) -> impl Iterator<Item = &'static Field> {
        self.request.iter().filter(move |f| f.at == at)
    }

    pub fn field(&self, at: In, name: &str) -> Option<&'static Field> {
        self.request.iter().find(|f| f.at == at && f.name == name)
    }
}

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Reply};
use crate::model::Vendor;
use crate::routing::{Described, Match};
use strict::Finding;

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
    let code = match vendor {
        Vendor::Huawei => status.map(|s| s.to_string()),
        _ => code.map(str::to_string),
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
