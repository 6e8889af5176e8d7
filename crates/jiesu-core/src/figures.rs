//! The figures leaders rank by (接诉即办 考核), each defined once and drillable to its cases.
//!
//! **Population.** A period's figures count the cases *received* in `[from, to)` (China time)
//! that match the query's dimensions, **excluding withdrawn and merged cases**: a withdrawn case
//! was never the office's to solve, a merged one is counted by the case it was merged into.
//! "Overdue in period" is the one figure with another population: the cases whose resolve
//! deadline fell in the period and that missed it, whenever they were received.
//!
//! **Definitions** (the window shows them beside each figure, `ui/src/i18n`):
//! - 受理 `received`: the population.
//! - 办结 `resolved`: of those, resolved now (a redo reopens a case until it is resolved again).
//! - 办结率 = resolved / received.
//! - 3天办结 `within3`: resolved at most 3 working days after the day of receipt
//!   ([`Calendar::working_days_between`]: holidays and 调休 Saturdays as the calendar says).
//! - 3天未到期 `within3_pending`: not resolved and still inside those 3 working days now —
//!   neither kept nor missed yet.
//! - 3天办结率 = within3 / (received − within3_pending): a case counts once its limit has
//!   passed or it is resolved, so a month's first morning is not 0%.
//! - 平均办理时长: mean of resolve − receipt over the resolved, in calendar days and in working
//!   days.
//! - 首次响应 `responded`: the case was first answered — accepted (签收) by its unit, the
//!   resident contacted, or solved on the spot — whichever came first (`Case::responded_at`).
//! - 按时响应 `responded_on_time`: first answered by the response deadline the office's policy
//!   gave it at intake (事不过夜: the urgency's response limit on the calendar).
//! - 响应未到期 `response_pending`: not answered yet and its response deadline not passed.
//! - 按时响应率 = responded on time / (received − response pending), the 3-day rule's shape.
//! - 平均响应时长: mean of first answer − receipt over the answered, in hours.
//! - 当前超期 `overdue_now`: still open and past the earlier of the resolve deadline and a
//!   promised letter date — the overdue list's own rule.
//! - 期内超期 `overdue_in_period`: deadline in the period, resolved after it or not at all.
//! - 延期 / 重办: approved extensions and redos of the population's cases.
//! - 三率 over **valid return visits** (the resident was reached): 响应率 = said contacted /
//!   valid, 解决率 = said solved / valid, 满意率 = (满意 + factor × 基本满意) / valid, and the
//!   composite w₁·响应 + w₂·解决 + w₃·满意. Weights and factor are [`FigureSettings`]. Which
//!   visits count is a setting too ([`VisitRule`]), because cities differ: each case's last
//!   visit (件, the default), its first (件), or every visit (次) — a case visited, redone and
//!   visited again then counts both answers. The list behind a visit figure is its cases.
//! - 承诺书: letters issued on the population's cases, and those fulfilled or broken now.
//!
//! A rate with a zero denominator is `None` ("—"), never 0 or 100%.
//!
//! **Drill-down.** Every count is the size of a set decided by [`counts`], and
//! [`crate::Store::figure_cases`] lists exactly that set, so a number and the list behind it
//! cannot disagree.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::calendar::{self, Calendar};
use crate::event::{FigureRules, FigureRulesV2};
use crate::model::{CaseState, Channel, LetterStatus, Satisfaction};
// The rule is stored in the settings' events: the log's own type.
pub use crate::event::VisitRule;

/// Settings of the figures (per office; the weights change over time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct FigureSettings {
    /// Composite weight of 响应率.
    #[serde(serialize_with = "crate::event::finite")]
    pub weight_response: f64,
    /// Composite weight of 解决率.
    #[serde(serialize_with = "crate::event::finite")]
    pub weight_solution: f64,
    /// Composite weight of 满意率.
    #[serde(serialize_with = "crate::event::finite")]
    pub weight_satisfaction: f64,
    /// How much a 基本满意 counts towards 满意率.
    #[serde(serialize_with = "crate::event::finite")]
    pub basic_factor: f64,
    /// Units with fewer cases than this are listed apart, not ranked.
    pub min_sample: u32,
    /// Which return visits the 三率 count (settings stored before it existed: the last).
    #[serde(default)]
    pub visit_rule: VisitRule,
}

