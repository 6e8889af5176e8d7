//! Steps from other PCs folded against the role their account held at the step's time: an
//! out-of-date PC's work after its account was demoted or closed is kept and shown as a
//! conflict, on every replica, whichever order the events arrive in. One test per attack.

use jiesu_core::access::{Role, Session};
use jiesu_core::event::CONFIG_STREAM;
use jiesu_core::*;
use rand::seq::SliceRandom;
use uuid::Uuid;

use super::common::*;

/// Another PC of office `a` that has not heard of the latest account changes.
const OTHER_PC: &str = "7d1c0f0e-7b55-4b8e-9d43-0000000000c1";

/// Office `a`'s PC with its administrator signed in, and a worker account.
fn office_a() -> (Store, ManualClock, Session, Uuid) {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.set_identity("a", "a办", "李书记").unwrap();
    s.set_directory(&org()).unwrap();
    s.require_sign_in();
    let admin = s
        .create_first_admin("a办", account_form("li", "李书记", Role::Admin))
        .unwrap();
    clock.advance(60_000);
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap()
        .id;
    (s, clock, admin, worker)
}

/// A step as the out-of-date PC writes it: naming `account`, at `wall_ms`.
fn step_by(account: Uuid, stream: &str, wall_ms: i64, body: EventBody) -> Event {
    let mut ev = forged(stream, wall_ms, "a", OTHER_PC, body);
    ev.account = Some(account);
    ev
}

fn note(text: &str, contacted_resident: bool) -> EventBody {
    EventBody::CaseNoted {
        text: text.into(),
        contacted_resident,
    }
}

/// The street's replica with `events` folded, one page at a time in the order given.
fn street_folding(pages: &[Vec<Event>]) -> Store {
    let (mut street, _) = office_store("s1");
    for page in pages {
        street.apply_remote(page).unwrap();
    }
    street
}

fn state(s: &Store) -> (Vec<Case>, Vec<(String, String)>) {
    (s.all_cases().unwrap(), s.conflicts().unwrap())
}

/// Office `a` files a case as its worker, then demotes the worker to 查看; the out-of-date
/// PC notes the case as that worker before and after the demotion. The events, as the street
/// receives them.
fn demotion_story() -> (Vec<Event>, Event, Event, Uuid) {
    let (mut s, clock, _, worker) = office_a();
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
    clock.advance(60_000);
    let case = s.receive(parking_case("27号楼门口有车占道")).unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("li", "li-password").unwrap();
    let before = step_by(
        worker,
        &case.id.to_string(),
        clock.now_ms() + 1_000,
        note("已电话联系居民", true),
    );
    clock.advance(60_000);
    s.set_role(worker, Role::Viewer).unwrap();
    let after = step_by(
        worker,
        &case.id.to_string(),
        clock.now_ms() + 60_000,
        note("降为查看后仍在办理", false),
    );
    (log_of(&s), before, after, case.id)
}

#[test]
fn a_step_by_an_account_demoted_before_it_is_a_conflict_whichever_arrives_first() {
    let (office, before, after, case) = demotion_story();
    let mut all = office.clone();
    all.extend([before.clone(), after.clone()]);
    let reference = street_folding(std::slice::from_ref(&all));
    let (cases, conflicts) = state(&reference);
    let folded = cases.iter().find(|c| c.id == case).unwrap();
    assert_eq!(folded.conflict_count, 1, "only the step after the demotion");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].0, after.id.to_string());
    assert!(conflicts[0].1.contains("was viewer"), "{}", conflicts[0].1);
    assert!(
        folded.responded_at.is_some(),
        "the step before the demotion counts"
    );

    // The steps first, the demotion after (the out-of-date PC pushed before the
    // administrator's PC did): the same projection and the same conflict.
    let (config, steps): (Vec<Event>, Vec<Event>) = office
        .iter()
        .cloned()
        .partition(|e| matches!(e.body, EventBody::AccountRoleSet { .. }));
    let mut steps_first = steps.clone();
    steps_first.extend([before.clone(), after.clone()]);
    let late = street_folding(&[steps_first, config]);
    assert_eq!(
        state(&late),
        state(&reference),
        "the demotion arriving last"
    );

    // Any order, any pages.
    let mut rng = rng(22);
    for _ in 0..30 {
        let mut shuffled = all.clone();
        shuffled.shuffle(&mut rng);
        let pages: Vec<Vec<Event>> = shuffled.chunks(3).map(<[Event]>::to_vec).collect();
        assert_eq!(state(&street_folding(&pages)), state(&reference));
    }
    let mut rebuilt = street_folding(std::slice::from_ref(&all));
    rebuilt.rebuild_projections().unwrap();
    assert_eq!(state(&rebuilt), state(&reference), "rebuilt from the log");
}

