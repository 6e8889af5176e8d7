//! Hybrid logical clock.
//!
//! Office PCs' clocks drift and get set wrong. A hybrid logical clock gives every event a
//! timestamp that is close to wall time when clocks are sane, yet never goes backwards and is
//! always later than every event this replica has seen, so causal order survives a bad clock.
//! Timestamps are `(wall_ms, counter)`; ties between replicas are broken by event id in the
//! total order of [`crate::event::Event::order_key`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One HLC reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the physical part).
    #[ts(type = "number")]
    pub wall_ms: i64,
    /// Logical counter for events within the same millisecond.
    pub counter: u32,
}

impl Hlc {
    /// The zero timestamp, before everything.
    pub const ZERO: Hlc = Hlc {
        wall_ms: 0,
        counter: 0,
    };

    /// A timestamp that is later than `self` and than `seen`, as close to `now_ms` as allowed.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                counter: self.counter + 1,
            }
        }
    }

    /// The clock after observing a remote timestamp: never behind it.
    pub fn observe(self, remote: Hlc) -> Hlc {
        self.max(remote)
    }
}

/// Where time comes from. Tests and the sample generator drive a manual clock.
pub trait Clock: Send {
    /// Physical time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// The system clock corrected by the sync server's: office PCs' clocks are often wrong, and
/// every answer from the server carries its time. The offset is shared so the sync task can
/// update it while the store holds the clock.
#[derive(Debug, Clone, Default)]
pub struct CorrectedClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl CorrectedClock {
    /// A clock `offset_ms` ahead of the system clock.
    pub fn new(offset_ms: i64) -> Self {
        CorrectedClock(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            offset_ms,
        )))
    }
    /// The correction in force (server minus system, ms).
    pub fn offset_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Set the correction.
    pub fn set_offset_ms(&self, ms: i64) {
        self.0.store(ms, std::sync::atomic::Ordering::Relaxed)
    }
}

impl Clock for CorrectedClock {
    fn now_ms(&self) -> i64 {
        SystemClock.now_ms() + self.offset_ms()
    }
}

/// A clock that only moves when told; shared so a test can move it after handing it over.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl ManualClock {
    /// A clock reading `ms`.
    pub fn new(ms: i64) -> Self {
        ManualClock(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(ms)))
    }
    /// Set the reading.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, std::sync::atomic::Ordering::SeqCst)
    }
    /// Move forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_follows_wall_time_when_it_moves_forward() {
        let t = Hlc::ZERO.tick(1000);
        assert_eq!(
            t,
            Hlc {
                wall_ms: 1000,
                counter: 0
            }
        );
        assert_eq!(
            t.tick(2000),
            Hlc {
                wall_ms: 2000,
                counter: 0
            }
        );
    }

    #[test]
    fn tick_never_goes_backwards_when_the_wall_clock_does() {
        let t = Hlc {
            wall_ms: 5000,
            counter: 3,
        };
        let next = t.tick(1000);
        assert!(next > t);
        assert_eq!(
            next,
            Hlc {
                wall_ms: 5000,
                counter: 4
            }
        );
    }

    #[test]
    fn a_local_event_after_observing_a_future_remote_one_sorts_after_it() {
        let remote = Hlc {
            wall_ms: 10_000_000,
            counter: 7,
        };
        let local = Hlc {
            wall_ms: 100,
            counter: 0,
        }
        .observe(remote)
        .tick(200);
        assert!(local > remote);
    }
}
