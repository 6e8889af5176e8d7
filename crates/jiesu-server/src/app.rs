//! The HTTP surface: `/v1/…` routes over a [`Storage`].
//!
//! | route | auth | what |
//! |---|---|---|
//! | `GET /v1/health` | – | liveness, version, server time |
//! | `POST /v1/enrol` | one-time code | a device credential |
//! | `GET /v1/me` | device | its office and the directory of offices it may name |
//! | `POST /v1/push` | device | store events, answer receipts |
//! | `GET /v1/pull?after=&limit=` | device | a page of the office's feed |
//! | `GET /v1/live` | device | server-sent `changed` events when the feed grows |
//! | `POST /v1/unenrol` | device | revoke its own credential |
//! | `PUT /v1/attachments/{sha256}` | device | upload a photo's bytes |
//! | `GET /v1/attachments/{sha256}` | device | a photo of a case the device's office sees |
//!
//! Every refusal is a 4xx with a `{code, message, params}` body and writes nothing.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use jiesu_protocol::wire::{
    EnrolRequest, EnrolResponse, FeedChanged, MAX_ATTACHMENT_BYTES, MAX_BODY_BYTES,
    MAX_PULL_EVENTS, MAX_PUSH_EVENTS, Me, PushRequest, PushResponse, RawPullResponse,
};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio::sync::{RwLock, broadcast};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::limits::Failures;
use crate::scope::{Tree, sees_photo};
use crate::storage::{DeviceRecord, Storage};

/// Failed enrolments an address may make in [`ENROL_WINDOW_MS`] before it is refused
/// (`429 too_many_attempts`) until the window has passed: codes are 50 bits, but nobody gets
/// to try them by the million.
pub const ENROL_FAILURES: u32 = 10;

/// The window [`ENROL_FAILURES`] counts in.
pub const ENROL_WINDOW_MS: i64 = 15 * 60_000;

/// How often an open live stream checks that its device is still enrolled: a device revoked
/// by the admin command (another process) stops hearing of changes within this time.
pub const LIVE_CHECK: Duration = Duration::from_secs(5);

