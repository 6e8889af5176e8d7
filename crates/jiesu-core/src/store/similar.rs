//! Likely duplicates of the case being typed ([`crate::similar`]), among this office's open
//! cases and those received in the last 60 days.

use super::*;
use crate::similar::{Draft, Held, Probe, Suggestion};

/// How far back a closed case is still suggested.
pub const RECENT_MS: i64 = 60 * 86_400_000;
/// Suggestions shown at most.
const MAX_SUGGESTIONS: usize = 5;

impl Store {
    /// Cases that may be the problem `draft` describes, most alike first (at most five),
    /// each saying why. Asked as the secretary types: the cases are narrowed in the search
    /// index to those naming one of the draft's buildings, its place or its phone, then
    /// judged here.
    pub fn similar_cases(&self, draft: &Draft) -> Result<Vec<Suggestion>> {
        let probe = Probe::new(draft);
        if !probe.usable() {
            return Ok(Vec::new());
        }
        let since = self.clock.now_ms().saturating_sub(RECENT_MS);
        // The cases naming one of the draft's building spellings, its place or its phone,
        // found in the search index (every substring of a case's text, place, address and
        // phone is a phrase of its bigrams there), then kept to this office's window.
        let mut terms: Vec<String> = Vec::new();
        for b in probe.building_numbers() {
            for suffix in ["栋", "幢", "座", "号楼", "#楼", "号院"] {
                terms.push(format!("{b}{suffix}"));
            }
        }
        for t in [draft.location.trim(), draft.phone.trim()] {
            // A single character matches too much to narrow anything.
            if t.chars().count() >= 2 && !t.contains(char::is_whitespace) {
                terms.push(t.to_owned());
            }
        }
        let fts: Vec<String> = terms
            .iter()
            .map(|t| crate::search::phrase(&crate::search::fold(t)))
            .collect();
        if fts.is_empty() {
            return Ok(Vec::new());
        }
        let args = [
            self.identity.office.clone(),
            since.to_string(),
            fts.join(" OR "),
        ];
        let sql = "SELECT id, number, state, received_at, description, address, location,
                resident_phone
             FROM cases
             WHERE rowid IN (SELECT rowid FROM case_fts WHERE case_fts MATCH ?3)
               AND office = ?1 AND (is_open OR received_at >= CAST(?2 AS INTEGER))"
            .to_owned();
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
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
        found.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(b.received_at.cmp(&a.received_at))
        });
        found.truncate(MAX_SUGGESTIONS);
        Ok(found)
    }
}
