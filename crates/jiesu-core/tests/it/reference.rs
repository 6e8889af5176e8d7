//! The independent reference for figures: plain SQL over a store's cases, its log
//! and its receipts, written apart from the Rust figure code, and shared by the core's tests
//! (one office's generated sample) and the server's (every level of an office tree after
//! sync, `crates/jiesu-server/tests/it/figures.rs` includes this file).

use jiesu_core::figures::{Figures, VisitRule};
use jiesu_core::{Store, calendar};
use rusqlite::{Connection, params};

/// A case row's whole document (the case as JSON, as v24 and earlier kept it in `doc`), in SQL
/// over the row `c`: its columns, then every field at its default, then the row's `doc`,
/// which from v25 holds the rest (`store/case_doc.rs`), merged over them. Rebuilt here apart
/// from the Rust that splits a case, so the reference stays independent of it.
pub const WHOLE_DOC: &str = r#"json_patch(json_object(
    'id', c.id, 'number', c.number, 'office', c.office, 'filed_by', '', 'state', c.state,
    'channel', c.channel, 'work_order_no', c.work_order_no, 'category', c.category,
    'urgency', c.urgency,
    'resident', json_object('name', c.resident_name, 'phone', c.resident_phone),
    'address', json('{"building":"","unit":"","room":"","text":""}'),
    'description', c.description, 'location', c.location, 'attachment', NULL,
    'handling_unit', c.handling_unit, 'received_at', c.received_at,
    'response_due', c.response_due, 'resolve_due', c.resolve_due, 'responded_at', NULL,
    'resolved_at', c.resolved_at, 'outcome', NULL, 'result', '',
    'visit', c.doc -> '$.visits[#-1]', 'visits', json('[]'), 'closed_at', NULL,
    'pending_extension', NULL, 'extension_count', 0, 'urge_count', 0, 'redo_count', 0,
    'return_count', 0, 'links', json('[]'), 'conflict_count', 0, 'updated_at', 0,
    'meeting', c.meeting_id, 'on_spot', json('false'), 'letter', NULL,
    'campaign', c.campaign_id), c.doc)"#;

/// The case rows as a table (`id`, `is_open`, `due_rank`, `doc`) whose `doc` is the whole
/// case ([`WHOLE_DOC`]).
pub fn cases() -> String {
    format!("(SELECT c.id, c.is_open, c.due_rank, {WHOLE_DOC} AS doc FROM cases c)")
}

/// A table of every date the data can touch and whether people work on it: the calendar as
/// data, so the SQL can count working days without calling the code under test.
pub fn workdays(s: &Store, around: i64) {
    let c = s.connection();
    c.execute_batch("CREATE TEMP TABLE IF NOT EXISTS workdays (date TEXT PRIMARY KEY, working INTEGER NOT NULL)")
        .unwrap();
    // Every date the data (a sample goes 130 days back) and its deadlines (weeks ahead) can
    // touch.
    let today = calendar::local_date(around);
    let mut d = today - chrono::Duration::days(400);
    while d < today + chrono::Duration::days(400) {
        c.execute(
            "INSERT OR REPLACE INTO temp.workdays VALUES (?1, ?2)",
            params![
                d.format("%Y-%m-%d").to_string(),
                s.calendar().is_working_day(d)
            ],
        )
        .unwrap();
        d += chrono::Duration::days(1);
    }
}

/// The population and every figure, in SQL over `cases.doc` (the JSON document), with
/// `filter` an extra condition on the document; each case's last visit counts.
///
/// Which time a case is received at is read from the log, not from the document: its intake
/// event's time, or, for an intake written before its device enrolled (office `local`), the
/// server's receipt of it when that is later (the rule of ARCHITECTURE.md, "Which time
/// counts"). The other times are the document's.
pub fn reference(c: &Connection, from: i64, to: i64, now: i64, filter: &str) -> Figures {
    reference_by(
        c,
        from,
        to,
        now,
        filter,
        VisitRule::Last,
        0.9,
        [0.1, 0.5, 0.4],
    )
}

