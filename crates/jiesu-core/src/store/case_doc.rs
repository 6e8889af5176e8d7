//! A case row's document (`cases.doc`): only what the row's columns do not already hold.
//!
//! The row's columns (number, office, state, resident, description, deadlines...) serve
//! filters, sorts and search. Until v25 `doc` held the whole case as JSON besides, so every
//! case was kept twice (issue 22). It now holds the rest, leaving out what is at its default
//! (no letter, no links, counts at zero) and `visit` while it is the last of `visits`, as
//! every fold leaves it. [`rest`] destructures `Case` and [`case_at`] builds one, both without
//! `..`: a field added to `Case` does not compile until it is given its place here.
//!
//! Reading takes a document that holds more than the rest (a whole case, as v24 wrote it):
//! the columns win for what they hold. So a row folded before [`compact_docs`] ran reads the
//! same as one after.

use std::borrow::Cow;

use rusqlite::Row;
use rusqlite::types::Type;
use serde::{Deserialize, Deserializer, Serialize};

use super::*;
use crate::event::WorkOrder;
use crate::model::{
    Address, CaseLink, Channel, Letter, Outcome, PendingExtension, Resident, Urgency, VisitResult,
};

/// The columns [`case_at`] reads, in its order.
pub(super) const CASE_COLUMNS: &str = "id, number, office, state, channel, work_order_no, \
    category, urgency, resident_name, resident_phone, description, location, handling_unit, \
    received_at, response_due, resolve_due, resolved_at, meeting_id, campaign_id, doc";

/// Everything of a case no column holds. Each field is left out while at its default.
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct Rest<'a> {
    #[serde(skip_serializing_if = "is_default")]
    filed_by: Cow<'a, str>,
    #[serde(skip_serializing_if = "is_default")]
    address: Cow<'a, Address>,
    #[serde(skip_serializing_if = "is_default")]
    attachment: Cow<'a, Option<Attachment>>,
    #[serde(skip_serializing_if = "is_default")]
    responded_at: Option<i64>,
    #[serde(skip_serializing_if = "is_default")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "is_default")]
    result: Cow<'a, str>,
    /// Present only when it is not the last of `visits` (then possibly `null`).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    visit: Option<Option<VisitResult>>,
    #[serde(skip_serializing_if = "is_default")]
    visits: Cow<'a, [VisitResult]>,
    #[serde(skip_serializing_if = "is_default")]
    closed_at: Option<i64>,
    #[serde(skip_serializing_if = "is_default")]
    pending_extension: Cow<'a, Option<PendingExtension>>,
    #[serde(skip_serializing_if = "is_default")]
    extension_count: u32,
    #[serde(skip_serializing_if = "is_default")]
    urge_count: u32,
    #[serde(skip_serializing_if = "is_default")]
    redo_count: u32,
    #[serde(skip_serializing_if = "is_default")]
    return_count: u32,
    #[serde(skip_serializing_if = "is_default")]
    links: Cow<'a, [CaseLink]>,
    #[serde(skip_serializing_if = "is_default")]
    conflict_count: u32,
    #[serde(skip_serializing_if = "is_default")]
    updated_at: i64,
    #[serde(skip_serializing_if = "is_default")]
    on_spot: bool,
    #[serde(skip_serializing_if = "is_default")]
    letter: Cow<'a, Option<Letter>>,
    #[serde(skip_serializing_if = "is_default")]
    work_order: Cow<'a, Option<WorkOrder>>,
    #[serde(skip_serializing_if = "is_default")]
    merged_from: Option<CaseState>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A field that is present, even as `null`, is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The document a case's row keeps beside its columns.
