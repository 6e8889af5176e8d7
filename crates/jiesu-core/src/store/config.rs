//! The office's configuration (units, calendar days, the figures' settings, campaigns): the commands that
//! change it, and its fold from the `config` stream under the authority rules of
//! [`crate::authority`].
//!
//! The server shares an office's configuration up and down its line: a street sees what its
//! communities set, a community what its street and district set. What *applies* here is only
//! this office's own configuration and that of the offices above it; where several set the
//! same thing (a date of the calendar, the figures' settings), the nearest office wins, and
//! within one office the last write in fold order. Configuration from an office below or
//! beside is kept and listed (as conflicts of the `config` stream, with the reason) but
//! changes nothing here; a unit it added is only named (its cases show the unit's name), not
//! offered for dispatch. An event that fails [`crate::validate::event`] is quarantined the
//! same way.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::*;
use crate::authority::{Tree, config_rank};
use crate::error::Result;
use crate::event::{CONFIG_STREAM, Event, EventBody};
use crate::figures::FigureSettings;

/// Apply this office's own configuration event (a command's): its own always ranks first.
pub(super) fn apply_config(conn: &Connection, ev: &Event) -> Result<()> {
    match &ev.body {
        EventBody::UnitAdded { code, name } => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO units (code, name, applies) VALUES (?1, ?2, 1)",
            )?
            .execute([code, name])?;
        }
        EventBody::CalendarDaySet { date, working } => {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO calendar_days (date, working) VALUES (?1, ?2)",
            )?
            .execute(params![date, working])?;
        }
        EventBody::FigureSettingsSet(_) | EventBody::FigureSettingsSetV2(_) => {
            let settings = match &ev.body {
                EventBody::FigureSettingsSet(v1) => FigureSettings::from((**v1).clone()),
                EventBody::FigureSettingsSetV2(v2) => FigureSettings::from((**v2).clone()),
                _ => return Ok(()),
            };
            conn.prepare_cached(
                "INSERT OR REPLACE INTO config_values (key, value) VALUES ('figure_settings', ?1)",
            )?
            .execute([serde_json::to_string(&settings)?])?;
        }
        _ => {}
    }
    Ok(())
}

/// Who this replica is, as far as configuration goes: its office, its device, and the offices
/// above it (from the server's directory; none before enrolment).
struct Here {
    office: String,
    device: String,
    tree: Tree,
}

impl Here {
    fn load(conn: &Connection) -> Result<Here> {
        let meta = |k: &str| -> Result<Option<String>> {
            Ok(conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([k], |r| r.get(0))
                .optional()?)
        };
        let offices = meta("directory")?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        Ok(Here {
            office: meta("office")?.unwrap_or_else(|| crate::wire::UNENROLLED_OFFICE.into()),
            device: meta("device")?.unwrap_or_default(),
            tree: Tree::new(offices),
        })
    }
}

