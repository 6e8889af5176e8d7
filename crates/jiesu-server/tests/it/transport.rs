//! The protocol's mechanics through the real routes, on both backends where the storage
//! matters: enrolment codes spent once and revoked devices refused, resending is harmless and
//! pulls page, a first sync broken off resumes, pages are packed as the client asks, and a heavy
//! outbox goes up in batches under the body limit.

use std::sync::{Arc, Mutex};

use jiesu_core::ManualClock;
use jiesu_core::wire::EnrolRequest;
use jiesu_server::admin;
use jiesu_sync::{Client, Transport};

use super::common::*;

on_both_backends!(
    enrolment_codes_work_once_and_revoked_devices_are_refused,
    the_app_spends_no_code_on_an_enrolment_it_would_refuse,
    resending_is_harmless_and_pulls_page,
);

/// `jiesu_sync::enrol`, as the app and `jiesu-replica` call it: a store that may not join (it
/// holds the sample community) is refused before the one-time code reaches the server, and a
/// refused code leaves the store as it was.
async fn the_app_spends_no_code_on_an_enrolment_it_would_refuse(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let code = admin::issue_code(&*server.storage, "a", 7, now())
        .await
        .unwrap();
    let clock = ManualClock::new(test_now());

    let mut sample = unenrolled_store("a", &clock, None);
    sample.mark_sample().unwrap();
    let sample = Arc::new(Mutex::new(sample));
    let e = jiesu_sync::enrol(&sample, &server.url, code.clone(), "pc".into())
        .await
        .unwrap_err();
    assert_eq!(e.params["reason"], "sample_data");
    assert!(sample.lock().unwrap().enrolment().unwrap().is_none());

    let fresh = Arc::new(Mutex::new(unenrolled_store("a", &clock, None)));
    let e = jiesu_sync::enrol(&fresh, &server.url, "WRONG-CODE".into(), "pc".into())
        .await
        .unwrap_err();
    assert_eq!(e.code, jiesu_core::Code::Unauthorized);
    {
        let s = fresh.lock().unwrap();
        assert!(
            s.enrolment().unwrap().is_none(),
            "a refused code records nothing"
        );
        assert!(s.directory().unwrap().is_empty(), "nor any directory");
    }

    // The code the sample store did not spend still works, and the directory comes with it.
    let status = jiesu_sync::enrol(&fresh, &server.url, code, "pc".into())
        .await
        .unwrap();
    assert!(status.enrolled);
    let s = fresh.lock().unwrap();
    assert_eq!(s.enrolment().unwrap().unwrap().office.id, "a");
    assert!(s.directory().unwrap().iter().any(|o| o.id == "a"));
}

