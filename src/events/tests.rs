//! The delivery engine hosted on a bare engine and a hand-moved clock, delivering to a receiver
//! started in the test: no emulator, no vendor face, no model.

use super::log::{DeliveryMatch, Status};
use super::{dispatcher, Events, EventsConfig, Host, Outbound};
use crate::model::Vendor;
use crate::scenarios::rules::{DeliveryView, Fired};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::sync::atomic::{AtomicI64, AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

const T0: i64 = 1_800_000_000_000;

struct Parts {
    events: Events,
    now: AtomicI64,
    closing: watch::Sender<bool>,
}

#[derive(Clone)]
struct Bare(Arc<Parts>);

impl Host for Bare {
    fn events(&self) -> &Events {
        &self.0.events
    }
    fn clock_ms_for(&self, _tenant: &str) -> i64 {
        self.0.now.load(Ordering::Acquire)
    }
    fn clock_frozen_for(&self, _tenant: &str) -> bool {
        true
    }
    fn decide_delivery(&self, _: &str, _: i64, _: &DeliveryView) -> Option<Fired> {
        None
    }
    async fn closed(&self) {
        let mut rx = self.0.closing.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }
}

/// A receiver on port 0 answering `status` (changeable), sending each body it gets to the test.
async fn receiver(status: Arc<AtomicU16>) -> (String, mpsc::UnboundedReceiver<Bytes>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, status) = (tx.clone(), Arc::clone(&status));
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (tx, status) = (tx.clone(), Arc::clone(&status));
                    async move {
                        let body = req.into_body().collect().await?.to_bytes();
                        let _ = tx.send(body);
                        let mut resp = hyper::Response::new(Full::new(Bytes::new()));
                        *resp.status_mut() =
                            hyper::StatusCode::from_u16(status.load(Ordering::Acquire)).unwrap();
                        Ok::<_, hyper::Error>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (url, rx)
}

/// The log's attempts so far, once it holds `n` (real time is only waited on, never dated).
async fn attempts(host: &Bare, n: usize) -> Vec<(u32, Status, Option<i64>)> {
    for _ in 0..500 {
        let all = host.events().log.select(&DeliveryMatch::default(), None);
        if all.len() >= n {
            let mut all: Vec<_> = all
                .into_iter()
                .map(|d| (d.seq, (d.attempt, d.status, d.next_attempt_ms)))
                .collect();
            all.sort_by_key(|(seq, _)| *seq);
            return all.into_iter().map(|(_, a)| a).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("fewer than {n} attempts logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_an_event_and_retries_on_the_virtual_clock() {
    let status = Arc::new(AtomicU16::new(500));
    let (url, mut bodies) = receiver(Arc::clone(&status)).await;
    let host = Bare(Arc::new(Parts {
        events: Events::new(EventsConfig::default()),
        now: AtomicI64::new(T0),
        closing: watch::channel(false).0,
    }));
    tokio::spawn(dispatcher(host.clone()));
    host.events().enqueue(vec![Outbound {
        vendor: Vendor::Udesk,
        tenant: "t1".into(),
        event: "general_hangup".into(),
        target: "subscription:1".into(),
        subscription: Some(1),
        url,
        headers: Vec::new(),
        event_id: host.events().next_event_id(),
        at_ms: T0,
        body: serde_json::json!({"call_id": "c-1"}),
    }]);

    // The receiver fails the first attempt: the retry is due one backoff later, in virtual time.
    assert_eq!(
        attempts(&host, 1).await,
        [(1, Status::Pending, Some(T0 + 1_000))]
    );
    assert_eq!(bodies.recv().await.unwrap(), r#"{"call_id":"c-1"}"#);
    // A frozen clock makes nothing due: a poke without moving it sends nothing more.
    status.store(200, Ordering::Release);
    host.events().poke();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(attempts(&host, 1).await.len(), 1);

    host.0.now.store(T0 + 1_000, Ordering::Release);
    host.events().poke();
    assert_eq!(
        attempts(&host, 2).await[1..],
        [(2, Status::Delivered, None)]
    );
    assert_eq!(bodies.recv().await.unwrap(), r#"{"call_id":"c-1"}"#);
    host.0.closing.send_replace(true);
}
