//! The live feed behind `/_ccemu/stream` and the dashboard: agent states, call steps, requests,
//! deliveries and fault hits, numbered in one order.
//!
//! It sits at the bottom floor (std, parking_lot, tokio, serde_json only) so that the journal, the
//! delivery log and the model's lock guard can each be handed one and notify it with one call,
//! without reaching up into the admin API.
//!
//! Publishing must never slow an API call. Until the first reader subscribes, `publish` is one
//! atomic load. After that it serialises the item (outside any lock), pushes it onto a bounded
//! ring under a short lock and bumps a `watch` value; it never waits for a reader. Readers pull
//! from the ring at their own pace: a reader that falls more than the ring's length behind is
//! told how many items it missed (`Lagged`) and carries on from the oldest item kept.

use parking_lot::Mutex;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// Items kept for resuming readers (`Last-Event-ID`) and readers that fell behind.
pub const DEFAULT_CAPACITY: usize = 4096;

/// One published fact, serialised once and shared by every reader.
#[derive(Debug)]
pub struct Item {
    /// Increases by one per item since the emulator started; the SSE `id:`.
    pub id: u64,
    /// The SSE `event:` name: `agent`, `call`, `request`, `delivery`, `fault`, `clock`, ...
    pub kind: &'static str,
    /// The model tenant the item is about, for readers that follow one tenant.
    pub tenant: Option<String>,
    /// The item as JSON text (the SSE `data:`).
    pub data: String,
}

/// What a reader asking for the items after `after` gets.
#[derive(Debug)]
pub enum Since {
    /// The items after `after`, oldest first (possibly none).
    Items(Vec<Arc<Item>>),
    /// `after` is older than the ring: `missed` items are gone; `items` starts at the oldest kept.
    Lagged { missed: u64, items: Vec<Arc<Item>> },
}

struct Ring {
    items: VecDeque<Arc<Item>>,
    next_id: u64,
}

struct Inner {
    capacity: usize,
    /// Set once the first reader subscribes; before that nothing is kept.
    active: AtomicBool,
    ring: Mutex<Ring>,
    newest: watch::Sender<u64>,
}

#[derive(Clone)]
pub struct Hub(Arc<Inner>);

impl Default for Hub {
    fn default() -> Self {
        Hub::new(DEFAULT_CAPACITY)
    }
}

impl Hub {
    pub fn new(capacity: usize) -> Hub {
        Hub(Arc::new(Inner {
            capacity: capacity.max(1),
            active: AtomicBool::new(false),
            ring: Mutex::new(Ring {
                items: VecDeque::new(),
                next_id: 1,
            }),
            newest: watch::channel(0).0,
        }))
    }

    /// Whether anyone ever subscribed: publishers with costly payloads may check it first.
    pub fn active(&self) -> bool {
        self.0.active.load(Ordering::Relaxed)
    }

    /// Publishes one item; `data` is only called (and serialised) when a reader ever subscribed.
    pub fn publish(&self, kind: &'static str, tenant: Option<&str>, data: impl FnOnce() -> Value) {
        if !self.active() {
            return;
        }
        let mut item = Arc::new(Item {
            id: 0,
            kind,
            tenant: tenant.map(str::to_owned),
            data: data().to_string(),
        });
        let (id, evicted) = {
            let mut ring = self.0.ring.lock();
            let id = ring.next_id;
            ring.next_id += 1;
            if let Some(i) = Arc::get_mut(&mut item) {
                i.id = id;
            }
            let evicted = if ring.items.len() >= self.0.capacity {
                ring.items.pop_front()
            } else {
                None
            };
            ring.items.push_back(item);
            (id, evicted)
        };
        drop(evicted);
        self.0.newest.send_replace(id);
    }

    /// Starts keeping items (from now on) and answers a receiver that changes with each new one.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.active.store(true, Ordering::Relaxed);
        self.0.newest.subscribe()
    }

    /// The id of the newest item published (0 before any).
    pub fn newest(&self) -> u64 {
        *self.0.newest.borrow()
    }

    /// At most `max` items after `after`, oldest first.
    pub fn since(&self, after: u64, max: usize) -> Since {
        let ring = self.0.ring.lock();
        let Some(oldest) = ring.items.front().map(|i| i.id) else {
            return Since::Items(Vec::new());
        };
        if after + 1 < oldest {
            let items = ring.items.iter().take(max).cloned().collect();
            return Since::Lagged {
                missed: oldest - after - 1,
                items,
            };
        }
        let skip = (after + 1 - oldest) as usize;
        Since::Items(ring.items.iter().skip(skip).take(max).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(s: &Since) -> Vec<u64> {
        match s {
            Since::Items(v) | Since::Lagged { items: v, .. } => v.iter().map(|i| i.id).collect(),
        }
    }

    #[test]
    fn nothing_kept_until_a_reader_subscribes() {
        let hub = Hub::new(4);
        let mut called = false;
        hub.publish("agent", None, || {
            called = true;
            json!({})
        });
        assert!(!called);
        assert_eq!(hub.newest(), 0);
        let _rx = hub.subscribe();
        hub.publish("agent", Some("t"), || json!({"a": 1}));
        assert_eq!(hub.newest(), 1);
        assert_eq!(ids(&hub.since(0, 10)), vec![1]);
    }

    #[test]
    fn resume_and_lag() {
        let hub = Hub::new(3);
        let _rx = hub.subscribe();
        for n in 0..5 {
            hub.publish("call", None, || json!(n));
        }
        // Ids 3, 4, 5 kept.
        assert_eq!(ids(&hub.since(3, 10)), vec![4, 5]);
        assert_eq!(ids(&hub.since(5, 10)), Vec::<u64>::new());
        match hub.since(0, 10) {
            Since::Lagged { missed, items } => {
                assert_eq!(missed, 2);
                assert_eq!(items[0].id, 3);
            }
            other => panic!("expected lag, got {other:?}"),
        }
        assert_eq!(ids(&hub.since(2, 1)), vec![3]);
    }
}
