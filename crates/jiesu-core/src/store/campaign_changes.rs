//! A campaign changed after it opened (`campaign_amended`): the command its opener uses to
//! extend it (延期), edit its charter, add offices below it (each given an item, as at the
//! opening), close it (结束整改) or open it again; and the fold that applies a change from any
//! PC only when the opening office wrote it.
//!
//! A change moves the campaign's last day, which the board counts sites against; it does not
//! move the deadline of a case already given to an office (that is the office's case, and its
//! figures: it asks for an extension as for any case). A closed campaign takes no new sites
//! and no change but opening it again.

use super::campaigns::{Filed, due_of, write_items};
use super::*;
use crate::authority::Tree;
use crate::campaign::{CampaignBoard, CampaignChange, CampaignChangeRecord, CampaignSummary};
use crate::event::{CampaignAmendment, CampaignCharter};
use crate::model::Channel;

/// The campaign `id` as this replica keeps it: (opening office, charter).
fn kept(conn: &Connection, id: Uuid) -> Result<Option<(String, CampaignCharter)>> {
    let row = conn
        .prepare_cached("SELECT office, charter FROM campaigns WHERE id = ?1")?
        .query_row([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    match row {
        Some((office, charter)) => Ok(Some((office, serde_json::from_str(&charter)?))),
        None => Ok(None),
    }
}

/// When campaign `id` was closed, if it is: the last change that closes or reopens it decides.
pub(super) fn closed_at(conn: &Connection, id: Uuid) -> Result<Option<i64>> {
    let last: Option<(i64, bool)> = conn
        .prepare_cached(
            "SELECT at, change ->> '$.closed' FROM campaign_changes
             WHERE campaign = ?1 AND change ->> '$.closed' IS NOT NULL
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(last.and_then(|(at, closed)| closed.then_some(at)))
}

/// Refuse a new site for a closed campaign.
pub(super) fn open_for_sites(summary: &CampaignSummary) -> Result<()> {
    match summary.closed_at {
        Some(_) => Err(Error::invalid("campaign", Reason::Closed)),
        None => Ok(()),
    }
}

/// Why this replica applies no change `ev` (a conflict of the `config` stream), or `None`:
/// the campaign must be one it keeps, the writer its opener, the offices added below it, and
/// a closed campaign only opens again.
pub(super) fn judge(
    conn: &Connection,
    tree: &Tree,
    ev: &Event,
    a: &CampaignAmendment,
) -> Result<Option<String>> {
    let Some((opener, _)) = kept(conn, a.campaign)? else {
        return Ok(Some(format!(
            "changes campaign {}, which this office does not keep",
            a.campaign
        )));
    };
    if let Err(e) = crate::authority::campaign_change(tree, &ev.office, &opener, &a.offices) {
        return Ok(Some(e.to_string()));
    }
    if a.closed != Some(false) && closed_at(conn, a.campaign)?.is_some() {
        return Ok(Some(format!(
            "campaign {} is closed: it is opened again before it changes",
            a.campaign
        )));
    }
    Ok(None)
}

/// Apply a change [`judge`] accepted: the charter as changed, its last day, the record.
pub(super) fn amend(conn: &Connection, ev: &Event, a: &CampaignAmendment) -> Result<()> {
    let Some((_, mut charter)) = kept(conn, a.campaign)? else {
        return Ok(());
    };
    changed(&mut charter, a);
    conn.prepare_cached("UPDATE campaigns SET charter = ?2, due = ?3 WHERE id = ?1")?
        .execute(params![
            a.campaign.to_string(),
            serde_json::to_string(&charter)?,
            due_of(&charter.due_date)?,
        ])?;
    conn.prepare_cached(
        "INSERT INTO campaign_changes (campaign, at, author, change) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        a.campaign.to_string(),
        ev.hlc.wall_ms,
        ev.author,
        serde_json::to_string(a)?,
    ])?;
    Ok(())
}

/// The charter with the change made: fields given replace, offices add up.
fn changed(c: &mut CampaignCharter, a: &CampaignAmendment) {
    let set = |field: &mut String, to: &Option<String>| {
        if let Some(v) = to {
            field.clone_from(v);
        }
    };
    set(&mut c.title, &a.title);
    set(&mut c.problem, &a.problem);
    set(&mut c.standard, &a.standard);
    set(&mut c.due_date, &a.due_date);
    for o in &a.offices {
        if !c.offices.contains(o) {
            c.offices.push(o.clone());
        }
    }
}

/// The opener's changes to campaign `id`, oldest first.
pub(super) fn records(conn: &Connection, id: Uuid) -> Result<Vec<CampaignChangeRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, author, change FROM campaign_changes WHERE campaign = ?1 ORDER BY seq",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, author, change) = row?;
        out.push(CampaignChangeRecord {
            at,
            author,
            change: serde_json::from_str(&change)?,
        });
    }
    Ok(out)
}

