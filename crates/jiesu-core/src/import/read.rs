//! An export read into a [`Table`]: .xlsx through calamine, CSV in UTF-8 (with or without a
//! BOM) or GB18030 — what Excel in China writes, a superset of GBK — told apart by whether
//! the bytes are valid UTF-8 (GB18030 text of any length almost never is). Cells go into the
//! table as they are found, never into a sheet of cells first.

use std::borrow::Cow;
use std::path::Path;

use super::table::{Builder, MAX_COLUMNS, Table};
use crate::error::{Error, Reason, Result};

/// Files larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

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
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        read_csv(bytes)
    } else {
        read_workbook(bytes, Builder::new)?.finish("xlsx")
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    // UTF-8 is read where it lies; only GB18030 is decoded into a copy.
    let (text, encoding): (Cow<'_, str>, _) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (String::from_utf8_lossy(rest), "UTF-8"),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => (Cow::Borrowed(s), "UTF-8"),
            Err(_) => {
                let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
                if bad {
                    return Err(Error::invalid("file", Reason::NotWorkOrders));
                }
                (s, "GB18030")
            }
        },
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Builder::new();
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    while reader
        .read_record(&mut record)
        .map_err(|_| Error::invalid("file", Reason::NotWorkOrders))?
    {
        for (col, cell) in record.iter().enumerate().take(MAX_COLUMNS as usize) {
            table.cell(row, col as u32, cell)?;
        }
        row = row
            .checked_add(1)
            .ok_or(Error::invalid("file", Reason::FileTooLarge))?;
    }
    table.finish(encoding)
}

/// Rows past Excel's own limit are not read.
const MAX_SHEET_ROWS: u32 = 1_048_576;
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

/// An .xlsx's cells, one by one (calamine's cell reader: no sheet-sized allocation, so two
/// cells at A1 and XFD1048576 cost two cells), from the sheet whose header row names the most
/// fields (exports put a summary sheet first now and then). `builder` makes each sheet's
/// table (tests give one with a smaller bound).
fn read_workbook(bytes: &[u8], builder: fn() -> Builder) -> Result<Builder> {
    use calamine::Reader;
    // .xls (an OLE file) and .ods are not read: Excel and WPS save any of them as .xlsx.
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(Error::invalid("file", Reason::UnsupportedFormat));
    }
    check_unpacked(bytes)?;
    let not_export = |_| Error::invalid("file", Reason::NotWorkOrders);
    let mut book: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(not_export)?;
    let mut best: Option<(usize, Builder)> = None;
    let mut text = String::new();
    for name in book.sheet_names() {
        let Ok(mut cells) = book.worksheet_cells_reader(&name) else {
            continue;
        };
        let mut sheet = builder();
        while let Some(cell) = cells.next_cell().map_err(not_export)? {
            let (r, c) = cell.get_position();
            if r >= MAX_SHEET_ROWS {
                continue;
            }
            text.clear();
            cell_text(cell.get_value(), &mut text);
            sheet.cell(r, c, &text)?;
        }
        let score = sheet.score();
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, sheet));
        }
    }
    best.map(|(_, sheet)| sheet)
        .ok_or(Error::invalid("file", Reason::NotWorkOrders))
}

/// A cell as the text a person sees, into `out`: whole numbers without `.0` (a phone number
/// or a work order's number typed as a number), dates as `YYYY-MM-DD HH:MM:SS`.
fn cell_text(cell: &calamine::DataRef<'_>, out: &mut String) {
    use calamine::DataRef;
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = match cell {
        DataRef::Empty | DataRef::Error(_) => Ok(()),
        DataRef::SharedString(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            out.push_str(s);
            Ok(())
        }
        DataRef::Int(i) => write!(out, "{i}"),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => write!(out, "{}", *f as i64),
        DataRef::Float(f) => write!(out, "{f}"),
        DataRef::Bool(b) => write!(out, "{b}"),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(t) => write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S")),
            None => Ok(()),
        },
    };
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
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.row(0).unwrap().number,
            3,
            "rows are numbered as the file numbers them"
        );
        assert_eq!(t.encoding, "UTF-8");
    }

    #[test]
    fn gb18030_and_a_bom_are_told_apart_from_plain_utf8() {
        let (gbk, _, _) = encoding_rs::GB18030.encode(CSV);
        let t = read_bytes("x.csv", &gbk).unwrap();
        assert_eq!(
            (t.encoding, t.row(0).unwrap().get(2)),
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
        let rows: Vec<_> = t.rows().map(|r| (r.number, r.cells())).collect();
        assert_eq!(rows, [(2, vec!["A-1", "", "楼道漏水"])]);
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
    fn a_shared_string_repeated_in_many_cells_is_refused_as_too_large() {
        // One 30,000-character string in a thousand cells: a few KB packed, 90 MB as text.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let long = "漏".repeat(30_000);
        for r in 0..1000 {
            sheet.write_string(r, 0, &long).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
        let err = read_workbook(&bytes, || Builder::within(1024 * 1024))
            .err()
            .unwrap();
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
