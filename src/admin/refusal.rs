//! The admin refusal the scenario and journal endpoints answer with: `{"error","message"}`, the
//! same shape as the rest of `/_ccemu/`.

use crate::http::{ApiRequest, Reply};
use hyper::StatusCode;
use serde_json::json;

pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

pub type Answer = Result<Reply, Refusal>;

pub fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

impl From<Refusal> for Reply {
    fn from(r: Refusal) -> Reply {
        Reply::json(
            r.status,
            &json!({"error": r.status.canonical_reason().unwrap_or("error"), "message": r.message}),
        )
    }
}

pub fn ok(value: serde_json::Value) -> Reply {
    Reply::json(StatusCode::OK, &value)
}

/// A 200 with one of `super::answers`' types (its schema is the one admin.json gives).
pub fn typed<T: serde::Serialize>(answer: &T) -> Reply {
    Reply::json(StatusCode::OK, answer)
}

pub fn not_found() -> Refusal {
    refuse(StatusCode::NOT_FOUND, "no such admin path")
}

pub fn method_not_allowed() -> Refusal {
    refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

pub fn parse<T: serde::de::DeserializeOwned>(req: &ApiRequest) -> Result<T, Refusal> {
    parse_object(&req.body).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))
}

/// Every admin body is a JSON object: serde would otherwise read a struct from an array, field
/// by position (`[null, null]` as `{}`), which the documented schemas refuse.
pub fn parse_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err("invalid JSON body: expected a JSON object".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

/// The body of the admin waits (`/_ccemu/requests/wait`, `/_ccemu/webhooks/wait`): what to match,
/// how many, and how long to wait (real ms, at most `MAX_WAIT_MS`).
#[derive(serde::Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "M: serde::de::DeserializeOwned + Default")
)]
pub struct Wait<M> {
    #[serde(
        rename = "match",
        default,
        deserialize_with = "crate::journal::matcher::object_only"
    )]
    pub matcher: M,
    #[serde(default = "one")]
    pub count: usize,
    #[serde(default = "five_seconds")]
    timeout_ms: u64,
}

/// The longest a wait may ask for; a test wanting more should loop.
pub const MAX_WAIT_MS: u64 = 120_000;

fn one() -> usize {
    1
}

fn five_seconds() -> u64 {
    5_000
}

impl<M> Wait<M> {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.min(MAX_WAIT_MS))
    }

    /// The 408 a wait answers with the count seen; `what` names the things waited for.
    pub fn timed_out(&self, seen: usize, what: &str) -> Reply {
        Reply::json(
            StatusCode::REQUEST_TIMEOUT,
            &json!({
                "error": "timeout",
                "message": format!("{seen} of {} matching {what} within {} ms", self.count, self.timeout().as_millis()),
                "count": seen,
            }),
        )
    }
}
