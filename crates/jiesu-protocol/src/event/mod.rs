//! Events: the only thing the store ever writes for good.
//!
//! Every change is an immutable [`Event`] appended in the same SQLite transaction as the
//! projection it updates. Events are the unit of sync and the trace (留痕) users see.
//!
//! **Ordering rule.** Events are totally ordered by [`Event::order_key`]: the hybrid logical
//! clock, then the event id. A stream's projection is the fold of its events in that order, so
//! two replicas holding the same set of events compute the same projection whatever order the
//! events arrived in. An event that is not valid in the state the fold has reached (two offices
//! acted concurrently) is kept and shown as a conflict; it changes nothing.
//!
//! Deadlines are decided when the step is taken and carried in the payload, so a projection
//! never depends on calendar or policy settings that may have changed since.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::model::{Action, Commitment, LinkKind, Outcome, Role, Satisfaction};

mod payload;
pub use payload::{
    AttendeeRole, CampaignAmendment, CampaignCharter, FigureRules, FigureRulesV2, Intake, ItemKind,
    MeetingHeader, MeetingKind, Received, TimesCorrected, VisitRule, WorkOrder, WorkOrderColumn,
    finite,
};

/// The stream that holds office configuration (units, calendar edits).
pub const CONFIG_STREAM: &str = "config";

/// One immutable change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Event {
    /// UUIDv7: unique everywhere, roughly time-ordered.
    pub id: Uuid,
    /// The stream: a case id, or [`CONFIG_STREAM`].
    pub stream: String,
    /// When, on the hybrid logical clock.
    pub hlc: Hlc,
    /// Who did it: the account's display name at the time (a typed name before accounts).
    pub author: String,
    /// The account that did it; absent on events written before accounts existed, and on
    /// what a store without accounts writes. Left out of the JSON when absent, so an older
    /// event's canonical form (and its digest on the server) never changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub account: Option<Uuid>,
    /// From which device.
    pub device: String,
    /// From which office.
    pub office: String,
    /// What happened.
    pub body: EventBody,
    /// The hash ([`crate::seal::hash`]) of the previous event its device wrote on this stream;
    /// absent on a device's first event of a stream and on events written before seals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub prev: Option<String>,
    /// The device's Ed25519 signature over the event without it ([`crate::seal`]); absent on
    /// events written before seals, whose canonical form therefore never changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub sig: Option<String>,
}

impl Event {
    /// The total order every replica folds streams in.
    pub fn order_key(&self) -> (Hlc, Uuid) {
        (self.hlc, self.id)
    }
}

