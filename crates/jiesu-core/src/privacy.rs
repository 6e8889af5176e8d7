//! Residents' personal information as people see it (PIPL Art. 51, GB/T 35273 display
//! restriction): masked by the core before anything reaches the window, an export or a log.
//!
//! | who | phone | name | address |
//! |---|---|---|---|
//! | 管理员, 社区工作者, 议事主持人 (handle cases) | `138****8000` | full | full on the case page |
//! | 查看 (a leader, an inspector) | `138****8000` | first character (`王**`) | without the room |
//! | no account in force (tests, tools) | full | full | full |
//!
//! A full value is shown on purpose only ([`crate::Store::reveal`]), to the roles that handle
//! cases, and each showing is written to the access log (who, when, which case, which field).
//! Search still finds a case by a full number or its tail: the index holds the digits; only
//! what is shown is masked.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

use crate::access::Role;
use crate::api::{
    CaseDetail, CasePage, CaseRow, Desk, MeetingDetail, OverdueWatch, ResidentHint, TimelineEntry,
};
use crate::event::{Event, EventBody};
use crate::meeting::Meeting;
use crate::model::{Address, Case, Resident};

/// How much of a resident a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Everything (no account in force).
    Full,
    /// The roles that handle cases: numbers masked, names in full.
    Handler,
    /// Read-only roles: numbers masked, names to their first character, no room numbers.
    Outsider,
}

impl Exposure {
    /// What `role` sees; `None` is a store without accounts.
    pub fn of(role: Option<Role>) -> Exposure {
        match role {
            None => Exposure::Full,
            Some(Role::Admin | Role::Worker | Role::Host) => Exposure::Handler,
            Some(Role::Viewer) => Exposure::Outsider,
        }
    }
}

/// A field that can be shown in full on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum PersonalField {
    /// The resident's phone number.
    Phone,
    /// The resident's name.
    Name,
    /// The resident's address with the room.
    Address,
}

/// `13812348000` → `138****8000`; shorter numbers keep their last four (`****5678`), and one
/// of four digits or fewer is all stars.
pub fn phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n <= 4 {
        return "*".repeat(n);
    }
    let head = if n >= 11 { 3 } else { 0 };
    let tail = 4;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// `王秀英` → `王**`: the first character, a star for each of the rest.
pub fn name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let mut out = first.to_string();
            out.push_str(&"*".repeat(chars.count()));
            out
        }
    }
}

