//! The fault kinds and how each is applied to a request. Applying a fault is a plain async
//! function of (vendor, request, fired rule) answering an `Outcome` the server turns into bytes
//! on the socket, or into no bytes at all.
//!
//! Which faults run the vendor's handler (and so change state):
//! - `delay`, `malformed`, `slow_body` deliver (or mangle) the real answer: the handler runs.
//! - `vendor_error`, `status`, `rate_limit`, `reset`, `empty`, `hang` tell the client the call
//!   failed or never answer it. By default (`"phase": "before"`) the handler does not run, so the
//!   model is unchanged, as a vendor that refused the call would leave it. `"phase": "after"` runs
//!   the handler first and then replaces or drops its answer: the call took effect but the client
//!   cannot know (the classic lost-response case a retrying client must survive).

use crate::http::{ApiRequest, Reply, ReplyMeta};
use crate::model::Vendor;
use hyper::body::{Bytes, Frame, SizeHint};
use hyper::header::{HeaderName, HeaderValue, RETRY_AFTER};
use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::journal::matcher::code_string;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The handler never runs: the model is as if the request never arrived.
    #[default]
    Before,
    /// The handler runs, then its answer is replaced or dropped.
    After,
}

fn is_before(p: &Phase) -> bool {
    *p == Phase::Before
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The vendor's own error for `code`, in its own envelope and HTTP status.
    VendorError {
        #[serde(deserialize_with = "code_string")]
        code: String,
        #[serde(default, skip_serializing_if = "is_before")]
        phase: Phase,
    },
    /// A bare HTTP status, as a gateway in front of the vendor would send.
    Status {
        status: u16,
        /// A JSON value is sent as JSON; a string as plain text. Default: the status's reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        /// Extra response headers, e.g. `{"Retry-After": "30"}` on a 503.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "is_before")]
        phase: Phase,
    },
    /// Wait `ms` (plus up to `jitter_ms`, drawn from the seeded RNG), then answer normally.
    Delay {
        ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// A TCP RST: the client sees ECONNRESET.
    Reset {
        #[serde(default, skip_serializing_if = "is_before")]
        phase: Phase,
    },
    /// The connection is closed (FIN) without an answer.
    Empty {
        #[serde(default, skip_serializing_if = "is_before")]
        phase: Phase,
    },
    /// The real answer, cut in half: status 200, invalid JSON.
    Malformed,
    /// No answer ever: the connection stays open until the client gives up (or ccemu stops).
    Hang {
        #[serde(default, skip_serializing_if = "is_before")]
        phase: Phase,
    },
    /// The real answer, `chunk_bytes` at a time with `interval_ms` between chunks.
    SlowBody {
        chunk_bytes: usize,
        interval_ms: u64,
    },
    /// A token bucket (`per_second` refill, `burst` capacity) on the virtual clock; when it is
    /// empty, 429 with Retry-After (whole seconds). With `code`, the body is the vendor's error
    /// for that code (status still 429).
    RateLimit {
        per_second: f64,
        burst: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<Value>,
    },
    /// Deliveries only: the event is never sent (logged as dropped).
    Drop,
    /// Deliveries only: the event is sent twice with the same event id.
    Duplicate,
    /// Deliveries only: the next event of the same target is sent before this one.
    Reorder,
}

impl Fault {
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::VendorError { .. } => "vendor_error",
            Fault::Status { .. } => "status",
            Fault::Delay { .. } => "delay",
            Fault::Reset { .. } => "reset",
            Fault::Empty { .. } => "empty",
            Fault::Malformed => "malformed",
            Fault::Hang { .. } => "hang",
            Fault::SlowBody { .. } => "slow_body",
            Fault::RateLimit { .. } => "rate_limit",
            Fault::Drop => "drop",
            Fault::Duplicate => "duplicate",
            Fault::Reorder => "reorder",
        }
    }

    /// Which faults a delivery rule may use (`delay` serves both requests and deliveries).
    pub fn for_delivery(&self) -> bool {
        matches!(
            self,
            Fault::Drop | Fault::Duplicate | Fault::Reorder | Fault::Delay { .. }
        )
    }

    /// Which faults a request rule may use.
    pub fn for_request(&self) -> bool {
        !matches!(self, Fault::Drop | Fault::Duplicate | Fault::Reorder)
    }

    pub fn validate(&self) -> Result<(), String> {
        match self {
            Fault::Status { status, .. }
                if StatusCode::from_u16(*status).is_err() || *status < 200 =>
            {
                Err(format!(
                    "status {status} is not an HTTP status from 200 to 999"
                ))
            }
            Fault::Status { headers, .. } => headers
                .iter()
                .try_for_each(|(k, v)| header(k, v).map(|_| ())),
            Fault::SlowBody { chunk_bytes: 0, .. } => Err("chunk_bytes must be at least 1".into()),
            Fault::RateLimit {
                per_second,
                burst,
                code,
            } => {
                if !(per_second.is_finite() && *per_second > 0.0) {
                    return Err("per_second must be above 0".into());
                }
                if !(burst.is_finite() && *burst >= 0.0) {
                    return Err("burst must be 0 or more".into());
                }
                match code {
                    None | Some(Value::String(_)) | Some(Value::Number(_)) => Ok(()),
                    Some(_) => Err("code is a string or a number".into()),
                }
            }
            Fault::Delay { ms, jitter_ms } if ms.saturating_add(*jitter_ms) > 3_600_000 => {
                Err("a delay over an hour is a hang; use kind hang".into())
            }
            Fault::SlowBody { interval_ms, .. } if *interval_ms > 3_600_000 => {
                Err("interval_ms over an hour is a hang; use kind hang".into())
            }
            _ => Ok(()),
        }
    }
}

