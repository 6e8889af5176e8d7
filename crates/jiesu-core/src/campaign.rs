//! One exposure, fixed everywhere (一地曝光、全域整改): what a street or district office sees
//! of the same problem across the offices below it, and the rectification campaigns
//! (专项整改) it opens from there.
//!
//! A **cluster** is a group of cases of one category, received in the period, whose texts are
//! alike (character-bigram Jaccard, as [`crate::similar`]) and that come from at least two
//! offices: "占用消防通道 · 7 个社区 · 23 件". Single-link within a category: a case joins a
//! group when it is alike to any case in it, so a problem told in three ways still groups.
//! Ranked by how many offices, then cases, then growth (the last 30 days against the 30
//! before).
//!
//! A **campaign** is a `campaign_opened` event on the `config` stream (so the server shares it
//! along its opener's line, and the offices below it see it) and, for each office it names,
//! one case filed by the opener and transferred to that office in the same transaction: the
//! office works it in its normal list and desk. Each item names the campaign
//! (`case_campaign_joined`), as does a site an office below finds itself and the exposed case
//! the campaign started from. The board counts items by the office holding them.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

use crate::model::CaseState;

/// Texts at least this alike (bigram Jaccard) fall into one cluster.
pub const CLUSTER_THRESHOLD: f64 = 0.3;
/// Cases of one category compared at most (the newest): pairwise comparison stays bounded.
/// At a street of 20 communities × 50,000 cases, 90 days hold 82,000 cases and the commonest
/// category ~17,600: all of them count (`benches/clusters.rs`, timings in docs/BENCHMARKS.md).
pub const MAX_PER_CATEGORY: usize = 20_000;
/// Cases a cluster lists (the newest); its size counts every one.
pub const MAX_LISTED: usize = 100;
/// The period clusters are looked for in, unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 90;
const DAY_MS: i64 = 86_400_000;

/// The campaign form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct NewCampaign {
    /// E.g. 消防通道占用专项整改.
    pub title: String,
    /// The problem as exposed.
    pub problem: String,
    /// The standard every site must meet.
    pub standard: String,
    /// Category code.
    pub category: String,
    /// Last day, `YYYY-MM-DD`.
    pub due_date: String,
    /// The exposed case it starts from (id or number), if any.
    #[serde(default)]
    pub source: Option<String>,
    /// The offices below this one that get an item.
    pub offices: Vec<String>,
}

/// A site found by an office itself, added to a campaign it sees.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct NewSite {
    /// The campaign.
    pub campaign: Uuid,
    /// Where the site is (a building, a place).
    pub location: String,
    /// What was found there.
    pub description: String,
}

/// The change form (修改 / 延期 / 增加单位 / 结束整改): every field left empty stays as it was;
/// the store drops the ones equal to what the campaign holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignChange {
    /// The campaign.
    pub campaign: Uuid,
    /// A new title.
    #[serde(default)]
    pub title: Option<String>,
    /// The problem told again.
    #[serde(default)]
    pub problem: Option<String>,
    /// A new standard.
    #[serde(default)]
    pub standard: Option<String>,
    /// A new last day, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_date: Option<String>,
    /// Offices below this one to add, each given an item.
    #[serde(default)]
    pub offices: Vec<String>,
    /// `true` closes the campaign, `false` opens it again.
    #[serde(default)]
    pub closed: Option<bool>,
    /// Why, or the closing summary.
    pub note: String,
}

/// One change the board lists (变更记录), as its opener wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignChangeRecord {
    /// When (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// Who.
    pub author: String,
    /// What changed and why.
    pub change: crate::event::CampaignAmendment,
}

/// A campaign in a list, with its counts as this replica sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignSummary {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Category code.
    pub category: String,
    /// Last day.
    pub due_date: String,
    /// Items are due by (ms, the end of that day).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due: i64,
    /// The office that opened it.
    pub office: String,
    /// Its name.
    pub office_name: String,
    /// Who opened it.
    pub author: String,
    /// When (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub opened_at: i64,
    /// Opened by this office (it may add and follow every item), not from above or below.
    pub mine: bool,
    /// Closed by its opener (结束整改), when it is: no more sites join it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub closed_at: Option<i64>,
    /// Counts over the items this replica holds.
    pub totals: Progress,
}

/// Sites found, rectified and overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Progress {
    /// Sites (items) found: every item but a withdrawn or merged one.
    pub found: u32,
    /// Rectified: resolved (on the spot, or by a unit) and after.
    pub rectified: u32,
    /// Not rectified and past the campaign's last day.
    pub overdue: u32,
}

