//! Likely duplicates of the case being typed ([`crate::similar`]), among this office's open
//! cases and those received in the last 60 days.

use super::*;
use crate::similar::{Draft, Held, MAX_PER_KEY, Probe, Suggestion, rank};

/// How far back a closed case is still suggested.
pub const RECENT_MS: i64 = 60 * 86_400_000;

impl Store {
    /// Cases that may be the problem `draft` describes, most alike first (at most five),
    /// each saying why. Asked as the secretary types: the candidates are the cases sharing
    /// one of the draft's buildings, its spot or its phone (`case_places`), judged here.
    pub fn similar_cases(&self, draft: &Draft) -> Result<Vec<Suggestion>> {
        let probe = Probe::new(draft);
        if !probe.usable() {
            return Ok(Vec::new());
        }
        let mut found = self.judge_held(&probe, i64::MAX)?;
        rank(&mut found);
        Ok(found)
    }

    /// The cases of this office up to row `upto` that `probe` may repeat, unranked (an
    /// import judges those held before it here, and its own orders in memory).
    pub(super) fn judge_held(&self, probe: &Probe, upto: i64) -> Result<Vec<Suggestion>> {
        let since = self.clock.now_ms().saturating_sub(RECENT_MS);
        let keys = probe.keys(&self.identity.office);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // This office's cases sharing a building, the spot or the phone with the draft and
        // still suggested at `since` (`case_places`): the newest MAX_PER_KEY of each key, open
        // and closed apart. A building with hundreds of open cases (a whole district's backlog
        // imported) must not make every draft judge them all, and each part is one seek of
        // `(key, until, case_rowid)` — open cases (`until` = i64::MAX) newest row first, closed
        // ones newest receipt first — even when the newest rows are past `upto` (an import's).
        let ranges: Vec<String> = (0..keys.len())
            .map(|i| {
                let k = i + 4;
                format!(
                    "SELECT case_rowid FROM (SELECT case_rowid FROM case_places
                       WHERE key = ?{k} AND until = {open} AND case_rowid <= ?3
                       ORDER BY case_rowid DESC LIMIT {MAX_PER_KEY})
                     UNION ALL
                     SELECT case_rowid FROM (SELECT case_rowid FROM case_places
                       WHERE key = ?{k} AND until >= ?1 AND until < {open} AND case_rowid <= ?3
                       ORDER BY until DESC LIMIT {MAX_PER_KEY})",
                    open = i64::MAX
                )
            })
            .collect();
        let sql = format!(
            "SELECT id, number, state, received_at, description, address, location,
                resident_phone
             FROM cases
             WHERE rowid IN ({})
               AND office = ?2 AND (is_open OR received_at >= ?1)",
            ranges.join(" UNION ALL ")
        );
        let mut args: Vec<rusqlite::types::Value> = vec![
            since.into(),
            self.identity.office.clone().into(),
            upto.into(),
        ];
        args.extend(keys.into_iter().map(rusqlite::types::Value::from));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut found = Vec::new();
        while let Some(r) = rows.next()? {
            let description: String = r.get(4)?;
            let address: String = r.get(5)?;
            let location: String = r.get(6)?;
            let phone: String = r.get(7)?;
            let held = Held {
                description: &description,
                address: &address,
                location: &location,
                phone: &phone,
            };
            let Some((score, why)) = probe.judge(&held) else {
                continue;
            };
            let id: String = r.get(0)?;
            let state: String = r.get(2)?;
            found.push(Suggestion {
                case_id: Uuid::parse_str(&id)
                    .map_err(|_| Error::invalid("case", Reason::Malformed))?,
                number: r.get(1)?,
                state: enum_parse(&state)?,
                received_at: r.get(3)?,
                summary: description.chars().take(80).collect(),
                score,
                why,
            });
        }
        Ok(found)
    }
}
