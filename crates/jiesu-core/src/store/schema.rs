//! The schema, as forward-only migrations compiled into the binary.
//!
//! Each entry of [`MIGRATIONS`] is applied once, in order, tracked by SQLite's `user_version`.
//! Never edit a released entry: add a new one. `tests/it/migrations.rs` opens databases stopped
//! at every earlier version and checks they upgrade with their events intact.

use rusqlite_migration::{M, Migrations};

/// The SQL expression that packs what the figures judge of a case into one fixed-layout BLOB
/// (`case_facts.fact`), given an SQL expression for each field. One expression serves the v6
/// migration (over v5's columns) and every later write (over parameters), so the layout is
/// written in one place; [`super::figures`] reads it back (`Fact::decode`).
///
/// Big-endian, because SQL can only spell it as hex: received_at, case_rowid, resolved_at,
/// resolve_due, due_rank, letter_due as i64 (absent: `i64::MIN`); then as u32: the flags
/// (state code, bits 0–3, in `CaseState::ALL` order; the visit's reachable, contacted and
/// solved, 2 bits each from bit 4: 0 absent, 1 no, 2 yes; satisfaction in bits 10–11: 0 none,
/// 1 satisfied, 2 basically, 3 dissatisfied), extensions, redos, and the `figure_keys` ids of
/// the unit, category levels 1 and 2, channel, building, office and the whole category.
macro_rules! fact_blob {
    ($($field:literal),+ $(,)?) => {
        concat!("unhex(", fact_hex!($($field),+), ")")
    };
}

/// [`fact_blob`]'s layout as hex text, so a later layout can append to it (SQLite's `||`
/// makes text of two BLOBs).
macro_rules! fact_hex {
    ($received:literal, $rowid:literal, $state:literal, $resolved:literal, $due:literal,
     $rank:literal, $ext:literal, $redo:literal, $reach:literal, $contacted:literal,
     $solved:literal, $sat:literal, $letter:literal, $unit:literal, $cat1:literal,
     $cat2:literal, $channel:literal, $building:literal, $office:literal, $category:literal) => {
        concat!(
            "printf('%016x%016x%016x%016x%016x%016x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x', ",
            $received,
            ", ",
            $rowid,
            ", coalesce(",
            $resolved,
            ", -9223372036854775808), ",
            $due,
            ", ",
            $rank,
            ", coalesce(",
            $letter,
            ", -9223372036854775808), ",
            "(CASE ",
            $state,
            " WHEN 'received' THEN 0 WHEN 'dispatched' THEN 1 ",
            "WHEN 'handling' THEN 2 WHEN 'returned' THEN 3 WHEN 'resolved' THEN 4 ",
            "WHEN 'visited' THEN 5 WHEN 'archived' THEN 6 WHEN 'withdrawn' THEN 7 ",
            "WHEN 'merged' THEN 8 ELSE 15 END)",
            " | (coalesce(",
            $reach,
            " + 1, 0) << 4) | (coalesce(",
            $contacted,
            " + 1, 0) << 6)",
            " | (coalesce(",
            $solved,
            " + 1, 0) << 8)",
            " | ((CASE ",
            $sat,
            " WHEN 'satisfied' THEN 1 WHEN 'basically_satisfied' THEN 2 ",
            "WHEN 'dissatisfied' THEN 3 ELSE 0 END) << 10), ",
            $ext,
            ", ",
            $redo,
            ", ",
            $unit,
            ", ",
            $cat1,
            ", ",
            $cat2,
            ", ",
            $channel,
            ", ",
            $building,
            ", ",
            $office,
            ", ",
            $category,
            ")"
        )
    };
}

/// The response words of the v11 layout as hex text.
macro_rules! response_hex {
    ($due:literal, $responded:literal) => {
        concat!(
            "printf('%016x%016x', ",
            $due,
            ", coalesce(",
            $responded,
            ", -9223372036854775808))"
        )
    };
}