/// One office's line of the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignRow {
    /// The office holding the items.
    pub office: String,
    /// Its name.
    pub office_name: String,
    /// Its counts.
    pub progress: Progress,
    /// Sites it found itself (beyond the item it was given).
    pub own_sites: u32,
}

/// One site of a campaign (a case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignItem {
    /// The case.
    pub case_id: Uuid,
    /// Its number.
    pub number: String,
    /// The office holding it.
    pub office: String,
    /// Its name.
    pub office_name: String,
    /// Where it stands.
    pub state: CaseState,
    /// Where the site is.
    pub location: String,
    /// What it says, cut to 80 characters.
    pub summary: String,
    /// Received (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// Due (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due: i64,
    /// Resolved (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub resolved_at: Option<i64>,
    /// What was done (the unit's result), once resolved.
    pub result: String,
    /// Rectified.
    pub rectified: bool,
    /// Past due and not rectified.
    pub overdue: bool,
    /// Found by the office holding it, not given by the campaign's opener.
    pub own_site: bool,
}

/// How many sites were found and rectified by the end of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ProgressDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Sites found by then.
    pub found: u32,
    /// Rectified by then.
    pub rectified: u32,
}

/// A campaign's board: the charter, each office's line, every site, the progress by day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CampaignBoard {
    /// The campaign and its totals.
    pub summary: CampaignSummary,
    /// The problem as exposed.
    pub problem: String,
    /// The standard to meet.
    pub standard: String,
    /// The category's path (停车管理 / 违章停车 / 占用消防通道).
    pub category_path: String,
    /// The exposed case it started from: (id, number), when this replica holds it.
    pub source: Option<SourceCase>,
    /// One line per office named or holding items, in the charter's order.
    pub rows: Vec<CampaignRow>,
    /// Every site, by office then number.
    pub items: Vec<CampaignItem>,
    /// Found and rectified by day, from the opening to today, or to its closing.
    pub progress: Vec<ProgressDay>,
    /// The opener's changes, oldest first.
    pub changes: Vec<CampaignChangeRecord>,
    /// Offices below this one it does not name yet (only on the opener's board): whom a
    /// change can add.
    pub addable: Vec<crate::wire::Office>,
}

/// The case a campaign started from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct SourceCase {
    /// Id.
    pub case_id: Uuid,
    /// Number.
    pub number: String,
}

/// A group of alike cases across offices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Cluster {
    /// Category code (the cases').
    pub category: String,
    /// Its name (the leaf's): the cluster's label.
    pub label: String,
    /// The offices it spans, most cases first: (office id, name, cases).
    pub offices: Vec<ClusterOffice>,
    /// Cases in it.
    pub size: u32,
    /// Received in the last 30 days.
    pub recent: u32,
    /// Received in the 30 days before those.
    pub earlier: u32,
    /// The newest of its cases ([`MAX_LISTED`] at most), newest first.
    pub cases: Vec<ClusterCase>,
}

/// One office's share of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ClusterOffice {
    /// Office id.
    pub office: String,
    /// Name.
    pub name: String,
    /// Its cases in the cluster.
    pub cases: u32,
}

/// A case of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct ClusterCase {
    /// Id.
    pub case_id: Uuid,
    /// Number.
    pub number: String,
    /// Office holding it.
    pub office: String,
    /// Where it stands.
    pub state: CaseState,
    /// Received (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// Its text, cut to 80 characters.
    pub summary: String,
    /// Already a site of a campaign.
    pub in_campaign: bool,
}

/// What clustering needs of a case.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The case as the cluster lists it.
    pub case: ClusterCase,
    /// Its category.
    pub category: String,
    /// Description and place, the text compared.
    pub text: String,
}

/// Whether a case in `state` counts as a rectified site.
pub fn rectified(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Resolved | CaseState::Visited | CaseState::Archived
    )
}

/// Whether a case in `state` counts as a site at all.
pub fn counts(state: CaseState) -> bool {
    !matches!(state, CaseState::Withdrawn | CaseState::Merged)
}

