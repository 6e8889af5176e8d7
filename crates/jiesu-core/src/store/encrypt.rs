//! Encrypting a plain store in place: an earlier version's file at the first start of this
//! one, or a first run's file once its first administrator exists (before that no password
//! could open it).
//!
//! Crash-safe at every step: the encrypted copy is written beside the plain file
//! (`.jiesu.db.encrypt.part`), verified (integrity check, same event count and log digest),
//! its keys file written, and only then renamed over `jiesu.db`. The plain file is kept
//! linked as `.jiesu.db.plain` across the rename and overwritten with zeros afterwards. At
//! every moment `jiesu.db` is the whole plain store or the whole verified encrypted one; a
//! start after a crash finishes what was left ([`finish_shredding`]) or starts again. Photos
//! are sealed after the store, each replaced the same way.
//!
//! A disk that remaps blocks (an SSD) may keep old copies the overwrite cannot reach: whole-
//! disk encryption is the complete answer there, and docs/ARCHITECTURE.md says so.

use std::path::Path;

use rusqlite::params;

use super::cipher::{self, DbKey, Sealing, StoreFile};
use super::keyring::RECOVERY_UNSAVED;
use super::*;

const PART: &str = ".jiesu.db.encrypt.part";
const PLAIN: &str = ".jiesu.db.plain";
/// A photo's plain file, kept linked while its sealed copy replaces it.
const SHRED_SUFFIX: &str = ".plain";

/// Overwrite a file with zeros, sync, and remove it.
fn shred(path: &Path) -> Result<()> {
    use std::io::{Seek, Write};
    let len = std::fs::metadata(path)?.len();
    {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.seek(std::io::SeekFrom::Start(0))?;
        let zeros = vec![0u8; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            f.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        f.sync_all()?;
    }
    std::fs::remove_file(path)?;
    Ok(())
}

/// `path`'s bytes replaced by the file `new`: the old content stays linked under `keep`
/// across the rename and is shredded after it.
pub(super) fn replace_shredding(path: &Path, new: &Path, keep: &Path) -> Result<()> {
    if keep.exists() {
        std::fs::remove_file(keep)?;
    }
    std::fs::hard_link(path, keep)?;
    std::fs::rename(new, path)?;
    if let Some(dir) = path.parent() {
        super::backup::sync_dir(dir);
    }
    shred(keep)
}

/// What a crash left: the plain store's link once `jiesu.db` is encrypted is shredded (if
/// `jiesu.db` is still plain it is the same file, and only the name goes), as are photos'
/// plain links whose sealed copy is in place; a half-written copy is removed.
pub fn finish_shredding(dir: &Path) -> Result<()> {
    let part = dir.join(PART);
    if part.exists() {
        std::fs::remove_file(&part)?;
    }
    let plain = dir.join(PLAIN);
    if plain.exists() {
        match cipher::store_file(dir)? {
            StoreFile::Encrypted => shred(&plain)?,
            _ => std::fs::remove_file(&plain)?,
        }
    }
    let photos = dir.join("attachments");
    if let Ok(entries) = std::fs::read_dir(&photos) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(sha) = name.strip_suffix(SHRED_SUFFIX) else {
                continue;
            };
            if cipher::file_sealed(&photos.join(sha)) {
                shred(&entry.path())?;
            } else {
                std::fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Seal every photo still plain in `dir/attachments` (idempotent; a crash part-way leaves
/// each photo plain or sealed, never lost).
pub(super) fn seal_photos(dir: &Path, key: &DbKey) -> Result<u32> {
    use std::io::Write;
    let photos = dir.join("attachments");
    let Ok(entries) = std::fs::read_dir(&photos) else {
        return Ok(0);
    };
    let mut sealed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        // Every opening passes here: the first bytes tell, without reading a photo whole.
        if cipher::file_sealed(&entry.path()) {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        let tmp = photos.join(format!(".{name}.tmp"));
        {
            let mut f = crate::private::create(&tmp)?;
            f.write_all(&cipher::photo_to_disk(Some(key), &name, &bytes))?;
            f.sync_all()?;
        }
        replace_shredding(
            &entry.path(),
            &tmp,
            &photos.join(format!("{name}{SHRED_SUFFIX}")),
        )?;
        sealed += 1;
    }
    Ok(sealed)
}

/// Copy everything `conn`'s main file holds into the empty file `path`, encrypted with `key`
/// and sealed with `sealing`, its schema version included; `more` writes to the copy
/// (attached as `enc`) before it is detached.
pub(super) fn export_sealed(
    conn: &Connection,
    path: &Path,
    key: &DbKey,
    sealing: Sealing,
    more: impl FnOnce(&Connection) -> Result<()>,
) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let raw = zeroize::Zeroizing::new(format!("x'{}'", hex::encode(key.bytes())));
    conn.execute(
        "ATTACH DATABASE ?1 AS enc KEY ?2",
        params![path.to_string_lossy(), raw.as_str()],
    )?;
    let copied = (|| -> Result<()> {
        conn.execute_batch(&sealing.pragmas("enc"))?;
        conn.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        // sqlcipher_export copies the schema and rows, not the header's version, which the
        // migrations read.
        conn.execute_batch(&format!("PRAGMA enc.user_version = {version}"))?;
        more(conn)
    })();
    conn.execute_batch("DETACH DATABASE enc")?;
    copied
}

/// Encrypt the plain store on `conn` (the data directory `dir`'s `jiesu.db`) with `key`,
/// when at least one account can sign in to open it; `false` (nothing done) otherwise.
/// `conn` is closed by the caller after this returns `true`; the file it had open is gone.
fn encrypt_file(
    dir: &Path,
    conn: &Connection,
    owner: &str,
    key: &DbKey,
    opening: &Opening,
) -> Result<bool> {
    let has_account: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM credentials c JOIN accounts a ON a.id = c.account
                        WHERE a.owner = ?1 AND a.active = 1)",
        [owner],
        |r| r.get(0),
    )?;
    if !has_account {
        return Ok(false);
    }
    // The whole file is copied: at a district's size, long enough to say so.
    opening.tell(OpeningStep::Encrypting, 0, 0);
    let office_name: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'office_name'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    let (keys, recovery) = Store::keys_for(dir, conn, owner, &office_name, key)?;
    // Everything in the main file: the copy is made from it alone.
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    let part = dir.join(PART);
    if part.exists() {
        std::fs::remove_file(&part)?;
    }
    crate::private::create(&part)?;
    export_sealed(conn, &part, key, Sealing::current(), |conn| {
        if let Some(recovery) = &recovery {
            conn.execute(
                "INSERT INTO enc.meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![RECOVERY_UNSAVED, recovery],
            )?;
        }
        Ok(())
    })?;
    // Verified before anything is replaced.
    {
        let enc = cipher::connect_rw(&part, Some(key))?;
        let check: String = enc.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" || super::backup::log_digest(&enc)? != super::backup::log_digest(conn)? {
            return Err(Error::invalid("store", Reason::Malformed));
        }
    }
    std::fs::File::open(&part)?.sync_all()?;
    // The way in exists before the encrypted file takes the store's name.
    keys.write(dir)?;
    Ok(true)
}

