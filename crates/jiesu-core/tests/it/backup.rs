//! Backups and restore (`store/backup.rs`): a backup restored into a fresh data directory
//! holds the same log, projection and photos; the current store is kept aside, never
//! overwritten; a damaged backup replaces nothing; the folder keeps the last N; a restored
//! enrolled PC syncs before it writes.

use jiesu_core::access::Role;
use jiesu_core::store::{inspect_backup, restore};
use jiesu_core::wire::PullResponse;
use jiesu_core::*;

use super::common::*;

fn with_work(s: &mut Store) -> Case {
    let photo = s
        .save_attachment("现场.jpg", b"\xff\xd8 photo bytes")
        .unwrap();
    let mut form = parking_case("消防通道被占");
    form.attachment = Some(photo);
    let case = s.receive(form).unwrap();
    s.act(
        case.id,
        CaseCommand::Note {
            text: "已联系车主".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    s.receive(parking_case("楼道漏水")).unwrap();
    case
}

fn folder_for(s: &mut Store) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    s.set_backup_settings(folder.path().to_str().unwrap(), 7)
        .unwrap();
    folder
}

#[test]
fn a_backup_restored_into_a_fresh_data_dir_holds_the_same_log_projection_and_photos() {
    let (mut s, clock, _dir) = file_store_at(test_now());
    let case = with_work(&mut s);
    let folder = folder_for(&mut s);
    assert!(s.backup_due().unwrap(), "never backed up");
    let made = s.backup().unwrap();
    assert!(made.intact);
    assert_eq!((made.cases, made.events), (2, s.stats().unwrap().events));
    assert_eq!(made.made_ms, Some(clock.now_ms()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&made.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "residents' data: the owner's alone");
    }
    assert!(!s.backup_due().unwrap(), "just backed up");
    clock.advance(25 * 3_600_000);
    assert!(s.backup_due().unwrap(), "a day later");

    let fresh = tempfile::tempdir().unwrap();
    restore(
        fresh.path(),
        std::path::Path::new(&made.path),
        None,
        clock.now_ms(),
    )
    .unwrap();
    let r = Store::open(fresh.path(), Box::new(clock.clone())).unwrap();
    assert_eq!(r.all_cases().unwrap(), s.all_cases().unwrap());
    assert_eq!(r.event_ids().unwrap(), s.event_ids().unwrap());
    let restored = inspect_backup(&fresh.path().join(store::DB_FILE), None).unwrap();
    assert_eq!(restored.digest, made.digest);
    assert!(r.verify_trace(&case.id.to_string()).unwrap().intact());
    let sha = &case.attachment.as_ref().unwrap().sha256;
    assert_eq!(
        std::fs::read(r.attachment_path(sha).unwrap()).unwrap(),
        b"\xff\xd8 photo bytes"
    );
    drop(folder);
}

#[test]
fn a_restore_keeps_the_current_store_aside() {
    let (mut s, clock, dir) = file_store_at(test_now());
    with_work(&mut s);
    let _folder = folder_for(&mut s);
    let made = s.backup().unwrap();
    // Work after the backup: the restore goes back before it, and keeps it aside.
    s.receive(parking_case("备份之后的案件")).unwrap();
    let after = s.stats().unwrap();
    drop(s);
    let aside = restore(
        dir.path(),
        std::path::Path::new(&made.path),
        None,
        clock.now_ms(),
    )
    .unwrap();
    let r = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    assert_eq!(r.stats().unwrap().cases, 2);
    let kept = inspect_backup(&aside, None).unwrap();
    assert_eq!((kept.cases, kept.events), (after.cases, after.events));
    assert!(kept.intact);
}

#[test]
fn a_damaged_backup_replaces_nothing() {
    let (mut s, clock, dir) = file_store_at(test_now());
    with_work(&mut s);
    let _folder = folder_for(&mut s);
    let made = s.backup().unwrap();
    let before = s.stats().unwrap();
    drop(s);
    let mut bytes = std::fs::read(&made.path).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 4096] {
        *b = 0x5a;
    }
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, &bytes).unwrap();
    assert!(restore(dir.path(), &damaged, None, clock.now_ms()).is_err());
    let s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    assert_eq!(s.stats().unwrap(), before);
    // Not a database at all.
    std::fs::write(&damaged, b"not sqlite").unwrap();
    assert!(restore(dir.path(), &damaged, None, clock.now_ms()).is_err());
}

