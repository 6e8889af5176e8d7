//! The store's sync bookkeeping, without a network: the outbox drains only on receipts, a
//! pulled page moves the cursor, and a bulk pull folded once at the end (or on reopening after
//! a crash) gives exactly what folding event by event gives: the same cases, conflicts, search
//! hits, index-walked lists and indexes.

use jiesu_core::meeting::{MeetingInfo, MeetingKind};
use jiesu_core::wire::{PullResponse, Pulled, Receipt};
use jiesu_core::*;
use proptest::prelude::*;

use super::common::*;

pub(super) fn page_of(events: &[Event], first_seq: i64, more: bool) -> PullResponse {
    PullResponse {
        events: events
            .iter()
            .enumerate()
            .map(|(i, e)| Pulled {
                event: e.clone(),
                seq: first_seq + i as i64,
                received_ms: test_now(),
            })
            .collect(),
        next: first_seq + events.len() as i64 - 1,
        more,
        remaining: 0,
        server_time: test_now(),
        keys: Default::default(),
    }
}

fn snapshot(s: &Store) -> (Vec<Case>, Vec<(String, String)>, Vec<String>) {
    let mut ids = s.event_ids().unwrap();
    ids.sort();
    (s.all_cases().unwrap(), s.conflicts().unwrap(), ids)
}

