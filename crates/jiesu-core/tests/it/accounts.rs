//! Accounts and roles: the first administrator, signing in and out, the idle lock, the
//! permission table held to every command and role, the last administrator, and account
//! events from other PCs folded under the same rules.

use jiesu_core::access::{self, Act, NewAccount, Role, Session};
use jiesu_core::event::CONFIG_STREAM;
use jiesu_core::*;
use strum::VariantArray;
use uuid::Uuid;

use super::common::*;

const ADMIN_PASSWORD: &str = "和美-admin-2026";

/// A store whose office has an administrator (signed in), as the app's first run leaves it.
fn office_with_admin() -> (Store, ManualClock, Session) {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    // An enrolled office's PC (office `a` of the common directory).
    s.set_identity("a", "和美社区", "李书记").unwrap();
    s.require_sign_in();
    let admin = s
        .create_first_admin(
            "和美社区",
            NewAccount {
                login: "li".into(),
                name: "李书记".into(),
                role: Role::Admin,
                password: ADMIN_PASSWORD.into(),
            },
        )
        .unwrap();
    (s, clock, admin)
}

fn events(s: &Store) -> u32 {
    s.stats().unwrap().events
}

#[test]
fn before_the_first_administrator_the_app_store_refuses_every_command() {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock)).unwrap();
    s.require_sign_in();
    let err = s.receive(parking_case("楼道漏水")).unwrap_err();
    assert_eq!(err.code(), Code::SignInRequired, "{err}");
    assert_eq!(s.add_unit("物业").unwrap_err().code(), Code::SignInRequired);
    assert_eq!(events(&s), 0);
    assert!(!s.has_accounts().unwrap());
}

#[test]
fn the_first_run_makes_an_administrator_whose_steps_carry_the_account() {
    let (mut s, _, admin) = office_with_admin();
    assert_eq!(admin.role, Role::Admin);
    assert!(s.has_accounts().unwrap());
    let case = s.receive(parking_case("27栋门口停车难")).unwrap();
    let detail = s.case_detail(case.id).unwrap();
    let ev = &detail.timeline[0].event;
    assert_eq!(ev.account, Some(admin.account));
    assert_eq!(ev.author, "李书记");
    // The account's opening, its sign-in: traced in the config stream, as that account.
    let config: Vec<_> = s
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.stream == CONFIG_STREAM)
        .collect();
    let kinds: Vec<&str> = config.iter().map(|e| e.body.kind()).collect();
    assert_eq!(kinds, ["account_added", "signed_in"]);
    assert!(config.iter().all(|e| e.account == Some(admin.account)));
    // A second first run is refused.
    let again = s
        .create_first_admin("和美社区", account_form("wang", "王", Role::Admin))
        .unwrap_err();
    assert_eq!(again.code(), Code::InvalidInput);
}

#[test]
fn a_wrong_password_and_an_unknown_login_get_the_same_answer() {
    let (mut s, _, _) = office_with_admin();
    s.sign_out(false).unwrap();
    let wrong = s.sign_in("li", "not-the-password").unwrap_err();
    let unknown = s.sign_in("nobody", ADMIN_PASSWORD).unwrap_err();
    assert_eq!(wrong.code(), Code::SignInFailed);
    assert_eq!(wrong.to_wire(), unknown.to_wire());
    assert!(s.session().is_none());
    // The login is compared as typed at the screen: case and spaces do not matter.
    let ok = s.sign_in(" LI ", ADMIN_PASSWORD).unwrap();
    assert_eq!(ok.login, "li");
}

#[test]
fn nobody_signed_in_reads_and_writes_nothing() {
    let (mut s, _, _) = office_with_admin();
    s.sign_out(false).unwrap();
    let before = events(&s);
    assert_eq!(
        s.receive(parking_case("噪音")).unwrap_err().code(),
        Code::SignInRequired
    );
    assert_eq!(s.signed_in().unwrap_err().code(), Code::SignInRequired);
    assert_eq!(events(&s), before);
}

