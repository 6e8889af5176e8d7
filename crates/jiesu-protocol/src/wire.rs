//! The sync protocol's messages, defined once for the server and the app.
//!
//! These are plain serde types: the core knows no HTTP. `jiesu-server` serves them under
//! `/v1/…` and `jiesu-sync` sends them; both depend on this module, so neither side has a
//! hand-copied struct. Errors on the wire are [`crate::error::WireError`] (`{code, message, params}`).
//!
//! The protocol in one paragraph: a device **enrols** with a one-time code and receives a
//! credential. It **pushes** the events it wrote that the server has not acknowledged, oldest
//! first, in batches; the server stores them idempotently by event id and acknowledges each
//! with its server sequence number and receipt time. It **pulls** the events of its office's
//! feed after a cursor, page by page, and folds them through the same projection code as local
//! events. A **live** channel (server-sent events) tells it when its feed has grown, so it
//! pulls at once instead of waiting for the next poll. See docs/ARCHITECTURE.md, "Sync".

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::event::Event;

/// The office that stands for "not enrolled yet": events written before a device enrols carry
/// it, and the server files them under the enrolling device's office.
pub const UNENROLLED_OFFICE: &str = "local";

pub use crate::hlc::CLOCK_TOLERANCE_MS;

/// Most events one push may carry.
pub const MAX_PUSH_EVENTS: usize = 500;

/// Most events one pull page returns.
pub const MAX_PULL_EVENTS: u32 = 2000;

/// Largest request body the server reads (bytes), photos aside.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The largest photo accepted, by the app and by the server (a phone photo is 2–8 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// Level of an office in the organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum OfficeKind {
    /// 区
    District,
    /// 街道
    Street,
    /// 社区
    Community,
}

impl OfficeKind {
    /// The kind an office directly under this one must have.
    pub fn child(self) -> Option<OfficeKind> {
        match self {
            OfficeKind::District => Some(OfficeKind::Street),
            OfficeKind::Street => Some(OfficeKind::Community),
            OfficeKind::Community => None,
        }
    }

    /// Snake-case name, as on the wire and on the admin command line.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeKind::District => "district",
            OfficeKind::Street => "street",
            OfficeKind::Community => "community",
        }
    }
}

/// One office of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Office {
    /// Stable code, e.g. `hm` or a generated one.
    pub id: String,
    /// Display name, e.g. 和美社区.
    pub name: String,
    /// Level.
    pub kind: OfficeKind,
    /// The office above (none for a district).
    pub parent: Option<String>,
}

/// `POST /v1/enrol`: exchange a one-time code for a device credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct EnrolRequest {
    /// The one-time code the administrator handed out (case and dashes ignored).
    pub code: String,
    /// The device's id (the store's own, so its events' `device` field stays true).
    pub device: String,
    /// A name for the device list, e.g. the PC's host name.
    pub device_name: String,
    /// The device's Ed25519 public key in hex ([`crate::seal`]): the server checks the
    /// device's signed events against it. Absent from clients older than seals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub public_key: Option<String>,
}

/// The answer to a successful enrolment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct EnrolResponse {
    /// The secret to send as `Authorization: Bearer …` from now on. The server keeps only
    /// its hash, so it cannot be shown again.
    pub credential: String,
    /// The office the device now belongs to.
    pub office: Office,
    /// Short tag unique to this device on the server, used in case numbers.
    pub device_tag: String,
    /// Server clock (ms), so the device can correct its own.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub server_time: i64,
}

/// `GET /v1/me`: who the credential belongs to and the offices it may name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Me {
    /// The device id.
    pub device: String,
    /// Its office.
    pub office: Office,
    /// Offices a case can be transferred to: the device's district, street and communities.
    pub directory: Vec<Office>,
    /// Server clock (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub server_time: i64,
}

/// `POST /v1/push`: events this device wrote, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// At most [`MAX_PUSH_EVENTS`].
    pub events: Vec<Event>,
    /// The device's public key: registered on first sight for a device enrolled before seals,
    /// refused when it differs from the registered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// The server's receipt of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The event.
    pub id: uuid::Uuid,
    /// Its position in the server's log.
    pub seq: i64,
    /// When the server first received it (server clock, ms): the time figures and deadline
    /// audits trust, whatever the PC's clock said.
    pub received_ms: i64,
}

/// The answer to a push: one receipt per event, in request order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Receipts, also for events the server already had (resending is harmless).
    pub receipts: Vec<Receipt>,
    /// Server clock (ms).
    pub server_time: i64,
}

/// One event as pulled, with its receipt. `E` is the event: typed where it is used, the JSON
/// the server stored where it is only passed on ([`RawPullResponse`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled<E = Event> {
    /// The event.
    pub event: E,
    /// Server sequence.
    pub seq: i64,
    /// Server receipt time (ms).
    pub received_ms: i64,
}

/// `GET /v1/pull?after=CURSOR&limit=N`: a page of the office's feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse<E = Event> {
    /// Events in feed order (which is not the fold order: the fold sorts by HLC).
    pub events: Vec<Pulled<E>>,
    /// The cursor to ask with next.
    pub next: i64,
    /// More pages wait.
    pub more: bool,
    /// Rough count of feed entries after `next`, for a first sync's progress bar.
    pub remaining: i64,
    /// Server clock (ms).
    pub server_time: i64,
    /// The registered public key of each device whose signed events the page carries, so the
    /// app verifies what it pulls.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub keys: std::collections::BTreeMap<String, String>,
}

/// A pull page as the server sends it: each event is the JSON the server checked and stored
/// when it was pushed, passed on as it is (the same bytes a [`PullResponse`] serialises to;
/// decoding and encoding every event again was most of serving a first sync).
pub type RawPullResponse = PullResponse<Box<serde_json::value::RawValue>>;

impl RawPullResponse {
    /// The page with its events decoded.
    pub fn decode(self) -> serde_json::Result<PullResponse> {
        Ok(PullResponse {
            events: self
                .events
                .into_iter()
                .map(|p| {
                    Ok(Pulled {
                        event: serde_json::from_str(p.event.get())?,
                        seq: p.seq,
                        received_ms: p.received_ms,
                    })
                })
                .collect::<serde_json::Result<_>>()?,
            next: self.next,
            more: self.more,
            remaining: self.remaining,
            server_time: self.server_time,
            keys: self.keys,
        })
    }
}

/// What the live channel says: the device's feed grew up to `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedChanged {
    /// The newest feed position.
    pub head: i64,
}
