//! Storage behind one trait, with two backends that pass the same conformance tests
//! (`tests/server.rs`): embedded SQLite ([`sqlite`], the default) and PostgreSQL
//! ([`postgres`], for deployments that outgrow one file).
//!
//! **Tables.** `offices`, `enrolment_codes` and `devices` are the organisation. `events` is
//! the log: each event once, with the server's sequence number and receipt time. `holders`
//! says which offices hold which case stream (see [`crate::scope`]). `feed` is, per office,
//! the events that office may see, in the order it may pull them: an event is appended to the
//! feeds of its holders and the offices above them when it is stored, and a transfer appends a
//! stream's whole history to the new holder's feed. A pull is one index range of one feed.
//!
//! `attachments` keeps photos' bytes by content hash, `attachment_uploads` which offices
//! uploaded them, and `attachment_refs` which case streams refer to each (recorded when the
//! intake is pushed, and only when the pushing office uploaded the bytes itself: knowing a
//! hash is not having the photo): a photo is served to whoever sees one of those cases or
//! uploaded it ([`crate::scope::sees_photo`]).
//!
//! **Ordering.** A cursor is a feed position, so a position must never become visible before
//! a smaller one: pushes are serialised (SQLite's single writer; a transaction-level advisory
//! lock in PostgreSQL), and a feed position is assigned inside the pushing transaction.

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use jiesu_core::Event;
use jiesu_core::wire::{Office, RawPullResponse, Receipt};

use crate::error::ApiError;
use crate::scope::Tree;

/// A device as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device id (the app store's own).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its office.
    pub office: String,
    /// Case-number tag.
    pub tag: String,
    /// When it enrolled (ms).
    pub enrolled_ms: i64,
    /// When it was revoked (ms), if it was.
    pub revoked_ms: Option<i64>,
    /// Last push (ms).
    pub last_seen_ms: Option<i64>,
}

/// Why storage refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A rule refused the request (already shaped for the wire).
    #[error("{}", .0.body.message)]
    Refused(ApiError),
    /// A named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness rule was broken (duplicate office id …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed.
    #[error("backend: {0}")]
    Backend(String),
}

impl From<ApiError> for StorageError {
    fn from(e: ApiError) -> Self {
        StorageError::Refused(e)
    }
}

/// Result of storage calls.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// What a push did.
#[derive(Debug, Default)]
pub struct PushOutcome {
    /// One per request event, in request order.
    pub receipts: Vec<Receipt>,
    /// Offices whose feeds grew, with their new head position (for live notify).
    pub grown: Vec<(String, i64)>,
}

/// Everything the server stores.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Add an office. Its parent must exist and be one level up.
    async fn add_office(&self, office: &Office, now_ms: i64) -> Result<()>;
    /// Every office.
    async fn offices(&self) -> Result<Vec<Office>>;
    /// Store a one-time enrolment code's hash for `office`, valid until `expires_ms`.
    async fn add_enrolment_code(&self, hash: &str, office: &str, expires_ms: i64) -> Result<()>;
    /// Spend an enrolment code: creates (or re-enrols) the device with the credential hash.
    /// `None` when the code is unknown, used or expired.
    async fn enrol(
        &self,
        code_hash: &str,
        device: &str,
        name: &str,
        credential_hash: &str,
        now_ms: i64,
    ) -> Result<Option<DeviceRecord>>;
    /// The live (not revoked) device holding this credential.
    async fn device_by_credential(&self, hash: &str) -> Result<Option<DeviceRecord>>;
    /// Every device.
    async fn devices(&self) -> Result<Vec<DeviceRecord>>;
    /// Revoke a device; false when there is no such live device.
    async fn revoke(&self, device: &str, now_ms: i64) -> Result<bool>;
    /// Apply a push as [`crate::scope::plan`] decides, atomically.
    async fn push(
        &self,
        device: &DeviceRecord,
        events: &[Event],
        tree: &std::sync::Arc<Tree>,
        now_ms: i64,
    ) -> Result<PushOutcome>;
    /// A page of `office`'s feed after `after`, each event as stored (not decoded again).
    async fn pull(
        &self,
        office: &str,
        after: i64,
        limit: u32,
        now_ms: i64,
    ) -> Result<RawPullResponse>;
    /// The newest position of `office`'s feed (0 when empty).
    async fn feed_head(&self, office: &str) -> Result<i64>;
    /// Keep a photo's bytes, uploaded by a device of `office` (the caller checked them
    /// against their hash). Keeping the same bytes again changes nothing.
    async fn put_attachment(
        &self,
        sha256: &str,
        bytes: Vec<u8>,
        office: &str,
        now_ms: i64,
    ) -> Result<()>;
    /// Who may see a photo ([`crate::scope::sees_photo`]): the office that uploaded it, if
    /// any did, and the holders of every case stream whose intake refers to it.
    async fn attachment_scope(&self, sha256: &str) -> Result<PhotoScope>;
    /// A photo's bytes, if uploaded.
    async fn attachment_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
}

