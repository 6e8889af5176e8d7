//! The store's side of sync: enrolment, the outbox, receipts and the pull cursor.
//!
//! Transport is not here (the core knows no HTTP): `jiesu-sync` asks the store for its
//! [`Store::outbox`], sends it, and hands back the server's receipts; it asks for the
//! [`Store::pull_cursor`], fetches a page and hands it to [`Store::apply_pull`]. Each of those
//! is one SQLite transaction, so a crash between any two steps loses nothing: an event whose
//! receipt never arrived is simply pushed again, and the server answers with the same receipt.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::figures::open_reader;
use super::{
    Store, fold_remote, insert_event_if_new, rederive_streams, refold_config, want_attachment,
};
use crate::api::SyncStatus;
use crate::error::{Error, Reason, Result};
use crate::event::{Event, EventBody};
use crate::wire::{EnrolResponse, Office, PullResponse, Receipt};

/// What enrolment left in the store (meta key `enrolment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Base URL of the server, e.g. `https://jiesu.example.gov.cn`.
    pub server_url: String,
    /// The device credential (the server keeps only its hash).
    pub credential: String,
    /// The office the device belongs to.
    pub office: Office,
    /// Case-number tag the server assigned.
    pub device_tag: String,
}

const ENROLMENT: &str = "enrolment";
const DIRECTORY: &str = "directory";
const PUSH_FLOOR: &str = "push_floor";
const PULL_CURSOR: &str = "pull_cursor";
const LAST_SYNC: &str = "last_sync";
const SAMPLE: &str = "sample";
const PENDING_REVOKES: &str = "pending_revokes";
const CLOCK_OFFSET: &str = "clock_offset_ms";
const CLOCK_MEASURED_AT: &str = "clock_offset_measured_at";
const ASSIGN_PENDING: &str = "assign_pending";

/// A credential given up while its server could not be told: the sync task tells it later,
/// and the server must hear it before the device can enrol again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRevoke {
    /// The server that issued the credential.
    pub server_url: String,
    /// The credential to revoke.
    pub credential: String,
}

