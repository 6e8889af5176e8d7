//! Rectification campaigns (专项整改) and clusters across offices ([`crate::campaign`]): the
//! commands that open a campaign and add its sites, the fold of `campaign_opened`, and the
//! board and clusters a superior reads.

use std::collections::HashMap;

use super::cases::number_of;
use super::*;
use crate::authority::Tree;
use crate::campaign::{
    CampaignBoard, CampaignItem, CampaignRow, CampaignSummary, Candidate, Cluster, ClusterCase,
    NewCampaign, NewSite, Progress, ProgressDay, SourceCase, counts, rectified,
};
use crate::event::CampaignCharter;
use crate::model::{Channel, Urgency};

const DAY_MS: i64 = 86_400_000;
/// Days the board's progress chart shows at most.
const MAX_PROGRESS_DAYS: i64 = 366;

/// Why a replica keeps no campaign of `ev` (a conflict of the `config` stream), or `None`:
/// its opener must name only offices below it, and the replica must be that office, below it
/// (the campaign asks work of it) or above it (it watches its offices' campaigns).
pub(super) fn judge(tree: &Tree, here: &str, ev: &Event, c: &CampaignCharter) -> Option<String> {
    if let Err(e) = crate::authority::campaign(tree, &ev.office, &c.offices) {
        return Some(e.to_string());
    }
    let related = ev.office == here
        || tree.with_ancestors(here).contains(&ev.office)
        || tree.with_ancestors(&ev.office).iter().any(|o| o == here);
    (!related).then(|| {
        format!(
            "campaign of office {}, which this office neither answers to nor oversees",
            ev.office
        )
    })
}

/// Keep a campaign this replica may see (after [`judge`]).
pub(super) fn keep(conn: &Connection, ev: &Event, c: &CampaignCharter) -> Result<()> {
    let due = due_of(&c.due_date)?;
    conn.prepare_cached(
        // The first in fold order keeps an id: another office's event reusing it (a street
        // forging its sibling's campaign, seen by the district above both) changes nothing.
        "INSERT OR IGNORE INTO campaigns (id, office, author, opened_at, due, category, charter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        c.campaign.to_string(),
        ev.office,
        ev.author,
        ev.hlc.wall_ms,
        due,
        c.category,
        serde_json::to_string(c)?,
    ])?;
    Ok(())
}

/// The last millisecond of a `YYYY-MM-DD` day (China).
pub(super) fn due_of(date: &str) -> Result<i64> {
    let d = crate::validate::calendar_date(date)?;
    let next = d
        .succ_opt()
        .ok_or(Error::invalid("due_date", Reason::BadDate))?;
    Ok(calendar::start_of_day(next) - 1)
}

/// A campaign row: (summary without totals, charter).
pub(super) type Kept = (CampaignSummary, CampaignCharter);

/// An item made by [`Store::file_items`]: the case and its three events.
pub(super) type Filed = (Case, Vec<Event>);

/// Append items and write their cases.
pub(super) fn write_items(tx: &Connection, items: &[Filed]) -> Result<()> {
    for (case, events) in items {
        super::cases::write_steps(tx, case, events, Reindex::Now)?;
    }
    Ok(())
}

