//! Meetings: residents' councils, reception days, dialogue and evaluation meetings.
//!
//! A meeting is an event stream like a case, folded by [`apply`] into a [`Meeting`]. Its
//! minutes follow one rule: **draft → approved (locked)**. While the minutes are a draft,
//! the recorder edits freely (every edit is still an event); once the facilitator approves
//! them, every edit is refused with [`Error::MinutesLocked`] and a change can only be a
//! [`EventBody::MinutesAmended`] entry, shown beside what it amends. Following up is not
//! editing: cases can be opened from the meeting's decisions and linked to it after approval.
//!
//! What a meeting produced (问题清单 / 整改清单) is the list of cases it opened or linked;
//! their progress is read from the case projection, never copied into the meeting.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Reason, Result};
use crate::event::{Event, EventBody, MeetingHeader};
// The kinds the log stores are the log's own types; the meeting's views use them as they are.
pub use crate::event::{AttendeeRole, ItemKind, MeetingKind};

/// Where the minutes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum MinutesState {
    /// 草稿: editable.
    Draft,
    /// 已审定: approved by the facilitator and locked; changes are amendments.
    Approved,
}

/// When, where and who runs it: the meeting's header, as scheduled or last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct MeetingInfo {
    /// Kind.
    pub kind: MeetingKind,
    /// Title, e.g. 关于小区停车难的居民议事会.
    pub title: String,
    /// Start (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub starts_at: i64,
    /// End (ms), when known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ends_at: Option<i64>,
    /// Place.
    pub place: String,
    /// 主持人: the one who approves the minutes.
    pub facilitator: String,
    /// 记录人
    pub recorder: String,
}

// The header as the log stores it and as the form and views hold it: the same fields.
crate::same_fields!(
    MeetingHeader,
    MeetingInfo {
        kind,
        title,
        starts_at,
        ends_at,
        place,
        facilitator,
        recorder,
    }
);

/// One attendee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Attendee {
    /// Stable id within the meeting.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Role.
    pub role: AttendeeRole,
    /// Unit, company or building, as written on the sign-in sheet.
    pub organisation: String,
    /// Phone (visitors at reception days).
    pub phone: String,
    /// 签到 time (ms), once signed in.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub signed_in_at: Option<i64>,
}

/// One agenda item and its minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct AgendaItem {
    /// Stable id.
    pub id: Uuid,
    /// The topic.
    pub title: String,
    /// What was said (the minutes for this item, as last recorded in draft).
    pub minutes: String,
}

/// A decision or an action item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct MeetingItem {
    /// Stable id.
    pub id: Uuid,
    /// The agenda item it belongs to.
    pub agenda: Option<Uuid>,
    /// Decision or action.
    pub kind: ItemKind,
    /// What was decided / what must be done.
    pub text: String,
    /// The unit that answers for it (action items).
    pub owner_unit: Option<String>,
    /// The deadline (ms, end of the China day).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub deadline: Option<i64>,
    /// The case it became, if any.
    pub case: Option<Uuid>,
}

/// A change recorded after approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Amendment {
    /// The event that recorded it.
    pub event: Uuid,
    /// The agenda item it amends (none: the minutes as a whole).
    pub agenda: Option<Uuid>,
    /// The corrected or added text.
    pub text: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub author: String,
    /// When (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
}

/// How a case is tied to the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum MeetingCaseVia {
    /// Opened from a decision or action item.
    Item,
    /// A reception-day visitor's problem.
    Visitor,
    /// An existing case the meeting discussed.
    Linked,
}

/// A case the meeting produced or discussed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct MeetingCase {
    /// The case.
    pub case: Uuid,
    /// Its number (for the trace, even where the case is not held).
    pub number: String,
    /// How it is tied.
    pub via: MeetingCaseVia,
    /// The item it came from.
    pub item: Option<Uuid>,
    /// The visitor it came from.
    pub visitor: Option<Uuid>,
}