/// What happened, with the data the step needs. Serialised as `{kind, payload}`.
///
/// The kind is the variant's name in snake_case, for serde's tag and for [`EventBody::kind`]
/// alike (strum derives the one, serde the other, by the same rule); the golden fixtures
/// (`tests/fixtures/events/`) hold both to every stored kind.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr, strum::VariantNames,
)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum EventBody {
    /// 受理: the case is registered.
    CaseReceived(Box<Received>),
    /// 派单
    CaseDispatched {
        /// Handling unit code.
        unit: String,
        /// Instructions for the unit.
        note: String,
    },
    /// 签收
    CaseAccepted {
        /// Optional remark.
        note: String,
    },
    /// 办理记录
    CaseNoted {
        /// What was done.
        text: String,
        /// The resident was contacted (联系群众); counts as the first response.
        contacted_resident: bool,
    },
    /// 公开进展: a progress note written for the resident as well, shown on the public
    /// lookup page ([`crate::public`]); otherwise a note like [`EventBody::CaseNoted`].
    /// Internal notes stay internal: only this kind is ever public.
    CaseNotedPublic {
        /// What was done, in words the resident may read.
        text: String,
        /// The resident was contacted (联系群众); counts as the first response.
        contacted_resident: bool,
    },
    /// 查询码: the code the resident looks the case up with on the server's public page was
    /// set (at intake, or issued again). Only its hash ([`crate::public::lookup_hash`]) is
    /// ever written; the newest one counts.
    CaseLookupCodeSet {
        /// `lookup_hash(case, code)`, lowercase hex.
        hash: String,
    },
    /// 退单
    CaseReturned {
        /// Why the unit cannot take it.
        reason: String,
    },
    /// 转办
    CaseTransferred {
        /// The new handling unit.
        unit: String,
        /// Why.
        reason: String,
    },
    /// 转办至其他社区/街道: the receiving office holds the case from now on, and the
    /// server shares the stream's whole history with it.
    CaseTransferredToOffice {
        /// Receiving office id.
        office: String,
        /// Its name, as the sender's directory had it (for the timeline).
        office_name: String,
        /// Why.
        reason: String,
    },
    /// A case filed before this device enrolled (office [`crate::wire::UNENROLLED_OFFICE`])
    /// belongs to the office it enrolled into: written once per such case at enrolment, so
    /// every replica, the street's included, folds the same owner.
    CaseOfficeAssigned {
        /// The office.
        office: String,
        /// Its name (for the timeline).
        office_name: String,
    },
    /// 申请延期
    ExtensionRequested {
        /// Deadline asked for (ms).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        new_due: i64,
        /// Why.
        reason: String,
    },
    /// 延期审批
    ExtensionDecided {
        /// Approved moves the deadline; refused leaves it.
        approved: bool,
        /// Remark, e.g. what the resident was told.
        note: String,
    },
    /// 督办 / 催办
    CaseUrged {
        /// The chaser's words.
        note: String,
    },
    /// 办结
    CaseResolved {
        /// How.
        outcome: Outcome,
        /// What was done / why not.
        result: String,
    },
    /// 回访
    CaseVisited {
        /// Resident reached at all.
        reachable: bool,
        /// Resident says they were contacted.
        contacted: bool,
        /// Resident says it is solved.
        solved: bool,
        /// Satisfaction, when reached.
        satisfaction: Option<Satisfaction>,
        /// Remark.
        note: String,
    },
    /// 重办: back to handling after a dissatisfied visit.
    CaseRedone {
        /// Why.
        reason: String,
        /// The new resolution deadline (ms).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        resolve_due: i64,
    },
    /// 归档
    CaseArchived {
        /// Remark.
        note: String,
    },
    /// 撤销
    CaseWithdrawn {
        /// Why the resident withdrew.
        reason: String,
    },
    /// 关联 / 合并
    CaseLinked {
        /// The other case.
        other: Uuid,
        /// Related, or this one is a duplicate merged into the other.
        link: LinkKind,
    },
    /// 撤销合并: a case merged into another by mistake is its own again, in the state it
    /// was merged from; the other case no longer lists it. Its trace keeps both steps.
    CaseUnmerged {
        /// The case it had been merged into.
        other: Uuid,
        /// Why the merge was wrong.
        reason: String,
    },
    /// 当场解决: solved while the resident waited (walk-in, reception day).
    CaseSolvedOnSpot {
        /// What was done.
        result: String,
    },
    /// 承诺书: a signed promise to the resident, tracked until fulfilled or broken.
    CommitmentIssued(Box<Commitment>),
    /// A meeting is scheduled: its stream's first event.
    MeetingScheduled(Box<MeetingHeader>),
    /// The header changed (draft minutes only; the kind never changes).
    MeetingRescheduled(Box<MeetingHeader>),
    /// An attendee on the sign-in sheet.
    AttendeeAdded {
        /// Stable id within the meeting.
        attendee: Uuid,
        /// Name.
        name: String,
        /// Role.
        role: AttendeeRole,
        /// Unit, company or building.
        organisation: String,
        /// Phone (visitors).
        phone: String,
        /// Signed in as they were added.
        signed_in: bool,
    },
    /// 签到
    AttendeeSignedIn {
        /// Who.
        attendee: Uuid,
    },
    /// Struck from a draft sign-in sheet (added by mistake).
    AttendeeRemoved {
        /// Who.
        attendee: Uuid,
    },
    /// 议程
    AgendaItemAdded {
        /// Stable id.
        agenda: Uuid,
        /// Topic.
        title: String,
    },
    /// The minutes of one agenda item, as now written (draft only).
    MinutesRecorded {
        /// Agenda item.
        agenda: Uuid,
        /// The whole text.
        text: String,
    },
    /// A decision or action item.
    MeetingItemAdded {
        /// Stable id.
        item: Uuid,
        /// Agenda item it belongs to.
        agenda: Option<Uuid>,
        /// Decision or action.
        kind: ItemKind,
        /// What.
        text: String,
        /// Owner unit code.
        owner_unit: Option<String>,
        /// Deadline (ms, end of the China day).
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        deadline: Option<i64>,
    },
    /// 审定: the facilitator approves; the minutes are locked from here.
    MinutesApproved {
        /// Remark.
        note: String,
    },
    /// 补正: a change to approved minutes, recorded beside them.
    MinutesAmended {
        /// The agenda item amended (none: the minutes as a whole).
        agenda: Option<Uuid>,
        /// The corrected or added text.
        text: String,
        /// Why.
        reason: String,
    },
    /// A case was opened from the meeting (an item, or a reception-day visitor).
    MeetingCaseOpened {
        /// The case.
        case: Uuid,
        /// Its number.
        number: String,
        /// The item it came from.
        item: Option<Uuid>,
        /// The visitor it came from.
        visitor: Option<Uuid>,
    },
    /// An existing case the meeting discussed.
    MeetingCaseLinked {
        /// The case.
        case: Uuid,
        /// Its number.
        number: String,
    },
    /// A meeting held before this device enrolled belongs to the office it enrolled into
    /// (as [`EventBody::CaseOfficeAssigned`] for cases).
    MeetingOfficeAssigned {
        /// The office.
        office: String,
        /// Its name (for the timeline).
        office_name: String,
    },
    /// 时间校正 on a case: steps this device wrote while its clock was ahead, never sent
    /// anywhere, were stamped again by the server's clock (`jiesu_core::Store::restamp_future_work`).
    /// Written after them, so every office sees that their times were corrected and by how much.
    CaseTimesCorrected(TimesCorrected),
    /// 12345 工单导入: the work order a case was imported from, beside its intake (not a step
    /// of the work: once per case, from the PC that filed it).
    WorkOrderImported(Box<WorkOrder>),
    /// 专项整改: the case is a site of a rectification campaign (an item the campaign's
    /// opener made, or a site an office under it found itself). Once per case; not a step
    /// of the work, so it is allowed in any state but merged.
    CaseCampaignJoined {
        /// The campaign ([`CampaignCharter::campaign`]).
        campaign: Uuid,
        /// Its title, as the writer had it (for the timeline).
        title: String,
    },
    /// 时间校正 on a meeting (as [`EventBody::CaseTimesCorrected`]).
    MeetingTimesCorrected(TimesCorrected),
    /// A handling unit was added to the office's list.
    UnitAdded {
        /// Stable code.
        code: String,
        /// Display name.
        name: String,
    },
    /// The figures' settings before the visit rule (read, never written: see
    /// [`EventBody::FigureSettingsSetV2`]).
    FigureSettingsSet(Box<FigureRules>),
    /// The figures' settings (三率 weights, the 基本满意 factor, the ranking's minimum sample,
    /// which return visits count).
    FigureSettingsSetV2(Box<FigureRulesV2>),
    /// An account was opened at the writer's office. The first of an office must be an
    /// administrator's (written at setup); every later one is an administrator's act.
    AccountAdded {
        /// Stable id: what events name as their `account`.
        account: Uuid,
        /// What is typed at sign-in (lower-case letters, digits, `.`, `_`, `-`).
        login: String,
        /// Display name, shown on every step the account takes.
        name: String,
        /// What it may do.
        role: Role,
    },
    /// An administrator changed an account's role.
    AccountRoleSet {
        /// The account.
        account: Uuid,
        /// Its role from now on.
        role: Role,
    },
    /// An administrator closed an account: it cannot sign in any more; its steps stay.
    AccountRemoved {
        /// The account.
        account: Uuid,
    },
    /// A password was set: by its owner, or reset by an administrator (the envelope's
    /// `account` says which). The hash never leaves the PC; this is only the trace.
    PasswordSet {
        /// The account whose password changed.
        account: Uuid,
    },
    /// Someone signed in at this PC (the envelope's `account`).
    SignedIn {},
    /// The account signed out, or the PC locked itself after the idle time.
    SignedOut {
        /// Locked by the idle timer, not by the user.
        idle: bool,
    },
    /// 专项整改: an office opened a rectification campaign for the offices below it.
    CampaignOpened(Box<CampaignCharter>),
    /// A working-day calendar entry was set (调休 and holidays beyond the shipped data).
    CalendarDaySet {
        /// `YYYY-MM-DD`.
        date: String,
        /// `true` working day, `false` day off.
        working: bool,
    },
    /// 专项整改: the opening office changed its campaign (extended, edited, offices added,
    /// closed or opened again).
    CampaignAmended(Box<CampaignAmendment>),
}

