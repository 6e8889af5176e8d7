//! Residents' personal information: masked by role everywhere the core shows or exports a
//! case, shown in full only on purpose and then written to the access log; search by phone
//! still works.

use jiesu_core::access::{NewAccount, Role};
use jiesu_core::privacy::PersonalField;
use jiesu_core::*;

use super::common::*;

const PHONE: &str = "13912345678";
const NAME: &str = "王秀英";

fn intake() -> NewCase {
    let mut c = parking_case("27栋楼下消防通道被占用");
    c.resident.name = NAME.into();
    c.resident.phone = PHONE.into();
    c.address.building = "27栋".into();
    c.address.unit = "2单元".into();
    c.address.room = "301室".into();
    c
}

/// An office with a case filed by its administrator, then `login` (of `role`) signed in.
fn office_as(role: Role) -> (Store, ManualClock, tempfile::TempDir, Case) {
    let (mut s, clock, dir) = file_store_at(MONDAY_9AM);
    s.require_sign_in();
    s.create_first_admin(
        "和美社区",
        NewAccount {
            login: "li".into(),
            name: "李书记".into(),
            role: Role::Admin,
            password: "li-password".into(),
        },
    )
    .unwrap();
    let case = s.receive(intake()).unwrap();
    s.add_account(NewAccount {
        login: "who".into(),
        name: "某人".into(),
        role,
        password: "who-password".into(),
    })
    .unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("who", "who-password").unwrap();
    (s, clock, dir, case)
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn a_worker_sees_the_number_masked_wherever_a_case_is_shown() {
    let (s, _, _dir, case) = office_as(Role::Worker);
    let detail = s.case_detail(case.id).unwrap();
    assert_eq!(detail.case.resident.phone, "139****5678");
    assert_eq!(detail.case.resident.name, NAME, "a handler sees the name");
    assert_eq!(detail.case.address.room, "301室");
    // The trace carries the intake too: masked the same.
    let page = json(&detail);
    assert!(!page.contains(PHONE), "{page}");
    let list = s.list_cases(&CaseQuery::default()).unwrap();
    assert_eq!(list.rows[0].resident_name, NAME);
    let hint = s.find_resident(PHONE).unwrap().unwrap();
    assert_eq!(hint.resident.phone, "139****5678");
    assert!(!json(&s.desk().unwrap()).contains(PHONE));
}

#[test]
fn a_viewer_sees_names_to_their_first_character_and_no_room() {
    let (s, _, _dir, case) = office_as(Role::Viewer);
    let detail = s.case_detail(case.id).unwrap();
    assert_eq!(detail.case.resident.name, "王**");
    assert_eq!(detail.case.resident.phone, "139****5678");
    assert_eq!(detail.case.address.room, "");
    assert_eq!(detail.case.address.building, "27栋");
    let page = json(&detail);
    assert!(!page.contains(NAME) && !page.contains(PHONE), "{page}");
    let list = s.list_cases(&CaseQuery::default()).unwrap();
    assert_eq!(list.rows[0].resident_name, "王**");
}

#[test]
fn search_by_a_full_number_or_its_tail_finds_the_case_without_showing_it() {
    let (s, _, _dir, case) = office_as(Role::Worker);
    for text in [PHONE, "5678"] {
        let page = s
            .list_cases(&CaseQuery {
                text: text.into(),
                ..CaseQuery::default()
            })
            .unwrap();
        assert_eq!(page.rows.len(), 1, "{text}");
        assert_eq!(page.rows[0].id, case.id);
        assert!(!json(&page).contains(PHONE));
    }
}

#[test]
fn the_case_lists_a_viewer_exports_carry_no_full_name() {
    let (s, _, dir, _) = office_as(Role::Viewer);
    let out = dir.path().join("exports");
    let file = s.save_list_csv(&out, &CaseQuery::default()).unwrap();
    let csv = std::fs::read_to_string(&file.path).unwrap();
    assert!(csv.contains("王**"), "{csv}");
    assert!(!csv.contains(NAME) && !csv.contains(PHONE));
    let (from, to) = (MONDAY_9AM - 30 * DAY, MONDAY_9AM + DAY);
    let q = figures::FigureQuery {
        from,
        to,
        ..Default::default()
    };
    let file = s
        .save_figure_csv(&out, &q, figures::Figure::Received, None)
        .unwrap();
    let csv = std::fs::read_to_string(&file.path).unwrap();
    assert!(csv.contains("王**") && !csv.contains(NAME), "{csv}");
}

#[test]
fn showing_a_number_is_written_to_the_access_log_and_a_viewer_cannot() {
    let (mut s, _, _dir, case) = office_as(Role::Worker);
    assert_eq!(s.reveal(case.id, PersonalField::Phone).unwrap(), PHONE);
    assert_eq!(
        s.reveal(case.id, PersonalField::Address).unwrap(),
        "27栋2单元301室"
    );
    // The worker does not read the log.
    assert_eq!(s.access_log(10).unwrap_err().code(), Code::Forbidden);
    s.sign_out(false).unwrap();
    s.sign_in("li", "li-password").unwrap();
    let log = s.access_log(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].name, "某人");
    assert_eq!(log[1].number, case.number);
    assert_eq!(log[1].field, PersonalField::Phone);
    assert_eq!(log[0].field, PersonalField::Address);
    // Nobody edits it, not even through the database.
    assert!(
        s.connection()
            .execute("UPDATE access_log SET name = 'x'", [])
            .is_err()
    );
    assert!(
        s.connection()
            .execute("DELETE FROM access_log", [])
            .is_err()
    );
}

#[test]
fn a_viewer_is_refused_the_full_number_and_nothing_is_logged() {
    let (mut s, _, _dir, case) = office_as(Role::Viewer);
    let err = s.reveal(case.id, PersonalField::Phone).unwrap_err();
    assert_eq!(err.code(), Code::Forbidden);
    assert!(!err.to_wire().message.contains(PHONE));
    s.sign_out(false).unwrap();
    s.sign_in("li", "li-password").unwrap();
    assert!(s.access_log(10).unwrap().is_empty());
}

#[test]
fn the_access_log_exports_as_a_spreadsheet_file() {
    let (mut s, _, dir, case) = office_as(Role::Worker);
    s.reveal(case.id, PersonalField::Name).unwrap();
    s.sign_out(false).unwrap();
    s.sign_in("li", "li-password").unwrap();
    let file = s.save_access_log_csv(&dir.path().join("exports")).unwrap();
    let csv = std::fs::read_to_string(&file.path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap().trim_start_matches('\u{feff}'),
        "时间,账号,姓名,案件编号,查看内容"
    );
    let row = lines.next().unwrap();
    assert!(row.contains(&case.number) && row.contains("某人") && row.ends_with(",姓名"));
    assert!(
        !csv.contains(NAME),
        "the log says what was shown, not the value"
    );
}
