//! The projection engine: folding streams (fast path, re-derivation, conflicts) and writing what they fold to.

use super::*;

impl Store {
    /// Throw the projections away and fold them again from the event log alone.
    pub fn rebuild_projections(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM cases; DELETE FROM case_facts; DELETE FROM event_conflicts;
             DELETE FROM meetings; DELETE FROM meeting_cases; DELETE FROM case_links;
             DELETE FROM case_places;
             INSERT INTO case_fts(case_fts) VALUES('delete-all');",
        )?;
        let streams: Vec<String> = {
            let mut stmt = tx.prepare("SELECT DISTINCT stream FROM events WHERE stream <> ?1")?;
            stmt.query_map([CONFIG_STREAM], |r| id_text(r, 0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
        let reader = figures::open_reader(self.dir.as_deref(), self.key.as_ref(), &self.reader)?
            .then_some(&self.reader);
        // The configuration first: the streams fold under its account history.
        rederive_config(&tx)?;
        rederive_streams(&tx, &streams, reader, true)?;
        tx.commit()?;
        self.reload_calendar()
    }

    // ---------------------------------------------------------------- queries
}

/// Insert and fold remote events inside `tx`; returns (new events, observed clock, config touched).
pub(super) fn fold_remote(
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
            .query_row([UuidColumn(ev.id)], |r| r.get(0))?;
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
            // Its time may move by its intake's receipt (`stream_to_fold`): rare (work done
            // before a device enrolled arrives once), so the whole stream is folded again.
            _ if ev.office == crate::wire::UNENROLLED_OFFICE => false,
            _ => fold_fast::<Case>(tx, &rules, ev)?,
        };
        if !fast {
            rederive.insert(ev.stream.clone());
        }
    }
    // A change of an account's role may judge steps already folded (here or a moment ago, in
    // this page, under the rules before it) differently: they fold again with the rest.
    if config {
        rederive.extend(refold_config(tx, super::roles::some_folded)?);
    }
    let streams: Vec<&str> = rederive.iter().map(String::as_str).collect();
    rederive_streams(tx, &streams, None, false)?;
    Ok((new, hlc, config))
}

pub(super) type FoldKey = (Hlc, Uuid);

/// What a fold knows beyond the stream it folds: the organisation as this replica last heard
/// it from the server (the directory), for the rules of [`crate::authority`], and who held
/// which role when (the config fold's account history). Read once per transaction that folds,
/// after the configuration is folded.
pub(crate) struct FoldRules {
    tree: crate::authority::Tree,
    /// Each office's account roles through time ([`super::roles`]).
    roles: super::roles::RoleBook,
}

impl FoldRules {
    /// The rules of a replica that knows no organisation.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn empty() -> FoldRules {
        FoldRules {
            tree: crate::authority::Tree::default(),
            roles: Default::default(),
        }
    }

    /// Refuse a step its account's role did not allow at its time.
    pub(super) fn check_account(&self, ev: &Event) -> Result<()> {
        self.roles.check(ev)
    }

    pub(super) fn load(conn: &Connection) -> Result<FoldRules> {
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
            roles: super::roles::RoleBook::load(conn)?,
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
        case_doc::load_case(conn, id)
    }
    fn apply(rules: &FoldRules, current: Option<&Self>, ev: &Event) -> Result<Self> {
        // An event no replica could have written, or that claims what its writer has no
        // authority over, is quarantined whatever the case's state.
        crate::validate::event(ev)?;
        rules.check_account(ev)?;
        if let EventBody::CaseTransferredToOffice { office, .. } = &ev.body {
            crate::authority::transfer(&rules.tree, &ev.office, office)?;
        }
        if let Some(case) = current
            && (ev.body.action().is_some()
                || matches!(ev.body, EventBody::CaseCampaignJoined { .. }))
        {
            crate::authority::step(&rules.tree, &ev.office, &case.office)?;
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
pub(super) fn fold_fast<P: Projection>(
    tx: &Transaction<'_>,
    rules: &FoldRules,
    ev: &Event,
) -> Result<bool> {
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
pub(super) fn fold_one<P: Projection>(
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

pub(super) fn record_conflict(conn: &Connection, ev: &Event, reason: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO event_conflicts (event_id, stream, reason) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![ev.id.to_string(), ev.stream, reason])?;
    Ok(())
}

pub(super) fn stream_has_other_events(
    conn: &Connection,
    stream: &str,
    except: Uuid,
) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM events WHERE stream = ?1 AND id <> ?2)")?
        .query_row(params![IdColumn(stream), UuidColumn(except)], |r| r.get(0))?)
}

