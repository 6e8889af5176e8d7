//! Work written while this PC's clock was ahead, stamped again by the true time.
//!
//! The server refuses events stamped further ahead of its clock than
//! [`crate::wire::CLOCK_TOLERANCE_MS`] (`clock_ahead`): a PC whose clock ran years ahead would
//! otherwise file cases numbered and due in years to come, everywhere. What such a PC wrote and
//! never sent is known to nobody else, so it can still be corrected without breaking the one
//! rule of the log (what others hold never changes): [`Store::restamp_future_work`] moves
//! those events back to the true time — by the clock error the server measured when it is
//! known (the work keeps the hours it was really done at), else so that the last of them lands
//! on now — keeping their order and their spacing, and re-derives what intake derived from its
//! time: the case number's date and the deadlines. Dates a person typed relative to the wrong
//! clock (a letter's promised day, an extension, a meeting's date and its items' deadlines)
//! move by the same whole number of days. Each stream it touched gets one
//! `case_times_corrected` / `meeting_times_corrected` event after them, so every office sees
//! that their times were corrected and by how much; nothing typed is lost.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::{Store, rederive_streams, refold_config};
use crate::error::Result;
use crate::event::{Aggregate, EventBody, TimesCorrected};
use crate::hlc::{Hlc, MAX_DRIFT_MS};

const DAY_MS: i64 = 86_400_000;

/// What [`Store::restamp_future_work`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restamped {
    /// Events stamped again.
    pub events: usize,
    /// How far they moved (ms, negative).
    pub shifted_ms: i64,
}

