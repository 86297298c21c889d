//! Huawei Cloud CEC API Fabric (`/apigovernance/`, `/apiaccess/`): the vendor face.
//!
//! `tokenByAkSk` trades an app's key and secret for a Bearer token; every `/apiaccess/` route
//! passes `auth::authenticate` first, then its handler runs against the caller's tenant (the
//! app's tenant space) and answers the whole body, since each page documents its own envelope
//! (a bare object, `returnCode/description/data` or `resultCode/resultMessage/data/total`).

pub mod accounts;
pub mod agents;
pub mod auth;
pub mod errors;
pub mod routes;
pub mod skills;

use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::model::Vendor;
use crate::routing::{self, Match};
use crate::vendors::VendorApi;
use errors::HuaweiError;
use hyper::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub const TOKEN_PREFIX: &str = "/apigovernance/";
pub const API_PREFIX: &str = "/apiaccess/";

/// What a handler sees: the request and the tenant its token was issued to.
pub struct Call<'a> {
    pub ctx: &'a Ctx,
    pub req: &'a ApiRequest,
    pub tenant: &'a str,
    /// The body was walked whole against the route's document (`conform`), so it is known to
    /// be one valid JSON document: it need not be walked again before it is read.
    pub body_checked: bool,
    /// Whether that walk met a `null` (a body not walked may hold one): the listings' quick
    /// parameter read leaves a body with one to the slow read (`agents::params`).
    pub body_has_null: bool,
    /// This request's `read_cache::request_key`, on a route that keeps its answers: noted beside
    /// the key a handler keeps or finds its answer under, so that the same bytes are answered
    /// next time before the body is walked (`handle`).
    pub seen: Option<&'a [u8]>,
}

/// The operations whose handlers keep their answers in `read_cache` (`kept_reply`), asked again
/// with the same bytes before the body is walked.
const KEPT_READS: [&str; 5] = [
    "queryAgentInfo",
    "agentAccountQuery",
    "querySkills",
    "queryAgentInfoBySkillId",
    "queryAgentInfoByAccount",
];

impl Call<'_> {
    /// Parses the JSON body into the documented request type (400 with the reason otherwise).
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, HuaweiError> {
        if self.body_checked {
            return parse_whole(&self.req.body);
        }
        parse_body(&self.req.body)
    }

    /// The tenant's clock: its sandbox's when it is in one.
    pub fn now_ms(&self) -> i64 {
        self.ctx.clock_ms_for(self.tenant)
    }
}

/// What the route's own OpenAPI document says is invalid (a wrong type, a body that is not an
/// object) is refused with 400 before any handler reads it. Passed, whether the body holds a
/// `null` (`Call::body_has_null`).
pub fn conform(op: &crate::op::Op, req: &ApiRequest) -> Result<bool, HuaweiError> {
    crate::conform::body_holding_null(Vendor::Huawei, op, &req.body).map_err(|v| {
        HuaweiError::BadRequest(if let Some(why) = &v.malformed {
            format!("Invalid request body: {why}.")
        } else if v.missing {
            format!("{} is mandatory.", v.at)
        } else {
            format!("Invalid request body: {v}.")
        })
    })
}

/// A missing field answers 400 naming it; anything else that does not fit, 400 with serde's
/// reason.
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, HuaweiError> {
    refuse_empty(body)?;
    // The whole document first: a field the type does not name is otherwise never decoded.
    crate::vendors::json::check(body)
        .map_err(|e| HuaweiError::BadRequest(format!("Invalid request body: {e}.")))?;
    crate::vendors::json::read(body).map_err(body_error)
}

/// `parse_body` without its whole-document check, for a body known to be valid JSON as a whole:
/// one the route's contract walk has checked (`Call::body`), or one read into a
/// `serde_json::Value`, which decodes every member itself (the listings' `unwrap_params`). The
/// check would walk the same bytes a second time.
pub fn parse_whole<T: DeserializeOwned>(body: &[u8]) -> Result<T, HuaweiError> {
    refuse_empty(body)?;
    crate::vendors::json::read(body).map_err(body_error)
}

fn refuse_empty(body: &[u8]) -> Result<(), HuaweiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(HuaweiError::BadRequest("The request body is empty.".into()));
    }
    Ok(())
}

