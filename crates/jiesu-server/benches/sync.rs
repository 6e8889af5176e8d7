//! Sync benchmarks, on each backend (see docs/BENCHMARKS.md for results and the machine):
//!
//! 1. **Initial sync** of an office with `--cases` cases (default 100 000): a street's fresh
//!    app pulls and folds everything its community pushed. Events/s end to end, events/s of
//!    pulling alone, and bytes on the wire (gzip) per event against the events' JSON bytes.
//! 2. **Latency** office → server → office with live notify: two background syncers, a case
//!    filed at one, the time until the other's store holds it.
//! 3. **Load**: `--offices` offices (default 10 000) each syncing once every 30 s (a pull,
//!    and one new case in one round of ten) for `--seconds` (default 60); latency of each
//!    request, p50/p99. The load generator shares the machine with the server.
//!
//! `cargo bench -p jiesu-server --bench sync -- [--cases N] [--offices N] [--seconds N]
//!  [--backend sqlite|postgres]`

#[path = "support/alloc.rs"]
mod alloc;
#[path = "support/args.rs"]
mod args;
#[path = "../tests/it/common.rs"]
// The bench uses a part of the test harness; the rest (and its test macro) is unused here.
#[allow(dead_code, unused_macros, unused_imports)]
mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use args::{arg, arg_str, pct};
use common::*;
use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::wire::{
    MAX_PULL_EVENTS, Office, OfficeKind, PullResponse, PushRequest, PushResponse,
};
use jiesu_core::{CorrectedClock, Store, WireError};
use jiesu_sync::{Client, Syncer, Transport};

/// Pulls as the app's client does (zstd preferred, gzip accepted) but unpacks by hand,
/// counting the compressed bytes that crossed the wire.
struct Counting {
    http: reqwest::Client,
    base: String,
    credential: String,
    wire: Mutex<u64>,
    inner: Client,
}

impl Transport for Counting {
    async fn put_attachment(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), WireError> {
        self.inner.put_attachment(sha256, bytes).await
    }

    async fn get_attachment(&self, sha256: &str) -> Result<Option<Vec<u8>>, WireError> {
        self.inner.get_attachment(sha256).await
    }

    async fn push(&self, req: &PushRequest) -> Result<PushResponse, WireError> {
        self.inner.push(req).await
    }

    async fn pull(&self, after: i64, limit: u32) -> Result<PullResponse, WireError> {
        let r = self
            .http
            .get(format!("{}/v1/pull", self.base))
            .bearer_auth(&self.credential)
            .header("accept-encoding", "zstd, gzip")
            .query(&[("after", after.to_string()), ("limit", limit.to_string())])
            .send()
            .await
            .unwrap();
        let encoding = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = r.bytes().await.unwrap();
        *self.wire.lock().unwrap() += bytes.len() as u64;
        let json = match encoding.as_deref() {
            Some("zstd") => zstd::decode_all(&bytes[..]).unwrap(),
            Some("gzip") => {
                let mut json = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut json)
                    .unwrap();
                json
            }
            None => bytes.to_vec(),
            Some(other) => panic!("unexpected content-encoding {other}"),
        };
        Ok(serde_json::from_slice(&json).unwrap())
    }
}

/// A file store in `dir` acting as `app`'s enrolled device: its id and its signing key, so
/// the server takes its events as that device's (a key other than the one registered at
/// enrolment is refused).
fn store_as(app: &App, dir: &std::path::Path) -> Store {
    let identity: Vec<(String, String)> = app
        .store()
        .connection()
        .prepare("SELECT key, value FROM meta WHERE key IN ('device', 'device_secret')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(identity.len(), 2, "the app's device id and key");
    let store = Store::open(dir, Box::new(jiesu_core::SystemClock)).unwrap();
    for (key, value) in &identity {
        store
            .connection()
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [key, value],
            )
            .unwrap();
    }
    drop(store);
    // Opened again: the identity is read at opening.
    Store::open(dir, Box::new(jiesu_core::SystemClock)).unwrap()
}

