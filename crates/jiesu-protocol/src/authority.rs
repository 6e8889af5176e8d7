//! Who may write what, and where it counts: one table, used by the server on every push and
//! by every app on every fold.
//!
//! Offices do not trust each other. The server checks *who* writes a stream (a device writes
//! only as itself, to streams its office sees: see `jiesu-server`'s scope rules); this table
//! says what an event may *claim*:
//!
//! | event | who may write it | where it counts |
//! |---|---|---|
//! | `case_received`, `meeting_scheduled` | any office, as itself | the stream is its office's |
//! | a case step | the office holding the case now, or one above it (an office that transferred a case away sees it read-only) | the stream |
//! | a meeting change | an office that sees the stream (its holder or above) | the stream |
//! | `case_transferred_to_office` | as a step; the receiving office must be in the writer's directory (its district's offices) | the stream moves to that office |
//! | `case_office_assigned`, `meeting_office_assigned` | only the device that filed the case or scheduled the meeting, only to its own office, once, for work done before it enrolled | the stream |
//! | `unit_added`, `calendar_day_set`, `figure_settings_set`, `figure_settings_set_v2` | any office, as itself | the writer's office and the offices below it, never above or beside; where several apply, the nearest office's setting wins |
//! | `campaign_opened` | an enrolled office, as itself, for offices below it only | the writer's office and the offices below it; an office above keeps it to watch, nothing applies beside |
//! | `campaign_amended` | the office that opened the campaign, as itself; offices it adds must be below it | where the campaign counts; from any other office it changes nothing |
//! | `case_campaign_joined` | as a step (the case's holder or above) | the case is a site of that campaign |
//! | a photo (by its hash) | a device that uploads its bytes | served to the offices that see a case whose office uploaded those bytes |
//!
//! The server refuses a push that breaks a rule (403 `out_of_scope`, nothing stored). An app
//! that receives such an event anyway (from an older server) keeps it in its log, records it
//! as a conflict with the reason, shows it, and lets it change nothing; configuration from an
//! office it does not answer to is kept and listed the same way, and not applied.

use std::collections::HashMap;

use crate::error::{Refusal, Result};
use crate::event::{Event, EventBody};
use crate::wire::{Office, OfficeKind, UNENROLLED_OFFICE};

/// The organisation as a lookup table: offices by id, with their children. Offices are only
/// ever added, so a copy that misses an office is out of date, never wrong.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    offices: HashMap<String, Office>,
    children: HashMap<String, Vec<String>>,
}

impl Tree {
    /// Index a list of offices.
    pub fn new(offices: Vec<Office>) -> Tree {
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for o in &offices {
            if let Some(p) = &o.parent {
                children.entry(p.clone()).or_default().push(o.id.clone());
            }
        }
        Tree {
            offices: offices.into_iter().map(|o| (o.id.clone(), o)).collect(),
            children,
        }
    }

    /// One office.
    pub fn get(&self, id: &str) -> Option<&Office> {
        self.offices.get(id)
    }

    /// Whether the table knows no office (an app that never enrolled).
    pub fn is_empty(&self) -> bool {
        self.offices.is_empty()
    }

    /// The office and everything above it, nearest first.
    pub fn with_ancestors(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = self.offices.get(id);
        while let Some(o) = at {
            if out.contains(&o.id) {
                break; // a cycle cannot be created by the admin commands; do not loop anyway
            }
            out.push(o.id.clone());
            at = o.parent.as_ref().and_then(|p| self.offices.get(p));
        }
        out
    }

    /// Everything below the office (not the office itself).
    pub fn descendants(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![id.to_owned()];
        while let Some(o) = stack.pop() {
            for c in self.children.get(&o).into_iter().flatten() {
                if !out.contains(c) {
                    out.push(c.clone());
                    stack.push(c.clone());
                }
            }
        }
        out
    }

