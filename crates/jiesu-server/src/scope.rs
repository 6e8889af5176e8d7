//! Scope rules: who sees and who may write which stream, decided in one place.
//!
//! - A case stream is **held** by the office that filed it, and by every office it has been
//!   transferred to since ([`EventBody::CaseTransferredToOffice`]). A device sees a stream
//!   when its office holds it or is above a holder (a street sees all its communities, a
//!   district all its streets). It may write to the streams it sees, and only as its own
//!   office and device.
//! - The `config` stream is per office line: an office's units and calendar edits reach the
//!   offices above it (they supervise) and below it (a street's units can be dispatched by its
//!   communities; a district's calendar fix reaches everyone under it), never a sibling.
//! - A transfer shares the stream's **whole history** with the receiving office from then on.
//!
//! [`plan`] turns a push into writes without touching storage, so both backends apply the
//! same decisions: it is given what storage knows (events already held, current holders) and
//! answers with the events to insert, each with the offices whose feeds get it.

use std::collections::{BTreeSet, HashMap};

pub use jiesu_protocol::authority::Tree;
use jiesu_protocol::event::CONFIG_STREAM;
use jiesu_protocol::wire::{CLOCK_TOLERANCE_MS, UNENROLLED_OFFICE};
use jiesu_protocol::{Aggregate, Event, EventBody};
use uuid::Uuid;

use crate::storage::DeviceRecord;
use jiesu_protocol::{Reason, Refusal};

/// Whether `office` may fetch a photo: it uploaded the bytes, or sees an uploader's work, or
/// sees a case whose office uploaded them and refers to them (its holders, or an office above
/// one). A photo goes where its case goes, transfers included.
pub fn sees_photo(tree: &Tree, office: &str, photo: &crate::storage::PhotoScope) -> bool {
    let mut who = photo.holders.clone();
    who.extend(photo.uploaders.iter().cloned());
    tree.sees(office, &who)
}

/// What storage knows about a push before planning it.
#[derive(Debug, Default)]
pub struct Known {
    /// Events already held, by id: (seq, received_ms, digest).
    pub events: HashMap<Uuid, (i64, i64, String)>,
    /// Current holders of each case stream the push touches.
    pub holders: HashMap<String, Vec<String>>,
    /// The device that opened each stream the push touches, where it is stored.
    pub openers: HashMap<String, String>,
    /// The digest of the pushing device's latest stored event on each stream the push
    /// touches (`None`: it has none there): where its chain continues.
    pub heads: HashMap<String, Option<String>>,
    /// The pushing device's registered public key.
    pub public_key: Option<String>,
    /// The device has stored a signed event: from then on every event must be signed.
    pub sealed: bool,
}

/// One write the push makes, in order.
#[derive(Debug)]
pub enum Step {
    /// Already held: answer with the stored receipt.
    Known {
        /// Index into the request's events.
        index: usize,
        /// Stored seq.
        seq: i64,
        /// Stored receipt time.
        received_ms: i64,
    },
    /// Store a new event and put it in these offices' feeds. The storage writes exactly what
    /// the step says, in order; every decision (who holds the stream from here, who receives
    /// its history, which photo it may refer to) is made here, once for both backends.
    Insert {
        /// Index into the request's events.
        index: usize,
        /// Canonical JSON of the event (what pulls return).
        body: String,
        /// Hash of `body`, to tell a harmless resend from a reused id.
        digest: String,
        /// The office the event belongs to for scope (the device's, for pre-enrolment events).
        scope_office: String,
        /// Feeds to append to.
        feeds: Vec<String>,
        /// Offices that hold the stream from this event on: the filing office at the opening
        /// event, the receiving office at a transfer.
        holders: Vec<String>,
        /// Offices given every event of the stream stored so far, this one included: a
        /// transfer's receiving office and those above it.
        backfill: Vec<String>,
        /// A photo the event refers to: recorded for the stream only when the event's office
        /// uploaded the bytes ([`sees_photo`]), which the storage checks as it writes.
        photo: Option<String>,
        /// What the event adds to the public lookup index (`storage/public.rs`).
        public: Option<Box<crate::storage::public::PublicIndex>>,
    },
}

