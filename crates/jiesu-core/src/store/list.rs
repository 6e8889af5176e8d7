//! The case list and search, and the rows they show.

use super::*;

impl Store {
    /// A page of the case list.
    ///
    /// Every filter is an equality or range on an indexed column whose index also yields the
    /// chosen order, so a page costs a short index walk whatever the store's size. Search picks
    /// its plan by how common the words are: a rare term reads its few hits from the index
    /// and sorts them; a common one (thousands of hits) walks the list order and tests each
    /// row's text, which finds a page after a few hundred rows instead of materialising every
    /// hit. Totals are counted up to [`COUNT_CAP`]. The page itself is chosen as rowids
    /// first and read second, so sorting thousands of matches touches only index entries.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn list_cases(&self, q: &CaseQuery) -> Result<CasePage> {
        let v = self.list_cases_unmasked(q)?;
        self.shown(v)
    }

    /// [`Store::list_cases`] before masking.
    pub(super) fn list_cases_unmasked(&self, q: &CaseQuery) -> Result<CasePage> {
        use rusqlite::types::Value as V;
        let now = self.clock.now_ms();
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<V> = Vec::new();
        let arg = |v: V, args: &mut Vec<V>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if !q.states.is_empty() {
            let list: Vec<String> = q
                .states
                .iter()
                .map(|s| arg(V::Text(s.as_str().into()), &mut args))
                .collect();
            clauses.push(format!("state IN ({})", list.join(",")));
        }
        if let Some(c) = q.category.as_deref().filter(|c| !c.is_empty()) {
            let p = arg(V::Text(c.into()), &mut args);
            clauses.push(format!("{} = {p}", category_column(c)));
        }
        if let Some(u) = q.unit.as_deref().filter(|u| !u.is_empty()) {
            let p = arg(V::Text(u.into()), &mut args);
            clauses.push(format!("handling_unit = {p}"));
        }
        if let Some(ch) = q.channel {
            let p = arg(V::Text(enum_name(&ch)), &mut args);
            clauses.push(format!("channel = {p}"));
        }
        match q.due {
            Some(DueFilter::Overdue) => {
                let p = arg(V::Integer(now), &mut args);
                clauses.push(format!("due_rank <= {p}"));
            }
            Some(DueFilter::DueSoon) => {
                let a = arg(V::Integer(now), &mut args);
                let b = arg(V::Integer(now + DUE_SOON_MS), &mut args);
                clauses.push(format!("due_rank > {a} AND due_rank <= {b}"));
            }
            None => {}
        }
        if q.with_letter {
            clauses.push("letter_due IS NOT NULL".into());
        }
        if let Some(c) = q.campaign {
            let p = arg(V::Text(c.to_string()), &mut args);
            clauses.push(format!("campaign_id = {p}"));
        }
        if let Some(f) = q.from {
            let p = arg(V::Integer(f), &mut args);
            clauses.push(format!("received_at >= {p}"));
        }
        if let Some(t) = q.to {
            let p = arg(V::Integer(t), &mut args);
            clauses.push(format!("received_at < {p}"));
        }
        let mut filtered = !clauses.is_empty();
        let mut search_hits = None;
        if let Some(sq) = search::parse(&q.text) {
            let fts = sq.fts();
            let hits = self.fts_hits(&fts)?;
            if hits < self.dense_search {
                let m = arg(V::Text(fts), &mut args);
                clauses.push(format!(
                    "cases.rowid IN (SELECT rowid FROM case_fts WHERE case_fts MATCH {m})"
                ));
                // The index finds such a term anywhere in the text; its field is confirmed.
                for t in sq.terms.iter().filter(|t| !t.exact()) {
                    clauses.push(term_in_row(t, &mut |v| arg(v, &mut args)));
                }
            } else {
                for t in &sq.terms {
                    clauses.push(term_in_row(t, &mut |v| arg(v, &mut args)));
                }
            }
            if sq.exact() {
                search_hits = Some(hits);
            } else {
                filtered = true;
            }
        }
        let wh = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let order = match q.sort {
            CaseSort::ReceivedDesc => "received_at DESC, cases.rowid DESC",
            CaseSort::ReceivedAsc => "received_at ASC, cases.rowid ASC",
            CaseSort::DueAsc => "due_rank ASC, cases.rowid ASC",
        };
        let size = match q.page_size {
            0 => 50,
            n => n.min(200),
        };
        let counted = match search_hits {
            Some(hits) if !filtered => hits,
            _ => self
                .conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM (SELECT 1 FROM cases {wh} LIMIT {})",
                    COUNT_CAP + 1
                ))?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?,
        };
        // Late row lookup: choose the page's rowids first, where an index can often answer
        // both filter and order without reading a table row, then read just those rows.
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM cases WHERE cases.rowid IN (
                SELECT cases.rowid FROM cases {wh} ORDER BY {order} LIMIT {size} OFFSET {})
             ORDER BY {order}",
            u64::from(q.page) * u64::from(size)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            case_row(r, now)
        })?;
        Ok(CasePage {
            rows: rows.collect::<rusqlite::Result<_>>()?,
            total: counted.min(COUNT_CAP),
            more: counted > COUNT_CAP,
        })
    }

    /// How many cases the search index finds for an FTS expression, up to [`COUNT_CAP`] + 1.
    fn fts_hits(&self, fts: &str) -> Result<u32> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM case_fts WHERE case_fts MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![fts, COUNT_CAP + 1], |r| r.get(0))?)
    }

    /// List rows of the cases at these rowids, newest first (the cases behind a figure).
    pub(crate) fn case_rows(&self, rowids: &[i64]) -> Result<Vec<CaseRow>> {
        let now = self.clock.now_ms();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM cases WHERE rowid IN (SELECT value FROM json_each(?1))
             ORDER BY received_at DESC, rowid DESC"
        ))?;
        let rowids = serde_json::to_string(rowids)?;
        let rows = stmt.query_map([rowids], |r| case_row(r, now))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Case ids matching every term by a plain `LIKE` scan: the oracle the indexed search
    /// is tested against. The terms are read by [`search::parse`] (field words, building
    /// spellings); which categories a word names is worked out here from the catalogue's
    /// level names, not from the indexed text.
    #[cfg(feature = "test-support")]
    pub fn search_by_like_scan(&self, input: &str) -> Result<Vec<Uuid>> {
        use search::Field as F;
        let Some(query) = search::parse(input) else {
            return Ok(Vec::new());
        };
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        for t in &query.terms {
            let fields: &[&str] = match t.field {
                F::Any => &[
                    "number",
                    "resident_name",
                    "resident_phone",
                    "address",
                    "description",
                    "location",
                    "work_order_no",
                ],
                F::Phone => &["resident_phone"],
                F::Number => &["number", "work_order_no"],
                F::Name => &["resident_name"],
                F::Address => &["address"],
                F::Location => &["location"],
                F::Description => &["description"],
            };
            let mut alternatives = Vec::new();
            for spelling in &t.spellings {
                let escaped = spelling
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                args.push(format!("%{escaped}%"));
                let n = args.len();
                alternatives.extend(fields.iter().map(|f| format!("{f} LIKE ?{n} ESCAPE '\\'")));
            }
            if t.field == F::Any {
                // The case's category counts when one of its levels' names holds a spelling.
                for (code, path) in crate::catalog::category_paths() {
                    let named = path
                        .split(" / ")
                        .any(|level| t.spellings.iter().any(|w| level.contains(w.as_str())));
                    if named {
                        args.push(code);
                        alternatives.push(format!("category = ?{}", args.len()));
                    }
                }
            }
            clauses.push(format!("({})", alternatives.join(" OR ")));
        }
        let sql = format!(
            "SELECT id FROM cases WHERE {} ORDER BY id",
            clauses.join(" AND ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    /// What intake can fill in from a phone number already seen.
    /// Masked for the signed-in account ([`crate::privacy`]).
    pub fn find_resident(&self, phone: &str) -> Result<Option<ResidentHint>> {
        let v = self.find_resident_unmasked(phone)?;
        self.shown(v)
    }

    /// [`Store::find_resident`] before masking.
    fn find_resident_unmasked(&self, phone: &str) -> Result<Option<ResidentHint>> {
        let phone = normalize_phone(phone);
        if phone.len() < 5 {
            return Ok(None);
        }
        let latest: Option<Case> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM cases WHERE resident_phone = ?1 ORDER BY received_at DESC LIMIT 1",
                case_doc::CASE_COLUMNS
            ))?
            .query_row([&phone], |r| case_doc::case_at(r, 0))
            .optional()?;
        match latest {
            None => Ok(None),
            Some(c) => {
                let count: u32 = self.conn.query_row(
                    "SELECT count(*) FROM cases WHERE resident_phone = ?1",
                    [&phone],
                    |r| r.get(0),
                )?;
                Ok(Some(ResidentHint {
                    resident: c.resident,
                    address: c.address,
                    case_count: count,
                }))
            }
        }
    }

    /// Every case as projected, by id: what replicas and rebuilds are compared on.
    pub fn all_cases(&self) -> Result<Vec<Case>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM cases ORDER BY id",
            case_doc::CASE_COLUMNS
        ))?;
        let cases = stmt.query_map([], |r| case_doc::case_at(r, 0))?;
        Ok(cases.collect::<rusqlite::Result<_>>()?)
    }
}

