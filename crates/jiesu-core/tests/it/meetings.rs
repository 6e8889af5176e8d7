//! Meetings: the minutes workflow, decisions that become cases, reception days and
//! commitment letters, and their convergence across replicas.

use jiesu_core::*;
use uuid::Uuid;

use super::common::*;

const DAY: i64 = 86_400_000;

fn council(store: &mut Store) -> Meeting {
    store
        .schedule_meeting(MeetingInfo {
            kind: MeetingKind::Council,
            title: "关于小区停车难的居民议事会".into(),
            starts_at: test_now() + 2 * 3_600_000,
            ends_at: None,
            place: "社区二楼会议室".into(),
            facilitator: "王主任".into(),
            recorder: "李书记".into(),
        })
        .unwrap()
}

fn act(store: &mut Store, id: Uuid, c: MeetingCommand) -> Meeting {
    store.meeting_act(id, c).unwrap()
}

fn events(store: &Store) -> u32 {
    store.stats().unwrap().events
}

/// What a refused command must leave behind: the same log and the same meeting.
fn refused(store: &mut Store, id: Uuid, c: MeetingCommand) -> Error {
    let before = (events(store), store.meeting(id).unwrap());
    let e = store.meeting_act(id, c).unwrap_err();
    assert_eq!((events(store), store.meeting(id).unwrap()), before, "{e}");
    e
}

fn parking_action(agenda: Uuid, owner: Option<&str>, deadline: i64) -> MeetingCommand {
    MeetingCommand::AddItem {
        agenda: Some(agenda),
        kind: ItemKind::Action,
        text: "划定东侧空地临时停车位".into(),
        owner_unit: owner.map(Into::into),
        deadline: Some(date(deadline)),
    }
}

fn date(ms: i64) -> String {
    calendar::local_date(ms).format("%Y-%m-%d").to_string()
}

