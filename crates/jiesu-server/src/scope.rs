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

use jiesu_core::event::CONFIG_STREAM;
use jiesu_core::wire::{Office, OfficeKind, UNENROLLED_OFFICE};
use jiesu_core::{Aggregate, Event, EventBody};
use sha2::Digest;
use uuid::Uuid;

use crate::error::ApiError;
use crate::storage::DeviceRecord;

/// The organisation, as a lookup table. Offices are only ever added, so a copy that misses an
/// office is refreshed, never wrong.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    offices: HashMap<String, Office>,
    children: HashMap<String, Vec<String>>,
}

impl Tree {
    /// Index a list of offices.
    pub fn new(offices: Vec<Office>) -> Tree {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for o in &offices {
            if let Some(p) = &o.parent {
                children.entry(p.clone()).or_default().push(o.id.clone());
            }
        }
        Tree {
            offices: offices.into_iter().map(|o| (o.id.clone(), o)).collect(),
            children,
        }
    }

    /// One office.
    pub fn get(&self, id: &str) -> Option<&Office> {
        self.offices.get(id)
    }

    /// The office and everything above it, nearest first.
    pub fn with_ancestors(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = self.offices.get(id);
        while let Some(o) = at {
            if out.contains(&o.id) {
                break; // a cycle cannot be created by the admin commands; do not loop anyway
            }
            out.push(o.id.clone());
            at = o.parent.as_ref().and_then(|p| self.offices.get(p));
        }
        out
    }

    /// Everything below the office (not the office itself).
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![id.to_owned()];
        while let Some(o) = stack.pop() {
            for c in self.children.get(&o).into_iter().flatten() {
                out.push(c.clone());
                stack.push(c.clone());
            }
        }
        out
    }

    /// Whether `office` holds `stream` through one of `holders`: it is one, or above one.
    pub fn sees(&self, office: &str, holders: &[String]) -> bool {
        holders
            .iter()
            .any(|h| self.with_ancestors(h).iter().any(|a| a == office))
    }

    /// Offices a device of `office` can transfer a case to: its district's whole tree.
    pub fn directory(&self, office: &str) -> Vec<Office> {
        let top = self
            .with_ancestors(office)
            .last()
            .cloned()
            .unwrap_or_else(|| office.to_owned());
        let mut ids = vec![top.clone()];
        ids.extend(self.descendants(&top));
        let mut out: Vec<Office> = ids
            .iter()
            .filter_map(|i| self.offices.get(i).cloned())
            .collect();
        out.sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
        out
    }
}

fn kind_rank(k: OfficeKind) -> u8 {
    match k {
        OfficeKind::District => 0,
        OfficeKind::Street => 1,
        OfficeKind::Community => 2,
    }
}

/// Whether `office` may fetch a photo: it sees the uploading office's work, or a case that
/// refers to the photo (its holders, or an office above one). A photo goes where its case goes,
/// transfers included; content hashes cannot be guessed, but scope is checked all the same.
pub fn sees_photo(tree: &Tree, office: &str, photo: &crate::storage::PhotoScope) -> bool {
    let mut who = photo.holders.clone();
    who.extend(photo.uploader.iter().cloned());
    tree.sees(office, &who)
}

/// What storage knows about a push before planning it.
#[derive(Debug, Default)]
pub struct Known {
    /// Events already held, by id: (seq, received_ms, digest).
    pub events: HashMap<Uuid, (i64, i64, String)>,
    /// Current holders of each case stream the push touches.
    pub holders: HashMap<String, Vec<String>>,
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
    /// Make `office` a holder of `stream` and give it (and the offices above it) every event
    /// of the stream already stored.
    Share {
        /// The stream.
        stream: String,
        /// The new holder and its ancestors.
        offices: Vec<String>,
        /// The new holder itself.
        holder: String,
    },
    /// Store a new event and put it in these offices' feeds.
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
    },
}

/// Canonical body and digest of an event.
pub fn digest(ev: &Event) -> (String, String) {
    let body = serde_json::to_string(ev).expect("events serialise");
    let digest = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    (body, digest)
}

