//! The embedded backend: one SQLite file in the server's data dir.
//!
//! One writer connection serialises pushes (SQLite allows one writer anyway); a few reader
//! connections serve pulls concurrently under WAL. Calls run on tokio's blocking pool.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use jiesu_protocol::Event;
use jiesu_protocol::wire::{Office, RawPullResponse};
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};

use super::page::{Page, Remaining};
use super::{
    DeviceRecord, EnrolmentFacts, PushOutcome, Result, Storage, StorageError, check_new_office,
    decide_enrolment,
};
use crate::scope::{Known, Step, Tree, plan, receipts};

/// Forward-only schema; never edit a released entry.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE offices (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    parent     TEXT REFERENCES offices (id),
    created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE enrolment_codes (
    hash       TEXT PRIMARY KEY,
    office     TEXT NOT NULL REFERENCES offices (id),
    expires_ms INTEGER NOT NULL,
    used_by    TEXT
) STRICT;
CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    office          TEXT NOT NULL REFERENCES offices (id),
    tag             TEXT NOT NULL UNIQUE,
    credential_hash TEXT NOT NULL UNIQUE,
    enrolled_ms     INTEGER NOT NULL,
    revoked_ms      INTEGER,
    last_seen_ms    INTEGER
) STRICT;
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    stream       TEXT NOT NULL,
    scope_office TEXT NOT NULL,
    device       TEXT NOT NULL,
    received_ms  INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    body         TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_stream ON events (stream, seq);
CREATE TRIGGER events_are_immutable BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are never deleted'); END;
CREATE TABLE holders (
    stream    TEXT NOT NULL,
    office    TEXT NOT NULL,
    since_seq INTEGER NOT NULL,
    PRIMARY KEY (stream, office)
) STRICT;
CREATE TABLE feed (
    pos    INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    UNIQUE (office, seq)
) STRICT;
CREATE INDEX feed_by_office ON feed (office, pos);
"#,
    r#"
CREATE TABLE attachments (
    sha256      TEXT PRIMARY KEY,
    office      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    bytes       BLOB NOT NULL
) STRICT;
CREATE TABLE attachment_refs (
    sha256 TEXT NOT NULL,
    stream TEXT NOT NULL,
    PRIMARY KEY (sha256, stream)
) STRICT;
INSERT OR IGNORE INTO attachment_refs (sha256, stream)
SELECT json_extract(body, '$.body.payload.attachment.sha256'), stream FROM events
WHERE json_extract(body, '$.body.payload.attachment.sha256') IS NOT NULL;
"#,
    // Which offices uploaded a photo's bytes: only an office that did may refer a case of its
    // own to the photo (knowing a hash is not having the photo).
    r#"
CREATE TABLE attachment_uploads (
    sha256 TEXT NOT NULL,
    office TEXT NOT NULL,
    PRIMARY KEY (sha256, office)
) STRICT;
INSERT OR IGNORE INTO attachment_uploads (sha256, office) SELECT sha256, office FROM attachments;
"#,
    // Seals: each device's public key, and whether it has stored a signed event (after
    // which it must sign everything). Chains are checked against `events.digest`.
    r#"
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_by_device_stream ON events (device, stream, seq);
"#,
    // The public face's index (`storage/public.rs`).
    super::public::SQLITE_SCHEMA,
    // Open311's clients, intake devices and requests (`storage/open311.rs`).
    super::open311::SQLITE_SCHEMA,
];

/// Index the intakes stored before the lookup index (`public::BACKFILL`), in the migration's
/// transaction.
fn backfill(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let mut st = tx.prepare(
        "SELECT e.stream, e.received_ms, e.body, d.tag FROM events e JOIN devices d ON d.id = e.device
         WHERE json_extract(e.body, '$.body.kind') = 'case_received'
           AND NOT EXISTS (SELECT 1 FROM lookups l WHERE l.stream = e.stream AND l.number IS NOT NULL)
         ORDER BY e.seq",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (stream, received_ms, body, tag) in rows {
        if let Some(entry) = super::public::backfill_entry(&body, &tag) {
            let (sql, params) = super::public::index_write(&entry, &stream, "", received_ms);
            tx.execute(sql, rusqlite::params_from_iter(params))?;
        }
    }
    Ok(())
}

