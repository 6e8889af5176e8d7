//! The event-sourced SQLite store.
//!
//! [`Store`] is the only way anything is written. A command is validated by running the
//! workflow's [`apply`](crate::workflow::apply) on the current case *before* anything is
//! written; then the event and the projection row it changes are written in one savepoint, so
//! the log and the projection never disagree and a refused action writes nothing.
//!
//! Durability: WAL with `synchronous=FULL`, so a command that returned `Ok` survives a crash
//! or power loss (`tests/it/crash.rs` kills writers with SIGKILL to check).
//!
//! Replicated events ([`Store::apply_remote`]) fold in through the same code. An event that
//! sorts after everything its stream has folded is applied incrementally; one that sorts
//! earlier makes the store re-derive that stream from all its events, which is what makes the
//! projection a function of the event *set* (see [`crate::event`]).
//!
//! By concern: this file opens the store and holds who and when (identity, clock, calendar);
//! `cases` the case commands; `meetings` the meeting commands; `config` the office's settings
//! and their fold; `attachments` photos; `log` the event log itself; `project` the projection
//! engine (fast path, re-derivation, conflicts); `case_rows` the rows a case is written to
//! beside its projection (search text, figures' keys, due rank); `list` the case list and
//! search; `desk` and `figures` the desk and the figures; `sync` what sync needs; `restamp`
//! work stamped by a clock that was ahead; `schema` the migrations.

mod accounts;
mod attachments;
mod backup;
mod campaign_changes;
mod campaigns;
mod case_doc;
mod case_rows;
mod cases;
mod checkpoint;
pub mod cipher;
mod config;
mod desk;
mod encrypt;
#[cfg(feature = "exports")]
mod exports;
mod facts;
mod figures;
#[cfg(feature = "imports")]
mod import_mappings;
#[cfg(feature = "imports")]
mod import_write;
#[cfg(feature = "imports")]
mod imports;
mod keyring;
mod list;
mod log;
mod lookup;
mod meetings;
mod opening;
mod personal;
mod project;
mod restamp;
mod roles;
mod schema;
mod seal;
mod similar;
mod sync;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::Digest;
use uuid::Uuid;

pub use attachments::read_photo;
pub use backup::{BackupJob, BackupSettings, BackupSummary, DEFAULT_KEEP, inspect_backup, restore};
use case_rows::*;
pub use checkpoint::Copied;
pub use cipher::{DbKey, StoreFile, store_file};
use config::{apply_config, rederive_config};
pub use desk::DESK_ROWS;
pub use encrypt::finish_shredding;
pub use figures::AuditRow;
#[cfg(feature = "imports")]
pub use import_mappings::RememberedMapping;
#[cfg(feature = "imports")]
pub use imports::{
    CityCategory, Difference, FieldChange, ImportPreview, ImportReport, PreviewRow, RowStatus,
};
pub use keyring::{KEYS_FILE, Opener, inspect_backup_with, locked_office_name};
use list::*;
use log::*;
pub use opening::{Opening, OpeningProgress, OpeningStep};
pub use personal::AccessRecord;
use project::*;
#[cfg(feature = "fuzzing")]
pub(crate) use project::{FoldRules, case_due_rank, fold_cases, row_text};
pub use restamp::Restamped;
use roles::refold_config;
pub use schema::{MIGRATIONS, migrations};
pub use seal::{TraceCheck, TraceFault, TraceProblem};
pub use similar::RECENT_MS;
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

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

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
    /// Who is signed in (see `accounts`).
    sign_in: accounts::SignIn,
    /// The database key when the file is encrypted (see `cipher`, `keyring`).
    key: Option<DbKey>,
    /// Opened with the recovery key: nobody signed in, an administrator's password to set.
    recovered: bool,
    /// Steps made here since the store opened ([`Store::local_writes`]).
    writes: u64,
    /// The thread copying a bulk commit's log back (`checkpoint`); joined on drop.
    behind: checkpoint::Behind,
}

