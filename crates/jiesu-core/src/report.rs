//! Reports leaders file: the weekly or monthly figures as `.xlsx` (built with
//! `rust_xlsxwriter`) with the ranking and the cases behind them, and any case list as CSV.
//!
//! Like the minutes, a report is an office document in Chinese whatever the window's
//! language. Rates are written as numbers with a percentage format, so a spreadsheet can
//! compute with them; a rate with nothing to divide by is an empty cell, not 0.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::api::{CaseRow, Dashboard};
use crate::calendar;
use crate::catalog::Unit;
use crate::error::{Error, Result};
use crate::figures::{Figure, Figures, Group};
use crate::model::CaseState;
use crate::store::AuditRow;

fn xlsx(e: XlsxError) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// The state as the report names it.
pub fn state_zh(s: CaseState) -> &'static str {
    match s {
        CaseState::Received => "待派单",
        CaseState::Dispatched => "待签收",
        CaseState::Handling => "办理中",
        CaseState::Returned => "已退单",
        CaseState::Resolved => "待回访",
        CaseState::Visited => "已回访",
        CaseState::Archived => "已归档",
        CaseState::Withdrawn => "已撤销",
        CaseState::Merged => "已合并",
    }
}

/// Names for the codes a report shows.
pub struct Names<'a> {
    /// The office's units.
    pub units: &'a [Unit],
    /// Category code → Chinese path.
    pub categories: &'a [(String, String)],
    /// Office code → name (`local`: this office before enrolment).
    pub offices: &'a [(String, String)],
}

impl Names<'_> {
    fn unit(&self, code: &str) -> String {
        self.units
            .iter()
            .find(|u| u.code == code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone())
    }
    fn office(&self, code: &str) -> String {
        self.offices
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n)| n.clone())
    }
    fn category(&self, code: &str) -> String {
        self.categories
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, p)| p.clone())
    }
}

/// The columns of a case list, in the report's case sheet and in CSV alike.
const CASE_HEAD: [&str; 8] = [
    "案件编号",
    "受理时间",
    "问题分类",
    "诉求内容",
    "反映人",
    "承办单位",
    "状态",
    "办结时限",
];

fn case_cells(c: &CaseRow, names: &Names<'_>) -> [String; 8] {
    [
        c.number.clone(),
        calendar::format_ms(c.received_at),
        names.category(&c.category),
        c.summary.clone(),
        c.resident_name.clone(),
        c.handling_unit
            .as_deref()
            .map(|u| names.unit(u))
            .unwrap_or_default(),
        state_zh(c.state).to_owned(),
        calendar::format_ms(c.resolve_due),
    ]
}

/// The facts of the case sheet after [`CASE_HEAD`]: the office a case counts under, when it
/// was resolved, the numbers the sums and averages add, then one 1/0 column per figure, each
/// named as the figure sheet's definitions name it, so a spreadsheet recomputes every figure.
const FACT_HEAD: [&str; 7] = [
    "计入社区/街道",
    "办结时间",
    "办理天数",
    "办理工作日",
    "延期次数",
    "重办次数",
    "响应小时",
];

/// The 1/0 columns of the case sheet: whether the figure counts the case.
const FACT_FLAGS: [(&str, Figure); 18] = [
    ("受理", Figure::Received),
    ("办结", Figure::Resolved),
    ("3天办结", Figure::Within3),
    ("3天未到期", Figure::Within3Pending),
    ("当前超期", Figure::OverdueNow),
    ("期内超期", Figure::OverdueInPeriod),
    ("有效回访", Figure::ValidVisits),
    ("表示已联系", Figure::Contacted),
    ("表示已解决", Figure::Solved),
    ("满意", Figure::Satisfied),
    ("基本满意", Figure::BasicallySatisfied),
    ("不满意", Figure::Dissatisfied),
    ("承诺书", Figure::Letters),
    ("承诺兑现", Figure::LettersFulfilled),
    ("承诺违约", Figure::LettersBroken),
    ("首次响应", Figure::Responded),
    ("按时响应", Figure::RespondedOnTime),
    ("响应未到期", Figure::ResponsePending),
];

