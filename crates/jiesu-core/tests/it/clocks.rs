//! Clocks from other PCs: a case stamped far in the future, an impossible clock or a
//! counter at its end crashes nothing and moves nothing here; work written while this PC's
//! clock was years ahead is stamped again, and work filed offline while it was years behind
//! counts from the server's receipt. One test per situation, named after it.

use jiesu_core::figures::FigureSettings;
use jiesu_core::*;
use uuid::Uuid;

use super::common::*;

#[test]
fn a_case_stamped_far_in_the_future_does_not_move_the_streets_clock_numbers_or_deadlines() {
    let (mut street, _) = office_store("s1");
    let year_2099 = 4_070_880_000_000; // 2099-01-01
    let stream = Uuid::now_v7().to_string();
    let poison = forged(
        &stream,
        year_2099,
        "a",
        "dev-a",
        intake("990101-XX001", year_2099),
    );
    street.apply_remote(&[poison]).unwrap();
    // A valid (if absurd) clock: the case is there, dated as it says; nothing else moved.
    assert_eq!(street.all_cases().unwrap().len(), 1);
    assert_files_sanely(&mut street);
    // And after a restart, when the clock is read back from the log.
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(test_now());
    {
        let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
        s.set_identity("s1", "s1办", "值班员").unwrap();
        let again = forged(
            &Uuid::now_v7().to_string(),
            year_2099,
            "a",
            "dev-a",
            intake("990101-XX002", year_2099),
        );
        s.apply_remote(&[again]).unwrap();
    }
    let mut s = Store::open(dir.path(), Box::new(clock)).unwrap();
    assert_files_sanely(&mut s);
}

#[test]
fn an_impossible_clock_is_kept_and_quarantined_and_crashes_nothing() {
    let (mut street, _) = office_store("s1");
    let mut events = Vec::new();
    for wall in [9_000_000_000_000_000, i64::MAX, -1, 0, i64::MIN] {
        events.push(forged(
            &Uuid::now_v7().to_string(),
            wall,
            "a",
            "dev-a",
            intake("260101-XX001", test_now()),
        ));
    }
    assert_eq!(street.apply_remote(&events).unwrap(), events.len(), "kept");
    assert!(street.all_cases().unwrap().is_empty(), "none folded");
    let reasons = conflict_reasons(&street);
    assert_eq!(reasons.len(), events.len(), "{reasons:?}");
    assert!(reasons.iter().all(|r| r.contains("hlc")), "{reasons:?}");
    assert_files_sanely(&mut street);
    // The rebuild from the log agrees, and so does a store opened on it afresh.
    let live = (street.all_cases().unwrap(), street.conflicts().unwrap());
    street.rebuild_projections().unwrap();
    assert_eq!(
        live,
        (street.all_cases().unwrap(), street.conflicts().unwrap())
    );
}

#[test]
fn a_counter_at_its_end_does_not_overflow_when_the_street_acts_on_the_case() {
    let (mut street, _) = office_store("s1");
    let stream = Uuid::now_v7();
    let mut ev = forged(
        &stream.to_string(),
        test_now() - 1000,
        "a",
        "dev-a",
        intake("261123-XX001", test_now()),
    );
    ev.hlc.counter = u32::MAX;
    street.apply_remote(&[ev.clone()]).unwrap();
    let c = street
        .act(
            stream,
            CaseCommand::Urge {
                note: "请尽快".into(),
            },
        )
        .unwrap();
    assert_eq!(c.urge_count, 1);
    let log = street.events_after(0, u32::MAX).unwrap();
    let urge = log
        .iter()
        .map(|(_, e)| e)
        .find(|e| e.body.kind() == "case_urged")
        .unwrap();
    assert!(
        urge.hlc > ev.hlc,
        "the step folds after the case it was taken on"
    );
}

