//! The delivery log: every attempt to deliver an event, kept in a bounded ring for tests to
//! list, filter and wait on (`/_ccemu/webhooks/deliveries`, `/_ccemu/webhooks/wait`).
//!
//! Deliveries are far rarer than requests, so a waiter simply rescans the entries added since its
//! last look when the `watch` channel says something new arrived: no polling, no lost wake-up.

use crate::model::Vendor;
use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The receiver answered 2xx.
    Delivered,
    /// The attempt failed and another is scheduled (`next_attempt_ms`).
    Pending,
    /// The attempt failed and it was the last one: the event is given up.
    Failed,
    /// Never sent: the target's backlog was full, or a fault rule dropped it.
    Dropped,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(serde_json::Value::String(s.into())).ok()
    }
}

/// One attempt to deliver one event to one target.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Delivery {
    /// Increases by one per attempt since the emulator started (never reset).
    pub seq: u64,
    pub event_id: String,
    pub event: String,
    pub vendor: Vendor,
    pub tenant: String,
    /// The Udesk subscription id; `None` for pushes that are not subscriptions (NXCloud CDRs).
    pub subscription: Option<u64>,
    pub url: String,
    /// 1 for the first try; a duplicate (fault) carries the number of the attempt it copies.
    pub attempt: u32,
    pub status: Status,
    /// The receiver's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// Why the attempt failed or was dropped.
    pub error: Option<String>,
    /// Real milliseconds the attempt took (0 when nothing was sent).
    pub latency_ms: u64,
    /// The virtual clock when the attempt was made, and the instant the event happened.
    pub at_ms: i64,
    pub event_at_ms: i64,
    /// Wall-clock milliseconds since the epoch when the attempt was made.
    pub real_ms: i64,
    /// When the next attempt is due (virtual ms), for `pending`.
    pub next_attempt_ms: Option<i64>,
    pub rule: Option<u64>,
    pub fault: Option<&'static str>,
    /// A second copy sent by a `duplicate` fault (same event id).
    pub duplicate: bool,
    /// The body sent (as JSON when it is JSON).
    #[serde(serialize_with = "body_json")]
    #[schemars(with = "serde_json::Value")]
    pub body: Bytes,
}

fn body_json<S: Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_slice::<&serde_json::value::RawValue>(b) {
        Ok(raw) => raw.serialize(s),
        Err(_) => s.serialize_str(&String::from_utf8_lossy(b)),
    }
}

/// A filter over deliveries; every field left out matches anything.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMatch {
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub subscription: Option<u64>,
    #[serde(default)]
    pub status: Option<Status>,
    /// `*` wildcards allowed.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub vendor: Option<Vendor>,
    #[serde(default)]
    pub event_id: Option<String>,
}

impl DeliveryMatch {
    pub fn matches(&self, d: &Delivery) -> bool {
        self.event.as_deref().is_none_or(|e| e == d.event)
            && self.subscription.is_none_or(|s| d.subscription == Some(s))
            && self.status.is_none_or(|s| s == d.status)
            && self
                .url
                .as_deref()
                .is_none_or(|u| crate::journal::matcher::glob(u, &d.url))
            && self.tenant.as_deref().is_none_or(|t| t == d.tenant)
            && self.vendor.is_none_or(|v| v == d.vendor)
            && self.event_id.as_deref().is_none_or(|e| e == d.event_id)
    }
}

struct Ring {
    entries: VecDeque<Delivery>,
    next_seq: u64,
    clears: u64,
}

pub struct Log {
    capacity: usize,
    ring: Mutex<Ring>,
    /// The seq of the newest entry (bumped by clears too), for waiters.
    newest: watch::Sender<u64>,
    /// Where each attempt is counted and announced, once given.
    observers: std::sync::OnceLock<(crate::hub::Hub, std::sync::Arc<crate::metrics::Metrics>)>,
}

impl Log {
    pub fn new(capacity: usize) -> Log {
        Log {
            capacity,
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                next_seq: 1,
                clears: 0,
            }),
            newest: watch::channel(0).0,
            observers: std::sync::OnceLock::new(),
        }
    }

    /// Counts every attempt from now on in `metrics` and announces it on `hub`.
    pub fn attach(&self, hub: crate::hub::Hub, metrics: std::sync::Arc<crate::metrics::Metrics>) {
        let _ = self.observers.set((hub, metrics));
    }

    fn observe(&self, d: &Delivery) {
        let Some((hub, metrics)) = self.observers.get() else {
            return;
        };
        let outcome = match d.status {
            Status::Delivered => "delivered",
            Status::Pending => "pending",
            Status::Failed => "failed",
            Status::Dropped => "dropped",
        };
        metrics.delivery(&d.event, outcome, d.latency_ms as f64 / 1000.0);
        if let (Some(rule), Some(fault)) = (d.rule, d.fault) {
            metrics.fault(rule, fault, "delivery");
        }
        let tenant = Some(d.tenant.as_str());
        hub.publish("delivery", tenant, || d);
        if let (Some(rule), Some(fault)) = (d.rule, d.fault) {
            hub.publish("fault", tenant, || {
                serde_json::json!({"target": "delivery", "rule": rule, "fault": fault, "seq": d.seq, "at_ms": d.at_ms, "tenant": d.tenant})
            });
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn push(&self, mut d: Delivery) {
        // Deliveries are rare next to requests: a copy for the observers (the body is shared)
        // keeps their work out of the ring's lock.
        let (seq, observed) = {
            let mut ring = self.ring.lock();
            d.seq = ring.next_seq;
            ring.next_seq += 1;
            let seq = d.seq;
            if self.capacity == 0 {
                (None, d)
            } else {
                let observed = self.observers.get().map(|_| d.clone());
                if ring.entries.len() == self.capacity {
                    ring.entries.pop_front();
                }
                ring.entries.push_back(d);
                match observed {
                    Some(o) => (Some(seq), o),
                    None => {
                        drop(ring);
                        self.newest.send_replace(seq);
                        return;
                    }
                }
            }
        };
        self.observe(&observed);
        if let Some(seq) = seq {
            self.newest.send_replace(seq);
        }
    }

    pub fn select(&self, m: &DeliveryMatch, limit: Option<usize>) -> Vec<Delivery> {
        let ring = self.ring.lock();
        let it = ring.entries.iter().filter(|d| m.matches(d)).cloned();
        match limit {
            Some(n) => it.take(n).collect(),
            None => it.collect(),
        }
    }

    pub fn clear(&self) {
        let seq = {
            let mut ring = self.ring.lock();
            ring.entries.clear();
            ring.clears += 1;
            ring.next_seq
        };
        self.newest.send_replace(seq);
    }

    /// Waits until `count` matching deliveries are in the log, answering them; or, once `timeout`
    /// of real time passes, the number seen.
    pub async fn wait(
        &self,
        m: &DeliveryMatch,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Delivery>, usize> {
        let deadline = Instant::now() + timeout;
        let mut rx = self.newest.subscribe();
        let mut found: Vec<Delivery> = Vec::new();
        let mut seen_seq = 0u64;
        let mut clears = u64::MAX;
        loop {
            rx.borrow_and_update();
            {
                let ring = self.ring.lock();
                if ring.clears != clears {
                    clears = ring.clears;
                    found.clear();
                    seen_seq = 0;
                }
                for d in ring.entries.iter().filter(|d| d.seq > seen_seq) {
                    if m.matches(d) {
                        found.push(d.clone());
                    }
                }
                seen_seq = ring.next_seq - 1;
            }
            if found.len() >= count {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline.into(), rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return Err(found.len()),
            }
        }
    }
}