impl Store {
    pub(super) fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    pub(super) fn set_meta(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
        conn.prepare_cached(
            "INSERT INTO meta VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        )?
        .execute([key, value])?;
        Ok(())
    }

    /// Remember that this store holds the generated sample community: it must never be pushed
    /// to a server as if it were real work.
    pub fn mark_sample(&mut self) -> Result<()> {
        Store::set_meta(&self.conn, SAMPLE, "1")
    }

    /// The enrolment, when this device is enrolled.
    pub fn enrolment(&self) -> Result<Option<Enrolment>> {
        match self.meta(ENROLMENT)? {
            Some(json) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    /// Check that enrolling is allowed before a code is spent on it.
    pub fn check_can_enrol(&mut self, server_url: &str) -> Result<()> {
        self.check(crate::access::Act::ManageSync)?;
        if self.enrolment()?.is_some() {
            return Err(Error::invalid("server_url", Reason::AlreadyEnrolled));
        }
        if self.meta(SAMPLE)?.is_some() {
            return Err(Error::invalid("store", Reason::SampleData));
        }
        let url = server_url.trim();
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace)) {
            return Err(Error::invalid("server_url", Reason::BadUrl));
        }
        Ok(())
    }

    /// Record a successful enrolment: the device now acts for the server's office. Events
    /// written before keep their office ([`crate::wire::UNENROLLED_OFFICE`]); the server
    /// files them under this office when they are pushed.
    pub fn enrol(&mut self, server_url: &str, answer: &EnrolResponse) -> Result<()> {
        self.check(crate::access::Act::ManageSync)?;
        self.check_can_enrol(server_url)?;
        let enrolment = Enrolment {
            server_url: server_url.trim().trim_end_matches('/').to_owned(),
            credential: answer.credential.clone(),
            office: answer.office.clone(),
            device_tag: answer.device_tag.clone(),
        };
        let tx = self.conn.transaction()?;
        Store::set_meta(&tx, ENROLMENT, &serde_json::to_string(&enrolment)?)?;
        Store::set_meta(&tx, "device_tag", &answer.device_tag)?;
        Store::set_meta(&tx, "office", &answer.office.id)?;
        Store::set_meta(&tx, "office_name", &answer.office.name)?;
        Store::set_meta(&tx, PULL_CURSOR, "0")?;
        Store::set_meta(&tx, ASSIGN_PENDING, "1")?;
        // The office changed: what applies here changes with it.
        refold_for_authority(&tx)?;
        tx.commit()?;
        self.reload_calendar()?;
        self.identity.office = answer.office.id.clone();
        self.identity.office_name = answer.office.name.clone();
        self.device_tag = Some(answer.device_tag.clone());
        self.assign_unenrolled_work()?;
        Ok(())
    }

    /// Give the office enrolled into every case and meeting this device filed before: one
    /// [`EventBody::CaseOfficeAssigned`] (or meeting) event each, in one transaction. Runs at
    /// enrolment, and when the store opens if a crash came in between (`assign_pending`).
    /// Other devices' pre-enrolment work is theirs to assign.
    pub(super) fn assign_unenrolled_work(&mut self) -> Result<usize> {
        if self.meta(ASSIGN_PENDING)?.is_none() {
            return Ok(0);
        }
        let streams: Vec<(String, String)> = self
            .conn
            .prepare(
                "SELECT stream, kind FROM events
                 WHERE device = ?1 AND office = ?2 AND kind IN ('case_received', 'meeting_scheduled')
                 ORDER BY seq",
            )?
            .query_map(
                params![
                    super::IdColumn(&self.identity.device),
                    crate::wire::UNENROLLED_OFFICE
                ],
                |r| Ok((super::id_text(r, 0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let (office, office_name) = (
            self.identity.office.clone(),
            self.identity.office_name.clone(),
        );
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let assigned = (|| -> Result<usize> {
            let mut n = 0;
            for (stream, kind) in &streams {
                let id = uuid::Uuid::parse_str(stream)
                    .map_err(|_| Error::invalid("stream", Reason::Malformed))?;
                let (office, office_name) = (office.clone(), office_name.clone());
                if kind == "case_received" {
                    let case = self.load_case(id)?;
                    if case.office == crate::wire::UNENROLLED_OFFICE {
                        let body = EventBody::CaseOfficeAssigned {
                            office,
                            office_name,
                        };
                        self.commit_case_event(id, body, Some(&case))?;
                        n += 1;
                    }
                } else {
                    let meeting = self.load_meeting(id)?;
                    if meeting.office == crate::wire::UNENROLLED_OFFICE {
                        let body = EventBody::MeetingOfficeAssigned {
                            office,
                            office_name,
                        };
                        self.commit_meeting(id, Some(meeting), body)?;
                        n += 1;
                    }
                }
            }
            self.conn
                .execute("DELETE FROM meta WHERE key = ?1", [ASSIGN_PENDING])?;
            Ok(n)
        })();
        match assigned {
            Ok(n) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(n)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Forget the server. The events and receipts stay; the office stays what it was, so
    /// later steps are still recorded as that office's. The credential is kept as a
    /// [`PendingRevoke`] until the server has been told, which works offline. Returns how many
    /// events had not been uploaded (the window warns before calling this).
    pub fn unenrol(&mut self) -> Result<u32> {
        self.check(crate::access::Act::ManageSync)?;
        let Some(enrolment) = self.enrolment()? else {
            return Err(Error::invalid("server_url", Reason::NotEnrolled));
        };
        let waiting = self.waiting()?;
        let mut pending = self.pending_revokes()?;
        pending.push(PendingRevoke {
            server_url: enrolment.server_url,
            credential: enrolment.credential,
        });
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2, ?3, ?4)",
            [ENROLMENT, DIRECTORY, CLOCK_OFFSET, CLOCK_MEASURED_AT],
        )?;
        Store::set_meta(&tx, PENDING_REVOKES, &serde_json::to_string(&pending)?)?;
        tx.commit()?;
        Ok(waiting)
    }

    /// Credentials given up ([`Store::unenrol`]) that their server has not been told of yet.
    pub fn pending_revokes(&self) -> Result<Vec<PendingRevoke>> {
        match self.meta(PENDING_REVOKES)? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(Vec::new()),
        }
    }

    /// The server has been told (or no longer knows the credential).
    pub fn revoke_delivered(&mut self, credential: &str) -> Result<()> {
        let mut pending = self.pending_revokes()?;
        pending.retain(|p| p.credential != credential);
        Store::set_meta(
            &self.conn,
            PENDING_REVOKES,
            &serde_json::to_string(&pending)?,
        )
    }

    /// The server's clock minus this PC's, as last measured while enrolled (0 before): a PC
    /// restarted offline stamps its work with the corrected time, not its own wrong one.
    pub fn clock_offset(&self) -> Result<i64> {
        Ok(self
            .meta(CLOCK_OFFSET)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Keep the latest measured offset, with the PC's own time (`pc_now`) when it was measured. Written
    /// only when it moved by more than a second: every sync round measures it, and the jitter
    /// of a round trip is not news.
    pub fn set_clock_offset(&mut self, ms: i64, pc_now: i64) -> Result<()> {
        if self.meta(CLOCK_OFFSET)?.is_some() && (self.clock_offset()? - ms).abs() <= 1000 {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        Store::set_meta(&tx, CLOCK_OFFSET, &ms.to_string())?;
        Store::set_meta(&tx, CLOCK_MEASURED_AT, &pc_now.to_string())?;
        Ok(tx.commit()?)
    }

    /// The correction to start the app's clock with at PC time `pc`, before the server is
    /// reached: the one
    /// last measured, unless the PC's clock has since been set back (it reads earlier than
    /// when the correction was measured: someone fixed a clock that ran ahead, and applying
    /// the old correction would now put the app years behind).
    pub fn clock_offset_at_start(&self, pc: i64) -> Result<i64> {
        let measured_at: Option<i64> = self.meta(CLOCK_MEASURED_AT)?.and_then(|s| s.parse().ok());
        match measured_at {
            Some(at) if pc < at - 3_600_000 => Ok(0),
            _ => self.clock_offset(),
        }
    }

    /// Offices a case can be transferred to (from the server; empty when not enrolled).
    pub fn directory(&self) -> Result<Vec<Office>> {
        match self.meta(DIRECTORY)? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(Vec::new()),
        }
    }

    /// Offices a case of this office can be transferred to: the directory without itself.
    pub fn transfer_targets(&self) -> Result<Vec<Office>> {
        let own = &self.identity.office;
        Ok(self
            .directory()?
            .into_iter()
            .filter(|o| &o.id != own)
            .collect())
    }

    /// Keep the server's directory for offline use. The organisation decides what counts
    /// here (`crate::authority`): when it changed, the configuration is folded again, and so
    /// is every stream holding an event that was refused, in case it names an office this
    /// replica had not heard of.
    pub fn set_directory(&mut self, offices: &[Office]) -> Result<()> {
        let json = serde_json::to_string(offices)?;
        if self.meta(DIRECTORY)?.as_deref() == Some(json.as_str()) {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        Store::set_meta(&tx, DIRECTORY, &json)?;
        refold_for_authority(&tx)?;
        tx.commit()?;
        self.reload_calendar()
    }

    fn push_floor(&self) -> Result<i64> {
        Ok(self
            .meta(PUSH_FLOOR)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// This device's events the server has not acknowledged, oldest first.
    pub fn outbox(&self, limit: u32) -> Result<Vec<Event>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.id, e.stream, e.kind, e.payload, e.hlc_wall, e.hlc_counter, e.author,
                    e.device, e.office, e.account, e.prev, e.sig
             FROM events e
             WHERE e.seq > ?1 AND e.device = ?2
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)
             ORDER BY e.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                self.push_floor()?,
                super::IdColumn(&self.identity.device),
                limit
            ],
            |r| super::row_event(r, 0),
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// How many of this device's events wait to go up.
    pub fn waiting(&self) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM events e
             WHERE e.seq > ?1 AND e.device = ?2
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)",
            )?
            .query_row(
                params![self.push_floor()?, super::IdColumn(&self.identity.device)],
                |r| r.get(0),
            )?)
    }

    /// Keep the server's receipts for pushed events.
    pub fn acknowledge(&mut self, receipts: &[Receipt]) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_receipts(&tx, receipts.iter().map(|r| (r.id, r.seq, r.received_ms)))?;
        refold_by_receipt(&tx, receipts.iter().map(|r| r.id))?;
        advance_push_floor(&tx, &self.identity.device)?;
        tx.commit()?;
        Ok(())
    }

    /// Where the next pull starts.
    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(self
            .meta(PULL_CURSOR)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Fold a pulled page in, keep its receipts and move the cursor, all in one transaction.
    /// Returns how many events were new here. A page holding an event whose signature does
    /// not match its device's registered key is refused whole (`seal::check_pulled`).
    pub fn apply_pull(&mut self, page: &PullResponse) -> Result<usize> {
        let events: Vec<Event> = page.events.iter().map(|p| p.event.clone()).collect();
        let cursor = self.pull_cursor()?.max(page.next);
        let now = self.clock.now_ms();
        let tx = self.conn.transaction()?;
        super::seal::learn_keys(&tx, &page.keys)?;
        super::seal::check_pulled(&tx, &self.identity.device, &events)?;
        let (new, hlc, config) = fold_remote(&tx, self.hlc, now, &events)?;
        insert_receipts(
            &tx,
            page.events
                .iter()
                .map(|p| (p.event.id, p.seq, p.received_ms)),
        )?;
        refold_by_receipt(&tx, page.events.iter().map(|p| p.event.id))?;
        finish_page(&tx, cursor, &self.identity.device)?;
        if !page.more {
            Store::resynced(&tx)?;
        }
        tx.commit()?;
        self.after_remote(hlc, config)?;
        Ok(new)
    }

    /// Store a pulled page without folding it: for a first sync of a large office, where
    /// folding each case once at the end ([`Store::settle`]) is several times faster than
    /// folding every event as it comes. The touched streams are recorded in the same
    /// transaction, so a crash before `settle` is repaired when the store next opens.
    pub fn apply_pull_bulk(&mut self, page: &PullResponse) -> Result<usize> {
        let cursor = self.pull_cursor()?.max(page.next);
        let mut hlc = self.hlc;
        let now = self.clock.now_ms();
        let mut new = 0;
        let device = self.identity.device.clone();
        let new_hlc = without_power_cut_sync(&mut self.conn, |tx| {
            super::seal::learn_keys(tx, &page.keys)?;
            super::seal::check_pulled(tx, &device, page.events.iter().map(|p| &p.event))?;
            let mut streams = std::collections::HashSet::new();
            for p in &page.events {
                let ev = &p.event;
                if insert_event_if_new(tx, ev)? {
                    // Its place in the log is known: no lookup by id.
                    insert_receipt_at(tx, tx.last_insert_rowid(), p.seq, p.received_ms)?;
                    want_attachment(tx, ev)?;
                    streams.insert(ev.stream.as_str());
                    hlc = hlc.observe(ev.hlc, now);
                    new += 1;
                } else {
                    insert_receipts(tx, std::iter::once((ev.id, p.seq, p.received_ms)))?;
                }
            }
            let mut dirty =
                tx.prepare_cached("INSERT OR IGNORE INTO dirty_streams (stream) VALUES (?1)")?;
            for stream in streams {
                dirty.execute([stream])?;
            }
            finish_page(tx, cursor, &device)?;
            if !page.more {
                Store::resynced(tx)?;
            }
            Ok(hlc)
        })?;
        self.hlc = new_hlc;
        Ok(new)
    }

    /// Fold every stream a bulk pull left unfolded. Returns how many streams.
    ///
    /// On a store on disk the streams are read and folded on the second connection, in a
    /// thread of their own, while this one writes the folded projections: a first sync's
    /// settle keeps two cores busy. The events it reads were committed by the bulk pages.
    pub fn settle(&mut self) -> Result<usize> {
        let streams: Vec<String> = self
            .conn
            .prepare("SELECT stream FROM dirty_streams")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if streams.is_empty() {
            return Ok(0);
        }
        let config = streams.iter().any(|s| s == crate::event::CONFIG_STREAM);
        let folds: Vec<&str> = streams
            .iter()
            .map(String::as_str)
            .filter(|s| *s != crate::event::CONFIG_STREAM)
            .collect();
        let reader = open_reader(self.dir.as_deref(), self.key.as_ref(), &self.reader)?
            .then_some(&self.reader);
        without_power_cut_sync(&mut self.conn, |tx| {
            let rows: i64 = tx.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
            // The configuration first: the streams fold under its account history, and
            // streams folded before whose steps it now judges differently fold again.
            let mut folds: std::collections::BTreeSet<&str> = folds.iter().copied().collect();
            let again = match config {
                true => refold_config(tx, super::roles::some_folded_apart_from_dirty)?,
                false => Vec::new(),
            };
            folds.extend(again.iter().map(String::as_str));
            let folds: Vec<&str> = folds.into_iter().collect();
            // Most of a first sync's cases are new: inserting them under a dozen indexes
            // costs more than building the indexes once from the finished table.
            rederive_streams(tx, &folds, reader, streams.len() as i64 > rows)?;
            tx.execute("DELETE FROM dirty_streams", [])?;
            Ok(())
        })?;
        if config {
            self.reload_calendar()?;
            self.refresh_session()?;
        }
        Ok(streams.len())
    }

    /// Photos of cases held here whose bytes are not, to fetch from the server: never tried
    /// first, then the longest untried; newest first within each. Photos found on disk by now
    /// (filed here, or fetched by the window) are dropped from the list on the way.
    pub fn attachments_to_fetch(&self, limit: u32) -> Result<Vec<String>> {
        if self.dir.is_none() {
            // A store in memory keeps no files.
            return Ok(Vec::new());
        }
        // Rows for photos already here are dropped as they are met, and the list asked again
        // until a page holds none: each pass either shrinks the list or is the last.
        loop {
            let page: Vec<String> = self
                .conn
                .prepare_cached(
                    "SELECT sha256 FROM attachment_wants
                     ORDER BY tried_ms IS NOT NULL, coalesce(tried_ms, 0), rowid DESC
                     LIMIT ?1",
                )?
                .query_map([limit], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let full = page.len() == limit as usize;
            let mut out = Vec::with_capacity(page.len());
            for sha in page {
                if self.attachment_path(&sha)?.exists() {
                    self.conn
                        .prepare_cached("DELETE FROM attachment_wants WHERE sha256 = ?1")?
                        .execute([&sha])?;
                } else {
                    out.push(sha);
                }
            }
            if out.len() == limit as usize || !full {
                return Ok(out);
            }
        }
    }

    /// The server had no bytes for a wanted photo yet (its author's office has not uploaded
    /// it): ask for the others first next time.
    pub fn attachment_not_yet_served(&self, sha256: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE attachment_wants SET tried_ms = ?2 WHERE sha256 = ?1")?
            .execute(params![sha256, self.clock.now_ms()])?;
        Ok(())
    }

    /// Keep a photo fetched from the server, refused (nothing written) unless its bytes
    /// hash to `sha256`.
    pub fn keep_fetched_attachment(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let computed = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        if !computed.eq_ignore_ascii_case(sha256) {
            return Err(Error::invalid("attachment", Reason::Malformed));
        }
        self.keep_attachment(&computed, bytes)
    }

    /// Remember the time of the last complete sync (push and pull both drained).
    pub fn record_sync(&mut self, at_ms: i64) -> Result<()> {
        Store::set_meta(&self.conn, LAST_SYNC, &at_ms.to_string())
    }

    /// The server's receipt time of an event, once known.
    pub fn receipt_time(&self, event: uuid::Uuid) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT r.received_ms FROM receipts r JOIN events e ON e.seq = r.event_seq
                 WHERE e.id = ?1",
            )?
            .query_row([super::UuidColumn(event)], |r| r.get(0))
            .optional()?)
    }

    /// What the status bar shows, as far as the store knows it (the sync task adds whether
    /// the server is reachable right now).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let enrolment = self.enrolment()?;
        // Before enrolment nothing is sent anywhere, so nothing waits; counting would read
        // every event this office ever wrote (a year offline: millions) with the store held,
        // at every start and every change (issue 22: a sign-in stood 2.4 s behind it at 100k).
        let waiting = if enrolment.is_some() {
            self.waiting()?
        } else {
            0
        };
        Ok(SyncStatus {
            enrolled: enrolment.is_some(),
            server_url: enrolment
                .as_ref()
                .map(|e| e.server_url.clone())
                .unwrap_or_default(),
            office: enrolment.map(|e| e.office),
            waiting,
            last_sync: self.meta(LAST_SYNC)?.and_then(|s| s.parse().ok()),
            online: false,
            syncing: false,
            progress: None,
            error: None,
            clock_offset_ms: 0,
            future_events: self.future_work()?,
        })
    }
}