/// The kinds of stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// A case (工单).
    Case,
    /// A meeting and its minutes.
    Meeting,
    /// The office's configuration ([`CONFIG_STREAM`]).
    Config,
}

impl EventBody {
    /// The snake_case kind stored in the `kind` column: serde's tag.
    pub fn kind(&self) -> &'static str {
        self.into()
    }

    /// Every kind there is, in declaration order.
    pub fn kinds() -> &'static [&'static str] {
        <EventBody as strum::VariantNames>::VARIANTS
    }

    /// The workflow action this event performs on a case, if it is a case event after intake.
    pub fn action(&self) -> Option<Action> {
        Some(match self {
            EventBody::CaseDispatched { .. } => Action::Dispatch,
            EventBody::CaseAccepted { .. } => Action::Accept,
            EventBody::CaseNoted { .. } | EventBody::CaseNotedPublic { .. } => Action::Note,
            EventBody::CaseReturned { .. } => Action::Return,
            EventBody::CaseTransferred { .. } => Action::Transfer,
            EventBody::CaseTransferredToOffice { .. } => Action::TransferOffice,
            EventBody::ExtensionRequested { .. } => Action::RequestExtension,
            EventBody::ExtensionDecided { .. } => Action::DecideExtension,
            EventBody::CaseUrged { .. } => Action::Urge,
            EventBody::CaseResolved { .. } => Action::Resolve,
            EventBody::CaseVisited { .. } => Action::Visit,
            EventBody::CaseRedone { .. } => Action::Redo,
            EventBody::CaseArchived { .. } => Action::Archive,
            EventBody::CaseWithdrawn { .. } => Action::Withdraw,
            EventBody::CaseLinked {
                link: LinkKind::Duplicate,
                ..
            } => Action::Merge,
            EventBody::CaseLinked { .. } => Action::Link,
            EventBody::CaseUnmerged { .. } => Action::Unmerge,
            EventBody::CaseSolvedOnSpot { .. } => Action::ResolveOnSpot,
            EventBody::CommitmentIssued(_) => Action::IssueLetter,
            _ => return None,
        })
    }

    /// Which kind of stream the event belongs to: streams never mix kinds, so the fold
    /// routes a stream by any one of its events.
    pub fn aggregate(&self) -> Aggregate {
        match self {
            EventBody::UnitAdded { .. }
            | EventBody::AccountAdded { .. }
            | EventBody::AccountRoleSet { .. }
            | EventBody::AccountRemoved { .. }
            | EventBody::PasswordSet { .. }
            | EventBody::SignedIn { .. }
            | EventBody::SignedOut { .. }
            | EventBody::CalendarDaySet { .. }
            | EventBody::CampaignOpened(_)
            | EventBody::CampaignAmended(_)
            | EventBody::FigureSettingsSet(_)
            | EventBody::FigureSettingsSetV2(_) => Aggregate::Config,
            EventBody::MeetingScheduled(_)
            | EventBody::MeetingRescheduled(_)
            | EventBody::AttendeeAdded { .. }
            | EventBody::AttendeeSignedIn { .. }
            | EventBody::AttendeeRemoved { .. }
            | EventBody::AgendaItemAdded { .. }
            | EventBody::MinutesRecorded { .. }
            | EventBody::MeetingItemAdded { .. }
            | EventBody::MinutesApproved { .. }
            | EventBody::MinutesAmended { .. }
            | EventBody::MeetingCaseOpened { .. }
            | EventBody::MeetingCaseLinked { .. }
            | EventBody::MeetingOfficeAssigned { .. }
            | EventBody::MeetingTimesCorrected(_) => Aggregate::Meeting,
            _ => Aggregate::Case,
        }
    }

    /// The event creates its stream (a case's intake, a meeting's scheduling).
    pub fn opens_stream(&self) -> bool {
        matches!(
            self,
            EventBody::CaseReceived(_) | EventBody::MeetingScheduled(_)
        )
    }

    /// The photo the event refers to: a replica that receives the event fetches it.
    pub fn attachment(&self) -> Option<&crate::model::Attachment> {
        match self {
            EventBody::CaseReceived(r) => r.intake.attachment.as_ref(),
            _ => None,
        }
    }

    /// Split into the stored `(kind, payload JSON)` pair. An error for a body JSON cannot
    /// hold (a weight that is not a finite number): nothing unreadable is ever stored.
    pub fn to_columns(&self) -> serde_json::Result<(&'static str, String)> {
        let kind = self.kind();
        let whole = serde_json::to_string(self)?;
        // Adjacently tagged, the tag first: `{"kind":"…","payload":…}`. Cutting the payload
        // out of the text is several times cheaper than going through a `Value` tree, and a
        // first sync stores hundreds of thousands of events.
        let payload = whole
            .strip_prefix(&format!(r#"{{"kind":"{kind}","payload":"#))
            .and_then(|rest| rest.strip_suffix('}'))
            .ok_or_else(|| {
                <serde_json::Error as serde::ser::Error>::custom(format!(
                    "{kind}: the body did not serialise as {{kind, payload}}"
                ))
            })?;
        Ok((kind, payload.to_owned()))
    }

    /// Rebuild from the stored `(kind, payload JSON)` pair.
    pub fn from_columns(kind: &str, payload: &str) -> serde_json::Result<EventBody> {
        // The payload must be one JSON value before it is spliced into a document (a damaged
        // column must fail, not change the document's shape); checking costs no allocation.
        let payload: &serde_json::value::RawValue = serde_json::from_str(payload)?;
        let kind = serde_json::to_string(kind)?;
        let payload = payload.get();
        let mut doc = String::with_capacity(kind.len() + payload.len() + 24);
        doc.push_str(r#"{"kind":"#);
        doc.push_str(&kind);
        doc.push_str(r#","payload":"#);
        doc.push_str(payload);
        doc.push('}');
        serde_json::from_str(&doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_for_unit_and_struct_payloads() {
        for body in [
            EventBody::CaseArchived { note: "好".into() },
            EventBody::CaseAccepted {
                note: String::new(),
            },
            EventBody::CalendarDaySet {
                date: "2026-02-14".into(),
                working: true,
            },
        ] {
            let (kind, payload) = body.to_columns().unwrap();
            assert_eq!(EventBody::from_columns(kind, &payload).unwrap(), body);
        }
    }

    /// The intake flattens the form into its payload; payloads stored by earlier versions
    /// (through a `Value`, keys sorted) read back the same; a damaged column is an error.
    #[test]
    fn columns_of_an_intake_and_of_older_versions() {
        let body: EventBody = serde_json::from_value(serde_json::json!({
            "kind": "case_received",
            "payload": {
                "number": "HM-0001", "channel": "phone", "category": "water.leak",
                "urgency": "normal", "resident": { "name": "王", "phone": "13800000000" },
                "description": "楼道漏水", "response_due": 1, "resolve_due": 2
            }
        }))
        .unwrap();
        let (kind, payload) = body.to_columns().unwrap();
        assert_eq!(kind, "case_received");
        assert!(payload.starts_with(r#"{"number":"HM-0001""#), "{payload}");
        assert_eq!(EventBody::from_columns(kind, &payload).unwrap(), body);

        let v = serde_json::to_value(&body).unwrap();
        let sorted = v["payload"].to_string();
        assert_ne!(sorted, payload, "the old form sorted the keys");
        assert_eq!(EventBody::from_columns(kind, &sorted).unwrap(), body);

        let damaged = format!(r#"{payload},"payload":{{}}"#);
        assert!(EventBody::from_columns(kind, &damaged).is_err());
        assert!(EventBody::from_columns("no_such_kind", &payload).is_err());
    }
}