#[test]
fn a_closed_accounts_later_steps_are_conflicts() {
    let (mut s, clock, _, worker) = office_a();
    let case = s.receive(parking_case("楼道堆物")).unwrap();
    clock.advance(60_000);
    s.remove_account(worker).unwrap();
    let late = step_by(
        worker,
        &case.id.to_string(),
        clock.now_ms() + 60_000,
        note("账号已关闭", false),
    );
    let mut all = log_of(&s);
    all.push(late.clone());
    let street = street_folding(&[all]);
    let reasons = conflict_reasons(&street);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("was closed"), "{}", reasons[0]);
    // On office a's own PC too, where the account was closed.
    s.apply_remote(&[late]).unwrap();
    assert!(conflict_reasons(&s)[0].contains("was closed"));
}

#[test]
fn an_account_its_office_never_had_cannot_write_its_cases() {
    let (s, clock, _, _) = office_a();
    let stranger = Uuid::now_v7();
    let stream = Uuid::now_v7().to_string();
    let opened = step_by(
        stranger,
        &stream,
        clock.now_ms() + 60_000,
        intake("261201A10001", clock.now_ms()),
    );
    let street = street_folding(&[log_of(&s), vec![opened]]);
    assert!(street.all_cases().unwrap().is_empty(), "no case opened");
    let reasons = conflict_reasons(&street);
    assert!(
        reasons[0].contains("was not an account of office a"),
        "{reasons:?}"
    );
}

#[test]
fn a_viewer_cannot_file_a_case_from_another_pc() {
    let (mut s, clock, _, _) = office_a();
    let viewer = s
        .add_account(account_form("zhao", "赵", Role::Viewer))
        .unwrap()
        .id;
    let opened = step_by(
        viewer,
        &Uuid::now_v7().to_string(),
        clock.now_ms() + 60_000,
        intake("261201A10002", clock.now_ms()),
    );
    let street = street_folding(&[log_of(&s), vec![opened]]);
    assert!(street.all_cases().unwrap().is_empty());
    assert!(conflict_reasons(&street)[0].contains("was viewer"));
}

#[test]
fn a_worker_cannot_schedule_a_meeting_from_another_pc() {
    let (mut s, clock, _, worker) = office_a();
    let host = s
        .add_account(account_form("wang", "王", Role::Host))
        .unwrap()
        .id;
    let meeting = s
        .schedule_meeting(meeting_info(MeetingKind::Council))
        .unwrap();
    let scheduled = log_of(&s)
        .into_iter()
        .find(|e| e.stream == meeting.id.to_string())
        .unwrap();
    let at = clock.now_ms() + 60_000;
    let as_worker = Event {
        id: Uuid::now_v7(),
        stream: Uuid::now_v7().to_string(),
        ..step_by(worker, "", at, scheduled.body.clone())
    };
    let as_host = Event {
        id: Uuid::now_v7(),
        stream: Uuid::now_v7().to_string(),
        ..step_by(host, "", at, scheduled.body.clone())
    };
    let street = street_folding(&[log_of(&s), vec![as_worker.clone(), as_host.clone()]]);
    let held: Vec<String> = street
        .all_meetings()
        .unwrap()
        .iter()
        .map(|m| m.id.to_string())
        .collect();
    assert!(held.contains(&as_host.stream), "a host schedules meetings");
    assert!(!held.contains(&as_worker.stream), "a worker does not");
    let reasons = conflict_reasons(&street);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("was worker"));
}

#[test]
fn a_demoted_administrators_calendar_applies_nowhere() {
    let (mut s, clock, _, _) = office_a();
    let second = s
        .add_account(account_form("wang", "王", Role::Admin))
        .unwrap()
        .id;
    clock.advance(60_000);
    s.set_role(second, Role::Worker).unwrap();
    let day = step_by(
        second,
        CONFIG_STREAM,
        clock.now_ms() + 60_000,
        EventBody::CalendarDaySet {
            date: "2026-12-07".into(),
            working: false,
        },
    );
    s.apply_remote(&[day]).unwrap();
    let reasons = conflict_reasons(&s);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("was worker"), "{}", reasons[0]);
    assert!(
        s.calendar()
            .is_working_day(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
        "the day stays a working day"
    );
}

#[test]
fn steps_naming_no_account_still_fold() {
    // The server's Open311 channel files for the office with no account: the seal names it.
    let (s, clock, _, _) = office_a();
    let stream = Uuid::now_v7().to_string();
    let opened = forged(
        &stream,
        clock.now_ms() + 60_000,
        "a",
        OTHER_PC,
        intake("261201A10003", clock.now_ms()),
    );
    let street = street_folding(&[log_of(&s), vec![opened]]);
    assert_eq!(street.all_cases().unwrap().len(), 1);
    assert_eq!(conflict_reasons(&street), Vec::<String>::new());
}

