//! An export read into rows of text: .xlsx (and .xls, .ods) through calamine, CSV in UTF-8
//! (with or without a BOM) or GB18030 — what Excel in China writes, a superset of GBK — told
//! apart by whether the bytes are valid UTF-8 (GB18030 text of any length almost never is).
//! Exports often open with a title row or two (`某某街道12345工单导出 2026-11-30`): the header
//! row is the first of the file's first rows that names enough fields.

use std::path::Path;

use super::columns::{self, Field};
use crate::error::{Error, Reason, Result};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Rows looked at for the header row.
const HEADER_SEARCH: usize = 20;

/// A file's rows as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The header row's cells.
    pub headers: Vec<String>,
    /// The header row's number in the file (1-based, as Excel shows it); data rows follow.
    pub header_row: usize,
    /// The rows under the header, each padded or cut to the header's width, with their
    /// numbers in the file. Wholly empty rows are left out.
    pub rows: Vec<(usize, Vec<String>)>,
    /// How the file was read: `xlsx`, `UTF-8`, `GB18030`.
    pub encoding: &'static str,
}

/// Read `path`, by its extension (`.csv`, `.txt`: CSV; anything else a workbook).
pub fn read_file(path: &Path) -> Result<Table> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_FILE_BYTES {
        return Err(Error::invalid("file", Reason::FileTooLarge));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    read_bytes(name, &std::fs::read(path)?)
}

/// Read a file's bytes, named as the user chose it (the window passes the bytes of a dropped
/// file).
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<Table> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::invalid("file", Reason::FileTooLarge));
    }
    let lower = name.to_lowercase();
    let (cells, encoding) = if lower.ends_with(".csv") || lower.ends_with(".txt") {
        read_csv(bytes)?
    } else {
        (read_workbook(bytes)?, "xlsx")
    };
    into_table(cells, encoding)
}

fn read_csv(bytes: &[u8]) -> Result<(Vec<Vec<String>>, &'static str)> {
    let (text, encoding) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (String::from_utf8_lossy(rest).into_owned(), "UTF-8"),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), "UTF-8"),
            Err(_) => {
                let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
                if bad {
                    return Err(Error::invalid("file", Reason::NotWorkOrders));
                }
                (s.into_owned(), "GB18030")
            }
        },
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| Error::invalid("file", Reason::NotWorkOrders))?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok((rows, encoding))
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|_| Error::invalid("file", Reason::NotWorkOrders))?;
    // The sheet whose header row names the most fields: exports put a summary sheet first
    // now and then.
    let mut best: Option<(usize, Vec<Vec<String>>)> = None;
    for name in book.sheet_names().to_owned() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        let score = header_index(&rows)
            .map(|i| columns::recognised(&rows[i]))
            .unwrap_or(0);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, rows));
        }
    }
    best.map(|(_, rows)| rows)
        .ok_or(Error::invalid("file", Reason::NotWorkOrders))
}

/// A cell as the text a person sees: whole numbers without `.0` (a phone number or a work
/// order's number typed as a number), dates as `YYYY-MM-DD HH:MM:SS`.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default(),
    }
}

/// The header row among the first rows: the first naming at least three fields, one of them
/// the number or the content.
fn header_index(rows: &[Vec<String>]) -> Option<usize> {
    rows.iter().take(HEADER_SEARCH).position(|r| {
        let guessed = columns::guess(r);
        columns::recognised(r) >= 3
            && guessed
                .iter()
                .any(|f| matches!(f, Field::WorkOrderNo | Field::Description))
    })
}

fn into_table(cells: Vec<Vec<String>>, encoding: &'static str) -> Result<Table> {
    let at = header_index(&cells).ok_or(Error::invalid("file", Reason::NotWorkOrders))?;
    let mut rows = cells.into_iter().enumerate().skip(at);
    let (_, mut headers) = rows.next().unwrap_or_default();
    // A header is one line (Excel headers wrap: `诉求\n内容`), without control characters.
    for h in &mut headers {
        *h = h
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
    }
    // Trailing unnamed columns (a sheet's used range running past the table) are dropped;
    // one inside the table is named by its place, as Excel's column letters would not say.
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    for (i, h) in headers.iter_mut().enumerate() {
        if h.is_empty() {
            *h = format!("第{}列", i + 1);
        }
    }
    let width = headers.len();
    let rows = rows
        .filter_map(|(i, mut r)| {
            r.resize(width, String::new());
            for c in &mut r {
                let t = c.trim();
                if t.len() != c.len() {
                    *c = t.to_owned();
                }
            }
            (!r.iter().all(String::is_empty)).then_some((i + 1, r))
        })
        .collect();
    Ok(Table {
        headers,
        header_row: at + 1,
        rows,
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "某街道12345工单导出\n工单编号,来电时间,诉求内容,联系电话\n\
                       A001,2026-11-30 09:05,楼道漏水,13800138000\n,,,\n";

    #[test]
    fn a_title_row_is_skipped_and_empty_rows_left_out() {
        let t = read_bytes("x.csv", CSV.as_bytes()).unwrap();
        assert_eq!(t.header_row, 2);
        assert_eq!(t.headers[0], "工单编号");
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].0, 3, "rows are numbered as the file numbers them");
        assert_eq!(t.encoding, "UTF-8");
    }

    #[test]
    fn gb18030_and_a_bom_are_told_apart_from_plain_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode(CSV);
        let t = read_bytes("x.csv", &gbk).unwrap();
        assert_eq!(
            (t.encoding, t.rows[0].1[2].as_str()),
            ("GB18030", "楼道漏水")
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), CSV.as_bytes()].concat();
        let t = read_bytes("x.csv", &bom).unwrap();
        assert_eq!((t.encoding, t.headers[0].as_str()), ("UTF-8", "工单编号"));
    }

    #[test]
    fn a_file_that_is_no_export_is_refused_whole() {
        let err = read_bytes("x.csv", "姓名,年龄\n张三,30\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "not_work_orders");
        let err = read_bytes("x.xlsx", b"PK\x03\x04 not really a workbook").unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "not_work_orders");
    }
}