/// Group `cases` (each office's, of the period) into clusters spanning at least two offices,
/// biggest first. `names` names the offices; `now` dates the growth windows.
pub fn clusters(
    cases: Vec<Candidate>,
    names: &HashMap<String, String>,
    labels: &HashMap<String, String>,
    now: i64,
) -> Vec<Cluster> {
    let mut by_category: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for c in cases {
        by_category.entry(c.category.clone()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (category, mut group) in by_category {
        group.sort_by_key(|c| std::cmp::Reverse(c.case.received_at));
        group.truncate(MAX_PER_CATEGORY);
        // One office's cases never make a cluster: a community's own replica groups nothing.
        if group.iter().all(|c| c.case.office == group[0].case.office) {
            continue;
        }
        let grams: Vec<Vec<u64>> = group
            .iter()
            .map(|c| crate::similar::grams(&c.text))
            .collect();
        // Labels are each group's first case, so groups come out in a fixed order.
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, label) in crate::similar::alike_groups(&grams, CLUSTER_THRESHOLD)
            .into_iter()
            .enumerate()
        {
            members.entry(label).or_default().push(i);
        }
        for idx in members.into_values() {
            let mut per_office: BTreeMap<&str, u32> = BTreeMap::new();
            for &i in &idx {
                *per_office.entry(group[i].case.office.as_str()).or_default() += 1;
            }
            if per_office.len() < 2 {
                continue;
            }
            let mut offices: Vec<ClusterOffice> = per_office
                .into_iter()
                .map(|(o, n)| ClusterOffice {
                    office: o.to_owned(),
                    name: names.get(o).cloned().unwrap_or_else(|| o.to_owned()),
                    cases: n,
                })
                .collect();
            offices.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.name.cmp(&b.name)));
            let at = |i: &usize| group[*i].case.received_at;
            let recent = idx.iter().filter(|i| at(i) > now - 30 * DAY_MS).count() as u32;
            let earlier = idx
                .iter()
                .filter(|i| at(i) <= now - 30 * DAY_MS && at(i) > now - 60 * DAY_MS)
                .count() as u32;
            out.push(Cluster {
                label: labels
                    .get(&category)
                    .cloned()
                    .unwrap_or_else(|| category.clone()),
                category: category.clone(),
                offices,
                size: idx.len() as u32,
                recent,
                earlier,
                cases: idx.iter().map(|&i| group[i].case.clone()).collect(),
            });
        }
    }
    out.sort_by(|a, b| {
        (b.offices.len(), b.size, growth(b))
            .cmp(&(a.offices.len(), a.size, growth(a)))
            .then(a.label.cmp(&b.label))
    });
    out
}

/// Growth as a sortable number: recent minus earlier.
fn growth(c: &Cluster) -> i64 {
    i64::from(c.recent) - i64::from(c.earlier)
}

/// The board as an .xlsx file: 汇总 (each office's counts), 问题清单 (every site found) and
/// 整改清单 (what was done at each, by when), as the seeds' offices keep them.
#[cfg(feature = "exports")]
pub fn board_xlsx(board: &CampaignBoard) -> crate::error::Result<Vec<u8>> {
    build_xlsx(board).map_err(|e| crate::error::Error::Io(std::io::Error::other(e)))
}

/// 进行中, or 已结束 on its day with the closing summary.
#[cfg(feature = "exports")]
fn status(b: &CampaignBoard, day: impl Fn(i64) -> String) -> String {
    let Some(at) = b.summary.closed_at else {
        return "进行中".into();
    };
    let summary = b
        .changes
        .iter()
        .rev()
        .find(|c| c.change.closed == Some(true))
        .map(|c| c.change.note.as_str())
        .unwrap_or_default();
    format!("已结束（{}）：{summary}", day(at))
}