/// The current state of a meeting: the projection of its event stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Meeting {
    /// Stream id.
    pub id: Uuid,
    /// The office that holds it.
    pub office: String,
    /// The device that scheduled it: only it may give the meeting to the office it enrolled
    /// into ([`crate::authority::assignment`]).
    #[serde(default)]
    pub filed_by: String,
    /// Header.
    pub info: MeetingInfo,
    /// Attendees in the order added.
    pub attendees: Vec<Attendee>,
    /// Agenda in order.
    pub agenda: Vec<AgendaItem>,
    /// Decisions and action items in order.
    pub items: Vec<MeetingItem>,
    /// Cases opened from or linked to the meeting.
    pub cases: Vec<MeetingCase>,
    /// Minutes state.
    pub minutes: MinutesState,
    /// Who approved, and when (ms).
    pub approved_by: Option<String>,
    /// Approval time (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub approved_at: Option<i64>,
    /// Changes after approval.
    pub amendments: Vec<Amendment>,
    /// Events that arrived concurrently and could not apply.
    pub conflict_count: u32,
    /// Time of the first event (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Time of the last applied event (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

impl Meeting {
    /// Attendees signed in.
    pub fn signed_in(&self) -> u32 {
        self.attendees
            .iter()
            .filter(|a| a.signed_in_at.is_some())
            .count() as u32
    }
}

/// What a meeting event is called in errors (its kind).
fn locked(ev: &Event) -> Error {
    Error::MinutesLocked {
        action: ev.body.kind().to_owned(),
    }
}

fn missing(what: &'static str, id: Uuid) -> Error {
    Error::NotFound {
        what,
        id: id.to_string(),
    }
}

