//! Writing an import's new work orders ([`super::imports`]) on three threads. Making a row's
//! case needs no connection — its two events stamped, folded and validated, its row text and
//! search columns made, its likely duplicates among the file's earlier orders judged — nor
//! does signing its events, and together they cost more than writing it. So a maker thread
//! makes row after row, a sealer thread signs them, and the calling thread, which holds the
//! store's transaction, judges each against the cases held before the import and writes it.
//! Rows travel in runs of [`RUN`] and arrive in file order, so case numbers, clocks and each
//! order's duplicates among earlier ones are what one thread would have made.
//!
//! Stopping is the writer's: a cancel or an error returns from the loop, the channels close
//! and the sealer, then the maker, stop at their next run; the caller rolls the transaction
//! back.

use std::sync::mpsc;

use super::imports::{ImportedDuplicate, MAX_LISTED_DUPLICATES};
use super::seal::{Sealed, seal_ahead};
use super::*;
use crate::event::WorkOrder;
use crate::import::rows::read_row;
use crate::import::{Field, ReadRow, Table};
use crate::model::Channel;
use crate::seal::SigningKey;
use crate::similar::{self, Draft, Probe, Suggestion};

/// Rows handed over at once. One row at a time, the writer emptied the channel and slept
/// on it for nearly every row (57,000 futex waits in a 100,000-row import), each wake a
/// system call on the maker's side and a lost slice on the writer's.
const RUN: usize = 32;
/// Runs made ahead of the writer at most (bounds the memory the rows hold: 256 rows).
const AHEAD: usize = 8;

/// What an import writes, and what it found.
pub(super) struct Written {
    pub(super) imported: u32,
    /// Imported orders that look like a case held before them, the first
    /// [`MAX_LISTED_DUPLICATES`].
    pub(super) duplicates: Vec<ImportedDuplicate>,
    pub(super) duplicates_found: u32,
}

/// Everything a row's case needs that is not the connection.
pub(super) struct Maker<'a> {
    pub(super) policy: &'a DeadlinePolicy,
    pub(super) calendar: &'a Calendar,
    pub(super) stamp: Stamp,
    /// The device's key, for the sealer.
    pub(super) key: &'a SigningKey,
    /// The mapping's name, kept with each work order.
    pub(super) source: &'a str,
    /// The file, and what each of its columns means.
    pub(super) table: &'a Table,
    pub(super) fields: &'a [Field],
    /// The day's case-number prefix and how many of its numbers were taken before.
    pub(super) prefix: String,
    pub(super) taken: u32,
}

/// A row made, for the writer.
struct Made {
    row: u32,
    case: Case,
    /// Its events, as the maker stamped them; the sealer turns them into `steps`.
    events: Vec<Event>,
    steps: Vec<Sealed>,
    text: CaseText,
    probe: Option<Probe>,
    /// Likely duplicates among the file's orders before it.
    in_file: Vec<Suggestion>,
}

