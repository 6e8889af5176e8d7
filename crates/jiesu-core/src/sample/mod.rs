//! A generator of realistic communities: residents, buildings and months of complaints at
//! every stage of their life, written through the real commands so every event is one the
//! workflow allows. The first-run screen loads a small one; benchmarks load a million.
//!
//! Deterministic for a seed: each case's script is drawn from an RNG seeded by `(seed, case)`,
//! so the schedule can be built first (times only) and each step redrawn when it runs, which
//! keeps memory flat at a million cases.

mod meetings;
#[cfg(feature = "test-support")]
mod random;

#[cfg(feature = "test-support")]
pub use random::{MeetingCall, random_command, random_meeting_call, random_meeting_op};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::api::{CaseCommand, NewCase};
use crate::error::{Error, Reason, Result};
use crate::hlc::{Clock, ManualClock};
use crate::model::{Address, Channel, Outcome, Resident, Satisfaction, Urgency};
use crate::store::Store;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SampleSpec {
    /// Number of cases.
    pub cases: usize,
    /// Spread over this many days before `now_ms`.
    pub days: i64,
    /// RNG seed.
    pub seed: u64,
    /// "Now": steps scheduled later are left undone, so recent cases are in progress.
    pub now_ms: i64,
    /// Commands per transaction.
    pub batch: usize,
}

