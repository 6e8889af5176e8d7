//! Meeting commands and queries: scheduling, the sign-in sheet, minutes, approval and
//! amendments, decisions that become cases, reception-day capture and commitment letters.
//!
//! A command that touches two streams (an item becomes a case; a visitor's problem becomes a
//! case) folds every event in memory first and writes them all in one savepoint, so either
//! the case and the meeting's link to it both exist or neither does.

use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{
    FoldKey, FoldRules, Projection, Reindex, Store, append, enum_name, load_row, text,
    validate_new_case, write_case,
};
use crate::api::*;
use crate::calendar;
use crate::deadline::{DueStatus, due_status};
use crate::error::{Error, Reason, Result};
use crate::event::{Event, EventBody, Received};
use crate::meeting::{
    self, AttendeeRole, ItemKind, Meeting, MeetingCaseVia, MeetingInfo, MeetingKind, MinutesState,
};
use crate::model::{Case, Channel, Commitment, LetterStatus, Resident, Urgency};
use crate::workflow;

impl Projection for Meeting {
    fn load(conn: &Connection, id: &str) -> Result<Option<(Self, FoldKey)>> {
        load_row(conn, "meetings", id)
    }
    fn apply(rules: &FoldRules, current: Option<&Self>, ev: &Event) -> Result<Self> {
        // An event no replica could have written, or by an account whose role did not allow
        // it then, is quarantined, whatever its state.
        crate::validate::event(ev)?;
        rules.check_account(ev)?;
        meeting::apply(current, ev)
    }
    fn write(conn: &Connection, p: &Self, last: &Event, _reindex: Reindex<'_>) -> Result<()> {
        write_meeting(conn, p, last)
    }
    fn add_conflict(&mut self) {
        self.conflict_count = self.conflict_count.saturating_add(1);
    }
}

fn write_meeting(conn: &Connection, m: &Meeting, last: &Event) -> Result<()> {
    let id = m.id.to_string();
    conn.prepare_cached(
        "INSERT INTO meetings (id, office, kind, title, starts_at, minutes, fold_wall,
            fold_counter, fold_id, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET office = ?2, title = ?4, starts_at = ?5, minutes = ?6,
            fold_wall = ?7, fold_counter = ?8, fold_id = ?9, doc = ?10",
    )?
    .execute(params![
        id,
        m.office,
        enum_name(&m.info.kind),
        m.info.title,
        m.info.starts_at,
        enum_name(&m.minutes),
        last.hlc.wall_ms,
        last.hlc.counter,
        last.id.to_string(),
        serde_json::to_string(m)?,
    ])?;
    conn.prepare_cached("DELETE FROM meeting_cases WHERE meeting_id = ?1")?
        .execute([&id])?;
    let mut ins = conn.prepare_cached(
        "INSERT OR IGNORE INTO meeting_cases (meeting_id, case_id) VALUES (?1, ?2)",
    )?;
    for c in &m.cases {
        ins.execute(params![id, c.case.to_string()])?;
    }
    Ok(())
}

use crate::validate::{line, meeting_info as validate_info};

/// `YYYY-MM-DD`, today (China) or later, as the last millisecond of that day.
fn promised_day(field: &'static str, date: &str, now: i64) -> Result<(i64, String)> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, Reason::BadDate))?;
    if d < calendar::local_date(now) {
        return Err(Error::invalid(field, Reason::DateInPast));
    }
    let next = d.succ_opt().ok_or(Error::invalid(field, Reason::BadDate))?;
    Ok((
        calendar::start_of_day(next) - 1,
        d.format("%Y-%m-%d").to_string(),
    ))
}

/// Events of one command, folded in memory before anything is written: each projection
/// with the last event staged on it (`None`: loaded, not yet changed).
struct Staged {
    events: Vec<Event>,
    case: Option<(Case, Option<Event>)>,
    meeting: Option<(Meeting, Option<Event>)>,
}

impl Staged {
    fn on(meeting: Option<Meeting>) -> Staged {
        Staged {
            events: Vec::new(),
            case: None,
            meeting: meeting.map(|m| (m, None)),
        }
    }
}

impl Store {
    // ------------------------------------------------------------ commands

    /// Schedule a meeting.
    pub fn schedule_meeting(&mut self, info: MeetingInfo) -> Result<Meeting> {
        let info = validate_info(info)?;
        let id = Uuid::now_v7();
        self.commit_meeting(id, None, EventBody::MeetingScheduled(Box::new(info)))
    }

