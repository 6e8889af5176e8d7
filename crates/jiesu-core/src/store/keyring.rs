//! The key hierarchy: `jiesu.keys` holds the database key wrapped once per account that may
//! sign in on this PC, and once under the recovery key.
//!
//! An account's wrapping key is HKDF of the Argon2id output of its password, the same output
//! its credential (`credentials.phc`, inside the encrypted store) keeps. The keys file holds
//! only the Argon2id parameters and salt, so unwrapping needs the password; and while the
//! store is open, the wraps can be rebuilt from the credentials without anyone's password —
//! which is what lets an account added, reset or closed at any time (and every account of a
//! store encrypted by the upgrade) open the store at the next start. Whoever can read a
//! credential already holds the database key, so deriving from it gives nothing away.
//!
//! The recovery key (200 random bits, shown once to an administrator, printable) opens the
//! store when every password is forgotten: an administrator's password is then set again.
//!
//! The file is public in the sense that losing it loses nothing but the way in: it holds no
//! key, no password, no hash, only logins, salts and sealed keys. Every write is atomic.

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::cipher::{self, DbKey, StoreFile};
use super::*;
use crate::access::{Role, Session};

/// The keys file's name in the data directory (and beside the backups).
pub const KEYS_FILE: &str = "jiesu.keys";

const ACCOUNT_PURPOSE: &[u8] = b"jiesu account wrap v1";
const RECOVERY_PURPOSE: &[u8] = b"jiesu recovery wrap v1";

/// Random bytes of a recovery key: 40 base32 characters.
const RECOVERY_BYTES: usize = 25;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(super) struct KeysFile {
    version: u32,
    /// Shown on the sign-in screen before the store is open.
    #[serde(default)]
    office_name: String,
    #[serde(default)]
    accounts: Vec<AccountWrap>,
    #[serde(default)]
    recovery: Option<String>,
    /// Names the database key without revealing it (HKDF output, 8 bytes): a file made for
    /// the same key keeps its recovery wrap when the store is encrypted again.
    #[serde(default)]
    check: String,
}

