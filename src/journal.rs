//! Every vendor request and its answer, kept in a bounded ring for tests to inspect and wait on.
//!
//! One entry is pushed per request, when its outcome is known (for a hang: when the hang starts,
//! so a test can wait for a request that will never be answered). The push is the only work on the
//! hot path: one short lock, no formatting, no I/O, and one atomic load to see whether anybody
//! waits.
//!
//! An entry keeps the request's headers and body and the answer's status, headers and body, each
//! capped at 16 KiB (`truncated` says when a cap cut something). The request body is copied, not
//! shared: a small body is a slice of the connection's read buffer, and keeping the slice would
//! pin the whole buffer (kilobytes) for as long as the entry lives. The answer's body is the
//! answer's own buffer, so an answer under the cap is shared rather than copied again.
//!
//! Waits (`POST /_ccemu/requests/wait`) never scan under the ring lock and are never woken for
//! an entry that does not satisfy them. One matcher task per journal, running only while some
//! wait is pending, copies the new entries' `Arc`s out of the ring (one short lock per batch,
//! however many waits there are), matches each entry once against each pending wait outside that
//! lock, and wakes exactly the waits it satisfies. The request path only nudges it.

pub mod matcher;
mod message;

pub use message::{Message, BODY_KEPT};

use crate::model::Vendor;
use hyper::Method;
use matcher::{body_object, MatchSpec};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Map;
use std::cell::OnceCell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// One request and what became of it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Entry {
    /// Increases by one per request since the emulator started (never reset, so a test can tell
    /// entries apart across clears).
    pub seq: u64,
    /// The virtual clock when the request arrived.
    pub at_ms: i64,
    pub vendor: Vendor,
    pub operation: Option<&'static str>,
    /// The authenticated tenant, or the one the credentials claim when the request was refused
    /// before authentication (by a fault or a bad signature).
    pub tenant: Option<String>,
    #[serde(serialize_with = "method_name")]
    #[schemars(with = "String")]
    pub method: Method,
    pub path: String,
    pub query: String,
    /// HTTP status sent; `None` when no answer was sent (reset, empty, hang).
    pub status: Option<u16>,
    /// The vendor's result code from the answer (ErrCode, code, error_code).
    pub code: Option<String>,
    /// Real milliseconds from the request's body being read to its answer being decided (faults'
    /// delays included).
    pub latency_ms: u64,
    /// The id of the fault rule that fired, if any.
    pub rule: Option<u64>,
    /// The kind of fault that fired, if any.
    pub fault: Option<&'static str>,
    /// The request's headers and body.
    pub request: Message,
    /// The answer's headers and body (its status is `status`); `None` when none was sent.
    pub response: Option<Message>,
    /// Strict mode's contract findings on the request (docs/contract.md); empty when it is off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::op::Finding>,
}

/// The stream's view of an entry: what the dashboard lists; bodies are read from the journal.
/// Borrowed and serialised straight to text, as this runs once per request while anyone watches.
#[derive(Serialize)]
struct Announced<'a> {
    seq: u64,
    at_ms: i64,
    vendor: Vendor,
    operation: Option<&'static str>,
    tenant: Option<&'a str>,
    method: &'a str,
    path: &'a str,
    status: Option<u16>,
    code: Option<&'a str>,
    latency_ms: u64,
    rule: Option<u64>,
    fault: Option<&'static str>,
}

/// A journal entry on the live feed, serialised by its first reader rather than on the
/// request path.
impl crate::hub::Announce for Entry {
    fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    fn to_json(&self) -> String {
        serde_json::to_string(&Announced {
            seq: self.seq,
            at_ms: self.at_ms,
            vendor: self.vendor,
            operation: self.operation,
            tenant: self.tenant.as_deref(),
            method: self.method.as_str(),
            path: &self.path,
            status: self.status,
            code: self.code.as_deref(),
            latency_ms: self.latency_ms,
            rule: self.rule,
            fault: self.fault,
        })
        .unwrap_or_else(|_| "null".into())
    }
}

