//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2/>): civic apps list the
//! services, file requests into a community, and read their public status.
//!
//! | route | what |
//! |---|---|
//! | `GET /open311/v2/services.{json,xml}` | the category tree's leaves ([`form::services`]) |
//! | `GET /open311/v2/services/{code}.{json,xml}` | a service's attributes (building, unit, room) |
//! | `POST /open311/v2/requests.{json,xml}` | file a request (form-encoded, `api_key` required) |
//! | `GET /open311/v2/requests.{json,xml}` | requests filed through Open311, newest first |
//! | `GET /open311/v2/requests/{id}.{json,xml}` | one of them |
//!
//! **Filing.** A request names a community (`jurisdiction_id` = its office id). It becomes a
//! `case_received` (channel 线上) and a `case_lookup_code_set`, written by that community's
//! server-side intake device (`storage/open311.rs`), signed with its key and stored through
//! the same push every PC's events go through (scope, authority, seals), so the community
//! pulls it like any other case and sees where it came from. Deadlines follow the default
//! policy on the shipped working-day calendar, counted from the server's clock. The answer
//! carries the case number and a lookup code for the resident's page.
//!
//! **Status** is the public rule's view of the case ([`jiesu_protocol::public`]): open or
//! closed, the newest public note or reply, the handling unit's name, the dates. Nothing the
//! resident gave (description, address, position, contact) is ever in an answer.
//!
//! **Abuse.** A wrong api key counts against the client's address ([`BAD_KEYS`] per
//! [`WINDOW_MS`]); each app may file [`FILINGS_PER_KEY`] requests per [`KEY_WINDOW_MS`]; reads
//! are limited per address ([`READS`] per [`WINDOW_MS`]); a form is at most
//! [`MAX_FORM_BYTES`]. Nothing is written for a refused request. Errors are the spec's
//! `[{code, description}]` (or `<errors>`), not the sync API's `{code, message}`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiesu_protocol::event::Received;
use jiesu_protocol::public::{PublicCase, Stage, Step};
use jiesu_protocol::{Event, EventBody, Hlc, seal};

use crate::app::{AppState, Peer};
use crate::limits::Failures;
use crate::storage::open311::{ClientApp, NewIntakeDevice, RequestQuery, RequestRow};

pub mod form;
pub mod render;

use render::{Answer, ApiErr, Filed, Fmt, Status};

/// Wrong api keys an address may send per [`WINDOW_MS`].
pub const BAD_KEYS: u32 = 20;
/// Reads an address may make per [`WINDOW_MS`].
pub const READS: u32 = 600;
/// The window [`BAD_KEYS`] and [`READS`] count in.
pub const WINDOW_MS: i64 = 15 * 60_000;
/// Requests one client app may file per [`KEY_WINDOW_MS`].
pub const FILINGS_PER_KEY: u32 = 120;
/// The window [`FILINGS_PER_KEY`] counts in.
pub const KEY_WINDOW_MS: i64 = 60 * 60_000;
/// The largest form taken: a 4,000-character Chinese description, percent-encoded, is ~36 KB.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Most requests one listing returns.
pub const MAX_LISTED: u32 = 200;
/// Most ids one listing may ask for.
pub const MAX_IDS: usize = 50;
/// The longest period a listing may span (the spec's 90 days).
pub const MAX_PERIOD_MS: i64 = 90 * 86_400_000;
/// The intake device's name, as the community's device list and trace show it.
pub const INTAKE_DEVICE_NAME: &str = "线上受理（Open311）";

/// Open311's limits, held in [`AppState`].
pub struct Limits {
    bad_keys: Failures<IpAddr>,
    reads: Failures<IpAddr>,
    filings: Failures<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            bad_keys: Failures::new(BAD_KEYS, WINDOW_MS),
            reads: Failures::new(READS, WINDOW_MS),
            filings: Failures::new(FILINGS_PER_KEY, KEY_WINDOW_MS),
        }
    }
}

/// The Open311 routes, merged into the server's router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(file_request))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
}

