//! An export's rows as text, held once: every cell's text one after another in one buffer,
//! and where each cell ends. A cell kept as a `String` of its own cost 24 bytes and an
//! allocation beside its text, and a row's `Vec` grown cell by cell up to twice the row's
//! width: a 100,000-row export held 106 MB for 25 MB of text.
//!
//! Cells arrive row by row, left to right, as a reader (`import/read.rs`) finds them; the
//! header row is chosen once the file is read (exports often open with a title row or two,
//! `某某街道12345工单导出 2026-11-30`): the first of the file's first rows that names enough
//! fields.

use super::columns::{self, Field};
use crate::error::{Error, Reason, Result};

/// Rows looked at for the header row.
const HEADER_SEARCH: usize = 20;
/// Columns past this are not read: more than any export has.
pub(super) const MAX_COLUMNS: u32 = 256;
/// Text a file may hold at most, all cells together: more than the largest CSV accepted
/// holds (256 MiB, up to 384 MiB once GB18030 is decoded). An .xlsx can name one long
/// shared string in a million cells; each is text of its own here.
pub(super) const MAX_TEXT_BYTES: usize = 512 * 1024 * 1024;
/// Cells (empty ones inside a row included) a file may hold at most: 2 million make a
/// 100,000-row export; a sheet with a cell in its first and 256th column on every row
/// would otherwise hold a million rows of 256.
const MAX_CELLS: usize = 64 * 1024 * 1024;

/// A file's rows as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The header row's cells, each one line.
    pub headers: Vec<String>,
    /// The header row's number in the file (1-based, as Excel shows it); data rows follow.
    pub header_row: usize,
    /// How the file was read: `xlsx`, `UTF-8`, `GB18030`.
    pub encoding: &'static str,
    cells: Cells,
    /// The rows under the header, wholly empty ones left out.
    rows: Vec<RowAt>,
}

/// Every cell's text one after another, and where each ends in it (a cell starts where the
/// one before it ends).
#[derive(Debug, Clone, Default, PartialEq)]
struct Cells {
    text: String,
    ends: Vec<u32>,
}

impl Cells {
    fn start(&self, cell: u32) -> usize {
        match cell.checked_sub(1) {
            Some(before) => self.ends[before as usize] as usize,
            None => 0,
        }
    }

    /// The row at `at`, read `width` cells wide.
    fn row(&self, at: RowAt, width: usize) -> Row<'_> {
        Row {
            number: at.number as usize,
            cells: self,
            at,
            width,
        }
    }
}

/// A row: its number in the file (0-based while read, 1-based in a [`Table`]), its first
/// cell and how many cells it has (up to its last non-empty one).
#[derive(Debug, Clone, Copy, PartialEq)]
struct RowAt {
    number: u32,
    first: u32,
    len: u16,
}

/// One row of a [`Table`], as wide as its headers.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    /// Its number in the file (1-based, as Excel shows it).
    pub number: usize,
    cells: &'a Cells,
    at: RowAt,
    width: usize,
}

/// Its number and cells, not the whole table's text it points into.
impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("number", &self.number)
            .field("cells", &self.cells())
            .finish()
    }
}

impl<'a> Row<'a> {
    /// The text of the cell in column `i` (trimmed; empty past the row's last cell).
    pub fn get(&self, i: usize) -> &'a str {
        if i >= usize::from(self.at.len).min(self.width) {
            return "";
        }
        let cell = self.at.first + i as u32;
        let end = self.cells.ends[cell as usize] as usize;
        &self.cells.text[self.cells.start(cell)..end]
    }

    /// Every cell, one for each header.
    pub fn cells(&self) -> Vec<&'a str> {
        (0..self.width).map(|i| self.get(i)).collect()
    }
}

impl Table {
    /// Rows under the header.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the header has no row under it.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`th row under the header (0-based, empty rows not counted).
    pub fn row(&self, i: usize) -> Option<Row<'_>> {
        let width = self.headers.len();
        self.rows.get(i).map(|at| self.cells.row(*at, width))
    }

    /// The rows under the header, in the file's order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> {
        let width = self.headers.len();
        self.rows.iter().map(move |at| self.cells.row(*at, width))
    }
}

/// A table being read: cells in the order a reader finds them.
pub(super) struct Builder {
    cells: Cells,
    rows: Vec<RowAt>,
    max_text: usize,
}

impl Builder {
    pub(super) fn new() -> Builder {
        Builder::within(MAX_TEXT_BYTES)
    }

    /// A builder refusing more than `max_text` bytes of text.
    pub(super) fn within(max_text: usize) -> Builder {
        Builder {
            cells: Cells::default(),
            rows: Vec::new(),
            max_text,
        }
    }

    /// The cell at `row` (0-based), `col`, trimmed. Empty cells need not be given. Cells
    /// must come row by row and left to right, as a sheet's XML lists them (Excel calls a
    /// sheet listing them otherwise damaged): a cell before one already given is refused,
    /// never placed by guess.
    pub(super) fn cell(&mut self, row: u32, col: u32, text: &str) -> Result<()> {
        let text = text.trim();
        if text.is_empty() || col >= MAX_COLUMNS {
            return Ok(());
        }
        let malformed = || Error::invalid("file", Reason::NotWorkOrders);
        let total = self.cells.ends.len();
        match self.rows.last() {
            Some(last) if last.number == row => {
                if col < u32::from(last.len) {
                    return Err(malformed());
                }
            }
            Some(last) if last.number > row => return Err(malformed()),
            _ => self.rows.push(RowAt {
                number: row,
                first: u32::try_from(total).map_err(|_| too_large())?,
                len: 0,
            }),
        }
        let Some(last) = self.rows.last_mut() else {
            return Err(malformed());
        };
        let gap = (col - u32::from(last.len)) as usize;
        if self.cells.text.len() + text.len() > self.max_text || total + gap + 1 > MAX_CELLS {
            return Err(too_large());
        }
        // Both fit in u32: the text is bounded by MAX_TEXT_BYTES, the cells by MAX_CELLS.
        let here = self.cells.text.len() as u32;
        self.cells.ends.extend(std::iter::repeat_n(here, gap));
        self.cells.text.push_str(text);
        self.cells.ends.push(self.cells.text.len() as u32);
        last.len = (col + 1) as u16;
        Ok(())
    }

