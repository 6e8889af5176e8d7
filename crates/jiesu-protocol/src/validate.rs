//! What an event may say: the one check of an event's meaning.
//!
//! Events arrive from office PCs that do not trust each other. [`event`] decides whether an
//! event is one the app could have written: every text within its length and filled in where
//! the form requires it, categories and codes that exist, instants a clock can read (between
//! [`EARLIEST_MS`] and [`LATEST_MS`]), answers that agree with each other (a visit that
//! reached nobody has no satisfaction), and a stream of the kind the event belongs to. Unknown
//! kinds and enum values never get this far: they do not decode.
//!
//! It is used three ways, so the rule is written once:
//! - every command checks the event it is about to append (a slip refuses, it is not stored);
//! - the server refuses a push holding an event that fails (422, the event's id and the field
//!   in `params`, nothing stored);
//! - the fold quarantines one that arrives anyway (through an older server): kept in the log,
//!   recorded as a conflict with the reason, counted and shown on its case, changing nothing.
//!
//! The forms' normalisation (trimming, phone digits) is the core's (`jiesu_core::validate`);
//! it ends in the checks here ([`intake`], [`meeting_header`], [`figure_rules`]), so what a
//! command stores is by construction what [`event`] accepts.

use crate::error::{Reason, Refusal, Result};
use crate::event::{Aggregate, CONFIG_STREAM, Event, EventBody};
use crate::event::{FigureRulesV2, Intake, ItemKind, MeetingHeader};

/// 2000-01-01 00:00 China time. An instant before it is a PC clock that was never set (or a
/// forged one), not an early complaint; a PC that is merely years behind is still after it.
pub const EARLIEST_MS: i64 = 946_656_000_000;

/// 2100-01-01 00:00 China time: no clock, deadline or meeting reaches it.
pub const LATEST_MS: i64 = 4_102_416_000_000;

/// Longest free text in one field (descriptions, notes, minutes of one agenda item).
pub const MAX_TEXT: usize = 4000;

/// Longest one-line field (titles, names on a sign-in sheet, places).
pub const MAX_LINE: usize = 200;

/// Longest name of a person, an office or a device in an event's envelope.
pub const MAX_NAME: usize = 100;

/// Longest code (units, case numbers, office ids).
pub const MAX_CODE: usize = 64;

/// Text as stored: filled in when `required`, at most `max` characters.
pub fn stored_text(field: &'static str, s: &str, required: bool, max: usize) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(Refusal::invalid(field, Reason::Required));
    }
    // Counting stops at the limit: a 500,000-character field costs no more than a long one.
    if s.chars().nth(max).is_some() {
        return Err(Refusal::invalid(field, Reason::TooLong));
    }
    Ok(())
}

/// A name in an event's envelope or an office's name: no control characters (they would
/// forge lines in logs and listings), at most [`MAX_NAME`] characters.
pub fn name(field: &'static str, s: &str, required: bool) -> Result<()> {
    stored_text(field, s, required, MAX_NAME)?;
    if s.chars().any(char::is_control) {
        return Err(Refusal::invalid(field, Reason::Malformed));
    }
    Ok(())
}

/// A code or id: 1 to 64 visible characters, no spaces.
pub fn code(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty()
        || s.chars().nth(MAX_CODE).is_some()
        || s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Refusal::invalid(field, Reason::Malformed));
    }
    Ok(())
}

/// A sign-in name: 1 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit. Narrow on
/// purpose: it is typed on a keyboard at a login screen, compared exactly, and shown in logs.
pub fn login(s: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if s.is_empty()
        || s.len() > 32
        || !s.chars().all(ok)
        || !s.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(Refusal::invalid("login", Reason::Malformed));
    }
    Ok(())
}

/// An instant a clock, a deadline or a meeting can name.
pub fn instant(field: &'static str, ms: i64) -> Result<()> {
    if (EARLIEST_MS..LATEST_MS).contains(&ms) {
        Ok(())
    } else {
        Err(Refusal::invalid(field, Reason::OutOfRange))
    }
}