/// An answer in `fmt` with `status`.
fn answer<A: Answer + ?Sized>(status: StatusCode, fmt: Fmt, a: &A) -> Response {
    let mut res = (status, render::body(a, fmt)).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(fmt.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Civic apps running in a browser may read the public answers.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// The spec's error list with one error.
fn error(status: StatusCode, fmt: Fmt, description: impl Into<String>) -> Response {
    answer(
        status,
        fmt,
        &[ApiErr {
            code: status.as_u16(),
            description: description.into(),
        }][..],
    )
}

/// The path's file as `stem` in a format, or the spec's 404 (in JSON: no format was named).
fn file_of(file: &str) -> Result<(&str, Fmt), Box<Response>> {
    Fmt::split(file).ok_or_else(|| {
        Box::new(error(
            StatusCode::NOT_FOUND,
            Fmt::Json,
            "no such resource: name a .json or .xml file",
        ))
    })
}

/// Counts a read against the client's address; the answer when it has made too many.
fn read_allowed(s: &AppState, addr: IpAddr, fmt: Fmt) -> Result<(), Box<Response>> {
    let now = s.now();
    if let Some(wait) = s.open311.reads.locked(&addr, now) {
        return Err(Box::new(too_many(fmt, wait)));
    }
    s.open311.reads.failed(addr, now);
    Ok(())
}

fn too_many(fmt: Fmt, wait_s: i64) -> Response {
    let mut res = error(
        StatusCode::TOO_MANY_REQUESTS,
        fmt,
        format!("too many requests: try again in {wait_s} s"),
    );
    if let Ok(v) = HeaderValue::from_str(&wait_s.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn unavailable(fmt: Fmt, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "open311 failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        fmt,
        "the service is unavailable; try again later",
    )
}

#[derive(serde::Deserialize, Default)]
struct Params {
    jurisdiction_id: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

async fn top(
    State(s): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Path(file): Path<String>,
    q: Result<Query<Params>, QueryRejection>,
) -> Response {
    let (stem, fmt) = match file_of(&file) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if let Err(r) = read_allowed(&s, crate::lookup::client(&s, peer, &headers), fmt) {
        return *r;
    }
    let Ok(Query(q)) = q else {
        return error(StatusCode::BAD_REQUEST, fmt, "malformed query");
    };
    match stem {
        "services" => services(&s, fmt, &q).await,
        "requests" => list(&s, fmt, &q).await,
        _ => error(StatusCode::NOT_FOUND, fmt, "no such resource"),
    }
}

/// `Err` with the answer when `jurisdiction_id` names no office.
async fn known_jurisdiction(s: &AppState, fmt: Fmt, id: Option<&str>) -> Result<(), Response> {
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Ok(());
    };
    match s.tree_with(&[id]).await {
        Ok(t) if t.get(id).is_some() => Ok(()),
        Ok(_) => Err(error(
            StatusCode::NOT_FOUND,
            fmt,
            format!("jurisdiction_id {id} is not an office of this server"),
        )),
        Err(e) => Err(unavailable(fmt, e.body.message)),
    }
}

async fn services(s: &AppState, fmt: Fmt, q: &Params) -> Response {
    if let Err(r) = known_jurisdiction(s, fmt, q.jurisdiction_id.as_deref()).await {
        return r;
    }
    answer(StatusCode::OK, fmt, &form::services()[..])
}

async fn definition(
    State(s): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let (code, fmt) = match file_of(&file) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if let Err(r) = read_allowed(&s, crate::lookup::client(&s, peer, &headers), fmt) {
        return *r;
    }
    if form::service(code).is_none() {
        return error(
            StatusCode::NOT_FOUND,
            fmt,
            format!("service_code {code} is not a service of this endpoint"),
        );
    }
    answer(StatusCode::OK, fmt, &form::definition(code))
}

async fn file_request(
    State(s): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Path(file): Path<String>,
    body: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let fmt = match file_of(&file) {
        Ok(("requests", fmt)) => fmt,
        Ok((_, fmt)) => return error(StatusCode::NOT_FOUND, fmt, "only requests are filed"),
        Err(r) => return *r,
    };
    let addr = crate::lookup::client(&s, peer, &headers);
    let now = s.now();
    if let Some(wait) = s.open311.bad_keys.locked(&addr, now) {
        tracing::warn!(%addr, "open311 filing refused: too many wrong api keys");
        return too_many(fmt, wait);
    }
    let pairs = match body {
        Ok(Form(p)) => p,
        // A body past the limit is the one refusal that is not the client's form's fault.
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                fmt,
                format!("a request is at most {MAX_FORM_BYTES} bytes"),
            );
        }
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                fmt,
                format!(
                    "send the request as application/x-www-form-urlencoded ({})",
                    e.body_text()
                ),
            );
        }
    };
    let key = pairs
        .iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    let app = if key.is_empty() {
        None
    } else {
        match s.storage.client_by_key(&crate::app::hash(key)).await {
            Ok(a) => a,
            Err(e) => return unavailable(fmt, e),
        }
    };
    let Some(app) = app else {
        s.open311.bad_keys.failed(addr, now);
        tracing::warn!(%addr, "open311 filing refused: missing, unknown or revoked api key");
        return error(
            StatusCode::FORBIDDEN,
            fmt,
            "api_key is missing, unknown or revoked",
        );
    };
    if let Some(wait) = s.open311.filings.locked(&app.id, now) {
        tracing::warn!(client = %app.id, "open311 filing refused: the app's hourly limit");
        return too_many(fmt, wait);
    }
    s.open311.filings.failed(app.id.clone(), now);
    let filing = match form::read(&pairs) {
        Ok(f) => f,
        Err(form::Bad(why)) => return error(StatusCode::BAD_REQUEST, fmt, why),
    };
    let community = match s.tree_with(&[&filing.jurisdiction]).await {
        Ok(t) => t.get(&filing.jurisdiction).cloned(),
        Err(e) => return unavailable(fmt, e.body.message),
    };
    match community {
        Some(o) if o.kind == jiesu_protocol::wire::OfficeKind::Community => {}
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                fmt,
                format!(
                    "jurisdiction_id {} is a street or district: requests are filed with a community",
                    filing.jurisdiction
                ),
            );
        }
        None => {
            return error(
                StatusCode::NOT_FOUND,
                fmt,
                format!(
                    "jurisdiction_id {} is not an office of this server",
                    filing.jurisdiction
                ),
            );
        }
    }
    match write(&s, &app, filing, now).await {
        Ok(filed) => answer(StatusCode::CREATED, fmt, &[filed][..]),
        Err(Refusal::Off) => error(
            StatusCode::FORBIDDEN,
            fmt,
            "Open311 intake is switched off for this community",
        ),
        Err(Refusal::Failed(e)) => unavailable(fmt, e),
    }
}

