//! The overdue desk and the overdue watch: the overdue list's rule, each case announced once.

use std::collections::BTreeMap;

use jiesu_core::deadline::DueStatus;
use jiesu_core::*;
use rand::Rng;

use super::common::*;

const HOUR: i64 = 3_600_000;

fn dispatch(s: &mut Store, id: uuid::Uuid, unit: &str) {
    s.act(
        id,
        CaseCommand::Dispatch {
            unit: unit.into(),
            note: String::new(),
        },
    )
    .unwrap();
}

fn resolve(s: &mut Store, id: uuid::Uuid) {
    s.act(
        id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已处理".into(),
        },
    )
    .unwrap();
}

fn numbers(rows: &[CaseRow]) -> Vec<String> {
    rows.iter().map(|r| r.number.clone()).collect()
}

#[test]
fn the_desk_lists_overdue_and_due_soon_by_the_overdue_lists_rule() {
    let (mut s, clock) = store_at(test_now());
    let old = s.receive(parking_case("消防通道被占")).unwrap();
    dispatch(&mut s, old.id, "property");
    clock.advance(HOUR);
    let older_unit = s.receive(parking_case("楼道堆物")).unwrap();
    dispatch(&mut s, older_unit.id, "urban_mgmt");
    clock.advance(HOUR);
    let done = s.receive(parking_case("路灯不亮")).unwrap();
    dispatch(&mut s, done.id, "property");
    resolve(&mut s, done.id);
    clock.advance(HOUR);
    // A promise earlier than the deadline decides when this one falls due.
    let promised = s.receive(parking_case("僵尸车占位")).unwrap();
    let letter_day = calendar::local_date(clock.now_ms())
        .format("%Y-%m-%d")
        .to_string();
    let promised = s
        .act(
            promised.id,
            CaseCommand::IssueLetter(LetterForm {
                promise: "联系交警拖移".into(),
                due_date: letter_day,
                responsible: "网格员小周".into(),
                problem: String::new(),
            }),
        )
        .unwrap();
    let promise_due = promised.letter.as_ref().unwrap().commitment.due;
    assert!(promise_due < promised.resolve_due);

    // Now: nothing overdue; the promised case falls due tonight (within 24 h).
    let d = s.desk().unwrap();
    assert_eq!(d.overdue_total, 0);
    assert_eq!(numbers(&d.due_soon), vec![promised.number.clone()]);
    assert_eq!(d.due_soon[0].due, promise_due);
    assert_eq!(d.due_soon[0].due_status, DueStatus::DueSoon);
    assert_eq!(
        d.units,
        vec![DeskUnit {
            unit: String::new(),
            overdue: 0,
            due_soon: 1
        }]
    );

    // Past the promise but before every deadline: only the promised case is overdue.
    clock.set(promise_due + 1);
    let d = s.desk().unwrap();
    assert_eq!(numbers(&d.overdue), vec![promised.number.clone()]);
    assert_eq!(d.overdue[0].due_status, DueStatus::Overdue);

    // Past the first two deadlines: most overdue first; the resolved case is never listed.
    clock.set(older_unit.resolve_due + 1);
    let d = s.desk().unwrap();
    assert_eq!(d.now, older_unit.resolve_due + 1);
    let expected: Vec<String> = {
        let mut v = vec![
            (old.resolve_due, old.number.clone()),
            (older_unit.resolve_due, older_unit.number.clone()),
            (promise_due, promised.number.clone()),
        ];
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    };
    assert_eq!(numbers(&d.overdue), expected);
    assert_eq!(d.overdue_total, 3);
    assert!(!numbers(&d.overdue).contains(&done.number));
    assert!(!numbers(&d.due_soon).contains(&done.number));
    // The desk is the case list's overdue filter, row for row.
    let listed = s
        .list_cases(&CaseQuery {
            due: Some(DueFilter::Overdue),
            sort: CaseSort::DueAsc,
            ..CaseQuery::default()
        })
        .unwrap();
    assert_eq!(listed.rows, d.overdue);
    let by_unit: BTreeMap<String, (u32, u32)> = d
        .units
        .iter()
        .map(|u| (u.unit.clone(), (u.overdue, u.due_soon)))
        .collect();
    assert_eq!(by_unit.get("property"), Some(&(1, 0)));
    assert_eq!(by_unit.get("urban_mgmt"), Some(&(1, 0)));
    assert_eq!(by_unit.get(""), Some(&(1, 0)));
    assert!(!by_unit.contains_key("lighting"));

    // Resolving takes a case off the desk.
    resolve(&mut s, old.id);
    assert!(!numbers(&s.desk().unwrap().overdue).contains(&old.number));
}

#[test]
fn the_watch_announces_each_case_once_whatever_the_polling() {
    for seed in 0..20 {
        let mut rng = rng(seed);
        let (mut s, clock) = store_at(test_now());
        let mut cases = Vec::new();
        for _ in 0..30 {
            clock.advance(rng.random_range(0..6 * HOUR));
            let c = s.receive(parking_case("楼下噪音扰民")).unwrap();
            cases.push(c);
        }
        // Some are resolved in time: those are never announced.
        let mut resolved = Vec::new();
        for c in &cases {
            if rng.random_ratio(1, 3) && c.resolve_due > clock.now_ms() {
                dispatch(&mut s, c.id, "property");
                resolve(&mut s, c.id);
                resolved.push(c.number.clone());
            }
        }
        let start = s.desk().unwrap();
        let already: Vec<String> = numbers(&start.overdue);
        let mut since = start.now;
        let mut announced: Vec<String> = Vec::new();
        let end = cases.iter().map(|c| c.resolve_due).max().unwrap() + HOUR;
        while clock.now_ms() < end {
            clock.advance(rng.random_range(1..12 * HOUR));
            let w = s.overdue_watch(since).unwrap();
            assert!(w.fell.iter().all(|r| r.due > since && r.due <= w.now));
            assert!(w.fell.windows(2).all(|p| p[0].due <= p[1].due));
            announced.extend(numbers(&w.fell));
            since = w.now;
        }
        let mut sorted = announced.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            announced.len(),
            "seed {seed}: announced twice"
        );
        let expected: Vec<String> = {
            let mut v: Vec<String> = cases
                .iter()
                .map(|c| c.number.clone())
                .filter(|n| !resolved.contains(n) && !already.contains(n))
                .collect();
            v.sort();
            v
        };
        assert_eq!(sorted, expected, "seed {seed}");
        assert_eq!(
            s.overdue_watch(since).unwrap().overdue_total as usize,
            cases.len() - resolved.len()
        );
    }
}

#[test]
fn a_clock_set_back_announces_nothing() {
    let (mut s, clock) = store_at(test_now());
    let c = s.receive(parking_case("楼道漏水")).unwrap();
    clock.set(c.resolve_due + HOUR);
    let w = s.overdue_watch(test_now()).unwrap();
    assert_eq!(numbers(&w.fell), vec![c.number.clone()]);
    // The PC's clock goes back a day: the window is empty, not reversed.
    clock.set(c.resolve_due - 23 * HOUR);
    let back = s.overdue_watch(w.now).unwrap();
    assert!(back.fell.is_empty());
    assert_eq!(back.overdue_total, 0);
}
