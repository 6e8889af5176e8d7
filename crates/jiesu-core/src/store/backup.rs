//! Backups (备份) and restore (恢复).
//!
//! A backup is SQLite's online backup of the store into a file of its own in a folder the
//! office chooses (a USB disk, a share), copied by a [`BackupJob`] on a connection of its own
//! from one snapshot while the store goes on working, written aside and renamed, so a
//! half-written backup never carries a backup's name. Photos go beside it, content-
//! addressed (`photos/<sha256>`), shared by every backup in the folder. Each backup is checked
//! after writing: it opens, `integrity_check` says ok, and it holds the same number of events
//! with the same **log digest** (SHA-256 over every event's columns in log order) as the store
//! it was made from. The last N are kept.
//!
//! An encrypted store's backups are encrypted with the same key (SQLite's backup copies
//! pages between two connections keyed alike), its photos stay sealed, and the keys file is
//! copied beside them: a backup opens with the same passwords or the recovery key, and with
//! nothing else.
//!
//! Restoring replaces the store's file while the store is closed ([`restore`]): the backup is
//! checked the same way first, and the current file is kept aside under a name of its own,
//! never overwritten. A restored PC that is enrolled must sync before it writes again
//! (`resync_pending`): its own latest steps may be on the server only, and a step written on
//! top of the older chain would be refused there for good.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::cipher::{self, DbKey, Sealing, StoreFile};
use serde::{Deserialize, Serialize};
use sha2::Digest;
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::{DB_FILE, Opening, Store};
use crate::access::Act;
use crate::error::{Error, Reason, Result};

/// Backups kept in the folder unless the office says otherwise.
pub const DEFAULT_KEEP: u32 = 7;
/// Automatic backups are made when the last one is older than this.
pub const BACKUP_EVERY_MS: i64 = 24 * 3_600_000;
const PREFIX: &str = "jiesu-backup-";
const RESYNC: &str = "resync_pending";

/// What a backup file holds, as checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct BackupSummary {
    /// The file.
    pub path: String,
    /// When it was made (ms), as the backup records it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub made_ms: Option<i64>,
    /// The office it belongs to.
    pub office_name: String,
    /// Cases it holds.
    pub cases: u32,
    /// Events it holds.
    pub events: u32,
    /// The log digest (hex).
    pub digest: String,
    /// It opened and SQLite's integrity check passed (and, just after writing, it matched the
    /// store it was made from).
    pub intact: bool,
}

/// Where and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct BackupSettings {
    /// The folder backups go to; none until the office chooses one.
    pub folder: Option<String>,
    /// How many to keep.
    pub keep: u32,
    /// The last backup made (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_ms: Option<i64>,
}

/// A backup to make without holding the store, taken from it by [`Store::backup_job`].
///
/// It reads the store's file on a connection of its own, inside one read transaction: in WAL
/// mode a reader never blocks the writer, so intake and the window go on while every page is
/// copied from that one snapshot, and the digest it is checked against is the snapshot's.
/// Copying in steps instead would restart whenever the store wrote in between.
pub struct BackupJob {
    db: PathBuf,
    dir: PathBuf,
    folder: PathBuf,
    key: Option<DbKey>,
    now: i64,
}

impl BackupJob {
    /// Write the backup aside, rename it into place, copy the photos and the keys file beside
    /// it, and check it against the snapshot it was copied from.
    pub fn run(self) -> Result<BackupSummary> {
        let src = cipher::connect(
            &self.db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            self.key.as_ref(),
        )?;
        // The snapshot starts at the transaction's first read (the digest) and the backup
        // reads inside it.
        src.execute_batch("BEGIN")?;
        let (events, digest) = log_digest(&src)?;
        // The office's folder (a USB disk, a share) keeps its own permissions, which such
        // disks may not even let us change; each backup file is created owner-only.
        std::fs::create_dir_all(&self.folder)?;
        let stamp = stamp(self.now);
        let target = self.folder.join(format!("{PREFIX}{stamp}.db"));
        let part = self.folder.join(format!(".{PREFIX}{stamp}.part"));
        crate::private::create(&part)?;
        {
            let mut dst = Connection::open(&part)?;
            // A new file: sealed as this PC seals new files, whatever the store's (the
            // backup API re-encrypts each page it copies).
            cipher::key_connection(&dst, self.key.as_ref(), Sealing::current())?;
            {
                let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
                // Every page in one step (-1): the snapshot stays the transaction's.
                loop {
                    match backup.step(-1)? {
                        rusqlite::backup::StepResult::Done => break,
                        _ => std::thread::sleep(std::time::Duration::from_millis(5)),
                    }
                }
            }
            // A backup is one file: no WAL beside it on the USB disk.
            dst.pragma_update(None, "journal_mode", "DELETE")?;
            dst.execute(
                "INSERT INTO meta (key, value) VALUES ('backup_made_ms', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [self.now.to_string()],
            )?;
        }
        src.execute_batch("COMMIT")?;
        drop(src);
        std::fs::File::open(&part)?.sync_all()?;
        std::fs::rename(&part, &target)?;
        sync_dir(&self.folder);
        copy_photos(&self.dir.join("attachments"), &self.folder.join("photos"))?;
        // The way into an encrypted backup, for a PC that has lost its own. The store
        // replaces its keys file by renaming, so this copy is one whole version of it.
        if self.key.is_some() {
            let tmp = self.folder.join(format!(".{}.part", super::KEYS_FILE));
            std::fs::copy(self.dir.join(super::KEYS_FILE), &tmp)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, self.folder.join(super::KEYS_FILE))?;
        }
        let mut summary = inspect_backup(&target, self.key.as_ref())?;
        summary.intact &= summary.events == events && summary.digest == digest;
        if !summary.intact {
            return Err(Error::invalid("backup", Reason::Malformed));
        }
        Ok(summary)
    }
}

