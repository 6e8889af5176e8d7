//! Copying a large write's log back into the database file behind the write, not inside it.
//!
//! SQLite copies the WAL back into the database (a checkpoint) in the connection whose commit
//! made it pass `wal_autocheckpoint` pages: after a 100,000-row import that copy — every page
//! the transaction wrote, then a sync and the log's truncation — took ~2 s of an ~11 s import,
//! with the secretary still waiting and the store held. The import is durable once its commit
//! is in the log; copying it back is housekeeping. So a bulk commit is made with the
//! automatic checkpoint off, and a thread of its own, on a connection of its own, copies the
//! log back while the window goes on (a passive checkpoint never blocks the writer or the
//! readers). A commit made here while it runs tries its own automatic checkpoint, finds the
//! checkpoint lock taken and goes on without waiting (SQLite ignores a busy checkpoint after a
//! commit). The store waits for the thread when it is dropped, so nothing outlives it.

use std::thread::JoinHandle;

use super::*;

/// SQLite's default automatic checkpoint, in log pages: the store's outside a bulk write,
/// put back after one (here and after a first sync's pages).
pub(super) const AUTO_CHECKPOINT_PAGES: i64 = 1000;

/// The thread copying the last bulk commit's log back, if one was started.
#[derive(Default)]
pub(super) struct Behind(Option<JoinHandle<Result<Copied>>>);

/// What the thread copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Log pages copied back into the database file.
    pub pages: i64,
    /// The log was truncated after (nobody was writing or reading an older snapshot).
    pub truncated: bool,
}

impl Drop for Behind {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            let _ = t.join();
        }
    }
}

impl Store {
    /// Run `f`, which commits, with the commit's automatic checkpoint off, then copy its log
    /// back on a thread (a store in memory has no log to copy). Setting the checkpoint back
    /// failing is not the write failing: the write is committed by then.
    #[cfg(feature = "imports")]
    pub(super) fn checkpoint_behind<T>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let out = f(self);
        let _ = self
            .conn
            .pragma_update(None, "wal_autocheckpoint", AUTO_CHECKPOINT_PAGES);
        let out = out?;
        if let Some(path) = self.dir.as_ref().map(|d| d.join(super::DB_FILE)) {
            // One copier at a time: an earlier one still running would hold the checkpoint
            // lock and this one would copy nothing.
            self.wait_for_checkpoint();
            let key = self.key.clone();
            self.behind.0 = Some(std::thread::spawn(move || copy_back(path, key)));
        }
        Ok(out)
    }

    /// Wait for the thread copying the last bulk commit's log back, if one runs; what it
    /// copied. For benchmarks and tests: the store never needs to wait for it.
    pub fn wait_for_checkpoint(&mut self) -> Option<Result<Copied>> {
        let t = self.behind.0.take()?;
        Some(t.join().unwrap_or_else(|_| {
            Err(std::io::Error::other("the checkpoint thread panicked").into())
        }))
    }
}

#[cfg(feature = "imports")]
fn copy_back(path: std::path::PathBuf, key: Option<super::DbKey>) -> Result<Copied> {
    let conn = super::cipher::connect_rw(&path, key.as_ref())?;
    // Never wait for the window's writer: what a busy moment leaves, the next commit's own
    // checkpoint copies.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let (_, _, pages): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    // The whole log is in the database now unless a commit came in between; truncating
    // frees its hundreds of megabytes at once instead of at the next commit (which would
    // otherwise cut it to `journal_size_limit` in a secretary's intake). Busy: left to it.
    let (busy, log, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(Copied {
        pages,
        truncated: busy == 0 && log == 0,
    })
}

#[cfg(all(test, feature = "imports"))]
mod tests {
    use super::*;
    use crate::hlc::ManualClock;

    fn auto_checkpoint(s: &Store) -> i64 {
        s.conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_automatic_checkpoint_is_back_after_a_bulk_commit_and_after_a_failed_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), Box::new(ManualClock::new(1_795_395_600_000))).unwrap();
        let seen = s.checkpoint_behind(|s| Ok(auto_checkpoint(s))).unwrap();
        assert_eq!(seen, 0, "off while the bulk write runs");
        assert_eq!(auto_checkpoint(&s), AUTO_CHECKPOINT_PAGES);
        assert!(s.wait_for_checkpoint().is_some());

        let failed: Result<()> =
            s.checkpoint_behind(|_| Err(Error::invalid("import", Reason::Cancelled)));
        assert!(failed.is_err());
        assert_eq!(auto_checkpoint(&s), AUTO_CHECKPOINT_PAGES);
        assert!(
            s.wait_for_checkpoint().is_none(),
            "nothing committed, nothing to copy"
        );
    }

    #[test]
    fn a_store_in_memory_starts_no_copier() {
        let mut s = Store::open_in_memory(Box::new(ManualClock::new(1_795_395_600_000))).unwrap();
        s.checkpoint_behind(|_| Ok(())).unwrap();
        assert!(s.wait_for_checkpoint().is_none());
    }
}
