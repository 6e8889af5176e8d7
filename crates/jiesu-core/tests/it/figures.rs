//! Figures: the reference test recomputes every figure of a generated community with the
//! independent SQL of `reference.rs`; then edge cases of the calendar, of periods and of empty
//! denominators.

use jiesu_core::figures::{Dimension, Figure, FigureQuery, FigureSettings, VisitRule};
use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;
use rusqlite::Connection;
use uuid::Uuid;

use super::common::*;
use super::reference::*;

fn ids(c: &Connection, sql: &str) -> Vec<Uuid> {
    let mut stmt = c.prepare(sql).unwrap();
    let mut v: Vec<Uuid> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|s| Uuid::parse_str(&s.unwrap()).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn every_figure_equals_an_independent_sql_recomputation() {
    // On a file, as the app runs: long periods are read in two halves on two connections.
    let (mut s, _, _dir) = file_store_at(test_now());
    generate(&mut s, &SampleSpec::community(test_now())).unwrap();
    workdays(&s, test_now());
    let settings = FigureSettings::default();
    let c = s.connection();
    let now = test_now();
    // The data has what the figures must get right.
    let cases = s.all_cases().unwrap();
    assert!(cases.iter().any(|c| c.redo_count > 0), "reopened cases");
    assert!(cases.iter().any(|c| c.extension_count > 0), "extensions");
    assert!(
        cases.iter().any(|c| c.state == CaseState::Withdrawn),
        "withdrawn"
    );
    assert!(cases.iter().any(|c| c.state == CaseState::Merged), "merged");
    assert!(cases.iter().any(|c| c.letter.is_some()), "letters");

    // The periods a leader reads, derived from "now" (which `make test` moves to awkward
    // dates): the sample's whole span, last month (always inside the sample's four months),
    // and this month so far (on the 1st of a month: hours old, perhaps empty).
    let periods = [
        ("all", now - 130 * DAY, now + DAY),
        ("last month", last_month(now).0, last_month(now).1),
        ("this month so far", month_of(now).0, now + DAY),
    ];
    for (name, from, to) in periods {
        let q = FigureQuery {
            from,
            to,
            ..Default::default()
        };
        let rust = s.figures(&q, &settings).unwrap();
        let substantial = name != "this month so far";
        assert!(!substantial || rust.received > 50, "{name}: {rust:?}");
        if name == "all" {
            // Nothing compared below is trivially zero.
            for (what, n) in [
                ("resolved", rust.resolved),
                ("within3", rust.within3),
                ("within3 pending", rust.within3_pending),
                ("overdue now", rust.overdue_now),
                ("overdue in period", rust.overdue_in_period),
                ("extensions", rust.extensions),
                ("redos", rust.redos),
                ("valid visits", rust.valid_visits),
                ("basically satisfied", rust.basically_satisfied),
                ("dissatisfied", rust.dissatisfied),
                ("letters fulfilled", rust.letters_fulfilled),
                ("letters broken", rust.letters_broken),
                ("response pending", rust.response_pending),
                ("responded late", rust.responded - rust.responded_on_time),
            ] {
                assert!(n > 0, "{what} is 0: {rust:?}");
            }
            assert!(rust.within3 < rust.resolved && rust.resolved < rust.received);
        }
        assert_figures_eq(&rust, &reference(c, from, to, now, "1"), name);

        // Every breakdown group, against the same SQL with the group as a filter.
        for (dim, field) in [
            (
                Dimension::Unit,
                "coalesce(json_extract(doc, '$.handling_unit'), '')",
            ),
            (Dimension::Channel, "json_extract(doc, '$.channel')"),
            (
                Dimension::Building,
                "json_extract(doc, '$.address.building')",
            ),
        ] {
            let groups = s.figures_by(&q, dim, &settings).unwrap();
            assert!(!substantial || groups.len() > 1, "{name} by {dim:?}");
            let mut total = 0;
            for g in &groups {
                let filter = format!("{field} = '{}'", g.key.replace('\'', "''"));
                assert_figures_eq(
                    &g.figures,
                    &reference(c, from, to, now, &filter),
                    &format!("{name} by {dim:?} = {}", g.key),
                );
                total += g.figures.received;
            }
            assert_eq!(total, rust.received, "{name}: groups of {dim:?} add up");
        }

        // A filtered query equals its SQL too (category at the first level).
        let parking = FigureQuery {
            category: Some("parking".into()),
            ..q.clone()
        };
        assert_figures_eq(
            &s.figures(&parking, &settings).unwrap(),
            &reference(
                c,
                from,
                to,
                now,
                "json_extract(doc, '$.category') LIKE 'parking%'",
            ),
            &format!("{name}, parking"),
        );

        let table = super::reference::cases();
        // Drill-down lists exactly the cases counted.
        for (figure, sql) in [
            (
                Figure::Received,
                format!(
                    "SELECT id FROM {table} AS cases WHERE json_extract(doc, '$.received_at') >= {from} AND json_extract(doc, '$.received_at') < {to} AND json_extract(doc, '$.state') NOT IN ('withdrawn', 'merged')"
                ),
            ),
            (
                Figure::OverdueNow,
                format!(
                    "SELECT id FROM {table} AS cases WHERE json_extract(doc, '$.received_at') >= {from} AND json_extract(doc, '$.received_at') < {to} AND is_open AND due_rank <= {now}"
                ),
            ),
            (
                Figure::Dissatisfied,
                format!(
                    "SELECT id FROM {table} AS cases WHERE json_extract(doc, '$.received_at') >= {from} AND json_extract(doc, '$.received_at') < {to} AND json_extract(doc, '$.state') NOT IN ('withdrawn', 'merged') AND json_extract(doc, '$.visit.reachable') = 1 AND json_extract(doc, '$.visit.satisfaction') = 'dissatisfied'"
                ),
            ),
        ] {
            let mut listed: Vec<Uuid> = s
                .figure_cases(&q, figure, None, 0, 0)
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.id)
                .collect();
            listed.sort();
            assert_eq!(listed, ids(c, &sql), "{name}: cases behind {figure:?}");
        }
        for figure in Figure::ALL {
            let n = s.figure_cases(&q, figure, None, 0, 0).unwrap().rows.len() as u32;
            let counted = match figure {
                Figure::Received => rust.received,
                Figure::Resolved => rust.resolved,
                Figure::Within3 => rust.within3,
                Figure::Within3Pending => rust.within3_pending,
                Figure::OverdueNow => rust.overdue_now,
                Figure::OverdueInPeriod => rust.overdue_in_period,
                Figure::ValidVisits => rust.valid_visits,
                Figure::Contacted => rust.contacted,
                Figure::Solved => rust.solved,
                Figure::Satisfied => rust.satisfied,
                Figure::BasicallySatisfied => rust.basically_satisfied,
                Figure::Dissatisfied => rust.dissatisfied,
                Figure::Letters => rust.letters,
                Figure::LettersFulfilled => rust.letters_fulfilled,
                Figure::LettersBroken => rust.letters_broken,
                Figure::Responded => rust.responded,
                Figure::RespondedOnTime => rust.responded_on_time,
                Figure::ResponsePending => rust.response_pending,
                Figure::Extended | Figure::Redone => continue,
            };
            assert_eq!(
                n, counted,
                "{name}: the list behind {figure:?} has the number's size"
            );
        }
    }

    // The ranking keeps units under the minimum sample apart.
    let q = FigureQuery {
        from: now - 130 * DAY,
        to: now + DAY,
        ..Default::default()
    };
    let settings = FigureSettings {
        min_sample: 40,
        ..FigureSettings::default()
    };
    let ranking = s.ranking(&q, Dimension::Unit, &settings).unwrap();
    assert!(
        !ranking.ranked.is_empty() && !ranking.apart.is_empty(),
        "{ranking:?}"
    );
    assert!(ranking.ranked.iter().all(|g| g.figures.received >= 40));
    assert!(ranking.apart.iter().all(|g| g.figures.received < 40));
    for w in ranking.ranked.windows(2) {
        assert!(
            w[0].figures.composite.unwrap_or(-1.0) >= w[1].figures.composite.unwrap_or(-1.0),
            "best first"
        );
    }
    // Drilling into one unit's bar lists that unit's cases.
    let top = &ranking.ranked[0];
    let unit = Some((Dimension::Unit, top.key.clone()));
    let listed = s
        .figure_cases(&q, Figure::Received, unit.clone(), 0, 0)
        .unwrap();
    assert_eq!(listed.rows.len() as u32, top.figures.received);
    assert!(
        listed
            .rows
            .iter()
            .all(|r| r.handling_unit.as_deref().unwrap_or("") == top.key)
    );
    // A page of it: newest first, the total still the figure's.
    let page = s.figure_cases(&q, Figure::Received, unit, 1, 5).unwrap();
    assert_eq!(page.total, top.figures.received);
    assert_eq!(page.rows, listed.rows[5..10].to_vec());
}

