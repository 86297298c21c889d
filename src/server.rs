//! The hyper accept loop, request limits, graceful shutdown and dispatch by path prefix.
//!
//! Nothing vendor-specific lives here: a vendor is found by `vendors::for_path`, and everything
//! after that is the vendor's. The path of a vendor request: journal begin → scenario timeline
//! catch-up → fault decision → vendor dispatch (or the fault in its place) → journal end → write
//! (or drop the connection, for the faults that never answer). The server reads the body (up to the limit) before dispatch, so the
//! vendors' handlers never await and never hold the model lock across an await.

use crate::admin;
use crate::emulator::Ctx;
use crate::head_deadline::{Conn, Deadlines};
use crate::http::{ApiRequest, Payload, Rejection, Reply};
use crate::journal;
use crate::scenarios::faults::{self, Action, Outcome, SlowBody};
use crate::scenarios::rules::Fired;
use crate::vendors::{self, VendorApi};
use http_body_util::{combinators::BoxBody, BodyExt, Limited};
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::header::CONTENT_LENGTH;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use socket2::SockRef;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// The response body: nearly always a reply's `Payload`, held as it is (boxed, it cost an
/// allocation on every request); the rare bodies of their own, a slow fault's and the live
/// feed's, boxed.
pub enum Body {
    Payload(Payload),
    Boxed(BoxBody<Bytes, std::io::Error>),
}

impl hyper::body::Body for Body {
    /// A payload goes out as one frame of its parts; a boxed body's pieces as payloads of one.
    type Data = Payload;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Payload>, std::io::Error>>> {
        match self.get_mut() {
            Body::Payload(payload) => Pin::new(payload)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|never| match never {}))),
            Body::Boxed(body) => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map(|f| f.map_data(Payload::from)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Payload(payload) => payload.is_end_stream(),
            Body::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Payload(payload) => payload.size_hint(),
            Body::Boxed(body) => body.size_hint(),
        }
    }
}

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Accepts connections until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    ctx: Ctx,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with_tls(listener, None, ctx, shutdown).await
}

