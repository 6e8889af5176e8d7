//! The log: appending, reading and receiving events; timelines; the clock's resumption.

use super::*;
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Type, Value, ValueRef};

/// The log's one insert, with what to do when the id is already held.
macro_rules! insert_event_sql {
    ($on_conflict:literal) => {
        concat!(
            "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author, ",
            "device, office, account, prev, sig) ",
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            $on_conflict
        )
    };
}

impl Store {
    /// Events this replica holds after arrival position `after_seq`, oldest arrival first,
    /// with each one's position. The sync client pushes from here.
    pub fn events_after(&self, after_seq: i64, limit: u32) -> Result<Vec<(i64, Event)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office,
                    account, prev, sig
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

    pub(super) fn after_remote(&mut self, hlc: Hlc, config: bool) -> Result<()> {
        self.hlc = hlc;
        if config {
            self.reload_calendar()?;
            self.refresh_session()?;
        }
        Ok(())
    }

    /// A stream's events in fold order, each with its conflict if it could not apply.
    /// Every configuration change this replica holds, its own and other offices', in fold
    /// order: those that do not apply here (an office below or beside, or a change no app could
    /// have made) carry the reason as their conflict. The settings page lists them: account
    /// changes included, sign-ins and sign-outs not (they are not settings, and would bury them).
    pub fn config_log(&self) -> Result<Vec<TimelineEntry>> {
        let mut log = self.timeline(CONFIG_STREAM)?;
        log.retain(|e| {
            !matches!(
                e.event.body,
                EventBody::SignedIn {} | EventBody::SignedOut { .. }
            )
        });
        Ok(log)
    }