pub(super) fn rest(c: &Case) -> Result<String> {
    let Case {
        // Held by the row's columns (`case_rows::write_case_text`).
        id: _,
        number: _,
        office: _,
        state: _,
        channel: _,
        work_order_no: _,
        category: _,
        urgency: _,
        resident: _,
        description: _,
        location: _,
        handling_unit: _,
        received_at: _,
        response_due: _,
        resolve_due: _,
        resolved_at: _,
        meeting: _,
        campaign: _,
        // The rest.
        filed_by,
        address,
        attachment,
        responded_at,
        outcome,
        result,
        visit,
        visits,
        closed_at,
        pending_extension,
        extension_count,
        urge_count,
        redo_count,
        return_count,
        links,
        conflict_count,
        updated_at,
        on_spot,
        letter,
        work_order,
        merged_from,
    } = c;
    Ok(serde_json::to_string(&Rest {
        filed_by: Cow::Borrowed(filed_by),
        address: Cow::Borrowed(address),
        attachment: Cow::Borrowed(attachment),
        responded_at: *responded_at,
        outcome: *outcome,
        result: Cow::Borrowed(result),
        visit: (visit.as_ref() != visits.last()).then(|| visit.clone()),
        visits: Cow::Borrowed(visits),
        closed_at: *closed_at,
        pending_extension: Cow::Borrowed(pending_extension),
        extension_count: *extension_count,
        urge_count: *urge_count,
        redo_count: *redo_count,
        return_count: *return_count,
        links: Cow::Borrowed(links),
        conflict_count: *conflict_count,
        updated_at: *updated_at,
        on_spot: *on_spot,
        letter: Cow::Borrowed(letter),
        work_order: Cow::Borrowed(work_order),
        merged_from: *merged_from,
    })?)
}

/// The case in a row read as [`CASE_COLUMNS`], starting at column `at`.
pub(super) fn case_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Case> {
    let doc: String = r.get(at + 19)?;
    // Said by place only: serde's message can quote the document (an address, a result).
    let rest: Rest<'static> = serde_json::from_str(&doc).map_err(|e| {
        let place = format!("case document unreadable at column {}", e.column());
        bad(at + 19, std::io::Error::other(place))
    })?;
    let uuid = |i: usize| -> rusqlite::Result<Uuid> {
        let text: String = r.get(at + i)?;
        Uuid::parse_str(&text).map_err(|e| bad(at + i, e))
    };
    let some_uuid = |i: usize| -> rusqlite::Result<Option<Uuid>> {
        match r.get_ref(at + i)?.as_str_or_null()? {
            None => Ok(None),
            Some(text) => Uuid::parse_str(text).map(Some).map_err(|e| bad(at + i, e)),
        }
    };
    let state: String = r.get(at + 3)?;
    let visits = rest.visits.into_owned();
    Ok(Case {
        id: uuid(0)?,
        number: r.get(at + 1)?,
        office: r.get(at + 2)?,
        state: CaseState::parse(&state).map_or_else(|| enum_parse(&state), Ok)?,
        channel: enum_parse::<Channel>(&r.get::<_, String>(at + 4)?)?,
        work_order_no: r.get(at + 5)?,
        category: r.get(at + 6)?,
        urgency: enum_parse::<Urgency>(&r.get::<_, String>(at + 7)?)?,
        resident: Resident {
            name: r.get(at + 8)?,
            phone: r.get(at + 9)?,
        },
        description: r.get(at + 10)?,
        location: r.get(at + 11)?,
        handling_unit: r.get(at + 12)?,
        received_at: r.get(at + 13)?,
        response_due: r.get(at + 14)?,
        resolve_due: r.get(at + 15)?,
        resolved_at: r.get(at + 16)?,
        meeting: some_uuid(17)?,
        campaign: some_uuid(18)?,
        filed_by: rest.filed_by.into_owned(),
        address: rest.address.into_owned(),
        attachment: rest.attachment.into_owned(),
        responded_at: rest.responded_at,
        outcome: rest.outcome,
        result: rest.result.into_owned(),
        visit: rest.visit.unwrap_or_else(|| visits.last().cloned()),
        visits,
        closed_at: rest.closed_at,
        pending_extension: rest.pending_extension.into_owned(),
        extension_count: rest.extension_count,
        urge_count: rest.urge_count,
        redo_count: rest.redo_count,
        return_count: rest.return_count,
        links: rest.links.into_owned(),
        conflict_count: rest.conflict_count,
        updated_at: rest.updated_at,
        on_spot: rest.on_spot,
        letter: rest.letter.into_owned(),
        work_order: rest.work_order.into_owned(),
        merged_from: rest.merged_from,
    })
}

fn bad(at: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(at, Type::Text, Box::new(e))
}

/// The case whose row is `id`, with its fold key.
pub(super) fn load_case(conn: &Connection, id: &str) -> Result<Option<(Case, FoldKey)>> {
    let row = conn
        .prepare_cached(&format!(
            "SELECT {CASE_COLUMNS}, fold_wall, fold_counter, fold_id FROM cases WHERE id = ?1"
        ))?
        .query_row([id], |r| {
            Ok((
                case_at(r, 0)?,
                r.get(20)?,
                r.get(21)?,
                r.get::<_, String>(22)?,
            ))
        })
        .optional()?;
    let Some((case, wall, counter, fid)) = row else {
        return Ok(None);
    };
    Ok(Some((case, fold_key(wall, counter, &fid)?)))
}

