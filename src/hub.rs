//! The live feed behind `/_ccemu/stream` and the dashboard: agent states, call steps, requests,
//! deliveries and fault hits, numbered in one order.
//!
//! It sits at the bottom floor (std, parking_lot, tokio, serde_json and hyper's `Bytes` only) so that the journal, the
//! delivery log and the model's lock guard can each be handed one and notify it with one call,
//! without reaching up into the admin API.
//!
//! Publishing must never slow an API call. Until the first reader subscribes, `publish` is one
//! atomic load. After that it pushes the item onto a bounded ring under a short lock and wakes
//! the readers parked waiting for one, if any; it never waits for a reader. The request journal
//! publishes a pointer to its entry, serialised later by the first reader that needs it. Readers pull
//! from the ring at their own pace: a reader that falls more than the ring's length behind is
//! told how many items it missed (`Lagged`) and carries on from the oldest item kept.
//!
//! Items are also grouped in blocks of [`BLOCK`] consecutive ids. Once a block is complete, the
//! first reader that wants it writes its frames into one buffer, and every reader that takes
//! every item (no filter) sends that same buffer, a reference count rather than a copy: with a
//! hundred readers, a request costs the emulator one frame, not a hundred.

use hyper::body::Bytes;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Items kept for resuming readers (`Last-Event-ID`) and readers that fell behind
/// (`--stream-buffer`). About the journal's default length, on purpose: a request item holds its
/// journal entry, and a ring four times longer kept four times as many entries (answer bodies
/// included) alive past the journal, each freed later from cold memory. Measured under wrk with
/// 100 readers, that and the larger lagged gathers cost about 1 µs of user time a request
/// (docs/dashboard.md, "Cost").
pub const DEFAULT_CAPACITY: usize = 1024;

/// Items per block (see the module's doc): about 60 KB of frames, a few socket writes.
pub const BLOCK: u64 = 256;

/// Something published lazily: it is turned into JSON by the first reader that needs it, in that
/// reader's task, so that the request path only pays for a pointer.
pub trait Announce: Send + Sync {
    /// The model tenant it is about, for readers that follow one tenant.
    fn tenant(&self) -> Option<&str>;
    /// The item as JSON text (the SSE `data:`), on one line.
    fn to_json(&self) -> String;
}

/// An item serialised when it was published.
struct Eager {
    tenant: Option<String>,
    json: String,
}

impl Announce for Eager {
    fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    fn to_json(&self) -> String {
        self.json.clone()
    }
}

/// One published fact, shared by every reader.
pub struct Item {
    /// The SSE `id:`: increases by one per item, starting after [`Hub::base`], so that an id
    /// handed out by an earlier process (a page reconnecting after a restart) is never
    /// mistaken for one of this process's.
    pub id: u64,
    /// The SSE `event:` name: `agent`, `call`, `request`, `delivery`, `fault`, `clock`, ...
    pub kind: &'static str,
    source: Arc<dyn Announce>,
    json: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Item")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

impl Item {
    pub fn tenant(&self) -> Option<&str> {
        self.source.tenant()
    }

    /// The JSON text, made once by whichever reader asks first.
    pub fn data(&self) -> &str {
        self.frame()
            .split_once("\ndata: ")
            .map_or("", |(_, d)| d.trim_end())
    }

