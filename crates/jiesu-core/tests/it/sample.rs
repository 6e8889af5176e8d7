//! The sample community generator.

use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;

use super::common::*;

#[test]
fn the_sample_community_has_cases_at_every_stage_and_is_deterministic() {
    let spec = SampleSpec::community(test_now());
    let (mut a, _) = store_at(test_now());
    let report = generate(&mut a, &spec).unwrap();
    assert_eq!(report.cases, 600);
    assert!(report.steps > 2000, "{report:?}");
    let cases = a.all_cases().unwrap();
    let count = |state| cases.iter().filter(|c| c.state == state).count();
    for state in jiesu_core::CaseState::ALL {
        let n = count(state);
        assert!(
            n > 0 || state == CaseState::Returned,
            "no case in state {state:?}"
        );
    }
    assert!(cases.iter().any(|c| c.extension_count > 0));
    assert!(cases.iter().any(|c| c.redo_count > 0));
    assert!(
        cases
            .iter()
            .any(|c| c.state.is_open() && c.resolve_due < test_now()),
        "some are overdue"
    );
    assert!(cases.iter().all(|c| c.received_at <= test_now()));
    assert_eq!(a.now_ms(), test_now(), "the store's own clock is back");

    // Two meetings a month, with what came of them.
    assert_eq!(report.meetings, 8, "{report:?}");
    let meetings = a.list_meetings().unwrap();
    assert_eq!(meetings.len(), 8);
    for kind in [
        MeetingKind::ReceptionDay,
        MeetingKind::Council,
        MeetingKind::Dialogue,
    ] {
        assert!(meetings.iter().any(|m| m.kind == kind), "no {kind:?}");
    }
    assert!(
        meetings
            .iter()
            .all(|m| m.minutes == MinutesState::Approved
                || m.starts_at > test_now() - 2 * 86_400_000)
    );
    let mut letters = std::collections::HashMap::new();
    let (mut on_spot, mut items) = (0, 0);
    for m in &meetings {
        let d = a.meeting_detail(m.id).unwrap();
        on_spot += d.summary.solved_on_spot;
        items += d
            .cases
            .iter()
            .filter(|c| c.link.via == MeetingCaseVia::Item)
            .count();
        for c in &d.cases {
            if let Some(l) = c.letter {
                *letters.entry(l).or_insert(0) += 1;
            }
        }
    }
    assert!(on_spot > 5, "{on_spot} solved on the spot");
    assert!(items >= 6, "{items} cases from council items");
    for status in [LetterStatus::Fulfilled, LetterStatus::Broken] {
        assert!(
            letters.get(&status).is_some_and(|n| *n > 0),
            "no {status:?} letter: {letters:?}"
        );
    }
    assert!(a.conflicts().unwrap().is_empty());

    let (mut b, _) = store_at(test_now());
    assert_eq!(generate(&mut b, &spec).unwrap(), report);
    let strip = |cs: Vec<Case>| {
        let mut v: Vec<String> = cs
            .into_iter()
            .map(|c| format!("{} {:?} {}", c.description, c.state, c.resolve_due))
            .collect();
        v.sort();
        v
    };
    assert_eq!(strip(a.all_cases().unwrap()), strip(b.all_cases().unwrap()));

    assert_eq!(
        generate(&mut a, &spec).unwrap_err().code(),
        Code::InvalidInput,
        "only into an empty store"
    );
}