/// A stream's events in fold order, and how far the fold moves its pre-enrolment events
/// ([`crate::reclock::receipt_shift`]: by its intake's receipt, when it was filed before its
/// device enrolled).
pub(super) fn stream_to_fold(conn: &Connection, stream: &str) -> Result<(Vec<Event>, i64)> {
    let events = stream_events(conn, stream)?;
    let shift = match events.iter().find(|e| e.body.opens_stream()) {
        Some(intake)
            if intake.office == crate::wire::UNENROLLED_OFFICE
                && matches!(intake.body, EventBody::CaseReceived(_)) =>
        {
            let receipt: Option<i64> = conn
                .prepare_cached(
                    "SELECT r.received_ms FROM receipts r JOIN events e ON e.seq = r.event_seq
                     WHERE e.id = ?1",
                )?
                .query_row([UuidColumn(intake.id)], |r| r.get(0))
                .optional()?;
            crate::reclock::receipt_shift(intake, receipt)
        }
        _ => 0,
    };
    Ok((events, shift))
}

pub(super) fn stream_events(conn: &Connection, stream: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT 0, id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office,
                account, prev, sig
         FROM events WHERE stream = ?1 ORDER BY hlc_wall, hlc_counter, id",
    )?;
    let rows = stmt.query_map([IdColumn(stream)], |r| row_event(r, 1))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Fold a stream again from all its events, replacing its projection and conflicts.
/// Its search text goes into `search`, which the caller flushes before committing.
pub(super) fn rederive_stream(
    tx: &Transaction<'_>,
    rules: &FoldRules,
    stream: &str,
    search: &mut SearchBatch,
) -> Result<()> {
    let (events, shift) = stream_to_fold(tx, stream)?;
    let folded = fold_stream(rules, events, shift)?;
    write_folded(tx, stream, folded, search)
}

/// Fold the named streams again ([`rederive_streams`], on this connection).
pub(super) fn rederive_named(tx: &Transaction<'_>, streams: &[String]) -> Result<()> {
    let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
    rederive_streams(tx, &streams, None, false)
}

/// Fold many streams again in one transaction (a rebuild, a first sync's settle, a pulled
/// page that arrived out of order). The search rows are written together at the end
/// ([`SearchBatch`]); with `drop_indexes` the case projection's secondary indexes are built
/// once from the finished tables ([`ProjectionIndexes`]). Given the store's second
/// connection, the streams are read and folded on it in a thread while `tx` writes: the
/// events must be committed, which they are everywhere this is called with a reader.
pub(super) fn rederive_streams(
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
                    let one =
                        stream_to_fold(conn, s).and_then(|(e, shift)| fold_stream(rules, e, shift));
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
pub(super) struct FoldWindow<'a>(&'a Connection);

impl<'a> FoldWindow<'a> {
    pub(super) fn open(conn: &'a Connection) -> FoldWindow<'a> {
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
pub(super) enum Folded {
    // Boxed: folded streams queue up between the two threads. The case's row text is made
    // with the fold, off the writing thread.
    Case(Box<Stream<(Case, CaseText)>>),
    Meeting(Box<Stream<Meeting>>),
    Empty,
}

pub(super) struct Stream<P> {
    projection: Option<P>,
    last: Option<Event>,
    /// The events that could not apply, and why.
    conflicts: Vec<(Event, String)>,
}

impl<P> Stream<P> {
    /// The same stream with `f` applied to its projection.
    pub(super) fn try_map<Q>(self, f: impl FnOnce(P) -> Result<Q>) -> Result<Stream<Q>> {
        Ok(Stream {
            projection: self.projection.map(f).transpose()?,
            last: self.last,
            conflicts: self.conflicts,
        })
    }
}

/// Fold a stream's events, its pre-enrolment events moved by `shift` (see
/// [`stream_to_fold`]); the projection keeps the last event as written, as its place in the
/// order.
pub(super) fn fold_stream(rules: &FoldRules, events: Vec<Event>, shift: i64) -> Result<Folded> {
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
        Some(_) if shift != 0 => {
            let last = events.last().cloned();
            let moved = events
                .into_iter()
                .map(|e| match e.office == crate::wire::UNENROLLED_OFFICE {
                    true => crate::reclock::shifted(&e, shift),
                    false => e,
                })
                .collect();
            let stream: Stream<Case> = Stream {
                last,
                ..fold_all(rules, moved)
            };
            Folded::Case(Box::new(stream.try_map(|c| {
                let text = CaseText::of(&c, true)?;
                Ok((c, text))
            })?))
        }
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

pub(super) fn fold_all<P: Projection>(rules: &FoldRules, events: Vec<Event>) -> Stream<P> {
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
            match fold_stream(rules, evs, 0) {
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
pub(super) fn write_folded(
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
        Folded::Case(s) => {
            // No longer a case (every step quarantined), or a case of another intake.
            let stale = match &s.projection {
                Some((c, _)) => !same_intake(tx, c)?,
                None => true,
            };
            if stale {
                forget_case_rows(tx, stream)?;
            }
            write_stream(tx, *s, |(c, text), ev| {
                write_case_text(tx, &c, ev, Reindex::Batch(search), text)
            })
        }
        Folded::Meeting(s) => write_stream(tx, *s, |m, ev| {
            Projection::write(tx, &m, ev, Reindex::Batch(search))
        }),
        Folded::Empty => Ok(()),
    }
}

/// Record a folded stream's conflicts, then `write` its projection (if any events applied).
pub(super) fn write_stream<P>(
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