#[test]
fn a_council_records_minutes_turns_an_action_into_a_dispatched_case_and_locks_on_approval() {
    let (mut s, clock) = store_at(test_now());
    let m = council(&mut s);
    assert_eq!(m.minutes, MinutesState::Draft);
    for (name, role, org) in [
        ("张大爷", AttendeeRole::Resident, "27栋"),
        ("物业刘经理", AttendeeRole::Unit, "和美物业"),
        ("王主任", AttendeeRole::Official, "社区居委会"),
    ] {
        act(
            &mut s,
            m.id,
            MeetingCommand::AddAttendee {
                name: name.into(),
                role,
                organisation: org.into(),
                phone: String::new(),
                signed_in: false,
            },
        );
    }
    let m = s.meeting(m.id).unwrap();
    for a in &m.attendees[..2] {
        act(&mut s, m.id, MeetingCommand::SignIn { attendee: a.id });
    }
    let m = act(
        &mut s,
        m.id,
        MeetingCommand::AddAgenda {
            title: "增设夜间停车位".into(),
        },
    );
    assert_eq!(m.signed_in(), 2);
    let agenda = m.agenda[0].id;
    act(
        &mut s,
        m.id,
        MeetingCommand::RecordMinutes {
            agenda,
            text: "居民反映夜间停车难，物业同意开放东侧空地。".into(),
        },
    );
    // An action item needs an owner and a deadline; nothing is written without them.
    let e = refused(
        &mut s,
        m.id,
        parking_action(agenda, None, test_now() + 7 * DAY),
    );
    assert!(matches!(
        e,
        Error::Invalid {
            field: "owner_unit",
            reason: Reason::Required
        }
    ));
    let e = refused(
        &mut s,
        m.id,
        parking_action(agenda, Some("property"), test_now() - DAY),
    );
    assert!(matches!(
        e,
        Error::Invalid {
            field: "deadline",
            reason: Reason::DateInPast
        }
    ));
    let m = act(
        &mut s,
        m.id,
        parking_action(agenda, Some("property"), test_now() + 7 * DAY),
    );
    let m = act(
        &mut s,
        m.id,
        MeetingCommand::AddItem {
            agenda: Some(agenda),
            kind: ItemKind::Decision,
            text: "同意开放东侧空地夜间停车".into(),
            owner_unit: None,
            deadline: None,
        },
    );
    let action = m.items[0].clone();

    // The action item becomes a case in one step: channel meeting, the item's deadline,
    // already dispatched to the owner unit, and both sides point at each other.
    let case = s
        .open_item_case(
            m.id,
            ItemCaseForm {
                item: action.id,
                category: "parking.spaces".into(),
                urgency: Urgency::Normal,
                description: String::new(),
                location: "东侧空地".into(),
            },
        )
        .unwrap();
    assert_eq!(case.channel, Channel::Meeting);
    assert_eq!(case.meeting, Some(m.id));
    assert_eq!(case.description, action.text);
    assert_eq!(case.resolve_due, action.deadline.unwrap());
    assert_eq!(case.state, CaseState::Dispatched);
    assert_eq!(case.handling_unit.as_deref(), Some("property"));
    let detail = s.meeting_detail(m.id).unwrap();
    assert_eq!(detail.meeting.items[0].case, Some(case.id));
    assert_eq!(detail.cases.len(), 1);
    assert_eq!(detail.cases[0].state, Some(CaseState::Dispatched));
    assert_eq!(detail.cases[0].item_kind, Some(ItemKind::Action));
    assert_eq!(detail.summary.open, 1);
    let cd = s.case_detail(case.id).unwrap();
    assert_eq!(cd.meetings.len(), 1);
    assert_eq!(cd.meetings[0].id, m.id);
    // The same item cannot become a second case.
    let again = s.open_item_case(
        m.id,
        ItemCaseForm {
            item: action.id,
            category: "parking.spaces".into(),
            urgency: Urgency::Normal,
            description: String::new(),
            location: String::new(),
        },
    );
    assert!(matches!(
        again,
        Err(Error::Invalid {
            field: "item",
            reason: Reason::AlreadyLinked
        })
    ));

    // Only the facilitator approves.
    match refused(
        &mut s,
        m.id,
        MeetingCommand::Approve {
            note: String::new(),
        },
    ) {
        Error::NotFacilitator { facilitator } => assert_eq!(facilitator, "王主任"),
        e => panic!("expected not_facilitator, got {e}"),
    }
    s.act_as("王主任").unwrap();
    clock.advance(3_600_000);
    let m = act(
        &mut s,
        m.id,
        MeetingCommand::Approve {
            note: "同意".into(),
        },
    );
    assert_eq!(m.minutes, MinutesState::Approved);
    assert_eq!(m.approved_by.as_deref(), Some("王主任"));

    // Locked: every edit is refused with minutes_locked and writes nothing.
    for edit in [
        MeetingCommand::RecordMinutes {
            agenda,
            text: "改写".into(),
        },
        MeetingCommand::AddAgenda {
            title: "新议题".into(),
        },
        MeetingCommand::SignIn {
            attendee: m.attendees[2].id,
        },
        MeetingCommand::Approve {
            note: String::new(),
        },
    ] {
        let e = refused(&mut s, m.id, edit);
        assert_eq!(e.code(), Code::MinutesLocked, "{e}");
    }
    // A change after approval is an amendment, shown beside the untouched minutes.
    let m = act(
        &mut s,
        m.id,
        MeetingCommand::Amend {
            agenda: Some(agenda),
            text: "补充：开放时间为 19:00 至次日 7:00。".into(),
            reason: "会上口头约定，漏记".into(),
        },
    );
    assert_eq!(m.amendments.len(), 1);
    assert_eq!(m.amendments[0].author, "王主任");
    assert_eq!(
        m.agenda[0].minutes,
        "居民反映夜间停车难，物业同意开放东侧空地。"
    );
    // Following up is not editing: the decision still becomes a case after approval.
    let decision = m.items[1].id;
    let c2 = s
        .open_item_case(
            m.id,
            ItemCaseForm {
                item: decision,
                category: "parking.spaces".into(),
                urgency: Urgency::Normal,
                description: String::new(),
                location: String::new(),
            },
        )
        .unwrap();
    assert_eq!(
        c2.state,
        CaseState::Received,
        "a decision has no owner unit"
    );
    let old = s.receive(parking_case("消防通道被占")).unwrap();
    act(
        &mut s,
        m.id,
        MeetingCommand::LinkCase {
            case: old.number.clone(),
        },
    );
    let detail = s.meeting_detail(m.id).unwrap();
    assert_eq!(detail.cases.len(), 3);
    assert_eq!(
        detail.summary.problems, 2,
        "a linked case is not a new problem"
    );
    assert_eq!(
        detail
            .timeline
            .iter()
            .filter(|t| t.event.body.kind() == "minutes_amended")
            .count(),
        1
    );

    // Everything is a projection of the log.
    let (cases, meetings) = (s.all_cases().unwrap(), s.all_meetings().unwrap());
    s.rebuild_projections().unwrap();
    assert_eq!(s.all_cases().unwrap(), cases);
    assert_eq!(s.all_meetings().unwrap(), meetings);
    assert_eq!(s.meeting_detail(m.id).unwrap().cases.len(), 3);
}