/// Every visit rule against the same SQL over the documents' lists of visits, with other
/// weights than the defaults: the figures, each unit's, and the report's case sheet's sums.
#[test]
fn each_visit_rule_equals_an_independent_sql_recomputation() {
    let (mut s, _) = store_at(test_now());
    generate(&mut s, &SampleSpec::community(test_now())).unwrap();
    workdays(&s, test_now());
    let now = test_now();
    let cases = s.all_cases().unwrap();
    // Visited, redone and visited again, answering differently: where the rules differ.
    assert!(
        cases
            .iter()
            .any(|c| c.visits.len() > 1 && c.visits[0] != c.visits[c.visits.len() - 1]),
        "no case visited twice with different answers"
    );
    let mut seen = Vec::new();
    for rule in [VisitRule::Last, VisitRule::First, VisitRule::Every] {
        let settings = FigureSettings {
            visit_rule: rule,
            basic_factor: 0.7,
            weight_response: 0.2,
            weight_solution: 0.3,
            weight_satisfaction: 0.5,
            ..FigureSettings::default()
        };
        for (name, from, to) in [
            ("all", now - 130 * DAY, now + DAY),
            ("last month", last_month(now).0, last_month(now).1),
        ] {
            let q = FigureQuery {
                from,
                to,
                ..Default::default()
            };
            let want = |filter: &str| {
                reference_by(
                    s.connection(),
                    from,
                    to,
                    now,
                    filter,
                    rule,
                    0.7,
                    [0.2, 0.3, 0.5],
                )
            };
            let rust = s.figures(&q, &settings).unwrap();
            assert_figures_eq(&rust, &want("1"), &format!("{rule:?}, {name}"));
            for g in s.figures_by(&q, Dimension::Unit, &settings).unwrap() {
                let filter = format!(
                    "coalesce(json_extract(doc, '$.handling_unit'), '') = '{}'",
                    g.key.replace('\'', "''")
                );
                assert_figures_eq(
                    &g.figures,
                    &want(&filter),
                    &format!("{rule:?}, {name}, {}", g.key),
                );
            }
            // The list behind a visit figure is its cases: as many as the number under a
            // per-case rule, at most as many under every visit.
            let listed = s
                .figure_cases(&q, Figure::ValidVisits, None, 0, 0)
                .unwrap()
                .total;
            match rule {
                VisitRule::Every => assert!(listed <= rust.valid_visits),
                _ => assert_eq!(listed, rust.valid_visits),
            }
            if name == "all" {
                seen.push((rust.valid_visits, rust.satisfied, rust.dissatisfied));
            }
        }
    }
    // The rules do count differently on this data: every visit counts most.
    assert!(seen[2].0 > seen[0].0 && seen[2].0 > seen[1].0, "{seen:?}");
    assert_ne!(seen[0], seen[1], "first and last visits differ: {seen:?}");
}