#[cfg(feature = "exports")]
fn build_xlsx(b: &CampaignBoard) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let day = |ms: i64| {
        crate::calendar::local_date(ms)
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();

    let sheet = book.add_worksheet().set_name("汇总")?;
    sheet.set_column_width(0, 24)?;
    sheet.write_string_with_format(0, 0, &b.summary.title, &bold)?;
    for (r, (k, v)) in [
        ("发起单位", b.summary.office_name.clone()),
        ("问题", b.problem.clone()),
        ("整改标准", b.standard.clone()),
        ("问题分类", b.category_path.clone()),
        ("整改期限", b.summary.due_date.clone()),
        ("状态", status(b, day)),
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(r as u32 + 1, 0, *k, &bold)?;
        sheet.write_string(r as u32 + 1, 1, v)?;
    }
    let top = 8;
    for (c, h) in ["单位", "发现点位", "已整改", "逾期未整改", "自查发现"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(top, c as u16, *h, &bold)?;
    }
    let mut lines: Vec<(String, Progress, u32)> = b
        .rows
        .iter()
        .map(|r| (r.office_name.clone(), r.progress, r.own_sites))
        .collect();
    lines.push((
        "合计".into(),
        b.summary.totals,
        b.rows.iter().map(|r| r.own_sites).sum(),
    ));
    for (i, (name, p, own)) in lines.iter().enumerate() {
        let r = top + 1 + i as u32;
        sheet.write_string(r, 0, name)?;
        for (c, n) in [p.found, p.rectified, p.overdue, *own].iter().enumerate() {
            sheet.write_number(r, c as u16 + 1, f64::from(*n))?;
        }
    }

    let sheet = book.add_worksheet().set_name("问题清单")?;
    let heads = [
        "序号",
        "案件编号",
        "单位",
        "点位",
        "问题",
        "发现日期",
        "整改期限",
        "来源",
    ];
    header(sheet, &heads, &bold)?;
    sheet.set_column_width(4, 50)?;
    for (i, it) in b.items.iter().filter(|i| counts(i.state)).enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, (i + 1) as f64)?;
        sheet.write_string(r, 1, &it.number)?;
        sheet.write_string(r, 2, &it.office_name)?;
        sheet.write_string(r, 3, &it.location)?;
        sheet.write_string(r, 4, &it.summary)?;
        sheet.write_string(r, 5, day(it.received_at))?;
        sheet.write_string(r, 6, day(it.due))?;
        sheet.write_string(
            r,
            7,
            if it.own_site {
                "自查发现"
            } else {
                "下发"
            },
        )?;
    }

    let sheet = book.add_worksheet().set_name("整改清单")?;
    let heads = [
        "序号",
        "案件编号",
        "单位",
        "点位",
        "状态",
        "整改措施",
        "整改完成日期",
        "是否逾期",
    ];
    header(sheet, &heads, &bold)?;
    sheet.set_column_width(5, 50)?;
    for (i, it) in b.items.iter().filter(|i| counts(i.state)).enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, (i + 1) as f64)?;
        sheet.write_string(r, 1, &it.number)?;
        sheet.write_string(r, 2, &it.office_name)?;
        sheet.write_string(r, 3, &it.location)?;
        sheet.write_string(
            r,
            4,
            if it.rectified {
                "已整改"
            } else {
                crate::report::state_zh(it.state)
            },
        )?;
        sheet.write_string(r, 5, &it.result)?;
        sheet.write_string(r, 6, it.resolved_at.map(day).unwrap_or_default())?;
        sheet.write_string(r, 7, if it.overdue { "逾期" } else { "" })?;
    }
    book.save_to_buffer()
}

/// A sheet's first row: the column heads, bold.
#[cfg(feature = "exports")]
fn header(
    sheet: &mut rust_xlsxwriter::Worksheet,
    heads: &[&str],
    bold: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (c, h) in heads.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, bold)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(office: &str, category: &str, text: &str, days_ago: i64) -> Candidate {
        let now = 100 * DAY_MS;
        Candidate {
            case: ClusterCase {
                case_id: Uuid::now_v7(),
                number: format!("N-{text}"),
                office: office.into(),
                state: CaseState::Received,
                received_at: now - days_ago * DAY_MS,
                summary: text.into(),
                in_campaign: false,
            },
            category: category.into(),
            text: text.into(),
        }
    }

    #[test]
    fn alike_cases_of_several_offices_cluster_and_one_office_alone_does_not() {
        let fire = "parking.illegal.fire_lane";
        let cases = vec![
            cand("a", fire, "3栋楼下消防通道被私家车长期占用", 2),
            cand("b", fire, "12栋楼下消防通道被私家车占用，消防车进不来", 5),
            cand("c", fire, "消防通道被私家车长期占用，多次劝说无效", 40),
            // Same category, another problem: not in it.
            cand("c", fire, "物业把消防通道改成了收费停车位", 3),
            // Alike, but one office only.
            cand("a", "noise.square_dance", "广场舞音响太吵到晚上十点", 1),
            cand("a", "noise.square_dance", "广场舞音响太吵到晚上十一点", 1),
        ];
        let names = HashMap::from([("a".to_owned(), "和美社区".to_owned())]);
        let labels = HashMap::from([(fire.to_owned(), "占用消防通道".to_owned())]);
        let got = clusters(cases, &names, &labels, 100 * DAY_MS);
        assert_eq!(got.len(), 1, "{got:#?}");
        let c = &got[0];
        assert_eq!(c.label, "占用消防通道");
        assert_eq!(c.size, 3);
        assert_eq!(c.offices.len(), 3);
        assert_eq!(
            c.offices.iter().find(|o| o.office == "a").unwrap().name,
            "和美社区"
        );
        assert_eq!((c.recent, c.earlier), (2, 1));
    }

    #[test]
    fn more_offices_rank_first() {
        let mk = |cat: &str, text: &str, offices: &[&str]| {
            offices
                .iter()
                .map(|o| cand(o, cat, text, 1))
                .collect::<Vec<_>>()
        };
        let mut cases = mk("utilities.streetlight", "路灯不亮晚上很黑", &["a", "b"]);
        cases.extend(mk(
            "utilities.manhole",
            "窨井盖破损有人踩空",
            &["a", "b", "c"],
        ));
        let got = clusters(cases, &HashMap::new(), &HashMap::new(), 100 * DAY_MS);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].category, "utilities.manhole");
    }
}
