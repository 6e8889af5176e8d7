//! The PostgreSQL backend, for deployments that outgrow one SQLite file.
//!
//! Same tables and the same decisions ([`crate::scope::plan`]) as the SQLite backend. Pushes
//! take a transaction-level advisory lock, so feed positions become visible in order (a
//! sequence alone would let position 10 commit before 9 and a puller skip 9 for good).

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use jiesu_protocol::Event;
use jiesu_protocol::wire::{Office, RawPullResponse};
use tokio_postgres::NoTls;

use super::page::{Page, Remaining};
use super::{
    DeviceRecord, EnrolmentFacts, PushOutcome, Result, Storage, StorageError, check_new_office,
    decide_enrolment,
};
use crate::scope::{Known, Step, Tree, plan, receipts};

/// Forward-only schema; applied under an advisory lock, tracked in `schema_version`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE offices (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    parent     TEXT REFERENCES offices (id),
    created_ms BIGINT NOT NULL
);
CREATE TABLE enrolment_codes (
    hash       TEXT PRIMARY KEY,
    office     TEXT NOT NULL REFERENCES offices (id),
    expires_ms BIGINT NOT NULL,
    used_by    TEXT
);
CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    office          TEXT NOT NULL REFERENCES offices (id),
    tag             TEXT NOT NULL UNIQUE,
    credential_hash TEXT NOT NULL UNIQUE,
    enrolled_ms     BIGINT NOT NULL,
    revoked_ms      BIGINT,
    last_seen_ms    BIGINT
);
CREATE TABLE events (
    seq          BIGSERIAL PRIMARY KEY,
    id           UUID NOT NULL UNIQUE,
    stream       TEXT NOT NULL,
    scope_office TEXT NOT NULL,
    device       TEXT NOT NULL,
    received_ms  BIGINT NOT NULL,
    digest       TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX events_by_stream ON events (stream, seq);
CREATE FUNCTION jiesu_refuse_change() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'events are immutable'; END $$;
CREATE TRIGGER events_are_immutable BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION jiesu_refuse_change();
CREATE TABLE holders (
    stream    TEXT NOT NULL,
    office    TEXT NOT NULL,
    since_seq BIGINT NOT NULL,
    PRIMARY KEY (stream, office)
);
CREATE TABLE feed (
    pos    BIGSERIAL PRIMARY KEY,
    office TEXT NOT NULL,
    seq    BIGINT NOT NULL,
    UNIQUE (office, seq)
);
CREATE INDEX feed_by_office ON feed (office, pos);
"#,
    r#"
CREATE TABLE attachments (
    sha256      TEXT PRIMARY KEY,
    office      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    bytes       BYTEA NOT NULL
);
CREATE TABLE attachment_refs (
    sha256 TEXT NOT NULL,
    stream TEXT NOT NULL,
    PRIMARY KEY (sha256, stream)
);
INSERT INTO attachment_refs (sha256, stream)
SELECT body::jsonb #>> '{body,payload,attachment,sha256}', stream FROM events
WHERE body::jsonb #>> '{body,payload,attachment,sha256}' IS NOT NULL
ON CONFLICT DO NOTHING;
"#,
    // Which offices uploaded a photo's bytes: only an office that did may refer a case of its
    // own to the photo (knowing a hash is not having the photo).
    r#"
CREATE TABLE attachment_uploads (
    sha256 TEXT NOT NULL,
    office TEXT NOT NULL,
    PRIMARY KEY (sha256, office)
);
INSERT INTO attachment_uploads (sha256, office) SELECT sha256, office FROM attachments
ON CONFLICT DO NOTHING;
"#,
    // Seals: each device's public key, and whether it has stored a signed event (after
    // which it must sign everything). Chains are checked against `events.digest`.
    r#"
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX events_by_device_stream ON events (device, stream, seq);
"#,
    // The public face's index (`storage/public.rs`).
    super::public::POSTGRES_SCHEMA,
    // Open311's clients, intake devices and requests (`storage/open311.rs`).
    super::open311::POSTGRES_SCHEMA,
    // The intakes stored before the lookup index, indexed by `backfill` after this step.
    super::public::BACKFILL,
];

