//! Figures across the office line, on both backends: a street's figures are the sum of its
//! communities' as each computes them, a district's the sum of its streets', with cases
//! transferred among the communities counted once, under the office holding them; and every
//! figure at every level equals the independent SQL reference of the core's tests, over a data
//! set with a PC seven years behind filing offline, transfers, and a redo with two visits.

use jiesu_core::figures::{Dimension, Figure, FigureQuery, FigureSettings, Figures, VisitRule};
use jiesu_core::{CaseCommand, CaseState};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::common::*;

#[path = "../../../jiesu-core/tests/it/reference.rs"]
#[allow(dead_code)]
mod reference;

/// Every figure of `app`'s store against the SQL reference over its own documents, with
/// `offices` the communities its level sees.
fn matches_reference(app: &App, offices: &[&str], q: &FigureQuery, rule: VisitRule, ctx: &str) {
    let st = app.store();
    let settings = FigureSettings {
        visit_rule: rule,
        ..FigureSettings::default()
    };
    let rust = st.figures(q, &settings).unwrap();
    // The working days around the apps' clocks and around the server's receipts (the server
    // runs on the machine's clock, which may be far from the apps').
    reference::workdays(&st, st.now_ms());
    reference::workdays(&st, q.to);
    let list = offices
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = reference::reference_by(
        st.connection(),
        q.from,
        q.to,
        st.now_ms(),
        &format!("json_extract(doc, '$.office') IN ({list})"),
        rule,
        0.9,
        [0.1, 0.5, 0.4],
    );
    reference::assert_figures_eq(&rust, &sql, ctx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streets_figures_are_the_sum_of_its_communities_with_transfers_sqlite() {
    the_street_is_the_sum_of_its_communities(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streets_figures_are_the_sum_of_its_communities_with_transfers_postgres() {
    the_street_is_the_sum_of_its_communities(Backend::Postgres).await
}

/// Every count of a figures set, for adding up (rates and means are not sums).
fn counts(f: &Figures) -> [u32; 20] {
    [
        f.received,
        f.resolved,
        f.within3,
        f.within3_pending,
        f.overdue_now,
        f.overdue_in_period,
        f.extensions,
        f.redos,
        f.valid_visits,
        f.contacted,
        f.solved,
        f.satisfied,
        f.basically_satisfied,
        f.dissatisfied,
        f.letters,
        f.letters_fulfilled,
        f.letters_broken,
        f.responded,
        f.responded_on_time,
        f.response_pending,
    ]
}

fn add(a: [u32; 20], b: [u32; 20]) -> [u32; 20] {
    std::array::from_fn(|i| a[i] + b[i])
}

async fn the_street_is_the_sum_of_its_communities(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    // Communities a and b of street s1, c of street s2; the street s1 and the district d.
    // Clocks three weeks behind the server's, so two weeks of work never runs ahead of it
    // (a clock ahead is refused: `clock_ahead`).
    let behind = -21 * 86_400_000;
    let a = App::enrol(&server, "a", behind).await;
    let b = App::enrol(&server, "b", behind).await;
    let c = App::enrol(&server, "c", behind).await;
    let street = App::enrol(&server, "s1", behind).await;
    let district = App::enrol(&server, "d", behind).await;
    // A second PC of community a, its clock seven years behind, used on its own before it
    // enrols: two cases filed, one resolved and visited, all stamped in 2019.
    let years7 = 7 * 365 * 86_400_000;
    let old_clock = jiesu_core::ManualClock::new(test_now() + behind - years7);
    let mut old_store = jiesu_core::Store::open_in_memory(Box::new(old_clock.clone())).unwrap();
    old_store
        .set_identity(jiesu_core::wire::UNENROLLED_OFFICE, "", "旧电脑")
        .unwrap();
    let offline: Vec<_> = (0..2)
        .map(|i| {
            old_store
                .receive(parking(&format!("断网时登记 {i}")))
                .unwrap()
                .id
        })
        .collect();
    old_clock.advance(3_600_000);
    old_store
        .act(
            offline[0],
            CaseCommand::ResolveOnSpot {
                result: "当场协调".into(),
            },
        )
        .unwrap();
    old_store
        .act(
            offline[0],
            CaseCommand::Visit {
                reachable: true,
                contacted: true,
                solved: true,
                satisfaction: Some(jiesu_core::Satisfaction::Satisfied),
                note: String::new(),
            },
        )
        .unwrap();
    let mut old_store = Some(old_store);
    let mut old_pc: Option<App> = None;
    let communities = [&a, &b, &c];
    let everyone = [&a, &b, &c, &street, &district];
    let mut rng = SmallRng::seed_from_u64(17);
    // Resolved, visited 不满意, redone, resolved again and visited 满意: two visits.
    let redone = {
        let mut st = b.store();
        let id = st.receive(parking("重办两次回访")).unwrap().id;
        let visit = |ok: bool| CaseCommand::Visit {
            reachable: true,
            contacted: true,
            solved: ok,
            satisfaction: Some(if ok {
                jiesu_core::Satisfaction::Satisfied
            } else {
                jiesu_core::Satisfaction::Dissatisfied
            }),
            note: String::new(),
        };
        let resolve = || CaseCommand::ResolveOnSpot {
            result: "已处理".into(),
        };
        st.act(id, resolve()).unwrap();
        st.act(id, visit(false)).unwrap();
        st.act(
            id,
            CaseCommand::Redo {
                reason: "居民不满意".into(),
                due: None,
            },
        )
        .unwrap();
        // Redone, the case is back in hand: resolved as any other.
        st.act(
            id,
            CaseCommand::Resolve {
                outcome: jiesu_core::Outcome::Solved,
                result: "重新处理完毕".into(),
            },
        )
        .unwrap();
        st.act(id, visit(true)).unwrap();
        id
    };

    // Two weeks of work: intakes, steps of every kind (visits, redos, letters, extensions),
    // all clocks moving together so every office judges at the same "now".
    for round in 0..14 {
        for app in communities {
            let mut st = app.store();
            for _ in 0..3 {
                st.receive(parking(
                    ["停车难", "楼道漏水", "噪音扰民"][rng.random_range(0..3)],
                ))
                .unwrap();
            }
            for _ in 0..12 {
                let cases: Vec<_> = st
                    .all_cases()
                    .unwrap()
                    .into_iter()
                    .filter(|c| c.office == st.identity().office)
                    .collect();
                let case = &cases[rng.random_range(0..cases.len())];
                let cmd = jiesu_core::sample::random_command(&mut rng, &st, case);
                // Transfers are made below, between siblings only.
                if !matches!(cmd, CaseCommand::TransferOffice { .. }) {
                    let _ = st.act(case.id, cmd);
                }
            }
        }
        // Every few days a case changes community, both ways.
        if round % 3 == 1 {
            for (from, to) in [(&a, "b"), (&b, "a")] {
                let mut st = from.store();
                let open =
                    st.all_cases().unwrap().into_iter().find(|c| {
                        c.office == st.identity().office && c.state == CaseState::Received
                    });
                if let Some(case) = open {
                    st.act(
                        case.id,
                        CaseCommand::TransferOffice {
                            office: to.into(),
                            reason: "属邻近社区辖区".into(),
                        },
                    )
                    .unwrap();
                }
            }
        }
        if round == 6 {
            // The old PC enrols into community a and sends its 2019 work; from then on its
            // clock is the corrected one.
            let old =
                App::enrol_store(&server, "a", old_store.take().unwrap(), old_clock.clone()).await;
            old.sync().await;
            old_pc = Some(old);
        }
        for app in everyone {
            app.sync().await;
        }
        if round == 7 {
            // Mid-way, with cases not yet due at the period's end, at every level.
            let now = a.store().now_ms();
            let q = FigureQuery {
                from: now - 30 * 86_400_000,
                to: now - 86_400_000,
                ..Default::default()
            };
            for (app, offices) in [
                (&a, &["a"][..]),
                (&street, &["a", "b"]),
                (&district, &["a", "b", "c"]),
            ] {
                matches_reference(
                    app,
                    offices,
                    &q,
                    VisitRule::Last,
                    &format!("{backend:?}, mid-way"),
                );
            }
        }
        let hours = rng.random_range(12..36);
        for app in everyone {
            app.clock.advance(hours * 3_600_000);
        }
    }
    for _ in 0..2 {
        for app in everyone {
            app.sync().await;
        }
    }

    let now = a.store().now_ms();
    for app in everyone {
        assert_eq!(app.store().now_ms(), now, "one now for every office");
    }
    // The old PC's cases count from the server's receipt (the server's clock runs three weeks
    // ahead of the apps' here): the period reaches past it.
    let receipts: Vec<i64> = offline
        .iter()
        .map(|id| street.store().case(*id).unwrap().received_at)
        .collect();
    for r in &receipts {
        assert!(
            *r > now - 86_400_000,
            "counted from its receipt, not 2019: {r}"
        );
    }
    let q = FigureQuery {
        from: now - 30 * 86_400_000,
        to: receipts.iter().max().unwrap() + 86_400_000,
        ..Default::default()
    };
    for rule in [VisitRule::Last, VisitRule::First, VisitRule::Every] {
        let settings = FigureSettings {
            visit_rule: rule,
            ..FigureSettings::default()
        };
        let own = |app: &App| app.store().figures(&q, &settings).unwrap();
        let (fa, fb, fc) = (own(&a), own(&b), own(&c));
        let at_street = own(&street);
        let at_district = own(&district);
        let ctx = format!("{backend:?}, {rule:?}");
        assert!(fa.received > 20 && fb.received > 20, "{ctx}: {fa:?}");
        assert_eq!(
            counts(&at_street),
            add(counts(&fa), counts(&fb)),
            "{ctx}: the street is its two communities"
        );
        assert_eq!(
            counts(&at_district),
            add(counts(&at_street), counts(&fc)),
            "{ctx}: the district is its two streets"
        );
        for (app, offices) in [
            (&a, &["a"][..]),
            (&b, &["b"]),
            (&c, &["c"]),
            (&street, &["a", "b"]),
            (&district, &["a", "b", "c"]),
        ] {
            matches_reference(app, offices, &q, rule, &ctx);
        }
        // The street's breakdown by office gives each community exactly its own figures,
        // rates included.
        let by_office = street
            .store()
            .figures_by(&q, Dimension::Office, &settings)
            .unwrap();
        for (office, theirs) in [("a", &fa), ("b", &fb)] {
            let group = by_office.iter().find(|g| g.key == office);
            assert_eq!(group.map(|g| &g.figures), Some(theirs), "{ctx}: {office}");
        }
    }

    // The data set holds what it is meant to: the redo's two visits reached the district,
    // and the 2019 cases are a's (or b's, when a transfer took one there).
    assert_eq!(district.store().case(redone).unwrap().visits.len(), 2);
    for id in &offline {
        let office = district.store().case(*id).unwrap().office;
        assert!(office == "a" || office == "b", "{office}");
    }
    drop(old_pc);

    // Transfers happened, and each transferred case is counted once: at its holder.
    let held_by_street = street.store().all_cases().unwrap();
    let transferred: Vec<_> = held_by_street
        .into_iter()
        .filter(|c| {
            !matches!(c.state, CaseState::Withdrawn | CaseState::Merged)
                && street
                    .store()
                    .case_detail(c.id)
                    .unwrap()
                    .timeline
                    .iter()
                    .any(|t| t.event.body.kind() == "case_transferred_to_office")
        })
        .collect();
    assert!(transferred.len() >= 2, "{} transfers", transferred.len());
    let listed = |app: &App| -> Vec<uuid::Uuid> {
        app.store()
            .figure_cases(&q, Figure::Received, None, 0, 0)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let (at_a, at_b, at_street) = (listed(&a), listed(&b), listed(&street));
    for case in &transferred {
        let n = |ids: &[uuid::Uuid]| ids.iter().filter(|id| **id == case.id).count();
        let want = if case.office == "a" { (1, 0) } else { (0, 1) };
        assert_eq!(
            (n(&at_a), n(&at_b)),
            want,
            "{} held by {}",
            case.number,
            case.office
        );
        assert_eq!(n(&at_street), 1, "{}", case.number);
    }
    server.stop().await;
}
