//! The requests and answers the shell (and later the server) pass through: defined once here,
//! exported to TypeScript by ts-rs (`ui/src/bindings/`), never copied by hand.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::deadline::DueStatus;
use crate::event::Event;
use crate::model::{
    Action, Address, Attachment, Case, CaseState, Channel, LinkKind, Outcome, Resident,
    Satisfaction, Urgency,
};

/// The intake form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewCase {
    /// How it came in.
    pub channel: Channel,
    /// 12345 work-order number; required for the hotline channel.
    #[serde(default)]
    pub work_order_no: String,
    /// Category code.
    pub category: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Who.
    pub resident: Resident,
    /// Where they live.
    #[serde(default)]
    pub address: Address,
    /// What.
    pub description: String,
    /// Where the problem is.
    #[serde(default)]
    pub location: String,
    /// A photo saved earlier with `Store::save_attachment`.
    #[serde(default)]
    pub attachment: Option<Attachment>,
}

/// One workflow step on an existing case, with what its form captures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
#[ts(export)]
pub enum CaseCommand {
    /// 派单
    Dispatch {
        /// Unit code.
        unit: String,
        /// Instructions.
        #[serde(default)]
        note: String,
    },
    /// 签收
    Accept {
        /// Remark.
        #[serde(default)]
        note: String,
    },
    /// 办理记录
    Note {
        /// What was done.
        text: String,
        /// Resident contacted.
        #[serde(default)]
        contacted_resident: bool,
    },
    /// 退单
    Return {
        /// Why (required).
        reason: String,
    },
    /// 转办
    Transfer {
        /// New unit.
        unit: String,
        /// Why (required).
        reason: String,
    },
    /// 转办至其他社区/街道
    TransferOffice {
        /// The receiving office's id (from the server's directory).
        office: String,
        /// Why (required).
        reason: String,
    },
    /// 申请延期
    RequestExtension {
        /// New deadline (ms); must be later than the current one.
        #[ts(type = "number")]
        new_due: i64,
        /// Why (required).
        reason: String,
    },
    /// 延期审批
    DecideExtension {
        /// Approve or refuse.
        approved: bool,
        /// Remark.
        #[serde(default)]
        note: String,
    },
    /// 督办/催办
    Urge {
        /// What is asked.
        note: String,
    },
    /// 办结
    Resolve {
        /// How.
        outcome: Outcome,
        /// Result (required).
        result: String,
    },
    /// 回访
    Visit {
        /// Resident reached.
        reachable: bool,
        /// Says they were contacted.
        #[serde(default)]
        contacted: bool,
        /// Says it is solved.
        #[serde(default)]
        solved: bool,
        /// Satisfaction (required when reachable).
        satisfaction: Option<Satisfaction>,
        /// Remark.
        #[serde(default)]
        note: String,
    },
    /// 重办
    Redo {
        /// Why (required).
        reason: String,
    },
    /// 归档
    Archive {
        /// Remark.
        #[serde(default)]
        note: String,
    },
    /// 撤销
    Withdraw {
        /// Why (required).
        reason: String,
    },
    /// 关联
    Link {
        /// The other case's number or id.
        other: String,
    },
    /// 合并 into another case
    Merge {
        /// The case this one duplicates: number or id.
        other: String,
    },
}

impl CaseCommand {
    /// The workflow action this command asks for.
    pub fn action(&self) -> Action {
        match self {
            CaseCommand::Dispatch { .. } => Action::Dispatch,
            CaseCommand::Accept { .. } => Action::Accept,
            CaseCommand::Note { .. } => Action::Note,
            CaseCommand::Return { .. } => Action::Return,
            CaseCommand::Transfer { .. } => Action::Transfer,
            CaseCommand::TransferOffice { .. } => Action::TransferOffice,
            CaseCommand::RequestExtension { .. } => Action::RequestExtension,
            CaseCommand::DecideExtension { .. } => Action::DecideExtension,
            CaseCommand::Urge { .. } => Action::Urge,
            CaseCommand::Resolve { .. } => Action::Resolve,
            CaseCommand::Visit { .. } => Action::Visit,
            CaseCommand::Redo { .. } => Action::Redo,
            CaseCommand::Archive { .. } => Action::Archive,
            CaseCommand::Withdraw { .. } => Action::Withdraw,
            CaseCommand::Link { .. } => Action::Link,
            CaseCommand::Merge { .. } => Action::Merge,
        }
    }

    /// Link kind for link/merge.
    pub(crate) fn link_kind(&self) -> Option<LinkKind> {
        match self {
            CaseCommand::Link { .. } => Some(LinkKind::Related),
            CaseCommand::Merge { .. } => Some(LinkKind::Duplicate),
            _ => None,
        }
    }
}

/// Which deadline filter to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DueFilter {
    /// Open and past the resolve deadline.
    Overdue,
    /// Open, due within 24 h and not yet overdue.
    DueSoon,
}

/// Sort orders of the case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CaseSort {
    /// Newest first.
    #[default]
    ReceivedDesc,
    /// Oldest first.
    ReceivedAsc,
    /// Most urgent deadline first.
    DueAsc,
}