fn key_check(key: &DbKey) -> String {
    hex::encode(&key.derive(b"jiesu key check v1").bytes()[..8])
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AccountWrap {
    account: Uuid,
    login: String,
    /// The credential's PHC string without its hash: algorithm, parameters, salt.
    kdf: String,
    /// The database key sealed under the account's wrapping key (hex).
    wrapped: String,
}

/// The most memory (KiB) and passes a keys file may ask of Argon2id: well above what the app
/// uses (19 MiB, 2 passes), far below what would exhaust an office PC.
const MAX_KDF_KIB: u32 = 256 * 1024;
const MAX_KDF_PASSES: u32 = 16;

/// What an unknown login is stretched with, so it costs what a known one does.
const DUMMY_KDF: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA";

fn account_aad(account: &Uuid) -> Vec<u8> {
    format!("jiesu account {account}").into_bytes()
}

/// The Argon2id output a PHC credential holds, and its parameters without it.
fn split_phc(phc: &str) -> Option<(String, Zeroizing<Vec<u8>>)> {
    let parsed = PasswordHash::new(phc).ok()?;
    let out = Zeroizing::new(parsed.hash?.as_bytes().to_vec());
    let (kdf, _) = phc.rsplit_once('$')?;
    Some((kdf.to_owned(), out))
}

/// The Argon2id output of `password` under `kdf`'s algorithm, parameters and salt: what the
/// credential made with that password holds.
fn stretch(kdf: &str, password: &str) -> Option<Zeroizing<Vec<u8>>> {
    let parsed = PasswordHash::new(kdf).ok()?;
    let params = argon2::Params::try_from(&parsed).ok()?;
    // A keys file may come from another PC (beside a backup on a USB disk): parameters that
    // would take gigabytes or minutes are no credential this app made, and are refused.
    if params.m_cost() > MAX_KDF_KIB || params.t_cost() > MAX_KDF_PASSES || params.p_cost() > 8 {
        return None;
    }
    #[cfg(test)]
    crate::access::ARGON2_RUNS.with(|n| n.set(n.get() + 1));
    let hash = argon2::Argon2::default()
        .hash_password_customized(
            password.as_bytes(),
            Some(parsed.algorithm),
            parsed.version,
            params,
            parsed.salt?,
        )
        .ok()?;
    Some(Zeroizing::new(hash.hash?.as_bytes().to_vec()))
}

/// The database key sealed in `wrap`, opened with its account's Argon2id output.
fn open_wrap(wrap: &AccountWrap, out: &[u8]) -> Option<DbKey> {
    let kek = cipher::derive(out, ACCOUNT_PURPOSE);
    let sealed = hex::decode(&wrap.wrapped).ok()?;
    DbKey::from_bytes(&cipher::open(&kek, &account_aad(&wrap.account), &sealed)?)
}

/// A password stretched under an account's wrap: what unlocked the store, kept so the
/// sign-in that follows checks the account's credential without a second Argon2id run
/// (the first sign-in's whole cost was two of them).
struct Stretched {
    kdf: String,
    out: Zeroizing<Vec<u8>>,
}

impl Stretched {
    /// Whether this stretch proves the password of the credential `phc`: the same
    /// parameters and salt, and the same output, compared in constant time. A credential
    /// changed since the keys file was written is no match, and is checked the slow way.
    fn proves(&self, phc: &str) -> bool {
        use argon2::password_hash::Output;
        let Some((kdf, out)) = split_phc(phc) else {
            return false;
        };
        kdf == self.kdf
            && matches!(
                (Output::new(&out), Output::new(&self.out)),
                (Ok(a), Ok(b)) if a == b
            )
    }
}

/// A new recovery key as it is shown: 8 groups of 5 characters.
fn new_recovery_key() -> (Zeroizing<Vec<u8>>, String) {
    let mut bytes = Zeroizing::new(vec![0u8; RECOVERY_BYTES]);
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes);
    let grouped = text
        .as_bytes()
        .chunks(5)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    (bytes, grouped)
}

/// A recovery key as typed: case, spaces and dashes do not matter.
fn parse_recovery_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()?;
    (bytes.len() == RECOVERY_BYTES).then(|| Zeroizing::new(bytes))
}

fn keys_path(dir: &Path) -> PathBuf {
    dir.join(KEYS_FILE)
}