/// The columns [`case_row`] reads, in its order.
pub(super) const ROW_COLUMNS: &str = "id, number, state, channel, category, urgency, handling_unit, \
    resident_name, substr(description, 1, 80), received_at, resolve_due, is_open, resolved_at, \
    letter_due, due_rank, \
    (SELECT group_concat(n, ' ') FROM ( \
        SELECT o.number AS n FROM case_links l JOIN cases o ON o.id = l.other \
         WHERE l.case_id = cases.id \
        UNION SELECT o.number FROM case_links l JOIN cases o ON o.id = l.case_id \
         WHERE l.other = cases.id))";

/// One case-list row from [`ROW_COLUMNS`].
pub(super) fn case_row(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<CaseRow> {
    let resolve_due: i64 = r.get(10)?;
    let open: bool = r.get(11)?;
    // An open case is due at the earlier of its deadline and a promised date (`due_rank`).
    let due = if open { r.get(14)? } else { resolve_due };
    let state: CaseState = enum_parse(&r.get::<_, String>(2)?)?;
    let letter = r
        .get::<_, Option<i64>>(13)?
        .map(|due| LetterStatus::judge(state, r.get(12).ok().flatten(), due, now));
    Ok(CaseRow {
        id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
        number: r.get(1)?,
        state,
        channel: enum_parse(&r.get::<_, String>(3)?)?,
        category: r.get(4)?,
        urgency: enum_parse(&r.get::<_, String>(5)?)?,
        handling_unit: r.get(6)?,
        resident_name: r.get(7)?,
        summary: r.get(8)?,
        received_at: r.get(9)?,
        resolve_due,
        due,
        due_status: due_status(open, due, now),
        letter,
        // Links from either end (`case_links`, both directions): a few per case at most.
        linked: r
            .get::<_, Option<String>>(15)?
            .map(|s| s.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

pub(super) fn normalize_phone(p: &str) -> String {
    p.chars().filter(|c| c.is_ascii_digit()).collect()
}

pub(crate) use crate::validate::{new_case as validate_new_case, text};

/// The columns a field word keeps a term to (their text, ASCII-folded as the search text is).
fn field_columns(field: search::Field) -> &'static [&'static str] {
    use search::Field as F;
    match field {
        F::Any => &["search_text"],
        F::Phone => &["resident_phone"],
        F::Number => &["lower(number)", "lower(work_order_no)"],
        F::Name => &["lower(resident_name)"],
        F::Address => &["lower(address)"],
        F::Location => &["lower(location)"],
        F::Description => &["lower(description)"],
    }
}

/// A term tested on the row itself: one of its spellings in one of its field's columns.
fn term_in_row(t: &search::Term, arg: &mut dyn FnMut(rusqlite::types::Value) -> String) -> String {
    let mut alternatives = Vec::new();
    for spelling in &t.spellings {
        let p = arg(rusqlite::types::Value::Text(spelling.clone()));
        for column in field_columns(t.field) {
            alternatives.push(format!("instr({column}, {p}) > 0"));
        }
    }
    format!("({})", alternatives.join(" OR "))
}

// -------------------------------------------------------------------- projection writes
