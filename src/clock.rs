//! The one virtual clock every timestamp window, token lifetime and state duration is read from.
//!
//! Two atomics instead of a mutex: the clock is read on every request (signature windows), so
//! reading it must never contend with anything. `frozen_at` holds `i64::MIN` while the clock runs.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const RUNNING: i64 = i64::MIN;

/// Whether the clock can show `ms`: any instant but `i64::MIN`, which marks a running clock (a
/// frozen clock set there would start running). Readings saturate rather than overflow, and the
/// vendors compare instants with `abs_diff`/saturating arithmetic, so far-off clocks are safe.
pub fn can_show(ms: i64) -> bool {
    ms != RUNNING
}

#[derive(Debug)]
pub struct Clock {
    /// Added to the system time while the clock runs.
    offset_ms: AtomicI64,
    /// The instant the clock shows while frozen, or `RUNNING`.
    frozen_at: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// A clock that follows real time.
    pub fn new() -> Self {
        Clock {
            offset_ms: AtomicI64::new(0),
            frozen_at: AtomicI64::new(RUNNING),
        }
    }

    /// Milliseconds since the Unix epoch, as the emulated vendors see it.
    pub fn now_ms(&self) -> i64 {
        match self.frozen_at.load(Ordering::Acquire) {
            RUNNING => system_ms().saturating_add(self.offset_ms.load(Ordering::Acquire)),
            t => t,
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen_at.load(Ordering::Acquire) != RUNNING
    }

    /// Stops the clock at its current reading (`true`) or lets it run on from there (`false`).
    /// Unfreezing keeps the reading continuous: the offset absorbs the time spent frozen.
    pub fn set_frozen(&self, frozen: bool) {
        let now = self.now_ms();
        if frozen {
            self.frozen_at.store(now, Ordering::Release);
        } else if self.is_frozen() {
            self.offset_ms.store(now - system_ms(), Ordering::Release);
            self.frozen_at.store(RUNNING, Ordering::Release);
        }
    }

    /// Moves the clock to `now_ms`, keeping it frozen or running as it was.
    pub fn set(&self, now_ms: i64) {
        if self.is_frozen() {
            self.frozen_at.store(now_ms, Ordering::Release);
        } else {
            self.offset_ms
                .store(now_ms.saturating_sub(system_ms()), Ordering::Release);
        }
    }

    /// Moves the clock by `delta_ms` (negative moves it back).
    pub fn advance(&self, delta_ms: i64) {
        if self.is_frozen() {
            self.frozen_at.fetch_add(delta_ms, Ordering::AcqRel);
        } else {
            self.offset_ms.fetch_add(delta_ms, Ordering::AcqRel);
        }
    }

    /// Back to real time, unfrozen, no offset.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Release);
        self.frozen_at.store(RUNNING, Ordering::Release);
    }

    /// How far the clock reads from wall time (positive: ahead), frozen or not.
    pub fn from_wall_ms(&self) -> i64 {
        self.now_ms().saturating_sub(system_ms())
    }

    /// The clock's standing, for refusals that must explain a time window: frozen or running, and
    /// how far it was moved from wall time (plus a tenant's skew, when it has one). A client that
    /// signs with its own wall clock learns from this why a frozen or moved emulator refused it.
    pub fn standing(&self, skew_ms: i64) -> String {
        let state = if self.is_frozen() {
            "frozen"
        } else {
            "running"
        };
        let off = self.from_wall_ms();
        // Under a second is the time it took to get here, not a move.
        let moved = if off.unsigned_abs() < 1000 {
            "on wall time".to_string()
        } else {
            format!(
                "moved {} {} wall time",
                // Whole seconds: the milliseconds spent since the move are noise here.
                span(off.unsigned_abs().saturating_add(500) / 1000 * 1000),
                if off > 0 { "ahead of" } else { "behind" }
            )
        };
        let skew = if skew_ms == 0 {
            String::new()
        } else {
            format!(", and this tenant's clock is skewed {skew_ms:+} ms")
        };
        format!(
            "the emulator clock is {state} and {moved}{skew}; sign with GET /_ccemu/clock's now_ms, or return to wall time with POST /_ccemu/clock {{\"real\": true}}"
        )
    }
}

/// `request_ms`'s distance from the clock's `now_ms`, in words: "3600000 ms (1h 0m 0s) behind".
pub fn distance(request_ms: i64, now_ms: i64) -> String {
    let d = request_ms.abs_diff(now_ms);
    let side = if request_ms < now_ms {
        "behind"
    } else {
        "ahead of"
    };
    format!("{d} ms ({}) {side}", span(d))
}

/// A duration as `1d 2h 3m 4.5s`, largest unit first, zero units left out.
fn span(ms: u64) -> String {
    let (days, rest) = (ms / 86_400_000, ms % 86_400_000);
    let (hours, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (mins, rest) = (rest / 60_000, rest % 60_000);
    let mut out = Vec::new();
    if days > 0 {
        out.push(format!("{days}d"));
    }
    if hours > 0 {
        out.push(format!("{hours}h"));
    }
    if mins > 0 {
        out.push(format!("{mins}m"));
    }
    if rest > 0 || out.is_empty() {
        if rest % 1000 == 0 {
            out.push(format!("{}s", rest / 1000));
        } else {
            out.push(format!("{}.{:03}s", rest / 1000, rest % 1000));
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::new();
        c.set_frozen(true);
        c.set(1_000_000);
        assert_eq!(c.now_ms(), 1_000_000);
        c.advance(250);
        assert_eq!(c.now_ms(), 1_000_250);
        c.advance(-50);
        assert_eq!(c.now_ms(), 1_000_200);
    }

    #[test]
    fn unfreezing_continues_from_the_frozen_reading() {
        let c = Clock::new();
        c.set_frozen(true);
        c.set(5_000);
        c.set_frozen(false);
        let now = c.now_ms();
        assert!((5_000..5_000 + 5_000).contains(&now), "{now}");
    }

    #[test]
    fn distances_and_standing_read_as_words() {
        assert_eq!(distance(1_000, 3_601_000), "3600000 ms (1h) behind");
        assert_eq!(distance(90_500, 0), "90500 ms (1m 30.500s) ahead of");
        assert_eq!(distance(5, 5), "0 ms (0s) ahead of");
        let c = Clock::new();
        assert!(
            c.standing(0).contains("running and on wall time"),
            "{}",
            c.standing(0)
        );
        c.set_frozen(true);
        c.advance(-7_200_000);
        let s = c.standing(250);
        assert!(s.contains("frozen and moved 2h"), "{s}");
        assert!(s.contains("behind wall time"), "{s}");
        assert!(s.contains("skewed +250 ms"), "{s}");
    }

    #[test]
    fn far_off_clocks_explain_themselves_without_overflow() {
        let c = Clock::new();
        c.set_frozen(true);
        for t in [i64::MIN + 1, i64::MAX, 0] {
            c.set(t);
            assert!(c.standing(i64::MIN).contains("frozen"));
            assert!(distance(i64::MIN, i64::MAX).starts_with("18446744073709551615 ms"));
        }
    }

    #[test]
    fn running_clock_honours_offset() {
        let c = Clock::new();
        c.advance(3_600_000);
        let diff = c.now_ms() - system_ms();
        assert!((3_599_000..=3_601_000).contains(&diff), "{diff}");
    }
}
