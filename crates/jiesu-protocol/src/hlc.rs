//! Hybrid logical clock.
//!
//! Office PCs' clocks drift and get set wrong. A hybrid logical clock gives every event a
//! timestamp that is close to wall time when clocks are sane, yet never goes backwards and is
//! always later than every event this replica has seen, so causal order survives a bad clock.
//! Timestamps are `(wall_ms, counter)`; ties between replicas are broken by event id in the
//! total order of [`crate::event::Event::order_key`].

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// One HLC reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the physical part).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub wall_ms: i64,
    /// Logical counter for events within the same millisecond.
    pub counter: u32,
}

/// How far ahead of this PC's clock (as corrected by the server's) a timestamp from elsewhere
/// may be and still move the local clock: the classic HLC max-offset rule. The server refuses
/// events more than [`CLOCK_TOLERANCE_MS`] ahead of its own time, so every event
/// it accepted is within this bound (the margin covers the offset's measurement); one that is
/// not came from a wrong clock through an older server, and is ordered but never followed.
pub const MAX_DRIFT_MS: i64 = 2 * CLOCK_TOLERANCE_MS;

/// How far ahead of the server's clock an event's timestamp may be: five minutes covers a PC
/// whose clock the server has corrected and that drifted since, or one a few minutes fast
/// that never synced. An event stamped later is refused (`clock_ahead`) and its PC told by
/// how much; its app re-stamps what never left it (`jiesu_core::Store::restamp_future_work`).
pub const CLOCK_TOLERANCE_MS: i64 = 5 * 60_000;

impl Hlc {
    /// The zero timestamp, before everything.
    pub const ZERO: Hlc = Hlc {
        wall_ms: 0,
        counter: 0,
    };

    /// A timestamp later than `self`, as close to `now_ms` as allowed. Total: a counter at
    /// its end moves to the next millisecond instead of overflowing.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                counter: 0,
            }
        } else if let Some(counter) = self.counter.checked_add(1) {
            Hlc {
                wall_ms: self.wall_ms,
                counter,
            }
        } else {
            match self.wall_ms.checked_add(1) {
                Some(wall_ms) => Hlc {
                    wall_ms,
                    counter: 0,
                },
                None => self,
            }
        }
    }

    /// The clock after observing a timestamp from elsewhere at local time `now_ms`: never
    /// behind it, unless it is more than [`MAX_DRIFT_MS`] ahead of `now_ms` — a clock that
    /// far ahead is wrong, and following it would stamp this replica's work (its numbers, its
    /// deadlines, its place in every fold) with a date that has not come.
    pub fn observe(self, remote: Hlc, now_ms: i64) -> Hlc {
        if remote.wall_ms <= now_ms.saturating_add(MAX_DRIFT_MS) {
            self.max(remote)
        } else {
            self
        }
    }
}

/// Where time comes from. Tests and the sample generator drive a manual clock.
pub trait Clock: Send {
    /// Physical time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;

    /// Milliseconds on a clock that only runs forward at the pace of real time, whatever the
    /// wall clock or its correction does: what idle times are measured on (a PC whose clock
    /// is corrected by years mid-session has not been idle for years). A manual clock is its
    /// own: tests move both at once.
    fn elapsed_ms(&self) -> i64 {
        self.now_ms()
    }
}

/// Milliseconds since this process first asked (a monotonic clock).
fn process_elapsed_ms() -> i64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = ORIGIN.get_or_init(std::time::Instant::now);
    i64::try_from(origin.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
    fn elapsed_ms(&self) -> i64 {
        process_elapsed_ms()
    }
}