/// Count and digest of the log in `conn`, in log order.
pub(super) fn log_digest(conn: &Connection) -> Result<(u32, String)> {
    let mut stmt = conn.prepare(
        "SELECT id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office,
                coalesce(account, ''), coalesce(prev, ''), coalesce(sig, '')
         FROM events ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut h = sha2::Sha256::new();
    let mut n = 0u32;
    while let Some(r) = rows.next()? {
        for i in 0..12 {
            let v: rusqlite::types::Value = r.get(i)?;
            let text = match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                // An id or a seal kept as its bytes (v24) digests as the text it was received
                // as: the ids (id, stream, device, account) are the first, second, eighth and
                // tenth columns.
                rusqlite::types::Value::Blob(_) if matches!(i, 0 | 1 | 7 | 9) => {
                    super::id_text(r, i)?
                }
                rusqlite::types::Value::Blob(b) => hex::encode(b),
                _ => String::new(),
            };
            h.update(text.as_bytes());
            h.update([0x1f]);
        }
        h.update([0x1e]);
        n += 1;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Open `path` read-only (with `key` when it is encrypted) and say what it holds. Not a
/// store, or a damaged one: an error, or `intact: false` when it opens but fails SQLite's
/// check; one encrypted with another key: `wrong_key`.
pub fn inspect_backup(path: &Path, key: Option<&DbKey>) -> Result<BackupSummary> {
    let key = match cipher::file_kind(path)? {
        StoreFile::Plain => None,
        StoreFile::Encrypted if key.is_none() => {
            return Err(Error::invalid("backup", Reason::WrongKey));
        }
        _ => key,
    };
    let conn =
        cipher::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY, key).map_err(|e| match e {
            Error::Invalid {
                reason: Reason::WrongKey,
                ..
            } => Error::invalid("backup", Reason::WrongKey),
            _ => Error::invalid("backup", Reason::Malformed),
        })?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|_| Error::invalid("backup", Reason::Malformed))?;
    let meta = |k: &str| -> Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .optional()
            .map_err(|_| Error::invalid("backup", Reason::Malformed))
    };
    let (events, digest) =
        log_digest(&conn).map_err(|_| Error::invalid("backup", Reason::Malformed))?;
    let cases: u32 = conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .map_err(|_| Error::invalid("backup", Reason::Malformed))?;
    Ok(BackupSummary {
        path: path.display().to_string(),
        made_ms: meta("backup_made_ms")?.and_then(|v| v.parse().ok()),
        office_name: meta("office_name")?.unwrap_or_default(),
        cases,
        events,
        digest,
        intact: check == "ok",
    })
}

/// `20261203-064512.345`, China time: names that sort as the times they name.
fn stamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&jiesu_protocol::time::cst())
        .format("%Y%m%d-%H%M%S%.3f")
        .to_string()
}

/// The backups in `folder`, oldest first (the time stamp in the name sorts as the time).
fn backup_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".db"))
        })
        .collect();
    names.sort();
    Ok(names)
}

