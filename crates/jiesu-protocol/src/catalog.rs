//! The category tree and the default handling units a community starts with.
//!
//! Categories are three levels deep and addressed by dotted codes (`parking.illegal.fire_lane`),
//! so "everything about parking" is a prefix match. The tree ships as data; units are
//! configuration events so offices can add their own and the list syncs.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

const CATEGORIES: &str = include_str!("../data/categories.json");

/// One node of the category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Category {
    /// Dotted code.
    pub code: String,
    /// Chinese name.
    pub zh: String,
    /// English name.
    pub en: String,
    /// Sub-categories.
    #[serde(default)]
    pub children: Vec<Category>,
}

/// The shipped category tree.
pub fn categories() -> Vec<Category> {
    serde_json::from_str(CATEGORIES).expect("shipped categories parse")
}

/// Every category code with its full Chinese path (`停车管理 / 违章停车`), depth-first.
pub fn category_paths() -> Vec<(String, String)> {
    fn walk(nodes: &[Category], prefix: &str, out: &mut Vec<(String, String)>) {
        for n in nodes {
            let path = if prefix.is_empty() {
                n.zh.clone()
            } else {
                format!("{prefix} / {}", n.zh)
            };
            out.push((n.code.clone(), path.clone()));
            walk(&n.children, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&categories(), "", &mut out);
    out
}

/// Whether `code` names a category of the tree.
pub fn is_category(code: &str) -> bool {
    // Asked for every intake the fold checks (a first sync's hundreds of thousands): the
    // codes are read from the shipped tree once.
    static CODES: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    CODES
        .get_or_init(|| category_paths().into_iter().map(|(c, _)| c).collect())
        .contains(code)
}

/// A handling unit (承办单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Unit {
    /// Stable code.
    pub code: String,
    /// Display name (Chinese for the defaults; offices name their own).
    pub name: String,
}

/// The units a new community office starts with.
pub fn default_units() -> Vec<Unit> {
    [
        ("property", "物业公司"),
        ("grid", "网格员"),
        ("community", "社区居委会"),
        ("construction", "街道城建办"),
        ("urban_mgmt", "城管执法中队"),
        ("education", "区教育局"),
        ("water", "供水公司"),
        ("power", "供电公司"),
        ("gas", "燃气公司"),
        ("traffic_police", "交警大队"),
        ("police", "派出所"),
        ("fire", "消防救援站"),
        ("civil_affairs", "街道民政科"),
    ]
    .into_iter()
    .map(|(code, name)| Unit {
        code: code.into(),
        name: name.into(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_at_most_three_levels_and_codes_extend_their_parent() {
        fn walk(nodes: &[Category], parent: Option<&str>, depth: usize) {
            for n in nodes {
                assert!(depth <= 3, "too deep at {}", n.code);
                if let Some(p) = parent {
                    assert!(n.code.starts_with(&format!("{p}.")), "{} under {p}", n.code);
                }
                walk(&n.children, Some(&n.code), depth + 1);
            }
        }
        walk(&categories(), None, 1);
        let paths = category_paths();
        let mut codes: Vec<_> = paths.iter().map(|(c, _)| c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), paths.len(), "codes are unique");
    }

    #[test]
    fn parking_and_school_are_in_the_default_tree() {
        assert!(is_category("parking.illegal.fire_lane"));
        assert!(is_category("school.places"));
        assert!(!is_category("parking.nope"));
    }
}