/// Shared server state.
pub struct AppState {
    /// The store.
    pub storage: Arc<dyn Storage>,
    // Shared, not copied, per request: a district may have thousands of offices.
    tree: RwLock<Arc<Tree>>,
    live: broadcast::Sender<Arc<Vec<(String, i64)>>>,
    /// Devices revoked through this process (unenrol): their live streams end at once.
    revoked: broadcast::Sender<String>,
    /// Failed enrolments per address.
    enrol_failures: Failures<IpAddr>,
    /// The public lookup page's limits and settings (`crate::lookup`).
    pub(crate) lookup: crate::lookup::Limits,
    /// Open311's limits (`crate::open311`).
    pub(crate) open311: crate::open311::Limits,
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl AppState {
    /// State over `storage`, on the system clock.
    pub async fn new(storage: Arc<dyn Storage>) -> Result<Arc<AppState>, ApiError> {
        Self::with_clock(storage, Box::new(|| chrono::Utc::now().timestamp_millis())).await
    }

    /// State with a given clock (tests).
    pub async fn with_clock(
        storage: Arc<dyn Storage>,
        clock: Box<dyn Fn() -> i64 + Send + Sync>,
    ) -> Result<Arc<AppState>, ApiError> {
        let tree = Tree::new(storage.offices().await?);
        let (live, _) = broadcast::channel(1024);
        let (revoked, _) = broadcast::channel(64);
        Ok(Arc::new(AppState {
            storage,
            tree: RwLock::new(Arc::new(tree)),
            live,
            revoked,
            enrol_failures: Failures::new(ENROL_FAILURES, ENROL_WINDOW_MS),
            lookup: crate::lookup::Limits::default(),
            open311: crate::open311::Limits::default(),
            clock,
        }))
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Tell live listeners which feeds grew (nobody listening is fine: live notify is a hint,
    /// polling is the fallback).
    pub(crate) fn notify(&self, grown: Vec<(String, i64)>) {
        if !grown.is_empty() {
            let _ = self.live.send(Arc::new(grown));
        }
    }

    /// The organisation, reloaded when it lacks an office asked for (offices are only added,
    /// by the admin command, possibly from another process).
    pub(crate) async fn tree_with(&self, ids: &[&str]) -> Result<Arc<Tree>, ApiError> {
        {
            let t = self.tree.read().await;
            if ids.iter().all(|i| t.get(i).is_some()) {
                return Ok(t.clone());
            }
        }
        let fresh = Arc::new(Tree::new(self.storage.offices().await?));
        *self.tree.write().await = fresh.clone();
        Ok(fresh)
    }
}

/// The router with its layers.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enrol", post(enrol))
        .route("/v1/me", get(me))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/live", get(live))
        .route("/v1/unenrol", post(unenrol))
        .route(
            "/v1/attachments/{sha256}",
            get(get_attachment)
                .put(put_attachment)
                // Photos are the one body larger than the general limit.
                .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES)),
        )
        .merge(crate::lookup::routes())
        .merge(crate::open311::routes())
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(axum::middleware::map_response(uniform_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Every refusal carries `{code, message}`, also those axum makes itself (405 for a wrong
/// method, a body limit's 413): a response with an error status and no JSON body gets one.
async fn uniform_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    // The public pages answer in HTML and Open311 in its XML, refusals included.
    let is_own = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"text/html") || v.as_bytes().starts_with(b"text/xml")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json || is_own {
        return res;
    }
    use axum::http::StatusCode as S;
    let code = match status {
        S::UNAUTHORIZED => jiesu_protocol::Code::Unauthorized,
        S::FORBIDDEN => jiesu_protocol::Code::OutOfScope,
        S::NOT_FOUND => jiesu_protocol::Code::NotFound,
        S::PAYLOAD_TOO_LARGE => jiesu_protocol::Code::TooLarge,
        S::TOO_MANY_REQUESTS => jiesu_protocol::Code::TooManyAttempts,
        s if s.is_server_error() => jiesu_protocol::Code::Server,
        _ => jiesu_protocol::Code::InvalidInput,
    };
    let message = status.canonical_reason().unwrap_or("refused").to_owned();
    let mut out = ApiError::with_status(status, code, message).into_response();
    // What the refusal said in its headers stays (Allow for a 405).
    for (name, value) in res.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The caller's address, as the connection gave it (unknown in tests that serve without it).
pub struct Peer(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        ))
    }
}

/// JSON body whose rejections are `{code, message}` like every other error.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(json_rejection(e)),
        }
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
    } else {
        // 400 for a body that is not JSON, 422 for JSON of the wrong shape, 415 without the
        // JSON content type: axum's statuses, our body.
        ApiError::with_status(
            e.status(),
            jiesu_protocol::Code::InvalidInput,
            e.body_text(),
        )
    }
}

/// The authenticated device, from `Authorization: Bearer <credential>`.
pub struct Device(pub DeviceRecord);

impl FromRequestParts<Arc<AppState>> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("a device credential is required"))?;
        state
            .storage
            .device_by_credential(&hash(token.trim()))
            .await?
            .map(Device)
            .ok_or_else(|| ApiError::unauthorized("unknown or revoked credential"))
    }
}

/// The hash of the caller's credential (after [`Device`] accepted it).
pub struct Credential(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Credential {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Credential(hash(t.trim())))
            .ok_or_else(|| ApiError::unauthorized("a device credential is required"))
    }
}

/// SHA-256 of a secret, hex. Credentials and codes are long random strings, so a fast hash
/// is enough: there is no password to guess.
pub fn hash(secret: &str) -> String {
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// An enrolment code as typed: dashes, spaces and case do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Serialize)]
struct Health {
    ok: bool,
    version: &'static str,
    server_time: i64,
}

async fn health(State(s): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        ok: true,
        version: env!("CARGO_PKG_VERSION"),
        server_time: s.now(),
    })
}