impl KeysFile {
    pub(super) fn read(dir: &Path) -> Result<Option<KeysFile>> {
        // A keys file holds a few hundred bytes an account; one beside a backup may come from
        // anywhere, and is not read whole into memory when it is far larger than any.
        if std::fs::metadata(keys_path(dir)).is_ok_and(|m| m.len() > 1 << 20) {
            return Err(Error::invalid("keys", Reason::Malformed));
        }
        match std::fs::read(keys_path(dir)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| Error::invalid("keys", Reason::Malformed)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Written aside, synced, renamed: a crash leaves the old file or the new, never half.
    pub(super) fn write(&self, dir: &Path) -> Result<()> {
        use std::io::Write;
        let tmp = dir.join(format!(".{KEYS_FILE}.part"));
        {
            let mut f = crate::private::create(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, keys_path(dir))?;
        super::backup::sync_dir(dir);
        Ok(())
    }

    /// A keys file for `key` with a fresh recovery key, returned for showing once.
    pub(super) fn new_with_recovery(key: &DbKey) -> (KeysFile, String) {
        let (bytes, text) = new_recovery_key();
        let kek = cipher::derive(&bytes, RECOVERY_PURPOSE);
        let file = KeysFile {
            version: 1,
            check: key_check(key),
            office_name: String::new(),
            accounts: Vec::new(),
            recovery: Some(hex::encode(cipher::seal(
                &kek,
                b"jiesu recovery",
                key.bytes(),
            ))),
        };
        (file, text)
    }

    /// The wraps for these credentials (account, login, PHC), replacing every earlier one.
    pub(super) fn wrap_accounts(&mut self, key: &DbKey, creds: &[(Uuid, String, String)]) {
        self.accounts = creds
            .iter()
            .filter_map(|(account, login, phc)| {
                let (kdf, out) = split_phc(phc)?;
                let kek = cipher::derive(&out, ACCOUNT_PURPOSE);
                Some(AccountWrap {
                    account: *account,
                    login: login.clone(),
                    kdf,
                    wrapped: hex::encode(cipher::seal(&kek, &account_aad(account), key.bytes())),
                })
            })
            .collect();
    }

    /// The database key, unwrapped with `login`'s password, and the stretch that did it. One
    /// Argon2id run; an unknown login spends the same time, so the answer does not tell which
    /// logins exist.
    fn unwrap_with_password(&self, login: &str, password: &str) -> Option<(DbKey, Stretched)> {
        let login = login.trim().to_lowercase();
        let wrap = self.accounts.iter().find(|w| w.login == login);
        let kdf = wrap.map_or(DUMMY_KDF, |w| w.kdf.as_str());
        let out = stretch(kdf, password)?;
        let wrap = wrap?;
        let key = open_wrap(wrap, &out)?;
        let stretched = Stretched {
            kdf: wrap.kdf.clone(),
            out,
        };
        Some((key, stretched))
    }

    /// Whether this file already holds what [`KeysFile::wrap_accounts`] would write for `key`
    /// and `creds`, each wrap opening to `key`: then rewriting it (fresh nonces, the same
    /// meaning) would only wear the disk and write key material again at every sign-in.
    fn holds(&self, key: &DbKey, office_name: &str, creds: &[(Uuid, String, String)]) -> bool {
        let wanted: Vec<_> = creds
            .iter()
            .filter_map(|(account, login, phc)| Some((account, login, split_phc(phc)?)))
            .collect();
        self.version == 1
            && self.check == key_check(key)
            && self.office_name == office_name
            && self.accounts.len() == wanted.len()
            && self
                .accounts
                .iter()
                .zip(&wanted)
                .all(|(w, (account, login, (kdf, out)))| {
                    w.account == **account
                        && w.login == **login
                        && w.kdf == *kdf
                        && open_wrap(w, out).is_some_and(|k| k.bytes() == key.bytes())
                })
    }

    fn unwrap_with_recovery(&self, recovery_key: &str) -> Option<DbKey> {
        let bytes = parse_recovery_key(recovery_key)?;
        let kek = cipher::derive(&bytes, RECOVERY_PURPOSE);
        let sealed = hex::decode(self.recovery.as_ref()?).ok()?;
        DbKey::from_bytes(&cipher::open(&kek, b"jiesu recovery", &sealed)?)
    }
}

/// The office name the sign-in screen shows while the store is still locked.
pub fn locked_office_name(dir: &Path) -> Option<String> {
    KeysFile::read(dir)
        .ok()
        .flatten()
        .map(|k| k.office_name)
        .filter(|n| !n.is_empty())
}

/// The credentials of this office's accounts that may sign in: what the wraps follow.
fn wrappable(conn: &Connection, owner: &str) -> Result<Vec<(Uuid, String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.login, c.phc FROM credentials c JOIN accounts a ON a.id = c.account
         WHERE a.owner = ?1 AND a.active = 1 ORDER BY a.login",
    )?;
    let rows = stmt.query_map([owner], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, login, phc) = row?;
        if let Ok(id) = Uuid::parse_str(&id) {
            out.push((id, login, phc));
        }
    }
    Ok(out)
}

impl Store {
    /// Whether this store's file is encrypted (it was opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// Bring `jiesu.keys` in line with the credentials: a wrap for every account that may
    /// sign in here, none for a closed one. Called after every change of a credential and
    /// at every unlock (which also repairs a crash between the two writes).
    pub(super) fn sync_keyring(&self) -> Result<()> {
        let (Some(key), Some(dir)) = (&self.key, &self.dir) else {
            return Ok(());
        };
        let mut file = KeysFile::read(dir)?.unwrap_or_default();
        let creds = wrappable(&self.conn, &self.own_owner())?;
        if file.holds(key, &self.identity.office_name, &creds) {
            return Ok(());
        }
        if file.check != key_check(key) {
            // Another key's file: its recovery wrap would open nothing.
            file.recovery = None;
        }
        file.version = 1;
        file.check = key_check(key);
        file.office_name = self.identity.office_name.clone();
        file.wrap_accounts(key, &creds);
        file.write(dir)
    }