/// The PC's clock corrected by the sync server's: office PCs' clocks are often wrong, and
/// every answer from the server carries its time. The correction (server minus PC) is shared
/// so the sync task can update it while the store holds the clock.
///
/// "The PC's clock" is the system clock, moved by [`CLOCK_AT_VAR`] or [`CLOCK_OFFSET_VAR`]
/// when the environment says so: that is how tests stand in for a PC whose clock is wrong, and
/// the correction then measures that error as it would on such a PC.
#[derive(Debug, Clone, Default)]
pub struct CorrectedClock {
    pc_offset: i64,
    correction: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl CorrectedClock {
    /// A clock `correction_ms` ahead of the system clock.
    pub fn new(correction_ms: i64) -> Self {
        CorrectedClock {
            pc_offset: 0,
            correction: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(correction_ms)),
        }
    }
    /// The PC's own clock, before correction (ms).
    pub fn pc_now_ms(&self) -> i64 {
        SystemClock.now_ms().saturating_add(self.pc_offset)
    }
    /// The correction in force (server minus PC, ms).
    pub fn offset_ms(&self) -> i64 {
        self.correction.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Set the correction.
    pub fn set_offset_ms(&self, ms: i64) {
        self.correction
            .store(ms, std::sync::atomic::Ordering::Relaxed)
    }
    /// The clock of a PC as the environment sets it ([`env_clock_offset`]), uncorrected.
    pub fn from_env() -> Result<CorrectedClock, String> {
        Ok(CorrectedClock {
            pc_offset: env_clock_offset(SystemClock.now_ms())?.unwrap_or(0),
            correction: std::sync::Arc::default(),
        })
    }
}

impl Clock for CorrectedClock {
    fn now_ms(&self) -> i64 {
        self.pc_now_ms().saturating_add(self.offset_ms())
    }
    fn elapsed_ms(&self) -> i64 {
        process_elapsed_ms()
    }
}

/// The environment variable that starts a process's clock at a given instant (RFC 3339, or
/// `YYYY-MM-DD HH:MM[:SS]` read as China time); the clock runs on from there. Tests and demos
/// pin the app, the server and the replica to one date with it, so a journey runs on 1 January
/// or at 23:59 whatever day the machine thinks it is.
pub const CLOCK_AT_VAR: &str = "JIESU_CLOCK_AT";

/// The environment variable that starts a process's clock this many ms off the PC's, as a PC
/// whose clock is wrong would be. [`CLOCK_AT_VAR`] wins when both are set.
pub const CLOCK_OFFSET_VAR: &str = "JIESU_CLOCK_OFFSET_MS";

/// Latest instant [`CLOCK_AT_VAR`] accepts: the end of 9999, China time. The calendar has no
/// dates past it, and a clock set further is a typo.
const LATEST_PIN_MS: i64 = 253_402_271_999_999 - 8 * 3_600_000;

/// The offset from the system clock that the environment asks for: from [`CLOCK_AT_VAR`]
/// (the pinned instant minus `system_now_ms`) or [`CLOCK_OFFSET_VAR`]. `Ok(None)` when neither
/// is set; an error names the variable whose value does not read, so a mistyped pin stops the
/// program instead of silently running on today's date.
pub fn env_clock_offset(system_now_ms: i64) -> Result<Option<i64>, String> {
    env_clock_offset_from(
        std::env::var(CLOCK_AT_VAR).ok().as_deref(),
        std::env::var(CLOCK_OFFSET_VAR).ok().as_deref(),
        system_now_ms,
    )
}

fn env_clock_offset_from(
    at: Option<&str>,
    offset: Option<&str>,
    system_now_ms: i64,
) -> Result<Option<i64>, String> {
    if let Some(at) = at.map(str::trim).filter(|s| !s.is_empty()) {
        let ms = parse_instant(at).ok_or_else(|| {
            format!("{CLOCK_AT_VAR}={at}: not an instant (e.g. 2026-11-18T10:00:00+08:00)")
        })?;
        return Ok(Some(ms - system_now_ms));
    }
    match offset.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|ms| {
                ms.checked_add(system_now_ms)
                    .is_some_and(|t| (0..=LATEST_PIN_MS).contains(&t))
            })
            .map(Some)
            .ok_or_else(|| format!("{CLOCK_OFFSET_VAR}={v}: not a usable offset in ms")),
    }
}