/// `serve`, plus HTTPS on a second listener (`--tls`). Both listeners share the connection cap,
/// the limits and the graceful shutdown; behind the handshake a TLS connection is served exactly
/// like a plain one, so every answer is the same over both.
pub async fn serve_with_tls(
    listener: TcpListener,
    tls: Option<(TcpListener, TlsAcceptor)>,
    ctx: Ctx,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .keep_alive(true)
        // A client that sends its request and then shuts down its write side (netcat and socat
        // health checks do) still gets its answer: EOF on read is not a reason to drop it.
        .half_close(true)
        // The head's deadline is `Deadlines`' (hyper's would arm a timer for every request).
        .header_read_timeout(None)
        // hyper starts every connection with an 8 KiB read buffer and grows it while a request
        // head is incomplete: the two caps bound what one slow client can make it grow to (a
        // larger head is 431). Bodies stream through the buffer in pieces.
        .max_header_size(MAX_BUF_SIZE)
        .max_buf_size(MAX_BUF_SIZE);
    let slots = Arc::new(Semaphore::new(ctx.config.max_connections.max(1)));
    tokio::spawn(crate::emulator::ticker(ctx.clone()));
    tokio::spawn(crate::persist::writer(ctx.clone()));
    tokio::spawn(crate::events::dispatcher(ctx.clone()));
    let deadlines = Deadlines::new(ctx.config.header_read_timeout);
    tokio::spawn(Arc::clone(&deadlines).sweep());
    tokio::pin!(shutdown);
    loop {
        let (stream, remote, secure) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => (stream, remote, None),
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            accepted = accept_tls(&tls) => match accepted {
                Ok((stream, remote, acceptor)) => (stream, remote, Some(acceptor)),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Past the limit a client gets a plain 503 at once instead of a slot: memory stays
        // bounded by the limit whatever a flood of slow clients does. (A TLS client then sees a
        // failed handshake, which is as clear as it can be told anything before one.)
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        let stream = deadlines.watch(stream);
        let socket = Arc::clone(&stream);
        match secure {
            None => {
                let service = service_fn(move |req| {
                    respond(ctx.clone(), Arc::clone(&socket), remote, None, req)
                });
                let conn = builder.serve_connection(TokioIo::new(ConnIo(stream)), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client that goes away mid-request is not an error worth reporting.
                    let _ = conn.await;
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let builder = builder.clone();
                let watcher = graceful.watcher();
                let patience = ctx.config.header_read_timeout;
                // The handshake runs in the connection's own task, under the same patience as a
                // request head: a garbage or stalled ClientHello costs that task only.
                tokio::spawn(async move {
                    let handshake = acceptor.accept(ConnIo(Arc::clone(&stream)));
                    let Ok(Ok(tls)) = tokio::time::timeout(patience, handshake).await else {
                        drop(permit);
                        return;
                    };
                    // The first head's deadline starts now, as it would over plain HTTP.
                    stream.restart();
                    let sni: Option<Arc<str>> = tls.get_ref().1.server_name().map(Arc::from);
                    let service = service_fn(move |req| {
                        respond(ctx.clone(), Arc::clone(&socket), remote, sni.clone(), req)
                    });
                    let conn = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    drop(tls);
    // Hung requests (the `hang` fault) end here, so shutdown never waits on them.
    ctx.scenarios.close();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// The next connection on the HTTPS listener; never resolves when there is none.
async fn accept_tls(
    tls: &Option<(TcpListener, TlsAcceptor)>,
) -> std::io::Result<(TcpStream, SocketAddr, TlsAcceptor)> {
    match tls {
        Some((listener, acceptor)) => {
            let (stream, remote) = listener.accept().await?;
            Ok((stream, remote, acceptor.clone()))
        }
        None => std::future::pending().await,
    }
}

/// The per-connection buffer cap and the largest request head (hyper's minimum is 8 KiB, its
/// default ~400 KiB).
const MAX_BUF_SIZE: usize = 64 * 1024;

/// The answer past `--max-connections`: 503 with `Retry-After: 1`, sent without reading the
/// request. The socket is then drained briefly, so the client reads the answer rather than
/// a reset caused by its own unread request bytes.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 96\r\n\r\n{\"error\":\"too_many_connections\",\"message\":\"ccemu is at --max-connections; retry after a second\"}";

async fn turn_away(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let drain = async {
        let _ = stream.write_all(BUSY).await;
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 512];
        let mut left = 64 * 1024usize;
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

/// The error that makes hyper drop a connection without answering (the `reset`, `empty` and
/// `hang` faults). It is never shown to anyone.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for Dropped {}

async fn respond(
    ctx: Ctx,
    conn: Arc<Conn>,
    remote: SocketAddr,
    sni: Option<Arc<str>>,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let _serving = conn.serving();
    let socket = &conn.stream;
    // Over HTTPS the name the client asked for is the SNI; a request without a Host header
    // (HTTP/1.0) takes it from there, so the host keeps meaning what it means (NXLink regions).
    if let Some(name) = sni {
        if !req.headers().contains_key(hyper::header::HOST) {
            if let Ok(value) = hyper::header::HeaderValue::from_str(&name) {
                req.headers_mut().insert(hyper::header::HOST, value);
            }
        }
    }
    // The live feed answers a body that never ends: it bypasses the whole-body `Reply`.
    if admin::stream::serves(req.uri().path()) {
        return Ok(match admin::stream::respond(&ctx, remote, req) {
            Ok(resp) => resp.map(|body| Body::Boxed(body.boxed())),
            Err(refused) => into_response(*refused),
        });
    }
    match handle(&ctx, remote, req).await {
        Action::Send(reply) => Ok(into_response(reply)),
        Action::Stream {
            mut reply,
            chunk_bytes,
            interval,
        } => {
            let bytes = std::mem::take(&mut reply.body).to_bytes();
            let mut resp = into_response(reply);
            *resp.body_mut() = Body::Boxed(SlowBody::new(bytes, chunk_bytes, interval).boxed());
            Ok(resp)
        }
        Action::Reset => {
            // SO_LINGER 0 makes the close that follows the error an RST. The option belongs to
            // the socket, which hyper's copy of the Arc shares.
            let _ = SockRef::from(socket).set_linger(Some(Duration::ZERO));
            Err(Dropped)
        }
        Action::Empty => Err(Dropped),
        Action::Hang { rule } => {
            // Holds no thread: a parked future, woken only when the client gives up (so a
            // long test's abandoned hangs do not pile up), its rule is deleted, or at shutdown.
            Box::pin(hang(&ctx, socket, rule)).await;
            Err(Dropped)
        }
    }
}

/// Boxed by its caller: a rare branch whose three futures would otherwise size every request's.
async fn hang(ctx: &Ctx, socket: &TcpStream, rule: u64) {
    tokio::select! {
        _ = ctx.scenarios.closed() => {}
        _ = client_gone(socket) => {}
        _ = ctx.hangs.released(rule) => {}
    }
}

/// Resolves when the client closes or resets its side. Bytes it sends meanwhile (a pipelined
/// request) are left for hyper; then only shutdown ends the hang.
async fn client_gone(socket: &TcpStream) {
    let mut byte = [0u8; 1];
    match socket.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending::<()>().await,
    }
}

pub fn into_response(reply: Reply) -> Response<Body> {
    let mut resp = Response::new(Body::Payload(reply.body));
    *resp.status_mut() = reply.status;
    let headers = resp.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    resp
}

async fn handle(ctx: &Ctx, remote: SocketAddr, req: Request<Incoming>) -> Action {
    let (parts, body) = req.into_parts();
    let mut api = ApiRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: Bytes::new(),
        remote,
    };
    let read = read_body(ctx, &api, body).await;
    // A frozen clock moved since the last request: scripted events and call steps due by now
    // happen first. Not for health, which answers within milliseconds whatever else runs.
    let health = api.path == "/_ccemu/health";
    if !health {
        ctx.advance_for_request();
    }
    if admin::serves(&api.path) {
        return Action::Send(match read {
            Ok(bytes) => {
                api.body = bytes;
                let moves_clock =
                    api.method == Method::POST && api.path.trim_end_matches('/') == "/_ccemu/clock";
                // Admin work can be long (a scenario, a sandbox from a large fixture, every call
                // listed): it runs off the runtime's workers, so health and the vendors answer
                // throughout. Long polls and health stay on the runtime, where waiting is free.
                // Boxed: the admin futures are many times a vendor request's, and an unboxed one
                // would make every request's future (moved on each call) that large.
                let reply = if admin::is_light(&api) {
                    Box::pin(admin::handle(ctx, api)).await
                } else {
                    Box::pin(crate::offload::run(admin::handle(ctx, api))).await
                };
                // The call may have moved the clock or freed an agent: call steps now due run,
                // waiting calls are offered, deliveries waiting for an instant look again. A
                // clock move answers once its stretch is caught up; any other admin call, like a
                // vendor request, waits for someone else's long catch-up 50 ms at most.
                if moves_clock {
                    ctx.advance();
                } else if !health {
                    ctx.advance_for_request();
                }
                ctx.events.poke();
                reply
            }
            Err(why) => admin::reject(why),
        });
    }
    let Some(vendor) = vendors::for_path(&api.path) else {
        return Action::Send(not_found(&api));
    };
    let started = std::time::Instant::now();
    let pending = ctx.journal.begin(ctx.now_ms());
    let mut findings = Vec::new();
    let (mut outcome, fired) = match read {
        Ok(bytes) => {
            api.body = bytes;
            // Strict mode (docs/contract.md): findings, and a refusal when asked to refuse.
            let (found, refusal) = crate::contract::before(ctx, vendor.vendor(), &api);
            findings = found;
            match refusal {
                Some(refusal) => (Outcome::answer(refusal), None),
                None => match decide_fault(ctx, vendor, &api) {
                    None => (Outcome::answer(vendor.handle(ctx, &api)), None),
                    Some(fired) => {
                        let face = vendors::Bound { ctx, api: vendor };
                        (
                            Box::pin(faults::apply(&face, &api, &fired)).await,
                            Some(fired),
                        )
                    }
                },
            }
        }
        Err(why) => (Outcome::answer(vendor.reject(ctx, &api, why)), None),
    };
    let operation = outcome.meta.operation.or_else(|| vendor.operation(&api));
    crate::contract::after(
        ctx,
        vendor.vendor(),
        &api,
        operation,
        outcome.status.map(|s| s.as_u16()),
        outcome.meta.code.as_deref(),
        &findings,
    );
    ctx.metrics.request(
        vendor.vendor().name(),
        operation,
        outcome.meta.code.as_deref(),
        started.elapsed().as_secs_f64(),
    );
    if let Some(f) = &fired {
        ctx.metrics.fault(f.rule, f.fault.kind(), "request");
    }
    if ctx.journal.enabled() {
        record(
            ctx,
            vendor,
            pending,
            api,
            &mut outcome,
            fired.as_ref(),
            findings,
        );
    }
    outcome.action
}

/// The fault rules a request meets: its sandbox's (on the sandbox's clock) when its credentials
/// name a sandboxed tenant, else the global ones. Global rules never reach into a sandbox.
fn decide_fault(ctx: &Ctx, vendor: &dyn VendorApi, api: &ApiRequest) -> Option<Fired> {
    if !ctx.sandboxes.is_empty() {
        let tenant = vendor.tenant_hint(ctx, api);
        if let Some(sb) = tenant.and_then(|t| ctx.sandboxes.of_tenant(&t)) {
            let face = vendors::Bound { ctx, api: vendor };
            return sb.scenarios.decide(&face, api, || sb.clock.now_ms());
        }
    }
    let face = vendors::Bound { ctx, api: vendor };
    ctx.scenarios.decide(&face, api, || ctx.now_ms())
}

/// One journal entry; the vendor is asked for operation and tenant only when the answer did not
/// say (a fault answered, or authentication failed). The meta's strings move into the entry: only
/// the action is left to use after this.
fn record(
    ctx: &Ctx,
    vendor: &dyn VendorApi,
    pending: journal::Pending,
    mut api: ApiRequest,
    outcome: &mut Outcome,
    fired: Option<&Fired>,
    findings: Vec<crate::contract::strict::Finding>,
) {
    let meta = &mut outcome.meta;
    let operation = meta.operation.or_else(|| vendor.operation(&api));
    let tenant = meta.tenant.take().or_else(|| vendor.tenant_hint(ctx, &api));
    ctx.journal.end(
        pending,
        journal::Entry {
            seq: 0,
            at_ms: 0,
            vendor: vendor.vendor(),
            operation,
            tenant,
            method: api.method.clone(),
            path: std::mem::take(&mut api.path),
            query: std::mem::take(&mut api.query),
            status: outcome.status.map(|s| s.as_u16()),
            code: meta.code.take(),
            latency_ms: 0,
            rule: fired.map(|f| f.rule),
            fault: fired.map(|f| f.fault.kind()),
            // Copied and capped: neither the read buffer nor a large upload is pinned.
            request: journal::Message::of_request(&api),
            response: match &outcome.action {
                Action::Send(reply) | Action::Stream { reply, .. } => {
                    Some(journal::Message::of_reply(reply))
                }
                _ => None,
            },
            findings,
        },
    );
}

/// The accepted socket, shared between hyper (which reads and writes it), the service (which
/// may set SO_LINGER on it for a `reset` fault) and the head deadlines' sweeper (which holds it
/// weakly). The socket closes when hyper and the service let go, which happens together when
/// hyper drops the connection.
struct ConnIo(Arc<Conn>);

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.0.reading();
        let socket = &self.0.stream;
        loop {
            ready!(socket.poll_read_ready(cx))?;
            // Reads into the uninitialised spare capacity directly (ReadBuf is a BufMut).
            match socket.try_read_buf(buf) {
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            ready!(self.0.stream.poll_write_ready(cx))?;
            match self.0.stream.try_write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            ready!(self.0.stream.poll_write_ready(cx))?;
            match self.0.stream.try_write_vectored(bufs) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match SockRef::from(&self.0.stream).shutdown(std::net::Shutdown::Write) {
            Err(e) if e.kind() != std::io::ErrorKind::NotConnected => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// Reads the body, refusing one over the limit before reading it when Content-Length says so.
async fn read_body(ctx: &Ctx, req: &ApiRequest, body: Incoming) -> Result<Bytes, Rejection> {
    let limit = ctx.config.body_limit;
    let declared = req
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Rejection::BodyTooLarge);
    }
    // A request without a body (most GETs) needs no timer.
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    // A body already in hyper's buffer (nearly every one) is handed over whole as the first
    // frame: taken as it is, it costs neither a collecting buffer nor a copy, nor the timer,
    // which is dearer than both and only set for a body still on its way.
    let mut body = body;
    let first = std::future::poll_fn(|cx| {
        Poll::Ready(hyper::body::Body::poll_frame(Pin::new(&mut body), cx))
    })
    .await;
    let start = match first {
        Poll::Ready(None) => return Ok(Bytes::new()),
        Poll::Ready(Some(Err(_))) => return Err(Rejection::BodyUnreadable),
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        Poll::Pending => Bytes::new(),
    };
    if start.len() > limit {
        return Err(Rejection::BodyTooLarge);
    }
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(start);
    }
    // A client that promises a body and stalls gets the same patience as one that stalls in its
    // headers, then the vendor's "could not read" answer: no request waits forever.
    let rest = Limited::new(body, limit - start.len()).collect();
    match tokio::time::timeout(ctx.config.header_read_timeout, rest).await {
        Ok(Ok(rest)) if start.is_empty() => Ok(rest.to_bytes()),
        Ok(Ok(rest)) => {
            let rest = rest.to_bytes();
            let mut whole = Vec::with_capacity(start.len() + rest.len());
            whole.extend_from_slice(&start);
            whole.extend_from_slice(&rest);
            Ok(whole.into())
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(Rejection::BodyTooLarge),
        Ok(Err(_)) | Err(_) => Err(Rejection::BodyUnreadable),
    }
}

/// A path under no vendor's prefix: no vendor envelope applies, so plain JSON that names the
/// prefixes ccemu serves.
fn not_found(req: &ApiRequest) -> Reply {
    Reply::json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({
            "error": "not_found",
            "message": format!(
                "ccemu serves /ccapi/v2/ (Udesk), /saas/cc/openapi/ (NXCloud), /apigovernance/ and /apiaccess/ (Huawei) and /_ccemu/ (admin); nothing at {}",
                req.path
            ),
        }),
    )
}