/// An ID card number keeping its first six and last four (`110105********1234`).
pub fn id_number(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= 10 {
        return "*".repeat(n);
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str(&"*".repeat(n - 10));
    out.extend(&chars[n - 4..]);
    out
}

/// Free text with every run of seven or more digits masked as a phone number (an ID number's
/// 18 characters keep 6 + 4): the columns a 12345 export brings that Jiesu has no field for
/// (`来电人电话/账号`, `身份证号`, a number inside 备注) are shown this way.
pub fn numbers_in(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let n = run.chars().count();
        if n >= 15 {
            out.push_str(&id_number(run));
        } else if n >= 7 {
            out.push_str(&phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        // An ID number may end in X.
        if c.is_ascii_digit() || ((c == 'X' || c == 'x') && run.chars().count() == 17) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Something that carries residents' personal information.
pub trait Mask {
    /// Mask it as `e` sees it.
    fn mask(&mut self, e: Exposure);
}

impl Mask for Resident {
    fn mask(&mut self, e: Exposure) {
        if e == Exposure::Full {
            return;
        }
        self.phone = phone(&self.phone);
        if e == Exposure::Outsider {
            self.name = name(&self.name);
        }
    }
}

impl Mask for Address {
    fn mask(&mut self, e: Exposure) {
        if e == Exposure::Outsider && !self.room.is_empty() {
            self.room.clear();
        }
    }
}

impl Mask for Case {
    fn mask(&mut self, e: Exposure) {
        self.resident.mask(e);
        self.address.mask(e);
        if let Some(w) = &mut self.work_order {
            w.mask(e);
        }
    }
}

impl Mask for crate::event::WorkOrder {
    fn mask(&mut self, e: Exposure) {
        if e == Exposure::Full {
            return;
        }
        for c in &mut self.columns {
            c.value = numbers_in(&c.value);
        }
    }
}

impl Mask for CaseRow {
    fn mask(&mut self, e: Exposure) {
        if e == Exposure::Outsider {
            self.resident_name = name(&self.resident_name);
        }
    }
}

impl Mask for ResidentHint {
    fn mask(&mut self, e: Exposure) {
        self.resident.mask(e);
        self.address.mask(e);
    }
}

impl Mask for Event {
    fn mask(&mut self, e: Exposure) {
        match &mut self.body {
            EventBody::CaseReceived(r) => {
                r.intake.resident.mask(e);
                r.intake.address.mask(e);
            }
            EventBody::WorkOrderImported(w) => w.mask(e),
            EventBody::AttendeeAdded {
                name: n, phone: p, ..
            } => {
                if e != Exposure::Full {
                    *p = phone(p);
                }
                if e == Exposure::Outsider {
                    *n = name(n);
                }
            }
            _ => {}
        }
    }
}

impl Mask for TimelineEntry {
    fn mask(&mut self, e: Exposure) {
        self.event.mask(e);
    }
}

impl Mask for CaseDetail {
    fn mask(&mut self, e: Exposure) {
        self.case.mask(e);
        self.timeline.mask(e);
    }
}

impl Mask for MeetingDetail {
    fn mask(&mut self, e: Exposure) {
        self.meeting.mask(e);
        self.timeline.mask(e);
    }
}

impl Mask for CasePage {
    fn mask(&mut self, e: Exposure) {
        self.rows.mask(e);
    }
}

impl Mask for Desk {
    fn mask(&mut self, e: Exposure) {
        self.overdue.mask(e);
        self.due_soon.mask(e);
    }
}

impl Mask for OverdueWatch {
    fn mask(&mut self, e: Exposure) {
        self.fell.mask(e);
    }
}

impl Mask for crate::store::AuditRow {
    fn mask(&mut self, e: Exposure) {
        self.case.mask(e);
    }
}

impl Mask for Meeting {
    fn mask(&mut self, e: Exposure) {
        for a in &mut self.attendees {
            if e != Exposure::Full {
                a.phone = phone(&a.phone);
            }
            if e == Exposure::Outsider {
                a.name = name(&a.name);
            }
        }
    }
}

impl<T: Mask> Mask for Vec<T> {
    fn mask(&mut self, e: Exposure) {
        for v in self {
            v.mask(e);
        }
    }
}

impl<T: Mask> Mask for Option<T> {
    fn mask(&mut self, e: Exposure) {
        if let Some(v) = self {
            v.mask(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_text_are_masked_and_short_ones_kept() {
        assert_eq!(
            numbers_in("来电 13812348000，身份证110105199001011234，3号楼"),
            "来电 138****8000，身份证110105********1234，3号楼"
        );
        assert_eq!(numbers_in("11010519900101123X"), "110105********123X");
        assert_eq!(numbers_in("工单 2026113"), "工单 ***6113");
    }

    #[test]
    fn a_mobile_number_keeps_three_and_four() {
        assert_eq!(phone("13812348000"), "138****8000");
        assert_eq!(phone("62345678"), "****5678");
        assert_eq!(phone("12345"), "*2345");
        assert_eq!(phone("1234"), "****");
        assert_eq!(phone(""), "");
        assert_eq!(phone("008613812348000"), "008********8000");
    }

    #[test]
    fn a_name_keeps_its_first_character() {
        assert_eq!(name("王秀英"), "王**");
        assert_eq!(name("欧阳"), "欧*");
        assert_eq!(name("张"), "张");
        assert_eq!(name(""), "");
    }

    #[test]
    fn an_id_number_keeps_six_and_four() {
        assert_eq!(id_number("110105199001011234"), "110105********1234");
        assert_eq!(id_number("12345"), "*****");
    }

    #[test]
    fn handlers_see_names_and_outsiders_do_not() {
        let r = Resident {
            name: "王秀英".into(),
            phone: "13912345678".into(),
        };
        let mut h = r.clone();
        h.mask(Exposure::Handler);
        assert_eq!(
            (h.name.as_str(), h.phone.as_str()),
            ("王秀英", "139****5678")
        );
        let mut o = r.clone();
        o.mask(Exposure::Outsider);
        assert_eq!((o.name.as_str(), o.phone.as_str()), ("王**", "139****5678"));
        let mut f = r.clone();
        f.mask(Exposure::Full);
        assert_eq!(f, r);
    }
}