// The stored settings and the form hold the same fields (a stored shape that changes is a
// new version: `FigureRules` is read as `FigureRulesV2`, counting the last visit).
same_fields!(
    FigureRulesV2,
    FigureSettings {
        weight_response,
        weight_solution,
        weight_satisfaction,
        basic_factor,
        min_sample,
        visit_rule,
    }
);

impl From<FigureRules> for FigureSettings {
    fn from(v1: FigureRules) -> FigureSettings {
        FigureRulesV2::from(v1).into()
    }
}

impl Default for FigureSettings {
    fn default() -> Self {
        FigureSettings {
            weight_response: 0.1,
            weight_solution: 0.5,
            weight_satisfaction: 0.4,
            basic_factor: 0.9,
            min_sample: 10,
            visit_rule: VisitRule::Last,
        }
    }
}

/// What to count: a period and optional dimension filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(default)]
#[cfg_attr(feature = "ts", ts(export))]
pub struct FigureQuery {
    /// Period start (ms, inclusive).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from: i64,
    /// Period end (ms, exclusive).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to: i64,
    /// Handling unit code.
    pub unit: Option<String>,
    /// Category code at any level (includes its sub-categories).
    pub category: Option<String>,
    /// Channel.
    pub channel: Option<Channel>,
    /// Building (楼栋), as written at intake.
    pub building: Option<String>,
    /// Office (a street office's communities).
    pub office: Option<String>,
}

/// The sets the figures count; each can be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Figure {
    /// 受理
    Received,
    /// 办结
    Resolved,
    /// 3天办结
    Within3,
    /// 3天未到期: open and still inside its 3 working days.
    Within3Pending,
    /// 当前超期
    OverdueNow,
    /// 期内超期
    OverdueInPeriod,
    /// Cases with an approved extension.
    Extended,
    /// Cases redone.
    Redone,
    /// 有效回访
    ValidVisits,
    /// Visits where the resident says they were contacted.
    Contacted,
    /// Visits where the resident says it is solved.
    Solved,
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Dissatisfied,
    /// 承诺书
    Letters,
    /// Letters fulfilled.
    LettersFulfilled,
    /// Letters broken.
    LettersBroken,
    /// 首次响应: answered (accepted, resident contacted or solved on the spot).
    Responded,
    /// 按时响应: answered by its response deadline.
    RespondedOnTime,
    /// 响应未到期: not answered and its response deadline not passed.
    ResponsePending,
}

impl Figure {
    /// Every figure, in the order the dashboard shows them.
    pub const ALL: [Figure; 20] = [
        Figure::Received,
        Figure::Resolved,
        Figure::Within3,
        Figure::Within3Pending,
        Figure::OverdueNow,
        Figure::OverdueInPeriod,
        Figure::Extended,
        Figure::Redone,
        Figure::ValidVisits,
        Figure::Contacted,
        Figure::Solved,
        Figure::Satisfied,
        Figure::BasicallySatisfied,
        Figure::Dissatisfied,
        Figure::Letters,
        Figure::LettersFulfilled,
        Figure::LettersBroken,
        Figure::Responded,
        Figure::RespondedOnTime,
        Figure::ResponsePending,
    ];
}

