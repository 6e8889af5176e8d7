//! China Standard Time: the civil date of an instant.
//!
//! Every date the log stores or implies (a deadline's day, a promise's day, a figure's period)
//! is a civil date in China (UTC+8, no daylight saving), whatever the PC's time zone is set to.
//! The working-day calendar built on these dates is the core's (`jiesu_core::calendar`).

use chrono::{Datelike, FixedOffset, NaiveDate};

/// China Standard Time.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The civil date in China of an instant. Total: an instant beyond the dates chrono can
/// name gives its first or last date (instants that come from another PC are checked before
/// they get here, but a fold must not panic on what slipped through).
pub fn local_date(ms: i64) -> NaiveDate {
    date_of(day_number(ms))
}

/// Days since 1970-01-01 of 0001-01-01 (chrono's day 1).
const EPOCH_FROM_CE: i64 = 719_163;

/// Midnight (start) of a civil date in China, as ms since the epoch.
pub fn start_of_day(date: NaiveDate) -> i64 {
    (i64::from(date.num_days_from_ce()) - EPOCH_FROM_CE) * 86_400_000 - 8 * 3_600_000
}

/// Days since 1970-01-01 of an instant's civil date in China.
pub fn day_number(ms: i64) -> i64 {
    ms.saturating_add(8 * 3_600_000).div_euclid(86_400_000)
}

/// The civil date of a day number.
pub fn date_of(day: i64) -> NaiveDate {
    i32::try_from(day + EPOCH_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(if day < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}
