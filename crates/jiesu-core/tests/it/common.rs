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

pub fn parking_case(desc: &str) -> NewCase {
    jiesu_core::sample::parking_complaint(desc)
}

/// A random command for `case`: usually one the workflow allows now, sometimes any.
pub fn random_command(rng: &mut SmallRng, store: &Store, case: &Case) -> CaseCommand {
    let now = store.now_ms();
    let allowed = jiesu_core::workflow::allowed_actions(case, now);
    let action = if !allowed.is_empty() && rng.random_ratio(9, 10) {
        allowed[rng.random_range(0..allowed.len())]
    } else {
        Action::ALL[rng.random_range(0..Action::ALL.len())]
    };
    let units = ["property", "grid", "construction", "urban_mgmt"];
    let unit = units[rng.random_range(0..units.len())].to_string();
    match action {
        Action::Dispatch => CaseCommand::Dispatch {
            unit,
            note: "尽快".into(),
        },
        Action::Accept => CaseCommand::Accept {
            note: String::new(),
        },
        Action::Note => CaseCommand::Note {
            text: "已联系".into(),
            contacted_resident: rng.random(),
        },
        Action::Return => CaseCommand::Return {
            reason: "非本单位职责".into(),
        },
        Action::Transfer => CaseCommand::Transfer {
            unit,
            reason: "转城建".into(),
        },
        Action::TransferOffice => {
            let offices = store.directory().unwrap();
            CaseCommand::TransferOffice {
                office: offices
                    .get(rng.random_range(0..offices.len().max(1)))
                    .map_or("office-b".into(), |o| o.id.clone()),
                reason: "属其他社区".into(),
            }
        }
        Action::RequestExtension => CaseCommand::RequestExtension {
            new_due: case.resolve_due + rng.random_range(1..5) * 86_400_000,
            reason: "协调中".into(),
        },
        Action::DecideExtension => CaseCommand::DecideExtension {
            approved: rng.random(),
            note: String::new(),
        },
        Action::Urge => CaseCommand::Urge {
            note: "催办".into(),
        },
        Action::Resolve => CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已处理".into(),
        },
        Action::Visit => {
            let sats = [
                Satisfaction::Satisfied,
                Satisfaction::BasicallySatisfied,
                Satisfaction::Dissatisfied,
            ];
            CaseCommand::Visit {
                reachable: rng.random_ratio(9, 10),
                contacted: rng.random(),
                solved: rng.random(),
                satisfaction: Some(sats[rng.random_range(0..3)]),
                note: String::new(),
            }
        }
        Action::Redo => CaseCommand::Redo {
            reason: "不满意".into(),
        },
        Action::Archive => CaseCommand::Archive {
            note: String::new(),
        },
        Action::Withdraw => CaseCommand::Withdraw {
            reason: "居民撤回".into(),
        },
        Action::Link | Action::Merge => {
            let all = store.all_cases().unwrap();
            let other = all[rng.random_range(0..all.len())].id.to_string();
            if action == Action::Link {
                CaseCommand::Link { other }
            } else {
                CaseCommand::Merge { other }
            }
        }
    }
}

/// Run `n` random operations (intake or a step on a random known case) on `store`.
pub fn random_workload(rng: &mut SmallRng, store: &mut Store, clock: &ManualClock, n: usize) {
    for _ in 0..n {
        clock.advance(rng.random_range(0..6 * 3_600_000));
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
            let cmd = random_command(rng, store, case);
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