impl Store {
    /// How many of this device's unsent events are stamped further ahead of this PC's clock
    /// (as the server corrected it) than an honest clock could be: written while the clock was
    /// ahead, refused by the server until [`Store::restamp_future_work`] corrects them.
    pub fn future_work(&self) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM events e WHERE e.device = ?1 AND e.hlc_wall > ?2
               AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)",
            params![super::IdColumn(&self.identity.device), self.horizon()],
            |r| r.get(0),
        )?)
    }

    fn horizon(&self) -> i64 {
        self.clock.now_ms().saturating_add(MAX_DRIFT_MS)
    }

    /// Stamp this device's unsent events that lie in the future (see the module's overview)
    /// by the true time, in one transaction. `None` when there were none.
    ///
    /// "The true time" is this store's clock: the PC's, corrected by the server's whenever it
    /// has been reached (the sync task calls this when the server refuses a push as
    /// `clock_ahead`, so the correction is known by then). A PC that never reached a server
    /// trusts its own clock, which the window asks the user to check first.
    pub fn restamp_future_work(&mut self) -> Result<Option<Restamped>> {
        let now = self.clock.now_ms();
        self.restamp_future_work_at(now)
    }

    /// [`Store::restamp_future_work`] with `now` the true time: the server's, as its refusal
    /// said it (`clock_ahead`'s `server_time`), whatever this store's clock says.
    pub fn restamp_future_work_at(&mut self, now: i64) -> Result<Option<Restamped>> {
        let horizon = now.saturating_add(MAX_DRIFT_MS);
        let floor = self
            .meta("push_floor")?
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        // Every unsent event of this device from the first future one on, in fold order: the
        // ones after it were stamped after it (the clock never goes back), so they move too.
        let first_future: Option<Hlc> = self
            .conn
            .query_row(
                "SELECT hlc_wall, hlc_counter FROM events e
                 WHERE e.device = ?1 AND e.seq > ?2 AND e.hlc_wall > ?3
                   AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)
                 ORDER BY hlc_wall, hlc_counter LIMIT 1",
                params![super::IdColumn(&self.identity.device), floor, horizon],
                |r| {
                    Ok(Hlc {
                        wall_ms: r.get(0)?,
                        counter: r.get(1)?,
                    })
                },
            )
            .optional()?;
        let Some(first_future) = first_future else {
            return Ok(None);
        };
        let mut moving = Vec::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT 0, e.id, e.stream, e.kind, e.payload, e.hlc_wall, e.hlc_counter,
                        e.author, e.device, e.office, e.account, e.prev, e.sig
                 FROM events e
                 WHERE e.device = ?1 AND e.seq > ?2
                   AND (e.hlc_wall > ?3 OR (e.hlc_wall = ?3 AND e.hlc_counter >= ?4))
                   AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)
                 ORDER BY e.hlc_wall, e.hlc_counter, e.id",
            )?;
            let rows = stmt.query_map(
                params![
                    super::IdColumn(&self.identity.device),
                    floor,
                    first_future.wall_ms,
                    first_future.counter
                ],
                |r| super::row_event(r, 1),
            )?;
            for row in rows {
                moving.push(row??);
            }
        }
        let last = moving.last().map_or(now, |e| e.hlc.wall_ms);
        // The clock error the server measured (server minus this PC), when it explains the
        // work: then each event moves back to the hour it was really written.
        let measured = self.clock_offset()?;
        let shift = if measured < -MAX_DRIFT_MS && last.saturating_add(measured) <= horizon {
            measured
        } else {
            now - last
        };
        let days = (shift as f64 / DAY_MS as f64).round() as i64;
        // Where each stream stood before the moving events (they must still follow it).
        let mut after: HashMap<String, Hlc> = HashMap::new();
        let mut numbers: HashMap<String, String> = HashMap::new();
        let mut taken: HashMap<String, u32> = HashMap::new();
        let mut prev = Hlc::ZERO;
        let mut per_stream: HashMap<String, (u32, i64, Aggregate)> = HashMap::new();
        let mut rewritten = Vec::with_capacity(moving.len());
        for mut ev in moving {
            if !after.contains_key(&ev.stream) {
                let before: Option<Hlc> = self
                    .conn
                    .query_row(
                        "SELECT hlc_wall, hlc_counter FROM events
                         WHERE stream = ?1 AND (hlc_wall < ?2 OR (hlc_wall = ?2 AND hlc_counter < ?3))
                         ORDER BY hlc_wall DESC, hlc_counter DESC LIMIT 1",
                        params![super::IdColumn(&ev.stream), ev.hlc.wall_ms, ev.hlc.counter],
                        |r| {
                            Ok(Hlc {
                                wall_ms: r.get(0)?,
                                counter: r.get(1)?,
                            })
                        },
                    )
                    .optional()?;
                after.insert(ev.stream.clone(), before.unwrap_or(Hlc::ZERO));
            }
            let wanted = ev.hlc.wall_ms.saturating_add(shift).min(now);
            let follows = prev.max(after[&ev.stream]);
            let hlc = follows.tick(wanted);
            let entry = per_stream.entry(ev.stream.clone()).or_insert((
                0,
                ev.hlc.wall_ms,
                ev.body.aggregate(),
            ));
            entry.0 += 1;
            entry.1 = entry.1.min(ev.hlc.wall_ms);
            self.restamp_body(&mut ev.body, hlc.wall_ms, days, &mut numbers, &mut taken)?;
            ev.hlc = hlc;
            prev = hlc;
            rewritten.push(ev);
        }
        let count = rewritten.len();
        let tx = self.conn.transaction()?;
        // The one sanctioned edit of the log: events nobody else has ever held. The guards
        // come back in the same transaction.
        tx.execute_batch("DROP TRIGGER events_are_immutable;")?;
        for ev in &rewritten {
            let (kind, payload) = ev.body.to_columns()?;
            tx.execute(
                "UPDATE events SET kind = ?2, payload = ?3, hlc_wall = ?4, hlc_counter = ?5
                 WHERE id = ?1",
                params![
                    super::UuidColumn(ev.id),
                    kind,
                    payload,
                    ev.hlc.wall_ms,
                    ev.hlc.counter
                ],
            )?;
        }
        // Their seals covered the old times: each touched stream's unsent steps are signed
        // again, in order, each linked to the one before as it now reads.
        for stream in per_stream.keys() {
            super::seal::reseal_unsent(&tx, &self.identity.device, stream)?;
        }
        tx.execute_batch(
            "CREATE TRIGGER events_are_immutable BEFORE UPDATE ON events
             BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;",
        )?;
        // A case's number and time of receipt are written once (they never change in a
        // fold); the corrected ones replace the case's rows outright.
        for (stream, (_, _, aggregate)) in &per_stream {
            if *aggregate == Aggregate::Case {
                super::forget_case_rows(&tx, stream)?;
            }
        }
        // The configuration first: its account changes may have moved in the order, and the
        // streams judged by them fold again with the rest.
        let mut streams: std::collections::BTreeSet<String> =
            refold_config(&tx, super::roles::some_folded)?
                .into_iter()
                .collect();
        streams.extend(per_stream.keys().cloned());
        let streams: Vec<&str> = streams.iter().map(String::as_str).collect();
        rederive_streams(&tx, &streams, None, false)?;
        tx.commit()?;
        self.hlc = super::resume_hlc(&self.conn, now, &self.identity.device)?;
        // The trace: one note per stream, after its corrected events, stamped by the true
        // time even if this store's clock has not been corrected yet.
        let clock = self.replace_clock(Box::new(crate::hlc::ManualClock::new(now)));
        let written = self.write_corrections(per_stream, shift);
        self.replace_clock(clock);
        written?;
        self.reload_calendar()?;
        Ok(Some(Restamped {
            events: count,
            shifted_ms: shift,
        }))
    }

    fn write_corrections(
        &mut self,
        per_stream: HashMap<String, (u32, i64, Aggregate)>,
        shift: i64,
    ) -> Result<()> {
        let mut notes: Vec<(String, (u32, i64, Aggregate))> = per_stream.into_iter().collect();
        notes.sort_by(|a, b| a.0.cmp(&b.0));
        for (stream, (events, first_ms, aggregate)) in notes {
            let t = TimesCorrected {
                events,
                shifted_ms: shift.min(-1),
                first_ms: first_ms
                    .clamp(crate::validate::EARLIEST_MS, crate::validate::LATEST_MS - 1),
            };
            let id = uuid::Uuid::parse_str(&stream).map_err(|_| {
                crate::error::Error::invalid("stream", crate::error::Reason::Malformed)
            });
            match (aggregate, id) {
                (Aggregate::Case, Ok(id)) => {
                    let case = self.load_case(id)?;
                    self.commit_case_event(id, EventBody::CaseTimesCorrected(t), Some(&case))?;
                }
                (Aggregate::Meeting, Ok(id)) => {
                    let meeting = self.load_meeting(id)?;
                    self.commit_meeting(id, Some(meeting), EventBody::MeetingTimesCorrected(t))?;
                }
                // Configuration carries no trace of its own: its settings simply apply from
                // the corrected time.
                _ => {}
            }
        }
        Ok(())
    }

    /// What an event derived from its time, derived again for `at`; dates a person typed
    /// move by `days`.
    fn restamp_body(
        &self,
        body: &mut EventBody,
        at: i64,
        days: i64,
        numbers: &mut HashMap<String, String>,
        taken: &mut HashMap<String, u32>,
    ) -> Result<()> {
        let shift_day = |ms: i64| ms.saturating_add(days * DAY_MS);
        match body {
            EventBody::CaseReceived(r) => {
                let prefix = self.number_prefix(at);
                let extra = taken.entry(prefix.clone()).or_insert(0);
                *extra += 1;
                let number = self.number_after(&prefix, *extra - 1)?;
                numbers.insert(r.number.clone(), number.clone());
                r.number = number;
                let limits = self.policy.limits(&r.intake.category, r.intake.urgency);
                r.response_due = limits.response.due(&self.calendar, at);
                r.resolve_due = match r.intake.meeting {
                    // A meeting item's deadline, typed on the meeting's page.
                    Some(_) => shift_day(r.resolve_due),
                    None => limits.resolve.due(&self.calendar, at),
                };
            }
            EventBody::CaseRedone { resolve_due, .. } => *resolve_due = shift_day(*resolve_due),
            EventBody::ExtensionRequested { new_due, .. } => *new_due = shift_day(*new_due),
            EventBody::CommitmentIssued(c) => {
                if let Ok(d) = crate::validate::calendar_date(&c.due_date)
                    && let Some(moved) = d.checked_add_signed(chrono::Duration::days(days))
                    && let Some(next) = moved.succ_opt()
                {
                    c.due_date = moved.format("%Y-%m-%d").to_string();
                    c.due = crate::calendar::start_of_day(next) - 1;
                }
            }
            EventBody::MeetingScheduled(info) | EventBody::MeetingRescheduled(info) => {
                info.starts_at = shift_day(info.starts_at);
                info.ends_at = info.ends_at.map(shift_day);
            }
            EventBody::MeetingItemAdded { deadline, .. } => *deadline = deadline.map(shift_day),
            EventBody::MeetingCaseOpened { number, .. } => {
                if let Some(n) = numbers.get(number) {
                    *number = n.clone();
                }
            }
            _ => {}
        }
        Ok(())
    }
}
