//! The vocabulary a route's contract is written in: where a field travels, its JSON type,
//! whether it is required, how the route authenticates, its answer's envelope and documented
//! errors. It sits at the ground, beside the router, so that the vendors' route tables and the
//! router can be read without the contract machinery (`contract`: OpenAPI, strict mode, drift,
//! coverage) that reads them.

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
    /// `object[]` whose table says `object` (Udesk section 18's `subscriptions`): a list of
    /// objects, or one object standing for a list of one.
    ObjectOrList,
    /// Anything (a documented field whose type the document leaves open).
    Any,
    /// Unix time in milliseconds, as the vendor documents it (sent as text in a query or header).
    TimestampMs,
    /// An integer flag whose own section also says to set it to `true` (Udesk's
    /// `IsCreateExtension`): an integer or a boolean.
    Flag,
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
            Ty::ObjectOrList => "object or object[]",
            Ty::Any => "any",
            Ty::TimestampMs => "timestamp (ms)",
            Ty::Flag => "integer or boolean",
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

/// One deviation from the contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// `unknown_field`, `wrong_type`, `quirky_spelling`, `missing_header`, `timestamp_seconds`,
    /// `body_shape`.
    pub kind: &'static str,
    /// The field, header, query parameter or path segment concerned.
    pub field: String,
    pub detail: String,
    /// The vendor's document does the same (see the module comment).
    pub quirk: bool,
}
