//! The vocabulary of a case: channels, urgencies, states, actions and the case projection.
//!
//! Identifiers are English (see `shared/notes/domain.md`); the zh-CN words live in the UI's
//! message catalogue, keyed by the snake_case names these enums serialise to.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

/// 来源渠道: how the complaint reached the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Channel {
    /// 来访
    WalkIn,
    /// 电话
    Phone,
    /// 12345 热线工单 (carries the work-order number)
    Hotline12345,
    /// 网上信访 / online message
    Online,
    /// 接访日
    ReceptionDay,
    /// 会议
    Meeting,
    /// 媒体曝光
    Media,
    /// 巡查: found by the office's own patrol
    Patrol,
}

impl Channel {
    /// Every channel, in the order the intake form lists them.
    pub const ALL: [Channel; 8] = [
        Channel::WalkIn,
        Channel::Phone,
        Channel::Hotline12345,
        Channel::Online,
        Channel::ReceptionDay,
        Channel::Meeting,
        Channel::Media,
        Channel::Patrol,
    ];
}

/// What an account may do at its office (see `jiesu_core::access` for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::VariantArray)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Role {
    /// 管理员: accounts, settings, enrolment, and everything a worker and a host do.
    Admin,
    /// 社区工作者: cases, from intake to archive, and reception-day sign-ins.
    Worker,
    /// 议事主持人: meetings and their minutes, and the cases a meeting opens.
    Host,
    /// 查看: reads everything, writes nothing (a leader, an inspector).
    Viewer,
}

/// How fast the case must move; selects the deadline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Urgency {
    /// 紧急: clocks run in calendar hours.
    Urgent,
    /// 一般: the 3-working-day case.
    Normal,
}

/// Where a case stands in its life (工单流程).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum CaseState {
    /// 待派单: registered, not yet sent to a unit.
    Received,
    /// 待签收: sent to a unit that has not acknowledged it.
    Dispatched,
    /// 办理中: the unit works on it.
    Handling,
    /// 已退单: the unit sent it back; the dispatcher must re-dispatch.
    Returned,
    /// 待回访: resolved, waiting for the return visit.
    Resolved,
    /// 已回访
    Visited,
    /// 已归档: closed for good.
    Archived,
    /// 已撤销: withdrawn by the resident; kept, excluded from rates.
    Withdrawn,
    /// 已合并: a duplicate merged into another case; excluded from rates.
    Merged,
}

impl CaseState {
    /// Every state, in workflow order (the list filter offers them so).
    pub const ALL: [CaseState; 9] = [
        CaseState::Received,
        CaseState::Dispatched,
        CaseState::Handling,
        CaseState::Returned,
        CaseState::Resolved,
        CaseState::Visited,
        CaseState::Archived,
        CaseState::Withdrawn,
        CaseState::Merged,
    ];

    /// The snake_case name used in errors and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Dispatched => "dispatched",
            CaseState::Handling => "handling",
            CaseState::Returned => "returned",
            CaseState::Resolved => "resolved",
            CaseState::Visited => "visited",
            CaseState::Archived => "archived",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Merged => "merged",
        }
    }

    /// Parse the snake_case name (hot in figures, which read a state per case: no serde).
    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// States in which the resolve clock still runs (the case counts as open).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseState::Received | CaseState::Dispatched | CaseState::Handling | CaseState::Returned
        )
    }
}

/// What a user can do to a case. The state machine in `jiesu_core::workflow` says when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Action {
    /// 派单
    Dispatch,
    /// 签收
    Accept,
    /// 办理记录 (progress note, resident contacted)
    Note,
    /// 退单
    Return,
    /// 转办
    Transfer,
    /// 转办至其他社区/街道: the case moves to another office, with its whole history.
    TransferOffice,
    /// 申请延期
    RequestExtension,
    /// 审批延期
    DecideExtension,
    /// 督办 / 催办
    Urge,
    /// 办结
    Resolve,
    /// 回访
    Visit,
    /// 重办
    Redo,
    /// 归档
    Archive,
    /// 撤销
    Withdraw,
    /// 关联
    Link,
    /// 合并 (this case is a duplicate of another)
    Merge,
    /// 当场解决: solved while the resident waited; no unit involved.
    ResolveOnSpot,
    /// 出具承诺书
    IssueLetter,
    /// 撤销合并: a case merged by mistake is worked on its own again.
    Unmerge,
}

