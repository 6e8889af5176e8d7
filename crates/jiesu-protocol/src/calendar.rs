//! The working-day calendar and China time.
//!
//! Deadlines in working days follow China's statutory holiday schedule, **including adjusted
//! working days (调休)**: a Saturday can be a working day and a Wednesday a holiday. The
//! schedule ships as data (`data/holidays.json`, 2025–2027) and each office can correct or
//! extend it; an edit is a `CalendarDaySet` event, so it is traced and synced like any change.
//!
//! All civil dates are in China Standard Time (UTC+8, no daylight saving), whatever the PC's
//! time zone is set to.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use serde::Deserialize;

const DATA: &str = include_str!("../data/holidays.json");

pub use crate::time::{cst, local_date, start_of_day};
use crate::time::{date_of, day_number};

/// Monday to Friday.
fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How many Monday–Friday days have day numbers below `day` (from an arbitrary origin:
/// only differences mean anything). Day 4 (1970-01-05) was a Monday.
fn weekdays_before(day: i64) -> i64 {
    let since_monday = day - 4;
    since_monday.div_euclid(7) * 5 + since_monday.rem_euclid(7).min(5)
}

/// RFC 3339 in China time, for messages.
pub fn format_ms(ms: i64) -> String {
    cst()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

#[derive(Deserialize)]
struct Data {
    years: Vec<Year>,
}
#[derive(Deserialize)]
struct Year {
    year: i32,
    provisional: bool,
    holidays: Vec<Holiday>,
}
#[derive(Deserialize)]
struct Holiday {
    off: [NaiveDate; 2],
    work: Vec<NaiveDate>,
}

/// Which days are working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Exceptions to "Monday–Friday work, weekend off".
    overrides: BTreeMap<NaiveDate, bool>,
    /// Years whose shipped data was not checked against the published notice.
    provisional: Vec<i32>,
}

impl Calendar {
    /// Plain Monday–Friday weeks, no holidays.
    pub fn weekdays_only() -> Calendar {
        Calendar::default()
    }

    /// China's schedule as shipped.
    pub fn china() -> Calendar {
        let data: Data = serde_json::from_str(DATA).expect("shipped holiday data parses");
        let mut cal = Calendar::default();
        for y in data.years {
            if y.provisional {
                cal.provisional.push(y.year);
            }
            for h in y.holidays {
                let mut d = h.off[0];
                while d <= h.off[1] {
                    cal.overrides.insert(d, false);
                    d += Duration::days(1);
                }
                for w in h.work {
                    cal.overrides.insert(w, true);
                }
            }
        }
        cal
    }

    /// Years of the shipped data that still need checking against the official notice.
    pub fn provisional_years(&self) -> &[i32] {
        &self.provisional
    }

    /// Mark `date` as a working day or a day off.
    pub fn set(&mut self, date: NaiveDate, working: bool) {
        self.overrides.insert(date, working);
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.overrides
            .get(&date)
            .copied()
            .unwrap_or_else(|| is_weekday(date))
    }

    /// The `n`th working day strictly after `date`.
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            // The last date chrono can name has no day after it: stop there.
            let Some(next) = d.succ_opt() else { break };
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The deadline `n` working days after an instant: the end (24:00 China time) of the
    /// `n`th working day after the day of `from_ms`. The day of receipt never counts, so a
    /// case received on Monday afternoon and one received on Monday morning share a deadline
    /// (end of Thursday for 3 days); a case received on a holiday starts counting after it.
    pub fn working_days_deadline(&self, from_ms: i64, n: u32) -> i64 {
        let day = self.nth_working_day_after(local_date(from_ms), n);
        start_of_day(day.succ_opt().unwrap_or(day))
    }

    /// Working days from the day of `from_ms` to the day of `to_ms`, not counting the first
    /// day: 0 when both fall on the same day. This is the measure of "办结 within 3 working days".
    ///
    /// Counted, not walked: the figures ask this twice for each resolved case of a period
    /// (~100k a month at a million cases), and a walk costs a map lookup per day a case was
    /// open. Weekdays by arithmetic on day numbers, then the exceptions in between.
    pub fn working_days_between(&self, from_ms: i64, to_ms: i64) -> u32 {
        let (a, b) = (day_number(from_ms), day_number(to_ms));
        if b <= a {
            return 0;
        }
        let mut n = weekdays_before(b + 1) - weekdays_before(a + 1);
        for (date, working) in self.overrides.range(date_of(a + 1)..=date_of(b)) {
            if *working != is_weekday(*date) {
                n += if *working { 1 } else { -1 };
            }
        }
        u32::try_from(n).unwrap_or(0)
    }

    /// Every exception, for the settings page.
    pub fn overrides(&self) -> impl Iterator<Item = (NaiveDate, bool)> + '_ {
        self.overrides.iter().map(|(d, w)| (*d, *w))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_of_impossible_instants_are_the_ends_of_the_calendar_not_a_panic() {
        let cal = Calendar::china();
        for ms in [
            i64::MAX,
            i64::MIN,
            9_000_000_000_000_000,
            -9_000_000_000_000_000,
        ] {
            let d = local_date(ms);
            assert!(d == NaiveDate::MAX || d == NaiveDate::MIN, "{ms}: {d}");
            let _ = start_of_day(d);
            let _ = cal.working_days_deadline(ms, 3);
            let _ = cal.working_days_between(0, ms);
            let _ = cal.working_days_between(ms, i64::MAX);
        }
        // Ordinary instants are unchanged: midnight China time is 16:00 UTC the day before.
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(start_of_day(d), 1_795_363_200_000);
        assert_eq!(local_date(start_of_day(d)), d);
        assert_eq!(local_date(start_of_day(d) - 1), d.pred_opt().unwrap());
    }

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn at(s: &str) -> i64 {
        cst()
            .from_local_datetime(
                &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap(),
            )
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn adjusted_working_saturdays_work_and_holiday_weekdays_do_not() {
        let cal = Calendar::china();
        assert!(
            cal.is_working_day(d("2026-02-14")),
            "调休 Saturday before Spring Festival"
        );
        assert!(
            cal.is_working_day(d("2026-09-20")),
            "调休 Sunday before National Day"
        );
        assert!(
            !cal.is_working_day(d("2026-10-05")),
            "Monday in the National Day week"
        );
        assert!(
            !cal.is_working_day(d("2026-02-21")),
            "plain Saturday inside the holiday"
        );
        assert!(!cal.is_working_day(d("2026-11-28")), "ordinary Saturday");
        assert!(cal.is_working_day(d("2026-11-23")), "ordinary Monday");
    }

    #[test]
    fn three_days_across_the_national_day_week_2026() {
        let cal = Calendar::china();
        // Received Tuesday 29 Sep: working days after it are Wed 30 Sep, then the holiday
        // runs 1–7 Oct, Thursday 8 Oct and Friday 9 Oct work, Saturday 10 Oct is 调休 work.
        let due = cal.working_days_deadline(at("2026-09-29 15:30"), 3);
        assert_eq!(format_ms(due), "2026-10-10 00:00");
        assert_eq!(local_date(due - 1), d("2026-10-09"));
        // A case received on 1 Oct (holiday) starts counting on 8 Oct: due end of 10 Oct.
        let due = cal.working_days_deadline(at("2026-10-01 09:00"), 3);
        assert_eq!(format_ms(due), "2026-10-11 00:00");
    }

    #[test]
    fn an_adjusted_saturday_counts_as_a_working_day() {
        let cal = Calendar::china();
        // Thursday 12 Feb 2026: Fri 13, Sat 14 (调休 work), then Spring Festival 15–23,
        // Tuesday 24 Feb. Without 调休 it would be Wednesday 25 Feb.
        let due = cal.working_days_deadline(at("2026-02-12 10:00"), 3);
        assert_eq!(local_date(due - 1), d("2026-02-24"));
        let plain = Calendar::weekdays_only().working_days_deadline(at("2026-02-12 10:00"), 3);
        assert_eq!(local_date(plain - 1), d("2026-02-17"));
    }

    #[test]
    fn dates_are_china_time_whatever_the_instant() {
        // 2026-01-01 16:30 UTC is already 2 Jan 00:30 in Beijing.
        let ms = chrono::Utc
            .with_ymd_and_hms(2026, 1, 1, 16, 30, 0)
            .unwrap()
            .timestamp_millis();
        assert_eq!(local_date(ms), d("2026-01-02"));
    }

    #[test]
    fn working_days_between_counts_days_after_the_first() {
        let cal = Calendar::china();
        assert_eq!(
            cal.working_days_between(at("2026-11-23 09:00"), at("2026-11-23 18:00")),
            0
        );
        assert_eq!(
            cal.working_days_between(at("2026-11-27 09:00"), at("2026-11-30 09:00")),
            1
        );
        // New Year 2026: Wed 31 Dec 2025 → Mon 5 Jan 2026 passes 1–3 Jan off and Sun 4 Jan (调休).
        assert_eq!(
            cal.working_days_between(at("2025-12-31 09:00"), at("2026-01-05 09:00")),
            2
        );
    }

    /// The counted answer equals walking the days one by one, across holidays, 调休 days,
    /// an office's own exceptions and the edges of the data.
    #[test]
    fn working_days_between_equals_walking_the_days() {
        let walk = |cal: &Calendar, from: i64, to: i64| {
            let (mut d, b) = (local_date(from), local_date(to));
            let mut n = 0;
            while d < b {
                d += Duration::days(1);
                n += u32::from(cal.is_working_day(d));
            }
            n
        };
        let mut cal = Calendar::china();
        cal.set(d("2026-03-07"), true);
        cal.set(d("2026-03-10"), false);
        cal.set(d("2026-03-11"), true);
        let start = at("2024-12-20 00:00");
        let hour = 3_600_000i64;
        // A fixed pseudo-random walk over three years of pairs (no rand dependency here).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = start + (x % (3 * 366 * 24)) as i64 * hour + (x >> 40) as i64 % hour;
            let span = ((x >> 20) % (60 * 24)) as i64 * hour - 2 * 24 * hour;
            let to = from + span;
            assert_eq!(
                cal.working_days_between(from, to),
                walk(&cal, from, to),
                "{} → {}",
                format_ms(from),
                format_ms(to)
            );
        }
        assert_eq!(Calendar::weekdays_only().working_days_between(0, 0), 0);
    }

    #[test]
    fn only_2027_is_provisional() {
        assert_eq!(Calendar::china().provisional_years(), &[2027]);
    }
}