    /// Change a meeting: sign-in sheet, agenda, minutes, items, approval, amendments, links.
    pub fn meeting_act(&mut self, id: Uuid, command: MeetingCommand) -> Result<Meeting> {
        let m = self.load_meeting(id)?;
        // Refuse an edit of locked minutes before looking at the form: that is the problem.
        if m.minutes == MinutesState::Approved
            && !matches!(
                command,
                MeetingCommand::Amend { .. } | MeetingCommand::LinkCase { .. }
            )
        {
            return Err(Error::MinutesLocked {
                action: command_name(&command).into(),
            });
        }
        let now = self.clock.now_ms();
        let body = match command {
            MeetingCommand::Reschedule(info) => {
                EventBody::MeetingRescheduled(Box::new(validate_info(info)?))
            }
            MeetingCommand::AddAttendee {
                name,
                role,
                organisation,
                phone,
                signed_in,
            } => EventBody::AttendeeAdded {
                attendee: Uuid::now_v7(),
                name: line("name", name, true)?,
                role,
                organisation: line("organisation", organisation, false)?,
                phone: line("phone", phone, false)?,
                signed_in,
            },
            MeetingCommand::SignIn { attendee } => EventBody::AttendeeSignedIn { attendee },
            MeetingCommand::RemoveAttendee { attendee } => EventBody::AttendeeRemoved { attendee },
            MeetingCommand::AddAgenda { title } => EventBody::AgendaItemAdded {
                agenda: Uuid::now_v7(),
                title: line("title", title, true)?,
            },
            MeetingCommand::RecordMinutes { agenda, text: t } => EventBody::MinutesRecorded {
                agenda,
                text: text("text", t, false)?,
            },
            MeetingCommand::AddItem {
                agenda,
                kind,
                text: t,
                owner_unit,
                deadline,
            } => {
                let owner_unit = match owner_unit.filter(|u| !u.trim().is_empty()) {
                    Some(u) => Some(self.known_unit(u)?),
                    None if kind == ItemKind::Action => {
                        return Err(Error::invalid("owner_unit", Reason::Required));
                    }
                    None => None,
                };
                let deadline = match deadline.filter(|d| !d.trim().is_empty()) {
                    Some(d) => Some(promised_day("deadline", &d, now)?.0),
                    None if kind == ItemKind::Action => {
                        return Err(Error::invalid("deadline", Reason::Required));
                    }
                    None => None,
                };
                EventBody::MeetingItemAdded {
                    item: Uuid::now_v7(),
                    agenda,
                    kind,
                    text: text("text", t, true)?,
                    owner_unit,
                    deadline,
                }
            }
            MeetingCommand::Approve { note } => {
                if self.identity.author != m.info.facilitator {
                    return Err(Error::NotFacilitator {
                        facilitator: m.info.facilitator.clone(),
                    });
                }
                EventBody::MinutesApproved {
                    note: text("note", note, false)?,
                }
            }
            MeetingCommand::Amend {
                agenda,
                text: t,
                reason,
            } => EventBody::MinutesAmended {
                agenda,
                text: text("text", t, true)?,
                reason: text("reason", reason, true)?,
            },
            MeetingCommand::LinkCase { case } => {
                let case = self.resolve_case_ref(&case)?;
                EventBody::MeetingCaseLinked {
                    case,
                    number: self.load_case(case)?.number,
                }
            }
        };
        self.commit_meeting(id, Some(m), body)
    }

    pub(super) fn commit_meeting(
        &mut self,
        id: Uuid,
        current: Option<Meeting>,
        body: EventBody,
    ) -> Result<Meeting> {
        let mut staged = Staged::on(current);
        self.stage_meeting(&mut staged, id, body)?;
        self.write_staged(staged)
    }

    /// Turn a decision or action item into a case (channel "meeting") in one step: the
    /// item's deadline becomes the case's, and an owner unit has it dispatched at once.
    pub fn open_item_case(&mut self, meeting_id: Uuid, form: ItemCaseForm) -> Result<Case> {
        let m = self.load_meeting(meeting_id)?;
        let item = m
            .items
            .iter()
            .find(|i| i.id == form.item)
            .cloned()
            .ok_or(Error::NotFound {
                what: "item",
                id: form.item.to_string(),
            })?;
        if item.case.is_some() {
            return Err(Error::invalid("item", Reason::AlreadyLinked));
        }
        let description = if form.description.trim().is_empty() {
            item.text.clone()
        } else {
            form.description
        };
        let intake = validate_new_case(NewCase {
            channel: Channel::Meeting,
            work_order_no: String::new(),
            category: form.category,
            urgency: form.urgency,
            resident: Resident::default(),
            address: Default::default(),
            description,
            location: form.location,
            attachment: None,
            meeting: Some(meeting_id),
        })?;
        let mut staged = Staged::on(Some(m));
        let case_id = Uuid::now_v7();
        let number = self.stage_intake(&mut staged, case_id, intake, item.deadline)?;
        if let Some(unit) = &item.owner_unit {
            self.stage_case(
                &mut staged,
                EventBody::CaseDispatched {
                    unit: unit.clone(),
                    note: item.text.clone(),
                },
            )?;
        }
        self.stage_meeting(
            &mut staged,
            meeting_id,
            EventBody::MeetingCaseOpened {
                case: case_id,
                number,
                item: Some(item.id),
                visitor: None,
            },
        )?;
        self.write_staged(staged)?;
        self.load_case(case_id)
    }