/// The longest Retry-After a `rate_limit` sends, in seconds.
pub const MAX_RETRY_AFTER_S: u64 = 3600;

/// What the server does with the connection.
pub enum Action {
    Send(Reply),
    /// Send the reply's status and headers, then its body in chunks.
    Stream {
        reply: Reply,
        chunk_bytes: usize,
        interval: Duration,
    },
    /// Close with SO_LINGER 0: a TCP RST.
    Reset,
    /// Close without an answer.
    Empty,
    /// Never answer (until the client leaves, the rule is deleted, or ccemu stops).
    Hang {
        rule: u64,
    },
}

/// Releases hung requests: a `hang` is meant to last until the client gives up, but a test that
/// deletes the rule (or all rules, or resets) is done with it, and its clients are freed with
/// the connection closed rather than left to their own timeouts.
#[derive(Default)]
pub struct Hangs {
    wake: tokio::sync::Notify,
    /// Bumped by `release_all`: a hang that began under an older generation ends.
    generation: std::sync::atomic::AtomicU64,
    /// Rules deleted one by one. Rule ids are never reused, so an id stays here for good.
    released: parking_lot::Mutex<std::collections::HashSet<u64>>,
}

impl Hangs {
    /// Resolves when the hang of a request that `rule` fired on is released.
    pub async fn released(&self, rule: u64) {
        use std::sync::atomic::Ordering;
        let began = self.generation.load(Ordering::Acquire);
        loop {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            // Registered before the checks, so a release between check and await is not missed.
            woken.as_mut().enable();
            if self.generation.load(Ordering::Acquire) != began
                || self.released.lock().contains(&rule)
            {
                return;
            }
            woken.await;
        }
    }

    pub fn release_all(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.wake.notify_waiters();
    }

    pub fn release_rule(&self, rule: u64) {
        self.released.lock().insert(rule);
        self.wake.notify_waiters();
    }
}

pub struct Outcome {
    pub action: Action,
    /// What the journal records: the handler's meta when it ran, else the fault reply's.
    pub meta: ReplyMeta,
    pub status: Option<StatusCode>,
}

impl Outcome {
    pub fn answer(mut reply: Reply) -> Outcome {
        Outcome {
            // Moved, not copied: past this point only the journal reads the meta.
            meta: std::mem::take(&mut reply.meta),
            status: Some(reply.status),
            action: Action::Send(reply),
        }
    }
    fn closed(action: Action, meta: ReplyMeta) -> Outcome {
        Outcome {
            action,
            meta,
            status: None,
        }
    }
}

/// A rule's decision to fire, with the random draws it needed.
#[derive(Debug, Clone)]
pub struct Fired {
    pub rule: u64,
    pub fault: Fault,
    pub jitter_ms: u64,
    pub retry_after_s: u64,
}

