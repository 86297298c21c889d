//! NXCloud NXCC / NXLink call center (`/saas/cc/openapi/`): the vendor face.
//!
//! A request passes `auth::authenticate` (headers and signature), then its JSON body is read and
//! its `tenantId` must be the key's own team (1005 otherwise), then the route's handler runs against
//! the model and `render` wraps its data in `{"reqId","code","msg","data"}` (plus `total` on paged
//! lists). The same emulator answers for api2.nxcloud.com and the NXLink regional gateways; see
//! `auth::region_of_host`.

pub mod agent_groups;
pub mod agents;
pub mod auth;
pub mod cdr;
pub mod errors;
pub mod routes;

use crate::conform::Name;
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Payload, Rejection, Reply};
use crate::model::Vendor;
use crate::routing::{self, Match};
use crate::vendors::VendorApi;
use errors::NxError;
use hyper::StatusCode;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

pub const PREFIX: &str = "/saas/cc/openapi/";

/// What a handler sees: the request, the authenticated team and the parsed body.
pub struct Call<'a> {
    pub ctx: &'a Ctx,
    pub req: &'a ApiRequest,
    /// The model's tenant id of the team that owns the accessKey.
    pub tenant: &'a str,
    pub body: Body<'a>,
    /// This request's `read_cache::request_key`, on a route that keeps its answers: noted beside
    /// the key a handler keeps or finds its answer under, so that the same bytes are answered
    /// next time without reading the body (`run`).
    pub seen: Option<&'a [u8]>,
}

impl Call<'_> {
    /// The tenant's clock: its sandbox's when it is in one.
    pub fn now_ms(&self) -> i64 {
        self.ctx.clock_ms_for(self.tenant)
    }

    /// The answer `read_cache` kept under `key` at this model version and instant.
    pub fn kept(&self, key: &str, version: u64, now_ms: i64) -> Option<Data> {
        let kept = self.ctx.reads.get_for(self.seen, key, version, now_ms)?;
        Some(Data::kept(&kept))
    }

    /// Keeps a read's answer in `read_cache` under `key`, at this model version and instant.
    pub fn keep(&self, key: String, version: u64, now_ms: i64, data: &Data) {
        self.ctx
            .reads
            .put_for(self.seen, key, version, now_ms, data.to_kept());
    }

    /// `page` (from 1) and `size` (1..=200), both required, as every NX paged list takes them.
    pub fn page(&self) -> Result<Page, NxError> {
        let size = self.body.int("size")?;
        let page = self.body.int("page")?;
        if !(1..=Page::MAX_SIZE).contains(&size) {
            return Err(NxError::Validation(format!(
                "size must be between 1 and {} (got {size})",
                Page::MAX_SIZE
            )));
        }
        if page < 1 {
            return Err(NxError::Validation(format!(
                "page starts from 1 (got {page})"
            )));
        }
        Ok(Page { page, size })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub page: i64,
    pub size: i64,
}

impl Page {
    pub const MAX_SIZE: i64 = 200;

    /// How many items come before the page, and how many are on it.
    pub fn window(&self) -> (usize, usize) {
        let skip = (self.page - 1).saturating_mul(self.size);
        (
            usize::try_from(skip).unwrap_or(usize::MAX),
            usize::try_from(self.size).unwrap_or(0),
        )
    }

    /// The items of this page and the total count.
    pub fn slice<T>(&self, items: Vec<T>) -> (Vec<T>, u64) {
        let total = items.len() as u64;
        let (skip, take) = self.window();
        (items.into_iter().skip(skip).take(take).collect(), total)
    }
}

/// A body's top-level members in order, a repeated name keeping its last value as
/// `serde_json::Map` does: a body has two to six members, and a list found them faster than the
/// map's hashing did (the map was a tenth of an NXCloud read's CPU).
struct Members<'de>(Vec<(Cow<'de, str>, Value)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Members<'de>, D::Error> {
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut members: Vec<(Cow<'de, str>, Value)> = Vec::with_capacity(4);
                while let Some((Name(name), value)) = m.next_entry::<Name<'de>, Value>()? {
                    match members.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = value,
                        None => members.push((name, value)),
                    }
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Object)
    }
}

/// A request body: a JSON object whose fields are read by name, so that every refusal names the
/// field. Integers may come as JSON numbers or strings of digits (the vendor's own status/info
/// example sends its `long` timestamps as strings); `null` is the same as absent.
#[derive(Debug, Clone, Default)]
pub struct Body<'a>(Vec<(Cow<'a, str>, Value)>);