/// Pulled events worth storing in one transaction during a first sync: the log's indexes
/// take a first sync's events in no useful order (ids and streams are random to the feed),
/// and each commit writes out every index page it touched. Pages of 2,000 events touched
/// nearly a page per event per index; eight pages in one commit touch most of those pages
/// once. The sync task joins the pages that have arrived, up to this many events.
pub const BULK_APPLY_EVENTS: usize = 16_384;

/// Log pages between checkpoints during bulk work (SQLite's default, restored after, is 1000).
const BULK_CHECKPOINT_PAGES: i64 = 16_384;

/// Run `f` in a transaction committed without waiting for the disk. For what the server
/// holds and this store can fetch or fold again: a power cut loses the transaction whole,
/// cursor included (WAL keeps it atomic), and the next round repeats it. Commits after it
/// sync the log again, this one's frames with theirs.
fn without_power_cut_sync<T>(
    conn: &mut rusqlite::Connection,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Copy the log back into the database every 64 MiB instead of every 4 MiB: a first sync's
    // pages rewrite the same index pages over and over, and each checkpoint copied (and
    // synced) them again; a third of storing the pages was checkpointing.
    conn.pragma_update(None, "wal_autocheckpoint", BULK_CHECKPOINT_PAGES)?;
    let done = (|| {
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })();
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(
        None,
        "wal_autocheckpoint",
        super::checkpoint::AUTO_CHECKPOINT_PAGES,
    )?;
    done
}