pub fn body_error(e: serde_json::Error) -> HuaweiError {
    let msg = e.to_string();
    match msg.strip_prefix("missing field `") {
        Some(rest) => {
            let field = rest.split('`').next().unwrap_or(rest);
            HuaweiError::BadRequest(format!("{field} is mandatory."))
        }
        None => HuaweiError::BadRequest(format!("Invalid request body: {msg}.")),
    }
}

/// A 200 JSON answer; handlers serialise after releasing the model lock.
pub fn ok<T: Serialize>(body: &T) -> Result<Reply, HuaweiError> {
    Ok(json_reply(StatusCode::OK, body))
}

/// The content type the pages' examples show, spelled as the vendor's gateway sends it.
pub const CONTENT_TYPE: &str = crate::http::JSON_UTF8_UPPER;

/// The answer `read_cache` kept under `key` at this model version and instant, as a reply.
fn kept_reply(call: &Call, key: &str, version: u64, now_ms: i64) -> Option<Reply> {
    let kept = call.ctx.reads.get_for(call.seen, key, version, now_ms)?;
    Some(Reply::raw(hyper::StatusCode::OK, CONTENT_TYPE, kept.bytes))
}

/// Keeps a read's reply in `read_cache`, and hands it on.
fn keep(call: &Call, key: String, version: u64, now_ms: i64, reply: Reply) -> Reply {
    let kept = crate::read_cache::Kept {
        bytes: reply.body.to_bytes(),
        total: None,
    };
    call.ctx
        .reads
        .put_for(call.seen, key, version, now_ms, kept);
    reply
}

/// A JSON reply with the vendor's own `Content-Type` spelling.
pub fn json_reply<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Reply {
    // Sized for a page, so that a page is not copied through every doubling of a small buffer.
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => Reply::raw(status, CONTENT_TYPE, bytes),
        Err(_) => Reply::json(status, body),
    }
}

pub type Handler = fn(&Call) -> Result<Reply, HuaweiError>;

/// A route is either the token exchange (no Bearer token) or an API behind the Bearer check.
#[derive(Clone, Copy)]
pub enum Endpoint {
    Token,
    Api(Handler),
}

pub struct Huawei;

impl VendorApi for Huawei {
    fn vendor(&self) -> Vendor {
        Vendor::Huawei
    }

    fn serves(&self, path: &str) -> bool {
        path.starts_with(TOKEN_PREFIX) || path.starts_with(API_PREFIX)
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
        let reply = match route.handler {
            Endpoint::Token => match auth::token_by_ak_sk(ctx, req) {
                Ok((reply, tenant)) => reply.with_tenant(tenant),
                Err(e) => e.reply(),
            },
            Endpoint::Api(handler) => {
                let caller = {
                    let model = ctx.model();
                    auth::authenticate(ctx, &model, req)
                };
                let caller = match caller {
                    Ok(caller) => caller,
                    Err(e) => return e.reply().with_operation(route.operation),
                };
                let seen = KEPT_READS.contains(&route.operation).then(|| {
                    crate::read_cache::request_key(&caller.tenant, &req.path, &req.query, &req.body)
                });
                if let Some(kept) = seen
                    .as_deref()
                    .and_then(|seen| ctx.read_again(&caller.tenant, seen))
                {
                    return Reply::raw(StatusCode::OK, CONTENT_TYPE, kept.bytes)
                        .with_tenant(caller.tenant)
                        .with_operation(route.operation);
                }
                match conform(route.contract, req).map(|nulls| (caller, nulls)) {
                    Ok((caller, nulls)) => {
                        let call = Call {
                            ctx,
                            req,
                            tenant: &caller.tenant,
                            body_checked: route.contract.has_body,
                            body_has_null: nulls || !route.contract.has_body,
                            seen: seen.as_deref(),
                        };
                        handler(&call)
                            .unwrap_or_else(|e| e.reply())
                            .with_tenant(caller.tenant)
                    }
                    Err(e) => e.reply(),
                }
            }
        };
        reply.with_operation(route.operation)
    }