/// An instant given as RFC 3339, or as a China civil time `YYYY-MM-DD HH:MM[:SS]` (a `T`
/// between date and time is accepted too), between 1970 and 9999.
pub fn parse_instant(text: &str) -> Option<i64> {
    use chrono::TimeZone;
    let ms = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.timestamp_millis(),
        Err(_) => {
            let civil = text.replacen('T', " ", 1);
            let t = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(&civil, f).ok())?;
            crate::time::cst()
                .from_local_datetime(&t)
                .single()?
                .timestamp_millis()
        }
    };
    (0..=LATEST_PIN_MS).contains(&ms).then_some(ms)
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
    fn a_local_event_after_observing_a_slightly_fast_remote_one_sorts_after_it() {
        let remote = Hlc {
            wall_ms: 1_000_000 + MAX_DRIFT_MS,
            counter: 7,
        };
        let local = Hlc {
            wall_ms: 100,
            counter: 0,
        }
        .observe(remote, 1_000_000)
        .tick(1_000_000);
        assert!(local > remote);
    }

    #[test]
    fn a_timestamp_from_a_clock_far_ahead_does_not_drag_the_local_clock() {
        let now = 1_795_395_600_000;
        let local = Hlc {
            wall_ms: now,
            counter: 0,
        };
        for wall_ms in [
            now + MAX_DRIFT_MS + 1,
            4_102_416_000_000,
            9_000_000_000_000_000,
            i64::MAX,
        ] {
            let seen = local.observe(
                Hlc {
                    wall_ms,
                    counter: 0,
                },
                now,
            );
            assert_eq!(seen, local, "{wall_ms}");
            assert_eq!(seen.tick(now + 1).wall_ms, now + 1);
        }
    }

    #[test]
    fn a_counter_at_its_end_moves_to_the_next_millisecond() {
        let end = Hlc {
            wall_ms: 5000,
            counter: u32::MAX,
        };
        let next = end.tick(1000);
        assert!(next > end);
        assert_eq!(
            next,
            Hlc {
                wall_ms: 5001,
                counter: 0
            }
        );
        let last = Hlc {
            wall_ms: i64::MAX,
            counter: u32::MAX,
        };
        assert_eq!(
            last.tick(0),
            last,
            "the end of time stays put rather than wrap"
        );
    }
    #[test]
    fn the_environment_pins_the_clock_to_an_instant_or_shifts_it() {
        let sys = 1_795_395_600_000; // 2026-11-23 09:00 China time
        let at = |v: &str| env_clock_offset_from(Some(v), None, sys).map(|o| o.map(|o| sys + o));
        assert_eq!(at("2026-11-23T09:00:00+08:00"), Ok(Some(sys)));
        assert_eq!(at("2026-11-23T01:00:00Z"), Ok(Some(sys)));
        assert_eq!(
            at("2026-11-23 09:00"),
            Ok(Some(sys)),
            "civil time is China time"
        );
        assert_eq!(at("2026-11-23T09:00:30"), Ok(Some(sys + 30_000)));
        assert_eq!(
            at("2028-02-29 23:59"),
            Ok(Some(parse_instant("2028-02-29T23:59:00+08:00").unwrap()))
        );
        // The pin wins over an offset; an offset alone shifts.
        assert_eq!(
            env_clock_offset_from(Some("2026-11-23 09:00"), Some("5"), sys),
            Ok(Some(0))
        );
        assert_eq!(
            env_clock_offset_from(None, Some("-60000"), sys),
            Ok(Some(-60_000))
        );
        assert_eq!(env_clock_offset_from(None, None, sys), Ok(None));
        assert_eq!(env_clock_offset_from(Some(" "), Some(""), sys), Ok(None));
        // What does not read stops the program instead of running on today's date.
        for bad in [
            "2026-02-30 09:00",
            "tomorrow",
            "10000-01-01T00:00:00Z",
            "1969-12-31T00:00:00Z",
        ] {
            let e = at(bad).unwrap_err();
            assert!(e.contains(CLOCK_AT_VAR), "{e}");
        }
        for bad in ["1e3", "9223372036854775807", "-1795395600001"] {
            assert!(
                env_clock_offset_from(None, Some(bad), sys).is_err(),
                "{bad}"
            );
        }
    }
}
