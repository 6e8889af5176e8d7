//! Exports checked with real readers: the minutes' `.docx` is converted to PDF by
//! LibreOffice (headless) and read back with `pdftotext`; the `.ics` is parsed by the `ical`
//! crate, an implementation independent of the one that wrote it.

use std::process::Command;

use jiesu_core::*;

use super::common::*;

const DAY: i64 = 86_400_000;

/// A council with everything the minutes show, approved and amended.
fn finished_council(s: &mut Store) -> Meeting {
    let m = s
        .schedule_meeting(MeetingInfo {
            kind: MeetingKind::Council,
            title: "关于小区停车难的居民议事会".into(),
            starts_at: MONDAY_9AM + 9 * 3_600_000,
            ends_at: Some(MONDAY_9AM + 11 * 3_600_000),
            place: "社区二楼会议室".into(),
            facilitator: "王主任".into(),
            recorder: "李书记".into(),
        })
        .unwrap();
    let id = m.id;
    let run = |s: &mut Store, c| s.meeting_act(id, c).unwrap();
    for (name, role, org, signed) in [
        ("张建国", AttendeeRole::Resident, "27栋", true),
        ("刘经理", AttendeeRole::Unit, "和美物业", true),
        ("陈老板", AttendeeRole::Business, "东门超市", false),
    ] {
        run(
            s,
            MeetingCommand::AddAttendee {
                name: name.into(),
                role,
                organisation: org.into(),
                phone: String::new(),
                signed_in: signed,
            },
        );
    }
    let m = run(
        s,
        MeetingCommand::AddAgenda {
            title: "夜间停车位".into(),
        },
    );
    let agenda = m.agenda[0].id;
    run(
        s,
        MeetingCommand::RecordMinutes {
            agenda,
            text: "居民反映夜间无处停车。\n物业同意开放东侧空地。".into(),
        },
    );
    run(
        s,
        MeetingCommand::AddItem {
            agenda: Some(agenda),
            kind: ItemKind::Decision,
            text: "同意开放东侧空地夜间停车".into(),
            owner_unit: None,
            deadline: None,
        },
    );
    let m = run(
        s,
        MeetingCommand::AddItem {
            agenda: Some(agenda),
            kind: ItemKind::Action,
            text: "施划临时停车位".into(),
            owner_unit: Some("property".into()),
            deadline: Some(
                calendar::local_date(MONDAY_9AM + 10 * DAY)
                    .format("%Y-%m-%d")
                    .to_string(),
            ),
        },
    );
    let case = s
        .open_item_case(
            id,
            ItemCaseForm {
                item: m.items[1].id,
                category: "parking.spaces".into(),
                urgency: Urgency::Normal,
                description: String::new(),
                location: String::new(),
            },
        )
        .unwrap();
    assert_eq!(case.state, CaseState::Dispatched);
    s.act_as("王主任").unwrap();
    run(
        s,
        MeetingCommand::Approve {
            note: String::new(),
        },
    );
    run(
        s,
        MeetingCommand::Amend {
            agenda: Some(agenda),
            text: "开放时间为每晚七点至次日七点".into(),
            reason: "漏记".into(),
        },
    )
}

fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is needed to check exports: run `make setup-test` (Debian: libreoffice-writer-nogui, poppler-utils)"
    );
    name.to_owned()
}

#[test]
fn the_minutes_docx_opens_in_libreoffice_with_attendees_decisions_and_the_action_table() {
    let (mut s, _) = store_at(MONDAY_9AM);
    let m = finished_council(&mut s);
    let bytes = s.export_minutes_docx(m.id).unwrap();
    assert_eq!(&bytes[..2], b"PK", "a docx is a zip");

    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("minutes.docx");
    std::fs::write(&docx, &bytes).unwrap();
    let profile = dir.path().join("lo-profile");
    let out = Command::new(tool("soffice"))
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&docx)
        .output()
        .unwrap();
    let pdf = dir.path().join("minutes.pdf");
    assert!(
        pdf.exists(),
        "LibreOffice could not open the docx: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new(tool("pdftotext"))
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    // Table cells wrap (at hyphens too) and pdftotext spaces columns: compare without them.
    let squeeze = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect()
    };
    let text = squeeze(&String::from_utf8(text.stdout).unwrap());
    let case = &s.meeting_detail(m.id).unwrap().cases[0];
    for want in [
        "关于小区停车难的居民议事会",
        "和美社区",
        "社区二楼会议室",
        "应到3人，实到2人",
        "张建国",
        "刘经理",
        "陈老板",
        "未签到",
        "夜间停车位",
        "居民反映夜间无处停车。",
        "同意开放东侧空地夜间停车",
        "施划临时停车位",
        "物业公司",
        &case.link.number,
        "待签收",
        "已审定（王主任",
        "导出于20261123",
        "开放时间为每晚七点至次日七点",
        "理由：漏记",
    ] {
        assert!(
            text.contains(&squeeze(want)),
            "missing {want:?} in:\n{text}"
        );
    }
}

#[test]
fn the_meeting_ics_parses_back_with_title_place_and_times() {
    let (mut s, _) = store_at(MONDAY_9AM);
    let m = finished_council(&mut s);
    let ics = s.export_meeting_ics(m.id).unwrap();
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none());
    assert_eq!(cal.events.len(), 1);
    let prop = |name: &str| {
        cal.events[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_else(|| panic!("no {name} in\n{ics}"))
    };
    assert_eq!(prop("SUMMARY"), "关于小区停车难的居民议事会");
    assert_eq!(prop("LOCATION"), "社区二楼会议室");
    assert_eq!(prop("UID"), format!("{}@jiesu", m.id));
    // 2026-11-23 18:00 China time is 10:00 UTC.
    assert_eq!(prop("DTSTART"), "20261123T100000Z");
    assert_eq!(prop("DTEND"), "20261123T120000Z");
    assert!(prop("DESCRIPTION").contains("主持人：王主任"));
    assert!(prop("DESCRIPTION").contains("夜间停车位"));
}
