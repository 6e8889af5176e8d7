//! The store's side of importing 12345 work orders ([`crate::import`]): which rows are new,
//! which the store already holds (unchanged, or changed in a later export), the preview the
//! window shows before anything is written, and the import itself — one transaction, so a
//! cancelled or failed import writes nothing (written by [`super::import_write`]). Each new work order is checked against the
//! cases held (and those imported before it from the same file) for likely duplicates, which
//! the report lists for the secretary to merge or link.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::import_write::{Maker, draft_of};
use super::*;
use crate::import::{self, Field, ImportMapping, ReadRow, Row, RowProblem, Table};
use crate::model::Resident;
use crate::privacy::{Exposure, Mask, numbers_in};
use crate::similar::Suggestion;

/// Rows the preview shows as Jiesu will read them.
const SAMPLE_ROWS: usize = 20;
/// Rows written between two progress reports (and chances to cancel).
const PROGRESS_EVERY: usize = 100;
/// Likely duplicates the report lists at most (the count says how many there were).
pub(super) const MAX_LISTED_DUPLICATES: usize = 500;

/// Where a row stands against the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum RowStatus {
    /// A work order the store does not hold: imported.
    New,
    /// Held already, as the file has it: nothing to do.
    Unchanged,
    /// Held already, and the file says something else: shown, not applied.
    Changed,
    /// Not readable: reported.
    Problem,
}

/// A row as the preview shows it (masked as every view is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct PreviewRow {
    /// Its number in the file.
    pub row: u32,
    /// Where it stands.
    pub status: RowStatus,
    /// 工单编号
    pub work_order_no: String,
    /// When the platform received it (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub received_at: Option<i64>,
    /// 诉求人 and phone, masked.
    pub resident: Resident,
    /// The city's category.
    pub city_category: String,
    /// The office's category it goes to (`None`: nowhere yet).
    pub category: Option<String>,
    /// The text, cut to 120 characters.
    pub description: String,
    /// 承诺完成时间 (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub due: Option<i64>,
    /// A new row's likely duplicates among the cases held.
    pub similar: Vec<Suggestion>,
}

/// An imported work order that looks like a case held before it: the resident called 12345
/// about a problem the office already has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ImportedDuplicate {
    /// The row.
    pub row: u32,
    /// 工单编号
    pub work_order_no: String,
    /// The case it became.
    pub case_id: Uuid,
    /// Its number.
    pub case_number: String,
    /// The cases it may repeat, most alike first.
    pub similar: Vec<Suggestion>,
}

/// One of the file's city categories: how many rows carry it and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CityCategory {
    /// As the export writes it, levels joined by `->`.
    pub city: String,
    /// Rows carrying it.
    pub rows: u32,
    /// The office category it goes to: the mapping's, else guessed by name.
    pub category: Option<String>,
    /// Guessed, not yet confirmed by anyone.
    pub guessed: bool,
}

/// A field a later export says differently from the case the work order became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct FieldChange {
    /// The field (`description`, `resident.name`, `resident.phone`, `location`, `category`,
    /// `urgency`, `due`).
    pub field: String,
    /// What the case says (masked).
    pub was: String,
    /// What the file says (masked).
    pub now: String,
}