fn case_sheet(
    ws: &mut Worksheet,
    cases: &[AuditRow],
    names: &Names<'_>,
    fm: &Formats,
) -> Result<()> {
    let head = CASE_HEAD
        .iter()
        .chain(FACT_HEAD.iter())
        .chain(FACT_FLAGS.iter().map(|(h, _)| h));
    for (c, h) in head.enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &fm.head)
            .map_err(xlsx)?;
    }
    let facts_at = CASE_HEAD.len() as u16;
    for (i, a) in cases.iter().enumerate() {
        let r = i as u32 + 1;
        for (k, v) in case_cells(&a.case, names).iter().enumerate() {
            ws.write_string(r, k as u16, v).map_err(xlsx)?;
        }
        let f = &a.facts;
        ws.write_string(r, facts_at, names.office(&a.office))
            .map_err(xlsx)?;
        if let (Some(at), Some(days), Some(working)) = (f.resolved_at, f.days, f.working_days) {
            ws.write_string(r, facts_at + 1, calendar::format_ms(at))
                .map_err(xlsx)?;
            write_value(ws, r, facts_at + 2, &Value::Days(Some(days)), fm)?;
            ws.write_number(r, facts_at + 3, f64::from(working))
                .map_err(xlsx)?;
        }
        ws.write_number(r, facts_at + 4, f64::from(f.extensions))
            .map_err(xlsx)?;
        ws.write_number(r, facts_at + 5, f64::from(f.redos))
            .map_err(xlsx)?;
        if let Some(hours) = f.response_hours {
            write_value(ws, r, facts_at + 6, &Value::Days(Some(hours)), fm)?;
        }
        for (k, (_, figure)) in FACT_FLAGS.iter().enumerate() {
            // A visit figure adds visits (次) under the every-visit rule, else 1 or 0.
            let n = match crate::figures::VISIT_FIGURES
                .iter()
                .position(|g| g == figure)
            {
                Some(v) => f.visits[v],
                None => u32::from(
                    Figure::ALL
                        .iter()
                        .position(|g| g == figure)
                        .is_some_and(|i| f.counted[i]),
                ),
            };
            ws.write_number(
                r,
                facts_at + FACT_HEAD.len() as u16 + k as u16,
                f64::from(n),
            )
            .map_err(xlsx)?;
        }
    }
    for (col, w) in [
        (0u16, 16.0),
        (1, 17.0),
        (2, 24.0),
        (3, 50.0),
        (5, 14.0),
        (7, 17.0),
        (facts_at, 14.0),
        (facts_at + 1, 17.0),
    ] {
        ws.set_column_width(col, w).map_err(xlsx)?;
    }
    ws.set_freeze_panes(1, 1).map_err(xlsx)?;
    Ok(())
}

/// The visit rule in force, as the definitions say it.
pub fn visit_rule_zh(rule: crate::figures::VisitRule) -> &'static str {
    match rule {
        crate::figures::VisitRule::Last => "每件案件以最后一次回访计（件）",
        crate::figures::VisitRule::First => "每件案件以第一次回访计（件）",
        crate::figures::VisitRule::Every => "每次回访都计（次）",
    }
}

