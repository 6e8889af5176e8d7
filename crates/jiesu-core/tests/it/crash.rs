//! Durability: a writer killed with SIGKILL at random moments loses nothing it acknowledged,
//! and its store is whole after every kill.
//!
//! The test binary re-runs itself as the writer (`writer_child`, ignored in normal runs) in
//! one of three moments a PC lives through: daily work (intake and a step, each committed
//! alone), a first sync (bulk pull pages, then the settle that folds them), and a migration
//! (opening a store written by an earlier version). The parent reads what the writer
//! acknowledges (printed after each commit), kills it after a random delay, and checks, after
//! every kill: `PRAGMA integrity_check` is ok, every acknowledged event is there (all of an old
//! store's events after a migration), and the projections equal a rebuild from the log.
//!
//! CI runs 30 kills. The soak (results in docs/BENCHMARKS.md, "Reliability"):
//! `JIESU_CRASH_KILLS=1000 JIESU_CRASH_OLD_OPS=3000 cargo test --release -p jiesu-core
//! --test integration killed_writers -- --nocapture`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiesu_core::store::{self, DB_FILE, MIGRATIONS, StoreFile};
use jiesu_core::wire::{PullResponse, Pulled};
use jiesu_core::*;
use rand::Rng;
use rusqlite_migration::{M, Migrations};

use super::common::*;

const DIR_VAR: &str = "JIESU_CRASH_DIR";
const MOMENT_VAR: &str = "JIESU_CRASH_MOMENT";
const SEED_VAR: &str = "JIESU_CRASH_SEED";

fn env_num(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Moment {
    Work,
    FirstSync,
    Migration,
    Encryption,
}

#[test]
#[ignore = "run by killed_writers_lose_nothing_acknowledged as its child process"]
fn writer_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return;
    };
    let dir = Path::new(&dir);
    let moment = std::env::var(MOMENT_VAR).unwrap();
    let mut s = Store::open(dir, Box::new(SystemClock)).unwrap();
    println!("opened");
    if moment == "migration" {
        return;
    }
    if moment == "encryption" {
        assert!(s.encrypt_now().unwrap());
        println!("encrypted");
        return;
    }
    s.set_identity("office-a", "和美社区", "crash").unwrap();
    let mut r = rng(env_num(SEED_VAR, 1));
    if moment == "work" {
        for i in 0u64.. {
            let case = s.receive(parking_case(&format!("停车难 {i}"))).unwrap();
            println!("case {}", case.id);
            s.act(
                case.id,
                CaseCommand::Dispatch {
                    unit: "property".into(),
                    note: "x".repeat((i % 500) as usize),
                },
            )
            .unwrap();
            println!("dispatched {}", case.id);
        }
    }
    // A first sync: another PC of the office has worked; its log arrives in pages, stored
    // unfolded, then folded in one settle; again, as the next pull brings more.
    loop {
        let (mut other, clock) = store_at(test_now() - 200 * 86_400_000);
        random_workload(&mut r, &mut other, &clock, 150);
        let events = other.events_after(0, u32::MAX).unwrap();
        for page in events.chunks(50) {
            let cursor = s.pull_cursor().unwrap();
            let page = PullResponse {
                events: page
                    .iter()
                    .enumerate()
                    .map(|(i, (_, e))| Pulled {
                        event: e.clone(),
                        seq: cursor + i as i64 + 1,
                        received_ms: test_now(),
                    })
                    .collect(),
                next: cursor + page.len() as i64,
                more: true,
                remaining: 0,
                server_time: test_now(),
                keys: Default::default(),
            };
            s.apply_pull_bulk(&page).unwrap();
            let ids: Vec<String> = page.events.iter().map(|p| p.event.id.to_string()).collect();
            println!("event {}", ids.join(" "));
        }
        println!("settling");
        s.settle().unwrap();
        println!("settled");
    }
}

/// What the writer said it had committed before it died.
#[derive(Default)]
struct Acknowledged {
    events: HashSet<uuid::Uuid>,
    cases: Vec<uuid::Uuid>,
    dispatched: Vec<uuid::Uuid>,
    lines: usize,
    /// The last thing it said.
    last: String,
}

