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
            starts_at: test_now() + 9 * 3_600_000,
            ends_at: Some(test_now() + 11 * 3_600_000),
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
                calendar::local_date(test_now() + 10 * DAY)
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
    let (mut s, _) = store_at(test_now());
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
        format!("导出于{}", calendar::format_ms(test_now())).as_str(),
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
    let (mut s, _) = store_at(test_now());
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
    // In UTC: on MONDAY_9AM, 18:00 China time is 10:00Z.
    let utc = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    assert_eq!(prop("DTSTART"), utc(test_now() + 9 * 3_600_000));
    assert_eq!(prop("DTEND"), utc(test_now() + 11 * 3_600_000));
    assert!(prop("DESCRIPTION").contains("主持人：王主任"));
    assert!(prop("DESCRIPTION").contains("夜间停车位"));
}

/// Run a Python script on a file, with Debian's Python (beside Debian's python3-openpyxl,
/// which a pyenv or venv on PATH would shadow); its standard output as JSON.
fn python_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3".to_owned()
    } else {
        tool("python3")
    };
    let out = Command::new(python).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openpyxl could not read the report (Debian: python3-openpyxl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Read an .xlsx with openpyxl (a reader that shares nothing with the writer): every sheet as
/// rows of cell values.
pub fn read_xlsx(path: &std::path::Path) -> serde_json::Value {
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
print(json.dumps({ws.title: [[c for c in row] for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}, default=str, ensure_ascii=False))
"#;
    python_json(&["-c".as_ref(), script.as_ref(), path.as_os_str()])
}

#[test]
fn the_monthly_report_opens_in_openpyxl_with_the_figures_the_ranking_and_the_cases() {
    use jiesu_core::figures::{Dimension, FigureQuery};
    let (mut s, _) = store_at(test_now());
    jiesu_core::sample::generate(
        &mut s,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    // Last month's report: a whole month inside the sample's four, whatever day it is.
    let (from, to) = last_month(test_now());
    let q = FigureQuery {
        from,
        to,
        ..Default::default()
    };
    let name = period_name((from, to));
    let dir = tempfile::tempdir().unwrap();
    let file = s.save_report(dir.path(), &q).unwrap();
    assert!(
        file.path
            .ends_with(&format!("和美社区 {name} 接诉即办统计.xlsx")),
        "{}",
        file.path
    );
    let book = read_xlsx(std::path::Path::new(&file.path));
    let d = s.dashboard(&q, Dimension::Week).unwrap();
    let f = &d.figures;

    let sheet = |name: &str| book[name].as_array().unwrap().clone();
    let figures = sheet("指标");
    assert!(figures[0][0].as_str().unwrap().contains(&name));
    let value = |label: &str| -> serde_json::Value {
        figures
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("no row {label}"))[1]
            .clone()
    };
    assert_eq!(value("受理").as_f64(), Some(f64::from(f.received)));
    assert_eq!(value("办结").as_f64(), Some(f64::from(f.resolved)));
    assert_eq!(value("3天办结").as_f64(), Some(f64::from(f.within3)));
    assert_eq!(value("当前超期").as_f64(), Some(f64::from(f.overdue_now)));
    assert_eq!(
        value("期内超期").as_f64(),
        Some(f64::from(f.overdue_in_period))
    );
    for (label, rate) in [
        ("办结率", f.resolve_rate),
        ("3天办结率", f.within3_rate),
        ("满意率", f.satisfaction_rate),
        ("综合得分", f.composite),
    ] {
        let got = value(label).as_f64();
        assert!(
            (got.unwrap() - rate.unwrap()).abs() < 1e-9,
            "{label}: {got:?} vs {rate:?}"
        );
    }

    let ranking = sheet("单位排名");
    assert_eq!(ranking[0][0], "名次");
    let units = s.units().unwrap();
    for (i, g) in d.ranking.ranked.iter().enumerate() {
        let row = &ranking[i + 1];
        let name = &units.iter().find(|u| u.code == g.key).unwrap().name;
        assert_eq!(row[0].as_f64(), Some((i + 1) as f64));
        assert_eq!(row[1].as_str(), Some(name.as_str()));
        assert_eq!(row[2].as_f64(), Some(f64::from(g.figures.received)));
    }

    let cases = sheet("案件清单");
    let received_at = cases[0]
        .as_array()
        .unwrap()
        .iter()
        .position(|h| h == "受理")
        .unwrap();
    let listed: std::collections::BTreeSet<String> = cases[1..]
        .iter()
        .filter(|r| r[received_at].as_f64() == Some(1.0))
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect();
    let expected: std::collections::BTreeSet<String> = s
        .figure_cases(&q, jiesu_core::figures::Figure::Received, None, 0, 0)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.number)
        .collect();
    assert_eq!(listed, expected);

    // A case list as CSV: BOM, header, one line per case.
    let csv = s
        .save_figure_csv(
            dir.path(),
            &q,
            jiesu_core::figures::Figure::OverdueInPeriod,
            None,
        )
        .unwrap();
    let text = std::fs::read_to_string(&csv.path).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let mut reader = csv_reader(text.trim_start_matches('\u{feff}'));
    assert_eq!(reader.headers().unwrap().get(0), Some("案件编号"));
    assert_eq!(reader.records().count() as u32, f.overdue_in_period);
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::Reader::from_reader(text.as_bytes())
}

/// The auditable export: from the report's case sheet alone, openpyxl recomputes every figure
/// of its figure sheet, taking the settings from the definitions' text. Three periods of the
/// sample community with other settings than the defaults: last month (closed), this month
/// (cases not yet due, overdue, deadlines of cases received before it) and both together.
#[test]
fn every_figure_of_the_report_recomputes_from_its_case_sheet_in_openpyxl() {
    use jiesu_core::figures::{Dimension, FigureQuery, FigureSettings, VisitRule};
    let (mut s, _) = store_at(test_now());
    jiesu_core::sample::generate(
        &mut s,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    let (last, this) = (last_month(test_now()), month_of(test_now()));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/recompute.py");
    let dir = tempfile::tempdir().unwrap();
    // Per figure whose rule the recomputation exercises: how many cases it counted.
    let mut seen = [0u32; 9];
    // 有效回访 over both months under each visit rule.
    let mut valid = Vec::new();
    for rule in [VisitRule::Last, VisitRule::First, VisitRule::Every] {
        s.set_figure_settings(FigureSettings {
            basic_factor: 0.6,
            weight_response: 0.2,
            weight_solution: 0.3,
            weight_satisfaction: 0.5,
            visit_rule: rule,
            ..FigureSettings::default()
        })
        .unwrap();
        for (from, to) in [last, this, (last.0, this.1)] {
            let q = FigureQuery {
                from,
                to,
                ..Default::default()
            };
            let file = s.save_report(dir.path(), &q).unwrap();
            let out = python_json(&[script.as_os_str(), file.path.as_ref()]);
            assert_eq!(
                out["discrepancies"],
                serde_json::json!([]),
                "{rule:?}, {}: {out}",
                period_name((from, to))
            );
            assert_eq!(out["checked"].as_array().unwrap().len(), 25, "{out}");
            // The case sheet holds every case a figure counts, and those received before the
            // period that fell due in it.
            let f = s.dashboard(&q, Dimension::Week).unwrap().figures;
            assert!(out["cases"].as_u64().unwrap() >= u64::from(f.received));
            for (n, v) in seen.iter_mut().zip([
                f.resolved,
                f.within3_pending,
                f.overdue_in_period,
                f.basically_satisfied,
                f.letters,
                f.extensions,
                f.redos,
                f.response_pending,
                f.responded - f.responded_on_time,
            ]) {
                *n += v;
            }
            if (from, to) == (last.0, this.1) {
                valid.push(f.valid_visits);
            }
        }
    }
    // The sample revisits redone cases, so counting every visit counts more than one a case.
    assert!(valid[2] > valid[0], "valid visits by rule: {valid:?}");
    assert!(
        seen.iter().all(|n| *n > 0),
        "nothing to recompute: {seen:?}"
    );
}