/// A case received at `rec` (China time text) and resolved at `res`.
fn resolved_case(s: &mut Store, clock: &ManualClock, rec: &str, res: &str) -> Case {
    let at = |t: &str| {
        calendar::cst()
            .from_local_datetime(
                &chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").unwrap(),
            )
            .single()
            .unwrap()
            .timestamp_millis()
    };
    use chrono::TimeZone;
    clock.set(at(rec));
    let c = s.receive(parking_case("测试")).unwrap();
    s.act(
        c.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        c.id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    clock.set(at(res));
    s.act(
        c.id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "好".into(),
        },
    )
    .unwrap()
}

fn period((from, to): (i64, i64)) -> FigureQuery {
    FigureQuery {
        from,
        to,
        ..Default::default()
    }
}

fn month(y: i32, m: u32) -> FigureQuery {
    let d = chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1).unwrap()
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1).unwrap()
    };
    FigureQuery {
        from: calendar::start_of_day(d),
        to: calendar::start_of_day(next),
        ..Default::default()
    }
}

/// On the morning of the 1st, cases received an hour ago are neither kept nor missed: 3天办结率
/// has no denominator yet ("—", not 0%), and the card says how many are pending; each enters
/// the rate when it is resolved or its 3 working days have passed.
#[test]
fn cases_not_yet_due_are_pending_not_failed() {
    let at = |s: &str| hlc::parse_instant(s).unwrap();
    // Tuesday 1 December 2026, 08:00.
    let (mut s, clock) = store_at(at("2026-12-01 08:00"));
    let early = s.receive(parking_case("早上八点")).unwrap();
    s.receive(parking_case("早上八点零一")).unwrap();
    clock.set(at("2026-12-01 09:00"));
    let settings = FigureSettings::default();
    let f = s.figures(&month(2026, 12), &settings).unwrap();
    assert_eq!((f.received, f.within3, f.within3_pending), (2, 0, 2));
    assert_eq!(
        f.within3_rate, None,
        "nothing has come due: no rate, not 0%"
    );
    let pending = s
        .figure_cases(&month(2026, 12), Figure::Within3Pending, None, 0, 0)
        .unwrap();
    assert_eq!(pending.total, 2, "the pending are listed like every figure");
    // One is resolved the next day: kept, and in the rate; the other still pending.
    clock.set(at("2026-12-02 10:00"));
    s.act(
        early.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        early.id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        early.id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已清理".into(),
        },
    )
    .unwrap();
    let f = s.figures(&month(2026, 12), &settings).unwrap();
    assert_eq!((f.within3, f.within3_pending), (1, 1));
    assert_eq!(f.within3_rate, Some(1.0));
    // Friday 4 December is the third working day after the 1st: still pending all that day;
    // Monday the 7th it has missed.
    clock.set(at("2026-12-04 23:00"));
    let f = s.figures(&month(2026, 12), &settings).unwrap();
    assert_eq!(f.within3_pending, 1);
    clock.set(at("2026-12-07 08:00"));
    let f = s.figures(&month(2026, 12), &settings).unwrap();
    assert_eq!(f.within3_pending, 0);
    assert_eq!(f.within3_rate, Some(0.5));
}

