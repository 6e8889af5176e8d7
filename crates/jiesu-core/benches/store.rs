//! Store benchmarks: intake → durable commit, case-list pages and 2-character search at
//! 100k and 1M generated cases. Run with
//! `cargo bench -p jiesu-core --bench store -- --cases 100000 [--dir DIR] [--only-figures]
//! [--only-pull] [--only-generate] [--encrypted] [--reads N]`; `--encrypted` runs the same
//! measures on an encrypted store (SQLCipher, as the app keeps it), in a store of its own
//! (`target/bench-<cases>-encrypted`); `--only-generate` stops once the store exists;
//! results go to docs/BENCHMARKS.md by hand, with the machine and the date.
//!
//! The generated store is kept in `--dir` (default `<workspace>/target/bench-<cases>`) and reused, since
//! generating a million cases takes minutes.

use std::path::PathBuf;
use std::time::Instant;

mod common;
use common::{LOGIN, PASSWORD, first_admin, percentile};
use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;

fn timed(n: usize, mut f: impl FnMut(usize)) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn report(name: &str, mut ms: Vec<f64>) {
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} |",
        ms.len(),
        percentile(&mut ms, 0.5),
        percentile(&mut ms, 0.95),
        percentile(&mut ms, 0.99)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let cases: usize = arg("--cases")
        .map(|s| s.parse().unwrap())
        .unwrap_or(100_000);
    // A fixed "now" so runs are comparable.
    let now = 1_795_395_600_000i64;
    let encrypted = args.iter().any(|a| a == "--encrypted");
    // Runs of each list and search measure: sub-millisecond p95s want more than the default.
    let reads: usize = arg("--reads").map(|s| s.parse().unwrap()).unwrap_or(200);
    let dir = arg("--dir").map(PathBuf::from).unwrap_or_else(|| {
        // cargo runs benches in the crate's folder: keep the store in the workspace target.
        let suffix = if encrypted { "-encrypted" } else { "" };
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../target/bench-{cases}{suffix}"))
    });
    let open_empty = |dir: &std::path::Path| {
        let clock = Box::new(ManualClock::new(now));
        if encrypted {
            Store::open_keyed(dir, clock, store::DbKey::random()).unwrap()
        } else {
            Store::open(dir, clock).unwrap()
        }
    };

    println!("| measure | runs | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|---|");

    let input =
        jiesu_core::sample::parking_complaint("27栋楼下消防通道被私家车长期占用，救护车进不来");
    // 1. Intake → durable commit, on a file with synchronous=FULL, into an empty store.
    {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = open_empty(tmp.path());
        s.set_identity("bench", "基准社区", "bench").unwrap();
        let ms = timed(2000, |_| {
            s.receive(input.clone()).unwrap();
        });
        report("intake → durable commit, empty store", ms);
    }
    // 1b. Signing in: Argon2id verifies the password (the whole of a sign-in's time).
    {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = open_empty(tmp.path());
        s.first_run("基准社区", first_admin(), false).unwrap();
        let ms = timed(20, |_| {
            s.sign_in(LOGIN, PASSWORD).unwrap();
        });
        report("sign-in (Argon2id)", ms);
    }
    // 1c. The first sign-in of an encrypted store, as every start of the app makes it: the
    // keys file unwrapped with the password, the store opened, the account signed in. One
    // Argon2id run since the sign-in checks the credential with the unwrap's stretch.
    {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Store::open(tmp.path(), Box::new(ManualClock::new(now))).unwrap();
        s.create_first_admin("基准社区", first_admin()).unwrap();
        assert!(s.encrypt_now().unwrap());
        drop(s);
        let ms = timed(20, |_| {
            Store::unlock(tmp.path(), Box::new(ManualClock::new(now)), LOGIN, PASSWORD).unwrap();
        });
        report("unlock: the first sign-in of an encrypted store", ms);
    }
    if args.iter().any(|a| a == "--only-intake") {
        return;
    }

    // 2. A store of `cases` generated cases, reused between runs.
    let fresh = !dir.join(store::DB_FILE).exists();
    // `--encrypted --dir DIR` on a plain store (another run's): encrypted in place as the
    // app does it, so a 1M store need not be generated again for the cold-start bench.
    let plain = !fresh && matches!(store::store_file(&dir), Ok(store::StoreFile::Plain));
    let t = Instant::now();
    let mut s = if encrypted && !fresh && !plain {
        Store::unlock(&dir, Box::new(ManualClock::new(now)), LOGIN, PASSWORD).unwrap()
    } else {
        let s = Store::open(&dir, Box::new(ManualClock::new(now))).unwrap();
        // An upgrade may do work on opening (v17 makes every case's search text again).
        eprintln!("opened in {:.1} s", t.elapsed().as_secs_f64());
        s
    };
    if fresh {
        s.set_identity("bench", "基准社区", "bench").unwrap();
        let spec = SampleSpec {
            cases,
            days: 365,
            seed: 7,
            now_ms: now,
            batch: 20_000,
        };
        let r = generate(&mut s, &spec).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let events = s.stats().unwrap().events;
        eprintln!(
            "generated {} cases, {} events in {secs:.0} s ({:.0} events/s)",
            r.cases,
            events,
            f64::from(events) / secs
        );
    }
    if encrypted && (fresh || plain) {
        // Encrypted as the app does it: once its administrator exists.
        s.create_first_admin("基准社区", first_admin()).unwrap();
        let t = Instant::now();
        assert!(s.encrypt_now().unwrap());
        eprintln!("encrypted in place in {:.1} s", t.elapsed().as_secs_f64());
    }
    let stats = s.stats().unwrap();
    eprintln!("store: {} cases, {} events", stats.cases, stats.events);
    // The store for another bench (the window's cold start: benches/coldstart.mjs), untouched.
    if args.iter().any(|a| a == "--only-generate") {
        return;
    }

    if args.iter().any(|a| a == "--only-pull") {
        bulk_pull(&s, now);
        return;
    }

    // 3. The monthly dashboard (issue 5): figures, trend, categories, unit ranking, hotspots,
    // channels and offices of one full month, and one drill-down page.
    {
        let month =
            |y, m| calendar::start_of_day(chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap());
        let q = figures::FigureQuery {
            from: month(2026, 10),
            to: month(2026, 11),
            ..Default::default()
        };
        let d = s.dashboard(&q, figures::Dimension::Week).unwrap();
        eprintln!(
            "October: {} received, {} units ranked",
            d.figures.received,
            d.ranking.ranked.len()
        );
        report(
            &format!(
                "monthly dashboard ({} received), {} cases",
                d.figures.received, stats.cases
            ),
            timed(20, |_| {
                s.dashboard(&q, figures::Dimension::Week).unwrap();
            }),
        );
        // The change beside each card (环比): September read on its own call, after the
        // dashboard has painted.
        report(
            &format!("earlier period (September, 环比), {} cases", stats.cases),
            timed(20, |_| {
                s.earlier_figures(&q).unwrap();
            }),
        );
        report(
            &format!("drill-down page, 50 rows, {} cases", stats.cases),
            timed(20, |_| {
                s.figure_cases(&q, figures::Figure::OverdueInPeriod, None, 0, 50)
                    .unwrap();
            }),
        );
    }
    if args.iter().any(|a| a == "--only-figures") {
        return;
    }

    let pages = |q: CaseQuery| {
        move |i: usize| CaseQuery {
            page: (i % 20) as u32,
            ..q.clone()
        }
    };
    let handling = pages(CaseQuery {
        states: vec![CaseState::Handling, CaseState::Dispatched],
        sort: CaseSort::DueAsc,
        page_size: 50,
        ..Default::default()
    });
    report(
        &format!(
            "list page, 50 rows, state filter + due sort, {} cases",
            stats.cases
        ),
        timed(reads, |i| {
            s.list_cases(&handling(i)).unwrap();
        }),
    );
    let parking = pages(CaseQuery {
        category: Some("parking".into()),
        page_size: 50,
        ..Default::default()
    });
    report(
        &format!(
            "list page, 50 rows, category filter + received sort, {} cases",
            stats.cases
        ),
        timed(reads, |i| {
            s.list_cases(&parking(i)).unwrap();
        }),
    );
    let search = |label: &str, words: &[&str]| {
        report(
            &format!(
                "search, {label} word, first page + total, {} cases",
                stats.cases
            ),
            timed(reads, |i| {
                let q = CaseQuery {
                    text: words[i % words.len()].into(),
                    page_size: 50,
                    ..Default::default()
                };
                s.list_cases(&q).unwrap();
            }),
        )
    };
    search(
        "2-character",
        &[
            "停车", "漏水", "噪音", "电梯", "路灯", "垃圾", "车位", "入学",
        ],
    );
    search("1-character", &["水", "车", "灯", "梯"]);
    search("3-character", &["消防栓", "僵尸车", "上学难", "窨井盖"]);
    // Issue 21: another spelling of a building, and a phone tail kept to phones.
    search("building-spelling", &["27号楼", "15幢", "8座", "33#楼"]);
    search(
        "field",
        &["电话:1234", "电话:8000", "编号:0001", "地址:3单元"],
    );
    // Likely duplicates as a secretary types (issue 19): drafts naming a building, one with
    // the resident's phone.
    let drafts: Vec<similar::Draft> = [
        "27号楼下消防通道又被私家车占了",
        "15栋楼下没有电动车充电桩，只能飞线充电",
        "8栋顶楼屋顶漏水，墙面发霉",
        "33栋2单元电梯又坏了",
    ]
    .iter()
    .enumerate()
    .map(|(i, d)| similar::Draft {
        description: (*d).to_owned(),
        phone: if i == 0 {
            "13900000002".into()
        } else {
            String::new()
        },
        ..Default::default()
    })
    .collect();
    let found: usize = drafts
        .iter()
        .map(|d| s.similar_cases(d).unwrap().len())
        .sum();
    report(
        &format!(
            "likely duplicates while typing ({found} suggested for 4 drafts), {} cases",
            stats.cases
        ),
        timed(reads, |i| {
            s.similar_cases(&drafts[i % drafts.len()]).unwrap();
        }),
    );
    // 同类问题 as the window asks it (the last 90 days): the rows read from the store and
    // grouped; `benches/clusters.rs` times the grouping alone at a street's size.
    let found = s.clusters(90).unwrap();
    report(
        &format!(
            "clusters, 90 days ({} groups), {} cases",
            found.len(),
            stats.cases
        ),
        timed(10, |_| {
            s.clusters(90).unwrap();
        }),
    );
    // Last, because it adds cases to the stored benchmark data: intake where every index
    // is deep (each run adds 500 cases to the store).
    report(
        &format!("intake → durable commit, store of {} cases", stats.cases),
        timed(500, |_| {
            s.receive(input.clone()).unwrap();
        }),
    );
}