fn run_and_kill(dir: &Path, moment: Moment, seed: u64, kill_after: Duration) -> Acknowledged {
    let name = match moment {
        Moment::Work => "work",
        Moment::FirstSync => "first_sync",
        Moment::Migration => "migration",
        Moment::Encryption => "encryption",
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "it::crash::writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(MOMENT_VAR, name)
        .env(SEED_VAR, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(|l| l.ok())
            .collect::<Vec<_>>()
    });
    let start = Instant::now();
    while start.elapsed() < kill_after {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL on Unix
    child.wait().unwrap();
    let mut ack = Acknowledged::default();
    for line in reader.join().unwrap() {
        ack.lines += 1;
        ack.last = line.split(' ').next().unwrap_or("").to_owned();
        let (what, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let ids = rest.split(' ').filter_map(|w| w.parse::<uuid::Uuid>().ok());
        match what {
            "event" => ack.events.extend(ids),
            "case" => ack.cases.extend(ids),
            "dispatched" => ack.dispatched.extend(ids),
            _ => {}
        }
    }
    ack
}

/// What a store's projections must be after a kill.
enum Projections<'a> {
    /// Those of its log: a rebuild changes nothing.
    OfTheLog,
    /// Those the same store has when nothing kills it (an old store, whose projections its
    /// earlier version wrote, migrated).
    Uninterrupted(&'a (Vec<Case>, Vec<Meeting>)),
}

/// The store in `dir` after a kill: whole, at the latest schema, holding `events` (and the
/// acknowledged cases and steps), its projections as they must be. Returns how many events
/// it holds.
fn check(
    dir: &Path,
    events: &HashSet<uuid::Uuid>,
    ack: &Acknowledged,
    expect: Projections<'_>,
    what: &str,
) -> usize {
    let mut s = Store::open(dir, Box::new(ManualClock::new(test_now()))).unwrap();
    let version: i64 = s
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, MIGRATIONS.len(), "{what}");
    let ok: String = s
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "{what}");
    let held: HashSet<uuid::Uuid> = s
        .event_ids()
        .unwrap()
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    let lost: Vec<_> = events.difference(&held).collect();
    assert!(
        lost.is_empty(),
        "{what}: acknowledged events lost: {lost:?}"
    );
    for id in &ack.cases {
        s.case(*id)
            .unwrap_or_else(|e| panic!("{what}: acknowledged case {id} lost: {e}"));
    }
    for id in &ack.dispatched {
        assert_eq!(
            s.case(*id).unwrap().state,
            CaseState::Dispatched,
            "{what}: acknowledged dispatch of {id} lost"
        );
    }
    let now = (s.all_cases().unwrap(), s.all_meetings().unwrap());
    match expect {
        Projections::OfTheLog => {
            s.rebuild_projections().unwrap();
            let rebuilt = (s.all_cases().unwrap(), s.all_meetings().unwrap());
            assert!(now == rebuilt, "{what}: the projections are not the log's");
        }
        Projections::Uninterrupted(want) => {
            assert!(
                &now == want,
                "{what}: not the store an uninterrupted migration makes"
            );
        }
    }
    held.len()
}