/// The figure rows of the first sheet: label, value (count or rate), definition.
fn figure_lines(f: &Figures, d: &Dashboard) -> Vec<(&'static str, Value, String)> {
    let s = &d.settings;
    vec![
        (
            "受理",
            Value::Count(f.received),
            "期内受理，不含撤销、合并".into(),
        ),
        (
            "办结",
            Value::Count(f.resolved),
            "受理中已办结的件数".into(),
        ),
        ("办结率", Value::Rate(f.resolve_rate), "办结 ÷ 受理".into()),
        (
            "3天办结",
            Value::Count(f.within3),
            "受理后 3 个工作日内办结".into(),
        ),
        (
            "3天未到期",
            Value::Count(f.within3_pending),
            "未办结且仍在受理后 3 个工作日内：既未按时也未超时".into(),
        ),
        (
            "3天办结率",
            Value::Rate(f.within3_rate),
            "3天办结 ÷ （受理 − 3天未到期）".into(),
        ),
        (
            "平均办理天数",
            Value::Days(f.avg_days),
            "办结案件的办理天数（日历天）均值".into(),
        ),
        (
            "平均办理工作日",
            Value::Days(f.avg_working_days),
            "办结案件的办理工作日均值".into(),
        ),
        (
            "首次响应",
            Value::Count(f.responded),
            "受理案件中已签收、已联系居民或现场办结的件数（以最早者为首次响应）".into(),
        ),
        (
            "按时响应",
            Value::Count(f.responded_on_time),
            "首次响应不晚于响应时限（受理时按本单位时限设置确定）".into(),
        ),
        (
            "响应未到期",
            Value::Count(f.response_pending),
            "尚未响应且仍在响应时限内：既未按时也未超时".into(),
        ),
        (
            "按时响应率",
            Value::Rate(f.on_time_response_rate),
            "按时响应 ÷ （受理 − 响应未到期）".into(),
        ),
        (
            "平均响应小时",
            Value::Days(f.avg_response_hours),
            "已响应案件从受理到首次响应的小时数均值".into(),
        ),
        (
            "当前超期",
            Value::Count(f.overdue_now),
            "仍在办理且已过时限".into(),
        ),
        (
            "期内超期",
            Value::Count(f.overdue_in_period),
            "办结时限在本期且已过，逾期办结或未办结（含本期前受理的案件）".into(),
        ),
        (
            "延期次数",
            Value::Count(f.extensions),
            "受理案件获批延期的次数之和".into(),
        ),
        (
            "重办次数",
            Value::Count(f.redos),
            "受理案件回访不满意后重办的次数之和".into(),
        ),
        (
            "有效回访",
            Value::Count(f.valid_visits),
            format!(
                "受理案件中联系上居民的回访，{}",
                visit_rule_zh(s.visit_rule)
            ),
        ),
        (
            "响应率",
            Value::Rate(f.response_rate),
            "表示已联系 ÷ 有效回访".into(),
        ),
        (
            "解决率",
            Value::Rate(f.solution_rate),
            "表示已解决 ÷ 有效回访".into(),
        ),
        (
            "满意率",
            Value::Rate(f.satisfaction_rate),
            format!("（满意 + {} × 基本满意）÷ 有效回访", s.basic_factor),
        ),
        (
            "综合得分",
            Value::Rate(f.composite),
            format!(
                "{} × 响应率 + {} × 解决率 + {} × 满意率",
                s.weight_response, s.weight_solution, s.weight_satisfaction
            ),
        ),
        ("承诺书", Value::Count(f.letters), "本期受理案件出具".into()),
        (
            "承诺兑现",
            Value::Count(f.letters_fulfilled),
            "承诺日前办结".into(),
        ),
        (
            "承诺违约",
            Value::Count(f.letters_broken),
            "逾期办结或到期未办结".into(),
        ),
    ]
}

enum Value {
    Count(u32),
    Rate(Option<f64>),
    Days(Option<f64>),
}

struct Formats {
    head: Format,
    pct: Format,
    days: Format,
    title: Format,
}

fn write_value(ws: &mut Worksheet, row: u32, col: u16, v: &Value, fm: &Formats) -> Result<()> {
    match v {
        Value::Count(n) => ws.write_number(row, col, f64::from(*n)).map(|_| ()),
        Value::Rate(Some(r)) => ws
            .write_number_with_format(row, col, *r, &fm.pct)
            .map(|_| ()),
        Value::Days(Some(d)) => ws
            .write_number_with_format(row, col, *d, &fm.days)
            .map(|_| ()),
        Value::Rate(None) | Value::Days(None) => Ok(()),
    }
    .map_err(xlsx)
}

fn group_sheet(
    ws: &mut Worksheet,
    first_col: &str,
    groups: &[(String, &Group)],
    ranked: bool,
    fm: &Formats,
) -> Result<u32> {
    let mut head = vec![
        first_col,
        "受理",
        "办结率",
        "3天办结率",
        "满意率",
        "综合得分",
        "当前超期",
    ];
    if ranked {
        head.insert(0, "名次");
    }
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &fm.head)
            .map_err(xlsx)?;
    }
    let off = u16::from(ranked);
    for (i, (name, g)) in groups.iter().enumerate() {
        let r = i as u32 + 1;
        if ranked {
            ws.write_number(r, 0, (i + 1) as f64).map_err(xlsx)?;
        }
        ws.write_string(r, off, name).map_err(xlsx)?;
        let f = &g.figures;
        for (k, v) in [
            Value::Count(f.received),
            Value::Rate(f.resolve_rate),
            Value::Rate(f.within3_rate),
            Value::Rate(f.satisfaction_rate),
            Value::Rate(f.composite),
            Value::Count(f.overdue_now),
        ]
        .iter()
        .enumerate()
        {
            write_value(ws, r, off + 1 + k as u16, v, fm)?;
        }
    }
    ws.set_column_width(off, 22).map_err(xlsx)?;
    Ok(groups.len() as u32 + 1)
}

