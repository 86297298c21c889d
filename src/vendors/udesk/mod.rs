//! Udesk CCPaaS ccapi v2 (`/ccapi/v2/`): the vendor face.
//!
//! A request passes `auth::authenticate`, then the route's handler runs against the model and
//! answers the `Result` part; `render` wraps it in the envelope the route's documentation shows.

pub mod agents;
pub mod auth;
pub mod callback;
pub mod errors;
pub mod events;
pub mod extensions;
pub mod queue_members;
pub mod queues;
pub mod relay_numbers;
pub mod routes;
pub mod sessions;
pub mod subscriptions;

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Payload, Rejection, Reply, JSON_UTF8};
use crate::model::Vendor;
use crate::routing::{self, Match, Params};
use crate::vendors::VendorApi;
use errors::UdeskError;
use hyper::body::Bytes;
use hyper::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub const PREFIX: &str = "/ccapi/v2/";

/// What a handler sees: the request, the authenticated tenant (AppId) and the path parameters.
pub struct Call<'a> {
    pub ctx: &'a Ctx,
    pub req: &'a ApiRequest,
    pub tenant: String,
    pub params: Params,
}

impl Call<'_> {
    /// Parses the JSON body into the documented request type. A missing field answers 100001
    /// naming it; anything else that does not fit answers 000001 with serde's reason.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, UdeskError> {
        if self.req.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(UdeskError::EmptyParameter("request body is empty".into()));
        }
        // The whole document first: a field the type does not name is otherwise never decoded.
        crate::vendors::json::check(&self.req.body).map_err(|e| {
            UdeskError::InvalidParameter(format!("request body is not valid JSON: {e}"))
        })?;
        crate::vendors::json::read(&self.req.body).map_err(parse_error)
    }

    /// A path parameter the route pattern guarantees.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).unwrap_or_default()
    }

    /// The tenant's clock: its sandbox's when it is in one.
    pub fn now_ms(&self) -> i64 {
        self.ctx.clock_ms_for(&self.tenant)
    }
}

/// A body that does not fit its type: a missing field answers 100001 naming it, anything else
/// 000001 with serde's reason.
pub fn parse_error(e: serde_json::Error) -> UdeskError {
    let msg = e.to_string();
    match msg.strip_prefix("missing field `") {
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or(rest);
            UdeskError::EmptyParameter(format!("{field} is required"))
        }
        None => UdeskError::InvalidParameter(msg),
    }
}

/// The envelope a route answers in; the document's own quirks are reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `{"ErrCode","ErrDesc","Result"}`.
    Standard,
    /// Login and logout: `{"ErrCode","ErrDesc","msg_id","results":"","data":null}`.
    Session,
    /// callback2ivr: `{"code","message","results"}`.
    Callback,
}

pub type Handler = fn(&Call) -> Result<Answer, UdeskError>;

/// A handler's `Result` part, already serialised. Views are written once, straight into bytes
/// the envelope is then wrapped around, with no `serde_json::Value` tree built and torn down in
/// between: on the hot path that tree cost more than everything else a request does. Shared
/// with `read_cache`, not copied to and from it (a kept 100-agent page is 32 KB).
pub struct Answer(hyper::body::Bytes);

impl Answer {
    pub fn of<T: Serialize + ?Sized>(view: &T) -> Result<Answer, UdeskError> {
        Answer::sized(view, 128)
    }

    /// `of`, into a buffer of about the answer's size, so that a large page is not copied
    /// through every doubling of a small one.
    pub fn sized<T: Serialize + ?Sized>(view: &T, capacity: usize) -> Result<Answer, UdeskError> {
        let mut out = Vec::with_capacity(capacity);
        serde_json::to_writer(&mut out, view)
            .map(|()| Answer(out.into()))
            .map_err(|e| UdeskError::Internal(e.to_string()))
    }

    /// An answer kept by `read_cache`.
    pub fn kept(kept: &crate::read_cache::Kept) -> Answer {
        Answer(kept.bytes.clone())
    }

    /// What `read_cache` keeps of it.
    pub fn to_kept(&self) -> crate::read_cache::Kept {
        crate::read_cache::Kept {
            bytes: self.0.clone(),
            total: None,
        }
    }

