//! The sample community's meetings: a reception day and a residents' council each month,
//! with what came of them — visitors solved on the spot, commitment letters kept and broken,
//! council decisions turned into dispatched cases and followed up — so the meeting pages and
//! the letter figures have something true to show on first run.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{DAY, HOUR, PLACES, SampleSpec, TOPICS, pick, resident};
use crate::api::CaseCommand;
use crate::api::{ItemCaseForm, LetterForm, MeetingCommand, VisitorForm, VisitorOutcome};
use crate::error::Result;
use crate::meeting::{AttendeeRole, ItemKind, MeetingInfo, MeetingKind};
use crate::model::{Outcome, Urgency};
use crate::store::Store;

/// What a council or dialogue meeting is about: agenda, minutes, one decision and two
/// action items `(what, owner unit, category of the case it becomes)`.
struct CouncilTopic {
    title: &'static str,
    agenda: [&'static str; 2],
    minutes: [&'static str; 2],
    decision: &'static str,
    actions: [(&'static str, &'static str, &'static str); 2],
}

const COUNCILS: [CouncilTopic; 2] = [
    CouncilTopic {
        title: "关于小区停车难的居民议事会",
        agenda: ["夜间停车位不足", "消防通道占用"],
        minutes: [
            "居民反映晚上回来找不到车位，外来车辆占位严重。物业提出可开放东侧空地作临时停车区。",
            "多名居民反映消防通道长期被占。会议同意划线并安装提示牌，由物业巡查劝离。",
        ],
        decision: "同意开放东侧空地作夜间临时停车区，外来车辆限时停放",
        actions: [
            (
                "施划东侧空地临时停车位并设置标识",
                "property",
                "parking.spaces.residential",
            ),
            (
                "消防通道划线并安装禁停提示牌",
                "property",
                "parking.illegal.fire_lane",
            ),
        ],
    },
    CouncilTopic {
        title: "加装电梯与楼道安全恳谈会",
        agenda: ["老旧楼栋加装电梯意愿", "楼道杂物和电动车充电"],
        minutes: [
            "低层住户担心采光和噪音，高层住户意愿强烈。社区将组织一户一议。",
            "楼道堆放杂物和飞线充电问题突出，需集中清理并增设充电桩。",
        ],
        decision: "按楼栋征求加装电梯意见，同意率达标后启动申报",
        actions: [
            ("集中清理楼道杂物", "grid", "safety.exit"),
            (
                "在小区北侧增设电动车充电桩",
                "property",
                "parking.charging.ebike",
            ),
        ],
    },
];

/// One step of a meeting's script. Attendees, agenda items, items and cases are named by
/// their position in the meeting, since their ids exist only once the store made them.
pub(super) enum MStep {
    Schedule(MeetingInfo),
    Command(MeetingCommand),
    /// Minutes for the agenda item at this position.
    Minutes(usize, String),
    /// A decision or action item under the agenda item at this position.
    Item(usize, ItemKind, &'static str, Option<&'static str>, i64),
    /// The item at this position becomes a case.
    ItemCase(usize, &'static str),
    Visitor(VisitorForm),
    /// A workflow step on the meeting's case at this position.
    CaseStep(usize, CaseCommand),
}

/// How many meetings the spec's period holds: two a month.
pub(super) fn count(spec: &SampleSpec) -> usize {
    (spec.days / 30).max(1) as usize * 2
}

fn day_str(ms: i64) -> String {
    crate::calendar::local_date(ms)
        .format("%Y-%m-%d")
        .to_string()
}

/// Meeting `k`'s steps with their times; even `k` are reception days, odd ones councils.
pub(super) fn script(spec: &SampleSpec, k: usize, facilitator: &str) -> Vec<(i64, MStep)> {
    let mut r = SmallRng::seed_from_u64(spec.seed.wrapping_mul(7_919) ^ (k as u64 + 1) << 20);
    let first = crate::calendar::local_date(spec.now_ms) - chrono::Duration::days(spec.days);
    let month = (k / 2) as i64;
    let mut out = Vec::new();
    if k.is_multiple_of(2) {
        let day = first + chrono::Duration::days(month * 30 + 3);
        let t0 = crate::calendar::start_of_day(day) + 9 * HOUR;
        out.push((
            t0 - 2 * DAY,
            MStep::Schedule(MeetingInfo {
                kind: MeetingKind::ReceptionDay,
                title: format!("{}月大接访", crate::calendar::local_date(t0).format("%-m")),
                starts_at: t0,
                ends_at: Some(t0 + 3 * HOUR),
                place: "社区党群服务中心一楼大厅".into(),
                facilitator: facilitator.into(),
                recorder: facilitator.into(),
            }),
        ));
        let visitors = r.random_range(6..10);
        for j in 0..visitors {
            let t = t0 + j as i64 * 15 * 60_000 + r.random_range(0..10 * 60_000);
            let topic = pick(&mut r, TOPICS);
            let (res, address) = resident(spec.seed ^ 0x5eed, r.random_range(0..400));
            let text = pick(&mut r, topic.2)
                .replace("{b}", address.building.trim_end_matches('栋'))
                .replace("{u}", "2")
                .replace("{p}", pick::<&str>(&mut r, PLACES));
            let roll = r.random_range(0..100);
            let outcome = if roll < 40 {
                VisitorOutcome::OnSpot {
                    result: "当场答复并讲解政策，居民表示认可".into(),
                }
            } else if roll < 80 {
                VisitorOutcome::Letter(LetterForm {
                    promise: "协调责任单位上门核实处理，办结后回复居民".into(),
                    due_date: day_str(t + r.random_range(3..10) * DAY),
                    responsible: format!("{facilitator}（社区书记）"),
                    problem: String::new(),
                })
            } else {
                VisitorOutcome::Registered
            };
            let follow = !matches!(outcome, VisitorOutcome::OnSpot { .. });
            out.push((
                t,
                MStep::Visitor(VisitorForm {
                    name: res.name,
                    phone: res.phone,
                    address,
                    category: topic.0.into(),
                    description: text,
                    outcome,
                }),
            ));
            if follow {
                // Most promises are kept; some run late (the broken letters).
                let unit = pick(&mut r, super::units_for(topic.0)).to_string();
                let done = t + r.random_range(DAY..12 * DAY);
                out.push((t + HOUR, MStep::CaseStep(j, dispatch(&unit))));
                out.push((t + 5 * HOUR, MStep::CaseStep(j, accept())));
                out.push((done, MStep::CaseStep(j, resolve())));
            }
        }
        out.push((
            t0 + 4 * HOUR,
            MStep::Command(MeetingCommand::Approve {
                note: String::new(),
            }),
        ));
    } else {
        let day = first + chrono::Duration::days(month * 30 + 16);
        let t0 = crate::calendar::start_of_day(day) + 19 * HOUR;
        let CouncilTopic {
            title,
            agenda,
            minutes,
            decision,
            actions,
        } = &COUNCILS[(month % 2) as usize];
        out.push((
            t0 - 5 * DAY,
            MStep::Schedule(MeetingInfo {
                kind: if month % 2 == 0 {
                    MeetingKind::Council
                } else {
                    MeetingKind::Dialogue
                },
                title: (*title).into(),
                starts_at: t0,
                ends_at: Some(t0 + 2 * HOUR),
                place: "社区二楼会议室".into(),
                facilitator: facilitator.into(),
                recorder: "社区网格员小周".into(),
            }),
        ));
        let people: [(&str, AttendeeRole, &str); 6] = [
            ("居民代表", AttendeeRole::Resident, "3栋"),
            ("楼栋长", AttendeeRole::Resident, "12栋"),
            ("业委会主任", AttendeeRole::Resident, "业委会"),
            ("物业项目经理", AttendeeRole::Unit, "和美物业"),
            ("街道城建办干部", AttendeeRole::Official, "街道城建办"),
            ("沿街商户代表", AttendeeRole::Business, "东门商铺"),
        ];
        for (n, (who, role, org)) in people.iter().enumerate() {
            out.push((
                t0 - 10 * 60_000 + n as i64 * 60_000,
                MStep::Command(MeetingCommand::AddAttendee {
                    name: format!("{}{who}", pick(&mut r, super::SURNAMES)),
                    role: *role,
                    organisation: (*org).into(),
                    phone: String::new(),
                    // Somebody always sends apologies.
                    signed_in: n != 5,
                }),
            ));
        }
        for (n, a) in agenda.iter().enumerate() {
            let t = t0 + (n as i64 + 1) * 20 * 60_000;
            out.push((
                t,
                MStep::Command(MeetingCommand::AddAgenda { title: (*a).into() }),
            ));
            out.push((t + 15 * 60_000, MStep::Minutes(n, minutes[n].into())));
        }
        let t = t0 + 90 * 60_000;
        out.push((t, MStep::Item(0, ItemKind::Decision, decision, None, 0)));
        for (n, (text, unit, _)) in actions.iter().enumerate() {
            let days = r.random_range(7..20);
            out.push((
                t + (n as i64 + 1) * 60_000,
                MStep::Item(n, ItemKind::Action, text, Some(unit), days),
            ));
        }
        let next = t0 + DAY;
        for (n, (_, _, category)) in actions.iter().enumerate() {
            out.push((next + n as i64 * 60_000, MStep::ItemCase(n + 1, category)));
            out.push((next + 3 * HOUR, MStep::CaseStep(n, accept())));
            if r.random_bool(0.6) {
                out.push((
                    next + r.random_range(3 * DAY..15 * DAY),
                    MStep::CaseStep(n, resolve()),
                ));
            }
        }
        out.push((
            next + HOUR,
            MStep::Command(MeetingCommand::Approve {
                note: String::new(),
            }),
        ));
    }
    out.retain(|(t, _)| *t <= spec.now_ms);
    out
}

fn dispatch(unit: &str) -> CaseCommand {
    CaseCommand::Dispatch {
        unit: unit.into(),
        note: "接访日群众诉求，请按承诺时限办理".into(),
    }
}

fn accept() -> CaseCommand {
    CaseCommand::Accept {
        note: String::new(),
    }
}

fn resolve() -> CaseCommand {
    CaseCommand::Resolve {
        outcome: Outcome::Solved,
        result: "已现场处理完毕，居民认可".into(),
    }
}

/// Perform one scripted step on meeting `id` (`None` before it is scheduled).
pub(super) fn perform(store: &mut Store, id: &mut Option<uuid::Uuid>, step: MStep) -> Result<()> {
    let Some(m) = *id else {
        if let MStep::Schedule(info) = step {
            *id = Some(store.schedule_meeting(info)?.id);
        }
        return Ok(());
    };
    let meeting = store.meeting(m)?;
    match step {
        MStep::Schedule(_) => {}
        MStep::Command(c) => {
            store.meeting_act(m, c)?;
        }
        MStep::Minutes(n, text) => {
            if let Some(a) = meeting.agenda.get(n) {
                store.meeting_act(m, MeetingCommand::RecordMinutes { agenda: a.id, text })?;
            }
        }
        MStep::Item(n, kind, text, unit, days) => {
            store.meeting_act(
                m,
                MeetingCommand::AddItem {
                    agenda: meeting.agenda.get(n).map(|a| a.id),
                    kind,
                    text: text.into(),
                    owner_unit: unit.map(Into::into),
                    deadline: unit.map(|_| day_str(store.now_ms() + days * DAY)),
                },
            )?;
        }
        MStep::ItemCase(n, category) => {
            if let Some(item) = meeting.items.get(n) {
                store.open_item_case(
                    m,
                    ItemCaseForm {
                        item: item.id,
                        category: category.into(),
                        urgency: Urgency::Normal,
                        description: String::new(),
                        location: String::new(),
                    },
                )?;
            }
        }
        MStep::Visitor(form) => {
            store.capture_visitor(m, form)?;
        }
        MStep::CaseStep(n, cmd) => {
            if let Some(c) = meeting.cases.get(n) {
                store.act(c.case, cmd)?;
            }
        }
    }
    Ok(())
}