/// A work order the store holds that the file says differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Difference {
    /// The row.
    pub row: u32,
    /// 工单编号
    pub work_order_no: String,
    /// The case it became.
    pub case_id: Uuid,
    /// Its number.
    pub case_number: String,
    /// What differs.
    pub changes: Vec<FieldChange>,
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ImportPreview {
    /// The name the mapping is remembered under.
    pub source: String,
    /// How the file was read (`xlsx`, `UTF-8`, `GB18030`).
    pub encoding: String,
    /// The header row's number and cells.
    pub header_row: u32,
    /// The headers.
    pub headers: Vec<String>,
    /// The mapping in force: the one given, else the one remembered for these headers, else
    /// the guess.
    pub mapping: ImportMapping,
    /// The mapping was remembered from an earlier import.
    pub remembered: bool,
    /// Data rows in the file.
    pub rows: u32,
    /// The first rows as Jiesu will read them.
    pub sample: Vec<PreviewRow>,
    /// Every city category of the file.
    pub city_categories: Vec<CityCategory>,
    /// Rows that would become cases.
    pub new: u32,
    /// Rows the store holds as they are.
    pub unchanged: u32,
    /// Rows the store holds that the file says differently.
    pub changed: Vec<Difference>,
    /// Rows that cannot be imported, and why.
    pub problems: Vec<RowProblem>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ImportReport {
    /// The mapping's name.
    pub source: String,
    /// Data rows in the file.
    pub rows: u32,
    /// Cases made.
    pub imported: u32,
    /// Rows the store held as they are.
    pub unchanged: u32,
    /// Rows the store held that the file says differently (not applied).
    pub changed: Vec<Difference>,
    /// Rows not imported, and why.
    pub problems: Vec<RowProblem>,
    /// Imported work orders that look like a case held before them (at most 500 listed).
    pub duplicates: Vec<ImportedDuplicate>,
    /// How many imported work orders looked like one.
    pub duplicates_found: u32,
}

/// A table read against the store under one mapping.
struct Plan {
    /// New rows (their places in the table) with the office category each goes to.
    /// (Read again as each is written: holding every row read beside the file's text would
    /// double what a large file costs in memory.)
    new: Vec<(usize, String)>,
    unchanged: u32,
    changed: Vec<Difference>,
    problems: Vec<RowProblem>,
    /// The preview's sample rows as read, with status and category, by row number (only
    /// those: a copy of every row would double what a large file holds in memory).
    read: HashMap<u32, (RowStatus, ReadRow, Option<String>)>,
    city: BTreeMap<String, u32>,
}

impl Store {
    /// What importing `table` would do under `mapping` (`None`: the mapping remembered for
    /// its headers, else the guess). Writes nothing.
    pub fn import_preview(
        &mut self,
        table: &Table,
        mapping: Option<ImportMapping>,
    ) -> Result<ImportPreview> {
        self.check_write("work_order_imported")?;
        let source = import::source_of(&table.headers);
        let remembered = self.remembered_mapping(&source)?;
        let was_remembered = mapping.is_none() && remembered.is_some();
        let mapping = match mapping.or(remembered) {
            Some(m) => fit(m, table),
            None => ImportMapping {
                fields: import::columns::guess(&table.headers),
                ..ImportMapping::default()
            },
        };
        let plan = self.plan(table, &mapping)?;
        let mut sample = Vec::new();
        for line in table.rows().take(SAMPLE_ROWS) {
            let row = u32::try_from(line.number).unwrap_or(u32::MAX);
            let p = match plan.read.get(&row) {
                Some((status, r, category)) => PreviewRow {
                    row,
                    status: *status,
                    work_order_no: r.work_order_no.clone(),
                    received_at: r.received_at,
                    resident: r.resident.clone(),
                    city_category: r.city_category.clone(),
                    category: category.clone(),
                    description: r.description.chars().take(120).collect(),
                    due: r.due,
                    similar: if *status == RowStatus::New {
                        self.similar_cases(&draft_of(r))?
                    } else {
                        Vec::new()
                    },
                },
                None => PreviewRow {
                    row,
                    status: RowStatus::Problem,
                    work_order_no: cell(&mapping, &line, Field::WorkOrderNo),
                    received_at: None,
                    resident: Resident::default(),
                    city_category: String::new(),
                    category: None,
                    description: cell(&mapping, &line, Field::Description)
                        .chars()
                        .take(120)
                        .collect(),
                    due: None,
                    similar: Vec::new(),
                },
            };
            sample.push(p);
        }
        let city_categories = plan
            .city
            .iter()
            .map(|(city, rows)| {
                let placed = mapping.categories.get(city).cloned();
                let guessed = placed
                    .is_none()
                    .then(|| import::guess_category(city))
                    .flatten();
                CityCategory {
                    city: city.clone(),
                    rows: *rows,
                    guessed: guessed.is_some(),
                    category: placed.or(guessed),
                }
            })
            .collect();
        let preview = ImportPreview {
            source,
            encoding: table.encoding.to_owned(),
            header_row: u32::try_from(table.header_row).unwrap_or(u32::MAX),
            headers: table.headers.clone(),
            mapping,
            remembered: was_remembered,
            rows: u32::try_from(table.len()).unwrap_or(u32::MAX),
            sample,
            city_categories,
            new: u32::try_from(plan.new.len()).unwrap_or(u32::MAX),
            unchanged: plan.unchanged,
            changed: plan.changed,
            problems: plan.problems,
        };
        self.shown(preview)
    }

    /// Import `table` under `mapping`: every new work order becomes a case (`case_received`
    /// and `work_order_imported`), all in one transaction; the rest is reported. `progress`
    /// hears `(done, total)` every hundred rows and stops the import by answering `false`
    /// (nothing is then written: `cancelled`). The mapping is remembered for these headers.
    pub fn import_work_orders(
        &mut self,
        table: &Table,
        mapping: &ImportMapping,
        progress: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Result<ImportReport> {
        self.check_write("case_received")?;
        self.check_write("work_order_imported")?;
        let mapping = fit(mapping.clone(), table);
        if !mapping.fields.contains(&Field::WorkOrderNo) {
            return Err(Error::invalid("work_order_no", Reason::Required));
        }
        let source = import::source_of(&table.headers);
        let plan = self.plan(table, &mapping)?;
        let total = u32::try_from(plan.new.len()).unwrap_or(u32::MAX);
        // The log is copied back behind the import, not inside it (`checkpoint`).
        let written = self.checkpoint_behind(|s| {
            s.batch(|s| {
                // One moment for the whole file, and its numbers counted once: counting per row
                // would make an import of n orders on one day cost n².
                let now = s.clock.now_ms();
                let prefix = s.number_prefix(now);
                let taken = s.numbers_taken(&prefix)?;
                s.check_resynced()?;
                // Likely duplicates: among the cases held before the import (read from the
                // store), and among this file's orders written before each one (kept prepared
                // in memory by the maker).
                let held_upto: i64 =
                    s.conn
                        .query_row("SELECT coalesce(max(rowid), 0) FROM cases", [], |r| {
                            r.get(0)
                        })?;
                let mut search = SearchBatch::bulk(&s.conn)?;
                let key = super::seal::device_key(&s.conn)?;
                // Copies: the writer holds the store while the maker reads them.
                let (policy, calendar) = (s.policy.clone(), s.calendar.clone());
                let maker = Maker {
                    policy: &policy,
                    calendar: &calendar,
                    stamp: s.stamp(now),
                    key: &key,
                    source: &source,
                    table,
                    fields: &mapping.fields,
                    prefix,
                    taken,
                };
                let written = s.write_new_orders(
                    maker,
                    &plan.new,
                    held_upto,
                    &mut search,
                    PROGRESS_EVERY,
                    progress,
                )?;
                if !progress(written.imported, total) {
                    return Err(Error::invalid("import", Reason::Cancelled));
                }
                search.flush(&s.conn)?;
                Store::remember_mapping(&s.conn, &table.headers, &mapping, now)?;
                Ok(written)
            })
        })?;
        self.shown(ImportReport {
            source,
            rows: u32::try_from(table.len()).unwrap_or(u32::MAX),
            imported: written.imported,
            unchanged: plan.unchanged,
            changed: plan.changed,
            problems: plan.problems,
            duplicates: written.duplicates,
            duplicates_found: written.duplicates_found,
        })
    }

    fn plan(&self, table: &Table, mapping: &ImportMapping) -> Result<Plan> {
        let mut plan = Plan {
            new: Vec::new(),
            unchanged: 0,
            changed: Vec::new(),
            problems: Vec::new(),
            read: HashMap::new(),
            city: BTreeMap::new(),
        };
        let number_header = mapping
            .fields
            .iter()
            .position(|f| *f == Field::WorkOrderNo)
            .map(|i| table.headers[i].clone())
            .unwrap_or_default();
        let mut seen = HashSet::new();
        let sampled: HashSet<u32> = table
            .rows()
            .take(SAMPLE_ROWS)
            .map(|row| u32::try_from(row.number).unwrap_or(u32::MAX))
            .collect();
        let mut guesses: HashMap<String, Option<String>> = HashMap::new();
        for (at, row) in table.rows().enumerate() {
            let cells = row.cells();
            let read =
                match import::rows::read_row(row.number, &table.headers, &mapping.fields, &cells) {
                    Ok(r) => r,
                    Err(problems) => {
                        plan.problems.extend(problems);
                        continue;
                    }
                };
            *plan.city.entry(read.city_category.clone()).or_default() += 1;
            let category = mapping
                .categories
                .get(&read.city_category)
                .cloned()
                .or_else(|| {
                    guesses
                        .entry(read.city_category.clone())
                        .or_insert_with(|| import::guess_category(&read.city_category))
                        .clone()
                })
                .or_else(|| mapping.fallback_category.clone())
                .filter(|c| jiesu_protocol::catalog::is_category(c));
            let problem = |reason, column: &str, value: &str| RowProblem {
                row: read.row,
                column: column.to_owned(),
                reason,
                value: value.chars().take(100).collect(),
            };
            if !seen.insert(read.work_order_no.clone()) {
                plan.problems.push(problem(
                    Reason::Duplicate,
                    &number_header,
                    &read.work_order_no,
                ));
                continue;
            }
            let Some(category) = category else {
                let header = mapping
                    .fields
                    .iter()
                    .position(|f| matches!(f, Field::Category | Field::CategoryMinor))
                    .map(|i| table.headers[i].clone())
                    .unwrap_or_default();
                plan.problems
                    .push(problem(Reason::Unknown, &header, &read.city_category));
                if sampled.contains(&read.row) {
                    plan.read.insert(read.row, (RowStatus::Problem, read, None));
                }
                continue;
            };
            let status = match self.case_of_work_order(&read.work_order_no)? {
                None => RowStatus::New,
                Some(case) => {
                    let changes = changes(&case, &read, &category);
                    if changes.is_empty() {
                        plan.unchanged += 1;
                        RowStatus::Unchanged
                    } else {
                        plan.changed.push(Difference {
                            row: read.row,
                            work_order_no: read.work_order_no.clone(),
                            case_id: case.id,
                            case_number: case.number.clone(),
                            changes,
                        });
                        RowStatus::Changed
                    }
                }
            };
            if sampled.contains(&read.row) {
                plan.read
                    .insert(read.row, (status, read.clone(), Some(category.clone())));
            }
            if status == RowStatus::New {
                plan.new.push((at, category));
            }
        }
        Ok(plan)
    }

    /// The case a work order became, by its number.
    fn case_of_work_order(&self, number: &str) -> Result<Option<Case>> {
        let id: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM cases WHERE work_order_no = ?1 AND work_order_no <> '' LIMIT 1",
            )?
            .query_row([number], |r| r.get(0))
            .optional()?;
        match id {
            Some(id) => Ok(Case::load(&self.conn, &id)?.map(|(c, _)| c)),
            None => Ok(None),
        }
    }
}

/// A mapping made to the table's width: a remembered one for the same headers always is; a
/// column it does not name is kept.
fn fit(mut m: ImportMapping, table: &Table) -> ImportMapping {
    m.fields.resize(table.headers.len(), Field::Keep);
    m
}

fn cell(mapping: &ImportMapping, row: &Row<'_>, f: Field) -> String {
    mapping
        .fields
        .iter()
        .position(|g| *g == f)
        .map_or("", |i| row.get(i))
        .to_owned()
}

/// What the file says differently from the case (the fields intake took from it).
fn changes(case: &Case, row: &ReadRow, category: &str) -> Vec<FieldChange> {
    let time = |t: Option<i64>| t.map(|t| t.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    let mut differ = |field: &str, was: String, now: String| {
        if was != now {
            out.push(FieldChange {
                field: field.to_owned(),
                was,
                now,
            });
        }
    };
    differ(
        "description",
        case.description.clone(),
        row.description.clone(),
    );
    differ(
        "resident.name",
        case.resident.name.clone(),
        row.resident.name.clone(),
    );
    differ(
        "resident.phone",
        crate::privacy::phone(&case.resident.phone),
        crate::privacy::phone(&row.resident.phone),
    );
    differ("location", case.location.clone(), row.location.clone());
    differ("category", case.category.clone(), category.to_owned());
    differ(
        "urgency",
        format!("{:?}", case.urgency),
        format!("{:?}", row.urgency),
    );
    if let Some(w) = &case.work_order {
        differ("due", time(w.promised_due), time(row.due));
    }
    out
}

impl Mask for ImportPreview {
    fn mask(&mut self, e: Exposure) {
        for r in &mut self.sample {
            r.resident.mask(e);
        }
        mask_rows(&mut self.changed, &mut self.problems, e);
    }
}

impl Mask for ImportReport {
    fn mask(&mut self, e: Exposure) {
        mask_rows(&mut self.changed, &mut self.problems, e);
    }
}

/// Differences and problems quote the file: numbers in them are masked like kept columns.
fn mask_rows(changed: &mut [Difference], problems: &mut [RowProblem], e: Exposure) {
    if e == Exposure::Full {
        return;
    }
    for c in changed.iter_mut().flat_map(|d| d.changes.iter_mut()) {
        c.was = numbers_in(&c.was);
        c.now = numbers_in(&c.now);
        if e == Exposure::Outsider && c.field == "resident.name" {
            c.was = crate::privacy::name(&c.was);
            c.now = crate::privacy::name(&c.now);
        }
    }
    for p in problems {
        p.value = numbers_in(&p.value);
    }
}