/// A case-list request: filters, sort and page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CaseQuery {
    /// Words to search (see [`crate::search`]).
    pub text: String,
    /// Any of these states (empty: all).
    pub states: Vec<CaseState>,
    /// Category code; includes its sub-categories.
    pub category: Option<String>,
    /// Handling unit code.
    pub unit: Option<String>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Deadline filter.
    pub due: Option<DueFilter>,
    /// Received at or after (ms).
    #[ts(type = "number | null")]
    pub from: Option<i64>,
    /// Received before (ms).
    #[ts(type = "number | null")]
    pub to: Option<i64>,
    /// Order.
    pub sort: CaseSort,
    /// Zero-based page.
    pub page: u32,
    /// Rows a page (1–200; 0 means 50).
    pub page_size: u32,
}

/// One row of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseRow {
    /// Case id.
    pub id: Uuid,
    /// Case number.
    pub number: String,
    /// State.
    pub state: CaseState,
    /// Channel.
    pub channel: Channel,
    /// Category code.
    pub category: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Unit code.
    pub handling_unit: Option<String>,
    /// Resident name.
    pub resident_name: String,
    /// Description (first 80 characters).
    pub summary: String,
    /// Received (ms).
    #[ts(type = "number")]
    pub received_at: i64,
    /// Resolve deadline (ms).
    #[ts(type = "number")]
    pub resolve_due: i64,
    /// How the resolve deadline stands now.
    pub due_status: DueStatus,
}

/// A page of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CasePage {
    /// The rows.
    pub rows: Vec<CaseRow>,
    /// Matching cases in all pages, counted up to [`crate::store::COUNT_CAP`].
    pub total: u32,
    /// More than `total` match: counting stopped at the cap.
    pub more: bool,
}

/// One step of the timeline (留痕).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TimelineEntry {
    /// The event.
    pub event: Event,
    /// Set when the event arrived concurrently and could not apply: why.
    pub conflict: Option<String>,
}

/// Everything the case page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseDetail {
    /// The case.
    pub case: Case,
    /// Its events in fold order.
    pub timeline: Vec<TimelineEntry>,
    /// Actions valid now, and only those.
    pub allowed: Vec<Action>,
    /// Response deadline status.
    pub response_status: DueStatus,
    /// Resolve deadline status.
    pub resolve_status: DueStatus,
    /// Linked cases' numbers, by id.
    pub linked_numbers: Vec<(Uuid, String)>,
}

/// What intake can fill in from a known phone number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResidentHint {
    /// The resident as last recorded.
    pub resident: Resident,
    /// Their address as last recorded.
    pub address: Address,
    /// Cases they brought before.
    pub case_count: u32,
}

/// Who this replica is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StoreStats {
    /// Cases in the projection.
    pub cases: u32,
    /// Events in the log.
    pub events: u32,
    /// Open cases past their deadline.
    pub overdue: u32,
}

/// What the window needs on start: who we are, how full the store is, whether to run setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppInfo {
    /// This replica's identity.
    pub identity: Identity,
    /// Store figures.
    pub stats: StoreStats,
    /// No user has been set up yet: show the first-run screen.
    pub first_run: bool,
    /// Calendar years shipped as provisional (to be checked against the official notice).
    pub provisional_years: Vec<i32>,
    /// Where the database and attachments live.
    pub data_dir: String,
    /// App version.
    pub version: String,
}

/// The fixed lists the forms offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Catalog {
    /// The category tree.
    pub categories: Vec<crate::catalog::Category>,
    /// The office's handling units.
    pub units: Vec<crate::catalog::Unit>,
    /// Offices a case can be transferred to (the server's directory; empty offline-only).
    pub offices: Vec<crate::wire::Office>,
    /// Channels in form order.
    pub channels: Vec<Channel>,
    /// States in workflow order.
    pub states: Vec<CaseState>,
}

/// The first-run choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Setup {
    /// Office display name, e.g. 和美社区.
    pub office_name: String,
    /// The secretary's name, recorded on every step.
    pub author: String,
    /// Load the sample community (otherwise start empty).
    pub sample: bool,
}

/// One year of the working-day calendar: the exceptions to Monday–Friday.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// Shipped data not yet checked against the State Council's notice.
    pub provisional: bool,
    /// `(YYYY-MM-DD, working)` for each holiday and adjusted working day, by date.
    pub days: Vec<(String, bool)>,
}

/// Sync as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    /// Enrolled with a server.
    pub enrolled: bool,
    /// The server's address ("" when not enrolled).
    pub server_url: String,
    /// The office the server knows this device as.
    pub office: Option<crate::wire::Office>,
    /// This device's events not yet acknowledged by the server.
    pub waiting: u32,
    /// Last time push and pull both completed (ms).
    #[ts(type = "number | null")]
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
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
}

/// Progress of a long pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    /// Events fetched in this round.
    #[ts(type = "number")]
    pub done: i64,
    /// Events fetched plus those the server says remain.
    #[ts(type = "number")]
    pub total: i64,
}
