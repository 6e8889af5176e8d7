//! What a resident may see of their case: the one rule the server's lookup page (and anything
//! else that faces the public) applies to a case's log.
//!
//! The rule is a whitelist by event kind, written as one exhaustive `match` so that a kind
//! added later fails to compile until someone decides whether residents see it. What it lets
//! through is the *public* part of a step only: when, which unit by its name, the reply, the
//! visit's verdict, the promise and its date. Never the resident's name, phone, address or the
//! description they gave (the resident knows them; anyone else holding the number must not
//! learn them), never who on the staff took a step, never an internal note, a reason for a
//! return, an urge, a link to another case, or a photo.
//!
//! The lookup code is the resident's key: eight digits (read out on the phone, printed on the
//! receipt), of which the log only ever holds [`lookup_hash`], salted with the case's id so one
//! table of hashes cannot be matched against every case at once.

use serde::Serialize;
use uuid::Uuid;

use crate::event::{Event, EventBody};
use crate::model::{Channel, LinkKind, Outcome, Satisfaction};

/// Digits in a lookup code.
pub const CODE_DIGITS: usize = 8;

/// Digits of the phone's tail a resident may look up with instead of the code.
pub const PHONE_TAIL_DIGITS: usize = 4;

/// A new lookup code from random bits (the caller's CSPRNG): eight digits, leading zeros kept.
pub fn new_code(random: u64) -> String {
    format!("{:08}", random % 100_000_000)
}

/// A code as typed: spaces and dashes ignored (the receipt prints `1234 5678`); `None` unless
/// eight ASCII digits remain.
pub fn normalise_code(typed: &str) -> Option<String> {
    digits_exactly(typed, CODE_DIGITS)
}

/// A phone tail as typed: `None` unless four ASCII digits remain.
pub fn normalise_tail(typed: &str) -> Option<String> {
    digits_exactly(typed, PHONE_TAIL_DIGITS)
}

fn digits_exactly(typed: &str, n: usize) -> Option<String> {
    let kept: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    (kept.len() == n && kept.bytes().all(|b| b.is_ascii_digit())).then_some(kept)
}

/// The hash a `case_lookup_code_set` event carries for `code` on `case`.
pub fn lookup_hash(case: Uuid, code: &str) -> String {
    crate::seal::hex_sha256(format!("jiesu-lookup-v1\0{case}\0{code}").as_bytes())
}

/// The hash the server keeps of the last digits of the phone given at intake, so the digits
/// themselves are not in the lookup table.
pub fn phone_tail_hash(case: Uuid, tail: &str) -> String {
    crate::seal::hex_sha256(format!("jiesu-phone-tail-v1\0{case}\0{tail}").as_bytes())
}

/// The tail of a phone number as the intake stored it (digits only), if it has one.
pub fn phone_tail(phone: &str) -> Option<&str> {
    let n = phone.len();
    (n >= PHONE_TAIL_DIGITS && phone.bytes().all(|b| b.is_ascii_digit()))
        .then(|| &phone[n - PHONE_TAIL_DIGITS..])
}

/// A case as a resident sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicCase {
    /// The case number.
    pub number: String,
    /// The category code (the page shows its name).
    pub category: String,
    /// How it came in.
    pub channel: Channel,
    /// Received (ms).
    pub received_at: i64,
    /// First response due (ms).
    pub response_due: i64,
    /// Resolution due (ms), as an approved extension or a redo left it.
    pub resolve_due: i64,
    /// First response (accepted, resident contacted, solved on the spot), if any.
    pub responded_at: Option<i64>,
    /// Resolved (ms), if it is (cleared again by a redo).
    pub resolved_at: Option<i64>,
    /// Where it stands.
    pub stage: Stage,
    /// The promise made in a commitment letter, if one was issued.
    pub letter: Option<PublicLetter>,
    /// The public steps, oldest first.
    pub steps: Vec<PublicStep>,
}

/// Where a case stands, as the resident is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 已受理
    Received,
    /// 办理中 (dispatched, accepted, or back for redoing)
    Handling,
    /// 已办结
    Resolved,
    /// 已回访
    Visited,
    /// 已归档
    Closed,
    /// 已撤销
    Withdrawn,
    /// 已合并办理
    Merged,
}

/// A commitment letter, without who signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicLetter {
    /// What will be done.
    pub promise: String,
    /// The promised date, `YYYY-MM-DD`.
    pub due_date: String,
    /// The end of that day (ms).
    pub due: i64,
}

/// One public step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicStep {
    /// When (ms).
    pub at: i64,
    /// What.
    #[serde(flatten)]
    pub what: Step,
}

