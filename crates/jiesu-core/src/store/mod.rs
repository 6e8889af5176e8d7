//! The event-sourced SQLite store.
//!
//! [`Store`] is the only way anything is written. A command is validated by running the
//! workflow's [`apply`](crate::workflow::apply) on the current case *before* anything is
//! written; then the event and the projection row it changes are written in one savepoint, so
//! the log and the projection never disagree and a refused action writes nothing.
//!
//! Durability: WAL with `synchronous=FULL`, so a command that returned `Ok` survives a crash
//! or power loss (tests/integration.rs kills a writer with SIGKILL to check).
//!
//! Replicated events ([`Store::apply_remote`]) fold in through the same code. An event that
//! sorts after everything its stream has folded is applied incrementally; one that sorts
//! earlier makes the store re-derive that stream from all its events, which is what makes the
//! projection a function of the event *set* (see [`crate::event`]).

mod config;
mod desk;
mod figures;
mod meetings;
mod restamp;
mod schema;
mod sync;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::Digest;
use uuid::Uuid;

use config::{apply_config, rederive_config};
pub use desk::DESK_ROWS;
pub use restamp::Restamped;
pub use schema::{MIGRATIONS, migrations};
pub use sync::{BULK_APPLY_EVENTS, Enrolment, PendingRevoke};

use crate::api::*;
use crate::calendar::{self, Calendar};
use crate::catalog::{self, Unit};
use crate::deadline::{DUE_SOON_MS, DeadlinePolicy, due_status};
use crate::error::{Error, Reason, Result};
use crate::event::{Aggregate, CONFIG_STREAM, Event, EventBody, Received};
use crate::hlc::{Clock, Hlc};
use crate::meeting::Meeting;
use crate::model::{Attachment, Case, CaseState, LetterStatus};
use crate::search;
use crate::workflow;

pub use crate::wire::MAX_ATTACHMENT_BYTES;

/// Case-list totals are exact up to this many; beyond it the page says "10000+".
pub const COUNT_CAP: u32 = 10_000;

/// A search term with at least this many hits is tested row by row along the list order
/// instead of read from the index (see [`Store::list_cases`]).
const DENSE_SEARCH: u32 = 2_000;

/// Closed cases rank after every open deadline in `due_rank`.
const CLOSED_RANK: i64 = 4_000_000_000_000_000;

/// The store of one replica: its database file, attachment folder, identity and clock.
pub struct Store {
    conn: Connection,
    clock: Box<dyn Clock>,
    hlc: Hlc,
    identity: Identity,
    dir: Option<PathBuf>,
    calendar: Calendar,
    policy: DeadlinePolicy,
    dense_search: u32,
    /// Case-number tag assigned by the sync server; derived from the device id before that.
    device_tag: Option<String>,
    /// A second, read-only connection to the same file, opened on first use: the figures
    /// read half a period on it in another thread (see `store/figures.rs`).
    reader: std::sync::Mutex<Option<Connection>>,
}

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "jiesu.db";

fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("unit enums serialise to strings"),
    }
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Store {
    /// Open (creating if needed) the store in `dir`: `dir/jiesu.db` and `dir/attachments/`.
    pub fn open(dir: &Path, clock: Box<dyn Clock>) -> Result<Store> {
        // Residents' data and the device's credential: the owner's eyes only.
        crate::private::dir(dir)?;
        let path = dir.join(DB_FILE);
        crate::private::database(&path)?;
        let conn = Connection::open(&path)?;
        let store = Store::init(conn, Some(dir.to_path_buf()), clock)?;
        // The log files WAL mode made, from a version that did not close them up.
        crate::private::database(&path)?;
        let attachments = dir.join("attachments");
        if attachments.exists() {
            crate::private::dir(&attachments)?;
        }
        Ok(store)
    }

    /// A store in memory, for tests; attachments are refused.
    pub fn open_in_memory(clock: Box<dyn Clock>) -> Result<Store> {
        Store::init(Connection::open_in_memory()?, None, clock)
    }

    fn init(mut conn: Connection, dir: Option<PathBuf>, clock: Box<dyn Clock>) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL lets the window read while a write commits; FULL syncs the WAL on every commit,
        // which is what makes an acknowledged intake survive a power cut.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // 64 MiB of page cache (SQLite's default is 2 MiB): a month of figures rows is ~15 MB
        // at a million cases and would otherwise be read through the kernel on every dashboard.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Statement journals in memory: inside a long transaction (a first sync's fold, a
        // rebuild) nearly every upsert copies the pages it touches to one, and as a temp
        // file that was an extra write per page.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // A first sync lets the log grow to 64 MiB between checkpoints (see `store::sync`);
        // once copied back, the file shrinks to that instead of keeping its largest size.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        migrations().to_latest(&mut conn)?;
        let identity = {
            let get = |k: &str| -> Result<Option<String>> {
                Ok(conn
                    .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                    .optional()?)
            };
            let device = match get("device")? {
                Some(d) => d,
                None => {
                    let d = Uuid::new_v4().to_string();
                    conn.execute("INSERT INTO meta VALUES ('device', ?1)", [&d])?;
                    d
                }
            };
            Identity {
                device,
                office: get("office")?.unwrap_or_else(|| "local".into()),
                office_name: get("office_name")?.unwrap_or_default(),
                author: get("author")?.unwrap_or_default(),
            }
        };
        let hlc = resume_hlc(&conn, clock.now_ms(), &identity.device)?;
        let mut store = Store {
            conn,
            clock,
            hlc,
            identity,
            dir,
            calendar: Calendar::china(),
            policy: DeadlinePolicy::default(),
            dense_search: DENSE_SEARCH,
            device_tag: None,
            reader: std::sync::Mutex::new(None),
        };
        store.device_tag = store.meta("device_tag")?;
        // A first sync interrupted between a bulk pull and its settle: fold what it stored.
        store.settle()?;
        // An enrolment interrupted before its office was given the earlier work.
        store.assign_unenrolled_work()?;
        // Configuration folded by an earlier version, before the authority rules.
        if store.meta("refold_config")?.is_some() {
            let tx = store.conn.transaction()?;
            rederive_config(&tx)?;
            tx.execute("DELETE FROM meta WHERE key = 'refold_config'", [])?;
            tx.commit()?;
        }
        store.reload_calendar()?;
        Ok(store)
    }

    pub(crate) fn reload_calendar(&mut self) -> Result<()> {
        let mut cal = Calendar::china();
        let mut stmt = self
            .conn
            .prepare("SELECT date, working FROM calendar_days")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
        for row in rows {
            let (date, working) = row?;
            if let Ok(d) = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                cal.set(d, working);
            }
        }
        self.calendar = cal;
        Ok(())
    }

    /// Who this replica acts as.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Set the office and the acting user's name (settings; enrolment will set the office).
    pub fn set_identity(&mut self, office: &str, office_name: &str, author: &str) -> Result<()> {
        for (field, v) in [("office", office), ("author", author)] {
            if v.trim().is_empty() || v.chars().count() > 100 {
                return Err(Error::invalid(field, Reason::Length));
            }
        }
        // Every event carries these: what `validate::event` would refuse there is refused here.
        for (field, v) in [
            ("office", office),
            ("office_name", office_name),
            ("author", author),
        ] {
            if v.chars().any(char::is_control)
                || (field == "office" && v.trim().contains(char::is_whitespace))
            {
                return Err(Error::invalid(field, Reason::Malformed));
            }
        }
        let tx = self.conn.transaction()?;
        for (k, v) in [
            ("office", office),
            ("office_name", office_name),
            ("author", author),
        ] {
            Store::set_meta(&tx, k, v.trim())?;
        }
        tx.commit()?;
        self.identity.office = office.trim().into();
        self.identity.office_name = office_name.trim().into();
        self.identity.author = author.trim().into();
        Ok(())
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The calendar exceptions of one year, for the settings page.
    pub fn calendar_year(&self, year: i32) -> CalendarYear {
        use chrono::Datelike;
        CalendarYear {
            year,
            provisional: self.calendar.provisional_years().contains(&year),
            days: self
                .calendar
                .overrides()
                .filter(|(d, _)| d.year() == year)
                .map(|(d, w)| (d.format("%Y-%m-%d").to_string(), w))
                .collect(),
        }
    }

    /// The deadline policy in force.
    pub fn policy(&self) -> &DeadlinePolicy {
        &self.policy
    }

    /// Replace the deadline policy (per-office setting).
    pub fn set_policy(&mut self, policy: DeadlinePolicy) {
        self.policy = policy;
    }

    /// Replace the clock, returning the old one (the sample generator drives time by hand).
    pub fn replace_clock(&mut self, clock: Box<dyn Clock>) -> Box<dyn Clock> {
        std::mem::replace(&mut self.clock, clock)
    }

    /// Act as another user from now on (a shared office PC changes hands).
    pub fn act_as(&mut self, author: &str) -> Result<()> {
        let office = self.identity.office.clone();
        let name = self.identity.office_name.clone();
        self.set_identity(&office, &name, author)
    }

    /// Physical time now.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Run `f` in one transaction: all of its commands commit together or not at all.
    /// The sample generator uses it to write thousands of events a commit.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                self.conn.execute_batch("ROLLBACK")?;
                // The in-memory calendar may hold config that was rolled back.
                self.reload_calendar()?;
                Err(e)
            }
        }
    }

    /// A new event of this replica on `stream`. It sorts after everything the stream holds
    /// (a step must fold after the state it was taken on), even an event from a clock so far
    /// ahead that the replica's own clock did not follow it (`Hlc::observe`).
    fn new_event(&mut self, stream: String, body: EventBody) -> Result<Event> {
        let latest: Option<Hlc> = self
            .conn
            .prepare_cached(
                "SELECT hlc_wall, hlc_counter FROM events WHERE stream = ?1
                 ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
            )?
            .query_row([&stream], |r| {
                Ok(Hlc {
                    wall_ms: r.get(0)?,
                    counter: r.get(1)?,
                })
            })
            .optional()?;
        let now = self.clock.now_ms();
        let own = self.hlc.tick(now);
        let hlc = match latest {
            Some(l) if l >= own => l.tick(now),
            _ => own,
        };
        // The replica's clock moves with its own steps; a stream's far-future event orders
        // this step but does not carry the clock (and the next case's date) with it.
        self.hlc = own.observe(hlc, now);
        Ok(Event {
            id: Uuid::now_v7(),
            stream,
            hlc,
            author: self.identity.author.clone(),
            device: self.identity.device.clone(),
            office: self.identity.office.clone(),
            body,
        })
    }

    // ---------------------------------------------------------------- commands

    /// 受理: register a new case.
    pub fn receive(&mut self, input: NewCase) -> Result<Case> {
        let input = validate_new_case(input)?;
        if let Some(a) = &input.attachment
            && !self.attachment_path(&a.sha256)?.exists()
        {
            return Err(Error::NotFound {
                what: "attachment",
                id: a.sha256.clone(),
            });
        }
        // Numbers and deadlines come from this PC's clock as the server corrected it, never
        // from the logical clock, which events from elsewhere may have moved.
        let now = self.clock.now_ms();
        let limits = self.policy.limits(&input.category, input.urgency);
        let body = EventBody::CaseReceived(Box::new(Received {
            number: self.next_number(now)?,
            response_due: limits.response.due(&self.calendar, now),
            resolve_due: limits.resolve.due(&self.calendar, now),
            intake: input,
        }));
        self.commit_case_event(Uuid::now_v7(), body, None)
    }

    /// Perform a workflow step on a case.
    pub fn act(&mut self, case_id: Uuid, command: CaseCommand) -> Result<Case> {
        let case = self.load_case(case_id)?;
        // Refuse by state before looking at the form, so the message names the real problem.
        let now = self.clock.now_ms();
        workflow::check(&case, command.action(), now)?;
        let body = self.command_body(&case, command, now)?;
        self.commit_case_event(case_id, body, Some(&case))
    }

    fn command_body(&self, case: &Case, command: CaseCommand, now: i64) -> Result<EventBody> {
        let link_kind = command.link_kind();
        Ok(match command {
            CaseCommand::Dispatch { unit, note } => EventBody::CaseDispatched {
                unit: self.known_unit(unit)?,
                note: text("note", note, false)?,
            },
            CaseCommand::Accept { note } => EventBody::CaseAccepted {
                note: text("note", note, false)?,
            },
            CaseCommand::Note {
                text: t,
                contacted_resident,
            } => EventBody::CaseNoted {
                text: text("text", t, true)?,
                contacted_resident,
            },
            CaseCommand::Return { reason } => EventBody::CaseReturned {
                reason: text("reason", reason, true)?,
            },
            CaseCommand::Transfer { unit, reason } => {
                let unit = self.known_unit(unit)?;
                if case.handling_unit.as_deref() == Some(unit.as_str()) {
                    return Err(Error::invalid("unit", Reason::SameUnit));
                }
                EventBody::CaseTransferred {
                    unit,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::TransferOffice { office, reason } => {
                let office = office.trim().to_owned();
                if office == case.office {
                    return Err(Error::invalid("office", Reason::SameOffice));
                }
                let target = self
                    .directory()?
                    .into_iter()
                    .find(|o| o.id == office)
                    .ok_or(Error::NotFound {
                        what: "office",
                        id: office,
                    })?;
                EventBody::CaseTransferredToOffice {
                    office: target.id,
                    office_name: target.name,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::RequestExtension { new_due, reason } => {
                if new_due <= case.resolve_due {
                    return Err(Error::invalid("new_due", Reason::NotLater));
                }
                EventBody::ExtensionRequested {
                    new_due,
                    reason: text("reason", reason, true)?,
                }
            }
            CaseCommand::DecideExtension { approved, note } => EventBody::ExtensionDecided {
                approved,
                note: text("note", note, false)?,
            },
            CaseCommand::Urge { note } => EventBody::CaseUrged {
                note: text("note", note, true)?,
            },
            CaseCommand::Resolve { outcome, result } => EventBody::CaseResolved {
                outcome,
                result: text("result", result, true)?,
            },
            CaseCommand::Visit {
                reachable,
                contacted,
                solved,
                satisfaction,
                note,
            } => {
                if reachable && satisfaction.is_none() {
                    return Err(Error::invalid("satisfaction", Reason::Required));
                }
                EventBody::CaseVisited {
                    reachable,
                    contacted: reachable && contacted,
                    solved: reachable && solved,
                    satisfaction: if reachable { satisfaction } else { None },
                    note: text("note", note, false)?,
                }
            }
            CaseCommand::Redo { reason } => EventBody::CaseRedone {
                reason: text("reason", reason, true)?,
                resolve_due: self
                    .policy
                    .limits(&case.category, case.urgency)
                    .resolve
                    .due(&self.calendar, now),
            },
            CaseCommand::Archive { note } => EventBody::CaseArchived {
                note: text("note", note, false)?,
            },
            CaseCommand::Withdraw { reason } => EventBody::CaseWithdrawn {
                reason: text("reason", reason, true)?,
            },
            CaseCommand::ResolveOnSpot { result } => EventBody::CaseSolvedOnSpot {
                result: text("result", result, true)?,
            },
            CaseCommand::IssueLetter(form) => EventBody::CommitmentIssued(Box::new(
                self.commitment(&case.description, form, now)?,
            )),
            CaseCommand::Link { other } | CaseCommand::Merge { other } => {
                let other = self.resolve_case_ref(&other)?;
                if other == case.id {
                    return Err(Error::invalid("other", Reason::SelfLink));
                }
                if case.links.iter().any(|l| l.other == other)
                    && link_kind == Some(crate::model::LinkKind::Related)
                {
                    return Err(Error::invalid("other", Reason::AlreadyLinked));
                }
                EventBody::CaseLinked {
                    other,
                    link: link_kind.expect("link or merge"),
                }
            }
        })
    }

    fn commit_case_event(
        &mut self,
        id: Uuid,
        body: EventBody,
        current: Option<&Case>,
    ) -> Result<Case> {
        let ev = self.new_event(id.to_string(), body)?;
        let case = workflow::apply(current, &ev)?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        write_case(&sp, &case, &ev, Reindex::if_new(current.is_none()))?;
        sp.commit()?;
        Ok(case)
    }

    /// Add a handling unit to the office's list; returns its code.
    pub fn add_unit(&mut self, name: &str) -> Result<Unit> {
        let name = text("name", name.to_owned(), true)?;
        if name.chars().count() > 60 {
            return Err(Error::invalid("name", Reason::TooLong));
        }
        if self.units()?.iter().any(|u| u.name == name) {
            return Err(Error::invalid("name", Reason::Duplicate));
        }
        let code = format!("u-{}", &Uuid::now_v7().simple().to_string()[20..]);
        let ev = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::UnitAdded {
                code: code.clone(),
                name: name.clone(),
            },
        )?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        apply_config(&sp, &ev)?;
        sp.commit()?;
        Ok(Unit { code, name })
    }

    /// Mark a date as a working day or a day off (调休 corrections).
    pub fn set_calendar_day(&mut self, date: &str, working: bool) -> Result<()> {
        let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid("date", Reason::BadDate))?;
        crate::validate::calendar_date(&d.format("%Y-%m-%d").to_string())?;
        let ev = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::CalendarDaySet {
                date: d.format("%Y-%m-%d").to_string(),
                working,
            },
        )?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        apply_config(&sp, &ev)?;
        sp.commit()?;
        self.calendar.set(d, working);
        Ok(())
    }

    /// Store a photo beside the database; returns the reference intake puts in the case.
    pub fn save_attachment(&self, name: &str, bytes: &[u8]) -> Result<Attachment> {
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(120)
            .collect();
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        self.keep_attachment(&sha, bytes)?;
        Ok(Attachment {
            sha256: sha,
            name,
            size: bytes.len() as u64,
        })
    }

    /// Keep `bytes` under `sha256`, which the caller computed from them; no longer wanted
    /// from the server once here.
    pub(crate) fn keep_attachment(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() || bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::invalid("attachment", Reason::FileSize));
        }
        let path = self.attachment_path(sha256)?;
        if !path.exists() {
            let dir = path
                .parent()
                .ok_or(Error::invalid("attachment", Reason::Malformed))?;
            crate::private::dir(dir)?;
            // Content-addressed: write aside, sync, rename, so a crash never leaves half a photo
            // under a name that claims its hash.
            let tmp = dir.join(format!(".{sha256}.tmp"));
            {
                use std::io::Write;
                let mut f = crate::private::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
        }
        self.conn
            .prepare_cached("DELETE FROM attachment_wants WHERE sha256 = ?1")?
            .execute([sha256])?;
        Ok(())
    }

    /// An attachment's bytes.
    pub fn read_attachment(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = self.attachment_path(sha256)?;
        std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                what: "attachment",
                id: sha256.to_owned(),
            },
            _ => Error::Io(e),
        })
    }

    /// Where an attachment's bytes live.
    pub fn attachment_path(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid("attachment", Reason::Malformed));
        }
        let dir = self
            .dir
            .as_ref()
            .ok_or_else(|| Error::invalid("attachment", Reason::NoFiles))?;
        Ok(dir.join("attachments").join(sha256))
    }

    // ---------------------------------------------------------------- replication

    /// Events this replica holds after arrival position `after_seq`, oldest arrival first,
    /// with each one's position. The sync client pushes from here.
    pub fn events_after(&self, after_seq: i64, limit: u32) -> Result<Vec<(i64, Event)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office
             FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            Ok((r.get(0)?, row_event(r, 1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, ev) = row?;
            out.push((seq, ev?));
        }
        Ok(out)
    }

    /// Fold events from another replica into this one, in one transaction. Events already
    /// held are skipped (by id), so delivering twice is harmless. Returns how many were new.
    pub fn apply_remote(&mut self, events: &[Event]) -> Result<usize> {
        let now = self.clock.now_ms();
        let tx = self.conn.transaction()?;
        let (new, hlc, config) = fold_remote(&tx, self.hlc, now, events)?;
        tx.commit()?;
        self.after_remote(hlc, config)?;
        Ok(new)
    }

    fn after_remote(&mut self, hlc: Hlc, config: bool) -> Result<()> {
        self.hlc = hlc;
        if config {
            self.reload_calendar()?;
        }
        Ok(())
    }

    /// Throw the projections away and fold them again from the event log alone.
    pub fn rebuild_projections(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM cases; DELETE FROM case_facts; DELETE FROM event_conflicts;
             DELETE FROM meetings; DELETE FROM meeting_cases;
             INSERT INTO case_fts(case_fts) VALUES('delete-all');",
        )?;
        let streams: Vec<String> = {
            let mut stmt = tx.prepare("SELECT DISTINCT stream FROM events WHERE stream <> ?1")?;
            stmt.query_map([CONFIG_STREAM], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
        let reader =
            figures::open_reader(self.dir.as_deref(), &self.reader)?.then_some(&self.reader);
        rederive_streams(&tx, &streams, reader, true)?;
        rederive_config(&tx)?;
        tx.commit()?;
        self.reload_calendar()
    }

    // ---------------------------------------------------------------- queries

    fn load_case(&self, id: Uuid) -> Result<Case> {
        Case::load(&self.conn, &id.to_string())?
            .map(|(c, _)| c)
            .ok_or(Error::NotFound {
                what: "case",
                id: id.to_string(),
            })
    }

    fn resolve_case_ref(&self, r: &str) -> Result<Uuid> {
        let r = r.trim();
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM cases WHERE id = ?1 OR number = ?1 LIMIT 1",
                [r],
                |row| row.get(0),
            )
            .optional()?;
        found
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or(Error::NotFound {
                what: "case",
                id: r.to_owned(),
            })
    }

    fn known_unit(&self, code: String) -> Result<String> {
        if self.units()?.iter().any(|u| u.code == code) {
            Ok(code)
        } else {
            Err(Error::NotFound {
                what: "unit",
                id: code,
            })
        }
    }

    fn next_number(&self, now: i64) -> Result<String> {
        self.number_after(&self.number_prefix(now), 0)
    }

    /// `YYMMDD-TG`: the day (China time) and this device's tag.
    fn number_prefix(&self, now: i64) -> String {
        let day = calendar::local_date(now).format("%y%m%d");
        let tag = self
            .device_tag
            .clone()
            .unwrap_or_else(|| device_tag(&self.identity.device));
        format!("{day}-{tag}")
    }

    /// The next number of a prefix, `skip` more numbers being handed out at once.
    fn number_after(&self, prefix: &str, skip: u32) -> Result<String> {
        let n: u32 = self.conn.query_row(
            "SELECT count(*) FROM cases WHERE number >= ?1 AND number < ?1 || '~'",
            [prefix],
            |r| r.get(0),
        )?;
        Ok(format!("{prefix}{:03}", n + skip + 1))
    }

    /// A case by id.
    pub fn case(&self, id: Uuid) -> Result<Case> {
        self.load_case(id)
    }

    /// Everything the case page shows.
    pub fn case_detail(&self, id: Uuid) -> Result<CaseDetail> {
        let case = self.load_case(id)?;
        let now = self.clock.now_ms();
        let timeline = self.timeline(&id.to_string())?;
        let mut linked_numbers = Vec::new();
        for l in &case.links {
            if let Ok(other) = self.load_case(l.other) {
                linked_numbers.push((l.other, other.number));
            }
        }
        Ok(CaseDetail {
            allowed: {
                // Another office can only be named once the server's directory is known.
                let offices = !self.directory()?.is_empty();
                workflow::allowed_actions(&case, now)
                    .into_iter()
                    .filter(|a| offices || *a != crate::model::Action::TransferOffice)
                    .collect()
            },
            response_status: due_status(
                case.responded_at.is_none() && case.state.is_open(),
                case.response_due,
                now,
            ),
            resolve_status: due_status(case.state.is_open(), case.resolve_due, now),
            meetings: self.case_meetings(case.id)?,
            letter_status: case.letter_status(now),
            case,
            timeline,
            linked_numbers,
        })
    }

    /// A stream's events in fold order, each with its conflict if it could not apply.
    /// Every configuration change this replica holds, its own and other offices', in fold
    /// order: those that do not apply here (an office below or beside, or a change no app could
    /// have made) carry the reason as their conflict. The settings page lists them.
    pub fn config_log(&self) -> Result<Vec<TimelineEntry>> {
        self.timeline(CONFIG_STREAM)
    }

    fn timeline(&self, stream: &str) -> Result<Vec<TimelineEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq, e.id, e.stream, e.kind, e.payload, e.hlc_wall, e.hlc_counter, e.author,
                    e.device, e.office, c.reason
             FROM events e LEFT JOIN event_conflicts c ON c.event_id = e.id
             WHERE e.stream = ?1 ORDER BY e.hlc_wall, e.hlc_counter, e.id",
        )?;
        let rows = stmt.query_map([stream], |r| {
            Ok((row_event(r, 1)?, r.get::<_, Option<String>>(10)?))
        })?;
        let mut timeline = Vec::new();
        for row in rows {
            let (ev, conflict) = row?;
            timeline.push(TimelineEntry {
                event: ev?,
                conflict,
            });
        }
        Ok(timeline)
    }

    /// A page of the case list.
    ///
    /// Every filter is an equality or range on an indexed column whose index also yields the
    /// chosen order, so a page costs a short index walk whatever the store's size. Search picks
    /// its plan by how common the words are: a rare term reads its few hits from the index
    /// and sorts them; a common one (thousands of hits) walks the list order and tests each
    /// row's text, which finds a page after a few hundred rows instead of materialising every
    /// hit. Totals are counted up to [`COUNT_CAP`]. The page itself is chosen as rowids
    /// first and read second, so sorting thousands of matches touches only index entries.
    pub fn list_cases(&self, q: &CaseQuery) -> Result<CasePage> {
        use rusqlite::types::Value as V;
        let now = self.clock.now_ms();
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<V> = Vec::new();
        let arg = |v: V, args: &mut Vec<V>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if !q.states.is_empty() {
            let list: Vec<String> = q
                .states
                .iter()
                .map(|s| arg(V::Text(s.as_str().into()), &mut args))
                .collect();
            clauses.push(format!("state IN ({})", list.join(",")));
        }
        if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
            let p = arg(V::Text(c.into()), &mut args);
            clauses.push(format!("{} = {p}", category_column(c)));
        }
        if let Some(u) = q.unit.as_deref().filter(|u| !u.is_empty()) {
            let p = arg(V::Text(u.into()), &mut args);
            clauses.push(format!("handling_unit = {p}"));
        }
        if let Some(ch) = q.channel {
            let p = arg(V::Text(enum_name(&ch)), &mut args);
            clauses.push(format!("channel = {p}"));
        }
        match q.due {
            Some(DueFilter::Overdue) => {
                let p = arg(V::Integer(now), &mut args);
                clauses.push(format!("due_rank <= {p}"));
            }
            Some(DueFilter::DueSoon) => {
                let a = arg(V::Integer(now), &mut args);
                let b = arg(V::Integer(now + DUE_SOON_MS), &mut args);
                clauses.push(format!("due_rank > {a} AND due_rank <= {b}"));
            }
            None => {}
        }
        if q.with_letter {
            clauses.push("letter_due IS NOT NULL".into());
        }
        if let Some(f) = q.from {
            let p = arg(V::Integer(f), &mut args);
            clauses.push(format!("received_at >= {p}"));
        }
        if let Some(t) = q.to {
            let p = arg(V::Integer(t), &mut args);
            clauses.push(format!("received_at < {p}"));
        }
        let filtered = !clauses.is_empty();
        let mut search_hits = None;
        if let Some(sq) = search::parse(&q.text) {
            let hits: u32 = self.conn.prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM case_fts WHERE case_fts MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![sq.fts, COUNT_CAP + 1], |r| r.get(0))?;
            if hits < self.dense_search {
                let m = arg(V::Text(sq.fts), &mut args);
                clauses.push(format!(
                    "cases.rowid IN (SELECT rowid FROM case_fts WHERE case_fts MATCH {m})"
                ));
            } else {
                for t in sq.terms {
                    let p = arg(V::Text(t), &mut args);
                    clauses.push(format!("instr(search_text, {p}) > 0"));
                }
            }
            search_hits = Some(hits);
        }
        let wh = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let order = match q.sort {
            CaseSort::ReceivedDesc => "received_at DESC, cases.rowid DESC",
            CaseSort::ReceivedAsc => "received_at ASC, cases.rowid ASC",
            CaseSort::DueAsc => "due_rank ASC, cases.rowid ASC",
        };
        let size = match q.page_size {
            0 => 50,
            n => n.min(200),
        };
        let counted = match search_hits {
            Some(hits) if !filtered => hits,
            _ => self
                .conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM (SELECT 1 FROM cases {wh} LIMIT {})",
                    COUNT_CAP + 1
                ))?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?,
        };
        // Late row lookup: choose the page's rowids first, where an index can often answer
        // both filter and order without reading a table row, then read just those rows.
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM cases WHERE cases.rowid IN (
                SELECT cases.rowid FROM cases {wh} ORDER BY {order} LIMIT {size} OFFSET {})
             ORDER BY {order}",
            u64::from(q.page) * u64::from(size)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            case_row(r, now)
        })?;
        Ok(CasePage {
            rows: rows.collect::<rusqlite::Result<_>>()?,
            total: counted.min(COUNT_CAP),
            more: counted > COUNT_CAP,
        })
    }

    /// List rows of the cases at these rowids, newest first (the cases behind a figure).
    pub(crate) fn case_rows(&self, rowids: &[i64]) -> Result<Vec<CaseRow>> {
        let now = self.clock.now_ms();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM cases WHERE rowid IN (SELECT value FROM json_each(?1))
             ORDER BY received_at DESC, rowid DESC"
        ))?;
        let rowids = serde_json::to_string(rowids)?;
        let rows = stmt.query_map([rowids], |r| case_row(r, now))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Case ids whose searchable fields contain every term, by a plain `LIKE` scan: the
    /// oracle the indexed search is tested against.
    #[cfg(feature = "test-support")]
    pub fn search_by_like_scan(&self, input: &str) -> Result<Vec<Uuid>> {
        let terms: Vec<String> = input.split_whitespace().map(str::to_owned).collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let fields = [
            "number",
            "resident_name",
            "resident_phone",
            "address",
            "description",
            "location",
            "work_order_no",
        ];
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        for t in terms {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(format!("%{escaped}%"));
            let n = args.len();
            clauses.push(format!(
                "({})",
                fields
                    .iter()
                    .map(|f| format!("{f} LIKE ?{n} ESCAPE '\\'"))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ));
        }
        let sql = format!(
            "SELECT id FROM cases WHERE {} ORDER BY id",
            clauses.join(" AND ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    /// What intake can fill in from a phone number already seen.
    pub fn find_resident(&self, phone: &str) -> Result<Option<ResidentHint>> {
        let phone = normalize_phone(phone);
        if phone.len() < 5 {
            return Ok(None);
        }
        let (latest, count): (Option<String>, u32) = self.conn.query_row(
            "SELECT (SELECT doc FROM cases WHERE resident_phone = ?1 ORDER BY received_at DESC LIMIT 1),
                    (SELECT count(*) FROM cases WHERE resident_phone = ?1)",
            [&phone],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        match latest {
            None => Ok(None),
            Some(doc) => {
                let c: Case = serde_json::from_str(&doc)?;
                Ok(Some(ResidentHint {
                    resident: c.resident,
                    address: c.address,
                    case_count: count,
                }))
            }
        }
    }

    /// The office's handling units: the defaults, then those the office added.
    pub fn units(&self) -> Result<Vec<Unit>> {
        self.units_where("applies = 1")
    }

    /// Units of offices whose configuration does not apply here: named (their cases read
    /// well), never offered for dispatch.
    pub fn other_units(&self) -> Result<Vec<Unit>> {
        let mine = self.units()?;
        Ok(self
            .all_units()?
            .into_iter()
            .filter(|u| !mine.iter().any(|m| m.code == u.code))
            .collect())
    }

    /// Every unit this replica can name, for reports and exports.
    pub fn all_units(&self) -> Result<Vec<Unit>> {
        self.units_where("1")
    }

    fn units_where(&self, filter: &str) -> Result<Vec<Unit>> {
        let mut units = catalog::default_units();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT code, name FROM units WHERE {filter} ORDER BY rowid"
        ))?;
        for u in stmt.query_map([], |r| {
            Ok(Unit {
                code: r.get(0)?,
                name: r.get(1)?,
            })
        })? {
            let u = u?;
            if !units.iter().any(|d| d.code == u.code) {
                units.push(u);
            }
        }
        Ok(units)
    }

    /// Counts for the status bar.
    pub fn stats(&self) -> Result<StoreStats> {
        let now = self.clock.now_ms();
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM events),
                    (SELECT count(*) FROM cases WHERE due_rank <= ?1)",
            [now],
            |r| {
                Ok(StoreStats {
                    cases: r.get(0)?,
                    events: r.get(1)?,
                    overdue: r.get(2)?,
                })
            },
        )?)
    }

    /// Every case as projected, by id: what replicas and rebuilds are compared on.
    pub fn all_cases(&self) -> Result<Vec<Case>> {
        let mut stmt = self.conn.prepare("SELECT doc FROM cases ORDER BY id")?;
        let docs = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    /// Every recorded conflict as `(event id, reason)`, by event id.
    pub fn conflicts(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT event_id, reason FROM event_conflicts ORDER BY event_id")?;
        Ok(stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Every event id held, sorted.
    pub fn event_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT id FROM events ORDER BY id")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Set the hit count from which search walks the list order instead of the index, so
    /// tests can hold both plans to the same oracle.
    #[cfg(feature = "test-support")]
    pub fn set_dense_search_threshold(&mut self, hits: u32) {
        self.dense_search = hits;
    }

    /// The raw connection, for tests that must prove what the database itself refuses.
    #[cfg(feature = "test-support")]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The columns [`case_row`] reads, in its order.
const ROW_COLUMNS: &str = "id, number, state, channel, category, urgency, handling_unit, \
    resident_name, substr(description, 1, 80), received_at, resolve_due, is_open, resolved_at, \
    letter_due, due_rank";

/// One case-list row from [`ROW_COLUMNS`].
fn case_row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<CaseRow> {
    let resolve_due: i64 = r.get(10)?;
    let open: bool = r.get(11)?;
    // An open case is due at the earlier of its deadline and a promised date (`due_rank`).
    let due = if open { r.get(14)? } else { resolve_due };
    let state: CaseState = enum_parse(&r.get::<_, String>(2)?)?;
    let letter = r
        .get::<_, Option<i64>>(13)?
        .map(|due| LetterStatus::judge(state, r.get(12).ok().flatten(), due, now));
    Ok(CaseRow {
        id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
        number: r.get(1)?,
        state,
        channel: enum_parse(&r.get::<_, String>(3)?)?,
        category: r.get(4)?,
        urgency: enum_parse(&r.get::<_, String>(5)?)?,
        handling_unit: r.get(6)?,
        resident_name: r.get(7)?,
        summary: r.get(8)?,
        received_at: r.get(9)?,
        resolve_due,
        due,
        due_status: due_status(open, due, now),
        letter,
    })
}

/// Two characters from the device id that keep case numbers unique across an office's PCs.
fn device_tag(device: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let h = sha2::Sha256::digest(device.as_bytes());
    [h[0], h[1]]
        .iter()
        .map(|b| ALPHABET[(*b as usize) % 32] as char)
        .collect()
}

fn normalize_phone(p: &str) -> String {
    p.chars().filter(|c| c.is_ascii_digit()).collect()
}

pub(crate) use crate::validate::{new_case as validate_new_case, text};

// -------------------------------------------------------------------- projection writes

/// Insert and fold remote events inside `tx`; returns (new events, observed clock, config touched).
fn fold_remote(
    tx: &Transaction<'_>,
    mut hlc: Hlc,
    now: i64,
    events: &[Event],
) -> Result<(usize, Hlc, bool)> {
    let rules = FoldRules::load(tx)?;
    let mut rederive: BTreeSet<String> = BTreeSet::new();
    let mut config = false;
    let mut new = 0;
    for ev in events {
        let known: bool = tx
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM events WHERE id = ?1)")?
            .query_row([ev.id.to_string()], |r| r.get(0))?;
        if known {
            continue;
        }
        // Whatever it says, it is kept: the log must hold the same set everywhere. The fold
        // quarantines what is malformed (a stream that is no case) as a conflict.
        insert_event(tx, ev)?;
        want_attachment(tx, ev)?;
        new += 1;
        hlc = hlc.observe(ev.hlc, now);
        if ev.stream == CONFIG_STREAM {
            config = true;
            continue;
        }
        if rederive.contains(&ev.stream) {
            continue;
        }
        let fast = match ev.body.aggregate() {
            Aggregate::Meeting => fold_fast::<Meeting>(tx, &rules, ev)?,
            _ => fold_fast::<Case>(tx, &rules, ev)?,
        };
        if !fast {
            rederive.insert(ev.stream.clone());
        }
    }
    let streams: Vec<&str> = rederive.iter().map(String::as_str).collect();
    rederive_streams(tx, &streams, None, false)?;
    if config {
        rederive_config(tx)?;
    }
    Ok((new, hlc, config))
}

type FoldKey = (Hlc, Uuid);

/// The log's one insert, with what to do when the id is already held.
macro_rules! insert_event_sql {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author, ",
            "device, office) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            $on_conflict
        )
    };
}

