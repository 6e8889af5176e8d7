//! Seals (`jiesu_protocol::seal`): every step this PC writes is signed and chained, 核验留痕
//! names an edited, a deleted or a forked step by id, and a pulled page carrying a forged
//! signature is refused whole. The attacks edit the database file directly, as someone with
//! the disk would.

use std::collections::BTreeMap;

use jiesu_core::wire::{PullResponse, Pulled};
use jiesu_core::*;
use rusqlite::params;

use super::common::*;

/// A case with five steps, all this PC's.
fn case_with_steps(s: &mut Store) -> Case {
    let case = s.receive(parking_case("楼下停车堵住消防通道")).unwrap();
    for note in ["联系车主", "车主已挪车", "物业加装隔离桩"] {
        s.act(
            case.id,
            CaseCommand::Note {
                text: note.into(),
                contacted_resident: true,
                public: false,
            },
        )
        .unwrap();
    }
    s.act(
        case.id,
        CaseCommand::Urge {
            note: "请尽快".into(),
        },
    )
    .unwrap();
    s.case(case.id).unwrap()
}

fn ids(s: &Store, case: &Case) -> Vec<(uuid::Uuid, String)> {
    s.case_detail(case.id)
        .unwrap()
        .timeline
        .iter()
        .map(|t| (t.event.id, t.event.body.kind().to_owned()))
        .collect()
}

/// An id as the log keeps one the app made (v24): its 16 bytes.
fn uuid_bytes(id: &str) -> Vec<u8> {
    uuid::Uuid::parse_str(id).unwrap().as_bytes().to_vec()
}

/// Lift the log's guards, as an attacker with the file can.
fn unguard(s: &Store) {
    s.connection()
        .execute_batch("DROP TRIGGER events_are_immutable; DROP TRIGGER events_are_never_deleted;")
        .unwrap();
}

#[test]
fn every_step_written_here_is_signed_and_chained() {
    let (mut s, _) = store_at(test_now());
    let case = case_with_steps(&mut s);
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert!(trace.intact(), "{trace:?}");
    assert_eq!((trace.events, trace.verified, trace.unsigned), (6, 6, 0));
    let timeline = s.case_detail(case.id).unwrap().timeline;
    assert!(
        timeline[0].event.prev.is_none(),
        "the first step starts the chain"
    );
    for pair in timeline.windows(2) {
        assert_eq!(
            pair[1].event.prev.as_deref(),
            Some(seal::hash(&pair[0].event).unwrap().as_str()),
            "each step links to the one before"
        );
    }
    // The configuration stream is sealed the same way; a stream nobody wrote is not found
    // (not "intact").
    assert!(s.verify_trace(event::CONFIG_STREAM).is_err());
    s.add_unit("幸福物业").unwrap();
    s.add_unit("街道城管").unwrap();
    let config = s.verify_trace(event::CONFIG_STREAM).unwrap();
    assert!(config.intact() && config.verified == 2, "{config:?}");
}

#[test]
fn attack_edit_a_stored_steps_text_is_named() {
    let (mut s, _) = store_at(test_now());
    let case = case_with_steps(&mut s);
    let steps = ids(&s, &case);
    unguard(&s);
    let edited = s
        .connection()
        .execute(
            "UPDATE events SET payload = replace(payload, '车主已挪车', '已解决') WHERE id = ?1",
            [steps[3].0.as_bytes()],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert!(!trace.intact());
    // The edited step fails its signature, and its successor's link no longer finds it.
    assert_eq!(trace.problems[0].event, Some(steps[3].0));
    assert_eq!(trace.problems[0].fault, TraceFault::Altered);
    assert!(
        trace
            .problems
            .iter()
            .any(|p| p.event == Some(steps[4].0) && p.fault == TraceFault::Missing),
        "{trace:?}"
    );
}

#[test]
fn attack_edit_a_stored_steps_time_or_author_is_named() {
    let (mut s, _) = store_at(test_now());
    let case = case_with_steps(&mut s);
    let steps = ids(&s, &case);
    unguard(&s);
    for (sql, victim) in [
        (
            "UPDATE events SET hlc_wall = hlc_wall - 86400000 WHERE id = ?1",
            1,
        ),
        ("UPDATE events SET author = '王某' WHERE id = ?1", 4),
    ] {
        s.connection()
            .execute(sql, [steps[victim].0.as_bytes()])
            .unwrap();
        let trace = s.verify_trace(&case.id.to_string()).unwrap();
        assert!(
            trace
                .problems
                .iter()
                .any(|p| p.event == Some(steps[victim].0) && p.fault == TraceFault::Altered),
            "{sql}: {trace:?}"
        );
    }
}

#[test]
fn attack_delete_a_stored_step_is_named_wherever_it_was() {
    for victim in 0..6 {
        let (mut s, _) = store_at(test_now());
        let case = case_with_steps(&mut s);
        let steps = ids(&s, &case);
        unguard(&s);
        s.connection()
            .execute(
                "DELETE FROM events WHERE id = ?1",
                [steps[victim].0.as_bytes()],
            )
            .unwrap();
        let trace = s.verify_trace(&case.id.to_string()).unwrap();
        assert_eq!(trace.events, 5);
        let expected = if victim == 5 {
            // Nothing links to the latest step: the recorded head names the gap.
            (None, TraceFault::LatestMissing)
        } else {
            (Some(steps[victim + 1].0), TraceFault::Missing)
        };
        assert_eq!(
            trace
                .problems
                .iter()
                .map(|p| (p.event, p.fault))
                .collect::<Vec<_>>(),
            vec![expected],
            "deleting step {victim}"
        );
    }
}

#[test]
fn attack_fork_the_chain_with_the_devices_own_key_is_named() {
    // Even someone holding the PC's key cannot put a step into the middle of the trace
    // unseen: it links to a step another already links to.
    let (mut s, _) = store_at(test_now());
    let case = case_with_steps(&mut s);
    let timeline = s.case_detail(case.id).unwrap().timeline;
    let mut extra = timeline[2].event.clone();
    extra.id = uuid::Uuid::now_v7();
    extra.body = EventBody::CaseNoted {
        text: "补记：已协调".into(),
        contacted_resident: false,
    };
    extra.hlc.counter += 1;
    let prev = seal::hash(&timeline[1].event);
    seal::sign(&mut extra, prev, &s.device_signing_key().unwrap()).unwrap();
    let (kind, payload) = extra.body.to_columns().unwrap();
    s.connection()
        .execute(
            "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author, device,
                                 office, prev, sig)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                extra.id.as_bytes(),
                uuid_bytes(&extra.stream),
                kind,
                payload,
                extra.hlc.wall_ms,
                extra.hlc.counter,
                extra.author,
                uuid_bytes(&extra.device),
                extra.office,
                extra.prev,
                extra.sig
            ],
        )
        .unwrap();
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert_eq!(
        trace.problems.iter().map(|p| p.fault).collect::<Vec<_>>(),
        vec![TraceFault::Forked]
    );
}