    fn reject(&self, _ctx: &Ctx, req: &ApiRequest, why: Rejection) -> Reply {
        let err = match why {
            Rejection::NotFound => HuaweiError::NotFound(format!(
                "{}.",
                routing::not_found_hint(routes::ROUTES, &req.method, &req.path)
            )),
            Rejection::MethodNotAllowed => HuaweiError::MethodNotAllowed(format!(
                "{}.",
                routing::method_hint(routes::ROUTES, &req.method, &req.path)
            )),
            Rejection::BodyTooLarge => HuaweiError::TooLarge,
            Rejection::BodyUnreadable => {
                HuaweiError::BadRequest("The request body could not be read.".into())
            }
        };
        let reply = err.reply();
        match self.operation(req) {
            Some(op) => reply.with_operation(op),
            None => reply,
        }
    }

    /// Huawei documents HTTP statuses only, so a fault code is a status: "401", "500", "429"
    /// (or ccemu's own spelling "CCEMU.0401"). Any 4xx or 5xx is accepted.
    fn error_for_code(&self, _ctx: &Ctx, req: &ApiRequest, code: &str) -> Option<Reply> {
        let digits = code.strip_prefix("CCEMU.").unwrap_or(code);
        let status = digits
            .parse::<u16>()
            .ok()
            .and_then(|n| StatusCode::from_u16(n).ok())
            .filter(|s| s.is_client_error() || s.is_server_error())?;
        let reply = HuaweiError::Status(status, String::new()).reply();
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::Config;
    use crate::model::Model;
    use hyper::Method;

    fn ctx() -> Ctx {
        Ctx::new(Config::ephemeral(), Model::default())
    }

    #[test]
    fn a_fault_code_is_an_http_status_with_the_error_body() {
        let req = ApiRequest::new(Method::GET, "/apiaccess/CC-Mangemant/v1/queryAgentInfo");
        for (code, status) in [
            ("401", 401),
            ("403", 403),
            ("500", 500),
            ("429", 429),
            ("CCEMU.0503", 503),
        ] {
            let r = Huawei.error_for_code(&ctx(), &req, code).expect(code);
            assert_eq!(r.status.as_u16(), status);
            let body = r.json_body().unwrap();
            assert_eq!(body["error_code"], format!("CCEMU.{status:04}"));
            assert!(body["error_msg"].as_str().is_some_and(|m| !m.is_empty()));
            assert_eq!(r.meta.operation, Some("queryAgentInfo"));
        }
        for code in ["200", "abc", "", "99", "600"] {
            assert!(
                Huawei.error_for_code(&ctx(), &req, code).is_none(),
                "{code}"
            );
        }
    }

    #[test]
    fn operations_are_the_documented_names() {
        let op = |m: Method, p: &str| Huawei.operation(&ApiRequest::new(m, p));
        assert_eq!(
            op(Method::POST, "/apigovernance/api/oauth/tokenByAkSk"),
            Some("tokenByAkSk")
        );
        assert_eq!(
            op(Method::GET, "/apiaccess/CC-Management/v1/querySysInfo"),
            Some("querySysInfo")
        );
        assert_eq!(
            op(
                Method::POST,
                "/apiaccess/rest/cc-management/v1/skill/deleteSkill"
            ),
            Some("deleteSkill")
        );
        assert_eq!(
            op(
                Method::GET,
                "/apiaccess/rest/cc-management/v1/skill/deleteSkill"
            ),
            None
        );
        assert_eq!(op(Method::GET, "/apiaccess/nothing"), None);
    }

    #[test]
    fn rejections_answer_in_the_huawei_shape() {
        let req = ApiRequest::new(
            Method::POST,
            "/apiaccess/rest/cc-management/v1/skill/querySkills",
        );
        let cases = [
            (Rejection::NotFound, 404),
            (Rejection::MethodNotAllowed, 405),
            (Rejection::BodyTooLarge, 413),
            (Rejection::BodyUnreadable, 400),
        ];
        for (why, status) in cases {
            let r = Huawei.reject(&ctx(), &req, why);
            assert_eq!(r.status.as_u16(), status);
            assert_eq!(
                r.json_body().unwrap()["error_code"],
                format!("CCEMU.{status:04}")
            );
        }
    }
}
