//! 12345 work orders imported from the city platform's exports (.xlsx, CSV).
//!
//! One importer for the window and the command line: [`read_file`] reads the file into rows
//! of text ([`table`], held once in one buffer), [`columns::guess`] says what each column
//! means from its header, [`rows::read_row`] reads a row as a work order or says every
//! reason it cannot, and the store ([`crate::Store::import_preview`],
//! [`crate::Store::import_work_orders`]) maps the city's categories onto the office's tree,
//! tells new work orders from ones it already holds (by 工单编号), and writes the new ones in
//! one transaction: a `case_received` and a `work_order_imported` each. A changed row of a later export is reported as a difference,
//! never applied behind the secretary's back.

pub mod columns;
mod read;
#[cfg(feature = "exports")]
pub mod report;
pub mod rows;
pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

pub use columns::Field;
pub use read::{MAX_FILE_BYTES, read_bytes, read_file};
pub use rows::{ReadRow, RowProblem};
pub use table::{Row, Table};

/// How an export is read: each column's meaning and where the city's categories go. Guessed
/// from the headers, corrected by the user in the preview, remembered for the next file with
/// the same headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ImportMapping {
    /// What each column means, in the file's order.
    pub fields: Vec<Field>,
    /// The city's categories (levels joined by `->`) the office has placed in its tree.
    pub categories: BTreeMap<String, String>,
    /// Where a city category nobody has placed goes (`None`: its rows are reported, not
    /// imported).
    #[serde(default)]
    pub fallback_category: Option<String>,
}

/// The name a mapping is remembered under: the export's headers, so every file of the same
/// platform's export finds it, whatever it is called.
pub fn source_of(headers: &[String]) -> String {
    use sha2::Digest;
    let joined = headers
        .iter()
        .map(|h| columns::normalise(h))
        .collect::<Vec<_>>()
        .join("\u{1f}");
    let digest = sha2::Sha256::digest(joined.as_bytes());
    format!("headers-{}", &hex::encode(digest)[..16])
}

/// The office category a city category is most likely to be, by name: a level of the city's
/// path (the most specific first) that is the name of one of the office's categories, or
/// contains one (`违章停车管理` → 违章停车), the longest name winning.
pub fn guess_category(city: &str) -> Option<String> {
    let paths = jiesu_protocol::catalog::category_paths();
    let names: Vec<(&str, &str)> = paths
        .iter()
        .map(|(code, path)| (code.as_str(), path.rsplit(" / ").next().unwrap_or(path)))
        .collect();
    let levels: Vec<&str> = city.split("->").collect();
    for level in levels.into_iter().rev() {
        if let Some((code, _)) = names.iter().find(|(_, n)| *n == level) {
            return Some((*code).to_owned());
        }
        let best = names
            .iter()
            .filter(|(_, n)| n.chars().count() >= 2 && level.contains(n))
            .max_by_key(|(_, n)| n.chars().count());
        if let Some((code, _)) = best {
            return Some((*code).to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn city_categories_find_the_office_category_they_name() {
        assert_eq!(
            guess_category("城市管理->停车管理->违章停车").as_deref(),
            Some("parking.illegal")
        );
        assert_eq!(
            guess_category("住房->物业服务").as_deref(),
            Some("property")
        );
        assert_eq!(
            guess_category("城市管理->市容环境->占道经营"),
            None,
            "nothing of the office's tree is named in it"
        );
    }

    #[test]
    fn the_same_headers_are_the_same_source() {
        let a = ["工单编号".to_owned(), "诉求内容".to_owned()];
        let b = [" 工单编号".to_owned(), "诉求内容 ".to_owned()];
        assert_eq!(source_of(&a), source_of(&b));
        assert_ne!(source_of(&a), source_of(&a[..1]));
    }
}
