//! Files offices hand on: meeting minutes as `.docx` (built with `docx-rs`, opened by Word,
//! WPS and LibreOffice) and meetings as `.ics` (built with `icalendar`) for calendars.
//!
//! The minutes are an official document of a Chinese community office, so their labels are
//! Chinese whatever the window's language; the content is the users' own words.

use chrono::{TimeZone, Utc};
use docx_rs::{
    AlignmentType, Docx, Paragraph, Run, RunFonts, Style, StyleType, Table, TableCell, TableRow,
    WidthType,
};

use crate::api::{MeetingCaseRow, MeetingDetail};
use crate::calendar;
use crate::catalog::Unit;
use crate::error::{Error, Result};
use crate::meeting::{AttendeeRole, ItemKind, Meeting, MeetingKind, MinutesState};
use crate::model::{CaseState, LetterStatus};

/// The meeting kind as the document names it.
pub fn kind_zh(k: MeetingKind) -> &'static str {
    match k {
        MeetingKind::Council => "居民议事会",
        MeetingKind::ReceptionDay => "接访日",
        MeetingKind::Dialogue => "恳谈会",
        MeetingKind::Evaluation => "评议会",
    }
}

fn role_zh(r: AttendeeRole) -> &'static str {
    match r {
        AttendeeRole::Resident => "居民",
        AttendeeRole::Official => "干部",
        AttendeeRole::Unit => "职能单位",
        AttendeeRole::Business => "企业商户",
    }
}

fn state_zh(s: Option<CaseState>) -> &'static str {
    s.map_or("已转出", crate::report::state_zh)
}

fn letter_zh(s: LetterStatus) -> &'static str {
    match s {
        LetterStatus::Due => "承诺履约中",
        LetterStatus::Fulfilled => "承诺已兑现",
        LetterStatus::Broken => "承诺已违约",
        LetterStatus::Void => "承诺已作废",
    }
}

fn date(ms: i64) -> String {
    calendar::local_date(ms).format("%Y-%m-%d").to_string()
}

const BODY_FONT: &str = "SimSun";
const HEADING_FONT: &str = "SimHei";

fn fonts(name: &str) -> RunFonts {
    RunFonts::new().east_asia(name).ascii(name).hi_ansi(name)
}

fn para(text: impl Into<String>) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text.into()))
}

fn heading(level: usize, text: impl Into<String>) -> Paragraph {
    para(text).style(&format!("Heading{level}"))
}

fn labelled(label: &str, value: impl Into<String>) -> Paragraph {
    Paragraph::new()
        .add_run(Run::new().add_text(format!("{label}：")).bold())
        .add_run(Run::new().add_text(value.into()))
}

fn table(header: &[&str], rows: Vec<Vec<String>>, widths: &[usize]) -> Table {
    let cell = |t: String, w: usize, bold: bool| {
        let run = Run::new().add_text(t);
        TableCell::new()
            .width(w, WidthType::Dxa)
            .add_paragraph(Paragraph::new().add_run(if bold { run.bold() } else { run }))
    };
    let mut out = vec![TableRow::new(
        header
            .iter()
            .zip(widths)
            .map(|(h, w)| cell((*h).to_owned(), *w, true))
            .collect(),
    )];
    for r in rows {
        out.push(TableRow::new(
            r.into_iter()
                .zip(widths)
                .map(|(t, w)| cell(t, *w, false))
                .collect(),
        ));
    }
    Table::new(out).set_grid(widths.to_vec())
}

