//! The public lookup page: a resident types the case number and the lookup code from their
//! receipt (or the last four digits of the phone they gave) and sees the public trace of
//! their case ([`jiesu_protocol::public`]), on any phone, with no account.
//!
//! | route | what |
//! |---|---|
//! | `GET /`, `GET /lookup` | the form (`?lang=zh-CN|zh-TW|en`) |
//! | `POST /lookup` | the case, or "未找到" |
//! | `GET /lookup.css` | the page's only stylesheet |
//!
//! **Nothing to enumerate.** A wrong number and a wrong code get the same page with the same
//! status. Failures are counted per client address ([`ADDRESS_FAILURES`] per
//! [`WINDOW_MS`]) and per case number as typed, whether or not such a case exists
//! ([`NUMBER_FAILURES`] per [`NUMBER_WINDOW_MS`]); past either, every answer for that address
//! or number is "too many attempts" until the window passes, a right code included. The
//! number's lock is what stops a phone tail (10,000 possibilities) being tried from many
//! addresses: about 42 days of trying on average per case.
//!
//! **Behind a proxy** the connection's address is the proxy's: the server reads the client's
//! from the last `X-Forwarded-For` entry only when started with `--trust-forwarded-for`
//! (`AppState::trust_forwarded_for`), since anyone can send the header.
//!
//! Number and code travel in a POST body, never in a URL, so no access log keeps them.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use jiesu_protocol::Event;
use jiesu_protocol::public::{
    PublicCase, lookup_hash, normalise_code, normalise_tail, phone_tail_hash,
};
use serde::Deserialize;

use crate::app::{AppState, Peer};
use crate::limits::Failures;

mod page;
pub use page::Lang;

/// Failed lookups an address may make per [`WINDOW_MS`].
pub const ADDRESS_FAILURES: u32 = 20;
/// The window [`ADDRESS_FAILURES`] counts in.
pub const WINDOW_MS: i64 = 15 * 60_000;
/// Failed lookups of one case number per [`NUMBER_WINDOW_MS`], from anywhere.
pub const NUMBER_FAILURES: u32 = 5;
/// The window [`NUMBER_FAILURES`] counts in.
pub const NUMBER_WINDOW_MS: i64 = 60 * 60_000;
/// The longest case number looked at (numbers are ~12 characters).
pub const MAX_NUMBER_CHARS: usize = 40;

/// The page's limits and settings, held in [`AppState`].
pub struct Limits {
    by_address: Failures<IpAddr>,
    by_number: Failures<String>,
    trust_forwarded_for: AtomicBool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            by_address: Failures::new(ADDRESS_FAILURES, WINDOW_MS),
            by_number: Failures::new(NUMBER_FAILURES, NUMBER_WINDOW_MS),
            trust_forwarded_for: AtomicBool::new(false),
        }
    }
}

impl AppState {
    /// Read the client's address from the last `X-Forwarded-For` entry (set by the reverse
    /// proxy in front of the server); off by default.
    pub fn trust_forwarded_for(&self, trust: bool) {
        self.lookup
            .trust_forwarded_for
            .store(trust, Ordering::Relaxed);
    }
}

/// The lookup routes, merged into the server's router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(form))
        .route("/lookup", get(form).post(lookup))
        .route("/lookup.css", get(css))
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The form as posted.
#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    lang: String,
}

async fn form(Query(q): Query<LangQuery>) -> Response {
    let lang = Lang::parse(q.lang.as_deref().unwrap_or(""));
    html(StatusCode::OK, page::form(lang, "", None))
}

async fn css() -> Response {
    let mut res = (StatusCode::OK, page::CSS).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    res
}

/// The client's address: the connection's, or the proxy's word for it when trusted.
pub(crate) fn client(s: &AppState, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !s.lookup.trust_forwarded_for.load(Ordering::Relaxed) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer)
}

/// A number as typed: spaces gone, letters in capitals (`261204-ab001` is `261204-AB001`).
fn normalise_number(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(MAX_NUMBER_CHARS + 1)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

async fn lookup(
    State(s): State<Arc<AppState>>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(f): Form<LookupForm>,
) -> Response {
    let lang = Lang::parse(&f.lang);
    let addr = client(&s, peer, &headers);
    let number = normalise_number(&f.number);
    let now = s.now();
    let wait = s
        .lookup
        .by_address
        .locked(&addr, now)
        .max(s.lookup.by_number.locked(&number, now));
    if let Some(wait) = wait {
        tracing::warn!(%addr, "lookup refused: too many failed attempts");
        return html(
            StatusCode::TOO_MANY_REQUESTS,
            page::form(lang, &f.number, Some(page::Notice::TooMany(wait))),
        );
    }
    match find(&s, &number, &f.code).await {
        Ok(Some(case)) => html(StatusCode::OK, page::case(lang, &case, now)),
        Ok(None) => {
            s.lookup.by_address.failed(addr, now);
            s.lookup.by_number.failed(number, now);
            html(
                StatusCode::NOT_FOUND,
                page::form(lang, &f.number, Some(page::Notice::NotFound)),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "lookup failed");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                page::form(lang, &f.number, Some(page::Notice::Unavailable)),
            )
        }
    }
}

/// The case `number` names whose code (or phone tail) is `secret`, if any.
async fn find(
    s: &AppState,
    number: &str,
    secret: &str,
) -> Result<Option<PublicCase>, crate::StorageError> {
    if number.is_empty() || number.chars().count() > MAX_NUMBER_CHARS {
        return Ok(None);
    }
    let code = normalise_code(secret);
    let tail = normalise_tail(secret);
    if code.is_none() && tail.is_none() {
        return Ok(None);
    }
    for row in s.storage.lookup(number).await? {
        let Ok(case) = row.stream.parse::<uuid::Uuid>() else {
            continue;
        };
        let opens = match (&code, &tail) {
            (Some(c), _) => row.code_hash.as_deref() == Some(lookup_hash(case, c).as_str()),
            (_, Some(t)) => row.phone_hash.as_deref() == Some(phone_tail_hash(case, t).as_str()),
            _ => false,
        };
        if !opens {
            continue;
        }
        let public = public_case(s, &row.stream).await?;
        // The number must be the case's own: a copy filed under it by someone else is not.
        if let Some(p) = public
            && p.number == number
        {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// A case stream as a resident may see it ([`PublicCase::fold`]), units by their names;
/// `None` for a stream with no intake.
pub(crate) async fn public_case(
    s: &AppState,
    stream: &str,
) -> Result<Option<PublicCase>, crate::StorageError> {
    let events: Vec<Event> = s
        .storage
        .stream_events(stream)
        .await?
        .iter()
        .filter_map(|body| serde_json::from_str(body).ok())
        .collect();
    if events.is_empty() {
        return Ok(None);
    }
    let mut offices: Vec<String> = events.iter().map(|e| e.office.clone()).collect();
    offices.sort();
    offices.dedup();
    let names = s.storage.unit_names(&offices).await?;
    Ok(PublicCase::fold(&events, &|code| {
        names
            .iter()
            .find(|(_, c, _)| c == code)
            .map(|(_, _, name)| name.clone())
            .or_else(|| {
                jiesu_protocol::catalog::default_units()
                    .into_iter()
                    .find(|u| u.code == code)
                    .map(|u| u.name)
            })
    }))
}

/// An HTML answer with the page's security headers: no script, no third-party anything, no
/// framing, no caching of a resident's case, no referrer.
fn html(status: StatusCode, body: String) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