/// Fold the whole `config` stream again (it is small): every event is judged, the ones that
/// apply are applied nearest office first, the rest recorded with the reason.
pub(super) fn rederive_config(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM units; DELETE FROM calendar_days; DELETE FROM config_values;
         DELETE FROM accounts; DELETE FROM account_roles; DELETE FROM campaigns; DELETE FROM campaign_changes;
         DELETE FROM event_conflicts WHERE stream = 'config';",
    )?;
    let here = Here::load(tx)?;
    let events = stream_events(tx, CONFIG_STREAM)?;
    let mut enrolled = accounts::enrolled_devices(&events);
    if here.office != crate::wire::UNENROLLED_OFFICE {
        enrolled.insert(here.device.clone(), here.office.clone());
    }
    // Per setting, the rank of the office whose value stands (0: this office).
    let mut standing: HashMap<String, usize> = HashMap::new();
    for ev in events {
        if let Err(e) = crate::validate::event(&ev) {
            record_conflict(tx, &ev, &e.to_string())?;
            continue;
        }
        // Accounts count per office, under the roles, whichever office folds them: a street
        // keeps its communities' accounts to name who did what.
        if accounts::is_account_event(&ev.body) {
            let owner = accounts::owner(&ev, &enrolled);
            match accounts::judge(tx, &owner, &ev)? {
                Some(why) => record_conflict(tx, &ev, &why)?,
                None => accounts::apply_account(tx, &owner, &ev)?,
            }
            continue;
        }
        // Settings and campaigns count only from an account whose role allowed them then.
        if let Some(why) = accounts::role_refusal(tx, &ev)? {
            record_conflict(tx, &ev, &why)?;
            continue;
        }
        // Campaigns add up, and an office above keeps its offices' campaigns to watch them.
        if let EventBody::CampaignOpened(c) = &ev.body {
            match super::campaigns::judge(&here.tree, &here.office, &ev, c) {
                Some(why) => record_conflict(tx, &ev, &why)?,
                None => super::campaigns::keep(tx, &ev, c)?,
            }
            continue;
        }
        if let EventBody::CampaignAmended(a) = &ev.body {
            match super::campaign_changes::judge(tx, &here.tree, &ev, a)? {
                Some(why) => record_conflict(tx, &ev, &why)?,
                None => super::campaign_changes::amend(tx, &ev, a)?,
            }
            continue;
        }
        let Some(rank) = config_rank(&here.tree, &here.office, &here.device, &ev) else {
            if let EventBody::UnitAdded { code, name } = &ev.body {
                // Named, so that office's cases read well here; never dispatched to from here.
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO units (code, name, applies) VALUES (?1, ?2, 0)",
                )?
                .execute([code, name])?;
            }
            record_conflict(
                tx,
                &ev,
                &format!(
                    "settings of office {}: they apply to it and the offices below it, not here",
                    ev.office
                ),
            )?;
            continue;
        };
        let key = match &ev.body {
            EventBody::CalendarDaySet { date, .. } => format!("day:{date}"),
            EventBody::FigureSettingsSet(_) | EventBody::FigureSettingsSetV2(_) => {
                "figure_settings".to_owned()
            }
            // Units add up: every applicable office's units can be dispatched to.
            _ => String::new(),
        };
        if !key.is_empty() {
            // A nearer office's value stands against a farther one's, whatever the order.
            if standing.get(&key).is_some_and(|r| *r < rank) {
                continue;
            }
            standing.insert(key, rank);
        }
        apply_config(tx, &ev)?;
    }
    Ok(())
}

impl Store {
    /// Add a handling unit to the office's list; returns its code.
    pub fn add_unit(&mut self, name: &str) -> Result<Unit> {
        let name = text("name", name.to_owned(), true)?;
        if name.chars().count() > 60 {
            return Err(Error::invalid("name", Reason::TooLong));
        }
        if self.units()?.iter().any(|u| u.name == name) {
            return Err(Error::invalid("name", Reason::Duplicate));
        }
        let code = format!("u-{}", &Uuid::now_v7().simple().to_string()[20..]);
        let ev = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::UnitAdded {
                code: code.clone(),
                name: name.clone(),
            },
        )?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        apply_config(&sp, &ev)?;
        sp.commit()?;
        Ok(Unit { code, name })
    }

    /// Mark a date as a working day or a day off (调休 corrections).
    pub fn set_calendar_day(&mut self, date: &str, working: bool) -> Result<()> {
        let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid("date", Reason::BadDate))?;
        crate::validate::calendar_date(&d.format("%Y-%m-%d").to_string())?;
        let ev = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::CalendarDaySet {
                date: d.format("%Y-%m-%d").to_string(),
                working,
            },
        )?;
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        apply_config(&sp, &ev)?;
        sp.commit()?;
        self.calendar.set(d, working);
        Ok(())
    }

    /// The office's handling units: the defaults, then those the office added.
    pub fn units(&self) -> Result<Vec<Unit>> {
        self.units_where("applies = 1")
    }

    /// Units of offices whose configuration does not apply here: named (their cases read
    /// well), never offered for dispatch.
    pub fn other_units(&self) -> Result<Vec<Unit>> {
        let mine = self.units()?;
        Ok(self
            .all_units()?
            .into_iter()
            .filter(|u| !mine.iter().any(|m| m.code == u.code))
            .collect())
    }

    /// Every unit this replica can name, for reports and exports.
    pub fn all_units(&self) -> Result<Vec<Unit>> {
        self.units_where("1")
    }

    pub(super) fn units_where(&self, filter: &str) -> Result<Vec<Unit>> {
        let mut units = catalog::default_units();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT code, name FROM units WHERE {filter} ORDER BY rowid"
        ))?;
        for u in stmt.query_map([], |r| {
            Ok(Unit {
                code: r.get(0)?,
                name: r.get(1)?,
            })
        })? {
            let u = u?;
            if !units.iter().any(|d| d.code == u.code) {
                units.push(u);
            }
        }
        Ok(units)
    }
}
