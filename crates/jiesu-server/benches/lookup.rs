//! The public face's speed at a district's size, on each backend (results in
//! docs/BENCHMARKS.md): a server holding `--cases` cases (default 1 000 000; each an intake, a
//! dispatch and a lookup code, pushed through `Storage::push` as a PC's would be), then
//! `--lookups` residents (default 3 000) posting number + code to `/lookup` over HTTP, one at
//! a time: nine in ten a real case with its code, one in ten a wrong code (each from its own
//! address, behind a trusted proxy, so no limit interferes). Then `GET
//! /open311/v2/requests/{id}.json` for the same number of Open311 requests filed through the
//! endpoint. Prints p50/p95/p99 latency; the target is p95 ≤ 20 ms at 1M cases.
//!
//! `cargo bench -p jiesu-server --bench lookup -- [--cases N] [--lookups N]
//!  [--backend sqlite|postgres]`

#[path = "support/alloc.rs"]
mod alloc;
#[path = "support/args.rs"]
mod args;
#[path = "../tests/it/common.rs"]
// The bench uses a part of the test harness; the rest (and its test macro) is unused here.
#[allow(dead_code, unused_macros, unused_imports)]
mod common;

use std::sync::Arc;
use std::time::Instant;

use args::{arg, arg_str, pct};
use common::*;
use jiesu_core::event::{Intake, Received};
use jiesu_core::model::{Address, Channel, Resident, Urgency};
use jiesu_core::{Event, EventBody, Hlc};
use jiesu_protocol::public::{lookup_hash, new_code};
use jiesu_server::scope::Tree;
use jiesu_server::storage::DeviceRecord;
use jiesu_server::{admin, app};
use rand::Rng;

/// One case's events and what its resident holds.
fn case(
    n: usize,
    now: i64,
    device: &DeviceRecord,
    rng: &mut impl Rng,
) -> (Vec<Event>, String, String) {
    let stream = uuid::Uuid::now_v7();
    let code = new_code(rng.next_u64());
    let at = now - 90 * 86_400_000 + (n as i64 * 7_000) % (89 * 86_400_000);
    // The device's own numbering, made unique across days by a seven-digit count.
    let number = format!(
        "{}-{}{n:07}",
        jiesu_protocol::time::local_date(at).format("%y%m%d"),
        device.tag
    );
    let event = |counter, body| Event {
        id: uuid::Uuid::now_v7(),
        stream: stream.to_string(),
        hlc: Hlc {
            wall_ms: at,
            counter,
        },
        author: "张社工".into(),
        account: None,
        device: device.id.clone(),
        office: "a".into(),
        body,
        prev: None,
        sig: None,
    };
    let intake = Intake {
        channel: Channel::Phone,
        work_order_no: String::new(),
        category: "parking.illegal.fire_lane".into(),
        urgency: Urgency::Normal,
        resident: Resident {
            name: "王秀英".into(),
            phone: format!("138{:08}", rng.random_range(0..100_000_000u32)),
        },
        address: Address {
            building: format!("{}号楼", n % 40 + 1),
            unit: "2单元".into(),
            room: "502".into(),
            text: String::new(),
        },
        description: "东门消防通道被私家车长期占用，救护车进不来，请尽快处理".into(),
        location: "和美小区东门".into(),
        attachment: None,
        meeting: None,
    };
    let events = vec![
        event(
            0,
            EventBody::CaseReceived(Box::new(Received {
                number: number.clone(),
                intake,
                response_due: at + 86_400_000,
                resolve_due: at + 3 * 86_400_000,
            })),
        ),
        event(
            1,
            EventBody::CaseLookupCodeSet {
                hash: lookup_hash(stream, &code),
            },
        ),
        event(
            2,
            EventBody::CaseDispatched {
                unit: "property".into(),
                note: "请物业当天处理".into(),
            },
        ),
    ];
    (events, number, code)
}

async fn run(backend: Backend, cases: usize, lookups: usize) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    server.state.trust_forwarded_for(true);
    let s = &server.storage;
    let code = admin::issue_code(&**s, "a", 1, now()).await.unwrap();
    let device = s
        .enrol(
            &app::hash(&app::normalise_code(&code)),
            &uuid::Uuid::new_v4().to_string(),
            "bench-pc",
            &app::hash("bench"),
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    let tree = Arc::new(Tree::new(s.offices().await.unwrap()));
    let mut rng = rand::rng();
    let mut keys = Vec::with_capacity(cases);
    let t = Instant::now();
    let now = now();
    for start in (0..cases).step_by(1000) {
        let mut batch = Vec::with_capacity(3000);
        for n in start..(start + 1000).min(cases) {
            let (events, number, code) = case(n, now, &device, &mut rng);
            batch.extend(events);
            keys.push((number, code));
        }
        s.push(&device, &batch, &tree, now).await.unwrap();
    }
    let filled = t.elapsed().as_secs_f64();

    let http = reqwest::Client::new();
    let mut hits = Vec::new();
    let mut misses = Vec::new();
    for i in 0..lookups {
        let (number, code) = &keys[rng.random_range(0..keys.len())];
        let miss = i % 10 == 9;
        let code = if miss { "00000000" } else { code.as_str() };
        let t = Instant::now();
        let res = http
            .post(format!("{}/lookup", server.url))
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
            )
            .form(&[("number", number.as_str()), ("code", code)])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let _ = res.text().await.unwrap();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        match (miss, status) {
            (false, 200) => hits.push(ms),
            (true, 404) => misses.push(ms),
            other => panic!("lookup {i}: {other:?}"),
        }
    }

    let (_, key) = admin::add_open311_client(&**s, "bench", now).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..100 {
        let res = http
            .post(format!("{}/open311/v2/requests.json", server.url))
            .form(&[
                ("api_key", key.as_str()),
                ("jurisdiction_id", "a"),
                ("service_code", "housing.leak.pipe"),
                ("description", "楼道水管漏水"),
                ("address_string", "和美小区"),
            ])
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = res.json().await.unwrap();
        ids.push(v[0]["service_request_id"].as_str().unwrap().to_owned());
    }
    let mut statuses = Vec::new();
    for i in 0..lookups {
        let id = &ids[i % ids.len()];
        let t = Instant::now();
        let res = http
            .get(format!("{}/open311/v2/requests/{id}.json", server.url))
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let _ = res.text().await.unwrap();
        statuses.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    for (what, v) in [
        ("lookup, right code", &mut hits),
        ("lookup, wrong code", &mut misses),
        ("Open311 request status", &mut statuses),
    ] {
        v.sort_by(f64::total_cmp);
        println!(
            "| {backend:?} | {cases} cases (filled in {filled:.0} s) | {what} × {} | p50 {:.2} ms | p95 {:.2} ms | p99 {:.2} ms |",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.95),
            pct(v, 0.99)
        );
    }
    server.stop().await;
}

fn main() {
    let cases = arg("--cases", 1_000_000) as usize;
    let lookups = arg("--lookups", 3_000) as usize;
    let backends: Vec<Backend> = match arg_str("--backend").as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => BACKENDS.to_vec(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for backend in backends {
            run(backend, cases, lookups).await;
        }
    });
}