fn announce(hub: &crate::hub::Hub, e: Arc<Entry>) {
    if let (Some(rule), Some(fault)) = (e.rule, e.fault) {
        hub.publish("fault", e.tenant.as_deref(), || {
            serde_json::json!({"target": "request", "rule": rule, "fault": fault, "seq": e.seq, "at_ms": e.at_ms, "tenant": e.tenant})
        });
    }
    hub.publish_lazy("request", || e);
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

struct Ring {
    entries: VecDeque<Arc<Entry>>,
    next_seq: u64,
    /// Bumped by every clear, so a pending wait knows to count again from nothing.
    clears: u64,
}

/// A pending wait, as the matcher sees it.
struct Waiter {
    spec: MatchSpec,
    key: Key,
    count: usize,
    matched: Vec<Arc<Entry>>,
    done: Option<oneshot::Sender<Vec<Arc<Entry>>>>,
}

/// Where a pending wait is filed, so that an entry is matched only against the waits that could
/// want it: by a top-level body field with a plain value (the most selective: "AgentId 9006"),
/// else the operation, else the vendor, else with the waits that want anything.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Body(String, String),
    Operation(String),
    Vendor(Vendor),
    Any,
}

/// A plain JSON value as text, such that values `MatchSpec` counts as equal (`"7"` and `7`) give
/// the same text; objects and arrays have none (they are not filed by).
fn plain(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

impl Key {
    fn of(spec: &MatchSpec) -> Key {
        if let Some((k, v)) = spec.body.iter().find_map(|(k, v)| plain(v).map(|v| (k, v))) {
            return Key::Body(k.clone(), v);
        }
        if let Some(op) = &spec.operation {
            return Key::Operation(op.clone());
        }
        match spec.vendor {
            Some(v) => Key::Vendor(v),
            None => Key::Any,
        }
    }
}

#[derive(Default)]
struct Waits {
    waiters: HashMap<u64, Waiter>,
    /// Waits that have not had their first look (at the entries already in the ring), oldest
    /// first; they join `index` after it.
    joining: Vec<u64>,
    /// The waits that have had their first look, filed by `Key`.
    index: HashMap<Key, Vec<u64>>,
    /// How many filed waits are filed by a body field: bodies are parsed only when some are.
    by_body: usize,
    /// Every filed wait has seen the entries up to this seq.
    cursor: u64,
    /// The ring's clear count the filed waits' matches belong to.
    clears: u64,
    next_id: u64,
    matcher_running: bool,
}

impl Waits {
    fn file(&mut self, id: u64) {
        if let Some(w) = self.waiters.get(&id) {
            if matches!(w.key, Key::Body(..)) {
                self.by_body += 1;
            }
            self.index.entry(w.key.clone()).or_default().push(id);
        }
    }

    /// Takes a wait out, wherever it is.
    fn remove(&mut self, id: u64) -> Option<Waiter> {
        let w = self.waiters.remove(&id)?;
        if let Some(i) = self.joining.iter().position(|j| *j == id) {
            self.joining.remove(i);
        } else if let Some(ids) = self.index.get_mut(&w.key) {
            ids.retain(|j| *j != id);
            if ids.is_empty() {
                self.index.remove(&w.key);
            }
            if matches!(w.key, Key::Body(..)) {
                self.by_body -= 1;
            }
        }
        Some(w)
    }

    /// The filed waits that could want `e` (each at most once: a wait has one key, and an
    /// entry's keys differ from each other).
    fn candidates(
        &self,
        e: &Entry,
        body: &OnceCell<Option<Map<String, serde_json::Value>>>,
    ) -> Vec<u64> {
        let mut out = Vec::new();
        let mut add = |k: &Key| {
            if let Some(ids) = self.index.get(k) {
                out.extend_from_slice(ids);
            }
        };
        if let Some(op) = e.operation {
            add(&Key::Operation(op.to_string()));
        }
        add(&Key::Vendor(e.vendor));
        add(&Key::Any);
        if self.by_body > 0 {
            if let Some(map) = body.get_or_init(|| body_object(&e.request.body())) {
                for (k, v) in map {
                    if let Some(v) = plain(v) {
                        add(&Key::Body(k.clone(), v));
                    }
                }
            }
        }
        out
    }
}

/// Counters that show what waits cost (for tests and benchmarks; not part of any contract).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitStats {
    /// Entry references copied out of the ring under its lock, all waits together.
    pub copied_under_lock: u64,
    /// Entry-against-wait matches run (outside the ring lock).
    pub matches: u64,
    /// Waits woken because they were satisfied.
    pub woken: u64,
}

