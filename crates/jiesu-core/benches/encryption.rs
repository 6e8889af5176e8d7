//! Encryption's cost, measured the way this VM allows (issue 18): one process holds a plain
//! store and an encrypted one with the same cases and the same account, and alternates
//! single operations between them — intake → durable commit, list pages, search — so both
//! sides meet the same disk and the same neighbours. Separate runs an hour apart drift
//! more than encryption costs; interleaved, the ratio is the encryption's. Run with
//! `cargo bench -p jiesu-core --bench encryption -- --cases 100000 --dir DIR [--runs N]`;
//! results go to docs/BENCHMARKS.md by hand, with the machine and the date.
//!
//! `DIR/plain` is generated once (seed 7, the store bench's data) and `DIR/encrypted` is
//! its copy encrypted in place as the app does it; both are reused, and both grow by the
//! intakes each run adds.

use std::path::Path;
use std::time::Instant;

mod common;
use common::{LOGIN, PASSWORD, first_admin, percentile};
use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;

const NOW: i64 = 1_795_395_600_000;

fn clock() -> Box<ManualClock> {
    Box::new(ManualClock::new(NOW))
}

/// The plain store, generated (with its administrator) when missing.
fn plain(dir: &Path, cases: usize) -> Store {
    let fresh = !dir.join(store::DB_FILE).exists();
    let mut s = Store::open(dir, clock()).unwrap();
    if fresh {
        let t = Instant::now();
        s.set_identity("bench", "基准社区", "基准").unwrap();
        let spec = SampleSpec {
            cases,
            days: 365,
            seed: 7,
            now_ms: NOW,
            batch: 20_000,
        };
        generate(&mut s, &spec).unwrap();
        s.create_first_admin("基准社区", first_admin()).unwrap();
        eprintln!("generated in {:.0} s", t.elapsed().as_secs_f64());
    } else {
        s.sign_in(LOGIN, PASSWORD).unwrap();
    }
    s
}

/// The encrypted copy of `plain_dir`'s store, made when missing.
fn encrypted(plain_dir: &Path, dir: &Path) -> Store {
    if !dir.join(store::DB_FILE).exists() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::copy(plain_dir.join(store::DB_FILE), dir.join(store::DB_FILE)).unwrap();
        let mut s = Store::open(dir, clock()).unwrap();
        s.sign_in(LOGIN, PASSWORD).unwrap();
        let t = Instant::now();
        assert!(s.encrypt_now().unwrap());
        eprintln!("encrypted in place in {:.1} s", t.elapsed().as_secs_f64());
    }
    assert_eq!(store::store_file(dir).unwrap(), store::StoreFile::Encrypted);
    Store::unlock(dir, clock(), LOGIN, PASSWORD).unwrap()
}

/// `runs` of `op` on each store, alternating which goes first, timed one by one.
fn interleaved(
    stores: &mut [Store; 2],
    runs: usize,
    mut op: impl FnMut(&mut Store, usize),
) -> [Vec<f64>; 2] {
    let mut ms = [Vec::with_capacity(runs), Vec::with_capacity(runs)];
    for i in 0..runs {
        for side in [i % 2, 1 - i % 2] {
            let t = Instant::now();
            op(&mut stores[side], i);
            ms[side].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    ms
}

fn report(name: &str, [mut plain, mut enc]: [Vec<f64>; 2]) {
    let mut cells = Vec::new();
    let mut ratios = Vec::new();
    for p in [0.5, 0.95, 0.99] {
        let (a, b) = (percentile(&mut plain, p), percentile(&mut enc, p));
        cells.push(format!("{a:.2} / {b:.2}"));
        ratios.push(format!("{:.2}×", b / a));
    }
    println!(
        "| {name} | {} | {} | {} |",
        plain.len(),
        cells.join(" | "),
        ratios.join(" / ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let cases: usize = arg("--cases").map_or(100_000, |s| s.parse().unwrap());
    let runs: usize = arg("--runs").map_or(2_000, |s| s.parse().unwrap());
    let dir = std::path::PathBuf::from(arg("--dir").expect("--dir DIR: where the stores live"));
    // Generated and closed (its WAL folded in) before the copy is taken.
    drop(plain(&dir.join("plain"), cases));
    let mut stores = [
        plain(&dir.join("plain"), cases),
        encrypted(&dir.join("plain"), &dir.join("encrypted")),
    ];
    let n = stores[0].stats().unwrap().cases;
    assert_eq!(
        n,
        stores[1].stats().unwrap().cases,
        "the same cases on both sides"
    );

    println!(
        "| measure ({n} cases) | runs | p50 plain / encrypted ms | p95 | p99 | encrypted ÷ plain (p50 / p95 / p99) |"
    );
    println!("|---|---|---|---|---|---|");
    let input =
        jiesu_core::sample::parking_complaint("27栋楼下消防通道被私家车长期占用，救护车进不来");
    report(
        "intake → durable commit",
        interleaved(&mut stores, runs, |s, _| {
            s.receive(input.clone()).unwrap();
        }),
    );
    let page = |i: usize, q: &CaseQuery| CaseQuery {
        page: (i % 20) as u32,
        ..q.clone()
    };
    let handling = CaseQuery {
        states: vec![CaseState::Handling, CaseState::Dispatched],
        sort: CaseSort::DueAsc,
        page_size: 50,
        ..Default::default()
    };
    report(
        "list page, 50 rows, state filter + due sort",
        interleaved(&mut stores, runs, |s, i| {
            s.list_cases(&page(i, &handling)).unwrap();
        }),
    );
    let parking = CaseQuery {
        category: Some("parking".into()),
        page_size: 50,
        ..Default::default()
    };
    report(
        "list page, 50 rows, category filter + received sort",
        interleaved(&mut stores, runs, |s, i| {
            s.list_cases(&page(i, &parking)).unwrap();
        }),
    );
    let words = [
        "停车", "漏水", "噪音", "电梯", "路灯", "垃圾", "车位", "入学",
    ];
    report(
        "search, 2-character word, first page + total",
        interleaved(&mut stores, runs, |s, i| {
            let q = CaseQuery {
                text: words[i % words.len()].into(),
                page_size: 50,
                ..Default::default()
            };
            s.list_cases(&q).unwrap();
        }),
    );
}
