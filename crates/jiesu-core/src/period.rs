//! The stretch a period's figures are compared with (环比: week on week, month on month).
//!
//! A period of whole calendar months (China time) — a month, a quarter, a year — is compared
//! with the same number of months just before it; any other period (a week, a custom range)
//! with the stretch of equal length just before it. A period still running is compared **to
//! the same point** (同期): 本月 on the 10th at 10:00 with last month up to the 10th at 10:00, so
//! a count of ten days is never set against a whole month's (the 31st compares with the last
//! day of a shorter month). The earlier stretch's figures are judged now, like every past
//! period's: a case received then and resolved since counts as resolved.

use chrono::{Datelike, Months, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::calendar::cst;

/// The figures of the stretch a period is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Earlier {
    /// Start (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub from: i64,
    /// End, exclusive (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub to: i64,
    /// Cut at the same point as the running period (同期), not the whole earlier period.
    pub to_date: bool,
    /// Whole calendar months the period spans (1: 月, 3: 季度, 12: 年), or 0 for a span of
    /// days (a week, a custom range).
    pub months: u32,
    /// Its figures, under the same query otherwise.
    pub figures: crate::figures::Figures,
}

/// The earlier stretch of `[from, to)` seen at `now`: `(from, to, to_date, months)`. It never
/// starts before [`crate::validate::EARLIEST_MS`]: nothing can be stored before it, so a
/// stretch reaching further back is counted from there.
pub fn earlier(from: i64, to: i64, now: i64) -> (i64, i64, bool, u32) {
    let months = whole_months(from, to);
    let back = |t: i64| match months {
        0 => t.saturating_sub(to.saturating_sub(from)),
        m => months_before(t, m).unwrap_or(i64::MIN),
    };
    let start = back(from).max(crate::validate::EARLIEST_MS);
    let running = from <= now && now < to;
    let end = if running { back(now).min(from) } else { from };
    (start, end.max(start), running, months)
}

/// How many whole calendar months `[from, to)` is, when both ends are the first of a month at
/// midnight in China; 0 otherwise.
fn whole_months(from: i64, to: i64) -> u32 {
    let (Some(a), Some(b)) = (local(from), local(to)) else {
        return 0;
    };
    let first = |t: NaiveDateTime| t.day() == 1 && t.time() == NaiveTime::MIN;
    if !first(a) || !first(b) {
        return 0;
    }
    let n = (b.year() - a.year()) * 12 + b.month() as i32 - a.month() as i32;
    u32::try_from(n).unwrap_or(0)
}

/// China civil time of an instant, when chrono can name it.
fn local(ms: i64) -> Option<NaiveDateTime> {
    cst()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.naive_local())
}

/// The same China wall time `m` months earlier (the last day of a shorter month when the day
/// does not exist there).
fn months_before(ms: i64, m: u32) -> Option<i64> {
    let t = local(ms)?.checked_sub_months(Months::new(m))?;
    cst()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::parse_instant;

    fn at(s: &str) -> i64 {
        parse_instant(s).unwrap()
    }

    #[test]
    fn a_running_month_compares_with_last_month_to_the_same_point() {
        let (from, to, to_date, months) = earlier(
            at("2026-12-01 00:00"),
            at("2027-01-01 00:00"),
            at("2026-12-10 10:30"),
        );
        assert_eq!(
            (from, to, to_date, months),
            (at("2026-11-01 00:00"), at("2026-11-10 10:30"), true, 1)
        );
    }

    #[test]
    fn a_past_month_compares_with_the_whole_month_before_it() {
        let (from, to, to_date, _) = earlier(
            at("2026-03-01 00:00"),
            at("2026-04-01 00:00"),
            at("2026-12-10 10:30"),
        );
        assert_eq!(
            (from, to, to_date),
            (at("2026-02-01 00:00"), at("2026-03-01 00:00"), false)
        );
    }

    #[test]
    fn the_31st_compares_with_the_last_day_of_a_shorter_month() {
        let (_, to, _, _) = earlier(
            at("2026-03-01 00:00"),
            at("2026-04-01 00:00"),
            at("2026-03-31 09:00"),
        );
        assert_eq!(to, at("2026-02-28 09:00"));
    }

    #[test]
    fn a_quarter_and_a_year_step_back_by_their_months() {
        let q = earlier(
            at("2026-10-01 00:00"),
            at("2027-01-01 00:00"),
            at("2027-02-01 00:00"),
        );
        assert_eq!(
            q,
            (at("2026-07-01 00:00"), at("2026-10-01 00:00"), false, 3)
        );
        let y = earlier(
            at("2026-01-01 00:00"),
            at("2027-01-01 00:00"),
            at("2026-06-15 12:00"),
        );
        assert_eq!(
            y,
            (at("2025-01-01 00:00"), at("2025-06-15 12:00"), true, 12)
        );
    }

    #[test]
    fn a_week_or_a_custom_range_steps_back_by_its_length() {
        // Monday 30 November to Monday 7 December, seen on Wednesday the 2nd at noon.
        let w = earlier(
            at("2026-11-30 00:00"),
            at("2026-12-07 00:00"),
            at("2026-12-02 12:00"),
        );
        assert_eq!(w, (at("2026-11-23 00:00"), at("2026-11-25 12:00"), true, 0));
        let custom = earlier(
            at("2026-11-03 00:00"),
            at("2026-11-13 00:00"),
            at("2026-12-02 12:00"),
        );
        assert_eq!(
            custom,
            (at("2026-10-24 00:00"), at("2026-11-03 00:00"), false, 0)
        );
    }

    #[test]
    fn any_instants_give_an_ordered_stretch_without_panicking() {
        for (from, to, now) in [
            (i64::MIN, i64::MAX, 0),
            (i64::MAX - 1, i64::MAX, i64::MAX),
            (i64::MIN, i64::MIN + 1, i64::MIN),
            (5, 3, 4),
            (at("2026-12-01 00:00"), i64::MAX, at("2026-12-01 00:00")),
        ] {
            let (a, b, _, _) = earlier(from, to, now);
            assert!(a <= b, "{from} {to} {now}: {a} > {b}");
        }
    }
}