/// What a public step says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// 受理
    Received,
    /// 派单 to a unit (its name).
    Dispatched {
        /// The unit's name.
        unit: String,
    },
    /// 签收
    Accepted,
    /// 办理进展, written for the resident.
    Progress {
        /// The note.
        text: String,
    },
    /// 转办 to another unit.
    Transferred {
        /// The unit's name.
        unit: String,
    },
    /// 转至其他社区/街道办理
    TransferredToOffice {
        /// The office's name.
        office: String,
    },
    /// 延期 approved: the new date the case is due.
    Extended {
        /// The new resolution deadline (ms).
        resolve_due: i64,
    },
    /// 办结, with the reply.
    Resolved {
        /// How.
        outcome: Outcome,
        /// The reply.
        reply: String,
    },
    /// 当场解决
    SolvedOnSpot {
        /// What was done.
        reply: String,
    },
    /// 回访: the resident's verdict (not the visitor's note).
    Visited {
        /// Reached at all.
        reachable: bool,
        /// Says it is solved.
        solved: bool,
        /// Satisfaction, when reached.
        satisfaction: Option<Satisfaction>,
    },
    /// 重办
    Redone {
        /// The new resolution deadline (ms).
        resolve_due: i64,
    },
    /// 承诺书
    LetterIssued {
        /// The promise.
        promise: String,
        /// By when, `YYYY-MM-DD`.
        due_date: String,
    },
    /// 归档
    Archived,
    /// 撤销
    Withdrawn,
    /// 合并至另一件诉求办理
    Merged,
}

