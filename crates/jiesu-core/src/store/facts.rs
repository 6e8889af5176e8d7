//! The stored form of a case's figure facts (`case_facts.fact`): a fixed-width big-endian
//! blob that `schema::UPSERT_FACT` writes in SQL and [`decode_fact`] reads back, so the
//! figures scan never decodes JSON. Migration 11 appends the response words (deadline, first
//! answer) to every v6 fact in SQL; a write appends the visit words too (first visit,
//! per-visit counts). A fact without visit words (a case not folded since) reads as a case
//! whose one visit is both its first and its last: migration 11 refolds every case visited
//! more than once, so that is what it is.

use super::figures::STORED_KEYS;
use crate::figures::{self, FigureRow};
use crate::model::{CaseState, Satisfaction};

/// A figures row and its stored grouping keys (`figure_keys` ids).
pub(super) type Fact = (FigureRow, [u32; STORED_KEYS]);

/// The length of a `case_facts.fact` of the v6 layout (`schema::fact_blob!`).
const FACT_LEN_V6: usize = 6 * 8 + (3 + STORED_KEYS) * 4;

/// The v6 layout and the response words, as migration 11 leaves a fact.
const FACT_LEN_RESPONSE: usize = FACT_LEN_V6 + 2 * 8;

/// The v11 layout (`schema::UPSERT_FACT`): then three words of visits.
const FACT_LEN: usize = FACT_LEN_RESPONSE + 3 * 4;

/// A visit as 8 bits: reachable, contacted, solved 2 bits each (0 absent, 1 no, 2 yes), then
/// satisfaction (0 none, 1 satisfied, 2 basically, 3 dissatisfied) — the v6 flags' layout of
/// the last visit from bit 4.
fn visit_bits(v: Option<figures::Visit>) -> u32 {
    let Some((reach, contacted, solved, sat)) = v else {
        return 0;
    };
    let sat = match sat {
        None => 0,
        Some(Satisfaction::Satisfied) => 1,
        Some(Satisfaction::BasicallySatisfied) => 2,
        Some(Satisfaction::Dissatisfied) => 3,
    };
    (u32::from(reach) + 1)
        | ((u32::from(contacted) + 1) << 2)
        | ((u32::from(solved) + 1) << 4)
        | (sat << 6)
}

fn visit_from_bits(bits: u32) -> Option<figures::Visit> {
    let tri = |shift: u32| match (bits >> shift) & 3 {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    };
    let satisfaction = match (bits >> 6) & 3 {
        1 => Some(Satisfaction::Satisfied),
        2 => Some(Satisfaction::BasicallySatisfied),
        3 => Some(Satisfaction::Dissatisfied),
        _ => None,
    };
    tri(0).map(|reachable| {
        (
            reachable,
            tri(2).unwrap_or(false),
            tri(4).unwrap_or(false),
            satisfaction,
        )
    })
}

/// The v11 words of a case's visits (`?21`–`?23` of `UPSERT_FACT`): the first visit's bits,
/// then the per-visit counts a byte each (saturating), valid to solved, then the three
/// satisfactions.
pub(crate) fn visit_words(c: &crate::model::Case) -> [u32; 3] {
    let (_, first, counts) = figures::case_visits(c);
    let byte = |i: usize| counts[i].min(255);
    [
        visit_bits(first),
        byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24),
        byte(4) | (byte(5) << 8),
    ]
}