/// What the window reads besides the cases: search hits (a bulk fold writes the search
/// index in batches), lists walked along indexes (a bulk fold drops and rebuilds them), and
/// the schema's indexes themselves.
fn reads(s: &Store) -> (Vec<Vec<String>>, Vec<(String, String)>) {
    // Links as the other end finds them (`case_links`, written with the case row).
    let links: Vec<String> = s
        .connection()
        .prepare("SELECT case_id || '>' || other || ':' || kind FROM case_links ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let ids = |q: CaseQuery| -> Vec<String> {
        let page = s
            .list_cases(&CaseQuery {
                page_size: 200,
                ..q
            })
            .unwrap();
        page.rows.into_iter().map(|r| r.number).collect()
    };
    let lists = vec![
        ids(CaseQuery {
            text: "漏水".into(),
            ..Default::default()
        }),
        ids(CaseQuery {
            text: "停车".into(),
            ..Default::default()
        }),
        {
            // Cases due at the same moment follow their row order, which differs between
            // replicas: compare which cases, not their order among equals.
            let mut due = ids(CaseQuery {
                states: vec![CaseState::Handling, CaseState::Dispatched],
                sort: CaseSort::DueAsc,
                ..Default::default()
            });
            due.sort();
            due
        },
        ids(CaseQuery {
            category: Some("parking".into()),
            ..Default::default()
        }),
        links,
    ];
    let schema = s
        .connection()
        .prepare(
            "SELECT name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'index' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (lists, schema)
}

#[test]
fn the_outbox_drains_only_on_receipts_and_a_page_moves_the_cursor() {
    let (mut a, _) = store_at(test_now());
    let c = a.receive(parking_case("停车难")).unwrap();
    a.act(c.id, CaseCommand::Urge { note: "催".into() })
        .unwrap();
    // The intake, its lookup code, the urge.
    let out = a.outbox(10).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(a.waiting().unwrap(), 3);
    // Only the first two receipts arrive: the last event stays queued.
    a.acknowledge(&[
        Receipt {
            id: out[0].id,
            seq: 1,
            received_ms: test_now(),
        },
        Receipt {
            id: out[1].id,
            seq: 2,
            received_ms: test_now(),
        },
    ])
    .unwrap();
    assert_eq!(a.outbox(10).unwrap(), vec![out[2].clone()]);
    assert_eq!(a.receipt_time(out[0].id).unwrap(), Some(test_now()));
    // The lost receipt comes back with a pull of our own event: nothing waits any more.
    a.apply_pull(&page_of(&out[2..], 3, false)).unwrap();
    assert_eq!(a.waiting().unwrap(), 0);
    assert_eq!(a.pull_cursor().unwrap(), 3);
    // Pulled events from elsewhere never enter the outbox.
    let (mut b, _) = store_at(test_now());
    b.apply_pull(&page_of(&out, 1, false)).unwrap();
    assert_eq!(b.waiting().unwrap(), 0);
    assert_eq!(b.case(c.id).unwrap().urge_count, 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn a_bulk_pull_settled_once_equals_folding_event_by_event(seed in 0u64..10_000, n in 5usize..60, split in 1usize..40) {
        let (mut source, clock) = store_at(test_now());
        random_workload(&mut rng(seed), &mut source, &clock, n);
        let events: Vec<Event> = source.events_after(0, u32::MAX).unwrap().into_iter().map(|(_, e)| e).collect();
        let (mut one_by_one, _) = store_at(test_now());
        // On a file: settle folds on the second connection while the first writes.
        let (mut bulk, _, _dir) = file_store_at(test_now());
        let mut seq = 1;
        for chunk in events.chunks(split) {
            one_by_one.apply_pull(&page_of(chunk, seq, true)).unwrap();
            bulk.apply_pull_bulk(&page_of(chunk, seq, true)).unwrap();
            seq += chunk.len() as i64;
        }
        bulk.settle().unwrap();
        prop_assert_eq!(snapshot(&bulk), snapshot(&one_by_one));
        prop_assert_eq!(snapshot(&bulk).0, source.all_cases().unwrap());
        prop_assert_eq!(reads(&bulk), reads(&one_by_one));
        prop_assert_eq!(reads(&bulk), reads(&source));
        // A rebuild takes the same dropped-index, batched-search path.
        let before = reads(&source);
        source.rebuild_projections().unwrap();
        prop_assert_eq!(reads(&source), before);
    }
}

#[test]
fn a_bulk_pull_interrupted_before_settling_is_folded_when_the_store_opens() {
    let (mut source, clock) = store_at(test_now());
    random_workload(&mut rng(7), &mut source, &clock, 40);
    let events: Vec<Event> = source
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
        s.apply_pull_bulk(&page_of(&events, 1, true)).unwrap();
        assert_eq!(s.stats().unwrap().cases, 0, "stored, not yet folded");
        // The process dies here.
    }
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(s.all_cases().unwrap(), source.all_cases().unwrap());
}

#[test]
fn photos_of_pulled_cases_are_wanted_until_bytes_with_their_hash_arrive() {
    let (mut a, _ca, _da) = file_store_at(test_now());
    let (mut b, cb, _db) = file_store_at(test_now());
    let file = |s: &mut Store, bytes: &[u8]| {
        let mut intake = parking_case("楼道漏水");
        intake.attachment = Some(s.save_attachment("现场.jpg", bytes).unwrap());
        s.receive(intake).unwrap().attachment.unwrap().sha256
    };
    let first = file(&mut a, b"first photo");
    let second = file(&mut a, b"second photo");
    // Filed here: the bytes are here, nothing to fetch.
    assert!(a.attachments_to_fetch(10).unwrap().is_empty());
    let own = file(&mut b, b"b's own photo");

    // Pulled page by page (folded) and in bulk: both want the photos.
    let events: Vec<Event> = a
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    b.apply_pull(&page_of(&events[..1], 1, true)).unwrap();
    b.apply_pull_bulk(&page_of(&events[1..], 2, false)).unwrap();
    b.settle().unwrap();
    // Newest first among those never tried.
    assert_eq!(
        b.attachments_to_fetch(10).unwrap(),
        vec![second.clone(), first.clone()]
    );
    assert_eq!(b.attachments_to_fetch(1).unwrap(), vec![second.clone()]);
    assert!(b.read_attachment(&own).is_ok());

    // The server had no bytes for `second` yet: `first` is asked for first next time.
    cb.advance(60_000);
    b.attachment_not_yet_served(&second).unwrap();
    assert_eq!(
        b.attachments_to_fetch(10).unwrap(),
        vec![first.clone(), second.clone()]
    );

    // Damaged bytes are refused and not kept; the real ones are, and the want goes.
    let err = b
        .keep_fetched_attachment(&first, b"first photo, damaged")
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidInput);
    assert!(b.read_attachment(&first).is_err());
    b.keep_fetched_attachment(&first, b"first photo").unwrap();
    assert_eq!(b.read_attachment(&first).unwrap(), b"first photo");
    assert_eq!(b.attachments_to_fetch(10).unwrap(), vec![second.clone()]);
    // A photo that turns up on disk by another way (the window fetched it) leaves the list.
    std::fs::write(b.attachment_path(&second).unwrap(), b"second photo").unwrap();
    assert!(b.attachments_to_fetch(10).unwrap().is_empty());
}

