//! Helpers shared by the integration tests.

use jiesu_core::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// 2026-11-23 09:00 China time, a Monday: for tests that need a working Monday morning.
pub const MONDAY_9AM: i64 = 1_795_395_600_000;

/// "Now" for every test that does not need a particular day: `JIESU_CLOCK_AT` when it is set
/// (`make test` runs the suites on a rotating awkward date — 1 January, 23:59 on the last day
/// of a year, 29 February 2028, the National Day week, a 调休 Saturday — so a test that only
/// holds on an ordinary day fails in CI, not in the field), else [`MONDAY_9AM`].
pub fn test_now() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| match std::env::var(CLOCK_AT_VAR) {
        Ok(v) if !v.trim().is_empty() => jiesu_core::hlc::parse_instant(v.trim())
            .unwrap_or_else(|| panic!("{CLOCK_AT_VAR}={v}: not an instant")),
        _ => MONDAY_9AM,
    })
}

/// `[from, to)` of the month holding the instant `ms`, China time.
pub fn month_of(ms: i64) -> (i64, i64) {
    use chrono::Datelike;
    let first = calendar::local_date(ms).with_day(1).unwrap();
    let next = first + chrono::Months::new(1);
    (calendar::start_of_day(first), calendar::start_of_day(next))
}

/// `[from, to)` of the whole month before the one holding `ms`: last month's report, always
/// inside the sample community's four months.
pub fn last_month(ms: i64) -> (i64, i64) {
    month_of(month_of(ms).0 - 1)
}

/// A period as its report names it: `2026-10-01至2026-10-31`.
pub fn period_name((from, to): (i64, i64)) -> String {
    format!(
        "{}至{}",
        calendar::local_date(from).format("%Y-%m-%d"),
        calendar::local_date(to - 1).format("%Y-%m-%d")
    )
}

pub fn store_at(ms: i64) -> (Store, ManualClock) {
    let clock = ManualClock::new(ms);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.set_identity("office-a", "和美社区", "李书记").unwrap();
    (s, clock)
}

/// A store in a file (kept as long as the returned directory lives): what the app runs on,
/// including the figures' second reading connection.
pub fn file_store_at(ms: i64) -> (Store, ManualClock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(ms);
    let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    s.set_identity("office-a", "和美社区", "李书记").unwrap();
    (s, clock, dir)
}

pub fn parking_case(desc: &str) -> NewCase {
    jiesu_core::sample::parking_complaint(desc)
}

/// Run `n` random operations (intake, a step on a random known case, or a meeting
/// operation) on `store`.
pub fn random_workload(rng: &mut SmallRng, store: &mut Store, clock: &ManualClock, n: usize) {
    for _ in 0..n {
        clock.advance(rng.random_range(0..6 * 3_600_000));
        if rng.random_ratio(1, 5) {
            let before = store.stats().unwrap().events;
            if let Err(e) = jiesu_core::sample::random_meeting_op(rng, store) {
                assert_ne!(e.code(), Code::Storage, "{e}");
                assert_eq!(
                    store.stats().unwrap().events,
                    before,
                    "a refused meeting change wrote nothing"
                );
            }
            continue;
        }
        let cases = store.all_cases().unwrap();
        if cases.is_empty() || rng.random_ratio(1, 4) {
            let mut c = parking_case(
                ["停车难", "楼道漏水", "消防栓损坏", "广场舞噪音"][rng.random_range(0..4)],
            );
            c.urgency = if rng.random_ratio(1, 5) {
                Urgency::Urgent
            } else {
                Urgency::Normal
            };
            store.receive(c).unwrap();
        } else {
            let case = &cases[rng.random_range(0..cases.len())];
            let cmd = jiesu_core::sample::random_command(rng, store, case);
            let before = store.stats().unwrap().events;
            match store.act(case.id, cmd) {
                Ok(_) => assert_eq!(store.stats().unwrap().events, before + 1),
                Err(e) => {
                    assert_ne!(e.code(), Code::Storage, "{e}");
                    assert_eq!(
                        store.stats().unwrap().events,
                        before,
                        "a refused step wrote nothing"
                    );
                }
            }
        }
    }
}

pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}
