//! The sample community generator.

use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;

use super::common::*;

#[test]
fn the_sample_community_has_cases_at_every_stage_and_is_deterministic() {
    let spec = SampleSpec::community(MONDAY_9AM);
    let (mut a, _) = store_at(MONDAY_9AM);
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
            .any(|c| c.state.is_open() && c.resolve_due < MONDAY_9AM),
        "some are overdue"
    );
    assert!(cases.iter().all(|c| c.received_at <= MONDAY_9AM));
    assert_eq!(a.now_ms(), MONDAY_9AM, "the store's own clock is back");
    assert!(a.conflicts().unwrap().is_empty());

    let (mut b, _) = store_at(MONDAY_9AM);
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
