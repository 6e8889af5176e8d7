//! The forms' checks: what a window's form becomes before it is an event.
//!
//! A form is normalised here (trimmed, phone digits kept) and then checked as it will be
//! stored, by the protocol's own checks ([`jiesu_protocol::validate`]): what a command stores
//! is by construction what [`event`] accepts on every other PC and on the server.

pub use jiesu_protocol::validate::{
    EARLIEST_MS, LATEST_MS, MAX_LINE, MAX_NAME, MAX_TEXT, MAX_WORK_ORDER_COLUMNS, as_made,
    calendar_date, campaign, campaign_amendment, event, instant, login, name, period,
};
use jiesu_protocol::validate::{figure_rules, intake, meeting_header, stored_text};

use crate::api::NewCase;
use crate::error::{Error, Reason, Result};
use crate::event::{FigureRulesV2, Intake, MeetingHeader};
use crate::figures::FigureSettings;
use crate::meeting::MeetingInfo;

/// A form's text: trimmed, filled in when `required`, at most [`MAX_TEXT`] characters.
pub(crate) fn text(field: &'static str, s: String, required: bool) -> Result<String> {
    let s = s.trim().to_owned();
    stored_text(field, &s, required, MAX_TEXT)?;
    Ok(s)
}

/// A form's one-line text: as [`text`], at most [`MAX_LINE`] characters.
pub(crate) fn line(field: &'static str, s: String, required: bool) -> Result<String> {
    let s = text(field, s, required)?;
    stored_text(field, &s, required, MAX_LINE)?;
    Ok(s)
}

/// The intake form as submitted: normalised, then checked as it will be stored.
pub(crate) fn new_case(mut c: NewCase) -> Result<Intake> {
    c.description = text("description", c.description, true)?;
    c.location = text("location", c.location, false)?;
    c.work_order_no = text("work_order_no", c.work_order_no, false)?;
    c.resident.name = text("resident.name", c.resident.name, false)?;
    let raw = c.resident.phone.trim();
    if raw
        .chars()
        .any(|ch| !(ch.is_ascii_digit() || " -+()".contains(ch)))
    {
        return Err(Error::invalid("resident.phone", Reason::DigitsOnly));
    }
    c.resident.phone = raw.chars().filter(char::is_ascii_digit).collect();
    for (field, v) in [
        ("address.building", &mut c.address.building),
        ("address.unit", &mut c.address.unit),
        ("address.room", &mut c.address.room),
        ("address.text", &mut c.address.text),
    ] {
        *v = text(field, std::mem::take(v), false)?;
    }
    let c = Intake::from(c);
    intake(&c)?;
    Ok(c)
}

/// A meeting's header, from the form to what the log stores.
pub(crate) fn meeting_info(mut info: MeetingInfo) -> Result<MeetingHeader> {
    info.title = line("title", info.title, true)?;
    info.place = line("place", info.place, false)?;
    info.facilitator = line("facilitator", info.facilitator, true)?;
    info.recorder = line("recorder", info.recorder, false)?;
    let info = MeetingHeader::from(info);
    meeting_header(&info)?;
    Ok(info)
}

/// The figures' settings: weights and the factor between 0 and 1, the weights adding up to
/// 1, a minimum sample from 1 to 10,000 (checked as the log will store them).
pub(crate) fn figure_settings(s: &FigureSettings) -> Result<()> {
    Ok(figure_rules(&FigureRulesV2::from(s.clone()))?)
}