/// Canonical body and digest of an event ([`jiesu_protocol::seal::hash`], which chains link
/// by); `None` for one JSON cannot hold (it cannot have come as JSON, but nothing here panics
/// on what a caller hands it).
pub fn digest(ev: &Event) -> Option<(String, String)> {
    let body = jiesu_protocol::seal::canonical(ev)?;
    let digest = jiesu_protocol::seal::hex_sha256(body.as_bytes());
    Some((body, digest))
}

/// The seal rules of a push ([`jiesu_protocol::seal`]): a signed event verifies against the
/// device's registered key and continues the device's chain on its stream exactly; once a
/// device has signed, it signs everything (unsigned events are only those written before
/// seals, and they come first).
struct Seals {
    key: Option<jiesu_protocol::seal::VerifyingKey>,
    heads: HashMap<String, Option<String>>,
    sealed: bool,
}

impl Seals {
    fn new(known: &Known) -> Seals {
        Seals {
            key: known
                .public_key
                .as_deref()
                .and_then(|k| jiesu_protocol::seal::public_key(k).ok()),
            heads: known.heads.clone(),
            sealed: known.sealed,
        }
    }

    fn check(&mut self, ev: &Event, digest: &str) -> Result<(), Refused> {
        let refuse = |field, reason| Refused::Event {
            event: ev.id,
            refusal: Refusal::invalid(field, reason),
        };
        let head = self.heads.get(&ev.stream).cloned().flatten();
        if ev.sig.is_some() {
            let key = self
                .key
                .as_ref()
                .ok_or(refuse("public_key", Reason::Required))?;
            jiesu_protocol::seal::verify(ev, key).map_err(|_| refuse("sig", Reason::SealBroken))?;
            if ev.prev != head {
                return Err(refuse("prev", Reason::SealBroken));
            }
            self.sealed = true;
        } else if self.sealed || ev.prev.is_some() {
            return Err(refuse("sig", Reason::Required));
        }
        self.heads
            .insert(ev.stream.clone(), Some(digest.to_owned()));
        Ok(())
    }
}

/// Why a push (or an enrolment) is refused whole; nothing was written. No HTTP here: which
/// status each answers with is `error.rs`'s.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refused {
    /// The PC's clock is ahead: `event`, the latest new one, is stamped `ahead_ms` after the
    /// server's time `server_time`, further than [`CLOCK_TOLERANCE_MS`] allows.
    #[error("event {event} is stamped {ahead_ms} ms after the server's time")]
    ClockAhead {
        /// The event stamped latest.
        event: Uuid,
        /// How far ahead of the server's clock.
        ahead_ms: i64,
        /// The server's time (ms).
        server_time: i64,
    },
    /// An event the app could not have written, or one claiming what its writer has no
    /// authority over: the protocol's own check, with the field or the rule.
    #[error("event {event}: {refusal}")]
    Event {
        /// The event refused.
        event: Uuid,
        /// Why.
        refusal: Refusal,
    },
    /// The push contradicts itself or the log (an id reused with other content, a stream of
    /// the wrong kind, a step for a stream nobody opened, an unknown office).
    #[error("{0}")]
    Invalid(String),
    /// The push writes outside the device's reach (as another device or office, or on a case
    /// its office does not see).
    #[error("{0}")]
    OutOfScope(String),
    /// An enrolment for a device id that is enrolled and not revoked.
    #[error("device {device} is enrolled: unenrol it or have it revoked first")]
    DeviceEnrolled {
        /// The device id.
        device: String,
    },
}