struct Inner {
    capacity: usize,
    ring: Mutex<Ring>,
    waits: Mutex<Waits>,
    /// How many waits are pending: the request path reads only this.
    pending: AtomicUsize,
    /// Nudges the matcher: a new entry, a clear or a new wait.
    nudge: Notify,
    copied_under_lock: AtomicU64,
    matches: AtomicU64,
    woken: AtomicU64,
    /// The live feed (`/_ccemu/stream`) each entry is announced on, once given.
    hub: std::sync::OnceLock<crate::hub::Hub>,
}

pub struct Journal(Arc<Inner>);

/// A request on its way through: when it started, for the latency.
pub struct Pending {
    started: Instant,
    at_ms: i64,
}

impl Journal {
    /// A journal keeping the last `capacity` entries; 0 keeps none.
    pub fn new(capacity: usize) -> Journal {
        Journal(Arc::new(Inner {
            capacity,
            ring: Mutex::new(Ring {
                clears: 0,
                entries: VecDeque::with_capacity(capacity.min(4096)),
                next_seq: 1,
            }),
            waits: Mutex::new(Waits::default()),
            pending: AtomicUsize::new(0),
            nudge: Notify::new(),
            copied_under_lock: AtomicU64::new(0),
            matches: AtomicU64::new(0),
            woken: AtomicU64::new(0),
            hub: std::sync::OnceLock::new(),
        }))
    }

    /// Announces every entry from now on on `hub` (a summary: the bodies stay in the journal).
    pub fn attach(&self, hub: crate::hub::Hub) {
        let _ = self.0.hub.set(hub);
    }

    pub fn enabled(&self) -> bool {
        self.0.capacity > 0
    }

    pub fn capacity(&self) -> usize {
        self.0.capacity
    }

    pub fn begin(&self, now_ms: i64) -> Pending {
        Pending {
            started: Instant::now(),
            at_ms: now_ms,
        }
    }

    /// Records an entry; `seq`, `at_ms` and `latency_ms` are filled in here.
    pub fn end(&self, pending: Pending, mut entry: Entry) {
        let inner = &*self.0;
        if inner.capacity == 0 {
            return;
        }
        entry.at_ms = pending.at_ms;
        entry.latency_ms = pending.started.elapsed().as_millis() as u64;
        // Allocated before the lock is taken.
        let mut entry = Arc::new(entry);
        let hub = inner.hub.get().filter(|h| h.active());
        let (evicted, announced) = {
            let mut ring = inner.ring.lock();
            if let Some(e) = Arc::get_mut(&mut entry) {
                e.seq = ring.next_seq;
            }
            ring.next_seq += 1;
            let evicted = if ring.entries.len() == inner.capacity {
                ring.entries.pop_front()
            } else {
                None
            };
            let announced = hub.map(|_| entry.clone());
            ring.entries.push_back(entry);
            (evicted, announced)
        };
        // Freed after the lock is let go: an entry is a dozen allocations.
        drop(evicted);
        if let (Some(hub), Some(e)) = (hub, announced) {
            announce(hub, e);
        }
        if inner.pending.load(Ordering::Acquire) > 0 {
            inner.nudge.notify_one();
        }
    }