/// A vendor face as the fault rules see it: what a request is (for matching) and the face's
/// own answers (for the faults that run the handler or answer a vendor error). The server binds
/// a `VendorApi` to the emulator to make one (`vendors::Bound`), so faults know a vendor only
/// through this and the ground's `Vendor`.
pub trait Face: Sync {
    fn vendor(&self) -> Vendor;
    /// The documented name of the operation `req` calls, if it is one.
    fn operation(&self, req: &ApiRequest) -> Option<&'static str>;
    /// The tenant `req`'s credentials claim, read without verifying them.
    fn tenant_hint(&self, req: &ApiRequest) -> Option<String>;
    /// Runs the vendor's handler: the real answer (and its change to the model).
    fn handle(&self, req: &ApiRequest) -> Reply;
    /// The vendor's own error for `code`; `None` if it has no such code.
    fn error_for_code(&self, req: &ApiRequest, code: &str) -> Option<Reply>;
}

/// The reply for a code the vendor does not have: ccemu's own plain JSON, so the mistake in the
/// rule is visible rather than silently becoming some other error.
fn unknown_code(vendor: &dyn Face, code: &str) -> Reply {
    Reply::json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &json!({
            "error": "ccemu_fault",
            "message": format!("vendor_error fault: {} has no error code {code:?}", vendor.vendor().name()),
        }),
    )
    .with_code(code.to_string())
}

fn vendor_error(vendor: &dyn Face, req: &ApiRequest, code: &str) -> Reply {
    vendor
        .error_for_code(req, code)
        .unwrap_or_else(|| unknown_code(vendor, code))
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a header name"))?;
    // A Content-Length that disagrees with the body makes hyper drop the connection instead of
    // answering the status; broken framing is what `empty` and `reset` are for.
    if n == hyper::header::CONTENT_LENGTH || n == hyper::header::TRANSFER_ENCODING {
        return Err(format!(
            "{name} is set by ccemu from the body; use kind empty or reset for a broken answer"
        ));
    }
    let v = HeaderValue::from_str(value).map_err(|_| format!("{value:?} is not a header value"))?;
    Ok((n, v))
}

fn status_reply(status: u16, body: &Option<Value>, headers: &BTreeMap<String, String>) -> Reply {
    let mut reply = status_body(status, body);
    // Validated when the rule was added. A header the rule names replaces ccemu's own (a
    // Content-Type for an HTML error page, say) rather than being sent beside it.
    for (name, value) in headers.iter().filter_map(|(k, v)| header(k, v).ok()) {
        reply.headers.retain(|(n, _)| *n != name);
        reply.headers.push((name, value));
    }
    reply
}

fn status_body(status: u16, body: &Option<Value>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        None => Reply::raw(
            status,
            "text/plain",
            status.canonical_reason().unwrap_or(""),
        ),
        Some(Value::String(s)) => Reply::raw(status, "text/plain", s.clone()),
        Some(v) => Reply::json(status, v),
    }
}

/// A prefix of the real body that is not valid JSON (a proper prefix of an object never is;
/// anything else gets an unterminated object).
fn truncate(body: &Bytes) -> Bytes {
    let cut = body.slice(..body.len() / 2);
    if !cut.is_empty() && serde_json::from_slice::<Value>(&cut).is_err() {
        cut
    } else {
        Bytes::from_static(b"{\"")
    }
}

/// The handler's answer, merged into the meta a replacing fault reply will be journaled with.
fn run_handler(vendor: &dyn Face, req: &ApiRequest, phase: Phase) -> Option<ReplyMeta> {
    (phase == Phase::After).then(|| vendor.handle(req).meta)
}

fn replaced(reply: Reply, handled: Option<ReplyMeta>) -> Outcome {
    let mut out = Outcome::answer(reply);
    if let Some(h) = handled {
        out.meta.operation = out.meta.operation.or(h.operation);
        out.meta.tenant = out.meta.tenant.or(h.tenant);
    }
    out
}