enum Refusal {
    /// The community's intake device was revoked.
    Off,
    Failed(String),
}

fn failed(e: impl std::fmt::Display) -> Refusal {
    Refusal::Failed(e.to_string())
}

/// Write the request as the community's intake device: reserve its number, then push its
/// intake and lookup code like any PC's events.
async fn write(
    s: &AppState,
    app: &ClientApp,
    filing: form::Filing,
    now: i64,
) -> Result<Filed, Refusal> {
    use rand::RngCore;
    let office = filing.jurisdiction;
    let fresh = {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let mut unused = [0u8; 32];
        rand::rng().fill_bytes(&mut unused);
        NewIntakeDevice {
            id: uuid::Uuid::new_v4().to_string(),
            name: INTAKE_DEVICE_NAME.to_owned(),
            credential_hash: crate::app::hash(&hex::encode(unused)),
            public_key: seal::public_key_hex(&seal::signing_key(&secret)),
            secret: hex::encode(secret),
        }
    };
    let (device, secret) = s
        .storage
        .intake_device(&office, &fresh, now)
        .await
        .map_err(failed)?;
    if device.revoked_ms.is_some() {
        return Err(Refusal::Off);
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(&secret, &mut bytes).map_err(failed)?;
    let key = seal::signing_key(&bytes);
    let stream = uuid::Uuid::now_v7();
    let category = filing.intake.category.clone();
    let prefix = format!(
        "{}-{}",
        jiesu_protocol::time::local_date(now).format("%y%m%d"),
        device.tag
    );
    let number = s
        .storage
        .reserve_request(
            &RequestRow {
                stream: stream.to_string(),
                office: office.clone(),
                client: app.id.clone(),
                service_code: category.clone(),
                number: String::new(),
                requested_ms: now,
            },
            &prefix,
        )
        .await
        .map_err(failed)?;
    let limits = jiesu_protocol::deadline::DeadlinePolicy::default()
        .limits(&category, filing.intake.urgency);
    let calendar = calendar();
    let received = Received {
        number: number.clone(),
        intake: filing.intake,
        response_due: limits.response.due(calendar, now),
        resolve_due: limits.resolve.due(calendar, now),
    };
    let code = jiesu_protocol::public::new_code(rand::rng().next_u64());
    let event = |counter, body| Event {
        id: uuid::Uuid::now_v7(),
        stream: stream.to_string(),
        hlc: Hlc {
            wall_ms: now,
            counter,
        },
        author: app.name.clone(),
        account: None,
        device: device.id.clone(),
        office: office.clone(),
        body,
        prev: None,
        sig: None,
    };
    let mut intake = event(0, EventBody::CaseReceived(Box::new(received)));
    seal::sign(&mut intake, None, &key).map_err(failed)?;
    let mut code_set = event(
        1,
        EventBody::CaseLookupCodeSet {
            hash: jiesu_protocol::public::lookup_hash(stream, &code),
        },
    );
    seal::sign(&mut code_set, seal::hash(&intake), &key).map_err(failed)?;
    let tree = s
        .tree_with(&[&office])
        .await
        .map_err(|e| failed(e.body.message))?;
    let outcome = s
        .storage
        .push(&device, &[intake, code_set], &tree, now)
        .await
        .map_err(failed)?;
    s.notify(outcome.grown);
    tracing::info!(client = %app.id, office = %office, %number, "open311 request filed");
    Ok(Filed {
        service_request_id: stream.to_string(),
        service_notice: format!(
            "已受理。案件编号 {number}，查询码 {} {}：凭编号和查询码可在本服务器的 /lookup 页面查看办理进度。",
            &code[..4],
            &code[4..]
        ),
        account_id: None,
    })
}

/// The shipped working-day calendar, read once.
fn calendar() -> &'static jiesu_protocol::calendar::Calendar {
    static CAL: std::sync::OnceLock<jiesu_protocol::calendar::Calendar> =
        std::sync::OnceLock::new();
    CAL.get_or_init(jiesu_protocol::calendar::Calendar::china)
}