async fn initial_sync(backend: Backend, cases: usize) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let work = tempfile::tempdir().unwrap();

    // The community: a real store, enrolled, then filled by the sample generator.
    let a = App::enrol(&server, "a", 0).await;
    let enrolment = a.store().enrolment().unwrap().unwrap();
    let mut store = store_as(&a, &work.path().join("a"));
    drop(a);
    store.set_identity("a", "和美社区", "李书记").unwrap();
    let t = Instant::now();
    let spec = SampleSpec {
        cases,
        days: 365,
        ..SampleSpec::community(now())
    };
    generate(&mut store, &spec).unwrap();
    let events = store.stats().unwrap().events as u64;
    eprintln!(
        "  generated {cases} cases, {events} events in {:.0?}",
        t.elapsed()
    );
    let store = Arc::new(Mutex::new(store));
    let client = Client::new(&server.url).with_credential(&enrolment.credential);
    let t = Instant::now();
    jiesu_sync::sync_round(&store, &client, &|_| {})
        .await
        .unwrap();
    let push_s = t.elapsed().as_secs_f64();
    eprintln!("  pushed in {push_s:.1} s");

    // The street: a fresh app pulls everything.
    let street = App::enrol(&server, "s1", 0).await;
    let s_enrol = street.store().enrolment().unwrap().unwrap();
    let s_store = store_as(&street, &work.path().join("s1"));
    drop(street);
    let s_store = Arc::new(Mutex::new(s_store));
    let counting = Counting {
        http: reqwest::Client::builder()
            .no_gzip()
            .no_zstd()
            .build()
            .unwrap(),
        base: server.url.clone(),
        credential: s_enrol.credential.clone(),
        wire: Mutex::new(0),
        inner: Client::new(&server.url).with_credential(&s_enrol.credential),
    };
    // Pull alone first (serving and transfer, no fold).
    let t = Instant::now();
    let mut cursor = 0;
    let mut pulled = 0u64;
    let mut payload = 0u64;
    loop {
        let page = counting.pull(cursor, MAX_PULL_EVENTS).await.unwrap();
        pulled += page.events.len() as u64;
        payload += page
            .events
            .iter()
            .map(|p| serde_json::to_vec(&p.event).unwrap().len() as u64)
            .sum::<u64>();
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    let pull_s = t.elapsed().as_secs_f64();
    eprintln!("  pulled (no fold) in {pull_s:.1} s");
    let wire = *counting.wire.lock().unwrap();
    *counting.wire.lock().unwrap() = 0;
    // Then the real thing: pull and fold into the street's store.
    let t = Instant::now();
    let report = jiesu_sync::sync_round(&s_store, &counting, &|_| {})
        .await
        .unwrap();
    let sync_s = t.elapsed().as_secs_f64();
    assert_eq!(report.pulled as u64, events, "every event arrived");
    assert_eq!(pulled, events);
    println!(
        "| {backend:?} | {cases} cases, {events} events | push {:.0} ev/s | pull only {:.0} ev/s | pull + fold {:.0} ev/s ({sync_s:.1} s) | wire {:.0} B/event, JSON {:.0} B/event, ratio {:.2} |",
        events as f64 / push_s,
        events as f64 / pull_s,
        events as f64 / sync_s,
        wire as f64 / events as f64,
        payload as f64 / events as f64,
        wire as f64 / payload as f64,
    );
    server.stop().await;
}