impl Store {
    /// Close this store's file (both connections) so it can be replaced, leaving an empty
    /// store in memory in its place; returns its clock, for the store reopened after.
    pub(super) fn close_for_replacement(&mut self) -> Result<Box<dyn Clock>> {
        let now = self.clock.now_ms();
        let clock = self.replace_clock(Box::new(crate::hlc::ManualClock::new(now)));
        drop(std::mem::replace(
            self,
            Store::open_in_memory(Box::new(crate::hlc::ManualClock::new(now)))?,
        ));
        Ok(clock)
    }

    /// Encrypt this store's file in place when it is plain and an account can open it (see
    /// the module's overview); nothing when it is encrypted already, in memory, or has no
    /// account yet. The store is reopened on the encrypted file with the same session; on
    /// an error it is reopened on the plain file, which is whole.
    pub fn encrypt_now(&mut self) -> Result<bool> {
        self.encrypt_with(DbKey::random(), &Opening::default())
    }

    /// [`Store::encrypt_now`], telling `opening` when the copy begins.
    pub fn encrypt_now_watched(&mut self, opening: &Opening) -> Result<bool> {
        self.encrypt_with(DbKey::random(), opening)
    }

    /// [`Store::encrypt_now`] with a given key: a restored plain backup takes the key the
    /// store had (and keeps its recovery key).
    pub(super) fn encrypt_with(&mut self, key: DbKey, opening: &Opening) -> Result<bool> {
        let Some(dir) = self.dir.clone() else {
            return Ok(false);
        };
        if self.key.is_some() {
            return Ok(false);
        }
        let owner = self.own_owner();
        if !encrypt_file(&dir, &self.conn, &owner, &key, opening)? {
            return Ok(false);
        }
        let sign_in = std::mem::take(&mut self.sign_in);
        // Close the plain file (both connections): it is about to be replaced.
        let clock = self.close_for_replacement()?;
        let db = dir.join(DB_FILE);
        for ext in ["-wal", "-shm"] {
            let side = dir.join(format!("{DB_FILE}{ext}"));
            if side.exists() {
                shred(&side)?;
            }
        }
        let replaced = replace_shredding(&db, &dir.join(PART), &dir.join(PLAIN));
        let reopened = match cipher::store_file(&dir)? {
            StoreFile::Encrypted => Store::open_keyed(&dir, clock, key.clone()),
            _ => Store::open(&dir, clock),
        };
        *self = reopened?;
        self.sign_in = sign_in;
        replaced?;
        seal_photos(&dir, &key)?;
        Ok(true)
    }
}
