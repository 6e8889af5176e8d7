//! The store through its commands: the whole lifecycle, refusals, immutability, rebuild.

use jiesu_core::*;
use proptest::prelude::*;

use super::common::*;

#[test]
fn a_parking_complaint_goes_from_intake_to_archive_and_every_step_is_in_the_timeline() {
    // On a Monday morning, so the deadline is the worked example below.
    let (mut s, clock) = store_at(MONDAY_9AM);
    let case = s
        .receive(parking_case("27栋楼下消防通道被私家车占用"))
        .unwrap();
    assert_eq!(case.state, CaseState::Received);
    // Monday 23 Nov 2026 → three working days → end of Thursday 26 Nov.
    assert_eq!(calendar::format_ms(case.resolve_due), "2026-11-27 00:00");
    assert_eq!(case.response_due, MONDAY_9AM + 24 * 3_600_000);
    let steps = [
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: "请物业处理".into(),
        },
        CaseCommand::Accept {
            note: String::new(),
        },
        CaseCommand::Note {
            text: "已联系车主挪车".into(),
            contacted_resident: true,
            public: false,
        },
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "车辆已挪走，加装禁停标识".into(),
        },
        CaseCommand::Visit {
            reachable: true,
            contacted: true,
            solved: true,
            satisfaction: Some(Satisfaction::Satisfied),
            note: String::new(),
        },
        CaseCommand::Archive {
            note: String::new(),
        },
    ];
    let states = [
        CaseState::Dispatched,
        CaseState::Handling,
        CaseState::Handling,
        CaseState::Resolved,
        CaseState::Visited,
        CaseState::Archived,
    ];
    for (cmd, want) in steps.into_iter().zip(states) {
        clock.advance(3_600_000);
        assert_eq!(s.act(case.id, cmd).unwrap().state, want);
    }
    let d = s.case_detail(case.id).unwrap();
    let kinds: Vec<_> = d.timeline.iter().map(|t| t.event.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "case_received",
            "case_lookup_code_set",
            "case_dispatched",
            "case_accepted",
            "case_noted",
            "case_resolved",
            "case_visited",
            "case_archived"
        ]
    );
    assert!(
        d.timeline
            .iter()
            .all(|t| t.event.author == "李书记" && t.event.office == "office-a")
    );
    assert!(
        d.allowed.iter().all(|a| *a == Action::Link),
        "an archived case only links: {:?}",
        d.allowed
    );
    assert_eq!(d.case.responded_at, Some(MONDAY_9AM + 2 * 3_600_000));
}

#[test]
fn a_refused_action_names_state_and_action_and_writes_nothing() {
    let (mut s, _) = store_at(test_now());
    let case = s.receive(parking_case("停车难")).unwrap();
    let before = s.stats().unwrap().events;
    let err = s
        .act(
            case.id,
            CaseCommand::Resolve {
                outcome: Outcome::Solved,
                result: "x".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), Code::ActionNotAllowed);
    let wire = err.to_wire();
    assert_eq!(wire.params["state"], "received");
    assert_eq!(wire.params["action"], "resolve");
    assert_eq!(s.stats().unwrap().events, before);
    assert_eq!(s.case(case.id).unwrap(), case);
}