async fn one_request(
    State(s): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let (id, fmt) = match file_of(&file) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if let Err(r) = read_allowed(&s, crate::lookup::client(&s, peer, &headers), fmt) {
        return *r;
    }
    let rows = match s.storage.requests_by_id(&[id.to_owned()]).await {
        Ok(r) => r,
        Err(e) => return unavailable(fmt, e),
    };
    match statuses(&s, rows).await {
        Ok(found) if !found.is_empty() => answer(StatusCode::OK, fmt, &found[..]),
        Ok(_) => error(
            StatusCode::NOT_FOUND,
            fmt,
            format!("service_request_id {id} is not a request filed here"),
        ),
        Err(e) => unavailable(fmt, e),
    }
}

async fn list(s: &AppState, fmt: Fmt, q: &Params) -> Response {
    if let Err(r) = known_jurisdiction(s, fmt, q.jurisdiction_id.as_deref()).await {
        return r;
    }
    let split = |v: &Option<String>| -> Vec<String> {
        v.iter()
            .flat_map(|v| v.split(','))
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    };
    let ids = split(&q.service_request_id);
    // The spec: ids override every other filter.
    let rows = if !ids.is_empty() {
        if ids.len() > MAX_IDS {
            return error(
                StatusCode::BAD_REQUEST,
                fmt,
                format!("at most {MAX_IDS} service_request_id at once"),
            );
        }
        s.storage.requests_by_id(&ids).await
    } else {
        let now = s.now();
        let parse = |v: &Option<String>, name: &str| -> Result<Option<i64>, String> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => chrono::DateTime::parse_from_rfc3339(v)
                    .map(|d| Some(d.timestamp_millis()))
                    .map_err(|_| {
                        format!("{name} must be a W3C date-time, e.g. 2026-12-01T00:00:00+08:00")
                    }),
            }
        };
        let (start, end) = match (
            parse(&q.start_date, "start_date"),
            parse(&q.end_date, "end_date"),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(why), _) | (_, Err(why)) => return error(StatusCode::BAD_REQUEST, fmt, why),
        };
        let (from, to) = match (start, end) {
            (None, None) => (now + 1 - MAX_PERIOD_MS, now + 1),
            (Some(a), None) => (a, a.saturating_add(MAX_PERIOD_MS)),
            (None, Some(b)) => (b.saturating_sub(MAX_PERIOD_MS), b),
            (Some(a), Some(b)) => (a, b),
        };
        if to < from || to - from > MAX_PERIOD_MS {
            return error(
                StatusCode::BAD_REQUEST,
                fmt,
                "start_date must come before end_date, at most 90 days apart",
            );
        }
        s.storage
            .requests(&RequestQuery {
                office: q.jurisdiction_id.clone().filter(|j| !j.is_empty()),
                from_ms: from,
                to_ms: to,
                // Service codes and open/closed are decided on the rows read (status is
                // folded from each case), so a period is read up to five pages deep.
                limit: MAX_LISTED * 5,
            })
            .await
    };
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return unavailable(fmt, e),
    };
    let codes = split(&q.service_code);
    let wanted = split(&q.status);
    if let Some(bad) = wanted.iter().find(|w| *w != "open" && *w != "closed") {
        return error(
            StatusCode::BAD_REQUEST,
            fmt,
            format!("status {bad} is neither open nor closed"),
        );
    }
    let rows: Vec<RequestRow> = rows
        .into_iter()
        .filter(|r| ids.is_empty() || ids.contains(&r.stream))
        .filter(|r| !ids.is_empty() || codes.is_empty() || codes.contains(&r.service_code))
        .collect();
    match statuses(s, rows).await {
        Ok(mut found) => {
            if ids.is_empty() && !wanted.is_empty() {
                found.retain(|f| wanted.iter().any(|w| w == f.status));
            }
            found.truncate(MAX_LISTED as usize);
            answer(StatusCode::OK, fmt, &found[..])
        }
        Err(e) => unavailable(fmt, e),
    }
}