    /// `Result: null`, what most write operations answer.
    pub fn null() -> Answer {
        Answer(hyper::body::Bytes::from_static(b"null"))
    }

    fn is_null(&self) -> bool {
        self.0 == b"null"[..]
    }
}

impl From<Value> for Answer {
    fn from(v: Value) -> Answer {
        Answer::of(&v).unwrap_or_else(|_| Answer::null())
    }
}

/// `{"<name>":"<text>",...,"<last>":<raw JSON>}`: an envelope around an answer serialised
/// beforehand, written in one pass with the answer copied once.
fn wrap(texts: &[(&str, &str)], last: &str, raw: &[u8]) -> Vec<u8> {
    let extra: usize = texts.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    let mut out = Vec::with_capacity(raw.len() + last.len() + extra + 8);
    out.push(b'{');
    for (name, text) in texts {
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, text);
        out.push(b',');
    }
    let _ = serde_json::to_writer(&mut out, last);
    out.push(b':');
    out.extend_from_slice(raw);
    out.push(b'}');
    out
}

pub struct Udesk;

#[derive(Serialize)]
struct SessionBody<'a> {
    #[serde(rename = "ErrCode")]
    code: &'a str,
    #[serde(rename = "ErrDesc")]
    desc: &'a str,
    msg_id: &'a str,
    results: &'a str,
    data: (),
}

/// What [`wrap`] writes before the `Result` of a success in the standard envelope: the same
/// bytes every time, so copied rather than escaped anew on every read.
const OK_HEAD: &[u8] = br#"{"ErrCode":"000000","ErrDesc":"OK","Result":"#;

fn render(envelope: Envelope, req: &ApiRequest, outcome: Result<Answer, UdeskError>) -> Reply {
    if let (Envelope::Standard, Ok(v)) = (envelope, &outcome) {
        // The envelope around the answer's own (often kept) bytes: nothing copied or allocated.
        let body = Payload::framed(
            Bytes::from_static(OK_HEAD),
            v.0.clone(),
            Bytes::from_static(b"}"),
        );
        return Reply::raw(StatusCode::OK, JSON_UTF8, body).with_code("000000");
    }
    let failed = outcome.is_err();
    let (status, code, desc, result) = match outcome {
        Ok(v) => (StatusCode::OK, "000000", "OK".to_string(), v),
        Err(e) => {
            let (s, c, d) = e.parts();
            (s, c, d, Answer::null())
        }
    };
    let reply = match envelope {
        Envelope::Standard => Reply::raw(
            status,
            JSON_UTF8,
            wrap(
                &[("ErrCode", code), ("ErrDesc", &desc)],
                "Result",
                &result.0,
            ),
        ),
        Envelope::Session => {
            let msg_id = req.query_param("MsgId").unwrap_or_default();
            Reply::json(
                status,
                &SessionBody {
                    code,
                    desc: &desc,
                    msg_id: &msg_id,
                    results: "",
                    data: (),
                },
            )
        }
        Envelope::Callback => {
            let results: &[u8] = if result.is_null() { b"\"\"" } else { &result.0 };
            Reply::raw(
                status,
                JSON_UTF8,
                wrap(&[("code", code), ("message", &desc)], "results", results),
            )
        }
    }
    .with_code(code);
    // The ErrDesc already names the cause; the header repeats it so every vendor's refusals can
    // be read the same way.
    if failed {
        crate::vendors::with_detail(reply, &desc)
    } else {
        reply
    }
}

impl VendorApi for Udesk {
    fn vendor(&self) -> Vendor {
        Vendor::Udesk
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with(PREFIX)
    }