#[test]
fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let (mut s, _) = store_at(test_now());
    let mut hotline = parking_case("停车");
    hotline.channel = Channel::Hotline12345;
    let mut blank = parking_case("   ");
    blank.category = "parking".into();
    let mut bad_cat = parking_case("x");
    bad_cat.category = "parking.nope".into();
    let mut bad_phone = parking_case("x");
    bad_phone.resident.phone = "138-abc".into();
    for (input, field, reason) in [
        (hotline, "work_order_no", "required"),
        (blank, "description", "required"),
        (bad_cat, "category", "unknown"),
        (bad_phone, "resident.phone", "digits_only"),
    ] {
        let err = s.receive(input).unwrap_err();
        assert_eq!(err.code(), Code::InvalidInput);
        assert_eq!(err.to_wire().params["field"], field);
        assert_eq!(
            err.to_wire().params["reason"],
            reason,
            "the UI translates the reason by code"
        );
    }
    let case = s.receive(parking_case("停车")).unwrap();
    let err = s
        .act(
            case.id,
            CaseCommand::Dispatch {
                unit: "nobody".into(),
                note: String::new(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = s
        .act(case.id, CaseCommand::Withdraw { reason: " ".into() })
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidInput);
    assert_eq!(
        s.stats().unwrap().events,
        2,
        "the intake and its lookup code"
    );
}

#[test]
fn extension_only_before_the_deadline_and_approval_moves_it() {
    let (mut s, clock) = store_at(test_now());
    let case = s.receive(parking_case("停车")).unwrap();
    s.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    let new_due = case.resolve_due + 2 * 86_400_000;
    clock.set(case.resolve_due + 1);
    let err = s
        .act(
            case.id,
            CaseCommand::RequestExtension {
                new_due,
                reason: "等配件".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), Code::DeadlinePassed);
    clock.set(case.resolve_due - 3_600_000);
    s.act(
        case.id,
        CaseCommand::RequestExtension {
            new_due,
            reason: "等配件".into(),
        },
    )
    .unwrap();
    let c = s
        .act(
            case.id,
            CaseCommand::DecideExtension {
                approved: true,
                note: "已告知居民".into(),
            },
        )
        .unwrap();
    assert_eq!(c.resolve_due, new_due);
    assert_eq!(c.extension_count, 1);
}

#[test]
fn the_database_refuses_to_edit_or_delete_events() {
    let (mut s, _) = store_at(test_now());
    s.receive(parking_case("停车")).unwrap();
    let conn = s.connection();
    let upd = conn
        .execute("UPDATE events SET payload = '{}'", [])
        .unwrap_err();
    assert!(upd.to_string().contains("immutable"), "{upd}");
    let del = conn.execute("DELETE FROM events", []).unwrap_err();
    assert!(del.to_string().contains("never deleted"), "{del}");
}

#[test]
fn a_known_phone_fills_in_the_resident() {
    let (mut s, _) = store_at(test_now());
    assert_eq!(s.find_resident("13800138000").unwrap(), None);
    s.receive(parking_case("停车")).unwrap();
    let hint = s.find_resident("138 0013 8000").unwrap().unwrap();
    assert_eq!(hint.resident.name, "王秀英");
    assert_eq!(hint.address.building, "27栋");
    assert_eq!(hint.case_count, 1);
}

#[test]
fn attachments_live_beside_the_database_by_hash_and_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    let a = s
        .save_attachment("现场.jpg", b"\xff\xd8\xff photo bytes")
        .unwrap();
    let path = s.attachment_path(&a.sha256).unwrap();
    assert!(path.starts_with(dir.path()));
    assert_eq!(std::fs::read(&path).unwrap(), b"\xff\xd8\xff photo bytes");
    assert_eq!(
        s.read_attachment(&a.sha256).unwrap(),
        b"\xff\xd8\xff photo bytes"
    );
    assert_eq!(
        s.read_attachment(&"1".repeat(64)).unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        s.read_attachment("../../etc/passwd").unwrap_err().code(),
        Code::InvalidInput
    );
    let mut c = parking_case("停车");
    c.attachment = Some(a.clone());
    let case = s.receive(c).unwrap();
    assert_eq!(case.attachment, Some(a));
    let mut missing = parking_case("停车");
    missing.attachment = Some(Attachment {
        sha256: "0".repeat(64),
        name: "x".into(),
        size: 1,
    });
    assert_eq!(s.receive(missing).unwrap_err().code(), Code::NotFound);
    // The payload carries the reference, not the bytes.
    let payload: String = s
        .connection()
        .query_row("SELECT payload FROM events", [], |r| r.get(0))
        .unwrap();
    assert!(!payload.contains("photo bytes") && payload.len() < 2000);
}

#[test]
fn the_calendar_is_editable_and_the_edit_is_an_event() {
    // The week of Monday 23 November 2026, with its Wednesday made a day off.
    let (mut s, _) = store_at(MONDAY_9AM);
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert!(s.calendar().is_working_day(d));
    s.set_calendar_day("2026-11-25", false).unwrap();
    assert!(!s.calendar().is_working_day(d));
    let case = s.receive(parking_case("停车")).unwrap();
    // Tue 24, (Wed 25 off), Thu 26, Fri 27.
    assert_eq!(calendar::format_ms(case.resolve_due), "2026-11-28 00:00");
    s.rebuild_projections().unwrap();
    assert!(
        !s.calendar().is_working_day(d),
        "calendar edits survive a rebuild"
    );
    assert!(s.set_calendar_day("2026-13-01", true).is_err());
}

#[test]
fn units_added_by_the_office_are_offered_and_dispatchable() {
    let (mut s, _) = store_at(test_now());
    let u = s.add_unit("和美物业二期").unwrap();
    assert!(s.units().unwrap().iter().any(|x| x.code == u.code));
    assert!(s.add_unit("和美物业二期").is_err());
    let case = s.receive(parking_case("停车")).unwrap();
    assert_eq!(
        s.act(
            case.id,
            CaseCommand::Dispatch {
                unit: u.code.clone(),
                note: String::new()
            }
        )
        .unwrap()
        .handling_unit,
        Some(u.code)
    );
}

