//! An opening after an upgrade tells the window each step of the work it does, as it goes;
//! a store that gave back its caches at rest answers as before.

use std::sync::{Arc, Mutex};

use jiesu_core::figures::{Dimension, FigureQuery};
use jiesu_core::store::{MIGRATIONS, Opening, OpeningProgress, OpeningStep};
use jiesu_core::*;

use super::common::*;
use super::migrations::store_stopped_at;

/// Open the store in `dir`, returning what the opening told.
fn open_told(dir: &std::path::Path) -> (Store, Vec<OpeningProgress>) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let opening = Opening::watched({
        let told = told.clone();
        move |p| told.lock().unwrap().push(p)
    });
    let s = Store::open_watched(dir, Box::new(ManualClock::new(test_now())), &opening).unwrap();
    let told = told.lock().unwrap().clone();
    (s, told)
}

#[test]
fn an_upgrade_tells_every_step_in_order_and_counts_the_rows_it_rewrites() {
    let (mut src, _, src_dir) = file_store_at(test_now());
    jiesu_core::sample::generate(
        &mut src,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    let cases = src.all_cases().unwrap();
    drop(src);
    let from = 21;
    let dir = store_stopped_at(from, src_dir.path(), "");
    let (s, told) = open_told(dir.path());
    assert_eq!(s.all_cases().unwrap(), cases);

    let steps: Vec<OpeningStep> = told.iter().map(|p| p.step).collect();
    assert!(steps.is_sorted(), "steps told out of order: {steps:?}");
    // One word for each version applied, before it runs.
    let upgrades = MIGRATIONS.len() - from;
    let migrating: Vec<(u64, u64)> = told
        .iter()
        .filter(|p| p.step == OpeningStep::Migrating)
        .map(|p| (p.done, p.total))
        .collect();
    let want: Vec<(u64, u64)> = (0..upgrades as u64).map(|d| (d, upgrades as u64)).collect();
    assert_eq!(migrating, want);
    // The rows rewritten counted up to every case held, never past it.
    let rewriting: Vec<&OpeningProgress> = told
        .iter()
        .filter(|p| p.step == OpeningStep::RewritingCases)
        .collect();
    assert!(rewriting.len() >= 2, "{rewriting:?}");
    assert!(
        rewriting.iter().all(|p| p.total == cases.len() as u64),
        "{} cases: {rewriting:?}",
        cases.len()
    );
    assert!(rewriting.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(rewriting.last().unwrap().done, cases.len() as u64);
    // v22's account history is rebuilt; the file is packed last.
    assert!(steps.contains(&OpeningStep::Indexing), "{steps:?}");
    assert_eq!(steps.last(), Some(&OpeningStep::Compacting));
    drop(s);

    // The work is done once: the next opening has nothing to tell.
    let (s, told) = open_told(dir.path());
    assert_eq!(told, vec![]);
    assert_eq!(s.all_cases().unwrap(), cases);
}

#[test]
fn an_interrupted_first_sync_tells_how_many_streams_it_folds() {
    // A bulk pull stored and not yet settled when the app closed: the next opening folds it.
    let (mut src, _, dir) = file_store_at(test_now());
    let c = src.receive(parking_case("楼道漏水")).unwrap();
    src.connection()
        .execute(
            "INSERT INTO dirty_streams (stream) SELECT id FROM cases",
            [],
        )
        .unwrap();
    let streams: i64 = src
        .connection()
        .query_row("SELECT count(*) FROM dirty_streams", [], |r| r.get(0))
        .unwrap();
    drop(src);
    let (s, told) = open_told(dir.path());
    assert_eq!(
        told,
        vec![OpeningProgress {
            step: OpeningStep::Folding,
            done: 0,
            total: streams as u64,
        }]
    );
    assert_eq!(s.case(c.id).unwrap(), c);
}

#[test]
fn a_store_that_gave_back_its_caches_answers_as_before() {
    let (mut s, _, _dir) = file_store_at(test_now());
    jiesu_core::sample::generate(
        &mut s,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    let (from, to) = month_of(test_now());
    let q = FigureQuery {
        from,
        to,
        ..Default::default()
    };
    // Both connections warm: the list on the writer's, the dashboard on the reader's.
    let page = s.list_cases(&CaseQuery::default()).unwrap();
    let dashboard = s.dashboard(&q, Dimension::Week).unwrap();
    assert!(page.total > 0 && dashboard.figures.received > 0);

    s.release_memory().unwrap();
    assert_eq!(s.list_cases(&CaseQuery::default()).unwrap(), page);
    assert_eq!(s.dashboard(&q, Dimension::Week).unwrap(), dashboard);
    // And it still writes: the rest left no statement or transaction behind.
    s.release_memory().unwrap();
    s.receive(parking_case("楼道口常年停车")).unwrap();
    assert_eq!(s.case_count().unwrap(), page.total + 1);
}