#[test]
fn unenrolling_keeps_the_credential_to_revoke_and_drops_the_clock_correction() {
    let (mut s, _clock) = store_at(test_now());
    assert_eq!(s.clock_offset().unwrap(), 0);
    assert_eq!(s.unenrol().unwrap_err().code(), Code::InvalidInput);
    s.enrol(
        "http://street.example:8645/",
        &wire::EnrolResponse {
            credential: "c1".into(),
            office: wire::Office {
                id: "a".into(),
                name: "和美社区".into(),
                kind: wire::OfficeKind::Community,
                parent: None,
            },
            device_tag: "AB".into(),
            server_time: test_now(),
        },
    )
    .unwrap();
    let pc = test_now();
    s.set_clock_offset(-7_200_000, pc).unwrap();
    // A round trip's jitter is not written; a real change is.
    s.set_clock_offset(-7_200_400, pc).unwrap();
    assert_eq!(s.clock_offset().unwrap(), -7_200_000);
    s.set_clock_offset(-3_000, pc).unwrap();
    assert_eq!(s.clock_offset().unwrap(), -3_000);
    assert_eq!(s.clock_offset_at_start(pc + 60_000).unwrap(), -3_000);
    // Measured while the PC's clock ran three years ahead; the clock has since been set back
    // (it now reads earlier than the measurement): the old correction would put the app three
    // years behind, so it starts uncorrected until the server is reached again.
    let year3 = 3 * 365 * 86_400_000;
    s.set_clock_offset(-year3, pc + year3).unwrap();
    assert_eq!(
        s.clock_offset_at_start(pc + year3 + 60_000).unwrap(),
        -year3
    );
    assert_eq!(s.clock_offset_at_start(pc + 60_000).unwrap(), 0);
    assert_eq!(s.clock_offset().unwrap(), -year3, "kept for the trace");
    s.unenrol().unwrap();
    assert_eq!(
        s.pending_revokes().unwrap(),
        vec![store::PendingRevoke {
            server_url: "http://street.example:8645".into(),
            credential: "c1".into()
        }]
    );
    assert_eq!(s.clock_offset().unwrap(), 0);
    s.revoke_delivered("c1").unwrap();
    assert!(s.pending_revokes().unwrap().is_empty());
}