/// The SQLite backend.
pub struct SqliteStorage {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

pub(super) fn backend(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(backend)?;
    // An acknowledged push must survive a power cut: the app forgets nothing it was told
    // was stored, but it would not push an acknowledged event again.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(backend)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(backend)?;
    Ok(conn)
}

impl SqliteStorage {
    /// Open (creating and migrating) `dir/jiesu-server.db`.
    pub fn open(dir: &Path) -> Result<SqliteStorage> {
        // Every office's residents and the devices' credential hashes: the owner's alone.
        jiesu_protocol::private::dir(dir).map_err(backend)?;
        let path = dir.join("jiesu-server.db");
        jiesu_protocol::private::database(&path).map_err(backend)?;
        let mut writer = open(&path)?;
        let mut steps: Vec<M> = MIGRATIONS.iter().map(|s| M::up(s)).collect();
        steps.push(M::up_with_hook(super::public::BACKFILL, backfill));
        Migrations::new(steps)
            .to_latest(&mut writer)
            .map_err(backend)?;
        let readers = (0..4)
            .map(|_| open(&path).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        jiesu_protocol::private::database(&path).map_err(backend)?;
        Ok(SqliteStorage {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    pub(super) async fn write<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = me.writer.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(backend)?
    }

    pub(super) async fn read<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let i = me.next_reader.fetch_add(1, Ordering::Relaxed) % me.readers.len();
            let conn = me.readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await
        .map_err(backend)?
    }
}

pub(super) fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        office: r.get(2)?,
        tag: r.get(3)?,
        enrolled_ms: r.get(4)?,
        revoked_ms: r.get(5)?,
        last_seen_ms: r.get(6)?,
        public_key: r.get(7)?,
    })
}

pub(super) const DEVICE_COLS: &str =
    "id, name, office, tag, enrolled_ms, revoked_ms, last_seen_ms, public_key";

fn all_offices(conn: &Connection) -> Result<Vec<Office>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, name, kind, parent FROM offices ORDER BY id")
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, kind, parent) = row.map_err(backend)?;
        out.push(Office {
            id,
            name,
            kind: super::parse_kind(&kind)?,
            parent,
        });
    }
    Ok(out)
}

/// `SqliteStorage` is used through an `Arc`; the trait is implemented on that.
pub type SharedSqlite = std::sync::Arc<SqliteStorage>;