impl SampleSpec {
    /// The first-run sample community: 600 cases over the last 120 days.
    pub fn community(now_ms: i64) -> SampleSpec {
        SampleSpec {
            cases: 600,
            days: 120,
            seed: 2026,
            now_ms,
            batch: 5000,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleReport {
    /// Cases received.
    pub cases: usize,
    /// Workflow steps performed after intake.
    pub steps: usize,
    /// Steps the workflow refused when their turn came (e.g. an extension after the deadline).
    pub refused: usize,
    /// Meetings held (reception days, councils and dialogue meetings).
    pub meetings: usize,
}

const HOUR: i64 = 3_600_000;
/// Cases placed in the last eight hours before `now`.
const TODAY: usize = 12;
const DAY: i64 = 24 * HOUR;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "秀英", "桂英", "建国", "建华", "志强", "丽", "敏", "静", "伟", "芳", "娜", "军", "洋", "勇",
    "艳", "杰", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂兰", "玉兰", "海燕", "红梅", "德明",
];
const PLACES: &[&str] = &[
    "小区东门",
    "小区西门",
    "和美路与台北路交叉口",
    "社区活动中心门口",
    "菜市场旁",
    "幼儿园门口",
    "地下车库入口",
    "垃圾分类回收站",
    "健身广场",
    "沿街商铺后巷",
];

/// `(category, weight, templates)`. `{b}` is a building, `{p}` a place.
const TOPICS: &[(&str, u32, &[&str])] = &[
    (
        "parking.spaces.residential",
        9,
        &[
            "{b}栋附近停车位严重不足，晚上回来根本找不到车位，希望增加停车位",
            "小区停车难，外来车辆占用车位，业主车辆只能停在路边",
        ],
    ),
    (
        "parking.illegal.fire_lane",
        8,
        &[
            "{b}栋楼下消防通道被私家车长期占用，救护车和消防车进不来",
            "{p}有车辆占用消防通道，多次劝说无效",
        ],
    ),
    (
        "parking.zombie",
        4,
        &["{b}栋旁边有一辆僵尸车停了半年多，落满灰尘，轮胎都瘪了，占用车位"],
    ),
    (
        "parking.charging.ebike",
        5,
        &["{b}栋楼下没有电动车充电桩，居民只能飞线充电，存在安全隐患"],
    ),
    (
        "school.places.primary",
        6,
        &[
            "孩子今年上小学，按学区应该在附近小学入学，但学校说名额已满，上学难问题希望协调",
            "外来务工人员子女入学材料不清楚，咨询办理流程",
        ],
    ),
    (
        "school.traffic",
        4,
        &["早上上学时间{p}车辆拥堵，接送孩子的车乱停，孩子过马路很危险"],
    ),
    (
        "property.elevator",
        5,
        &["{b}栋{u}单元电梯经常故障停运，老人上下楼困难"],
    ),
    (
        "property.fees",
        3,
        &["物业费收取标准不透明，公共收益没有公示"],
    ),
    (
        "housing.leak.roof",
        6,
        &[
            "{b}栋顶楼屋顶漏水，下雨天家里墙面渗水发霉",
            "家中天花板漏水，楼上住户不配合维修",
        ],
    ),
    (
        "housing.leak.pipe",
        5,
        &["{b}栋{u}单元楼道水管破裂漏水，地面积水严重"],
    ),
    (
        "housing.meter",
        3,
        &["{b}栋居民要求安装独立水表，目前多户共用一个水表，水费分摊有纠纷"],
    ),
    (
        "utilities.streetlight",
        4,
        &["{p}路灯坏了一个多月，晚上漆黑一片，居民出行不安全"],
    ),
    (
        "utilities.manhole",
        3,
        &["{p}窨井盖松动破损，行人踩上去晃动，存在安全隐患"],
    ),
    (
        "utilities.drain",
        3,
        &["{b}栋门前下水道堵塞，污水外溢，气味难闻"],
    ),
    ("utilities.water", 2, &["{b}栋停水两天了，没有任何通知"]),
    (
        "sanitation.rubbish",
        4,
        &["{p}垃圾清运不及时，垃圾桶满溢，夏天蚊蝇很多"],
    ),
    (
        "sanitation.recycling",
        2,
        &["垃圾分类回收站设在{b}栋窗下，气味大，希望挪位置"],
    ),
    (
        "noise.square_dance",
        3,
        &["{p}广场舞音响声音太大，晚上九点后还在跳，影响休息"],
    ),
    (
        "noise.construction",
        3,
        &["{p}工地夜间施工噪音扰民，凌晨还在作业"],
    ),
    ("noise.business", 2, &["沿街烧烤店深夜噪音和油烟扰民"]),
    (
        "safety.hydrant",
        3,
        &["{b}栋楼下消防栓损坏漏水，没有水压，发生火灾无法使用"],
    ),
    (
        "safety.exit",
        2,
        &["{b}栋{u}单元楼道堆放杂物，堵塞安全出口"],
    ),
    (
        "safety.ebike_indoor",
        2,
        &["有居民把电动车推进电梯带回家充电，很危险"],
    ),
    (
        "dispute",
        3,
        &[
            "楼上邻居装修时损坏我家墙面，协商不成",
            "邻居在公共走道堆放杂物，双方发生争执",
        ],
    ),
    (
        "welfare.elderly",
        2,
        &["独居老人行动不便，希望提供上门助餐服务"],
    ),
    (
        "welfare.canteen",
        2,
        &["希望社区开办老年食堂，解决老人吃饭难"],
    ),
    ("transport", 2, &["{p}公交站台没有遮雨棚，雨天候车不便"]),
    ("other", 1, &["咨询居住证办理需要的材料"]),
];

fn units_for(category: &str) -> &'static [&'static str] {
    match category.split('.').next().unwrap_or("") {
        "parking" => &["property", "urban_mgmt", "traffic_police"],
        "school" => &["education", "traffic_police"],
        "property" => &["property"],
        "housing" => &["property", "construction", "water"],
        "utilities" => &["construction", "water", "power", "gas"],
        "sanitation" => &["property", "urban_mgmt"],
        "noise" => &["urban_mgmt", "police"],
        "safety" => &["fire", "property"],
        "dispute" => &["community", "police"],
        "welfare" => &["civil_affairs", "community"],
        "transport" => &["construction"],
        _ => &["community", "grid"],
    }
}

enum Step {
    Receive(Box<NewCase>),
    Act(CaseCommand),
    /// Ask for this many extra working days beyond the current deadline.
    ExtendBy(u32),
    /// Merge into the case received just before this one.
    MergeIntoPrevious,
}

/// Move the script's clock on by a random delay in `lo..hi` and return it.
fn at(t: &mut i64, r: &mut SmallRng, lo: i64, hi: i64) -> i64 {
    *t += r.random_range(lo..hi);
    *t
}

fn pick<'a, T>(rng: &mut SmallRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn resident(seed: u64, idx: u64) -> (Resident, Address) {
    let mut r = SmallRng::seed_from_u64(seed ^ idx.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let name = format!("{}{}", pick(&mut r, SURNAMES), pick(&mut r, GIVEN));
    let phone = format!(
        "1{}{:09}",
        pick(&mut r, &["3", "5", "8", "9"]),
        r.random_range(0..1_000_000_000u64)
    );
    let address = Address {
        building: format!("{}栋", r.random_range(1..=40)),
        unit: format!("{}单元", r.random_range(1..=4)),
        room: format!("{}{:02}室", r.random_range(1..=18), r.random_range(1..=4)),
        text: String::new(),
    };
    (Resident { name, phone }, address)
}

/// The script of case `i`: its receipt time offset and steps, each at an offset after receipt.
fn script(spec: &SampleSpec, i: usize) -> (i64, Vec<(i64, Step)>) {
    let mut r = SmallRng::seed_from_u64(spec.seed.wrapping_mul(1_000_003) ^ i as u64);
    // Spread evenly over the days of the period, at office hours (08:00–20:00 China time).
    let first_day = crate::calendar::local_date(spec.now_ms) - chrono::Duration::days(spec.days);
    let day = first_day + chrono::Duration::days((i as i64 * spec.days) / spec.cases.max(1) as i64);
    let mut t0 = crate::calendar::start_of_day(day) + r.random_range(8 * HOUR..20 * HOUR);
    // Today's intake: the newest few arrived in the last hours, so the desk opens on cases
    // waiting for dispatch, for acceptance and in hand.
    if i + TODAY >= spec.cases {
        t0 = spec.now_ms - r.random_range(0..3 * HOUR);
    }
    let t0 = t0.min(spec.now_ms);

    let total: u32 = TOPICS.iter().map(|t| t.1).sum();
    let mut roll = r.random_range(0..total);
    let (category, _, templates) = TOPICS
        .iter()
        .find(|t| {
            if roll < t.1 {
                true
            } else {
                roll -= t.1;
                false
            }
        })
        .expect("weights cover the roll");
    let b = r.random_range(1..=40);
    let description = pick(&mut r, templates)
        .replace("{b}", &b.to_string())
        .replace("{u}", &r.random_range(1..=4).to_string())
        .replace("{p}", pick::<&str>(&mut r, PLACES));
    let channel = *pick(
        &mut r,
        &[
            Channel::Phone,
            Channel::Phone,
            Channel::Phone,
            Channel::Hotline12345,
            Channel::Hotline12345,
            Channel::Hotline12345,
            Channel::WalkIn,
            Channel::WalkIn,
            Channel::Online,
            Channel::Patrol,
            Channel::ReceptionDay,
            Channel::Meeting,
            Channel::Media,
        ],
    );
    // A third of residents come back: draw from a pool a third the size of the case count.
    let pool = (spec.cases as u64 / 3).max(1);
    let (mut res, address) = resident(spec.seed, r.random_range(0..pool));
    if channel == Channel::Patrol {
        res = Resident::default();
    }
    let urgency = if r.random_ratio(8, 100) {
        Urgency::Urgent
    } else {
        Urgency::Normal
    };
    let work_order_no = if channel == Channel::Hotline12345 {
        format!("12345-{}", 20_000_000 + i)
    } else {
        String::new()
    };
    let new = NewCase {
        channel,
        work_order_no,
        category: (*category).into(),
        urgency,
        resident: res,
        address,
        description,
        location: if r.random_bool(0.5) {
            format!("{b}栋")
        } else {
            (*pick(&mut r, PLACES)).into()
        },
        attachment: None,
        meeting: None,
    };
    let mut steps = vec![(0, Step::Receive(Box::new(new)))];
    let mut t = 0i64;
    let units = units_for(category);
    let unit = (*pick(&mut r, units)).to_string();
    if r.random_ratio(1, 100) && i > 0 {
        steps.push((
            at(&mut t, &mut r, HOUR / 2, 3 * HOUR),
            Step::MergeIntoPrevious,
        ));
        return (t0, steps);
    }
    // A few wait for days at each stage: the overdue desk exists because of them.
    let stall = |r: &mut SmallRng| {
        if r.random_ratio(8, 100) {
            r.random_range(DAY..6 * DAY)
        } else {
            0
        }
    };
    let wait = stall(&mut r);
    steps.push((
        at(&mut t, &mut r, 10 * 60_000 + wait, 3 * HOUR + wait),
        Step::Act(CaseCommand::Dispatch {
            unit: unit.clone(),
            note: "请尽快联系居民处理".into(),
        }),
    ));
    if r.random_ratio(2, 100) {
        steps.push((
            at(&mut t, &mut r, HOUR, DAY),
            Step::Act(CaseCommand::Withdraw {
                reason: "居民表示问题已自行解决，申请撤销".into(),
            }),
        ));
        return (t0, steps);
    }
    if r.random_ratio(6, 100) {
        steps.push((
            at(&mut t, &mut r, HOUR, 5 * HOUR),
            Step::Act(CaseCommand::Return {
                reason: "不属于本单位职责范围".into(),
            }),
        ));
        let other = units_for("other")[0];
        let wait = stall(&mut r) * 3;
        steps.push((
            at(&mut t, &mut r, HOUR / 2 + wait, 3 * HOUR + wait),
            Step::Act(CaseCommand::Dispatch {
                unit: other.into(),
                note: "重新派单".into(),
            }),
        ));
    }
    let wait = stall(&mut r);
    steps.push((
        at(&mut t, &mut r, HOUR / 2 + wait, 6 * HOUR + wait),
        Step::Act(CaseCommand::Accept {
            note: String::new(),
        }),
    ));
    if r.random_ratio(4, 100) {
        steps.push((
            at(&mut t, &mut r, HOUR, 8 * HOUR),
            Step::Act(CaseCommand::Transfer {
                unit: "construction".into(),
                reason: "需要街道城建办协调".into(),
            }),
        ));
        steps.push((
            at(&mut t, &mut r, HOUR, 4 * HOUR),
            Step::Act(CaseCommand::Accept {
                note: String::new(),
            }),
        ));
    }
    steps.push((
        at(&mut t, &mut r, HOUR, 20 * HOUR),
        Step::Act(CaseCommand::Note {
            text: "已电话联系居民，约定上门查看".into(),
            contacted_resident: true,
            public: true,
        }),
    ));
    if r.random_ratio(5, 100) {
        steps.push((
            at(&mut t, &mut r, HOUR, DAY),
            Step::Act(CaseCommand::Urge {
                note: "请加快办理进度".into(),
            }),
        ));
    }
    if r.random_ratio(5, 100) {
        steps.push((at(&mut t, &mut r, HOUR, 6 * HOUR), Step::ExtendBy(5)));
        steps.push((
            at(&mut t, &mut r, HOUR, 4 * HOUR),
            Step::Act(CaseCommand::DecideExtension {
                approved: r.random_ratio(4, 5),
                note: "已告知居民".into(),
            }),
        ));
    }
    let resolve_delay = match r.random_range(0..10) {
        0..7 => r.random_range(2 * HOUR..2 * DAY),
        7..9 => r.random_range(2 * DAY..4 * DAY),
        _ => r.random_range(4 * DAY..10 * DAY),
    };
    t += resolve_delay;
    steps.push((
        t,
        Step::Act(CaseCommand::Resolve {
            outcome: if r.random_ratio(9, 10) {
                Outcome::Solved
            } else {
                Outcome::Explained
            },
            result: "已现场处理完毕，居民认可".into(),
        }),
    ));
    let sat = match r.random_range(0..100) {
        0..78 => Some(Satisfaction::Satisfied),
        78..92 => Some(Satisfaction::BasicallySatisfied),
        92..98 => Some(Satisfaction::Dissatisfied),
        _ => None,
    };
    let visit = |sat: Option<Satisfaction>| CaseCommand::Visit {
        reachable: sat.is_some(),
        contacted: true,
        solved: sat != Some(Satisfaction::Dissatisfied),
        satisfaction: sat,
        note: String::new(),
    };
    steps.push((at(&mut t, &mut r, 4 * HOUR, 2 * DAY), Step::Act(visit(sat))));
    if sat == Some(Satisfaction::Dissatisfied) && r.random_ratio(7, 10) {
        steps.push((
            at(&mut t, &mut r, HOUR, DAY),
            Step::Act(CaseCommand::Redo {
                reason: "居民不满意，问题未彻底解决".into(),
                due: None,
            }),
        ));
        steps.push((
            at(&mut t, &mut r, DAY, 3 * DAY),
            Step::Act(CaseCommand::Resolve {
                outcome: Outcome::Solved,
                result: "重新处理后问题已解决".into(),
            }),
        ));
        steps.push((
            at(&mut t, &mut r, 4 * HOUR, DAY),
            Step::Act(visit(Some(Satisfaction::BasicallySatisfied))),
        ));
    }
    steps.push((
        at(&mut t, &mut r, DAY, 3 * DAY),
        Step::Act(CaseCommand::Archive {
            note: String::new(),
        }),
    ));
    (t0, steps)
}

/// Fill an empty store with a sample community. Refuses a store that already has cases,
/// because sample history written after real events would carry later clock readings.
pub fn generate(store: &mut Store, spec: &SampleSpec) -> Result<SampleReport> {
    if store.stats()?.cases > 0 {
        return Err(Error::invalid("sample", Reason::NotEmpty));
    }
    store.mark_sample()?;
    // (time, 0 for a case step or 1 for a meeting step, which one, step number)
    let mut schedule: Vec<(i64, u8, u32, u8)> = Vec::with_capacity(spec.cases * 7);
    for i in 0..spec.cases {
        let (t0, steps) = script(spec, i);
        for (n, (off, _)) in steps.iter().enumerate() {
            if t0 + off <= spec.now_ms {
                schedule.push((t0 + off, 0, i as u32, n as u8));
            }
        }
    }
    let facilitator = store.identity().author.clone();
    let mut meeting_steps: Vec<Vec<Option<meetings::MStep>>> = (0..meetings::count(spec))
        .map(|k| {
            meetings::script(spec, k, &facilitator)
                .into_iter()
                .enumerate()
                .map(|(n, (t, step))| {
                    schedule.push((t, 1, k as u32, n as u8));
                    Some(step)
                })
                .collect()
        })
        .collect();
    let mut meeting_ids: Vec<Option<Uuid>> = vec![None; meeting_steps.len()];
    schedule.sort_unstable();
    let clock = ManualClock::new(spec.now_ms - spec.days * DAY);
    let previous = store.replace_clock(Box::new(clock.clone()));
    let mut ids: Vec<Option<Uuid>> = vec![None; spec.cases];
    let mut report = SampleReport::default();
    let result = (|| {
        for chunk in schedule.chunks(spec.batch.max(1)) {
            store.batch(|store| {
                for &(t, what, i, n) in chunk {
                    clock.set(t);
                    if what == 1 {
                        let step = meeting_steps[i as usize][n as usize]
                            .take()
                            .expect("each step runs once");
                        let id = &mut meeting_ids[i as usize];
                        let was = id.is_some();
                        match meetings::perform(store, id, step) {
                            Ok(()) => report.meetings += usize::from(!was && id.is_some()),
                            Err(e) if matches!(e.code(), crate::Code::Storage) => return Err(e),
                            Err(_) => report.refused += 1,
                        }
                        continue;
                    }
                    let (_, mut steps) = script(spec, i as usize);
                    let step = steps.swap_remove(n as usize).1;
                    let outcome = match (step, ids[i as usize]) {
                        (Step::Receive(new), _) => store.receive(*new).map(|c| {
                            ids[i as usize] = Some(c.id);
                            report.cases += 1;
                        }),
                        (Step::Act(cmd), Some(id)) => store.act(id, cmd).map(|_| report.steps += 1),
                        (Step::ExtendBy(days), Some(id)) => {
                            let due = store.case(id)?.resolve_due;
                            let new_due = store.calendar().working_days_deadline(due, days);
                            store
                                .act(
                                    id,
                                    CaseCommand::RequestExtension {
                                        new_due,
                                        reason: "需协调多个部门，申请延期".into(),
                                    },
                                )
                                .map(|_| report.steps += 1)
                        }
                        (Step::MergeIntoPrevious, Some(id)) => match ids[i as usize - 1] {
                            Some(other) => store
                                .act(
                                    id,
                                    CaseCommand::Merge {
                                        other: other.to_string(),
                                    },
                                )
                                .map(|_| report.steps += 1),
                            None => Ok(()),
                        },
                        (_, None) => Ok(()),
                    };
                    match outcome {
                        Ok(()) => {}
                        Err(e) if matches!(e.code(), crate::Code::Storage) => return Err(e),
                        Err(_) => report.refused += 1,
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    })();
    store.replace_clock(previous);
    result.map(|()| report)
}

/// One typical call: a car blocking the fire lane below building 27, reported by phone by a
/// resident of 27栋2单元301室. Tests and benchmarks share it.
pub fn parking_complaint(description: &str) -> NewCase {
    NewCase {
        channel: Channel::Phone,
        work_order_no: String::new(),
        category: "parking.illegal.fire_lane".into(),
        urgency: Urgency::Normal,
        resident: Resident {
            name: "王秀英".into(),
            phone: "13800138000".into(),
        },
        address: Address {
            building: "27栋".into(),
            unit: "2单元".into(),
            room: "301室".into(),
            text: String::new(),
        },
        description: description.into(),
        location: "27栋楼下".into(),
        attachment: None,
        meeting: None,
    }
}

/// The clock a generated store should go on with: the real one.
pub fn system_clock() -> Box<dyn Clock> {
    Box::new(crate::hlc::SystemClock)
}
