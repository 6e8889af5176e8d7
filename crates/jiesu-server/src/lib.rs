//! # jiesu-server
//!
//! The central server of Jiesu: street and district offices see their communities' cases
//! through it, and community offices meet each other's transfers. It stores events and
//! nothing else; every projection lives in the apps (see `jiesu-core`).
//!
//! - [`app`]: the `/v1` HTTP routes (axum), authentication, live notify.
//! - [`scope`]: who sees and writes which stream; a push is planned there, not in SQL.
//! - [`storage`]: one trait, two backends (SQLite by default, PostgreSQL).
//! - [`lookup`]: the public lookup page residents find their case on (no account).
//! - [`limits`]: failed attempts counted per address or key.
//! - [`admin`]: offices, enrolment codes and devices, for the `jiesu-server admin` commands.

pub mod admin;
pub mod app;
pub mod error;
pub mod limits;
pub mod lookup;
pub mod open311;
pub mod scope;
pub mod storage;

use std::path::Path;
use std::sync::Arc;

pub use app::{AppState, router};
pub use storage::{Storage, StorageError};

/// Open the configured backend: PostgreSQL when a URL is given, else SQLite in `data_dir`.
pub async fn open_storage(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Arc<dyn Storage>, StorageError> {
    Ok(match database_url {
        Some(url) => Arc::new(storage::postgres::PostgresStorage::connect(url).await?),
        None => {
            let dir = data_dir.to_path_buf();
            let s = tokio::task::spawn_blocking(move || storage::sqlite::SqliteStorage::open(&dir))
                .await
                .map_err(|e| StorageError::Backend(e.to_string()))??;
            Arc::new(Arc::new(s))
        }
    })
}
