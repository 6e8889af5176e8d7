//! Case rows beyond the projection itself: the search text, the figures' keys, the due rank,
//! the places likely duplicates are found by, and how they are written.

use super::*;
use crate::similar::{Held, place_keys};

/// The column that filters by `code` at its level: an equality there also yields the
/// received order from the column's index (a prefix range would not).
pub(super) fn category_column(code: &str) -> &'static str {
    match code.matches('.').count() {
        0 => "cat1",
        1 => "cat2",
        _ => "category",
    }
}

/// The first `levels` segments of a dotted category code (the whole code if it is shorter).
pub(super) fn category_prefix(code: &str, levels: usize) -> &str {
    match code.match_indices('.').nth(levels - 1) {
        Some((i, _)) => &code[..i],
        None => code,
    }
}

pub(super) fn search_text(c: &Case) -> String {
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
            &search::category_words(&c.category),
        ]
        .join(&sep),
    )
}

/// Where a case sorts in "most urgent first": open cases by when they are due
/// ([`Case::due_at`]: a broken promise is on the overdue list), closed ones after them all.
pub(super) fn due_rank(c: &Case) -> i64 {
    if !c.state.is_open() {
        return CLOSED_RANK + c.resolve_due;
    }
    c.due_at()
}

/// The id of a figures grouping key (unit, category, channel, building, office), added on
/// first use.
pub(super) fn figure_key(conn: &Connection, value: &str) -> Result<i64> {
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
pub(super) fn find_figure_key(conn: &Connection, value: &str) -> Result<Option<i64>> {
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
    /// The phone's and numbers' tagged bigrams ([`search::field_tokens`]).
    fields: String,
    doc: String,
}

impl CaseText {
    /// `index`: make the search index's columns now too (on a thread that is not the writer).
    pub(super) fn of(c: &Case, index: bool) -> Result<CaseText> {
        let search = search_text(c);
        let fields = search::field_tokens(&search::KeyFields {
            phone: &c.resident.phone,
            numbers: [&c.number, &c.work_order_no],
            name: &c.resident.name,
            address: &c.address.display(),
        });
        Ok(CaseText {
            index: index.then(|| search::case_columns(&search, &fields)),
            fields,
            search,
            doc: case_doc::rest(c)?,
        })
    }
}

/// Make every case's searchable text and search index again from its projected row,
/// in chunks of rows (a store's documents do not fit in memory at once).
pub(super) fn reindex_search(conn: &Connection) -> Result<()> {
    conn.execute("INSERT INTO case_fts(case_fts) VALUES('delete-all')", [])?;
    let mut after = i64::MIN;
    loop {
        let chunk: Vec<(i64, Case)> = conn
            .prepare_cached(&format!(
                "SELECT rowid, {} FROM cases WHERE rowid > ?1 ORDER BY rowid LIMIT 2000",
                case_doc::CASE_COLUMNS
            ))?
            .query_map([after], |r| Ok((r.get(0)?, case_doc::case_at(r, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, _)) = chunk.last() else {
            return Ok(());
        };
        for (rowid, c) in chunk {
            let text = CaseText::of(&c, true)?;
            conn.prepare_cached("UPDATE cases SET search_text = ?2 WHERE rowid = ?1")?
                .execute(params![rowid, text.search])?;
            if let Some(columns) = &text.index {
                index_search_text(conn, rowid, columns, false)?;
            }
        }
        after = last;
    }
}

/// Fill `case_places` from the cases already folded (a store older than v21), in chunks of
/// rows.
pub(super) fn index_places(conn: &Connection) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        type Row = (i64, String, String, String, String, String, i64, bool);
        let chunk: Vec<Row> = conn
            .prepare_cached(
                "SELECT rowid, office, description, address, location, resident_phone,
                    received_at, is_open
                 FROM cases WHERE rowid > ?1 ORDER BY rowid LIMIT 5000",
            )?
            .query_map([after], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, ..)) = chunk.last() else {
            return Ok(());
        };
        for (rowid, office, description, address, location, phone, received_at, open) in &chunk {
            let held = Held {
                description,
                address,
                location,
                phone,
            };
            let keys = place_keys(office, &held);
            write_places(conn, *rowid, &keys, *received_at, *open)?;
        }
        after = last;
    }
}

