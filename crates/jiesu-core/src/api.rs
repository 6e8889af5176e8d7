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
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
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
    /// The meeting the case comes from. Set by the meeting commands, not the intake form;
    /// absent from events written before meetings existed, so their bytes never change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub meeting: Option<Uuid>,
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
    /// 当场解决
    ResolveOnSpot {
        /// What was done (required).
        result: String,
    },
    /// 出具承诺书
    IssueLetter(LetterForm),
}

/// The commitment-letter form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LetterForm {
    /// What will be done (required).
    pub promise: String,
    /// By which date, `YYYY-MM-DD` (today or later).
    pub due_date: String,
    /// Who answers for it (required).
    pub responsible: String,
    /// The problem as the letter states it; empty: the case's description.
    #[serde(default)]
    pub problem: String,
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
            CaseCommand::ResolveOnSpot { .. } => Action::ResolveOnSpot,
            CaseCommand::IssueLetter(_) => Action::IssueLetter,
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
    /// Only cases with a commitment letter.
    pub with_letter: bool,
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
    /// When an open case falls due: the earlier of the resolve deadline and a promised
    /// letter date (the overdue list's rule); the resolve deadline once closed.
    #[ts(type = "number")]
    pub due: i64,
    /// How `due` stands now.
    pub due_status: DueStatus,
    /// The commitment letter's status now, if there is one.
    pub letter: Option<crate::model::LetterStatus>,
}

/// The overdue desk (督办台): the open cases to chase now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Desk {
    /// Now by the store's clock: where the overdue watch starts.
    #[ts(type = "number")]
    pub now: i64,
    /// Open and past due, most overdue first (at most [`crate::store::DESK_ROWS`]).
    pub overdue: Vec<CaseRow>,
    /// All the overdue.
    pub overdue_total: u32,
    /// Open and due within 24 hours, soonest first (at most [`crate::store::DESK_ROWS`]).
    pub due_soon: Vec<CaseRow>,
    /// All those due soon.
    pub due_soon_total: u32,
    /// Per handling unit ("" for cases not yet dispatched), most overdue first.
    pub units: Vec<DeskUnit>,
}

/// One handling unit's line on the overdue desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DeskUnit {
    /// Unit code ("" when not dispatched).
    pub unit: String,
    /// Overdue cases.
    pub overdue: u32,
    /// Cases due within 24 hours.
    pub due_soon: u32,
}

/// What the overdue watch found since it last looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OverdueWatch {
    /// Now by the store's clock: the next `since`.
    #[ts(type = "number")]
    pub now: i64,
    /// Open cases whose due time passed in `(since, now]`, earliest first.
    pub fell: Vec<CaseRow>,
    /// All the overdue now.
    pub overdue_total: u32,
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
    /// Meetings that opened or discussed the case.
    pub meetings: Vec<MeetingRef>,
    /// The commitment letter's status now, if there is one.
    pub letter_status: Option<crate::model::LetterStatus>,
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
    /// The store's clock (the PC's, corrected by the server's, or pinned by the environment):
    /// the window reads "now" from it, never from its own, so 本月 and "time left" follow the
    /// clock deadlines are judged by.
    #[ts(type = "number")]
    pub now: i64,
}

/// The fixed lists the forms offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
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
    /// This device's unsent events stamped ahead of the true time (written while the PC's
    /// clock was ahead); the server refuses them until they are stamped again.
    pub future_events: u32,
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

/// One change to a meeting, with what its form captures. Ids of attendees, agenda items
/// and items are made by the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "command", rename_all = "snake_case")]
#[ts(export)]
pub enum MeetingCommand {
    /// Change the header (draft only; the kind stays).
    Reschedule(crate::meeting::MeetingInfo),
    /// Add someone to the sign-in sheet.
    AddAttendee {
        /// Name (required).
        name: String,
        /// Role.
        role: crate::meeting::AttendeeRole,
        /// Unit, company or building.
        #[serde(default)]
        organisation: String,
        /// Phone.
        #[serde(default)]
        phone: String,
        /// Signed in at once.
        #[serde(default)]
        signed_in: bool,
    },
    /// 签到
    SignIn {
        /// Attendee id.
        attendee: Uuid,
    },
    /// Strike a mistaken entry from a draft sheet.
    RemoveAttendee {
        /// Attendee id.
        attendee: Uuid,
    },
    /// Add an agenda item.
    AddAgenda {
        /// Topic (required).
        title: String,
    },
    /// Write an agenda item's minutes (replaces the draft text).
    RecordMinutes {
        /// Agenda item id.
        agenda: Uuid,
        /// The text.
        text: String,
    },
    /// Add a decision or action item.
    AddItem {
        /// Agenda item it belongs to.
        #[serde(default)]
        agenda: Option<Uuid>,
        /// Decision or action.
        kind: crate::meeting::ItemKind,
        /// What (required).
        text: String,
        /// Owner unit code (from the office's units).
        #[serde(default)]
        owner_unit: Option<String>,
        /// Deadline `YYYY-MM-DD` (today or later).
        #[serde(default)]
        deadline: Option<String>,
    },
    /// 审定 (facilitator only): locks the minutes.
    Approve {
        /// Remark.
        #[serde(default)]
        note: String,
    },
    /// 补正 to approved minutes.
    Amend {
        /// Agenda item (none: the whole minutes).
        #[serde(default)]
        agenda: Option<Uuid>,
        /// The corrected or added text (required).
        text: String,
        /// Why (required).
        reason: String,
    },
    /// Link an existing case the meeting discussed.
    LinkCase {
        /// Case number or id.
        case: String,
    },
}

