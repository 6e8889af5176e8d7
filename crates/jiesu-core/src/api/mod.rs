//! The requests and answers the shell (and later the server) pass through: defined once here,
//! exported to TypeScript by ts-rs (`ui/src/bindings/`), never copied by hand.
//!
//! By area: `cases` (the intake form, steps, the case list, a case's page), `meetings` (the
//! meeting commands and pages); here what the app as a whole shows (who, sync, exports, the
//! dashboard).

mod cases;
mod meetings;

pub use cases::*;
pub use meetings::*;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::model::{CaseState, Channel};

/// Who this replica is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Identity {
    /// Device id (UUID, made on first open).
    pub device: String,
    /// Office id.
    pub office: String,
    /// Office display name.
    pub office_name: String,
    /// The user acting.
    pub author: String,
}

/// Figures the status bar and the first-run screen show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct StoreStats {
    /// Cases in the projection.
    pub cases: u32,
    /// Events in the log.
    pub events: u32,
    /// Open cases past their deadline.
    pub overdue: u32,
}

/// What the window needs on start: who we are, whether to run setup, who is signed in.
/// Nothing here is counted: the first screen waits for it, and a count over a district's
/// million cases is not instant (the header's count is `case_count`, asked after).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct AppInfo {
    /// This replica's identity.
    pub identity: Identity,
    /// The office has no account yet: show the first-run screen.
    pub first_run: bool,
    /// The store is encrypted and not yet opened: the first sign-in opens it (or the
    /// recovery key does).
    pub locked: bool,
    /// Who is signed in; none: show the sign-in screen.
    pub session: Option<crate::access::Session>,
    /// Minutes without activity before the window locks itself.
    pub idle_minutes: u32,
    /// Calendar years shipped as provisional (to be checked against the official notice).
    pub provisional_years: Vec<i32>,
    /// Where the database and attachments live.
    pub data_dir: String,
    /// App version.
    pub version: String,
    /// The store's clock (the PC's, corrected by the server's, or pinned by the environment):
    /// the window reads "now" from it, never from its own, so 本月 and "time left" follow the
    /// clock deadlines are judged by.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub now: i64,
    /// The store is still being opened, after the window showed: a store from before
    /// encryption upgraded and encrypted (minutes at a district's size). The window shows
    /// the step and asks again; nothing else answers yet.
    pub opening: bool,
    /// The step that opening last told, if any: a window loaded after it was told still
    /// shows it.
    pub opening_step: Option<crate::store::OpeningProgress>,
    /// Why the opening after the window showed failed; the window says so and nothing else
    /// answers (what the opening finished stays done: each step is a transaction).
    pub open_failed: Option<crate::WireError>,
}

/// The fixed lists the forms offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Catalog {
    /// The category tree.
    pub categories: Vec<crate::catalog::Category>,
    /// The office's handling units: its own and those of the offices above it.
    pub units: Vec<crate::catalog::Unit>,
    /// Units of other offices (below or beside), to name their cases' units; never offered
    /// for dispatch.
    pub other_units: Vec<crate::catalog::Unit>,
    /// Offices a case can be transferred to (the server's directory; empty offline-only).
    pub offices: Vec<crate::wire::Office>,
    /// Channels in form order.
    pub channels: Vec<Channel>,
    /// States in workflow order.
    pub states: Vec<CaseState>,
    /// The longest a description (or any stored text) may be, in characters
    /// ([`crate::validate::MAX_TEXT`]): the forms count against it before saving.
    pub max_text: u32,
}

/// The first-run choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Setup {
    /// Office display name, e.g. 和美社区.
    pub office_name: String,
    /// The first administrator's display name, recorded on every step it takes.
    pub author: String,
    /// Its sign-in name.
    pub login: String,
    /// Its password (kept only as an Argon2id hash).
    pub password: String,
    /// Load the sample community (otherwise start empty).
    pub sample: bool,
}

/// One year of the working-day calendar: the exceptions to Monday–Friday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// Shipped data not yet checked against the State Council's notice.
    pub provisional: bool,
    /// `(YYYY-MM-DD, working)` for each holiday and adjusted working day, by date.
    pub days: Vec<(String, bool)>,
}

/// Sync as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct SyncStatus {
    /// Enrolled with a server.
    pub enrolled: bool,
    /// The server's address ("" when not enrolled).
    pub server_url: String,
    /// The office the server knows this device as.
    pub office: Option<crate::wire::Office>,
    /// This device's events not yet acknowledged by the server; 0 before enrolment.
    pub waiting: u32,
    /// Last time push and pull both completed (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_sync: Option<i64>,
    /// The last attempt reached the server.
    pub online: bool,
    /// A sync round is running.
    pub syncing: bool,
    /// During a long pull: events fetched and the server's estimate of the total.
    pub progress: Option<SyncProgress>,
    /// Why the last attempt failed, when it did.
    pub error: Option<crate::error::WireError>,
    /// How far this PC's clock is behind the server's (ms; negative when ahead).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub clock_offset_ms: i64,
    /// This device's unsent events stamped ahead of the true time (written while the PC's
    /// clock was ahead); the server refuses them until they are stamped again.
    pub future_events: u32,
}

/// Progress of a long pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct SyncProgress {
    /// Events fetched in this round.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: i64,
    /// Events fetched plus those the server says remain.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// A file written by an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ExportedFile {
    /// Where it was written.
    pub path: String,
    /// Its size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// Everything the dashboard shows for one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Dashboard {
    /// The period's figures.
    pub figures: crate::figures::Figures,
    /// By week or month of receipt.
    pub trend: Vec<crate::figures::Group>,
    /// By top-level category.
    pub categories: Vec<crate::figures::Group>,
    /// Handling units ranked (undispatched cases are not a unit).
    pub ranking: crate::figures::Ranking,
    /// The buildings with the most cases.
    pub buildings: Vec<crate::figures::Group>,
    /// By channel.
    pub channels: Vec<crate::figures::Group>,
    /// By office (one group for a community; its communities for a street).
    pub offices: Vec<crate::figures::Group>,
    /// The settings the figures were computed with.
    pub settings: crate::figures::FigureSettings,
}