pub(super) fn sync_dir(dir: &Path) {
    // Makes the rename durable where the platform allows opening a directory (not Windows).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Copy the photos of `from` that `to` lacks (content-addressed: a file of that name is that
/// photo), each written aside and renamed.
fn copy_photos(from: &Path, to: &Path) -> Result<u32> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(0);
    };
    let mut copied = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !crate::seal::is_hex(&name, crate::seal::HASH_HEX) {
            continue;
        }
        let target = to.join(&name);
        // A photo kept plain (from before the store was encrypted) gives way to its sealed
        // copy, and is shredded.
        let replace = target.exists();
        if replace && (cipher::file_sealed(&target) || !cipher::file_sealed(&entry.path())) {
            continue;
        }
        std::fs::create_dir_all(to)?;
        let tmp = to.join(format!(".{name}.tmp"));
        std::fs::copy(entry.path(), &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        if replace {
            super::encrypt::replace_shredding(&target, &tmp, &to.join(format!(".{name}.plain")))?;
        } else {
            std::fs::rename(&tmp, &target)?;
        }
        copied += 1;
    }
    Ok(copied)
}

impl Store {
    /// The backup folder, how many are kept and when the last one was made.
    pub fn backup_settings(&self) -> Result<BackupSettings> {
        Ok(BackupSettings {
            folder: self.meta("backup_folder")?,
            keep: self
                .meta("backup_keep")?
                .and_then(|k| k.parse().ok())
                .unwrap_or(DEFAULT_KEEP),
            last_ms: self.meta("backup_last_ms")?.and_then(|v| v.parse().ok()),
        })
    }

    /// Choose the folder (an absolute path that exists) and how many to keep (1 to 365).
    /// Administrators.
    pub fn set_backup_settings(&mut self, folder: &str, keep: u32) -> Result<()> {
        self.check(Act::ManageBackups)?;
        let path = Path::new(folder.trim());
        if !path.is_absolute() || !path.is_dir() {
            return Err(Error::invalid("folder", Reason::Unknown));
        }
        if !(1..=365).contains(&keep) {
            return Err(Error::invalid("keep", Reason::OutOfRange));
        }
        Store::set_meta(&self.conn, "backup_folder", &path.display().to_string())?;
        Store::set_meta(&self.conn, "backup_keep", &keep.to_string())
    }

    /// A backup is due: a folder is chosen and the last backup is a day old (or none).
    pub fn backup_due(&self) -> Result<bool> {
        let s = self.backup_settings()?;
        Ok(s.folder.is_some()
            && s.last_ms
                .is_none_or(|l| self.clock.now_ms().saturating_sub(l) >= BACKUP_EVERY_MS))
    }

    /// Back up into the chosen folder (the 备份 button's core, holding the store throughout:
    /// the shell runs [`BackupJob::run`] off its lock instead).
    pub fn backup(&mut self) -> Result<BackupSummary> {
        let job = self.backup_job()?;
        let made = job.run()?;
        self.backup_made(made)
    }

