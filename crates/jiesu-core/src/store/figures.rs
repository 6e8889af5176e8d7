//! Figures over the case projection: one read of the period's rows (indexed by receipt and
//! by deadline), judged by [`crate::figures::counts`] — the same rule that lists the cases
//! behind every number.

use rusqlite::types::Value as V;
use uuid::Uuid;

use super::{Store, category_column, enum_name, enum_parse};
use crate::api::{CasePage, CaseQuery, CaseRow, Dashboard, ExportedFile};
use crate::error::{Error, Reason, Result};
use crate::figures::{
    self, Dimension, Figure, FigureQuery, FigureRow, FigureSettings, Figures, Group, Judge, Ranking,
};
use crate::model::Satisfaction;
use crate::report;
use rusqlite::OptionalExtension;

/// A row with the keys it can be grouped by.
struct Keyed {
    row: FigureRow,
    unit: String,
    cat1: String,
    cat2: String,
    channel: String,
    building: String,
    office: String,
}

impl Keyed {
    fn key(&self, d: Dimension) -> String {
        match d {
            Dimension::Unit => self.unit.clone(),
            Dimension::Category1 => self.cat1.clone(),
            Dimension::Category2 => self.cat2.clone(),
            Dimension::Channel => self.channel.clone(),
            Dimension::Building => self.building.clone(),
            Dimension::Office => self.office.clone(),
            Dimension::Week | Dimension::Month => figures::period_key(d, self.row.received_at),
        }
    }
}