/// Index the intakes stored before the lookup index (`public::BACKFILL`), in the migration's
/// transaction.
async fn backfill(tx: &deadpool_postgres::Transaction<'_>) -> Result<()> {
    let rows = tx
        .query(
            "SELECT e.stream, e.received_ms, e.body, d.tag FROM events e JOIN devices d ON d.id = e.device
             WHERE e.body::jsonb #>> '{body,kind}' = 'case_received'
               AND NOT EXISTS (SELECT 1 FROM lookups l WHERE l.stream = e.stream AND l.number IS NOT NULL)
             ORDER BY e.seq",
            &[],
        )
        .await
        .map_err(backend)?;
    for r in rows {
        let (stream, received_ms, body, tag): (String, i64, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if let Some(entry) = super::public::backfill_entry(&body, &tag) {
            let (sql, params) = super::public::index_write(&entry, &stream, "", received_ms);
            tx.execute_raw(sql.replace('?', "$").as_str(), params.iter())
                .await
                .map_err(backend)?;
        }
    }
    Ok(())
}

/// Advisory lock keys.
const MIGRATE_LOCK: i64 = 0x6a69_6573_7501;
pub(super) const PUSH_LOCK: i64 = 0x6a69_6573_7502;
/// Serialises Open311 number reservations.
pub(super) const OPEN311_LOCK: i64 = 0x6a69_6573_7503;

/// The PostgreSQL backend.
pub struct PostgresStorage {
    pool: Pool,
}

pub(super) fn backend(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

pub(super) const DEVICE_COLS: &str =
    "id, name, office, tag, enrolled_ms, revoked_ms, last_seen_ms, public_key";

pub(super) fn device_row(r: &tokio_postgres::Row) -> DeviceRecord {
    DeviceRecord {
        id: r.get(0),
        name: r.get(1),
        office: r.get(2),
        tag: r.get(3),
        enrolled_ms: r.get(4),
        revoked_ms: r.get(5),
        last_seen_ms: r.get(6),
        public_key: r.get(7),
    }
}

impl PostgresStorage {
    /// Connect to `url` (`postgres://user@host:port/db`) and migrate.
    pub async fn connect(url: &str) -> Result<PostgresStorage> {
        let config: tokio_postgres::Config = url.parse().map_err(backend)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(backend)?;
        let mut client = pool.get().await.map_err(backend)?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .await
            .map_err(backend)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)")
            .await
            .map_err(backend)?;
        let current: i64 = tx
            .query_one("SELECT count(*) FROM schema_version", &[])
            .await
            .map_err(backend)?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql).await.map_err(backend)?;
            if *sql == super::public::BACKFILL {
                backfill(&tx).await?;
            }
            tx.execute("INSERT INTO schema_version VALUES ($1)", &[&(i as i32 + 1)])
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(PostgresStorage { pool })
    }

    pub(super) async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }
}

