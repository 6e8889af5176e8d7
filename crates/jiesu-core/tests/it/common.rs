//! Helpers shared by the integration tests.

use jiesu_core::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// 2026-11-23 09:00 China time.
pub const MONDAY_9AM: i64 = 1_795_395_600_000;

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