pub async fn apply(vendor: &dyn Face, req: &ApiRequest, fired: &Fired) -> Outcome {
    match &fired.fault {
        Fault::VendorError { code, phase } => {
            let handled = run_handler(vendor, req, *phase);
            replaced(vendor_error(vendor, req, code), handled)
        }
        Fault::Status {
            status,
            body,
            headers,
            phase,
        } => {
            let handled = run_handler(vendor, req, *phase);
            replaced(status_reply(*status, body, headers), handled)
        }
        Fault::RateLimit { code, .. } => {
            let mut reply = match code {
                Some(c) => {
                    let c = match c {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    vendor_error(vendor, req, &c)
                }
                None => Reply::json(
                    StatusCode::TOO_MANY_REQUESTS,
                    &json!({"error": "rate_limited", "message": "Too Many Requests"}),
                ),
            };
            reply.status = StatusCode::TOO_MANY_REQUESTS;
            // A bucket that refills once a year would say so to the second; a client that obeys
            // Retry-After must not be told to sleep longer than an hour.
            let after = HeaderValue::from(fired.retry_after_s.min(MAX_RETRY_AFTER_S));
            Outcome::answer(reply.with_header(RETRY_AFTER, after))
        }
        Fault::Delay { ms, .. } => {
            tokio::time::sleep(Duration::from_millis(ms.saturating_add(fired.jitter_ms))).await;
            Outcome::answer(vendor.handle(req))
        }
        Fault::Malformed => {
            let mut reply = vendor.handle(req);
            reply.status = StatusCode::OK;
            reply.body = truncate(&reply.body.to_bytes()).into();
            Outcome::answer(reply)
        }
        Fault::SlowBody {
            chunk_bytes,
            interval_ms,
        } => {
            let reply = vendor.handle(req);
            Outcome {
                meta: reply.meta.clone(),
                status: Some(reply.status),
                action: Action::Stream {
                    reply,
                    chunk_bytes: *chunk_bytes,
                    interval: Duration::from_millis(*interval_ms),
                },
            }
        }
        Fault::Reset { phase } => {
            let meta = run_handler(vendor, req, *phase).unwrap_or_default();
            Outcome::closed(Action::Reset, meta)
        }
        Fault::Empty { phase } => {
            let meta = run_handler(vendor, req, *phase).unwrap_or_default();
            Outcome::closed(Action::Empty, meta)
        }
        Fault::Hang { phase } => {
            let meta = run_handler(vendor, req, *phase).unwrap_or_default();
            Outcome::closed(Action::Hang { rule: fired.rule }, meta)
        }
        // Refused for request rules by `RuleSpec::validate`; answered normally if one got here.
        Fault::Drop | Fault::Duplicate | Fault::Reorder => Outcome::answer(vendor.handle(req)),
    }
}

/// A body sent `chunk` bytes at a time, one chunk per `interval`. Its exact size is announced, so
/// the client gets a Content-Length and knows the answer is not complete until the last chunk.
pub struct SlowBody {
    data: Bytes,
    chunk: usize,
    interval: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SlowBody {
    pub fn new(data: Bytes, chunk: usize, interval: Duration) -> SlowBody {
        SlowBody {
            data,
            chunk: chunk.max(1),
            interval,
            sleep: None,
        }
    }
}

impl hyper::body::Body for SlowBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        // The first chunk goes out at once; each later one waits an interval.
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let n = self.chunk.min(self.data.len());
        let chunk = self.data.split_to(n);
        let interval = self.interval;
        self.sleep = Some(Box::pin(tokio::time::sleep(interval)));
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

use std::future::Future;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_bodies_never_parse() {
        for body in [
            &b"{\"ErrCode\":\"000000\",\"Result\":null}"[..],
            b"",
            b"12",
            b"{}",
        ] {
            let cut = truncate(&Bytes::copy_from_slice(body));
            assert!(serde_json::from_slice::<Value>(&cut).is_err(), "{body:?}");
        }
    }

    #[test]
    fn kinds_parse_with_their_fields() {
        let f: Fault =
            serde_json::from_value(json!({"kind": "vendor_error", "code": 1001})).unwrap();
        assert_eq!(
            f,
            Fault::VendorError {
                code: "1001".into(),
                phase: Phase::Before
            }
        );
        let f: Fault = serde_json::from_value(json!({"kind": "reset", "phase": "after"})).unwrap();
        assert_eq!(
            f,
            Fault::Reset {
                phase: Phase::After
            }
        );
        assert!(
            serde_json::from_value::<Fault>(json!({"kind": "delay", "ms": 1, "bogus": 2})).is_err()
        );
        assert!(serde_json::from_value::<Fault>(json!({"kind": "teleport"})).is_err());
    }
}
