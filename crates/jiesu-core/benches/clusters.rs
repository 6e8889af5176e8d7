//! Clusters at a street's or a district's size: the 同类问题 view of a street with 20
//! communities of 50,000 cases each, over its default 90 days. Run with
//! `cargo bench -p jiesu-core --bench clusters -- --offices 20 --cases 50000` (`--days`,
//! `--span-days` for the period looked at and the years the cases are spread over; `--diverse`,
//! `--unlike` for texts less alike).
//!
//! The cases are made here, not by the sample generator (a million cases through the store
//! would take the better part of an hour to make): each community reports every category in
//! its own words — a category's problem phrase, one of the estate's buildings and places, a
//! detail — so texts of one category are as alike as residents' reports are, and some
//! categories are far more common than others (parking more than lifts). What is timed is
//! `campaign::clusters`, the part that grew with the square of the cases; reading the
//! candidates from SQLite is one indexed range, measured in docs/BENCHMARKS.md beside it.
//! Results go to docs/BENCHMARKS.md by hand, with the machine and the date.

mod common;
use common::peak_mib;
use std::collections::HashMap;
use std::time::Instant;

use jiesu_core::campaign::{Candidate, ClusterCase, clusters};
use jiesu_core::model::CaseState;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: the same cases on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PLACES: &[&str] = &[
    "楼下",
    "单元门口",
    "地下车库",
    "东门",
    "西侧道路",
    "小区广场",
    "楼道",
    "电梯间",
    "北门外",
    "配电室旁",
    "垃圾站",
    "消防通道",
];
const DETAILS: &[&str] = &[
    "多次反映未解决",
    "影响居民出行",
    "已持续一周",
    "晚上尤其严重",
    "希望尽快处理",
    "老人孩子很不安全",
    "物业说不归他们管",
    "请社区协调",
    "",
];
const PROBLEMS: &[&str] = &[
    "私家车长期占用",
    "漏水严重",
    "噪音扰民",
    "路灯不亮",
    "垃圾堆放无人清运",
    "电动车飞线充电",
    "井盖破损",
    "绿地被毁种菜",
    "违规搭建",
    "电梯经常停运",
    "外墙脱落",
    "下水道堵塞",
    "共享单车乱停",
    "宠物粪便无人清理",
    "施工夜间作业",
    "占道经营",
];

fn main() {
    let offices = arg("--offices", 20);
    let per_office = arg("--cases", 50_000);
    let days = arg("--days", 90);
    let span = arg("--span-days", 1095).max(days);
    let diverse = std::env::args().any(|a| a == "--diverse");
    // `--unlike`: every text its own (random characters), so almost no pair joins and the
    // pairwise loop compares every pair of a category: the grouping's worst case.
    let unlike = std::env::args().any(|a| a == "--unlike");
    let now: i64 = 1_796_000_000_000;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let categories: Vec<(String, String)> = jiesu_core::catalog::category_paths();
    // A category's share falls with its rank (1/rank): a few problems are most of the work.
    let weights: Vec<f64> = (1..=categories.len()).map(|r| 1.0 / r as f64).collect();
    let total_weight: f64 = weights.iter().sum();
    let pick = |rng: &mut Rng| {
        let mut x = (rng.next() % 1_000_000) as f64 / 1_000_000.0 * total_weight;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    };

    let in_window = per_office * days / span;
    let made = Instant::now();
    let mut cases = Vec::with_capacity(offices * in_window);
    for o in 0..offices {
        let office = format!("c{o:02}");
        let estate = ["和美", "幸福", "雅园", "翠微", "长青", "锦绣"][o % 6];
        for n in 0..in_window {
            let c = pick(&mut rng);
            let (code, path) = &categories[c];
            let leaf = path.rsplit(" / ").next().unwrap_or(path);
            // `--diverse`: residents of one category telling different problems (few texts
            // alike), where comparing every pair costs most; by default one problem a
            // category (every text of it alike), where the groups are largest.
            let problem = if diverse {
                PROBLEMS[rng.below(PROBLEMS.len())]
            } else {
                PROBLEMS[c % PROBLEMS.len()]
            };
            let leaf = if diverse { "" } else { leaf };
            let text = if unlike {
                // 30 characters of the 3,500 in common use (from U+4E00), as long as a report.
                (0..30)
                    .map(|_| char::from_u32(0x4E00 + rng.below(3500) as u32).unwrap_or('事'))
                    .collect()
            } else {
                format!(
                    "{estate}小区{}号楼{}{}，{}{}",
                    1 + rng.below(40),
                    PLACES[rng.below(PLACES.len())],
                    problem,
                    leaf,
                    DETAILS[rng.below(DETAILS.len())],
                )
            };
            cases.push(Candidate {
                case: ClusterCase {
                    case_id: uuid::Uuid::from_u64_pair(o as u64, n as u64),
                    number: format!("{office}-{n:06}"),
                    office: office.clone(),
                    state: CaseState::Received,
                    received_at: now - (rng.below(days * 24) as i64) * 3_600_000,
                    summary: text.chars().take(80).collect(),
                    in_campaign: false,
                },
                category: code.clone(),
                text,
            });
        }
    }
    let names: HashMap<String, String> = (0..offices)
        .map(|o| (format!("c{o:02}"), format!("第{o}社区")))
        .collect();
    let labels: HashMap<String, String> = categories.iter().cloned().collect();
    let n = cases.len();
    let made = made.elapsed();

    let started = Instant::now();
    let found = clusters(cases, &names, &labels, now);
    let took = started.elapsed();
    let largest = found.iter().map(|c| c.size).max().unwrap_or(0);
    let clustered: u32 = found.iter().map(|c| c.size).sum();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| street | {offices} communities × {per_office} cases over {span} days; the last {days} days: {n} cases ({:.1} s to make) |",
        made.as_secs_f64()
    );
    println!(
        "| clusters | {} (largest {largest} cases; {clustered} cases in one) |",
        found.len()
    );
    println!("| **time** | **{:.2} s** |", took.as_secs_f64());
    println!("| peak memory (VmHWM) | {:.0} MiB |", peak_mib());
}