async fn enrol(
    State(s): State<Arc<AppState>>,
    Peer(addr): Peer,
    Body(req): Body<EnrolRequest>,
) -> Result<Json<EnrolResponse>, ApiError> {
    if let Some(wait) = s.enrol_failures.locked(&addr, s.now()) {
        tracing::warn!(%addr, "enrolment refused: too many failed attempts from this address");
        return Err(ApiError::too_many(wait));
    }
    // One spelling per device: a second record for the same id in capitals would survive
    // the first one's revocation.
    let Ok(device_id) = uuid::Uuid::parse_str(req.device.trim()).map(|u| u.to_string()) else {
        return Err(ApiError::invalid(
            "device must be the store's device id (a UUID)",
        ));
    };
    let name = req.device_name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "device_name must be 1 to 100 characters, none of them control characters",
        ));
    }
    if let Some(k) = &req.public_key
        && jiesu_protocol::seal::public_key(k).is_err()
    {
        return Err(ApiError::invalid(
            "public_key must be an Ed25519 key in hex",
        ));
    }
    let credential = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    let now = s.now();
    let device = s
        .storage
        .enrol(
            &hash(&normalise_code(&req.code)),
            &device_id,
            name,
            &hash(&credential),
            now,
        )
        .await?;
    let Some(device) = device else {
        s.enrol_failures.failed(addr, now);
        tracing::warn!(%addr, device = %device_id, name, "enrolment refused: unknown, used or expired code");
        return Err(ApiError::unauthorized(
            "unknown, used or expired enrolment code",
        ));
    };
    if let Some(k) = &req.public_key {
        s.storage.register_key(&device.id, k).await?;
    }
    let tree = s.tree_with(&[&device.office]).await?;
    let office = tree
        .get(&device.office)
        .cloned()
        .ok_or_else(|| ApiError::internal("enrolled into an unknown office"))?;
    tracing::info!(device = %device.id, office = %office.id, "device enrolled");
    Ok(Json(EnrolResponse {
        credential,
        office,
        device_tag: device.tag,
        server_time: now,
    }))
}

async fn me(State(s): State<Arc<AppState>>, Device(d): Device) -> Result<Json<Me>, ApiError> {
    let tree = s.tree_with(&[&d.office]).await?;
    Ok(Json(Me {
        device: d.id,
        office: tree
            .get(&d.office)
            .cloned()
            .ok_or_else(|| ApiError::internal("device in an unknown office"))?,
        directory: tree.directory(&d.office),
        server_time: s.now(),
    }))
}

async fn push(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
    Body(req): Body<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if req.events.len() > MAX_PUSH_EVENTS {
        return Err(ApiError::too_large(format!(
            "at most {MAX_PUSH_EVENTS} events a push"
        )));
    }
    let mut named: Vec<&str> = vec![&d.office];
    for e in &req.events {
        if let jiesu_protocol::EventBody::CaseTransferredToOffice { office, .. } = &e.body {
            named.push(office);
        }
    }
    if let Some(k) = &req.public_key {
        register_key(&s, &d, k).await?;
    }
    let tree = s.tree_with(&named).await?;
    let now = s.now();
    let outcome = s.storage.push(&d, &req.events, &tree, now).await?;
    s.notify(outcome.grown);
    Ok(Json(PushResponse {
        receipts: outcome.receipts,
        server_time: now,
    }))
}

/// A device enrolled before seals registers its key with its first push that offers one;
/// a registered key is never replaced (a stolen credential cannot bring its own key).
async fn register_key(
    s: &AppState,
    d: &crate::storage::DeviceRecord,
    key: &str,
) -> Result<(), ApiError> {
    if d.public_key.as_deref() == Some(key) {
        return Ok(());
    }
    if jiesu_protocol::seal::public_key(key).is_err() {
        return Err(ApiError::invalid(
            "public_key must be an Ed25519 key in hex",
        ));
    }
    if s.storage.register_key(&d.id, key).await?.as_deref() != Some(key) {
        tracing::warn!(device = %d.id, "push refused: a public key other than the registered one");
        return Err(ApiError::with_status(
            axum::http::StatusCode::CONFLICT,
            jiesu_protocol::Code::InvalidInput,
            "the device's public key differs from the one registered",
        ));
    }
    Ok(())
}

/// Pull parameters.
#[derive(Deserialize)]
pub struct PullQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

async fn pull(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
    q: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<RawPullResponse>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::malformed(e.body_text()))?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after must not be negative"));
    }
    let limit = q.limit.unwrap_or(MAX_PULL_EVENTS).clamp(1, MAX_PULL_EVENTS);
    Ok(Json(
        s.storage.pull(&d.office, after, limit, s.now()).await?,
    ))
}