/// The figures of one population.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Figures {
    /// 受理
    pub received: u32,
    /// 办结
    pub resolved: u32,
    /// 3天办结
    pub within3: u32,
    /// 3天未到期: out of 3天办结率's denominator.
    pub within3_pending: u32,
    /// 办结率
    pub resolve_rate: Option<f64>,
    /// 3天办结率
    pub within3_rate: Option<f64>,
    /// Mean handling time of the resolved, calendar days.
    pub avg_days: Option<f64>,
    /// Mean handling time of the resolved, working days.
    pub avg_working_days: Option<f64>,
    /// 当前超期
    pub overdue_now: u32,
    /// 期内超期
    pub overdue_in_period: u32,
    /// Approved extensions (sum over cases).
    pub extensions: u32,
    /// Redos (sum over cases).
    pub redos: u32,
    /// 有效回访
    pub valid_visits: u32,
    /// Said contacted.
    pub contacted: u32,
    /// Said solved.
    pub solved: u32,
    /// 满意
    pub satisfied: u32,
    /// 基本满意
    pub basically_satisfied: u32,
    /// 不满意
    pub dissatisfied: u32,
    /// 响应率
    pub response_rate: Option<f64>,
    /// 解决率
    pub solution_rate: Option<f64>,
    /// 满意率
    pub satisfaction_rate: Option<f64>,
    /// 综合得分 (0–1)
    pub composite: Option<f64>,
    /// 承诺书 issued
    pub letters: u32,
    /// fulfilled
    pub letters_fulfilled: u32,
    /// broken
    pub letters_broken: u32,
    /// 首次响应: answered.
    pub responded: u32,
    /// 按时响应
    pub responded_on_time: u32,
    /// 响应未到期: out of 按时响应率's denominator.
    pub response_pending: u32,
    /// 按时响应率
    pub on_time_response_rate: Option<f64>,
    /// Mean time from receipt to the first answer of the answered, hours.
    pub avg_response_hours: Option<f64>,
}

/// What the figures read of a case: the projection's columns, nothing recomputed.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureRow {
    /// The case's row in the store (its list row is found by it).
    pub case: i64,
    /// State.
    pub state: CaseState,
    /// Received (ms).
    pub received_at: i64,
    /// Resolved (ms).
    pub resolved_at: Option<i64>,
    /// Resolve deadline (ms).
    pub resolve_due: i64,
    /// First-response deadline (ms).
    pub response_due: i64,
    /// First answered (ms).
    pub responded_at: Option<i64>,
    /// Earliest open deadline rank (see the store's `due_rank`).
    pub due_rank: i64,
    /// Approved extensions.
    pub extensions: u32,
    /// Redos.
    pub redos: u32,
    /// The last visit: reachable, contacted, solved, satisfaction.
    pub visit: Option<Visit>,
    /// The first visit (the last when only one is known).
    pub first_visit: Option<Visit>,
    /// Every visit, counted per visit figure in [`VISIT_FIGURES`] order (saturating at 255:
    /// a case is not visited more often).
    pub visits: [u32; 6],
    /// The letter's promised time.
    pub letter_due: Option<i64>,
}

/// A return visit's answers as the figures read them: reachable, contacted, solved,
/// satisfaction.
pub type Visit = (bool, bool, bool, Option<Satisfaction>);

/// The figures that count return visits, in [`FigureRow::visits`] order.
pub const VISIT_FIGURES: [Figure; 6] = [
    Figure::ValidVisits,
    Figure::Contacted,
    Figure::Solved,
    Figure::Satisfied,
    Figure::BasicallySatisfied,
    Figure::Dissatisfied,
];

/// How one visit counts in each of [`VISIT_FIGURES`]: 1 or 0.
pub fn visit_counts(v: Option<Visit>) -> [u32; 6] {
    match v {
        Some((true, contacted, solved, sat)) => [
            1,
            u32::from(contacted),
            u32::from(solved),
            u32::from(sat == Some(Satisfaction::Satisfied)),
            u32::from(sat == Some(Satisfaction::BasicallySatisfied)),
            u32::from(sat == Some(Satisfaction::Dissatisfied)),
        ],
        _ => [0; 6],
    }
}

/// A case's visits as the figures read them: the last, the first, and every one counted per
/// [`VISIT_FIGURES`] (saturating). A case folded before every visit was kept knows only its
/// last, which is then its first too.
pub fn case_visits(c: &crate::model::Case) -> (Option<Visit>, Option<Visit>, [u32; 6]) {
    let read = |v: &crate::model::VisitResult| (v.reachable, v.contacted, v.solved, v.satisfaction);
    let last = c.visit.as_ref().map(read);
    if c.visits.is_empty() {
        return (last, last, visit_counts(last));
    }
    let mut counts = [0u32; 6];
    for v in &c.visits {
        for (n, add) in counts.iter_mut().zip(visit_counts(Some(read(v)))) {
            *n = n.saturating_add(add);
        }
    }
    (last, c.visits.first().map(read), counts)
}