    pub(super) fn timeline(&self, stream: &str) -> Result<Vec<TimelineEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.seq, r.received_ms, e.id, e.stream, e.kind, e.payload, e.hlc_wall,
                    e.hlc_counter, e.author, e.device, e.office, e.account, e.prev, e.sig
             FROM events e LEFT JOIN receipts r ON r.event_seq = e.seq
             WHERE e.stream = ?1 ORDER BY e.hlc_wall, e.hlc_counter, e.id",
        )?;
        // Conflicts are keyed by the id's text (they are no part of the log).
        let mut conflicts: HashMap<String, String> = self
            .conn
            .prepare_cached("SELECT event_id, reason FROM event_conflicts WHERE stream = ?1")?
            .query_map([stream], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let rows = stmt.query_map([IdColumn(stream)], |r| {
            Ok((row_event(r, 2)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let mut timeline = Vec::new();
        for row in rows {
            let (ev, received_ms) = row?;
            let event = ev?;
            timeline.push(TimelineEntry {
                conflict: conflicts.remove(&event.id.to_string()),
                event,
                received_ms,
            });
        }
        Ok(timeline)
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
            .query_map([], |r| id_text(r, 0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}

/// Where the clock resumes: after the latest event held, this device's own whatever their
/// time (its next step must follow them), and others' unless they are further ahead of this
/// PC's clock than any honest one could be (see `hlc::MAX_DRIFT_MS`). Own work stamped ahead
/// is stamped again once the true time is known ([`Store::restamp_future_work`]).
pub(super) fn resume_hlc(conn: &Connection, now: i64, device: &str) -> Result<Hlc> {
    Ok(conn
        .query_row(
            "SELECT hlc_wall, hlc_counter FROM events WHERE hlc_wall <= ?1 OR device = ?2
             ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
            params![
                now.saturating_add(crate::hlc::MAX_DRIFT_MS),
                IdColumn(device)
            ],
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
/// command can never store what the server and every other replica would refuse, then sealed
/// (linked to this device's previous step on the stream, as written so far in this
/// transaction, and signed).
pub(super) fn append(conn: &Connection, ev: &Event) -> Result<()> {
    crate::validate::event(ev)?;
    let mut sealed = ev.clone();
    super::seal::seal(conn, &mut sealed)?;
    insert_event(conn, &sealed)
}

pub(super) fn insert_event(conn: &Connection, ev: &Event) -> Result<()> {
    write_event(conn, ev, insert_event_sql!(""))?;
    Ok(())
}

/// Store `ev` unless an event with its id is already held. `true` when it was new.
/// Put the photo a replicated event refers to on the list of photos to fetch.
pub(super) fn want_attachment(conn: &Connection, ev: &Event) -> Result<()> {
    if let Some(a) = ev.body.attachment() {
        conn.prepare_cached("INSERT OR IGNORE INTO attachment_wants (sha256) VALUES (?1)")?
            .execute([&a.sha256])?;
    }
    Ok(())
}

pub(super) fn insert_event_if_new(conn: &Connection, ev: &Event) -> Result<bool> {
    Ok(write_event(conn, ev, insert_event_sql!(" ON CONFLICT (id) DO NOTHING"))? == 1)
}

/// Write `ev` with `sql` (an insert); a new event moves its device's chain head on the stream.
pub(super) fn write_event(conn: &Connection, ev: &Event, sql: &str) -> Result<usize> {
    let (kind, payload) = ev.body.to_columns()?;
    let written = write_row(conn, ev, sql, kind, &payload)?;
    if written == 1 {
        super::seal::advance_head(conn, ev)?;
    }
    Ok(written)
}

#[cfg(feature = "imports")] // an import's maker thread only
/// Append the steps of a stream nothing was held of, sealed on another thread
/// ([`super::seal::seal_ahead`]): their rows, and the chain head at the last.
pub(super) fn append_sealed(conn: &Connection, steps: &[super::seal::Sealed]) -> Result<()> {
    for s in steps {
        write_row(conn, &s.ev, insert_event_sql!(""), s.kind, &s.payload)?;
    }
    if let Some(last) = steps.last() {
        super::seal::start_head(conn, &last.ev, &last.hash)?;
    }
    Ok(())
}

fn write_row(conn: &Connection, ev: &Event, sql: &str, kind: &str, payload: &str) -> Result<usize> {
    Ok(conn.prepare_cached(sql)?.execute(params![
        UuidColumn(ev.id),
        IdColumn(&ev.stream),
        kind,
        payload,
        ev.hlc.wall_ms,
        ev.hlc.counter,
        ev.author,
        IdColumn(&ev.device),
        ev.office,
        ev.account.map(UuidColumn),
        SealColumn(ev.prev.as_deref()),
        SealColumn(ev.sig.as_deref())
    ])?)
}

pub(super) fn row_event(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Result<Event>> {
    let id = uuid_at(r, at)?;
    let account = match r.get_ref(at + 9)? {
        ValueRef::Null => None,
        _ => Some(uuid_at(r, at + 9)?),
    };
    let kind: String = r.get(at + 2)?;
    let payload: String = r.get(at + 3)?;
    Ok((|| {
        Ok(Event {
            id: id.ok_or(Error::invalid("event", Reason::Malformed))?,
            stream: id_text(r, at + 1)?,
            hlc: Hlc {
                wall_ms: r.get(at + 4)?,
                counter: r.get(at + 5)?,
            },
            author: r.get(at + 6)?,
            device: id_text(r, at + 7)?,
            office: r.get(at + 8)?,
            account: match account {
                Some(a) => Some(a.ok_or(Error::invalid("account", Reason::Malformed))?),
                None => None,
            },
            body: EventBody::from_columns(&kind, &payload)?,
            prev: seal_text(r, at + 10)?,
            sig: seal_text(r, at + 11)?,
        })
    })())
}

/// An id in the log (`id`, `stream`, `device`, `account`; v24): one spelled as a UUID in
/// lowercase with hyphens, as every id this app makes is, is kept as its 16 bytes, a third of
/// the room in the row and again in each index holding it; any other spelling another PC sent
/// (the configuration's stream, a device id of its own making) stays the text it was. A query
/// binds an id through this, so it meets the log's spelling of it.
pub(super) struct IdColumn<'a>(pub(super) &'a str);

impl ToSql for IdColumn<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        // Only an id spelled as the app spells one reads back from its bytes unchanged (the
        // rule validation holds streams to; v24's `id_key!` is it in SQL).
        Ok(match crate::validate::as_made(self.0) {
            Some(u) => ToSqlOutput::Owned(Value::Blob(u.as_bytes().to_vec())),
            None => ToSqlOutput::Borrowed(ValueRef::Text(self.0.as_bytes())),
        })
    }
}

/// An id that is a [`Uuid`] (an event's, an account's): always its bytes in the log.
#[derive(Clone, Copy)]
pub(super) struct UuidColumn(pub(super) Uuid);

impl ToSql for UuidColumn {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self.0.as_bytes())))
    }
}

/// An id column read back as [`IdColumn`] wrote it.
pub(super) fn id_text(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<String> {
    match r.get_ref(at)? {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes)
            .map(|u| u.to_string())
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(at, Type::Blob, Box::new(e))),
        _ => r.get(at),
    }
}

/// An id column that must hold a UUID (an event's, an account's), read straight from its
/// bytes or its text: `None` when it holds none.
fn uuid_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<Uuid>> {
    Ok(match r.get_ref(at)? {
        ValueRef::Blob(bytes) => Uuid::from_slice(bytes).ok(),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| Uuid::parse_str(s).ok()),
        _ => None,
    })
}

/// A seal's link or signature as the log keeps it (`prev`, `sig`; v24). Lowercase hex of
/// whole bytes, as every seal spells them, is kept as the bytes: half the room. Anything
/// else another PC sent is kept as the text it was: the next link hashes the text, so what
/// is read back must be exactly what was received.
pub(super) struct SealColumn<'a>(pub(super) Option<&'a str>);

