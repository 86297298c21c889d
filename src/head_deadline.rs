//! The deadline for a request head (`Config::header_read_timeout`), kept by one sweeper per
//! server instead of a timer per request.
//!
//! hyper's own header-read timeout boxes a tokio `Sleep` for every head it waits for on a
//! keep-alive connection, registers it in the runtime's timer wheel and drops it when the head is
//! in: about 800 instructions a request under callgrind, plus the wheel's lock, which both workers
//! take (docs/internals.md). Here a connection notes, in one relaxed atomic, the instant it began
//! to wait for a head (one clock read, as hyper's timer made), and a sweeper that wakes eight times
//! per deadline shuts the sockets that waited too long.
//!
//! The rule is hyper's: the deadline runs from the first read after the previous request was
//! handed to the service, so an idle keep-alive connection is closed as well, bytes that trickle
//! in do not extend it, and a request being served (a `hang` fault, a slow body) is never cut.
//! The sweep's ticks make it a little looser: a head gets at least the whole deadline and at most
//! a quarter more. Like hyper, a connection past its deadline is closed without an answer.

use parking_lot::Mutex;
use socket2::SockRef;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// `Conn::head` while the connection has not begun to wait for a head.
const UNARMED: u64 = 0;
/// `Conn::head` while a request is with the service: its body, its answer, a fault's hang.
const SERVING: u64 = u64::MAX;

/// The connections of one server and the coarse clock their deadlines are read on.
pub struct Deadlines {
    patience: Duration,
    tick: Duration,
    started: Instant,
    /// Dropped connections leave at the next sweep.
    conns: Mutex<Vec<Weak<Conn>>>,
}

/// An accepted socket under the deadline. hyper reads and writes it (through the server's
/// `ConnIo`), the service may set SO_LINGER on it or peek at it, the sweeper may shut it.
pub struct Conn {
    pub stream: TcpStream,
    /// `UNARMED`, `SERVING`, or 1 + the milliseconds since `Deadlines::started` when the wait
    /// for a head began.
    head: AtomicU64,
    deadlines: Arc<Deadlines>,
}

impl Deadlines {
    /// Deadlines of `patience`; run `sweep` on the runtime for them to be kept.
    pub fn new(patience: Duration) -> Arc<Deadlines> {
        Arc::new(Deadlines {
            patience,
            tick: (patience / 8).max(Duration::from_millis(1)),
            started: Instant::now(),
            conns: Mutex::new(Vec::new()),
        })
    }

    pub fn watch(self: &Arc<Self>, stream: TcpStream) -> Arc<Conn> {
        let conn = Arc::new(Conn {
            stream,
            head: AtomicU64::new(UNARMED),
            deadlines: Arc::clone(self),
        });
        self.conns.lock().push(Arc::downgrade(&conn));
        conn
    }