/// Each row's public status; rows whose case was never stored (a failed filing) are skipped.
async fn statuses(s: &AppState, rows: Vec<RequestRow>) -> Result<Vec<Status>, crate::StorageError> {
    let mut out = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    for row in rows {
        let Some(case) = crate::lookup::public_case(s, &row.stream).await? else {
            continue;
        };
        let name = names
            .entry(row.service_code.clone())
            .or_insert_with(|| {
                form::service(&row.service_code)
                    .map(|s| s.service_name)
                    .unwrap_or_default()
            })
            .clone();
        out.push(status(&row, &case, name));
    }
    Ok(out)
}

/// A case's public view as the spec's request.
fn status(row: &RequestRow, case: &PublicCase, service_name: String) -> Status {
    let open = matches!(case.stage, Stage::Received | Stage::Handling);
    let mut notes = None;
    let mut agency = None;
    for step in &case.steps {
        match &step.what {
            Step::Progress { text } => notes = Some(text.clone()),
            Step::Resolved { reply, .. } | Step::SolvedOnSpot { reply } => {
                notes = Some(reply.clone())
            }
            Step::Dispatched { unit } | Step::Transferred { unit } => agency = Some(unit.clone()),
            Step::TransferredToOffice { office } => agency = Some(office.clone()),
            _ => {}
        }
    }
    Status {
        service_request_id: row.stream.clone(),
        status: if open { "open" } else { "closed" },
        status_notes: notes,
        service_name,
        service_code: row.service_code.clone(),
        description: None,
        agency_responsible: agency,
        service_notice: Some(format!("案件编号 {}", case.number)),
        requested_datetime: render::w3c(case.received_at),
        updated_datetime: case.steps.last().map(|s| render::w3c(s.at)),
        expected_datetime: Some(render::w3c(case.resolve_due)),
        address: None,
        address_id: None,
        zipcode: None,
        lat: None,
        long: None,
        media_url: None,
    }
}