    fn handle(&self, ctx: &Ctx, req: &ApiRequest) -> Reply {
        let (route, params) = match routing::find(routes::ROUTES, &req.method, &req.path) {
            Match::Found(route, params) => (route, params),
            Match::MethodNotAllowed => {
                let reply = self.reject(ctx, req, Rejection::MethodNotAllowed);
                return crate::vendors::with_allow(reply, routes::ROUTES, &req.path);
            }
            Match::NotFound => return self.reject(ctx, req, Rejection::NotFound),
        };
        let (handler, envelope) = route.handler;
        // Only the credential lookup needs the lock; the SHA1 runs after it is released.
        let account = {
            let model = ctx.model();
            auth::account(&model, req)
        };
        // The window is checked on the tenant's own clock, which a scenario may skew.
        let tenant = account.and_then(|a| {
            let now_ms = ctx.now_ms_for(&a.tenant);
            match auth::verify(&a, now_ms) {
                Ok(()) => Ok(a.tenant),
                Err(UdeskError::RequestTimeout(why)) => Err(UdeskError::RequestTimeout(format!(
                    "{why}; {}",
                    ctx.clock_standing(&a.tenant)
                ))),
                Err(other) => Err(other),
            }
        });
        let reply = match tenant {
            Ok(tenant) => {
                let call = Call {
                    ctx,
                    req,
                    tenant,
                    params,
                };
                // What the route's own OpenAPI document says is invalid never reaches a handler.
                let outcome = crate::conform::body(Vendor::Udesk, route.contract, &req.body)
                    .map_err(|v| {
                        if v.missing {
                            UdeskError::EmptyParameter(v.to_string())
                        } else {
                            UdeskError::InvalidParameter(v.to_string())
                        }
                    })
                    .and_then(|()| handler(&call));
                render(envelope, req, outcome).with_tenant(call.tenant)
            }
            Err(e) => render(envelope, req, Err(e)),
        };
        reply.with_operation(route.operation)
    }

    fn reject(&self, _ctx: &Ctx, req: &ApiRequest, why: Rejection) -> Reply {
        let err = match why {
            Rejection::NotFound => UdeskError::IncorrectRequest(
                StatusCode::NOT_FOUND,
                routing::not_found_hint(routes::ROUTES, &req.method, &req.path),
            ),
            Rejection::MethodNotAllowed => UdeskError::IncorrectRequest(
                StatusCode::METHOD_NOT_ALLOWED,
                routing::method_hint(routes::ROUTES, &req.method, &req.path),
            ),
            Rejection::BodyTooLarge => {
                UdeskError::InvalidParameter("request body exceeds the size limit".into())
            }
            Rejection::BodyUnreadable => {
                UdeskError::InvalidParameter("request body could not be read".into())
            }
        };
        let envelope = match routing::find(routes::ROUTES, &req.method, &req.path) {
            Match::Found(route, _) => route.handler.1,
            _ => Envelope::Standard,
        };
        render(envelope, req, Err(err))
    }

    fn error_for_code(&self, _ctx: &Ctx, req: &ApiRequest, code: &str) -> Option<Reply> {
        let (code, desc) = errors::CODES.iter().find(|(c, _)| *c == code)?;
        let envelope = match routing::find(routes::ROUTES, &req.method, &req.path) {
            Match::Found(route, _) => route.handler.1,
            _ => Envelope::Standard,
        };
        Some(render(envelope, req, Err(UdeskError::Code(code, desc))))
    }

    fn operation(&self, req: &ApiRequest) -> Option<&'static str> {
        routing::operation(routes::ROUTES, &req.method, &req.path)
    }

    /// The tenant whose AppId the query names (the tenant id is looked up, not assumed equal).
    fn tenant_hint(&self, ctx: &Ctx, req: &ApiRequest) -> Option<String> {
        let app = auth::app_id(req)?;
        let model = ctx.model();
        let tenant = model.find_tenant(
            |c| matches!(c, crate::model::Credentials::Udesk { app_id, .. } if *app_id == app),
        )?;
        Some(tenant.id.clone())
    }

    fn route_event(
        &self,
        tenant: &crate::model::Tenant,
        event: &crate::model::ModelEvent,
        ids: &dyn Fn() -> String,
    ) -> Vec<crate::events::Outbound> {
        events::route(tenant, event, ids)
    }

    fn knows_event(&self, name: &str) -> bool {
        events::is_event_type(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The success path's fixed head is what `wrap` writes for a success.
    #[test]
    fn the_ok_head_is_what_wrap_writes() {
        let result = br#"{"AgentId":9415}"#;
        let mut expect = OK_HEAD.to_vec();
        expect.extend_from_slice(result);
        expect.push(b'}');
        assert_eq!(
            wrap(
                &[("ErrCode", "000000"), ("ErrDesc", "OK")],
                "Result",
                result
            ),
            expect
        );
    }
}