    pub fn clear(&self) {
        {
            let mut ring = self.0.ring.lock();
            ring.entries.clear();
            ring.clears += 1;
        }
        // Pending waits recount from nothing.
        if self.0.pending.load(Ordering::Acquire) > 0 {
            self.0.nudge.notify_one();
        }
    }

    /// The seq of the newest entry recorded so far (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.0.ring.lock().next_seq - 1
    }

    /// Drops the entries after `seq` that `pick` names: a named snapshot brought back, so the
    /// journal reads as it did when the snapshot was taken. Seqs go on rising from where they
    /// were, so a `since` cursor held across the restore stays meaningful.
    pub fn forget_after(&self, seq: u64, pick: impl Fn(&Entry) -> bool) {
        let gone: Vec<Arc<Entry>> = {
            let mut ring = self.0.ring.lock();
            let from = ring.entries.partition_point(|e| e.seq <= seq);
            let later: Vec<Arc<Entry>> = ring.entries.drain(from..).collect();
            let (gone, kept): (Vec<_>, Vec<_>) = later.into_iter().partition(|e| pick(e));
            ring.entries.extend(kept);
            gone
        };
        // Freed after the lock is let go, as evicted entries are.
        drop(gone);
    }

    /// The ring's entries, copied out as references under one short lock.
    fn snapshot(&self) -> Vec<Arc<Entry>> {
        self.0.ring.lock().entries.iter().cloned().collect()
    }

    /// Entries matching `spec`, oldest first, at most `limit` of the newest. Matched outside the
    /// ring lock.
    pub fn select(&self, spec: &MatchSpec, limit: Option<usize>) -> Vec<Arc<Entry>> {
        let mut out: Vec<Arc<Entry>> = self
            .snapshot()
            .into_iter()
            .filter(|e| spec.matches_entry(e))
            .collect();
        if let Some(n) = limit {
            if out.len() > n {
                out.drain(..out.len() - n);
            }
        }
        out
    }

    pub fn count(&self, spec: &MatchSpec) -> usize {
        self.snapshot()
            .iter()
            .filter(|e| spec.matches_entry(e))
            .count()
    }

    /// What waits have cost so far.
    pub fn wait_stats(&self) -> WaitStats {
        WaitStats {
            copied_under_lock: self.0.copied_under_lock.load(Ordering::Relaxed),
            matches: self.0.matches.load(Ordering::Relaxed),
            woken: self.0.woken.load(Ordering::Relaxed),
        }
    }

    /// How many waits are pending.
    pub fn pending_waits(&self) -> usize {
        self.0.pending.load(Ordering::Acquire)
    }

    /// Waits until `count` entries match `spec` (entries already there since the last clear
    /// count), or `timeout` passes. `Ok` holds the first `count` matching entries; `Err` the
    /// number seen at the end. Must run inside a tokio runtime (it may start the matcher).
    pub async fn wait(
        &self,
        spec: &MatchSpec,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Arc<Entry>>, usize> {
        let inner = &self.0;
        let (tx, mut rx) = oneshot::channel();
        let id = {
            let mut waits = inner.waits.lock();
            let id = waits.next_id;
            waits.next_id += 1;
            waits.waiters.insert(
                id,
                Waiter {
                    spec: spec.clone(),
                    key: Key::of(spec),
                    count,
                    matched: Vec::new(),
                    done: Some(tx),
                },
            );
            waits.joining.push(id);
            inner.pending.fetch_add(1, Ordering::AcqRel);
            if !waits.matcher_running {
                waits.matcher_running = true;
                tokio::spawn(matcher(Arc::clone(inner)));
            }
            id
        };
        // Its first look (at the entries already there) is the matcher's next round.
        inner.nudge.notify_one();
        match tokio::time::timeout(timeout, &mut rx).await {
            Ok(Ok(entries)) => Ok(entries),
            Ok(Err(_)) => Err(0),
            Err(_) => {
                let removed = inner.waits.lock().remove(id);
                match removed {
                    Some(w) => {
                        inner.pending.fetch_sub(1, Ordering::AcqRel);
                        Err(w.matched.len())
                    }
                    // Satisfied just as the time ran out: the answer is in the channel.
                    None => rx.try_recv().map_err(|_| 0),
                }
            }
        }
    }
}