/// The context a row is judged in.
pub struct Judge<'a> {
    /// The query's period.
    pub from: i64,
    /// The query's period end.
    pub to: i64,
    /// Now.
    pub now: i64,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
    /// Which visits count.
    pub visits: VisitRule,
}

impl Judge<'_> {
    fn in_population(&self, r: &FigureRow) -> bool {
        r.received_at >= self.from
            && r.received_at < self.to
            && !matches!(r.state, CaseState::Withdrawn | CaseState::Merged)
    }

    fn within3(&self, r: &FigureRow) -> bool {
        r.resolved_at
            .is_some_and(|t| self.calendar.working_days_between(r.received_at, t) <= 3)
    }

    /// Open, and resolving it now would still be within 3 working days.
    fn within3_pending(&self, r: &FigureRow) -> bool {
        r.resolved_at.is_none()
            && (self.now < r.received_at
                || self.calendar.working_days_between(r.received_at, self.now) <= 3)
    }

    /// What the case adds to each of [`VISIT_FIGURES`] under the rule in force.
    fn visit_counts(&self, r: &FigureRow) -> [u32; 6] {
        match self.visits {
            VisitRule::Last => visit_counts(r.visit),
            VisitRule::First => visit_counts(r.first_visit),
            VisitRule::Every => r.visits,
        }
    }

    /// Not answered, and answering now would still be on time.
    fn response_pending(&self, r: &FigureRow) -> bool {
        r.responded_at.is_none() && self.now <= r.response_due
    }

    fn letter(&self, r: &FigureRow) -> Option<LetterStatus> {
        r.letter_due
            .map(|due| LetterStatus::judge(r.state, r.resolved_at, due, self.now))
    }
}

/// Whether `row` is in the set `figure` counts: the one rule for both the number and the list.
pub fn counts(j: &Judge<'_>, figure: Figure, r: &FigureRow) -> bool {
    if figure == Figure::OverdueInPeriod {
        return r.resolve_due >= j.from
            && r.resolve_due < j.to
            && r.resolve_due <= j.now
            && !matches!(r.state, CaseState::Withdrawn | CaseState::Merged)
            && r.resolved_at.is_none_or(|t| t > r.resolve_due);
    }
    if !j.in_population(r) {
        return false;
    }
    if let Some(i) = VISIT_FIGURES.iter().position(|f| *f == figure) {
        return j.visit_counts(r)[i] > 0;
    }
    match figure {
        Figure::Received => true,
        Figure::Resolved => r.resolved_at.is_some(),
        Figure::Within3 => j.within3(r),
        Figure::Within3Pending => j.within3_pending(r),
        Figure::OverdueNow => r.state.is_open() && r.due_rank <= j.now,
        Figure::OverdueInPeriod => unreachable!("handled above"),
        Figure::Extended => r.extensions > 0,
        Figure::Redone => r.redos > 0,
        Figure::ValidVisits
        | Figure::Contacted
        | Figure::Solved
        | Figure::Satisfied
        | Figure::BasicallySatisfied
        | Figure::Dissatisfied => unreachable!("handled above"),
        Figure::Letters => r.letter_due.is_some(),
        Figure::LettersFulfilled => j.letter(r) == Some(LetterStatus::Fulfilled),
        Figure::LettersBroken => j.letter(r) == Some(LetterStatus::Broken),
        Figure::Responded => r.responded_at.is_some(),
        Figure::RespondedOnTime => r.responded_at.is_some_and(|t| t <= r.response_due),
        Figure::ResponsePending => j.response_pending(r),
    }
}

fn rate(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

/// What one case contributes to the figures: judged once by [`counts`], summed by [`sum`],
/// so a breakdown into many groups judges each case once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    in_population: bool,
    overdue_in_period: bool,
    resolved: bool,
    days: f64,
    working_days: u32,
    /// Hours from receipt to the first answer, when answered.
    response_hours: Option<f64>,
    bits: u16,
    /// What it adds to each of [`VISIT_FIGURES`]: visits under [`VisitRule::Every`].
    visits: [u8; 6],
    extensions: u32,
    redos: u32,
}