/// 首次响应 (事不过夜): an ordinary case must be answered — accepted, the resident contacted
/// or solved on the spot — within 24 hours of receipt. One answered in 3 hours, one after
/// 30, one not yet and still inside its 24 hours, which is pending until it is late.
#[test]
fn first_response_counts_on_time_late_and_pending() {
    let at = |s: &str| hlc::parse_instant(s).unwrap();
    let (mut s, clock) = store_at(at("2026-12-01 08:00"));
    let quick = s.receive(parking_case("三小时签收")).unwrap();
    let slow = s.receive(parking_case("三十小时才联系")).unwrap();
    clock.set(at("2026-12-01 11:00"));
    s.act(
        quick.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    // Dispatching is not answering; accepting is.
    let q = month(2026, 12);
    let settings = FigureSettings::default();
    assert_eq!(s.figures(&q, &settings).unwrap().responded, 0);
    s.act(
        quick.id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    clock.set(at("2026-12-01 20:00"));
    s.receive(parking_case("晚上八点来的")).unwrap();
    let f = s.figures(&q, &settings).unwrap();
    assert_eq!(
        (f.responded, f.responded_on_time, f.response_pending),
        (1, 1, 2)
    );
    assert_eq!(f.on_time_response_rate, Some(1.0));
    assert_eq!(f.avg_response_hours, Some(3.0));
    // The next day at 14:00: the second case is answered after 30 hours, late; the third is
    // still inside its 24 hours.
    clock.set(at("2026-12-02 14:00"));
    s.act(
        slow.id,
        CaseCommand::Note {
            text: "电话联系了居民".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    let f = s.figures(&q, &settings).unwrap();
    assert_eq!(
        (f.responded, f.responded_on_time, f.response_pending),
        (2, 1, 1)
    );
    assert_eq!(f.on_time_response_rate, Some(0.5));
    assert_eq!(f.avg_response_hours, Some(16.5));
    // Past 20:00 the third has missed its limit unanswered: late, in the denominator.
    clock.set(at("2026-12-02 20:01"));
    let f = s.figures(&q, &settings).unwrap();
    assert_eq!(f.response_pending, 0);
    assert_eq!(f.on_time_response_rate, Some(1.0 / 3.0));
    let listed = |figure| {
        s.figure_cases(&q, figure, None, 0, 0)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(Figure::RespondedOnTime), vec![quick.id]);
    assert_eq!(listed(Figure::Responded).len(), 2);
}

/// 环比: 本月 on the 10th compares with last month up to the 10th, with the same filters.
#[test]
fn a_running_month_compares_with_last_month_to_the_same_point() {
    let at = |s: &str| hlc::parse_instant(s).unwrap();
    let (mut s, clock) = store_at(at("2026-11-03 09:00"));
    s.receive(parking_case("上月三号")).unwrap();
    let mut noise = parking_case("上月三号的噪音");
    noise.category = "noise.business".into();
    clock.set(at("2026-11-03 10:00"));
    s.receive(noise).unwrap();
    clock.set(at("2026-11-20 09:00"));
    s.receive(parking_case("上月二十号")).unwrap();
    clock.set(at("2026-12-02 09:00"));
    s.receive(parking_case("本月二号")).unwrap();
    clock.set(at("2026-12-10 12:00"));
    let e = s.earlier_figures(&month(2026, 12)).unwrap();
    assert_eq!(
        (e.from, e.to, e.to_date, e.months),
        (at("2026-11-01 00:00"), at("2026-11-10 12:00"), true, 1)
    );
    assert_eq!(
        e.figures.received, 2,
        "only what last month had by the 10th"
    );
    let parking = FigureQuery {
        category: Some("parking".into()),
        ..month(2026, 12)
    };
    assert_eq!(s.earlier_figures(&parking).unwrap().figures.received, 1);
    // A past month compares with the whole month before it.
    let e = s.earlier_figures(&month(2026, 11)).unwrap();
    assert_eq!(
        (e.from, e.to, e.to_date),
        (at("2026-10-01 00:00"), at("2026-11-01 00:00"), false)
    );
    assert_eq!(e.figures.received, 0);
}

/// Found by the IPC fuzz test: a period from a page at the ends of `i64` overflowed the
/// period's length. Every way in refuses it, writes nothing and panics nowhere.
#[test]
fn a_period_at_the_ends_of_time_is_refused_not_a_panic() {
    let (mut s, clock) = store_at(test_now());
    resolved_case(&mut s, &clock, "2026-11-02 09:00", "2026-11-03 09:00");
    let settings = FigureSettings::default();
    for (from, to) in [
        (i64::MIN, i64::MAX),
        (0, i64::MAX),
        (test_now(), test_now() - 1),
        (jiesu_core::validate::EARLIEST_MS - 1, test_now()),
    ] {
        let q = period((from, to));
        let code = |r: jiesu_core::Error| jiesu_core::WireError::from(r).code;
        assert_eq!(
            code(s.figures(&q, &settings).unwrap_err()),
            jiesu_core::Code::InvalidInput
        );
        assert!(s.dashboard(&q, Dimension::Unit).is_err());
        assert!(s.earlier_figures(&q).is_err());
        assert!(s.figure_cases(&q, Figure::Received, None, 0, 50).is_err());
    }
    // The widest period anything can name is still an answer.
    let all = period((
        jiesu_core::validate::EARLIEST_MS,
        jiesu_core::validate::LATEST_MS,
    ));
    assert_eq!(s.figures(&all, &settings).unwrap().received, 1);
    // Its earlier stretch lies before anything can be stored: an empty period, not a refusal.
    let earlier = s.earlier_figures(&all).unwrap();
    assert_eq!(earlier.figures.received, 0);
    assert_eq!(earlier.from, jiesu_core::validate::EARLIEST_MS);
}

#[test]
fn no_visits_in_the_period_means_no_rates_not_zero() {
    let (mut s, clock) = store_at(test_now());
    resolved_case(&mut s, &clock, "2026-11-02 09:00", "2026-11-03 09:00");
    let f = s
        .figures(&month(2026, 11), &FigureSettings::default())
        .unwrap();
    assert_eq!((f.received, f.resolved, f.valid_visits), (1, 1, 0));
    assert_eq!(f.resolve_rate, Some(1.0));
    assert_eq!(
        (
            f.response_rate,
            f.solution_rate,
            f.satisfaction_rate,
            f.composite
        ),
        (None, None, None, None)
    );
    let empty = s
        .figures(&month(2026, 6), &FigureSettings::default())
        .unwrap();
    assert_eq!(empty.received, 0);
    assert_eq!(
        (empty.resolve_rate, empty.within3_rate, empty.avg_days),
        (None, None, None)
    );
}

#[test]
fn a_case_resolved_across_the_new_year_holiday_counts_working_days_only() {
    let (mut s, clock) = store_at(test_now());
    // Wed 30 Dec → Tue 5 Jan: 31 Dec, 4 Jan and 5 Jan are working days; 1–3 Jan are off.
    resolved_case(&mut s, &clock, "2026-12-30 10:00", "2027-01-05 16:00");
    clock.set(calendar::start_of_day(
        chrono::NaiveDate::from_ymd_opt(2027, 1, 6).unwrap(),
    ));
    let q = month(2026, 12);
    let f = s.figures(&q, &FigureSettings::default()).unwrap();
    assert_eq!(f.within3, 1, "{f:?}");
    assert_eq!(f.avg_working_days, Some(3.0));
    assert!((f.avg_days.unwrap() - (6.0 + 6.0 / 24.0)).abs() < 1e-9);
    // Had 1 January been a working day, it would have taken 4.
    s.set_calendar_day("2027-01-01", true).unwrap();
    let f = s.figures(&q, &FigureSettings::default()).unwrap();
    assert_eq!(f.within3, 0);
    assert_eq!(f.avg_working_days, Some(4.0));
}

#[test]
fn an_adjusted_working_saturday_counts_towards_three_days() {
    let (mut s, clock) = store_at(test_now());
    // Fri 13 Feb 2026 → Tue 24 Feb: Sat 14 Feb is a 调休 working day, 15–23 Feb the Spring
    // Festival, 24 Feb working: 2 working days, within 3 — 7 on a weekdays-only calendar.
    resolved_case(&mut s, &clock, "2026-02-13 10:00", "2026-02-24 11:00");
    clock.set(test_now());
    let f = s
        .figures(&month(2026, 2), &FigureSettings::default())
        .unwrap();
    assert_eq!((f.within3, f.avg_working_days), (1, Some(2.0)));
    s.set_calendar_day("2026-02-14", false).unwrap();
    let f = s
        .figures(&month(2026, 2), &FigureSettings::default())
        .unwrap();
    assert_eq!(
        (f.within3, f.avg_working_days),
        (1, Some(1.0)),
        "one working day fewer"
    );
}

#[test]
fn the_dashboard_agrees_with_its_parts_and_settings_travel_as_config() {
    let (mut s, _) = store_at(test_now());
    generate(&mut s, &SampleSpec::community(test_now())).unwrap();
    // Last month: whole, and inside the sample's four months whatever day it is.
    let q = period(last_month(test_now()));
    let d = s.dashboard(&q, Dimension::Week).unwrap();
    assert_eq!(
        d.figures,
        s.figures(&q, &FigureSettings::default()).unwrap()
    );
    let sum = |gs: &[figures::Group]| gs.iter().map(|g| g.figures.received).sum::<u32>();
    assert_eq!(sum(&d.trend), d.figures.received, "weeks add up");
    // One group a week: as many as the ISO weeks the month's days fall in (October 2026, its
    // 1st a Thursday, touches five; February 2027 exactly four).
    let weeks: Vec<&str> = d.trend.iter().map(|g| g.key.as_str()).collect();
    let iso_weeks: std::collections::BTreeSet<_> = {
        use chrono::Datelike;
        let first = calendar::local_date(q.from);
        let last = calendar::local_date(q.to - 1);
        first
            .iter_days()
            .take_while(|day| *day <= last)
            .map(|day| (day.iso_week().year(), day.iso_week().week()))
            .collect()
    };
    assert_eq!(weeks.len(), iso_weeks.len(), "{weeks:?}");
    assert!(weeks.windows(2).all(|w| w[0] < w[1]), "{weeks:?}");
    let by_month = s.dashboard(&q, Dimension::Month).unwrap();
    assert_eq!(by_month.trend.len(), 1);
    // (Grouped by month of receipt: deadlines of the month before's cases are not this one's.)
    let october = &by_month.trend[0].figures;
    assert_eq!(
        (october.received, october.within3, october.valid_visits),
        (
            d.figures.received,
            d.figures.within3,
            d.figures.valid_visits
        )
    );
    assert_eq!(sum(&d.categories), d.figures.received, "categories add up");
    assert_eq!(sum(&d.channels), d.figures.received);
    assert!(d.buildings.len() <= 10 && !d.buildings.is_empty());
    assert!(
        d.buildings
            .windows(2)
            .all(|w| w[0].figures.received >= w[1].figures.received)
    );
    assert!(
        d.ranking
            .ranked
            .iter()
            .chain(&d.ranking.apart)
            .all(|g| !g.key.is_empty())
    );

    // Bad settings are refused and write nothing; good ones are a config event.
    let before = s.stats().unwrap().events;
    let bad = FigureSettings {
        weight_response: 0.5,
        ..FigureSettings::default()
    };
    assert!(matches!(
        s.set_figure_settings(bad),
        Err(Error::Invalid {
            reason: Reason::WeightsSum,
            ..
        })
    ));
    assert_eq!(s.stats().unwrap().events, before);
    let strict = FigureSettings {
        basic_factor: 0.5,
        min_sample: 1,
        ..FigureSettings::default()
    };
    s.set_figure_settings(strict.clone()).unwrap();
    assert_eq!(s.figure_settings().unwrap(), strict);
    let d2 = s.dashboard(&q, Dimension::Week).unwrap();
    assert!(d2.figures.satisfaction_rate <= d.figures.satisfaction_rate);
    assert!(
        d2.ranking.apart.is_empty(),
        "a minimum of 1 ranks every unit"
    );
    // Another replica receiving the event computes with the same settings.
    let (mut other, _) = store_at(test_now());
    let evs: Vec<Event> = s
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.stream == event::CONFIG_STREAM)
        .collect();
    other.apply_remote(&evs).unwrap();
    assert_eq!(other.figure_settings().unwrap(), strict);
    s.rebuild_projections().unwrap();
    assert_eq!(s.figure_settings().unwrap(), strict);
}