#[test]
fn the_idle_time_ends_the_session_and_a_command_keeps_it_alive() {
    let (mut s, clock, _) = office_with_admin();
    assert_eq!(s.idle_minutes().unwrap(), access::DEFAULT_IDLE_MINUTES);
    clock.advance(14 * 60_000);
    s.receive(parking_case("楼道灯坏了")).unwrap();
    clock.advance(14 * 60_000);
    s.receive(parking_case("垃圾桶满了")).unwrap();
    clock.advance(15 * 60_000 + 1);
    let err = s.receive(parking_case("晚了")).unwrap_err();
    assert_eq!(err.code(), Code::SignInRequired);
    assert!(s.session().is_none(), "the session ended");
    // The office may set another idle time.
    s.sign_in("li", ADMIN_PASSWORD).unwrap();
    s.set_idle_minutes(5).unwrap();
    clock.advance(5 * 60_000 + 1);
    assert_eq!(s.signed_in().unwrap_err().code(), Code::SignInRequired);
    s.sign_in("li", ADMIN_PASSWORD).unwrap();
    assert_eq!(
        s.set_idle_minutes(0).unwrap_err().code(),
        Code::InvalidInput
    );
}

/// One command of the app, with what it writes or the act it needs.
struct Command {
    name: &'static str,
    needs: Need,
    run: fn(&mut Store, &Fixture) -> Result<()>,
}

