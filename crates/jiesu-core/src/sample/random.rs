//! Random operations for property tests and benchmarks (feature `test-support`): a step on a
//! case, a change to a meeting, usually valid and sometimes not, each through the real command.

use rand::Rng;

use crate::api::CaseCommand;
use crate::error::Result;
use crate::model::{Action, Address, Case, Outcome, Satisfaction, Urgency};
use crate::store::Store;

/// A random command for `case`: usually one the workflow allows now, sometimes any. The
/// property tests of the core and of the server drive their replicas with it.
pub fn random_command(rng: &mut impl Rng, store: &Store, case: &Case) -> CaseCommand {
    let now = store.now_ms();
    let allowed = crate::workflow::allowed_actions(case, now);
    let action = if !allowed.is_empty() && rng.random_ratio(9, 10) {
        allowed[rng.random_range(0..allowed.len())]
    } else {
        Action::ALL[rng.random_range(0..Action::ALL.len())]
    };
    let units = ["property", "grid", "construction", "urban_mgmt"];
    let unit = units[rng.random_range(0..units.len())].to_string();
    match action {
        Action::Dispatch => CaseCommand::Dispatch {
            unit,
            note: "尽快".into(),
        },
        Action::Accept => CaseCommand::Accept {
            note: String::new(),
        },
        Action::Note => CaseCommand::Note {
            text: "已联系".into(),
            contacted_resident: rng.random(),
            public: rng.random_ratio(1, 4),
        },
        Action::Return => CaseCommand::Return {
            reason: "非本单位职责".into(),
        },
        Action::Transfer => CaseCommand::Transfer {
            unit,
            reason: "转城建".into(),
        },
        Action::TransferOffice => {
            let offices = store.directory().unwrap_or_default();
            CaseCommand::TransferOffice {
                office: offices
                    .get(rng.random_range(0..offices.len().max(1)))
                    .map_or("office-b".into(), |o| o.id.clone()),
                reason: "属其他社区".into(),
            }
        }
        Action::RequestExtension => CaseCommand::RequestExtension {
            new_due: case.resolve_due + rng.random_range(1..5) * 86_400_000,
            reason: "协调中".into(),
        },
        Action::DecideExtension => CaseCommand::DecideExtension {
            approved: rng.random(),
            note: String::new(),
        },
        Action::Urge => CaseCommand::Urge {
            note: "催办".into(),
        },
        Action::Resolve => CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已处理".into(),
        },
        Action::Visit => {
            let sats = [
                Satisfaction::Satisfied,
                Satisfaction::BasicallySatisfied,
                Satisfaction::Dissatisfied,
            ];
            CaseCommand::Visit {
                reachable: rng.random_ratio(9, 10),
                contacted: rng.random(),
                solved: rng.random(),
                satisfaction: Some(sats[rng.random_range(0..3)]),
                note: String::new(),
            }
        }
        Action::Redo => CaseCommand::Redo {
            reason: "不满意".into(),
            due: None,
        },
        Action::Archive => CaseCommand::Archive {
            note: String::new(),
        },
        Action::Withdraw => CaseCommand::Withdraw {
            reason: "居民撤回".into(),
        },
        Action::ResolveOnSpot => CaseCommand::ResolveOnSpot {
            result: "当场解答".into(),
        },
        Action::Unmerge => CaseCommand::Unmerge {
            reason: "误合并".into(),
        },
        Action::IssueLetter => CaseCommand::IssueLetter(crate::api::LetterForm {
            promise: "协调物业处理".into(),
            due_date: (crate::calendar::local_date(now)
                + chrono::Duration::days(rng.random_range(0..10)))
            .format("%Y-%m-%d")
            .to_string(),
            responsible: "社区书记".into(),
            problem: String::new(),
        }),
        Action::Link | Action::Merge => {
            let all = store.all_cases().unwrap_or_default();
            let other = all
                .get(rng.random_range(0..all.len().max(1)))
                .map_or(case.id, |c| c.id)
                .to_string();
            if action == Action::Link {
                CaseCommand::Link { other }
            } else {
                CaseCommand::Merge { other }
            }
        }
    }
}

/// A call on meetings as the window makes it (the IPC tests send these, mutated).
#[derive(Debug, Clone)]
pub enum MeetingCall {
    /// `schedule_meeting`.
    Schedule(crate::meeting::MeetingInfo),
    /// `meeting_act` on a meeting.
    Act(uuid::Uuid, crate::api::MeetingCommand),
    /// `open_item_case`: an item of a meeting becomes a case.
    ItemCase(uuid::Uuid, crate::api::ItemCaseForm),
    /// `capture_visitor` at a reception day.
    Visitor(uuid::Uuid, crate::api::VisitorForm),
}

