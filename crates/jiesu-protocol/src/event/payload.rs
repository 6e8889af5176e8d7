//! The payloads' own types: what the log stores for the steps that carry more than a few
//! fields, and the kinds they name. The forms and views the window uses
//! (`jiesu_core::NewCase`, `jiesu_core::MeetingInfo`, `jiesu_core::figures::FigureSettings`) convert to
//! and from them where they are defined, so a change to a form never changes a stored byte; a
//! change here is a new version (see the golden fixtures, `tests/it/fixtures.rs`). Nothing
//! here depends on the forms, the folds or the figures: the log's format stands on its own.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

/// Steps of one stream stamped again because the clock that wrote them was ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct TimesCorrected {
    /// How many of the stream's events were stamped again.
    pub events: u32,
    /// How far they moved (ms; negative: back, which is the only way a clock that was ahead
    /// is corrected).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub shifted_ms: i64,
    /// The earliest time the wrong clock had given them (ms), for the trace.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first_ms: i64,
}

/// The intake form as submitted, plus what intake decided: the number and the deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Received {
    /// Human case number.
    pub number: String,
    /// What the form captured.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub intake: Intake,
    /// First response due (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub response_due: i64,
    /// Resolution due (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub resolve_due: i64,
}

/// What the intake form captured, as `case_received` stores it: the log's own type, so a field
/// added to the form ([`NewCase`]) changes no stored payload until it is written here, as a new
/// version (the golden fixtures fail otherwise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Intake {
    /// How it came in.
    pub channel: crate::model::Channel,
    /// 12345 work-order number; required for the hotline channel.
    #[serde(default)]
    pub work_order_no: String,
    /// Category code.
    pub category: String,
    /// Urgency.
    pub urgency: crate::model::Urgency,
    /// Who.
    pub resident: crate::model::Resident,
    /// Where they live.
    #[serde(default)]
    pub address: crate::model::Address,
    /// What.
    pub description: String,
    /// Where the problem is.
    #[serde(default)]
    pub location: String,
    /// The photo, saved beside the store.
    #[serde(default)]
    pub attachment: Option<crate::model::Attachment>,
    /// The meeting the case comes from; absent from events written before meetings existed,
    /// so their bytes never change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub meeting: Option<Uuid>,
}

/// A 12345 work order's own data, as `work_order_imported` stores it beside the
/// `case_received` the import made of it: what the city's export said that the intake form
/// has no field for. The import writes it once, right after the intake, from the same PC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct WorkOrder {
    /// The export it came from: the name its column mapping is remembered under.
    pub source: String,
    /// 工单类型 as the export wrote it (咨询, 求助, 投诉, 建议, …).
    pub order_type: String,
    /// The city's category as the export wrote it, levels joined by `->`.
    pub city_category: String,
    /// When the platform received or dispatched it (ms, the city's clock), when the export
    /// says: the deadline counted from it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub dispatched_at: Option<i64>,
    /// 承诺完成时间 (ms), when the export has one: the case's deadline.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub promised_due: Option<i64>,
    /// 承办单位 as the city names it.
    pub handling_unit: String,
    /// The row's columns Jiesu has no field for, in the file's order.
    pub columns: Vec<WorkOrderColumn>,
}

/// One column of a work order's row kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct WorkOrderColumn {
    /// The column's header.
    pub header: String,
    /// The cell.
    pub value: String,
}

/// A rectification campaign (专项整改) as `campaign_opened` stores it: what was exposed, the
/// standard every site must meet, by when, and the offices below the opener that get an item
/// to check and fix (一地曝光、全域整改). It travels on the `config` stream, which the server
/// shares along the opener's line, so every office under it sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct CampaignCharter {
    /// Stable id: what `case_campaign_joined` names.
    pub campaign: Uuid,
    /// E.g. 消防通道占用专项整改.
    pub title: String,
    /// The problem as exposed (问题).
    pub problem: String,
    /// What a site must meet to count as rectified (整改标准).
    pub standard: String,
    /// Category code of the problem.
    pub category: String,
    /// The last day (`YYYY-MM-DD`, China); items are due at its end.
    pub due_date: String,
    /// The exposed case it started from, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub source: Option<Uuid>,
    /// Offices below the opener given an item, in the order chosen.
    pub offices: Vec<String>,
}

/// A change to a rectification campaign (`campaign_amended`), written by the office that
/// opened it: what it changes and why. Every field left out stays as it was; offices named
/// are added (each gets an item, as at the opening); `closed` ends the campaign (结束整改: no
/// more sites join it) or starts it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct CampaignAmendment {
    /// The campaign (`campaign_opened`'s id).
    pub campaign: Uuid,
    /// A new title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub title: Option<String>,
    /// The problem told again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub problem: Option<String>,
    /// A new standard to meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub standard: Option<String>,
    /// A new last day (`YYYY-MM-DD`): extended (延期), or corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub due_date: Option<String>,
    /// Offices below the opener added to the campaign, each given an item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offices: Vec<String>,
    /// `true` closes the campaign, `false` opens a closed one again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub closed: Option<bool>,
    /// Why: the reason for a change, or the closing summary (整改总结).
    pub note: String,
}