/// Fold `event` into `meeting` (`None` before the stream's first event).
///
/// Returns the new meeting, or why the event cannot apply; commands turn that into a
/// refusal, replication into a recorded conflict (as for cases).
pub fn apply(meeting: Option<&Meeting>, event: &Event) -> Result<Meeting> {
    let at = event.hlc.wall_ms;
    let Some(m) = meeting else {
        return match &event.body {
            EventBody::MeetingScheduled(info) => Ok(Meeting {
                id: Uuid::parse_str(&event.stream)
                    .map_err(|_| Error::invalid("stream", Reason::Malformed))?,
                office: event.office.clone(),
                filed_by: event.device.clone(),
                info: (**info).clone().into(),
                attendees: Vec::new(),
                agenda: Vec::new(),
                items: Vec::new(),
                cases: Vec::new(),
                minutes: MinutesState::Draft,
                approved_by: None,
                approved_at: None,
                amendments: Vec::new(),
                conflict_count: 0,
                created_at: at,
                updated_at: at,
            }),
            other => Err(Error::NotAllowed {
                state: "none".into(),
                action: other.kind().into(),
            }),
        };
    };
    if let EventBody::MeetingOfficeAssigned { office, .. } = &event.body {
        // Who holds it, not a change to the minutes: allowed after approval, once only.
        if m.office != crate::wire::UNENROLLED_OFFICE {
            return Err(Error::NotAllowed {
                state: "assigned".into(),
                action: event.body.kind().into(),
            });
        }
        crate::authority::assignment(&m.filed_by, event)?;
        let mut m = m.clone();
        m.office = office.clone();
        return Ok(m);
    }
    if let EventBody::MeetingTimesCorrected(_) = &event.body {
        // A note on the trace, allowed after approval too: it changes no minutes.
        return Ok(m.clone());
    }
    let draft = m.minutes == MinutesState::Draft;
    let mut m = m.clone();
    m.updated_at = at;
    match &event.body {
        EventBody::MeetingRescheduled(info) => {
            if !draft {
                return Err(locked(event));
            }
            if info.kind != m.info.kind {
                return Err(Error::invalid("kind", Reason::Unknown));
            }
            m.info = (**info).clone().into();
        }
        EventBody::AttendeeAdded {
            attendee,
            name,
            role,
            organisation,
            phone,
            signed_in,
        } => {
            if !draft {
                return Err(locked(event));
            }
            if m.attendees.iter().any(|a| a.id == *attendee) {
                return Err(Error::invalid("attendee", Reason::Duplicate));
            }
            m.attendees.push(Attendee {
                id: *attendee,
                name: name.clone(),
                role: *role,
                organisation: organisation.clone(),
                phone: phone.clone(),
                signed_in_at: signed_in.then_some(at),
            });
        }
        EventBody::AttendeeSignedIn { attendee } => {
            if !draft {
                return Err(locked(event));
            }
            let a = m
                .attendees
                .iter_mut()
                .find(|a| a.id == *attendee)
                .ok_or_else(|| missing("attendee", *attendee))?;
            // Signing in twice keeps the first time: the sheet records arrival.
            a.signed_in_at.get_or_insert(at);
        }
        EventBody::AttendeeRemoved { attendee } => {
            if !draft {
                return Err(locked(event));
            }
            let before = m.attendees.len();
            m.attendees.retain(|a| a.id != *attendee);
            if m.attendees.len() == before {
                return Err(missing("attendee", *attendee));
            }
        }
        EventBody::AgendaItemAdded { agenda, title } => {
            if !draft {
                return Err(locked(event));
            }
            if m.agenda.iter().any(|a| a.id == *agenda) {
                return Err(Error::invalid("agenda", Reason::Duplicate));
            }
            m.agenda.push(AgendaItem {
                id: *agenda,
                title: title.clone(),
                minutes: String::new(),
            });
        }
        EventBody::MinutesRecorded { agenda, text } => {
            if !draft {
                return Err(locked(event));
            }
            let a = m
                .agenda
                .iter_mut()
                .find(|a| a.id == *agenda)
                .ok_or_else(|| missing("agenda", *agenda))?;
            a.minutes = text.clone();
        }
        EventBody::MeetingItemAdded {
            item,
            agenda,
            kind,
            text,
            owner_unit,
            deadline,
        } => {
            if !draft {
                return Err(locked(event));
            }
            if let Some(ag) = agenda
                && !m.agenda.iter().any(|a| a.id == *ag)
            {
                return Err(missing("agenda", *ag));
            }
            if m.items.iter().any(|i| i.id == *item) {
                return Err(Error::invalid("item", Reason::Duplicate));
            }
            m.items.push(MeetingItem {
                id: *item,
                agenda: *agenda,
                kind: *kind,
                text: text.clone(),
                owner_unit: owner_unit.clone(),
                deadline: *deadline,
                case: None,
            });
        }
        EventBody::MinutesApproved { .. } => {
            if !draft {
                return Err(locked(event));
            }
            m.minutes = MinutesState::Approved;
            m.approved_by = Some(event.author.clone());
            m.approved_at = Some(at);
        }
        EventBody::MinutesAmended {
            agenda,
            text,
            reason,
        } => {
            if draft {
                // A draft is edited, not amended: an amendment says "after approval".
                return Err(Error::NotAllowed {
                    state: "draft".into(),
                    action: event.body.kind().into(),
                });
            }
            if let Some(ag) = agenda
                && !m.agenda.iter().any(|a| a.id == *ag)
            {
                return Err(missing("agenda", *ag));
            }
            m.amendments.push(Amendment {
                event: event.id,
                agenda: *agenda,
                text: text.clone(),
                reason: reason.clone(),
                author: event.author.clone(),
                at,
            });
        }
        EventBody::MeetingCaseOpened {
            case,
            number,
            item,
            visitor,
        } => {
            if m.cases.iter().any(|c| c.case == *case) {
                return Err(Error::invalid("case", Reason::AlreadyLinked));
            }
            if let Some(it) = item {
                let i = m
                    .items
                    .iter_mut()
                    .find(|i| i.id == *it)
                    .ok_or_else(|| missing("item", *it))?;
                if i.case.is_some() {
                    return Err(Error::invalid("item", Reason::AlreadyLinked));
                }
                i.case = Some(*case);
            }
            if let Some(v) = visitor
                && !m.attendees.iter().any(|a| a.id == *v)
            {
                return Err(missing("attendee", *v));
            }
            m.cases.push(MeetingCase {
                case: *case,
                number: number.clone(),
                via: if item.is_some() {
                    MeetingCaseVia::Item
                } else if visitor.is_some() {
                    MeetingCaseVia::Visitor
                } else {
                    MeetingCaseVia::Linked
                },
                item: *item,
                visitor: *visitor,
            });
        }
        EventBody::MeetingCaseLinked { case, number } => {
            if m.cases.iter().any(|c| c.case == *case) {
                return Err(Error::invalid("case", Reason::AlreadyLinked));
            }
            m.cases.push(MeetingCase {
                case: *case,
                number: number.clone(),
                via: MeetingCaseVia::Linked,
                item: None,
                visitor: None,
            });
        }
        other => {
            return Err(Error::NotAllowed {
                state: "meeting".into(),
                action: other.kind().into(),
            });
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;

    fn ev(stream: Uuid, ms: i64, author: &str, body: EventBody) -> Event {
        Event {
            id: Uuid::now_v7(),
            stream: stream.to_string(),
            hlc: Hlc {
                wall_ms: ms,
                counter: 0,
            },
            author: author.into(),
            account: None,
            prev: None,
            sig: None,
            device: "d".into(),
            office: "hm".into(),
            body,
        }
    }

    fn info() -> MeetingInfo {
        MeetingInfo {
            kind: MeetingKind::Council,
            title: "停车难议事会".into(),
            starts_at: 1_000,
            ends_at: None,
            place: "社区会议室".into(),
            facilitator: "王主任".into(),
            recorder: "李记录".into(),
        }
    }

    #[test]
    fn approval_locks_the_minutes_and_only_amendments_follow() {
        let id = Uuid::now_v7();
        let agenda = Uuid::now_v7();
        let m = apply(
            None,
            &ev(
                id,
                1,
                "李记录",
                EventBody::MeetingScheduled(Box::new(info().into())),
            ),
        )
        .unwrap();
        let m = apply(
            Some(&m),
            &ev(
                id,
                2,
                "李记录",
                EventBody::AgendaItemAdded {
                    agenda,
                    title: "增设停车位".into(),
                },
            ),
        )
        .unwrap();
        let amend = EventBody::MinutesAmended {
            agenda: Some(agenda),
            text: "补充：夜间开放".into(),
            reason: "漏记".into(),
        };
        // A draft is edited, not amended.
        assert!(matches!(
            apply(Some(&m), &ev(id, 3, "李记录", amend.clone())),
            Err(Error::NotAllowed { .. })
        ));
        let m = apply(
            Some(&m),
            &ev(
                id,
                4,
                "王主任",
                EventBody::MinutesApproved {
                    note: String::new(),
                },
            ),
        )
        .unwrap();
        assert_eq!(m.minutes, MinutesState::Approved);
        assert_eq!(m.approved_by.as_deref(), Some("王主任"));
        let edit = EventBody::MinutesRecorded {
            agenda,
            text: "改写".into(),
        };
        match apply(Some(&m), &ev(id, 5, "李记录", edit)) {
            Err(Error::MinutesLocked { action }) => assert_eq!(action, "minutes_recorded"),
            other => panic!("expected minutes_locked, got {other:?}"),
        }
        let m = apply(Some(&m), &ev(id, 6, "李记录", amend)).unwrap();
        assert_eq!(m.amendments.len(), 1);
        assert_eq!(m.agenda[0].minutes, "", "the approved text is untouched");
    }

    #[test]
    fn an_item_becomes_one_case_only() {
        let id = Uuid::now_v7();
        let item = Uuid::now_v7();
        let mut m = apply(
            None,
            &ev(
                id,
                1,
                "a",
                EventBody::MeetingScheduled(Box::new(info().into())),
            ),
        )
        .unwrap();
        m = apply(
            Some(&m),
            &ev(
                id,
                2,
                "a",
                EventBody::MeetingItemAdded {
                    item,
                    agenda: None,
                    kind: ItemKind::Action,
                    text: "划定临时停车区".into(),
                    owner_unit: Some("property".into()),
                    deadline: Some(9_000),
                },
            ),
        )
        .unwrap();
        let open = |case| EventBody::MeetingCaseOpened {
            case,
            number: "n".into(),
            item: Some(item),
            visitor: None,
        };
        let c1 = Uuid::now_v7();
        m = apply(Some(&m), &ev(id, 3, "a", open(c1))).unwrap();
        assert_eq!(m.items[0].case, Some(c1));
        assert_eq!(m.cases[0].via, MeetingCaseVia::Item);
        assert!(apply(Some(&m), &ev(id, 4, "a", open(Uuid::now_v7()))).is_err());
    }
}
