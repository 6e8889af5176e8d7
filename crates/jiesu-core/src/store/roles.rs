//! Who could write what, and when: each office's account roles through time, so a step from
//! another PC is folded against the role its account held at the step's place in the order.
//!
//! An account is no key: a hostile PC can name any account of its office, and its device seal
//! shows which PC did. What this check catches is an honest PC whose roles were out of date: a
//! worker demoted to 查看 or closed on the administrator's PC goes on filing at a PC that has
//! not heard yet. Its steps are kept (the log holds the same set everywhere) and folded as
//! conflicts, on every replica, whichever arrives first.
//!
//! The config fold records every accepted account change in `account_roles` (owner, account,
//! order key, role, open or closed); [`RoleBook`] reads it for the case and meeting folds. A
//! change that arrives after the steps it governs (the demotion reaches the street after the
//! demoted worker's steps) changes the book from its place in the order on: the streams with
//! that account's steps from there on are folded again ([`refold_config`]), so the projection
//! stays a function of the event set whatever the arrival order.
//!
//! Not checked: steps naming no account (a store without accounts, the server's Open311
//! channel, the device's own writes), steps from before the writing PC enrolled (no other PC
//! could change its roles then), and steps of an office whose accounts this replica does not
//! hold.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{Connection, Transaction, params};
use uuid::Uuid;

use super::{FoldKey, enum_parse, rederive_config};
use crate::access::{self, Role};
use crate::error::{Error, Result};
use crate::event::{CONFIG_STREAM, Event};
use crate::hlc::Hlc;

/// Where an account stood at one place in the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    /// The office had no account yet: its steps then were written before accounts (or by a
    /// store without them) and are not checked.
    NoAccountsYet,
    /// The office had accounts, but not this one.
    Unknown,
    Closed,
    Open(Role),
}

/// One step as the check reads it: what, by whom, for which office, where in the order.
pub(super) struct Step<'a> {
    pub kind: &'a str,
    pub office: &'a str,
    pub account: Option<Uuid>,
    pub at: FoldKey,
}

