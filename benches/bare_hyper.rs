//! The baseline server of `bench/run.sh`: hyper with nothing behind it, on the same runtime shape
//! as ccemu (2 workers), answering each path with fixed bytes read from files: the very bytes
//! ccemu answered for that path, so the two move the same payload and the ratio is what ccemu
//! adds (auth, lock, model, serialisation, journal).
//!
//! `cargo bench --bench bare_hyper -- PORT /path=FILE...` (cargo's own `--bench` flag is ignored).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(port) = args.first().and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: bare_hyper PORT /path=FILE...");
        std::process::exit(2);
    };
    let mut bodies = HashMap::new();
    for spec in &args[1..] {
        let Some((path, file)) = spec.split_once('=') else {
            eprintln!("bad spec {spec}: expected /path=FILE");
            std::process::exit(2);
        };
        match std::fs::read(file) {
            Ok(b) => {
                bodies.insert(path.to_string(), Bytes::from(b));
            }
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                std::process::exit(2);
            }
        }
    }
    let bodies = Arc::new(bodies);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
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