async fn latency(backend: Backend, rounds: usize) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    let a_sync = Syncer::spawn(a.store.clone(), CorrectedClock::default(), Arc::new(|| {}));
    let _s_sync = Syncer::spawn(
        street.store.clone(),
        CorrectedClock::default(),
        Arc::new(|| {}),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut ms = Vec::new();
    for i in 0..rounds {
        a.clock.advance(1000);
        let case = a.store().receive(parking(&format!("停车难 {i}"))).unwrap();
        let t = Instant::now();
        a_sync.wake();
        while street.store().case(case.id).is_err() {
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "| {backend:?} | office → server → office, live notify, {rounds} cases | p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms |",
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        ms.last().unwrap()
    );
    server.stop().await;
}

async fn load(backend: Backend, offices: usize, seconds: u64) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    let storage = server.storage.clone();
    let now0 = now();
    let office = |id: String, kind, parent: Option<String>| Office {
        id: id.clone(),
        name: id,
        kind,
        parent,
    };
    storage
        .add_office(&office("d".into(), OfficeKind::District, None), now0)
        .await
        .unwrap();
    let streets = offices.div_ceil(100);
    for s in 0..streets {
        storage
            .add_office(
                &office(format!("s{s}"), OfficeKind::Street, Some("d".into())),
                now0,
            )
            .await
            .unwrap();
    }
    // One device per community, enrolled through storage (the HTTP path is tested elsewhere).
    let t = Instant::now();
    let mut devices = Vec::new();
    for c in 0..offices {
        let id = format!("c{c}");
        storage
            .add_office(
                &office(
                    id.clone(),
                    OfficeKind::Community,
                    Some(format!("s{}", c / 100)),
                ),
                now0,
            )
            .await
            .unwrap();
        let code = format!("code{c}");
        storage
            .add_enrolment_code(&jiesu_server::app::hash(&code), &id, now0 + 86_400_000)
            .await
            .unwrap();
        let device = uuid::Uuid::new_v4().to_string();
        let credential = format!("credential-{c}-{}", uuid::Uuid::new_v4());
        storage
            .enrol(
                &jiesu_server::app::hash(&code),
                &device,
                "pc",
                &jiesu_server::app::hash(&credential),
                now0,
            )
            .await
            .unwrap()
            .unwrap();
        devices.push((id, device, credential));
    }
    eprintln!("  {offices} offices enrolled in {:.0?}", t.elapsed());

    // A template intake event, re-addressed per office.
    let template = {
        let mut st = Store::open_in_memory(Box::new(jiesu_core::SystemClock)).unwrap();
        st.set_identity("x", "", "书记").unwrap();
        let c = st.receive(parking("停车难")).unwrap();
        st.case_detail(c.id).unwrap().timeline[0].event.clone()
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let lat = Arc::new(Mutex::new((Vec::<f64>::new(), Vec::<f64>::new(), 0u64)));
    let start = Instant::now();
    let period = Duration::from_secs(30);
    let mut tasks = Vec::new();
    for (i, (office, device, credential)) in devices.into_iter().enumerate() {
        let (http, base, lat, template) = (
            http.clone(),
            server.url.clone(),
            lat.clone(),
            template.clone(),
        );
        let offset = period.mul_f64(i as f64 / offices as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut cursor = 0i64;
            let mut round = 0u64;
            while start.elapsed() < Duration::from_secs(seconds) {
                let tick = Instant::now();
                if (i as u64 + round).is_multiple_of(10) {
                    let mut ev = template.clone();
                    ev.id = uuid::Uuid::now_v7();
                    ev.stream = uuid::Uuid::now_v7().to_string();
                    ev.device = device.clone();
                    ev.office = office.clone();
                    let t = Instant::now();
                    let r = http
                        .post(format!("{base}/v1/push"))
                        .bearer_auth(&credential)
                        .json(&PushRequest {
                            events: vec![ev],
                            public_key: None,
                        })
                        .send()
                        .await;
                    let ok = r.is_ok_and(|r| r.status().is_success());
                    let mut l = lat.lock().unwrap();
                    l.1.push(t.elapsed().as_secs_f64() * 1000.0);
                    if !ok {
                        l.2 += 1;
                    }
                }
                let t = Instant::now();
                let r = http
                    .get(format!("{base}/v1/pull"))
                    .bearer_auth(&credential)
                    .query(&[("after", cursor.to_string())])
                    .send()
                    .await;
                let elapsed = t.elapsed().as_secs_f64() * 1000.0;
                let ok = match r {
                    Ok(r) if r.status().is_success() => {
                        let page: PullResponse = r.json().await.unwrap();
                        cursor = page.next;
                        true
                    }
                    _ => false,
                };
                {
                    let mut l = lat.lock().unwrap();
                    l.0.push(elapsed);
                    if !ok {
                        l.2 += 1;
                    }
                }
                round += 1;
                tokio::time::sleep(period.saturating_sub(tick.elapsed())).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (mut pulls, mut pushes, failed) = std::mem::take(&mut *lat.lock().unwrap());
    pulls.sort_by(f64::total_cmp);
    pushes.sort_by(f64::total_cmp);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "| {backend:?} | {offices} offices every 30 s, {secs:.0} s | {:.0} req/s | pull p50 {:.1} ms, p99 {:.1} ms | push p50 {:.1} ms, p99 {:.1} ms | failed {failed} |",
        (pulls.len() + pushes.len()) as f64 / secs,
        pct(&pulls, 0.5),
        pct(&pulls, 0.99),
        pct(&pushes, 0.5),
        pct(&pushes, 0.99),
    );
    server.stop().await;
}

fn main() {
    let cases = arg("--cases", 100_000) as usize;
    let offices = arg("--offices", 10_000) as usize;
    let seconds = arg("--seconds", 60);
    let backends: Vec<Backend> = match arg_str("--backend").as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => BACKENDS.to_vec(),
    };
    let only = arg_str("--only");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for backend in backends {
            if only.as_deref().is_none_or(|o| o == "initial") {
                initial_sync(backend, cases).await;
            }
            if only.as_deref().is_none_or(|o| o == "latency") {
                latency(backend, 100).await;
            }
            if only.as_deref().is_none_or(|o| o == "load") {
                load(backend, offices, seconds).await;
            }
        }
    });
}
