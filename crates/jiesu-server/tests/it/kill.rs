//! The server process killed with SIGKILL while offices push and pull, again and again, on
//! each backend. The real `jiesu-server` binary serves; app stores file and handle cases and
//! run sync rounds against it, and a fresh district PC makes its first sync now and then (bulk
//! pages) while the kills land at random moments.
//!
//! After every restart, everything an office holds a receipt for is at the server, once, under
//! the position the receipt names (an acknowledged push is durable). At the end, with the
//! server left running: nothing any office wrote is lost, nothing is stored twice, the district
//! PCs hold every event, the two PCs of community a hold the same, and every projection equals
//! a rebuild.
//!
//! `JIESU_SERVER_KILLS` sets the number of kills per backend (CI runs a short version; the
//! soak's command and result are in docs/BENCHMARKS.md, "Reliability").

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiesu_core::{ManualClock, Store};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_jiesu-server");
const KILLS_VAR: &str = "JIESU_SERVER_KILLS";

fn kills() -> usize {
    std::env::var(KILLS_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(8)
}

/// The server binary on `place`, listening on `port`. SIGKILLed when dropped, if still running.
struct Server(Child);

impl Server {
    async fn start(place: &Place, port: u16) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(place.dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")]);
        if let Some(url) = &place.url {
            cmd.args(["--database-url", url]);
        }
        // The binary reads its clock once, at start: give it the tests' clock each time, so a
        // pinned run's server does not go back to the pinned instant at every restart.
        let offset = now() - chrono::Utc::now().timestamp_millis();
        cmd.env_remove(jiesu_core::CLOCK_AT_VAR)
            .env(jiesu_core::CLOCK_OFFSET_VAR, offset.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let server = Server(cmd.spawn().unwrap());
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/v1/health"))
                .send()
                .await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the server never answered on {port}");
    }

    /// `kill -9`: no shutdown, no flushing, requests cut wherever they are.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_push_and_pull_loses_and_duplicates_nothing_sqlite() {
    soak(Backend::Sqlite, 0x5e_71).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_push_and_pull_loses_and_duplicates_nothing_postgres() {
    soak(Backend::Postgres, 0x9057).await;
}

async fn enrol(url: &str, place: &Place, office: &str) -> App {
    let clock = ManualClock::new(test_now());
    let store = unenrolled_store(office, &clock, None);
    App::enrol_at(url, &*place.storage().await, office, store, clock).await
}

/// The server's log as the district pulls it: event id → position. Panics on an id stored
/// twice.
async fn server_log(place: &Place, ctx: &str) -> BTreeMap<String, i64> {
    let storage = place.storage().await;
    let page = storage.pull("d", 0, u32::MAX, 0).await.unwrap();
    assert!(!page.more, "{ctx}: one page holds the whole log");
    let mut log = BTreeMap::new();
    for p in page.events {
        let ev: jiesu_core::Event = serde_json::from_str(p.event.get()).unwrap();
        let id = ev.id.to_string();
        assert!(
            log.insert(id.clone(), p.seq).is_none(),
            "{ctx}: event {id} stored twice"
        );
    }
    log
}

/// Event id → the server position this store's receipt names (acknowledged or pulled).
fn receipts(store: &Store) -> BTreeMap<String, i64> {
    let mut stmt = store
        .connection()
        .prepare("SELECT e.id, r.server_seq FROM events e JOIN receipts r ON r.event_seq = e.seq")
        .unwrap();
    // The log keeps an id the app made as its 16 bytes.
    stmt.query_map([], |r| {
        let id = uuid::Uuid::from_slice(&r.get::<_, Vec<u8>>(0)?).unwrap();
        Ok((id.to_string(), r.get(1)?))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// Some work at one office: new cases, and steps on the cases it holds.
fn work(rng: &mut SmallRng, app: &App) {
    let mut st = app.store();
    for _ in 0..rng.random_range(0..12) {
        app.clock.advance(rng.random_range(0..600_000));
        let cases = st.all_cases().unwrap();
        if cases.is_empty() || rng.random_ratio(1, 2) {
            st.receive(parking(
                ["停车难", "楼道漏水", "噪音扰民"][rng.random_range(0..3)],
            ))
            .unwrap();
        } else {
            let case = &cases[rng.random_range(0..cases.len())];
            let cmd = jiesu_core::sample::random_command(rng, &st, case);
            let _ = st.act(case.id, cmd); // refusals write nothing (tested in core)
        }
    }
}

async fn soak(backend: Backend, seed: u64) {
    let ctx = format!("backend {backend:?}");
    let mut rng = SmallRng::seed_from_u64(seed);
    let place = Place::new(backend);
    seed_org(&*place.storage().await).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");

    let server = Server::start(&place, port).await;
    let mut apps = Vec::new();
    for office in ["a", "a", "b", "s1", "d"] {
        apps.push(Arc::new(enrol(&url, &place, office).await));
    }
    server.kill();

    let (mut rounds_ok, mut rounds_cut, mut first_syncs) = (0, 0, 0);
    let total = kills();
    for k in 0..total {
        let ctx = format!("{ctx}, kill {k}");
        let server = Server::start(&place, port).await;
        // An acknowledged event is durable: the restarted server holds it, once, where the
        // receipt says.
        let log = server_log(&place, &ctx).await;
        for app in &apps {
            for (id, seq) in receipts(&app.store()) {
                assert_eq!(log.get(&id), Some(&seq), "{ctx}: acknowledged event {id}");
            }
        }
        // Now and then a new district PC, whose first sync the kills will cut into.
        if k % 5 == 2 {
            apps.push(Arc::new(enrol(&url, &place, "d").await));
            first_syncs += 1;
        }
        // Every office works and syncs, round after round, until the kill cuts it off:
        // the kill lands in a push, a pull, a page of a first sync or between them.
        let outcomes = Arc::new(Mutex::new((0, 0)));
        let tasks: Vec<_> = apps
            .iter()
            .enumerate()
            .map(|(i, app)| {
                let (app, outcomes) = (app.clone(), outcomes.clone());
                let mut rng = SmallRng::seed_from_u64(rng.random());
                tokio::spawn(async move {
                    loop {
                        // Only the communities file and handle cases; the street and the
                        // district read.
                        if i < 3 {
                            work(&mut rng, &app);
                        }
                        let r = jiesu_sync::sync_round(&app.store, &app.client, &|_| {}).await;
                        let mut o = outcomes.lock().unwrap();
                        if r.is_ok() {
                            o.0 += 1;
                        } else {
                            o.1 += 1;
                            break;
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..250))).await;
        server.kill();
        for t in tasks {
            t.await.unwrap();
        }
        let (ok, cut) = *outcomes.lock().unwrap();
        rounds_ok += ok;
        rounds_cut += cut;
    }

    // Heal: the server back for good, every office syncs until nothing moves.
    let server = Server::start(&place, port).await;
    for _ in 0..3 {
        for app in &apps {
            jiesu_sync::sync_round(&app.store, &app.client, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        }
    }
    let log = server_log(&place, &ctx).await;
    let mut written = BTreeSet::new();
    for app in &apps {
        let mut st = app.store();
        assert_eq!(st.waiting().unwrap(), 0, "{ctx}: everything went up");
        let ids = st.event_ids().unwrap();
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "{ctx}: no event twice at an office"
        );
        for (id, seq) in receipts(&st) {
            assert_eq!(log.get(&id), Some(&seq), "{ctx}: receipt of {id}");
        }
        written.extend(unique);
        let cases = st.all_cases().unwrap();
        st.rebuild_projections().unwrap();
        assert_eq!(
            cases,
            st.all_cases().unwrap(),
            "{ctx}: projection == rebuild at {}",
            st.identity().office
        );
    }
    let at_server: BTreeSet<String> = log.keys().cloned().collect();
    assert_eq!(
        at_server, written,
        "{ctx}: the server holds what the offices wrote"
    );
    for (i, app) in apps.iter().enumerate().skip(4) {
        let held: BTreeSet<String> = app.store().event_ids().unwrap().into_iter().collect();
        assert_eq!(held, written, "{ctx}: district PC {i} holds every event");
    }
    assert_eq!(
        apps[0].store().event_ids().unwrap(),
        apps[1].store().event_ids().unwrap(),
        "{ctx}: the two PCs of a"
    );
    // The run did what it claims: cases were written, kills cut rounds, and rounds got
    // through between kills.
    assert!(written.len() > 20, "{ctx}: {} events", written.len());
    assert!(
        rounds_cut > 0 && rounds_ok > 0,
        "{ctx}: {rounds_ok} ok, {rounds_cut} cut"
    );
    eprintln!(
        "{ctx}: {total} kills, {} events, {rounds_ok} rounds through, {rounds_cut} cut, {first_syncs} first syncs",
        written.len()
    );
    drop(server);
}
