//! Encryption at rest (`store/cipher.rs`, `keyring.rs`, `encrypt.rs`): the store and its
//! photos hold no resident's detail in the clear once an account exists; each account's
//! password opens it and nothing else does; the recovery key opens it when every password
//! is forgotten; a plain store from an earlier version is encrypted in place keeping every
//! event; encrypted backups restore. The encryption killed at random moments is in
//! `crash.rs`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use jiesu_core::access::{NewAccount, Role};
use jiesu_core::store::{self, Opening, OpeningProgress, OpeningStep, StoreFile, store_file};
use jiesu_core::*;

use super::common::*;

const PHONE: &[u8] = b"13800138000";
const NAME: &str = "王秀英";
const PHOTO: &[u8] = b"\xff\xd8 photo of 13800138000's car";

fn form(login: &str, role: Role) -> NewAccount {
    NewAccount {
        login: login.into(),
        name: format!("{login} 同志"),
        role,
        password: format!("{login}-password"),
    }
}

/// A plain store with an administrator, a case with a photo and a note: an earlier
/// version's store, or a first run before `encrypt_now`.
fn plain_with_work() -> (Store, ManualClock, tempfile::TempDir) {
    let (mut s, clock, dir) = file_store_at(test_now());
    s.create_first_admin("和美社区", form("li", Role::Admin))
        .unwrap();
    let photo = s.save_attachment("现场.jpg", PHOTO).unwrap();
    let mut f = parking_case("消防通道被占");
    f.attachment = Some(photo);
    let case = s.receive(f).unwrap();
    s.act(
        case.id,
        CaseCommand::Note {
            text: "已联系车主".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    (s, clock, dir)
}

/// A watcher of openings and what it was told.
fn watcher() -> (Opening, Arc<Mutex<Vec<OpeningProgress>>>) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let opening = Opening::watched({
        let told = told.clone();
        move |p| told.lock().unwrap().push(p)
    });
    (opening, told)
}

fn assert_nothing_in_the_clear(dir: &Path) {
    for needle in [PHONE, NAME.as_bytes(), "消防通道".as_bytes()] {
        let found = files_holding(dir, needle);
        assert!(
            found.is_empty(),
            "{:?} in the clear in {found:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn an_earlier_versions_plain_store_is_encrypted_in_place_keeping_every_event() {
    let (mut s, clock, dir) = plain_with_work();
    assert!(!files_holding(dir.path(), PHONE).is_empty(), "plain before");
    let digest = s.log_digest().unwrap();
    let cases = s.all_cases().unwrap();
    let (opening, told) = watcher();
    assert!(s.encrypt_now_watched(&opening).unwrap());
    // The window is told the copy begins (at a district's size, minutes).
    let steps: Vec<OpeningStep> = told.lock().unwrap().iter().map(|p| p.step).collect();
    assert_eq!(steps, [OpeningStep::Encrypting]);
    assert!(s.is_encrypted());
    assert_eq!(store_file(dir.path()).unwrap(), StoreFile::Encrypted);
    // The same store, the same session, work goes on.
    assert_eq!(s.log_digest().unwrap(), digest);
    assert_eq!(s.all_cases().unwrap(), cases);
    assert_eq!(s.session().unwrap().login, "li");
    let sha = cases[0].attachment.as_ref().unwrap().sha256.clone();
    assert_eq!(s.read_attachment(&sha).unwrap(), PHOTO);
    s.receive(parking_case("楼道漏水")).unwrap();
    // Nothing left over, nothing readable.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("plain") && !n.contains("part")),
        "{names:?}"
    );
    drop(s);
    assert_nothing_in_the_clear(dir.path());
    // Encrypting again does nothing.
    let mut again =
        Store::unlock(dir.path(), Box::new(clock.clone()), "li", "li-password").unwrap();
    assert!(!again.encrypt_now().unwrap());
    assert_eq!(again.stats().unwrap().cases, 2);
}

#[test]
fn a_first_run_without_an_account_stays_plain_until_its_administrator_exists() {
    let (mut s, _clock, dir) = file_store_at(test_now());
    let (opening, told) = watcher();
    assert!(
        !s.encrypt_now_watched(&opening).unwrap(),
        "no password could open it yet"
    );
    assert!(
        told.lock().unwrap().is_empty(),
        "nothing copied, nothing told"
    );
    assert_eq!(store_file(dir.path()).unwrap(), StoreFile::Plain);
    s.first_run("和美社区", form("li", Role::Admin), true)
        .unwrap();
    assert!(s.encrypt_now().unwrap());
    assert!(s.stats().unwrap().cases > 100, "the sample community");
    drop(s);
    assert_eq!(
        store::locked_office_name(dir.path()).as_deref(),
        Some("和美社区"),
        "the sign-in screen names the office before the store opens"
    );
    // No sample resident's phone in the clear (the sample's phones are 1xx********).
    let db = std::fs::read(dir.path().join(store::DB_FILE)).unwrap();
    assert!(!db.windows(6).any(|w| w == "和美".as_bytes()));
}

#[test]
fn only_an_accounts_password_opens_an_encrypted_store() {
    let (mut s, clock, dir) = plain_with_work();
    s.encrypt_now().unwrap();
    drop(s);
    let c = || Box::new(clock.clone()) as Box<dyn Clock>;
    let e = Store::open(dir.path(), c()).err().unwrap();
    assert_eq!(e.to_wire().params["reason"], "wrong_key", "{e:?}");
    for (login, password) in [("li", "li-passwore"), ("wang", "li-password"), ("li", "")] {
        let e = Store::unlock(dir.path(), c(), login, password)
            .err()
            .unwrap();
        assert!(matches!(e, Error::SignInFailed), "{login}: {e:?}");
    }
    let s = Store::unlock(dir.path(), c(), "LI ", "li-password").unwrap();
    assert_eq!(s.session().unwrap().login, "li", "signed in by opening");
    // Without the keys file nothing opens it.
    drop(s);
    std::fs::rename(
        dir.path().join(store::KEYS_FILE),
        dir.path().join("keys.moved"),
    )
    .unwrap();
    assert!(Store::unlock(dir.path(), c(), "li", "li-password").is_err());
}

#[test]
fn every_account_opens_the_store_and_a_closed_or_changed_one_follows() {
    let (mut s, clock, dir) = plain_with_work();
    s.encrypt_now().unwrap();
    let worker = s.add_account(form("zhang", Role::Worker)).unwrap();
    let viewer = s.add_account(form("zhao", Role::Viewer)).unwrap();
    s.set_password(worker.id, None, "zhang-new-password")
        .unwrap();
    s.remove_account(viewer.id).unwrap();
    drop(s);
    let c = || Box::new(clock.clone()) as Box<dyn Clock>;
    let mut w = Store::unlock(dir.path(), c(), "zhang", "zhang-new-password").unwrap();
    assert_eq!(w.session().unwrap().role, Role::Worker);
    assert!(w.receive(parking_case("worker's case")).is_ok());
    drop(w);
    assert!(
        Store::unlock(dir.path(), c(), "zhang", "zhang-password").is_err(),
        "old password"
    );
    assert!(
        Store::unlock(dir.path(), c(), "zhao", "zhao-password").is_err(),
        "closed account"
    );
    // One's own change, with the current password.
    let mut w = Store::unlock(dir.path(), c(), "zhang", "zhang-new-password").unwrap();
    w.set_password(
        worker.id,
        Some("zhang-new-password"),
        "zhang-third-password",
    )
    .unwrap();
    drop(w);
    assert!(Store::unlock(dir.path(), c(), "zhang", "zhang-third-password").is_ok());
    assert!(Store::unlock(dir.path(), c(), "zhang", "zhang-new-password").is_err());
}

#[test]
fn the_recovery_key_opens_the_store_when_every_password_is_forgotten() {
    let (mut s, clock, dir) = plain_with_work();
    s.encrypt_now().unwrap();
    let worker = s.add_account(form("zhang", Role::Worker)).unwrap();
    let key = s
        .unsaved_recovery_key()
        .unwrap()
        .expect("shown once to an administrator");
    assert_eq!(key.len(), 47, "{key}");
    s.sign_out(false).unwrap();
    s.sign_in("zhang", "zhang-password").unwrap();
    assert!(s.unsaved_recovery_key().is_err(), "administrators only");
    s.sign_in("li", "li-password").unwrap();
    s.recovery_key_saved().unwrap();
    assert_eq!(s.unsaved_recovery_key().unwrap(), None, "never shown again");
    drop(s);
    assert_nothing_in_the_clear(dir.path());
    let keys = std::fs::read_to_string(dir.path().join(store::KEYS_FILE)).unwrap();
    assert!(!keys.contains(&key) && !keys.contains(&key.replace('-', "")));

    let c = || Box::new(clock.clone()) as Box<dyn Clock>;
    let mut wrong = key.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    let e = Store::unlock_with_recovery(dir.path(), c(), std::str::from_utf8(&wrong).unwrap())
        .err()
        .unwrap();
    assert_eq!(e.to_wire().params["reason"], "wrong_key");
    let mut r = Store::unlock_with_recovery(dir.path(), c(), &key.to_lowercase()).unwrap();
    assert!(r.signed_in().is_err(), "opened, nobody signed in");
    assert!(r.receive(parking_case("x")).is_err());
    // Only an administrator's password is set this way.
    assert!(r.recover_admin("zhang", "zhang-chosen-password").is_err());
    let session = r.recover_admin("li", "li-second-password").unwrap();
    assert_eq!(session.role, Role::Admin);
    assert!(r.receive(parking_case("after recovery")).is_ok());
    assert!(
        r.recover_admin("li", "again-and-again").is_err(),
        "once per opening"
    );
    drop(r);
    assert!(Store::unlock(dir.path(), c(), "li", "li-second-password").is_ok());
    assert!(Store::unlock(dir.path(), c(), "li", "li-password").is_err());
    assert!(Store::unlock(dir.path(), c(), "zhang", "zhang-password").is_ok());
    let _ = worker;
}

#[test]
fn an_encrypted_stores_backup_is_encrypted_and_restores_with_its_password() {
    let (mut s, _clock, dir) = plain_with_work();
    s.encrypt_now().unwrap();
    let folder = tempfile::tempdir().unwrap();
    s.set_backup_settings(folder.path().to_str().unwrap(), 7)
        .unwrap();
    let made = s.backup().unwrap();
    assert!(made.intact);
    assert_eq!(
        store::cipher::file_kind(Path::new(&made.path)).unwrap(),
        StoreFile::Encrypted
    );
    assert!(
        folder.path().join(store::KEYS_FILE).exists(),
        "the way in, beside it"
    );
    assert_nothing_in_the_clear(folder.path());
    let digest = s.log_digest().unwrap();
    s.receive(parking_case("备份之后")).unwrap();
    let name = Path::new(&made.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(s.restore_backup(&name, "wrong-password").is_err());
    s.restore_backup(&name, "li-password").unwrap();
    assert!(s.is_encrypted());
    assert_eq!(
        s.log_digest().unwrap(),
        digest,
        "the log as it was backed up"
    );
    assert!(s.signed_in().is_err(), "everyone signs in again");
    s.sign_in("li", "li-password").unwrap();
    drop(s);
    assert_nothing_in_the_clear(dir.path());
}

#[test]
fn a_plain_backup_from_before_encryption_is_encrypted_again_when_restored() {
    let (mut s, clock, dir) = plain_with_work();
    let folder = tempfile::tempdir().unwrap();
    s.set_backup_settings(folder.path().to_str().unwrap(), 7)
        .unwrap();
    let plain = s.backup().unwrap();
    s.encrypt_now().unwrap();
    let recovery = s.unsaved_recovery_key().unwrap().unwrap();
    s.recovery_key_saved().unwrap();
    clock.advance(60_000);
    s.backup().unwrap();
    assert_nothing_in_the_clear(&folder.path().join("photos"));
    let name = Path::new(&plain.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    s.restore_backup(&name, "li-password").unwrap();
    assert!(s.is_encrypted(), "encrypted again, with the same key");
    assert_eq!(
        s.unsaved_recovery_key().err().map(|e| e.code()),
        Some(Code::SignInRequired)
    );
    drop(s);
    // The recovery key saved before still opens it.
    assert!(Store::unlock_with_recovery(dir.path(), Box::new(clock.clone()), &recovery).is_ok());
    assert_eq!(store_file(dir.path()).unwrap(), StoreFile::Encrypted);
}

#[test]
fn a_backup_opens_on_a_new_pc_with_a_password_or_the_recovery_key() {
    let (mut s, clock, _dir) = plain_with_work();
    s.encrypt_now().unwrap();
    let recovery = s.unsaved_recovery_key().unwrap().unwrap();
    s.recovery_key_saved().unwrap();
    let folder = tempfile::tempdir().unwrap();
    s.set_backup_settings(folder.path().to_str().unwrap(), 7)
        .unwrap();
    let made = s.backup().unwrap();
    let backup = Path::new(&made.path);
    let digest = s.log_digest().unwrap();
    drop(s);
    let c = || Box::new(clock.clone()) as Box<dyn Clock>;
    let password = |p| store::Opener::Password {
        login: "li",
        password: p,
    };

    // What it holds is shown first, to the right password only.
    let shown = store::inspect_backup_with(backup, password("li-password")).unwrap();
    assert_eq!((shown.events, shown.cases), (digest.0, 1));
    assert!(matches!(
        store::inspect_backup_with(backup, password("wrong-password")),
        Err(Error::SignInFailed)
    ));

    // A new PC (its first start made an empty store): the administrator's password.
    let new_pc = tempfile::tempdir().unwrap();
    drop(Store::open(new_pc.path(), c()).unwrap());
    assert!(Store::restore_on_new_pc(new_pc.path(), c(), backup, password("wrong")).is_err());
    let r = Store::restore_on_new_pc(new_pc.path(), c(), backup, password("li-password")).unwrap();
    assert_eq!(r.session().unwrap().login, "li");
    assert!(r.is_encrypted());
    drop(r);
    assert!(Store::unlock(new_pc.path(), c(), "li", "li-password").is_ok());
    // Never over a store in use.
    let e = Store::restore_on_new_pc(new_pc.path(), c(), backup, password("li-password"))
        .err()
        .unwrap();
    assert_eq!(e.to_wire().params["reason"], "not_empty", "{e:?}");

    // Another new PC, every password forgotten: the recovery key.
    let other = tempfile::tempdir().unwrap();
    let mut r = Store::restore_on_new_pc(
        other.path(),
        c(),
        backup,
        store::Opener::RecoveryKey(&recovery),
    )
    .unwrap();
    assert_eq!(
        r.log_digest().unwrap(),
        digest,
        "the backup's log, as it was"
    );
    assert!(r.signed_in().is_err());
    r.recover_admin("li", "li-new-password").unwrap();
    drop(r);
    assert!(Store::unlock(other.path(), c(), "li", "li-new-password").is_ok());
    assert_nothing_in_the_clear(other.path());
}