    /// Whether `office` holds a stream through one of `holders`: it is one, or above one.
    pub fn sees(&self, office: &str, holders: &[String]) -> bool {
        holders
            .iter()
            .any(|h| self.with_ancestors(h).iter().any(|a| a == office))
    }

    /// Offices a device of `office` can transfer a case to: its district's whole tree, the
    /// district first, then streets, then communities, each by name.
    pub fn directory(&self, office: &str) -> Vec<Office> {
        let top = self
            .with_ancestors(office)
            .last()
            .cloned()
            .unwrap_or_else(|| office.to_owned());
        let mut ids = vec![top.clone()];
        ids.extend(self.descendants(&top));
        let mut out: Vec<Office> = ids
            .iter()
            .filter_map(|i| self.offices.get(i).cloned())
            .collect();
        out.sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
        out
    }
}

fn kind_rank(k: OfficeKind) -> u8 {
    match k {
        OfficeKind::District => 0,
        OfficeKind::Street => 1,
        OfficeKind::Community => 2,
    }
}

fn refused(why: String) -> Refusal {
    Refusal::NoAuthority { why }
}

/// An office assignment (`case_office_assigned`, `meeting_office_assigned`) on a stream filed
/// by device `filed_by`: only that device may give its own earlier work to the office it
/// enrolled into, and to no other.
pub fn assignment(filed_by: &str, ev: &Event) -> Result<()> {
    let (EventBody::CaseOfficeAssigned { office, .. }
    | EventBody::MeetingOfficeAssigned { office, .. }) = &ev.body
    else {
        return Ok(());
    };
    if ev.device != filed_by {
        return Err(refused(format!(
            "only the device that filed it ({filed_by}) may assign it to an office"
        )));
    }
    if *office != ev.office || ev.office == UNENROLLED_OFFICE {
        return Err(refused(format!(
            "a device assigns its work only to its own office ({}), not to {office}",
            ev.office
        )));
    }
    Ok(())
}

/// A transfer by an office of `writer` to `target`: the target must be one of the offices the
/// writer's directory lists (its district). An empty tree (an app that never enrolled, or the
/// directory not yet fetched) cannot tell, and the server has checked.
pub fn transfer(tree: &Tree, writer: &str, target: &str) -> Result<()> {
    if tree.is_empty() || tree.directory(writer).iter().any(|o| o.id == target) {
        Ok(())
    } else {
        Err(refused(format!(
            "office {target} is not in the directory of office {writer}"
        )))
    }
}

/// Whether office `office` answers for a case held by `holder`: it holds it or is above the
/// holder. A tree that knows either office not (an app that never enrolled, a directory older
/// than the office) cannot tell, and says yes: the server has checked who sees the stream.
pub fn answers_for(tree: &Tree, office: &str, holder: &str) -> bool {
    office == holder
        || tree.get(office).is_none()
        || tree.get(holder).is_none()
        || tree.with_ancestors(holder).iter().any(|o| o == office)
}

/// A step on a case held by `holder`, written by an office of `writer`: only the holder and
/// the offices above it act on a case. An office that gave a case away (转办 to a sibling)
/// sees it still, read-only.
pub fn step(tree: &Tree, writer: &str, holder: &str) -> Result<()> {
    if answers_for(tree, writer, holder) {
        Ok(())
    } else {
        Err(refused(format!(
            "office {writer} does not hold this case (office {holder} does) and is not above it"
        )))
    }
}

/// A campaign opened by an office of `writer` for `offices`: each must be below the writer
/// (a street's communities, a district's streets and communities). An empty tree cannot tell,
/// and the server has checked; an office this tree does not know is refused, because a
/// campaign names only offices its opener can see in its directory.
pub fn campaign(tree: &Tree, writer: &str, offices: &[String]) -> Result<()> {
    if writer == UNENROLLED_OFFICE {
        return Err(refused(
            "a campaign is opened by an enrolled office for the offices below it".into(),
        ));
    }
    if tree.is_empty() {
        return Ok(());
    }
    let below = tree.descendants(writer);
    match offices.iter().find(|o| !below.contains(o)) {
        Some(o) => Err(refused(format!(
            "office {o} is not below office {writer}: a campaign reaches only the offices below its opener"
        ))),
        None => Ok(()),
    }
}