impl Maker<'_> {
    /// Make `rows` in order, sending each; stops when the writer has gone. Returns the clock
    /// after the last event stamped.
    fn run(mut self, rows: &[(usize, String)], send: mpsc::SyncSender<Vec<Result<Made>>>) -> Hlc {
        let office = self.stamp.office.clone();
        let mut earlier = similar::Batch::default();
        let mut run = Vec::with_capacity(RUN);
        for (i, (at, category)) in rows.iter().enumerate() {
            let made = self
                .read(*at)
                .and_then(|row| self.make(&row, category, i, &office, &mut earlier));
            let failed = made.is_err();
            run.push(made);
            if run.len() == RUN || failed || i + 1 == rows.len() {
                if send.send(std::mem::take(&mut run)).is_err() || failed {
                    break;
                }
                run.reserve(RUN);
            }
        }
        self.stamp.hlc
    }

    /// The table's row at `at`, read again: the plan read it without a problem.
    fn read(&self, at: usize) -> Result<ReadRow> {
        let row = self
            .table
            .row(at)
            .ok_or(Error::invalid("row", Reason::Malformed))?;
        read_row(row.number, &self.table.headers, self.fields, &row.cells())
            .map_err(|_| Error::invalid("row", Reason::Malformed))
    }

    fn make(
        &mut self,
        row: &ReadRow,
        category: &str,
        i: usize,
        office: &str,
        earlier: &mut similar::Batch,
    ) -> Result<Made> {
        let number = cases::number_of(
            &self.prefix,
            self.taken + u32::try_from(i).unwrap_or(u32::MAX),
        );
        let (case, events) = self.fold(row, category, number)?;
        let probe = Probe::new(&draft_of(row));
        let probe = probe.usable().then_some(probe);
        let in_file = match &probe {
            Some(p) => earlier.judge(office, p),
            None => Vec::new(),
        };
        if let Some(p) = &probe {
            earlier.add(
                office,
                p.clone(),
                Suggestion {
                    case_id: case.id,
                    number: case.number.clone(),
                    state: case.state,
                    received_at: case.received_at,
                    summary: case.description.chars().take(80).collect(),
                    score: 0,
                    why: Vec::new(),
                },
            );
        }
        Ok(Made {
            row: row.row,
            text: CaseText::of(&case, true)?,
            case,
            events,
            steps: Vec::new(),
            probe,
            in_file,
        })
    }

    /// The row's case: `case_received` and `work_order_imported` stamped and folded.
    fn fold(
        &mut self,
        row: &ReadRow,
        category: &str,
        number: String,
    ) -> Result<(Case, Vec<Event>)> {
        let intake = crate::validate::new_case(NewCase {
            channel: Channel::Hotline12345,
            work_order_no: row.work_order_no.clone(),
            category: category.to_owned(),
            urgency: row.urgency,
            resident: row.resident.clone(),
            address: Default::default(),
            description: row.description.clone(),
            location: row.location.clone(),
            attachment: None,
            meeting: None,
        })?;
        // The deadline counts from when the city received the order, never from a time
        // ahead of this PC (a platform's clock, or a typo, in the future).
        let now = self.stamp.now;
        let from = row.received_at.map_or(now, |t| t.min(now));
        let limits = self
            .policy
            .for_work_order(&row.order_type, category, row.urgency);
        let received = EventBody::CaseReceived(Box::new(Received {
            number,
            response_due: limits.response.due(self.calendar, from),
            resolve_due: row
                .due
                .unwrap_or_else(|| limits.resolve.due(self.calendar, from)),
            intake,
        }));
        let work_order = EventBody::WorkOrderImported(Box::new(WorkOrder {
            source: self.source.to_owned(),
            order_type: row.order_type.clone(),
            city_category: row.city_category.clone(),
            dispatched_at: row.received_at,
            promised_due: row.due,
            handling_unit: row.handling_unit.clone(),
            // At most MAX_WORK_ORDER_COLUMNS: a row with more was reported (read_row).
            columns: row.columns.clone(),
        }));
        let stream = Uuid::now_v7().to_string();
        let mut case: Option<Case> = None;
        let mut events = Vec::with_capacity(2);
        for body in [received, work_order] {
            // A new stream: nothing of it is held, so no step of it to sort after.
            let ev = self.stamp.event(stream.clone(), body, None);
            case = Some(workflow::apply(case.as_ref(), &ev)?);
            events.push(ev);
        }
        let case = case.ok_or(Error::invalid("events", Reason::Required))?;
        Ok((case, events))
    }
}

/// Seal each run the maker sends and pass it on, until either side has gone. A row's events
/// start a stream of their own, so each row is sealed alone, in any thread: signing is a
/// third of the making, and as a stage of its own it keeps both cores busy when the maker or
/// the writer stalls (two stages left a fifth of the machine idle).
fn seal_runs(
    key: &SigningKey,
    made: mpsc::Receiver<Vec<Result<Made>>>,
    send: mpsc::SyncSender<Vec<Result<Made>>>,
) {
    for mut run in made {
        let mut failed = false;
        for m in run.iter_mut() {
            let Ok(made) = m else {
                failed = true;
                break;
            };
            match seal_ahead(std::mem::take(&mut made.events), key) {
                Ok(steps) => made.steps = steps,
                Err(e) => {
                    *m = Err(e);
                    failed = true;
                    break;
                }
            }
        }
        if send.send(run).is_err() || failed {
            return;
        }
    }
}

