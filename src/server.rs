//! The hyper accept loop, request limits, graceful shutdown and dispatch by path prefix.
//!
//! Nothing vendor-specific lives here: a vendor is found by `vendors::for_path`, and everything
//! after that is the vendor's. The server reads the body (up to the limit) before dispatch, so the
//! vendors' handlers never await and never hold the model lock across an await.

use crate::admin;
use crate::emulator::Ctx;
use crate::http::{ApiRequest, Rejection, Reply};
use crate::vendors;
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_LENGTH;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// The response body type: boxed so that a fault can stream a body slowly.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub fn full_body(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// Accepts connections until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    ctx: Ctx,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(ctx.config.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        let service = service_fn(move |req| respond(ctx.clone(), remote, req));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away mid-request is not an error worth reporting.
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

async fn respond(
    ctx: Ctx,
    remote: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let reply = handle(&ctx, remote, req).await;
    Ok(into_response(reply))
}

pub fn into_response(reply: Reply) -> Response<Body> {
    let mut resp = Response::new(full_body(reply.body));
    *resp.status_mut() = reply.status;
    let headers = resp.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    resp
}

async fn handle(ctx: &Ctx, remote: SocketAddr, req: Request<Incoming>) -> Reply {
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
    if admin::serves(&api.path) {
        return match read {
            Ok(bytes) => {
                api.body = bytes;
                admin::handle(ctx, api).await
            }
            Err(why) => admin::reject(why),
        };
    }
    match vendors::for_path(&api.path) {
        Some(vendor) => match read {
            Ok(bytes) => {
                api.body = bytes;
                vendor.handle(ctx, &api)
            }
            Err(why) => vendor.reject(ctx, &api, why),
        },
        None => not_found(&api),
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
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(Rejection::BodyTooLarge),
        Err(_) => Err(Rejection::BodyUnreadable),
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
