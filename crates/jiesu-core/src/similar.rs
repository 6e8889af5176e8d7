//! Likely duplicates: residents report the same leak three times, by phone, at the window and
//! through 12345. A case already held is suggested for a new one when both are about the same
//! place — the same building (27栋, 27号楼, 27幢 and 27座 are one building), the same spot, or
//! the same resident's phone — and their texts are alike: the Jaccard similarity of their
//! character bigrams (Chinese needs no word segmentation for this; a bigram is the unit the
//! search index uses too). Each suggestion says why it matched.
//!
//! The threshold is tuned on the sample generator's community with planted near-duplicates
//! (`tests/it/similar.rs` reports recall and precision).
//!
//! A case can only be suggested when it shares a building, the spot or the phone with the
//! draft, so each case's [`place_keys`] are kept in an index beside it (`case_places`): the
//! candidates for a draft are one range per key, never a scan of the office's cases.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};
use sha2::Digest;
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use crate::model::CaseState;

mod groups;
pub use groups::alike_groups;

/// Texts at least this alike (bigram Jaccard) are suggested when their place matches.
pub const TEXT_THRESHOLD: f64 = 0.3;

/// Why a case was suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Why {
    /// Both name this building (its number).
    SameBuilding {
        /// The building's number as both name it (`27`).
        building: String,
    },
    /// Both name the same spot.
    SamePlace,
    /// The same resident's phone.
    SamePhone,
    /// Their texts share this share of their character pairs (percent).
    SimilarText {
        /// 0–100.
        percent: u8,
    },
}

/// A case that may be the same problem as the one being typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Suggestion {
    /// The case.
    pub case_id: Uuid,
    /// Its number.
    pub number: String,
    /// Where it stands.
    pub state: CaseState,
    /// When it was received (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// Its text, cut to 80 characters.
    pub summary: String,
    /// How alike, 0–100 (the text's similarity).
    pub score: u8,
    /// Why it was suggested.
    pub why: Vec<Why>,
}

/// What is known of the case being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Draft {
    /// What.
    pub description: String,
    /// The resident's building, as typed.
    #[serde(default)]
    pub building: String,
    /// Where the problem is.
    #[serde(default)]
    pub location: String,
    /// The resident's phone (digits).
    #[serde(default)]
    pub phone: String,
}

/// A text's character pairs, whitespace and punctuation left out, each once, sorted.
pub fn grams(text: &str) -> Vec<u64> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out: Vec<u64> = chars
        .windows(2)
        .map(|w| (u64::from(w[0] as u32) << 32) | u64::from(w[1] as u32))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two [`grams`] sets: shared pairs over all pairs.
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// The buildings a text names by number: `27栋`, `27号楼`, `27幢`, `27座`, `27#楼` all give `27`.
pub fn buildings(text: &str) -> BTreeSet<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let building = ["栋", "幢", "座", "号楼", "#楼", "号院"]
            .iter()
            .any(|suffix| rest.starts_with(suffix));
        if building {
            out.insert(number.trim_start_matches('0').to_owned());
        }
    }
    out
}

/// The units (单元) a text names by number: two stairwells of one building are two places
/// (the lift of unit 2 is not the lift of unit 4).
pub fn units(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut digits = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() && c == '单' && chars.peek() == Some(&'元') {
            out.insert(digits.trim_start_matches('0').to_owned());
        }
        digits.clear();
    }
    out
}

/// The buildings a case is about: those its text or place names, else the resident's own
/// (a resident of 24栋 reporting the drains of 15栋 is about 15栋).
fn place(description: &str, location: &str, home: &str) -> BTreeSet<String> {
    let mut named = buildings(description);
    named.extend(buildings(location));
    if named.is_empty() {
        named = buildings(home);
    }
    named
}

/// One of the things a match needs to share (building, spot, phone) at one office, as a
/// number to index. Eight bytes of a hash: two values that collide only bring one more
/// candidate to the judge, which compares the values themselves. Stored, so the hash is
/// fixed (SHA-256), not the standard library's, which may change between Rust versions.
fn key(office: &str, kind: &str, value: &str) -> i64 {
    let mut h = sha2::Sha256::new();
    for part in [office, kind, value] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    let d = h.finalize();
    i64::from_le_bytes(d[..8].try_into().expect("eight bytes"))
}

