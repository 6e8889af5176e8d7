//! The sync property: replicas doing random valid operations through a transport that drops,
//! duplicates, reorders and half-sends requests, with server restarts and clocks up to a year
//! behind, end with the same events and the same projections wherever scopes overlap, no
//! event lost or duplicated.
//!
//! Each seed runs twice, the second time beside an adversary (a device of another community
//! pushing clocks ahead and impossible, forged assignments, steps on others' cases, payloads
//! the app refuses, and its own rigged configuration): the honest offices still converge and
//! every figure of every honest office equals the first run's.
//!
//! CI runs a bounded number of fixed seeds on each backend; `JIESU_SYNC_SEEDS=200` (and
//! optionally `JIESU_SYNC_SEED_BASE`) runs more, see the README.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jiesu_core::wire::{PullResponse, PushRequest, PushResponse};
use jiesu_core::{Code, WireError};
use jiesu_sync::{Client, Transport};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::AsyncWriteExt;

use super::common::*;

const YEAR_MS: i64 = 365 * 86_400_000;

/// The real client, with faults.
struct Faulty {
    inner: Client,
    addr: std::sync::Mutex<std::net::SocketAddr>,
    credential: String,
    rng: Mutex<SmallRng>,
    /// Requests held back to be delivered late (reordering).
    held: Mutex<Vec<PushRequest>>,
    on: std::sync::atomic::AtomicBool,
}

fn lost() -> WireError {
    WireError::new(Code::Offline, "fault: connection lost")
}

impl Faulty {
    fn roll(&self) -> u32 {
        if !self.on.load(std::sync::atomic::Ordering::SeqCst) {
            return 99;
        }
        self.rng.lock().unwrap().random_range(0..100)
    }

    /// Send the headers and half of the body, then hang up.
    async fn half_send(&self, req: &PushRequest) {
        let body = serde_json::to_vec(req).unwrap();
        let addr = *self.addr.lock().unwrap();
        if let Ok(mut s) = tokio::net::TcpStream::connect(addr).await {
            let head = format!(
                "POST /v1/push HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                self.credential,
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body[..body.len() / 2]).await;
            let _ = s.shutdown().await;
        }
    }
}

impl Transport for Faulty {
    async fn push(&self, req: &PushRequest) -> Result<PushResponse, WireError> {
        let held = {
            let mut h = self.held.lock().unwrap();
            if !h.is_empty() && self.roll() < 30 {
                Some(h.remove(0))
            } else {
                None
            }
        };
        if let Some(old) = held {
            // A request that was "lost" earlier arrives now, after newer ones.
            let _ = self.inner.push(&old).await;
        }
        match self.roll() {
            0..10 => Err(lost()),
            10..20 => {
                self.inner.push(req).await?;
                Err(lost()) // stored, but the receipt never arrives
            }
            20..28 => {
                self.half_send(req).await;
                Err(lost())
            }
            28..36 => {
                let _ = self.inner.push(req).await;
                self.inner.push(req).await
            }
            36..44 => {
                self.held.lock().unwrap().push(req.clone());
                Err(lost())
            }
            _ => self.inner.push(req).await,
        }
    }

    async fn put_attachment(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), WireError> {
        match self.roll() {
            0..10 => Err(lost()),
            10..20 => {
                self.inner.put_attachment(sha256, bytes).await?;
                Err(lost()) // stored, but the answer never arrives
            }
            20..28 => {
                let _ = self.inner.put_attachment(sha256, bytes.clone()).await;
                self.inner.put_attachment(sha256, bytes).await
            }
            _ => self.inner.put_attachment(sha256, bytes).await,
        }
    }

    async fn get_attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, WireError> {
        match self.roll() {
            0..10 => Err(lost()),
            10..18 => {
                // Damaged on the way: the store must refuse to keep it under the hash.
                let mut got = self.inner.get_attachment(sha256).await?;
                if let Some(b) = got.as_mut() {
                    let last = b.len() - 1;
                    b[last] ^= 0x55;
                }
                Ok(got)
            }
            _ => self.inner.get_attachment(sha256).await,
        }
    }

