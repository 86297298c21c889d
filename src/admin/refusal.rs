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

pub fn not_found() -> Refusal {
    refuse(StatusCode::NOT_FOUND, "no such admin path")
}

pub fn method_not_allowed() -> Refusal {
    refuse(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

pub fn parse<T: serde::de::DeserializeOwned>(req: &ApiRequest) -> Result<T, Refusal> {
    serde_json::from_slice(&req.body)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}
