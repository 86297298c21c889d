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
    fn running_clock_honours_offset() {
        let c = Clock::new();
        c.advance(3_600_000);
        let diff = c.now_ms() - system_ms();
        assert!((3_599_000..=3_601_000).contains(&diff), "{diff}");
    }
}
