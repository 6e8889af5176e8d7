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

pub mod open311;
pub mod page;
pub mod postgres;
pub mod public;
pub mod sqlite;

use async_trait::async_trait;
use jiesu_protocol::Event;
use jiesu_protocol::wire::{Office, RawPullResponse, Receipt};

use crate::scope::Refused;
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
    /// Its Ed25519 public key ([`jiesu_protocol::seal`]), once registered.
    pub public_key: Option<String>,
}

/// Why storage refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A rule refused the request; `error.rs` gives it its status.
    #[error("{0}")]
    Refused(Refused),
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

impl From<Refused> for StorageError {
    fn from(r: Refused) -> Self {
        StorageError::Refused(r)
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
pub trait Storage: public::Lookups + open311::Open311Store + Send + Sync + 'static {
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
    /// Register a device's public key if it has none. Returns the key now registered: the
    /// one given, or a different one registered before (which is never replaced).
    async fn register_key(&self, device: &str, public_key: &str) -> Result<Option<String>>;
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
        jiesu_protocol::EventBody::CaseOfficeAssigned { .. }
            | jiesu_protocol::EventBody::MeetingOfficeAssigned { .. }
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
        && office.id != jiesu_protocol::wire::UNENROLLED_OFFICE;
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
        (None, jiesu_protocol::wire::OfficeKind::District) => Ok(()),
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

/// What a backend reads inside an enrolment's transaction, before deciding.
#[derive(Debug, Default)]
pub(crate) struct EnrolmentFacts {
    /// The office of the code, if it can be spent (known, unused, not expired).
    pub code_office: Option<String>,
    /// Whether the device id is enrolled and not revoked.
    pub live: bool,
    /// The tag the device id was given at an earlier enrolment.
    pub tag: Option<String>,
    /// How many devices were ever enrolled.
    pub devices: i64,
}

/// The office and case-number tag a device enrols with, decided alike for both backends:
/// `None` when the code cannot be spent (said before anything about the device, so a wrong
/// code learns nothing of it); refused when the device id is live, since device ids are not
/// secret (every event carries one) and re-enrolling a live device would let a code holder
/// take over its credential; a device enrolling again keeps its tag.
pub(crate) fn decide_enrolment(
    facts: EnrolmentFacts,
    device: &str,
) -> Result<Option<(String, String)>> {
    let Some(office) = facts.code_office else {
        return Ok(None);
    };
    if facts.live {
        return Err(StorageError::Refused(Refused::DeviceEnrolled {
            device: device.to_owned(),
        }));
    }
    let tag = facts
        .tag
        .unwrap_or_else(|| device_tag(facts.devices.max(0) as u64));
    Ok(Some((office, tag)))
}

pub(crate) fn parse_kind(s: &str) -> Result<jiesu_protocol::wire::OfficeKind> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StorageError::Backend(format!("stored office kind '{s}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(code: bool, live: bool, tag: Option<&str>, devices: i64) -> EnrolmentFacts {
        EnrolmentFacts {
            code_office: code.then(|| "hm".to_owned()),
            live,
            tag: tag.map(str::to_owned),
            devices,
        }
    }

    #[test]
    fn a_code_that_cannot_be_spent_says_nothing_about_the_device() {
        assert!(matches!(
            decide_enrolment(facts(false, true, Some("AB"), 3), "d"),
            Ok(None)
        ));
    }

    #[test]
    fn a_live_device_is_not_enrolled_again() {
        assert!(matches!(
            decide_enrolment(facts(true, true, Some("AB"), 3), "d"),
            Err(StorageError::Refused(Refused::DeviceEnrolled { .. }))
        ));
    }

    #[test]
    fn a_revoked_device_keeps_its_tag_and_a_new_one_takes_the_next() {
        let again = decide_enrolment(facts(true, false, Some("AB"), 3), "d").expect("enrols");
        assert_eq!(again, Some(("hm".to_owned(), "AB".to_owned())));
        let new = decide_enrolment(facts(true, false, None, 3), "d").expect("enrols");
        assert_eq!(new, Some(("hm".to_owned(), device_tag(3))));
    }
}