    /// Reception-day capture: the visitor signs in and their problem becomes a case
    /// (channel "reception day"), solved on the spot, given a commitment letter, or registered.
    pub fn capture_visitor(&mut self, meeting_id: Uuid, form: VisitorForm) -> Result<Case> {
        let m = self.load_meeting(meeting_id)?;
        if m.info.kind != MeetingKind::ReceptionDay {
            return Err(Error::invalid("meeting", Reason::WrongMeetingKind));
        }
        if m.minutes == MinutesState::Approved {
            return Err(Error::MinutesLocked {
                action: "capture_visitor".into(),
            });
        }
        let intake = validate_new_case(NewCase {
            channel: Channel::ReceptionDay,
            work_order_no: String::new(),
            category: form.category,
            urgency: Urgency::Normal,
            resident: Resident {
                name: form.name,
                phone: form.phone,
            },
            address: form.address,
            description: form.description,
            location: String::new(),
            attachment: None,
            meeting: Some(meeting_id),
        })?;
        if intake.resident.name.is_empty() {
            return Err(Error::invalid("resident.name", Reason::Required));
        }
        let now = self.clock.now_ms();
        let outcome = match form.outcome {
            VisitorOutcome::OnSpot { result } => Some(EventBody::CaseSolvedOnSpot {
                result: text("result", result, true)?,
            }),
            VisitorOutcome::Letter(letter) => Some(EventBody::CommitmentIssued(Box::new(
                self.commitment(&intake.description, letter, now)?,
            ))),
            VisitorOutcome::Registered => None,
        };
        // One visitor, several problems: a resident already signed in at this reception (the
        // same name and phone, or without a phone the same name and address) is not signed
        // in again.
        let returning = m
            .attendees
            .iter()
            .find(|a| {
                a.role == AttendeeRole::Resident
                    && a.signed_in_at.is_some()
                    && visitor_key(&a.name, &a.phone, &a.organisation)
                        == visitor_key(
                            &intake.resident.name,
                            &intake.resident.phone,
                            &intake.address.display(),
                        )
            })
            .map(|a| a.id);
        let mut staged = Staged::on(Some(m));
        let attendee = match returning {
            Some(id) => id,
            None => {
                let attendee = Uuid::now_v7();
                self.stage_meeting(
                    &mut staged,
                    meeting_id,
                    EventBody::AttendeeAdded {
                        attendee,
                        name: intake.resident.name.clone(),
                        role: AttendeeRole::Resident,
                        organisation: intake.address.display(),
                        phone: intake.resident.phone.clone(),
                        signed_in: true,
                    },
                )?;
                attendee
            }
        };
        let case_id = Uuid::now_v7();
        // A promise made at the reception is the case's deadline when it is later than the
        // policy's: the leader decided it there, as a meeting decides an item's deadline.
        let deadline = match &outcome {
            Some(EventBody::CommitmentIssued(letter)) => Some(
                self.policy
                    .limits(&intake.category, intake.urgency)
                    .resolve
                    .due(&self.calendar, now)
                    .max(letter.due),
            ),
            _ => None,
        };
        let number = self.stage_intake(&mut staged, case_id, intake, deadline)?;
        if let Some(body) = outcome {
            self.stage_case(&mut staged, body)?;
        }
        self.stage_meeting(
            &mut staged,
            meeting_id,
            EventBody::MeetingCaseOpened {
                case: case_id,
                number,
                item: None,
                visitor: Some(attendee),
            },
        )?;
        self.write_staged(staged)?;
        self.load_case(case_id)
    }

