//! Figures across the office line, on both backends: a street's figures are the sum of its
//! communities' as each computes them, a district's the sum of its streets', with cases
//! transferred among the communities counted once, under the office holding them.

use jiesu_core::figures::{Dimension, Figure, FigureQuery, FigureSettings, Figures, VisitRule};
use jiesu_core::{CaseCommand, CaseState};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::common::*;

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
    let communities = [&a, &b, &c];
    let everyone = [&a, &b, &c, &street, &district];
    let mut rng = SmallRng::seed_from_u64(17);

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
        for app in everyone {
            app.sync().await;
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
    let q = FigureQuery {
        from: now - 30 * 86_400_000,
        to: now + 86_400_000,
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
