//! One row of an export read as a work order, or every reason it cannot be: a row is taken
//! whole or reported whole, with the column and the reason of each problem, so the secretary
//! can fix the file (or the mapping) and import again.

use chrono::NaiveDateTime;
use serde::Serialize;
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::columns::Field;
use crate::error::Reason;
use crate::event::WorkOrderColumn;
use crate::model::{Resident, Urgency};
use jiesu_protocol::validate::{MAX_LINE, MAX_NAME, MAX_TEXT, MAX_WORK_ORDER_COLUMNS};

/// Why a row (or one of its cells) was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct RowProblem {
    /// The row's number in the file, as Excel shows it.
    pub row: u32,
    /// The column's header (empty when the file has no column for a required field).
    pub column: String,
    /// Why.
    pub reason: Reason,
    /// The cell as the file has it (cut to 100 characters).
    pub value: String,
}

/// A row read as a work order, before its category is the office's.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRow {
    /// Its number in the file.
    pub row: u32,
    /// 工单编号
    pub work_order_no: String,
    /// When the platform received or dispatched it (ms).
    pub received_at: Option<i64>,
    /// 诉求人, with the phone when it is a number (exports often mask it: `138××××`).
    pub resident: Resident,
    /// The city's category, levels joined by `->`.
    pub city_category: String,
    /// 标题 and 内容 as one text.
    pub description: String,
    /// Where, from every place column.
    pub location: String,
    /// 承办单位 as written.
    pub handling_unit: String,
    /// 承诺完成时间 (ms).
    pub due: Option<i64>,
    /// 工单类型 as written.
    pub order_type: String,
    /// 紧急程度, read.
    pub urgency: Urgency,
    /// Columns kept as written (unknown ones, and a phone that is not a number).
    pub columns: Vec<WorkOrderColumn>,
}

/// A time as exports write it, in China time: `2026-11-30 09:05:00`, `2026/11/30 9:05`,
/// `2026年11月30日 09时05分`, `20261130090500`, or a date alone (its end, for a deadline;
/// its start otherwise).
pub fn parse_time(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    const WITH_TIME: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y.%m.%d %H:%M:%S",
        "%Y.%m.%d %H:%M",
        "%Y年%m月%d日 %H:%M:%S",
        "%Y年%m月%d日 %H:%M",
        "%Y年%m月%d日%H时%M分%S秒",
        "%Y年%m月%d日%H时%M分",
        "%Y年%m月%d日 %H时%M分",
        "%Y%m%d%H%M%S",
    ];
    const DATE_ONLY: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d"];
    let t = WITH_TIME
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            DATE_ONLY.iter().find_map(|f| {
                let d = chrono::NaiveDate::parse_from_str(s, f).ok()?;
                if end_of_day {
                    d.and_hms_milli_opt(23, 59, 59, 999)
                } else {
                    d.and_hms_opt(0, 0, 0)
                }
            })
        })?;
    let ms = t
        .and_local_timezone(jiesu_protocol::time::cst())
        .single()?
        .timestamp_millis();
    // The years the calendar and the log accept.
    jiesu_protocol::validate::instant("time", ms).ok()?;
    Some(ms)
}

/// A phone number as digits, when the cell holds one (`138-0013-8000`, `+86 138 0013 8000`).
pub fn parse_phone(s: &str) -> Option<String> {
    let digits: String = s
        .trim()
        .trim_start_matches("+86")
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）'))
        .collect();
    (digits.chars().all(|c| c.is_ascii_digit()) && (5..=20).contains(&digits.len()))
        .then_some(digits)
}

/// 紧急程度 as the office's two urgencies: anything saying 急 (紧急, 特急, 加急) is urgent.
pub fn parse_urgency(s: &str) -> Urgency {
    if s.contains('急') && !s.contains("不急") && !s.contains("非紧急") {
        Urgency::Urgent
    } else {
        Urgency::Normal
    }
}