    /// Back up into the chosen folder without a signed-in check (`None`: no folder chosen).
    pub fn backup_unattended(&mut self) -> Result<Option<BackupSummary>> {
        match self.unattended_backup_job()? {
            Some(job) => {
                let made = job.run()?;
                self.backup_made(made).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The 备份 button's backup, to run off the store's lock: refused to a role that may not
    /// make backups, and when no folder is chosen.
    pub fn backup_job(&mut self) -> Result<BackupJob> {
        self.check(Act::MakeBackups)?;
        self.unattended_backup_job()?
            .ok_or(Error::invalid("folder", Reason::Required))
    }

    /// The daily and on-exit backups' job (`None`: no folder chosen), made whoever is (or is
    /// not) at the PC.
    pub fn unattended_backup_job(&self) -> Result<Option<BackupJob>> {
        let Some(folder) = self.backup_settings()?.folder else {
            return Ok(None);
        };
        let dir = self
            .dir
            .clone()
            .ok_or(Error::invalid("backup", Reason::Unknown))?;
        Ok(Some(BackupJob {
            db: dir.join(DB_FILE),
            dir,
            folder: PathBuf::from(folder),
            key: self.key.clone(),
            now: self.clock.now_ms(),
        }))
    }

    /// Record a backup [`BackupJob::run`] made and checked, and keep the folder's last N.
    pub fn backup_made(&mut self, made: BackupSummary) -> Result<BackupSummary> {
        let path = PathBuf::from(&made.path);
        let stamp = made.made_ms.unwrap_or_else(|| self.clock.now_ms());
        Store::set_meta(&self.conn, "backup_last_ms", &stamp.to_string())?;
        if let Some(folder) = path.parent() {
            self.prune_backups(folder)?;
        }
        Ok(made)
    }

    fn prune_backups(&self, folder: &Path) -> Result<()> {
        let keep = self.backup_settings()?.keep as usize;
        let names = backup_files(folder)?;
        let excess = names.len().saturating_sub(keep);
        for old in &names[..excess] {
            std::fs::remove_file(old)?;
        }
        Ok(())
    }

    /// The backups in the chosen folder, newest first, each as checked now.
    pub fn backups(&mut self) -> Result<Vec<BackupSummary>> {
        self.check(Act::MakeBackups)?;
        let Some(folder) = self.backup_settings()?.folder else {
            return Ok(Vec::new());
        };
        let mut names = backup_files(Path::new(&folder))?;
        names.reverse();
        Ok(names
            .iter()
            .map(|p| {
                inspect_backup(p, self.key.as_ref()).unwrap_or_else(|_| BackupSummary {
                    path: p.display().to_string(),
                    made_ms: None,
                    office_name: String::new(),
                    cases: 0,
                    events: 0,
                    digest: String::new(),
                    intact: false,
                })
            })
            .collect())
    }

    /// The folder's backup named `name` (a file name, never a path: the window can point
    /// nowhere else).
    pub fn backup_named(&mut self, name: &str) -> Result<PathBuf> {
        self.backups()?
            .into_iter()
            .map(|b| PathBuf::from(b.path))
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == name))
            .ok_or_else(|| Error::NotFound {
                what: "backup",
                id: name.to_owned(),
            })
    }

    /// The number of events and the log digest (as a backup records them).
    pub fn log_digest(&self) -> Result<(u32, String)> {
        log_digest(&self.conn)
    }

    /// 恢复: replace this store with the folder's backup `name`, the signed-in administrator
    /// confirming with their password. The store is closed, [`restore`]d and reopened (on the
    /// file kept as it was if the restore fails); nobody is signed in afterwards. A backup
    /// from before encryption is encrypted again with this store's key.
    pub fn restore_backup(&mut self, name: &str, password: &str) -> Result<BackupSummary> {
        self.confirm_restore(password)?;
        let path = self.backup_named(name)?;
        let backup = inspect_backup(&path, self.key.as_ref())?;
        let dir = self
            .dir
            .clone()
            .ok_or(Error::invalid("backup", Reason::NoFiles))?;
        let key = self.key.clone();
        let now = self.clock.now_ms();
        let clock = self.close_for_replacement()?;
        let restored = restore(&dir, &path, key.as_ref(), now);
        *self = match (cipher::store_file(&dir)?, key) {
            (StoreFile::Encrypted, Some(key)) => Store::open_keyed(&dir, clock, key)?,
            (_, key) => {
                let mut plain = Store::open(&dir, clock)?;
                if let Some(key) = key {
                    plain.encrypt_with(key, &Opening::default())?;
                }
                plain
            }
        };
        self.require_sign_in();
        restored?;
        Ok(backup)
    }

    /// Before a restore: the signed-in administrator confirms with their password.
    pub fn confirm_restore(&mut self, password: &str) -> Result<()> {
        self.check(Act::ManageBackups)?;
        if let Some(s) = self.signed_in()? {
            self.verify_own_password(s.account, password)?;
        }
        Ok(())
    }

    /// Refuse a write while a restored, enrolled PC has not synced yet.
    pub(super) fn check_resynced(&self) -> Result<()> {
        if self.meta(RESYNC)?.is_some() {
            return Err(Error::invalid("sync", Reason::SyncFirst));
        }
        Ok(())
    }

    /// A pull reached the end of the feed: a restored PC holds what the server has again.
    pub(super) fn resynced(conn: &Connection) -> Result<()> {
        conn.execute("DELETE FROM meta WHERE key = ?1", [RESYNC])?;
        Ok(())
    }
}

/// Replace the store in `dir` with `backup`, the store being closed. The backup is checked
/// first (it must open with `key`, or be plain, and pass `integrity_check`); the current
/// file is kept aside as `jiesu.db.before-restore-<time>` (with its WAL), and photos the
/// backup folder holds are brought back. Returns the kept-aside path.
pub fn restore(dir: &Path, backup: &Path, key: Option<&DbKey>, now_ms: i64) -> Result<PathBuf> {
    let summary = inspect_backup(backup, key)?;
    if !summary.intact {
        return Err(Error::invalid("backup", Reason::Malformed));
    }
    let db = dir.join(DB_FILE);
    let stamp = stamp(now_ms);
    let aside = dir.join(format!("{DB_FILE}.before-restore-{stamp}"));
    let part = dir.join(format!(".{DB_FILE}.restore.part"));
    std::fs::copy(backup, &part)?;
    crate::private::database(&part)?;
    {
        // Enrolled: sync before writing again (see the module's overview).
        let plain = cipher::file_kind(&part)? == StoreFile::Plain;
        let conn = cipher::connect_rw(&part, if plain { None } else { key })?;
        let enrolled: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'enrolment')",
                [],
                |r| r.get(0),
            )
            .unwrap_or(false);
        if enrolled {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, '1')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [RESYNC],
            )?;
        }
    }
    std::fs::File::open(&part)?.sync_all()?;
    if db.exists() {
        std::fs::rename(&db, &aside)?;
        for ext in ["-wal", "-shm"] {
            let side = dir.join(format!("{DB_FILE}{ext}"));
            if side.exists() {
                std::fs::rename(
                    &side,
                    dir.join(format!("{DB_FILE}.before-restore-{stamp}{ext}")),
                )?;
            }
        }
    }
    std::fs::rename(&part, &db)?;
    sync_dir(dir);
    if let Some(folder) = backup.parent() {
        crate::private::dir(&dir.join("attachments"))?;
        copy_photos(&folder.join("photos"), &dir.join("attachments"))?;
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::ManualClock;

    const NOW: i64 = 1_795_395_600_000;

    fn admin() -> crate::access::NewAccount {
        crate::access::NewAccount {
            login: "admin".into(),
            name: "王书记".into(),
            role: crate::Role::Admin,
            password: "a-long-password".into(),
        }
    }

    /// Seal the store file in `dir` again under `sealing` (a store from before, or from a
    /// PC that seals the other way).
    fn reseal(dir: &Path, key: &DbKey, sealing: Sealing) {
        let db = dir.join(DB_FILE);
        let old = dir.join("resealed.db");
        let conn = cipher::connect_rw(&db, Some(key)).unwrap();
        super::super::encrypt::export_sealed(&conn, &old, key, sealing, |_| Ok(())).unwrap();
        drop(conn);
        std::fs::rename(&old, &db).unwrap();
    }

    #[test]
    fn a_store_sealed_the_other_way_opens_backs_up_and_restores() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, folder, elsewhere) = (
            tmp.path().join("pc"),
            tmp.path().join("usb"),
            tmp.path().join("new-pc"),
        );
        std::fs::create_dir_all(&folder).unwrap();
        let clock = || Box::new(ManualClock::new(NOW));
        let mut s = Store::open(&dir, clock()).unwrap();
        s.first_run("雅园社区", admin(), true).unwrap();
        s.encrypt_now().unwrap();
        let key = s.key.clone().expect("encrypted");
        let before = s.log_digest().unwrap();
        drop(s);
        let sealing_of = |path: &Path| {
            Sealing::of(
                &cipher::connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY, Some(&key)).unwrap(),
            )
            .unwrap()
        };
        assert_eq!(sealing_of(&dir.join(DB_FILE)), Sealing::current());
        let older = Sealing::current().other();
        reseal(&dir, &key, older);
        assert_eq!(sealing_of(&dir.join(DB_FILE)), older);

        // The log as it was; signed in with the password as always (a sign-in is an
        // event); written to as always.
        let s = Store::open_keyed(&dir, clock(), key.clone()).unwrap();
        assert_eq!(s.log_digest().unwrap(), before);
        drop(s);
        let mut s = Store::unlock(&dir, clock(), "admin", "a-long-password").unwrap();
        let signed_in = s.log_digest().unwrap().0;
        assert_eq!(signed_in, before.0 + 1);
        s.receive(crate::sample::parking_complaint("3号楼东侧消防通道被占"))
            .unwrap();
        let after = s.log_digest().unwrap();
        assert!(after.0 > signed_in);
        assert_eq!(sealing_of(&dir.join(DB_FILE)), older);

        // Its backup is a new file, sealed as new files are, checks out, and restores on
        // another PC.
        s.set_backup_settings(&folder.display().to_string(), 3)
            .unwrap();
        let made = s.backup().unwrap();
        assert!(made.intact);
        let file = PathBuf::from(&made.path);
        assert_eq!(sealing_of(&file), Sealing::current());
        assert_eq!(inspect_backup(&file, Some(&key)).unwrap().digest, after.1);
        std::fs::create_dir_all(&elsewhere).unwrap();
        restore(&elsewhere, &file, Some(&key), NOW).unwrap();
        let restored = Store::open_keyed(&elsewhere, clock(), key.clone()).unwrap();
        assert_eq!(restored.log_digest().unwrap(), after);
    }
}