    /// The cells of the rows among the first [`HEADER_SEARCH`] of the file, by place (a
    /// row with nothing in it is empty).
    fn first_rows(&self) -> Vec<Vec<String>> {
        let mut out = vec![Vec::new(); HEADER_SEARCH];
        for at in self
            .rows
            .iter()
            .take_while(|r| (r.number as usize) < HEADER_SEARCH)
        {
            let row = self.cells.row(*at, usize::from(at.len));
            out[at.number as usize] = row.cells().into_iter().map(str::to_owned).collect();
        }
        out
    }

    /// How many fields the header row names (0: no header row found).
    pub(super) fn score(&self) -> usize {
        let first = self.first_rows();
        header_index(&first)
            .map(|i| columns::recognised(&first[i]))
            .unwrap_or(0)
    }

    /// The table under the header row.
    pub(super) fn finish(mut self, encoding: &'static str) -> Result<Table> {
        // Grown by doubling while read: up to half of it unused.
        self.cells.text.shrink_to_fit();
        self.cells.ends.shrink_to_fit();
        let first = self.first_rows();
        let at = header_index(&first).ok_or(Error::invalid("file", Reason::NotWorkOrders))?;
        // A header is one line (Excel headers wrap: `诉求\n内容`), without control characters.
        let mut headers: Vec<String> = first[at]
            .iter()
            .map(|h| {
                h.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .filter(|c| !c.is_control())
                    .collect()
            })
            .collect();
        // Trailing unnamed columns (a sheet's used range running past the table) are
        // dropped; one inside the table is named by its place, as Excel's column letters
        // would not say.
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
        for (i, h) in headers.iter_mut().enumerate() {
            if h.is_empty() {
                *h = format!("第{}列", i + 1);
            }
        }
        let width = headers.len();
        let cells = &self.cells;
        let rows = self
            .rows
            .iter()
            .filter(|r| r.number as usize > at)
            .filter(|r| {
                // Rows hold no empty cell past their last, so a row has text within the
                // table unless all of it lies past the last header.
                let within = usize::from(r.len).min(width) as u32;
                within > 0
                    && cells.start(r.first) < cells.ends[(r.first + within - 1) as usize] as usize
            })
            .map(|r| RowAt {
                number: r.number + 1,
                ..*r
            })
            .collect();
        Ok(Table {
            headers,
            header_row: at + 1,
            encoding,
            cells: self.cells,
            rows,
        })
    }
}

fn too_large() -> Error {
    Error::invalid("file", Reason::FileTooLarge)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn built(cells: &[(u32, u32, &str)]) -> Result<Table> {
        let mut b = Builder::new();
        for (r, c, t) in cells {
            b.cell(*r, *c, t)?;
        }
        b.finish("xlsx")
    }

    const HEADER: [(u32, u32, &str); 3] =
        [(0, 0, "工单编号"), (0, 1, "派发时间"), (0, 2, "诉求内容")];

    #[test]
    fn cells_are_read_back_as_given_with_gaps_empty() {
        let t = built(
            &[
                HEADER.as_slice(),
                &[(1, 0, " A-1 "), (1, 2, "楼道漏水"), (3, 1, "2026-11-30")],
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        let rows: Vec<(usize, Vec<&str>)> = t.rows().map(|r| (r.number, r.cells())).collect();
        assert_eq!(
            rows,
            [
                (2, vec!["A-1", "", "楼道漏水"]),
                (4, vec!["", "2026-11-30", ""]),
            ]
        );
        assert_eq!(t.row(0).unwrap().get(7), "", "past the table");
        assert_eq!(
            format!("{:?}", t.row(1).unwrap()),
            r#"Row { number: 4, cells: ["", "2026-11-30", ""] }"#
        );
        assert!(t.row(2).is_none());
    }

    #[test]
    fn a_row_with_text_only_past_the_last_header_is_left_out() {
        let t = built(&[HEADER.as_slice(), &[(1, 5, "页脚"), (2, 0, "A-2")]].concat()).unwrap();
        assert_eq!(t.rows().map(|r| r.number).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn a_cell_out_of_order_is_refused_not_placed_by_guess() {
        let given = |b: &mut Builder| {
            b.cell(1, 0, "A-1").unwrap();
            b.cell(1, 1, "B").unwrap();
        };
        for (row, col) in [(1, 0), (1, 1), (0, 3)] {
            let mut b = Builder::new();
            given(&mut b);
            let err = b.cell(row, col, "晚到的").unwrap_err();
            assert_eq!(
                err.to_wire().params["reason"],
                "not_work_orders",
                "{row},{col}"
            );
        }
    }

    #[test]
    fn text_past_the_bound_is_refused_as_too_large() {
        let mut b = Builder::within(10);
        b.cell(0, 0, "12345").unwrap();
        b.cell(0, 1, "12345").unwrap();
        let err = b.cell(1, 0, "x").unwrap_err();
        assert_eq!(err.to_wire().params["reason"], "file_too_large");
    }
}