/// Turn a decision or action item into a case (channel "meeting") in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ItemCaseForm {
    /// The item.
    pub item: Uuid,
    /// Category code.
    pub category: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Description; empty: the item's text.
    #[serde(default)]
    pub description: String,
    /// Where.
    #[serde(default)]
    pub location: String,
}

/// What became of a reception-day visitor's problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum VisitorOutcome {
    /// 当场解决
    OnSpot {
        /// What was done (required).
        result: String,
    },
    /// 出具承诺书
    Letter(LetterForm),
    /// Registered for follow-up as an ordinary case.
    Registered,
}

/// Fast capture of one reception-day visitor: they sign in and their problem becomes a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitorForm {
    /// Visitor's name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Where they live.
    #[serde(default)]
    pub address: Address,
    /// Category code.
    pub category: String,
    /// The problem (required).
    pub description: String,
    /// Solved on the spot, a letter, or registered.
    pub outcome: VisitorOutcome,
}

/// A meeting's case as its 问题清单 / 整改清单 shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeetingCaseRow {
    /// How the case is tied to the meeting.
    pub link: crate::meeting::MeetingCase,
    /// The item's kind, when it came from one.
    pub item_kind: Option<crate::meeting::ItemKind>,
    /// The case as this replica holds it (`None`: transferred away and not held here).
    pub state: Option<CaseState>,
    /// Description (first 80 characters).
    pub summary: String,
    /// Unit code.
    pub handling_unit: Option<String>,
    /// Resolve deadline (ms).
    #[ts(type = "number | null")]
    pub resolve_due: Option<i64>,
    /// Deadline status now.
    pub due_status: Option<DueStatus>,
    /// Solved on the spot.
    pub on_spot: bool,
    /// The commitment letter's status now.
    pub letter: Option<crate::model::LetterStatus>,
    /// The letter's promised time (ms).
    #[ts(type = "number | null")]
    pub letter_due: Option<i64>,
}

/// A meeting's figures (for a reception day, the ones seed 000 reports).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeetingSummary {
    /// On the sign-in sheet.
    pub attendees: u32,
    /// Signed in.
    pub signed_in: u32,
    /// Residents received (reception days: visitors).
    pub visitors: u32,
    /// Problems raised: cases the meeting opened.
    pub problems: u32,
    /// Solved on the spot.
    pub solved_on_spot: u32,
    /// Commitment letters issued.
    pub letters: u32,
    /// Letters fulfilled.
    pub letters_fulfilled: u32,
    /// Letters broken.
    pub letters_broken: u32,
    /// Cases still open.
    pub open: u32,
    /// Open cases past a deadline.
    pub overdue: u32,
}

/// Everything the meeting page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeetingDetail {
    /// The meeting.
    pub meeting: crate::meeting::Meeting,
    /// Its events in fold order (留痕).
    pub timeline: Vec<TimelineEntry>,
    /// Its cases with their progress.
    pub cases: Vec<MeetingCaseRow>,
    /// Figures.
    pub summary: MeetingSummary,
}

/// One row of the meeting list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeetingRow {
    /// Meeting id.
    pub id: Uuid,
    /// Kind.
    pub kind: crate::meeting::MeetingKind,
    /// Title.
    pub title: String,
    /// Start (ms).
    #[ts(type = "number")]
    pub starts_at: i64,
    /// Place.
    pub place: String,
    /// Facilitator.
    pub facilitator: String,
    /// Minutes state.
    pub minutes: crate::meeting::MinutesState,
    /// Signed in.
    pub signed_in: u32,
    /// Cases opened or linked.
    pub cases: u32,
    /// Of those, still open.
    pub open_cases: u32,
}

/// A meeting that opened or discussed a case (the case page links back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MeetingRef {
    /// Meeting id.
    pub id: Uuid,
    /// Kind.
    pub kind: crate::meeting::MeetingKind,
    /// Title.
    pub title: String,
    /// Start (ms).
    #[ts(type = "number")]
    pub starts_at: i64,
}

/// A file written by an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportedFile {
    /// Where it was written.
    pub path: String,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: u64,
}

/// Everything the dashboard shows for one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
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