impl Store {
    /// Write the rows `maker` makes of `rows`, judging each against the cases held at or
    /// below rowid `held_upto` (those before the import). `progress` hears `(done, total)`
    /// every `every` rows and stops the import by answering `false`. Within the caller's
    /// transaction; the search text goes into `search`, to be flushed by the caller.
    pub(super) fn write_new_orders(
        &mut self,
        maker: Maker<'_>,
        rows: &[(usize, String)],
        held_upto: i64,
        search: &mut SearchBatch,
        every: usize,
        progress: &mut dyn FnMut(u32, u32) -> bool,
    ) -> Result<Written> {
        let total = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let mut out = Written {
            imported: 0,
            duplicates: Vec::new(),
            duplicates_found: 0,
        };
        let this = &*self;
        let hlc = std::thread::scope(|scope| {
            let key = maker.key;
            let (send, unsealed) = mpsc::sync_channel::<Vec<Result<Made>>>(AHEAD);
            let maker = scope.spawn(move || maker.run(rows, send));
            let (send, made) = mpsc::sync_channel::<Vec<Result<Made>>>(AHEAD);
            let sealer = scope.spawn(move || seal_runs(key, unsealed, send));
            let written = (|| {
                let mut run = Vec::new().into_iter();
                for i in 0..rows.len() {
                    if i % every == 0 && !progress(out.imported, total) {
                        return Err(Error::invalid("import", Reason::Cancelled));
                    }
                    let m = match run.next() {
                        Some(m) => m,
                        None => {
                            run = made
                                .recv()
                                .map_err(|_| std::io::Error::other("the import's maker stopped"))?
                                .into_iter();
                            run.next().ok_or_else(|| {
                                std::io::Error::other("the import's maker sent nothing")
                            })?
                        }
                    }?;
                    let mut similar = Vec::new();
                    if let Some(p) = &m.probe {
                        // A store that held no case before the import has nothing to seek.
                        if held_upto > 0 {
                            similar = this.judge_held(p, held_upto)?;
                        }
                        similar.extend(m.in_file);
                        similar::rank(&mut similar);
                    }
                    super::log::append_sealed(&this.conn, &m.steps)?;
                    let last = &m
                        .steps
                        .last()
                        .ok_or(Error::invalid("events", Reason::Required))?
                        .ev;
                    write_case_text(&this.conn, &m.case, last, Reindex::Batch(search), m.text)?;
                    if !similar.is_empty() {
                        out.duplicates_found += 1;
                        if out.duplicates.len() < MAX_LISTED_DUPLICATES {
                            out.duplicates.push(ImportedDuplicate {
                                row: m.row,
                                work_order_no: m.case.work_order_no,
                                case_id: m.case.id,
                                case_number: m.case.number,
                                similar,
                            });
                        }
                    }
                    out.imported += 1;
                }
                Ok(())
            })();
            // The receiver goes first: a sealer blocked on a full channel wakes and stops, and
            // then the maker.
            drop(made);
            sealer
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            let hlc = maker
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            written.map(|()| hlc)
        })?;
        self.hlc = hlc;
        self.writes += 2 * u64::from(out.imported);
        Ok(out)
    }
}

/// A row as an intake being typed, for [`Store::similar_cases`]: a work order names no
/// resident's building of its own, only what its text and place say.
pub(super) fn draft_of(row: &ReadRow) -> Draft {
    Draft {
        description: row.description.clone(),
        building: String::new(),
        location: row.location.clone(),
        phone: row.resident.phone.clone(),
    }
}