async fn live(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
    Credential(credential): Credential,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let rx = s.live.subscribe();
    // The stream ends when its device is revoked: at once when it unenrols through this
    // process, within LIVE_CHECK when an administrator revokes it from the command line.
    let revoked = {
        let (state, device) = (s.clone(), d.id.clone());
        let mut told = s.revoked.subscribe();
        async move {
            let mut tick = tokio::time::interval(LIVE_CHECK);
            loop {
                tokio::select! {
                    msg = told.recv() => match msg {
                        Ok(id) if id == device => return,
                        Err(broadcast::error::RecvError::Closed) => return,
                        _ => {}
                    },
                    _ = tick.tick() => {
                        if !matches!(state.storage.device_by_credential(&credential).await, Ok(Some(_))) {
                            return;
                        }
                    }
                }
            }
        }
    };
    let head = s.storage.feed_head(&d.office).await?;
    let office = d.office.clone();
    let first = tokio_stream::once(FeedChanged { head });
    let changes = BroadcastStream::new(rx).filter_map(move |msg| match msg {
        Ok(grown) => grown
            .iter()
            .find(|(o, _)| *o == office)
            .map(|(_, head)| FeedChanged { head: *head }),
        // Missed messages: say "changed" anyway, the client pulls and finds out.
        Err(_) => Some(FeedChanged { head: i64::MAX }),
    });
    let stream = first.chain(changes).map(|c| {
        Ok(SseEvent::default()
            .event("changed")
            .data(serde_json::to_string(&c).unwrap_or_default()))
    });
    let stream = futures_util::StreamExt::take_until(stream, Box::pin(revoked));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn unenrol(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
) -> Result<Json<serde_json::Value>, ApiError> {
    s.storage.revoke(&d.id, s.now()).await?;
    let _ = s.revoked.send(d.id.clone());
    tracing::info!(device = %d.id, "device unenrolled itself");
    Ok(Json(serde_json::json!({ "revoked": true })))
}

/// The photo named in the path: a SHA-256 in hex.
fn photo_hash(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(sha) = path.map_err(|e| ApiError::malformed(e.body_text()))?;
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::malformed(
            "a photo is named by the SHA-256 of its bytes (64 hex digits)",
        ));
    }
    Ok(sha.to_ascii_lowercase())
}

async fn put_attachment(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let sha = photo_hash(path)?;
    let bytes = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "a photo may be at most {MAX_ATTACHMENT_BYTES} bytes"
            ))
        } else {
            ApiError::malformed(e.body_text())
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("the photo is empty"));
    }
    // Stored under its hash, so the hash must be the bytes': a device cannot put other bytes
    // under the name a case refers to.
    if hex::encode(sha2::Sha256::digest(&bytes)) != sha {
        return Err(ApiError::invalid(format!(
            "the bytes do not hash to {sha} (cut off on the way?)"
        )));
    }
    let size = bytes.len();
    s.storage
        .put_attachment(&sha, bytes.to_vec(), &d.office, s.now())
        .await?;
    Ok(Json(serde_json::json!({ "sha256": sha, "size": size })))
}

async fn get_attachment(
    State(s): State<Arc<AppState>>,
    Device(d): Device,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let sha = photo_hash(path)?;
    let scope = s.storage.attachment_scope(&sha).await?;
    if scope.uploaders.is_empty() && scope.holders.is_empty() {
        return Err(ApiError::not_found("no such photo"));
    }
    // Every office named, so an office added since the tree was loaded is in it.
    let mut named: Vec<&str> = vec![&d.office];
    named.extend(scope.holders.iter().map(String::as_str));
    named.extend(scope.uploaders.iter().map(String::as_str));
    let tree = s.tree_with(&named).await?;
    if !sees_photo(&tree, &d.office, &scope) {
        return Err(ApiError::out_of_scope(
            "the photo belongs to another office's case",
        ));
    }
    let Some(bytes) = s.storage.attachment_bytes(&sha).await? else {
        // The case has arrived, the photo not yet: its office uploads it on its next sync.
        return Err(ApiError::not_found("the photo has not been uploaded yet"));
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, sniff_type(&bytes)),
            // Named by its hash: the bytes behind a name never change.
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The photo's type from its first bytes. An image type also keeps the compression layer
/// from packing bytes that are packed already.
fn sniff_type(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        _ => "application/octet-stream",
    }
}