/// Decide every write of a push, or refuse it whole. Nothing is written on refusal.
pub fn plan(
    device: &DeviceRecord,
    events: &[Event],
    known: &Known,
    tree: &Tree,
) -> Result<Vec<Step>, ApiError> {
    let mut holders = known.holders.clone();
    let mut seen: HashMap<Uuid, String> = HashMap::new();
    let mut steps = Vec::with_capacity(events.len());
    for (index, ev) in events.iter().enumerate() {
        let (body, dg) = digest(ev);
        let reused =
            || ApiError::invalid(format!("event {} reuses an id with other content", ev.id));
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
        // Author's office and device: a device writes only as itself.
        if ev.device != device.id {
            return Err(ApiError::out_of_scope(format!(
                "event {} was written by another device",
                ev.id
            )));
        }
        if ev.office != device.office && ev.office != UNENROLLED_OFFICE {
            return Err(ApiError::out_of_scope(format!(
                "event {} names office {}, the device belongs to {}",
                ev.id, ev.office, device.office
            )));
        }
        let feeds: Vec<String> = if ev.stream == CONFIG_STREAM {
            if ev.body.aggregate() != Aggregate::Config {
                return Err(ApiError::invalid(format!(
                    "event {} is not configuration",
                    ev.id
                )));
            }
            let mut f = tree.with_ancestors(&device.office);
            f.extend(tree.descendants(&device.office));
            f
        } else {
            if Uuid::parse_str(&ev.stream).is_err() {
                return Err(ApiError::invalid(format!(
                    "event {} has a malformed stream",
                    ev.id
                )));
            }
            if ev.body.aggregate() == Aggregate::Config {
                return Err(ApiError::invalid(format!(
                    "event {} is configuration",
                    ev.id
                )));
            }
            let h = holders.entry(ev.stream.clone()).or_default();
            if h.is_empty() {
                if !ev.body.opens_stream() {
                    return Err(ApiError::invalid(format!(
                        "event {} is for a case or meeting the server does not know",
                        ev.id
                    )));
                }
                h.push(device.office.clone());
            } else if !tree.sees(&device.office, h) {
                return Err(ApiError::out_of_scope(format!(
                    "case {} belongs to another office",
                    ev.stream
                )));
            }
            if let EventBody::CaseTransferredToOffice { office, .. } = &ev.body {
                if tree.get(office).is_none() {
                    return Err(ApiError::invalid(format!("unknown office {office}")));
                }
                if !h.contains(office) {
                    h.push(office.clone());
                    steps.push(Step::Share {
                        stream: ev.stream.clone(),
                        offices: tree.with_ancestors(office),
                        holder: office.clone(),
                    });
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
        });
    }
    Ok(steps)
}

/// The receipts a planned and applied push answers with, in request order: `inserted` maps a
/// request index to the (seq, received_ms) storage gave it.
pub fn receipts(
    events: &[Event],
    steps: &[Step],
    inserted: &HashMap<usize, (i64, i64)>,
) -> Vec<jiesu_core::wire::Receipt> {
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
            Step::Share { .. } => {}
        }
    }
    events
        .iter()
        .filter_map(|e| {
            by_id.get(&e.id).map(|(seq, at)| jiesu_core::wire::Receipt {
                id: e.id,
                seq: *seq,
                received_ms: *at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(id: &str, kind: OfficeKind, parent: Option<&str>) -> Office {
        Office {
            id: id.into(),
            name: id.into(),
            kind,
            parent: parent.map(Into::into),
        }
    }

    fn tree() -> Tree {
        Tree::new(vec![
            office("d", OfficeKind::District, None),
            office("s1", OfficeKind::Street, Some("d")),
            office("s2", OfficeKind::Street, Some("d")),
            office("a", OfficeKind::Community, Some("s1")),
            office("b", OfficeKind::Community, Some("s1")),
            office("c", OfficeKind::Community, Some("s2")),
        ])
    }

    #[test]
    fn superiors_see_their_communities_and_siblings_do_not() {
        let t = tree();
        let held = vec!["a".to_string()];
        assert!(t.sees("a", &held));
        assert!(t.sees("s1", &held));
        assert!(t.sees("d", &held));
        assert!(!t.sees("b", &held));
        assert!(!t.sees("s2", &held));
        assert!(!t.sees("c", &held));
        assert_eq!(t.with_ancestors("a"), vec!["a", "s1", "d"]);
        let mut below = t.descendants("s1");
        below.sort();
        assert_eq!(below, vec!["a", "b"]);
    }

    #[test]
    fn the_directory_is_the_whole_district_street_first() {
        let names: Vec<String> = tree().directory("a").into_iter().map(|o| o.id).collect();
        assert_eq!(names, vec!["d", "s1", "s2", "a", "b", "c"]);
    }
}