/// Read one `case_facts.fact` back (v11, with or without its visit words).
pub(super) fn decode_fact(b: &[u8]) -> Option<Fact> {
    if b.len() != FACT_LEN && b.len() != FACT_LEN_RESPONSE {
        return None;
    }
    let i64_at = |i: usize| i64::from_be_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let i64_after = |i: usize| {
        let at = FACT_LEN_V6 + i * 8;
        i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
    };
    // Words of the v6 part from its first u32, then those after the response words.
    let u32_at = |i: usize| {
        let at = if i < 3 + STORED_KEYS {
            6 * 8 + i * 4
        } else {
            FACT_LEN_RESPONSE + (i - 3 - STORED_KEYS) * 4
        };
        u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
    };
    let optional = |v: i64| (v != i64::MIN).then_some(v);
    let flags = u32_at(0);
    let visit = visit_from_bits(flags >> 4);
    let (first_visit, visits) = if b.len() == FACT_LEN {
        let (a, b) = (u32_at(3 + STORED_KEYS + 1), u32_at(3 + STORED_KEYS + 2));
        let byte = |w: u32, i: u32| (w >> (8 * i)) & 0xff;
        (
            visit_from_bits(u32_at(3 + STORED_KEYS)),
            [
                byte(a, 0),
                byte(a, 1),
                byte(a, 2),
                byte(a, 3),
                byte(b, 0),
                byte(b, 1),
            ],
        )
    } else {
        (visit, figures::visit_counts(visit))
    };
    let row = FigureRow {
        case: i64_at(1),
        state: *CaseState::ALL.get((flags & 0xf) as usize)?,
        received_at: i64_at(0),
        resolved_at: optional(i64_at(2)),
        resolve_due: i64_at(3),
        response_due: i64_after(0),
        responded_at: optional(i64_after(1)),
        due_rank: i64_at(4),
        extensions: u32_at(1),
        redos: u32_at(2),
        visit,
        first_visit,
        visits,
        letter_due: optional(i64_at(5)),
    };
    let mut keys = [0u32; STORED_KEYS];
    for (i, key) in keys.iter_mut().enumerate() {
        *key = u32_at(3 + i);
    }
    Some((row, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::enum_name;

    /// What the one SQL encoder (`schema::UPSERT_FACT`, the v11 layout) writes, the one Rust
    /// decoder reads back: every state, absent and present options, negative times, counts
    /// and keys at their widest.
    #[test]
    fn a_fact_reads_back_as_written() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::store::migrations().to_latest(&mut conn).unwrap();
        let sats = [
            None,
            Some(Satisfaction::Satisfied),
            Some(Satisfaction::BasicallySatisfied),
            Some(Satisfaction::Dissatisfied),
        ];
        let visits = [
            None,
            Some((false, false, false)),
            Some((true, true, false)),
            Some((true, false, true)),
        ];
        let mut n = 0i64;
        for state in CaseState::ALL {
            for (vi, visit) in visits.iter().enumerate() {
                n += 1;
                let sat = sats[(n as usize) % 4];
                let row = FigureRow {
                    case: n * 1_000_003,
                    state,
                    received_at: 1_790_000_000_000 - n * 86_400_000 * 400 * (n % 3),
                    resolved_at: (vi % 2 == 0).then_some(1_790_000_000_000 + n),
                    resolve_due: -n,
                    response_due: 1_790_000_000_000 - n * 7_200_000,
                    responded_at: (vi != 1).then_some(i64::MIN + 1 + n * (vi as i64)),
                    due_rank: i64::MAX - n,
                    extensions: if n == 1 { u32::MAX } else { n as u32 },
                    redos: (n as u32) % 3,
                    visit: visit.map(|(r, c, s)| (r, c, s, sat)),
                    first_visit: visits[(vi + n as usize) % 4]
                        .map(|(r, c, s)| (r, c, s, sats[(n as usize + 1) % 4].filter(|_| r))),
                    visits: [0, 1, 2, 3, 4, 5].map(|i| (n as u32 * 37 + i * 11) % 256),
                    letter_due: (vi == 3).then_some(n),
                };
                let v = &row.visits;
                let words = [
                    visit_bits(row.first_visit),
                    v[0] | (v[1] << 8) | (v[2] << 16) | (v[3] << 24),
                    v[4] | (v[5] << 8),
                ];
                let keys = [n as u32, 1, 2, 3, u32::MAX, 5, 6];
                conn.execute(
                    crate::store::schema::UPSERT_FACT,
                    rusqlite::params![
                        row.received_at,
                        row.case,
                        state.as_str(),
                        row.resolve_due,
                        row.resolved_at,
                        row.due_rank,
                        row.extensions,
                        row.redos,
                        row.visit.map(|v| v.0),
                        row.visit.map(|v| v.1),
                        row.visit.map(|v| v.2),
                        sat.filter(|_| row.visit.is_some()).map(|s| enum_name(&s)),
                        row.letter_due,
                        keys[0],
                        keys[1],
                        keys[2],
                        keys[3],
                        keys[4],
                        keys[5],
                        keys[6],
                        words[0],
                        words[1],
                        words[2],
                        row.response_due,
                        row.responded_at,
                    ],
                )
                .unwrap();
                let blob: Vec<u8> = conn
                    .query_row(
                        "SELECT fact FROM case_facts WHERE case_rowid = ?1",
                        [row.case],
                        |r| r.get(0),
                    )
                    .unwrap();
                let want = FigureRow {
                    visit: row.visit.map(|(r, c, s, _)| (r, c, s, sat)),
                    ..row.clone()
                };
                let (got, got_keys) = decode_fact(&blob).expect("decodes");
                assert_eq!(got, want);
                assert_eq!(got_keys, keys);
                // As migration 11 leaves a fact: its one visit is first and last.
                let (old, old_keys) =
                    decode_fact(&blob[..FACT_LEN_RESPONSE]).expect("migrated fact decodes");
                assert_eq!(
                    old,
                    FigureRow {
                        first_visit: want.visit,
                        visits: figures::visit_counts(want.visit),
                        ..want.clone()
                    }
                );
                assert_eq!(old_keys, keys);
            }
        }
        assert!(decode_fact(&[0; FACT_LEN - 1]).is_none());
        assert!(decode_fact(&[0; FACT_LEN_V6]).is_none());
        assert!(decode_fact(&[0; FACT_LEN_RESPONSE + 4]).is_none());
    }
}
