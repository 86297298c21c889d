//! NXCloud's result codes and how each refusal maps to one.
//!
//! Every answer is `{"reqId","code","msg","data"}` with HTTP 200, as the vendor's clients read
//! `code`, not the status. Three exceptions are ccemu's (docs/nxcloud.md): an unknown path answers 404, a
//! wrong method 405 and an oversized body 413, each still in the envelope.
//!
//! The authentication refusals (1001, 1002 for a wrong bizType/action/algorithm, 1003, 1004,
//! 1005) carry the table's text exactly, since clients match on it; the cause goes to the
//! `x-ccemu-detail` header. Body parameter and business errors (1002, 41000, 88) append the cause
//! to the text (`Parameter error: queueNo is required`), as the vendor's own 41000 messages name
//! what is wrong.

use crate::model::ModelError;
use hyper::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NxError {
    /// 1001 "Missing common parameters": a required header is absent or empty.
    MissingHeader(&'static str),
    /// 1002 "Parameter error": bizType/action (or algorithm) are not this business's.
    WrongHeader(String),
    /// 1005 "Insufficient permissions": no tenant has this accessKey (on this host's region).
    UnknownAccessKey(String),
    /// 1004 "Timestamp has expired": ts not in milliseconds or more than 60 s off.
    TimestampExpired(String),
    /// 1003 "Invalid signature".
    InvalidSignature,
    /// 1005 "Insufficient permissions": the body's tenantId is not the key's team.
    Forbidden(String),
    /// 1002 "Parameter error": malformed JSON, a missing field or a value of the wrong type.
    Parameter(String),
    /// 41000: a business rule refused the values (the message is the whole `msg`).
    Validation(String),
    /// 88 "Request failed" with an HTTP status of ccemu's choosing (404, 405).
    Route(StatusCode, String),
    /// 1002 with an HTTP status (413 for an oversized body, 400 for an unreadable one).
    Body(StatusCode, String),
    /// Any code from the tables, for injected faults.
    Code(i64, &'static str),
}

impl From<ModelError> for NxError {
    fn from(e: ModelError) -> Self {
        NxError::Validation(e.to_string())
    }
}

/// The vendor's code tables (common authentication table and the endpoints' response codes).
pub const CODES: &[(i64, &str)] = &[
    (88, "Request failed"),
    (99, "System error"),
    (1001, "Missing common parameters"),
    (1002, "Parameter error"),
    (1003, "Invalid signature"),
    (1004, "Timestamp has expired"),
    (1005, "Insufficient permissions"),
    (41000, "Business validation error"),
];

pub fn describe(code: i64) -> &'static str {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Request failed", |(_, d)| d)
}

fn with_detail(code: i64, detail: &str) -> String {
    format!("{}: {detail}", describe(code))
}

/// What the envelope and the reply carry for one refusal.
pub struct Parts {
    pub status: StatusCode,
    pub code: i64,
    pub msg: String,
    /// Why, for the `x-ccemu-detail` header (not part of the vendor's envelope).
    pub detail: Option<String>,
}

impl NxError {
    pub fn parts(&self) -> Parts {
        use NxError::*;
        let ok = StatusCode::OK;
        let exact = |code: i64, detail: String| Parts {
            status: ok,
            code,
            msg: describe(code).to_string(),
            detail: Some(detail),
        };
        match self {
            MissingHeader(h) => exact(1001, format!("header {h} is missing or empty")),
            WrongHeader(d) => exact(1002, d.clone()),
            UnknownAccessKey(d) => exact(1005, d.clone()),
            TimestampExpired(d) => exact(1004, d.clone()),
            InvalidSignature => exact(
                1003,
                "sign is not the lowercase hex digest of headersStr + bodyStr + accessSecretStr"
                    .into(),
            ),
            Forbidden(d) => exact(1005, d.clone()),
            Parameter(d) => Parts {
                status: ok,
                code: 1002,
                msg: with_detail(1002, d),
                detail: Some(d.clone()),
            },
            Validation(m) => Parts {
                status: ok,
                code: 41000,
                msg: m.clone(),
                detail: None,
            },
            Route(status, d) => Parts {
                status: *status,
                code: 88,
                msg: with_detail(88, d),
                detail: Some(d.clone()),
            },
            Body(status, d) => Parts {
                status: *status,
                code: 1002,
                msg: with_detail(1002, d),
                detail: Some(d.clone()),
            },
            Code(code, msg) => Parts {
                status: ok,
                code: *code,
                msg: msg.to_string(),
                detail: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_codes_carry_the_tables_text_exactly() {
        assert_eq!(
            NxError::MissingHeader("ts").parts().msg,
            "Missing common parameters"
        );
        assert_eq!(NxError::InvalidSignature.parts().code, 1003);
        assert_eq!(
            NxError::WrongHeader("bizType must be \"8\"".into())
                .parts()
                .msg,
            "Parameter error"
        );
        let p = NxError::Parameter("queueNo is required".into()).parts();
        assert_eq!(
            (p.code, p.msg.as_str()),
            (1002, "Parameter error: queueNo is required")
        );
    }
}