/// A case's keys for likely duplicates ([`crate::similar::place_keys`]) with the last moment
/// it is suggested: its receipt once it is closed, forever while it is open
/// (`similar_cases` asks for cases open or received in the last 60 days). The keys held are
/// read first (one range of the primary key, empty for a new case): only what differs is
/// written, so a step that changes none of them writes nothing here, and the index changes
/// only when the case opens, closes or moves to another office (the office is part of its
/// keys). (Deleting with `key NOT IN (SELECT value FROM json_each(..))` instead made a
/// temporary table for every row an import writes.)
fn write_places(
    conn: &Connection,
    rowid: i64,
    keys: &[i64],
    received_at: i64,
    open: bool,
) -> Result<()> {
    let until = if open { i64::MAX } else { received_at };
    let held: Vec<(i64, i64)> = conn
        .prepare_cached("SELECT key, until FROM case_places WHERE case_rowid = ?1")?
        .query_map([rowid], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (gone, _) in held.iter().filter(|(k, _)| !keys.contains(k)) {
        conn.prepare_cached("DELETE FROM case_places WHERE case_rowid = ?1 AND key = ?2")?
            .execute(params![rowid, gone])?;
    }
    for key in keys.iter().filter(|&&k| !held.contains(&(k, until))) {
        conn.prepare_cached(
            "INSERT INTO case_places (case_rowid, key, until) VALUES (?1, ?2, ?3)
             ON CONFLICT (case_rowid, key) DO UPDATE SET until = excluded.until
             WHERE until <> excluded.until",
        )?
        .execute(params![rowid, key, until])?;
    }
    Ok(())
}

/// Remove a case's projection rows (the row, its figures' facts, its search terms), for a
/// fold that changes what a fold never changes.
pub(super) fn forget_case_rows(conn: &Connection, stream: &str) -> Result<()> {
    let row: Option<(i64, i64)> = conn
        .query_row(
            "SELECT rowid, received_at FROM cases WHERE id = ?1",
            [stream],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((rowid, received_at)) = row {
        conn.execute("DELETE FROM case_fts WHERE rowid = ?1", [rowid])?;
        conn.execute("DELETE FROM case_places WHERE case_rowid = ?1", [rowid])?;
        conn.execute(
            "DELETE FROM case_facts WHERE received_at = ?1 AND case_rowid = ?2",
            [received_at, rowid],
        )?;
        conn.execute("DELETE FROM cases WHERE rowid = ?1", [rowid])?;
    }
    conn.execute("DELETE FROM case_links WHERE case_id = ?1", [stream])?;
    Ok(())
}

/// Whether `c`'s row, if it has one, was written from the same intake. The columns made of
/// the intake (number, resident, description, receipt...) are written only with a new row,
/// as no step changes them, and the search text and the figures' facts hang on them; but a
/// fold again can make the case of another intake (an earlier one arrived, the one folded
/// is quarantined now), and then the old row has to go first.
pub(super) fn same_intake(conn: &Connection, c: &Case) -> Result<bool> {
    let moved = conn
        .prepare_cached(
            "SELECT 1 FROM cases WHERE id = ?1
               AND (number, channel, category, urgency, resident_name, resident_phone, address,
                    description, location, work_order_no, received_at, meeting_id)
                   IS NOT (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .query_row(
            params![
                c.id.to_string(),
                c.number,
                enum_name(&c.channel),
                c.category,
                enum_name(&c.urgency),
                c.resident.name,
                c.resident.phone,
                c.address.display(),
                c.description,
                c.location,
                c.work_order_no,
                c.received_at,
                c.meeting.map(|m| m.to_string()),
            ],
            |_| Ok(()),
        )
        .optional()?;
    Ok(moved.is_none())
}

/// The case's links as its other ends look them up. A re-derived fold may hold fewer links
/// than the last one (a quarantined step), so the rows are replaced, not added to; a case
/// without links costs one probe of a small table.
fn write_links(conn: &Connection, c: &Case) -> Result<()> {
    let id = c.id.to_string();
    conn.prepare_cached("DELETE FROM case_links WHERE case_id = ?1")?
        .execute([&id])?;
    for l in &c.links {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO case_links (case_id, other, kind) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, l.other.to_string(), enum_name(&l.kind)])?;
    }
    Ok(())
}

pub(super) fn write_case(
    conn: &Connection,
    c: &Case,
    last: &Event,
    reindex: Reindex<'_>,
) -> Result<()> {
    write_case_text(conn, c, last, reindex, CaseText::of(c, false)?)
}

pub(super) fn write_case_text(
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
                letter_due, campaign_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)
             ON CONFLICT (id) DO UPDATE SET state = ?4, is_open = ?5, handling_unit = ?9,
                response_due = ?17, resolve_due = ?18, resolved_at = ?19, fold_wall = ?21,
                fold_counter = ?22, fold_id = ?23, doc = ?24, due_rank = ?27, letter_due = ?29,
                office = ?3, campaign_id = ?30
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
                c.campaign.map(|m| m.to_string()),
            ],
            |r| r.get(0),
        )?;
    write_links(conn, c)?;
    let address = c.address.display();
    let held = Held {
        description: &c.description,
        address: &address,
        location: &c.location,
        phone: &c.resident.phone,
    };
    let keys = place_keys(&c.office, &held);
    write_places(conn, rowid, &keys, c.received_at, c.state.is_open())?;
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
    let visits = super::facts::visit_words(c);
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
        visits[0],
        visits[1],
        visits[2],
        c.response_due,
        c.responded_at,
    ])?;
    let columns = || {
        text.index
            .unwrap_or_else(|| search::case_columns(&text.search, &text.fields))
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
    pub(super) fn if_new(new: bool) -> Self {
        if new { Reindex::Now } else { Reindex::Keep }
    }
}