/// Where the clock resumes: after the latest event held, this device's own whatever their
/// time (its next step must follow them), and others' unless they are further ahead of this
/// PC's clock than any honest one could be (see `hlc::MAX_DRIFT_MS`). Own work stamped ahead
/// is stamped again once the true time is known ([`Store::restamp_future_work`]).
fn resume_hlc(conn: &Connection, now: i64, device: &str) -> Result<Hlc> {
    Ok(conn
        .query_row(
            "SELECT hlc_wall, hlc_counter FROM events WHERE hlc_wall <= ?1 OR device = ?2
             ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
            params![now.saturating_add(crate::hlc::MAX_DRIFT_MS), device],
            |r| {
                Ok(Hlc {
                    wall_ms: r.get(0)?,
                    counter: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or(Hlc::ZERO))
}

/// Append an event this replica wrote: checked first ([`crate::validate::event`]), so a
/// command can never store what the server and every other replica would refuse.
fn append(conn: &Connection, ev: &Event) -> Result<()> {
    crate::validate::event(ev)?;
    insert_event(conn, ev)
}

fn insert_event(conn: &Connection, ev: &Event) -> Result<()> {
    write_event(conn, ev, insert_event_sql!(""))?;
    Ok(())
}

/// Store `ev` unless an event with its id is already held. `true` when it was new.
/// Put the photo a replicated event refers to on the list of photos to fetch.
fn want_attachment(conn: &Connection, ev: &Event) -> Result<()> {
    if let Some(a) = ev.body.attachment() {
        conn.prepare_cached("INSERT OR IGNORE INTO attachment_wants (sha256) VALUES (?1)")?
            .execute([&a.sha256])?;
    }
    Ok(())
}

fn insert_event_if_new(conn: &Connection, ev: &Event) -> Result<bool> {
    Ok(write_event(conn, ev, insert_event_sql!(" ON CONFLICT (id) DO NOTHING"))? == 1)
}

fn write_event(conn: &Connection, ev: &Event, sql: &str) -> Result<usize> {
    let (kind, payload) = ev.body.to_columns()?;
    Ok(conn.prepare_cached(sql)?.execute(params![
        ev.id.to_string(),
        ev.stream,
        kind,
        payload,
        ev.hlc.wall_ms,
        ev.hlc.counter,
        ev.author,
        ev.device,
        ev.office
    ])?)
}

fn row_event(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Result<Event>> {
    let id: String = r.get(at)?;
    let kind: String = r.get(at + 2)?;
    let payload: String = r.get(at + 3)?;
    Ok((|| {
        Ok(Event {
            id: Uuid::parse_str(&id).map_err(|_| Error::invalid("event", Reason::Malformed))?,
            stream: r.get(at + 1)?,
            hlc: Hlc {
                wall_ms: r.get(at + 4)?,
                counter: r.get(at + 5)?,
            },
            author: r.get(at + 6)?,
            device: r.get(at + 7)?,
            office: r.get(at + 8)?,
            body: EventBody::from_columns(&kind, &payload)?,
        })
    })())
}

/// A projection row's document and fold key, from `cases` or `meetings`.
fn load_row<P: serde::de::DeserializeOwned>(
    conn: &Connection,
    table: &'static str,
    id: &str,
) -> Result<Option<(P, FoldKey)>> {
    let row: Option<(String, i64, u32, String)> = conn
        .prepare_cached(&format!(
            "SELECT doc, fold_wall, fold_counter, fold_id FROM {table} WHERE id = ?1"
        ))?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((doc, wall, counter, fid)) => Ok(Some((
            serde_json::from_str(&doc)?,
            (
                Hlc {
                    wall_ms: wall,
                    counter,
                },
                Uuid::parse_str(&fid).map_err(|_| Error::invalid("fold_id", Reason::Malformed))?,
            ),
        ))),
    }
}

/// The column that filters by `code` at its level: an equality there also yields the
/// received order from the column's index (a prefix range would not).
fn category_column(code: &str) -> &'static str {
    match code.matches('.').count() {
        0 => "cat1",
        1 => "cat2",
        _ => "category",
    }
}

/// The first `levels` segments of a dotted category code (the whole code if it is shorter).
fn category_prefix(code: &str, levels: usize) -> &str {
    match code.match_indices('.').nth(levels - 1) {
        Some((i, _)) => &code[..i],
        None => code,
    }
}

fn search_text(c: &Case) -> String {
    let sep = search::FIELD_SEP.to_string();
    search::fold(
        &[
            c.number.as_str(),
            &c.resident.name,
            &c.resident.phone,
            &c.address.display(),
            &c.description,
            &c.location,
            &c.work_order_no,
        ]
        .join(&sep),
    )
}

/// Where a case sorts in "most urgent first": open cases by their earliest deadline (a
/// promised letter date counts, so a broken promise is on the overdue list), closed ones
/// after them all.
fn due_rank(c: &Case) -> i64 {
    if !c.state.is_open() {
        return CLOSED_RANK + c.resolve_due;
    }
    match &c.letter {
        Some(l) => c.resolve_due.min(l.commitment.due),
        None => c.resolve_due,
    }
}

/// The id of a figures grouping key (unit, category, channel, building, office), added on
/// first use.
fn figure_key(conn: &Connection, value: &str) -> Result<i64> {
    let id = match find_figure_key(conn, value)? {
        Some(id) => id,
        None => conn
            .prepare_cached("INSERT INTO figure_keys (value) VALUES (?1) RETURNING id")?
            .query_row([value], |r| r.get(0))?,
    };
    // A fact holds keys as u32 (`schema::fact_blob!`); four billion distinct units,
    // buildings and categories would mean a damaged store, not a busy office.
    if u32::try_from(id).is_err() {
        return Err(rusqlite::Error::IntegralValueOutOfRange(0, id).into());
    }
    Ok(id)
}

/// The id of a figures grouping key, if it was ever used.
fn find_figure_key(conn: &Connection, value: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM figure_keys WHERE value = ?1")?
        .query_row([value], |r| r.get(0))
        .optional()?)
}

/// What a case row holds besides the case's fields, and takes work to make: computed where
/// the case was folded, so that during a settle the reading thread makes it and the writing
/// thread (the one the settle waits for) only binds and steps.
pub(crate) struct CaseText {
    search: String,
    /// The search index's columns (unigrams, bigrams) if made ahead; otherwise made when the
    /// row is (re)indexed.
    index: Option<(String, String)>,
    doc: String,
}

impl CaseText {
    /// `index`: make the search index's columns now too (on a thread that is not the writer).
    fn of(c: &Case, index: bool) -> Result<CaseText> {
        let search = search_text(c);
        Ok(CaseText {
            index: index.then(|| search::index_columns(&search)),
            search,
            doc: serde_json::to_string(c)?,
        })
    }
}

/// Remove a case's projection rows (the row, its figures' facts, its search terms), for a
/// fold that changes what a fold never changes.
fn forget_case_rows(conn: &Connection, stream: &str) -> Result<()> {
    let row: Option<(i64, i64)> = conn
        .query_row(
            "SELECT rowid, received_at FROM cases WHERE id = ?1",
            [stream],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((rowid, received_at)) = row {
        conn.execute("DELETE FROM case_fts WHERE rowid = ?1", [rowid])?;
        conn.execute(
            "DELETE FROM case_facts WHERE received_at = ?1 AND case_rowid = ?2",
            [received_at, rowid],
        )?;
        conn.execute("DELETE FROM cases WHERE rowid = ?1", [rowid])?;
    }
    Ok(())
}

fn write_case(conn: &Connection, c: &Case, last: &Event, reindex: Reindex<'_>) -> Result<()> {
    write_case_text(conn, c, last, reindex, CaseText::of(c, false)?)
}

fn write_case_text(
    conn: &Connection,
    c: &Case,
    last: &Event,
    reindex: Reindex<'_>,
    text: CaseText,
) -> Result<()> {
    let rowid: i64 = conn
        .prepare_cached(
            "INSERT INTO cases (id, number, office, state, is_open, channel, category, urgency,
                handling_unit, resident_name, resident_phone, address, description, location,
                work_order_no, received_at, response_due, resolve_due, resolved_at, search_text,
                fold_wall, fold_counter, fold_id, doc, cat1, cat2, due_rank, meeting_id,
                letter_due)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)
             ON CONFLICT (id) DO UPDATE SET state = ?4, is_open = ?5, handling_unit = ?9,
                response_due = ?17, resolve_due = ?18, resolved_at = ?19, fold_wall = ?21,
                fold_counter = ?22, fold_id = ?23, doc = ?24, due_rank = ?27, letter_due = ?29,
                office = ?3
             RETURNING rowid",
        )?
        .query_row(
            params![
                c.id.to_string(),
                c.number,
                c.office,
                c.state.as_str(),
                c.state.is_open(),
                enum_name(&c.channel),
                c.category,
                enum_name(&c.urgency),
                c.handling_unit,
                c.resident.name,
                c.resident.phone,
                c.address.display(),
                c.description,
                c.location,
                c.work_order_no,
                c.received_at,
                c.response_due,
                c.resolve_due,
                c.resolved_at,
                &text.search,
                last.hlc.wall_ms,
                last.hlc.counter,
                last.id.to_string(),
                text.doc,
                category_prefix(&c.category, 1),
                category_prefix(&c.category, 2),
                due_rank(c),
                c.meeting.map(|m| m.to_string()),
                c.letter.as_ref().map(|l| l.commitment.due),
            ],
            |r| r.get(0),
        )?;
    let mut reindex = reindex;
    let mut key = |value: &str| match &mut reindex {
        Reindex::Batch(batch) => batch.figure_key(conn, value),
        _ => figure_key(conn, value),
    };
    let keys = [
        key(c.handling_unit.as_deref().unwrap_or(""))?,
        key(category_prefix(&c.category, 1))?,
        key(category_prefix(&c.category, 2))?,
        key(&enum_name(&c.channel))?,
        key(&c.address.building)?,
        key(&c.office)?,
        key(&c.category)?,
    ];
    conn.prepare_cached(schema::UPSERT_FACT)?.execute(params![
        c.received_at,
        rowid,
        c.state.as_str(),
        c.resolve_due,
        c.resolved_at,
        due_rank(c),
        c.extension_count,
        c.redo_count,
        c.visit.as_ref().map(|v| v.reachable),
        c.visit.as_ref().map(|v| v.contacted),
        c.visit.as_ref().map(|v| v.solved),
        c.visit
            .as_ref()
            .and_then(|v| v.satisfaction)
            .map(|s| enum_name(&s)),
        c.letter.as_ref().map(|l| l.commitment.due),
        keys[0],
        keys[1],
        keys[2],
        keys[3],
        keys[4],
        keys[5],
        keys[6],
    ])?;
    let columns = || {
        text.index
            .unwrap_or_else(|| search::index_columns(&text.search))
    };
    match reindex {
        Reindex::Keep => Ok(()),
        Reindex::Now => index_search_text(conn, rowid, &columns(), true),
        Reindex::Batch(batch) => batch.push(conn, rowid, columns()),
    }
}

/// What a projection write does to the search index.
pub(crate) enum Reindex<'a> {
    /// The searchable text did not change (an event folded onto a case already indexed).
    Keep,
    /// Index the row now: one stream changes in this transaction.
    Now,
    /// Index it together with other rows: many streams are folded in this transaction.
    Batch(&'a mut SearchBatch),
}

impl Reindex<'_> {
    /// One event folded: a new row is indexed now, an existing one keeps its search text
    /// (no event after the first changes what is searched).
    fn if_new(new: bool) -> Self {
        if new { Reindex::Now } else { Reindex::Keep }
    }
}

