//! The server's housekeeping against a hostile or careless caller: stores the owner's alone,
//! every error a `{code, message}`, enrolment codes not to be guessed at speed, one spelling per
//! device, and a revoked device's live stream closed.

use std::time::Duration;

use futures_util::StreamExt;
use jiesu_core::Code;
use jiesu_core::wire::EnrolRequest;
use reqwest::StatusCode;

use super::common::*;

async fn body_of(r: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("not a {{code, message}} body: {status} {text:?}"));
    (status, v)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_data_folder_and_database_are_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let place = Place::new(Backend::Sqlite);
    let _server = TestServer::start(&place).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(place.dir.path()), 0o700);
    let db = place.dir.path().join("jiesu-server.db");
    assert_eq!(mode(&db), 0o600);
    for companion in ["jiesu-server.db-wal", "jiesu-server.db-shm"] {
        let p = place.dir.path().join(companion);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{companion}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_axum_makes_itself_carries_code_and_message() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    let http = reqwest::Client::new();
    // A wrong method: 405, the body ours, the Allow header kept.
    let r = http
        .delete(format!("{}/v1/push", server.url))
        .send()
        .await
        .unwrap();
    let allow = r.headers().get("allow").cloned();
    let (status, v) = body_of(r).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(v["code"], "invalid_input");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(allow.is_some_and(|a| a.to_str().unwrap().contains("POST")));
    // The wrong content type: 415.
    let r = http
        .post(format!("{}/v1/enrol", server.url))
        .header("content-type", "text/plain")
        .body("code=1")
        .send()
        .await
        .unwrap();
    let (status, v) = body_of(r).await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("invalid_input"))
    );
    // No such route.
    let (status, v) = body_of(
        http.get(format!("{}/nowhere", server.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_enrolment_codes_is_stopped_after_ten_failures() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let client = jiesu_sync::Client::new(&server.url);
    let attempt = |code: String| {
        let client = client.clone();
        async move {
            client
                .enrol(&EnrolRequest {
                    public_key: None,
                    code,
                    device: uuid::Uuid::new_v4().to_string(),
                    device_name: "猜码机".into(),
                })
                .await
        }
    };
    for i in 0..jiesu_server::app::ENROL_FAILURES {
        let e = attempt(format!("AAAAA-{i:05}")).await.unwrap_err();
        assert_eq!(e.code, Code::Unauthorized, "attempt {i}");
    }
    // Locked out now, even with a good code; the good code is not spent.
    let good = jiesu_server::admin::issue_code(&*server.storage, "a", 1, now())
        .await
        .unwrap();
    let e = attempt(good.clone()).await.unwrap_err();
    assert_eq!(e.code, Code::TooManyAttempts, "{e}");
    let wait = e.params["retry_after_s"].as_i64().unwrap();
    assert!(
        wait > 0 && wait <= jiesu_server::app::ENROL_WINDOW_MS / 1000,
        "{wait}"
    );
    // Another server instance's memory is its own: the code still works there.
    let other = TestServer::start(&place).await;
    jiesu_sync::Client::new(&other.url)
        .enrol(&EnrolRequest {
            public_key: None,
            code: good,
            device: uuid::Uuid::new_v4().to_string(),
            device_name: "秘书的电脑".into(),
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_kept_under_one_spelling_and_its_name_cannot_forge_a_listing() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let client = jiesu_sync::Client::new(&server.url);
    let id = uuid::Uuid::new_v4();
    let code = jiesu_server::admin::issue_code(&*server.storage, "a", 1, now())
        .await
        .unwrap();
    // A name with a line break is refused, and the code is not spent on it.
    let e = client
        .enrol(&EnrolRequest {
            public_key: None,
            code: code.clone(),
            device: id.to_string(),
            device_name: "pc\nb1b2  a  伪造的一行  tag ZZ  active".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    // The id in capitals is the same device, kept in its canonical spelling.
    client
        .enrol(&EnrolRequest {
            public_key: None,
            code,
            device: format!(" {} ", id.to_string().to_uppercase()),
            device_name: "秘书的电脑".into(),
        })
        .await
        .unwrap();
    let devices = jiesu_server::admin::devices(&*server.storage)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_device_closes_its_live_stream() {
    let place = Place::new(Backend::Sqlite);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    for by_admin in [true, false] {
        let a = App::enrol(&server, "a", 0).await;
        let mut stream = Box::pin(a.client.live().await.unwrap());
        // The first notice is the feed's head.
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap();
        let device = a.store().identity().device.clone();
        if by_admin {
            // The admin command runs in another process: the stream learns it on its next look.
            jiesu_server::admin::revoke(&*server.storage, &device, now())
                .await
                .unwrap();
        } else {
            a.client.unenrol().await.unwrap();
        }
        let limit = jiesu_server::app::LIVE_CHECK + Duration::from_secs(5);
        let ended =
            tokio::time::timeout(limit, async { while stream.next().await.is_some() {} }).await;
        assert!(
            ended.is_ok(),
            "by admin: {by_admin}: the stream stayed open"
        );
    }
}