fn reception_day(s: &mut Store) -> Meeting {
    s.schedule_meeting(MeetingInfo {
        kind: MeetingKind::ReceptionDay,
        title: "十一月大接访".into(),
        starts_at: test_now(),
        ends_at: Some(test_now() + 3 * 3_600_000),
        place: "社区服务大厅".into(),
        facilitator: "李书记".into(),
        recorder: "李书记".into(),
    })
    .unwrap()
}

fn visitor(name: &str, desc: &str, outcome: VisitorOutcome) -> VisitorForm {
    VisitorForm {
        name: name.into(),
        phone: "13900000001".into(),
        address: Address {
            building: "5栋".into(),
            ..Default::default()
        },
        category: "housing.leak.roof".into(),
        description: desc.into(),
        outcome,
    }
}

#[test]
fn a_reception_day_solves_on_the_spot_or_issues_a_tracked_letter() {
    let (mut s, clock) = store_at(test_now());
    let m = reception_day(&mut s);
    let on_spot = s
        .capture_visitor(
            m.id,
            visitor(
                "赵阿姨",
                "咨询养老补贴申领",
                VisitorOutcome::OnSpot {
                    result: "当场讲解申领流程并发放材料清单".into(),
                },
            ),
        )
        .unwrap();
    assert_eq!(on_spot.channel, Channel::ReceptionDay);
    assert_eq!(on_spot.state, CaseState::Resolved);
    assert!(on_spot.on_spot);
    assert_eq!(on_spot.resolved_at, Some(on_spot.received_at));
    assert_eq!(on_spot.outcome, Some(Outcome::Solved));

    let due = date(test_now() + 5 * DAY);
    let letter_case = s
        .capture_visitor(
            m.id,
            visitor(
                "钱师傅",
                "5栋顶楼漏水",
                VisitorOutcome::Letter(LetterForm {
                    promise: "协调物业维修屋面防水".into(),
                    due_date: due.clone(),
                    responsible: "李书记（社区书记）".into(),
                    problem: String::new(),
                }),
            ),
        )
        .unwrap();
    let letter = letter_case.letter.clone().unwrap();
    assert_eq!(letter.commitment.problem, "5栋顶楼漏水");
    assert_eq!(letter.commitment.due_date, due);
    assert_eq!(letter.commitment.office_name, "和美社区");
    assert_eq!(
        calendar::local_date(letter.commitment.due)
            .format("%Y-%m-%d")
            .to_string(),
        due,
        "the promise runs to the end of the promised day"
    );
    assert_eq!(
        calendar::local_date(letter.commitment.due + 1),
        calendar::local_date(test_now() + 6 * DAY)
    );
    assert_eq!(
        letter_case.letter_status(s.now_ms()),
        Some(LetterStatus::Due)
    );

    let d = s.meeting_detail(m.id).unwrap();
    assert_eq!(
        d.summary,
        MeetingSummary {
            attendees: 2,
            signed_in: 2,
            visitors: 2,
            problems: 2,
            solved_on_spot: 1,
            letters: 1,
            letters_fulfilled: 0,
            letters_broken: 0,
            open: 1,
            overdue: 0,
        }
    );

    // The letter's day passes with the case open: broken, on the case, the meeting and
    // the overdue list, even though the case's own deadline may not have passed.
    clock.set(letter.commitment.due + 1);
    let cd = s.case_detail(letter_case.id).unwrap();
    assert_eq!(cd.letter_status, Some(LetterStatus::Broken));
    let d = s.meeting_detail(m.id).unwrap();
    assert_eq!(d.summary.letters_broken, 1);
    assert_eq!(d.summary.overdue, 1);
    let overdue = s
        .list_cases(&CaseQuery {
            due: Some(DueFilter::Overdue),
            ..Default::default()
        })
        .unwrap();
    let row = overdue
        .rows
        .iter()
        .find(|r| r.id == letter_case.id)
        .unwrap();
    assert_eq!(row.letter, Some(LetterStatus::Broken));
    let letters = s
        .list_cases(&CaseQuery {
            with_letter: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(letters.total, 1);

    // A council is not a reception day.
    let c = council(&mut s);
    let before = events(&s);
    let e = s
        .capture_visitor(c.id, visitor("孙", "噪音", VisitorOutcome::Registered))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Invalid {
            reason: Reason::WrongMeetingKind,
            ..
        }
    ));
    assert_eq!(events(&s), before);
}

