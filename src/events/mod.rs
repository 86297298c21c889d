//! Outbound events: the one delivery engine every vendor that calls back uses (Udesk
//! subscriptions, NXCloud's CDR push).
//!
//! The path of an event: a model operation records a `ModelEvent` under the model lock → the
//! lock's guard asks the tenant's vendor which targets want it and what body each gets
//! (`VendorApi::route_event`) → [`Events::enqueue`] appends each [`Outbound`] to its target's
//! queue, a non-blocking push, so no API call ever waits on a receiver → one worker task per
//! target POSTs the queue's head, in order, retrying on a backoff counted in virtual time →
//! every attempt lands in the delivery log.
//!
//! Time: an event is due at the virtual instant it happened; a failed attempt is due again
//! `backoff[n]` virtual milliseconds later. A frozen clock makes nothing new due until a test
//! moves it; a running clock retries on its own. Workers waiting on the clock are woken by
//! [`Events::poke`] (after every admin call and on the scenario ticker) and, while the clock
//! runs, by a real-time sleep until the instant is due.
//!
//! Bounds: a target's queue holds at most `backlog` events; past that, new events are logged as
//! dropped and counted, so memory stays flat however long a receiver is down.

pub mod client;
pub mod log;
pub mod template;

use crate::model::Vendor;
use crate::scenarios::faults::Fault;
use crate::scenarios::rules::{DeliveryView, Fired};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use log::{Delivery, Log, Status};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, Notify};

/// What the delivery engine needs from whoever runs it: its queues, each tenant's clock, the
/// delivery fault rules and the shutdown signal. `Ctx` hosts it in the emulator (a sandboxed
/// tenant's clock and rules are its sandbox's); a test hosts it on a bare engine and a clock.
pub trait Host: Clone + Send + Sync + 'static {
    fn events(&self) -> &Events;
    /// The virtual now of `tenant`'s clock: events are dated and retried on it.
    fn clock_ms_for(&self, tenant: &str) -> i64;
    fn clock_frozen_for(&self, tenant: &str) -> bool;
    /// The fault rule that fires for this delivery, if any, from the rules `tenant` meets.
    fn decide_delivery(&self, tenant: &str, now_ms: i64, view: &DeliveryView) -> Option<Fired>;
    /// Resolves at shutdown: the workers end.
    fn closed(&self) -> impl std::future::Future<Output = ()> + Send + '_;
}

/// The header that carries an event's id, for receivers that de-duplicate.
pub const EVENT_ID_HEADER: &str = "x-ccemu-event-id";
/// The header that names the event.
pub const EVENT_HEADER: &str = "x-ccemu-event";

/// One event on its way to one target, as a vendor shaped it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outbound {
    pub vendor: Vendor,
    pub tenant: String,
    /// The vendor's event name (`acd_agent_state`, `cdr`, ...).
    pub event: String,
    /// Which queue of the tenant's it waits in: one per subscription (`subscription:168`), one
    /// for a push that is not a subscription (`cdr`). Order is kept per target.
    pub target: String,
    pub subscription: Option<u64>,
    pub url: String,
    /// Extra headers the vendor sends (NXCloud's `token`).
    pub headers: Vec<(String, String)>,
    pub event_id: String,
    /// The virtual instant the event happened: it is due then.
    pub at_ms: i64,
    /// The payload as the vendor shaped it. Once queued it is `null`: the item keeps only the
    /// serialised bytes (a parsed tree is several times their size, and a receiver that is down
    /// can leave thousands waiting); [`Events::save`] parses them back.
    pub body: Value,
}

/// Delivery settings; `Config` carries them from the CLI.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Events a target may hold waiting; more are dropped (and logged as such).
    pub backlog: usize,
    /// Attempts the delivery log keeps.
    pub log_size: usize,
    /// How long one attempt may take (real time) before it counts as failed.
    pub attempt_timeout: Duration,
    /// Virtual milliseconds before each retry; its length is the number of retries.
    pub backoff_ms: Vec<i64>,
    /// An extra CA (PEM) trusted for https callbacks.
    pub ca_file: Option<PathBuf>,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            backlog: 16_384,
            log_size: 20_000,
            attempt_timeout: Duration::from_secs(5),
            backoff_ms: vec![1_000, 5_000, 30_000],
            ca_file: None,
        }
    }
}