#[test]
fn an_account_demoted_on_another_pc_writes_no_more_here_and_a_closed_one_is_signed_out() {
    let (mut s, clock, admin, worker) = office_a();
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
    s.receive(parking_case("先办一件")).unwrap();
    // The administrator, at another PC of the office, makes the worker a viewer.
    let mut demote = step_by(
        admin.account,
        CONFIG_STREAM,
        clock.now_ms() + 1_000,
        EventBody::AccountRoleSet {
            account: worker,
            role: Role::Viewer,
        },
    );
    s.apply_remote(&[demote.clone()]).unwrap();
    assert_eq!(s.session().unwrap().role, Role::Viewer);
    let refused = s.receive(parking_case("降级后再办")).unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
    demote.id = Uuid::now_v7();
    demote.hlc.wall_ms += 1_000;
    demote.body = EventBody::AccountRemoved { account: worker };
    s.apply_remote(&[demote]).unwrap();
    assert!(s.session().is_none(), "the closed account is signed out");
    assert!(matches!(
        s.receive(parking_case("关闭后")).unwrap_err(),
        Error::SignInRequired
    ));
}

#[test]
fn a_store_folded_before_roles_were_checked_folds_the_refused_steps_again_on_upgrade() {
    let (mut s, clock, dir) = file_store_at(MONDAY_9AM);
    s.set_identity("a", "a办", "李书记").unwrap();
    s.set_directory(&org()).unwrap();
    s.create_first_admin("a办", account_form("li", "李书记", Role::Admin))
        .unwrap();
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap()
        .id;
    let case = s.receive(parking_case("升级前的案件")).unwrap();
    clock.advance(60_000);
    s.set_role(worker, Role::Viewer).unwrap();
    let after = step_by(
        worker,
        &case.id.to_string(),
        clock.now_ms() + 60_000,
        note("降为查看后仍在办理", false),
    );
    drop(s);
    let db = dir.path().join(store::DB_FILE);
    // As version 21 folded it: no account history, so the step applied.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("DELETE FROM account_roles")
        .unwrap();
    let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    s.apply_remote(std::slice::from_ref(&after)).unwrap();
    assert_eq!(s.case(case.id).unwrap().conflict_count, 0);
    drop(s);
    // What v22 leaves in a store it upgrades: the history empty, the flag for the next
    // opening set. (Setting the version back to 21 instead ran v24's copy again over a log
    // already kept as bytes, a state no store is in, where a random link's bytes can read as
    // malformed text: it failed one CI run.)
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "DELETE FROM account_roles;
             INSERT OR REPLACE INTO meta (key, value) VALUES ('check_accounts', '1');",
        )
        .unwrap();
    let s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    assert_eq!(s.case(case.id).unwrap().conflict_count, 1);
    assert_eq!(
        s.conflicts().unwrap(),
        vec![(after.id.to_string(), conflict_reasons(&s).remove(0))]
    );
    assert!(conflict_reasons(&s)[0].contains("was viewer"));
}

/// Pages as a server would send them, numbered from `first_seq`.
fn pages_from(events: &[Event], first_seq: i64, more: bool) -> wire::PullResponse {
    wire::PullResponse {
        events: events
            .iter()
            .enumerate()
            .map(|(i, e)| wire::Pulled {
                received_ms: e.hlc.wall_ms,
                seq: first_seq + i as i64,
                event: e.clone(),
            })
            .collect(),
        next: first_seq + events.len() as i64,
        more,
        remaining: 0,
        server_time: MONDAY_9AM,
        keys: Default::default(),
    }
}

#[test]
fn a_bulk_sync_settles_under_the_roles_its_pages_bring_and_a_late_demotion_refolds() {
    let (office, before, after, _) = demotion_story();
    let mut all = office.clone();
    all.extend([before.clone(), after.clone()]);
    let reference = street_folding(std::slice::from_ref(&all));

    // A first sync: everything in bulk pages, folded once at the end.
    let (mut first, _) = office_store("s1");
    first.apply_pull_bulk(&pages_from(&all, 1, false)).unwrap();
    first.settle().unwrap();
    assert_eq!(state(&first), state(&reference));

    // The demotion in a later bulk page, after the case was settled without it: the settle
    // folds the configuration, and the case it now judges differently, again.
    let (demotion, rest): (Vec<Event>, Vec<Event>) = all
        .iter()
        .cloned()
        .partition(|e| matches!(e.body, EventBody::AccountRoleSet { .. }));
    let (mut late, _) = office_store("s1");
    late.apply_pull_bulk(&pages_from(&rest, 1, true)).unwrap();
    late.settle().unwrap();
    assert_eq!(conflict_reasons(&late), Vec::<String>::new());
    late.apply_pull_bulk(&pages_from(&demotion, 1 + rest.len() as i64, false))
        .unwrap();
    late.settle().unwrap();
    assert_eq!(state(&late), state(&reference));
}