    async fn pull(&self, after: i64, limit: u32) -> Result<PullResponse, WireError> {
        match self.roll() {
            0..10 => Err(lost()),
            10..20 => {
                self.inner.pull(after, limit).await?;
                Err(lost())
            }
            // Small pages make paging and partial progress likely.
            _ => self.inner.pull(after, limit.min(7)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_converge_through_faults_restarts_and_skewed_clocks() {
    let seeds: u64 = std::env::var("JIESU_SYNC_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let base: u64 = std::env::var("JIESU_SYNC_SEED_BASE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for backend in BACKENDS {
        for seed in base..base + seeds {
            let honest = run(backend, seed, false).await;
            // The same run beside a hostile office: the honest offices still converge, nobody
            // panics, and every figure of every honest office is what it was without it.
            let beside = run(backend, seed, true).await;
            assert_eq!(
                honest, beside,
                "backend {backend:?}, seed {seed}: figures rigged by the adversary"
            );
        }
    }
}

/// What the adversary (a device of community c, beside the honest offices) tries: pushes the
/// server must refuse whole. Returns the codes it may be refused with.
fn attack(
    rng: &mut SmallRng,
    adversary: &App,
    honest_cases: &[jiesu_core::Case],
) -> (Vec<jiesu_core::Event>, &'static [Code]) {
    use jiesu_core::EventBody;
    let id = adversary.store().identity().clone();
    let ev = |stream: String, wall_ms: i64, counter: u32, body: EventBody| jiesu_core::Event {
        id: uuid::Uuid::now_v7(),
        stream,
        hlc: jiesu_core::Hlc { wall_ms, counter },
        author: id.author.clone(),
        account: None,
        prev: None,
        sig: None,
        device: id.device.clone(),
        office: id.office.clone(),
        body,
    };
    let intake = |form: jiesu_core::NewCase| {
        EventBody::CaseReceived(Box::new(jiesu_core::event::Received {
            number: "261123-AD001".into(),
            intake: form.into(),
            response_due: now() + 86_400_000,
            resolve_due: now() + 3 * 86_400_000,
        }))
    };
    let stream = uuid::Uuid::now_v7().to_string();
    match rng.random_range(0..6) {
        // A clock ahead, from a day to decades.
        0 => {
            let ahead = rng.random_range(86_400_000..60 * YEAR_MS);
            let wall = (now() + ahead).min(jiesu_core::validate::LATEST_MS - 1);
            (
                vec![ev(stream, wall, rng.random(), intake(parking("未来")))],
                &[Code::ClockAhead],
            )
        }
        // A clock no PC can have.
        1 => {
            let wall = [9_000_000_000_000_000, i64::MAX, -1, 0, i64::MIN][rng.random_range(0..5)];
            (
                vec![ev(stream, wall, u32::MAX, intake(parking("坏钟")))],
                &[Code::InvalidInput],
            )
        }
        // Its own case, handed to an honest office.
        2 => {
            let mut filed = ev(stream.clone(), now(), 0, intake(parking("冒名")));
            filed.office = jiesu_core::wire::UNENROLLED_OFFICE.into();
            let assign = ev(
                stream,
                now() + 1,
                0,
                EventBody::CaseOfficeAssigned {
                    office: ["a", "b", "s1"][rng.random_range(0..3)].into(),
                    office_name: "冒名".into(),
                },
            );
            (vec![filed, assign], &[Code::OutOfScope])
        }
        // A step on an honest office's case.
        3 if !honest_cases.is_empty() => {
            let case = &honest_cases[rng.random_range(0..honest_cases.len())];
            let body = EventBody::CaseResolved {
                outcome: jiesu_core::Outcome::Solved,
                result: "替别人办结".into(),
            };
            // Out of its scope, or (not pushed yet) a case the server does not know.
            (
                vec![ev(case.id.to_string(), now(), 0, body)],
                &[Code::OutOfScope, Code::InvalidInput],
            )
        }
        // What the app's forms refuse.
        _ => {
            let mut form = parking("x");
            match rng.random_range(0..3) {
                0 => form.description = "漏".repeat(rng.random_range(4001..50_000)),
                1 => form.category = "rigged.category".into(),
                _ => form.resident.phone = "ring-ring".into(),
            }
            (
                vec![ev(stream, now(), 0, intake(form))],
                &[Code::InvalidInput],
            )
        }
    }
}

async fn run(backend: Backend, seed: u64, adversary: bool) -> Vec<jiesu_core::figures::Figures> {
    let ctx = format!("backend {backend:?}, seed {seed}, adversary {adversary}");
    let mut rng = SmallRng::seed_from_u64(seed);
    let place = Place::new(backend);
    let mut server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    // Two devices at a, one at b, the street and the district: 5 replicas.
    let offices = ["a", "a", "b", "s1", "d"];
    // On disk: photos live beside the database.
    let dirs: Vec<tempfile::TempDir> = offices
        .iter()
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let mut apps = Vec::new();
    for (o, dir) in offices.iter().zip(&dirs) {
        // Clocks up to a year behind the server's. A clock ahead of it is refused
        // (`clock_ahead`, tested in the scenarios); the apps' clocks move up to a week ahead
        // during the run, so they start at least eight days behind.
        let skew = rng.random_range(-YEAR_MS..=-8 * 86_400_000);
        apps.push(App::enrol_in(&server, o, skew, Some(dir.path())).await);
    }
    let faulty: Vec<Faulty> = apps
        .iter()
        .enumerate()
        .map(|(i, a)| Faulty {
            inner: a.client.clone(),
            addr: std::sync::Mutex::new(server.addr),
            credential: a.credential(),
            rng: Mutex::new(SmallRng::seed_from_u64(seed * 1000 + i as u64)),
            held: Mutex::new(Vec::new()),
            on: std::sync::atomic::AtomicBool::new(true),
        })
        .collect();

    // The adversary: a device of community c, with an RNG of its own so the honest run is
    // the same with it or without it. Its own configuration is accepted (it is its office's)
    // and reaches the district, which must not apply it; the district takes it in before the
    // faults begin, so its later pages are the same in both runs.
    let hostile = App::enrol(&server, "c", 0).await;
    let mut adv_rng = SmallRng::seed_from_u64(seed ^ 0xad_7e_55);
    let mut accepted: Vec<String> = Vec::new();
    if adversary {
        let mut st = hostile.store();
        let today = jiesu_core::calendar::local_date(st.now_ms());
        for d in 0..30 {
            let date = (today + chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string();
            st.set_calendar_day(&date, false).unwrap();
        }
        st.set_figure_settings(jiesu_core::figures::FigureSettings {
            weight_response: 1.0,
            weight_solution: 0.0,
            weight_satisfaction: 0.0,
            basic_factor: 0.0,
            min_sample: 1,
            visit_rule: jiesu_core::figures::VisitRule::Every,
        })
        .unwrap();
        st.add_unit("对手的物业").unwrap();
        accepted = st.event_ids().unwrap();
    }
    if adversary {
        hostile.sync().await;
    }
    faulty[4]
        .on
        .store(false, std::sync::atomic::Ordering::SeqCst);
    jiesu_sync::sync_round(&apps[4].store, &faulty[4], &|_| {})
        .await
        .unwrap();
    faulty[4]
        .on
        .store(true, std::sync::atomic::Ordering::SeqCst);

    for _step in 0..60 {
        if adversary && adv_rng.random_ratio(1, 3) {
            let cases = apps[0].store().all_cases().unwrap();
            let (events, codes) = attack(&mut adv_rng, &hostile, &cases);
            let e = hostile
                .client
                .push(&PushRequest {
                    events,
                    public_key: None,
                })
                .await
                .expect_err("refused");
            assert!(codes.contains(&e.code), "{ctx}: {e}");
        }
        let i = rng.random_range(0..apps.len());
        let app = &apps[i];
        match rng.random_range(0..10) {
            0..5 => {
                app.clock.advance(rng.random_range(0..3 * 3_600_000));
                let mut st = app.store();
                let cases = st.all_cases().unwrap();
                if cases.is_empty() || rng.random_ratio(1, 3) {
                    let mut intake =
                        parking(["停车难", "楼道漏水", "噪音扰民"][rng.random_range(0..3)]);
                    if rng.random_bool(0.4) {
                        let bytes: Vec<u8> = (0..rng.random_range(1..4096))
                            .map(|_| rng.random())
                            .collect();
                        intake.attachment = Some(st.save_attachment("现场.jpg", &bytes).unwrap());
                    }
                    st.receive(intake).unwrap();
                } else {
                    let case = &cases[rng.random_range(0..cases.len())];
                    let cmd = jiesu_core::sample::random_command(&mut rng, &st, case);
                    let _ = st.act(case.id, cmd); // refusals write nothing (tested in core)
                }
            }
            5 => {
                if rng.random_bool(0.5) {
                    let _ = app
                        .store()
                        .add_unit(&format!("单位{}", rng.random_range(0..5)));
                } else {
                    // Refusals write nothing (tested in core).
                    let _ = jiesu_core::sample::random_meeting_op(&mut rng, &mut app.store());
                }
            }
            6 => {
                if rng.random_ratio(1, 3) {
                    let addr = server.addr;
                    server.stop().await;
                    server = TestServer::start_on(&place, addr).await;
                }
            }
            _ => {
                let _ = jiesu_sync::sync_round(&app.store, &faulty[i], &|_| {}).await;
            }
        }
    }

    // Heal: faults off, deliver what was held back, sync until nothing moves.
    for f in &faulty {
        f.on.store(false, std::sync::atomic::Ordering::SeqCst);
        let held: Vec<PushRequest> = f.held.lock().unwrap().drain(..).collect();
        for req in held {
            f.inner.push(&req).await.unwrap();
        }
    }
    for _ in 0..3 {
        for (app, f) in apps.iter().zip(&faulty) {
            jiesu_sync::sync_round(&app.store, f, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        }
    }

    // Nothing lost, nothing duplicated: the district sees every event exactly once.
    let mut all_created = BTreeSet::new();
    for app in &apps {
        let st = app.store();
        assert_eq!(st.waiting().unwrap(), 0, "{ctx}: everything went up");
        let device = st.identity().device.clone();
        for id in st.event_ids().unwrap() {
            all_created.insert((id, device.clone()));
        }
    }
    let district_ids: Vec<String> = apps[4].store().event_ids().unwrap();
    let district_set: BTreeSet<String> = district_ids.iter().cloned().collect();
    assert_eq!(
        district_ids.len(),
        district_set.len(),
        "{ctx}: no duplicates"
    );
    let mut every: BTreeSet<String> = all_created.iter().map(|(id, _)| id.clone()).collect();
    // And the adversary's own configuration, which it may write and the district may see.
    every.extend(accepted.iter().cloned());
    assert_eq!(district_set, every, "{ctx}: the district holds every event");
    let server_page = server.storage.pull("d", 0, 1_000_000, 0).await.unwrap();
    assert_eq!(
        server_page.events.len(),
        every.len(),
        "{ctx}: the server stored each once"
    );

    // Each replica holds exactly what the scope rules give its office (restated here from
    // the rules, independently of the server's code), and wherever two replicas hold a case
    // they fold it to the same projection.
    let all_events: Vec<jiesu_core::Event> = apps[4]
        .store()
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let line = |o: &str| -> Vec<&str> {
        match o {
            "a" => vec!["a", "s1", "d"],
            "b" => vec!["b", "s1", "d"],
            "c" => vec!["c", "s2", "d"],
            "s1" => vec!["s1", "d"],
            "s2" => vec!["s2", "d"],
            _ => vec!["d"],
        }
    };
    let mut holders: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for e in &all_events {
        match &e.body {
            jiesu_core::EventBody::CaseReceived(_) | jiesu_core::EventBody::MeetingScheduled(_) => {
                holders
                    .entry(&e.stream)
                    .or_default()
                    .insert(e.office.clone());
            }
            jiesu_core::EventBody::CaseTransferredToOffice { office, .. } => {
                holders.entry(&e.stream).or_default().insert(office.clone());
            }
            _ => {}
        }
    }
    let expected = |office: &str| -> BTreeSet<String> {
        all_events
            .iter()
            .filter(|e| {
                if e.stream == jiesu_core::event::CONFIG_STREAM {
                    line(&e.office).contains(&office) || line(office).contains(&e.office.as_str())
                } else {
                    holders[e.stream.as_str()]
                        .iter()
                        .any(|h| line(h).contains(&office))
                }
            })
            .map(|e| e.id.to_string())
            .collect()
    };
    let mut projections = Vec::new();
    let mut meeting_projections: Vec<BTreeMap<String, String>> = Vec::new();
    for (app, office) in apps.iter().zip(offices) {
        let mut st = app.store();
        let events: BTreeSet<String> = st.event_ids().unwrap().into_iter().collect();
        assert_eq!(events, expected(office), "{ctx}: events at {office}");
        let snapshot = |st: &jiesu_core::Store| {
            let cases: BTreeMap<String, String> = st
                .all_cases()
                .unwrap()
                .into_iter()
                .map(|c| (c.id.to_string(), serde_json::to_string(&c).unwrap()))
                .collect();
            let meetings: BTreeMap<String, String> = st
                .all_meetings()
                .unwrap()
                .into_iter()
                .map(|m| (m.id.to_string(), serde_json::to_string(&m).unwrap()))
                .collect();
            (cases, meetings)
        };
        let (cases, meetings) = snapshot(&st);
        st.rebuild_projections().unwrap();
        assert_eq!(
            (cases.clone(), meetings.clone()),
            snapshot(&st),
            "{ctx}: projection == rebuild at {office}"
        );
        meeting_projections.push(meetings);
        projections.push(cases);
    }
    // Every replica holds the photo of every case it holds, byte for byte (a photo is kept
    // only under the hash of its bytes, so a file by that name is the photo).
    let mut photos = 0;
    for ((app, office), p) in apps.iter().zip(offices).zip(&projections) {
        let st = app.store();
        for id in p.keys() {
            let case = st.case(id.parse().unwrap()).unwrap();
            if let Some(a) = case.attachment {
                let bytes = st
                    .read_attachment(&a.sha256)
                    .unwrap_or_else(|e| panic!("{ctx}: photo of case {id} at {office}: {e}"));
                assert_eq!(
                    bytes.len() as u64,
                    a.size,
                    "{ctx}: photo of case {id} at {office}"
                );
                photos += 1;
            }
        }
        assert!(
            st.attachments_to_fetch(100).unwrap().is_empty(),
            "{ctx}: nothing left to fetch at {office}"
        );
    }
    assert!(photos > 0, "{ctx}: the run filed photos");
    for (i, p) in projections.iter().enumerate() {
        for (id, doc) in p {
            assert_eq!(
                Some(doc),
                projections[4].get(id),
                "{ctx}: case {id} at replica {i}"
            );
        }
    }
    assert_eq!(
        projections[0], projections[1],
        "{ctx}: the two devices of a"
    );
    for (i, p) in meeting_projections.iter().enumerate() {
        for (id, doc) in p {
            assert_eq!(
                Some(doc),
                meeting_projections[4].get(id),
                "{ctx}: meeting {id} at replica {i}"
            );
        }
    }
    assert_eq!(
        meeting_projections[0], meeting_projections[1],
        "{ctx}: the two devices of a, meetings"
    );
    // What the leaders rank by, at every honest office, over all time.
    let all_time = jiesu_core::figures::FigureQuery {
        from: jiesu_core::validate::EARLIEST_MS,
        to: jiesu_core::validate::LATEST_MS,
        ..Default::default()
    };
    let mut figures = Vec::new();
    for app in &apps {
        let st = app.store();
        let settings = st.figure_settings().unwrap();
        figures.push(st.figures(&all_time, &settings).unwrap());
    }
    assert_eq!(
        apps[4].store().figure_settings().unwrap(),
        jiesu_core::figures::FigureSettings::default(),
        "{ctx}: the district's weights are its own"
    );
    server.stop().await;
    figures
}