    /// The keys file for a store about to be encrypted with `key` (on `conn`, in `dir`),
    /// with a new recovery key to show, unless `dir`'s keys file is for the same key already
    /// (a plain backup restored): then its recovery key stays valid and `None` comes back.
    pub(super) fn keys_for(
        dir: &Path,
        conn: &Connection,
        owner: &str,
        office_name: &str,
        key: &DbKey,
    ) -> Result<(KeysFile, Option<String>)> {
        let (mut file, recovery) = match KeysFile::read(dir).ok().flatten() {
            Some(f) if f.check == key_check(key) && f.recovery.is_some() => (f, None),
            _ => {
                let (f, r) = KeysFile::new_with_recovery(key);
                (f, Some(r))
            }
        };
        file.office_name = office_name.to_owned();
        file.wrap_accounts(key, &wrappable(conn, owner)?);
        Ok((file, recovery))
    }

    /// Open the encrypted store in `dir` with an account's password and sign that account
    /// in. `sign_in_failed` for an unknown login and a wrong password alike.
    pub fn unlock(dir: &Path, clock: Box<dyn Clock>, login: &str, password: &str) -> Result<Store> {
        Store::unlock_watched(dir, clock, login, password, &Opening::default())
    }

    /// [`Store::unlock`], telling `opening` the steps of the work an upgrade left.
    pub fn unlock_watched(
        dir: &Path,
        clock: Box<dyn Clock>,
        login: &str,
        password: &str,
        opening: &Opening,
    ) -> Result<Store> {
        let keys = KeysFile::read(dir)?.ok_or(Error::SignInFailed)?;
        let (key, stretched) = keys
            .unwrap_with_password(login, password)
            .ok_or(Error::SignInFailed)?;
        let mut store = Store::open_with(dir, clock, Some(key), opening)?;
        store.require_sign_in();
        store.sign_in_checked(login, |phc| {
            stretched.proves(phc) || crate::access::verify_password(password, phc)
        })?;
        Ok(store)
    }

    /// Open the encrypted store in `dir` with the recovery key; nobody is signed in, and the
    /// one thing allowed is [`Store::recover_admin`]. `wrong_key` when it does not open it.
    pub fn unlock_with_recovery(
        dir: &Path,
        clock: Box<dyn Clock>,
        recovery_key: &str,
    ) -> Result<Store> {
        Store::unlock_with_recovery_watched(dir, clock, recovery_key, &Opening::default())
    }

    /// [`Store::unlock_with_recovery`], telling `opening` the steps of the work an upgrade
    /// left.
    pub fn unlock_with_recovery_watched(
        dir: &Path,
        clock: Box<dyn Clock>,
        recovery_key: &str,
        opening: &Opening,
    ) -> Result<Store> {
        let keys = KeysFile::read(dir)?.ok_or(Error::invalid("recovery_key", Reason::WrongKey))?;
        let key = keys
            .unwrap_with_recovery(recovery_key)
            .ok_or(Error::invalid("recovery_key", Reason::WrongKey))?;
        let mut store = Store::open_with(dir, clock, Some(key), opening)?;
        store.require_sign_in();
        store.recovered = true;
        Ok(store)
    }

