//! `GET /_ccemu/stream`: the live feed (`crate::hub`) as Server-Sent Events, for the dashboard
//! and for scripts (`curl -N`).
//!
//! Each reader has its own task pulling from the hub's ring and a channel of a few chunks to its
//! connection. A reader that does not read (a stopped script, a slow link) fills that channel and
//! its task waits; the emulator does not: publishing never waits for readers. When such a reader
//! comes back after more than the ring's length of items, it gets one `event: lagged` with the
//! number it missed and carries on from the oldest item kept.

use crate::emulator::Ctx;
use crate::http::ApiRequest;
use crate::hub::{Item, Piece, Since};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

pub const PATH: &str = "/_ccemu/stream";

/// Chunks buffered per reader before its task waits for the connection.
const CHUNKS: usize = 8;
/// Items written in one chunk at most.
const BATCH: usize = 512;
/// After a wake-up, a reader waits this long before reading the ring, so that a busy emulator
/// costs each reader one write per interval rather than one per item.
const COALESCE: Duration = Duration::from_millis(250);
/// The gather after one that found the reader lagged: items come faster than the ring keeps
/// them for a 250 ms gather (above ~16,000 a second), so the reader gets the newest ring's worth
/// once a second instead of four times. It sees as much of the stream either way, a quarter of
/// the bytes, and the requests that fill the ring keep their CPU.
const LAGGED_COALESCE: Duration = Duration::from_secs(1);
/// A comment line this often keeps proxies and idle-timeouts from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn serves(path: &str) -> bool {
    path.trim_end_matches('/') == PATH
}

/// Which items a reader wants: `?tenant=` (items about other tenants left out; items about no
/// tenant, such as the clock, always pass) and `?kinds=agent,call,...`.
struct Filter {
    tenant: Option<String>,
    kinds: Option<Vec<String>>,
}

impl Filter {
    /// Takes every item: such a reader sends the hub's shared blocks as they are.
    fn takes_all(&self) -> bool {
        self.tenant.is_none() && self.kinds.is_none()
    }

    fn passes(&self, item: &Item) -> bool {
        self.tenant
            .as_deref()
            .is_none_or(|t| item.tenant().is_none_or(|it| it == t))
            && self
                .kinds
                .as_ref()
                .is_none_or(|k| k.iter().any(|k| k == item.kind))
    }
}

/// The stream's response, or the admin API's refusal for the server to send.
pub fn respond(
    ctx: &Ctx,
    remote: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<SseBody>, Box<crate::http::Reply>> {
    let (parts, _body) = req.into_parts();
    let api = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: Bytes::new(),
        remote,
    };
    super::admit(ctx, &api, PATH)?;
    if api.method != Method::GET {
        return Err(super::AdminError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: "the stream is read with GET".into(),
        }
        .into());
    }
    let last = api
        .header("last-event-id")
        .map(str::to_owned)
        .or_else(|| api.query_param("last_event_id").map(|v| v.into_owned()))
        .map(|v| v.trim().parse::<u64>());
    let last = match last {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return Err(super::AdminError {
                status: StatusCode::BAD_REQUEST,
                message: "Last-Event-ID must be an event id (a whole number)".into(),
            }
            .into());
        }
    };
    let filter = Filter {
        tenant: api
            .query_param("tenant")
            .filter(|t| !t.is_empty())
            .map(|t| t.into_owned()),
        kinds: api
            .query_param("kinds")
            .filter(|k| !k.is_empty())
            .map(|k| k.split(',').map(|s| s.trim().to_owned()).collect()),
    };
    let (tx, rx) = mpsc::channel(CHUNKS);
    tokio::spawn(pump(ctx.clone(), tx, last, filter));
    let mut resp = Response::new(SseBody { rx });
    let headers = resp.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

struct ReaderCount(Arc<crate::metrics::Metrics>);

impl Drop for ReaderCount {
    fn drop(&mut self) {
        self.0.stream_closed();
    }
}

