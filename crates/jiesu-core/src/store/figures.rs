//! Figures over the case projection: one read of the period's rows (indexed by receipt and
//! by deadline), judged by [`crate::figures::counts`] — the same rule that lists the cases
//! behind every number.

use rusqlite::types::Value as V;

use super::facts::{Fact, decode_fact};
use super::{Store, category_column, enum_name, find_figure_key};
use crate::api::{CasePage, Dashboard};
use crate::error::Result;
use crate::figures::{
    self, Dimension, Figure, FigureQuery, FigureRow, FigureSettings, Figures, Group, Judge, Ranking,
};
use rusqlite::OptionalExtension;

/// A row with the keys it can be grouped by, each key an index into [`Period::names`]: a
/// month at a million cases is ~90k rows, and strings per row per breakdown were most of the
/// dashboard's time.
struct Keyed {
    row: FigureRow,
    keys: [u32; DIMENSIONS],
}

/// Dimensions in [`Keyed::keys`] order.
const DIMENSIONS: usize = 8;

fn slot(d: Dimension) -> usize {
    match d {
        Dimension::Unit => 0,
        Dimension::Category1 => 1,
        Dimension::Category2 => 2,
        Dimension::Channel => 3,
        Dimension::Building => 4,
        Dimension::Office => 5,
        Dimension::Week => 6,
        Dimension::Month => 7,
    }
}

/// The rows of a period and the key strings they refer to, by dense ids (so a breakdown
/// groups into a vector, not a map).
#[derive(Default)]
struct Period {
    rows: Vec<Keyed>,
    /// Key strings by dense id.
    names: Vec<String>,
    /// `figure_keys` id → dense id (`u32::MAX`: not seen).
    dense: Vec<u32>,
    /// Dense ids whose name is still in `figure_keys`: (dense, stored id).
    unnamed: Vec<(u32, i64)>,
    /// Week and month keys per China day number: formatting a date per row is slow.
    days: std::collections::HashMap<i64, [u32; 2]>,
    /// Dense ids of the week and month names: the seven days of a week share one.
    periods: std::collections::HashMap<String, u32>,
}

impl Period {
    fn stored(&mut self, key: u32) -> u32 {
        let i = key as usize;
        if i >= self.dense.len() {
            self.dense.resize(i + 1, u32::MAX);
        }
        if self.dense[i] == u32::MAX {
            self.dense[i] = self.names.len() as u32;
            self.unnamed.push((self.dense[i], i64::from(key)));
            self.names.push(String::new());
        }
        self.dense[i]
    }

    fn period_keys(&mut self, received_at: i64) -> [u32; 2] {
        let day = (received_at + 8 * 3_600_000).div_euclid(86_400_000);
        if let Some(k) = self.days.get(&day) {
            return *k;
        }
        let mut name = |d| {
            let name = figures::period_key(d, received_at);
            *self.periods.entry(name).or_insert_with_key(|name| {
                self.names.push(name.clone());
                self.names.len() as u32 - 1
            })
        };
        let k = [name(Dimension::Week), name(Dimension::Month)];
        self.days.insert(day, k);
        k
    }

    /// Fill in the names of the stored keys the rows use.
    fn name_keys(&mut self, conn: &rusqlite::Connection) -> Result<()> {
        let ids: Vec<i64> = self.unnamed.iter().map(|(_, k)| *k).collect();
        let mut stmt = conn.prepare_cached(
            "SELECT id, value FROM figure_keys WHERE id IN (SELECT value FROM json_each(?1))",
        )?;
        let mut rows = stmt.query([serde_json::to_string(&ids)?])?;
        while let Some(r) = rows.next()? {
            let (id, value): (i64, String) = (r.get(0)?, r.get(1)?);
            self.names[self.dense[id as usize] as usize] = value;
        }
        self.unnamed.clear();
        Ok(())
    }
}

/// Periods shorter than this are read on one connection: a thread is not worth it.
const SPLIT_SPAN: i64 = 7 * 86_400_000;

/// About how many days of receipts the deadline branch reads (deadlines are mostly 3 working
/// days out), for balancing the two reading threads.
const DUE_BRANCH_DAYS: i64 = 5 * 86_400_000;

/// Grouping keys stored in a fact, in its order: unit, category levels 1 and 2, channel,
/// building, office (the [`slot`]s of those dimensions), then the whole category.
pub(super) const STORED_KEYS: usize = 7;

/// The stored keys that are also breakdown dimensions (all but the whole category).
const GROUPED_KEYS: usize = STORED_KEYS - 1;

/// The stored key a filter on a category of this depth compares (the slot in a fact).
fn category_slot(code: &str) -> usize {
    match category_column(code) {
        "cat1" => slot(Dimension::Category1),
        "cat2" => slot(Dimension::Category2),
        _ => GROUPED_KEYS,
    }
}