#[test]
fn work_filed_while_the_clock_was_years_ahead_is_stamped_again_with_todays_number() {
    let dir = tempfile::tempdir().unwrap();
    let true_now = test_now();
    let clock = ManualClock::new(true_now + 3 * YEAR);
    let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    s.set_identity(wire::UNENROLLED_OFFICE, "和美社区", "李书记")
        .unwrap();
    let case = s.receive(parking_case("三年后的案件")).unwrap();
    let future_day = calendar::local_date(true_now + 3 * YEAR)
        .format("%y%m%d")
        .to_string();
    assert!(case.number.starts_with(&future_day));
    clock.advance(3_600_000);
    s.act(
        case.id,
        CaseCommand::IssueLetter(LetterForm {
            promise: "明天清理".into(),
            due_date: calendar::local_date(clock.now_ms() + DAY)
                .format("%Y-%m-%d")
                .to_string(),
            responsible: "李书记".into(),
            problem: String::new(),
        }),
    )
    .unwrap();
    // The clock is put right: the work is in the future now, and says so.
    clock.set(true_now + 5 * 3_600_000);
    assert_eq!(s.future_work().unwrap(), 3, "intake, lookup code, letter");
    let done = s.restamp_future_work().unwrap().unwrap();
    assert_eq!(done.events, 3);
    assert_eq!(s.future_work().unwrap(), 0);
    let c = s.case(case.id).unwrap();
    let today = calendar::local_date(true_now + 5 * 3_600_000)
        .format("%y%m%d")
        .to_string();
    assert!(c.number.starts_with(&today), "{}", c.number);
    assert!(
        c.received_at <= clock.now_ms() && c.received_at >= true_now,
        "{}",
        c.received_at
    );
    assert!(c.resolve_due > c.received_at && c.resolve_due < c.received_at + 10 * DAY);
    // The promised date moved by the same days, still the day after the intake.
    let letter = c.letter.unwrap();
    assert!(
        letter.commitment.due > c.received_at + DAY - 3_600_000
            && letter.commitment.due < c.received_at + 3 * DAY
    );
    // The trace says so, after the corrected steps, and the projection is the log's.
    let d = s.case_detail(case.id).unwrap();
    let kinds: Vec<&str> = d.timeline.iter().map(|t| t.event.body.kind()).collect();
    assert_eq!(
        kinds,
        [
            "case_received",
            "case_lookup_code_set",
            "commitment_issued",
            "case_times_corrected"
        ]
    );
    let EventBody::CaseTimesCorrected(t) = &d.timeline[3].event.body else {
        unreachable!()
    };
    assert_eq!(t.events, 3);
    assert!(t.shifted_ms < -2 * YEAR, "{}", t.shifted_ms);
    // The corrected steps were signed again and still chain: nobody else held them.
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert!(trace.intact(), "{trace:?}");
    assert_eq!((trace.verified, trace.unsigned), (4, 0));
    // Every reading agrees: the list's row, a search by the new number, the figures (counted
    // once, in today's period, not in three years).
    let page = s.list_cases(&CaseQuery::default()).unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].number, c.number);
    let found = s
        .list_cases(&CaseQuery {
            text: c.number.clone(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.rows.len(), 1, "found by its new number");
    let all_time = figures::FigureQuery {
        from: validate::EARLIEST_MS,
        to: validate::LATEST_MS,
        ..Default::default()
    };
    let f = s
        .figures(&all_time, &figures::FigureSettings::default())
        .unwrap();
    assert_eq!(f.received, 1);
    let later = figures::FigureQuery {
        from: true_now + 30 * DAY,
        ..all_time
    };
    assert_eq!(
        s.figures(&later, &figures::FigureSettings::default())
            .unwrap()
            .received,
        0
    );
    let live = s.all_cases().unwrap();
    s.rebuild_projections().unwrap();
    assert_eq!(live, s.all_cases().unwrap());
    // The log is still guarded against edits.
    assert!(
        s.connection()
            .execute("UPDATE events SET author = 'x'", [])
            .is_err()
    );
    // And nothing more is in the future on reopening.
    drop(s);
    let s = Store::open(dir.path(), Box::new(clock)).unwrap();
    assert_eq!(s.future_work().unwrap(), 0);
}

/// A community PC whose clock is seven years behind files a case offline, then enrols: the
/// case counts from the server's receipt of its intake at the writer and at the street alike
/// (received today, due in days, in today's period, not overdue), whichever pages it arrives
/// in; the log and the number keep what the PC wrote.
#[test]
fn a_case_filed_offline_years_behind_counts_from_its_receipt_everywhere() {
    let true_now = test_now();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(true_now - 7 * YEAR);
    let mut pc = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    pc.set_identity(wire::UNENROLLED_OFFICE, "和美社区", "李书记")
        .unwrap();
    let filed = pc.receive(parking_case("七年前的时钟")).unwrap();
    clock.advance(3_600_000);
    pc.act(
        filed.id,
        CaseCommand::IssueLetter(LetterForm {
            promise: "三天内清理".into(),
            due_date: calendar::local_date(clock.now_ms() + 3 * DAY)
                .format("%Y-%m-%d")
                .to_string(),
            responsible: "李书记".into(),
            problem: String::new(),
        }),
    )
    .unwrap();
    assert!(pc.case(filed.id).unwrap().received_at < true_now - 6 * YEAR);
    // Enrolled (the server's time corrects the clock), then pushed: the server receives the
    // intake two hours on.
    pc.enrol(
        "http://street.example:8645",
        &wire::EnrolResponse {
            credential: "c".into(),
            office: org()[3].clone(),
            device_tag: "AB".into(),
            server_time: true_now,
        },
    )
    .unwrap();
    clock.set(true_now);
    let out = pc.outbox(100).unwrap();
    assert_eq!(out.len(), 4, "intake, lookup code, letter, assignment");
    let receipt = true_now + 2 * 3_600_000;
    let receipts: Vec<wire::Receipt> = out
        .iter()
        .enumerate()
        .map(|(i, e)| wire::Receipt {
            id: e.id,
            seq: i as i64 + 1,
            received_ms: receipt,
        })
        .collect();
    pc.acknowledge(&receipts).unwrap();
    let check = |s: &Store, who: &str| {
        let c = s.case(filed.id).unwrap();
        assert_eq!(
            c.received_at, receipt,
            "{who}: received when the server got it"
        );
        assert!(
            c.resolve_due > receipt && c.resolve_due < receipt + 10 * DAY,
            "{who}: due {}",
            c.resolve_due
        );
        let letter = c.letter.as_ref().unwrap();
        assert!(
            letter.commitment.due > receipt + 2 * DAY && letter.commitment.due < receipt + 5 * DAY,
            "{who}: the letter's promise keeps its three days"
        );
        assert_eq!(
            letter.commitment.due_date,
            calendar::local_date(letter.commitment.due)
                .format("%Y-%m-%d")
                .to_string()
        );
        assert_eq!(c.number, filed.number, "{who}: the number stays");
        let (from, to) = month_of(receipt);
        let month = figures::FigureQuery {
            from,
            to,
            ..Default::default()
        };
        let f = s.figures(&month, &FigureSettings::default()).unwrap();
        assert_eq!(
            f.received, 1,
            "{who}: counted in the month it reached the server"
        );
        assert_eq!(f.overdue_now, 0, "{who}");
        assert_eq!(s.desk().unwrap().overdue_total, 0, "{who}: the desk agrees");
        let (old_from, old_to) = month_of(filed.received_at);
        let then = figures::FigureQuery {
            from: old_from,
            to: old_to,
            ..Default::default()
        };
        let f = s.figures(&then, &FigureSettings::default()).unwrap();
        assert_eq!(f.received, 0, "{who}: not in the wrong clock's month");
        assert!(
            conflict_reasons(s).is_empty(),
            "{who}: {:?}",
            conflict_reasons(s)
        );
    };
    check(&pc, "the writer");
    let live = pc.all_cases().unwrap();
    pc.rebuild_projections().unwrap();
    assert_eq!(pc.all_cases().unwrap(), live, "the writer's rebuild");
    // The street pulls the same events with their receipts, in one page or split after the
    // intake.
    let events = pc.events_after(0, u32::MAX).unwrap();
    let page = |evs: &[(i64, Event)], more| wire::PullResponse {
        events: evs
            .iter()
            .map(|(seq, e)| wire::Pulled {
                event: e.clone(),
                seq: *seq,
                received_ms: receipt,
            })
            .collect(),
        next: evs.last().map_or(0, |(s, _)| *s),
        more,
        remaining: 0,
        server_time: receipt,
        keys: Default::default(),
    };
    for split in [events.len(), 1] {
        let (mut street, street_clock) = office_store("s1");
        street_clock.set(receipt + 3_600_000);
        street.apply_pull(&page(&events[..split], true)).unwrap();
        street.apply_pull(&page(&events[split..], false)).unwrap();
        check(&street, &format!("the street (split at {split})"));
        assert_eq!(street.case(filed.id).unwrap(), pc.case(filed.id).unwrap());
        assert_files_sanely(&mut street);
    }
    // A store written before this rule folds such a case again when it opens.
    pc.connection()
        .execute_batch(
            "UPDATE cases SET received_at = 0, resolve_due = 0 WHERE id IS NOT NULL;
             UPDATE case_facts SET received_at = 0;",
        )
        .unwrap();
    pc.connection()
        .execute(
            "INSERT INTO dirty_streams (stream) VALUES (?1)",
            [filed.id.to_string()],
        )
        .unwrap();
    drop(pc);
    let pc = Store::open(dir.path(), Box::new(clock)).unwrap();
    check(&pc, "the writer, reopened");
}
