//! What the Open311 endpoint (`crate::open311`) keeps, on both backends:
//!
//! - `open311_clients`: the civic apps allowed to file requests, each with the SHA-256 of its
//!   api key (the key itself is shown once, by `jiesu-server admin open311-add-client`).
//! - `intake_devices`: per community, the server-side device that writes what Open311 files.
//!   It is an ordinary row of `devices` (a tag, a registered public key), so its events are
//!   pushed, checked, sealed and pulled like any PC's; its Ed25519 secret lives here, since
//!   the server signs with it. Revoking that device (`admin revoke`) switches Open311 intake
//!   off for its office.
//! - `open311_requests`: which case streams Open311 filed, for which office, by which client,
//!   under which service code and number. Only these are ever listed by `GET requests`; a
//!   case filed at a desk is not an Open311 request.
//!
//! A request's row is written (reserving its number) before its events are pushed: a push
//! that fails leaves a row whose stream has no events, which every read skips.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{DeviceRecord, Result, StorageError, postgres, sqlite};

/// A registered civic app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientApp {
    /// Short id (shown in listings, used to revoke).
    pub id: String,
    /// Its name, written as the author of what it files.
    pub name: String,
    /// Registered (ms).
    pub created_ms: i64,
    /// Revoked (ms), if it is.
    pub revoked_ms: Option<i64>,
}

/// A server-side intake device to create when an office has none yet.
#[derive(Debug, Clone)]
pub struct NewIntakeDevice {
    /// Its device id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// A credential hash nobody holds the credential of (the column is required).
    pub credential_hash: String,
    /// Its Ed25519 public key, hex.
    pub public_key: String,
    /// The matching secret, hex.
    pub secret: String,
}

/// One request Open311 filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    /// The case stream (the `service_request_id`).
    pub stream: String,
    /// The community it was filed for.
    pub office: String,
    /// The client app's id.
    pub client: String,
    /// The service (category) code.
    pub service_code: String,
    /// The case number.
    pub number: String,
    /// When it was filed (ms).
    pub requested_ms: i64,
}

/// Which requests a listing asks for.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Filed for this office only.
    pub office: Option<String>,
    /// Filed at or after (ms).
    pub from_ms: i64,
    /// Filed before (ms).
    pub to_ms: i64,
    /// At most this many, newest first.
    pub limit: u32,
}

/// The Open311 tables' reads and writes.
#[async_trait]
pub trait Open311Store: Send + Sync {
    /// Register a client app with its key's hash.
    async fn add_client(&self, client: &ClientApp, key_hash: &str) -> Result<()>;
    /// Every client app, newest first.
    async fn clients(&self) -> Result<Vec<ClientApp>>;
    /// Revoke a client app; false when there is no such live app.
    async fn revoke_client(&self, id: &str, now_ms: i64) -> Result<bool>;
    /// The live client app holding the key with this hash.
    async fn client_by_key(&self, key_hash: &str) -> Result<Option<ClientApp>>;
    /// The office's intake device and its secret (hex), created from `fresh` (with the next
    /// device tag) when the office has none.
    async fn intake_device(
        &self,
        office: &str,
        fresh: &NewIntakeDevice,
        now_ms: i64,
    ) -> Result<(DeviceRecord, String)>;
    /// Record a request about to be filed and give it the next number of `prefix`
    /// (`YYMMDD-TG`, the intake device's day and tag): `prefix` + three digits.
    async fn reserve_request(&self, row: &RequestRow, prefix: &str) -> Result<String>;
    /// The requests with these streams (at most 50 asked for at once).
    async fn requests_by_id(&self, streams: &[String]) -> Result<Vec<RequestRow>>;
    /// The requests of a period, newest first.
    async fn requests(&self, q: &RequestQuery) -> Result<Vec<RequestRow>>;
}