    /// After [`Store::unlock_with_recovery`]: give an administrator a new password and sign
    /// them in (written as a password reset by that administrator).
    pub fn recover_admin(&mut self, login: &str, new_password: &str) -> Result<Session> {
        if !self.recovered {
            return Err(Error::SignInRequired);
        }
        let owner = self.own_owner();
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT id, name FROM accounts
                 WHERE owner = ?1 AND login = ?2 AND active = 1 AND role = 'admin'",
                params![owner, login.trim().to_lowercase()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, name) = row.ok_or(Error::NotFound {
            what: "account",
            id: login.to_owned(),
        })?;
        let account =
            Uuid::parse_str(&id).map_err(|_| Error::invalid("account", Reason::Malformed))?;
        let phc = Store::checked_password(new_password)?;
        self.sign_in.session = Some(Session {
            account,
            login: login.trim().to_lowercase(),
            name,
            role: Role::Admin,
        });
        self.sign_in.last_active = self.clock.elapsed_ms();
        let written = self.batch(|s| {
            s.append_account_event(EventBody::PasswordSet { account })?;
            s.conn.execute(
                "INSERT OR REPLACE INTO credentials (account, phc) VALUES (?1, ?2)",
                params![account.to_string(), phc],
            )?;
            s.append_account_event(EventBody::SignedIn {})?;
            Ok(())
        });
        if let Err(e) = written {
            self.sign_in.session = None;
            return Err(e);
        }
        self.recovered = false;
        self.sync_keyring()?;
        Ok(self.sign_in.session.clone().expect("signed in above"))
    }

    /// The recovery key made when this store was encrypted, until an administrator has seen
    /// it (administrators only; `None` once saved).
    pub fn unsaved_recovery_key(&mut self) -> Result<Option<String>> {
        self.check(crate::access::Act::ManageAccounts)?;
        self.meta(RECOVERY_UNSAVED)
    }

    /// The administrator has saved the recovery key: it is deleted from the store.
    pub fn recovery_key_saved(&mut self) -> Result<()> {
        self.check(crate::access::Act::ManageAccounts)?;
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [RECOVERY_UNSAVED])?;
        Ok(())
    }
}

/// What opens a backup on a PC that has lost its own store: an administrator's password, or
/// the recovery key.
#[derive(Debug, Clone, Copy)]
pub enum Opener<'a> {
    /// An account's login and password, as they were when the backup was made.
    Password {
        /// The login.
        login: &'a str,
        /// Its password.
        password: &'a str,
    },
    /// The recovery key shown when the store was encrypted.
    RecoveryKey(&'a str),
}

impl Opener<'_> {
    /// The database key of the backup `backup`, from the keys file beside it.
    fn key_for(&self, backup: &Path) -> Result<DbKey> {
        let folder = backup.parent().unwrap_or(Path::new("."));
        let keys = KeysFile::read(folder)?;
        match self {
            Opener::Password { login, password } => keys
                .and_then(|k| k.unwrap_with_password(login, password))
                .map(|(key, _)| key)
                .ok_or(Error::SignInFailed),
            Opener::RecoveryKey(text) => keys
                .and_then(|k| k.unwrap_with_recovery(text))
                .ok_or(Error::invalid("recovery_key", Reason::WrongKey)),
        }
    }
}

/// What the backup `backup` holds, opened with `opener` (the keys file beside it unwraps its
/// key): shown before anything is replaced.
pub fn inspect_backup_with(backup: &Path, opener: Opener<'_>) -> Result<super::BackupSummary> {
    super::inspect_backup(backup, Some(&opener.key_for(backup)?))
}

