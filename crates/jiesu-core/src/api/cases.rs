//! Cases: the intake form, the workflow's steps, the case list and a case's page.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use super::MeetingRef;
use crate::deadline::DueStatus;
use crate::event::{Event, Intake};
use crate::model::{
    Action, Address, Attachment, Case, CaseState, Channel, LinkKind, Outcome, Resident,
    Satisfaction, Urgency,
};

/// The intake form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
    #[cfg_attr(feature = "ts", ts(optional))]
    pub meeting: Option<Uuid>,
}

/// One workflow step on an existing case, with what its form captures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
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
        /// 向群众公开: the resident sees it on the lookup page (`case_noted_public`).
        #[serde(default)]
        public: bool,
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
        #[cfg_attr(feature = "ts", ts(type = "number"))]
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
        /// A later deadline than the policy's (ms; the reason says why). Absent: the policy's
        /// deadline counted from now, as [`CaseDetail::redo_due`] shows it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
        due: Option<i64>,
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
    /// 撤销合并: a merge made by mistake is undone.
    Unmerge {
        /// Why (required).
        reason: String,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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

// What the intake form says is what the log stores, field by field (see `Intake`).
impl From<NewCase> for Intake {
    fn from(c: NewCase) -> Intake {
        Intake {
            channel: c.channel,
            work_order_no: c.work_order_no,
            category: c.category,
            urgency: c.urgency,
            resident: c.resident,
            address: c.address,
            description: c.description,
            location: c.location,
            attachment: c.attachment,
            meeting: c.meeting,
        }
    }
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
            CaseCommand::Unmerge { .. } => Action::Unmerge,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum DueFilter {
    /// Open and past the resolve deadline.
    Overdue,
    /// Open, due within 24 h and not yet overdue.
    DueSoon,
}

/// Sort orders of the case list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(default)]
#[cfg_attr(feature = "ts", ts(export))]
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
    /// Only the sites of this rectification campaign (专项整改).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub campaign: Option<Uuid>,
    /// Received at or after (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub from: Option<i64>,
    /// Received before (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub to: Option<i64>,
    /// Order.
    pub sort: CaseSort,
    /// Zero-based page.
    pub page: u32,
    /// Rows a page (1–200; 0 means 50).
    pub page_size: u32,
}

/// One row of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// Resolve deadline (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub resolve_due: i64,
    /// When an open case falls due: the earlier of the resolve deadline and a promised
    /// letter date (the overdue list's rule); the resolve deadline once closed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due: i64,
    /// How `due` stands now.
    pub due_status: DueStatus,
    /// The commitment letter's status now, if there is one.
    pub letter: Option<crate::model::LetterStatus>,
    /// Numbers of the cases linked to this one, from either end (a merge included).
    pub linked: Vec<String>,
}

/// The overdue desk (督办台): the open cases to chase now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Desk {
    /// Now by the store's clock: where the overdue watch starts.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DeskUnit {
    /// Unit code ("" when not dispatched).
    pub unit: String,
    /// Overdue cases.
    pub overdue: u32,
    /// Cases due within 24 hours.
    pub due_soon: u32,
}

/// What the overdue watch found since it last looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct OverdueWatch {
    /// Now by the store's clock: the next `since`.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub now: i64,
    /// Open cases whose due time passed in `(since, now]`, earliest first.
    pub fell: Vec<CaseRow>,
    /// All the overdue now.
    pub overdue_total: u32,
}

/// A page of the case list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CasePage {
    /// The rows.
    pub rows: Vec<CaseRow>,
    /// Matching cases in all pages, counted up to [`crate::store::COUNT_CAP`].
    pub total: u32,
    /// More than `total` match: counting stopped at the cap.
    pub more: bool,
}

/// One step of the timeline (留痕).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct TimelineEntry {
    /// The event.
    pub event: Event,
    /// Set when the event arrived concurrently and could not apply: why.
    pub conflict: Option<String>,
    /// When the sync server received it (ms), once known: the time that counts for work done
    /// before its device enrolled ([`crate::reclock::receipt_shift`]).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub received_ms: Option<i64>,
}

/// A case linked to another, seen from the other: a link is one case's step, and both cases
/// show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct LinkedCase {
    /// The other case's id (its page).
    pub id: Uuid,
    /// Its case number, as the link is shown.
    pub number: String,
    /// 关联 or 合并; for a merge, which case was merged into which follows from `inbound`.
    pub kind: LinkKind,
    /// The step is the other case's: it was linked to this one, or merged into it.
    pub inbound: bool,
    /// Its state now (a merged duplicate is closed, a related case may still be open).
    pub state: CaseState,
}

/// Everything the case page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CaseDetail {
    /// The case.
    pub case: Case,
    /// Its events in fold order.
    pub timeline: Vec<TimelineEntry>,
    /// Actions valid now, and only those.
    pub allowed: Vec<Action>,
    /// Response deadline status.
    pub response_status: DueStatus,
    /// Resolve deadline status, judged at [`Case::due_at`].
    pub resolve_status: DueStatus,
    /// When the case is due ([`Case::due_at`]).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due: i64,
    /// Cases linked to this one from either end, oldest link first.
    pub links: Vec<LinkedCase>,
    /// Meetings that opened or discussed the case.
    pub meetings: Vec<MeetingRef>,
    /// The commitment letter's status now, if there is one.
    pub letter_status: Option<crate::model::LetterStatus>,
    /// The deadline a redo now would set (the policy's, counted from now), when a redo is
    /// allowed: shown before the secretary confirms.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub redo_due: Option<i64>,
    /// The name of the office holding the case when it is neither this office nor one below
    /// it (it was transferred away): the case is read-only here.
    pub held_elsewhere: Option<String>,
    /// The numbers of the cases its trace names (links, merges, undone merges) that this
    /// replica holds, by id: a merge undone is no longer a link, but its step still names it.
    pub named_cases: std::collections::BTreeMap<Uuid, String>,
}

/// What intake can fill in from a known phone number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ResidentHint {
    /// The resident as last recorded.
    pub resident: Resident,
    /// Their address as last recorded.
    pub address: Address,
    /// Cases they brought before.
    pub case_count: u32,
}

/// 回执: what the receipt handed (or read out) to the resident carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CaseReceipt {
    /// The case.
    pub case: Uuid,
    /// Its number: the first half of what the resident types.
    pub number: String,
    /// Received (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// The lookup code, `1234 5678`; `None` when this PC does not hold one (the case was filed
    /// on another PC, or before lookup codes): issuing a new one replaces the old.
    pub code: Option<String>,
    /// The public lookup page, when this PC is enrolled with a server.
    pub lookup_url: Option<String>,
    /// The office that holds the case, as printed.
    pub office_name: String,
}
