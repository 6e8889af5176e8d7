//! The column mappings imports remember, one per export (its headers' signature): listed,
//! corrected and forgotten outside an import, in Settings.
//!
//! A mapping is this PC's own setting (like the backup folder), not an event: it says how to
//! read a file, and every case an import makes carries what it read. It is kept in `meta`
//! under `import_mapping:<source>` with the headers it was made for, so the settings page can
//! say what each column is; a mapping remembered before the headers were kept still works,
//! and shows its columns by number until the next import of that export.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::*;
use crate::import::{Field, ImportMapping};

pub(super) const MAPPING_KEY: &str = "import_mapping:";

/// A remembered mapping as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct RememberedMapping {
    /// The export it is for (`import::source_of` its headers; the `meta` key's tail).
    #[serde(default)]
    pub source: String,
    /// The headers it was made for; empty when remembered by a version that did not keep them.
    #[serde(default)]
    pub headers: Vec<String>,
    /// When it was last saved (ms); 0 when not known.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub saved_at: i64,
    /// The mapping.
    pub mapping: ImportMapping,
}

/// A remembered mapping as `meta` holds it; one remembered before the headers were kept is the
/// bare mapping.
fn kept(json: &str) -> Option<RememberedMapping> {
    serde_json::from_str::<RememberedMapping>(json)
        .ok()
        .or_else(|| {
            serde_json::from_str::<ImportMapping>(json)
                .ok()
                .map(|mapping| RememberedMapping {
                    source: String::new(),
                    headers: Vec::new(),
                    saved_at: 0,
                    mapping,
                })
        })
}

impl Store {
    /// The mapping remembered for `source`, if any.
    pub(super) fn remembered_mapping(&self, source: &str) -> Result<Option<ImportMapping>> {
        Ok(self.remembered(source)?.map(|r| r.mapping))
    }

    fn remembered(&self, source: &str) -> Result<Option<RememberedMapping>> {
        Ok(self
            .meta(&format!("{MAPPING_KEY}{source}"))?
            .and_then(|json| kept(&json))
            .map(|mut r| {
                r.source = source.to_owned();
                r
            }))
    }

    /// Remember `mapping` for the export whose headers are `headers`.
    pub(super) fn remember_mapping(
        conn: &Connection,
        headers: &[String],
        mapping: &ImportMapping,
        now: i64,
    ) -> Result<()> {
        let source = crate::import::source_of(headers);
        let kept = RememberedMapping {
            source: source.clone(),
            headers: headers.to_vec(),
            saved_at: now,
            mapping: mapping.clone(),
        };
        Store::set_meta(
            conn,
            &format!("{MAPPING_KEY}{source}"),
            &serde_json::to_string(&kept)?,
        )
    }

    /// Every remembered mapping, the latest saved first (those who import may see them).
    pub fn import_mappings(&mut self) -> Result<Vec<RememberedMapping>> {
        self.check_write("work_order_imported")?;
        let sources: Vec<String> = self
            .conn
            .prepare("SELECT substr(key, ?1 + 1) FROM meta WHERE substr(key, 1, ?1) = ?2")?
            .query_map(params![MAPPING_KEY.len() as i64, MAPPING_KEY], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for s in sources {
            out.extend(self.remembered(&s)?);
        }
        out.sort_by(|a, b| b.saved_at.cmp(&a.saved_at).then(a.source.cmp(&b.source)));
        Ok(out)
    }

    /// Correct a remembered mapping: what its columns mean, where its city categories go, the
    /// fallback. The next import of that export reads its files so. Refused, writing nothing,
    /// when nothing is remembered for `source`, the columns do not match its headers, a
    /// category is not one of the office's, or no column is the work order's number.
    pub fn save_import_mapping(
        &mut self,
        source: &str,
        mapping: ImportMapping,
    ) -> Result<RememberedMapping> {
        self.check_write("work_order_imported")?;
        let Some(kept) = self.remembered(source)? else {
            return Err(Error::NotFound {
                what: "import_mapping",
                id: source.to_owned(),
            });
        };
        let width = match kept.headers.len() {
            0 => kept.mapping.fields.len(),
            n => n,
        };
        if mapping.fields.len() != width {
            return Err(Error::invalid("fields", Reason::OutOfRange));
        }
        if !mapping.fields.contains(&Field::WorkOrderNo) {
            return Err(Error::invalid("work_order_no", Reason::Required));
        }
        let placed = mapping
            .categories
            .values()
            .chain(&mapping.fallback_category);
        for code in placed {
            if !catalog::is_category(code) {
                return Err(Error::invalid("category", Reason::Unknown));
            }
        }
        if mapping.categories.len() > 10_000
            || mapping
                .categories
                .keys()
                .any(|k| k.chars().nth(crate::validate::MAX_TEXT).is_some())
        {
            return Err(Error::invalid("categories", Reason::TooLong));
        }
        let saved = RememberedMapping {
            saved_at: self.clock.now_ms(),
            mapping,
            ..kept
        };
        Store::set_meta(
            &self.conn,
            &format!("{MAPPING_KEY}{source}"),
            &serde_json::to_string(&saved)?,
        )?;
        Ok(saved)
    }

    /// Forget a remembered mapping: the next file of that export is read by its headers again.
    pub fn forget_import_mapping(&mut self, source: &str) -> Result<()> {
        self.check_write("work_order_imported")?;
        let gone = self.conn.execute(
            "DELETE FROM meta WHERE key = ?1",
            [format!("{MAPPING_KEY}{source}")],
        )?;
        match gone {
            0 => Err(Error::NotFound {
                what: "import_mapping",
                id: source.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_remembered_before_headers_were_kept_still_reads() {
        let old = r#"{"fields":["work_order_no","description"],"categories":{"a->b":"parking"},"fallback_category":null}"#;
        let r = kept(old).unwrap();
        assert_eq!(r.headers, Vec::<String>::new());
        assert_eq!(r.saved_at, 0);
        assert_eq!(
            r.mapping.fields,
            vec![Field::WorkOrderNo, Field::Description]
        );
        assert_eq!(r.mapping.categories["a->b"], "parking");
    }
}