/// The minutes of a meeting as a `.docx`: header, attendee list with sign-in, agenda with
/// minutes and amendments, decisions, the action table, and the cases the meeting produced.
pub fn minutes_docx(
    d: &MeetingDetail,
    units: &[Unit],
    office_name: &str,
    now_ms: i64,
) -> Result<Vec<u8>> {
    let m = &d.meeting;
    let unit_name = |code: &Option<String>| -> String {
        match code {
            None => String::new(),
            Some(c) => units
                .iter()
                .find(|u| &u.code == c)
                .map_or_else(|| c.clone(), |u| u.name.clone()),
        }
    };
    let mut doc = Docx::new()
        // A4, 2.5 cm margins: what an office printer and a 公文 expect.
        .page_size(11906, 16838)
        .page_margin(
            docx_rs::PageMargin::new()
                .top(1418)
                .bottom(1418)
                .left(1418)
                .right(1418),
        )
        .default_fonts(fonts(BODY_FONT))
        .default_size(24)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(40)
                .bold()
                .fonts(fonts(HEADING_FONT))
                .align(AlignmentType::Center),
        );
    for (level, size) in [(1usize, 32usize), (2, 28), (3, 24)] {
        doc = doc.add_style(
            Style::new(format!("Heading{level}"), StyleType::Paragraph)
                .name(format!("heading {level}"))
                .size(size)
                .bold()
                .fonts(fonts(HEADING_FONT))
                .outline_lvl(level - 1),
        );
    }
    doc = doc
        .add_paragraph(para(m.info.title.clone()).style("Title"))
        .add_paragraph(
            para(format!("{office_name}　{}纪要", kind_zh(m.info.kind)))
                .align(AlignmentType::Center),
        );

    doc = doc
        .add_paragraph(heading(1, "一、会议概况"))
        .add_paragraph(labelled("会议类型", kind_zh(m.info.kind)))
        .add_paragraph(labelled(
            "时间",
            match m.info.ends_at {
                Some(e) => format!(
                    "{} 至 {}",
                    calendar::format_ms(m.info.starts_at),
                    calendar::format_ms(e)
                ),
                None => calendar::format_ms(m.info.starts_at),
            },
        ))
        .add_paragraph(labelled("地点", m.info.place.clone()))
        .add_paragraph(labelled("主持人", m.info.facilitator.clone()))
        .add_paragraph(labelled("记录人", m.info.recorder.clone()))
        .add_paragraph(labelled(
            "纪要状态",
            match (m.minutes, &m.approved_by, m.approved_at) {
                (MinutesState::Approved, Some(by), Some(at)) => {
                    format!("已审定（{by}，{}）", calendar::format_ms(at))
                }
                _ => "草稿（未审定）".to_owned(),
            },
        ));

    doc = doc
        .add_paragraph(heading(
            1,
            format!(
                "二、出席人员（应到 {} 人，实到 {} 人）",
                m.attendees.len(),
                m.signed_in()
            ),
        ))
        .add_table(table(
            &["序号", "姓名", "身份", "单位/住址", "签到"],
            m.attendees
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    vec![
                        (i + 1).to_string(),
                        a.name.clone(),
                        role_zh(a.role).to_owned(),
                        a.organisation.clone(),
                        a.signed_in_at
                            .map_or_else(|| "未签到".to_owned(), calendar::format_ms),
                    ]
                })
                .collect(),
            &[800, 1800, 1400, 3000, 2000],
        ));

    doc = doc.add_paragraph(heading(1, "三、议程与纪要"));
    if m.agenda.is_empty() {
        doc = doc.add_paragraph(para("（无议程）"));
    }
    for (i, a) in m.agenda.iter().enumerate() {
        doc = doc.add_paragraph(heading(2, format!("{}. {}", i + 1, a.title)));
        for line in a.minutes.lines().filter(|l| !l.trim().is_empty()) {
            doc = doc.add_paragraph(para(line.to_owned()));
        }
        for am in m.amendments.iter().filter(|am| am.agenda == Some(a.id)) {
            doc = doc.add_paragraph(amendment(am));
        }
    }
    let general: Vec<_> = m.amendments.iter().filter(|a| a.agenda.is_none()).collect();
    if !general.is_empty() {
        doc = doc.add_paragraph(heading(2, "纪要补正"));
        for am in general {
            doc = doc.add_paragraph(amendment(am));
        }
    }

    let decisions: Vec<_> = m
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Decision)
        .collect();
    doc = doc.add_paragraph(heading(1, "四、会议决议"));
    if decisions.is_empty() {
        doc = doc.add_paragraph(para("（无）"));
    }
    for (i, it) in decisions.iter().enumerate() {
        doc = doc.add_paragraph(para(format!("{}. {}", i + 1, it.text)));
    }

    let case_of = |id: Option<uuid::Uuid>| -> Option<&MeetingCaseRow> {
        id.and_then(|c| d.cases.iter().find(|r| r.link.case == c))
    };
    let actions: Vec<Vec<String>> = m
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Action)
        .enumerate()
        .map(|(i, it)| {
            let row = case_of(it.case);
            vec![
                (i + 1).to_string(),
                it.text.clone(),
                unit_name(&it.owner_unit),
                it.deadline.map(date).unwrap_or_default(),
                row.map(|r| r.link.number.clone()).unwrap_or_default(),
                row.map_or("未转工单", |r| state_zh(r.state)).to_owned(),
            ]
        })
        .collect();
    doc = doc
        .add_paragraph(heading(1, "五、整改清单"))
        .add_table(table(
            &[
                "序号",
                "事项",
                "责任单位",
                "完成时限",
                "工单编号",
                "办理状态",
            ],
            actions,
            &[700, 3300, 1500, 1300, 1500, 1200],
        ));

    doc = doc.add_paragraph(heading(1, "六、问题清单及办理情况"));
    let s = &d.summary;
    if m.info.kind == MeetingKind::ReceptionDay {
        doc = doc.add_paragraph(para(format!(
            "接待群众 {} 人，收集问题 {} 个，当场解决 {} 个，出具承诺书 {} 份（已兑现 {}，违约 {}）。",
            s.visitors, s.problems, s.solved_on_spot, s.letters, s.letters_fulfilled, s.letters_broken
        )));
    }
    doc = doc.add_table(table(
        &["工单编号", "问题", "责任单位", "时限", "状态"],
        d.cases
            .iter()
            .map(|r| {
                let mut state = state_zh(r.state).to_owned();
                if r.on_spot {
                    state = "当场解决".into();
                }
                if let Some(l) = r.letter {
                    state = format!("{state}；{}", letter_zh(l));
                }
                vec![
                    r.link.number.clone(),
                    r.summary.clone(),
                    unit_name(&r.handling_unit),
                    r.letter_due.or(r.resolve_due).map(date).unwrap_or_default(),
                    state,
                ]
            })
            .collect(),
        &[1600, 3600, 1500, 1300, 1500],
    ));
    doc = doc.add_paragraph(
        para(format!(
            "{office_name}　导出于 {}",
            calendar::format_ms(now_ms)
        ))
        .align(AlignmentType::Right),
    );

    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(out.into_inner())
}