/// The case-facts upsert of every write: the v11 layout over parameters — the v6 layout
/// ([`fact_blob`]), the response deadline and first answer as i64 (`?24`, `?25`; absent:
/// `i64::MIN`), then three u32 of the visits (`?21`–`?23`, see `facts::visit_words`).
/// Migration 11 writes the first two parts; such a fact still reads (`facts::decode_fact`):
/// its only visit is its first and its last.
pub(super) const UPSERT_FACT: &str = concat!(
    "INSERT OR REPLACE INTO case_facts (received_at, case_rowid, resolve_due, fact) VALUES (?1, ?2, ?4, unhex(",
    fact_hex!(
        "?1", "?2", "?3", "?5", "?4", "?6", "?7", "?8", "?9", "?10", "?11", "?12", "?13", "?14",
        "?15", "?16", "?17", "?18", "?19", "?20"
    ),
    " || ",
    response_hex!("?24", "?25"),
    " || printf('%08x%08x%08x', ?21, ?22, ?23)))"
);

/// `log::IdColumn`'s rule in SQL for v24's copy of the log: an id spelled as a lowercase
/// hyphenated UUID becomes its 16 bytes, any other text stays as it is.
macro_rules! id_key {
    ($x:literal) => {
        concat!(
            "CASE WHEN ", $x, " GLOB '", "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]", "' THEN unhex(replace(", $x,
            ", '-', '')) ELSE ", $x, " END"
        )
    };
}