/// The secondary indexes of the case projection, dropped for a fold of many new cases and
/// built again from the finished tables, in the same transaction (readers never see them
/// missing). Unique constraints stay: the upserts need them.
#[derive(Default)]
pub(super) struct ProjectionIndexes(Vec<String>);

impl ProjectionIndexes {
    pub(super) fn drop(tx: &Transaction<'_>) -> Result<ProjectionIndexes> {
        let defs: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name IN ('cases', 'case_facts', 'case_places')
                   AND sql IS NOT NULL",
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

    pub(super) fn restore(self, tx: &Transaction<'_>) -> Result<()> {
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
    /// Rows held before they are written.
    run: usize,
    /// FTS5's settings as they were before [`SearchBatch::bulk`], put back by `flush`.
    settings: Option<[(&'static str, i64); 2]>,
    /// Rows above this rowid were inserted in this batch's transaction: nothing to delete.
    fresh_above: i64,
    /// Grouping keys by value. Valid for this transaction only: a key added in a transaction
    /// that rolls back is gone, and so is the batch.
    keys: HashMap<String, i64>,
}

impl SearchBatch {
    /// Rows written back to back; bounds the memory a rebuild of a million cases holds.
    const ROWS: usize = 4096;

    pub(super) fn new(conn: &Connection) -> Result<SearchBatch> {
        Ok(SearchBatch {
            rows: Vec::new(),
            run: Self::ROWS,
            settings: None,
            fresh_above: conn.query_row("SELECT coalesce(max(rowid), 0) FROM cases", [], |r| {
                r.get(0)
            })?,
            keys: HashMap::new(),
        })
    }

    #[cfg(feature = "imports")]
    /// For a bulk write (an import of thousands of rows): runs of [`Self::BULK_ROWS`], and
    /// FTS5 told to hold up to [`Self::BULK_PENDING`] of terms in memory and to merge
    /// segments only when [`Self::BULK_MERGE`] share a level, until [`Self::flush`] puts its
    /// settings back. Merging every four segments (its default) was a tenth of a 100,000-row
    /// import; at eight, a level never reaches the sixteen at which FTS5 merges everything
    /// at once, so the next case filed after the import takes no such pause, and the later
    /// writes' own merging brings the levels back to four.
    pub(super) fn bulk(conn: &Connection) -> Result<SearchBatch> {
        let mut batch = Self::new(conn)?;
        batch.run = Self::BULK_ROWS;
        let was = |k: &str, default: i64| -> Result<i64> {
            Ok(conn
                .query_row("SELECT v FROM case_fts_config WHERE k = ?1", [k], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
                .unwrap_or(default))
        };
        let settings = [
            ("automerge", was("automerge", 4)?),
            ("hashsize", was("hashsize", 1024 * 1024)?),
        ];
        fts_setting(conn, "automerge", Self::BULK_MERGE)?;
        fts_setting(conn, "hashsize", Self::BULK_PENDING)?;
        batch.settings = Some(settings);
        Ok(batch)
    }

    #[cfg(feature = "imports")]
    const BULK_ROWS: usize = 16_384;
    #[cfg(feature = "imports")]
    const BULK_PENDING: i64 = 32 * 1024 * 1024;
    #[cfg(feature = "imports")]
    const BULK_MERGE: i64 = 8;

    pub(super) fn figure_key(&mut self, conn: &Connection, value: &str) -> Result<i64> {
        if let Some(&id) = self.keys.get(value) {
            return Ok(id);
        }
        let id = figure_key(conn, value)?;
        self.keys.insert(value.to_owned(), id);
        Ok(id)
    }

    pub(super) fn push(
        &mut self,
        conn: &Connection,
        rowid: i64,
        columns: (String, String),
    ) -> Result<()> {
        self.rows.push((rowid, columns));
        if self.rows.len() >= self.run {
            self.write(conn)?;
        }
        Ok(())
    }

    fn write(&mut self, conn: &Connection) -> Result<()> {
        for (rowid, columns) in self.rows.drain(..) {
            index_search_text(conn, rowid, &columns, rowid <= self.fresh_above)?;
        }
        Ok(())
    }

    /// Write what is held, and put back FTS5's settings after a bulk write. Call before the
    /// transaction commits (a rollback puts the settings back with everything else).
    pub(super) fn flush(&mut self, conn: &Connection) -> Result<()> {
        self.write(conn)?;
        for (k, v) in self.settings.take().into_iter().flatten() {
            fts_setting(conn, k, v)?;
        }
        Ok(())
    }
}

/// Set one of FTS5's settings of the search index, through its own command (so that every
/// connection's FTS5 reads it again).
fn fts_setting(conn: &Connection, key: &str, value: i64) -> Result<()> {
    conn.prepare_cached("INSERT INTO case_fts (case_fts, rank) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

/// Index a case's search text (`columns`: [`search::index_columns`] of it).
pub(super) fn index_search_text(
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

#[cfg(all(test, feature = "imports"))]
mod tests {
    use super::*;

    fn index() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("x.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE cases (id TEXT);
             CREATE VIRTUAL TABLE case_fts USING fts5 (
                 uni, bi, content = '', contentless_delete = 1, tokenize = 'ascii'
             );",
        )
        .unwrap();
        (dir, conn)
    }

    /// FTS5's two settings as its config table holds them (absent: its defaults).
    fn settings(conn: &Connection) -> (i64, i64) {
        let get = |k: &str, default: i64| {
            conn.query_row("SELECT v FROM case_fts_config WHERE k = ?1", [k], |r| {
                r.get(0)
            })
            .optional()
            .unwrap()
            .unwrap_or(default)
        };
        (get("automerge", 4), get("hashsize", 1024 * 1024))
    }

    fn found(conn: &Connection, word: &str) -> i64 {
        conn.query_row(
            "SELECT count(*) FROM case_fts WHERE case_fts MATCH ?1",
            [word],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_bulk_write_puts_fts5s_settings_back_when_flushed() {
        let (_dir, mut conn) = index();
        fts_setting(&conn, "automerge", 2).unwrap();
        let tx = conn.transaction().unwrap();
        let mut batch = SearchBatch::bulk(&tx).unwrap();
        assert_eq!(
            settings(&tx),
            (SearchBatch::BULK_MERGE, SearchBatch::BULK_PENDING)
        );
        for rowid in 1..=3 {
            batch
                .push(&tx, rowid, ("漏 水".into(), "漏水".into()))
                .unwrap();
        }
        batch.flush(&tx).unwrap();
        assert_eq!(
            settings(&tx),
            (2, 1024 * 1024),
            "as they were, not defaults"
        );
        tx.commit().unwrap();
        assert_eq!(found(&conn, "漏水"), 3);
    }

    #[test]
    fn a_bulk_write_rolled_back_leaves_fts5s_settings_as_they_were() {
        let (_dir, mut conn) = index();
        let tx = conn.transaction().unwrap();
        let mut batch = SearchBatch::bulk(&tx).unwrap();
        batch.push(&tx, 1, ("漏 水".into(), "漏水".into())).unwrap();
        drop(batch);
        tx.rollback().unwrap();
        assert_eq!(settings(&conn), (4, 1024 * 1024));
        assert_eq!(found(&conn, "漏水"), 0);
        // This connection's FTS5 reads them again: a write after it flushes as usual.
        index_search_text(&conn, 1, &("停 车".into(), "停车".into()), false).unwrap();
        assert_eq!(found(&conn, "停车"), 1);
    }
}