#[test]
fn a_walk_in_letter_is_fulfilled_when_resolved_on_time_and_refused_when_malformed() {
    let (mut s, clock) = store_at(test_now());
    let case = s.receive(parking_case("僵尸车占位")).unwrap();
    let form = |due: String| {
        CaseCommand::IssueLetter(LetterForm {
            promise: "联系交警拖移".into(),
            due_date: due,
            responsible: "网格员小周".into(),
            problem: String::new(),
        })
    };
    let before = events(&s);
    for (due, reason) in [
        ("2026-13-01".to_string(), Reason::BadDate),
        (date(test_now() - DAY), Reason::DateInPast),
    ] {
        match s.act(case.id, form(due)) {
            Err(Error::Invalid {
                field: "due_date",
                reason: r,
            }) => assert_eq!(r, reason),
            other => panic!("expected due_date {reason:?}, got {other:?}"),
        }
    }
    assert_eq!(events(&s), before, "refused letters write nothing");
    // Today counts: a promise for this evening is fine.
    let c = s.act(case.id, form(date(test_now()))).unwrap();
    assert!(c.letter.is_some());
    assert!(
        s.case_detail(case.id)
            .unwrap()
            .allowed
            .iter()
            .all(|a| *a != Action::IssueLetter),
        "one letter a case"
    );
    assert!(matches!(
        s.act(case.id, form(date(test_now()))),
        Err(Error::NotAllowed { ref state, .. }) if state == "letter_issued"
    ));
    s.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "grid".into(),
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        case.id,
        CaseCommand::Accept {
            note: String::new(),
        },
    )
    .unwrap();
    // Resolved before the promised day ends (at 23:59 that is within the minute).
    let end_of_today = calendar::start_of_day(calendar::local_date(s.now_ms()).succ_opt().unwrap());
    clock.set(s.now_ms() + (end_of_today - s.now_ms()) / 2);
    let c = s
        .act(
            case.id,
            CaseCommand::Resolve {
                outcome: Outcome::Solved,
                result: "已拖移".into(),
            },
        )
        .unwrap();
    clock.advance(30 * DAY);
    assert_eq!(c.letter_status(s.now_ms()), Some(LetterStatus::Fulfilled));
}

#[test]
fn on_the_spot_is_offered_only_before_dispatch() {
    let (mut s, _) = store_at(test_now());
    let case = s.receive(parking_case("咨询停车证办理")).unwrap();
    assert!(
        s.case_detail(case.id)
            .unwrap()
            .allowed
            .contains(&Action::ResolveOnSpot)
    );
    let c = s
        .act(
            case.id,
            CaseCommand::ResolveOnSpot {
                result: "当场告知办理地点".into(),
            },
        )
        .unwrap();
    assert_eq!(c.state, CaseState::Resolved);
    assert!(c.on_spot);
    assert!(c.responded_at.is_some());
    assert!(matches!(
        s.act(
            case.id,
            CaseCommand::ResolveOnSpot {
                result: "再次".into()
            }
        ),
        Err(Error::NotAllowed { .. })
    ));
}

