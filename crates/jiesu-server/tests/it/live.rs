//! Live notify: a change at one office reaches another without waiting for a poll. Two
//! background syncers (the app's own task) run against a real server; the poll interval is
//! 30 s, so a case arriving within a few seconds arrived by the live channel.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use jiesu_core::CorrectedClock;
use jiesu_sync::Syncer;

use super::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_filed_at_a_community_reaches_the_street_without_polling() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;

    // The raw channel first: a push makes the street's live stream speak.
    let mut changes = street.client.live().await.unwrap();
    let first = changes.next().await.unwrap();
    a.store().receive(parking("井盖松动")).unwrap();
    a.sync().await;
    let next = tokio::time::timeout(Duration::from_secs(10), changes.next())
        .await
        .expect("a live notice")
        .unwrap();
    assert!(next.head > first.head);

    // Then the whole app path: two syncers, as the shell runs them.
    let refreshed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = refreshed.clone();
    let street_sync = Syncer::spawn(
        street.store.clone(),
        CorrectedClock::default(),
        Arc::new(move || {
            r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }),
    );
    let a_sync = Syncer::spawn(a.store.clone(), CorrectedClock::default(), Arc::new(|| {}));
    // Let both finish their first rounds (directory, pull) and go idle.
    wait_until(Duration::from_secs(10), || {
        street_sync.status().last_sync.is_some()
    })
    .await;
    wait_until(Duration::from_secs(10), || {
        a_sync.status().last_sync.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(street_sync.status().online);

    let case = a.store().receive(parking("路灯不亮")).unwrap();
    let started = Instant::now();
    a_sync.wake();
    wait_until(Duration::from_secs(10), || {
        street.store().case(case.id).is_ok()
    })
    .await;
    assert!(
        started.elapsed() < jiesu_sync::POLL / 2,
        "arrived by the live channel, not a poll"
    );
    assert!(
        refreshed.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the window was told"
    );
    // a's round publishes its status after the push; the street may have pulled the case
    // (woken by the live channel) before then.
    wait_until(Duration::from_secs(10), || a_sync.status().waiting == 0).await;
    server.stop().await;
}

async fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "condition not reached in {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syncer_started_before_enrolment_syncs_once_enrolled() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let store = Arc::new(std::sync::Mutex::new(
        jiesu_core::Store::open_in_memory(Box::new(jiesu_core::SystemClock)).unwrap(),
    ));
    store
        .lock()
        .unwrap()
        .set_identity("local", "", "李书记")
        .unwrap();
    let syncer = Syncer::spawn(store.clone(), CorrectedClock::default(), Arc::new(|| {}));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!syncer.status().enrolled);
    let code = jiesu_server::admin::issue_code(&*server.storage, "a", 1, now())
        .await
        .unwrap();
    let device = store.lock().unwrap().identity().device.clone();
    let answer = jiesu_sync::Client::new(&server.url)
        .enrol(&jiesu_core::wire::EnrolRequest {
            public_key: None,
            code,
            device,
            device_name: "pc".into(),
        })
        .await
        .unwrap();
    store.lock().unwrap().enrol(&server.url, &answer).unwrap();
    store
        .lock()
        .unwrap()
        .receive(parking("楼道灯坏了"))
        .unwrap();
    syncer.wake();
    wait_until(Duration::from_secs(10), || {
        let s = syncer.status();
        s.enrolled && s.online && s.waiting == 0 && s.last_sync.is_some()
    })
    .await;
    server.stop().await;
}

/// Unenrolling works with the server out of reach: the PC forgets the server at once, and
/// the background task tells the server when it is back, so the credential stops working and
/// the PC can enrol again. The clock correction measured while enrolled is kept meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pc_unenrolled_offline_tells_the_server_once_it_is_back() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    // This PC's clock is two hours slow.
    let a = App::enrol(&server, "a", -2 * 3_600_000).await;
    let clock = CorrectedClock::default();
    let syncer = Syncer::spawn(a.store.clone(), clock.clone(), Arc::new(|| {}));
    wait_until(Duration::from_secs(10), || {
        syncer.status().last_sync.is_some()
    })
    .await;
    // The correction is the server's time minus the system clock's (the test's ManualClock
    // is the store's own, so only its being kept is checked here).
    let kept = a.store().clock_offset().unwrap();
    assert!(
        a.store()
            .connection()
            .query_row(
                "SELECT 1 FROM meta WHERE key = 'clock_offset_ms'",
                [],
                |_| Ok(())
            )
            .is_ok()
            && (kept - clock.offset_ms()).abs() <= 1000,
        "the correction is kept: {kept} vs {}",
        clock.offset_ms()
    );
    let credential = a.credential();
    let device = a.store().identity().device.clone();

    let addr = server.addr;
    server.stop().await;
    let waiting = a.store().unenrol().unwrap();
    assert_eq!(waiting, 0);
    assert!(
        a.store().enrolment().unwrap().is_none(),
        "forgotten at once"
    );
    assert_eq!(a.store().pending_revokes().unwrap().len(), 1);
    assert_eq!(
        a.store().clock_offset().unwrap(),
        0,
        "a correction for a server left behind"
    );
    syncer.wake();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        a.store().pending_revokes().unwrap().len(),
        1,
        "nobody to tell yet"
    );

    // The server is back: within the task's backoff it hears, and the credential is dead.
    let server = TestServer::start_on(&place, addr).await;
    wait_until(Duration::from_secs(20), || {
        a.store().pending_revokes().unwrap().is_empty()
    })
    .await;
    let r = jiesu_sync::Client::new(&server.url)
        .with_credential(&credential)
        .me()
        .await
        .unwrap_err();
    assert_eq!(r.code, jiesu_core::Code::Unauthorized);
    let listed = server.storage.devices().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|d| d.id == device && d.revoked_ms.is_some())
    );
    // And the same PC enrols again with a new code.
    let code = jiesu_server::admin::issue_code(&*server.storage, "a", 1, now())
        .await
        .unwrap();
    jiesu_sync::Client::new(&server.url)
        .enrol(&jiesu_core::wire::EnrolRequest {
            public_key: None,
            code,
            device,
            device_name: "pc".into(),
        })
        .await
        .unwrap();
    server.stop().await;
}
