//! The overdue desk (督办台) and the overdue watch behind desktop notifications.
//!
//! Both use the overdue list's one rule: an open case is due at the earlier of its resolve
//! deadline and a promised letter date (`due_rank`), overdue once that has passed, due soon
//! within the 24 hours before it. The watch announces a case once, in the poll whose window
//! `(since, now]` contains its due time, so a case is not announced twice however often the
//! window polls, and one that fell due while the app was closed is on the desk (and in the
//! start-up summary) rather than announced.

use rusqlite::params;

use super::{ROW_COLUMNS, Store, case_row};
use crate::api::{CaseQuery, CaseSort, Desk, DeskUnit, DueFilter, OverdueWatch};
use crate::deadline::DUE_SOON_MS;
use crate::error::Result;

/// Rows each list of the desk shows (the case list's largest page); the totals count them
/// all, and the case list's overdue filter pages through the rest.
pub const DESK_ROWS: u32 = 200;

impl Store {
    /// The overdue desk now.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn desk(&self) -> Result<Desk> {
        let v = self.desk_unmasked()?;
        self.shown(v)
    }

    /// [`Store::desk`] before masking.
    fn desk_unmasked(&self) -> Result<Desk> {
        let now = self.clock.now_ms();
        let list = |due| {
            self.list_cases_unmasked(&CaseQuery {
                due: Some(due),
                sort: CaseSort::DueAsc,
                page_size: DESK_ROWS,
                ..CaseQuery::default()
            })
        };
        let (overdue, due_soon) = (list(DueFilter::Overdue)?, list(DueFilter::DueSoon)?);
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(handling_unit, ''), sum(due_rank <= ?1), sum(due_rank > ?1)
             FROM cases WHERE due_rank <= ?2 GROUP BY 1",
        )?;
        let mut units = stmt
            .query_map(params![now, now + DUE_SOON_MS], |r| {
                Ok(DeskUnit {
                    unit: r.get(0)?,
                    overdue: r.get(1)?,
                    due_soon: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        units.sort_by(|a, b| {
            (b.overdue, b.due_soon)
                .cmp(&(a.overdue, a.due_soon))
                .then_with(|| a.unit.cmp(&b.unit))
        });
        Ok(Desk {
            now,
            overdue_total: overdue.total,
            overdue: overdue.rows,
            due_soon_total: due_soon.total,
            due_soon: due_soon.rows,
            units,
        })
    }

    /// The open cases that fell due in `(since, now]`, earliest first: what to announce.
    /// A `since` in the future (the PC's clock was set back) finds nothing.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn overdue_watch(&self, since: i64) -> Result<OverdueWatch> {
        let v = self.overdue_watch_unmasked(since)?;
        self.shown(v)
    }

    /// [`Store::overdue_watch`] before masking.
    fn overdue_watch_unmasked(&self, since: i64) -> Result<OverdueWatch> {
        let now = self.clock.now_ms();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM cases WHERE due_rank > ?1 AND due_rank <= ?2
             ORDER BY due_rank, rowid LIMIT ?3"
        ))?;
        let fell = stmt
            .query_map(params![since, now, DESK_ROWS], |r| case_row(r, now))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let overdue_total: u32 = self.conn.query_row(
            "SELECT count(*) FROM cases WHERE due_rank <= ?1",
            [now],
            |r| r.get(0),
        )?;
        Ok(OverdueWatch {
            now,
            fell,
            overdue_total,
        })
    }
}
