//! Photos: files beside the database, named by their SHA-256, written aside and renamed.

use super::*;

impl Store {
    /// Store a photo beside the database; returns the reference intake puts in the case.
    pub fn save_attachment(&mut self, name: &str, bytes: &[u8]) -> Result<Attachment> {
        self.check(crate::access::Act::AttachPhotos)?;
        let name: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(120)
            .collect();
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        self.keep_attachment(&sha, bytes)?;
        Ok(Attachment {
            sha256: sha,
            name,
            size: bytes.len() as u64,
        })
    }

    /// Keep `bytes` under `sha256`, which the caller computed from them; no longer wanted
    /// from the server once here.
    pub(crate) fn keep_attachment(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() || bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(Error::invalid("attachment", Reason::FileSize));
        }
        let path = self.attachment_path(sha256)?;
        if !path.exists() {
            let dir = path
                .parent()
                .ok_or(Error::invalid("attachment", Reason::Malformed))?;
            crate::private::dir(dir)?;
            // Content-addressed: write aside, sync, rename, so a crash never leaves half a photo
            // under a name that claims its hash.
            let tmp = dir.join(format!(".{sha256}.tmp"));
            {
                use std::io::Write;
                let mut f = crate::private::create(&tmp)?;
                f.write_all(&super::cipher::photo_to_disk(
                    self.key.as_ref(),
                    sha256,
                    bytes,
                ))?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
        }
        self.conn
            .prepare_cached("DELETE FROM attachment_wants WHERE sha256 = ?1")?
            .execute([sha256])?;
        Ok(())
    }

    /// An attachment's bytes.
    pub fn read_attachment(&self, sha256: &str) -> Result<Vec<u8>> {
        read_photo(&self.attachment_path(sha256)?, self.key.as_ref(), sha256)
    }

    /// Where a photo is and the key it opens with, for reading it without holding the
    /// store (sync sends megabytes): then [`read_photo`].
    pub fn photo_source(&self, sha256: &str) -> Result<(PathBuf, Option<DbKey>)> {
        Ok((self.attachment_path(sha256)?, self.key.clone()))
    }

    /// Where an attachment's file lives (sealed on disk when the store is encrypted: read
    /// it with [`Store::read_attachment`] or [`read_photo`]).
    pub fn attachment_path(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid("attachment", Reason::Malformed));
        }
        let dir = self
            .dir
            .as_ref()
            .ok_or_else(|| Error::invalid("attachment", Reason::NoFiles))?;
        Ok(dir.join("attachments").join(sha256))
    }

    // ---------------------------------------------------------------- replication
}

/// A photo's bytes from its file (opened with `key` when sealed); `not_found` when missing.
pub fn read_photo(path: &Path, key: Option<&DbKey>, sha256: &str) -> Result<Vec<u8>> {
    let disk = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            what: "attachment",
            id: sha256.to_owned(),
        },
        _ => Error::Io(e),
    })?;
    super::cipher::photo_from_disk(key, sha256, disk)
}