impl CampaignAmendment {
    /// Whether it changes anything at all (a reason alone changes nothing).
    pub fn changes_something(&self) -> bool {
        self.title.is_some()
            || self.problem.is_some()
            || self.standard.is_some()
            || self.due_date.is_some()
            || !self.offices.is_empty()
            || self.closed.is_some()
    }
}

/// A meeting's header as `meeting_scheduled` and `meeting_rescheduled` store it; the form and
/// the projection use [`MeetingInfo`], which converts both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct MeetingHeader {
    /// Kind.
    pub kind: MeetingKind,
    /// Title, e.g. 关于小区停车难的居民议事会.
    pub title: String,
    /// Start (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub starts_at: i64,
    /// End (ms), when known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ends_at: Option<i64>,
    /// Place.
    pub place: String,
    /// 主持人: the one who approves the minutes.
    pub facilitator: String,
    /// 记录人
    pub recorder: String,
}

/// The figures' settings as `figure_settings_set` stored them before the visit rule: read
/// (upcast to [`FigureRulesV2`], counting each case's last visit, as the figures then did),
/// never written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct FigureRules {
    /// Composite weight of 响应率.
    #[serde(serialize_with = "finite")]
    pub weight_response: f64,
    /// Composite weight of 解决率.
    #[serde(serialize_with = "finite")]
    pub weight_solution: f64,
    /// Composite weight of 满意率.
    #[serde(serialize_with = "finite")]
    pub weight_satisfaction: f64,
    /// How much a 基本满意 counts towards 满意率.
    #[serde(serialize_with = "finite")]
    pub basic_factor: f64,
    /// Units with fewer cases than this are listed apart, not ranked.
    pub min_sample: u32,
}

/// The figures' settings as `figure_settings_set_v2` stores them; the settings page and the
/// figures use [`FigureSettings`], which converts both ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct FigureRulesV2 {
    /// Composite weight of 响应率.
    #[serde(serialize_with = "finite")]
    pub weight_response: f64,
    /// Composite weight of 解决率.
    #[serde(serialize_with = "finite")]
    pub weight_solution: f64,
    /// Composite weight of 满意率.
    #[serde(serialize_with = "finite")]
    pub weight_satisfaction: f64,
    /// How much a 基本满意 counts towards 满意率.
    #[serde(serialize_with = "finite")]
    pub basic_factor: f64,
    /// Units with fewer cases than this are listed apart, not ranked.
    pub min_sample: u32,
    /// Which return visits the 三率 count.
    pub visit_rule: VisitRule,
}

impl From<FigureRules> for FigureRulesV2 {
    fn from(v1: FigureRules) -> FigureRulesV2 {
        let FigureRules {
            weight_response,
            weight_solution,
            weight_satisfaction,
            basic_factor,
            min_sample,
        } = v1;
        FigureRulesV2 {
            weight_response,
            weight_solution,
            weight_satisfaction,
            basic_factor,
            min_sample,
            visit_rule: VisitRule::Last,
        }
    }
}

/// The kinds of meeting a community office runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum MeetingKind {
    /// 居民议事会 / 议事协商
    Council,
    /// 接访日 / 大接访: each visitor's problem becomes a case.
    ReceptionDay,
    /// 恳谈会
    Dialogue,
    /// 评议会
    Evaluation,
}

impl MeetingKind {
    /// Every kind, in the order the form lists them.
    pub const ALL: [MeetingKind; 4] = [
        MeetingKind::Council,
        MeetingKind::ReceptionDay,
        MeetingKind::Dialogue,
        MeetingKind::Evaluation,
    ];
}

/// Who an attendee is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum AttendeeRole {
    /// 居民 (at a reception day: a visitor)
    Resident,
    /// 干部 / 工作人员
    Official,
    /// 职能单位 (物业, 城建办 …)
    Unit,
    /// 企业 / 商户
    Business,
}

/// A decision (goes to the 问题清单) or an action item (整改清单: owner and deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum ItemKind {
    /// 决议
    Decision,
    /// 整改事项 / 任务
    Action,
}

/// Which return visits 有效回访 and the 三率 count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
pub enum VisitRule {
    /// Each case's last visit, counted in cases (件): redone and then satisfied is satisfied.
    #[default]
    Last,
    /// Each case's first visit, counted in cases (件): the first answer stands.
    First,
    /// Every visit, counted in visits (次): each answer a resident gave counts.
    Every,
}

/// A weight as JSON: JSON has no NaN or infinity, and serde_json would write `null`, which no
/// replica could read back; such a value is an error, not a stored event.
pub fn finite<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        Err(serde::ser::Error::custom(
            "a weight must be a finite number",
        ))
    }
}