pub(super) const SQLITE_SCHEMA: &str = r#"
CREATE TABLE open311_clients (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;
CREATE TABLE intake_devices (
    office TEXT PRIMARY KEY REFERENCES offices (id),
    device TEXT NOT NULL UNIQUE REFERENCES devices (id),
    secret TEXT NOT NULL
) STRICT;
CREATE TABLE open311_requests (
    stream       TEXT PRIMARY KEY,
    office       TEXT NOT NULL,
    client       TEXT NOT NULL,
    service_code TEXT NOT NULL,
    number       TEXT NOT NULL UNIQUE,
    requested_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX open311_requests_by_time ON open311_requests (requested_ms);
"#;

pub(super) const POSTGRES_SCHEMA: &str = r#"
CREATE TABLE open311_clients (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE TABLE intake_devices (
    office TEXT PRIMARY KEY REFERENCES offices (id),
    device TEXT NOT NULL UNIQUE REFERENCES devices (id),
    secret TEXT NOT NULL
);
CREATE TABLE open311_requests (
    stream       TEXT PRIMARY KEY,
    office       TEXT NOT NULL,
    client       TEXT NOT NULL,
    service_code TEXT NOT NULL,
    number       TEXT NOT NULL UNIQUE,
    requested_ms BIGINT NOT NULL
);
CREATE INDEX open311_requests_by_time ON open311_requests (requested_ms);
"#;

const CLIENT_COLS: &str = "id, name, created_ms, revoked_ms";
const REQUEST_COLS: &str = "stream, office, client, service_code, number, requested_ms";

/// The number after `taken` numbers of `prefix`, as the app numbers its own.
fn number_of(prefix: &str, taken: i64) -> String {
    format!("{prefix}{:03}", taken + 1)
}

fn sqlite_client(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientApp> {
    Ok(ClientApp {
        id: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
        revoked_ms: r.get(3)?,
    })
}

fn sqlite_request(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        stream: r.get(0)?,
        office: r.get(1)?,
        client: r.get(2)?,
        service_code: r.get(3)?,
        number: r.get(4)?,
        requested_ms: r.get(5)?,
    })
}

use sqlite::backend as sq;

#[async_trait]
impl Open311Store for std::sync::Arc<sqlite::SqliteStorage> {
    async fn add_client(&self, client: &ClientApp, key_hash: &str) -> Result<()> {
        let (c, key_hash) = (client.clone(), key_hash.to_owned());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO open311_clients (id, name, key_hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![c.id, c.name, key_hash, c.created_ms],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StorageError::Conflict(format!("client app {} exists", c.id))
                }
                e => sq(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn clients(&self) -> Result<Vec<ClientApp>> {
        self.read(|conn| {
            conn.prepare(&format!(
                "SELECT {CLIENT_COLS} FROM open311_clients ORDER BY created_ms DESC, id"
            ))
            .map_err(sq)?
            .query_map([], sqlite_client)
            .map_err(sq)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sq)
        })
        .await
    }

    async fn revoke_client(&self, id: &str, now_ms: i64) -> Result<bool> {
        let id = id.to_owned();
        self.write(move |conn| {
            Ok(conn
                .execute(
                    "UPDATE open311_clients SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                    params![id, now_ms],
                )
                .map_err(sq)?
                > 0)
        })
        .await
    }

    async fn client_by_key(&self, key_hash: &str) -> Result<Option<ClientApp>> {
        let key_hash = key_hash.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CLIENT_COLS} FROM open311_clients WHERE key_hash = ?1 AND revoked_ms IS NULL"
            ))
            .map_err(sq)?
            .query_row([key_hash], sqlite_client)
            .optional()
            .map_err(sq)
        })
        .await
    }

    async fn intake_device(
        &self,
        office: &str,
        fresh: &NewIntakeDevice,
        now_ms: i64,
    ) -> Result<(DeviceRecord, String)> {
        let (office, fresh) = (office.to_owned(), fresh.clone());
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sq)?;
            let known: Option<(String, String)> = tx
                .query_row(
                    "SELECT device, secret FROM intake_devices WHERE office = ?1",
                    [&office],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sq)?;
            let (device, secret) = match known {
                Some(k) => k,
                None => {
                    let n: i64 = tx
                        .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
                        .map_err(sq)?;
                    tx.execute(
                        "INSERT INTO devices (id, name, office, tag, credential_hash, enrolled_ms, public_key)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            fresh.id,
                            fresh.name,
                            office,
                            super::device_tag(n as u64),
                            fresh.credential_hash,
                            now_ms,
                            fresh.public_key
                        ],
                    )
                    .map_err(sq)?;
                    tx.execute(
                        "INSERT INTO intake_devices (office, device, secret) VALUES (?1, ?2, ?3)",
                        params![office, fresh.id, fresh.secret],
                    )
                    .map_err(sq)?;
                    (fresh.id.clone(), fresh.secret.clone())
                }
            };
            let record = tx
                .query_row(
                    &format!("SELECT {} FROM devices WHERE id = ?1", sqlite::DEVICE_COLS),
                    [&device],
                    sqlite::device_row,
                )
                .map_err(sq)?;
            tx.commit().map_err(sq)?;
            Ok((record, secret))
        })
        .await
    }

    async fn reserve_request(&self, row: &RequestRow, prefix: &str) -> Result<String> {
        let (row, prefix) = (row.clone(), prefix.to_owned());
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sq)?;
            let taken: i64 = tx
                .query_row(
                    "SELECT count(*) FROM open311_requests WHERE number >= ?1 AND number < ?1 || '~'",
                    [&prefix],
                    |r| r.get(0),
                )
                .map_err(sq)?;
            let number = number_of(&prefix, taken);
            tx.execute(
                &format!("INSERT INTO open311_requests ({REQUEST_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![row.stream, row.office, row.client, row.service_code, number, row.requested_ms],
            )
            .map_err(sq)?;
            tx.commit().map_err(sq)?;
            Ok(number)
        })
        .await
    }

    async fn requests_by_id(&self, streams: &[String]) -> Result<Vec<RequestRow>> {
        let streams = streams.to_vec();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(&format!(
                    "SELECT {REQUEST_COLS} FROM open311_requests WHERE stream = ?1"
                ))
                .map_err(sq)?;
            let mut out = Vec::new();
            for s in &streams {
                if let Some(r) = st.query_row([s], sqlite_request).optional().map_err(sq)? {
                    out.push(r);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn requests(&self, q: &RequestQuery) -> Result<Vec<RequestRow>> {
        let q = q.clone();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {REQUEST_COLS} FROM open311_requests
                 WHERE requested_ms >= ?1 AND requested_ms < ?2 AND (?3 IS NULL OR office = ?3)
                 ORDER BY requested_ms DESC, stream LIMIT ?4"
            ))
            .map_err(sq)?
            .query_map(
                params![q.from_ms, q.to_ms, q.office, q.limit],
                sqlite_request,
            )
            .map_err(sq)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sq)
        })
        .await
    }
}

