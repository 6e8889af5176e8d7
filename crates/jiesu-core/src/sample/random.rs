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

/// A random meeting operation on `store`: schedule one, or change a random meeting (sign-in,
/// agenda, minutes, items, approval, amendments, items that become cases, reception-day
/// visitors). Usually valid, sometimes not: the property tests check that whatever happens,
/// replicas agree. Refusals are returned, not hidden.
pub fn random_meeting_op(rng: &mut impl Rng, store: &mut Store) -> Result<()> {
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
        store.schedule_meeting(MeetingInfo {
            kind,
            title: ["停车难议事会", "十一月大接访", "加装电梯恳谈会"][rng.random_range(0..3)]
                .into(),
            starts_at: now,
            ends_at: None,
            place: "社区会议室".into(),
            facilitator: author.clone(),
            recorder: author,
        })?;
        return Ok(());
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
            None => return Ok(()),
        },
        2 => MeetingCommand::AddAgenda {
            title: "增设停车位".into(),
        },
        3 => match m.agenda.first() {
            Some(a) => MeetingCommand::RecordMinutes {
                agenda: a.id,
                text: format!("讨论{}", rng.random_range(0..100)),
            },
            None => return Ok(()),
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
                return Ok(());
            };
            store.open_item_case(
                m.id,
                ItemCaseForm {
                    item: item.id,
                    category: "parking.spaces".into(),
                    urgency: Urgency::Normal,
                    description: String::new(),
                    location: String::new(),
                },
            )?;
            return Ok(());
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
            store.capture_visitor(
                m.id,
                VisitorForm {
                    name: "钱师傅".into(),
                    phone: "13900000002".into(),
                    address: Address::default(),
                    category: "housing.leak.roof".into(),
                    description: "顶楼漏水".into(),
                    outcome,
                },
            )?;
            return Ok(());
        }
    };
    store.meeting_act(m.id, command)?;
    Ok(())
}