/// Matches new entries against the pending waits until none is left. Each round: copy the
/// references of the entries not yet looked at (one short ring lock, however many waits there
/// are; the whole ring when a wait is joining, for its first look), match each new entry against
/// the filed waits that could want it, give each joining wait its first look, and send the
/// satisfied waits their entries. Then sleep until nudged.
async fn matcher(inner: Arc<Inner>) {
    loop {
        let (joining, cursor) = {
            let mut waits = inner.waits.lock();
            if waits.waiters.is_empty() {
                waits.matcher_running = false;
                return;
            }
            (waits.joining.len(), waits.cursor)
        };
        let (entries, clears) = {
            let ring = inner.ring.lock();
            let from = if joining > 0 {
                0
            } else {
                ring.entries.partition_point(|e| e.seq <= cursor)
            };
            let entries: Vec<Arc<Entry>> = ring.entries.range(from..).cloned().collect();
            (entries, ring.clears)
        };
        inner
            .copied_under_lock
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        // Each entry's body is parsed at most once, however many waits look at it.
        let bodies: Vec<OnceCell<_>> = entries.iter().map(|_| OnceCell::new()).collect();
        let mut matches = 0u64;
        let mut satisfied = Vec::new();
        {
            let mut guard = inner.waits.lock();
            let waits = &mut *guard;
            if waits.clears != clears {
                // A clear since the last round: the filed waits count again from nothing.
                for w in waits.waiters.values_mut() {
                    w.matched.clear();
                }
                waits.clears = clears;
            }
            for (e, body) in entries.iter().zip(&bodies) {
                if e.seq <= waits.cursor {
                    continue;
                }
                for id in waits.candidates(e, body) {
                    let Some(w) = waits.waiters.get_mut(&id) else {
                        continue;
                    };
                    if w.matched.len() >= w.count {
                        continue;
                    }
                    matches += 1;
                    if w.spec.matches_entry_parsed(e, body) {
                        w.matched.push(Arc::clone(e));
                        if w.matched.len() >= w.count {
                            satisfied.push(id);
                        }
                    }
                }
            }
            // Joining waits (only those there when the ring was copied) look at everything.
            let newcomers: Vec<u64> = waits.joining.drain(..joining).collect();
            for id in newcomers {
                if let Some(w) = waits.waiters.get_mut(&id) {
                    for (e, body) in entries.iter().zip(&bodies) {
                        if w.matched.len() >= w.count {
                            break;
                        }
                        matches += 1;
                        if w.spec.matches_entry_parsed(e, body) {
                            w.matched.push(Arc::clone(e));
                        }
                    }
                    if w.matched.len() >= w.count {
                        satisfied.push(id);
                    }
                }
                waits.file(id);
            }
            if let Some(newest) = entries.last() {
                waits.cursor = waits.cursor.max(newest.seq);
            }
            for id in satisfied {
                if let Some(mut w) = waits.remove(id) {
                    inner.pending.fetch_sub(1, Ordering::AcqRel);
                    inner.woken.fetch_add(1, Ordering::Relaxed);
                    if let Some(done) = w.done.take() {
                        let _ = done.send(std::mem::take(&mut w.matched));
                    }
                }
            }
        }
        inner.matches.fetch_add(matches, Ordering::Relaxed);
        inner.nudge.notified().await;
    }
}

#[cfg(test)]
mod tests;