/// The secondary indexes of the case projection, dropped for a fold of many new cases and
/// built again from the finished tables, in the same transaction (readers never see them
/// missing). Unique constraints stay: the upserts need them.
#[derive(Default)]
struct ProjectionIndexes(Vec<String>);

impl ProjectionIndexes {
    fn drop(tx: &Transaction<'_>) -> Result<ProjectionIndexes> {
        let defs: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name IN ('cases', 'case_facts') AND sql IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, _) in &defs {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        }
        Ok(ProjectionIndexes(
            defs.into_iter().map(|(_, sql)| sql).collect(),
        ))
    }

    fn restore(self, tx: &Transaction<'_>) -> Result<()> {
        for sql in self.0 {
            tx.execute_batch(&sql)?;
        }
        Ok(())
    }
}

/// Search-index rows held back while many streams are folded in one transaction.
///
/// FTS5 flushes its pending terms into a new segment at every statement savepoint, and each
/// upsert into `cases` opens one. Indexed between upserts, every case became a segment of its
/// own and the merger rewrote them over and over (a third of a first sync's fold). Written
/// back to back, a few thousand rows make one segment.
///
/// It also remembers the figures' grouping keys looked up in the transaction: a first sync's
/// hundred thousand cases share a few hundred units, categories and buildings, and looking
/// each one up again was an eighth of writing a case.
pub(crate) struct SearchBatch {
    rows: Vec<(i64, (String, String))>,
    /// Rows above this rowid were inserted in this batch's transaction: nothing to delete.
    fresh_above: i64,
    /// Grouping keys by value. Valid for this transaction only: a key added in a transaction
    /// that rolls back is gone, and so is the batch.
    keys: HashMap<String, i64>,
}

