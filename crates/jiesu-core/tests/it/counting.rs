//! Which office a case counts under: its holder now, at every level, once. A case transferred
//! from one community to another counts at the new one and not at the old, once at their
//! street; the office that gave it away sees it read-only, and a step it writes anyway is
//! quarantined everywhere.

use jiesu_core::figures::{Dimension, FigureQuery, FigureSettings};
use jiesu_core::*;

use super::common::*;

fn this_month() -> FigureQuery {
    let (from, to) = month_of(test_now());
    FigureQuery {
        from,
        to,
        ..Default::default()
    }
}

fn received(s: &Store) -> u32 {
    s.figures(&this_month(), &FigureSettings::default())
        .unwrap()
        .received
}

/// Hand every event `from` holds that `to` lacks to `to`, as a pull would.
fn deliver(from: &Store, to: &mut Store) {
    let events: Vec<Event> = from
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    to.apply_remote(&events).unwrap();
}

#[test]
fn a_case_transferred_between_communities_counts_once_under_its_holder() {
    let (mut a, _) = office_store("a");
    let (mut b, _) = office_store("b");
    let (mut street, _) = office_store("s1");
    let kept = a.receive(parking_case("留在本社区")).unwrap();
    let moved = a.receive(parking_case("属于隔壁社区")).unwrap();
    a.act(
        moved.id,
        CaseCommand::TransferOffice {
            office: "b".into(),
            reason: "地址在b社区".into(),
        },
    )
    .unwrap();
    deliver(&a, &mut b);
    deliver(&a, &mut street);
    assert_eq!(received(&a), 1, "a counts only what it still holds");
    assert_eq!(received(&b), 1, "b counts the case it received");
    assert_eq!(received(&street), 2, "the street counts each case once");
    let by_office = street
        .figures_by(&this_month(), Dimension::Office, &FigureSettings::default())
        .unwrap();
    let counts: Vec<(String, u32)> = by_office
        .iter()
        .map(|g| (g.key.clone(), g.figures.received))
        .collect();
    assert_eq!(counts, vec![("a".into(), 1), ("b".into(), 1)]);
    let sum: u32 = by_office.iter().map(|g| g.figures.received).sum();
    assert_eq!(
        sum,
        received(&street),
        "the street is the sum of its communities"
    );
    // a sees the case it gave away read-only, and says who holds it.
    let d = a.case_detail(moved.id).unwrap();
    assert_eq!(d.held_elsewhere.as_deref(), Some("b办"));
    assert!(d.allowed.is_empty(), "{:?}", d.allowed);
    assert_eq!(a.case_detail(kept.id).unwrap().held_elsewhere, None);
    let before = a.events_after(0, u32::MAX).unwrap().len();
    let refused = a
        .act(
            moved.id,
            CaseCommand::Note {
                text: "我们也去看了".into(),
                contacted_resident: false,
                public: false,
            },
        )
        .unwrap_err();
    assert_eq!(refused.code(), Code::OutOfScope);
    assert_eq!(
        a.events_after(0, u32::MAX).unwrap().len(),
        before,
        "nothing written"
    );
    // b and the street act on it.
    b.act(
        moved.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    deliver(&b, &mut street);
    street
        .act(
            moved.id,
            CaseCommand::Urge {
                note: "尽快".into(),
            },
        )
        .unwrap();
    assert!(street.conflicts().unwrap().is_empty());
}

#[test]
fn a_step_by_the_office_that_gave_the_case_away_is_quarantined() {
    let (mut a, _) = office_store("a");
    let (mut street, _) = office_store("s1");
    let case = a.receive(parking_case("属于隔壁社区")).unwrap();
    a.act(
        case.id,
        CaseCommand::TransferOffice {
            office: "b".into(),
            reason: "地址在b社区".into(),
        },
    )
    .unwrap();
    deliver(&a, &mut street);
    // An older app at a writes a note after the transfer anyway.
    let stream = case.id.to_string();
    let note = forged(
        &stream,
        test_now() + 60_000,
        "a",
        "dev-a",
        EventBody::CaseNoted {
            text: "我们也去看了".into(),
            contacted_resident: true,
        },
    );
    street.apply_remote(&[note]).unwrap();
    let held = street.case(case.id).unwrap();
    assert_eq!(held.office, "b");
    assert_eq!(held.conflict_count, 1);
    assert_eq!(held.responded_at, None, "the note changed nothing");
    let reasons: Vec<String> = street
        .conflicts()
        .unwrap()
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("does not hold this case")),
        "{reasons:?}"
    );
}

/// Resolved, visited 不满意 and unsolved, redone, resolved, visited 满意: the first answer
/// does not disappear. Each visit rule counts what it says — the last or the first visit of
/// each case (件), or every visit (次) — and the office's setting is the dashboard's rule.
#[test]
fn a_redone_case_counts_its_last_first_or_every_visit_as_the_setting_says() {
    use jiesu_core::figures::VisitRule;
    let (mut s, _) = office_store("a");
    let c = s.receive(parking_case("反复占用的车位")).unwrap();
    s.act(
        c.id,
        CaseCommand::ResolveOnSpot {
            result: "已协调车主挪车".into(),
        },
    )
    .unwrap();
    let visit = |satisfaction, solved| CaseCommand::Visit {
        reachable: true,
        contacted: true,
        solved,
        satisfaction: Some(satisfaction),
        note: String::new(),
    };
    s.act(c.id, visit(Satisfaction::Dissatisfied, false))
        .unwrap();
    s.act(
        c.id,
        CaseCommand::Redo {
            reason: "车主又停回来了".into(),
            due: None,
        },
    )
    .unwrap();
    s.act(
        c.id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "划设禁停线".into(),
        },
    )
    .unwrap();
    s.act(c.id, visit(Satisfaction::Satisfied, true)).unwrap();
    for (rule, want) in [
        (VisitRule::Last, (1, 1, 1, 0)),
        (VisitRule::First, (1, 0, 0, 1)),
        (VisitRule::Every, (2, 1, 1, 1)),
    ] {
        let settings = FigureSettings {
            visit_rule: rule,
            ..FigureSettings::default()
        };
        let f = s.figures(&this_month(), &settings).unwrap();
        assert_eq!(
            (f.valid_visits, f.solved, f.satisfied, f.dissatisfied),
            want,
            "{rule:?}"
        );
    }
    s.set_figure_settings(FigureSettings {
        visit_rule: VisitRule::Every,
        ..FigureSettings::default()
    })
    .unwrap();
    let d = s.dashboard(&this_month(), Dimension::Week).unwrap();
    assert_eq!(d.settings.visit_rule, VisitRule::Every);
    assert_eq!(
        (d.figures.valid_visits, d.figures.solution_rate),
        (2, Some(0.5))
    );
}