/// A change to a campaign opened by office `opener`, written by an office of `writer`: only
/// the opener changes its campaign, and the offices it adds must be below it, as at the
/// opening.
pub fn campaign_change(tree: &Tree, writer: &str, opener: &str, added: &[String]) -> Result<()> {
    if writer != opener {
        return Err(refused(format!(
            "office {writer} did not open this campaign (office {opener} did): only its opener changes it"
        )));
    }
    campaign(tree, writer, added)
}

/// Where a configuration event counts, seen from the replica of office `me` on device
/// `device`: `Some(0)` if it is this office's own (or this device's, from before it
/// enrolled), `Some(n)` if it is from the office `n` levels above, `None` if it comes from
/// an office below or beside, whose settings do not apply here.
pub fn config_rank(tree: &Tree, me: &str, device: &str, ev: &Event) -> Option<usize> {
    if ev.office == UNENROLLED_OFFICE {
        // Written before its device enrolled: that device's own settings.
        return (ev.device == device).then_some(0);
    }
    if ev.office == me {
        return Some(0);
    }
    tree.with_ancestors(me).iter().position(|o| *o == ev.office)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;

    fn office(id: &str, kind: OfficeKind, parent: Option<&str>) -> Office {
        Office {
            id: id.into(),
            name: id.into(),
            kind,
            parent: parent.map(Into::into),
        }
    }

    fn tree() -> Tree {
        Tree::new(vec![
            office("d", OfficeKind::District, None),
            office("s1", OfficeKind::Street, Some("d")),
            office("s2", OfficeKind::Street, Some("d")),
            office("a", OfficeKind::Community, Some("s1")),
            office("b", OfficeKind::Community, Some("s1")),
            office("c", OfficeKind::Community, Some("s2")),
            office("x", OfficeKind::District, None),
            office("xs", OfficeKind::Street, Some("x")),
        ])
    }

    fn ev(office: &str, device: &str, body: EventBody) -> Event {
        Event {
            id: uuid::Uuid::now_v7(),
            stream: uuid::Uuid::now_v7().to_string(),
            hlc: Hlc::ZERO,
            author: "t".into(),
            account: None,
            prev: None,
            sig: None,
            device: device.into(),
            office: office.into(),
            body,
        }
    }

    #[test]
    fn superiors_see_their_communities_and_siblings_do_not() {
        let t = tree();
        let held = vec!["a".to_string()];
        assert!(t.sees("a", &held));
        assert!(t.sees("s1", &held));
        assert!(t.sees("d", &held));
        assert!(!t.sees("b", &held));
        assert!(!t.sees("s2", &held));
        assert!(!t.sees("c", &held));
        assert_eq!(t.with_ancestors("a"), vec!["a", "s1", "d"]);
        let mut below = t.descendants("s1");
        below.sort();
        assert_eq!(below, vec!["a", "b"]);
    }

    #[test]
    fn only_the_holder_and_those_above_it_act_on_a_case() {
        let t = tree();
        assert!(step(&t, "a", "a").is_ok());
        assert!(step(&t, "s1", "a").is_ok());
        assert!(step(&t, "d", "a").is_ok());
        assert!(step(&t, "b", "a").is_err(), "a sibling that gave it away");
        assert!(step(&t, "s2", "a").is_err());
        assert!(step(&t, "a", "s1").is_err(), "never upward");
        // What the tree cannot tell, it does not refuse.
        assert!(step(&t, "new-office", "a").is_ok());
        assert!(step(&Tree::default(), "b", "a").is_ok());
        assert!(step(&t, UNENROLLED_OFFICE, UNENROLLED_OFFICE).is_ok());
    }

    #[test]
    fn the_directory_is_the_whole_district_street_first() {
        let names: Vec<String> = tree().directory("a").into_iter().map(|o| o.id).collect();
        assert_eq!(names, vec!["d", "s1", "s2", "a", "b", "c"]);
    }

    #[test]
    fn config_counts_for_its_office_and_below_the_nearest_first() {
        let t = tree();
        let unit = || EventBody::UnitAdded {
            code: "u".into(),
            name: "u".into(),
        };
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev("a", "dev-b", unit())),
            Some(0)
        );
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev("s1", "dev-s", unit())),
            Some(1)
        );
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev("d", "dev-d", unit())),
            Some(2)
        );
        // Upward and sideways: never.
        assert_eq!(
            config_rank(&t, "s1", "dev-s", &ev("a", "dev-a", unit())),
            None
        );
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev("b", "dev-b", unit())),
            None
        );
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev("s2", "dev-2", unit())),
            None
        );
        // Before enrolment: the writing device's own.
        assert_eq!(
            config_rank(&t, "a", "dev-a", &ev(UNENROLLED_OFFICE, "dev-a", unit())),
            Some(0)
        );
        assert_eq!(
            config_rank(&t, "s1", "dev-s", &ev(UNENROLLED_OFFICE, "dev-a", unit())),
            None
        );
    }

    #[test]
    fn only_the_filing_device_assigns_its_work_and_only_to_its_own_office() {
        let assign = |to: &str| EventBody::CaseOfficeAssigned {
            office: to.into(),
            office_name: String::new(),
        };
        assert!(assignment("dev-a", &ev("a", "dev-a", assign("a"))).is_ok());
        assert!(
            assignment("dev-a", &ev("a", "dev-a", assign("b"))).is_err(),
            "a sibling"
        );
        assert!(
            assignment("dev-a", &ev("b", "dev-b", assign("b"))).is_err(),
            "another device"
        );
        assert!(
            assignment("dev-a", &ev(UNENROLLED_OFFICE, "dev-a", assign("b"))).is_err(),
            "before enrolment, to anyone"
        );
    }

    #[test]
    fn a_campaign_reaches_only_the_offices_below_its_opener() {
        let t = tree();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(campaign(&t, "s1", &names(&["a", "b"])).is_ok());
        assert!(campaign(&t, "d", &names(&["s2", "a", "c"])).is_ok());
        assert!(campaign(&t, "a", &names(&["b"])).is_err(), "a sibling");
        assert!(campaign(&t, "a", &names(&["s1"])).is_err(), "its street");
        assert!(campaign(&t, "s1", &names(&["s1"])).is_err(), "itself");
        assert!(
            campaign(&t, "s1", &names(&["c"])).is_err(),
            "another street's"
        );
        assert!(campaign(&t, "s1", &names(&["nowhere"])).is_err());
        assert!(campaign(&t, UNENROLLED_OFFICE, &names(&["a"])).is_err());
        assert!(campaign(&Tree::default(), "s1", &names(&["a"])).is_ok());
        assert!(campaign_change(&t, "s1", "s1", &names(&["b"])).is_ok());
        assert!(
            campaign_change(&t, "s1", "s1", &[]).is_ok(),
            "a change adding no one"
        );
        assert!(
            campaign_change(&t, "d", "s1", &[]).is_err(),
            "the district above"
        );
        assert!(
            campaign_change(&t, "a", "s1", &[]).is_err(),
            "a community below"
        );
        assert!(
            campaign_change(&t, "s1", "s1", &names(&["c"])).is_err(),
            "another street's"
        );
    }

    #[test]
    fn transfers_stay_inside_the_writers_district() {
        let t = tree();
        assert!(transfer(&t, "a", "c").is_ok());
        assert!(transfer(&t, "a", "s2").is_ok());
        assert!(transfer(&t, "a", "xs").is_err(), "another district");
        assert!(transfer(&t, "a", "nowhere").is_err());
        assert!(transfer(&Tree::default(), "a", "xs").is_ok(), "cannot tell");
    }
}
