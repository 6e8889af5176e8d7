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

/// Cells past these are not read: Excel's own row limit, and more columns than any export has.
const MAX_SHEET_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 256;
/// What an .xlsx may unpack to, in all and per part (a real export's XML compresses 10–16×;
/// a zip bomb's ~1000×).
const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
const MAX_RATIO: u64 = 100;

/// Refuse a workbook whose parts would unpack to more than a real export ever does, before
/// anything is unpacked (from the sizes the archive declares).
fn check_unpacked(bytes: &[u8]) -> Result<()> {
    let not_export = |_| Error::invalid("file", Reason::NotWorkOrders);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(not_export)?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(not_export)?;
        let (size, packed) = (part.size(), part.compressed_size());
        total = total.saturating_add(size);
        if size > 1024 * 1024 && size / packed.max(1) > MAX_RATIO {
            return Err(Error::invalid("file", Reason::FileTooLarge));
        }
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(Error::invalid("file", Reason::FileTooLarge));
    }
    Ok(())
}

/// An .xlsx's rows, cell by cell (calamine's cell reader: no sheet-sized allocation, so two
/// cells at A1 and XFD1048576 cost two cells), from the sheet whose header row names the most
/// fields (exports put a summary sheet first now and then). Rows are as dense as the sheet's
/// row numbers, so a row's index is its number in the file less one.
fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    use calamine::Reader;
    // .xls (an OLE file) and .ods are not read: Excel and WPS save any of them as .xlsx.
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(Error::invalid("file", Reason::UnsupportedFormat));
    }
    check_unpacked(bytes)?;
    let not_export = |_| Error::invalid("file", Reason::NotWorkOrders);
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(not_export)?;
    let mut best: Option<(usize, Vec<Vec<String>>)> = None;
    for name in book.sheet_names() {
        let Ok(mut cells) = book.worksheet_cells_reader(&name) else {
            continue;
        };
        let mut rows: Vec<Vec<String>> = Vec::new();
        while let Some(cell) = cells.next_cell().map_err(not_export)? {
            let (r, c) = cell.get_position();
            if r >= MAX_SHEET_ROWS || c >= MAX_COLUMNS {
                continue;
            }
            let text = cell_text(cell.get_value());
            if text.is_empty() {
                continue;
            }
            let (r, c) = (r as usize, c as usize);
            if rows.len() <= r {
                rows.resize_with(r + 1, Vec::new);
            }
            if rows[r].len() <= c {
                rows[r].resize(c + 1, String::new());
            }
            rows[r][c] = text;
        }
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
fn cell_text(cell: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match cell {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d
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
    fn cells_far_apart_cost_cells_not_a_sheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["工单编号", "派发时间", "诉求内容"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "A-1").unwrap();
        sheet.write_string(1, 2, "楼道漏水").unwrap();
        // A sheet-sized range would be 16,384 × 1,048,576 cells.
        sheet.write_string(1_048_575, 16_383, "远处").unwrap();
        let t = read_bytes("x.xlsx", &book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(t.headers.len(), 3);
        assert_eq!(
            t.rows,
            [(2, vec!["A-1".into(), String::new(), "楼道漏水".into()])]
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_unpacked() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", deflated)
            .unwrap();
        let zeros = vec![b'0'; 1024 * 1024];
        for _ in 0..16 {
            zip.write_all(&zeros).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        assert!(
            bytes.len() < 100_000,
            "16 MiB packed into {} bytes",
            bytes.len()
        );
        let err = read_bytes("bomb.xlsx", &bytes).unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "file_too_large");
    }

    #[test]
    fn an_old_xls_is_asked_to_be_saved_as_xlsx() {
        let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an old workbook";
        let err = read_bytes("x.xls", ole).unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "unsupported_format");
    }

    #[test]
    fn a_file_that_is_no_export_is_refused_whole() {
        let err = read_bytes("x.csv", "姓名,年龄\n张三,30\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "not_work_orders");
        let err = read_bytes("x.xlsx", b"PK\x03\x04 not really a workbook").unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "not_work_orders");
    }
}