impl Store {
    /// 从备份恢复 on a PC whose own store is lost (a new PC, a disk replaced): `dir` holds no
    /// store in use (none, or a first run's without an account; refused `not_empty`
    /// otherwise). The backup is opened with `opener` and checked, its keys file copied in,
    /// the backup restored, and the store opened: signed in with the password, or, with the
    /// recovery key, waiting for [`Store::recover_admin`].
    pub fn restore_on_new_pc(
        dir: &Path,
        clock: Box<dyn Clock>,
        backup: &Path,
        opener: Opener<'_>,
    ) -> Result<Store> {
        let in_use = match cipher::store_file(dir)? {
            StoreFile::New => false,
            StoreFile::Encrypted => true,
            StoreFile::Plain => {
                Store::open(dir, Box::new(crate::hlc::ManualClock::new(0)))?.has_accounts()?
            }
        };
        if in_use {
            return Err(Error::invalid("store", Reason::NotEmpty));
        }
        let key = opener.key_for(backup)?;
        let summary = super::inspect_backup(backup, Some(&key))?;
        if !summary.intact {
            return Err(Error::invalid("backup", Reason::Malformed));
        }
        let folder = backup.parent().unwrap_or(Path::new("."));
        crate::private::dir(dir)?;
        KeysFile::read(folder)?
            .ok_or(Error::invalid("keys", Reason::Malformed))?
            .write(dir)?;
        let now = clock.now_ms();
        super::restore(dir, backup, Some(&key), now)?;
        let mut store = Store::open_keyed(dir, clock, key)?;
        store.require_sign_in();
        match opener {
            Opener::Password { login, password } => {
                store.sign_in(login, password)?;
            }
            Opener::RecoveryKey(_) => store.recovered = true,
        }
        Ok(store)
    }
}