/// A first sync's store side (issue 3): every event of the generated store, in batches of
/// `BULK_APPLY_EVENTS` (the sync task joins the server's pages that arrived while the store
/// was busy, up to that many: a busy store always finds them there), stored by
/// `apply_pull_bulk` into a fresh store on a file, then folded by `settle`. The pages are read before the clock starts, so
/// this measures the receiving store alone; the server bench measures the whole round.
fn bulk_pull(source: &Store, now: i64) {
    use jiesu_core::store::BULK_APPLY_EVENTS;
    use jiesu_core::wire::{PullResponse, Pulled};
    let mut pages = Vec::new();
    let mut after = 0;
    // The pages carry the source device's key, as the server's do: the receiving store
    // verifies every signature it is given a key for.
    let keys: std::collections::BTreeMap<String, String> = [(
        source.identity().device.clone(),
        source.device_public_key().unwrap(),
    )]
    .into();
    loop {
        let rows = source
            .events_after(after, BULK_APPLY_EVENTS as u32)
            .unwrap();
        let Some(&(last, _)) = rows.last() else { break };
        pages.push(PullResponse {
            events: rows
                .into_iter()
                .map(|(seq, event)| Pulled {
                    received_ms: event.hlc.wall_ms,
                    seq,
                    event,
                })
                .collect(),
            next: last,
            more: true,
            remaining: 0,
            server_time: now,
            keys: keys.clone(),
        });
        after = last;
    }
    let events: usize = pages.iter().map(|p| p.events.len()).sum();
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Store::open(tmp.path(), Box::new(ManualClock::new(now))).unwrap();
    let t = Instant::now();
    for page in &pages {
        s.apply_pull_bulk(page).unwrap();
    }
    let stored = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let streams = s.settle().unwrap();
    let settled = t.elapsed().as_secs_f64();
    let total = stored + settled;
    println!(
        "| first sync, receiving store: {events} events, {streams} streams | store {stored:.1} s | settle {settled:.1} s | {:.0} events/s |",
        events as f64 / total
    );
    assert_eq!(s.stats().unwrap().cases, source.stats().unwrap().cases);
}
