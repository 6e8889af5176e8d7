//! Seals in the store (`jiesu_protocol::seal`): this device's signing key, sealing each event
//! it writes, the other devices' public keys as pulls deliver them, and 核验留痕 — checking a
//! stream's whole trace.
//!
//! The key is 32 random bytes made when the store is first opened by a version with seals,
//! kept in `meta` (inside the encrypted store once the store is encrypted). `chain_heads`
//! records, per device and stream, the latest event received or written. The check names an
//! edited event (its signature), a deleted one (a link, or the head, pointing at nothing) and a
//! fork (two steps linking to one). An inserted event cannot carry a valid signature: its
//! device's key never left that PC, and a signed event moved from another stream or chain no
//! longer matches its signature, which covers both.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::Store;
use crate::error::{Error, Reason, Result};
use crate::event::Event;
use crate::seal::{self, SealError, SigningKey, VerifyingKey};

/// What is wrong with one event of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TraceFault {
    /// The signature does not match: the event was changed after its device signed it.
    Altered,
    /// The event's device has no key this PC knows, so its signature cannot be checked yet.
    UnknownKey,
    /// The event links to an earlier step of its device that is not here: one was deleted.
    Missing,
    /// The latest step of the device recorded here is gone: it was deleted.
    LatestMissing,
    /// Two steps link to the same earlier one: the chain was forked.
    Forked,
}

/// One fault found, at the event it concerns (the event its link names, for `Missing` and
/// `LatestMissing`, is gone: the one after it, or none, is named).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct TraceProblem {
    /// The event at fault, or the one whose link points at a deleted one.
    pub event: Option<uuid::Uuid>,
    /// Its device.
    pub device: String,
    /// What is wrong.
    pub fault: TraceFault,
}

/// The result of 核验留痕 on one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct TraceCheck {
    /// Events checked.
    pub events: u32,
    /// Of which signed and verified.
    pub verified: u32,
    /// Of which written before seals (no signature to check).
    pub unsigned: u32,
    /// Everything wrong, in fold order; empty when the trace is intact.
    pub problems: Vec<TraceProblem>,
}

impl TraceCheck {
    /// Nothing is wrong with what could be checked.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

thread_local! {
    /// The last signing key made here, by its stored secret: making one from its secret
    /// costs a scalar multiplication, as much as a signature, and every event appended
    /// asks for it (a sixth of an import's time before it was kept).
    static LAST_KEY: std::cell::RefCell<Option<(String, SigningKey)>> =
        const { std::cell::RefCell::new(None) };
}

/// This device's signing key, made on first use.
pub(super) fn device_key(conn: &Connection) -> Result<SigningKey> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'device_secret'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if let Some(hex_secret) = &stored {
        let kept = LAST_KEY.with_borrow(|k| {
            k.as_ref()
                .filter(|(s, _)| s == hex_secret)
                .map(|(_, key)| key.clone())
        });
        if let Some(key) = kept {
            return Ok(key);
        }
    }
    let mut secret = [0u8; 32];
    match &stored {
        Some(hex_secret) => hex::decode_to_slice(hex_secret, &mut secret)
            .map_err(|_| Error::invalid("device_secret", Reason::Malformed))?,
        None => {
            rand::fill(&mut secret);
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('device_secret', ?1)",
                [hex::encode(secret)],
            )?;
        }
    }
    let key = seal::signing_key(&secret);
    if let Some(hex_secret) = stored {
        LAST_KEY.set(Some((hex_secret, key.clone())));
    }
    Ok(key)
}

fn event_hash(ev: &Event) -> Result<String> {
    seal::hash(ev).ok_or_else(|| Error::invalid("event", Reason::Malformed))
}