/// Run one figures query, appending the facts that pass `filter` (a stored key id per slot,
/// `None`: any) and are held by an office in `charge` (office key ids, sorted; `None`: any)
/// to `out`.
fn read_facts(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[V],
    filter: &[Option<u32>; STORED_KEYS],
    charge: &Option<Vec<u32>>,
    out: &mut Vec<Fact>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    while let Some(r) = rows.next()? {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, e)
        };
        let blob = r.get_ref(0)?.as_blob().map_err(|e| bad(e.into()))?;
        let fact = decode_fact(blob)
            .ok_or_else(|| bad(format!("an unreadable case fact ({} bytes)", blob.len()).into()))?;
        if filter
            .iter()
            .zip(fact.1)
            .all(|(want, key)| want.is_none_or(|w| w == key))
            && charge
                .as_ref()
                .is_none_or(|c| c.binary_search(&fact.1[slot(Dimension::Office)]).is_ok())
        {
            out.push(fact);
        }
    }
    Ok(())
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
        crate::validate::figure_settings(&settings)?;
        let ev = self.new_event(
            crate::event::CONFIG_STREAM.into(),
            crate::event::EventBody::FigureSettingsSetV2(Box::new(settings.clone().into())),
        )?;
        let sp = self.conn.savepoint()?;
        super::append(&sp, &ev)?;
        super::apply_config(&sp, &ev)?;
        sp.commit()?;
        Ok(settings)
    }

    /// The rows the period's figures judge: received in it (one range of the clustered
    /// table), or with a deadline in it and received outside it (picked from the covering
    /// deadline index first, so only those rows are looked up). UNION ALL, not one OR, which
    /// made SQLite deduplicate rowids through a RowSet.
    ///
    /// A store on disk reads the first half of the period's receipts on a second connection
    /// in another thread while this one reads the rest: decoding the rows is most of a
    /// dashboard's time, and an office PC has at least two cores. The writer is idle meanwhile
    /// (the caller holds the store), so both read the same committed state.
    fn figure_rows(&self, q: &FigureQuery) -> Result<Period> {
        crate::validate::period(q.from, q.to)?;
        // ?1–?2: the receipts this read covers; ?3–?4: the period.
        let mut args: Vec<V> = vec![
            V::Integer(q.from),
            V::Integer(q.to),
            V::Integer(q.from),
            V::Integer(q.to),
        ];
        // The query's dimensions, as the stored keys they must equal. A value never stored
        // matches nothing: an empty period, not an error (a unit with no cases yet).
        let mut filter = [None; STORED_KEYS];
        let mut wanted = Vec::new();
        if let Some(u) = q.unit.clone().filter(|u| !u.is_empty()) {
            wanted.push((slot(Dimension::Unit), u));
        }
        if let Some(c) = q.category.clone().filter(|c| !c.is_empty()) {
            wanted.push((category_slot(&c), c));
        }
        if let Some(ch) = q.channel {
            wanted.push((slot(Dimension::Channel), enum_name(&ch)));
        }
        if let Some(b) = q.building.clone() {
            wanted.push((slot(Dimension::Building), b));
        }
        if let Some(o) = q.office.clone().filter(|o| !o.is_empty()) {
            wanted.push((slot(Dimension::Office), o));
        }
        for (slot, value) in wanted {
            match find_figure_key(&self.conn, &value)?.and_then(|id| u32::try_from(id).ok()) {
                Some(id) => filter[slot] = Some(id),
                None => return Ok(Period::default()),
            }
        }
        let charge = self.charge_keys()?;
        let received = "SELECT fact FROM case_facts
             WHERE received_at >= ?1 AND received_at < ?2 AND ?3 <= ?4";
        let with_due = format!(
            "{received}
             UNION ALL
             SELECT fact FROM case_facts
             WHERE (received_at, case_rowid) IN (
                 SELECT received_at, case_rowid FROM case_facts INDEXED BY case_facts_by_due
                 WHERE resolve_due >= ?3 AND resolve_due < ?4
                   AND (received_at < ?3 OR received_at >= ?4))"
        );
        let mut raw = Vec::new();
        let reader = self.figure_reader()?;
        match (reader, q.to - q.from > SPLIT_SPAN) {
            (Some(reader), true) => {
                // This thread also reads the cases falling due early in the period (received
                // in the days before it): give the other thread that many more days.
                let span = q.to - q.from;
                let mid = q.from + (span + DUE_BRANCH_DAYS.min(span / 2)) / 2;
                let mut first_args = args.clone();
                first_args[1] = V::Integer(mid);
                args[0] = V::Integer(mid);
                let (first, rest) = std::thread::scope(|scope| {
                    let first = scope.spawn(|| {
                        let conn = reader.lock().unwrap_or_else(|p| p.into_inner());
                        let conn = conn.as_ref().expect("opened above");
                        let mut out = Vec::new();
                        read_facts(conn, received, &first_args, &filter, &charge, &mut out)
                            .map(|()| out)
                    });
                    let mut out = Vec::new();
                    let rest = read_facts(&self.conn, &with_due, &args, &filter, &charge, &mut out)
                        .map(|()| out);
                    (first.join(), rest)
                });
                raw = first.unwrap_or_else(|p| std::panic::resume_unwind(p))?;
                raw.extend(rest?);
            }
            _ => read_facts(&self.conn, &with_due, &args, &filter, &charge, &mut raw)?,
        }
        let mut period = Period::default();
        period.rows.reserve(raw.len());
        for (row, stored) in raw {
            let [week, month] = period.period_keys(row.received_at);
            let mut keys = [0; DIMENSIONS];
            for (i, key) in stored.into_iter().take(GROUPED_KEYS).enumerate() {
                keys[i] = period.stored(key);
            }
            keys[slot(Dimension::Week)] = week;
            keys[slot(Dimension::Month)] = month;
            period.rows.push(Keyed { row, keys });
        }
        period.name_keys(&self.conn)?;
        Ok(period)
    }

    /// The office keys of the cases this office answers for (see [`crate::figures`], "which
    /// office"): its own, those of the offices below it, and its own work from before it
    /// enrolled. `None` when the directory does not know this office: every case counts.
    fn charge_keys(&self) -> Result<Option<Vec<u32>>> {
        let tree = crate::authority::Tree::new(self.directory()?);
        let me = &self.identity.office;
        if tree.get(me).is_none() {
            return Ok(None);
        }
        let mut offices = tree.descendants(me);
        offices.push(me.clone());
        offices.push(crate::wire::UNENROLLED_OFFICE.to_owned());
        let mut keys = Vec::new();
        for o in offices {
            if let Some(k) = find_figure_key(&self.conn, &o)?.and_then(|k| u32::try_from(k).ok()) {
                keys.push(k);
            }
        }
        keys.sort_unstable();
        Ok(Some(keys))
    }

    /// The second connection, opened on first use; `None` for a store in memory.
    fn figure_reader(&self) -> Result<Option<&std::sync::Mutex<Option<rusqlite::Connection>>>> {
        Ok(
            open_reader(self.dir.as_deref(), self.key.as_ref(), &self.reader)?
                .then_some(&self.reader),
        )
    }

    fn judge(&self, q: &FigureQuery, settings: &FigureSettings) -> Judge<'_> {
        Judge {
            from: q.from,
            to: q.to,
            now: self.clock.now_ms(),
            calendar: &self.calendar,
            visits: settings.visit_rule,
        }
    }

    /// The figures of a period (see [`crate::figures`] for the definitions).
    pub fn figures(&self, q: &FigureQuery, settings: &FigureSettings) -> Result<Figures> {
        let period = self.figure_rows(q)?;
        Ok(figures::compute(
            &self.judge(q, settings),
            settings,
            period.rows.iter().map(|k| &k.row),
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
        let period = self.figure_rows(q)?;
        let judge = self.judge(q, settings);
        let tallies: Vec<figures::Tally> = period
            .rows
            .iter()
            .map(|k| figures::tally(&judge, &k.row))
            .collect();
        Ok(group(&period, &tallies, q, by, settings))
    }

    /// Everything the dashboard shows, from one read of the period: the figures, a trend by
    /// week or month, categories, the unit ranking, building hotspots, channels and offices.
    pub fn dashboard(&self, q: &FigureQuery, trend: Dimension) -> Result<Dashboard> {
        let settings = self.figure_settings()?;
        let period = self.figure_rows(q)?;
        let judge = self.judge(q, &settings);
        let tallies: Vec<figures::Tally> = period
            .rows
            .iter()
            .map(|k| figures::tally(&judge, &k.row))
            .collect();
        let by = |d| group(&period, &tallies, q, d, &settings);
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

    /// The figures of the stretch `q`'s period is compared with (环比, [`crate::period`]),
    /// under the same filters and settings: read apart from the dashboard, so its first paint
    /// waits for one period only.
    pub fn earlier_figures(&self, q: &FigureQuery) -> Result<crate::period::Earlier> {
        crate::validate::period(q.from, q.to)?;
        let (from, to, to_date, months) = crate::period::earlier(q.from, q.to, self.clock.now_ms());
        let settings = self.figure_settings()?;
        let figures = self.figures(
            &FigureQuery {
                from,
                to,
                ..q.clone()
            },
            &settings,
        )?;
        Ok(crate::period::Earlier {
            from,
            to,
            to_date,
            months,
            figures,
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
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn figure_cases(
        &self,
        q: &FigureQuery,
        figure: Figure,
        group: Option<(Dimension, String)>,
        page: u32,
        page_size: u32,
    ) -> Result<CasePage> {
        let v = self.figure_cases_unmasked(q, figure, group, page, page_size)?;
        self.shown(v)
    }

    fn figure_cases_unmasked(
        &self,
        q: &FigureQuery,
        figure: Figure,
        group: Option<(Dimension, String)>,
        page: u32,
        page_size: u32,
    ) -> Result<CasePage> {
        let period = self.figure_rows(q)?;
        let settings = self.figure_settings()?;
        let judge = self.judge(q, &settings);
        let mut hits: Vec<&FigureRow> = period
            .rows
            .iter()
            .filter(|k| {
                group
                    .as_ref()
                    .is_none_or(|(d, key)| &period.names[k.keys[slot(*d)] as usize] == key)
            })
            .filter(|k| figures::counts(&judge, figure, &k.row))
            .map(|k| &k.row)
            .collect();
        // The list's own order (received, then rowid, newest first), so a page is a slice.
        hits.sort_by(|a, b| b.received_at.cmp(&a.received_at).then(b.case.cmp(&a.case)));
        let total = hits.len();
        let ids: Vec<i64> = match page_size {
            0 => hits.iter().map(|r| r.case).collect(),
            n => hits
                .iter()
                .skip(page as usize * n as usize)
                .take(n as usize)
                .map(|r| r.case)
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
    /// Every case a figure of the period counts, newest first, with the office it counts
    /// under and its facts ([`figures::audit`]): the report's auditable case sheet.
    pub fn figure_audit(&self, q: &FigureQuery) -> Result<Vec<AuditRow>> {
        let period = self.figure_rows(q)?;
        let settings = self.figure_settings()?;
        let judge = self.judge(q, &settings);
        let mut hits: Vec<(&Keyed, figures::Audit)> = period
            .rows
            .iter()
            .filter_map(|k| figures::audit(&judge, &k.row).map(|a| (k, a)))
            .collect();
        // `case_rows`' own order, so the two zip.
        hits.sort_by(|(a, _), (b, _)| {
            (b.row.received_at, b.row.case).cmp(&(a.row.received_at, a.row.case))
        });
        let ids: Vec<i64> = hits.iter().map(|(k, _)| k.row.case).collect();
        let rows = self.case_rows(&ids)?;
        if rows.len() != hits.len() {
            return Err(crate::error::Error::NotFound {
                what: "counted case",
                id: format!("{} of {}", hits.len() - rows.len(), hits.len()),
            });
        }
        Ok(rows
            .into_iter()
            .zip(hits)
            .map(|(case, (k, facts))| AuditRow {
                case,
                office: period.names[k.keys[slot(Dimension::Office)] as usize].clone(),
                facts,
            })
            .collect())
    }
}

/// A case and its facts, as the report's case sheet lists them.
pub struct AuditRow {
    /// The case's list row.
    pub case: crate::api::CaseRow,
    /// The office it counts under (its holder; `local` before enrolment).
    pub office: String,
    /// What each figure makes of it.
    pub facts: figures::Audit,
}

/// Buildings the dashboard lists as hotspots.
const HOTSPOTS: usize = 10;

/// Group judged rows by `by`, groups in key order. Week and month group what was received,
/// not what fell due.
fn group(
    period: &Period,
    tallies: &[figures::Tally],
    q: &FigureQuery,
    by: Dimension,
    settings: &FigureSettings,
) -> Vec<Group> {
    let slot = slot(by);
    let mut groups: Vec<Vec<&figures::Tally>> = vec![Vec::new(); period.names.len()];
    for (k, t) in period.rows.iter().zip(tallies) {
        if matches!(by, Dimension::Week | Dimension::Month)
            && !(k.row.received_at >= q.from && k.row.received_at < q.to)
        {
            continue;
        }
        groups[k.keys[slot] as usize].push(t);
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .enumerate()
        .filter(|(_, ts)| !ts.is_empty())
        .map(|(id, ts)| Group {
            key: period.names[id].clone(),
            figures: figures::sum(settings, ts),
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// The reading connection's page cache (negative: KiB, as SQLite's `cache_size` takes it).
pub(super) const READER_CACHE_KIB: i64 = -32_768;

/// Open the store's second, read-only connection into `reader` unless it is open. `false`
/// for a store in memory, which has no second connection.
pub(super) fn open_reader(
    dir: Option<&std::path::Path>,
    key: Option<&super::DbKey>,
    reader: &std::sync::Mutex<Option<rusqlite::Connection>>,
) -> Result<bool> {
    let Some(dir) = dir else {
        return Ok(false);
    };
    let mut reader = reader.lock().unwrap_or_else(|p| p.into_inner());
    if reader.is_none() {
        let conn = super::cipher::connect(
            &dir.join(super::DB_FILE),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            key,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
        *reader = Some(conn);
    }
    Ok(true)
}