/// A period of figures as the window or a report asks for it: within the instants anything
/// stored can name, and not ending before it starts (its length is subtracted and halved).
pub fn period(from: i64, to: i64) -> Result<()> {
    if EARLIEST_MS <= from && from <= to && to <= LATEST_MS {
        Ok(())
    } else {
        Err(Refusal::invalid("period", Reason::OutOfRange))
    }
}

/// The intake form as stored in a `case_received`.
pub fn intake(c: &Intake) -> Result<()> {
    stored_text("description", &c.description, true, MAX_TEXT)?;
    stored_text("location", &c.location, false, MAX_TEXT)?;
    stored_text("work_order_no", &c.work_order_no, false, MAX_TEXT)?;
    if c.channel == crate::model::Channel::Hotline12345 && c.work_order_no.trim().is_empty() {
        return Err(Refusal::invalid("work_order_no", Reason::Required));
    }
    if !crate::catalog::is_category(&c.category) {
        return Err(Refusal::invalid("category", Reason::Unknown));
    }
    if c.resident.name.chars().nth(50).is_some() {
        return Err(Refusal::invalid("resident.name", Reason::TooLong));
    }
    name("resident.name", &c.resident.name, false)?;
    let phone = &c.resident.phone;
    if !phone.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(Refusal::invalid("resident.phone", Reason::DigitsOnly));
    }
    if !phone.is_empty() && !(5..=20).contains(&phone.len()) {
        return Err(Refusal::invalid("resident.phone", Reason::PhoneLength));
    }
    for (field, v) in [
        ("address.building", &c.address.building),
        ("address.unit", &c.address.unit),
        ("address.room", &c.address.room),
        ("address.text", &c.address.text),
    ] {
        stored_text(field, v, false, MAX_TEXT)?;
    }
    if let Some(a) = &c.attachment {
        if a.sha256.len() != 64 || !a.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::invalid("attachment", Reason::Malformed));
        }
        if a.size == 0 || a.size > crate::wire::MAX_ATTACHMENT_BYTES as u64 {
            return Err(Refusal::invalid("attachment", Reason::FileSize));
        }
        name("attachment.name", &a.name, false)?;
    }
    Ok(())
}

/// A meeting's header as `meeting_scheduled` stores it: one-line texts, a start, an end not
/// before it.
pub fn meeting_header(info: &MeetingHeader) -> Result<()> {
    stored_text("title", &info.title, true, MAX_LINE)?;
    stored_text("place", &info.place, false, MAX_LINE)?;
    stored_text("facilitator", &info.facilitator, true, MAX_LINE)?;
    stored_text("recorder", &info.recorder, false, MAX_LINE)?;
    if info.starts_at <= 0 {
        return Err(Refusal::invalid("starts_at", Reason::Required));
    }
    instant("starts_at", info.starts_at)?;
    if let Some(end) = info.ends_at {
        instant("ends_at", end)?;
        if end < info.starts_at {
            return Err(Refusal::invalid("ends_at", Reason::NotLater));
        }
    }
    Ok(())
}

/// The figures' settings: weights and the factor between 0 and 1, the weights adding up to
/// 1, a minimum sample from 1 to 10,000.
pub fn figure_rules(s: &FigureRulesV2) -> Result<()> {
    let unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
    for (field, v) in [
        ("weight_response", s.weight_response),
        ("weight_solution", s.weight_solution),
        ("weight_satisfaction", s.weight_satisfaction),
        ("basic_factor", s.basic_factor),
    ] {
        if !unit(v) {
            return Err(Refusal::invalid(field, Reason::Unknown));
        }
    }
    let sum = s.weight_response + s.weight_solution + s.weight_satisfaction;
    if (sum - 1.0).abs() > 1e-6 {
        return Err(Refusal::invalid("weights", Reason::WeightsSum));
    }
    if !(1..=10_000).contains(&s.min_sample) {
        return Err(Refusal::invalid("min_sample", Reason::Unknown));
    }
    Ok(())
}

/// A calendar date in the years the calendar can hold.
pub fn calendar_date(s: &str) -> Result<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..2100).contains(&d.year()) && d.format("%Y-%m-%d").to_string() == s)
        .ok_or(Refusal::invalid("date", Reason::BadDate))
}