#[test]
fn the_folder_keeps_the_last_n_backups() {
    let (mut s, clock, _dir) = file_store_at(test_now());
    with_work(&mut s);
    let folder = tempfile::tempdir().unwrap();
    s.set_backup_settings(folder.path().to_str().unwrap(), 2)
        .unwrap();
    let mut made = Vec::new();
    for _ in 0..3 {
        clock.advance(60_000);
        made.push(s.backup().unwrap().path);
    }
    let listed: Vec<String> = s.backups().unwrap().into_iter().map(|b| b.path).collect();
    assert_eq!(
        listed,
        vec![made[2].clone(), made[1].clone()],
        "newest first, oldest gone"
    );
    assert!(s.set_backup_settings("relative/dir", 2).is_err());
    assert!(
        s.set_backup_settings(folder.path().to_str().unwrap(), 0)
            .is_err()
    );
}

#[test]
fn a_restored_enrolled_pc_syncs_before_it_writes() {
    let (mut s, clock, dir) = file_store_at(test_now());
    s.enrol("http://127.0.0.1:1", &enrolment_into("a", "和美社区"))
        .unwrap();
    with_work(&mut s);
    let _folder = folder_for(&mut s);
    let made = s.backup().unwrap();
    drop(s);
    restore(
        dir.path(),
        std::path::Path::new(&made.path),
        None,
        clock.now_ms(),
    )
    .unwrap();
    let mut r = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    let e = r.receive(parking_case("恢复后的新案件")).unwrap_err();
    assert_eq!(e.to_wire().params["reason"], "sync_first", "{e:?}");
    // A pull that reaches the end of the feed lets it write again.
    r.apply_pull(&PullResponse {
        events: Vec::new(),
        next: 0,
        more: false,
        remaining: 0,
        server_time: test_now(),
        keys: Default::default(),
    })
    .unwrap();
    r.receive(parking_case("恢复后的新案件")).unwrap();
}

#[test]
fn intake_goes_on_while_a_backup_is_copied() {
    let (mut s, _clock, _dir) = file_store_at(test_now());
    jiesu_core::sample::generate(
        &mut s,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    let _folder = folder_for(&mut s);
    let before = s.stats().unwrap().events;
    // The shell's way: the job is taken under the store's lock and run on a thread of its
    // own while the store keeps taking intakes.
    let job = s.backup_job().unwrap();
    let copying = std::thread::spawn(move || job.run());
    let mut during = 0;
    while !copying.is_finished() {
        s.receive(parking_case("备份时受理的案件")).unwrap();
        during += 1;
    }
    let made = copying.join().unwrap().unwrap();
    let after = s.stats().unwrap().events;
    assert!(during > 0, "no intake ran while the backup was copied");
    assert!(made.intact, "checked against the snapshot it copied");
    assert!(
        (before..=after).contains(&made.events),
        "one snapshot: {} events, the store had {before} before and {after} after",
        made.events
    );
    assert!(
        s.backup_due().unwrap(),
        "not recorded until the store hears of it"
    );
    let recorded = s.backup_made(made.clone()).unwrap();
    assert_eq!(recorded, made);
    assert!(!s.backup_due().unwrap());
}

#[test]
fn a_viewer_gets_no_backup_job() {
    let (mut s, _clock, _dir) = file_store_at(test_now());
    let _folder = folder_for(&mut s);
    s.require_sign_in();
    let admin = |login: &str, role| jiesu_core::access::NewAccount {
        login: login.into(),
        name: "督查".into(),
        role,
        password: format!("{login}-password-2026"),
    };
    s.create_first_admin("和美社区", admin("li", Role::Admin))
        .unwrap();
    s.add_account(admin("kan", Role::Viewer)).unwrap();
    assert!(s.backup_job().is_ok(), "the administrator may");
    s.sign_out(false).unwrap();
    s.sign_in("kan", "kan-password-2026").unwrap();
    let refused = s.backup_job().err().expect("a viewer may not make backups");
    assert_eq!(refused.code(), Code::Forbidden, "{refused}");
}