    /// Keeps the deadlines while the server or any of its connections is alive: it ends on the
    /// first tick at which nothing but itself holds them.
    pub async fn sweep(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if Arc::strong_count(&self) == 1 {
                return;
            }
            self.sweep_once();
        }
    }

    fn sweep_once(&self) {
        self.sweep_at(self.now_ms());
    }

    /// Milliseconds since `started`.
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// One sweep at `now` (milliseconds since `started`).
    fn sweep_at(&self, now: u64) {
        // A tick past the patience, as when the wait was dated on the sweeper's coarse clock:
        // the bound the docs state (the whole deadline, at most a quarter more) is unchanged.
        let limit = (self.patience + self.tick).as_millis() as u64;
        let mut late = Vec::new();
        self.conns.lock().retain(|weak| {
            let Some(conn) = weak.upgrade() else {
                return false;
            };
            let head = conn.head.load(Relaxed);
            if head != UNARMED && head != SERVING && now.saturating_sub(head - 1) >= limit {
                late.push(conn);
            }
            true
        });
        // hyper reads EOF: a connection between requests closes, one mid-head ends in an error
        // nobody is told of, as with hyper's own timeout.
        for conn in late {
            let _ = SockRef::from(&conn.stream).shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Conn {
    /// Every read of the socket: the first one after a request was served starts the wait for
    /// the next head.
    ///
    /// The instant is read from the clock, not from the sweeper's last tick: a sweeper held up
    /// on a busy runtime would otherwise date the wait early and cut it short.
    #[inline]
    pub fn reading(&self) {
        if self.head.load(Relaxed) == UNARMED {
            self.began_waiting(self.deadlines.now_ms());
        }
    }

    fn began_waiting(&self, now: u64) {
        self.head.store(1 + now, Relaxed);
    }

    /// Starts the wait over: the TLS handshake, which has its own deadline, is done.
    pub fn restart(&self) {
        self.head.store(UNARMED, Relaxed);
    }

    /// A head is in and its request with the service: no deadline until the guard drops, when
    /// the service has answered (or given up).
    pub fn serving(&self) -> Serving<'_> {
        self.head.store(SERVING, Relaxed);
        Serving(self)
    }
}

/// While it lives, the connection's request is being served.
pub struct Serving<'a>(&'a Conn);

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        self.0.head.store(UNARMED, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection accepted under `d`, and its client's end.
    async fn accepted(d: &Arc<Deadlines>) -> (TcpStream, Arc<Conn>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, d.watch(server))
    }

    /// A deadline of 800 ms: a tick of 100 ms.
    fn deadlines() -> Arc<Deadlines> {
        Deadlines::new(Duration::from_millis(800))
    }

    fn is_shut(conn: &Conn) -> bool {
        // Asked of the kernel (tokio's `try_read` waits for the reactor to have seen the event):
        // a shut socket reads EOF, an open one with nothing sent would block.
        let mut byte = [std::mem::MaybeUninit::new(0u8)];
        matches!(SockRef::from(&conn.stream).peek(&mut byte), Ok(0))
    }

    #[tokio::test]
    async fn a_wait_begins_at_the_first_read_after_a_request_was_served() {
        let d = deadlines();
        let (_client, conn) = accepted(&d).await;
        assert_eq!(conn.head.load(Relaxed), UNARMED);
        conn.began_waiting(100);
        conn.reading();
        assert_eq!(conn.head.load(Relaxed), 101, "later reads do not move it");
        {
            let _serving = conn.serving();
            conn.reading();
            assert_eq!(conn.head.load(Relaxed), SERVING);
        }
        assert_eq!(conn.head.load(Relaxed), UNARMED);
        let before = d.now_ms();
        conn.reading();
        let head = conn.head.load(Relaxed);
        assert!(
            head > before && head <= d.now_ms() + 1,
            "dated by the clock: {head}"
        );
        conn.restart();
        assert_eq!(conn.head.load(Relaxed), UNARMED);
    }

    #[tokio::test]
    async fn the_sweeper_shuts_only_a_wait_past_the_deadline() {
        let d = deadlines();
        let (_c1, waiting) = accepted(&d).await;
        let (_c2, serving) = accepted(&d).await;
        let (_c3, later) = accepted(&d).await;
        waiting.began_waiting(1_000);
        let guard = serving.serving();
        later.began_waiting(1_400);
        // The whole patience and the tick the coarse clock may have noted it early by.
        d.sweep_at(1_899);
        assert!(!is_shut(&waiting) && !is_shut(&serving) && !is_shut(&later));
        d.sweep_at(1_900);
        assert!(is_shut(&waiting));
        assert!(!is_shut(&serving) && !is_shut(&later));
        // Served for ages, then waiting again: cut a deadline later, not at once.
        d.sweep_at(9_000);
        assert!(!is_shut(&serving));
        drop(guard);
        serving.began_waiting(9_000);
        d.sweep_at(9_899);
        assert!(!is_shut(&serving));
        d.sweep_at(9_900);
        assert!(is_shut(&serving) && is_shut(&later));
        // Dropped connections leave the list at the next sweep.
        drop(waiting);
        d.sweep_at(10_000);
        assert_eq!(d.conns.lock().len(), 2);
    }

    #[tokio::test]
    async fn the_sweeper_ends_when_nothing_else_holds_the_deadlines() {
        let d = deadlines();
        let (_client, conn) = accepted(&d).await;
        let sweeper = tokio::spawn(Arc::clone(&d).sweep());
        drop(d);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!sweeper.is_finished(), "a connection still holds them");
        drop(conn);
        tokio::time::timeout(Duration::from_secs(5), sweeper)
            .await
            .expect("the sweeper ended")
            .unwrap();
    }
}
