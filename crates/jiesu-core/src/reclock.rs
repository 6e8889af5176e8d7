//! 以服务器收到时间为准: the times of work done before a device enrolled, as the fold counts them.
//!
//! A device that has never reached a server has only the PC's own clock, and office PCs'
//! clocks are often years wrong. What it files before it enrolls (its events carry office
//! [`crate::wire::UNENROLLED_OFFICE`]) reaches everyone else only when it first syncs, and the
//! server's receipt of the intake is the first time anyone but that PC can vouch for. So, one
//! rule for every replica, the writer's included: **a case filed before its device enrolled
//! counts from the server's receipt of its intake**, once that receipt is known. Every event
//! of the case written before enrolment moves by the same amount (the intake lands on its
//! receipt; the steps after it keep their spacing); the dates it carries — deadlines, a
//! letter's promised day, an extension — move by the same whole number of China days, so each
//! keeps its length and an end-of-day stays an end-of-day. Steps taken after enrolment were
//! stamped by the clock the server corrected, and count as stamped.
//!
//! The log keeps what was written (it is the trace, and the case number keeps the date the
//! PC gave it); only the fold sees the moved times, so every replica that holds the intake's
//! receipt folds the same projection.

use crate::event::{Event, EventBody};

const DAY_MS: i64 = 86_400_000;

/// Move a `YYYY-MM-DD` day by `days` (left as it is when it is no date).
fn later_day(date: &mut String, days: i64) {
    if let Ok(d) = crate::validate::calendar_date(date)
        && let Some(moved) = d.checked_add_signed(chrono::Duration::days(days))
    {
        *date = moved.format("%Y-%m-%d").to_string();
    }
}

/// The event as a clock `ms` later would have written it: its stamp moves by `ms`; the
/// dates in its payload by as many whole China days as the stamp's date moved.
pub fn shifted(event: &Event, ms: i64) -> Event {
    let mut ev = event.clone();
    let from = crate::calendar::local_date(ev.hlc.wall_ms);
    ev.hlc.wall_ms = ev.hlc.wall_ms.saturating_add(ms);
    let days = (crate::calendar::local_date(ev.hlc.wall_ms) - from).num_days();
    let later = |t: &mut i64| *t = t.saturating_add(days.saturating_mul(DAY_MS));
    use EventBody as B;
    match &mut ev.body {
        B::CaseReceived(r) => {
            later(&mut r.response_due);
            later(&mut r.resolve_due);
        }
        B::ExtensionRequested { new_due, .. } => later(new_due),
        B::CaseRedone { resolve_due, .. } => later(resolve_due),
        B::CommitmentIssued(c) => {
            // The promised day and its last millisecond move together (the letter's rule).
            if let Ok(d) = crate::validate::calendar_date(&c.due_date)
                && let Some(moved) = d.checked_add_signed(chrono::Duration::days(days))
                && let Some(next) = moved.succ_opt()
            {
                c.due_date = moved.format("%Y-%m-%d").to_string();
                c.due = crate::calendar::start_of_day(next) - 1;
            }
        }
        // A last day typed against the wrong clock moves with it, as a letter's day.
        B::CampaignOpened(c) => later_day(&mut c.due_date, days),
        B::CampaignAmended(a) => {
            if let Some(d) = a.due_date.as_mut() {
                later_day(d, days);
            }
        }
        B::MeetingScheduled(h) | B::MeetingRescheduled(h) => {
            later(&mut h.starts_at);
            if let Some(end) = h.ends_at.as_mut() {
                later(end);
            }
        }
        B::MeetingItemAdded { deadline, .. } => {
            if let Some(d) = deadline.as_mut() {
                later(d);
            }
        }
        // Listed one by one so that a kind added later must say whether it carries a time.
        B::CaseDispatched { .. }
        | B::CaseAccepted { .. }
        | B::CaseNoted { .. }
        | B::CaseNotedPublic { .. }
        | B::CaseLookupCodeSet { .. }
        | B::CaseCampaignJoined { .. }
        | B::CaseReturned { .. }
        | B::CaseTransferred { .. }
        | B::CaseTransferredToOffice { .. }
        | B::CaseOfficeAssigned { .. }
        | B::ExtensionDecided { .. }
        | B::CaseUrged { .. }
        | B::CaseResolved { .. }
        | B::CaseVisited { .. }
        | B::CaseArchived { .. }
        | B::CaseWithdrawn { .. }
        | B::CaseLinked { .. }
        | B::CaseUnmerged { .. }
        | B::CaseSolvedOnSpot { .. }
        | B::AccountAdded { .. }
        | B::AccountRoleSet { .. }
        | B::AccountRemoved { .. }
        | B::PasswordSet { .. }
        | B::SignedIn {}
        | B::SignedOut { .. }
        | B::AttendeeAdded { .. }
        | B::AttendeeSignedIn { .. }
        | B::AttendeeRemoved { .. }
        | B::AgendaItemAdded { .. }
        | B::MinutesRecorded { .. }
        | B::MinutesApproved { .. }
        | B::MinutesAmended { .. }
        | B::MeetingCaseOpened { .. }
        | B::MeetingCaseLinked { .. }
        | B::MeetingOfficeAssigned { .. }
        // The wrong clock's own first time, kept as the trace wrote it.
        | B::CaseTimesCorrected(_)
        | B::MeetingTimesCorrected(_)
        // The city's times (its clock, not this PC's).
        | B::WorkOrderImported(_)
        | B::UnitAdded { .. }
        | B::FigureSettingsSet(_)
        | B::FigureSettingsSetV2(_)
        | B::CalendarDaySet { .. } => {}
    }
    ev
}

