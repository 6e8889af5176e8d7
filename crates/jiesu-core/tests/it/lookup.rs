//! The resident's lookup code and receipt, and what of a case the public may see: the code is
//! issued with the intake and kept only here, the log holds only its hash, a new code replaces
//! the old, only the roles that file cases read it, and a note marked public is the only note
//! the public rule lets through.

use jiesu_core::access::{NewAccount, Role};
use jiesu_core::event::EventBody;
use jiesu_core::*;
use jiesu_protocol::public::{PublicCase, Step, lookup_hash};

use super::common::*;

fn code_hashes(s: &Store, case: uuid::Uuid) -> Vec<String> {
    s.case_detail(case)
        .unwrap()
        .timeline
        .iter()
        .filter_map(|t| match &t.event.body {
            EventBody::CaseLookupCodeSet { hash } => Some(hash.clone()),
            _ => None,
        })
        .collect()
}

fn digits(code: &str) -> String {
    code.replace(' ', "")
}

#[test]
fn an_intake_gets_a_code_whose_hash_alone_is_in_the_log() {
    let (mut s, _) = store_at(test_now());
    let c = s.receive(parking_case("楼下停车堵住消防通道")).unwrap();
    let receipt = s.receipt(&c.number).unwrap();
    assert_eq!(receipt.number, c.number);
    let code = digits(receipt.code.as_deref().expect("a code"));
    assert_eq!(code.len(), 8);
    assert_eq!(code_hashes(&s, c.id), vec![lookup_hash(c.id, &code)]);
    // Not in any event: a replica (the server, a street) sees the hash only.
    let log: String = s
        .events_after(0, u32::MAX)
        .unwrap()
        .iter()
        .map(|(_, e)| serde_json::to_string(e).unwrap())
        .collect();
    assert!(!log.contains(&code), "the code is in the log");
    // The code is the store's, not the projection's: a rebuild keeps it.
    s.rebuild_projections().unwrap();
    assert_eq!(
        s.receipt(&c.id.to_string()).unwrap().code,
        receipt.code,
        "kept across a rebuild"
    );
    assert_eq!(
        receipt.lookup_url, None,
        "not enrolled: no address to print"
    );
}

#[test]
fn a_code_issued_again_replaces_the_old_one() {
    let (mut s, _) = store_at(test_now());
    let c = s.receive(parking_case("楼道漏水")).unwrap();
    let first = digits(&s.receipt(&c.number).unwrap().code.unwrap());
    let again = s.issue_lookup_code(&c.number).unwrap();
    let second = digits(again.code.as_deref().unwrap());
    assert_ne!(first, second);
    assert_eq!(
        code_hashes(&s, c.id),
        vec![lookup_hash(c.id, &first), lookup_hash(c.id, &second)]
    );
    assert_eq!(s.receipt(&c.number).unwrap().code, again.code);
    // A case unknown here is named as such, and nothing is written.
    let before = s.stats().unwrap().events;
    assert!(s.issue_lookup_code("no-such-case").is_err());
    assert_eq!(s.stats().unwrap().events, before);
}

#[test]
fn a_case_pulled_from_another_pc_has_no_code_here_until_one_is_issued() {
    let (mut a, _) = store_at(test_now());
    let (mut b, _) = store_at(test_now() + 5);
    let c = a.receive(parking_case("停车难")).unwrap();
    let events: Vec<_> = a
        .events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    b.apply_remote(&events).unwrap();
    assert_eq!(b.receipt(&c.number).unwrap().code, None);
    let issued = b.issue_lookup_code(&c.number).unwrap();
    assert!(issued.code.is_some());
    assert_eq!(code_hashes(&b, c.id).len(), 2);
}

#[test]
fn only_the_roles_that_file_cases_read_or_issue_a_code() {
    let clock = ManualClock::new(MONDAY_9AM);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.set_identity("a", "和美社区", "李书记").unwrap();
    s.require_sign_in();
    s.create_first_admin(
        "和美社区",
        NewAccount {
            login: "li".into(),
            name: "李书记".into(),
            role: Role::Admin,
            password: "和美-admin-2026".into(),
        },
    )
    .unwrap();
    s.add_account(NewAccount {
        login: "kan".into(),
        name: "街道督查".into(),
        role: Role::Viewer,
        password: "kan-password".into(),
    })
    .unwrap();
    let c = s.receive(parking_case("停车难")).unwrap();
    assert!(s.receipt(&c.number).unwrap().code.is_some());
    s.sign_in("kan", "kan-password").unwrap();
    let before = s.stats().unwrap().events;
    for err in [
        s.receipt(&c.number).unwrap_err(),
        s.issue_lookup_code(&c.number).unwrap_err(),
    ] {
        assert_eq!(err.code(), Code::Forbidden, "{err}");
    }
    // The sign-in is the only thing written.
    assert_eq!(s.stats().unwrap().events, before);
}

#[test]
fn only_a_note_marked_public_reaches_the_public_view() {
    let (mut s, _) = store_at(test_now());
    let c = s.receive(parking_case("楼道漏水")).unwrap();
    for (text, public) in [
        ("业主情绪激动，内部掌握", false),
        ("已约维修师傅明早上门", true),
    ] {
        s.act(
            c.id,
            CaseCommand::Note {
                text: text.into(),
                contacted_resident: false,
                public,
            },
        )
        .unwrap();
    }
    let events: Vec<_> = s
        .case_detail(c.id)
        .unwrap()
        .timeline
        .into_iter()
        .map(|t| t.event)
        .collect();
    assert_eq!(events[3].body.kind(), "case_noted_public");
    let public = PublicCase::fold(&events, &|_| None).unwrap();
    let texts: Vec<_> = public
        .steps
        .iter()
        .filter_map(|st| match &st.what {
            Step::Progress { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["已约维修师傅明早上门"]);
    let json = serde_json::to_string(&public).unwrap();
    for secret in ["内部掌握", "楼道漏水", &c.resident.phone, &c.resident.name] {
        assert!(!json.contains(secret), "{secret}: {json}");
    }
}