/// The meta key holding a recovery key not yet shown (inside the encrypted store only).
pub(super) const RECOVERY_UNSAVED: &str = "recovery_key_unsaved";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::ManualClock;

    #[test]
    fn a_recovery_key_reads_back_however_it_is_typed() {
        let (bytes, text) = new_recovery_key();
        assert_eq!(text.len(), 40 + 7, "{text}");
        assert_eq!(
            parse_recovery_key(&text).unwrap().as_slice(),
            bytes.as_slice()
        );
        let sloppy = text.to_lowercase().replace('-', " ");
        assert_eq!(
            parse_recovery_key(&sloppy).unwrap().as_slice(),
            bytes.as_slice()
        );
        assert!(parse_recovery_key(&text[..30]).is_none());
        assert!(parse_recovery_key("not a key at all").is_none());
    }

    #[test]
    fn a_wrap_opens_with_its_password_only() {
        let key = DbKey::random();
        let phc = crate::access::hash_password("correct horse").unwrap();
        let a = Uuid::now_v7();
        let (mut file, recovery) = KeysFile::new_with_recovery(&key);
        file.wrap_accounts(&key, &[(a, "li".into(), phc.clone())]);
        let text = serde_json::to_string(&file).unwrap();
        assert!(
            !text.contains(&phc),
            "the credential's hash stays inside the store"
        );
        assert!(!text.contains(&hex::encode(key.bytes())));
        let (got, stretched) = file.unwrap_with_password(" LI ", "correct horse").unwrap();
        assert_eq!(got.bytes(), key.bytes());
        assert!(
            stretched.proves(&phc),
            "the stretch proves its own credential"
        );
        let other = crate::access::hash_password("correct horse").unwrap();
        assert!(
            !stretched.proves(&other),
            "the same password under another salt is no proof"
        );
        assert!(file.unwrap_with_password("li", "correct hors").is_none());
        assert!(file.unwrap_with_password("wang", "correct horse").is_none());
        assert!(
            stretch(DUMMY_KDF, "x").is_some(),
            "an unknown login costs a real stretch"
        );
        assert_eq!(
            file.unwrap_with_recovery(&recovery).unwrap().bytes(),
            key.bytes()
        );
        assert!(file.unwrap_with_recovery(&new_recovery_key().1).is_none());
        // A wrap moved to another account's entry does not open.
        let mut swapped = file.clone();
        swapped.accounts[0].account = Uuid::now_v7();
        assert!(
            swapped
                .unwrap_with_password("li", "correct horse")
                .is_none()
        );
    }

    /// An encrypted store in a temporary directory, its administrator `li`, closed.
    fn encrypted() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), Box::new(ManualClock::new(1_795_395_600_000))).unwrap();
        let admin = crate::access::NewAccount {
            login: "li".into(),
            name: "李书记".into(),
            role: Role::Admin,
            password: "li-password".into(),
        };
        s.create_first_admin("和美社区", admin).unwrap();
        assert!(s.encrypt_now().unwrap());
        dir
    }

    fn argon2_runs(f: impl FnOnce()) -> u32 {
        let before = crate::access::ARGON2_RUNS.with(|n| n.get());
        f();
        crate::access::ARGON2_RUNS.with(|n| n.get()) - before
    }

    fn unlock(dir: &Path, password: &str) -> Result<Store> {
        Store::unlock(
            dir,
            Box::new(ManualClock::new(1_795_395_600_000)),
            "li",
            password,
        )
    }

    #[test]
    fn an_unlock_stretches_the_password_once() {
        let dir = encrypted();
        assert_eq!(
            argon2_runs(|| drop(unlock(dir.path(), "li-password").unwrap())),
            1
        );
        assert_eq!(
            argon2_runs(|| assert!(unlock(dir.path(), "li-passwore").is_err())),
            1,
            "a wrong password costs what a right one does"
        );
        // The credential changed behind the keys file (a crash between the two writes): the
        // stretch proves nothing about it, and the password is checked against it, refused.
        let mut s = unlock(dir.path(), "li-password").unwrap();
        let stale = std::fs::read(dir.path().join(KEYS_FILE)).unwrap();
        let li = s.session().unwrap().account;
        s.set_password(li, Some("li-password"), "li-new-password")
            .unwrap();
        drop(s);
        std::fs::write(dir.path().join(KEYS_FILE), stale).unwrap();
        let runs = argon2_runs(|| {
            let e = unlock(dir.path(), "li-password").err().unwrap();
            assert!(matches!(e, Error::SignInFailed), "{e:?}");
        });
        assert_eq!(
            runs, 2,
            "the old password's stretch, then the credential's check"
        );
    }

    #[test]
    fn a_sign_in_leaves_a_keys_file_that_holds_unwritten_and_mends_one_that_does_not() {
        let dir = encrypted();
        let path = dir.path().join(KEYS_FILE);
        drop(unlock(dir.path(), "li-password").unwrap());
        let before = std::fs::read(&path).unwrap();
        let mut s = unlock(dir.path(), "li-password").unwrap();
        s.sign_in("li", "li-password").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the same wraps, not sealed again under fresh nonces"
        );
        // An account added is wrapped at once; its wrap damaged on disk is mended by the
        // next unlock, whoever's.
        let wang = crate::access::NewAccount {
            login: "wang".into(),
            name: "王主任".into(),
            role: Role::Admin,
            password: "wang-password".into(),
        };
        s.add_account(wang).unwrap();
        drop(s);
        let mut file: KeysFile = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(file.accounts.len(), 2);
        let wrap = file
            .accounts
            .iter_mut()
            .find(|w| w.login == "wang")
            .unwrap();
        wrap.wrapped = hex::encode(vec![0u8; wrap.wrapped.len() / 2]);
        file.write(dir.path()).unwrap();
        let clock = || Box::new(ManualClock::new(1_795_395_600_000));
        assert!(Store::unlock(dir.path(), clock(), "wang", "wang-password").is_err());
        drop(unlock(dir.path(), "li-password").unwrap());
        assert!(Store::unlock(dir.path(), clock(), "wang", "wang-password").is_ok());
    }

    #[test]
    fn a_keys_file_asking_for_gigabytes_is_refused_not_run() {
        let huge = "$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA";
        assert!(stretch(huge, "x").is_none());
        let slow = "$argon2id$v=19$m=19456,t=100000,p=1$c29tZXNhbHRzb21lc2FsdA";
        assert!(stretch(slow, "x").is_none());
    }
}