impl PublicCase {
    /// The public view of a case's events (any order; folded in the log's order). `unit_name`
    /// names a handling unit by its code (a unit not known by name is shown as "承办单位").
    /// `None` when the events hold no intake.
    pub fn fold(events: &[Event], unit_name: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by_key(|e| e.order_key());
        let mut case: Option<PublicCase> = None;
        let mut before_merge: Option<Stage> = None;
        // An extension is approved by a decision on the request before it.
        let mut asked: Option<i64> = None;
        for ev in sorted {
            let at = ev.hlc.wall_ms;
            if let EventBody::CaseReceived(r) = &ev.body {
                if case.is_none() {
                    case = Some(PublicCase {
                        number: r.number.clone(),
                        category: r.intake.category.clone(),
                        channel: r.intake.channel,
                        received_at: at,
                        response_due: r.response_due,
                        resolve_due: r.resolve_due,
                        responded_at: None,
                        resolved_at: None,
                        stage: Stage::Received,
                        letter: None,
                        steps: vec![PublicStep {
                            at,
                            what: Step::Received,
                        }],
                    });
                }
                continue;
            }
            let Some(c) = case.as_mut() else { continue };
            let unit = |code: &str| unit_name(code).unwrap_or_else(|| "承办单位".to_owned());
            let step = match &ev.body {
                EventBody::CaseDispatched { unit: u, .. } => {
                    c.stage = Stage::Handling;
                    Some(Step::Dispatched { unit: unit(u) })
                }
                EventBody::CaseAccepted { .. } => {
                    c.stage = Stage::Handling;
                    c.responded_at.get_or_insert(at);
                    Some(Step::Accepted)
                }
                EventBody::CaseNotedPublic {
                    text,
                    contacted_resident,
                } => {
                    if *contacted_resident {
                        c.responded_at.get_or_insert(at);
                    }
                    Some(Step::Progress { text: text.clone() })
                }
                EventBody::CaseNoted {
                    contacted_resident, ..
                } => {
                    // The note stays internal; that the resident was contacted is a fact
                    // about the deadline they are shown.
                    if *contacted_resident {
                        c.responded_at.get_or_insert(at);
                    }
                    None
                }
                EventBody::CaseTransferred { unit: u, .. } => {
                    c.stage = Stage::Handling;
                    Some(Step::Transferred { unit: unit(u) })
                }
                EventBody::CaseTransferredToOffice { office_name, .. } => {
                    c.stage = Stage::Received;
                    Some(Step::TransferredToOffice {
                        office: office_name.clone(),
                    })
                }
                EventBody::ExtensionRequested { new_due, .. } => {
                    asked = Some(*new_due);
                    None
                }
                EventBody::ExtensionDecided { approved, .. } => match asked.take() {
                    Some(due) if *approved => {
                        c.resolve_due = due;
                        Some(Step::Extended { resolve_due: due })
                    }
                    _ => None,
                },
                EventBody::CaseResolved { outcome, result } => {
                    c.stage = Stage::Resolved;
                    c.resolved_at = Some(at);
                    Some(Step::Resolved {
                        outcome: *outcome,
                        reply: result.clone(),
                    })
                }
                EventBody::CaseSolvedOnSpot { result } => {
                    c.stage = Stage::Resolved;
                    c.responded_at.get_or_insert(at);
                    c.resolved_at = Some(at);
                    Some(Step::SolvedOnSpot {
                        reply: result.clone(),
                    })
                }
                EventBody::CaseVisited {
                    reachable,
                    solved,
                    satisfaction,
                    ..
                } => {
                    c.stage = Stage::Visited;
                    Some(Step::Visited {
                        reachable: *reachable,
                        solved: *reachable && *solved,
                        satisfaction: if *reachable { *satisfaction } else { None },
                    })
                }
                EventBody::CaseRedone { resolve_due, .. } => {
                    c.stage = Stage::Handling;
                    c.resolve_due = *resolve_due;
                    c.resolved_at = None;
                    Some(Step::Redone {
                        resolve_due: *resolve_due,
                    })
                }
                EventBody::CommitmentIssued(letter) => {
                    c.letter = Some(PublicLetter {
                        promise: letter.promise.clone(),
                        due_date: letter.due_date.clone(),
                        due: letter.due,
                    });
                    Some(Step::LetterIssued {
                        promise: letter.promise.clone(),
                        due_date: letter.due_date.clone(),
                    })
                }
                EventBody::CaseArchived { .. } => {
                    c.stage = Stage::Closed;
                    Some(Step::Archived)
                }
                EventBody::CaseWithdrawn { .. } => {
                    c.stage = Stage::Withdrawn;
                    Some(Step::Withdrawn)
                }
                EventBody::CaseLinked {
                    link: LinkKind::Duplicate,
                    ..
                } => {
                    if c.stage != Stage::Merged {
                        before_merge = Some(c.stage);
                    }
                    c.stage = Stage::Merged;
                    Some(Step::Merged)
                }
                // A merge undone: worked on its own again, where it stood (the trace shows
                // the merge step it undoes; the reason is the office's).
                EventBody::CaseUnmerged { .. } => {
                    if c.stage == Stage::Merged {
                        c.stage = before_merge.take().unwrap_or(Stage::Received);
                    }
                    None
                }
                // Internal: the back-and-forth between units, chasing, links, who owns the
                // record, corrected times, the city's own work-order data (with the caller's
                // details), the campaign a site belongs to, the lookup code itself.
                EventBody::CaseReturned { .. }
                | EventBody::CaseUrged { .. }
                | EventBody::CaseLinked { .. }
                | EventBody::CaseOfficeAssigned { .. }
                | EventBody::CaseTimesCorrected(_)
                | EventBody::WorkOrderImported(_)
                | EventBody::CaseCampaignJoined { .. }
                | EventBody::CaseLookupCodeSet { .. } => None,
                // Not a case's kinds: never on a case stream that folds, never shown.
                EventBody::CaseReceived(_)
                | EventBody::MeetingScheduled(_)
                | EventBody::MeetingRescheduled(_)
                | EventBody::AttendeeAdded { .. }
                | EventBody::AttendeeSignedIn { .. }
                | EventBody::AttendeeRemoved { .. }
                | EventBody::AgendaItemAdded { .. }
                | EventBody::MinutesRecorded { .. }
                | EventBody::MeetingItemAdded { .. }
                | EventBody::MinutesApproved { .. }
                | EventBody::MinutesAmended { .. }
                | EventBody::MeetingCaseOpened { .. }
                | EventBody::MeetingCaseLinked { .. }
                | EventBody::MeetingOfficeAssigned { .. }
                | EventBody::MeetingTimesCorrected(_)
                | EventBody::UnitAdded { .. }
                | EventBody::FigureSettingsSet(_)
                | EventBody::FigureSettingsSetV2(_)
                | EventBody::AccountAdded { .. }
                | EventBody::AccountRoleSet { .. }
                | EventBody::AccountRemoved { .. }
                | EventBody::PasswordSet { .. }
                | EventBody::SignedIn {}
                | EventBody::SignedOut { .. }
                | EventBody::CampaignOpened(_)
                | EventBody::CampaignAmended(_)
                | EventBody::CalendarDaySet { .. } => None,
            };
            if let Some(what) = step {
                c.steps.push(PublicStep { at, what });
            }
        }
        case
    }

    /// The first response came in time (`None` while none came and time is left).
    pub fn responded_in_time(&self, now: i64) -> Option<bool> {
        match self.responded_at {
            Some(at) => Some(at <= self.response_due),
            None if now > self.response_due => Some(false),
            None => None,
        }
    }

    /// The case was resolved by its deadline (`None` while open and time is left).
    pub fn resolved_in_time(&self, now: i64) -> Option<bool> {
        match self.resolved_at {
            Some(at) => Some(at <= self.resolve_due),
            None if self.stage == Stage::Handling || self.stage == Stage::Received => {
                (now > self.resolve_due).then_some(false)
            }
            None => None,
        }
    }

    /// The commitment letter was kept: resolved on or before its date (`None` while open and
    /// the date is not passed, or without a letter).
    pub fn letter_kept(&self, now: i64) -> Option<bool> {
        let letter = self.letter.as_ref()?;
        match self.resolved_at {
            Some(at) => Some(at <= letter.due),
            None if now > letter.due => Some(false),
            None => None,
        }
    }
}

#[cfg(test)]
#[path = "public_tests.rs"]
mod tests;
