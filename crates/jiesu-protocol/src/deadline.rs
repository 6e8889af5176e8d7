//! Deadline policy: how long a unit has to respond and to resolve.
//!
//! Limits are per urgency, with optional overrides per category (a category code prefix).
//! Urgent limits run in calendar hours (a burst pipe does not wait for Monday); ordinary ones in
//! working days on the [`Calendar`]. The defaults follow `shared/notes/domain.md`: respond the
//! same day (事不过夜, 24 h), resolve in 3 working days; urgent: respond in 2 h, resolve in 24 h.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::calendar::Calendar;
use crate::model::Urgency;

/// One time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(tag = "unit", content = "n", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Limit {
    /// Calendar hours.
    Hours(u32),
    /// Working days (see [`Calendar::working_days_deadline`]).
    WorkingDays(u32),
}

impl Limit {
    /// The deadline this limit gives for something that started at `from_ms`.
    pub fn due(self, cal: &Calendar, from_ms: i64) -> i64 {
        match self {
            Limit::Hours(h) => from_ms.saturating_add(i64::from(h) * 3_600_000),
            Limit::WorkingDays(n) => cal.working_days_deadline(from_ms, n),
        }
    }
}

/// Response and resolution limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Limits {
    /// First response (accept or contact).
    pub response: Limit,
    /// Resolution (办结).
    pub resolve: Limit,
}

/// An office's deadline policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct DeadlinePolicy {
    /// For urgent cases.
    pub urgent: Limits,
    /// For ordinary cases.
    pub normal: Limits,
    /// `(category prefix, urgency, limits)`: the longest matching prefix wins.
    pub by_category: Vec<(String, Urgency, Limits)>,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            urgent: Limits {
                response: Limit::Hours(2),
                resolve: Limit::Hours(24),
            },
            normal: Limits {
                response: Limit::Hours(24),
                resolve: Limit::WorkingDays(3),
            },
            by_category: Vec::new(),
        }
    }
}

impl DeadlinePolicy {
    /// The limits for a case of `category` and `urgency`.
    pub fn limits(&self, category: &str, urgency: Urgency) -> Limits {
        self.by_category
            .iter()
            .filter(|(prefix, u, _)| {
                *u == urgency
                    && (category == prefix
                        || category.starts_with(prefix.as_str())
                            && category[prefix.len()..].starts_with('.'))
            })
            .max_by_key(|(prefix, _, _)| prefix.len())
            .map(|(_, _, l)| *l)
            .unwrap_or(match urgency {
                Urgency::Urgent => self.urgent,
                Urgency::Normal => self.normal,
            })
    }
}

/// 12345 practice for an ordinary work order with no deadline of its own, by its 工单类型:
/// enquiries and requests for help in 3 working days, complaints, suggestions and reports in
/// 13 (`shared/notes/research.md`). Matched by the type's name containing the word.
const WORK_ORDER_DAYS: &[(&str, u32)] = &[
    ("咨询", 3),
    ("求助", 3),
    ("投诉", 13),
    ("建议", 13),
    ("举报", 13),
];

impl DeadlinePolicy {
    /// The limits for an imported work order of `order_type` with no deadline of its own: an
    /// urgent one, or one whose type names no rule, as any case of its category; an ordinary
    /// one by its type's working days, answered as the office answers every case.
    pub fn for_work_order(&self, order_type: &str, category: &str, urgency: Urgency) -> Limits {
        let base = self.limits(category, urgency);
        if urgency == Urgency::Urgent {
            return base;
        }
        match WORK_ORDER_DAYS.iter().find(|(w, _)| order_type.contains(w)) {
            Some((_, days)) => Limits {
                response: base.response,
                resolve: Limit::WorkingDays(*days),
            },
            None => base,
        }
    }
}

/// How a deadline stands at a moment, for list colouring and the overdue desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum DueStatus {
    /// Past the deadline and still open.
    Overdue,
    /// Due within 24 hours.
    DueSoon,
    /// More than 24 hours left.
    OnTrack,
    /// No longer running (resolved, closed).
    Stopped,
}

/// Hours before a deadline at which a case counts as due soon.
pub const DUE_SOON_MS: i64 = 24 * 3_600_000;

/// The status of a running deadline.
pub fn due_status(open: bool, due_ms: i64, now_ms: i64) -> DueStatus {
    if !open {
        DueStatus::Stopped
    } else if now_ms >= due_ms {
        DueStatus::Overdue
    } else if due_ms - now_ms <= DUE_SOON_MS {
        DueStatus::DueSoon
    } else {
        DueStatus::OnTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_category_prefix_wins_and_only_on_dot_boundaries() {
        let long = Limits {
            response: Limit::Hours(24),
            resolve: Limit::WorkingDays(13),
        };
        let longer = Limits {
            response: Limit::Hours(48),
            resolve: Limit::WorkingDays(20),
        };
        let p = DeadlinePolicy {
            by_category: vec![
                ("school".into(), Urgency::Normal, long),
                ("school.places".into(), Urgency::Normal, longer),
            ],
            ..DeadlinePolicy::default()
        };
        assert_eq!(p.limits("school.traffic", Urgency::Normal), long);
        assert_eq!(p.limits("school.places.transfer", Urgency::Normal), longer);
        assert_eq!(p.limits("schoolbus", Urgency::Normal), p.normal);
        assert_eq!(p.limits("school.places", Urgency::Urgent), p.urgent);
    }

    #[test]
    fn urgent_hours_ignore_weekends() {
        let cal = Calendar::china();
        assert_eq!(Limit::Hours(24).due(&cal, 1_000), 1_000 + 86_400_000);
    }

    #[test]
    fn due_status_boundaries() {
        assert_eq!(due_status(true, 100, 100), DueStatus::Overdue);
        assert_eq!(due_status(true, DUE_SOON_MS + 1, 1), DueStatus::DueSoon);
        assert_eq!(due_status(true, DUE_SOON_MS + 2, 1), DueStatus::OnTrack);
        assert_eq!(due_status(false, 0, 100), DueStatus::Stopped);
    }
}