#[test]
fn work_done_before_enrolment_is_given_to_the_office_enrolled_into() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(test_now());
    let mut a = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    a.set_identity(wire::UNENROLLED_OFFICE, "和美社区", "李书记")
        .unwrap();
    let mine = a.receive(parking_case("楼道漏水")).unwrap();
    a.act(
        mine.id,
        CaseCommand::Note {
            text: "已上门查看".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    let meeting = a
        .schedule_meeting(MeetingInfo {
            kind: MeetingKind::Council,
            title: "停车议事会".into(),
            starts_at: test_now(),
            ends_at: None,
            place: "会议室".into(),
            facilitator: "王主任".into(),
            recorder: "李书记".into(),
        })
        .unwrap();
    // Another PC's pre-enrolment case, replicated here: that PC gives it its own office.
    let (mut other, _) = store_at(test_now());
    other
        .set_identity(wire::UNENROLLED_OFFICE, "", "张干事")
        .unwrap();
    let theirs = other.receive(parking_case("噪音扰民")).unwrap();
    let their_events: Vec<Event> = other
        .events_after(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    a.apply_remote(&their_events).unwrap();
    assert_eq!(a.case(mine.id).unwrap().office, wire::UNENROLLED_OFFICE);

    let before = a.stats().unwrap().events;
    a.enrol("http://street:8645", &enrolment_into("a", "和美社区"))
        .unwrap();
    assert_eq!(
        a.stats().unwrap().events,
        before + 2,
        "one event per own case and meeting"
    );
    let case = a.case_detail(mine.id).unwrap();
    assert_eq!(case.case.office, "a");
    assert_eq!(
        case.case.state,
        CaseState::Received,
        "the work itself is untouched"
    );
    let last = &case.timeline.last().unwrap().event;
    assert_eq!(last.body.kind(), "case_office_assigned");
    assert_eq!(last.office, "a");
    assert_eq!(a.meeting_detail(meeting.id).unwrap().meeting.office, "a");
    assert_eq!(
        a.case(theirs.id).unwrap().office,
        wire::UNENROLLED_OFFICE,
        "not this PC's to give"
    );
    // They go up with the rest; the fold is the rebuild's.
    assert!(a.outbox(100).unwrap().iter().any(|e| e.id == last.id));
    let folded = a.all_cases().unwrap();
    a.rebuild_projections().unwrap();
    assert_eq!(a.all_cases().unwrap(), folded);

    // A second assignment (from a replica that missed the first) is a conflict, not a move.
    let mut again = last.clone();
    again.id = uuid::Uuid::now_v7();
    again.hlc.counter += 1;
    if let EventBody::CaseOfficeAssigned { office, .. } = &mut again.body {
        *office = "b".into();
    }
    a.apply_remote(&[again]).unwrap();
    assert_eq!(a.case(mine.id).unwrap().office, "a");
    assert_eq!(a.case(mine.id).unwrap().conflict_count, 1);
}

#[test]
fn an_enrolment_cut_off_before_the_assignment_finishes_it_on_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(test_now());
    let id = {
        let mut a = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
        a.set_identity(wire::UNENROLLED_OFFICE, "和美社区", "李书记")
            .unwrap();
        let id = a.receive(parking_case("楼道漏水")).unwrap().id;
        // What the enrolment's own transaction leaves, had the power gone right after it.
        a.connection()
            .execute_batch(
                "INSERT INTO meta VALUES ('assign_pending', '1');
                 UPDATE meta SET value = 'a' WHERE key = 'office';",
            )
            .unwrap();
        id
    };
    let a = Store::open(dir.path(), Box::new(clock)).unwrap();
    assert_eq!(a.case(id).unwrap().office, "a");
    let again = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(
        again.case_detail(id).unwrap().timeline.len(),
        3,
        "intake, lookup code, assigned once"
    );
}

#[test]
fn nothing_waits_before_enrolment_and_everything_written_offline_waits_after_it() {
    // The status a window asks at every start and change does not count an unenrolled
    // office's whole log (issue 22): nothing is sent anywhere, so nothing waits.
    let (mut a, _) = store_at(test_now());
    a.receive(parking_case("停车难")).unwrap();
    a.receive(parking_case("噪音扰民")).unwrap();
    let status = a.sync_status().unwrap();
    assert!(!status.enrolled);
    assert_eq!(status.waiting, 0);
    // The outbox itself still holds the work: enrolment sends it all.
    assert_eq!(a.waiting().unwrap(), 4);
    a.enrol("http://street:8645", &enrolment_into("a", "和美社区"))
        .unwrap();
    let status = a.sync_status().unwrap();
    assert!(status.enrolled);
    assert_eq!(status.waiting, a.waiting().unwrap());
    assert!(status.waiting >= 4, "{}", status.waiting);
}
