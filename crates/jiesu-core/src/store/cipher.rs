//! Encryption at rest: the database key, keyed connections, encrypted photos.
//!
//! The store file is SQLCipher (AES-256-CBC, an HMAC per page) under a random 256-bit
//! database key, given to SQLCipher raw (no passphrase derivation: the key is already
//! random; the password stretching happens once, when the key is unwrapped, see
//! `keyring`). Files made on a PC whose CPU computes SHA-256 in hardware (x86 SHA-NI, Arm
//! SHA2) MAC each page with HMAC-SHA256, about half of SHA-512's share of a commit there
//! (docs/BENCHMARKS.md); elsewhere, and in stores encrypted before this choice, HMAC-SHA512,
//! SQLCipher 4's default ([`Sealing`]). A file keeps its sealing for life and does not say
//! which it is (its header is encrypted too), so [`connect`] tries one and then the other.
//!
//! Photos are sealed with XChaCha20-Poly1305 under a key derived from the same
//! database key, so one key opens everything a PC holds and nothing opens without it.
//!
//! The key lives in memory while the app runs (zeroed when dropped); on disk it exists only
//! wrapped (`jiesu.keys`).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use crate::error::{Error, Reason, Result};

/// A 256-bit key (the database key, or a key wrapping it).
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    /// A fresh random key.
    pub fn random() -> DbKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(k.as_mut());
        DbKey(k)
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<DbKey> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(DbKey(Zeroizing::new(arr)))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A key for another purpose, derived from this one (HKDF-SHA256).
    pub(crate) fn derive(&self, purpose: &[u8]) -> DbKey {
        derive(self.bytes(), purpose)
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(..)")
    }
}

/// HKDF-SHA256 of `ikm` for `purpose`.
pub(crate) fn derive(ikm: &[u8], purpose: &[u8]) -> DbKey {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, ikm)
        .expand(purpose, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    DbKey(out)
}

/// `plain` sealed under `key`: a random 24-byte nonce, then the ciphertext with its tag.
/// `aad` binds it to where it belongs (a photo's name, an account's wrap).
pub(crate) fn seal(key: &DbKey, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("XChaCha20-Poly1305 encrypts any length a photo has");
    let mut out = Vec::with_capacity(24 + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The plaintext of [`seal`]'s output; `None` when the key, the `aad` or a byte is wrong.
pub(crate) fn open(key: &DbKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < 24 {
        return None;
    }
    let (nonce, body) = sealed.split_at(24);
    XChaCha20Poly1305::new(key.bytes().into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
        .map(Zeroizing::new)
}

/// What a data directory's store file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFile {
    /// No store yet (or an empty file: a first start that stopped before writing).
    New,
    /// A plain SQLite file: from a version before encryption, or a first run whose first
    /// administrator is not made yet.
    Plain,
    /// Encrypted: it opens only with a key unwrapped from `jiesu.keys`.
    Encrypted,
}

/// Every plain SQLite file starts with these 16 bytes; an encrypted one starts with its
/// random salt.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What `path` holds, by its first 16 bytes.
pub fn file_kind(path: &Path) -> Result<StoreFile> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StoreFile::New),
        Err(e) => return Err(e.into()),
    };
    let mut head = [0u8; 16];
    let mut got = 0;
    while got < 16 {
        match f.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(match got {
        0 => StoreFile::New,
        16 if &head == SQLITE_HEADER => StoreFile::Plain,
        _ => StoreFile::Encrypted,
    })
}

/// What the data directory's store is.
pub fn store_file(dir: &Path) -> Result<StoreFile> {
    file_kind(&dir.join(super::DB_FILE))
}

/// How an encrypted file's pages are authenticated. Everything else is SQLCipher 4's
/// defaults (4 KiB pages, AES-256-CBC, the HMAC key derived with PBKDF2-HMAC-SHA512), pinned
/// here so that a later SQLCipher changing a default cannot strand a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sealing {
    /// HMAC-SHA256: files made on a CPU that computes SHA-256 in hardware.
    Sha256,
    /// HMAC-SHA512, SQLCipher 4's default: stores encrypted before (and their backups), and
    /// files made on a CPU without SHA-256 instructions, where SHA-512 is the cheaper one
    /// (it works in 64-bit words).
    Sha512,
}

impl Sealing {
    /// What a file made on this PC is sealed with: the cheaper of the two here. Either opens
    /// anywhere (a backup restored on another PC), at that PC's cost for it.
    pub(crate) fn current() -> Sealing {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("sha") {
            return Sealing::Sha256;
        }
        #[cfg(target_arch = "aarch64")]
        if std::arch::is_aarch64_feature_detected!("sha2") {
            return Sealing::Sha256;
        }
        Sealing::Sha512
    }

    /// The one that is not this.
    pub(crate) fn other(self) -> Sealing {
        match self {
            Sealing::Sha256 => Sealing::Sha512,
            Sealing::Sha512 => Sealing::Sha256,
        }
    }