#[test]
fn replicas_receiving_a_meetings_events_in_any_order_agree() {
    let (mut a, clock) = store_at(test_now());
    let m = council(&mut a);
    act(
        &mut a,
        m.id,
        MeetingCommand::AddAgenda {
            title: "议题一".into(),
        },
    );
    let m = act(
        &mut a,
        m.id,
        MeetingCommand::AddItem {
            agenda: None,
            kind: ItemKind::Action,
            text: "清理僵尸车".into(),
            owner_unit: Some("urban_mgmt".into()),
            deadline: Some(date(test_now() + 3 * DAY)),
        },
    );
    a.open_item_case(
        m.id,
        ItemCaseForm {
            item: m.items[0].id,
            category: "parking.zombie".into(),
            urgency: Urgency::Normal,
            description: String::new(),
            location: String::new(),
        },
    )
    .unwrap();
    a.act_as("王主任").unwrap();
    clock.advance(60_000);
    act(
        &mut a,
        m.id,
        MeetingCommand::Approve {
            note: String::new(),
        },
    );
    let all: Vec<Event> = a
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    for seed in 0..8u64 {
        let (mut b, _) = store_at(test_now());
        let mut shuffled = all.clone();
        use rand::seq::SliceRandom;
        shuffled.shuffle(&mut rng(seed));
        for chunk in shuffled.chunks(3) {
            b.apply_remote(chunk).unwrap();
        }
        assert_eq!(b.all_meetings().unwrap(), a.all_meetings().unwrap());
        assert_eq!(b.all_cases().unwrap(), a.all_cases().unwrap());
        assert_eq!(
            b.meeting_detail(m.id).unwrap().cases,
            a.meeting_detail(m.id).unwrap().cases
        );
    }
}

#[test]
fn a_concurrent_edit_of_approved_minutes_is_kept_as_a_conflict_everywhere() {
    // The recorder edits offline while the facilitator approves on another PC: whichever
    // arrives first, both replicas show the approval and keep the edit as a conflict.
    let (mut a, clock) = store_at(test_now());
    let m = council(&mut a);
    let m = act(
        &mut a,
        m.id,
        MeetingCommand::AddAgenda {
            title: "议题".into(),
        },
    );
    let (mut b, _) = store_at(test_now());
    let sync = |from: &Store, to: &mut Store| {
        let evs: Vec<Event> = from
            .events_after(0, 1000)
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        to.apply_remote(&evs).unwrap();
    };
    sync(&a, &mut b);
    a.act_as("王主任").unwrap();
    clock.advance(60_000);
    act(
        &mut a,
        m.id,
        MeetingCommand::Approve {
            note: String::new(),
        },
    );
    b.replace_clock(Box::new(ManualClock::new(test_now() + 120_000)));
    act(
        &mut b,
        m.id,
        MeetingCommand::RecordMinutes {
            agenda: m.agenda[0].id,
            text: "离线补记".into(),
        },
    );
    sync(&a, &mut b);
    sync(&b, &mut a);
    let (ma, mb) = (a.meeting(m.id).unwrap(), b.meeting(m.id).unwrap());
    assert_eq!(ma, mb);
    assert_eq!(ma.minutes, MinutesState::Approved);
    assert_eq!(ma.conflict_count, 1);
    assert_eq!(ma.agenda[0].minutes, "", "the late edit changed nothing");
    assert_eq!(a.conflicts().unwrap(), b.conflicts().unwrap());
}

#[test]
fn the_random_meeting_generator_reaches_every_kind_of_step() {
    // The property tests drive meetings with it: it must actually approve, amend, open
    // cases and capture visitors, not just fail.
    let (mut s, clock) = store_at(test_now());
    let mut r = rng(11);
    let mut refused = 0;
    for _ in 0..400 {
        clock.advance(60_000);
        if sample::random_meeting_op(&mut r, &mut s).is_err() {
            refused += 1;
        }
    }
    let kinds: std::collections::BTreeSet<String> = s
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.body.kind().to_owned())
        .collect();
    for k in [
        "meeting_scheduled",
        "attendee_added",
        "attendee_signed_in",
        "agenda_item_added",
        "minutes_recorded",
        "meeting_item_added",
        "minutes_approved",
        "minutes_amended",
        "meeting_case_opened",
        "case_solved_on_spot",
        "commitment_issued",
        "case_dispatched",
    ] {
        assert!(kinds.contains(k), "the generator never produced {k}");
    }
    assert!(refused > 0 && refused < 300, "{refused} of 400 refused");
}

