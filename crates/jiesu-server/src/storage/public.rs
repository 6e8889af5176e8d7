//! What the public face reads (the lookup page, `crate::lookup`): an index kept as events are
//! stored, so a resident's lookup is two indexed reads, never a scan of the log.
//!
//! - `lookups`: per case stream, its number, the hash of its phone's last four digits
//!   ([`jiesu_protocol::public::phone_tail_hash`]) and the newest lookup-code hash (by the
//!   log's order, so a code issued again replaces the old one whatever order pushes arrive in).
//!   A number is not unique here: a hostile office could file a case under another's number,
//!   so a lookup tries the cases of that number ([`MAX_CANDIDATES`] at most) and shows only
//!   the one the code opens: first those bound to it (filed by the device whose server tag
//!   the number carries, [`numbered_by`]), then the rest, each in the order the server
//!   received them. Copies cannot crowd out a case filed after its office enrolled, even
//!   copies filed before it. Known limit: a case numbered before its PC enrolled carries a
//!   tag of the PC's own, so it is unbound and competes with copies by time.
//! - `unit_names`: the handling units' names by (office, code), from `unit_added`, so the page
//!   names a unit without reading an office's configuration stream.
//!
//! Cases pushed before this index existed have no lookup code (codes are as new); their
//! numbers and phone tails are indexed once, by the migration step [`BACKFILL`], so they can
//! be looked up by the phone's last four digits.

use async_trait::async_trait;
use jiesu_protocol::{Event, EventBody};

use super::{Result, postgres, sqlite};

/// What an event adds to the public index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicIndex {
    /// An intake: the case's number and its phone tail's hash.
    Case {
        /// The case number.
        number: String,
        /// [`jiesu_protocol::public::phone_tail_hash`], when the intake has a phone.
        phone_hash: Option<String>,
        /// The number is one the filing device hands out under its server tag
        /// ([`numbered_by`]): such cases are tried first.
        bound: bool,
    },
    /// A lookup code's hash, and where its event sorts in the log.
    Code {
        /// The hash the event carries.
        hash: String,
        /// `wall|counter|id`, zero-padded so that text order is the log's order.
        order: String,
    },
    /// A unit of the writer's office.
    Unit {
        /// Its code.
        code: String,
        /// Its name.
        name: String,
    },
}

/// The index entry an event makes, if any.
pub fn public_index(ev: &Event, device_tag: &str) -> Option<PublicIndex> {
    match &ev.body {
        EventBody::CaseReceived(r) => {
            let case = ev.stream.parse().ok()?;
            Some(PublicIndex::Case {
                number: r.number.clone(),
                phone_hash: jiesu_protocol::public::phone_tail(&r.intake.resident.phone)
                    .map(|tail| jiesu_protocol::public::phone_tail_hash(case, tail)),
                bound: numbered_by(&r.number, device_tag),
            })
        }
        EventBody::CaseLookupCodeSet { hash } => Some(PublicIndex::Code {
            hash: hash.clone(),
            order: format!(
                "{:013}|{:010}|{}",
                ev.hlc.wall_ms.max(0),
                ev.hlc.counter,
                ev.id
            ),
        }),
        EventBody::UnitAdded { code, name } => Some(PublicIndex::Unit {
            code: code.clone(),
            name: name.clone(),
        }),
        _ => None,
    }
}