/// [`reference`] with the visits `rule` counts (from the document's list of visits), the
/// 基本满意 factor and the composite's weights.
#[allow(clippy::too_many_arguments)]
pub fn reference_by(
    c: &Connection,
    from: i64,
    to: i64,
    now: i64,
    filter: &str,
    rule: VisitRule,
    basic: f64,
    [w1, w2, w3]: [f64; 3],
) -> Figures {
    // One row per visit counted: (reach, cont, solv, sat).
    let visits = match rule {
        VisitRule::Last => {
            "SELECT json_extract(doc, '$.visit.reachable') AS reach,
                                   json_extract(doc, '$.visit.contacted') AS cont,
                                   json_extract(doc, '$.visit.solved') AS solv,
                                   json_extract(doc, '$.visit.satisfaction') AS sat
                            FROM p WHERE json_extract(doc, '$.visit') IS NOT NULL"
        }
        VisitRule::First => {
            "SELECT json_extract(doc, '$.visits[0].reachable') AS reach,
                                    json_extract(doc, '$.visits[0].contacted') AS cont,
                                    json_extract(doc, '$.visits[0].solved') AS solv,
                                    json_extract(doc, '$.visits[0].satisfaction') AS sat
                             FROM p WHERE json_array_length(doc, '$.visits') > 0"
        }
        VisitRule::Every => {
            "SELECT json_extract(j.value, '$.reachable') AS reach,
                                    json_extract(j.value, '$.contacted') AS cont,
                                    json_extract(j.value, '$.solved') AS solv,
                                    json_extract(j.value, '$.satisfaction') AS sat
                             FROM p, json_each(p.doc, '$.visits') AS j"
        }
    };
    let cases = cases();
    let cte = format!(
        "WITH d AS (
            SELECT id,
                   json_extract(doc, '$.state') AS state,
                   (SELECT e.hlc_wall + CASE WHEN e.office = 'local'
                                     THEN coalesce(max(r.received_ms - e.hlc_wall, 0), 0)
                                     ELSE 0 END
                    FROM events e LEFT JOIN receipts r ON r.event_seq = e.seq
                    WHERE e.stream = unhex(replace(cases.id, '-', '')) AND e.kind = 'case_received') AS rec,
                   json_extract(doc, '$.resolved_at') AS res,
                   json_extract(doc, '$.resolve_due') AS due,
                   json_extract(doc, '$.response_due') AS rdue,
                   json_extract(doc, '$.responded_at') AS resp,
                   json_extract(doc, '$.extension_count') AS ext,
                   json_extract(doc, '$.redo_count') AS redo,
                   json_extract(doc, '$.visit.reachable') AS reach,
                   json_extract(doc, '$.visit.contacted') AS cont,
                   json_extract(doc, '$.visit.solved') AS solv,
                   json_extract(doc, '$.visit.satisfaction') AS sat,
                   json_extract(doc, '$.letter.due') AS ldue,
                   doc
            FROM {cases} AS cases),
         wd AS (
            SELECT d.*, (SELECT count(*) FROM temp.workdays w WHERE w.working = 1
                           AND w.date > date(rec / 1000, 'unixepoch', '+8 hours')
                           AND w.date <= date(res / 1000, 'unixepoch', '+8 hours')) AS wdays,
                   (SELECT count(*) FROM temp.workdays w WHERE w.working = 1
                           AND w.date > date(rec / 1000, 'unixepoch', '+8 hours')
                           AND w.date <= date({now} / 1000, 'unixepoch', '+8 hours')) AS wnow
            FROM d),
         p AS (SELECT * FROM wd WHERE rec >= {from} AND rec < {to}
                 AND state NOT IN ('withdrawn', 'merged') AND ({filter})),
         v AS ({visits})"
    );
    let one = |sql: &str| -> f64 {
        c.query_row(&format!("{cte} {sql}"), [], |r| {
            Ok(r.get::<_, Option<f64>>(0)?.unwrap_or(0.0))
        })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let opt = |sql: &str| -> Option<f64> {
        c.query_row(&format!("{cte} {sql}"), [], |r| r.get::<_, Option<f64>>(0))
            .unwrap()
    };
    let n = |sql: &str| one(sql) as u32;
    let open = "state IN ('received', 'dispatched', 'handling', 'returned')";
    let valid = "reach = 1";
    Figures {
        received: n("SELECT count(*) FROM p"),
        resolved: n("SELECT count(*) FROM p WHERE res IS NOT NULL"),
        within3: n("SELECT count(*) FROM p WHERE res IS NOT NULL AND wdays <= 3"),
        within3_pending: n(&format!(
            "SELECT count(*) FROM p WHERE res IS NULL AND ({now} < rec OR wnow <= 3)"
        )),
        resolve_rate: opt("SELECT CAST(sum(res IS NOT NULL) AS REAL) / nullif(count(*), 0) FROM p"),
        within3_rate: opt(&format!(
            "SELECT CAST(sum(res IS NOT NULL AND wdays <= 3) AS REAL)
                    / nullif(sum(NOT (res IS NULL AND ({now} < rec OR wnow <= 3))), 0)
             FROM p"
        )),
        avg_days: opt("SELECT avg((res - rec) / 86400000.0) FROM p WHERE res IS NOT NULL"),
        avg_working_days: opt("SELECT avg(CAST(wdays AS REAL)) FROM p WHERE res IS NOT NULL"),
        overdue_now: n(&format!(
            "SELECT count(*) FROM p WHERE {open} AND min(due, coalesce(ldue, due)) <= {now}"
        )),
        overdue_in_period: n(&format!(
            "SELECT count(*) FROM wd WHERE due >= {from} AND due < {to} AND due <= {now}
               AND state NOT IN ('withdrawn', 'merged') AND ({filter})
               AND (res IS NULL OR res > due)"
        )),
        extensions: n("SELECT coalesce(sum(ext), 0) FROM p"),
        redos: n("SELECT coalesce(sum(redo), 0) FROM p"),
        valid_visits: n(&format!("SELECT count(*) FROM v WHERE {valid}")),
        contacted: n(&format!("SELECT count(*) FROM v WHERE {valid} AND cont = 1")),
        solved: n(&format!("SELECT count(*) FROM v WHERE {valid} AND solv = 1")),
        satisfied: n(&format!("SELECT count(*) FROM v WHERE {valid} AND sat = 'satisfied'")),
        basically_satisfied: n(&format!(
            "SELECT count(*) FROM v WHERE {valid} AND sat = 'basically_satisfied'"
        )),
        dissatisfied: n(&format!(
            "SELECT count(*) FROM v WHERE {valid} AND sat = 'dissatisfied'"
        )),
        response_rate: opt(&format!(
            "SELECT CAST(sum(cont = 1) AS REAL) / nullif(count(*), 0) FROM v WHERE {valid}"
        )),
        solution_rate: opt(&format!(
            "SELECT CAST(sum(solv = 1) AS REAL) / nullif(count(*), 0) FROM v WHERE {valid}"
        )),
        satisfaction_rate: opt(&format!(
            "SELECT (sum(sat = 'satisfied') + {basic} * sum(sat = 'basically_satisfied')) / nullif(count(*), 0)
             FROM v WHERE {valid}"
        )),
        composite: opt(&format!(
            "SELECT {w1} * sum(cont = 1) / nullif(count(*), 0)
                  + {w2} * sum(solv = 1) / nullif(count(*), 0)
                  + {w3} * (sum(sat = 'satisfied') + {basic} * sum(sat = 'basically_satisfied'))
                        / nullif(count(*), 0)
             FROM v WHERE {valid}"
        )),
        letters: n("SELECT count(*) FROM p WHERE ldue IS NOT NULL"),
        letters_fulfilled: n("SELECT count(*) FROM p WHERE ldue IS NOT NULL AND res IS NOT NULL AND res <= ldue"),
        letters_broken: n(&format!(
            "SELECT count(*) FROM p WHERE ldue IS NOT NULL
               AND ((res IS NOT NULL AND res > ldue) OR (res IS NULL AND {now} > ldue))"
        )),
        responded: n("SELECT count(*) FROM p WHERE resp IS NOT NULL"),
        responded_on_time: n("SELECT count(*) FROM p WHERE resp IS NOT NULL AND resp <= rdue"),
        response_pending: n(&format!(
            "SELECT count(*) FROM p WHERE resp IS NULL AND {now} <= rdue"
        )),
        on_time_response_rate: opt(&format!(
            "SELECT CAST(sum(resp IS NOT NULL AND resp <= rdue) AS REAL)
                    / nullif(sum(NOT (resp IS NULL AND {now} <= rdue)), 0)
             FROM p"
        )),
        avg_response_hours: opt(
            "SELECT avg(max(resp - rec, 0) / 3600000.0) FROM p WHERE resp IS NOT NULL",
        ),
    }
}