/// A weekly or monthly report: the figures with their definitions, the unit ranking (and
/// the units too small to rank), the categories, and every case a figure counts with the
/// facts that recompute the figures.
pub fn report_xlsx(
    title: &str,
    d: &Dashboard,
    cases: &[AuditRow],
    names: &Names<'_>,
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let fm = Formats {
        head: Format::new().set_bold().set_background_color(0xE8EEF7),
        pct: Format::new().set_num_format("0.0%"),
        days: Format::new().set_num_format("0.0"),
        title: Format::new().set_bold().set_font_size(14),
    };
    {
        let ws = wb.add_worksheet().set_name("指标").map_err(xlsx)?;
        ws.write_string_with_format(0, 0, title, &fm.title)
            .map_err(xlsx)?;
        for (c, h) in ["指标", "数值", "口径"].iter().enumerate() {
            ws.write_string_with_format(2, c as u16, *h, &fm.head)
                .map_err(xlsx)?;
        }
        for (i, (label, v, def)) in figure_lines(&d.figures, d).iter().enumerate() {
            let r = i as u32 + 3;
            ws.write_string(r, 0, *label).map_err(xlsx)?;
            write_value(ws, r, 1, v, &fm)?;
            ws.write_string(r, 2, def).map_err(xlsx)?;
        }
        ws.set_column_width(0, 16).map_err(xlsx)?;
        ws.set_column_width(1, 12).map_err(xlsx)?;
        ws.set_column_width(2, 44).map_err(xlsx)?;
    }
    {
        let ws = wb.add_worksheet().set_name("单位排名").map_err(xlsx)?;
        let ranked: Vec<(String, &Group)> = d
            .ranking
            .ranked
            .iter()
            .map(|g| (names.unit(&g.key), g))
            .collect();
        let next = group_sheet(ws, "承办单位", &ranked, true, &fm)?;
        if !d.ranking.apart.is_empty() {
            let r = next + 1;
            ws.write_string_with_format(
                r,
                0,
                format!("受理不足 {} 件，不参与排名", d.settings.min_sample),
                &fm.head,
            )
            .map_err(xlsx)?;
            for (i, g) in d.ranking.apart.iter().enumerate() {
                let row = r + 1 + i as u32;
                ws.write_string(row, 1, names.unit(&g.key)).map_err(xlsx)?;
                ws.write_number(row, 2, f64::from(g.figures.received))
                    .map_err(xlsx)?;
            }
        }
    }
    {
        let ws = wb.add_worksheet().set_name("问题分类").map_err(xlsx)?;
        let cats: Vec<(String, &Group)> = d
            .categories
            .iter()
            .map(|g| (names.category(&g.key), g))
            .collect();
        group_sheet(ws, "问题分类", &cats, false, &fm)?;
    }
    {
        let ws = wb.add_worksheet().set_name("案件清单").map_err(xlsx)?;
        case_sheet(ws, cases, names, &fm)?;
    }
    wb.save_to_buffer().map_err(xlsx)
}

/// Any case list as CSV (UTF-8 with a byte-order mark, which Excel and WPS need to read
/// Chinese), with the same columns as the report's case sheet.
pub fn cases_csv(cases: &[CaseRow], names: &Names<'_>) -> Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
        // The list's own column after the shared ones: the linked cases' numbers.
        w.write_record(CASE_HEAD.iter().chain(&["关联案件"]))
            .map_err(io)?;
        for c in cases {
            let linked = c.linked.join(" ");
            w.write_record(case_cells(c, names).iter().chain([&linked]))
                .map_err(io)?;
        }
        w.flush()?;
    }
    Ok(out)
}