/// How far the fold moves a case's pre-enrolment events: from its intake's own stamp to the
/// server's receipt of it (`receipt`), never backwards (a stamp a little ahead of the server,
/// within its tolerance, stays). 0 for a case filed by an enrolled device or not yet received.
pub fn receipt_shift(intake: &Event, receipt: Option<i64>) -> i64 {
    match receipt {
        Some(at) if intake.office == crate::wire::UNENROLLED_OFFICE => {
            at.saturating_sub(intake.hlc.wall_ms).max(0)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Received;
    use crate::hlc::Hlc;
    use crate::model::Commitment;

    const MIN: i64 = 60_000;

    fn event(wall_ms: i64, body: EventBody) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            stream: uuid::Uuid::nil().to_string(),
            hlc: Hlc {
                wall_ms,
                counter: 0,
            },
            author: "张".into(),
            account: None,
            prev: None,
            sig: None,
            device: "d".into(),
            office: crate::wire::UNENROLLED_OFFICE.into(),
            body,
        }
    }

    /// 2019-12-05 10:00 China time.
    const FILED: i64 = 1_575_511_200_000;

    #[test]
    fn an_intake_lands_on_its_receipt_and_its_deadlines_keep_their_length() {
        let received = Received {
            number: "201912-0001".into(),
            intake: crate::sample::parking_complaint("车位被占").into(),
            response_due: FILED + 24 * 60 * MIN,
            resolve_due: crate::calendar::start_of_day(
                crate::calendar::local_date(FILED) + chrono::Duration::days(4),
            ) - 1,
        };
        let ev = event(FILED, EventBody::CaseReceived(Box::new(received.clone())));
        // Received by the server seven years on, at 15:30 the same hour of a later day.
        let receipt = FILED + 2_553 * 86_400_000 + 330 * MIN;
        let shift = receipt_shift(&ev, Some(receipt));
        let moved = shifted(&ev, shift);
        assert_eq!(moved.hlc.wall_ms, receipt);
        let EventBody::CaseReceived(r) = &moved.body else {
            panic!("kind changed")
        };
        assert_eq!(r.response_due - received.response_due, 2_553 * 86_400_000);
        // Still the last millisecond of a China day, four days after the day of receipt.
        assert_eq!(
            r.resolve_due,
            crate::calendar::start_of_day(
                crate::calendar::local_date(receipt) + chrono::Duration::days(4)
            ) - 1
        );
        assert_eq!(moved.id, ev.id);
        assert_eq!(
            r.number, "201912-0001",
            "the number is an identifier and stays"
        );
    }

    #[test]
    fn a_promised_day_moves_with_its_last_millisecond() {
        let day = crate::calendar::local_date(FILED) + chrono::Duration::days(3);
        let c = Commitment {
            problem: String::new(),
            promise: "修好".into(),
            due: crate::calendar::start_of_day(day.succ_opt().unwrap()) - 1,
            due_date: day.format("%Y-%m-%d").to_string(),
            responsible: "李".into(),
            office_name: "花园社区".into(),
        };
        let ev = event(FILED, EventBody::CommitmentIssued(Box::new(c)));
        let moved = shifted(&ev, 10 * 86_400_000 + 5 * MIN);
        let EventBody::CommitmentIssued(c) = &moved.body else {
            panic!("kind changed")
        };
        let want = day + chrono::Duration::days(10);
        assert_eq!(c.due_date, want.format("%Y-%m-%d").to_string());
        assert_eq!(
            c.due,
            crate::calendar::start_of_day(want.succ_opt().unwrap()) - 1
        );
        assert!(crate::validate::event(&moved).is_ok());
    }

    #[test]
    fn only_pre_enrolment_intakes_with_a_receipt_move_and_never_backwards() {
        let mut ev = event(
            FILED,
            EventBody::CaseArchived {
                note: String::new(),
            },
        );
        assert_eq!(receipt_shift(&ev, None), 0);
        assert_eq!(
            receipt_shift(&ev, Some(FILED - MIN)),
            0,
            "ahead within tolerance"
        );
        assert_eq!(receipt_shift(&ev, Some(FILED + MIN)), MIN);
        ev.office = "community-a".into();
        assert_eq!(receipt_shift(&ev, Some(FILED + 86_400_000)), 0);
    }

    #[test]
    fn extreme_stamps_saturate_instead_of_overflowing() {
        let ev = event(
            i64::MAX - 5,
            EventBody::CaseRedone {
                reason: "x".into(),
                resolve_due: i64::MAX - 1,
            },
        );
        let moved = shifted(&ev, i64::MAX);
        assert_eq!(moved.hlc.wall_ms, i64::MAX);
        let far_back = event(
            i64::MIN + 5,
            EventBody::CaseAccepted {
                note: String::new(),
            },
        );
        assert_eq!(receipt_shift(&far_back, Some(i64::MAX)), i64::MAX);
    }
}