async fn pump(ctx: Ctx, tx: mpsc::Sender<Bytes>, last: Option<u64>, filter: Filter) {
    let hub = ctx.hub.clone();
    hub.subscribe();
    ctx.metrics.stream_opened();
    let _count = ReaderCount(ctx.metrics.clone());
    let now = hub.newest();
    // An id this process did not give out (one from before a restart) cannot be resumed:
    // the reader is told, and starts from now.
    let (mut last, resumed) = match last {
        Some(id) if hub.issued(id) && id <= now => (id, true),
        _ => (now, false),
    };
    let hello = format!(
        "retry: 1000\nevent: hello\ndata: {}\n\n",
        serde_json::json!({"newest": now, "resumed": resumed, "now_ms": ctx.now_ms(), "frozen": ctx.clock.is_frozen()})
    );
    if tx.send(Bytes::from(hello)).await.is_err() {
        return;
    }
    // Whether the reader was told it lagged since it last waited: its next gather is longer.
    let mut behind = false;
    loop {
        if filter.takes_all() {
            match send_pieces(&ctx, &tx, &mut last, &mut behind).await {
                Sent::Some => continue,
                Sent::Nothing => {}
                Sent::Closed => return,
            }
            if !idle(&ctx, &tx, last, std::mem::take(&mut behind)).await {
                return;
            }
            continue;
        }
        let (lagged, items) = match hub.since(last, BATCH) {
            Since::Items(items) => (None, items),
            Since::Lagged { missed, items } => (Some(missed), items),
        };
        behind |= lagged.is_some();
        if items.is_empty() && lagged.is_none() {
            if !idle(&ctx, &tx, last, std::mem::take(&mut behind)).await {
                return;
            }
            continue;
        }
        let mut chunk = String::new();
        if let Some(missed) = lagged {
            chunk.push_str(&format!("event: lagged\ndata: {{\"missed\":{missed}}}\n\n"));
        }
        let wanted: Vec<&str> = items
            .iter()
            .filter(|i| filter.passes(i))
            .map(|i| i.frame())
            .collect();
        if let Some(item) = items.last() {
            last = item.id;
        }
        chunk.reserve_exact(wanted.iter().map(|f| f.len()).sum());
        for frame in wanted {
            chunk.push_str(frame);
        }
        if chunk.is_empty() {
            continue;
        }
        tokio::select! {
            sent = tx.send(Bytes::from(chunk)) => if sent.is_err() { return },
            _ = ctx.scenarios.closed() => return,
        }
    }
}

/// Waits for an item after `last` (then lets more gather for [`COALESCE`], or
/// [`LAGGED_COALESCE`] when the reader was `behind`), keeping a quiet stream alive; false when
/// the reader or the emulator is gone.
async fn idle(ctx: &Ctx, tx: &mpsc::Sender<Bytes>, last: u64, behind: bool) -> bool {
    let gather = if behind { LAGGED_COALESCE } else { COALESCE };
    tokio::select! {
        _ = ctx.hub.wait_after(last) => tokio::time::sleep(gather).await,
        _ = tx.closed() => return false,
        _ = ctx.scenarios.closed() => return false,
        _ = tokio::time::sleep(KEEP_ALIVE) => {
            return tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_ok();
        }
    }
    true
}

enum Sent {
    Some,
    Nothing,
    Closed,
}

/// Sends a reader that takes every item what follows `last`: whole blocks as the hub's shared
/// bytes, single items (the newest, not yet a whole block) copied into one chunk.
async fn send_pieces(
    ctx: &Ctx,
    tx: &mpsc::Sender<Bytes>,
    last: &mut u64,
    behind: &mut bool,
) -> Sent {
    let (lagged, pieces) = ctx.hub.pieces_since(*last, BATCH);
    *behind |= lagged.is_some();
    if pieces.is_empty() && lagged.is_none() {
        return Sent::Nothing;
    }
    let mut chunks = Vec::new();
    let mut loose = String::new();
    if let Some(missed) = lagged {
        loose.push_str(&format!("event: lagged\ndata: {{\"missed\":{missed}}}\n\n"));
    }
    for piece in &pieces {
        match piece {
            Piece::Item(item) => {
                *last = item.id;
                loose.push_str(item.frame());
            }
            Piece::Block { .. } => {
                if !loose.is_empty() {
                    chunks.push(Bytes::from(std::mem::take(&mut loose)));
                }
                chunks.push(piece.bytes());
                *last = piece.last_id();
            }
        }
    }
    if !loose.is_empty() {
        chunks.push(Bytes::from(loose));
    }
    drop(pieces);
    for chunk in chunks {
        tokio::select! {
            sent = tx.send(chunk) => if sent.is_err() { return Sent::Closed },
            _ = ctx.scenarios.closed() => return Sent::Closed,
        }
    }
    Sent::Some
}

/// The stream's body: the chunks its reader task sends, as they come.
pub struct SseBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for SseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}