    /// The letter a case's [`CaseCommand::IssueLetter`] records.
    pub(super) fn commitment(
        &self,
        description: &str,
        form: LetterForm,
        now: i64,
    ) -> Result<Commitment> {
        let (due, due_date) = promised_day("due_date", &form.due_date, now)?;
        let problem = text("problem", form.problem, false)?;
        Ok(Commitment {
            problem: if problem.is_empty() {
                description.to_owned()
            } else {
                problem
            },
            promise: text("promise", form.promise, true)?,
            due,
            due_date,
            responsible: line("responsible", form.responsible, true)?,
            office_name: self.identity.office_name.clone(),
        })
    }

    fn stage_intake(
        &mut self,
        staged: &mut Staged,
        case_id: Uuid,
        intake: crate::event::Intake,
        resolve_due: Option<i64>,
    ) -> Result<String> {
        let now = self.clock.now_ms();
        let limits = self.policy.limits(&intake.category, intake.urgency);
        let number = self.next_number(now)?;
        let body = EventBody::CaseReceived(Box::new(Received {
            number: number.clone(),
            response_due: limits.response.due(&self.calendar, now),
            resolve_due: resolve_due.unwrap_or_else(|| limits.resolve.due(&self.calendar, now)),
            intake,
        }));
        let ev = self.new_event(case_id.to_string(), body)?;
        let case = workflow::apply(None, &ev)?;
        staged.events.push(ev.clone());
        staged.case = Some((case, Some(ev)));
        Ok(number)
    }

    fn stage_case(&mut self, staged: &mut Staged, body: EventBody) -> Result<()> {
        let (case, _) = staged.case.as_ref().expect("intake staged first");
        let ev = self.new_event(case.id.to_string(), body)?;
        let case = workflow::apply(Some(case), &ev)?;
        staged.events.push(ev.clone());
        staged.case = Some((case, Some(ev)));
        Ok(())
    }

    fn stage_meeting(&mut self, staged: &mut Staged, id: Uuid, body: EventBody) -> Result<()> {
        let ev = self.new_event(id.to_string(), body)?;
        let m = meeting::apply(staged.meeting.as_ref().map(|(m, _)| m), &ev)?;
        staged.events.push(ev.clone());
        staged.meeting = Some((m, Some(ev)));
        Ok(())
    }

    fn write_staged(&mut self, staged: Staged) -> Result<Meeting> {
        let sp = self.conn.savepoint()?;
        for ev in &staged.events {
            append(&sp, ev)?;
        }
        if let Some((case, Some(last))) = &staged.case {
            write_case(&sp, case, last, Reindex::Now)?;
        }
        let Some((m, Some(last))) = staged.meeting else {
            unreachable!("every meeting command stages an event on its meeting");
        };
        write_meeting(&sp, &m, &last)?;
        sp.commit()?;
        Ok(m)
    }

    // ------------------------------------------------------------ queries

    /// A meeting by id.
    pub fn meeting(&self, id: Uuid) -> Result<Meeting> {
        self.load_meeting(id)
    }

    pub(super) fn load_meeting(&self, id: Uuid) -> Result<Meeting> {
        Meeting::load(&self.conn, &id.to_string())?
            .map(|(m, _)| m)
            .ok_or(Error::NotFound {
                what: "meeting",
                id: id.to_string(),
            })
    }