/// A store file written by an earlier version `k` of the schema, holding `events`.
fn old_store(k: usize, events: &[(i64, Event)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jiesu-crash-v{k}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    Migrations::new(MIGRATIONS[..k].iter().map(|m| M::up(m)).collect())
        .to_latest(&mut conn)
        .unwrap();
    let tx = conn.transaction().unwrap();
    super::migrations::copy_log(&tx, events);
    tx.commit().unwrap();
    dir
}

#[test]
fn killed_writers_lose_nothing_acknowledged() {
    let kills = env_num("JIESU_CRASH_KILLS", 30) as usize;
    let mut r = rng(env_num("JIESU_CRASH_SEED_BASE", 0xC0FFEE));

    // The log old stores hold: a community's months of work.
    let (mut src, clock) = store_at(test_now() - 365 * 86_400_000);
    random_workload(
        &mut r,
        &mut src,
        &clock,
        env_num("JIESU_CRASH_OLD_OPS", 300) as usize,
    );
    let old_log = src.events_after(0, u32::MAX).unwrap();
    let old_ids: HashSet<uuid::Uuid> = old_log.iter().map(|(_, e)| e.id).collect();
    let versions: Vec<usize> = (1..MIGRATIONS.len()).collect();
    let templates: Vec<PathBuf> = versions.iter().map(|&k| old_store(k, &old_log)).collect();
    let copy_of = |k: usize| {
        let dir = tempfile::tempdir().unwrap();
        for f in std::fs::read_dir(&templates[k]).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
        }
        dir
    };
    // Each old store migrated without a kill: what a killed migration must end as; and how
    // long one takes, so kills land inside it.
    let mut migration_ms = 0;
    let uninterrupted: Vec<(Vec<Case>, Vec<Meeting>)> = (0..templates.len())
        .map(|k| {
            let dir = copy_of(k);
            let started = Instant::now();
            let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
            migration_ms = migration_ms.max(started.elapsed().as_millis() as u64);
            (s.all_cases().unwrap(), s.all_meetings().unwrap())
        })
        .collect();

    let mut live = tempfile::tempdir().unwrap();
    let mut acknowledged: HashSet<uuid::Uuid> = HashSet::new();
    let mut counts = [0usize; 3];
    let (mut in_settle, mut in_migration) = (0, 0);
    let mut lines = 0;
    for n in 0..kills {
        // A PC's store does not grow forever in a test: a fresh one every 50 kills.
        if n % 50 == 49 {
            live = tempfile::tempdir().unwrap();
            acknowledged.clear();
        }
        let moment = match r.random_range(0..3) {
            0 => Moment::Work,
            1 => Moment::FirstSync,
            _ => Moment::Migration,
        };
        counts[moment as usize] += 1;
        let what = format!("kill {n} ({moment:?})");
        if moment == Moment::Migration {
            let k = r.random_range(0..templates.len());
            let dir = copy_of(k);
            // The process starts in some 10 ms; the migration follows.
            let after = Duration::from_millis(r.random_range(5..migration_ms + 100));
            let ack = run_and_kill(dir.path(), moment, r.random(), after);
            lines += ack.lines;
            in_migration += usize::from(ack.last.is_empty());
            let what = format!("{what} from v{}", versions[k]);
            let expect = Projections::Uninterrupted(&uninterrupted[k]);
            let held = check(dir.path(), &old_ids, &ack, expect, &what);
            assert_eq!(
                held,
                old_ids.len(),
                "{what}: the old store's events, no more"
            );
            continue;
        }
        let after = Duration::from_millis(r.random_range(20..400));
        let ack = run_and_kill(live.path(), moment, r.random(), after);
        lines += ack.lines;
        in_settle += usize::from(ack.last == "settling");
        acknowledged.extend(ack.events.iter().copied());
        check(
            live.path(),
            &acknowledged,
            &ack,
            Projections::OfTheLog,
            &what,
        );
    }
    for t in &templates {
        let _ = std::fs::remove_dir_all(t);
    }
    eprintln!(
        "{kills} kills: work {}, first sync {} ({in_settle} while settling), migration {} \
         ({in_migration} before the store had opened; a {}-event store, {migration_ms} ms); \
         {lines} acknowledgements read; every check passed",
        counts[0],
        counts[1],
        counts[2],
        old_log.len()
    );
    assert!(lines > kills, "the writers got going: {lines} lines");
}

/// Photos by hash, with their bytes.
type Photos = Vec<(String, Vec<u8>)>;