#[test]
fn list_filters_sort_and_page() {
    let (mut s, clock) = store_at(test_now());
    for i in 0..30 {
        let mut c = parking_case(&format!("停车难 {i}"));
        if i % 3 == 0 {
            c.category = "school.places.primary".into();
        }
        let case = s.receive(c).unwrap();
        if i % 2 == 0 {
            s.act(
                case.id,
                CaseCommand::Dispatch {
                    unit: "property".into(),
                    note: String::new(),
                },
            )
            .unwrap();
        }
        clock.advance(60_000);
    }
    let page = s
        .list_cases(&CaseQuery {
            category: Some("school".into()),
            page_size: 4,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.total, 10);
    assert_eq!(page.rows.len(), 4);
    assert!(
        page.rows
            .windows(2)
            .all(|w| w[0].received_at >= w[1].received_at)
    );
    let dispatched = s
        .list_cases(&CaseQuery {
            states: vec![CaseState::Dispatched],
            unit: Some("property".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(dispatched.total, 15);
    clock.advance(10 * 86_400_000);
    let overdue = s
        .list_cases(&CaseQuery {
            due: Some(DueFilter::Overdue),
            sort: CaseSort::DueAsc,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(overdue.total, 30);
    assert!(
        overdue
            .rows
            .iter()
            .all(|r| r.due_status == deadline::DueStatus::Overdue)
    );
    let last = s
        .list_cases(&CaseQuery {
            page: 2,
            page_size: 12,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(last.rows.len(), 6);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Projections are a function of the events: a rebuild from the log alone equals the
    /// projection maintained live, command by command.
    #[test]
    fn rebuild_equals_live_projection(seed in any::<u64>(), n in 1usize..120) {
        let (mut s, clock) = store_at(test_now());
        random_workload(&mut rng(seed), &mut s, &clock, n);
        let live = s.all_cases().unwrap();
        let page = s.list_cases(&CaseQuery { text: "停车".into(), ..Default::default() }).unwrap();
        s.rebuild_projections().unwrap();
        prop_assert_eq!(&live, &s.all_cases().unwrap());
        prop_assert_eq!(page, s.list_cases(&CaseQuery { text: "停车".into(), ..Default::default() }).unwrap());
        prop_assert!(s.conflicts().unwrap().is_empty(), "local commands never conflict");
    }
}

#[test]
fn the_write_count_moves_with_each_step_and_not_with_reads() {
    // The window's one change notification (issue 21) is "the count moved during a command".
    let (mut s, _) = store_at(test_now());
    let before = s.local_writes();
    let c = s.receive(parking_case("楼道漏水")).unwrap();
    assert_eq!(
        s.local_writes(),
        before + 2,
        "the intake and its lookup code"
    );
    s.list_cases(&CaseQuery::default()).unwrap();
    s.case_detail(c.id).unwrap();
    s.stats().unwrap();
    assert_eq!(s.local_writes(), before + 2, "reads write nothing");
    s.act(c.id, CaseCommand::Urge { note: "催".into() })
        .unwrap();
    assert_eq!(s.local_writes(), before + 3);
}

#[test]
fn a_redo_shows_its_deadline_first_and_takes_a_later_one_with_its_reason() {
    let (mut s, clock) = store_at(test_now());
    let c = s.receive(parking_case("车位又被占了")).unwrap();
    s.act(
        c.id,
        CaseCommand::ResolveOnSpot {
            result: "已协调挪车".into(),
        },
    )
    .unwrap();
    let unhappy = CaseCommand::Visit {
        reachable: true,
        contacted: true,
        solved: false,
        satisfaction: Some(Satisfaction::Dissatisfied),
        note: String::new(),
    };
    s.act(c.id, unhappy.clone()).unwrap();
    clock.advance(3_600_000);
    // Shown before confirming, and what a plain redo sets.
    let shown = s
        .case_detail(c.id)
        .unwrap()
        .redo_due
        .expect("a redo is allowed");
    assert!(shown > clock.now_ms());
    let redone = s
        .act(
            c.id,
            CaseCommand::Redo {
                reason: "居民不满意".into(),
                due: None,
            },
        )
        .unwrap();
    assert_eq!(redone.resolve_due, shown);
    assert_eq!(
        s.case_detail(c.id).unwrap().redo_due,
        None,
        "not allowed now"
    );

    // Resolved and visited again: a later deadline with its reason is taken, an earlier one
    // refused and nothing written.
    s.act(
        c.id,
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "划了禁停线".into(),
        },
    )
    .unwrap();
    s.act(c.id, unhappy).unwrap();
    let policy = s.case_detail(c.id).unwrap().redo_due.unwrap();
    let before = s.stats().unwrap().events;
    let e = s
        .act(
            c.id,
            CaseCommand::Redo {
                reason: "要等物业开会".into(),
                due: Some(policy - 1),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidInput);
    assert_eq!(s.stats().unwrap().events, before);
    let later = policy + 7 * 86_400_000;
    let redone = s
        .act(
            c.id,
            CaseCommand::Redo {
                reason: "要等物业开会".into(),
                due: Some(later),
            },
        )
        .unwrap();
    assert_eq!(redone.resolve_due, later);
}