/// The replica's clock and identity as events are stamped with them ([`Store::stamp`]).
pub(super) struct Stamp {
    /// The replica's clock after the last event stamped.
    hlc: Hlc,
    now: i64,
    author: String,
    account: Option<Uuid>,
    device: String,
    office: String,
}

impl Stamp {
    /// A new event on `stream`, after `latest`, the stream's latest event (`None`: a stream
    /// nothing is held of yet).
    fn event(&mut self, stream: String, body: EventBody, latest: Option<Hlc>) -> Event {
        let own = self.hlc.tick(self.now);
        let hlc = match latest {
            Some(l) if l >= own => l.tick(self.now),
            _ => own,
        };
        // The replica's clock moves with its own steps; a stream's far-future event orders
        // this step but does not carry the clock (and the next case's date) with it.
        self.hlc = own.observe(hlc, self.now);
        // Sealed as it is appended (`log::append`): a command may stage several steps of one
        // stream before writing them, and each must link to the one before.
        Event {
            id: Uuid::now_v7(),
            stream,
            hlc,
            author: self.author.clone(),
            account: self.account,
            device: self.device.clone(),
            office: self.office.clone(),
            body,
            prev: None,
            sig: None,
        }
    }
}

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "jiesu.db";

fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => unreachable!("unit enums serialise to strings"),
    }
}