/// What decides who may fetch a photo.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PhotoScope {
    /// The offices whose devices uploaded the bytes (none while nobody has).
    pub uploaders: Vec<String>,
    /// Holders of the case streams whose office uploaded the photo and refers to it.
    pub holders: Vec<String>,
}

/// Whether the event gives a stream an office (the server looks up who filed the stream).
pub(crate) fn assigns_office(ev: &Event) -> bool {
    matches!(
        ev.body,
        jiesu_core::EventBody::CaseOfficeAssigned { .. }
            | jiesu_core::EventBody::MeetingOfficeAssigned { .. }
    )
}

/// Check an office against the tree before storing it.
pub fn check_new_office(office: &Office, existing: &[Office]) -> Result<()> {
    let id_ok = !office.id.is_empty()
        && office.id.len() <= 64
        && office
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && office.id != jiesu_core::wire::UNENROLLED_OFFICE;
    if !id_ok {
        return Err(StorageError::Conflict(format!(
            "office id '{}' must be 1-64 letters, digits, - or _ (and not 'local')",
            office.id
        )));
    }
    let name = office.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StorageError::Conflict(
            "office name must be 1 to 100 characters, none of them control characters".into(),
        ));
    }
    if existing.iter().any(|o| o.id == office.id) {
        return Err(StorageError::Conflict(format!(
            "office {} exists",
            office.id
        )));
    }
    match (&office.parent, office.kind) {
        (None, jiesu_core::wire::OfficeKind::District) => Ok(()),
        (None, _) => Err(StorageError::Conflict(
            "only a district has no parent".into(),
        )),
        (Some(p), kind) => {
            let parent = existing
                .iter()
                .find(|o| &o.id == p)
                .ok_or_else(|| StorageError::NotFound(format!("parent office {p}")))?;
            if parent.kind.child() != Some(kind) {
                return Err(StorageError::Conflict(format!(
                    "a {} cannot be under a {}",
                    kind.as_str(),
                    parent.kind.as_str()
                )));
            }
            Ok(())
        }
    }
}

/// Case-number tag for the n-th device (0-based): two characters while they last, then three.
pub fn device_tag(n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let width = if n < 1024 { 2 } else { 3 };
    let mut out = Vec::new();
    let mut v = if n < 1024 { n } else { n - 1024 };
    for _ in 0..width {
        out.push(ALPHABET[(v % 32) as usize]);
        v /= 32;
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// Enrolment refused: the device is enrolled and not revoked.
pub(crate) fn device_enrolled(device: &str) -> StorageError {
    let mut e = ApiError::with_status(
        axum::http::StatusCode::CONFLICT,
        jiesu_core::Code::InvalidInput,
        format!("device {device} is enrolled: unenrol it or have it revoked first"),
    );
    e.body.params = serde_json::json!({ "reason": jiesu_core::Reason::DeviceEnrolled });
    StorageError::Refused(e)
}

pub(crate) fn parse_kind(s: &str) -> Result<jiesu_core::wire::OfficeKind> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StorageError::Backend(format!("stored office kind '{s}'")))
}

/// Feed positions within which a pull counts its `remaining` exactly; further from the
/// office's newest entry it estimates.
///
/// Counting every entry after the cursor made each page of a first sync cost as much as the
/// rest of the feed (a 727k-event office spent ten seconds counting), and even a count
/// bounded to 20,000 entries on every page was a large share of serving one from PostgreSQL.
/// The progress bar only needs a rough figure far from the end, and the bulk decision only
/// "more than 10,000"; the last pages, where the bar's end is judged, are exact.
pub const COUNT_EXACTLY: i64 = 20_000;

/// `remaining` far from the end: a page of `events` entries covered feed positions
/// `first..=next`, and the office's newest entry is at `head`. The rest of the feed is assumed
/// to hold the office's entries as densely as the page did (an office's share of the feed
/// changes slowly: a street's is its communities' share of the district's work).
pub fn estimate_remaining(events: usize, first: i64, next: i64, head: i64) -> i64 {
    if head <= next {
        return 0;
    }
    let span = (next - first + 1).max(1);
    let density = (events as f64 / span as f64).min(1.0);
    ((head - next) as f64 * density).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_far_from_the_end_scales_by_the_pages_density() {
        // The office holds every position: exact.
        assert_eq!(estimate_remaining(2000, 1, 2000, 50_000), 48_000);
        // Every third position is the office's (a street among its communities).
        assert_eq!(estimate_remaining(2000, 1, 6000, 66_000), 20_000);
        // Nothing after the page.
        assert_eq!(estimate_remaining(2000, 1, 6000, 6000), 0);
        // A page of one entry: no more than one entry per position.
        assert_eq!(estimate_remaining(1, 9, 9, 30_009), 30_000);
    }
}