/// Every case row's document made the rest alone (v25), in chunks of rows. A row whose
/// whole document disagrees with its columns (which no fold writes), or that cannot be read
/// at all, has its stream folded again from the log, the truth both were made from, when the
/// store settles next (right after this).
pub(super) fn compact_docs(conn: &Connection, opening: &Opening) -> Result<()> {
    type Row = (i64, String, rusqlite::Result<Case>, Option<String>);
    let total: i64 = conn.query_row("SELECT count(*) FROM cases", [], |r| r.get(0))?;
    let total = total as u64;
    let mut done = 0;
    let mut after = i64::MIN;
    loop {
        opening.tell(OpeningStep::RewritingCases, done, total);
        let chunk: Vec<Row> = conn
            .prepare_cached(&format!(
                "SELECT rowid, {CASE_COLUMNS} FROM cases WHERE rowid > ?1 ORDER BY rowid LIMIT 2000"
            ))?
            .query_map([after], |r| {
                Ok((r.get(0)?, r.get(1)?, case_at(r, 1), r.get(20).ok()))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, ..)) = chunk.last() else {
            return Ok(());
        };
        done += chunk.len() as u64;
        for (rowid, id, case, doc) in chunk {
            // A document already compact does not parse as a whole case.
            let whole = doc.and_then(|d| serde_json::from_str::<Case>(&d).ok());
            let case = match case {
                Ok(c) if whole.as_ref().is_none_or(|w| *w == c) => c,
                _ => {
                    conn.prepare_cached(
                        "INSERT OR IGNORE INTO dirty_streams (stream) VALUES (?1)",
                    )?
                    .execute([id])?;
                    continue;
                }
            };
            conn.prepare_cached("UPDATE cases SET doc = ?2 WHERE rowid = ?1")?
                .execute(params![rowid, rest(&case)?])?;
        }
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case with every field away from its default.
    fn busy() -> Case {
        let visit = |solved| VisitResult {
            reachable: true,
            contacted: true,
            solved,
            satisfaction: Some(crate::model::Satisfaction::Satisfied),
        };
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "id": Uuid::now_v7(), "number": "261201-AB001", "office": "a",
            "filed_by": "dev-a", "state": "merged", "channel": "hotline12345",
            "work_order_no": "GD-1", "category": "parking.illegal", "urgency": "urgent",
            "resident": {"name": "王芳", "phone": "13800000000"},
            "address": {"building": "3栋", "unit": "2单元", "room": "301", "text": "后门"},
            "description": "楼道\"漏水\"\n两行", "location": "3栋",
            "attachment": {"sha256": "ab", "name": "p.jpg", "size": 3},
            "handling_unit": "property", "received_at": 1, "response_due": 2,
            "resolve_due": 3, "responded_at": 4, "resolved_at": 5, "outcome": "solved",
            "result": "修好了", "visit": null, "visits": [],
            "closed_at": 6, "pending_extension": {"new_due": 7, "reason": "等材料"},
            "extension_count": 1, "urge_count": 2, "redo_count": 3, "return_count": 4,
            "links": [], "conflict_count": 5, "updated_at": 8, "meeting": Uuid::now_v7(),
            "on_spot": true, "letter": null, "merged_from": "handling",
            "campaign": Uuid::now_v7()
        }))
        .unwrap();
        c.visits = vec![visit(false), visit(true)];
        c.visit = Some(visit(true));
        c.links = serde_json::from_value(serde_json::json!(
            [{"other": Uuid::now_v7(), "kind": "duplicate"}]
        ))
        .unwrap();
        c.letter = serde_json::from_value(serde_json::json!({
            "problem": "p", "promise": "q", "due": 9, "due_date": "2026-12-01",
            "responsible": "r", "office_name": "o", "issued_at": 10, "issued_by": "s"
        }))
        .unwrap();
        c.work_order = serde_json::from_value(serde_json::json!({
            "source": "北京", "order_type": "投诉", "city_category": "a->b",
            "dispatched_at": 11, "promised_due": 12, "handling_unit": "u",
            "columns": [{"header": "来电人", "value": "王"}]
        }))
        .unwrap();
        c
    }

    /// `c` written as a row (its columns as `case_rows` writes them, `doc` as given) and read
    /// back.
    fn through_row(c: &Case, doc: &str) -> Case {
        let conn = Connection::open_in_memory().unwrap();
        conn.query_row(
            "SELECT ?1 AS id, ?2 AS number, ?3 AS office, ?4 AS state, ?5 AS channel,
                    ?6 AS work_order_no, ?7 AS category, ?8 AS urgency, ?9 AS resident_name,
                    ?10 AS resident_phone, ?11 AS description, ?12 AS location,
                    ?13 AS handling_unit, ?14 AS received_at, ?15 AS response_due,
                    ?16 AS resolve_due, ?17 AS resolved_at, ?18 AS meeting_id,
                    ?19 AS campaign_id, ?20 AS doc",
            params![
                c.id.to_string(),
                c.number,
                c.office,
                c.state.as_str(),
                enum_name(&c.channel),
                c.work_order_no,
                c.category,
                enum_name(&c.urgency),
                c.resident.name,
                c.resident.phone,
                c.description,
                c.location,
                c.handling_unit,
                c.received_at,
                c.response_due,
                c.resolve_due,
                c.resolved_at,
                c.meeting.map(|m| m.to_string()),
                c.campaign.map(|m| m.to_string()),
                doc,
            ],
            |r| case_at(r, 0),
        )
        .unwrap()
    }

    #[test]
    fn a_case_reads_back_whole_from_its_columns_and_the_rest() {
        let full = busy();
        let mut cases = vec![full.clone()];
        // `visit` other than the last of `visits`: kept, even as none.
        let mut other = full.clone();
        other.visit = None;
        cases.push(other.clone());
        other.visit = Some(other.visits[0].clone());
        cases.push(other);
        // Every field of the rest at its default.
        let mut bare = full.clone();
        bare.filed_by.clear();
        bare.address = Address::default();
        bare.attachment = None;
        bare.responded_at = None;
        bare.outcome = None;
        bare.result.clear();
        bare.visit = None;
        bare.visits.clear();
        bare.closed_at = None;
        bare.pending_extension = None;
        (bare.extension_count, bare.urge_count, bare.redo_count) = (0, 0, 0);
        (bare.return_count, bare.conflict_count, bare.updated_at) = (0, 0, 0);
        bare.links.clear();
        bare.on_spot = false;
        bare.letter = None;
        bare.work_order = None;
        bare.merged_from = None;
        (bare.handling_unit, bare.resolved_at) = (None, None);
        (bare.meeting, bare.campaign) = (None, None);
        cases.push(bare.clone());
        for c in &cases {
            let doc = rest(c).unwrap();
            assert_eq!(&through_row(c, &doc), c, "{doc}");
        }
        assert_eq!(rest(&bare).unwrap(), "{}");
        let doc = rest(&full).unwrap();
        for column in [
            "\"number\"",
            "\"description\"",
            "\"resident\"",
            "\"received_at\"",
        ] {
            assert!(!doc.contains(column), "{doc}");
        }
        assert!(!doc.contains("\"visit\""), "the last of the visits: {doc}");
    }

    #[test]
    fn a_whole_document_as_v24_wrote_it_reads_the_same() {
        for c in [busy(), {
            let mut c = busy();
            c.visit = None;
            c
        }] {
            let whole = serde_json::to_string(&c).unwrap();
            assert_eq!(through_row(&c, &whole), c);
        }
    }

    #[test]
    fn a_damaged_document_or_column_is_an_error_not_a_panic() {
        let c = busy();
        let conn = Connection::open_in_memory().unwrap();
        for (state, doc) in [
            ("merged", "not json"),
            ("merged", "{\"visits\": 3}"),
            ("merged", "{\"address\": \"王芳 13800000000\"}"),
            ("lost", "{}"),
        ] {
            let got = conn.query_row(
                "SELECT ?1, 'n', 'o', ?2, 'phone', '', 'c', 'normal', '', '', '', '',
                        NULL, 0, 0, 0, NULL, NULL, NULL, ?3",
                params![c.id.to_string(), state, doc],
                |r| case_at(r, 0),
            );
            let Err(e) = got else {
                panic!("{state} {doc} read");
            };
            // No resident's words in the error a damaged document makes.
            assert!(!e.to_string().contains("13800000000"), "{e}");
        }
    }
}