pub fn assert_figures_eq(rust: &Figures, sql: &Figures, what: &str) {
    let close = |a: Option<f64>, b: Option<f64>, name: &str| match (a, b) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{what}: {name} {x} vs SQL {y}"),
        _ => panic!("{what}: {name} {a:?} vs SQL {b:?}"),
    };
    close(rust.resolve_rate, sql.resolve_rate, "resolve_rate");
    close(rust.within3_rate, sql.within3_rate, "within3_rate");
    close(rust.avg_days, sql.avg_days, "avg_days");
    close(
        rust.avg_working_days,
        sql.avg_working_days,
        "avg_working_days",
    );
    close(rust.response_rate, sql.response_rate, "response_rate");
    close(rust.solution_rate, sql.solution_rate, "solution_rate");
    close(
        rust.satisfaction_rate,
        sql.satisfaction_rate,
        "satisfaction_rate",
    );
    close(rust.composite, sql.composite, "composite");
    close(
        rust.on_time_response_rate,
        sql.on_time_response_rate,
        "on_time_response_rate",
    );
    close(
        rust.avg_response_hours,
        sql.avg_response_hours,
        "avg_response_hours",
    );
    let strip = |f: &Figures| Figures {
        resolve_rate: None,
        within3_rate: None,
        avg_days: None,
        avg_working_days: None,
        response_rate: None,
        solution_rate: None,
        satisfaction_rate: None,
        composite: None,
        on_time_response_rate: None,
        avg_response_hours: None,
        ..f.clone()
    };
    assert_eq!(strip(rust), strip(sql), "{what}");
}