/// The latest event `device` wrote on `stream` as this replica holds it: the recorded head,
/// or for a stream last written before seals, the device's latest event there.
pub(super) fn head(conn: &Connection, device: &str, stream: &str) -> Result<Option<String>> {
    let recorded: Option<String> = conn
        .prepare_cached("SELECT hash FROM chain_heads WHERE device = ?1 AND stream = ?2")?
        .query_row(
            params![super::IdColumn(device), super::IdColumn(stream)],
            |r| super::seal_text(r, 0),
        )
        .optional()?
        .flatten();
    if recorded.is_some() {
        return Ok(recorded);
    }
    let latest = conn
        .prepare_cached(
            "SELECT 0, id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office,
                    account, prev, sig
             FROM events WHERE device = ?1 AND stream = ?2 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(
            params![super::IdColumn(device), super::IdColumn(stream)],
            |r| super::row_event(r, 1),
        )
        .optional()?;
    latest.map(|ev| event_hash(&ev?)).transpose()
}

/// Seal an event this replica is about to append: its link to this device's previous step on
/// the stream, and its signature.
pub(super) fn seal(conn: &Connection, ev: &mut Event) -> Result<()> {
    let prev = head(conn, &ev.device, &ev.stream)?;
    let key = device_key(conn)?;
    seal::sign(ev, prev, &key).map_err(|_| Error::invalid("event", Reason::Malformed))
}

#[cfg(feature = "imports")] // an import's maker thread only
/// An event validated and sealed off the writing thread, with what its row stores made too:
/// signing, hashing and encoding cost more than writing the row (an import's maker thread
/// makes these while the writer writes the rows before).
pub(super) struct Sealed {
    pub(super) ev: Event,
    pub(super) kind: &'static str,
    pub(super) payload: String,
    /// Its hash: the next step's `prev`, and the chain head after it.
    pub(super) hash: String,
}

#[cfg(feature = "imports")] // an import's maker thread only
/// Validate and seal the steps of a stream nothing is held of yet (a new case's first
/// steps, made in order): the first links to nothing, each next one to the one before.
pub(super) fn seal_ahead(events: Vec<Event>, key: &SigningKey) -> Result<Vec<Sealed>> {
    let mut prev: Option<String> = None;
    let mut out = Vec::with_capacity(events.len());
    for mut ev in events {
        crate::validate::event(&ev)?;
        seal::sign(&mut ev, prev.take(), key)
            .map_err(|_| Error::invalid("event", Reason::Malformed))?;
        let (kind, payload) = ev.body.to_columns()?;
        let hash = event_hash(&ev)?;
        prev = Some(hash.clone());
        out.push(Sealed {
            ev,
            kind,
            payload,
            hash,
        });
    }
    Ok(out)
}

/// Seal again this device's unsent steps on `stream`, in the order written, each linked to the
/// step before it as it now reads: [`Store::restamp_future_work`] changed their times, and
/// nobody else holds them. Steps the server has receipted are left as they are. The caller has
/// lifted the log's guard for this one transaction.
pub(super) fn reseal_unsent(conn: &Connection, device: &str, stream: &str) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT e.seq, e.id, e.stream, e.kind, e.payload, e.hlc_wall, e.hlc_counter, e.author,
                e.device, e.office, e.account, e.prev, e.sig,
                EXISTS (SELECT 1 FROM receipts r WHERE r.event_seq = e.seq)
         FROM events e WHERE e.device = ?1 AND e.stream = ?2 ORDER BY e.seq",
    )?;
    let rows = stmt
        .query_map(
            params![super::IdColumn(device), super::IdColumn(stream)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    super::row_event(r, 1)?,
                    r.get::<_, bool>(13)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let key = device_key(conn)?;
    let mut prev: Option<String> = None;
    for (seq, ev, sent) in rows {
        let mut ev = ev?;
        if !sent {
            seal::sign(&mut ev, prev.clone(), &key)
                .map_err(|_| Error::invalid("event", Reason::Malformed))?;
            conn.execute(
                "UPDATE events SET prev = ?2, sig = ?3 WHERE seq = ?1",
                params![
                    seq,
                    super::SealColumn(ev.prev.as_deref()),
                    super::SealColumn(ev.sig.as_deref())
                ],
            )?;
        }
        prev = Some(event_hash(&ev)?);
    }
    if let Some(hash) = prev {
        conn.execute(
            "INSERT INTO chain_heads (device, stream, hash) VALUES (?1, ?2, ?3)
             ON CONFLICT (device, stream) DO UPDATE SET hash = excluded.hash",
            params![
                super::IdColumn(device),
                super::IdColumn(stream),
                super::SealColumn(Some(&hash))
            ],
        )?;
    }
    Ok(())
}

/// A new event moves its device's head on its stream when it follows the head (or starts the
/// chain): an event delivered out of order leaves the head where the chain has reached.
pub(super) fn advance_head(conn: &Connection, ev: &Event) -> Result<()> {
    let hash = event_hash(ev)?;
    conn.prepare_cached(
        "INSERT INTO chain_heads (device, stream, hash) VALUES (?1, ?2, ?3)
         ON CONFLICT (device, stream) DO UPDATE SET hash = excluded.hash
         WHERE chain_heads.hash IS ?4 OR ?4 IS NULL",
    )?
    .execute(params![
        super::IdColumn(&ev.device),
        super::IdColumn(&ev.stream),
        super::SealColumn(Some(&hash)),
        super::SealColumn(ev.prev.as_deref())
    ])?;
    Ok(())
}

#[cfg(feature = "imports")] // an import's maker thread only
/// The chain head of a stream this device just started, at `hash` (its last step's).
pub(super) fn start_head(conn: &Connection, ev: &Event, hash: &str) -> Result<()> {
    conn.prepare_cached("INSERT INTO chain_heads (device, stream, hash) VALUES (?1, ?2, ?3)")?
        .execute(params![
            super::IdColumn(&ev.device),
            super::IdColumn(&ev.stream),
            super::SealColumn(Some(hash))
        ])?;
    Ok(())
}

/// Keep the public keys a pull delivered. The first key registered for a device stays: the
/// server never changes one, so a different one later is refused.
pub(super) fn learn_keys(conn: &Connection, keys: &BTreeMap<String, String>) -> Result<()> {
    for (device, key) in keys {
        seal::public_key(key).map_err(|_| Error::invalid("public_key", Reason::Malformed))?;
        let held: Option<String> = conn
            .prepare_cached("SELECT public_key FROM device_keys WHERE device = ?1")?
            .query_row([device], |r| r.get(0))
            .optional()?;
        match held {
            Some(h) if h != *key => {
                return Err(Error::invalid("public_key", Reason::KeyChanged));
            }
            Some(_) => {}
            None => {
                conn.prepare_cached(
                    "INSERT INTO device_keys (device, public_key) VALUES (?1, ?2)",
                )?
                .execute(params![device, key])?;
            }
        }
    }
    Ok(())
}

/// Every public key this replica knows, its own included.
fn known_keys(
    conn: &Connection,
    own: (&str, VerifyingKey),
) -> Result<HashMap<String, VerifyingKey>> {
    let mut keys = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT device, public_key FROM device_keys")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (device, key) = row?;
        if let Ok(k) = seal::public_key(&key) {
            keys.insert(device, k);
        }
    }
    keys.insert(own.0.to_owned(), own.1);
    Ok(keys)
}