impl Store {
    /// The figures' settings in force: the last set in the config stream, else the defaults.
    pub fn figure_settings(&self) -> Result<FigureSettings> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM config_values WHERE key = 'figure_settings'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match v {
            Some(v) => serde_json::from_str(&v)?,
            None => FigureSettings::default(),
        })
    }

    /// Change the figures' settings (a config event: traced, and synced along the office
    /// line, so a street's weights reach its communities).
    pub fn set_figure_settings(&mut self, settings: FigureSettings) -> Result<FigureSettings> {
        let unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        for (field, v) in [
            ("weight_response", settings.weight_response),
            ("weight_solution", settings.weight_solution),
            ("weight_satisfaction", settings.weight_satisfaction),
            ("basic_factor", settings.basic_factor),
        ] {
            if !unit(v) {
                return Err(Error::invalid(field, Reason::Unknown));
            }
        }
        let sum =
            settings.weight_response + settings.weight_solution + settings.weight_satisfaction;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(Error::invalid("weights", Reason::WeightsSum));
        }
        if !(1..=10_000).contains(&settings.min_sample) {
            return Err(Error::invalid("min_sample", Reason::Unknown));
        }
        let ev = self.new_event(
            crate::event::CONFIG_STREAM.into(),
            crate::event::EventBody::FigureSettingsSet(Box::new(settings.clone())),
        );
        let sp = self.conn.savepoint()?;
        super::insert_event(&sp, &ev)?;
        super::apply_config(&sp, &ev)?;
        sp.commit()?;
        Ok(settings)
    }

    fn figure_rows(&self, q: &FigureQuery) -> Result<Vec<Keyed>> {
        let mut clauses = vec![
            "((received_at >= ?1 AND received_at < ?2) OR (resolve_due >= ?1 AND resolve_due < ?2))"
                .to_owned(),
        ];
        let mut args: Vec<V> = vec![V::Integer(q.from), V::Integer(q.to)];
        let mut eq = |column: &str, v: String, args: &mut Vec<V>| {
            args.push(V::Text(v));
            clauses.push(format!("{column} = ?{}", args.len()));
        };
        if let Some(u) = q.unit.clone().filter(|u| !u.is_empty()) {
            eq("handling_unit", u, &mut args);
        }
        if let Some(c) = q.category.clone().filter(|c| !c.is_empty()) {
            eq(category_column(&c), c, &mut args);
        }
        if let Some(ch) = q.channel {
            eq("channel", enum_name(&ch), &mut args);
        }
        if let Some(b) = q.building.clone() {
            eq("building", b, &mut args);
        }
        if let Some(o) = q.office.clone().filter(|o| !o.is_empty()) {
            eq("office", o, &mut args);
        }
        let sql = format!(
            "SELECT id, state, received_at, resolved_at, resolve_due, due_rank, extension_count,
                    redo_count, visit_reachable, visit_contacted, visit_solved, satisfaction,
                    letter_due, handling_unit, cat1, cat2, channel, building, office
             FROM case_figures WHERE {}",
            clauses.join(" AND ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            let reachable: Option<bool> = r.get(8)?;
            let satisfaction: Option<String> = r.get(11)?;
            // By hand, not serde: this runs once per case of the period.
            let satisfaction = match satisfaction.as_deref() {
                None => None,
                Some("satisfied") => Some(Satisfaction::Satisfied),
                Some("basically_satisfied") => Some(Satisfaction::BasicallySatisfied),
                Some("dissatisfied") => Some(Satisfaction::Dissatisfied),
                Some(other) => Some(enum_parse(other)?),
            };
            let state: String = r.get(1)?;
            Ok(Keyed {
                row: FigureRow {
                    id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                    state: match crate::model::CaseState::parse(&state) {
                        Some(st) => st,
                        None => enum_parse(&state)?,
                    },
                    received_at: r.get(2)?,
                    resolved_at: r.get(3)?,
                    resolve_due: r.get(4)?,
                    due_rank: r.get(5)?,
                    extensions: r.get(6)?,
                    redos: r.get(7)?,
                    visit: reachable.map(|reachable| {
                        (
                            reachable,
                            r.get::<_, Option<bool>>(9).ok().flatten().unwrap_or(false),
                            r.get::<_, Option<bool>>(10).ok().flatten().unwrap_or(false),
                            satisfaction,
                        )
                    }),
                    letter_due: r.get(12)?,
                },
                unit: r.get(13)?,
                cat1: r.get(14)?,
                cat2: r.get(15)?,
                channel: r.get(16)?,
                building: r.get(17)?,
                office: r.get(18)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn judge(&self, q: &FigureQuery) -> Judge<'_> {
        Judge {
            from: q.from,
            to: q.to,
            now: self.clock.now_ms(),
            calendar: &self.calendar,
        }
    }

    /// The figures of a period (see [`crate::figures`] for the definitions).
    pub fn figures(&self, q: &FigureQuery, settings: &FigureSettings) -> Result<Figures> {
        let rows = self.figure_rows(q)?;
        Ok(figures::compute(
            &self.judge(q),
            settings,
            rows.iter().map(|k| &k.row),
        ))
    }

    /// The figures of a period broken down by `by`, groups in key order. A group exists for
    /// every key that has a case received in the period or a deadline in it.
    pub fn figures_by(
        &self,
        q: &FigureQuery,
        by: Dimension,
        settings: &FigureSettings,
    ) -> Result<Vec<Group>> {
        let rows = self.figure_rows(q)?;
        let judge = self.judge(q);
        let tallies: Vec<figures::Tally> = rows
            .iter()
            .map(|k| figures::tally(&judge, &k.row))
            .collect();
        Ok(group(&rows, &tallies, q, by, settings))
    }

    /// Everything the dashboard shows, from one read of the period: the figures, a trend by
    /// week or month, categories, the unit ranking, building hotspots, channels and offices.
    pub fn dashboard(&self, q: &FigureQuery, trend: Dimension) -> Result<Dashboard> {
        let settings = self.figure_settings()?;
        let rows = self.figure_rows(q)?;
        let judge = self.judge(q);
        let tallies: Vec<figures::Tally> = rows
            .iter()
            .map(|k| figures::tally(&judge, &k.row))
            .collect();
        let by = |d| group(&rows, &tallies, q, d, &settings);
        let mut buildings: Vec<Group> = by(Dimension::Building)
            .into_iter()
            .filter(|g| !g.key.is_empty() && g.figures.received > 0)
            .collect();
        buildings.sort_by(|a, b| {
            b.figures
                .received
                .cmp(&a.figures.received)
                .then(a.key.cmp(&b.key))
        });
        buildings.truncate(HOTSPOTS);
        Ok(Dashboard {
            figures: figures::sum(&settings, &tallies),
            trend: by(trend),
            categories: by(Dimension::Category1),
            ranking: figures::rank(
                by(Dimension::Unit)
                    .into_iter()
                    .filter(|g| !g.key.is_empty())
                    .collect(),
                settings.min_sample,
            ),
            buildings,
            channels: by(Dimension::Channel),
            offices: by(Dimension::Office),
            settings,
        })
    }

    /// Units (or any dimension) ranked, those under the minimum sample listed apart.
    pub fn ranking(
        &self,
        q: &FigureQuery,
        by: Dimension,
        settings: &FigureSettings,
    ) -> Result<Ranking> {
        Ok(figures::rank(
            self.figures_by(q, by, settings)?,
            settings.min_sample,
        ))
    }

    /// The cases a figure counts (optionally within one group of a breakdown), newest first:
    /// exactly those the number counted. `page_size` 0 lists them all (exports, tests).
    pub fn figure_cases(
        &self,
        q: &FigureQuery,
        figure: Figure,
        group: Option<(Dimension, String)>,
        page: u32,
        page_size: u32,
    ) -> Result<CasePage> {
        let rows = self.figure_rows(q)?;
        let judge = self.judge(q);
        let mut hits: Vec<&FigureRow> = rows
            .iter()
            .filter(|k| group.as_ref().is_none_or(|(d, key)| &k.key(*d) == key))
            .filter(|k| figures::counts(&judge, figure, &k.row))
            .map(|k| &k.row)
            .collect();
        hits.sort_by(|a, b| b.received_at.cmp(&a.received_at).then(b.id.cmp(&a.id)));
        let total = hits.len();
        let ids: Vec<Uuid> = match page_size {
            0 => hits.iter().map(|r| r.id).collect(),
            n => hits
                .iter()
                .skip(page as usize * n as usize)
                .take(n as usize)
                .map(|r| r.id)
                .collect(),
        };
        Ok(CasePage {
            rows: self.case_rows(&ids)?,
            total: total as u32,
            more: false,
        })
    }
}

impl Store {
    /// The weekly or monthly report of a period as `.xlsx`: figures with definitions, unit
    /// ranking, categories, and the cases received.
    pub fn report_xlsx(&self, q: &FigureQuery, title: &str) -> Result<Vec<u8>> {
        let d = self.dashboard(q, Dimension::Week)?;
        let cases = self.figure_cases(q, Figure::Received, None, 0, 0)?.rows;
        let (units, categories) = (self.units()?, crate::catalog::category_paths());
        let names = report::Names {
            units: &units,
            categories: &categories,
        };
        report::report_xlsx(title, &d, &cases, &names)
    }

    /// Write the report of `[from, to)` into `dir`, named for the office and the period.
    pub fn save_report(&self, dir: &std::path::Path, q: &FigureQuery) -> Result<ExportedFile> {
        let office = self.office_label();
        let span = format!(
            "{}至{}",
            crate::calendar::local_date(q.from).format("%Y-%m-%d"),
            crate::calendar::local_date(q.to - 1).format("%Y-%m-%d")
        );
        let title = format!("{office} 接诉即办统计（{span}）");
        let bytes = self.report_xlsx(q, &title)?;
        crate::export::save(dir, &format!("{office} {span} 接诉即办统计.xlsx"), &bytes)
    }

    /// The cases behind a figure as CSV, written into `dir`.
    pub fn save_figure_csv(
        &self,
        dir: &std::path::Path,
        q: &FigureQuery,
        figure: Figure,
        group: Option<(Dimension, String)>,
    ) -> Result<ExportedFile> {
        let rows = self.figure_cases(q, figure, group, 0, 0)?.rows;
        self.save_csv(dir, &enum_name(&figure), &rows)
    }

    /// A case list as filtered in the window, every page (up to the count cap), as CSV.
    pub fn save_list_csv(&self, dir: &std::path::Path, q: &CaseQuery) -> Result<ExportedFile> {
        let mut rows = Vec::new();
        let mut page = CaseQuery {
            page: 0,
            page_size: 200,
            ..q.clone()
        };
        loop {
            let p = self.list_cases(&page)?;
            let done = p.rows.len() < 200 || rows.len() + p.rows.len() >= super::COUNT_CAP as usize;
            rows.extend(p.rows);
            if done {
                break;
            }
            page.page += 1;
        }
        self.save_csv(dir, "list", &rows)
    }

    fn save_csv(
        &self,
        dir: &std::path::Path,
        what: &str,
        rows: &[CaseRow],
    ) -> Result<ExportedFile> {
        let (units, categories) = (self.units()?, crate::catalog::category_paths());
        let names = report::Names {
            units: &units,
            categories: &categories,
        };
        let bytes = report::cases_csv(rows, &names)?;
        let stamp = crate::calendar::format_ms(self.clock.now_ms()).replace([':', ' '], "");
        crate::export::save(
            dir,
            &format!("{} 案件清单 {what} {stamp}.csv", self.office_label()),
            &bytes,
        )
    }
}

/// Buildings the dashboard lists as hotspots.
const HOTSPOTS: usize = 10;

/// Group judged rows by `by`. Week and month group what was received, not what fell due.
fn group(
    rows: &[Keyed],
    tallies: &[figures::Tally],
    q: &FigureQuery,
    by: Dimension,
    settings: &FigureSettings,
) -> Vec<Group> {
    let mut groups: std::collections::BTreeMap<String, Vec<&figures::Tally>> = Default::default();
    for (k, t) in rows.iter().zip(tallies) {
        if matches!(by, Dimension::Week | Dimension::Month)
            && !(k.row.received_at >= q.from && k.row.received_at < q.to)
        {
            continue;
        }
        groups.entry(k.key(by)).or_default().push(t);
    }
    groups
        .into_iter()
        .map(|(key, ts)| Group {
            key,
            figures: figures::sum(settings, ts),
        })
        .collect()
}