fn amendment(am: &crate::meeting::Amendment) -> Paragraph {
    Paragraph::new()
        .add_run(
            Run::new()
                .add_text(format!(
                    "【补正 {} {}】",
                    calendar::format_ms(am.at),
                    am.author
                ))
                .bold(),
        )
        .add_run(Run::new().add_text(format!("{}（理由：{}）", am.text, am.reason)))
}

/// The meeting as an iCalendar file with one event, times in UTC.
pub fn meeting_ics(m: &Meeting, office_name: &str) -> String {
    use icalendar::{Component, EventLike};
    let utc = |ms: i64| Utc.timestamp_millis_opt(ms).single().unwrap_or_default();
    // A meeting without an end is booked for two hours, the usual length of a council.
    let ends = m.info.ends_at.unwrap_or(m.info.starts_at + 2 * 3_600_000);
    let mut description = format!(
        "{}｜主持人：{}｜记录人：{}",
        kind_zh(m.info.kind),
        m.info.facilitator,
        m.info.recorder
    );
    for (i, a) in m.agenda.iter().enumerate() {
        description.push_str(&format!("\n{}. {}", i + 1, a.title));
    }
    let event = icalendar::Event::new()
        .uid(&format!("{}@jiesu", m.id))
        .summary(&m.info.title)
        .location(&m.info.place)
        .description(&description)
        .starts(utc(m.info.starts_at))
        .ends(utc(ends))
        .timestamp(utc(m.updated_at))
        .done();
    icalendar::Calendar::new()
        .name(&format!("{office_name} 会议"))
        .push(event)
        .done()
        .to_string()
}

/// A file name for a meeting's export: date, title (without characters file systems
/// refuse) and what it is, e.g. `2026-11-23 停车难议事会 纪要.docx`.
pub fn file_name(m: &Meeting, what: &str, ext: &str) -> String {
    format!(
        "{} {} {what}.{ext}",
        date(m.info.starts_at),
        safe_title(&m.info.title)
    )
}

/// A title as part of a file name: no characters file systems refuse or read as a path,
/// at most 60 characters. Titles come from other offices' PCs too.
pub fn safe_title(title: &str) -> String {
    let t: String = title
        .chars()
        .filter(|c| !c.is_control() && !r#"/\:*?"<>|"#.contains(*c))
        .take(60)
        .collect();
    t.trim().trim_start_matches('.').to_owned()
}

/// Write `bytes` to `dir/name` whole: beside it first, then renamed, so an office PC that
/// loses power never leaves half a document under the final name.
pub fn save(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Result<crate::api::ExportedFile> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(crate::api::ExportedFile {
        path: path.display().to_string(),
        size: bytes.len() as u64,
    })
}