/// The figures counted per case in [`Tally::bits`], by bit position.
const BITS: [Figure; 9] = [
    Figure::Within3,
    Figure::Within3Pending,
    Figure::OverdueNow,
    Figure::Letters,
    Figure::LettersFulfilled,
    Figure::LettersBroken,
    Figure::Responded,
    Figure::RespondedOnTime,
    Figure::ResponsePending,
];

/// Judge one case.
pub fn tally(j: &Judge<'_>, r: &FigureRow) -> Tally {
    let mut t = Tally {
        overdue_in_period: counts(j, Figure::OverdueInPeriod, r),
        in_population: j.in_population(r),
        ..Tally::default()
    };
    if !t.in_population {
        return t;
    }
    if let Some(at) = r.resolved_at {
        t.resolved = true;
        t.days = (at - r.received_at) as f64 / 86_400_000.0;
        t.working_days = j.calendar.working_days_between(r.received_at, at);
    }
    t.response_hours = response_hours(r);
    for (bit, figure) in BITS.iter().enumerate() {
        if counts(j, *figure, r) {
            t.bits |= 1 << bit;
        }
    }
    t.visits = j
        .visit_counts(r)
        .map(|n| u8::try_from(n).unwrap_or(u8::MAX));
    t.extensions = r.extensions;
    t.redos = r.redos;
    t
}

/// The figures of judged cases.
pub fn sum<'t>(settings: &FigureSettings, tallies: impl IntoIterator<Item = &'t Tally>) -> Figures {
    let mut f = Figures::default();
    let (mut days, mut working, mut response_hours) = (0f64, 0u64, 0f64);
    let mut n = [0u32; BITS.len()];
    let mut visits = [0u32; VISIT_FIGURES.len()];
    for t in tallies {
        f.overdue_in_period += u32::from(t.overdue_in_period);
        if !t.in_population {
            continue;
        }
        f.received += 1;
        if t.resolved {
            f.resolved += 1;
            days += t.days;
            working += u64::from(t.working_days);
        }
        response_hours += t.response_hours.unwrap_or(0.0);
        for (bit, c) in n.iter_mut().enumerate() {
            *c += u32::from(t.bits & (1 << bit) != 0);
        }
        for (v, add) in visits.iter_mut().zip(t.visits) {
            *v += u32::from(add);
        }
        f.extensions += t.extensions;
        f.redos += t.redos;
    }
    [
        f.within3,
        f.within3_pending,
        f.overdue_now,
        f.letters,
        f.letters_fulfilled,
        f.letters_broken,
        f.responded,
        f.responded_on_time,
        f.response_pending,
    ] = n;
    [
        f.valid_visits,
        f.contacted,
        f.solved,
        f.satisfied,
        f.basically_satisfied,
        f.dissatisfied,
    ] = visits;
    f.resolve_rate = rate(f.resolved, f.received);
    f.within3_rate = rate(f.within3, f.received - f.within3_pending);
    if f.resolved > 0 {
        f.avg_days = Some(days / f64::from(f.resolved));
        f.avg_working_days = Some(working as f64 / f64::from(f.resolved));
    }
    f.on_time_response_rate = rate(f.responded_on_time, f.received - f.response_pending);
    if f.responded > 0 {
        f.avg_response_hours = Some(response_hours / f64::from(f.responded));
    }
    f.response_rate = rate(f.contacted, f.valid_visits);
    f.solution_rate = rate(f.solved, f.valid_visits);
    if f.valid_visits > 0 {
        let sat = (f64::from(f.satisfied)
            + settings.basic_factor * f64::from(f.basically_satisfied))
            / f64::from(f.valid_visits);
        f.satisfaction_rate = Some(sat);
        f.composite = Some(
            settings.weight_response * f.response_rate.unwrap_or(0.0)
                + settings.weight_solution * f.solution_rate.unwrap_or(0.0)
                + settings.weight_satisfaction * sat,
        );
    }
    f
}