/// The rule that keeps a letter and a deadline telling one story: a promise made at the
/// reception later than the policy's deadline becomes the case's deadline, so the desk, the
/// case page and the letter fall due together.
#[test]
fn a_reception_day_promise_later_than_the_policy_is_the_cases_deadline() {
    let (mut s, clock) = store_at(test_now());
    let m = reception_day(&mut s);
    // Three weeks: past any 3-working-day deadline.
    let due = date(test_now() + 21 * DAY);
    let c = s
        .capture_visitor(
            m.id,
            visitor(
                "钱师傅",
                "5栋外墙渗水",
                VisitorOutcome::Letter(LetterForm {
                    promise: "协调维修基金更换外墙防水".into(),
                    due_date: due,
                    responsible: "李书记".into(),
                    problem: String::new(),
                }),
            ),
        )
        .unwrap();
    let promised = c.letter.as_ref().unwrap().commitment.due;
    assert_eq!(c.resolve_due, promised);
    assert_eq!(c.due_at(), promised);
    // Two days before the promise: nothing is overdue anywhere, the letter is running.
    clock.set(promised - 2 * DAY);
    let d = s.case_detail(c.id).unwrap();
    assert_eq!(d.resolve_status, jiesu_core::deadline::DueStatus::OnTrack);
    assert_eq!(d.letter_status, Some(LetterStatus::Due));
    assert_eq!(s.desk().unwrap().overdue_total, 0);
    // Past it: overdue on the page and the desk, the letter broken.
    clock.set(promised + 1);
    let d = s.case_detail(c.id).unwrap();
    assert_eq!(d.resolve_status, jiesu_core::deadline::DueStatus::Overdue);
    assert_eq!(d.letter_status, Some(LetterStatus::Broken));
    assert_eq!(s.desk().unwrap().overdue_total, 1);
}

/// On a case already filed, a letter may promise no later than the deadline; while it is
/// open the deadline is not extended past the promise. Each refusal writes nothing.
#[test]
fn a_letter_cannot_promise_past_the_deadline_nor_an_extension_move_it() {
    let (mut s, _clock) = store_at(test_now());
    let c = s.receive(parking_case("楼道堆物")).unwrap();
    let letter = |days: i64| {
        CaseCommand::IssueLetter(LetterForm {
            promise: "清理楼道".into(),
            due_date: date(test_now() + days * DAY),
            responsible: "网格员小周".into(),
            problem: String::new(),
        })
    };
    let events = s.stats().unwrap().events;
    let e = s.act(c.id, letter(20)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Invalid {
                field: "due_date",
                reason: Reason::AfterDeadline
            }
        ),
        "{e}"
    );
    assert_eq!(
        s.stats().unwrap().events,
        events,
        "a refused letter writes nothing"
    );
    s.act(
        c.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    let issued = s.act(c.id, letter(1)).unwrap();
    assert!(issued.due_at() < issued.resolve_due);
    let detail = s.case_detail(c.id).unwrap();
    assert!(!detail.allowed.contains(&Action::RequestExtension));
    let events = s.stats().unwrap().events;
    let e = s
        .act(
            c.id,
            CaseCommand::RequestExtension {
                new_due: test_now() + 10 * DAY,
                reason: "需要协调".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), Code::ActionNotAllowed, "{e}");
    assert_eq!(s.stats().unwrap().events, events);
}

#[test]
fn one_visitor_with_two_problems_is_one_visitor_signed_in_once() {
    let (mut s, _) = store_at(test_now());
    let m = reception_day(&mut s);
    s.capture_visitor(
        m.id,
        visitor("周大爷", "屋顶漏水", VisitorOutcome::Registered),
    )
    .unwrap();
    s.capture_visitor(
        m.id,
        visitor("周大爷", "楼道灯坏了", VisitorOutcome::Registered),
    )
    .unwrap();
    // Another person of the household (same phone, another name) is another visitor.
    s.capture_visitor(
        m.id,
        visitor("周阿姨", "垃圾没人清", VisitorOutcome::Registered),
    )
    .unwrap();
    let d = s.meeting_detail(m.id).unwrap();
    assert_eq!(d.summary.visitors, 2);
    assert_eq!(d.summary.problems, 3);
    let signed: Vec<&str> = d
        .meeting
        .attendees
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(signed, vec!["周大爷", "周阿姨"], "signed in once each");
    // Both of his problems name him as their visitor.
    let his = d.meeting.attendees[0].id;
    let visits = d
        .cases
        .iter()
        .filter(|c| c.link.visitor == Some(his))
        .count();
    assert_eq!(visits, 2);
}