/// Bring the schema to this version's, telling `opening` each version: an existing store one
/// version a transaction, a new file in one (it has nothing to keep, and each commit is a
/// sync of the disk). A store from a later version is refused by `to_latest` (never opened
/// half-understood).
fn migrate(conn: &mut Connection, opening: &Opening) -> Result<()> {
    let from: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let to = MIGRATIONS.len();
    let set = migrations();
    // A version out of range is `to_latest`'s to refuse.
    let from = match usize::try_from(from) {
        Ok(0) | Err(_) => to,
        Ok(v) => v,
    };
    for v in from + 1..=to {
        opening.tell(
            OpeningStep::Migrating,
            (v - from - 1) as u64,
            (to - from) as u64,
        );
        set.to_version(conn, v)?;
    }
    set.to_latest(conn)?;
    Ok(())
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

impl Store {
    /// Open (creating if needed) the plain store in `dir`: `dir/jiesu.db` and
    /// `dir/attachments/`. An encrypted one is refused (`wrong_key`): [`Store::unlock`] opens it.
    pub fn open(dir: &Path, clock: Box<dyn Clock>) -> Result<Store> {
        Store::open_with(dir, clock, None, &Opening::default())
    }

    /// [`Store::open`], telling `opening` the steps of the work an upgrade left.
    pub fn open_watched(dir: &Path, clock: Box<dyn Clock>, opening: &Opening) -> Result<Store> {
        Store::open_with(dir, clock, None, opening)
    }

    /// Open the encrypted store in `dir` with its database key (created encrypted if new).
    pub fn open_keyed(dir: &Path, clock: Box<dyn Clock>, key: DbKey) -> Result<Store> {
        Store::open_with(dir, clock, Some(key), &Opening::default())
    }

    /// Open the store in `dir` (encrypted with `key`, if given), telling `opening` each step
    /// of the work an upgrade left (see [`Opening`]).
    pub(crate) fn open_with(
        dir: &Path,
        clock: Box<dyn Clock>,
        key: Option<DbKey>,
        opening: &Opening,
    ) -> Result<Store> {
        // Residents' data and the device's credential: the owner's eyes only.
        crate::private::dir(dir)?;
        // What an encryption interrupted by a crash left behind.
        encrypt::finish_shredding(dir)?;
        let path = dir.join(DB_FILE);
        crate::private::database(&path)?;
        let conn = cipher::connect_rw(&path, key.as_ref())?;
        let mut store = Store::init(conn, Some(dir.to_path_buf()), clock, opening)?;
        // The log files WAL mode made, from a version that did not close them up.
        crate::private::database(&path)?;
        let attachments = dir.join("attachments");
        if attachments.exists() {
            crate::private::dir(&attachments)?;
        }
        if let Some(key) = key {
            // Photos left plain by an encryption a crash interrupted.
            encrypt::seal_photos(dir, &key)?;
            store.key = Some(key);
            store.sync_keyring()?;
        }
        Ok(store)
    }

    /// A store in memory, for tests; attachments are refused.
    pub fn open_in_memory(clock: Box<dyn Clock>) -> Result<Store> {
        Store::init(
            Connection::open_in_memory()?,
            None,
            clock,
            &Opening::default(),
        )
    }

    fn init(
        mut conn: Connection,
        dir: Option<PathBuf>,
        clock: Box<dyn Clock>,
        opening: &Opening,
    ) -> Result<Store> {
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
        // Room for every statement one write uses (rusqlite keeps 16): an intake or an
        // imported row runs about that many, and a least-recently-used cache smaller than a
        // loop's statements misses on every one of them (an import spent 40% preparing).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn, opening)?;
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
        // The device's signing key exists before its first event is written.
        seal::device_key(&conn)?;
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
            sign_in: accounts::SignIn::default(),
            key: None,
            recovered: false,
            writes: 0,
            behind: Default::default(),
        };
        store.device_tag = store.meta("device_tag")?;
        // Case documents written whole before v25; before the settle, which folds again any
        // case whose document disagreed with its columns.
        store.once_after_upgrade("compact_docs", opening, None, |tx| {
            case_doc::compact_docs(tx, opening)
        })?;
        // A first sync interrupted between a bulk pull and its settle: fold what it stored.
        let dirty: i64 = store
            .conn
            .query_row("SELECT count(*) FROM dirty_streams", [], |r| r.get(0))?;
        if dirty > 0 {
            opening.tell(OpeningStep::Folding, 0, dirty as u64);
        }
        store.settle()?;
        // An enrolment interrupted before its office was given the earlier work.
        store.assign_unenrolled_work()?;
        let indexing = Some(OpeningStep::Indexing);
        // Configuration folded by an earlier version, before the authority rules.
        store.once_after_upgrade("refold_config", opening, indexing, |tx| {
            let again = refold_config(tx, roles::some_folded)?;
            rederive_named(tx, &again)
        })?;
        // Steps folded before their accounts' roles were checked (v22): the account history
        // is recorded and the streams holding a step it refuses fold again.
        store.once_after_upgrade("check_accounts", opening, indexing, |tx| {
            rederive_config(tx)?;
            let book = roles::RoleBook::load(tx)?;
            rederive_named(tx, &roles::streams_breaking(tx, &book)?)
        })?;
        // Search text made by an earlier version (without the category's names).
        store.once_after_upgrade("reindex_search", opening, indexing, |tx| {
            case_rows::reindex_search(tx)
        })?;
        // Cases folded before duplicates were looked up by their places (v21).
        store.once_after_upgrade("index_places", opening, indexing, |tx| {
            case_rows::index_places(tx)
        })?;
        // The pages a migration left free (v24's copy of the log, about a tenth of the store;
        // v25's shorter documents), handed back to the disk; VACUUM runs outside any
        // transaction, the flag goes after it.
        if store.meta("compact_after_upgrade")?.is_some() {
            opening.tell(OpeningStep::Compacting, 0, 0);
            store.conn.execute_batch("VACUUM")?;
            store
                .conn
                .execute("DELETE FROM meta WHERE key = 'compact_after_upgrade'", [])?;
        }
        store.reload_calendar()?;
        Ok(store)
    }

    /// Work a migration left for the next opening (the meta flag it set), done once, in a
    /// transaction of its own; `opening` hears `step` as it begins (a work that counts tells
    /// its own).
    fn once_after_upgrade(
        &mut self,
        flag: &str,
        opening: &Opening,
        step: Option<OpeningStep>,
        work: impl FnOnce(&Transaction<'_>) -> Result<()>,
    ) -> Result<()> {
        if self.meta(flag)?.is_none() {
            return Ok(());
        }
        if let Some(step) = step {
            opening.tell(step, 0, 0);
        }
        let tx = self.conn.transaction()?;
        work(&tx)?;
        tx.execute("DELETE FROM meta WHERE key = ?1", [flag])?;
        tx.commit()?;
        Ok(())
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
    /// Refused once accounts are in force: then the signed-in account is the author, and
    /// the PC changes hands by signing out and in.
    pub fn act_as(&mut self, author: &str) -> Result<()> {
        if self.enforced()? {
            return Err(Error::Forbidden {
                role: self
                    .session()
                    .map(|s| enum_name(&s.role))
                    .unwrap_or_default(),
                action: "act_as".into(),
            });
        }
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
    ///
    /// Every event this replica writes is made here or by a [`Stamp`] taken after the same
    /// checks, so this is where the role is checked ([`crate::access`]): a refused step is
    /// refused before anything is stamped or written.
    fn new_event(&mut self, stream: String, body: EventBody) -> Result<Event> {
        self.check_write(body.kind())?;
        self.check_resynced()?;
        let latest: Option<Hlc> = self
            .conn
            .prepare_cached(
                "SELECT hlc_wall, hlc_counter FROM events WHERE stream = ?1
                 ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
            )?
            .query_row([IdColumn(&stream)], |r| {
                Ok(Hlc {
                    wall_ms: r.get(0)?,
                    counter: r.get(1)?,
                })
            })
            .optional()?;
        let mut stamp = self.stamp(self.clock.now_ms());
        let ev = stamp.event(stream, body, latest);
        self.hlc = stamp.hlc;
        self.writes += 1;
        Ok(ev)
    }

    /// What a new event takes from the store at `now`, copied out: a thread that holds no
    /// connection makes an import's events with it ([`Stamp::event`]). The caller has checked
    /// the role for every kind it will make, and [`Store::check_resynced`].
    fn stamp(&self, now: i64) -> Stamp {
        Stamp {
            hlc: self.hlc,
            now,
            author: self.identity.author.clone(),
            account: self.sign_in.session.as_ref().map(|s| s.account),
            device: self.identity.device.clone(),
            office: self.identity.office.clone(),
        }
    }

    // ---------------------------------------------------------------- commands

    /// How many steps this store has made since it opened (counted as each is made, so a
    /// refused command may count one that was never written). A window compares it before
    /// and after a command: a change means what it shows may have changed, whichever page
    /// asked (the header's counts, the desk, the list).
    pub fn local_writes(&self) -> u64 {
        self.writes
    }

    /// Give back the memory both connections' page caches hold (up to 96 MiB at a district's
    /// size, filled by whatever was last read): the window calls it once it has been idle a
    /// while. Nothing else changes; the next read fetches its pages again, from the kernel's
    /// cache (decrypting them: a few milliseconds for a page of the list). A reader busy
    /// elsewhere is left as it is.
    pub fn release_memory(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory")?;
        if let Ok(reader) = self.reader.try_lock()
            && let Some(reader) = reader.as_ref()
        {
            reader.execute_batch("PRAGMA shrink_memory")?;
        }
        Ok(())
    }

    /// The cases in the projection: the count the window's header shows. SQLite counts the
    /// narrowest index of `cases` (a few bytes a case), unlike [`Store::stats`], whose count of
    /// the log reads eight times the rows.
    pub fn case_count(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?)
    }

    /// Cases, events and overdue cases, exactly (the command line, setup's answer).
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
        let device_tag = cases::device_tag;
        let t = device_tag("4f1c0f0e-7b55-4b8e-9d43-000000000000");
        assert_eq!(t.len(), 2);
        assert!(t.chars().all(|c| !"IO01".contains(c)));
        assert_eq!(t, device_tag("4f1c0f0e-7b55-4b8e-9d43-000000000000"));
    }
}