/// What every pulled page leaves besides its events and their receipts: the cursor, and the
/// push floor (our own events can come back, e.g. after a lost acknowledgement, and their
/// receipts may let the floor move).
fn finish_page(tx: &rusqlite::Transaction<'_>, cursor: i64, device: &str) -> Result<()> {
    Store::set_meta(tx, PULL_CURSOR, &cursor.to_string())?;
    advance_push_floor(tx, device)
}

/// Keep receipts for held events, found by id: `(event id, server seq, received ms)`.
fn insert_receipts(
    tx: &rusqlite::Transaction<'_>,
    receipts: impl Iterator<Item = (uuid::Uuid, i64, i64)>,
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO receipts (event_seq, server_seq, received_ms)
         SELECT seq, ?2, ?3 FROM events WHERE id = ?1
         ON CONFLICT (event_seq) DO NOTHING",
    )?;
    for (id, seq, at) in receipts {
        stmt.execute(params![super::UuidColumn(id), seq, at])?;
    }
    Ok(())
}

/// Fold again the cases whose pre-enrolment intake is among `ids`, now that its receipt is
/// held: they count from it ([`crate::reclock::receipt_shift`]).
fn refold_by_receipt(
    tx: &rusqlite::Transaction<'_>,
    ids: impl Iterator<Item = uuid::Uuid>,
) -> Result<()> {
    let mut streams = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT stream FROM events WHERE id = ?1 AND kind = 'case_received' AND office = ?2",
        )?;
        for id in ids {
            if let Some(s) = stmt
                .query_row(
                    params![super::UuidColumn(id), crate::wire::UNENROLLED_OFFICE],
                    |r| super::id_text(r, 0),
                )
                .optional()?
            {
                streams.push(s);
            }
        }
    }
    let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
    rederive_streams(tx, &streams, None, false)
}