async fn all_offices(c: &impl deadpool_postgres::GenericClient) -> Result<Vec<Office>> {
    let rows = c
        .query(
            "SELECT id, name, kind, parent FROM offices ORDER BY id",
            &[],
        )
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|r| {
            Ok(Office {
                id: r.get(0),
                name: r.get(1),
                kind: super::parse_kind(r.get(2))?,
                parent: r.get(3),
            })
        })
        .collect()
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn add_office(&self, office: &Office, now_ms: i64) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
            .await
            .map_err(backend)?;
        check_new_office(office, &all_offices(&tx).await?)?;
        tx.execute(
            "INSERT INTO offices (id, name, kind, parent, created_ms) VALUES ($1, $2, $3, $4, $5)",
            &[
                &office.id,
                &office.name.trim(),
                &office.kind.as_str(),
                &office.parent,
                &now_ms,
            ],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn offices(&self) -> Result<Vec<Office>> {
        let c = self.client().await?;
        all_offices(&c).await
    }

    async fn add_enrolment_code(&self, hash: &str, office: &str, expires_ms: i64) -> Result<()> {
        let c = self.client().await?;
        let exists: bool = c
            .query_one(
                "SELECT EXISTS(SELECT 1 FROM offices WHERE id = $1)",
                &[&office],
            )
            .await
            .map_err(backend)?
            .get(0);
        if !exists {
            return Err(StorageError::NotFound(format!("office {office}")));
        }
        c.execute(
            "INSERT INTO enrolment_codes (hash, office, expires_ms) VALUES ($1, $2, $3)",
            &[&hash, &office, &expires_ms],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn enrol(
        &self,
        code_hash: &str,
        device: &str,
        name: &str,
        credential_hash: &str,
        now_ms: i64,
    ) -> Result<Option<DeviceRecord>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        // Serialises tag assignment with other enrolments and with pushes.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
            .await
            .map_err(backend)?;
        let facts = EnrolmentFacts {
            code_office: tx
                .query_opt(
                    "SELECT office FROM enrolment_codes
                     WHERE hash = $1 AND used_by IS NULL AND expires_ms > $2",
                    &[&code_hash, &now_ms],
                )
                .await
                .map_err(backend)?
                .map(|r| r.get(0)),
            live: tx
                .query_one(
                    "SELECT EXISTS(SELECT 1 FROM devices WHERE id = $1 AND revoked_ms IS NULL)",
                    &[&device],
                )
                .await
                .map_err(backend)?
                .get(0),
            tag: tx
                .query_opt("SELECT tag FROM devices WHERE id = $1", &[&device])
                .await
                .map_err(backend)?
                .map(|r| r.get(0)),
            devices: tx
                .query_one("SELECT count(*) FROM devices", &[])
                .await
                .map_err(backend)?
                .get(0),
        };
        let Some((office, tag)) = decide_enrolment(facts, device)? else {
            return Ok(None);
        };
        // The facts were read under the lock; the condition keeps a code spent once even so.
        let spent = tx
            .execute(
                "UPDATE enrolment_codes SET used_by = $2 WHERE hash = $1 AND used_by IS NULL",
                &[&code_hash, &device],
            )
            .await
            .map_err(backend)?;
        if spent != 1 {
            return Ok(None);
        }
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO devices (id, name, office, tag, credential_hash, enrolled_ms)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET name = $2, office = $3, credential_hash = $5,
                         enrolled_ms = $6, revoked_ms = NULL, public_key = NULL
                     RETURNING {DEVICE_COLS}"
                ),
                &[&device, &name, &office, &tag, &credential_hash, &now_ms],
            )
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Some(device_row(&row)))
    }

    async fn device_by_credential(&self, hash: &str) -> Result<Option<DeviceRecord>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {DEVICE_COLS} FROM devices WHERE credential_hash = $1 AND revoked_ms IS NULL"
                ),
                &[&hash],
            )
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(device_row))
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {DEVICE_COLS} FROM devices ORDER BY office, name"),
                &[],
            )
            .await
            .map_err(backend)?;
        Ok(rows.iter().map(device_row).collect())
    }

    async fn revoke(&self, device: &str, now_ms: i64) -> Result<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE devices SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
                &[&device, &now_ms],
            )
            .await
            .map_err(backend)?;
        Ok(n > 0)
    }

    async fn push(
        &self,
        device: &DeviceRecord,
        events: &[Event],
        tree: &std::sync::Arc<Tree>,
        now_ms: i64,
    ) -> Result<PushOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
            .await
            .map_err(backend)?;
        let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.id).collect();
        let streams: Vec<String> = {
            let mut s: Vec<String> = events.iter().map(|e| e.stream.clone()).collect();
            s.sort();
            s.dedup();
            s
        };
        let mut known = Known::default();
        for r in tx
            .query(
                "SELECT id, seq, received_ms, digest FROM events WHERE id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(backend)?
        {
            known
                .events
                .insert(r.get(0), (r.get(1), r.get(2), r.get(3)));
        }
        for s in &streams {
            known.holders.insert(s.clone(), Vec::new());
        }
        for r in tx
            .query(
                "SELECT stream, office FROM holders WHERE stream = ANY($1) ORDER BY since_seq",
                &[&streams],
            )
            .await
            .map_err(backend)?
        {
            known.holders.entry(r.get(0)).or_default().push(r.get(1));
        }
        let assigned: Vec<&String> = events
            .iter()
            .filter(|e| super::assigns_office(e))
            .map(|e| &e.stream)
            .collect();
        if !assigned.is_empty() {
            for r in tx
                .query(
                    "SELECT DISTINCT ON (stream) stream, device FROM events
                     WHERE stream = ANY($1) ORDER BY stream, seq",
                    &[&assigned],
                )
                .await
                .map_err(backend)?
            {
                known.openers.insert(r.get(0), r.get(1));
            }
        }
        let row = tx
            .query_one(
                "SELECT public_key, sealed FROM devices WHERE id = $1",
                &[&device.id],
            )
            .await
            .map_err(backend)?;
        (known.public_key, known.sealed) = (row.get(0), row.get(1));
        for s in &streams {
            known.heads.insert(s.clone(), None);
        }
        for r in tx
            .query(
                "SELECT DISTINCT ON (stream) stream, digest FROM events
                 WHERE device = $1 AND stream = ANY($2) ORDER BY stream, seq DESC",
                &[&device.id, &streams],
            )
            .await
            .map_err(backend)?
        {
            known.heads.insert(r.get(0), Some(r.get(1)));
        }
        let steps = plan(device, events, &known, tree, now_ms)?;
        // Every write is phrased so it needs no answer from an earlier one (sequence numbers
        // are looked up in SQL by event id), so the whole push is pipelined: one round trip
        // instead of one per row. Statements still run in order on the server.
        let insert = tx
            .prepare(
                "INSERT INTO events (id, stream, scope_office, device, received_ms, digest, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await
            .map_err(backend)?;
        let holder = tx
            .prepare(
                "INSERT INTO holders (stream, office, since_seq)
                 SELECT $1, $2, seq FROM events WHERE id = $3 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let feed = tx
            .prepare(
                "INSERT INTO feed (office, seq) SELECT unnest($1::text[]), seq FROM events
                 WHERE id = $2 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let backfill = tx
            .prepare(
                "INSERT INTO feed (office, seq)
                 SELECT o, e.seq FROM unnest($1::text[]) AS o, events e
                 WHERE e.stream = $2 ORDER BY o, e.seq ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let refer = tx
            .prepare(
                "INSERT INTO attachment_refs (sha256, stream)
                 SELECT $1, $2 WHERE EXISTS (
                     SELECT 1 FROM attachment_uploads WHERE sha256 = $1 AND office = $3)
                 ON CONFLICT DO NOTHING",
            )
            .await
            .map_err(backend)?;
        type Write<'a> = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>,
        >;
        type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
        fn p(v: Vec<Param<'_>>) -> Vec<Param<'_>> {
            v
        }
        let mut writes: Vec<Write<'_>> = Vec::new();
        let mut grown: HashMap<String, i64> = HashMap::new();
        let mut new_ids: Vec<uuid::Uuid> = Vec::new();
        let mut public_statements: HashMap<&str, String> = HashMap::new();
        let mut public_writes: Vec<(String, Vec<String>)> = Vec::new();
        for step in &steps {
            let Step::Insert {
                index,
                body,
                digest,
                scope_office,
                feeds,
                holders,
                backfill: history_to,
                photo,
                public,
            } = step
            else {
                continue;
            };
            let ev = &events[*index];
            new_ids.push(ev.id);
            writes.push(Box::pin(tx.execute_raw(
                &insert,
                p(vec![
                    &ev.id,
                    &ev.stream,
                    scope_office,
                    &ev.device,
                    &now_ms,
                    digest,
                    body,
                ]),
            )));
            for h in holders {
                writes.push(Box::pin(
                    tx.execute_raw(&holder, p(vec![&ev.stream, h, &ev.id])),
                ));
            }
            if !history_to.is_empty() {
                writes.push(Box::pin(
                    tx.execute_raw(&backfill, p(vec![history_to, &ev.stream])),
                ));
            }
            writes.push(Box::pin(tx.execute_raw(&feed, p(vec![feeds, &ev.id]))));
            for o in feeds.iter().chain(history_to) {
                grown.insert(o.clone(), 0);
            }
            if let Some(entry) = public {
                let (sql, params) =
                    super::public::index_write(entry, &ev.stream, scope_office, now_ms);
                let statement = public_statements
                    .entry(sql)
                    .or_insert_with(|| sql.replace('?', "$"));
                public_writes.push((statement.clone(), params));
            }
            if let Some(sha256) = photo {
                writes.push(Box::pin(
                    tx.execute_raw(&refer, p(vec![sha256, &ev.stream, scope_office])),
                ));
            }
        }
        futures_util::future::try_join_all(writes)
            .await
            .map_err(backend)?;
        // After the events: the index's writes, in order (a later code replaces an earlier).
        for (sql, params) in &public_writes {
            tx.execute_raw(sql.as_str(), params.iter())
                .await
                .map_err(backend)?;
        }
        let mut inserted = HashMap::new();
        if !new_ids.is_empty() {
            let seqs: HashMap<uuid::Uuid, i64> = tx
                .query("SELECT id, seq FROM events WHERE id = ANY($1)", &[&new_ids])
                .await
                .map_err(backend)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for step in &steps {
                if let Step::Insert { index, .. } = step {
                    inserted.insert(*index, (seqs[&events[*index].id], now_ms));
                }
            }
        }
        if !inserted.is_empty() {
            tx.execute(
                "UPDATE devices SET last_seen_ms = $2 WHERE id = $1",
                &[&device.id, &now_ms],
            )
            .await
            .map_err(backend)?;
        }
        let head: i64 = tx
            .query_one("SELECT coalesce(max(pos), 0) FROM feed", &[])
            .await
            .map_err(backend)?
            .get(0);
        if !known.sealed
            && steps
                .iter()
                .any(|st| matches!(st, Step::Insert { index, .. } if events[*index].sig.is_some()))
        {
            tx.execute(
                "UPDATE devices SET sealed = TRUE WHERE id = $1",
                &[&device.id],
            )
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(PushOutcome {
            receipts: receipts(events, &steps, &inserted),
            grown: grown.into_keys().map(|o| (o, head)).collect(),
        })
    }

    async fn register_key(&self, device: &str, public_key: &str) -> Result<Option<String>> {
        let c = self.client().await?;
        c.execute(
            "UPDATE devices SET public_key = $2 WHERE id = $1 AND public_key IS NULL",
            &[&device, &public_key],
        )
        .await
        .map_err(backend)?;
        Ok(
            c.query_opt("SELECT public_key FROM devices WHERE id = $1", &[&device])
                .await
                .map_err(backend)?
                .and_then(|r| r.get(0)),
        )
    }

    async fn pull(
        &self,
        office: &str,
        after: i64,
        limit: u32,
        now_ms: i64,
    ) -> Result<RawPullResponse> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT f.pos, e.seq, e.received_ms, e.body, e.device, d.public_key FROM feed f
                 JOIN events e ON e.seq = f.seq LEFT JOIN devices d ON d.id = e.device
                 WHERE f.office = $1 AND f.pos > $2 ORDER BY f.pos LIMIT $3",
                &[&office, &after, &Page::rows_to_read(limit)],
            )
            .await
            .map_err(backend)?;
        let mut page = Page::new(after, limit);
        for r in rows {
            if !page.offer(r.get(0), r.get(1), r.get(2), r.get(3), (r.get(4), r.get(5)))? {
                break;
            }
        }
        let mut remaining = 0;
        if page.needs_head() {
            let head: i64 = c
                .query_one(
                    "SELECT coalesce(max(pos), 0) FROM feed WHERE office = $1",
                    &[&office],
                )
                .await
                .map_err(backend)?
                .get(0);
            remaining = match page.remaining(head) {
                Remaining::Known(n) => n,
                Remaining::CountAfter(pos) => c
                    .query_one(
                        "SELECT count(*) FROM feed WHERE office = $1 AND pos > $2",
                        &[&office, &pos],
                    )
                    .await
                    .map_err(backend)?
                    .get(0),
            };
        }
        Ok(page.finish(remaining, now_ms))
    }

    async fn feed_head(&self, office: &str) -> Result<i64> {
        let c = self.client().await?;
        Ok(c.query_one(
            "SELECT coalesce(max(pos), 0) FROM feed WHERE office = $1",
            &[&office],
        )
        .await
        .map_err(backend)?
        .get(0))
    }

    async fn put_attachment(
        &self,
        sha256: &str,
        bytes: Vec<u8>,
        office: &str,
        now_ms: i64,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO attachments (sha256, office, size, received_ms, bytes)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&sha256, &office, &(bytes.len() as i64), &now_ms, &bytes],
        )
        .await
        .map_err(backend)?;
        tx.execute(
            "INSERT INTO attachment_uploads (sha256, office) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&sha256, &office],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn attachment_scope(&self, sha256: &str) -> Result<super::PhotoScope> {
        let c = self.client().await?;
        let uploaders = c
            .query(
                "SELECT office FROM attachment_uploads WHERE sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let holders = c
            .query(
                "SELECT DISTINCT h.office FROM attachment_refs r
                 JOIN holders h ON h.stream = r.stream WHERE r.sha256 = $1",
                &[&sha256],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(super::PhotoScope { uploaders, holders })
    }

    async fn attachment_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT bytes FROM attachments WHERE sha256 = $1",
            &[&sha256],
        )
        .await
        .map_err(backend)?
        .map(|r| r.get(0)))
    }
}
