//! The baseline both benches measure ccemu against: hyper with nothing behind it, on the same
//! runtime shape as ccemu (2 workers), answering each path with fixed bytes. Fed the very bytes
//! ccemu answered for that path, it moves the same payload, so the ratio is what ccemu adds
//! (auth, lock, model, serialisation, journal).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

/// Binds `addr`, reports the bound address through `bound`, then serves until the process ends,
/// on a runtime of its own (so it can run on a thread beside ccemu's or as a whole process).
pub fn serve(addr: SocketAddr, bodies: HashMap<String, Bytes>, bound: impl FnOnce(SocketAddr)) {
    let bodies = Arc::new(bodies);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        bound(listener.local_addr().expect("addr"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let bodies = Arc::clone(&bodies);
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let body = bodies.get(req.uri().path()).cloned().unwrap_or_default();
                    async move {
                        let mut resp = Response::new(Full::new(body));
                        resp.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