    /// Everything the meeting page shows: the meeting, its trace, and the progress of every
    /// case it produced or discussed (问题清单 / 整改清单) with the figures over them.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn meeting_detail(&self, id: Uuid) -> Result<MeetingDetail> {
        let v = self.meeting_detail_unmasked(id)?;
        self.shown(v)
    }

    /// [`Store::meeting_detail`] before masking.
    fn meeting_detail_unmasked(&self, id: Uuid) -> Result<MeetingDetail> {
        let meeting = self.load_meeting(id)?;
        let now = self.clock.now_ms();
        let mut cases = Vec::with_capacity(meeting.cases.len());
        for link in &meeting.cases {
            let item_kind = link
                .item
                .and_then(|i| meeting.items.iter().find(|it| it.id == i))
                .map(|it| it.kind);
            let held = Case::load(&self.conn, &link.case.to_string())?.map(|(c, _)| c);
            cases.push(match held {
                Some(c) => MeetingCaseRow {
                    link: link.clone(),
                    item_kind,
                    state: Some(c.state),
                    summary: c.description.chars().take(80).collect(),
                    handling_unit: c.handling_unit.clone(),
                    resolve_due: Some(c.resolve_due),
                    due_status: Some(due_status(c.state.is_open(), c.due_at(), now)),
                    on_spot: c.on_spot,
                    letter: c.letter_status(now),
                    letter_due: c.letter.as_ref().map(|l| l.commitment.due),
                },
                None => MeetingCaseRow {
                    link: link.clone(),
                    item_kind,
                    state: None,
                    summary: String::new(),
                    handling_unit: None,
                    resolve_due: None,
                    due_status: None,
                    on_spot: false,
                    letter: None,
                    letter_due: None,
                },
            });
        }
        let summary = summarise(&meeting, &cases);
        Ok(MeetingDetail {
            timeline: self.timeline(&id.to_string())?,
            meeting,
            cases,
            summary,
        })
    }

    /// Meetings, latest first.
    pub fn list_meetings(&self) -> Result<Vec<MeetingRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT doc, (SELECT count(*) FROM meeting_cases mc JOIN cases c ON c.id = mc.case_id
                          WHERE mc.meeting_id = meetings.id AND c.is_open)
             FROM meetings ORDER BY starts_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (doc, open_cases) = row?;
            let m: Meeting = serde_json::from_str(&doc)?;
            out.push(MeetingRow {
                id: m.id,
                kind: m.info.kind,
                title: m.info.title.clone(),
                starts_at: m.info.starts_at,
                place: m.info.place.clone(),
                facilitator: m.info.facilitator.clone(),
                minutes: m.minutes,
                signed_in: m.signed_in(),
                cases: m.cases.len() as u32,
                open_cases,
            });
        }
        Ok(out)
    }

    /// Meetings that opened or discussed a case.
    pub(super) fn case_meetings(&self, case: Uuid) -> Result<Vec<MeetingRef>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.doc FROM meeting_cases mc JOIN meetings m ON m.id = mc.meeting_id
             WHERE mc.case_id = ?1 ORDER BY m.starts_at",
        )?;
        let docs = stmt
            .query_map([case.to_string()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        docs.iter()
            .map(|d| {
                let m: Meeting = serde_json::from_str(d)?;
                Ok(MeetingRef {
                    id: m.id,
                    kind: m.info.kind,
                    title: m.info.title,
                    starts_at: m.info.starts_at,
                })
            })
            .collect()
    }

    /// Every meeting as projected, by id: what replicas and rebuilds are compared on.
    pub fn all_meetings(&self) -> Result<Vec<Meeting>> {
        let mut stmt = self.conn.prepare("SELECT doc FROM meetings ORDER BY id")?;
        let docs = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }
}

/// Who a reception-day visitor is: their name with their phone's digits, or without a phone
/// with their address as written (two people of one household share a phone, not a name).
fn visitor_key(name: &str, phone: &str, address: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let by = if digits.is_empty() {
        address.trim().to_owned()
    } else {
        digits
    };
    format!("{}\u{1f}{by}", name.trim())
}

fn summarise(m: &Meeting, cases: &[MeetingCaseRow]) -> MeetingSummary {
    let count = |f: &dyn Fn(&MeetingCaseRow) -> bool| cases.iter().filter(|c| f(c)).count() as u32;
    MeetingSummary {
        attendees: m.attendees.len() as u32,
        signed_in: m.signed_in(),
        // People, not sign-ins: a visitor signed in twice before visitors were recognised
        // (one per problem) counts once.
        visitors: m
            .attendees
            .iter()
            .filter(|a| a.role == AttendeeRole::Resident && a.signed_in_at.is_some())
            .map(|a| visitor_key(&a.name, &a.phone, &a.organisation))
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u32,
        problems: count(&|c| c.link.via != MeetingCaseVia::Linked),
        solved_on_spot: count(&|c| c.on_spot),
        letters: count(&|c| c.letter.is_some()),
        letters_fulfilled: count(&|c| c.letter == Some(LetterStatus::Fulfilled)),
        letters_broken: count(&|c| c.letter == Some(LetterStatus::Broken)),
        open: count(&|c| c.state.is_some_and(|s| s.is_open())),
        overdue: count(&|c| {
            c.state.is_some_and(|s| s.is_open())
                && (c.due_status == Some(DueStatus::Overdue)
                    || c.letter == Some(LetterStatus::Broken))
        }),
    }
}

fn command_name(c: &MeetingCommand) -> &'static str {
    match c {
        MeetingCommand::Reschedule(_) => "reschedule",
        MeetingCommand::AddAttendee { .. } => "add_attendee",
        MeetingCommand::SignIn { .. } => "sign_in",
        MeetingCommand::RemoveAttendee { .. } => "remove_attendee",
        MeetingCommand::AddAgenda { .. } => "add_agenda",
        MeetingCommand::RecordMinutes { .. } => "record_minutes",
        MeetingCommand::AddItem { .. } => "add_item",
        MeetingCommand::Approve { .. } => "approve",
        MeetingCommand::Amend { .. } => "amend",
        MeetingCommand::LinkCase { .. } => "link_case",
    }
}
