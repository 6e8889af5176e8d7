//! Residents' data on disk readable by its owner only: data folders `0700`, the files in
//! them `0600` (on Unix; elsewhere the per-user application-data folder already is private).
//! A copy of a disk or another account on the PC must not read names, phones and the
//! device's credential out of a world-readable database.

use std::path::Path;

/// Create `dir` (and its parents) if needed, and make it the owner's alone.
pub fn dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Make `path` the owner's alone if it exists (SQLite's `-wal` and `-shm` may not yet).
pub fn file(path: &Path) -> std::io::Result<()> {
    match set_mode(path, 0o600) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// A database file and its companions, created owner-only before SQLite opens it (SQLite gives
/// the log and shared-memory files the database file's permissions).
pub fn database(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        create(path)?.sync_all()?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        file(Path::new(&p))?;
    }
    Ok(())
}

/// Create (or truncate) a file readable and writable by its owner only.
pub fn create(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> std::io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_databases_are_the_owners_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("a/b");
        dir(&d).unwrap();
        assert_eq!(mode(&d), 0o700);
        let db = d.join("x.db");
        database(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        // An existing world-readable file is closed up.
        let old = d.join("old.db");
        std::fs::write(&old, b"").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(d.join("old.db-wal"), b"").unwrap();
        database(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&d.join("old.db-wal")), 0o600);
    }
}