/// Refuse a pulled page holding a signed event whose signature does not verify against its
/// device's registered key: the server checked each one when it was pushed, so such an event
/// was changed on the way or in the server's store, and nothing of the page is kept.
pub(super) fn check_pulled<'a>(
    conn: &Connection,
    own: &str,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<()> {
    let key = device_key(conn)?;
    let keys = known_keys(conn, (own, key.verifying_key()))?;
    let signed: Vec<(&Event, &VerifyingKey)> = events
        .into_iter()
        .filter(|ev| ev.sig.is_some())
        .filter_map(|ev| keys.get(&ev.device).map(|k| (ev, k)))
        .collect();
    // Verifying is still the larger part of storing a pulled event (docs/BENCHMARKS.md):
    // a page is verified in batches (`seal::verify_all`), one per core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = signed.len().div_ceil(cores).max(PARALLEL_FROM);
    let intact = if signed.len() <= chunk {
        seal::verify_all(&signed)
    } else {
        std::thread::scope(|scope| {
            let checks: Vec<_> = signed
                .chunks(chunk)
                .map(|part| scope.spawn(move || seal::verify_all(part)))
                .collect();
            checks.into_iter().all(|c| c.join().unwrap_or(false))
        })
    };
    if !intact {
        return Err(Error::invalid("sig", Reason::SealBroken));
    }
    Ok(())
}