impl Action {
    /// Every action, in the order the case page offers them.
    pub const ALL: [Action; 19] = [
        Action::Dispatch,
        Action::ResolveOnSpot,
        Action::IssueLetter,
        Action::Accept,
        Action::Note,
        Action::Resolve,
        Action::Visit,
        Action::Archive,
        Action::Return,
        Action::Transfer,
        Action::TransferOffice,
        Action::RequestExtension,
        Action::DecideExtension,
        Action::Urge,
        Action::Redo,
        Action::Withdraw,
        Action::Link,
        Action::Merge,
        Action::Unmerge,
    ];

    /// The snake_case name used in errors and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Dispatch => "dispatch",
            Action::Accept => "accept",
            Action::Note => "note",
            Action::Return => "return",
            Action::Transfer => "transfer",
            Action::TransferOffice => "transfer_office",
            Action::RequestExtension => "request_extension",
            Action::DecideExtension => "decide_extension",
            Action::Urge => "urge",
            Action::Resolve => "resolve",
            Action::Visit => "visit",
            Action::Redo => "redo",
            Action::Archive => "archive",
            Action::Withdraw => "withdraw",
            Action::Link => "link",
            Action::Merge => "merge",
            Action::ResolveOnSpot => "resolve_on_spot",
            Action::IssueLetter => "issue_letter",
            Action::Unmerge => "unmerge",
        }
    }
}

/// 办结结果: how the case was closed by the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Outcome {
    /// 已解决
    Solved,
    /// 已解释说明
    Explained,
    /// 无法解决 (with the reason in the result text)
    Unsolvable,
}

/// 满意度 at the return visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Dissatisfied,
}

/// How two cases relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub enum LinkKind {
    /// 关联: same place or cause; both stay open.
    Related,
    /// 合并: this case duplicates the other and is merged into it.
    Duplicate,
}

/// The resident who brought the case. Residents never use the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Resident {
    /// Name as given (may be a surname only, or empty for anonymous 12345 orders).
    pub name: String,
    /// Phone number, digits only.
    pub phone: String,
}

/// Where the resident lives: building/unit/room in a compound, or free text otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Address {
    /// 楼栋, e.g. "27栋"
    pub building: String,
    /// 单元
    pub unit: String,
    /// 室
    pub room: String,
    /// Free text when there is no building/unit/room.
    pub text: String,
}

impl Address {
    /// One line, the way a secretary writes it.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for part in [&self.building, &self.unit, &self.room] {
            s.push_str(part);
        }
        if !self.text.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&self.text);
        }
        s
    }
}

/// A photo stored beside the database, referenced by content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Attachment {
    /// SHA-256 of the bytes, hex; also the file's name in the attachment folder.
    pub sha256: String,
    /// Original file name.
    pub name: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
}

/// A pending extension request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct PendingExtension {
    /// The deadline asked for (ms since epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub new_due: i64,
    /// Why.
    pub reason: String,
}

/// The return visit's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct VisitResult {
    /// Could the resident be reached? An unreachable visit is not a valid visit for 三率.
    pub reachable: bool,
    /// Resident says the unit contacted them.
    pub contacted: bool,
    /// Resident says the problem is solved.
    pub solved: bool,
    /// Resident's satisfaction; `None` when unreachable.
    pub satisfaction: Option<Satisfaction>,
}

/// A link from this case to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct CaseLink {
    /// The other case.
    pub other: Uuid,
    /// How they relate.
    pub kind: LinkKind,
}

/// 承诺书 as issued: what the office promises the resident, by when, and who answers for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[cfg_attr(feature = "fuzzing", derive(arbitrary::Arbitrary))]
pub struct Commitment {
    /// The problem, in the resident's terms.
    pub problem: String,
    /// What will be done.
    pub promise: String,
    /// By when (ms: the end of the promised China day).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due: i64,
    /// The promised date, `YYYY-MM-DD`, as printed.
    pub due_date: String,
    /// Who answers for it (name and post).
    pub responsible: String,
    /// The issuing office's name, as printed.
    pub office_name: String,
}

/// A commitment letter on a case: what was promised, and when and by whom it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Letter {
    /// The promise.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub commitment: Commitment,
    /// Issued (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub issued_at: i64,
    /// By whom.
    pub issued_by: String,
}

/// How a commitment letter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum LetterStatus {
    /// 履约中: the case is open and the date not yet passed.
    Due,
    /// 已兑现: the case was resolved on or before the promised day.
    Fulfilled,
    /// 已违约: the day passed with the case open, or it was resolved late.
    Broken,
    /// 已作废: the resident withdrew, or the case was merged into another.
    Void,
}

impl Case {
    /// How the case's commitment letter stands at `now_ms`, if it has one.
    ///
    /// Fulfilment is judged by the resolution time, so a letter resolved on time stays
    /// fulfilled whatever happens later, unless a redo reopens the case (the resident was
    /// not satisfied: the promise is open again).
    pub fn letter_status(&self, now_ms: i64) -> Option<LetterStatus> {
        let due = self.letter.as_ref()?.commitment.due;
        Some(LetterStatus::judge(
            self.state,
            self.resolved_at,
            due,
            now_ms,
        ))
    }