/// The migrations, oldest first.
pub const MIGRATIONS: &[&str] = &[
    // v1: the event log, and the case projection with its search index.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The log. `seq` is this replica's arrival order (a sync cursor), not the fold order.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    stream      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    author      TEXT NOT NULL,
    device      TEXT NOT NULL,
    office      TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_stream ON events (stream, hlc_wall, hlc_counter, id);
CREATE INDEX events_by_hlc ON events (hlc_wall, hlc_counter);
-- Nothing is edited in place or deleted: the database itself refuses.
CREATE TRIGGER events_are_immutable BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are never deleted'); END;

-- Projection: one row per case. `doc` is the whole Case; the other columns serve filters,
-- sorts and search. `fold_*` is the order key of the last event folded in.
CREATE TABLE cases (
    rowid          INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    number         TEXT NOT NULL,
    office         TEXT NOT NULL,
    state          TEXT NOT NULL,
    is_open        INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    category       TEXT NOT NULL,
    cat1           TEXT NOT NULL,
    cat2           TEXT NOT NULL,
    urgency        TEXT NOT NULL,
    handling_unit  TEXT,
    resident_name  TEXT NOT NULL,
    resident_phone TEXT NOT NULL,
    address        TEXT NOT NULL,
    description    TEXT NOT NULL,
    location       TEXT NOT NULL,
    work_order_no  TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    response_due   INTEGER NOT NULL,
    resolve_due    INTEGER NOT NULL,
    resolved_at    INTEGER,
    due_rank       INTEGER NOT NULL,
    search_text    TEXT NOT NULL,
    fold_wall      INTEGER NOT NULL,
    fold_counter   INTEGER NOT NULL,
    fold_id        TEXT NOT NULL,
    doc            TEXT NOT NULL
) STRICT;
CREATE INDEX cases_by_received ON cases (received_at);
CREATE INDEX cases_by_state ON cases (state, received_at);
-- "These states, most urgent first" sorts index entries alone (see Store::list_cases).
CREATE INDEX cases_by_state_due ON cases (state, due_rank);
-- A category filter at level 1, 2 or 3 is an equality on cat1, cat2 or category, so the
-- index also yields received order (a prefix range would not).
CREATE INDEX cases_by_cat1 ON cases (cat1, received_at);
CREATE INDEX cases_by_cat2 ON cases (cat2, received_at);
CREATE INDEX cases_by_category ON cases (category, received_at);
CREATE INDEX cases_by_unit ON cases (handling_unit, received_at);
CREATE INDEX cases_by_channel ON cases (channel, received_at);
-- Open cases rank by resolve deadline, closed ones after them all: "most urgent first",
-- "overdue" and "due soon" are each one walk of this index.
CREATE INDEX cases_by_due ON cases (due_rank);
CREATE INDEX cases_by_phone ON cases (resident_phone, received_at);
CREATE INDEX cases_by_number ON cases (number);

-- Events that arrived concurrently and could not apply where the fold put them.
CREATE TABLE event_conflicts (
    event_id TEXT PRIMARY KEY,
    stream   TEXT NOT NULL,
    reason   TEXT NOT NULL
) STRICT;
CREATE INDEX event_conflicts_by_stream ON event_conflicts (stream);

-- Unigram/bigram index, see search.rs. rowid = cases.rowid.
CREATE VIRTUAL TABLE case_fts USING fts5 (
    uni, bi, content = '', contentless_delete = 1, tokenize = 'ascii'
);

-- Configuration projections.
CREATE TABLE units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;
CREATE TABLE calendar_days (
    date    TEXT PRIMARY KEY,
    working INTEGER NOT NULL
) STRICT;
"#,
    // v2: what the sync server has acknowledged. Not a projection: the server's receipts are
    // facts from outside the log (its sequence and its clock), kept beside it.
    r#"
CREATE TABLE receipts (
    event_id    TEXT PRIMARY KEY,
    server_seq  INTEGER NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
-- Streams whose events a bulk pull stored without folding; folded once each by settle().
CREATE TABLE dirty_streams (
    stream TEXT PRIMARY KEY
) STRICT;
"#,
    // v3: meetings, and what cases need for them (origin meeting, commitment-letter deadline).
    r#"
ALTER TABLE cases ADD COLUMN meeting_id TEXT;
ALTER TABLE cases ADD COLUMN letter_due INTEGER;
CREATE INDEX cases_by_meeting ON cases (meeting_id) WHERE meeting_id IS NOT NULL;
CREATE INDEX cases_by_letter ON cases (letter_due) WHERE letter_due IS NOT NULL;

-- Projection: one row per meeting; `doc` is the whole Meeting.
CREATE TABLE meetings (
    rowid        INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    office       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    minutes      TEXT NOT NULL,
    fold_wall    INTEGER NOT NULL,
    fold_counter INTEGER NOT NULL,
    fold_id      TEXT NOT NULL,
    doc          TEXT NOT NULL
) STRICT;
CREATE INDEX meetings_by_start ON meetings (starts_at);
-- Which meetings opened or discussed a case: the case page links back to them.
CREATE TABLE meeting_cases (
    meeting_id TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    PRIMARY KEY (meeting_id, case_id)
) STRICT;
CREATE INDEX meeting_cases_by_case ON meeting_cases (case_id);
"#,
    // v4: what the figures read, in a narrow table beside the wide case rows (a month at a
    // million cases reads ~90k of them: through `cases` that drags each row's document along),
    // filled from each case's document for stores older than this version.
    r#"
CREATE TABLE case_figures (
    case_rowid      INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    state           TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    resolved_at     INTEGER,
    resolve_due     INTEGER NOT NULL,
    due_rank        INTEGER NOT NULL,
    extension_count INTEGER NOT NULL,
    redo_count      INTEGER NOT NULL,
    visit_reachable INTEGER,
    visit_contacted INTEGER,
    visit_solved    INTEGER,
    satisfaction    TEXT,
    letter_due      INTEGER,
    handling_unit   TEXT NOT NULL,
    category        TEXT NOT NULL,
    cat1            TEXT NOT NULL,
    cat2            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    building        TEXT NOT NULL,
    office          TEXT NOT NULL
) STRICT;
INSERT INTO case_figures
SELECT rowid, id, state, received_at, resolved_at, resolve_due, due_rank,
       coalesce(json_extract(doc, '$.extension_count'), 0),
       coalesce(json_extract(doc, '$.redo_count'), 0),
       json_extract(doc, '$.visit.reachable'), json_extract(doc, '$.visit.contacted'),
       json_extract(doc, '$.visit.solved'), json_extract(doc, '$.visit.satisfaction'),
       letter_due, coalesce(handling_unit, ''), category, cat1, cat2, channel,
       coalesce(json_extract(doc, '$.address.building'), ''), json_extract(doc, '$.office')
FROM cases;
CREATE INDEX case_figures_by_received ON case_figures (received_at);
CREATE INDEX case_figures_by_due ON case_figures (resolve_due);
-- Configuration projection: settings kept as one JSON value each (figure settings).
CREATE TABLE config_values (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
"#,
    // v5: what the figures read, clustered by receipt (a period is one contiguous range of the
    // table, no lookup per row), its grouping keys dictionary-coded (`figure_keys`: six
    // integers per case instead of strings to hash), the case found by its rowid. The v4 rows
    // are carried over, not recomputed; `case_rowid` is unique so an upsert replaces a case's
    // row wherever it sits.
    r#"
CREATE TABLE figure_keys (
    id    INTEGER PRIMARY KEY,
    value TEXT NOT NULL UNIQUE
) STRICT;
INSERT OR IGNORE INTO figure_keys (value)
    SELECT handling_unit FROM case_figures UNION SELECT cat1 FROM case_figures
    UNION SELECT cat2 FROM case_figures UNION SELECT channel FROM case_figures
    UNION SELECT building FROM case_figures UNION SELECT office FROM case_figures;
CREATE TABLE case_facts (
    received_at     INTEGER NOT NULL,
    case_rowid      INTEGER NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    resolved_at     INTEGER,
    resolve_due     INTEGER NOT NULL,
    due_rank        INTEGER NOT NULL,
    extension_count INTEGER NOT NULL,
    redo_count      INTEGER NOT NULL,
    visit_reachable INTEGER,
    visit_contacted INTEGER,
    visit_solved    INTEGER,
    satisfaction    TEXT,
    letter_due      INTEGER,
    category        TEXT NOT NULL,
    unit_key        INTEGER NOT NULL REFERENCES figure_keys (id),
    cat1_key        INTEGER NOT NULL REFERENCES figure_keys (id),
    cat2_key        INTEGER NOT NULL REFERENCES figure_keys (id),
    channel_key     INTEGER NOT NULL REFERENCES figure_keys (id),
    building_key    INTEGER NOT NULL REFERENCES figure_keys (id),
    office_key      INTEGER NOT NULL REFERENCES figure_keys (id),
    PRIMARY KEY (received_at, case_rowid)
) STRICT, WITHOUT ROWID;
INSERT INTO case_facts
SELECT f.received_at, f.case_rowid, f.state, f.resolved_at, f.resolve_due, f.due_rank,
       f.extension_count, f.redo_count, f.visit_reachable, f.visit_contacted, f.visit_solved,
       f.satisfaction, f.letter_due, f.category,
       (SELECT id FROM figure_keys WHERE value = f.handling_unit),
       (SELECT id FROM figure_keys WHERE value = f.cat1),
       (SELECT id FROM figure_keys WHERE value = f.cat2),
       (SELECT id FROM figure_keys WHERE value = f.channel),
       (SELECT id FROM figure_keys WHERE value = f.building),
       (SELECT id FROM figure_keys WHERE value = f.office)
FROM case_figures f;
DROP TABLE case_figures;
CREATE INDEX case_facts_by_due ON case_facts (resolve_due);
"#,
    // v6: the facts of a case packed into one BLOB (see `fact_blob!`): a dashboard at a million
    // cases decodes ~100k rows, and SQLite decoding 19 columns of each was most of its time.
    // The grouping keys move into the BLOB too (filters are judged in Rust over the decoded
    // keys; the key columns had no index anyway), and the whole category becomes a key.
    concat!(
        r#"
INSERT OR IGNORE INTO figure_keys (value) SELECT DISTINCT category FROM case_facts;
CREATE TABLE case_facts_v6 (
    received_at INTEGER NOT NULL,
    case_rowid  INTEGER NOT NULL UNIQUE,
    resolve_due INTEGER NOT NULL,
    fact        BLOB NOT NULL,
    PRIMARY KEY (received_at, case_rowid)
) STRICT, WITHOUT ROWID;
INSERT INTO case_facts_v6
SELECT received_at, case_rowid, resolve_due, "#,
        fact_blob!(
            "received_at",
            "case_rowid",
            "state",
            "resolved_at",
            "resolve_due",
            "due_rank",
            "extension_count",
            "redo_count",
            "visit_reachable",
            "visit_contacted",
            "visit_solved",
            "satisfaction",
            "letter_due",
            "unit_key",
            "cat1_key",
            "cat2_key",
            "channel_key",
            "building_key",
            "office_key",
            "(SELECT id FROM figure_keys WHERE value = category)"
        ),
        r#"
FROM case_facts;
DROP TABLE case_facts;
ALTER TABLE case_facts_v6 RENAME TO case_facts;
CREATE INDEX case_facts_by_due ON case_facts (resolve_due);
"#
    ),
    // v7: receipts keyed by the event's place in this log instead of its id's text. A first
    // sync stores a receipt per pulled event: keyed by id, each went into a second b-tree in
    // random order (the ids' order is not the feed's), dirtying a page per event; keyed by
    // `seq`, they are appended in order, in a third of the room. Every receipt's event is held
    // (receipts come with pulled events or for events this device pushed).
    r#"
CREATE TABLE receipts_v7 (
    event_seq   INTEGER PRIMARY KEY,
    server_seq  INTEGER NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
INSERT INTO receipts_v7 (event_seq, server_seq, received_ms)
SELECT e.seq, r.server_seq, r.received_ms FROM receipts r JOIN events e ON e.id = r.event_id;
DROP TABLE receipts;
ALTER TABLE receipts_v7 RENAME TO receipts;
"#,
    // v8: photos this replica has a case for but not the bytes of, to fetch from the server.
    // A work list, not a projection: a row goes when the photo arrives. Seeded from every
    // intake with a photo; those already on disk are dropped at the first look.
    r#"
CREATE TABLE attachment_wants (
    sha256   TEXT PRIMARY KEY,
    tried_ms INTEGER
) STRICT;
INSERT OR IGNORE INTO attachment_wants (sha256)
SELECT json_extract(payload, '$.attachment.sha256') FROM events
WHERE kind = 'case_received' AND json_extract(payload, '$.attachment.sha256') IS NOT NULL
ORDER BY seq;
"#,
    // v9: authority (`crate::authority`). A unit added by an office this one does not answer
    // to is named here but not offered for dispatch (`applies`); the configuration is folded
    // again under the rules when the store next opens (`refold_config`); every case and
    // meeting remembers the device that filed it, the only one that may assign it an office.
    r#"
ALTER TABLE units ADD COLUMN applies INTEGER NOT NULL DEFAULT 1;
INSERT INTO meta (key, value) VALUES ('refold_config', '1')
    ON CONFLICT (key) DO UPDATE SET value = '1';
UPDATE cases SET doc = json_set(doc, '$.filed_by', coalesce(
    (SELECT device FROM events e WHERE e.stream = cases.id AND e.kind = 'case_received'
     ORDER BY e.hlc_wall, e.hlc_counter, e.id LIMIT 1), ''));
UPDATE meetings SET doc = json_set(doc, '$.filed_by', coalesce(
    (SELECT device FROM events e WHERE e.stream = meetings.id AND e.kind = 'meeting_scheduled'
     ORDER BY e.hlc_wall, e.hlc_counter, e.id LIMIT 1), ''));
"#,
    // v10: a case filed before its device enrolled counts from the server's receipt of its
    // intake (`crate::reclock::receipt_shift`): fold those already received again when the store
    // next opens (`Store::settle`).
    r#"
INSERT OR IGNORE INTO dirty_streams (stream)
SELECT e.stream FROM events e JOIN receipts r ON r.event_seq = e.seq
WHERE e.kind = 'case_received' AND e.office = 'local';
"#,
    // v11: the figures measure the first response (`case_facts` gains the response deadline
    // and first answer, filled here from each case's row) and count the first or every return
    // visit when the office says so (`crate::figures::VisitRule`): a case visited more than
    // once is folded again when the store next opens, to keep all its visits.
    concat!(
        "UPDATE case_facts SET fact = unhex(hex(fact) || (SELECT ",
        response_hex!("c.response_due", "json_extract(c.doc, '$.responded_at')"),
        r#" FROM cases c WHERE c.rowid = case_facts.case_rowid))
WHERE case_rowid IN (SELECT rowid FROM cases);
DELETE FROM case_facts WHERE case_rowid NOT IN (SELECT rowid FROM cases);
INSERT OR IGNORE INTO dirty_streams (stream)
SELECT stream FROM events WHERE kind = 'case_visited' GROUP BY stream HAVING count(*) > 1;
"#
    ),
    // v12: accounts (`crate::access`). Each event names the account that wrote it (NULL for
    // those written before accounts); `accounts` is the fold of the account events per office
    // (`owner`: the office id, or `device:<id>` for an unenrolled device's); `credentials`
    // holds this PC's Argon2id password hashes, which never leave it.
    r#"
ALTER TABLE events ADD COLUMN account TEXT;
CREATE TABLE accounts (
    owner  TEXT NOT NULL,
    id     TEXT NOT NULL,
    login  TEXT NOT NULL,
    name   TEXT NOT NULL,
    role   TEXT NOT NULL,
    active INTEGER NOT NULL,
    PRIMARY KEY (owner, id)
) STRICT;
CREATE TABLE credentials (
    account TEXT PRIMARY KEY,
    phc     TEXT NOT NULL
) STRICT;
"#,
    // v13: every deliberate showing of a resident's full number, name or address
    // (`Store::reveal`), kept like the log: appended, never changed.
    r#"
CREATE TABLE access_log (
    seq     INTEGER PRIMARY KEY,
    at_ms   INTEGER NOT NULL,
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    case_id TEXT NOT NULL,
    number  TEXT NOT NULL,
    field   TEXT NOT NULL
) STRICT;
CREATE TRIGGER access_log_is_immutable BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is immutable'); END;
CREATE TRIGGER access_log_is_kept BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is immutable'); END;
"#,
    // v14: seals (`jiesu_protocol::seal`). Each event keeps its chain link and signature (NULL
    // on those written before seals); `chain_heads` is the latest event of each device's chain
    // on each stream as this replica received it, so a deleted latest step is noticed too;
    // `device_keys` the public keys the server registered, as pulls delivered them.
    r#"
ALTER TABLE events ADD COLUMN prev TEXT;
ALTER TABLE events ADD COLUMN sig TEXT;
CREATE TABLE chain_heads (
    device TEXT NOT NULL,
    stream TEXT NOT NULL,
    hash   TEXT NOT NULL,
    PRIMARY KEY (device, stream)
) STRICT, WITHOUT ROWID;
CREATE TABLE device_keys (
    device     TEXT PRIMARY KEY,
    public_key TEXT NOT NULL
) STRICT;
"#,
    // v15: 12345 imports find the case a work order already became by its number.
    r#"
CREATE INDEX cases_by_work_order ON cases (work_order_no) WHERE work_order_no <> '';
"#,
    // v16: links read from both ends. A link is a step on one case's stream (the case that was
    // linked or merged); `case_links` lets the other case find it by its own id. Derived from
    // the case projection, so filled here from the cases already folded.
    r#"
CREATE TABLE case_links (
    case_id TEXT NOT NULL,
    other   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    PRIMARY KEY (case_id, other)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_links_by_other ON case_links (other);
INSERT OR IGNORE INTO case_links (case_id, other, kind)
SELECT c.id, l.value ->> 'other', l.value ->> 'kind'
FROM cases c, json_each(c.doc, '$.links') l
WHERE l.value ->> 'other' IS NOT NULL AND l.value ->> 'kind' IS NOT NULL;
"#,
    // v17: the searchable text holds the names of the case's category levels (停车 finds what
    // is filed under 停车管理). Made in Rust from each case when the store next opens
    // (`reindex_search`).
    r#"
INSERT OR REPLACE INTO meta (key, value) VALUES ('reindex_search', '1');
"#,
    // v18: the residents' lookup codes this PC issued (`store/lookup.rs`). The log holds only
    // their hashes; the code itself stays here, inside the encrypted store, so the receipt can
    // be printed again. Not derived from events: a rebuild of the projections keeps it.
    r#"
CREATE TABLE lookup_codes (
    case_id TEXT PRIMARY KEY,
    code    TEXT NOT NULL
) STRICT;
"#,
    // v19: rectification campaigns (专项整改, `store/campaigns.rs`). `campaigns` is the fold of
    // the `campaign_opened` events this replica keeps (its own, those from above, those from
    // below it watches); each case names the campaign it is a site of. No store before this
    // version holds either, so nothing is filled here.
    r#"
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    office      TEXT NOT NULL,
    author      TEXT NOT NULL,
    opened_at   INTEGER NOT NULL,
    due         INTEGER NOT NULL,
    category    TEXT NOT NULL,
    charter     TEXT NOT NULL
) STRICT;
ALTER TABLE cases ADD COLUMN campaign_id TEXT;
CREATE INDEX cases_by_campaign ON cases (campaign_id) WHERE campaign_id IS NOT NULL;
"#,
    // v20: a merge can be undone (`case_unmerged`), back to the state the case was merged
    // from, which the fold now keeps (`Case::merged_from`): merged cases are folded again when
    // the store next opens.
    r#"
INSERT OR IGNORE INTO dirty_streams (stream) SELECT id FROM cases WHERE state = 'merged';
"#,
    // v21: likely duplicates are found by what a case shares with the draft (building, spot,
    // phone: `crate::similar::place_keys`), each case's keys kept here with the last moment it
    // is still suggested (`until`: its receipt once closed, forever while open), so a draft's
    // candidates are one index range per key. Filled in Rust from the cases already folded
    // when the store next opens (`case_rows::index_places`).
    r#"
CREATE TABLE case_places (
    case_rowid INTEGER NOT NULL,
    key        INTEGER NOT NULL,
    until      INTEGER NOT NULL,
    PRIMARY KEY (case_rowid, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_places_by_key ON case_places (key, until);
INSERT OR REPLACE INTO meta (key, value) VALUES ('index_places', '1');
"#,
    // v22: each office's account roles through time, as the config fold accepted them
    // (`store/roles.rs`), so steps from other PCs fold against the role their account held
    // then. Filled by folding the configuration again when the store next opens, which also
    // folds again the streams holding a step the history refuses.
    r#"
CREATE TABLE account_roles (
    owner       TEXT NOT NULL,
    account     TEXT NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    role        TEXT NOT NULL,
    active      INTEGER NOT NULL,
    PRIMARY KEY (owner, account, hlc_wall, hlc_counter, event_id)
) STRICT, WITHOUT ROWID;
INSERT OR REPLACE INTO meta (key, value) VALUES ('check_accounts', '1');
"#,
    // v23: a campaign's opener changes it (`campaign_amended`: extended, edited, offices
    // added, closed, opened again). The config fold keeps each change it accepts here, in
    // fold order, for the board's record, and updates the charter in `campaigns`. No store
    // before this version holds one, so nothing is filled here.
    r#"
CREATE TABLE campaign_changes (
    seq      INTEGER PRIMARY KEY,
    campaign TEXT NOT NULL,
    at       INTEGER NOT NULL,
    author   TEXT NOT NULL,
    change   TEXT NOT NULL
) STRICT;
CREATE INDEX campaign_changes_by_campaign ON campaign_changes (campaign, seq);
"#,
    // v24: the log in a third less room (`log::IdColumn`, `log::SealColumn`). Ids (`id`,
    // `stream`, `device`, `account`) spelled as lowercase hyphenated UUIDs, as every id this
    // app makes is, are kept as their 16 bytes, in the row and in each index; a seal's link
    // (32 bytes) and signature (64) spelled in lowercase hex, as every seal spells them, as
    // their bytes too; `chain_heads` the same way. Any other spelling a PC sent stays the
    // text it was, so the log reads back exactly what was received. A column of a STRICT
    // table cannot change its type in place: the log is copied into a table declaring them
    // ANY, keeping every `seq`, then its indexes and guards are made again. The old table's
    // pages are handed back when the store next opens (`compact_after_upgrade`: VACUUM,
    // outside any transaction).
    concat!(
        "
CREATE TABLE events_v24 (
    seq         INTEGER PRIMARY KEY,
    id          ANY NOT NULL UNIQUE,
    stream      ANY NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    author      TEXT NOT NULL,
    device      ANY NOT NULL,
    office      TEXT NOT NULL,
    account     ANY,
    prev        ANY,
    sig         ANY
) STRICT;
INSERT INTO events_v24
SELECT seq, ",
        id_key!("id"),
        ", ",
        id_key!("stream"),
        ", kind, payload, hlc_wall, hlc_counter, author, ",
        id_key!("device"),
        ", office, ",
        id_key!("account"),
        ",
       CASE WHEN prev GLOB '*[^0-9a-f]*' OR length(prev) % 2 THEN prev ELSE unhex(prev) END,
       CASE WHEN sig GLOB '*[^0-9a-f]*' OR length(sig) % 2 THEN sig ELSE unhex(sig) END
FROM events ORDER BY seq;
DROP TABLE events;
ALTER TABLE events_v24 RENAME TO events;
CREATE INDEX events_by_stream ON events (stream, hlc_wall, hlc_counter, id);
CREATE INDEX events_by_hlc ON events (hlc_wall, hlc_counter);
CREATE TRIGGER events_are_immutable BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are never deleted'); END;
CREATE TABLE chain_heads_v24 (
    device ANY NOT NULL,
    stream ANY NOT NULL,
    hash   ANY NOT NULL,
    PRIMARY KEY (device, stream)
) STRICT, WITHOUT ROWID;
INSERT INTO chain_heads_v24
SELECT ",
        id_key!("device"),
        ", ",
        id_key!("stream"),
        ",
       CASE WHEN hash GLOB '*[^0-9a-f]*' OR length(hash) % 2 THEN hash ELSE unhex(hash) END
FROM chain_heads;
DROP TABLE chain_heads;
ALTER TABLE chain_heads_v24 RENAME TO chain_heads;
-- Before this version a case id spelled otherwise (capitals, braces...) passed validation and
-- its steps folded over the case that id names: where the log holds such a stream, every case
-- and meeting folds again when the store next opens (now quarantining those steps).
INSERT OR IGNORE INTO dirty_streams (stream)
SELECT id FROM cases
WHERE EXISTS (SELECT 1 FROM events WHERE typeof(stream) = 'text' AND stream <> 'config')
UNION ALL
SELECT id FROM meetings
WHERE EXISTS (SELECT 1 FROM events WHERE typeof(stream) = 'text' AND stream <> 'config');
INSERT OR REPLACE INTO meta (key, value) VALUES ('compact_after_upgrade', '1');
"
    ),
    // v25: a case's `doc` holds only what its row's columns do not (`case_doc`), no longer the
    // whole case a second time. Rewritten in Rust from each row when the store next opens
    // (`case_doc::compact_docs`, which folds again any case whose document and columns
    // disagree), then the pages handed back.
    r#"
INSERT OR REPLACE INTO meta (key, value) VALUES ('compact_docs', '1');
INSERT OR REPLACE INTO meta (key, value) VALUES ('compact_after_upgrade', '1');
"#,
];

/// The migration set.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}