    fn hmac(self) -> &'static str {
        match self {
            Sealing::Sha256 => "HMAC_SHA256",
            Sealing::Sha512 => "HMAC_SHA512",
        }
    }

    /// The sealing of the open, keyed connection `conn`'s main file.
    #[cfg(test)]
    pub(crate) fn of(conn: &Connection) -> Result<Sealing> {
        let hmac: String = conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))?;
        [Sealing::Sha256, Sealing::Sha512]
            .into_iter()
            .find(|s| s.hmac() == hmac)
            .ok_or(Error::invalid("store", Reason::Malformed))
    }

    /// The pragmas that give the schema `schema` (`main`, or an attached name) this
    /// sealing; they must come after its key and before its first read.
    pub(crate) fn pragmas(self, schema: &str) -> String {
        format!(
            "PRAGMA {schema}.cipher_page_size = 4096;
             PRAGMA {schema}.cipher_kdf_algorithm = PBKDF2_HMAC_SHA512;
             PRAGMA {schema}.cipher_hmac_algorithm = {};",
            self.hmac()
        )
    }
}

/// The sealing that last opened a file after another failed (0: none yet, 1: SHA-256,
/// 2: SHA-512).
static LAST_OPENED: AtomicU8 = AtomicU8::new(0);

/// Give `conn` its key and sealing; it must be the connection's first statement. `None`: a
/// plain file.
pub(crate) fn key_connection(
    conn: &Connection,
    key: Option<&DbKey>,
    sealing: Sealing,
) -> Result<()> {
    let Some(key) = key else {
        return Ok(());
    };
    let sql = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex::encode(key.bytes())));
    conn.execute_batch(&sql)?;
    conn.execute_batch(&sealing.pragmas("main"))?;
    Ok(())
}

/// Open `path` with `key` and check the key opens it (SQLCipher only finds out at the first
/// read), under each [`Sealing`] in turn: `wrong_key` when none opens it, or when the file is
/// not a database at all. A missing or empty file is made with the current sealing.
pub(crate) fn connect(path: &Path, flags: OpenFlags, key: Option<&DbKey>) -> Result<Connection> {
    // The sealing that opened a file last goes first: a process holding a store sealed the
    // other way opens it (its writer, its reader, its backups) without a failed try, which
    // SQLCipher would log as an error each time.
    let first = match LAST_OPENED.load(Ordering::Relaxed) {
        1 => Sealing::Sha256,
        2 => Sealing::Sha512,
        _ => Sealing::current(),
    };
    let tries = match (key, file_kind(path)?) {
        (None, _) | (_, StoreFile::New) => vec![Sealing::current()],
        _ => vec![first, first.other()],
    };
    for (i, &sealing) in tries.iter().enumerate() {
        let conn = Connection::open_with_flags(path, flags)?;
        key_connection(&conn, key, sealing)?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {
                if i > 0 {
                    let code = match sealing {
                        Sealing::Sha256 => 1,
                        Sealing::Sha512 => 2,
                    };
                    LAST_OPENED.store(code, Ordering::Relaxed);
                }
                return Ok(conn);
            }
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::invalid("key", Reason::WrongKey))
}

/// A read-write connection, created if missing, with `key`.
pub(crate) fn connect_rw(path: &Path, key: Option<&DbKey>) -> Result<Connection> {
    connect(path, OpenFlags::default(), key)
}

// ---------------------------------------------------------------- photos

/// An encrypted photo file starts with this; a file without it is a photo from before
/// encryption (read as it is until the store encrypts it).
const PHOTO_MAGIC: &[u8; 8] = b"JIESUP1\0";

/// The key photos are sealed with.
pub(crate) fn photo_key(key: &DbKey) -> DbKey {
    key.derive(b"jiesu photos v1")
}

/// A photo's bytes as they go to disk: sealed when the store is encrypted.
pub(crate) fn photo_to_disk(key: Option<&DbKey>, sha256: &str, bytes: &[u8]) -> Vec<u8> {
    match key {
        None => bytes.to_vec(),
        Some(k) => {
            let mut out = PHOTO_MAGIC.to_vec();
            out.extend(seal(&photo_key(k), sha256.as_bytes(), bytes));
            out
        }
    }
}

/// Whether the photo file at `path` is sealed (by its first bytes).
pub(crate) fn file_sealed(path: &Path) -> bool {
    let mut head = [0u8; PHOTO_MAGIC.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == PHOTO_MAGIC)
}

/// Whether a photo file on disk is sealed.
pub(crate) fn photo_is_sealed(disk: &[u8]) -> bool {
    disk.starts_with(PHOTO_MAGIC)
}

