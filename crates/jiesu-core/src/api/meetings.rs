//! Meetings: the commands a meeting's page sends and the rows and pages it shows.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use super::{LetterForm, TimelineEntry};
use crate::deadline::DueStatus;
use crate::model::{Address, CaseState, Urgency};

/// One change to a meeting, with what its form captures. Ids of attendees, agenda items
/// and items are made by the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "command", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub resolve_due: Option<i64>,
    /// Deadline status now.
    pub due_status: Option<DueStatus>,
    /// Solved on the spot.
    pub on_spot: bool,
    /// The commitment letter's status now.
    pub letter: Option<crate::model::LetterStatus>,
    /// The letter's promised time (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub letter_due: Option<i64>,
}

/// A meeting's figures (for a reception day, the ones seed 000 reports).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct MeetingRow {
    /// Meeting id.
    pub id: Uuid,
    /// Kind.
    pub kind: crate::meeting::MeetingKind,
    /// Title.
    pub title: String,
    /// Start (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct MeetingRef {
    /// Meeting id.
    pub id: Uuid,
    /// Kind.
    pub kind: crate::meeting::MeetingKind,
    /// Title.
    pub title: String,
    /// Start (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub starts_at: i64,
}
