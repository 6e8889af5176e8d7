//! Malformed, oversized, unauthenticated and out-of-scope requests, endpoint by endpoint:
//! each gets a 4xx with a `{code, message}` body, writes nothing, and no response carries a
//! byte of another office's data.

use jiesu_core::wire::PushRequest;
use jiesu_core::{CaseCommand, Event, EventBody};
use jiesu_sync::Transport;
use reqwest::StatusCode;

use super::common::*;

const SECRET: &str = "SECRET-A-东门停车";

struct Seen {
    status: StatusCode,
    code: String,
    body: String,
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> Seen {
    let mut r = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some((ct, b)) = body {
        r = r.header("content-type", ct).body(b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    let code = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(String::from));
    let code = match (status.is_success(), code) {
        (true, _) => String::new(),
        (false, Some(c)) => c,
        (false, None) => panic!("not a {{code, message}} body: {status} {body}"),
    };
    assert!(
        !body.contains(SECRET),
        "leaked another office's data: {body}"
    );
    Seen { status, code, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_refuses_bad_requests_with_a_clear_body_and_writes_nothing() {
    for backend in BACKENDS {
        refusals(backend).await;
    }
}

async fn refusals(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let dir = tempfile::tempdir().unwrap();
    let a = App::enrol_in(&server, "a", 0, Some(dir.path())).await;
    let b = App::enrol(&server, "b", 0).await;
    // a's case carries a photo whose bytes hold the secret too.
    let photo_bytes = [&[0xff, 0xd8, 0xff][..], SECRET.as_bytes()].concat();
    let case = file_with_photo(&mut a.store(), SECRET, &photo_bytes);
    let photo = format!(
        "/v1/attachments/{}",
        case.attachment.clone().unwrap().sha256
    );
    a.sync().await;
    b.sync().await;
    let tb = b.credential();
    let u = |p: &str| format!("{}{p}", server.url);
    let json = |v: serde_json::Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let head_before = server.storage.feed_head("s1").await.unwrap();
    use reqwest::Method as M;

    // enrol
    let s = call(
        M::POST,
        u("/v1/enrol"),
        None,
        Some(("application/json", b"{not json".to_vec())),
    )
    .await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_input"),
        "{}",
        s.body
    );
    let s = call(M::POST, u("/v1/enrol"), None,
        json(serde_json::json!({"code": "AAAAA-BBBBB", "device": uuid::Uuid::new_v4(), "device_name": "pc"}))).await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let s = call(
        M::POST,
        u("/v1/enrol"),
        None,
        json(
            serde_json::json!({"code": "AAAAA-BBBBB", "device": "not-a-uuid", "device_name": "pc"}),
        ),
    )
    .await;
    assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY);
    let big = vec![b'x'; jiesu_core::wire::MAX_BODY_BYTES + 10];
    let s = call(
        M::POST,
        u("/v1/enrol"),
        None,
        Some(("application/json", big.clone())),
    )
    .await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    // me, pull, live, unenrol, push, photos without or with a wrong credential
    for (m, p) in [
        (M::GET, "/v1/me"),
        (M::GET, "/v1/pull"),
        (M::GET, "/v1/live"),
        (M::POST, "/v1/unenrol"),
        (M::POST, "/v1/push"),
        (M::GET, photo.as_str()),
        (M::PUT, photo.as_str()),
    ] {
        for token in [None, Some("0123456789abcdef")] {
            let s = call(
                m.clone(),
                u(p),
                token,
                json(serde_json::json!({"events": []})),
            )
            .await;
            assert_eq!(
                (s.status, s.code.as_str()),
                (StatusCode::UNAUTHORIZED, "unauthorized"),
                "{p}"
            );
        }
    }

    // pull: bad cursor, bad query
    let s = call(M::GET, u("/v1/pull?after=-5"), Some(&tb), None).await;
    assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY);
    let s = call(M::GET, u("/v1/pull?after=abc"), Some(&tb), None).await;
    assert_eq!(s.status, StatusCode::BAD_REQUEST);
    // b's pulls and me hold nothing of a's (the `call` helper checks every body for SECRET).
    let s = call(M::GET, u("/v1/pull?after=0"), Some(&tb), None).await;
    assert!(s.status.is_success());
    call(M::GET, u("/v1/me"), Some(&tb), None).await;

    // photos: another office's is refused without a byte of it; a malformed name, empty,
    // oversized or wrongly hashed bytes are refused and nothing is stored.
    let s = call(M::GET, u(&photo), Some(&tb), None).await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::FORBIDDEN, "out_of_scope"),
        "{}",
        s.body
    );
    let unknown = format!("/v1/attachments/{}", "ab".repeat(32));
    let s = call(M::GET, u(&unknown), Some(&tb), None).await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    for bad in [
        "/v1/attachments/not-a-hash",
        "/v1/attachments/..%2F..%2Fetc%2Fpasswd",
    ] {
        for m in [M::GET, M::PUT] {
            let s = call(
                m,
                u(bad),
                Some(&tb),
                Some(("application/octet-stream", b"x".to_vec())),
            )
            .await;
            assert_eq!(
                (s.status, s.code.as_str()),
                (StatusCode::BAD_REQUEST, "invalid_input"),
                "{bad}"
            );
        }
    }
    let octets = |b: Vec<u8>| Some(("application/octet-stream", b));
    let s = call(
        M::PUT,
        u(&unknown),
        Some(&tb),
        octets(b"other bytes".to_vec()),
    )
    .await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        "bytes that do not hash to the name: {}",
        s.body
    );
    let s = call(M::PUT, u(&unknown), Some(&tb), octets(Vec::new())).await;
    assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY, "an empty photo");
    let huge = vec![0u8; jiesu_core::wire::MAX_ATTACHMENT_BYTES + 1];
    let huge_name = format!(
        "/v1/attachments/{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&huge))
    );
    let s = call(M::PUT, u(&huge_name), Some(&tb), octets(huge)).await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
    for name in [&unknown, &huge_name] {
        assert_eq!(
            server
                .storage
                .attachment_scope(&name["/v1/attachments/".len()..])
                .await
                .unwrap(),
            Default::default(),
            "nothing stored under {name}"
        );
    }

    // push: malformed, oversized, too many, out of scope, forged device/office, unknown case
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        Some(("application/json", b"{\"events\": [1]}".to_vec())),
    )
    .await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        "{}",
        s.body
    );
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        Some(("application/json", big)),
    )
    .await;
    assert_eq!(s.status, StatusCode::PAYLOAD_TOO_LARGE);
    let own = {
        let mut st = b.store();
        let c = st.receive(parking("幸福社区的事")).unwrap();
        st.case_detail(c.id).unwrap().timeline[0].event.clone()
    };
    let many: Vec<Event> = (0..=jiesu_core::wire::MAX_PUSH_EVENTS)
        .map(|_| own.clone())
        .collect();
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": many})),
    )
    .await;
    assert_eq!(s.status, StatusCode::PAYLOAD_TOO_LARGE);

    let step = |body: EventBody, stream: &str| Event {
        id: uuid::Uuid::now_v7(),
        stream: stream.into(),
        hlc: own.hlc,
        author: own.author.clone(),
        account: None,
        prev: None,
        sig: None,
        device: own.device.clone(),
        office: own.office.clone(),
        body,
    };
    let urge = EventBody::CaseUrged { note: "催".into() };
    let into_a = step(urge.clone(), &case.id.to_string());
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": [own.clone(), into_a]})),
    )
    .await;
    assert_eq!(
        (s.status, s.code.as_str()),
        (StatusCode::FORBIDDEN, "out_of_scope"),
        "{}",
        s.body
    );
    let mut forged = step(urge.clone(), &own.stream);
    forged.device = a.store().identity().device.clone();
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": [forged]})),
    )
    .await;
    assert_eq!(s.status, StatusCode::FORBIDDEN, "another device's events");
    let mut forged = step(urge.clone(), &own.stream);
    forged.office = "a".into();
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": [forged]})),
    )
    .await;
    assert_eq!(s.status, StatusCode::FORBIDDEN, "another office's name");
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(
            serde_json::json!({"events": [step(urge.clone(), &uuid::Uuid::now_v7().to_string())]}),
        ),
    )
    .await;
    assert_eq!(
        s.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a case the server does not know"
    );
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": [step(urge.clone(), "../etc")]})),
    )
    .await;
    assert_eq!(
        s.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a malformed stream"
    );
    let mut reused = own.clone();
    reused.author = "别人".into();
    b.client
        .push(&PushRequest {
            public_key: None,
            events: vec![own.clone()],
        })
        .await
        .unwrap();
    let s = call(
        M::POST,
        u("/v1/push"),
        Some(&tb),
        json(serde_json::json!({"events": [reused]})),
    )
    .await;
    assert_eq!(
        s.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an id reused with other content"
    );

    // Nothing of the refused pushes was written: the only new feed entry at the street is
    // b's own accepted intake, and a still sees exactly its own case.
    let head_after = server.storage.feed_head("s1").await.unwrap();
    let street_new = server
        .storage
        .pull("s1", head_before, 100, 0)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(street_new.events.len(), 1, "only the accepted intake");
    assert_eq!(street_new.events[0].event.id, own.id);
    assert!(head_after > head_before);
    a.sync().await;
    {
        let mut sa = a.store();
        assert_eq!(sa.stats().unwrap().cases, 1);
        assert_eq!(
            sa.case_detail(case.id).unwrap().timeline.len(),
            2,
            "intake and its lookup code: no urge slipped in"
        );
        // And an action the app refuses never reaches the wire at all.
        assert!(
            sa.act(
                case.id,
                CaseCommand::Accept {
                    note: String::new()
                }
            )
            .is_err()
        );
        assert_eq!(sa.waiting().unwrap(), 0);
    }
    server.stop().await;
}