/// An event in a target's queue.
#[derive(Debug, Clone)]
struct Item {
    /// Unique per item, so a worker knows the head it worked on is still the head.
    id: u64,
    out: Arc<Outbound>,
    body: Bytes,
    /// Attempts made so far.
    attempts: u32,
    due_ms: i64,
    /// The fault rules were asked about this item (once per item, not per retry).
    decided: bool,
    /// A fault that touched it: (rule, kind), shown on its attempts.
    fault: Option<(u64, &'static str)>,
    duplicate: bool,
}

struct Target {
    queue: VecDeque<Item>,
    notify: Arc<Notify>,
    dropped: u64,
    delivered: u64,
    failed: u64,
}

/// The queues as the state file keeps them: each waiting event with its attempts so far and the
/// instant its next attempt is due, and the event id counter (ids stay unique across restarts).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Saved {
    pub next_event: u64,
    pub queued: Vec<SavedItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedItem {
    pub out: Outbound,
    pub attempts: u32,
    pub due_ms: i64,
    pub decided: bool,
}

/// A target's queue, for `GET /_ccemu/webhooks`.
#[derive(Debug, Clone, Serialize)]
pub struct Backlog {
    pub tenant: String,
    pub target: String,
    pub queued: usize,
    pub next_due_ms: Option<i64>,
    pub delivered: u64,
    pub failed: u64,
    pub dropped: u64,
}

pub struct Events {
    pub config: EventsConfig,
    targets: Mutex<HashMap<(String, String), Target>>,
    /// Targets that need a worker; the dispatcher (started with the server) spawns them.
    spawn_tx: mpsc::UnboundedSender<(String, String)>,
    spawn_rx: Mutex<Option<mpsc::UnboundedReceiver<(String, String)>>>,
    /// Woken when the virtual clock may have moved.
    tick: Notify,
    pub log: Log,
    next_event: AtomicU64,
    next_item: AtomicU64,
    client: OnceLock<Result<client::HttpClient, String>>,
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Events {
    pub fn new(config: EventsConfig) -> Events {
        let (spawn_tx, spawn_rx) = mpsc::unbounded_channel();
        Events {
            log: Log::new(config.log_size),
            config,
            targets: Mutex::new(HashMap::new()),
            spawn_tx,
            spawn_rx: Mutex::new(Some(spawn_rx)),
            tick: Notify::new(),
            next_event: AtomicU64::new(1),
            next_item: AtomicU64::new(1),
            client: OnceLock::new(),
        }
    }

    /// A fresh event id: unique for the life of the process (resets do not reuse ids), and the
    /// same sequence for the same run, so a seeded test sees the same ids.
    pub fn next_event_id(&self) -> String {
        format!("ev-{:010}", self.next_event.fetch_add(1, Ordering::Relaxed))
    }

    /// Queues events for delivery. Never blocks and never awaits: called as the model lock is
    /// released, on the path of the API call that caused the event.
    pub fn enqueue(&self, outs: Vec<Outbound>) {
        for mut out in outs {
            let value = std::mem::take(&mut out.body);
            // About a Udesk agent event's size: the buffer is not grown byte by byte.
            let mut bytes = Vec::with_capacity(640);
            if serde_json::to_writer(&mut bytes, &value).is_err() {
                bytes.clear();
            }
            drop(value);
            // Exactly the payload's size: `Bytes` from a `Vec` would keep its spare capacity.
            let body = Bytes::from(bytes.into_boxed_slice());
            let key = (out.tenant.clone(), out.target.clone());
            let out = Arc::new(out);
            let overflow = {
                let mut targets = self.targets.lock();
                let fresh = !targets.contains_key(&key);
                let t = targets.entry(key.clone()).or_insert_with(|| Target {
                    queue: VecDeque::new(),
                    notify: Arc::new(Notify::new()),
                    dropped: 0,
                    delivered: 0,
                    failed: 0,
                });
                if t.queue.len() >= self.config.backlog {
                    t.dropped += 1;
                    true
                } else {
                    t.queue.push_back(Item {
                        id: self.next_item.fetch_add(1, Ordering::Relaxed),
                        due_ms: out.at_ms,
                        out: Arc::clone(&out),
                        body: body.clone(),
                        attempts: 0,
                        decided: false,
                        fault: None,
                        duplicate: false,
                    });
                    t.notify.notify_one();
                    if fresh {
                        let _ = self.spawn_tx.send(key);
                    }
                    false
                }
            };
            if overflow {
                self.log.push(record(
                    &out,
                    &body,
                    0,
                    Status::Dropped,
                    Some(format!(
                        "backlog full: {} events already wait for this target",
                        self.config.backlog
                    )),
                    out.at_ms,
                ));
            }
        }
    }

    pub fn save(&self) -> Saved {
        let targets = self.targets.lock();
        let mut keys: Vec<&(String, String)> = targets.keys().collect();
        keys.sort();
        let queued = keys
            .into_iter()
            .flat_map(|k| targets[k].queue.iter())
            .map(|i| SavedItem {
                out: Outbound {
                    body: serde_json::from_slice(&i.body).unwrap_or(Value::Null),
                    ..(*i.out).clone()
                },
                attempts: i.attempts,
                due_ms: i.due_ms,
                decided: i.decided,
            })
            .collect();
        Saved {
            next_event: self.next_event.load(Ordering::Relaxed),
            queued,
        }
    }

    /// Puts saved queues back (at start, before the server runs): each event keeps its attempts
    /// and due instant, and waits for its target's worker.
    pub fn restore(&self, saved: Saved) {
        self.clear();
        self.next_event
            .fetch_max(saved.next_event, Ordering::Relaxed);
        for s in saved.queued {
            let due = s.due_ms;
            let (attempts, decided) = (s.attempts, s.decided);
            let key = (s.out.tenant.clone(), s.out.target.clone());
            self.enqueue(vec![s.out]);
            if let Some(t) = self.targets.lock().get_mut(&key) {
                if let Some(last) = t.queue.back_mut() {
                    last.due_ms = due;
                    last.attempts = attempts;
                    last.decided = decided;
                }
            }
        }
    }

    /// The clock may have moved: workers waiting for an instant look again.
    pub fn poke(&self) {
        self.tick.notify_waiters();
    }

    /// Every target's queue.
    pub fn backlogs(&self) -> Vec<Backlog> {
        let targets = self.targets.lock();
        let mut all: Vec<Backlog> = targets
            .iter()
            .map(|((tenant, target), t)| Backlog {
                tenant: tenant.clone(),
                target: target.clone(),
                queued: t.queue.len(),
                next_due_ms: t.queue.front().map(|i| i.due_ms),
                delivered: t.delivered,
                failed: t.failed,
                dropped: t.dropped,
            })
            .collect();
        all.sort_by(|a, b| (&a.tenant, &a.target).cmp(&(&b.tenant, &b.target)));
        all
    }

    /// Forgets every queued event and the log (reset). Workers of dropped targets end.
    pub fn clear(&self) {
        let mut targets = self.targets.lock();
        for t in targets.values() {
            t.notify.notify_one();
        }
        targets.clear();
        drop(targets);
        self.log.clear();
    }

    /// POSTs a JSON body and answers the 2xx answer's body (at most 64 KiB), or why there was
    /// none: the IVR's webhook nodes ask the customer's backend this way.
    pub async fn post_json(
        &self,
        url: &str,
        body: Vec<u8>,
        timeout: std::time::Duration,
    ) -> Result<String, String> {
        let client = self.client()?;
        let req = hyper::Request::post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(
                hyper::header::USER_AGENT,
                concat!("ccemu/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("bad request: {e}"))?;
        let call = async {
            let resp = client.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status();
            let body = http_body_util::Limited::new(resp.into_body(), 64 * 1024)
                .collect()
                .await
                .map_err(|e| format!("answer unreadable: {e}"))?
                .to_bytes();
            if !status.is_success() {
                return Err(format!("answered {status}"));
            }
            Ok(String::from_utf8_lossy(&body).into_owned())
        };
        match tokio::time::timeout(timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
        }
    }

    fn client(&self) -> Result<&client::HttpClient, String> {
        self.client
            .get_or_init(|| client::build(self.config.ca_file.as_deref()))
            .as_ref()
            .map_err(|e| e.clone())
    }
}

fn record(
    out: &Outbound,
    body: &Bytes,
    attempt: u32,
    status: Status,
    error: Option<String>,
    at_ms: i64,
) -> Delivery {
    Delivery {
        seq: 0,
        event_id: out.event_id.clone(),
        event: out.event.clone(),
        vendor: out.vendor,
        tenant: out.tenant.clone(),
        subscription: out.subscription,
        url: out.url.clone(),
        attempt,
        status,
        http_status: None,
        error,
        latency_ms: 0,
        at_ms,
        event_at_ms: out.at_ms,
        real_ms: wall_ms(),
        next_attempt_ms: None,
        rule: None,
        fault: None,
        duplicate: false,
        body: body.clone(),
    }
}

/// Spawns a worker for every target that gets its first event, until shutdown. Started by the
/// server beside the scenario ticker, so a host without a server queues and sends nothing.
pub async fn dispatcher<H: Host>(ctx: H) {
    let Some(mut rx) = ctx.events().spawn_rx.lock().take() else {
        return;
    };
    let closed = ctx.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            key = rx.recv() => match key {
                Some(key) => { tokio::spawn(worker(ctx.clone(), key)); }
                None => break,
            },
            _ = &mut closed => break,
        }
    }
}

/// What the head of a queue should do now.
enum Step {
    /// Nothing queued: wait for an event.
    Idle,
    /// Not due before this virtual instant.
    Wait(i64),
    Send(Item),
}

async fn worker<H: Host>(ctx: H, key: (String, String)) {
    let Some(notify) = ctx
        .events()
        .targets
        .lock()
        .get(&key)
        .map(|t| Arc::clone(&t.notify))
    else {
        return;
    };
    let closed = ctx.closed();
    tokio::pin!(closed);
    loop {
        // Registered before looking, so a poke between the look and the wait is not lost.
        let ticked = ctx.events().tick.notified();
        tokio::pin!(ticked);
        ticked.as_mut().enable();
        // The target's tenant's clock: a sandbox's own when it is in one, as its events are
        // dated on it.
        let now = ctx.clock_ms_for(&key.0);
        let step = {
            let targets = ctx.events().targets.lock();
            let Some(t) = targets.get(&key) else {
                return;
            };
            match t.queue.front() {
                None => Step::Idle,
                Some(i) if i.due_ms > now => Step::Wait(i.due_ms),
                Some(i) => Step::Send(i.clone()),
            }
        };
        match step {
            Step::Idle => {
                tokio::select! {
                    _ = notify.notified() => {}
                    _ = &mut closed => return,
                }
            }
            Step::Wait(due) => {
                // A running clock reaches `due` after that much real time; a frozen one only
                // when moved (a poke). Capped, in case the clock is frozen meanwhile.
                let sleep = if ctx.clock_frozen_for(&key.0) {
                    Duration::from_secs(3600)
                } else {
                    Duration::from_millis((due - now).clamp(1, 60_000) as u64)
                };
                tokio::select! {
                    _ = ticked => {}
                    _ = notify.notified() => {}
                    _ = tokio::time::sleep(sleep) => {}
                    _ = &mut closed => return,
                }
            }
            Step::Send(item) => deliver(&ctx, &key, item).await,
        }
    }
}

/// Replaces the queue's head with `f(head)` if it is still `item`, or pops it when `f` answers
/// `None`.
fn update_head<H: Host>(
    ctx: &H,
    key: &(String, String),
    id: u64,
    f: impl FnOnce(&mut Target) -> bool,
) {
    let mut targets = ctx.events().targets.lock();
    if let Some(t) = targets.get_mut(key) {
        if t.queue.front().is_some_and(|i| i.id == id) && f(t) {
            t.queue.pop_front();
        }
    }
}

async fn deliver<H: Host>(ctx: &H, key: &(String, String), mut item: Item) {
    let now = ctx.clock_ms_for(&key.0);
    if !item.decided {
        item.decided = true;
        let fired = ctx.decide_delivery(
            &key.0,
            now,
            &DeliveryView {
                vendor: item.out.vendor,
                tenant: &item.out.tenant,
                event: &item.out.event,
                subscription: item.out.subscription,
                url: &item.out.url,
            },
        );
        if let Some(fired) = fired {
            let kind = fired.fault.kind();
            item.fault = Some((fired.rule, kind));
            match fired.fault {
                Fault::Drop => {
                    let mut d = record(
                        &item.out,
                        &item.body,
                        0,
                        Status::Dropped,
                        Some(format!("dropped by fault rule {}", fired.rule)),
                        now,
                    );
                    d.rule = Some(fired.rule);
                    d.fault = Some(kind);
                    // Off the queue before it shows in the log, as below.
                    update_head(ctx, key, item.id, |t| {
                        t.dropped += 1;
                        true
                    });
                    ctx.events().log.push(d);
                    return;
                }
                Fault::Delay { ms, .. } => {
                    // Dated in virtual time like a retry: a frozen clock holds it until moved.
                    let ms = (ms + fired.jitter_ms).min(i64::MAX as u64) as i64;
                    item.due_ms = now.saturating_add(ms);
                    let next = item.clone();
                    update_head(ctx, key, item.id, |t| {
                        t.queue[0] = next;
                        false
                    });
                    return;
                }
                Fault::Reorder => {
                    // The next event goes first; this one follows it. Alone in its queue, it
                    // goes as it is.
                    let next = item.clone();
                    update_head(ctx, key, item.id, |t| {
                        t.queue[0] = next;
                        if t.queue.len() >= 2 {
                            t.queue.swap(0, 1);
                        }
                        false
                    });
                    return;
                }
                Fault::Duplicate => item.duplicate = true,
                _ => {}
            }
        }
    }
    item.attempts += 1;
    let (status, http_status, error, latency_ms) = attempt(ctx, &item).await;
    let now = ctx.clock_ms_for(&key.0);
    let retries = &ctx.events().config.backoff_ms;
    let outcome = match status {
        Status::Delivered => Status::Delivered,
        _ if (item.attempts as usize) <= retries.len() => Status::Pending,
        _ => Status::Failed,
    };
    let next_due = (outcome == Status::Pending)
        .then(|| now.saturating_add(retries[item.attempts as usize - 1]));
    let mut d = record(&item.out, &item.body, item.attempts, outcome, error, now);
    d.http_status = http_status;
    d.latency_ms = latency_ms;
    d.next_attempt_ms = next_due;
    if let Some((rule, kind)) = item.fault {
        d.rule = Some(rule);
        d.fault = Some(kind);
    }
    // Off the queue (or back in it, dated) before it shows in the log: whoever sees the
    // entry sees the backlog without it (a test reads the log, then the backlog).
    let next = item.clone();
    update_head(ctx, key, item.id, move |t| match next_due {
        Some(due) => {
            let mut next = next;
            next.due_ms = due;
            t.queue[0] = next;
            false
        }
        None => {
            if outcome == Status::Delivered {
                t.delivered += 1;
            } else {
                t.failed += 1;
            }
            true
        }
    });
    ctx.events().log.push(d.clone());
    if item.duplicate && item.attempts == 1 {
        let (status, http_status, error, latency_ms) = attempt(ctx, &item).await;
        let mut dup = d;
        dup.status = status;
        dup.http_status = http_status;
        dup.error = error;
        dup.latency_ms = latency_ms;
        dup.next_attempt_ms = None;
        dup.duplicate = true;
        dup.real_ms = wall_ms();
        ctx.events().log.push(dup);
    }
}

/// One POST: delivered on any 2xx, failed otherwise (answer status, connection error or
/// timeout). The receiver's body is read (so the connection can be reused) and ignored.
async fn attempt<H: Host>(ctx: &H, item: &Item) -> (Status, Option<u16>, Option<String>, u64) {
    let started = Instant::now();
    let elapsed = || started.elapsed().as_millis() as u64;
    let client = match ctx.events().client() {
        Ok(c) => c,
        Err(e) => return (Status::Failed, None, Some(e), 0),
    };
    let mut req = hyper::Request::post(item.out.url.as_str())
        .header(CONTENT_TYPE, "application/json")
        .header(EVENT_ID_HEADER, item.out.event_id.as_str())
        .header(EVENT_HEADER, item.out.event.as_str())
        .header(
            hyper::header::USER_AGENT,
            concat!("ccemu/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &item.out.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            req = req.header(n, v);
        }
    }
    let req = match req.body(Full::new(item.body.clone())) {
        Ok(r) => r,
        Err(e) => return (Status::Failed, None, Some(format!("bad request: {e}")), 0),
    };
    let timeout = ctx.events().config.attempt_timeout;
    let call = async {
        let resp = client.request(req).await.map_err(|e| {
            use std::error::Error;
            let mut msg = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                msg = format!("{msg}: {s}");
                src = s.source();
            }
            msg
        })?;
        let status = resp.status();
        // Read at most a little of the answer: a receiver streaming forever is cut by the timeout.
        let _ = http_body_util::Limited::new(resp.into_body(), 64 * 1024)
            .collect()
            .await;
        Ok::<_, String>(status)
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(s)) if s.is_success() => (Status::Delivered, Some(s.as_u16()), None, elapsed()),
        Ok(Ok(s)) => (
            Status::Failed,
            Some(s.as_u16()),
            Some(format!("receiver answered {s}")),
            elapsed(),
        ),
        Ok(Err(e)) => (Status::Failed, None, Some(e), elapsed()),
        Err(_) => (
            Status::Failed,
            None,
            Some(format!("no answer within {} ms", timeout.as_millis())),
            elapsed(),
        ),
    }
}

#[cfg(test)]
mod tests;