    /// The whole SSE frame (`id`, `event`, `data`, blank line), made once by whichever reader
    /// asks first: a hundred readers then each copy bytes, no more.
    pub fn frame(&self) -> &str {
        self.json.get_or_init(|| {
            let json = self.source.to_json();
            let mut frame = String::with_capacity(json.len() + 40);
            frame.push_str("id: ");
            frame.push_str(&self.id.to_string());
            frame.push_str("\nevent: ");
            frame.push_str(self.kind);
            frame.push_str("\ndata: ");
            frame.push_str(&json);
            frame.push_str("\n\n");
            frame
        })
    }
}

/// What a reader asking for the items after `after` gets.
#[derive(Debug)]
pub enum Since {
    /// The items after `after`, oldest first (possibly none).
    Items(Vec<Arc<Item>>),
    /// `after` is older than the ring: `missed` items are gone; `items` starts at the oldest kept.
    Lagged { missed: u64, items: Vec<Arc<Item>> },
}

/// [`BLOCK`] consecutive items, from `first`, whose frames are written once into one buffer.
pub struct Block {
    first: u64,
    frames: std::sync::OnceLock<Frames>,
}

struct Frames {
    bytes: Bytes,
    /// Where each item's frame starts in `bytes`.
    starts: Vec<u32>,
}

impl Block {
    /// The frames of the block's items from its `skip`-th on, shared; `items` (the block's
    /// items, handed out when nobody had written the block yet) are written by the first caller.
    fn frames_from(&self, skip: usize, items: Option<&[Arc<Item>]>) -> Bytes {
        let frames = self.frames.get_or_init(|| {
            let items = items.unwrap_or_default();
            let mut buf = String::with_capacity(items.iter().map(|i| i.frame().len()).sum());
            let mut starts = Vec::with_capacity(items.len());
            for item in items {
                starts.push(buf.len() as u32);
                buf.push_str(item.frame());
            }
            Frames {
                bytes: Bytes::from(buf),
                starts,
            }
        });
        match frames.starts.get(skip) {
            Some(&at) => frames.bytes.slice(at as usize..),
            None => Bytes::new(),
        }
    }
}

/// A stretch of what a reader taking every item gets: a whole block (possibly from an item
/// inside it) as shared bytes, or one item.
pub enum Piece {
    Block {
        block: Arc<Block>,
        /// The block's items, when its frames were not written yet.
        items: Option<Vec<Arc<Item>>>,
        skip: usize,
    },
    Item(Arc<Item>),
}

impl Piece {
    /// The id of the last item it holds.
    pub fn last_id(&self) -> u64 {
        match self {
            Piece::Block { block, .. } => block.first + BLOCK - 1,
            Piece::Item(item) => item.id,
        }
    }