/// Whether the event is one this app could have written (see the module's overview). The
/// error names the field and the reason, as a refused form would.
pub fn event(ev: &Event) -> Result<()> {
    name("author", &ev.author, false)?;
    code("device", &ev.device)?;
    code("office", &ev.office)?;
    instant("hlc", ev.hlc.wall_ms)?;
    if let Some(prev) = &ev.prev
        && !crate::seal::is_hex(prev, crate::seal::HASH_HEX)
    {
        return Err(Refusal::invalid("prev", Reason::Malformed));
    }
    if let Some(sig) = &ev.sig
        && !crate::seal::is_hex(sig, crate::seal::SIG_HEX)
    {
        return Err(Refusal::invalid("sig", Reason::Malformed));
    }
    let config = ev.stream == CONFIG_STREAM;
    if config != (ev.body.aggregate() == Aggregate::Config)
        || (!config && as_made(&ev.stream).is_none())
    {
        return Err(Refusal::invalid("stream", Reason::Malformed));
    }
    body(ev)
}

/// The UUID a stream (or any id) names when it is spelled as every app spells one: lowercase,
/// with hyphens; only such an id reads back unchanged from its 16 bytes. The same UUID
/// spelled otherwise (capitals, braces, no hyphens, a URN) would be another stream in every
/// log but the same case or meeting once parsed, so its steps would fold over a record its
/// writer has no authority over.
pub fn as_made(stream: &str) -> Option<uuid::Uuid> {
    if stream.len() != 36 || stream.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid::Uuid::try_parse(stream).ok()
}

/// Columns a work order may keep: more than any export seen (21) has, fewer than a file
/// built to bloat the log would want.
pub const MAX_WORK_ORDER_COLUMNS: usize = 64;

/// A work order's data as `work_order_imported` stores it.
pub fn work_order(w: &crate::event::WorkOrder) -> Result<()> {
    for (field, s) in [
        ("source", &w.source),
        ("order_type", &w.order_type),
        ("city_category", &w.city_category),
        ("handling_unit", &w.handling_unit),
    ] {
        stored_text(field, s, false, MAX_LINE)?;
    }
    for t in [w.dispatched_at, w.promised_due].into_iter().flatten() {
        instant("time", t)?;
    }
    if w.columns.len() > MAX_WORK_ORDER_COLUMNS {
        return Err(Refusal::invalid("columns", Reason::TooLong));
    }
    for c in &w.columns {
        name("columns.header", &c.header, true)?;
        stored_text("columns.value", &c.value, true, MAX_TEXT)?;
    }
    Ok(())
}

/// Offices one campaign may name: a district's streets and communities, with room to spare.
pub const MAX_CAMPAIGN_OFFICES: usize = 500;

/// A campaign's charter as `campaign_opened` stores it.
pub fn campaign(c: &crate::event::CampaignCharter) -> Result<()> {
    stored_text("title", &c.title, true, MAX_LINE)?;
    stored_text("problem", &c.problem, true, MAX_TEXT)?;
    stored_text("standard", &c.standard, true, MAX_TEXT)?;
    if !crate::catalog::is_category(&c.category) {
        return Err(Refusal::invalid("category", Reason::Unknown));
    }
    let day = calendar_date(&c.due_date)?;
    instant("due_date", crate::time::start_of_day(day))?;
    if c.offices.is_empty() {
        return Err(Refusal::invalid("offices", Reason::Required));
    }
    campaign_offices(&c.offices)
}

/// Offices a campaign names: enrolled codes, each once, not too many.
fn campaign_offices(offices: &[String]) -> Result<()> {
    if offices.len() > MAX_CAMPAIGN_OFFICES {
        return Err(Refusal::invalid("offices", Reason::TooMany));
    }
    let mut seen = std::collections::BTreeSet::new();
    for o in offices {
        code("offices", o)?;
        if o == crate::wire::UNENROLLED_OFFICE || !seen.insert(o) {
            return Err(Refusal::invalid("offices", Reason::Malformed));
        }
    }
    Ok(())
}