#[async_trait]
impl Storage for std::sync::Arc<SqliteStorage> {
    async fn add_office(&self, office: &Office, now_ms: i64) -> Result<()> {
        let office = office.clone();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            check_new_office(&office, &all_offices(&tx)?)?;
            tx.execute(
                "INSERT INTO offices (id, name, kind, parent, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![office.id, office.name.trim(), office.kind.as_str(), office.parent, now_ms],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn offices(&self) -> Result<Vec<Office>> {
        self.read(all_offices).await
    }

    async fn add_enrolment_code(&self, hash: &str, office: &str, expires_ms: i64) -> Result<()> {
        let (hash, office) = (hash.to_owned(), office.to_owned());
        self.write(move |conn| {
            let exists: bool = conn
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM offices WHERE id = ?1)",
                    [&office],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            if !exists {
                return Err(StorageError::NotFound(format!("office {office}")));
            }
            conn.execute(
                "INSERT INTO enrolment_codes (hash, office, expires_ms) VALUES (?1, ?2, ?3)",
                params![hash, office, expires_ms],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn enrol(
        &self,
        code_hash: &str,
        device: &str,
        name: &str,
        credential_hash: &str,
        now_ms: i64,
    ) -> Result<Option<DeviceRecord>> {
        let (code_hash, device, name, credential_hash) = (
            code_hash.to_owned(),
            device.to_owned(),
            name.to_owned(),
            credential_hash.to_owned(),
        );
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend)?;
            let facts = EnrolmentFacts {
                code_office: tx
                    .query_row(
                        "SELECT office FROM enrolment_codes
                         WHERE hash = ?1 AND used_by IS NULL AND expires_ms > ?2",
                        params![code_hash, now_ms],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?,
                live: tx
                    .query_row(
                        "SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1 AND revoked_ms IS NULL)",
                        [&device],
                        |r| r.get(0),
                    )
                    .map_err(backend)?,
                tag: tx
                    .query_row("SELECT tag FROM devices WHERE id = ?1", [&device], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(backend)?,
                devices: tx
                    .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
                    .map_err(backend)?,
            };
            let Some((office, tag)) = decide_enrolment(facts, &device)? else {
                return Ok(None);
            };
            // The facts were read in this write transaction; the condition keeps a code spent
            // once even so.
            let spent = tx
                .execute(
                    "UPDATE enrolment_codes SET used_by = ?2 WHERE hash = ?1 AND used_by IS NULL",
                    params![code_hash, device],
                )
                .map_err(backend)?;
            if spent != 1 {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO devices (id, name, office, tag, credential_hash, enrolled_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET name = ?2, office = ?3, credential_hash = ?5,
                     enrolled_ms = ?6, revoked_ms = NULL, public_key = NULL",
                params![device, name, office, tag, credential_hash, now_ms],
            )
            .map_err(backend)?;
            let rec = tx
                .query_row(
                    &format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?1"),
                    [&device],
                    device_row,
                )
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(Some(rec))
        })
        .await
    }

    async fn device_by_credential(&self, hash: &str) -> Result<Option<DeviceRecord>> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {DEVICE_COLS} FROM devices WHERE credential_hash = ?1 AND revoked_ms IS NULL"
            ))
            .map_err(backend)?
            .query_row([hash], device_row)
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {DEVICE_COLS} FROM devices ORDER BY office, name"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([], device_row).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn register_key(&self, device: &str, public_key: &str) -> Result<Option<String>> {
        let (device, public_key) = (device.to_owned(), public_key.to_owned());
        self.write(move |conn| {
            conn.execute(
                "UPDATE devices SET public_key = ?2 WHERE id = ?1 AND public_key IS NULL",
                params![device, public_key],
            )
            .map_err(backend)?;
            conn.query_row(
                "SELECT public_key FROM devices WHERE id = ?1",
                [&device],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
            .map(Option::flatten)
        })
        .await
    }

    async fn revoke(&self, device: &str, now_ms: i64) -> Result<bool> {
        let device = device.to_owned();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE devices SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                    params![device, now_ms],
                )
                .map_err(backend)?;
            Ok(n > 0)
        })
        .await
    }

    async fn push(
        &self,
        device: &DeviceRecord,
        events: &[Event],
        tree: &std::sync::Arc<Tree>,
        now_ms: i64,
    ) -> Result<PushOutcome> {
        let (device, events, tree) = (device.clone(), events.to_vec(), tree.clone());
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(backend)?;
            let mut known = Known::default();
            {
                let mut by_id = tx
                    .prepare_cached("SELECT seq, received_ms, digest FROM events WHERE id = ?1")
                    .map_err(backend)?;
                let mut holders = tx
                    .prepare_cached("SELECT office FROM holders WHERE stream = ?1 ORDER BY since_seq")
                    .map_err(backend)?;
                for ev in &events {
                    if let Some(row) = by_id
                        .query_row([ev.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()
                        .map_err(backend)?
                    {
                        known.events.insert(ev.id, row);
                    }
                    if !known.holders.contains_key(&ev.stream) {
                        let h = holders
                            .query_map([&ev.stream], |r| r.get(0))
                            .map_err(backend)?
                            .collect::<rusqlite::Result<Vec<String>>>()
                            .map_err(backend)?;
                        known.holders.insert(ev.stream.clone(), h);
                    }
                    if super::assigns_office(ev) && !known.openers.contains_key(&ev.stream) {
                        let opener: Option<String> = tx
                            .prepare_cached(
                                "SELECT device FROM events WHERE stream = ?1 ORDER BY seq LIMIT 1",
                            )
                            .map_err(backend)?
                            .query_row([&ev.stream], |r| r.get(0))
                            .optional()
                            .map_err(backend)?;
                        if let Some(d) = opener {
                            known.openers.insert(ev.stream.clone(), d);
                        }
                    }
                }
            }
            (known.public_key, known.sealed) = tx
                .query_row(
                    "SELECT public_key, sealed FROM devices WHERE id = ?1",
                    [&device.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(backend)?;
            {
                let mut head = tx
                    .prepare_cached(
                        "SELECT digest FROM events WHERE device = ?1 AND stream = ?2
                         ORDER BY seq DESC LIMIT 1",
                    )
                    .map_err(backend)?;
                for ev in &events {
                    if !known.heads.contains_key(&ev.stream) {
                        let h = head
                            .query_row(params![device.id, ev.stream], |r| r.get(0))
                            .optional()
                            .map_err(backend)?;
                        known.heads.insert(ev.stream.clone(), h);
                    }
                }
            }
            let steps = plan(&device, &events, &known, &tree, now_ms)?;
            let mut inserted = HashMap::new();
            let mut grown: HashMap<String, i64> = HashMap::new();
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO events (id, stream, scope_office, device, received_ms, digest, body)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .map_err(backend)?;
                let mut feed = tx
                    .prepare_cached(
                        "INSERT INTO feed (office, seq) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    )
                    .map_err(backend)?;
                for step in &steps {
                    let Step::Insert {
                        index,
                        body,
                        digest,
                        scope_office,
                        feeds,
                        holders,
                        backfill,
                        photo,
                        public,
                    } = step
                    else {
                        continue;
                    };
                    let ev = &events[*index];
                    insert
                        .execute(params![
                            ev.id.to_string(),
                            ev.stream,
                            scope_office,
                            ev.device,
                            now_ms,
                            digest,
                            body
                        ])
                        .map_err(backend)?;
                    let seq = tx.last_insert_rowid();
                    inserted.insert(*index, (seq, now_ms));
                    for h in holders {
                        tx.execute(
                            "INSERT INTO holders (stream, office, since_seq) VALUES (?1, ?2, ?3)
                             ON CONFLICT DO NOTHING",
                            params![ev.stream, h, seq],
                        )
                        .map_err(backend)?;
                    }
                    for o in backfill {
                        tx.execute(
                            "INSERT INTO feed (office, seq)
                             SELECT ?1, seq FROM events WHERE stream = ?2 ORDER BY seq
                             ON CONFLICT DO NOTHING",
                            params![o, ev.stream],
                        )
                        .map_err(backend)?;
                        grown.insert(o.clone(), 0);
                    }
                    for o in feeds {
                        feed.execute(params![o, seq]).map_err(backend)?;
                        grown.insert(o.clone(), 0);
                    }
                    if let Some(entry) = public {
                        let (sql, params) =
                            super::public::index_write(entry, &ev.stream, scope_office, now_ms);
                        tx.prepare_cached(sql)
                            .map_err(backend)?
                            .execute(rusqlite::params_from_iter(params))
                            .map_err(backend)?;
                    }
                    if let Some(sha256) = photo {
                        tx.execute(
                            "INSERT INTO attachment_refs (sha256, stream)
                             SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM attachment_uploads
                                                         WHERE sha256 = ?1 AND office = ?3)
                             ON CONFLICT DO NOTHING",
                            params![sha256, ev.stream, scope_office],
                        )
                        .map_err(backend)?;
                    }
                }
            }
            if !inserted.is_empty() {
                tx.execute(
                    "UPDATE devices SET last_seen_ms = ?2 WHERE id = ?1",
                    params![device.id, now_ms],
                )
                .map_err(backend)?;
            }
            let head: i64 = tx
                .query_row("SELECT coalesce(max(pos), 0) FROM feed", [], |r| r.get(0))
                .map_err(backend)?;
            if !known.sealed
                && steps.iter().any(|st| matches!(st, Step::Insert { index, .. } if events[*index].sig.is_some()))
            {
                tx.execute("UPDATE devices SET sealed = 1 WHERE id = ?1", [&device.id])
                    .map_err(backend)?;
            }
            tx.commit().map_err(backend)?;
            Ok(PushOutcome {
                receipts: receipts(&events, &steps, &inserted),
                grown: grown.into_keys().map(|o| (o, head)).collect(),
            })
        })
        .await
    }

    async fn pull(
        &self,
        office: &str,
        after: i64,
        limit: u32,
        now_ms: i64,
    ) -> Result<RawPullResponse> {
        let office = office.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT f.pos, e.seq, e.received_ms, e.body, e.device, d.public_key FROM feed f
                     JOIN events e ON e.seq = f.seq LEFT JOIN devices d ON d.id = e.device
                     WHERE f.office = ?1 AND f.pos > ?2 ORDER BY f.pos LIMIT ?3",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![office, after, Page::rows_to_read(limit)], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        (r.get(4)?, r.get(5)?),
                    ))
                })
                .map_err(backend)?;
            let mut page = Page::new(after, limit);
            for row in rows {
                let (pos, seq, received_ms, body, key) = row.map_err(backend)?;
                if !page.offer(pos, seq, received_ms, body, key)? {
                    break;
                }
            }
            let mut remaining = 0;
            if page.needs_head() {
                let head: i64 = conn
                    .prepare_cached("SELECT coalesce(max(pos), 0) FROM feed WHERE office = ?1")
                    .map_err(backend)?
                    .query_row([&office], |r| r.get(0))
                    .map_err(backend)?;
                remaining = match page.remaining(head) {
                    Remaining::Known(n) => n,
                    Remaining::CountAfter(pos) => conn
                        .prepare_cached("SELECT count(*) FROM feed WHERE office = ?1 AND pos > ?2")
                        .map_err(backend)?
                        .query_row(params![office, pos], |r| r.get(0))
                        .map_err(backend)?,
                };
            }
            Ok(page.finish(remaining, now_ms))
        })
        .await
    }

    async fn feed_head(&self, office: &str) -> Result<i64> {
        let office = office.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT coalesce(max(pos), 0) FROM feed WHERE office = ?1")
                .map_err(backend)?
                .query_row([office], |r| r.get(0))
                .map_err(backend)
        })
        .await
    }

    async fn put_attachment(
        &self,
        sha256: &str,
        bytes: Vec<u8>,
        office: &str,
        now_ms: i64,
    ) -> Result<()> {
        let (sha256, office) = (sha256.to_owned(), office.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute(
                "INSERT INTO attachments (sha256, office, size, received_ms, bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![sha256, office, bytes.len() as i64, now_ms, bytes],
            )
            .map_err(backend)?;
            tx.execute(
                "INSERT INTO attachment_uploads (sha256, office) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![sha256, office],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn attachment_scope(&self, sha256: &str) -> Result<super::PhotoScope> {
        let sha256 = sha256.to_owned();
        self.read(move |conn| {
            let uploaders = conn
                .prepare_cached("SELECT office FROM attachment_uploads WHERE sha256 = ?1")
                .map_err(backend)?
                .query_map([&sha256], |r| r.get(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(backend)?;
            let holders = conn
                .prepare_cached(
                    "SELECT DISTINCT h.office FROM attachment_refs r
                     JOIN holders h ON h.stream = r.stream WHERE r.sha256 = ?1",
                )
                .map_err(backend)?
                .query_map([&sha256], |r| r.get(0))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(backend)?;
            Ok(super::PhotoScope { uploaders, holders })
        })
        .await
    }

    async fn attachment_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let sha256 = sha256.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT bytes FROM attachments WHERE sha256 = ?1")
                .map_err(backend)?
                .query_row([sha256], |r| r.get(0))
                .optional()
                .map_err(backend)
        })
        .await
    }
}
