//! The server's request decoders, through its real router (in process, SQLite in a temp dir):
//! arbitrary bytes as a push body, a pull query, an enrolment, a photo upload or fetch and
//! a revocation, from an enrolled device; and arbitrary events pushed as a well-formed body,
//! so the checks behind the decoder (validation, clocks, authority, the plan, storage) run
//! too. Every answer must be a success or a refusal with `{code, message}`, never a 5xx; a
//! panic is a finding.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use jiesu_core::wire::{Office, OfficeKind, PushRequest};
use jiesu_server::{AppState, admin, open_storage, router};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// 2026-11-23 09:00 China time: the server's clock, fixed.
const NOW: i64 = 1_795_395_600_000;

struct Server {
    rt: tokio::runtime::Runtime,
    app: axum::Router,
    credential: String,
    _dir: tempfile::TempDir,
}

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (app, credential) = rt.block_on(async {
            let storage = open_storage(None, dir.path()).await.unwrap();
            let o = |id: &str, kind, parent: Option<&str>| Office {
                id: id.into(),
                name: format!("{id}办"),
                kind,
                parent: parent.map(Into::into),
            };
            for office in [
                o("d", OfficeKind::District, None),
                o("s1", OfficeKind::Street, Some("d")),
                o("a", OfficeKind::Community, Some("s1")),
                o("b", OfficeKind::Community, Some("s1")),
            ] {
                admin::add_office(&*storage, &office, NOW).await.unwrap();
            }
            let code = admin::issue_code(&*storage, "a", 7, NOW).await.unwrap();
            let state = AppState::with_clock(storage, Box::new(|| NOW)).await.unwrap();
            let app = router(state);
            let body = serde_json::json!({
                "code": code,
                // The device the arbitrary events name (`jiesu_core::fuzzing::events`).
                "device": "4f1c0f0e-7b55-4b8e-9d43-000000000000",
                "device_name": "fuzz",
            });
            let res = app
                .clone()
                .oneshot(request(Method::POST, "/v1/enrol", None, body.to_string().into_bytes()))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
            let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            (app, answer["credential"].as_str().unwrap().to_owned())
        });
        Server {
            rt,
            app,
            credential,
            _dir: dir,
        }
    })
}

fn request(method: Method, uri: &str, credential: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(c) = credential {
        b = b.header("authorization", format!("Bearer {c}"));
    }
    let mut req = b.body(Body::from(body)).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 7], 4711))));
    req
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let cred = Some(s.credential.as_str());
    let req = match which % 8 {
        0 => request(Method::POST, "/v1/push", cred, rest.to_vec()),
        1 => {
            // A query string is what it is; an unparseable URI is refused before the router.
            let uri = format!("/v1/pull?{}", text.replace(['#', ' '], ""));
            if uri.parse::<axum::http::Uri>().is_err() {
                return;
            }
            request(Method::GET, &uri, cred, Vec::new())
        }
        2 => request(Method::POST, "/v1/enrol", None, rest.to_vec()),
        3 => {
            let sha = hex_of(rest);
            request(Method::PUT, &format!("/v1/attachments/{sha}"), cred, rest.to_vec())
        }
        4 => {
            let path: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            request(Method::GET, &format!("/v1/attachments/{path}x"), cred, Vec::new())
        }
        5 => {
            // Any credential a header can carry (one it cannot is refused before the server).
            if axum::http::HeaderValue::from_str(&format!("Bearer {text}")).is_err() {
                return;
            }
            request(Method::POST, "/v1/push", Some(&text), b"{\"events\":[]}".to_vec())
        }
        _ => {
            // Well-formed pushes of arbitrary events: past the decoder, into the checks.
            let mut u = arbitrary::Unstructured::new(rest);
            let Ok(events) = jiesu_core::fuzzing::events(&mut u) else {
                return;
            };
            let Ok(body) = serde_json::to_vec(&PushRequest { events, public_key: None }) else {
                return;
            };
            request(Method::POST, "/v1/push", cred, body)
        }
    };
    let app: axum::Router = s.app.clone();
    s.rt.block_on(async move {
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        assert!(!status.is_server_error(), "{status}: {}", String::from_utf8_lossy(&bytes));
        if !status.is_success() {
            let body: serde_json::Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{status} without a JSON body ({e})"));
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{status}: {body}"
            );
        }
    });
});

/// A photo's name: the SHA-256 of its bytes, as the app computes it (so the upload is one the
/// server checks all the way).
fn hex_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
