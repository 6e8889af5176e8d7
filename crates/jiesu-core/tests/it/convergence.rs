//! Replicas holding the same events compute the same projection, whatever order the events
//! arrived in — tested with in-process stores exchanging events (sync proper comes later).

use jiesu_core::*;
use proptest::prelude::*;
use rand::Rng;
use rand::seq::SliceRandom;

use super::common::*;

fn all_events(s: &Store) -> Vec<Event> {
    s.events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

fn assert_same(a: &Store, b: &Store) {
    assert_eq!(
        a.event_ids().unwrap(),
        b.event_ids().unwrap(),
        "same event set"
    );
    assert_eq!(
        a.all_cases().unwrap(),
        b.all_cases().unwrap(),
        "same projection"
    );
    assert_eq!(
        a.all_meetings().unwrap(),
        b.all_meetings().unwrap(),
        "same meetings"
    );
    assert_eq!(
        a.conflicts().unwrap(),
        b.conflicts().unwrap(),
        "same conflicts"
    );
}

#[test]
fn a_case_filed_at_one_office_appears_whole_at_the_other() {
    let (mut a, _) = store_at(test_now());
    let (mut b, _) = store_at(test_now() + 5);
    let case = a.receive(parking_case("停车难")).unwrap();
    a.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    assert_eq!(b.apply_remote(&all_events(&a)).unwrap(), 3);
    assert_eq!(
        b.apply_remote(&all_events(&a)).unwrap(),
        0,
        "redelivery is harmless"
    );
    assert_same(&a, &b);
    assert_eq!(b.case_detail(case.id).unwrap().timeline.len(), 3);
}

#[test]
fn concurrent_resolve_and_transfer_converge_and_the_loser_is_shown_as_a_conflict() {
    let (mut a, ca) = store_at(test_now());
    let (mut b, cb) = store_at(test_now());
    let case = a.receive(parking_case("停车难")).unwrap();
    a.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    a.act(
        case.id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    b.apply_remote(&all_events(&a)).unwrap();
    // Offline from each other: A resolves, B (street) transfers a minute earlier.
    ca.advance(120_000);
    cb.advance(60_000);
    a.act(
        case.id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已处理".into(),
        },
    )
    .unwrap();
    b.act(
        case.id,
        CaseCommand::Transfer {
            unit: "construction".into(),
            reason: "需城建办".into(),
        },
    )
    .unwrap();
    let (ea, eb) = (all_events(&a), all_events(&b));
    a.apply_remote(&eb).unwrap();
    b.apply_remote(&ea).unwrap();
    assert_same(&a, &b);
    let d = a.case_detail(case.id).unwrap();
    assert_eq!(
        d.case.state,
        CaseState::Dispatched,
        "the earlier transfer wins"
    );
    assert_eq!(d.case.conflict_count, 1);
    let conflicted: Vec<_> = d.timeline.iter().filter(|t| t.conflict.is_some()).collect();
    assert_eq!(conflicted.len(), 1);
    assert_eq!(
        conflicted[0].event.body.kind(),
        "case_resolved",
        "kept in the trace, not dropped"
    );
}

#[test]
fn events_before_their_case_arrive_are_healed_when_it_does() {
    let (mut a, _) = store_at(test_now());
    let (mut b, _) = store_at(test_now());
    let case = a.receive(parking_case("停车难")).unwrap();
    a.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    let evs = all_events(&a);
    b.apply_remote(&evs[1..]).unwrap();
    assert!(b.all_cases().unwrap().is_empty());
    b.apply_remote(&evs[..1]).unwrap();
    assert_same(&a, &b);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    /// Three replicas with skewed clocks act on shared cases between partial, shuffled,
    /// duplicated exchanges; after a full exchange all hold the same events, projection and
    /// conflicts — and that projection equals a rebuild from the log.
    #[test]
    fn replicas_converge_whatever_the_delivery_order(seed in any::<u64>(), rounds in 1usize..6) {
        let mut r = rng(seed);
        let mut reps: Vec<(Store, ManualClock)> = (0..3)
            .map(|i| {
                let skew = r.random_range(-86_400_000i64 * 365..86_400_000 * 365) * (i as i64 % 2);
                store_at(test_now() + skew)
            })
            .collect();
        for _ in 0..rounds {
            for (s, c) in reps.iter_mut() {
                let n = r.random_range(1..12);
                random_workload(&mut r, s, c, n);
            }
            // Partial exchange: random pairs, random subsets, shuffled, some twice.
            for _ in 0..3 {
                let (i, j) = (r.random_range(0..3), r.random_range(0..3));
                if i == j { continue; }
                let mut evs = all_events(&reps[i].0);
                evs.shuffle(&mut r);
                evs.truncate(r.random_range(0..=evs.len()));
                let dup: Vec<Event> = evs.iter().take(3).cloned().collect();
                evs.extend(dup);
                reps[j].0.apply_remote(&evs).unwrap();
            }
        }
        let mut everything: Vec<Event> = reps.iter().flat_map(|(s, _)| all_events(s)).collect();
        for (s, _) in reps.iter_mut() {
            everything.shuffle(&mut r);
            s.apply_remote(&everything).unwrap();
        }
        assert_same(&reps[0].0, &reps[1].0);
        assert_same(&reps[1].0, &reps[2].0);
        let live = (reps[0].0.all_cases().unwrap(), reps[0].0.all_meetings().unwrap());
        reps[0].0.rebuild_projections().unwrap();
        prop_assert_eq!(live, (reps[0].0.all_cases().unwrap(), reps[0].0.all_meetings().unwrap()));
    }
}