/// The keys a case held at `office` is found by: each building it is about, its spot, its
/// resident's phone. [`Probe::keys`] gives a draft's; the two share a key whenever the judge
/// could match them. The office is part of the key: a street's store holds the cases of
/// every community below it, and a draft is only ever compared with its own office's.
pub fn place_keys(office: &str, held: &Held<'_>) -> Vec<i64> {
    keys(
        office,
        &place(held.description, held.location, held.address),
        held.location.trim(),
        held.phone.trim(),
    )
}

fn keys(office: &str, buildings: &BTreeSet<String>, location: &str, phone: &str) -> Vec<i64> {
    let mut out: Vec<i64> = buildings
        .iter()
        .map(|b| key(office, "building", b))
        .collect();
    if !location.is_empty() {
        out.push(key(office, "place", location));
    }
    if !phone.is_empty() {
        out.push(key(office, "phone", phone));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// One case already held, as the judge needs it.
#[derive(Debug, Clone)]
pub struct Held<'a> {
    /// Its text.
    pub description: &'a str,
    /// Its resident's address (the building first).
    pub address: &'a str,
    /// Where.
    pub location: &'a str,
    /// Its resident's phone (digits).
    pub phone: &'a str,
}

/// A draft prepared once for judging many held cases.
#[derive(Debug, Clone)]
pub struct Probe {
    grams: Vec<u64>,
    buildings: BTreeSet<String>,
    units: BTreeSet<String>,
    location: String,
    phone: String,
}

impl Probe {
    /// The draft, ready to compare.
    pub fn new(d: &Draft) -> Probe {
        let buildings = place(&d.description, &d.location, &d.building);
        Probe {
            grams: grams(&d.description),
            buildings,
            units: units(&d.description),
            location: d.location.trim().to_owned(),
            phone: d.phone.trim().to_owned(),
        }
    }

    /// Whether the draft has enough to judge by (a text of a few characters).
    pub fn usable(&self) -> bool {
        self.grams.len() >= 4
    }

    /// A case held, prepared like a draft (its buildings are those its text or place name,
    /// else its resident's).
    pub fn of_held(held: &Held<'_>) -> Probe {
        Probe {
            grams: grams(held.description),
            buildings: place(held.description, held.location, held.address),
            units: units(held.description),
            location: held.location.trim().to_owned(),
            phone: held.phone.trim().to_owned(),
        }
    }

    /// Whether `held` is likely the same problem: its score (0–100) and why.
    pub fn judge(&self, held: &Held<'_>) -> Option<(u8, Vec<Why>)> {
        self.judge_probe(&Probe::of_held(held))
    }

    /// [`Probe::judge`] of a case already prepared.
    pub fn judge_probe(&self, theirs: &Probe) -> Option<(u8, Vec<Why>)> {
        let percent = self.score(theirs)?;
        Some((percent, self.why(theirs, percent)))
    }

    /// How alike `theirs` is (0–100) when it is likely the same problem; nothing allocated,
    /// as an import scores each order against a hundred earlier ones and shows five.
    fn score(&self, theirs: &Probe) -> Option<u8> {
        let building = match self.shared_building(theirs) {
            // Two stairwells of one building are two places.
            Some(_)
                if !self.units.is_empty()
                    && !theirs.units.is_empty()
                    && self.units.is_disjoint(&theirs.units) =>
            {
                return None;
            }
            b => b.is_some(),
        };
        let place = !self.location.is_empty() && self.location == theirs.location;
        let phone = !self.phone.is_empty() && self.phone == theirs.phone;
        if !(building || place || phone) {
            return None;
        }
        let text = similarity(&self.grams, &theirs.grams);
        (text >= TEXT_THRESHOLD).then(|| (text * 100.0).round() as u8)
    }

    /// Why `theirs`, scored `percent` by [`Probe::score`], was suggested.
    fn why(&self, theirs: &Probe, percent: u8) -> Vec<Why> {
        let mut why = Vec::new();
        if let Some(b) = self.shared_building(theirs) {
            why.push(Why::SameBuilding {
                building: b.clone(),
            });
        }
        if !self.location.is_empty() && self.location == theirs.location {
            why.push(Why::SamePlace);
        }
        if !self.phone.is_empty() && self.phone == theirs.phone {
            why.push(Why::SamePhone);
        }
        why.push(Why::SimilarText { percent });
        why
    }

    /// The first building both name (an intersection's iterator cost more to set up than
    /// the one or two buildings a text names take to look up).
    fn shared_building<'a>(&'a self, theirs: &'a Probe) -> Option<&'a String> {
        self.buildings
            .iter()
            .find(|b| theirs.buildings.contains(*b))
    }

    /// The keys of the cases held at `office` the judge could match ([`place_keys`]).
    pub fn keys(&self, office: &str) -> Vec<i64> {
        keys(office, &self.buildings, &self.location, &self.phone)
    }
}

/// Candidates judged at most for each building, place or phone a draft names (the newest).
pub const MAX_PER_KEY: usize = 1000;
/// Suggestions shown at most.
pub const MAX_SUGGESTIONS: usize = 5;

/// Cases judged in memory, prepared once: the work orders of one import, matched against the
/// orders after them without reading each back from the store and preparing it again for
/// every later order (a 100,000-row export of one estate names each building thousands of
/// times). Holds the newest [`Batch::WINDOW`] orders (~1 KiB each), so an import's memory
/// does not grow with the file: an order is judged against the file's orders just before it
/// (and, by the store, against every case held before the import).
#[derive(Default)]
pub struct Batch {
    /// The newest [`Batch::PER_KEY`] orders naming each key, oldest first, by their place
    /// in the file.
    by_key: std::collections::HashMap<i64, VecDeque<usize>>,
    /// The orders in the window, oldest first; the first is the file's `first`th.
    held: VecDeque<(Probe, Suggestion)>,
    first: usize,
}

impl Batch {
    /// Orders judged at most for each key: one import may hold thousands of orders about
    /// one building, and the newest of them are what a secretary would merge into.
    pub const PER_KEY: usize = 50;
    /// Orders kept at most: a street's month of work orders.
    pub const WINDOW: usize = 20_000;

    /// Keep `probe`, the case `shown` (its score and why are filled when it matches).
    pub fn add(&mut self, office: &str, probe: Probe, shown: Suggestion) {
        let i = self.first + self.held.len();
        for k in probe.keys(office) {
            let list = self.by_key.entry(k).or_default();
            list.push_back(i);
            if list.len() > Self::PER_KEY {
                list.pop_front();
            }
        }
        self.held.push_back((probe, shown));
        if self.held.len() > Self::WINDOW
            && let Some((gone, _)) = self.held.pop_front()
        {
            // The order leaving is the oldest held, so wherever a key still lists it, it is
            // that list's first.
            for k in gone.keys(office) {
                if let Some(list) = self.by_key.get_mut(&k)
                    && list.front() == Some(&self.first)
                {
                    list.pop_front();
                    if list.is_empty() {
                        self.by_key.remove(&k);
                    }
                }
            }
            self.first += 1;
        }
    }

    /// The cases kept that `probe` is likely the same problem as, most alike first (at
    /// most five; the newest [`Batch::PER_KEY`] of each key judged).
    pub fn judge(&self, office: &str, probe: &Probe) -> Vec<Suggestion> {
        let mut candidates: Vec<usize> = Vec::new();
        for k in probe.keys(office) {
            if let Some(list) = self.by_key.get(&k) {
                candidates.extend(list.iter().filter_map(|i| i.checked_sub(self.first)));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut matched: Vec<(u8, usize)> = candidates
            .into_iter()
            .filter_map(|i| probe.score(&self.held[i].0).map(|score| (score, i)))
            .collect();
        // Kept in order written: a later one is the newer.
        matched.sort_unstable_by(|a, b| b.cmp(a));
        matched
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(score, i)| Suggestion {
                score,
                why: probe.why(&self.held[i].0, score),
                ..self.held[i].1.clone()
            })
            .collect()
    }

    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        (self.held.len(), self.by_key.len())
    }
}

/// Most alike first, the newest first among equals; at most [`MAX_SUGGESTIONS`].
pub fn rank(found: &mut Vec<Suggestion>) {
    found.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.received_at.cmp(&a.received_at))
    });
    found.truncate(MAX_SUGGESTIONS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn building_spellings_are_one_building() {
        for s in ["27栋楼下", "27号楼门口", "第27幢", "27座", "27#楼", "027栋"] {
            assert_eq!(buildings(s), BTreeSet::from(["27".to_owned()]), "{s}");
        }
        assert!(buildings("2027年11月").is_empty());
        assert!(buildings("3单元501室").is_empty());
        assert_eq!(units("27栋3单元501室"), BTreeSet::from(["3".to_owned()]));
    }

    #[test]
    fn a_draft_shares_a_key_with_every_case_the_judge_could_match() {
        let held = Held {
            description: "楼下消防通道被私家车长期占用，救护车进不来",
            address: "27号楼3单元501室",
            location: "北门",
            phone: "13800138000",
        };
        let theirs = place_keys("hm", &held);
        let shares = |d: Draft| Probe::new(&d).keys("hm").iter().any(|k| theirs.contains(k));
        let draft = |description: &str, location: &str, phone: &str| Draft {
            description: description.into(),
            location: location.into(),
            phone: phone.into(),
            ..Draft::default()
        };
        assert!(
            shares(draft("27栋楼下消防通道又被占了", "", "")),
            "the resident's building"
        );
        assert!(shares(draft("消防通道又被占了", " 北门 ", "")), "the spot");
        assert!(
            shares(draft("消防通道又被占了", "", "13800138000")),
            "the phone"
        );
        assert!(!shares(draft(
            "3栋楼下消防通道又被占了",
            "南门",
            "13900000000"
        )));
        // A building number is not a phone, nor a spot that happens to read the same.
        assert!(!shares(draft("消防通道又被占了", "27", "")));
    }

    #[test]
    fn alike_texts_score_high_and_others_low() {
        let a = grams("27栋楼下消防通道被私家车长期占用，救护车进不来");
        let b = grams("27栋楼下的消防通道又被私家车占用了，救护车进不来");
        let c = grams("孩子今年上小学，学校说名额已满");
        assert!(similarity(&a, &b) > 0.5, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 0.05);
        assert_eq!(similarity(&a, &a), 1.0);
        assert_eq!(similarity(&a, &[]), 0.0);
    }

    #[test]
    fn a_match_needs_the_same_place_and_an_alike_text() {
        let probe = Probe::new(&Draft {
            description: "27号楼下消防通道被车占了，救护车进不来".into(),
            ..Draft::default()
        });
        let held = |description, address| Held {
            description,
            address,
            location: "",
            phone: "",
        };
        let (score, why) = probe
            .judge(&held("27栋楼下消防通道被私家车长期占用，救护车进不来", ""))
            .expect("same building, alike text");
        assert!(score >= 30);
        assert_eq!(
            why[0],
            Why::SameBuilding {
                building: "27".into()
            }
        );
        assert_eq!(
            probe.judge(&held("3栋楼下消防通道被私家车长期占用，救护车进不来", "")),
            None,
            "another building"
        );
        assert_eq!(
            probe.judge(&held("楼道灯坏了很久没人修", "27栋2单元301室")),
            None,
            "the same building, another problem"
        );
    }

    #[test]
    fn an_import_holds_its_newest_orders_not_the_whole_file() {
        let order = |i: usize, building: usize| {
            let draft = Draft {
                description: format!("{building}栋楼道的灯坏了好几天，晚上看不见路"),
                phone: format!("139{i:08}"),
                ..Draft::default()
            };
            let shown = Suggestion {
                case_id: Uuid::from_u128(i as u128),
                number: format!("N{i}"),
                state: CaseState::Received,
                received_at: i as i64,
                summary: String::new(),
                score: 0,
                why: Vec::new(),
            };
            (Probe::new(&draft), shown)
        };
        let mut batch = Batch::default();
        let total = Batch::WINDOW + 500;
        for i in 0..total {
            let (probe, shown) = order(i, i);
            batch.add("hm", probe, shown);
        }
        let (held, keys) = batch.sizes();
        assert_eq!(held, Batch::WINDOW);
        // Each order names its own building and phone: two keys each, and none left behind
        // by the orders that left.
        assert_eq!(keys, 2 * Batch::WINDOW);
        let found = |building: usize| {
            let (probe, _) = order(total + building, building);
            batch
                .judge("hm", &probe)
                .iter()
                .map(|s| s.received_at)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found(total - 1),
            [(total - 1) as i64],
            "the newest is judged"
        );
        assert_eq!(found(500), [500], "the oldest in the window is judged");
        assert!(found(499).is_empty(), "one that left the window is not");
    }
}