async fn enrolment_codes_work_once_and_revoked_devices_are_refused(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let code = admin::issue_code(&*server.storage, "a", 7, now())
        .await
        .unwrap();
    let req = |device: &str| EnrolRequest {
        public_key: None,
        code: code.to_lowercase().replace('-', " "),
        device: device.into(),
        device_name: "前台电脑".into(),
    };
    let device = uuid::Uuid::new_v4().to_string();
    let first = Client::new(&server.url).enrol(&req(&device)).await.unwrap();
    assert_eq!(first.office.id, "a");
    assert_eq!(first.device_tag.len(), 2);
    let again = Client::new(&server.url)
        .enrol(&req(&uuid::Uuid::new_v4().to_string()))
        .await
        .unwrap_err();
    assert_eq!(
        again.code,
        jiesu_core::Code::Unauthorized,
        "a code works once"
    );
    let expired = admin::issue_code(&*server.storage, "a", 0, now())
        .await
        .unwrap();
    let e = Client::new(&server.url)
        .enrol(&EnrolRequest {
            public_key: None,
            code: expired,
            device: device.clone(),
            device_name: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.code,
        jiesu_core::Code::Unauthorized,
        "an expired code is refused"
    );

    let client = Client::new(&server.url).with_credential(&first.credential);
    assert_eq!(client.me().await.unwrap().office.id, "a");
    // A live device cannot be enrolled again (its id is public): no credential takeover, and
    // the code is not spent.
    let fresh = admin::issue_code(&*server.storage, "b", 7, now())
        .await
        .unwrap();
    let taken = Client::new(&server.url)
        .enrol(&EnrolRequest {
            public_key: None,
            code: fresh.clone(),
            device: device.clone(),
            device_name: "x".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code, jiesu_core::Code::InvalidInput);
    assert_eq!(taken.params["reason"], "device_enrolled");
    assert_eq!(
        client.me().await.unwrap().office.id,
        "a",
        "the first credential still works"
    );
    let other = Client::new(&server.url)
        .enrol(&EnrolRequest {
            public_key: None,
            code: fresh,
            device: uuid::Uuid::new_v4().to_string(),
            device_name: "y".into(),
        })
        .await
        .unwrap();
    assert_eq!(other.office.id, "b", "the refused code was not spent");
    // Only the hash is stored: the credential appears nowhere in the device list.
    let devices = admin::devices(&*server.storage).await.unwrap();
    assert_eq!(devices.len(), 2);
    assert!(!format!("{devices:?}").contains(&first.credential));
    assert!(
        admin::revoke(&*server.storage, &device, now())
            .await
            .unwrap()
    );
    assert_eq!(
        client.me().await.unwrap_err().code,
        jiesu_core::Code::Unauthorized
    );
    assert_eq!(
        client.pull(0, 10).await.unwrap_err().code,
        jiesu_core::Code::Unauthorized
    );
    server.stop().await;
}

async fn resending_is_harmless_and_pulls_page(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    for i in 0..25 {
        a.store().receive(parking(&format!("停车难 {i}"))).unwrap();
    }
    let events = a.store().outbox(100).unwrap();
    let req = jiesu_core::wire::PushRequest {
        public_key: None,
        events: events.clone(),
    };
    let first = a.client.push(&req).await.unwrap();
    let second = a.client.push(&req).await.unwrap();
    assert_eq!(first.receipts, second.receipts, "same receipts on resend");
    assert_eq!(first.receipts.len(), 50, "each intake and its lookup code");
    // A batch holding the same event twice stores it once.
    let twice = jiesu_core::wire::PushRequest {
        public_key: None,
        events: vec![events[0].clone(), events[0].clone()],
    };
    let r = a.client.push(&twice).await.unwrap();
    assert_eq!(r.receipts[0], r.receipts[1]);
    assert_eq!(r.receipts[0], first.receipts[0]);

    let mut cursor = 0;
    let mut got = Vec::new();
    loop {
        let page = street.client.pull(cursor, 10).await.unwrap();
        assert!(page.events.len() <= 10);
        if page.more {
            assert_eq!(
                page.remaining,
                50 - got.len() as i64 - page.events.len() as i64
            );
        }
        got.extend(page.events.iter().map(|p| p.event.id));
        cursor = page.next;
        if !page.more {
            break;
        }
    }
    let mut want: Vec<_> = events.iter().map(|e| e.id).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "every event once, in pages");
    // The server passes each event on as the JSON it stored at push time, not decoded and
    // encoded again: those bytes are the pushed event's own serialisation.
    let raw = server.storage.pull("s1", 0, 100, 0).await.unwrap();
    assert_eq!(raw.events.len(), 50);
    for p in &raw.events {
        let decoded: jiesu_core::Event = serde_json::from_str(p.event.get()).unwrap();
        let original = events.iter().find(|e| e.id == decoded.id).unwrap();
        assert_eq!(&decoded, original);
        assert_eq!(p.event.get(), serde_json::to_string(original).unwrap());
    }
    server.stop().await;
}

/// A first sync (a backlog longer than `BULK_PULL`) broken off by the network: what arrived
/// before the break is stored and folded, not left half-done; the next round resumes from
/// there; in the end the street holds the community's events and folds its cases exactly as
/// the community does. The progress reported counts toward the whole feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_broken_off_keeps_what_it_stored_folded_and_resumes() {
    use jiesu_core::WireError;
    use jiesu_core::sample::{SampleSpec, generate};
    use jiesu_core::wire::{PullResponse, PushRequest, PushResponse};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The real client, but the `at`-th pull fails as if the network dropped.
    struct BreaksOnce {
        inner: Client,
        pulls: AtomicU32,
        at: u32,
    }
    impl Transport for BreaksOnce {
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
            if self.pulls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
                return Err(WireError::new(jiesu_core::Code::Offline, "cable pulled"));
            }
            self.inner.pull(after, limit).await
        }
    }

    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let spec = SampleSpec {
        cases: 1800,
        days: 200,
        ..SampleSpec::community(test_now())
    };
    generate(&mut a.store(), &spec).unwrap();
    a.sync().await;
    let events = a.store().stats().unwrap().events as i64;
    let page = jiesu_core::wire::MAX_PULL_EVENTS as i64;
    assert!(
        events - page > jiesu_sync::BULK_PULL,
        "{events} events: a first sync"
    );

    // The street's store on disk, as in the app (the settle folds on a second connection).
    let dir = tempfile::tempdir().unwrap();
    let street = App::enrol_in(&server, "s1", 0, Some(dir.path())).await;
    let t = BreaksOnce {
        inner: street.client.clone(),
        pulls: AtomicU32::new(0),
        at: 4,
    };
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |p: jiesu_core::SyncProgress| seen.lock().unwrap().push(p);
    let broken = jiesu_sync::sync_round(&street.store, &t, &progress).await;
    assert_eq!(broken.unwrap_err().code, jiesu_core::Code::Offline);
    let three_pages = feed_position_after(&server, 3 * page).await;
    {
        let mut s = street.store();
        let stored = s.stats().unwrap().events as i64;
        assert_eq!(stored, 3 * page, "the three pages before the break");
        assert_eq!(s.pull_cursor().unwrap(), three_pages);
        let unfolded: i64 = s
            .connection()
            .query_row("SELECT count(*) FROM dirty_streams", [], |r| r.get(0))
            .unwrap();
        assert_eq!(unfolded, 0, "what was stored is folded");
        // Folded as a full rebuild from the stored events folds it.
        let settled = s.all_cases().unwrap();
        assert!(!settled.is_empty());
        s.rebuild_projections().unwrap();
        assert_eq!(s.all_cases().unwrap(), settled);
    }
    let report = jiesu_sync::sync_round(&street.store, &t, &progress)
        .await
        .unwrap();
    assert_eq!(report.pulled as i64, events - 3 * page);
    assert_eq!(
        street.store().event_ids().unwrap(),
        a.store().event_ids().unwrap()
    );
    let by_id = |mut cases: Vec<jiesu_core::Case>| {
        cases.sort_by_key(|c| c.id);
        cases
    };
    assert_eq!(
        by_id(street.store().all_cases().unwrap()),
        by_id(a.store().all_cases().unwrap())
    );
    // Progress: counted toward the whole feed, never backwards, within each round.
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|p| p.done <= p.total));
    // Far from the feed's end `remaining` is estimated from the page's density (it is exact
    // within `COUNT_EXACTLY` positions of the end): close to the whole feed from the first page.
    assert!(
        (seen[0].total - events).abs() * 100 <= events,
        "the first page knows the whole feed: {} of {events}",
        seen[0].total
    );
    assert!(
        seen.windows(2)
            .all(|w| w[1].done > w[0].done || w[1].total < w[0].total)
    );
    server.stop().await;
}

