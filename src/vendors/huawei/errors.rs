//! Huawei CEC errors: an HTTP status and one body shape.
//!
//! The API Fabric pages document errors only as HTTP statuses in prose ("400 incorrect request",
//! "401 unauthorized operation", "403 authentication failed", "404 not found", "500 business
//! failure") and say "Error Codes: None"; no error body is published. ccemu answers every Huawei
//! error with `{"error_code":"CCEMU.0<status>","error_msg":"…"}` (docs/huawei.md documents it), so a
//! client can rely on the status and a human can read the cause.

use crate::http::Reply;
use crate::model::ModelError;
use hyper::StatusCode;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HuaweiError {
    /// 400: malformed JSON, a missing or mistyped field, a value out of its documented range.
    BadRequest(String),
    /// 401: no, unknown or expired token; an X-APP-Key that is not the token's; wrong app
    /// credentials at the token exchange (unless the fixture asks for 403).
    Unauthorized(String),
    /// 403: authentication failed (queryAgentInfoByAccount's password; bad app credentials when
    /// `bad_credentials_status` is 403).
    Forbidden(String),
    /// 404: no such path under `/apigovernance/` or `/apiaccess/`.
    NotFound(String),
    /// 405: the path exists for another method.
    MethodNotAllowed(String),
    /// 413: the body exceeds the configured limit.
    TooLarge,
    /// 415: the token exchange insists on `Content-Type: application/json`.
    UnsupportedMediaType(String),
    /// 500 "business failure": a model rule refused the request.
    Business(String),
    /// Any status, for injected faults and configured credential statuses.
    Status(StatusCode, String),
}

impl From<ModelError> for HuaweiError {
    fn from(e: ModelError) -> Self {
        HuaweiError::Business(e.to_string())
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_msg: &'a str,
}

/// The documented prose for a status, used when nothing more specific is known.
pub fn status_text(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Incorrect request. Check the request path and parameters.",
        401 => "Unauthorized operation.",
        403 => "Authentication failed.",
        404 => "The requested content is not found. Check the request path.",
        405 => "Method not allowed.",
        413 => "Request body too large.",
        415 => "Unsupported media type.",
        429 => "Too many requests.",
        500 => "Business failure. Check the values of parameters in the request.",
        502 => "Bad gateway.",
        503 => "Service unavailable.",
        504 => "Gateway timeout.",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

impl HuaweiError {
    pub fn status(&self) -> StatusCode {
        use HuaweiError::*;
        match self {
            BadRequest(_) => StatusCode::BAD_REQUEST,
            Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Forbidden(_) => StatusCode::FORBIDDEN,
            NotFound(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Business(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Status(s, _) => *s,
        }
    }

    /// `CCEMU.0401` and the like: the status, so a fault injected as "401" and a real 401 read alike.
    pub fn code(&self) -> String {
        format!("CCEMU.{:04}", self.status().as_u16())
    }

    pub fn message(&self) -> String {
        use HuaweiError::*;
        let status = self.status();
        let detail = match self {
            BadRequest(d)
            | Unauthorized(d)
            | Forbidden(d)
            | NotFound(d)
            | MethodNotAllowed(d)
            | UnsupportedMediaType(d)
            | Business(d)
            | Status(_, d) => d.as_str(),
            TooLarge => "the request body exceeds the size limit",
        };
        if detail.is_empty() {
            status_text(status).to_string()
        } else {
            format!("{} {detail}", status_text(status))
        }
    }

    pub fn reply(&self) -> Reply {
        let code = self.code();
        let msg = self.message();
        let reply = super::json_reply(
            self.status(),
            &ErrorBody {
                error_code: &code,
                error_msg: &msg,
            },
        )
        .with_code(code);
        crate::vendors::with_detail(reply, &msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_the_status_and_the_cause() {
        let r = HuaweiError::Unauthorized("AccessToken expired.".into()).reply();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.json_body().unwrap(),
            serde_json::json!({"error_code": "CCEMU.0401", "error_msg": "Unauthorized operation. AccessToken expired."})
        );
        assert_eq!(
            HuaweiError::Business("x".into()).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
