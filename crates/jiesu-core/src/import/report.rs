//! An import's report as an .xlsx the secretary keeps or sends back to the platform: the
//! rows not imported (row, column, reason, the cell), the work orders a later export says
//! differently, those that look like a case held already, and the counts. Built from the report the window was shown, so it is masked
//! the same way.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::error::{Error, Reason, Result};
use crate::store::ImportReport;

/// A reason as the report says it, in Chinese (the file leaves the app; the window
/// translates the codes itself).
pub fn reason_zh(r: Reason) -> String {
    match r {
        Reason::Required => "为空（必填）".into(),
        Reason::TooLong => "内容过长".into(),
        Reason::TooMany => format!(
            "保留的列超过 {} 列：请在导入时把不需要的列设为“不导入”",
            crate::validate::MAX_WORK_ORDER_COLUMNS
        ),
        Reason::BadTime => "日期时间无法识别".into(),
        Reason::Unknown => "分类未对应到本社区的分类".into(),
        Reason::Duplicate => "文件中工单编号重复".into(),
        other => other.to_string(),
    }
}

fn field_zh(f: &str) -> &str {
    match f {
        "description" => "诉求内容",
        "resident.name" => "诉求人",
        "resident.phone" => "联系电话",
        "location" => "地点",
        "category" => "分类",
        "urgency" => "紧急程度",
        "due" => "承诺完成时间",
        other => other,
    }
}

/// The report as an .xlsx file's bytes.
pub fn report_xlsx(report: &ImportReport) -> Result<Vec<u8>> {
    build(report).map_err(|e| Error::Io(std::io::Error::other(e)))
}

fn build(report: &ImportReport) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();

    let sheet = book.add_worksheet().set_name("汇总")?;
    let counts = [
        ("文件中的工单行", report.rows),
        ("新导入", report.imported),
        ("已导入且未变", report.unchanged),
        ("已导入但有变化（未改动案件）", report.changed.len() as u32),
        ("未导入", report.problems.len() as u32),
        ("新导入中疑似重复", report.duplicates_found),
    ];
    sheet.set_column_width(0, 30)?;
    for (i, (label, n)) in counts.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &bold)?;
        sheet.write_number(i as u32, 1, f64::from(*n))?;
    }

    let sheet = book.add_worksheet().set_name("未导入的行")?;
    for (c, h) in ["行号", "列", "原因", "单元格内容"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 28)?;
    sheet.set_column_width(3, 40)?;
    for (i, p) in report.problems.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, f64::from(p.row))?;
        sheet.write_string(r, 1, &p.column)?;
        sheet.write_string(r, 2, reason_zh(p.reason))?;
        sheet.write_string(r, 3, &p.value)?;
    }

    let sheet = book.add_worksheet().set_name("有变化的工单")?;
    for (c, h) in ["行号", "工单编号", "案件编号", "内容", "案件中", "文件中"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    sheet.set_column_width(4, 40)?;
    sheet.set_column_width(5, 40)?;
    let mut r = 1;
    for d in &report.changed {
        for c in &d.changes {
            sheet.write_number(r, 0, f64::from(d.row))?;
            sheet.write_string(r, 1, &d.work_order_no)?;
            sheet.write_string(r, 2, &d.case_number)?;
            sheet.write_string(r, 3, field_zh(&c.field))?;
            sheet.write_string(r, 4, &c.was)?;
            sheet.write_string(r, 5, &c.now)?;
            r += 1;
        }
    }

    let sheet = book.add_worksheet().set_name("疑似重复")?;
    for (c, h) in [
        "行号",
        "工单编号",
        "新案件编号",
        "可能重复的案件",
        "相似度",
        "该案件内容",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    sheet.set_column_width(1, 20)?;
    sheet.set_column_width(2, 18)?;
    sheet.set_column_width(3, 18)?;
    sheet.set_column_width(5, 60)?;
    let mut r = 1;
    for d in &report.duplicates {
        for s in &d.similar {
            sheet.write_number(r, 0, f64::from(d.row))?;
            sheet.write_string(r, 1, &d.work_order_no)?;
            sheet.write_string(r, 2, &d.case_number)?;
            sheet.write_string(r, 3, &s.number)?;
            sheet.write_number(r, 4, f64::from(s.score))?;
            sheet.write_string(r, 5, &s.summary)?;
            r += 1;
        }
    }
    book.save_to_buffer()
}