enum Need {
    Write(&'static str),
    Needs(Act),
}

/// What the commands act on, made by the administrator beforehand.
struct Fixture {
    case: Uuid,
    meeting: Uuid,
    reception: Uuid,
    other: Uuid,
}

fn commands() -> Vec<Command> {
    let c = |name, needs, run| Command { name, needs, run };
    use Need::*;
    vec![
        c("receive", Write("case_received"), |s, _| {
            s.receive(parking_case("新案件")).map(drop)
        }),
        c("dispatch", Write("case_dispatched"), |s, f| {
            let unit = s.units()?[0].code.clone();
            s.act(
                f.case,
                CaseCommand::Dispatch {
                    unit,
                    note: String::new(),
                },
            )
            .map(drop)
        }),
        c("note", Write("case_noted"), |s, f| {
            s.act(
                f.case,
                CaseCommand::Note {
                    text: "电话联系了居民".into(),
                    contacted_resident: true,
                    public: false,
                },
            )
            .map(drop)
        }),
        c("urge", Write("case_urged"), |s, f| {
            s.act(
                f.case,
                CaseCommand::Urge {
                    note: "请加快".into(),
                },
            )
            .map(drop)
        }),
        c("link", Write("case_linked"), |s, f| {
            let other = s.case(f.other)?.number;
            s.act(f.case, CaseCommand::Link { other }).map(drop)
        }),
        c("schedule", Write("meeting_scheduled"), |s, _| {
            s.schedule_meeting(meeting_info(MeetingKind::Council))
                .map(drop)
        }),
        c("agenda", Write("agenda_item_added"), |s, f| {
            s.meeting_act(
                f.meeting,
                MeetingCommand::AddAgenda {
                    title: "停车位分配".into(),
                },
            )
            .map(drop)
        }),
        c("sign-in sheet", Write("attendee_added"), |s, f| {
            s.meeting_act(
                f.meeting,
                MeetingCommand::AddAttendee {
                    name: "张大爷".into(),
                    role: AttendeeRole::Resident,
                    organisation: "27栋".into(),
                    phone: String::new(),
                    signed_in: true,
                },
            )
            .map(drop)
        }),
        c("reception visitor", Write("meeting_case_opened"), |s, f| {
            s.capture_visitor(
                f.reception,
                VisitorForm {
                    name: "王阿姨".into(),
                    phone: "13800138000".into(),
                    address: Address::default(),
                    category: "housing.leak.roof".into(),
                    description: "接访日反映楼顶漏水".into(),
                    outcome: VisitorOutcome::Registered,
                },
            )
            .map(drop)
        }),
        c("unit", Write("unit_added"), |s, _| {
            s.add_unit("新物业").map(drop)
        }),
        c("calendar", Write("calendar_day_set"), |s, _| {
            s.set_calendar_day("2027-02-06", true)
        }),
        c("figures", Write("figure_settings_set_v2"), |s, _| {
            let fs = s.figure_settings()?;
            s.set_figure_settings(fs).map(drop)
        }),
        c("accounts", Needs(Act::ManageAccounts), |s, _| {
            s.accounts().map(drop)
        }),
        c("add account", Needs(Act::ManageAccounts), |s, _| {
            s.add_account(account_form("zhao", "赵", Role::Worker))
                .map(drop)
        }),
        c("photo", Needs(Act::AttachPhotos), |s, _| {
            s.save_attachment("a.jpg", b"jpeg").map(drop)
        }),
        c("enrol", Needs(Act::ManageSync), |s, _| {
            s.check_can_enrol("http://street.example")
        }),
    ]
}

#[test]
fn every_command_is_allowed_or_refused_as_the_table_says_and_a_refusal_writes_nothing() {
    for role in Role::VARIANTS {
        let (mut s, _, _) = office_with_admin();
        let fixture = Fixture {
            case: s.receive(parking_case("停车难")).unwrap().id,
            other: s.receive(parking_case("又是停车难")).unwrap().id,
            meeting: s
                .schedule_meeting(meeting_info(MeetingKind::Council))
                .unwrap()
                .id,
            reception: s
                .schedule_meeting(meeting_info(MeetingKind::ReceptionDay))
                .unwrap()
                .id,
        };
        s.add_account(account_form("who", "某人", *role)).unwrap();
        s.sign_out(false).unwrap();
        s.sign_in("who", "who-password").unwrap();
        for cmd in commands() {
            let allowed = match cmd.needs {
                Need::Write(kind) => access::may_write(*role, kind),
                Need::Needs(act) => access::may(*role, act),
            };
            let before = events(&s);
            let result = (cmd.run)(&mut s, &fixture);
            match (&result, allowed) {
                (Err(e), false) => {
                    assert_eq!(e.code(), Code::Forbidden, "{role:?} {}: {e}", cmd.name);
                    assert_eq!(events(&s), before, "{role:?} {}: wrote", cmd.name);
                }
                // Allowed: it may still fail on its own terms (an in-memory store keeps no
                // photo), never on the role's.
                (Err(e), true) => {
                    assert_ne!(e.code(), Code::Forbidden, "{role:?} {}: {e}", cmd.name);
                    assert_ne!(e.code(), Code::SignInRequired, "{role:?} {}", cmd.name);
                }
                (Ok(()), true) => {}
                (Ok(()), false) => panic!("{role:?} was allowed {}", cmd.name),
            }
        }
    }
}

#[test]
fn a_viewer_reads_every_case_but_writes_nothing() {
    let (mut s, _, _) = office_with_admin();
    let case = s.receive(parking_case("停车难")).unwrap();
    s.add_account(account_form("kan", "街道督查", Role::Viewer))
        .unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("kan", "kan-password").unwrap();
    assert_eq!(s.case_detail(case.id).unwrap().case.id, case.id);
    assert_eq!(s.list_cases(&CaseQuery::default()).unwrap().rows.len(), 1);
    let err = s
        .act(
            case.id,
            CaseCommand::Urge {
                note: "请加快".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), Code::Forbidden);
    assert_eq!(err.to_wire().params["role"], "viewer");
    assert_eq!(err.to_wire().params["action"], "case_urged");
}

#[test]
fn the_last_administrator_cannot_be_removed_or_demoted() {
    let (mut s, _, admin) = office_with_admin();
    let reason = |e: Error| e.to_wire().params["reason"].clone();
    assert_eq!(
        reason(s.remove_account(admin.account).unwrap_err()),
        "last_admin"
    );
    assert_eq!(
        reason(s.set_role(admin.account, Role::Worker).unwrap_err()),
        "last_admin"
    );
    let second = s
        .add_account(account_form("wang", "王主任", Role::Admin))
        .unwrap();
    s.set_role(admin.account, Role::Worker).unwrap();
    assert_eq!(
        s.session().unwrap().role,
        Role::Worker,
        "the session follows"
    );
    // Now a worker: it manages nothing, and the other administrator is the last one.
    assert_eq!(s.accounts().unwrap_err().code(), Code::Forbidden);
    s.sign_out(false).unwrap();
    s.sign_in("wang", "wang-password").unwrap();
    assert_eq!(
        reason(s.remove_account(second.id).unwrap_err()),
        "last_admin"
    );
}

#[test]
fn an_administrator_resets_a_forgotten_password_and_the_old_one_stops_working() {
    let (mut s, _, admin) = office_with_admin();
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    s.set_password(worker.id, None, "a-new-password").unwrap();
    s.sign_out(false).unwrap();
    assert_eq!(
        s.sign_in("zhang", "zhang-password").unwrap_err().code(),
        Code::SignInFailed
    );
    s.sign_in("zhang", "a-new-password").unwrap();
    // One's own: with the current password; another's: never, as a worker.
    assert_eq!(
        s.set_password(worker.id, Some("wrong"), "another-one")
            .unwrap_err()
            .code(),
        Code::SignInFailed
    );
    s.set_password(worker.id, Some("a-new-password"), "another-one")
        .unwrap();
    assert_eq!(
        s.set_password(admin.account, None, "taken-over!")
            .unwrap_err()
            .code(),
        Code::Forbidden
    );
    assert_eq!(
        s.set_password(worker.id, Some("another-one"), "short")
            .unwrap_err()
            .to_wire()
            .params["reason"],
        "password_too_short"
    );
}

#[test]
fn a_closed_account_cannot_sign_in_and_its_steps_stay_its_own() {
    let (mut s, _, _) = office_with_admin();
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
    let case = s.receive(parking_case("楼道漏水")).unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("li", ADMIN_PASSWORD).unwrap();
    s.remove_account(worker.id).unwrap();
    s.sign_out(false).unwrap();
    assert_eq!(
        s.sign_in("zhang", "zhang-password").unwrap_err().code(),
        Code::SignInFailed
    );
    s.sign_in("li", ADMIN_PASSWORD).unwrap();
    let ev = &s.case_detail(case.id).unwrap().timeline[0].event;
    assert_eq!((ev.account, ev.author.as_str()), (Some(worker.id), "张"));
    let listed = s.accounts().unwrap();
    assert!(listed.iter().any(|a| a.id == worker.id && !a.active));
}

#[test]
fn a_typed_name_cannot_stand_in_for_an_account() {
    let (mut s, _, _) = office_with_admin();
    let err = s.act_as("王干事").unwrap_err();
    assert_eq!(err.code(), Code::Forbidden);
    let case = s.receive(parking_case("噪音")).unwrap();
    assert_eq!(
        s.case_detail(case.id).unwrap().timeline[0].event.author,
        "李书记"
    );
}

#[test]
fn passwords_and_their_hashes_never_reach_the_log() {
    let (mut s, _, _) = office_with_admin();
    let w = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    s.set_password(w.id, None, "secret-reset-pw").unwrap();
    let log = serde_json::to_string(&s.events_after(0, 1000).unwrap()).unwrap();
    for needle in [
        ADMIN_PASSWORD,
        "zhang-password",
        "secret-reset-pw",
        "$argon2",
    ] {
        assert!(!log.contains(needle), "{needle} is in the log");
    }
}

/// Account events as another PC of the same office would send them.
fn from_another_pc(s: &Store, author: Option<Uuid>, body: EventBody) -> Event {
    let mut ev = forged(
        CONFIG_STREAM,
        s.now_ms() + 1_000,
        &s.identity().office,
        "7d1c0f0e-7b55-4b8e-9d43-0000000000aa",
        body,
    );
    ev.account = author;
    ev
}

#[test]
fn an_account_added_by_a_non_administrator_counts_for_nothing() {
    let (mut s, _, admin) = office_with_admin();
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    let forged_admin = Uuid::now_v7();
    let ev = from_another_pc(
        &s,
        Some(worker.id),
        EventBody::AccountAdded {
            account: forged_admin,
            login: "boss".into(),
            name: "假管理员".into(),
            role: Role::Admin,
        },
    );
    s.apply_remote(&[ev]).unwrap();
    assert!(!s.accounts().unwrap().iter().any(|a| a.id == forged_admin));
    assert!(
        conflict_reasons(&s)
            .iter()
            .any(|r| r.contains("only an administrator adds accounts"))
    );
    // And the worker cannot make itself an administrator either.
    let ev = from_another_pc(
        &s,
        Some(worker.id),
        EventBody::AccountRoleSet {
            account: worker.id,
            role: Role::Admin,
        },
    );
    s.apply_remote(&[ev]).unwrap();
    let listed = s.accounts().unwrap();
    let w = listed.iter().find(|a| a.id == worker.id).unwrap();
    assert_eq!(w.role, Role::Worker);
    assert_eq!(s.session().unwrap().account, admin.account);
}

#[test]
fn another_offices_administrator_cannot_touch_our_accounts() {
    let (mut s, _, admin) = office_with_admin();
    let worker = s
        .add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    // An administrator of office b (opening itself there, then acting on our worker).
    let theirs = Uuid::now_v7();
    let mut open = forged(
        CONFIG_STREAM,
        s.now_ms() + 1_000,
        "b",
        "7d1c0f0e-7b55-4b8e-9d43-0000000000bb",
        EventBody::AccountAdded {
            account: theirs,
            login: "b-admin".into(),
            name: "别的社区".into(),
            role: Role::Admin,
        },
    );
    open.account = Some(theirs);
    let mut close = open.clone();
    close.id = Uuid::now_v7();
    close.hlc.wall_ms += 1;
    close.body = EventBody::AccountRemoved { account: worker.id };
    let mut take = close.clone();
    take.id = Uuid::now_v7();
    take.hlc.wall_ms += 1;
    take.body = EventBody::AccountRemoved {
        account: admin.account,
    };
    s.apply_remote(&[open, close, take]).unwrap();
    let listed = s.accounts().unwrap();
    assert!(listed.iter().all(|a| a.active), "{listed:?}");
    assert!(
        !listed.iter().any(|a| a.id == theirs),
        "not ours to sign in"
    );
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
}

#[test]
fn a_sign_in_from_an_unknown_account_is_kept_as_a_conflict() {
    let (mut s, _, _) = office_with_admin();
    let ev = from_another_pc(&s, Some(Uuid::now_v7()), EventBody::SignedIn {});
    s.apply_remote(&[ev]).unwrap();
    assert!(
        conflict_reasons(&s)
            .iter()
            .any(|r| r.contains("no such account"))
    );
}

#[test]
fn accounts_made_before_enrolment_still_sign_in_after_it() {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.require_sign_in();
    s.create_first_admin("和美社区", account_form("li", "李书记", Role::Admin))
        .unwrap();
    s.add_account(account_form("zhang", "张", Role::Worker))
        .unwrap();
    s.enrol(
        "http://street.example",
        &wire::EnrolResponse {
            credential: "c".into(),
            office: org()[3].clone(),
            device_tag: "A1".into(),
            server_time: clock.now_ms(),
        },
    )
    .unwrap();
    assert_eq!(s.identity().office, "a");
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("li", "li-password").unwrap();
    assert_eq!(s.accounts().unwrap().len(), 2);
    // A worker added now belongs to the same office as those before.
    s.add_account(account_form("wang", "王", Role::Host))
        .unwrap();
    assert_eq!(s.accounts().unwrap().len(), 3);
    assert_eq!(conflict_reasons(&s), Vec::<String>::new());
}

#[test]
fn what_the_window_polls_on_its_own_does_not_keep_a_session_alive() {
    let (mut s, clock, _) = office_with_admin();
    for _ in 0..15 {
        clock.advance(60_000);
        s.signed_in_unattended().unwrap();
    }
    clock.advance(1);
    assert_eq!(
        s.signed_in_unattended().unwrap_err().code(),
        Code::SignInRequired
    );
    assert!(s.session().is_none());
}

#[test]
fn a_clock_corrected_by_years_mid_session_is_not_idle_time() {
    // The app's clock: the PC's, corrected by the server's once it answers.
    let clock = CorrectedClock::new(0);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.require_sign_in();
    s.create_first_admin("和美社区", account_form("li", "李书记", Role::Admin))
        .unwrap();
    // A PC seven years behind learns the server's time.
    clock.set_offset_ms(7 * YEAR);
    s.receive(parking_case("时钟校正之后")).unwrap();
    assert!(s.session().is_some());
}

#[test]
fn the_first_run_with_the_sample_dates_its_cases_months_back_then_opens_the_administrator() {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.require_sign_in();
    // A bad form is refused before a single sample case is written.
    let mut bad = account_form("li", "李书记", Role::Admin);
    bad.password = "short".into();
    assert_eq!(
        s.first_run("和美社区", bad, true).unwrap_err().code(),
        Code::InvalidInput
    );
    assert_eq!(events(&s), 0);
    let admin = s
        .first_run("和美社区", account_form("li", "李书记", Role::Admin), true)
        .unwrap();
    assert_eq!(s.session().map(|x| x.account), Some(admin.account));
    let cases = s.all_cases().unwrap();
    assert!(cases.len() > 500);
    let earliest = cases.iter().map(|c| c.received_at).min().unwrap();
    assert!(
        earliest < MONDAY_9AM - 90 * DAY,
        "the sample spans months: earliest {earliest}"
    );
    assert!(s.has_accounts().unwrap());
}
