//! Every vendor request and its answer, kept in a bounded ring for tests to inspect and wait on.
//!
//! One entry is pushed per request, when its outcome is known (for a hang: when the hang starts,
//! so a test can wait for a request that will never be answered). The push is the only work on the
//! hot path: one short lock, no formatting, no I/O. Waiters are woken through a `watch` channel
//! carrying the sequence number of the newest entry, so nobody polls and no wake-up is lost
//! between "check" and "sleep".

use crate::model::Vendor;
use crate::scenarios::rules::MatchSpec;
use hyper::body::Bytes;
use hyper::Method;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Request bodies up to this size are kept for body-field matching; larger ones are not.
pub const BODY_KEPT: usize = 16 * 1024;

/// One request and what became of it.
#[derive(Debug, Clone, Serialize)]
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
    /// The request body (reference-counted, not copied) so waits can match body fields; empty when
    /// it was over `BODY_KEPT`.
    #[serde(skip)]
    pub body: Bytes,
}

fn method_name<S: serde::Serializer>(m: &Method, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

struct Ring {
    entries: VecDeque<Entry>,
    next_seq: u64,
    /// Bumped by every clear, so a waiter knows to count again from nothing.
    clears: u64,
}

pub struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
    /// The seq of the newest entry (or of the last clear), for waiters.
    newest: watch::Sender<u64>,
}

/// A request on its way through: when it started, for the latency.
pub struct Pending {
    started: Instant,
    at_ms: i64,
}

impl Journal {
    /// A journal keeping the last `capacity` entries; 0 keeps none.
    pub fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            ring: Mutex::new(Ring {
                clears: 0,
                entries: VecDeque::with_capacity(capacity.min(4096)),
                next_seq: 1,
            }),
            newest: watch::channel(0).0,
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn begin(&self, now_ms: i64) -> Pending {
        Pending {
            started: Instant::now(),
            at_ms: now_ms,
        }
    }

    /// Records an entry; `seq`, `at_ms` and `latency_ms` are filled in here.
    pub fn end(&self, pending: Pending, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        entry.at_ms = pending.at_ms;
        entry.latency_ms = pending.started.elapsed().as_millis() as u64;
        let seq = {
            let mut ring = self.ring.lock();
            entry.seq = ring.next_seq;
            ring.next_seq += 1;
            if ring.entries.len() == self.capacity {
                ring.entries.pop_front();
            }
            ring.entries.push_back(entry);
            ring.next_seq - 1
        };
        self.newest.send_replace(seq);
    }

    pub fn clear(&self) {
        {
            let mut ring = self.ring.lock();
            ring.entries.clear();
            ring.clears += 1;
        }
        // Wake waiters so they recount from nothing.
        self.newest.send_modify(|_| {});
    }

    /// Entries matching `spec`, oldest first, at most `limit` of the newest.
    pub fn select(&self, spec: &MatchSpec, limit: Option<usize>) -> Vec<Entry> {
        let ring = self.ring.lock();
        let mut out: Vec<Entry> = ring
            .entries
            .iter()
            .filter(|e| spec.matches_entry(e))
            .cloned()
            .collect();
        drop(ring);
        if let Some(n) = limit {
            if out.len() > n {
                out.drain(..out.len() - n);
            }
        }
        out
    }

    pub fn count(&self, spec: &MatchSpec) -> usize {
        self.ring
            .lock()
            .entries
            .iter()
            .filter(|e| spec.matches_entry(e))
            .count()
    }

    /// Waits until `count` entries match `spec` (entries already there count), or `timeout`
    /// passes. `Ok` holds the first `count` matching entries; `Err` the number seen at the end.
    pub async fn wait(
        &self,
        spec: &MatchSpec,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Entry>, usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        // Subscribe before the first look: a push between the look and the sleep still wakes us.
        let mut rx = self.newest.subscribe();
        // Matches so far and the newest seq looked at: each wake-up scans only the entries that
        // arrived since, so a pending wait costs a busy journal one entry's match per request,
        // not a rescan of the whole ring under its lock.
        let mut matched: Vec<Entry> = Vec::new();
        let mut scanned: Option<u64> = None;
        let mut clears = None;
        loop {
            rx.borrow_and_update();
            {
                let ring = self.ring.lock();
                if clears != Some(ring.clears) {
                    matched.clear();
                    scanned = None;
                    clears = Some(ring.clears);
                }
                let from = scanned.map_or(0, |s| ring.entries.partition_point(|e| e.seq <= s));
                for e in ring.entries.range(from..) {
                    if matched.len() < count && spec.matches_entry(e) {
                        matched.push(e.clone());
                    }
                }
                scanned = ring.entries.back().map(|e| e.seq).or(scanned);
            }
            if matched.len() >= count {
                return Ok(matched);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => continue,
                // The sender lives as long as the journal; treat its loss like a timeout.
                Ok(Err(_)) | Err(_) => return Err(matched.len()),
            }
        }
    }
}