/// Decide every write of a push, or refuse it whole. Nothing is written on refusal.
///
/// Each new event must be one the app could have written ([`jiesu_protocol::validate::event`]:
/// 422 with the event and the field), stamped no later than `now_ms` plus
/// [`CLOCK_TOLERANCE_MS`] (422 `clock_ahead`), written by this device as its office, sealed
/// by it (`Seals`: 422 naming `sig` or `prev`), and claim only what
/// [`jiesu_protocol::authority`] allows it (403).
pub fn plan(
    device: &DeviceRecord,
    events: &[Event],
    known: &Known,
    tree: &Tree,
    now_ms: i64,
) -> Result<Vec<Step>, Refused> {
    // The clock first: a PC whose clock is ahead is told so, whatever else is wrong, and the
    // latest of its events says by how much.
    if let Some(ev) = events
        .iter()
        .filter(|e| !known.events.contains_key(&e.id))
        .max_by_key(|e| e.hlc.wall_ms)
        && ev.hlc.wall_ms > now_ms.saturating_add(CLOCK_TOLERANCE_MS)
        && jiesu_protocol::validate::instant("hlc", ev.hlc.wall_ms).is_ok()
    {
        return Err(Refused::ClockAhead {
            event: ev.id,
            ahead_ms: ev.hlc.wall_ms - now_ms,
            server_time: now_ms,
        });
    }
    let mut openers = known.openers.clone();
    let mut holders = known.holders.clone();
    let mut seen: HashMap<Uuid, String> = HashMap::new();
    let mut steps = Vec::with_capacity(events.len());
    for (index, ev) in events.iter().enumerate() {
        let (body, dg) = digest(ev)
            .ok_or_else(|| Refused::Invalid(format!("event {} cannot be stored as JSON", ev.id)))?;
        let reused =
            || Refused::Invalid(format!("event {} reuses an id with other content", ev.id));
        if let Some((seq, received_ms, stored)) = known.events.get(&ev.id) {
            if *stored != dg {
                return Err(reused());
            }
            steps.push(Step::Known {
                index,
                seq: *seq,
                received_ms: *received_ms,
            });
            continue;
        }
        if let Some(earlier) = seen.get(&ev.id) {
            if *earlier != dg {
                return Err(reused());
            }
            // The same event twice in one batch: stored once, acknowledged twice.
            continue;
        }
        jiesu_protocol::validate::event(ev).map_err(|refusal| Refused::Event {
            event: ev.id,
            refusal,
        })?;
        // Author's office and device: a device writes only as itself.
        if ev.device != device.id {
            return Err(Refused::OutOfScope(format!(
                "event {} was written by another device",
                ev.id
            )));
        }
        if ev.office != device.office && ev.office != UNENROLLED_OFFICE {
            return Err(Refused::OutOfScope(format!(
                "event {} names office {}, the device belongs to {}",
                ev.id, ev.office, device.office
            )));
        }
        let mut new_holders = Vec::new();
        let mut backfill = Vec::new();
        let feeds: Vec<String> = if ev.stream == CONFIG_STREAM {
            if ev.body.aggregate() != Aggregate::Config {
                return Err(Refused::Invalid(format!(
                    "event {} is not configuration",
                    ev.id
                )));
            }
            // Whom a campaign reaches; that a change comes from the campaign's opener every
            // fold checks (the server keeps no campaigns).
            let reached = match &ev.body {
                EventBody::CampaignOpened(c) => Some(&c.offices),
                EventBody::CampaignAmended(a) => Some(&a.offices),
                _ => None,
            };
            if let Some(offices) = reached {
                jiesu_protocol::authority::campaign(tree, &device.office, offices).map_err(
                    |refusal| Refused::Event {
                        event: ev.id,
                        refusal,
                    },
                )?;
            }
            let mut f = tree.with_ancestors(&device.office);
            f.extend(tree.descendants(&device.office));
            f
        } else {
            if Uuid::parse_str(&ev.stream).is_err() {
                return Err(Refused::Invalid(format!(
                    "event {} has a malformed stream",
                    ev.id
                )));
            }
            if ev.body.aggregate() == Aggregate::Config {
                return Err(Refused::Invalid(format!(
                    "event {} is configuration",
                    ev.id
                )));
            }
            let h = holders.entry(ev.stream.clone()).or_default();
            if h.is_empty() {
                if !ev.body.opens_stream() {
                    return Err(Refused::Invalid(format!(
                        "event {} is for a case or meeting the server does not know",
                        ev.id
                    )));
                }
                h.push(device.office.clone());
                new_holders.push(device.office.clone());
                openers.insert(ev.stream.clone(), ev.device.clone());
            } else if ev.body.opens_stream() {
                // A second intake on a stream would fold as a conflict everywhere; it is
                // refused here so the log never holds it.
                return Err(Refused::Invalid(format!(
                    "event {} opens stream {}, which exists",
                    ev.id, ev.stream
                )));
            } else if !tree.sees(&device.office, h) {
                return Err(Refused::OutOfScope(format!(
                    "case {} belongs to another office",
                    ev.stream
                )));
            }
            if matches!(
                ev.body,
                EventBody::CaseOfficeAssigned { .. } | EventBody::MeetingOfficeAssigned { .. }
            ) {
                // Only the filing device, to its own office (the device's, not any the
                // event names: `ev.office` may still be the pre-enrolment one).
                let filed_by = openers.get(&ev.stream).map_or("", String::as_str);
                let mut claimed = ev.clone();
                claimed.office = device.office.clone();
                jiesu_protocol::authority::assignment(filed_by, &claimed).map_err(|refusal| {
                    Refused::Event {
                        event: ev.id,
                        refusal,
                    }
                })?;
            }
            if let EventBody::CaseTransferredToOffice { office, .. } = &ev.body {
                if tree.get(office).is_none() {
                    return Err(Refused::Invalid(format!("unknown office {office}")));
                }
                jiesu_protocol::authority::transfer(tree, &device.office, office).map_err(
                    |refusal| Refused::Event {
                        event: ev.id,
                        refusal,
                    },
                )?;
                if !h.contains(office) {
                    h.push(office.clone());
                    new_holders.push(office.clone());
                    backfill = tree.with_ancestors(office);
                }
            }
            let mut f = BTreeSet::new();
            for holder in h.iter() {
                f.extend(tree.with_ancestors(holder));
            }
            f.into_iter().collect()
        };
        seen.insert(ev.id, dg.clone());
        steps.push(Step::Insert {
            index,
            body,
            digest: dg,
            scope_office: device.office.clone(),
            feeds,
            holders: new_holders,
            backfill,
            photo: ev.body.attachment().map(|a| a.sha256.clone()),
            public: crate::storage::public::public_index(ev, &device.tag).map(Box::new),
        });
    }
    // Seals last, once every event has passed the rules above: a push that reaches beyond
    // the device is refused as that, whether or not it is signed.
    let mut seals = Seals::new(known);
    for step in &steps {
        if let Step::Insert { index, digest, .. } = step {
            seals.check(&events[*index], digest)?;
        }
    }
    Ok(steps)
}

/// The receipts a planned and applied push answers with, in request order: `inserted` maps a
/// request index to the (seq, received_ms) storage gave it.
pub fn receipts(
    events: &[Event],
    steps: &[Step],
    inserted: &HashMap<usize, (i64, i64)>,
) -> Vec<jiesu_protocol::wire::Receipt> {
    let mut by_id: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for s in steps {
        match s {
            Step::Known {
                index,
                seq,
                received_ms,
            } => {
                by_id.insert(events[*index].id, (*seq, *received_ms));
            }
            Step::Insert { index, .. } => {
                if let Some(r) = inserted.get(index) {
                    by_id.insert(events[*index].id, *r);
                }
            }
        }
    }
    events
        .iter()
        .filter_map(|e| {
            by_id
                .get(&e.id)
                .map(|(seq, at)| jiesu_protocol::wire::Receipt {
                    id: e.id,
                    seq: *seq,
                    received_ms: *at,
                })
        })
        .collect()
}