    /// When the case is due: its resolve deadline, or its letter's promised time when that
    /// is sooner — the one date the case page, the overdue desk, the lists and the figures'
    /// overdue counts judge by. A new letter cannot promise later than the deadline
    /// (`Reason::AfterDeadline`); one from before that rule can, and its case is then due at
    /// the deadline while the letter is judged by its own date.
    pub fn due_at(&self) -> i64 {
        match &self.letter {
            Some(l) => self.resolve_due.min(l.commitment.due),
            None => self.resolve_due,
        }
    }
}

impl LetterStatus {
    /// A letter promising `due` on a case in `state`, resolved at `resolved_at`, at `now_ms`.
    pub fn judge(state: CaseState, resolved_at: Option<i64>, due: i64, now_ms: i64) -> Self {
        match (state, resolved_at) {
            (CaseState::Withdrawn | CaseState::Merged, _) => LetterStatus::Void,
            (_, Some(t)) if t <= due => LetterStatus::Fulfilled,
            (_, Some(_)) => LetterStatus::Broken,
            (_, None) if now_ms > due => LetterStatus::Broken,
            (_, None) => LetterStatus::Due,
        }
    }
}

/// The current state of one case: the projection of its event stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Case {
    /// Stream id.
    pub id: Uuid,
    /// Human case number, unique per device and day (see `Store::next_case_number`).
    pub number: String,
    /// Office that owns the case.
    pub office: String,
    /// The device that filed it: only it may give the case to the office it enrolled into
    /// ([`crate::authority::assignment`]).
    #[serde(default)]
    pub filed_by: String,
    /// Where it stands.
    pub state: CaseState,
    /// How it came in.
    pub channel: Channel,
    /// 12345 work-order number, when the channel is the hotline.
    pub work_order_no: String,
    /// Category code (leaf or inner node of the tree).
    pub category: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Who brought it.
    pub resident: Resident,
    /// Where they live.
    pub address: Address,
    /// What it is about.
    pub description: String,
    /// Where the problem is (may differ from the resident's address).
    pub location: String,
    /// Optional photo.
    pub attachment: Option<Attachment>,
    /// Handling unit code, once dispatched.
    pub handling_unit: Option<String>,
    /// When it was received (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received_at: i64,
    /// First response due (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub response_due: i64,
    /// Resolution due (ms); moved by approved extensions and redo.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub resolve_due: i64,
    /// First acceptance or contact (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub responded_at: Option<i64>,
    /// When it was resolved (ms); cleared by redo.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub resolved_at: Option<i64>,
    /// How it was resolved.
    pub outcome: Option<Outcome>,
    /// The unit's result text.
    pub result: String,
    /// The last return visit.
    pub visit: Option<VisitResult>,
    /// Every return visit, oldest first (the last is `visit`): which of them the figures
    /// count is a setting ([`crate::event::VisitRule`]). Absent from documents folded
    /// before it was kept; migration 11 folds those cases again.
    #[serde(default)]
    pub visits: Vec<VisitResult>,
    /// When it was archived, withdrawn or merged (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub closed_at: Option<i64>,
    /// An extension waiting for a decision.
    pub pending_extension: Option<PendingExtension>,
    /// Approved extensions.
    pub extension_count: u32,
    /// 督办/催办 received.
    pub urge_count: u32,
    /// 重办 count.
    pub redo_count: u32,
    /// 退单 count.
    pub return_count: u32,
    /// Links to other cases.
    pub links: Vec<CaseLink>,
    /// Events that arrived concurrently and could not apply (shown, never dropped).
    pub conflict_count: u32,
    /// Time of the last applied event (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
    /// The meeting it was opened from (channel meeting or reception day).
    #[serde(default)]
    pub meeting: Option<Uuid>,
    /// Solved on the spot (当场解决), without a unit.
    #[serde(default)]
    pub on_spot: bool,
    /// The commitment letter, once issued.
    #[serde(default)]
    pub letter: Option<Letter>,
    /// The 12345 work order it was imported from (`work_order_imported`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub work_order: Option<crate::event::WorkOrder>,
    /// The state it was merged from, while merged: where 撤销合并 returns it. Absent from
    /// documents folded before it was kept; migration 20 folds merged cases again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub merged_from: Option<CaseState>,
    /// The rectification campaign (专项整改) it is a site of (`case_campaign_joined`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub campaign: Option<Uuid>,
}