/// Keep the receipt of the event at `event_seq` in this log.
fn insert_receipt_at(
    tx: &rusqlite::Transaction<'_>,
    event_seq: i64,
    server_seq: i64,
    received_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO receipts (event_seq, server_seq, received_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (event_seq) DO NOTHING",
    )?
    .execute(params![event_seq, server_seq, received_ms])?;
    Ok(())
}

/// Move the floor past every own event that has a receipt, so the outbox query starts late.
fn advance_push_floor(tx: &rusqlite::Transaction<'_>, device: &str) -> Result<()> {
    let floor: i64 = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [PUSH_FLOOR], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let first_unacked: Option<i64> = tx
        .prepare_cached(
            "SELECT min(e.seq) FROM events e
             WHERE e.seq > ?1 AND e.device = ?2
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)",
        )?
        .query_row(params![floor, super::IdColumn(device)], |r| r.get(0))?;
    let new_floor = match first_unacked {
        Some(seq) => seq - 1,
        None => tx.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?,
    };
    if new_floor > floor {
        Store::set_meta(tx, PUSH_FLOOR, &new_floor.to_string())?;
    }
    Ok(())
}

/// Fold again what depends on who this office is and where it stands: the configuration,
/// and the streams holding a refused event.
fn refold_for_authority(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let mut streams: std::collections::BTreeSet<String> =
        refold_config(tx, super::roles::some_folded)?
            .into_iter()
            .collect();
    let conflicted: Vec<String> = tx
        .prepare("SELECT DISTINCT stream FROM event_conflicts WHERE stream <> 'config'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    streams.extend(conflicted);
    let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
    rederive_streams(tx, &streams, None, false)
}