/// Everything `s` holds, as a server would pass it on, and the key it registered for `s`.
fn log_and_key(s: &Store) -> (Vec<Event>, BTreeMap<String, String>) {
    let log = s
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let keys = BTreeMap::from([(s.identity().device.clone(), s.device_public_key().unwrap())]);
    (log, keys)
}

fn page(events: Vec<Event>, keys: BTreeMap<String, String>) -> PullResponse {
    PullResponse {
        next: events.len() as i64,
        events: events
            .into_iter()
            .enumerate()
            .map(|(i, event)| Pulled {
                event,
                seq: i as i64 + 1,
                received_ms: test_now(),
            })
            .collect(),
        more: false,
        remaining: 0,
        server_time: test_now(),
        keys,
    }
}

#[test]
fn a_pulled_trace_is_verified_with_the_key_the_server_registered() {
    let (mut a, _) = office_store("a");
    let case = case_with_steps(&mut a);
    let (events, keys) = log_and_key(&a);
    let (mut street, _) = office_store("s1");
    street.apply_pull(&page(events, keys)).unwrap();
    let trace = street.verify_trace(&case.id.to_string()).unwrap();
    assert!(trace.intact(), "{trace:?}");
    assert_eq!(trace.verified, 6);
    // Without the key the street cannot vouch for the steps, and says so.
    let (events, _) = log_and_key(&a);
    let (mut other, _) = office_store("s1");
    other.apply_pull(&page(events, BTreeMap::new())).unwrap();
    let trace = other.verify_trace(&case.id.to_string()).unwrap();
    assert_eq!(trace.problems.len(), 6);
    assert!(
        trace
            .problems
            .iter()
            .all(|p| p.fault == TraceFault::UnknownKey)
    );
}

#[test]
fn attack_a_pulled_page_with_a_forged_step_is_refused_whole() {
    let (mut a, _) = office_store("a");
    let case = case_with_steps(&mut a);
    let (mut events, keys) = log_and_key(&a);
    let last = events
        .iter()
        .rposition(|e| e.stream == case.id.to_string())
        .unwrap();
    events[last].author = "冒名者".into();
    let (mut street, _) = office_store("s1");
    let err = street
        .apply_pull(&page(events.clone(), keys.clone()))
        .unwrap_err();
    assert_eq!(err.to_wire().params["reason"], "seal_broken", "{err:?}");
    assert!(
        street.event_ids().unwrap().is_empty(),
        "nothing of the page is kept"
    );
    assert_eq!(street.pull_cursor().unwrap(), 0);
    // The bulk path of a first sync refuses it the same way.
    let err = street.apply_pull_bulk(&page(events, keys)).unwrap_err();
    assert_eq!(err.to_wire().params["reason"], "seal_broken");
    assert!(street.event_ids().unwrap().is_empty());
}

#[test]
fn attack_a_pulled_page_that_changes_a_devices_key_is_refused() {
    let (mut a, _) = office_store("a");
    case_with_steps(&mut a);
    let (b, _) = office_store("b");
    let (events, keys) = log_and_key(&a);
    let (mut street, _) = office_store("s1");
    let device = a.identity().device.clone();
    street
        .apply_pull(&page(events[..1].to_vec(), keys))
        .unwrap();
    let err = street
        .apply_pull(&page(
            events[1..].to_vec(),
            BTreeMap::from([(device, b.device_public_key().unwrap())]),
        ))
        .unwrap_err();
    assert_eq!(err.to_wire().params["reason"], "key_changed");
}

#[test]
fn attack_a_forged_step_deep_in_a_first_syncs_page_is_refused() {
    // A first sync's pages are checked on every core: the forgery is found in any part.
    let (mut a, _) = office_store("a");
    for _ in 0..130 {
        case_with_steps(&mut a);
    }
    let (events, keys) = log_and_key(&a);
    assert!(events.len() > 600);
    for at in [10, events.len() - 3] {
        let mut forged = events.clone();
        forged[at].author = "冒名者".into();
        let (mut street, _) = office_store("s1");
        let err = street
            .apply_pull_bulk(&page(forged, keys.clone()))
            .unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "seal_broken", "at {at}");
        assert!(street.event_ids().unwrap().is_empty());
    }
    let (mut street, _) = office_store("s1");
    street.apply_pull_bulk(&page(events, keys)).unwrap();
}