impl SearchBatch {
    /// Rows written back to back; bounds the memory a rebuild of a million cases holds.
    const ROWS: usize = 4096;

    fn new(conn: &Connection) -> Result<SearchBatch> {
        Ok(SearchBatch {
            rows: Vec::new(),
            fresh_above: conn.query_row("SELECT coalesce(max(rowid), 0) FROM cases", [], |r| {
                r.get(0)
            })?,
            keys: HashMap::new(),
        })
    }

    fn figure_key(&mut self, conn: &Connection, value: &str) -> Result<i64> {
        if let Some(&id) = self.keys.get(value) {
            return Ok(id);
        }
        let id = figure_key(conn, value)?;
        self.keys.insert(value.to_owned(), id);
        Ok(id)
    }

    fn push(&mut self, conn: &Connection, rowid: i64, columns: (String, String)) -> Result<()> {
        self.rows.push((rowid, columns));
        if self.rows.len() >= Self::ROWS {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// Write what is held. Call before the transaction commits.
    fn flush(&mut self, conn: &Connection) -> Result<()> {
        for (rowid, columns) in self.rows.drain(..) {
            index_search_text(conn, rowid, &columns, rowid <= self.fresh_above)?;
        }
        Ok(())
    }
}

/// Index a case's search text (`columns`: [`search::index_columns`] of it).
fn index_search_text(
    conn: &Connection,
    rowid: i64,
    (uni, bi): &(String, String),
    replace: bool,
) -> Result<()> {
    if replace {
        conn.prepare_cached("DELETE FROM case_fts WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    conn.prepare_cached("INSERT INTO case_fts (rowid, uni, bi) VALUES (?1, ?2, ?3)")?
        .execute(params![rowid, uni, bi])?;
    Ok(())
}

/// What a fold knows beyond the stream it folds: the organisation as this replica last heard
/// it from the server (the directory), for the rules of [`crate::authority`]. Read once per
/// transaction that folds.
pub(crate) struct FoldRules {
    tree: crate::authority::Tree,
}

impl FoldRules {
    /// The rules of a replica that knows no organisation.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn empty() -> FoldRules {
        FoldRules {
            tree: crate::authority::Tree::default(),
        }
    }

    fn load(conn: &Connection) -> Result<FoldRules> {
        let directory: Option<String> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'directory'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        let offices = match directory {
            // A directory this version cannot read is as good as none: the server has
            // checked what it accepted.
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(FoldRules {
            tree: crate::authority::Tree::new(offices),
        })
    }
}

/// A stream's projection: a pure fold ([`workflow::apply`], [`meeting::apply`]) and the
/// row it is kept in. Cases and meetings fold, conflict and re-derive by the same code.
pub(crate) trait Projection: Sized + Clone {
    /// The row and the order key of the last event folded into it.
    fn load(conn: &Connection, id: &str) -> Result<Option<(Self, FoldKey)>>;
    /// Fold one event, or say why it cannot apply.
    fn apply(rules: &FoldRules, current: Option<&Self>, ev: &Event) -> Result<Self>;
    /// Write the row, and its search text as `reindex` says.
    fn write(conn: &Connection, p: &Self, last: &Event, reindex: Reindex<'_>) -> Result<()>;
    /// Count one more event that could not apply.
    fn add_conflict(&mut self);
}

impl Projection for Case {
    fn load(conn: &Connection, id: &str) -> Result<Option<(Self, FoldKey)>> {
        load_row(conn, "cases", id)
    }
    fn apply(rules: &FoldRules, current: Option<&Self>, ev: &Event) -> Result<Self> {
        // An event no replica could have written, or that claims what its writer has no
        // authority over, is quarantined whatever the case's state.
        crate::validate::event(ev)?;
        if let EventBody::CaseTransferredToOffice { office, .. } = &ev.body {
            crate::authority::transfer(&rules.tree, &ev.office, office)?;
        }
        workflow::apply(current, ev)
    }
    fn write(conn: &Connection, p: &Self, last: &Event, reindex: Reindex<'_>) -> Result<()> {
        write_case(conn, p, last, reindex)
    }
    fn add_conflict(&mut self) {
        self.conflict_count = self.conflict_count.saturating_add(1);
    }
}

/// Fold `ev` straight onto its stream's projection when it sorts after everything folded so
/// far (or opens an empty stream). `false`: the stream must be re-derived instead.
fn fold_fast<P: Projection>(tx: &Transaction<'_>, rules: &FoldRules, ev: &Event) -> Result<bool> {
    match P::load(tx, &ev.stream)? {
        Some((p, key)) if key < (ev.hlc, ev.id) => {
            fold_one(tx, rules, Some(p), ev)?;
            Ok(true)
        }
        None if ev.body.opens_stream() && !stream_has_other_events(tx, &ev.stream, ev.id)? => {
            fold_one::<P>(tx, rules, None, ev)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Fold one event onto the projection (or create it); a refusal becomes a recorded conflict.
fn fold_one<P: Projection>(
    conn: &Connection,
    rules: &FoldRules,
    current: Option<P>,
    ev: &Event,
) -> Result<()> {
    let reindex = Reindex::if_new(current.is_none());
    match P::apply(rules, current.as_ref(), ev) {
        Ok(p) => P::write(conn, &p, ev, reindex),
        Err(e) => {
            record_conflict(conn, ev, &e.to_string())?;
            if let Some(mut p) = current {
                p.add_conflict();
                P::write(conn, &p, ev, Reindex::Keep)?;
            }
            Ok(())
        }
    }
}

fn record_conflict(conn: &Connection, ev: &Event, reason: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO event_conflicts (event_id, stream, reason) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![ev.id.to_string(), ev.stream, reason])?;
    Ok(())
}

fn stream_has_other_events(conn: &Connection, stream: &str, except: Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM events WHERE stream = ?1 AND id <> ?2)")?
        .query_row(params![stream, except.to_string()], |r| r.get(0))?)
}

fn stream_events(conn: &Connection, stream: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT 0, id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office
         FROM events WHERE stream = ?1 ORDER BY hlc_wall, hlc_counter, id",
    )?;
    let rows = stmt.query_map([stream], |r| row_event(r, 1))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Fold a stream again from all its events, replacing its projection and conflicts.
/// Its search text goes into `search`, which the caller flushes before committing.
fn rederive_stream(
    tx: &Transaction<'_>,
    rules: &FoldRules,
    stream: &str,
    search: &mut SearchBatch,
) -> Result<()> {
    let folded = fold_stream(rules, stream_events(tx, stream)?)?;
    write_folded(tx, stream, folded, search)
}

/// Fold many streams again in one transaction (a rebuild, a first sync's settle, a pulled
/// page that arrived out of order). The search rows are written together at the end
/// ([`SearchBatch`]); with `drop_indexes` the case projection's secondary indexes are built
/// once from the finished tables ([`ProjectionIndexes`]). Given the store's second
/// connection, the streams are read and folded on it in a thread while `tx` writes: the
/// events must be committed, which they are everywhere this is called with a reader.
fn rederive_streams(
    tx: &Transaction<'_>,
    streams: &[&str],
    reader: Option<&std::sync::Mutex<Option<Connection>>>,
    drop_indexes: bool,
) -> Result<()> {
    let indexes = if drop_indexes {
        ProjectionIndexes::drop(tx)?
    } else {
        ProjectionIndexes::default()
    };
    let mut search = SearchBatch::new(tx)?;
    let rules = &FoldRules::load(tx)?;
    match reader {
        Some(reader) => std::thread::scope(|scope| {
            let (send, folded) = std::sync::mpsc::sync_channel::<Result<Folded>>(256);
            scope.spawn(move || {
                let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
                let conn = conn.as_ref().expect("the caller opened the reader");
                let _window = FoldWindow::open(conn);
                for s in streams {
                    let one = stream_events(conn, s).and_then(|e| fold_stream(rules, e));
                    let failed = one.is_err();
                    // A closed channel: the writer failed and has stopped.
                    if send.send(one).is_err() || failed {
                        break;
                    }
                }
            });
            for s in streams {
                let one = folded
                    .recv()
                    .map_err(|_| std::io::Error::other("the folding thread stopped"))??;
                write_folded(tx, s, one, &mut search)?;
            }
            Ok::<_, Error>(())
        })?,
        None => {
            for s in streams {
                rederive_stream(tx, rules, s, &mut search)?;
            }
        }
    }
    search.flush(tx)?;
    indexes.restore(tx)
}

/// The reading connection's memory while it reads many streams for a fold: 256 MiB of page
/// cache and the file mapped, instead of its everyday 32 MiB through `pread`.
///
/// A stream's events lie wherever the log was when each step happened, so reading stream
/// after stream (in the order the cases were filed) walks a window of the log as wide as a
/// case's lifetime; with the small cache most of those reads went to the kernel (two thirds
/// of the folding thread was SQLite fetching rows). Put back when dropped, and the pages
/// released: the connection stays open for the dashboard.
struct FoldWindow<'a>(&'a Connection);

impl<'a> FoldWindow<'a> {
    fn open(conn: &'a Connection) -> FoldWindow<'a> {
        // Only speed is at stake: a refused pragma leaves the fold as it was.
        let _ = conn.pragma_update(None, "cache_size", -262_144);
        let _ = conn.pragma_update(None, "mmap_size", 1i64 << 30);
        FoldWindow(conn)
    }
}

impl Drop for FoldWindow<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .pragma_update(None, "cache_size", figures::READER_CACHE_KIB);
        let _ = self.0.pragma_update(None, "mmap_size", 0);
        let _ = self.0.execute_batch("PRAGMA shrink_memory");
    }
}

/// A stream folded from all its events, not yet written: folding needs no write access, so
/// a settle folds on a second connection while the first writes.
enum Folded {
    // Boxed: folded streams queue up between the two threads. The case's row text is made
    // with the fold, off the writing thread.
    Case(Box<Stream<(Case, CaseText)>>),
    Meeting(Box<Stream<Meeting>>),
    Empty,
}

struct Stream<P> {
    projection: Option<P>,
    last: Option<Event>,
    /// The events that could not apply, and why.
    conflicts: Vec<(Event, String)>,
}

impl<P> Stream<P> {
    /// The same stream with `f` applied to its projection.
    fn try_map<Q>(self, f: impl FnOnce(P) -> Result<Q>) -> Result<Stream<Q>> {
        Ok(Stream {
            projection: self.projection.map(f).transpose()?,
            last: self.last,
            conflicts: self.conflicts,
        })
    }
}

fn fold_stream(rules: &FoldRules, events: Vec<Event>) -> Result<Folded> {
    // A stream is what its first opening event (an intake, a meeting's scheduling) makes it;
    // events of the other kind in it are conflicts. Decided on the ordered set, so a replica
    // that saw a stray event first decides as one that saw it last.
    let kind = events
        .iter()
        .find(|e| e.body.opens_stream())
        .or(events.first())
        .map(|e| e.body.aggregate());
    Ok(match kind {
        Some(Aggregate::Meeting) => Folded::Meeting(Box::new(fold_all(rules, events))),
        Some(_) => {
            let stream: Stream<Case> = fold_all(rules, events);
            Folded::Case(Box::new(stream.try_map(|c| {
                let text = CaseText::of(&c, true)?;
                Ok((c, text))
            })?))
        }
        None => Folded::Empty,
    })
}

fn fold_all<P: Projection>(rules: &FoldRules, events: Vec<Event>) -> Stream<P> {
    let mut current: Option<P> = None;
    let mut conflicts = Vec::new();
    let last = events.last().cloned();
    for ev in events {
        match P::apply(rules, current.as_ref(), &ev) {
            Ok(p) => current = Some(p),
            Err(e) => {
                if let Some(p) = current.as_mut() {
                    p.add_conflict();
                }
                conflicts.push((ev, e.to_string()));
            }
        }
    }
    Stream {
        projection: current,
        last,
        conflicts,
    }
}

/// Each stream of `events` folded in order as a replica folds it (no database): the cases,
/// where a case came of it.
#[cfg(feature = "fuzzing")]
pub(crate) fn fold_cases(rules: &FoldRules, events: &[Event]) -> Vec<Option<Case>> {
    let mut streams: std::collections::BTreeMap<&str, Vec<Event>> = Default::default();
    for ev in events.iter().filter(|e| e.stream != CONFIG_STREAM) {
        streams.entry(&ev.stream).or_default().push(ev.clone());
    }
    streams
        .into_values()
        .map(|mut evs| {
            evs.sort_by_key(Event::order_key);
            match fold_stream(rules, evs) {
                Ok(Folded::Case(s)) => s.projection.map(|(c, _)| c),
                _ => None,
            }
        })
        .collect()
}

/// A case's search and list text, as a fold makes it.
#[cfg(feature = "fuzzing")]
pub(crate) fn row_text(c: &Case) -> Result<()> {
    CaseText::of(c, true).map(|_| ())
}

/// A case's rank on the overdue list.
#[cfg(feature = "fuzzing")]
pub(crate) fn case_due_rank(c: &Case) -> i64 {
    due_rank(c)
}

/// Replace a stream's projection and conflicts with what [`fold_stream`] made of it.
fn write_folded(
    tx: &Transaction<'_>,
    stream: &str,
    folded: Folded,
    search: &mut SearchBatch,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM event_conflicts WHERE stream = ?1")?
        .execute([stream])?;
    // The stream may have been taken for the other kind before (a stray event folded first).
    if !matches!(folded, Folded::Case(_)) {
        forget_case_rows(tx, stream)?;
    }
    if !matches!(folded, Folded::Meeting(_))
        && tx
            .prepare_cached("DELETE FROM meetings WHERE id = ?1")?
            .execute([stream])?
            > 0
    {
        tx.prepare_cached("DELETE FROM meeting_cases WHERE meeting_id = ?1")?
            .execute([stream])?;
    }
    match folded {
        Folded::Case(s) => write_stream(tx, *s, |(c, text), ev| {
            write_case_text(tx, &c, ev, Reindex::Batch(search), text)
        }),
        Folded::Meeting(s) => write_stream(tx, *s, |m, ev| {
            Projection::write(tx, &m, ev, Reindex::Batch(search))
        }),
        Folded::Empty => Ok(()),
    }
}

/// Record a folded stream's conflicts, then `write` its projection (if any events applied).
fn write_stream<P>(
    tx: &Transaction<'_>,
    s: Stream<P>,
    write: impl FnOnce(P, &Event) -> Result<()>,
) -> Result<()> {
    for (ev, reason) in &s.conflicts {
        record_conflict(tx, ev, reason)?;
    }
    match (s.projection, s.last) {
        (Some(p), Some(ev)) => write(p, &ev),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fold_widens_the_readers_cache_only_while_it_reads() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("x.db")).unwrap();
        conn.pragma_update(None, "cache_size", figures::READER_CACHE_KIB)
            .unwrap();
        let cache = |c: &Connection| -> i64 {
            c.pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        {
            let _w = FoldWindow::open(&conn);
            assert_eq!(cache(&conn), -262_144);
        }
        assert_eq!(cache(&conn), figures::READER_CACHE_KIB);
        let mmap: i64 = conn
            .pragma_query_value(None, "mmap_size", |r| r.get(0))
            .unwrap();
        assert_eq!(mmap, 0);
    }

    #[test]
    fn category_prefixes_by_level() {
        assert_eq!(category_prefix("parking.illegal.fire_lane", 1), "parking");
        assert_eq!(
            category_prefix("parking.illegal.fire_lane", 2),
            "parking.illegal"
        );
        assert_eq!(category_prefix("dispute", 2), "dispute");
        assert_eq!(category_prefix("parking.zombie", 2), "parking.zombie");
    }

    #[test]
    fn device_tags_are_two_unambiguous_characters() {
        let t = device_tag("4f1c0f0e-7b55-4b8e-9d43-000000000000");
        assert_eq!(t.len(), 2);
        assert!(t.chars().all(|c| !"IO01".contains(c)));
        assert_eq!(t, device_tag("4f1c0f0e-7b55-4b8e-9d43-000000000000"));
    }
}