impl<'a> Step<'a> {
    pub(super) fn of(ev: &'a Event) -> Step<'a> {
        Step {
            kind: ev.body.kind(),
            office: &ev.office,
            account: ev.account,
            at: ev.order_key(),
        }
    }

    /// Whether its account is checked against its office's roles at all.
    pub(super) fn checked(&self) -> bool {
        self.account.is_some()
            && self.office != crate::wire::UNENROLLED_OFFICE
            && !access::DEVICE_WRITES.contains(&self.kind)
    }

    /// Why it may not count, its account standing as it did; `None` if it may.
    pub(super) fn refusal(&self, standing: Standing) -> Option<String> {
        let (kind, office) = (self.kind, self.office);
        let account = self.account?;
        match standing {
            Standing::NoAccountsYet => None,
            Standing::Unknown => Some(format!(
                "account {account} was not an account of office {office} when it wrote {kind}"
            )),
            Standing::Closed => Some(format!(
                "account {account} of office {office} was closed when it wrote {kind}"
            )),
            Standing::Open(role) if !access::may_write(role, kind) => Some(format!(
                "account {account} of office {office} was {} when it wrote {kind}, \
                 which that role may not",
                super::enum_name(&role)
            )),
            Standing::Open(_) => None,
        }
    }
}

/// Each office's account history as the config fold accepted it.
#[derive(Debug, Default)]
pub(crate) struct RoleBook {
    offices: HashMap<String, OfficeRoles>,
}

#[derive(Debug)]
struct OfficeRoles {
    /// The office's first account change.
    first: FoldKey,
    /// Each account's changes in order: role, open.
    accounts: HashMap<Uuid, Vec<(FoldKey, Role, bool)>>,
}

impl RoleBook {
    pub(super) fn load(conn: &Connection) -> Result<RoleBook> {
        let mut stmt = conn.prepare_cached(
            "SELECT owner, account, hlc_wall, hlc_counter, event_id, role, active
             FROM account_roles ORDER BY owner, hlc_wall, hlc_counter, event_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut book = RoleBook::default();
        while let Some(r) = rows.next()? {
            let owner: String = r.get(0)?;
            let (Ok(account), Ok(id)) = (
                Uuid::parse_str(&r.get::<_, String>(1)?),
                Uuid::parse_str(&r.get::<_, String>(4)?),
            ) else {
                continue;
            };
            let at = (
                Hlc {
                    wall_ms: r.get(2)?,
                    counter: r.get(3)?,
                },
                id,
            );
            let role: Role = enum_parse(&r.get::<_, String>(5)?)?;
            let office = book.offices.entry(owner).or_insert_with(|| OfficeRoles {
                first: at,
                accounts: HashMap::new(),
            });
            office
                .accounts
                .entry(account)
                .or_default()
                .push((at, role, r.get(6)?));
        }
        Ok(book)
    }

    /// Where the step's account stood just before the step, in its office's history; `None`
    /// when this replica holds none of that office's accounts.
    fn standing(&self, step: &Step<'_>) -> Option<Standing> {
        let account = step.account?;
        let office = self.offices.get(step.office)?;
        let at = step.at;
        if office.first >= at {
            return Some(Standing::NoAccountsYet);
        }
        let last = office
            .accounts
            .get(&account)
            .and_then(|h| h.iter().take_while(|(k, ..)| *k < at).last());
        Some(match last {
            None => Standing::Unknown,
            Some((_, _, false)) => Standing::Closed,
            Some((_, role, true)) => Standing::Open(*role),
        })
    }

    /// Refuse a case or meeting step its account's role did not allow at its time.
    pub(crate) fn check(&self, ev: &Event) -> Result<()> {
        match self.refusal(&Step::of(ev)) {
            Some(why) => Err(Error::NoAuthority { why }),
            None => Ok(()),
        }
    }

    fn refusal(&self, step: &Step<'_>) -> Option<String> {
        if !step.checked() {
            return None;
        }
        self.standing(step).and_then(|s| step.refusal(s))
    }
}

/// Record an accepted account change's result: the account's row as it now stands.
pub(super) fn record_change(
    conn: &Connection,
    owner: &str,
    account: &Uuid,
    ev: &Event,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO account_roles
             (owner, account, hlc_wall, hlc_counter, event_id, role, active)
         SELECT owner, id, ?3, ?4, ?5, role, active FROM accounts WHERE owner = ?1 AND id = ?2",
    )?
    .execute(params![
        owner,
        account.to_string(),
        ev.hlc.wall_ms,
        ev.hlc.counter,
        ev.id.to_string()
    ])?;
    Ok(())
}

type RoleRow = (String, String, i64, i64, String, String, bool);

fn snapshot(conn: &Connection) -> Result<BTreeSet<RoleRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT owner, account, hlc_wall, hlc_counter, event_id, role, active FROM account_roles",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Fold the `config` stream again ([`rederive_config`]) and return the streams whose steps
/// its account changes now judge differently: those holding a step, from the earliest changed
/// place in the order on, by an account whose history changed. The caller folds them again.
/// `folded_apart` says whether any stream was folded before and is not about to be folded
/// anyway: when none is (a first sync's settle), nothing needs looking for.
pub(super) fn refold_config(
    tx: &Transaction<'_>,
    folded_apart: impl FnOnce(&Transaction<'_>) -> Result<bool>,
) -> Result<Vec<String>> {
    let before = snapshot(tx)?;
    rederive_config(tx)?;
    let after = snapshot(tx)?;
    // Per account, the earliest wall time its history changed at.
    let mut from: HashMap<String, i64> = HashMap::new();
    for (_, account, wall, ..) in before.symmetric_difference(&after) {
        let w = from.entry(account.clone()).or_insert(*wall);
        *w = (*w).min(*wall);
    }
    let Some(earliest) = from.values().min().copied() else {
        return Ok(Vec::new());
    };
    if !folded_apart(tx)? {
        return Ok(Vec::new());
    }
    // One pass over the log from the earliest change (`events_by_hlc`), not one per account:
    // an office's accounts arriving together would each walk the same range.
    let mut stmt = tx.prepare_cached(
        "SELECT stream, account, hlc_wall FROM events
         WHERE hlc_wall >= ?1 AND account IS NOT NULL AND stream <> ?2",
    )?;
    let mut rows = stmt.query(params![earliest, CONFIG_STREAM])?;
    let mut streams = BTreeSet::new();
    while let Some(r) = rows.next()? {
        let account = super::id_text(r, 1)?;
        if from
            .get(&account)
            .is_some_and(|w| r.get::<_, i64>(2).is_ok_and(|at| at >= *w))
        {
            streams.insert(super::id_text(r, 0)?);
        }
    }
    Ok(streams.into_iter().collect())
}

/// For [`refold_config`]: streams folded before may hold steps whose judging changed.
pub(super) fn some_folded(_: &Transaction<'_>) -> Result<bool> {
    Ok(true)
}

/// For a settle's [`refold_config`]: whether a stream was folded before that is not among
/// those the settle folds now (`dirty_streams`). A first sync's settle folds them all.
pub(super) fn some_folded_apart_from_dirty(tx: &Transaction<'_>) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM cases WHERE id NOT IN (SELECT stream FROM dirty_streams))
             OR EXISTS (SELECT 1 FROM meetings WHERE id NOT IN (SELECT stream FROM dirty_streams))
             OR EXISTS (SELECT 1 FROM event_conflicts
                        WHERE stream <> 'config'
                          AND stream NOT IN (SELECT stream FROM dirty_streams))",
        [],
        |r| r.get(0),
    )?)
}

/// The streams holding a step its account's role does not allow under `book`: what a store
/// folded before the check existed must fold again (once, on opening after migration 22).
pub(super) fn streams_breaking(conn: &Connection, book: &RoleBook) -> Result<Vec<String>> {
    if book.offices.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT stream, kind, office, account, hlc_wall, hlc_counter, id
         FROM events WHERE account IS NOT NULL AND stream <> ?1",
    )?;
    let mut rows = stmt.query([CONFIG_STREAM])?;
    let mut streams = BTreeSet::new();
    while let Some(r) = rows.next()? {
        let (kind, office): (String, String) = (r.get(1)?, r.get(2)?);
        // What this version cannot read is the fold's to quarantine.
        let (Ok(account), Ok(id)) = (
            Uuid::parse_str(&super::id_text(r, 3)?),
            Uuid::parse_str(&super::id_text(r, 6)?),
        ) else {
            continue;
        };
        let step = Step {
            kind: &kind,
            office: &office,
            account: Some(account),
            at: (
                Hlc {
                    wall_ms: r.get(4)?,
                    counter: r.get(5)?,
                },
                id,
            ),
        };
        if book.refusal(&step).is_some() {
            streams.insert(super::id_text(r, 0)?);
        }
    }
    Ok(streams.into_iter().collect())
}