impl<'a> Body<'a> {
    /// The body read once and checked against the route's OpenAPI document (`conform`) on what
    /// was read. A body that does not read as an object is walked as bytes first, so that it is
    /// refused as the other vendors' are (the contract's reason before the reader's).
    pub fn checked(bytes: &'a [u8], contract: &crate::op::Op) -> Result<Body<'a>, NxError> {
        let refuse = |v: crate::conform::Violation| NxError::Parameter(v.to_string());
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            if let Ok(Members(members)) = serde_json::from_slice::<Members>(bytes) {
                crate::conform::members(Vendor::Nxcloud, contract, &members).map_err(refuse)?;
                return Ok(Body(members));
            }
        }
        crate::conform::body(Vendor::Nxcloud, contract, bytes).map_err(refuse)?;
        Body::parse(bytes)
    }

    pub fn parse(bytes: &'a [u8]) -> Result<Body<'a>, NxError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(NxError::Parameter(
                "request body is empty; expected a JSON object".into(),
            ));
        }
        if let Ok(Members(members)) = serde_json::from_slice::<Members>(bytes) {
            return Ok(Body(members));
        }
        // Refused: parsed again, only to say which way it is wrong.
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Body(
                map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
            )),
            Ok(_) => Err(NxError::Parameter(
                "request body must be a JSON object".into(),
            )),
            Err(e) => Err(NxError::Parameter(format!(
                "request body is not valid JSON: {e}"
            ))),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// A required, non-empty string.
    pub fn string(&self, name: &str) -> Result<String, NxError> {
        self.opt_string(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| NxError::Parameter(format!("{name} is required")))
    }

    pub fn opt_string(&self, name: &str) -> Result<Option<String>, NxError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(NxError::Parameter(format!(
                "{name} must be a string, not {}",
                kind(other)
            ))),
        }
    }

    /// A required integer (a JSON integer or a string of digits).
    pub fn int(&self, name: &str) -> Result<i64, NxError> {
        self.opt_int(name)?
            .ok_or_else(|| NxError::Parameter(format!("{name} is required")))
    }

    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, NxError> {
        let wrong =
            |v: &Value| NxError::Parameter(format!("{name} must be an integer, not {}", kind(v)));
        match self.get(name) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| wrong(v)),
            Some(v @ Value::String(s)) => {
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(wrong(v));
                }
                s.parse().map(Some).map_err(|_| wrong(v))
            }
            Some(v) => Err(wrong(v)),
        }
    }

    /// A required list of strings (may be empty).
    pub fn string_list(&self, name: &str) -> Result<Vec<String>, NxError> {
        let wrong = || NxError::Parameter(format!("{name} must be a list of strings"));
        match self.get(name) {
            None => Err(NxError::Parameter(format!("{name} is required"))),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(wrong))
                .collect(),
            Some(_) => Err(wrong()),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an out-of-range number",
        Value::Number(_) => "a decimal number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A handler's answer: the `data` member already serialised (serialising a struct keeps the
/// document's field order, which a `serde_json::Value` would sort), and `total` for paged lists.
#[derive(Debug, Clone)]
pub struct Data {
    /// Shared, not copied, when it comes from `read_cache`.
    json: hyper::body::Bytes,
    total: Option<u64>,
}

impl Data {
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Data, NxError> {
        // Sized for a page, so that a page is not copied through every doubling of a small buffer.
        let mut json = Vec::with_capacity(1024);
        serde_json::to_writer(&mut json, value)
            .map(|()| Data {
                json: json.into(),
                total: None,
            })
            // Serialising the model's own structs cannot fail; should it, the client sees 99.
            .map_err(|_| NxError::Code(99, "System error"))
    }

    pub fn paged<T: Serialize + ?Sized>(value: &T, total: u64) -> Result<Data, NxError> {
        Ok(Data {
            total: Some(total),
            ..Data::of(value)?
        })
    }

    /// An answer kept by `read_cache`.
    pub fn kept(kept: &crate::read_cache::Kept) -> Data {
        Data {
            json: kept.bytes.clone(),
            total: kept.total,
        }
    }

    /// What `read_cache` keeps of it.
    pub fn to_kept(&self) -> crate::read_cache::Kept {
        crate::read_cache::Kept {
            bytes: self.json.clone(),
            total: self.total,
        }
    }

    /// `data: null`, what the vendor's successful writes answer.
    pub fn null() -> Data {
        Data {
            json: hyper::body::Bytes::from_static(b"null"),
            total: None,
        }
    }
}

pub type Handler = fn(&Call) -> Result<Data, NxError>;

pub struct NxCloud;

/// From this size on a page is sent as it is kept, framed by the envelope's head and tail
/// (`http::Payload`); below it, copying it in costs less than the two extra buffers.
const FRAMED: usize = 512;

/// The envelope, written by hand so that its members come in the document's order.
fn render(ctx: &Ctx, tenant: Option<&str>, outcome: Result<Data, NxError>) -> Reply {
    let (status, code, msg, data, detail) = match outcome {
        Ok(d) => (StatusCode::OK, 0, Cow::Borrowed("Success"), d, None),
        Err(e) => {
            let p = e.parts();
            let data = Data {
                json: hyper::body::Bytes::from_static(b"{}"),
                total: None,
            };
            (p.status, p.code, Cow::Owned(p.msg), data, p.detail)
        }
    };
    // Written piece by piece: no `format!`, and a page is not copied at all (see `FRAMED`).
    let code_text = code.to_string();
    let framed = data.json.len() >= FRAMED;
    let inline = if framed { 0 } else { data.json.len() };
    // Room for `,"total":` and its digits too: growing a page's buffer at the end copied it again.
    let mut body = Vec::with_capacity(128 + msg.len() + inline);
    body.extend_from_slice(b"{\"reqId\":\"");
    ctx.push_random_hex_for(tenant, 32, &mut body);
    body.extend_from_slice(b"\",\"code\":");
    body.extend_from_slice(code_text.as_bytes());
    body.extend_from_slice(b",\"msg\":");
    // Escaped straight into the answer: writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut body, &*msg);
    body.extend_from_slice(b",\"data\":");
    let end = |out: &mut Vec<u8>| {
        if let Some(t) = data.total {
            out.extend_from_slice(b",\"total\":");
            out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
        }
        out.push(b'}');
    };
    let payload = if framed {
        let mut tail = Vec::with_capacity(32);
        end(&mut tail);
        Payload::framed(body.into(), data.json.clone(), tail.into())
    } else {
        body.extend_from_slice(&data.json);
        end(&mut body);
        body.into()
    };
    let reply = Reply::raw(status, crate::http::JSON_UTF8_UPPER, payload).with_code(code_text);
    match detail {
        Some(detail) => crate::vendors::with_detail(reply, &detail),
        None => reply,
    }
}

/// Whether `text` is `n` written the one way `n.to_string()` writes it (no sign, no leading
/// zero), written on the stack: the check runs on every request.
fn names_number(text: &str, n: i64) -> bool {
    itoa::Buffer::new().format(n) == text
}

/// Operations whose body carries no `tenantId`: the accessKey names the team. Real NXLink clients
/// call `cdr/page` that way; a `tenantId` given anyway must still be the key's own.
const TEAM_FROM_KEY: [&str; 1] = ["cdr/page"];

/// The operations whose handlers keep their answers in `read_cache` (`Call::kept`), asked again
/// with the same bytes before the body is read.
const KEPT_READS: [&str; 4] = [
    "agent/page",
    "agent/status/info",
    "agentGroup/page",
    "agentGroup/member/list",
];

/// Authenticates, reads the body and checks its tenantId, then runs the handler.
fn run(
    ctx: &Ctx,
    req: &ApiRequest,
    operation: &str,
    contract: &crate::op::Op,
    handler: Handler,
) -> (Result<Data, NxError>, Option<String>) {
    let caller = match auth::authenticate(ctx, req) {
        Ok(c) => c,
        Err(e) => return (Err(e), None),
    };
    let tenant = caller.tenant;
    let seen = KEPT_READS
        .contains(&operation)
        .then(|| crate::read_cache::request_key(&tenant, &req.path, &req.query, &req.body));
    if let Some(kept) = seen
        .as_deref()
        .and_then(|seen| ctx.read_again(&tenant, seen))
    {
        return (Ok(Data::kept(&kept)), Some(tenant));
    }
    // What the route's own OpenAPI document says is invalid never reaches a handler.
    let outcome = Body::checked(&req.body, contract).and_then(|body| {
        let tenant_id = if TEAM_FROM_KEY.contains(&operation) {
            body.opt_int("tenantId")?
        } else {
            Some(body.int("tenantId")?)
        };
        if let Some(tenant_id) = tenant_id.filter(|id| !names_number(&tenant, *id)) {
            return Err(NxError::Forbidden(format!(
                "tenantId {tenant_id} is not the team of this accessKey"
            )));
        }
        let call = Call {
            ctx,
            req,
            tenant: &tenant,
            body,
            seen: seen.as_deref(),
        };
        handler(&call)
    });
    (outcome, Some(tenant))
}

impl VendorApi for NxCloud {
    fn vendor(&self) -> Vendor {
        Vendor::Nxcloud
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with(PREFIX)
    }

    fn handle(&self, ctx: &Ctx, req: &ApiRequest) -> Reply {
        let route = match routing::find(routes::ROUTES, &req.method, &req.path) {
            Match::Found(route, _) => route,
            Match::MethodNotAllowed => {
                let reply = self.reject(ctx, req, Rejection::MethodNotAllowed);
                return crate::vendors::with_allow(reply, routes::ROUTES, &req.path);
            }
            Match::NotFound => return self.reject(ctx, req, Rejection::NotFound),
        };
        let (outcome, tenant) = run(ctx, req, route.operation, route.contract, route.handler);
        let mut reply = render(ctx, tenant.as_deref(), outcome).with_operation(route.operation);
        if let Some(t) = tenant {
            reply = reply.with_tenant(t);
        }
        reply
    }

    fn reject(&self, ctx: &Ctx, req: &ApiRequest, why: Rejection) -> Reply {
        let err = match why {
            Rejection::NotFound => NxError::Route(
                StatusCode::NOT_FOUND,
                routing::not_found_hint(routes::ROUTES, &req.method, &req.path),
            ),
            Rejection::MethodNotAllowed => NxError::Route(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "{} is not allowed on {}; the call-center APIs take POST",
                    req.method, req.path
                ),
            ),
            Rejection::BodyTooLarge => NxError::Body(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body exceeds the limit of {} bytes",
                    ctx.config.body_limit
                ),
            ),
            Rejection::BodyUnreadable => NxError::Body(
                StatusCode::BAD_REQUEST,
                "request body could not be read".into(),
            ),
        };
        let reply = render(ctx, None, Err(err));
        match self.operation(req) {
            Some(op) => reply.with_operation(op),
            None => reply,
        }
    }

    fn error_for_code(&self, ctx: &Ctx, req: &ApiRequest, code: &str) -> Option<Reply> {
        let code: i64 = code.trim().parse().ok()?;
        let (code, msg) = errors::CODES.iter().find(|(c, _)| *c == code)?;
        let reply = render(ctx, None, Err(NxError::Code(*code, msg)));
        Some(match self.operation(req) {
            Some(op) => reply.with_operation(op),
            None => reply,
        })
    }

    fn operation(&self, req: &ApiRequest) -> Option<&'static str> {
        routing::operation(routes::ROUTES, &req.method, &req.path)
    }

    fn tenant_hint(&self, ctx: &Ctx, req: &ApiRequest) -> Option<String> {
        auth::claimed_tenant(&ctx.model(), req)
    }

    fn route_event(
        &self,
        tenant: &crate::model::Tenant,
        event: &crate::model::ModelEvent,
        ids: &dyn Fn() -> String,
    ) -> Vec<crate::events::Outbound> {
        cdr::route(tenant, event, ids)
    }

    fn knows_event(&self, name: &str) -> bool {
        name == "cdr"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_id_names_a_team_only_in_its_own_spelling() {
        for n in [0, 7, 144, 1000, -7, -1000, i64::MAX, i64::MIN] {
            let own = n.to_string();
            assert!(names_number(&own, n), "{own}");
            for other in [
                format!("0{own}"),
                format!("+{own}"),
                format!("{own}0"),
                format!(" {own}"),
                (n.wrapping_add(1)).to_string(),
            ] {
                assert_eq!(names_number(&other, n), other == own, "{other} vs {n}");
            }
        }
        assert!(!names_number("-0", 0));
        assert!(!names_number("", 0));
        assert!(!names_number("team-144", 144));
    }

    #[test]
    fn a_body_reads_as_serde_json_would() {
        let b = Body::parse(
            br#"{"tenantId": 144, "queueNo": "a", "queueNo": "b", "x": null, "o": {"k": [1]}}"#,
        )
        .unwrap();
        assert_eq!(b.int("tenantId").unwrap(), 144);
        // A repeated name keeps its last value, as serde_json's map does.
        assert_eq!(b.string("queueNo").unwrap(), "b");
        assert_eq!(b.opt_int("x").unwrap(), None, "null is absent");
        assert_eq!(b.get("o"), Some(&serde_json::json!({"k": [1]})));
        // A name with an escape is unescaped (copied); the others are borrowed from the body.
        let escaped = Body::parse(br#"{"tenant\u0049d": 7, "queueNo": "q"}"#).unwrap();
        assert_eq!(escaped.int("tenantId").unwrap(), 7);
        assert!(matches!(escaped.0[0].0, Cow::Owned(_)));
        assert!(matches!(escaped.0[1].0, Cow::Borrowed(_)));
        for (bad, why) in [
            (&b"[1, 2]"[..], "must be a JSON object"),
            (b"\"text\"", "must be a JSON object"),
            (b"{\"a\": 1", "not valid JSON"),
            (b"{\"a\": 1} x", "not valid JSON"),
            (b"  ", "is empty"),
        ] {
            match Body::parse(bad) {
                Err(NxError::Parameter(msg)) => assert!(msg.contains(why), "{msg}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