/// The city's category path with its levels joined by `->`, whatever the export used.
pub fn category_path(s: &str) -> String {
    s.split(['>', '/', '\\', '|', '＞', '→', '-', '—'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("->")
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Read `cells` (one row, as wide as `headers`) by `fields`.
pub fn read_row<S: AsRef<str>>(
    row: usize,
    headers: &[String],
    fields: &[Field],
    cells: &[S],
) -> Result<ReadRow, Vec<RowProblem>> {
    let row = u32::try_from(row).unwrap_or(u32::MAX);
    let mut problems = Vec::new();
    let mut problem = |col: usize, reason: Reason| {
        problems.push(RowProblem {
            row,
            column: headers.get(col).cloned().unwrap_or_default(),
            reason,
            value: cut(cells.get(col).map(AsRef::as_ref).unwrap_or(""), 100),
        })
    };
    let col = |f: Field| fields.iter().position(|g| *g == f);
    let cell = |f: Field| {
        col(f)
            .and_then(|i| cells.get(i))
            .map(AsRef::as_ref)
            .unwrap_or("")
    };

    let number = cell(Field::WorkOrderNo);
    match col(Field::WorkOrderNo) {
        Some(i) if number.is_empty() => problem(i, Reason::Required),
        Some(i) if number.chars().nth(MAX_LINE).is_some() => problem(i, Reason::TooLong),
        Some(_) => {}
        // No column read as the number: no row can be told from another (the preview would
        // call every row after the first a duplicate).
        None => problem(usize::MAX, Reason::Required),
    }
    let mut time = |f: Field, end_of_day: bool| match col(f) {
        Some(i) if !cells[i].as_ref().is_empty() => {
            let t = parse_time(cells[i].as_ref(), end_of_day);
            if t.is_none() {
                problem(i, Reason::BadTime);
            }
            t
        }
        _ => None,
    };
    let received_at = time(Field::ReceivedAt, false);
    let due = time(Field::Due, true);

    let title = cell(Field::Title);
    let content = cell(Field::Description);
    let description = match (title.is_empty(), content.is_empty()) {
        (_, true) => title.to_owned(),
        (true, false) => content.to_owned(),
        (false, false) if content.contains(title) => content.to_owned(),
        (false, false) => format!("【{title}】{content}"),
    };
    let text_col = col(Field::Description).or(col(Field::Title)).unwrap_or(0);
    if description.is_empty() {
        problem(text_col, Reason::Required);
    } else if description.chars().nth(MAX_TEXT).is_some() {
        problem(text_col, Reason::TooLong);
    }

    let city_category = match col(Field::Category) {
        Some(_) => category_path(cell(Field::Category)),
        None => category_path(&format!(
            "{}->{}",
            cell(Field::CategoryMajor),
            cell(Field::CategoryMinor)
        )),
    };
    if city_category.is_empty() {
        let at = col(Field::Category)
            .or(col(Field::CategoryMinor))
            .or(col(Field::CategoryMajor));
        // No category column at all: the problem names no column.
        problem(at.unwrap_or(usize::MAX), Reason::Required);
    }

    let name = cell(Field::Resident);
    if name.chars().nth(50).is_some() || name.chars().any(char::is_control) {
        problem(col(Field::Resident).unwrap_or(0), Reason::TooLong);
    }
    let mut columns = Vec::new();
    // Where each kept column came from, to name the first one past the bound.
    let mut kept_at = Vec::new();
    let raw_phone = cell(Field::Phone);
    let phone = parse_phone(raw_phone).unwrap_or_default();
    if phone.is_empty()
        && !raw_phone.is_empty()
        && let Some(i) = col(Field::Phone)
    {
        // Masked by the platform (`138××××`) or an account name: kept as written.
        columns.push(WorkOrderColumn {
            header: cut(&headers[i], MAX_NAME),
            value: cut(raw_phone, MAX_LINE),
        });
        kept_at.push(i);
    }
    let location = fields
        .iter()
        .zip(cells.iter().map(AsRef::as_ref))
        .filter(|(f, c)| **f == Field::Place && !c.is_empty())
        .map(|(_, c)| c)
        .collect::<Vec<_>>()
        .join(" ");
    if location.chars().nth(MAX_TEXT).is_some() {
        problem(col(Field::Place).unwrap_or(0), Reason::TooLong);
    }
    for (i, (f, c)) in fields
        .iter()
        .zip(cells.iter().map(AsRef::as_ref))
        .enumerate()
    {
        if *f == Field::Keep && !c.is_empty() {
            if c.chars().nth(MAX_TEXT).is_some() {
                problem(i, Reason::TooLong);
            }
            columns.push(WorkOrderColumn {
                header: cut(&headers[i], MAX_NAME),
                value: c.to_owned(),
            });
            kept_at.push(i);
        }
    }
    // A work order keeps so many columns (the event's bound): a row with more is reported,
    // never cut silently; marking a column 不导入 in the mapping lets it in.
    if let Some(&i) = kept_at.get(MAX_WORK_ORDER_COLUMNS) {
        problem(i, Reason::TooMany);
    }
    for (f, limit) in [
        (Field::HandlingUnit, MAX_LINE),
        (Field::OrderType, MAX_LINE),
        (Field::Urgency, MAX_NAME),
    ] {
        if cell(f).chars().nth(limit).is_some() {
            problem(col(f).unwrap_or(0), Reason::TooLong);
        }
    }
    if city_category.chars().nth(MAX_LINE).is_some() {
        problem(col(Field::Category).unwrap_or(0), Reason::TooLong);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ReadRow {
        row,
        work_order_no: number.to_owned(),
        received_at,
        resident: Resident {
            name: name.to_owned(),
            phone,
        },
        city_category,
        description,
        location,
        handling_unit: cell(Field::HandlingUnit).to_owned(),
        due,
        order_type: cell(Field::OrderType).to_owned(),
        urgency: parse_urgency(cell(Field::Urgency)),
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_way_exports_write_them() {
        let nine_five = parse_time("2026-11-30 09:05:00", false).unwrap();
        for s in [
            "2026-11-30 09:05",
            "2026/11/30 9:05",
            "2026/11/30 09:05:00",
            "2026年11月30日 09:05",
            "2026年11月30日09时05分",
            "20261130090500",
        ] {
            assert_eq!(parse_time(s, false), Some(nine_five), "{s}");
        }
        let end = parse_time("2026-11-30", true).unwrap();
        assert_eq!(end - parse_time("2026-11-30", false).unwrap(), 86_399_999);
        for s in ["明天", "2026-13-01", "30/11/2026", "1899-01-01"] {
            assert_eq!(parse_time(s, false), None, "{s}");
        }
    }

    #[test]
    fn phones_urgencies_and_paths_are_read_as_people_write_them() {
        assert_eq!(
            parse_phone("+86 138-0013-8000").as_deref(),
            Some("13800138000")
        );
        assert_eq!(parse_phone("138××××8000"), None);
        assert_eq!(parse_urgency("特急"), Urgency::Urgent);
        assert_eq!(parse_urgency("一般"), Urgency::Normal);
        assert_eq!(parse_urgency("非紧急"), Urgency::Normal);
        assert_eq!(
            category_path("城市管理 -> 市容环境 -> 占道经营"),
            "城市管理->市容环境->占道经营"
        );
        assert_eq!(category_path("城市管理/市容环境"), "城市管理->市容环境");
    }

    /// A row of `kept` filled unknown columns after a number, a category and a text.
    fn wide(kept: usize, filled: usize) -> Result<ReadRow, Vec<RowProblem>> {
        let mut headers = vec!["工单编号".to_owned(), "问题分类".into(), "诉求内容".into()];
        let mut fields = vec![Field::WorkOrderNo, Field::Category, Field::Description];
        let mut cells = vec![
            "GD-1".to_owned(),
            "城市管理->路灯".into(),
            "路灯不亮".into(),
        ];
        for i in 0..kept {
            headers.push(format!("备注{}", i + 1));
            fields.push(Field::Keep);
            cells.push(if i < filled {
                format!("值{i}")
            } else {
                String::new()
            });
        }
        read_row(2, &headers, &fields, &cells)
    }

    #[test]
    fn kept_columns_past_the_bound_are_reported_not_dropped() {
        let row = wide(MAX_WORK_ORDER_COLUMNS, MAX_WORK_ORDER_COLUMNS).unwrap();
        assert_eq!(row.columns.len(), MAX_WORK_ORDER_COLUMNS);
        // Empty cells are not kept, so a wide file of sparse rows still goes in.
        assert!(wide(MAX_WORK_ORDER_COLUMNS + 6, MAX_WORK_ORDER_COLUMNS).is_ok());
        let problems = wide(MAX_WORK_ORDER_COLUMNS + 2, MAX_WORK_ORDER_COLUMNS + 2).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].reason, Reason::TooMany);
        assert_eq!(
            problems[0].column,
            format!("备注{}", MAX_WORK_ORDER_COLUMNS + 1)
        );
        assert_eq!(problems[0].row, 2);
    }

    #[test]
    fn a_mapping_without_a_number_column_makes_every_row_a_problem_not_a_duplicate() {
        let headers = ["问题分类".to_owned(), "诉求内容".into()];
        let fields = [Field::Category, Field::Description];
        let problems = read_row(3, &headers, &fields, &["城市管理->路灯", "路灯不亮"]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].reason, problems[0].column.as_str()),
            (Reason::Required, "")
        );
    }
}