/// The street feed's position after its first `n` events.
async fn feed_position_after(server: &TestServer, n: i64) -> i64 {
    let page = server.storage.pull("s1", 0, n as u32, 0).await.unwrap();
    page.next
}

/// Pull pages are packed as the client asks: zstd where it is offered (the app's client
/// offers it, and the server prefers it), gzip for a client that knows only gzip, plain
/// JSON for one that asks for nothing; each unpacks to the same page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_pages_are_packed_as_the_client_asks() {
    use std::io::Read;
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    for i in 0..40 {
        a.store().receive(parking(&format!("停车难 {i}"))).unwrap();
    }
    a.sync().await;
    let credential = street.store().enrolment().unwrap().unwrap().credential;
    // No automatic unpacking in this client: the test sees the bytes as sent.
    let http = reqwest::Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .unwrap();
    let mut pages = Vec::new();
    for (accept, packed) in [
        (Some("zstd, gzip"), Some("zstd")),
        (Some("gzip"), Some("gzip")),
        (None, None),
    ] {
        let mut req = http
            .get(format!("{}/v1/pull?after=0&limit=100", server.url))
            .bearer_auth(&credential);
        if let Some(accept) = accept {
            req = req.header("accept-encoding", accept);
        }
        let r = req.send().await.unwrap();
        assert!(r.status().is_success());
        let encoding = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(encoding.as_deref(), packed, "asked with {accept:?}");
        let bytes = r.bytes().await.unwrap();
        let json = match packed {
            Some("zstd") => zstd::decode_all(&bytes[..]).unwrap(),
            Some(_) => {
                let mut json = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut json)
                    .unwrap();
                json
            }
            None => bytes.to_vec(),
        };
        if packed.is_some() {
            assert!(bytes.len() * 3 < json.len(), "{packed:?} packs the page");
        }
        let page: jiesu_core::wire::PullResponse = serde_json::from_slice(&json).unwrap();
        assert_eq!(page.events.len(), 80, "40 intakes and their lookup codes");
        pages.push(page);
    }
    // The same page each time (but for the server's clock).
    let same = |a: &jiesu_core::wire::PullResponse, b: &jiesu_core::wire::PullResponse| {
        a.events == b.events && (a.next, a.more, a.remaining) == (b.next, b.more, b.remaining)
    };
    assert!(same(&pages[0], &pages[1]) && same(&pages[1], &pages[2]));
    // And the app's own client gets the same page through whatever it negotiated.
    let via_client = street.client.pull(0, 100).await.unwrap();
    assert!(same(&via_client, &pages[0]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heavy_outbox_goes_up_in_batches_under_the_body_limit() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    // 400 cases whose description and place fill their fields: 250 intakes (a batch of 500
    // events with their lookup codes) come to ~6 MB, more than one body may carry (4 MiB).
    let long: String = "楼道漏水".repeat(999);
    for i in 0..400 {
        let mut intake = parking(&format!("{i}{long}"));
        intake.location = long.clone();
        a.store().receive(intake).unwrap();
    }
    let report = a.sync().await;
    assert_eq!(report.pushed, 800);
    assert_eq!(a.store().waiting().unwrap(), 0);
    street.sync().await;
    assert_eq!(street.store().stats().unwrap().cases, 400);
    server.stop().await;
}