/// A change to a campaign as `campaign_amended` stores it: it changes something, says why,
/// and what it sets is what a charter may hold.
pub fn campaign_amendment(a: &crate::event::CampaignAmendment) -> Result<()> {
    if let Some(t) = &a.title {
        stored_text("title", t, true, MAX_LINE)?;
    }
    if let Some(p) = &a.problem {
        stored_text("problem", p, true, MAX_TEXT)?;
    }
    if let Some(s) = &a.standard {
        stored_text("standard", s, true, MAX_TEXT)?;
    }
    if let Some(d) = &a.due_date {
        let day = calendar_date(d).map_err(|_| Refusal::invalid("due_date", Reason::BadDate))?;
        instant("due_date", crate::time::start_of_day(day))?;
    }
    campaign_offices(&a.offices)?;
    if !a.changes_something() {
        return Err(Refusal::invalid("campaign", Reason::Unchanged));
    }
    stored_text("note", &a.note, true, MAX_TEXT)
}

fn body(ev: &Event) -> Result<()> {
    use EventBody as B;
    let req = |field, s: &str| stored_text(field, s, true, MAX_TEXT);
    let opt = |field, s: &str| stored_text(field, s, false, MAX_TEXT);
    match &ev.body {
        B::CaseReceived(r) => {
            code("number", &r.number)?;
            intake(&r.intake)?;
            instant("response_due", r.response_due)?;
            instant("resolve_due", r.resolve_due)
        }
        B::CaseDispatched { unit, note } => code("unit", unit).and(opt("note", note)),
        B::CaseAccepted { note } => opt("note", note),
        B::CaseNoted { text, .. } | B::CaseNotedPublic { text, .. } => req("text", text),
        B::CaseLookupCodeSet { hash } => {
            if hash.len() != crate::seal::HASH_HEX
                || !hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(Refusal::invalid("hash", Reason::Malformed));
            }
            Ok(())
        }
        B::CaseReturned { reason } => req("reason", reason),
        B::CaseTransferred { unit, reason } => code("unit", unit).and(req("reason", reason)),
        B::CaseTransferredToOffice {
            office,
            office_name,
            reason,
        } => {
            code("office", office)?;
            name("office_name", office_name, false)?;
            req("reason", reason)
        }
        B::CaseOfficeAssigned {
            office,
            office_name,
        }
        | B::MeetingOfficeAssigned {
            office,
            office_name,
        } => {
            code("office", office)?;
            if office == crate::wire::UNENROLLED_OFFICE {
                return Err(Refusal::invalid("office", Reason::Malformed));
            }
            name("office_name", office_name, false)
        }
        B::ExtensionRequested { new_due, reason } => {
            instant("new_due", *new_due)?;
            req("reason", reason)
        }
        B::ExtensionDecided { note, .. }
        | B::CaseArchived { note }
        | B::MinutesApproved { note } => opt("note", note),
        B::CaseUrged { note } => req("note", note),
        B::CaseResolved { result, .. } | B::CaseSolvedOnSpot { result } => req("result", result),
        B::CaseVisited {
            reachable,
            contacted,
            solved,
            satisfaction,
            note,
        } => {
            // What the visit form makes of its answers: nobody reached, nothing answered.
            if *reachable && satisfaction.is_none() {
                return Err(Refusal::invalid("satisfaction", Reason::Required));
            }
            if !*reachable && (*contacted || *solved || satisfaction.is_some()) {
                return Err(Refusal::invalid("reachable", Reason::Malformed));
            }
            opt("note", note)
        }
        B::CaseRedone {
            reason,
            resolve_due,
        } => {
            instant("resolve_due", *resolve_due)?;
            req("reason", reason)
        }
        B::CaseWithdrawn { reason } => req("reason", reason),
        B::CaseLinked { other, .. } => {
            if other.to_string() == ev.stream {
                return Err(Refusal::invalid("other", Reason::SelfLink));
            }
            Ok(())
        }
        B::CaseUnmerged { other, reason } => {
            if other.to_string() == ev.stream {
                return Err(Refusal::invalid("other", Reason::SelfLink));
            }
            req("reason", reason)
        }
        B::CommitmentIssued(c) => {
            opt("problem", &c.problem)?;
            req("promise", &c.promise)?;
            stored_text("responsible", &c.responsible, true, MAX_LINE)?;
            name("office_name", &c.office_name, false)?;
            instant("due", c.due)?;
            // The promised day and its last millisecond, as the letter form makes them.
            let day = calendar_date(&c.due_date)
                .map_err(|_| Refusal::invalid("due_date", Reason::BadDate))?;
            let end = day
                .succ_opt()
                .map(|next| crate::time::start_of_day(next) - 1);
            if end != Some(c.due) {
                return Err(Refusal::invalid("due", Reason::Malformed));
            }
            Ok(())
        }
        B::MeetingScheduled(info) | B::MeetingRescheduled(info) => meeting_header(info),
        B::AttendeeAdded {
            name: n,
            organisation,
            phone,
            ..
        } => {
            stored_text("name", n, true, MAX_LINE)?;
            stored_text("organisation", organisation, false, MAX_LINE)?;
            stored_text("phone", phone, false, MAX_LINE)
        }
        B::AttendeeSignedIn { .. } | B::AttendeeRemoved { .. } => Ok(()),
        B::AgendaItemAdded { title, .. } => stored_text("title", title, true, MAX_LINE),
        B::MinutesRecorded { text, .. } => opt("text", text),
        B::MeetingItemAdded {
            kind,
            text,
            owner_unit,
            deadline,
            ..
        } => {
            req("text", text)?;
            if let Some(u) = owner_unit {
                code("owner_unit", u)?;
            }
            if let Some(d) = deadline {
                instant("deadline", *d)?;
            }
            if *kind == ItemKind::Action && (owner_unit.is_none() || deadline.is_none()) {
                return Err(Refusal::invalid("owner_unit", Reason::Required));
            }
            Ok(())
        }
        B::MinutesAmended { text, reason, .. } => req("text", text).and(req("reason", reason)),
        B::MeetingCaseOpened { number, .. } | B::MeetingCaseLinked { number, .. } => {
            code("number", number)
        }
        B::CaseTimesCorrected(t) | B::MeetingTimesCorrected(t) => {
            instant("first_ms", t.first_ms)?;
            let back = t.shifted_ms < 0 && t.shifted_ms > EARLIEST_MS - LATEST_MS;
            if t.events == 0 || !back {
                return Err(Refusal::invalid("shifted_ms", Reason::OutOfRange));
            }
            Ok(())
        }
        B::WorkOrderImported(w) => work_order(w),
        B::CaseCampaignJoined { title, .. } => stored_text("title", title, true, MAX_LINE),
        B::CampaignOpened(c) => campaign(c),
        B::CampaignAmended(a) => campaign_amendment(a),
        B::UnitAdded { code: c, name: n } => {
            code("code", c)?;
            stored_text("name", n, true, 60)?;
            name("name", n, true)
        }
        B::AccountAdded {
            login: l, name: n, ..
        } => {
            login(l)?;
            name("name", n, true)
        }
        B::AccountRoleSet { .. }
        | B::AccountRemoved { .. }
        | B::PasswordSet { .. }
        | B::SignedOut { .. } => Ok(()),
        // Only an account signs in: the envelope says which.
        B::SignedIn {} => match ev.account {
            Some(_) => Ok(()),
            None => Err(Refusal::invalid("account", Reason::Required)),
        },
        B::CalendarDaySet { date, .. } => calendar_date(date).map(|_| ()),
        B::FigureSettingsSet(s) => figure_rules(&FigureRulesV2::from((**s).clone())),
        B::FigureSettingsSetV2(s) => figure_rules(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;

    fn at(y: i32) -> i64 {
        crate::time::start_of_day(chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap())
    }

    fn ev(stream: &str, wall_ms: i64, body: EventBody) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            stream: stream.into(),
            hlc: Hlc {
                wall_ms,
                counter: 0,
            },
            author: "李书记".into(),
            account: None,
            prev: None,
            sig: None,
            device: "4f1c0f0e-7b55-4b8e-9d43-000000000000".into(),
            office: "hm".into(),
            body,
        }
    }

    #[test]
    fn account_events_name_a_typable_login_and_a_sign_in_names_its_account() {
        let now = at(2026);
        let added = |login: &str| {
            ev(
                CONFIG_STREAM,
                now,
                EventBody::AccountAdded {
                    account: uuid::Uuid::nil(),
                    login: login.into(),
                    name: "李书记".into(),
                    role: crate::model::Role::Admin,
                },
            )
        };
        assert!(event(&added("li.shuji")).is_ok());
        for bad in ["", "Li", "li shuji", "-li", "李", "l\u{0}", &"x".repeat(33)] {
            assert_eq!(
                event(&added(bad)),
                Err(Refusal::invalid("login", Reason::Malformed)),
                "{bad:?}"
            );
        }
        let mut signed_in = ev(CONFIG_STREAM, now, EventBody::SignedIn {});
        assert_eq!(
            event(&signed_in),
            Err(Refusal::invalid("account", Reason::Required))
        );
        signed_in.account = Some(uuid::Uuid::nil());
        assert!(event(&signed_in).is_ok());
        // An account's events are configuration: never on a case's stream.
        let on_a_case = ev(
            &uuid::Uuid::nil().to_string(),
            now,
            EventBody::SignedOut { idle: true },
        );
        assert_eq!(
            event(&on_a_case),
            Err(Refusal::invalid("stream", Reason::Malformed))
        );
    }

    #[test]
    fn the_bounds_are_the_first_instants_of_2000_and_2100_in_china() {
        assert_eq!(EARLIEST_MS, at(2000));
        assert_eq!(LATEST_MS, at(2100));
        assert!(instant("t", at(2000)).is_ok());
        assert!(instant("t", at(2100) - 1).is_ok());
        for bad in [
            at(2100),
            at(2000) - 1,
            0,
            -1,
            i64::MAX,
            i64::MIN,
            9_000_000_000_000_000,
        ] {
            assert!(instant("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_with_an_impossible_clock_or_a_stream_of_the_wrong_kind_is_refused() {
        let case = uuid::Uuid::now_v7().to_string();
        let urge = || EventBody::CaseUrged { note: "快".into() };
        assert!(event(&ev(&case, at(2026), urge())).is_ok());
        for wall in [9_000_000_000_000_000, 0, at(2100)] {
            let e = event(&ev(&case, wall, urge())).unwrap_err();
            assert!(
                matches!(
                    e,
                    Refusal::Invalid {
                        field: "hlc",
                        reason: Reason::OutOfRange
                    }
                ),
                "{e}"
            );
        }
        let unit = EventBody::UnitAdded {
            code: "u-1".into(),
            name: "物业".into(),
        };
        assert!(event(&ev(CONFIG_STREAM, at(2026), unit.clone())).is_ok());
        assert!(
            event(&ev(&case, at(2026), unit)).is_err(),
            "config in a case stream"
        );
        assert!(
            event(&ev(CONFIG_STREAM, at(2026), urge())).is_err(),
            "a step in config"
        );
        assert!(event(&ev("not-a-uuid", at(2026), urge())).is_err());
        // The same UUID spelled otherwise: another stream, the same case once parsed.
        for spelled in [
            case.to_uppercase(),
            format!("{{{case}}}"),
            case.replace('-', ""),
            format!("urn:uuid:{case}"),
        ] {
            assert_eq!(
                event(&ev(&spelled, at(2026), urge())),
                Err(Refusal::invalid("stream", Reason::Malformed)),
                "{spelled}"
            );
        }
        let mut forged = ev(&case, at(2026), urge());
        forged.author = "李书记\n2026-11-23 devices: admin".into();
        assert!(event(&forged).is_err(), "control characters in a name");
    }

    #[test]
    fn texts_past_their_limit_are_refused_without_reading_them_all() {
        let case = uuid::Uuid::now_v7().to_string();
        let long = "漏".repeat(500_000);
        let e = event(&ev(
            &case,
            at(2026),
            EventBody::CaseNoted {
                text: long,
                contacted_resident: false,
            },
        ))
        .unwrap_err();
        assert!(matches!(
            e,
            Refusal::Invalid {
                field: "text",
                reason: Reason::TooLong
            }
        ));
        let e = event(&ev(
            &case,
            at(2026),
            EventBody::CaseReturned {
                reason: "  ".into(),
            },
        ))
        .unwrap_err();
        assert!(matches!(
            e,
            Refusal::Invalid {
                field: "reason",
                reason: Reason::Required
            }
        ));
    }

    #[test]
    fn a_visit_that_reached_nobody_has_no_answers() {
        let case = uuid::Uuid::now_v7().to_string();
        let visit = |reachable, solved, satisfaction| EventBody::CaseVisited {
            reachable,
            contacted: false,
            solved,
            satisfaction,
            note: String::new(),
        };
        use crate::model::Satisfaction::Satisfied;
        assert!(event(&ev(&case, at(2026), visit(false, false, None))).is_ok());
        assert!(event(&ev(&case, at(2026), visit(true, true, Some(Satisfied)))).is_ok());
        assert!(event(&ev(&case, at(2026), visit(false, true, None))).is_err());
        assert!(event(&ev(&case, at(2026), visit(false, false, Some(Satisfied)))).is_err());
        assert!(event(&ev(&case, at(2026), visit(true, true, None))).is_err());
    }

    #[test]
    fn config_names_real_dates_and_sane_settings() {
        let day = |date: &str| {
            event(&ev(
                CONFIG_STREAM,
                at(2026),
                EventBody::CalendarDaySet {
                    date: date.into(),
                    working: false,
                },
            ))
        };
        assert!(day("2026-10-08").is_ok());
        for bad in ["2026-02-30", "2026-2-3", "1999-12-31", "2100-01-01", "x"] {
            assert!(day(bad).is_err(), "{bad}");
        }
        let weights = |w: f64| {
            event(&ev(
                CONFIG_STREAM,
                at(2026),
                EventBody::FigureSettingsSetV2(Box::new(FigureRulesV2 {
                    weight_response: w,
                    weight_solution: 0.4,
                    weight_satisfaction: 0.3,
                    basic_factor: 0.8,
                    min_sample: 1,
                    visit_rule: crate::event::VisitRule::Last,
                })),
            ))
        };
        assert!(weights(0.3).is_ok());
        assert!(weights(f64::NAN).is_err());
        assert!(weights(0.9).is_err());
    }

    #[test]
    fn a_campaign_change_changes_something_says_why_and_names_each_office_once() {
        let change = |a: crate::event::CampaignAmendment| {
            event(&ev(
                CONFIG_STREAM,
                at(2026),
                EventBody::CampaignAmended(Box::new(a)),
            ))
        };
        let base = crate::event::CampaignAmendment {
            campaign: uuid::Uuid::nil(),
            title: None,
            problem: None,
            standard: None,
            due_date: Some("2027-01-31".into()),
            offices: Vec::new(),
            closed: None,
            note: "延期".into(),
        };
        assert!(change(base.clone()).is_ok());
        let bad = [
            (
                crate::event::CampaignAmendment {
                    due_date: None,
                    ..base.clone()
                },
                Refusal::invalid("campaign", Reason::Unchanged),
            ),
            (
                crate::event::CampaignAmendment {
                    note: " ".into(),
                    ..base.clone()
                },
                Refusal::invalid("note", Reason::Required),
            ),
            (
                crate::event::CampaignAmendment {
                    due_date: Some("2027-02-30".into()),
                    ..base.clone()
                },
                Refusal::invalid("due_date", Reason::BadDate),
            ),
            (
                crate::event::CampaignAmendment {
                    offices: vec!["a".into(), "a".into()],
                    ..base.clone()
                },
                Refusal::invalid("offices", Reason::Malformed),
            ),
            (
                crate::event::CampaignAmendment {
                    title: Some(String::new()),
                    ..base.clone()
                },
                Refusal::invalid("title", Reason::Required),
            ),
        ];
        for (a, why) in bad {
            assert_eq!(change(a.clone()), Err(why), "{a:?}");
        }
    }
}
