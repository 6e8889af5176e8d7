//! Seals on the server, both backends, one test per attack: a push is refused whole (422
//! naming `sig` or `prev`, 409 for another key) when a signature does not verify, when a step
//! of the device's chain is left out, or when a device that signs sends an unsigned step; a
//! device enrolled before seals registers its key with its first sealed push; the street
//! verifies every step it pulls.

use jiesu_core::wire::{EnrolRequest, PushRequest};
use jiesu_core::{CaseCommand, Code, Event, EventBody, Hlc, WireError};
use jiesu_server::admin;
use jiesu_sync::{Client, Transport};
use uuid::Uuid;

use super::common::*;

async fn setup(backend: Backend) -> (Place, TestServer, App, App) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    (place, server, a, street)
}

/// A case with three steps written on `app` (intake, two notes), not yet pushed: its outbox of
/// four events (the intake brings its lookup code).
fn three_steps(app: &App) -> Vec<Event> {
    let mut st = app.store();
    let case = st.receive(parking("东门消防通道被占")).unwrap();
    for text in ["已联系车主", "车主已挪车"] {
        st.act(
            case.id,
            CaseCommand::Note {
                text: text.into(),
                contacted_resident: true,
                public: false,
            },
        )
        .unwrap();
    }
    st.outbox(100).unwrap()
}

async fn push(app: &App, events: Vec<Event>) -> Result<(), WireError> {
    let public_key = Some(app.store().device_public_key().unwrap());
    app.client
        .push(&PushRequest { events, public_key })
        .await
        .map(|_| ())
}

async fn refused(server: &TestServer, app: &App, events: Vec<Event>) -> WireError {
    let before = server.storage.feed_head("d").await.unwrap();
    let e = push(app, events).await.expect_err("refused");
    assert_eq!(
        server.storage.feed_head("d").await.unwrap(),
        before,
        "nothing stored: {e}"
    );
    e
}

fn field(e: &WireError) -> (&str, &str) {
    (
        e.params["field"].as_str().unwrap_or_default(),
        e.params["reason"].as_str().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_changed_after_it_was_signed_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _street) = setup(backend).await;
        let mut events = three_steps(&a);
        let last = events.len() - 1;
        if let EventBody::CaseNoted { text, .. } = &mut events[last].body {
            *text = "已办结".into();
        }
        let e = refused(&server, &a, events).await;
        assert_eq!(e.code, Code::InvalidInput, "{backend:?}: {e}");
        assert_eq!(field(&e), ("sig", "seal_broken"), "{backend:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_left_out_of_the_chain_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _street) = setup(backend).await;
        let mut events = three_steps(&a);
        let n = events.len();
        events.remove(n - 2);
        let e = refused(&server, &a, events).await;
        assert_eq!(field(&e), ("prev", "seal_broken"), "{backend:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_step_from_a_device_that_signs_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _street) = setup(backend).await;
        let events = three_steps(&a);
        push(&a, events.clone()).await.unwrap();
        let mut unsigned = events[events.len() - 1].clone();
        unsigned.id = Uuid::now_v7();
        unsigned.hlc.counter += 1;
        unsigned.prev = None;
        unsigned.sig = None;
        let e = refused(&server, &a, vec![unsigned]).await;
        assert_eq!(field(&e), ("sig", "required"), "{backend:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_offering_another_key_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, street) = setup(backend).await;
        let events = three_steps(&a);
        let other = Some(street.store().device_public_key().unwrap());
        let e = a
            .client
            .push(&PushRequest {
                events,
                public_key: other,
            })
            .await
            .expect_err("refused");
        assert_eq!(e.code, Code::InvalidInput, "{backend:?}: {e}");
        assert!(e.message.contains("differs"), "{e}");
        assert_eq!(server.storage.feed_head("d").await.unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_enrolled_before_seals_registers_its_key_with_its_first_sealed_push() {
    for backend in BACKENDS {
        let (_p, server, _a, _street) = setup(backend).await;
        // An older app: enrolled without a key, its first steps unsigned.
        let clock = jiesu_core::ManualClock::new(test_now());
        let store = unenrolled_store("a", &clock, None);
        let device = store.identity().device.clone();
        let code = admin::issue_code(&*server.storage, "a", 7, now())
            .await
            .unwrap();
        let answer = Client::new(&server.url)
            .enrol(&EnrolRequest {
                code,
                device: device.clone(),
                device_name: "old-pc".into(),
                public_key: None,
            })
            .await
            .unwrap();
        let client = Client::new(&server.url).with_credential(&answer.credential);
        let stream = Uuid::now_v7().to_string();
        let legacy = Event {
            id: Uuid::now_v7(),
            stream: stream.clone(),
            hlc: Hlc {
                wall_ms: now(),
                counter: 0,
            },
            author: "李".into(),
            account: None,
            device: device.clone(),
            office: "a".into(),
            body: EventBody::CaseReceived(Box::new(jiesu_core::event::Received {
                number: "261123-OLD01".into(),
                intake: parking("旧版本记下的案件").into(),
                response_due: now() + 86_400_000,
                resolve_due: now() + 3 * 86_400_000,
            })),
            prev: None,
            sig: None,
        };
        client
            .push(&PushRequest {
                events: vec![legacy.clone()],
                public_key: None,
            })
            .await
            .expect("an unsigned step from a device that never signed is accepted");
        // The new version signs, links to the older step and offers its key with the push.
        let st = store;
        let key = st.device_public_key().unwrap();
        let mut sealed = legacy.clone();
        sealed.id = Uuid::now_v7();
        sealed.hlc.counter = 1;
        sealed.body = EventBody::CaseUrged {
            note: "升级后的第一步".into(),
        };
        let prev = jiesu_core::seal::hash(&legacy);
        jiesu_core::seal::sign(&mut sealed, prev, &st.device_signing_key().unwrap()).unwrap();
        client
            .push(&PushRequest {
                events: vec![sealed.clone()],
                public_key: Some(key.clone()),
            })
            .await
            .expect("the sealed step continues the chain");
        let registered = server.storage.devices().await.unwrap();
        let rec = registered.iter().find(|d| d.id == device).unwrap();
        assert_eq!(rec.public_key.as_deref(), Some(key.as_str()), "{backend:?}");
        // From now on the device signs everything.
        let mut late = legacy.clone();
        late.id = Uuid::now_v7();
        late.hlc.counter = 2;
        late.body = EventBody::CaseUrged {
            note: "未签名".into(),
        };
        let e = client
            .push(&PushRequest {
                events: vec![late],
                public_key: Some(key),
            })
            .await
            .expect_err("refused");
        assert_eq!(field(&e), ("sig", "required"), "{backend:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_street_verifies_every_step_it_pulls() {
    for backend in BACKENDS {
        let (_p, _server, a, street) = setup(backend).await;
        let events = three_steps(&a);
        let case = events[0].stream.clone();
        a.sync().await;
        street.sync().await;
        let trace = street.store().verify_trace(&case).unwrap();
        assert!(trace.intact(), "{backend:?}: {trace:?}");
        assert_eq!((trace.verified, trace.unsigned), (4, 0), "{backend:?}");
    }
}