impl MeetingCall {
    /// Make the call through the store's real command.
    pub fn apply(self, store: &mut Store) -> Result<()> {
        match self {
            MeetingCall::Schedule(info) => store.schedule_meeting(info).map(drop),
            MeetingCall::Act(m, command) => store.meeting_act(m, command).map(drop),
            MeetingCall::ItemCase(m, form) => store.open_item_case(m, form).map(drop),
            MeetingCall::Visitor(m, form) => store.capture_visitor(m, form).map(drop),
        }
    }
}

/// A random meeting operation on `store` ([`random_meeting_call`], made). Refusals are
/// returned, not hidden.
pub fn random_meeting_op(rng: &mut impl Rng, store: &mut Store) -> Result<()> {
    match random_meeting_call(rng, store)? {
        Some(call) => call.apply(store),
        None => Ok(()),
    }
}

/// A random call on meetings: schedule one, or change a random meeting (sign-in, agenda,
/// minutes, items, approval, amendments, items that become cases, reception-day visitors).
/// Usually valid, sometimes not: the property tests check that whatever happens, replicas
/// agree. `None` when the meeting drawn has nothing the call needs (no attendee to sign in).
pub fn random_meeting_call(rng: &mut impl Rng, store: &Store) -> Result<Option<MeetingCall>> {
    use crate::api::{ItemCaseForm, MeetingCommand, VisitorForm, VisitorOutcome};
    use crate::meeting::{AttendeeRole, ItemKind, MeetingInfo, MeetingKind};
    let meetings = store.all_meetings()?;
    let now = store.now_ms();
    if meetings.is_empty() || rng.random_ratio(1, 6) {
        let kind = if rng.random_bool(0.5) {
            MeetingKind::Council
        } else {
            MeetingKind::ReceptionDay
        };
        let author = store.identity().author.clone();
        return Ok(Some(MeetingCall::Schedule(MeetingInfo {
            kind,
            title: ["停车难议事会", "十一月大接访", "加装电梯恳谈会"][rng.random_range(0..3)]
                .into(),
            starts_at: now,
            ends_at: None,
            place: "社区会议室".into(),
            facilitator: author.clone(),
            recorder: author,
        })));
    }
    let m = &meetings[rng.random_range(0..meetings.len())];
    let day = |rng: &mut _| {
        (crate::calendar::local_date(now) + chrono::Duration::days(Rng::random_range(rng, 0..9)))
            .format("%Y-%m-%d")
            .to_string()
    };
    let command = match rng.random_range(0..11) {
        0 => MeetingCommand::AddAttendee {
            name: ["张建国", "刘经理", "陈老板"][rng.random_range(0..3)].into(),
            role: AttendeeRole::Resident,
            organisation: "27栋".into(),
            phone: String::new(),
            signed_in: rng.random(),
        },
        1 => match m
            .attendees
            .get(rng.random_range(0..m.attendees.len().max(1)))
        {
            Some(a) => MeetingCommand::SignIn { attendee: a.id },
            None => return Ok(None),
        },
        2 => MeetingCommand::AddAgenda {
            title: "增设停车位".into(),
        },
        3 => match m.agenda.first() {
            Some(a) => MeetingCommand::RecordMinutes {
                agenda: a.id,
                text: format!("讨论{}", rng.random_range(0..100)),
            },
            None => return Ok(None),
        },
        4 => MeetingCommand::AddItem {
            agenda: m.agenda.first().map(|a| a.id),
            kind: if rng.random_bool(0.5) {
                ItemKind::Action
            } else {
                ItemKind::Decision
            },
            text: "施划临时停车位".into(),
            owner_unit: Some("property".into()),
            deadline: Some(day(rng)),
        },
        5 => MeetingCommand::Approve {
            note: String::new(),
        },
        6 => MeetingCommand::Amend {
            agenda: None,
            text: "补正".into(),
            reason: "漏记".into(),
        },
        7 | 8 => {
            let open: Vec<_> = m.items.iter().filter(|i| i.case.is_none()).collect();
            let Some(item) = open.get(rng.random_range(0..open.len().max(1))) else {
                return Ok(None);
            };
            return Ok(Some(MeetingCall::ItemCase(
                m.id,
                ItemCaseForm {
                    item: item.id,
                    category: "parking.spaces".into(),
                    urgency: Urgency::Normal,
                    description: String::new(),
                    location: String::new(),
                },
            )));
        }
        _ => {
            let outcome = match rng.random_range(0..3) {
                0 => VisitorOutcome::OnSpot {
                    result: "当场解答".into(),
                },
                1 => VisitorOutcome::Letter(crate::api::LetterForm {
                    promise: "协调维修".into(),
                    due_date: day(rng),
                    responsible: "社区书记".into(),
                    problem: String::new(),
                }),
                _ => VisitorOutcome::Registered,
            };
            return Ok(Some(MeetingCall::Visitor(
                m.id,
                VisitorForm {
                    name: "钱师傅".into(),
                    phone: "13900000002".into(),
                    address: Address::default(),
                    category: "housing.leak.roof".into(),
                    description: "顶楼漏水".into(),
                    outcome,
                },
            )));
        }
    };
    Ok(Some(MeetingCall::Act(m.id, command)))
}