/// One case's facts as an auditor recomputes the figures from them: whether each figure
/// counts it (the same [`counts`] the numbers use) and the numbers the averages and sums
/// add up. The report's case sheet is a row of these per case.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// Whether each figure counts the case, in [`Figure::ALL`] order.
    pub counted: [bool; Figure::ALL.len()],
    /// Resolved (ms).
    pub resolved_at: Option<i64>,
    /// Calendar days from receipt to resolution, when resolved.
    pub days: Option<f64>,
    /// Working days from receipt to resolution, when resolved.
    pub working_days: Option<u32>,
    /// Hours from receipt to the first answer, when answered.
    pub response_hours: Option<f64>,
    /// Approved extensions.
    pub extensions: u32,
    /// Redos.
    pub redos: u32,
    /// What it adds to each of [`VISIT_FIGURES`] under the rule in force (visits under
    /// [`VisitRule::Every`], else 1 or 0; 0 outside the population).
    pub visits: [u32; 6],
}

/// The facts of one case, or `None` when no figure of the period counts it.
pub fn audit(j: &Judge<'_>, r: &FigureRow) -> Option<Audit> {
    let counted = Figure::ALL.map(|f| counts(j, f, r));
    counted.iter().any(|c| *c).then(|| Audit {
        counted,
        resolved_at: r.resolved_at,
        days: r
            .resolved_at
            .map(|at| (at - r.received_at) as f64 / 86_400_000.0),
        working_days: r
            .resolved_at
            .map(|at| j.calendar.working_days_between(r.received_at, at)),
        response_hours: response_hours(r),
        extensions: r.extensions,
        redos: r.redos,
        visits: if j.in_population(r) {
            j.visit_counts(r)
        } else {
            [0; 6]
        },
    })
}

/// Hours from receipt to the first answer (an answer before receipt, from a clock that was
/// wrong, counts as none elapsed).
fn response_hours(r: &FigureRow) -> Option<f64> {
    r.responded_at
        .map(|at| at.saturating_sub(r.received_at).max(0) as f64 / 3_600_000.0)
}

/// The figures of `rows` (already filtered by the query's dimensions).
pub fn compute<'r>(
    j: &Judge<'_>,
    settings: &FigureSettings,
    rows: impl IntoIterator<Item = &'r FigureRow>,
) -> Figures {
    let tallies: Vec<Tally> = rows.into_iter().map(|r| tally(j, r)).collect();
    sum(settings, &tallies)
}

/// How to group a breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Dimension {
    /// Handling unit (undispatched cases: "").
    Unit,
    /// Top-level category.
    Category1,
    /// Second-level category.
    Category2,
    /// Channel.
    Channel,
    /// Building (楼栋).
    Building,
    /// Office (community).
    Office,
    /// Week of receipt (Monday, China time), `YYYY-MM-DD` of the Monday.
    Week,
    /// Month of receipt, `YYYY-MM`.
    Month,
}

/// The week (its Monday) or month a receipt time falls in, China time.
pub fn period_key(d: Dimension, received_at: i64) -> String {
    use chrono::Datelike;
    let date = calendar::local_date(received_at);
    match d {
        Dimension::Month => date.format("%Y-%m").to_string(),
        _ => (date - chrono::Duration::days(i64::from(date.weekday().num_days_from_monday())))
            .format("%Y-%m-%d")
            .to_string(),
    }
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Group {
    /// The group's key (unit code, category code, channel, building, office, week, month).
    pub key: String,
    /// Its figures.
    pub figures: Figures,
}

/// A ranking of groups by the composite score (then 3-day rate, then 办结率), with the groups
/// below the minimum sample listed apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Ranking {
    /// Ranked, best first.
    pub ranked: Vec<Group>,
    /// Too few cases to rank.
    pub apart: Vec<Group>,
}

/// Rank `groups`: best first by composite, then 3-day rate, then resolve rate, then key.
/// Groups that received nothing in the period (present only for a deadline in it) are
/// neither ranked nor listed apart.
pub fn rank(groups: Vec<Group>, min_sample: u32) -> Ranking {
    let (mut ranked, apart): (Vec<Group>, Vec<Group>) = groups
        .into_iter()
        .filter(|g| g.figures.received > 0)
        .partition(|g| g.figures.received >= min_sample.max(1));
    let score = |g: &Group| {
        (
            g.figures.composite.unwrap_or(-1.0),
            g.figures.within3_rate.unwrap_or(-1.0),
            g.figures.resolve_rate.unwrap_or(-1.0),
        )
    };
    ranked.sort_by(|a, b| {
        score(b)
            .partial_cmp(&score(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ranking { ranked, apart }
}