impl Store {
    /// 发起专项整改: open a campaign for offices below this one. One case per office is filed
    /// here and transferred to it in the same transaction (its item, due at the campaign's
    /// last day); the exposed case it starts from, when given, becomes a site too.
    pub fn open_campaign(&mut self, form: NewCampaign) -> Result<CampaignSummary> {
        let now = self.clock.now_ms();
        let title = crate::validate::line("title", form.title, true)?;
        let problem = text("problem", form.problem, true)?;
        let standard = text("standard", form.standard, true)?;
        if !catalog::is_category(&form.category) {
            return Err(Error::invalid("category", Reason::Unknown));
        }
        let day = chrono::NaiveDate::parse_from_str(form.due_date.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid("due_date", Reason::BadDate))?;
        if day < calendar::local_date(now) {
            return Err(Error::invalid("due_date", Reason::DateInPast));
        }
        let due_date = day.format("%Y-%m-%d").to_string();
        let due = due_of(&due_date)?;
        let mut offices: Vec<String> = Vec::new();
        for o in form.offices {
            let o = o.trim().to_owned();
            if !offices.contains(&o) {
                offices.push(o);
            }
        }
        if offices.is_empty() {
            return Err(Error::invalid("offices", Reason::Required));
        }
        let directory = self.directory()?;
        if directory.is_empty() || self.identity.office == crate::wire::UNENROLLED_OFFICE {
            return Err(Error::invalid("offices", Reason::NotEnrolled));
        }
        let tree = Tree::new(directory.clone());
        crate::authority::campaign(&tree, &self.identity.office, &offices)?;
        let source = match form.source.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => {
                let case = self.load_case(self.resolve_case_ref(r)?)?;
                crate::authority::step(&tree, &self.identity.office, &case.office)?;
                if case.campaign.is_some() {
                    return Err(Error::invalid("source", Reason::AlreadyLinked));
                }
                Some(case)
            }
            _ => None,
        };
        let charter = CampaignCharter {
            campaign: Uuid::now_v7(),
            title: title.clone(),
            problem,
            standard,
            category: form.category.clone(),
            due_date,
            source: source.as_ref().map(|c| c.id),
            offices: offices.clone(),
        };
        crate::validate::campaign(&charter)?;
        let opened = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::CampaignOpened(Box::new(charter.clone())),
        )?;
        let channel = match &source {
            Some(c) if c.channel == Channel::Media => Channel::Media,
            _ => Channel::Patrol,
        };
        let items = self.file_items(&charter, &offices, channel, due)?;
        let source_step = match &source {
            Some(c) => {
                let joined = EventBody::CaseCampaignJoined {
                    campaign: charter.campaign,
                    title: title.clone(),
                };
                let ev = self.new_event(c.id.to_string(), joined)?;
                Some((workflow::apply(Some(c), &ev)?, ev))
            }
            None => None,
        };

        let sp = self.conn.savepoint()?;
        append(&sp, &opened)?;
        keep(&sp, &opened, &charter)?;
        write_items(&sp, &items)?;
        if let Some((case, ev)) = &source_step {
            append(&sp, ev)?;
            write_case(&sp, case, ev, Reindex::Keep)?;
        }
        sp.commit()?;
        let (summary, _) = self.campaign(charter.campaign)?;
        self.with_totals(summary)
    }

    /// Each office's item of a campaign: a case filed here as a site of it, due at its last
    /// day, transferred to the office. Made, not written ([`write_items`]).
    pub(super) fn file_items(
        &mut self,
        charter: &CampaignCharter,
        offices: &[String],
        channel: Channel,
        due: i64,
    ) -> Result<Vec<Filed>> {
        let now = self.clock.now_ms();
        let directory = self.directory()?;
        let description: String = format!("【{}】{}", charter.title, charter.problem)
            .chars()
            .take(crate::validate::MAX_TEXT)
            .collect();
        let limits = self.policy.limits(&charter.category, Urgency::Normal);
        let response_due = limits.response.due(&self.calendar, now).min(due);
        let prefix = self.number_prefix(now);
        let taken = self.numbers_taken(&prefix)?;
        let mut items = Vec::new();
        for (i, office) in offices.iter().enumerate() {
            let name = directory
                .iter()
                .find(|o| &o.id == office)
                .map(|o| o.name.clone())
                .unwrap_or_else(|| office.clone());
            let intake = crate::validate::new_case(site_case(
                channel,
                &charter.category,
                description.clone(),
                String::new(),
            ))?;
            let id = Uuid::now_v7();
            let bodies = [
                EventBody::CaseReceived(Box::new(Received {
                    number: number_of(&prefix, taken + i as u32),
                    intake,
                    response_due,
                    resolve_due: due,
                })),
                EventBody::CaseCampaignJoined {
                    campaign: charter.campaign,
                    title: charter.title.clone(),
                },
                EventBody::CaseTransferredToOffice {
                    office: office.clone(),
                    office_name: name,
                    reason: format!("专项整改：{}", charter.title),
                },
            ];
            let mut case: Option<Case> = None;
            let mut events = Vec::new();
            for body in bodies {
                let ev = self.new_event(id.to_string(), body)?;
                case = Some(workflow::apply(case.as_ref(), &ev)?);
                events.push(ev);
            }
            items.push((case.expect("three events folded"), events));
        }
        Ok(items)
    }

    /// 添加点位: a site this office found itself, filed here as a case of the campaign.
    pub fn add_campaign_site(&mut self, site: NewSite) -> Result<Case> {
        let (summary, charter) = self.campaign(site.campaign)?;
        if !summary.mine && !self.answers_to(&summary.office)? {
            return Err(Error::invalid("campaign", Reason::Unknown));
        }
        super::campaign_changes::open_for_sites(&summary)?;
        let location = text("location", site.location, true)?;
        let body = self.received(site_case(
            Channel::Patrol,
            &charter.category,
            site.description,
            location,
        ))?;
        let body = match body {
            // The campaign's last day is the site's too, unless the policy asks sooner.
            EventBody::CaseReceived(mut r) => {
                r.resolve_due = r.resolve_due.min(summary.due).max(r.response_due);
                EventBody::CaseReceived(r)
            }
            other => other,
        };
        let joined = EventBody::CaseCampaignJoined {
            campaign: charter.campaign,
            title: charter.title.clone(),
        };
        self.commit_case_events_then(Uuid::now_v7(), vec![body, joined], None, |_| Ok(()))
    }

    /// 列入专项整改: make a case this office answers for a site of a campaign it sees.
    pub fn join_campaign(&mut self, case_id: Uuid, campaign: Uuid) -> Result<Case> {
        let (summary, charter) = self.campaign(campaign)?;
        if !summary.mine && !self.answers_to(&summary.office)? {
            return Err(Error::invalid("campaign", Reason::Unknown));
        }
        super::campaign_changes::open_for_sites(&summary)?;
        let case = self.load_case(case_id)?;
        let tree = Tree::new(self.directory()?);
        crate::authority::step(&tree, &self.identity.office, &case.office)?;
        let body = EventBody::CaseCampaignJoined {
            campaign,
            title: charter.title,
        };
        self.commit_case_events_then(case_id, vec![body], Some(&case), |_| Ok(()))
    }

    /// Whether `office` is above this one (its campaigns ask work of this office).
    fn answers_to(&self, office: &str) -> Result<bool> {
        let tree = Tree::new(self.directory()?);
        Ok(tree
            .with_ancestors(&self.identity.office)
            .iter()
            .any(|o| o == office))
    }

    /// The campaigns this office sees: its own, those from above, those of offices below it;
    /// the newest first, each with its counts.
    pub fn campaigns(&self) -> Result<Vec<CampaignSummary>> {
        self.kept_campaigns(None)?
            .into_iter()
            .map(|(s, _)| self.with_totals(s))
            .collect()
    }

    fn with_totals(&self, mut s: CampaignSummary) -> Result<CampaignSummary> {
        for item in self.campaign_items(s.id, s.due)? {
            add(&mut s.totals, &item);
        }
        Ok(s)
    }

    pub(super) fn campaign(&self, id: Uuid) -> Result<Kept> {
        self.kept_campaigns(Some(id))?.pop().ok_or(Error::NotFound {
            what: "campaign",
            id: id.to_string(),
        })
    }

    fn kept_campaigns(&self, id: Option<Uuid>) -> Result<Vec<Kept>> {
        let names = self.office_name_map()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT office, author, opened_at, due, charter FROM campaigns
             WHERE ?1 IS NULL OR id = ?1 ORDER BY opened_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([id.map(|i| i.to_string())], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (office, author, opened_at, due, charter) = row?;
            let c: CampaignCharter = serde_json::from_str(&charter)?;
            let closed_at = super::campaign_changes::closed_at(&self.conn, c.campaign)?;
            out.push((
                CampaignSummary {
                    id: c.campaign,
                    title: c.title.clone(),
                    category: c.category.clone(),
                    due_date: c.due_date.clone(),
                    due,
                    office_name: names.get(&office).cloned().unwrap_or(office.clone()),
                    mine: office == self.identity.office,
                    office,
                    author,
                    opened_at,
                    closed_at,
                    totals: Progress::default(),
                },
                c,
            ));
        }
        Ok(out)
    }

    /// Office names from the directory (this office's own name when it has none).
    fn office_name_map(&self) -> Result<HashMap<String, String>> {
        let mut names: HashMap<String, String> = self
            .directory()?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        names
            .entry(self.identity.office.clone())
            .or_insert(self.identity.office_name.clone());
        Ok(names)
    }

    /// Every site of a campaign this replica holds.
    fn campaign_items(&self, id: Uuid, due: i64) -> Result<Vec<CampaignItem>> {
        let now = self.clock.now_ms();
        let names = self.office_name_map()?;
        // The log keeps a case's id (its stream) as the id's 16 bytes (`log::IdColumn`).
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.number, c.office, c.state, c.location, c.description, c.received_at,
                    c.resolved_at, coalesce(c.doc ->> '$.result', ''),
                    (SELECT e.office FROM events e WHERE e.stream = unhex(replace(c.id, '-', ''))
                     ORDER BY e.hlc_wall, e.hlc_counter, e.id LIMIT 1)
             FROM cases c WHERE c.campaign_id = ?1 ORDER BY c.office, c.number",
        )?;
        let mut rows = stmt.query([id.to_string()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let case_id: String = r.get(0)?;
            let number: String = r.get(1)?;
            let office: String = r.get(2)?;
            let state: String = r.get(3)?;
            let location: String = r.get(4)?;
            let description: String = r.get(5)?;
            let received_at: i64 = r.get(6)?;
            let resolved_at: Option<i64> = r.get(7)?;
            let result: Option<String> = r.get(8)?;
            // The office whose PC filed it: the holder's own find, or the opener's item.
            let filer: Option<String> = r.get(9)?;
            let state: CaseState = enum_parse(&state)?;
            let done = rectified(state);
            out.push(CampaignItem {
                case_id: Uuid::parse_str(&case_id)
                    .map_err(|_| Error::invalid("case", Reason::Malformed))?,
                number,
                office_name: names.get(&office).cloned().unwrap_or(office.clone()),
                own_site: filer.as_deref() == Some(office.as_str()),
                office,
                state,
                location,
                summary: description.chars().take(80).collect(),
                received_at,
                // The campaign's last day, as extended (a site's own deadline is its
                // office's, moved by the case's own extension).
                due,
                resolved_at,
                result: result.unwrap_or_default(),
                rectified: done,
                overdue: !done && counts(state) && now > due,
            });
        }
        Ok(out)
    }

    /// A campaign's board ([`CampaignBoard`]).
    pub fn campaign_board(&self, id: Uuid) -> Result<CampaignBoard> {
        let (mut summary, charter) = self.campaign(id)?;
        let items = self.campaign_items(id, summary.due)?;
        let names = self.office_name_map()?;
        let mut rows: Vec<CampaignRow> = charter
            .offices
            .iter()
            .map(|o| CampaignRow {
                office: o.clone(),
                office_name: names.get(o).cloned().unwrap_or(o.clone()),
                progress: Progress::default(),
                own_sites: 0,
            })
            .collect();
        for item in &items {
            let at = match rows.iter().position(|r| r.office == item.office) {
                Some(i) => i,
                None => {
                    rows.push(CampaignRow {
                        office: item.office.clone(),
                        office_name: item.office_name.clone(),
                        progress: Progress::default(),
                        own_sites: 0,
                    });
                    rows.len() - 1
                }
            };
            add(&mut rows[at].progress, item);
            add(&mut summary.totals, item);
            if item.own_site && counts(item.state) {
                rows[at].own_sites += 1;
            }
        }
        let source = match charter.source {
            Some(s) => self
                .conn
                .prepare_cached("SELECT number FROM cases WHERE id = ?1")?
                .query_row([s.to_string()], |r| r.get::<_, String>(0))
                .optional()?
                .map(|number| SourceCase { case_id: s, number }),
            None => None,
        };
        let category_path = catalog::category_paths()
            .into_iter()
            .find(|(c, _)| *c == charter.category)
            .map(|(_, p)| p)
            .unwrap_or(charter.category.clone());
        let until = summary
            .closed_at
            .unwrap_or(i64::MAX)
            .min(self.clock.now_ms());
        let progress = progress_days(&items, summary.opened_at, until);
        let addable = if summary.mine {
            let directory = self.directory()?;
            let below = Tree::new(directory.clone()).descendants(&self.identity.office);
            directory
                .into_iter()
                .filter(|o| below.contains(&o.id) && !charter.offices.contains(&o.id))
                .collect()
        } else {
            Vec::new()
        };
        Ok(CampaignBoard {
            summary,
            problem: charter.problem,
            standard: charter.standard,
            category_path,
            source,
            rows,
            items,
            progress,
            changes: super::campaign_changes::records(&self.conn, id)?,
            addable,
        })
    }

    /// 同类问题: clusters of alike cases across the offices this replica sees, received in
    /// the last `days` days ([`crate::campaign::clusters`]).
    pub fn clusters(&self, days: u32) -> Result<Vec<Cluster>> {
        let now = self.clock.now_ms();
        let since = now.saturating_sub(i64::from(days.clamp(1, 366)) * DAY_MS);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, office, state, received_at, description, location, category,
                    campaign_id IS NOT NULL
             FROM cases WHERE received_at >= ?1 AND state NOT IN ('withdrawn', 'merged')",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, bool>(8)?,
            ))
        })?;
        let mut cases = Vec::new();
        for row in rows {
            let (id, number, office, state, received_at, description, location, category, c) = row?;
            cases.push(Candidate {
                case: ClusterCase {
                    case_id: Uuid::parse_str(&id)
                        .map_err(|_| Error::invalid("case", Reason::Malformed))?,
                    number,
                    office,
                    state: enum_parse(&state)?,
                    received_at,
                    summary: description.chars().take(80).collect(),
                    in_campaign: c,
                },
                category,
                text: format!("{description} {location}"),
            });
        }
        let labels: HashMap<String, String> = catalog::category_paths()
            .into_iter()
            .map(|(code, path)| {
                let leaf = path.rsplit(" / ").next().unwrap_or(&path).to_owned();
                (code, leaf)
            })
            .collect();
        let mut out = crate::campaign::clusters(cases, &self.office_name_map()?, &labels, now);
        for c in &mut out {
            c.cases.sort_by_key(|c| std::cmp::Reverse(c.received_at));
            // A district's group can hold thousands: the window lists the newest, `size`
            // counts them all.
            c.cases.truncate(crate::campaign::MAX_LISTED);
        }
        Ok(out)
    }
}