/// Whether `number` is one a device with server tag `tag` hands out: `YYMMDD-`, the tag,
/// then at least three digits (`jiesu_core`'s numbering). Only that device's cases can be
/// bound to a number, so copies another office files under it are tried after the real one.
pub fn numbered_by(number: &str, tag: &str) -> bool {
    let Some((day, rest)) = number.split_once('-') else {
        return false;
    };
    day.len() == 6
        && day.bytes().all(|b| b.is_ascii_digit())
        && !tag.is_empty()
        && rest
            .strip_prefix(tag)
            .is_some_and(|n| n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A case a number may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRow {
    /// Its stream.
    pub stream: String,
    /// Hash of its phone's last four digits.
    pub phone_hash: Option<String>,
    /// Hash of its newest lookup code.
    pub code_hash: Option<String>,
}

/// How many cases one number may name before the rest are ignored: a number is one case;
/// more only when someone filed copies under it, and a lookup must stay cheap regardless. The
/// case bound to the number (filed by the device whose tag it carries) comes first, then the
/// earliest received, so copies another office files, before or after, cannot crowd it out.
pub const MAX_CANDIDATES: usize = 64;

/// The public index's reads.
#[async_trait]
pub trait Lookups: Send + Sync {
    /// The cases filed under `number` (at most [`MAX_CANDIDATES`]).
    async fn lookup(&self, number: &str) -> Result<Vec<LookupRow>>;
    /// A stream's events as stored (canonical JSON).
    async fn stream_events(&self, stream: &str) -> Result<Vec<String>>;
    /// Unit names `(office, code, name)` of `offices`.
    async fn unit_names(&self, offices: &[String]) -> Result<Vec<(String, String, String)>>;
}

pub(super) const SQLITE_SCHEMA: &str = r#"
CREATE TABLE lookups (
    stream     TEXT PRIMARY KEY,
    number     TEXT,
    phone_hash TEXT,
    code_hash  TEXT,
    code_order TEXT,
    since      TEXT
) STRICT;
CREATE INDEX lookups_by_number ON lookups (number);
CREATE TABLE unit_names (
    office TEXT NOT NULL,
    code   TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (office, code)
) STRICT;
INSERT OR REPLACE INTO unit_names (office, code, name)
SELECT scope_office, json_extract(body, '$.body.payload.code'), json_extract(body, '$.body.payload.name')
FROM events WHERE stream = 'config' AND json_extract(body, '$.body.kind') = 'unit_added'
ORDER BY seq;
"#;

pub(super) const POSTGRES_SCHEMA: &str = r#"
CREATE TABLE lookups (
    stream     TEXT PRIMARY KEY,
    number     TEXT,
    phone_hash TEXT,
    code_hash  TEXT,
    code_order TEXT,
    since      TEXT
);
CREATE INDEX lookups_by_number ON lookups (number);
CREATE TABLE unit_names (
    office TEXT NOT NULL,
    code   TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (office, code)
);
INSERT INTO unit_names (office, code, name)
SELECT DISTINCT ON (scope_office, body::jsonb #>> '{body,payload,code}')
       scope_office, body::jsonb #>> '{body,payload,code}', body::jsonb #>> '{body,payload,name}'
FROM events WHERE stream = 'config' AND body::jsonb #>> '{body,kind}' = 'unit_added'
ORDER BY scope_office, body::jsonb #>> '{body,payload,code}', seq DESC;
"#;

/// The migration step after which each backend indexes, in Rust, the intakes stored before
/// the index existed (their numbers and phone tails; codes are as new as the index): a
/// comment, the work is the backends' hook (`sqlite::backfill`, `postgres::backfill`).
pub(super) const BACKFILL: &str = "-- intakes stored before the lookup index: indexed by a hook";

/// What an intake stored before the index adds to it, from its stored JSON and its device's
/// tag.
pub(super) fn backfill_entry(body: &str, tag: &str) -> Option<PublicIndex> {
    let ev: Event = serde_json::from_str(body).ok()?;
    match public_index(&ev, tag)? {
        e @ PublicIndex::Case { .. } => Some(e),
        _ => None,
    }
}

/// The write an index entry makes, as SQL with `?n` placeholders (both backends: the
/// PostgreSQL one swaps `?` for `$`), and its parameters.
pub(super) fn index_write(
    entry: &PublicIndex,
    stream: &str,
    office: &str,
    now_ms: i64,
) -> (&'static str, Vec<String>) {
    match entry {
        // The first intake of a stream names it; a second is a conflict the fold keeps.
        PublicIndex::Case {
            number,
            phone_hash,
            bound,
        } => (
            "INSERT INTO lookups (stream, number, phone_hash, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (stream) DO UPDATE SET number = excluded.number,
                 phone_hash = excluded.phone_hash, since = excluded.since
             WHERE lookups.number IS NULL",
            vec![
                stream.to_owned(),
                number.clone(),
                phone_hash.clone().unwrap_or_default(),
                // Bound cases sort before unbound ones, each by when the server received
                // them (rows from before binding, all digits, sort first of all).
                format!("{}|{:015}", if *bound { 0 } else { 1 }, now_ms.max(0)),
            ],
        ),
        PublicIndex::Code { hash, order } => (
            "INSERT INTO lookups (stream, code_hash, code_order) VALUES (?1, ?2, ?3)
             ON CONFLICT (stream) DO UPDATE SET code_hash = excluded.code_hash,
                 code_order = excluded.code_order
             WHERE lookups.code_order IS NULL OR lookups.code_order < excluded.code_order",
            vec![stream.to_owned(), hash.clone(), order.clone()],
        ),
        PublicIndex::Unit { code, name } => (
            "INSERT INTO unit_names (office, code, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (office, code) DO UPDATE SET name = excluded.name",
            vec![office.to_owned(), code.clone(), name.clone()],
        ),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[async_trait]
impl Lookups for std::sync::Arc<sqlite::SqliteStorage> {
    async fn lookup(&self, number: &str) -> Result<Vec<LookupRow>> {
        let number = number.to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT stream, phone_hash, code_hash FROM lookups WHERE number = ?1
                     ORDER BY since, stream LIMIT ?2",
                )
                .map_err(sqlite::backend)?;
            st.query_map(rusqlite::params![number, MAX_CANDIDATES as i64], |r| {
                Ok(LookupRow {
                    stream: r.get(0)?,
                    phone_hash: non_empty(r.get(1)?),
                    code_hash: non_empty(r.get(2)?),
                })
            })
            .map_err(sqlite::backend)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sqlite::backend)
        })
        .await
    }

    async fn stream_events(&self, stream: &str) -> Result<Vec<String>> {
        let stream = stream.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT body FROM events WHERE stream = ?1 ORDER BY seq")
                .map_err(sqlite::backend)?
                .query_map([stream], |r| r.get(0))
                .map_err(sqlite::backend)?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(sqlite::backend)
        })
        .await
    }

    async fn unit_names(&self, offices: &[String]) -> Result<Vec<(String, String, String)>> {
        let offices = offices.to_vec();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached("SELECT office, code, name FROM unit_names WHERE office = ?1")
                .map_err(sqlite::backend)?;
            let mut out = Vec::new();
            for o in &offices {
                let rows = st
                    .query_map([o], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .map_err(sqlite::backend)?;
                for row in rows {
                    out.push(row.map_err(sqlite::backend)?);
                }
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl Lookups for postgres::PostgresStorage {
    async fn lookup(&self, number: &str) -> Result<Vec<LookupRow>> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT stream, phone_hash, code_hash FROM lookups WHERE number = $1
             ORDER BY since, stream LIMIT $2",
            &[&number, &(MAX_CANDIDATES as i64)],
        )
        .await
        .map_err(postgres::backend)?
        .iter()
        .map(|r| LookupRow {
            stream: r.get(0),
            phone_hash: non_empty(r.get(1)),
            code_hash: non_empty(r.get(2)),
        })
        .collect())
    }

    async fn stream_events(&self, stream: &str) -> Result<Vec<String>> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT body FROM events WHERE stream = $1 ORDER BY seq",
            &[&stream],
        )
        .await
        .map_err(postgres::backend)?
        .iter()
        .map(|r| r.get(0))
        .collect())
    }

    async fn unit_names(&self, offices: &[String]) -> Result<Vec<(String, String, String)>> {
        let c = self.client().await?;
        Ok(c.query(
            "SELECT office, code, name FROM unit_names WHERE office = ANY($1)",
            &[&offices],
        )
        .await
        .map_err(postgres::backend)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_order_sorts_as_the_log_does() {
        let order = |wall: i64, counter: u32, id: u128| {
            let ev = Event {
                id: uuid::Uuid::from_u128(id),
                stream: uuid::Uuid::from_u128(1).to_string(),
                hlc: jiesu_protocol::Hlc {
                    wall_ms: wall,
                    counter,
                },
                author: String::new(),
                account: None,
                device: "d".into(),
                office: "hm".into(),
                body: EventBody::CaseLookupCodeSet {
                    hash: "0".repeat(64),
                },
                prev: None,
                sig: None,
            };
            match public_index(&ev, "AB") {
                Some(PublicIndex::Code { order, .. }) => order,
                other => panic!("{other:?}"),
            }
        };
        let mut keys = [
            (order(1_780_000_000_000, 2, 1), 3),
            (order(999_999_999_999, 9, 9), 0),
            (order(1_780_000_000_000, 1, 5), 2),
            (order(1_780_000_000_000, 1, 4), 1),
            (order(4_102_444_799_999, 0, 0), 4),
        ];
        keys.sort();
        assert_eq!(
            keys.iter().map(|k| k.1).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn a_number_is_bound_only_to_the_tag_it_carries() {
        assert!(numbered_by("261204-AB001", "AB"));
        assert!(numbered_by("261204-AB1234", "AB"));
        assert!(numbered_by("261204-AB2001", "AB2"), "three-character tags");
        assert!(!numbered_by("261204-AC001", "AB"));
        assert!(!numbered_by("261204-AB01", "AB"), "at least three digits");
        assert!(!numbered_by("261204-AB001X", "AB"));
        assert!(!numbered_by("26124-AB001", "AB"));
        assert!(!numbered_by("BENCH-0000001", "AB"));
        assert!(!numbered_by("261204-001", ""), "no tag binds nothing");
    }
}