/// The plain store an earlier version leaves, with an administrator, months of work and
/// photos: what [`killed_encryptions_lose_nothing`] encrypts.
fn plain_template(
    r: &mut rand::rngs::SmallRng,
) -> (tempfile::TempDir, HashSet<uuid::Uuid>, Photos) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(test_now() - 200 * 86_400_000);
    let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    s.set_identity("office-a", "和美社区", "李书记").unwrap();
    // The months of work come first (as the sample does): a session would idle out as the
    // workload's clock walks on.
    random_workload(
        r,
        &mut s,
        &clock,
        env_num("JIESU_CRASH_OLD_OPS", 300) as usize,
    );
    s.create_first_admin(
        "和美社区",
        access::NewAccount {
            login: "li".into(),
            name: "李书记".into(),
            role: access::Role::Admin,
            password: "li-password".into(),
        },
    )
    .unwrap();
    let mut photos = Vec::new();
    for i in 0..5 {
        let bytes = format!("photo {i} of 13800138000's car")
            .repeat(2_000)
            .into_bytes();
        let a = s.save_attachment("现场.jpg", &bytes).unwrap();
        let mut f = parking_case(&format!("照片 {i}"));
        f.attachment = Some(a.clone());
        s.receive(f).unwrap();
        photos.push((a.sha256, bytes));
    }
    let ids = s
        .event_ids()
        .unwrap()
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    (dir, ids, photos)
}

/// Encrypting a plain store in place (`store/encrypt.rs`), killed at random moments: after
/// every kill the next start (open, encrypt again if still plain) ends with the encrypted
/// store holding every event, every photo reading back, the administrator's password opening
/// it, and no resident's phone left in the clear in any file of the data directory.
#[test]
fn killed_encryptions_lose_nothing() {
    let kills = env_num("JIESU_CRASH_KILLS", 30) as usize;
    let mut r = rng(env_num("JIESU_CRASH_SEED_BASE", 0xC0FFEE) ^ 0xE4C);
    let (template, ids, photos) = plain_template(&mut r);
    let copy = || {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(template.path(), dir.path());
        dir
    };
    let encrypt_ms = {
        let dir = copy();
        let started = Instant::now();
        let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
        assert!(s.encrypt_now().unwrap());
        started.elapsed().as_millis() as u64
    };
    let (mut plain_after, mut encrypted_after) = (0, 0);
    for n in 0..kills {
        let dir = copy();
        let after = Duration::from_millis(r.random_range(5..encrypt_ms + 60));
        run_and_kill(dir.path(), Moment::Encryption, r.random(), after);
        let what = format!("kill {n} after {after:?}");
        let clock = || Box::new(ManualClock::new(test_now())) as Box<dyn Clock>;
        // The next start, as the app makes it.
        match store::store_file(dir.path()).unwrap() {
            StoreFile::Encrypted => encrypted_after += 1,
            _ => {
                plain_after += 1;
                let mut s = Store::open(dir.path(), clock())
                    .unwrap_or_else(|e| panic!("{what}: the plain store opens: {e}"));
                assert!(
                    s.encrypt_now().unwrap(),
                    "{what}: encrypts on the next start"
                );
            }
        }
        let s = Store::unlock(dir.path(), clock(), "li", "li-password")
            .unwrap_or_else(|e| panic!("{what}: the password opens it: {e}"));
        let ok: String = s
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "{what}");
        let held: HashSet<uuid::Uuid> = s
            .event_ids()
            .unwrap()
            .iter()
            .map(|i| i.parse().unwrap())
            .collect();
        assert!(held.is_superset(&ids), "{what}: events lost");
        assert_eq!(
            held.len(),
            ids.len() + 1,
            "{what}: and only the sign-in added"
        );
        for (sha, bytes) in &photos {
            assert_eq!(
                &s.read_attachment(sha).unwrap(),
                bytes,
                "{what}: photo {sha}"
            );
        }
        drop(s);
        let clear = files_holding(dir.path(), b"13800138000");
        assert!(clear.is_empty(), "{what}: in the clear in {clear:?}");
    }
    eprintln!(
        "{kills} kills of an encryption ({} events, 5 photos, {encrypt_ms} ms uninterrupted): \
         {plain_after} left the store plain (encrypted at the next start), {encrypted_after} \
         encrypted; every check passed",
        ids.len()
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