/// A photo's bytes from disk: opened when sealed (under `sha256` as its name), as they are
/// otherwise. A sealed photo without the key, or one altered on disk: `wrong_key`.
pub fn photo_from_disk(key: Option<&DbKey>, sha256: &str, disk: Vec<u8>) -> Result<Vec<u8>> {
    if !photo_is_sealed(&disk) {
        return Ok(disk);
    }
    let key = key.ok_or(Error::invalid("attachment", Reason::WrongKey))?;
    open(
        &photo_key(key),
        sha256.as_bytes(),
        &disk[PHOTO_MAGIC.len()..],
    )
    .map(|z| z.to_vec())
    .ok_or(Error::invalid("attachment", Reason::WrongKey))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file made under `from`, holding one table, and the key it is under.
    fn file_sealed_with(path: &Path, from: Sealing) -> DbKey {
        let key = DbKey::random();
        let conn = Connection::open(path).unwrap();
        key_connection(&conn, Some(&key), from).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES ('13800138000');")
            .unwrap();
        key
    }

    /// Whether `path` opens with `key` under exactly `sealing` (no fallback).
    fn opens_under(path: &Path, key: &DbKey, sealing: Sealing) -> bool {
        let conn = Connection::open(path).unwrap();
        key_connection(&conn, Some(key), sealing).unwrap();
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
            .is_ok()
    }

    #[test]
    fn a_new_file_is_sealed_as_this_cpu_prefers_and_not_the_other_way() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.db");
        let key = DbKey::random();
        // Even in a process that last opened a file sealed the other way.
        let other = Sealing::current().other();
        LAST_OPENED.store(
            if other == Sealing::Sha256 { 1 } else { 2 },
            Ordering::Relaxed,
        );
        {
            let conn = connect_rw(&path, Some(&key)).unwrap();
            conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
                .unwrap();
            assert_eq!(Sealing::of(&conn).unwrap(), Sealing::current());
        }
        assert!(opens_under(&path, &key, Sealing::current()));
        assert!(!opens_under(&path, &key, other));
        assert_eq!(file_kind(&path).unwrap(), StoreFile::Encrypted);
    }

    #[test]
    fn a_file_sealed_the_other_way_still_opens_under_its_sealing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("old.db");
        let older = Sealing::current().other();
        let key = file_sealed_with(&path, older);
        assert!(!opens_under(&path, &key, Sealing::current()));
        let conn = connect_rw(&path, Some(&key)).unwrap();
        assert_eq!(Sealing::of(&conn).unwrap(), older);
        // Written to under its own sealing, and still readable after.
        conn.execute("INSERT INTO t VALUES ('later')", []).unwrap();
        drop(conn);
        assert!(opens_under(&path, &key, older));
        let conn = connect(&path, OpenFlags::SQLITE_OPEN_READ_ONLY, Some(&key)).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn a_wrong_key_opens_under_no_sealing() {
        let tmp = tempfile::tempdir().unwrap();
        for sealing in [Sealing::Sha256, Sealing::Sha512] {
            let path = tmp.path().join(format!("{sealing:?}.db"));
            file_sealed_with(&path, sealing);
            match connect_rw(&path, Some(&DbKey::random())) {
                Err(Error::Invalid {
                    reason: Reason::WrongKey,
                    ..
                }) => {}
                other => panic!("{sealing:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn sealed_bytes_open_only_with_their_key_and_name() {
        let k = DbKey::random();
        let s = seal(&k, b"a", b"hello");
        assert_eq!(open(&k, b"a", &s).unwrap().as_slice(), b"hello");
        assert!(open(&k, b"b", &s).is_none(), "another name");
        assert!(open(&DbKey::random(), b"a", &s).is_none(), "another key");
        let mut flipped = s.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(open(&k, b"a", &flipped).is_none(), "a changed byte");
        assert!(open(&k, b"a", &s[..10]).is_none(), "cut short");
    }

    #[test]
    fn a_photo_on_disk_holds_none_of_its_bytes_and_reads_back() {
        let k = DbKey::random();
        let photo = b"JPEG 13800138000 resident".repeat(10);
        let disk = photo_to_disk(Some(&k), "ab", &photo);
        assert!(photo_is_sealed(&disk));
        assert!(!disk.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(
            photo_from_disk(Some(&k), "ab", disk.clone()).unwrap(),
            photo
        );
        assert!(photo_from_disk(None, "ab", disk.clone()).is_err());
        assert!(
            photo_from_disk(Some(&k), "cd", disk).is_err(),
            "moved under another name"
        );
        // A photo from before encryption reads as it is.
        assert_eq!(
            photo_from_disk(Some(&k), "ab", photo.clone()).unwrap(),
            photo
        );
    }

    #[test]
    fn a_file_is_told_plain_or_encrypted_by_its_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.db");
        assert_eq!(file_kind(&p).unwrap(), StoreFile::New);
        std::fs::write(&p, b"").unwrap();
        assert_eq!(file_kind(&p).unwrap(), StoreFile::New);
        std::fs::remove_file(&p).unwrap();
        Connection::open(&p)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert_eq!(file_kind(&p).unwrap(), StoreFile::Plain);
        let q = dir.path().join("y.db");
        let k = DbKey::random();
        connect_rw(&q, Some(&k))
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert_eq!(file_kind(&q).unwrap(), StoreFile::Encrypted);
        assert!(connect_rw(&q, Some(&DbKey::random())).is_err(), "wrong key");
        assert!(connect_rw(&q, None).is_err(), "no key");
        assert!(connect_rw(&q, Some(&k)).is_ok());
    }
}