/// Below this many signatures a page is checked on one thread: starting another costs more.
const PARALLEL_FROM: usize = 256;

/// Check one stream's trace: every signature, and each device's chain from its recorded head
/// back to its first step.
pub(super) fn check_stream(conn: &Connection, own: &str, stream: &str) -> Result<TraceCheck> {
    let events = super::project::stream_events(conn, stream)?;
    let key = device_key(conn)?;
    let keys = known_keys(conn, (own, key.verifying_key()))?;
    let mut check = TraceCheck {
        events: events.len() as u32,
        verified: 0,
        unsigned: 0,
        problems: Vec::new(),
    };
    let mut problems: Vec<(usize, TraceProblem)> = Vec::new();
    let mut fault = |at: usize, ev: Option<&Event>, device: &str, fault: TraceFault| {
        problems.push((
            at,
            TraceProblem {
                event: ev.map(|e| e.id),
                device: device.to_owned(),
                fault,
            },
        ))
    };
    // Per device: hash → index, and which hashes are linked to (and by whom).
    let mut by_hash: HashMap<(&str, String), usize> = HashMap::new();
    for (i, ev) in events.iter().enumerate() {
        by_hash.insert((ev.device.as_str(), event_hash(ev)?), i);
        match (&ev.sig, keys.get(&ev.device)) {
            (None, _) => check.unsigned += 1,
            (Some(_), None) => fault(i, Some(ev), &ev.device, TraceFault::UnknownKey),
            (Some(_), Some(k)) => match seal::verify(ev, k) {
                Ok(()) => check.verified += 1,
                Err(SealError::Unsigned) => check.unsigned += 1,
                Err(_) => fault(i, Some(ev), &ev.device, TraceFault::Altered),
            },
        }
    }
    let mut linked: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, ev) in events.iter().enumerate() {
        let Some(prev) = ev.prev.as_deref() else {
            continue;
        };
        if !by_hash.contains_key(&(ev.device.as_str(), prev.to_owned())) {
            fault(i, Some(ev), &ev.device, TraceFault::Missing);
        }
        if linked.insert((ev.device.as_str(), prev), i).is_some() {
            fault(i, Some(ev), &ev.device, TraceFault::Forked);
        }
    }
    // The recorded head of each device's chain must be here: deleting the latest step
    // leaves no link pointing at the gap, only the head.
    let devices: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e.device.as_str()).collect();
    for device in devices {
        if let Some(head) = head(conn, device, stream)?
            && !by_hash.contains_key(&(device, head))
        {
            fault(events.len(), None, device, TraceFault::LatestMissing);
        }
    }
    problems.sort_by_key(|(at, _)| *at);
    check.problems = problems.into_iter().map(|(_, p)| p).collect();
    Ok(check)
}

impl Store {
    /// This device's signing key, for tests that forge what only someone holding it could.
    #[cfg(feature = "test-support")]
    pub fn device_signing_key(&self) -> Result<SigningKey> {
        device_key(&self.conn)
    }

    /// This device's public key in hex, as enrolment and pushes register it.
    pub fn device_public_key(&self) -> Result<String> {
        Ok(seal::public_key_hex(&device_key(&self.conn)?))
    }

    /// 核验留痕: check a stream's whole trace (a case's or a meeting's id, or `config`).
    /// A stream this replica holds nothing of is not found (not "intact").
    pub fn verify_trace(&self, stream: &str) -> Result<TraceCheck> {
        let check = check_stream(&self.conn, &self.identity.device, stream)?;
        if check.events == 0 {
            return Err(Error::NotFound {
                what: "stream",
                id: stream.to_owned(),
            });
        }
        Ok(check)
    }
}