    /// The SSE frames, as bytes.
    pub fn bytes(&self) -> Bytes {
        match self {
            Piece::Block { block, items, skip } => block.frames_from(*skip, items.as_deref()),
            Piece::Item(item) => Bytes::copy_from_slice(item.frame().as_bytes()),
        }
    }
}

struct Ring {
    items: VecDeque<Arc<Item>>,
    /// The blocks whose first item is still kept, oldest first; the last may be incomplete.
    blocks: VecDeque<Arc<Block>>,
    next_id: u64,
}

struct Inner {
    capacity: usize,
    /// Every id this hub gives out is larger: the wall-clock µs when it was made.
    base: u64,
    /// Set once the first reader subscribes; before that nothing is kept.
    active: AtomicBool,
    ring: Mutex<Ring>,
    /// The id of the newest item (`base` before any).
    newest: AtomicU64,
    /// Readers parked in `wait_after`: a publish with none (the usual case, as readers gather
    /// items for a while after each wake-up) wakes nobody and costs one load.
    waiting: AtomicUsize,
    wake: Notify,
}

/// Counts a parked reader for as long as it waits (also when its wait is abandoned).
struct Parked<'a>(&'a AtomicUsize);

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
        // Wall time, not the virtual clock: it tells processes apart, and one process cannot
        // publish an item per µs for long enough to reach the next one's base.
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Hub::with_base(capacity, base)
    }

    fn with_base(capacity: usize, base: u64) -> Hub {
        Hub(Arc::new(Inner {
            capacity: capacity.max(1),
            base,
            active: AtomicBool::new(false),
            ring: Mutex::new(Ring {
                items: VecDeque::new(),
                blocks: VecDeque::new(),
                next_id: base + 1,
            }),
            newest: AtomicU64::new(base),
            waiting: AtomicUsize::new(0),
            wake: Notify::new(),
        }))
    }

    /// Whether anyone ever subscribed: publishers with costly payloads may check it first.
    pub fn active(&self) -> bool {
        self.0.active.load(Ordering::Relaxed)
    }

    /// Publishes one item; `data` is only called (and serialised) when a reader ever subscribed.
    pub fn publish<T: Serialize>(
        &self,
        kind: &'static str,
        tenant: Option<&str>,
        data: impl FnOnce() -> T,
    ) {
        if !self.active() {
            return;
        }
        let json = serde_json::to_string(&data()).unwrap_or_else(|_| "null".into());
        self.push(
            kind,
            Arc::new(Eager {
                tenant: tenant.map(str::to_owned),
                json,
            }),
        );
    }

    /// Publishes one item serialised later, by its first reader; `source` is only called when
    /// a reader ever subscribed. An `Arc` the publisher already holds (a journal entry) becomes
    /// the item's source as it is, with no allocation of its own.
    pub fn publish_lazy(&self, kind: &'static str, source: impl FnOnce() -> Arc<dyn Announce>) {
        if self.active() {
            self.push(kind, source());
        }
    }

    fn push(&self, kind: &'static str, source: Arc<dyn Announce>) {
        let mut item = Arc::new(Item {
            id: 0,
            kind,
            source,
            json: std::sync::OnceLock::new(),
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
            // A block goes with its first item: its rest is then served item by item.
            let evicted_block = match (&evicted, ring.blocks.front()) {
                (Some(e), Some(b)) if b.first == e.id => ring.blocks.pop_front(),
                _ => None,
            };
            if (id - self.0.base - 1).is_multiple_of(BLOCK) {
                ring.blocks.push_back(Arc::new(Block {
                    first: id,
                    frames: std::sync::OnceLock::new(),
                }));
            }
            ring.items.push_back(item);
            (id, (evicted, evicted_block))
        };
        drop(evicted);
        // `fetch_max`: two publishers may get here out of order.
        self.0.newest.fetch_max(id, Ordering::SeqCst);
        if self.0.waiting.load(Ordering::SeqCst) > 0 {
            self.0.wake.notify_waiters();
        }
    }

    /// Starts keeping items (from now on): called by each reader before its first read.
    pub fn subscribe(&self) {
        self.0.active.store(true, Ordering::Relaxed);
    }

    /// The id of the newest item published ([`Hub::base`] before any).
    pub fn newest(&self) -> u64 {
        self.0.newest.load(Ordering::SeqCst)
    }

    /// Below every id this hub gives out.
    pub fn base(&self) -> u64 {
        self.0.base
    }

    /// Whether `id` was given out by this hub (or is its base, "before anything"): only such
    /// an id can be resumed from.
    pub fn issued(&self, id: u64) -> bool {
        (self.0.base..=self.newest()).contains(&id)
    }

    /// Resolves once an item newer than `seen` is published (at once if there is one).
    pub async fn wait_after(&self, seen: u64) {
        let notified = self.0.wake.notified();
        tokio::pin!(notified);
        // Registered before the check, and the check after being counted: a publish that the
        // check misses sees the count and wakes this registration.
        notified.as_mut().enable();
        self.0.waiting.fetch_add(1, Ordering::SeqCst);
        let _parked = Parked(&self.0.waiting);
        if self.newest() > seen {
            return;
        }
        notified.await;
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

    /// What a reader taking every item gets after `after`: about `max` items at most, in
    /// pieces; a complete block whose first item is kept is one piece, sent as shared bytes.
    /// The first value is the number of items missed, as in [`Since::Lagged`].
    pub fn pieces_since(&self, after: u64, max: usize) -> (Option<u64>, Vec<Piece>) {
        let ring = self.0.ring.lock();
        let Some(oldest) = ring.items.front().map(|i| i.id) else {
            return (None, Vec::new());
        };
        let newest = ring.next_id - 1;
        let (missed, mut next) = if after + 1 < oldest {
            (Some(oldest - after - 1), oldest)
        } else {
            (None, after + 1)
        };
        let mut pieces = Vec::new();
        let mut count = 0;
        while next <= newest && count < max {
            let first = next - (next - self.0.base - 1) % BLOCK;
            let complete = first + BLOCK - 1 <= newest;
            let kept = ring
                .blocks
                .front()
                .filter(|b| complete && first >= b.first)
                .and_then(|b| ring.blocks.get(((first - b.first) / BLOCK) as usize));
            match kept {
                Some(block) => {
                    let items = block.frames.get().is_none().then(|| {
                        let at = (first - oldest) as usize;
                        ring.items.range(at..at + BLOCK as usize).cloned().collect()
                    });
                    let skip = next - first;
                    pieces.push(Piece::Block {
                        block: block.clone(),
                        items,
                        skip: skip as usize,
                    });
                    count += (BLOCK - skip) as usize;
                    next = first + BLOCK;
                }
                None => {
                    pieces.push(Piece::Item(ring.items[(next - oldest) as usize].clone()));
                    count += 1;
                    next += 1;
                }
            }
        }
        (missed, pieces)
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
        let hub = Hub::with_base(4, 0);
        let mut called = false;
        hub.publish("agent", None, || {
            called = true;
            json!({})
        });
        assert!(!called);
        assert_eq!(hub.newest(), 0);
        hub.subscribe();
        hub.publish("agent", Some("t"), || json!({"a": 1}));
        assert_eq!(hub.newest(), 1);
        assert_eq!(ids(&hub.since(0, 10)), vec![1]);
    }

    #[test]
    fn resume_and_lag() {
        let hub = Hub::with_base(3, 0);
        hub.subscribe();
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

    #[test]
    fn ids_start_after_the_base_and_only_issued_ones_resume() {
        let hub = Hub::new(3);
        let base = hub.base();
        assert!(base > 1_700_000_000_000_000, "µs since the epoch");
        assert_eq!(hub.newest(), base);
        hub.subscribe();
        hub.publish("call", None, || json!(1));
        assert_eq!(hub.newest(), base + 1);
        assert!(hub.issued(base) && hub.issued(base + 1));
        // An earlier process's id (smaller base) and a later one's are both foreign.
        assert!(!hub.issued(base - 5) && !hub.issued(base + 2) && !hub.issued(0));
    }

    fn flat(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| String::from_utf8(p.bytes().to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn a_reader_taking_everything_gets_the_same_frames_with_whole_blocks_shared() {
        let hub = Hub::with_base(4 * BLOCK as usize, 0);
        hub.subscribe();
        let n = 2 * BLOCK + 10;
        for k in 0..n {
            hub.publish("call", None, || json!(k));
        }
        let expect = |after: u64| -> String {
            match hub.since(after, usize::MAX) {
                Since::Items(v) => v.iter().map(|i| i.frame().to_owned()).collect(),
                other => panic!("no lag expected: {other:?}"),
            }
        };
        // From the start, from inside a block and from inside the incomplete one.
        for after in [0, 5, BLOCK, BLOCK + 1, 2 * BLOCK + 3] {
            let (missed, pieces) = hub.pieces_since(after, usize::MAX);
            assert_eq!(missed, None);
            assert_eq!(flat(&pieces), expect(after), "after {after}");
            assert_eq!(pieces.last().map(Piece::last_id), Some(n), "after {after}");
        }
        // Two whole blocks are one piece each, and the second reader shares the first's bytes.
        let (_, a) = hub.pieces_since(0, usize::MAX);
        let (_, b) = hub.pieces_since(0, usize::MAX);
        assert_eq!(a.len(), 2 + 10);
        assert_eq!(a[0].bytes().as_ptr(), b[0].bytes().as_ptr());
        // `max` stops after the piece that reaches it.
        let (_, some) = hub.pieces_since(0, 3);
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].last_id(), BLOCK);
    }

    #[test]
    fn a_block_goes_with_its_first_item_and_a_lagging_reader_is_told() {
        let hub = Hub::with_base(BLOCK as usize + 5, 0);
        hub.subscribe();
        for k in 0..(2 * BLOCK + 3) {
            hub.publish("call", None, || json!(k));
        }
        // Kept: ids BLOCK - 1 ..= 2 * BLOCK + 3; the first block lost its first item.
        let (missed, pieces) = hub.pieces_since(0, usize::MAX);
        assert_eq!(missed, Some(BLOCK - 2));
        let ids: Vec<u64> = pieces.iter().map(Piece::last_id).collect();
        assert_eq!(ids[0], BLOCK - 1, "the cut block comes item by item");
        assert_eq!(ids[1], BLOCK);
        assert_eq!(ids[2], 2 * BLOCK, "the whole second block is one piece");
        assert_eq!(*ids.last().unwrap(), 2 * BLOCK + 3);
        match hub.since(0, usize::MAX) {
            Since::Lagged { missed: m, items } => {
                assert_eq!(m, BLOCK - 2);
                let all: String = items.iter().map(|i| i.frame().to_owned()).collect();
                assert_eq!(flat(&pieces), all);
            }
            other => panic!("expected lag, got {other:?}"),
        }
    }
}