impl ToSql for SealColumn<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            None => ToSqlOutput::Owned(Value::Null),
            Some(s) => match packed(s) {
                Some(bytes) => ToSqlOutput::Owned(Value::Blob(bytes)),
                None => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            },
        })
    }
}

/// `s` as bytes when it is lowercase hex of whole bytes (the v24 migration's rule in SQL).
fn packed(s: &str) -> Option<Vec<u8>> {
    let hex =
        s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| hex::decode(s).ok()).flatten()
}

/// A seal column read back as [`SealColumn`] wrote it: bytes in lowercase hex, text as it is.
pub(super) fn seal_text(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<String>> {
    match r.get_ref(at)? {
        ValueRef::Blob(bytes) => Ok(Some(hex::encode(bytes))),
        _ => r.get(at),
    }
}

/// A projection row's document and fold key, from `meetings` (a case is read from its row's
/// columns as well: `case_doc::load_case`).
pub(super) fn load_row<P: serde::de::DeserializeOwned>(
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
            fold_key(wall, counter, &fid)?,
        ))),
    }
}

/// A projection row's fold key from its `fold_wall`, `fold_counter` and `fold_id` columns.
pub(super) fn fold_key(wall_ms: i64, counter: u32, fold_id: &str) -> Result<FoldKey> {
    let id = Uuid::parse_str(fold_id).map_err(|_| Error::invalid("fold_id", Reason::Malformed))?;
    Ok((Hlc { wall_ms, counter }, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_in_the_apps_spelling_takes_16_bytes_and_every_spelling_reads_back() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v ANY) STRICT").unwrap();
        let made = Uuid::new_v4().to_string();
        let upper = made.to_uppercase();
        let simple = made.replace('-', "");
        let braced = format!("{{{made}}}");
        for (given, kind, bytes) in [
            (made.as_str(), "blob", 16),
            (upper.as_str(), "text", 36),
            (simple.as_str(), "text", 32),
            (braced.as_str(), "text", 38),
            (CONFIG_STREAM, "text", 6),
            ("pc-elsewhere", "text", 12),
            ("", "text", 0),
        ] {
            conn.execute("DELETE FROM t", []).unwrap();
            conn.execute("INSERT INTO t VALUES (?1)", [IdColumn(given)])
                .unwrap();
            let (t, len, back) = conn
                .query_row(
                    "SELECT typeof(v), length(CAST(v AS BLOB)), v FROM t",
                    [],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, id_text(r, 2)?)),
                )
                .unwrap();
            assert_eq!((t.as_str(), len), (kind, bytes), "{given:?}");
            assert_eq!(back, given);
            // A query binding the same spelling meets it.
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM t WHERE v = ?1",
                    [IdColumn(given)],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(found, 1, "{given:?}");
        }
        // The log orders steps of one moment by id: the bytes sort as the text did.
        conn.execute("DELETE FROM t", []).unwrap();
        let mut ids: Vec<String> = (0..200).map(|_| Uuid::new_v4().to_string()).collect();
        for id in &ids {
            conn.execute("INSERT INTO t VALUES (?1)", [IdColumn(id)])
                .unwrap();
        }
        let sorted: Vec<String> = conn
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| id_text(r, 0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        ids.sort();
        assert_eq!(sorted, ids);
        // Bytes of another length than a UUID's (a damaged file) are an error, not a panic.
        conn.execute("DELETE FROM t", []).unwrap();
        conn.execute("INSERT INTO t VALUES (x'0102')", []).unwrap();
        assert!(
            conn.query_row("SELECT v FROM t", [], |r| id_text(r, 0))
                .is_err()
        );
    }

    #[test]
    fn a_seal_in_lowercase_hex_takes_half_the_room_and_every_spelling_reads_back() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v ANY) STRICT").unwrap();
        let sig = "09af".repeat(32);
        for (given, kind, bytes) in [
            (Some(sig.as_str()), "blob", Some(64)),
            (Some(""), "blob", Some(0)),
            (Some("0A0B"), "text", Some(4)),
            (Some("abc"), "text", Some(3)),
            (Some("0g"), "text", Some(2)),
            (Some("共享"), "text", Some(6)),
            (None, "null", None),
        ] {
            conn.execute("DELETE FROM t", []).unwrap();
            conn.execute("INSERT INTO t VALUES (?1)", [SealColumn(given)])
                .unwrap();
            let (t, len, back) = conn
                .query_row(
                    "SELECT typeof(v), length(CAST(v AS BLOB)), v FROM t",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<i64>>(1)?,
                            seal_text(r, 2)?,
                        ))
                    },
                )
                .unwrap();
            assert_eq!((t.as_str(), len), (kind, bytes), "{given:?}");
            assert_eq!(back.as_deref(), given);
        }
    }
}