/// The intake of a site: the office itself found it (no resident), normal urgency.
fn site_case(channel: Channel, category: &str, description: String, location: String) -> NewCase {
    NewCase {
        channel,
        work_order_no: String::new(),
        category: category.to_owned(),
        urgency: Urgency::Normal,
        resident: Default::default(),
        address: Default::default(),
        description,
        location,
        attachment: None,
        meeting: None,
    }
}

fn add(p: &mut Progress, i: &CampaignItem) {
    if !counts(i.state) {
        return;
    }
    p.found += 1;
    if i.rectified {
        p.rectified += 1;
    }
    if i.overdue {
        p.overdue += 1;
    }
}

/// Found and rectified by the end of each day from the opening to `now`.
fn progress_days(items: &[CampaignItem], opened_at: i64, now: i64) -> Vec<ProgressDay> {
    let first = jiesu_protocol::time::day_number(opened_at);
    let last = jiesu_protocol::time::day_number(now).clamp(first, first + MAX_PROGRESS_DAYS - 1);
    (first..=last)
        .map(|day| {
            let end = calendar::start_of_day(jiesu_protocol::time::date_of(day + 1)) - 1;
            let live = items.iter().filter(|i| counts(i.state));
            ProgressDay {
                date: jiesu_protocol::time::date_of(day)
                    .format("%Y-%m-%d")
                    .to_string(),
                found: live.clone().filter(|i| i.received_at <= end).count() as u32,
                rectified: live
                    .filter(|i| i.rectified && i.resolved_at.is_some_and(|t| t <= end))
                    .count() as u32,
            }
        })
        .collect()
}