use postgres::backend as pg;

fn pg_client(r: &tokio_postgres::Row) -> ClientApp {
    ClientApp {
        id: r.get(0),
        name: r.get(1),
        created_ms: r.get(2),
        revoked_ms: r.get(3),
    }
}

fn pg_request(r: &tokio_postgres::Row) -> RequestRow {
    RequestRow {
        stream: r.get(0),
        office: r.get(1),
        client: r.get(2),
        service_code: r.get(3),
        number: r.get(4),
        requested_ms: r.get(5),
    }
}

#[async_trait]
impl Open311Store for postgres::PostgresStorage {
    async fn add_client(&self, client: &ClientApp, key_hash: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO open311_clients (id, name, key_hash, created_ms) VALUES ($1, $2, $3, $4)",
            &[&client.id, &client.name, &key_hash, &client.created_ms],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                StorageError::Conflict(format!("client app {} exists", client.id))
            } else {
                pg(e)
            }
        })?;
        Ok(())
    }

    async fn clients(&self) -> Result<Vec<ClientApp>> {
        let c = self.client().await?;
        Ok(c.query(
            &format!("SELECT {CLIENT_COLS} FROM open311_clients ORDER BY created_ms DESC, id"),
            &[],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(pg_client)
        .collect())
    }

    async fn revoke_client(&self, id: &str, now_ms: i64) -> Result<bool> {
        let c = self.client().await?;
        Ok(c.execute(
            "UPDATE open311_clients SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
            &[&id, &now_ms],
        )
        .await
        .map_err(pg)?
            > 0)
    }

    async fn client_by_key(&self, key_hash: &str) -> Result<Option<ClientApp>> {
        let c = self.client().await?;
        Ok(c.query_opt(
            &format!(
                "SELECT {CLIENT_COLS} FROM open311_clients WHERE key_hash = $1 AND revoked_ms IS NULL"
            ),
            &[&key_hash],
        )
        .await
        .map_err(pg)?
        .as_ref()
        .map(pg_client))
    }

    async fn intake_device(
        &self,
        office: &str,
        fresh: &NewIntakeDevice,
        now_ms: i64,
    ) -> Result<(DeviceRecord, String)> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // Tags are handed out under the lock enrolments and pushes take.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&postgres::PUSH_LOCK])
            .await
            .map_err(pg)?;
        let known = tx
            .query_opt(
                "SELECT device, secret FROM intake_devices WHERE office = $1",
                &[&office],
            )
            .await
            .map_err(pg)?
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)));
        let (device, secret) = match known {
            Some(k) => k,
            None => {
                let n: i64 = tx
                    .query_one("SELECT count(*) FROM devices", &[])
                    .await
                    .map_err(pg)?
                    .get(0);
                tx.execute(
                    "INSERT INTO devices (id, name, office, tag, credential_hash, enrolled_ms, public_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &fresh.id,
                        &fresh.name,
                        &office,
                        &super::device_tag(n as u64),
                        &fresh.credential_hash,
                        &now_ms,
                        &fresh.public_key,
                    ],
                )
                .await
                .map_err(pg)?;
                tx.execute(
                    "INSERT INTO intake_devices (office, device, secret) VALUES ($1, $2, $3)",
                    &[&office, &fresh.id, &fresh.secret],
                )
                .await
                .map_err(pg)?;
                (fresh.id.clone(), fresh.secret.clone())
            }
        };
        let record = tx
            .query_one(
                &format!(
                    "SELECT {} FROM devices WHERE id = $1",
                    postgres::DEVICE_COLS
                ),
                &[&device],
            )
            .await
            .map_err(pg)?;
        let record = postgres::device_row(&record);
        tx.commit().await.map_err(pg)?;
        Ok((record, secret))
    }

    async fn reserve_request(&self, row: &RequestRow, prefix: &str) -> Result<String> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&postgres::OPEN311_LOCK],
        )
        .await
        .map_err(pg)?;
        let taken: i64 = tx
            .query_one(
                "SELECT count(*) FROM open311_requests WHERE number >= $1 AND number < $1 || '~'",
                &[&prefix],
            )
            .await
            .map_err(pg)?
            .get(0);
        let number = number_of(prefix, taken);
        tx.execute(
            &format!(
                "INSERT INTO open311_requests ({REQUEST_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"
            ),
            &[
                &row.stream,
                &row.office,
                &row.client,
                &row.service_code,
                &number,
                &row.requested_ms,
            ],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(number)
    }

    async fn requests_by_id(&self, streams: &[String]) -> Result<Vec<RequestRow>> {
        let c = self.client().await?;
        Ok(c.query(
            &format!("SELECT {REQUEST_COLS} FROM open311_requests WHERE stream = ANY($1)"),
            &[&streams],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(pg_request)
        .collect())
    }

    async fn requests(&self, q: &RequestQuery) -> Result<Vec<RequestRow>> {
        let c = self.client().await?;
        Ok(c.query(
            &format!(
                "SELECT {REQUEST_COLS} FROM open311_requests
                 WHERE requested_ms >= $1 AND requested_ms < $2 AND ($3::TEXT IS NULL OR office = $3)
                 ORDER BY requested_ms DESC, stream LIMIT $4"
            ),
            &[&q.from_ms, &q.to_ms, &q.office, &i64::from(q.limit)],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(pg_request)
        .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_apps_spelling() {
        assert_eq!(number_of("261204-AC", 0), "261204-AC001");
        assert_eq!(number_of("261204-AC", 41), "261204-AC042");
        assert_eq!(number_of("261204-AC", 1000), "261204-AC1001");
    }
}