impl Store {
    /// 修改 / 延期 / 增加单位 / 结束整改 / 重新启动: the opener changes its campaign. Fields
    /// equal to what it holds are dropped; nothing left to change, or no reason given, is
    /// refused. Each office added gets its item in the same transaction.
    pub fn amend_campaign(&mut self, form: CampaignChange) -> Result<CampaignBoard> {
        let now = self.clock.now_ms();
        let (summary, charter) = self.campaign(form.campaign)?;
        let tree = Tree::new(self.directory()?);
        crate::authority::campaign_change(&tree, &self.identity.office, &summary.office, &[])?;
        let closed = summary.closed_at.is_some();
        let differs =
            |given: Option<String>, field: &'static str, held: &str, long: bool| match given
                .map(|v| v.trim().to_owned())
            {
                Some(v) if v != held => {
                    let v = if long {
                        text(field, v, true)?
                    } else {
                        crate::validate::line(field, v, true)?
                    };
                    Ok(Some(v))
                }
                _ => Ok::<_, Error>(None),
            };
        let title = differs(form.title, "title", &charter.title, false)?;
        let problem = differs(form.problem, "problem", &charter.problem, true)?;
        let standard = differs(form.standard, "standard", &charter.standard, true)?;
        let due_date = match form.due_date.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => {
                let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| Error::invalid("due_date", Reason::BadDate))?;
                let day = day.format("%Y-%m-%d").to_string();
                if day == charter.due_date {
                    None
                } else if day < calendar::local_date(now).format("%Y-%m-%d").to_string() {
                    return Err(Error::invalid("due_date", Reason::DateInPast));
                } else {
                    Some(day)
                }
            }
            _ => None,
        };
        let mut offices: Vec<String> = Vec::new();
        for o in form.offices {
            let o = o.trim().to_owned();
            if !o.is_empty() && !charter.offices.contains(&o) && !offices.contains(&o) {
                offices.push(o);
            }
        }
        if !offices.is_empty() && tree.is_empty() {
            // As at the opening: whom a campaign reaches is read from the directory.
            return Err(Error::invalid("offices", Reason::NotEnrolled));
        }
        crate::authority::campaign(&tree, &self.identity.office, &offices)?;
        let closing = form.closed.filter(|c| *c != closed);
        let change = CampaignAmendment {
            campaign: charter.campaign,
            title,
            problem,
            standard,
            due_date,
            offices,
            closed: closing,
            note: text("note", form.note, false)?,
        };
        if !change.changes_something() {
            return Err(Error::invalid("campaign", Reason::Unchanged));
        }
        if closed && change.closed != Some(false) {
            return Err(Error::invalid("campaign", Reason::Closed));
        }
        if change.note.is_empty() {
            return Err(Error::invalid("note", Reason::Required));
        }
        crate::validate::campaign_amendment(&change)?;

        let amended = self.new_event(
            CONFIG_STREAM.into(),
            EventBody::CampaignAmended(Box::new(change.clone())),
        )?;
        let mut now_charter = charter.clone();
        changed(&mut now_charter, &change);
        let channel = match charter.source.map(|s| self.load_case(s)) {
            Some(Ok(c)) if c.channel == Channel::Media => Channel::Media,
            _ => Channel::Patrol,
        };
        let items: Vec<Filed> = self.file_items(
            &now_charter,
            &change.offices,
            channel,
            due_of(&now_charter.due_date)?,
        )?;
        let sp = self.conn.savepoint()?;
        append(&sp, &amended)?;
        amend(&sp, &amended, &change)?;
        write_items(&sp, &items)?;
        sp.commit()?;
        self.campaign_board(charter.campaign)
    }
}
