//! Migrations run forward from an empty file and from every earlier schema version.

use jiesu_core::store::{MIGRATIONS, migrations};
use jiesu_core::*;
use rusqlite_migration::{M, Migrations};

use super::common::*;
use super::reference::WHOLE_DOC;

#[test]
fn an_empty_file_migrates_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    let v: i64 = s
        .connection()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, MIGRATIONS.len());
    let mode: String = s
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = s
        .connection()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    assert!(migrations().validate().is_ok());
}

/// Copy an event log into a database at any schema version: the events table's columns are
/// part of every version's contract (from v24, an id the app made is kept as its bytes).
pub(super) fn copy_log(conn: &rusqlite::Connection, events: &[(i64, Event)]) {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let id = |s: &str| -> rusqlite::types::Value {
        match uuid::Uuid::parse_str(s) {
            Ok(u) if version >= 24 => u.as_bytes().to_vec().into(),
            _ => s.to_owned().into(),
        }
    };
    for (_, e) in events {
        let (kind, payload) = e.body.to_columns().unwrap();
        conn.execute(
            "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author, device, office)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![id(&e.id.to_string()), id(&e.stream), kind, payload, e.hlc.wall_ms, e.hlc.counter, e.author, id(&e.device), e.office],
        )
        .unwrap();
    }
}

#[test]
fn every_earlier_version_upgrades_with_its_events_intact() {
    // Write a real event log with the current code, then, for each earlier version k ≥ 1,
    // copy that log into a database stopped at version k and open it with the current code.
    let (mut src, _) = store_at(test_now());
    let case = src.receive(parking_case("楼道漏水")).unwrap();
    src.act(
        case.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    let events = src.events_after(0, 100).unwrap();
    for k in 1..=MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
            Migrations::new(MIGRATIONS[..k].iter().map(|m| M::up(m)).collect())
                .to_latest(&mut conn)
                .unwrap();
            copy_log(&conn, &events);
            // Receipts (from v2): keyed by the event's id until v7, by its place in the log after.
            let (_, first) = &events[0];
            if k >= 7 {
                // From v24 the log keeps an event's id as its bytes.
                let id: rusqlite::types::Value = if k >= 24 {
                    first.id.as_bytes().to_vec().into()
                } else {
                    first.id.to_string().into()
                };
                conn.execute(
                    "INSERT INTO receipts (event_seq, server_seq, received_ms)
                     SELECT seq, 41, 1234 FROM events WHERE id = ?1",
                    [id],
                )
                .unwrap();
            } else if k >= 2 {
                conn.execute(
                    "INSERT INTO receipts (event_id, server_seq, received_ms) VALUES (?1, 41, 1234)",
                    [first.id.to_string()],
                )
                .unwrap();
            }
        }
        let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
        let kept = if k >= 2 { Some(1234) } else { None };
        assert_eq!(
            s.receipt_time(events[0].1.id).unwrap(),
            kept,
            "from version {k}"
        );
        assert_eq!(
            s.receipt_time(events[1].1.id).unwrap(),
            None,
            "from version {k}"
        );
        s.rebuild_projections().unwrap();
        assert_eq!(
            s.case(case.id).unwrap().state,
            CaseState::Dispatched,
            "from version {k}"
        );
        assert_eq!(s.event_ids().unwrap(), src.event_ids().unwrap());
    }
}

#[test]
fn version_8_wants_the_photos_of_cases_already_held() {
    // A store at v7 holding an intake with a photo whose bytes it never got (pulled before
    // photos were synced): v8 puts the photo on the list to fetch.
    let (mut src, _, _src_dir) = file_store_at(test_now());
    let mut intake = parking_case("楼道漏水");
    intake.attachment = Some(src.save_attachment("现场.jpg", b"photo bytes").unwrap());
    let sha = src.receive(intake).unwrap().attachment.unwrap().sha256;
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        Migrations::new(MIGRATIONS[..7].iter().map(|m| M::up(m)).collect())
            .to_latest(&mut conn)
            .unwrap();
        copy_log(&conn, &src.events_after(0, 100).unwrap());
    }
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(s.attachments_to_fetch(10).unwrap(), vec![sha]);
}

#[test]
fn version_10_counts_pre_enrolment_cases_from_their_receipt() {
    // A store at v9 that holds a case filed before its device enrolled, projected as its own
    // clock had it, with the server's receipt of its intake: v10 folds it again on opening.
    let (mut src, _) = store_at(test_now() - 400 * 86_400_000);
    src.set_identity(wire::UNENROLLED_OFFICE, "和美社区", "李书记")
        .unwrap();
    let case = src.receive(parking_case("楼道漏水")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        Migrations::new(MIGRATIONS[..9].iter().map(|m| M::up(m)).collect())
            .to_latest(&mut conn)
            .unwrap();
        copy_log(&conn, &src.events_after(0, 100).unwrap());
        conn.execute(
            "INSERT INTO receipts (event_seq, server_seq, received_ms) VALUES (1, 1, ?1)",
            [test_now()],
        )
        .unwrap();
    }
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(s.case(case.id).unwrap().received_at, test_now());
}

#[test]
fn version_11_keeps_every_visit_of_cases_visited_before_it() {
    // A store at v10: a case visited 不满意, redone and visited 满意, one answered hours after
    // receipt and never visited, one not answered yet, projected as v10 did (documents
    // without the list of visits, facts in the v6 layout). On opening, v11 gives every fact
    // its response times and folds the twice-visited case again: every figure under every
    // visit rule is what the current code computes from scratch.
    use jiesu_core::figures::{FigureQuery, FigureSettings, VisitRule};
    let src_dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(test_now());
    let mut src = Store::open(src_dir.path(), Box::new(clock.clone())).unwrap();
    src.set_identity("office-a", "和美社区", "李书记").unwrap();
    src.receive(parking_case("还没回访的案件")).unwrap();
    let answered = src
        .receive(parking_case("过了几个小时联系上的案件"))
        .unwrap();
    clock.advance(5 * 3_600_000);
    src.act(
        answered.id,
        CaseCommand::Note {
            text: "已电话联系".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    let c = src.receive(parking_case("回访两次的案件")).unwrap();
    let visit = |satisfaction| CaseCommand::Visit {
        reachable: true,
        contacted: true,
        solved: satisfaction == Satisfaction::Satisfied,
        satisfaction: Some(satisfaction),
        note: String::new(),
    };
    for cmd in [
        CaseCommand::ResolveOnSpot {
            result: "已协调".into(),
        },
        visit(Satisfaction::Dissatisfied),
        CaseCommand::Redo {
            reason: "又出现了".into(),
            due: None,
        },
        CaseCommand::Resolve {
            outcome: Outcome::Solved,
            result: "已解决".into(),
        },
        visit(Satisfaction::Satisfied),
    ] {
        src.act(c.id, cmd).unwrap();
    }
    // From the month of the first intake to the month of the last step: five hours later may
    // be next month (23:59 on 31 December is one of the awkward dates).
    let (from, _) = month_of(test_now());
    let (_, to) = month_of(src.now_ms());
    let q = FigureQuery {
        from,
        to,
        ..Default::default()
    };
    let rules =
        [VisitRule::Last, VisitRule::First, VisitRule::Every].map(|visit_rule| FigureSettings {
            visit_rule,
            ..FigureSettings::default()
        });
    let want: Vec<_> = rules.iter().map(|r| src.figures(&q, r).unwrap()).collect();
    drop(src);
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = stopped_at(dir.path(), 10, src_dir.path());
        conn.execute_batch(
            "INSERT INTO events SELECT seq, id, stream, kind, payload, hlc_wall, hlc_counter,
                    author, device, office FROM src_log;
             INSERT INTO meta SELECT * FROM src.meta WHERE key NOT IN (SELECT key FROM meta);
             INSERT OR REPLACE INTO figure_keys SELECT * FROM src.figure_keys;",
        )
        .unwrap();
        copy_cases(&conn);
        conn.execute_batch(
            "UPDATE cases SET doc = json_remove(doc, '$.visits');
             INSERT INTO case_facts
             SELECT received_at, case_rowid, resolve_due, substr(fact, 1, 88) FROM src.case_facts;",
        )
        .unwrap();
    }
    let s = Store::open(dir.path(), Box::new(clock)).unwrap();
    assert_eq!(s.case(c.id).unwrap().visits.len(), 2);
    for (rule, want) in rules.iter().zip(&want) {
        assert_eq!(&s.figures(&q, rule).unwrap(), want, "{:?}", rule.visit_rule);
    }
    let every = &want[2];
    assert_eq!(
        (
            every.received,
            every.valid_visits,
            every.satisfied,
            every.dissatisfied
        ),
        (3, 2, 1, 1)
    );
    // Answered: on the spot (0 h) and after 5 hours; the third is still inside its limit.
    assert_eq!((every.responded, every.response_pending), (2, 1));
    assert_eq!(every.avg_response_hours, Some(2.5));
}

#[test]
fn the_figures_projection_is_carried_over_from_versions_3_and_4() {
    // Cases projected by the current code, copied into stores stopped at v3 (no figures
    // table: v4 fills it from each case's document) and v4 (v5 carries its rows over): once
    // migrated, every figure and breakdown equals the source's, without a rebuild.
    let src_dir = tempfile::tempdir().unwrap();
    let mut src = Store::open(src_dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    src.set_identity("office-a", "和美社区", "李书记").unwrap();
    jiesu_core::sample::generate(
        &mut src,
        &jiesu_core::sample::SampleSpec {
            cases: 300,
            ..jiesu_core::sample::SampleSpec::community(test_now())
        },
    )
    .unwrap();
    let q = figures::FigureQuery {
        from: test_now() - 120 * 86_400_000,
        to: test_now() + 86_400_000,
        ..Default::default()
    };
    let want = src.dashboard(&q, figures::Dimension::Month).unwrap();
    assert!(want.figures.received > 100 && want.figures.valid_visits > 0);
    drop(src);
    for k in [3, 4] {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = stopped_at(dir.path(), k, src_dir.path());
            conn.execute_batch(
                "INSERT INTO events SELECT seq, id, stream, kind, payload, hlc_wall, hlc_counter,
                    author, device, office FROM src_log;
                 INSERT INTO meta SELECT * FROM src.meta WHERE key NOT IN (SELECT key FROM meta);",
            )
            .unwrap();
            copy_cases(&conn);
            if k == 4 {
                // v4's figures rows as v4 wrote them: from the documents.
                conn.execute_batch(
                    "INSERT INTO case_figures
                     SELECT rowid, id, state, received_at, resolved_at, resolve_due, due_rank,
                        coalesce(json_extract(doc, '$.extension_count'), 0),
                        coalesce(json_extract(doc, '$.redo_count'), 0),
                        json_extract(doc, '$.visit.reachable'), json_extract(doc, '$.visit.contacted'),
                        json_extract(doc, '$.visit.solved'), json_extract(doc, '$.visit.satisfaction'),
                        letter_due, coalesce(handling_unit, ''), category, cat1, cat2, channel,
                        coalesce(json_extract(doc, '$.address.building'), ''), json_extract(doc, '$.office')
                     FROM cases",
                )
                .unwrap();
            }
        }
        let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
        let got = s.dashboard(&q, figures::Dimension::Month).unwrap();
        assert_eq!(got, want, "from version {k}");
    }
}

/// A store file in `dir` stopped at schema version `k`, with the store in `src` attached as
/// `src` to copy from.
fn stopped_at(dir: &std::path::Path, k: usize, src: &std::path::Path) -> rusqlite::Connection {
    let mut conn = rusqlite::Connection::open(dir.join(store::DB_FILE)).unwrap();
    Migrations::new(MIGRATIONS[..k].iter().map(|m| M::up(m)).collect())
        .to_latest(&mut conn)
        .unwrap();
    let src_db = src.join(store::DB_FILE);
    conn.execute("ATTACH ?1 AS src", [src_db.to_str().unwrap()])
        .unwrap();
    // `src_log` and `src_heads`: the source's log and chain heads spelled as every version
    // before v24 kept them (ids and seals as text), to copy from.
    let text = |c: &str| {
        format!(
            "CASE typeof({c}) WHEN 'blob' THEN lower(substr(hex({c}), 1, 8) || '-' || \
             substr(hex({c}), 9, 4) || '-' || substr(hex({c}), 13, 4) || '-' || \
             substr(hex({c}), 17, 4) || '-' || substr(hex({c}), 21)) ELSE {c} END AS {c}"
        )
    };
    let hex =
        |c: &str| format!("CASE typeof({c}) WHEN 'blob' THEN lower(hex({c})) ELSE {c} END AS {c}");
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW src_log AS SELECT seq, {}, {}, kind, payload, hlc_wall, hlc_counter,
                author, {}, office, {}, {}, {} FROM src.events;",
        text("id"),
        text("stream"),
        text("device"),
        text("account"),
        hex("prev"),
        hex("sig")
    ))
    .unwrap();
    conn.execute_batch(&format!(
        "CREATE TEMP VIEW src_heads AS SELECT {}, {}, {} FROM src.chain_heads;",
        text("device"),
        text("stream"),
        hex("hash")
    ))
    .unwrap();
    conn
}

/// Copy the attached `src` store into one stopped at an earlier version: its log, identity
/// and keys, seals' heads (each table that version has, in the columns it has, spelled as it
/// kept them) and case rows.
fn copy_sealed_store(conn: &rusqlite::Connection) {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    let (log, heads) = if version >= 24 {
        ("src.events", "src.chain_heads")
    } else {
        ("src_log", "src_heads")
    };
    for (table, from) in [
        ("events", log),
        ("chain_heads", heads),
        ("device_keys", "src.device_keys"),
    ] {
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1)")
            .unwrap()
            .query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if !columns.is_empty() {
            let list = columns.join(", ");
            conn.execute_batch(&format!(
                "INSERT INTO {table} ({list}) SELECT {list} FROM {from};"
            ))
            .unwrap();
        }
    }
    conn.execute_batch(
        "INSERT INTO meta SELECT * FROM src.meta WHERE key NOT IN (SELECT key FROM meta);",
    )
    .unwrap();
    copy_cases(conn);
}

/// A copy of the file store in `src` as schema version `k` kept it (see `copy_sealed_store`),
/// for a test of the upgrade from `k`: `edit` then leaves it as that version did.
pub(super) fn store_stopped_at(k: usize, src: &std::path::Path, edit: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let conn = stopped_at(dir.path(), k, src);
    copy_sealed_store(&conn);
    conn.execute_batch(edit).unwrap();
    dir
}

/// Copy the attached `src` store's case rows into an older schema's `cases`: the columns
/// that version has, by name (later versions added columns), and each case's whole document
/// as every version before v25 kept it.
fn copy_cases(conn: &rusqlite::Connection) {
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('cases')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let list = columns.join(", ");
    let values = columns
        .iter()
        .map(|c| match c.as_str() {
            "doc" => format!("{WHOLE_DOC} AS doc"),
            _ => format!("c.{c}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    conn.execute_batch(&format!(
        "INSERT INTO cases ({list}) SELECT {values} FROM src.cases c;"
    ))
    .unwrap();
}

#[test]
fn version_24_keeps_ids_and_seals_as_bytes_and_reads_back_every_spelling_as_received() {
    // A sealed log as v23 kept it (ids, links and signatures as text), with rows another PC
    // could have sent spelled otherwise (a stream or device id in capitals or of its own
    // making; a seal in capitals, of an odd length, not hex, empty): after the upgrade every
    // event reads back exactly as before, the seals verify, a new step chains onto the
    // migrated head, what the app spells is kept as bytes, the rest as text, and the old
    // table's pages are handed back.
    let (mut src, _, src_dir) = file_store_at(test_now());
    let case = src.receive(parking_case("楼道漏水")).unwrap();
    for text in ["联系物业", "物业已维修"] {
        src.act(
            case.id,
            CaseCommand::Note {
                text: text.into(),
                contacted_resident: true,
                public: false,
            },
        )
        .unwrap();
    }
    src.add_unit("幸福物业").unwrap();
    let held = src.events_after(0, 1000).unwrap();
    let sealed = held.iter().filter(|(_, e)| e.sig.is_some()).count();
    assert!(sealed >= 4, "every step here is sealed");
    let config = held
        .iter()
        .filter(|(_, e)| e.stream == event::CONFIG_STREAM)
        .count() as i64;
    assert!(config > 0);
    drop(src);
    let upper = uuid::Uuid::new_v4().to_string().to_uppercase();
    let odd = [
        (
            uuid::Uuid::new_v4().to_string(),
            "pc-elsewhere",
            "ABCDEF0123",
            "abc",
        ),
        (upper.clone(), &upper, "", "zz11"),
        (
            "a stream of its own".into(),
            "pc-elsewhere",
            "0a\u{5171}",
            "4142434445464748494A",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = stopped_at(dir.path(), 23, src_dir.path());
        copy_sealed_store(&conn);
        for (stream, device, prev, sig) in &odd {
            conn.execute(
                "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author,
                                     device, office, account, prev, sig)
                 SELECT ?1, ?2, kind, payload, hlc_wall, hlc_counter, author, ?3,
                        office, account, ?4, ?5
                 FROM src_log WHERE id = ?6",
                rusqlite::params![
                    uuid::Uuid::new_v4().to_string(),
                    stream,
                    device,
                    prev,
                    sig,
                    held[0].1.id.to_string()
                ],
            )
            .unwrap();
        }
        let text: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE typeof(sig) = 'text' AND typeof(id) = 'text'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(text as usize, sealed + odd.len(), "v23 keeps all as text");
    }
    let as_v23 = |conn: &rusqlite::Connection| {
        let mut stmt = conn
            .prepare("SELECT id, stream, device, account, prev, sig FROM events ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| {
            Ok([
                r.get::<_, Option<String>>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ])
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
    };
    let before = as_v23(&rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap());
    let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    let conn = s.connection();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, MIGRATIONS.len());
    let kinds = |sql: &str| -> Vec<(String, i64)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let all = held.len() as i64 + 3;
    let unsigned = (held.len() - sealed) as i64;
    let mut want = vec![("blob".to_owned(), sealed as i64), ("text".into(), 3)];
    if unsigned > 0 {
        want.insert(1, ("null".into(), unsigned));
    }
    assert_eq!(
        kinds("SELECT typeof(sig), count(*) FROM events GROUP BY 1 ORDER BY 1"),
        want,
        "a seal in lowercase hex is kept as bytes, other spellings as text"
    );
    assert_eq!(
        kinds("SELECT typeof(id), count(*) FROM events GROUP BY 1"),
        vec![("blob".to_owned(), all)],
        "every event id is the app's spelling"
    );
    assert_eq!(
        kinds("SELECT typeof(stream), count(*) FROM events GROUP BY 1 ORDER BY 1"),
        vec![
            ("blob".to_owned(), all - config - 2),
            ("text".into(), config + 2)
        ],
        "a stream in the app's spelling is kept as bytes; the configuration's, capitals and \
         names of a PC's own making as text"
    );
    assert_eq!(
        kinds("SELECT typeof(device), count(*) FROM events GROUP BY 1 ORDER BY 1"),
        vec![("blob".to_owned(), all - 3), ("text".into(), 3)],
    );
    let sizes = kinds(
        "SELECT 'id ' || length(id) || ', sig ' || length(sig), count(*) FROM events
         WHERE typeof(sig) = 'blob' GROUP BY 1",
    );
    assert_eq!(sizes, vec![("id 16, sig 64".to_owned(), sealed as i64)]);
    assert_eq!(
        kinds(
            "SELECT typeof(device) || ' ' || typeof(hash) || ' ' || length(hash), count(*)
             FROM chain_heads GROUP BY 1"
        ),
        vec![("blob blob 32".to_owned(), 2)],
        "the chain heads (the case's and the configuration's) as bytes too"
    );
    let free: i64 = conn
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .unwrap();
    assert_eq!(free, 0, "the old log's pages are handed back");
    let flag: i64 = conn
        .query_row(
            "SELECT count(*) FROM meta WHERE key = 'compact_after_upgrade'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(flag, 0, "compacted once");
    let after: Vec<_> = s
        .events_after(0, 1000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| {
            [
                Some(e.id.to_string()),
                Some(e.stream),
                Some(e.device),
                e.account.map(|a| a.to_string()),
                e.prev,
                e.sig,
            ]
        })
        .collect();
    assert_eq!(after, before, "every event reads back as it was received");
    let migrated: Vec<_> = held.iter().map(|(_, e)| e.clone()).collect();
    let read: Vec<_> = s
        .events_after(0, held.len() as u32)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    assert_eq!(read, migrated, "the sealed log is unchanged");
    // Each odd row is found by its own spelling, as any query binds it.
    for (stream, ..) in &odd {
        assert_eq!(s.verify_trace(stream).unwrap().events, 1, "{stream}");
    }
    let steps = held
        .iter()
        .filter(|(_, e)| e.stream == case.id.to_string())
        .count() as u32;
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert!(trace.intact() && trace.verified == steps, "{trace:?}");
    s.act(
        case.id,
        CaseCommand::Note {
            text: "回访居民".into(),
            contacted_resident: true,
            public: false,
        },
    )
    .unwrap();
    let trace = s.verify_trace(&case.id.to_string()).unwrap();
    assert!(trace.intact() && trace.verified == steps + 1, "{trace:?}");
    let config = s.verify_trace(event::CONFIG_STREAM).unwrap();
    assert!(config.intact(), "{config:?}");
}

#[test]
fn version_24_folds_again_a_case_a_stream_spelled_otherwise_took_over() {
    // A v23 store that received, from a hostile PC, an intake on a case's id in capitals:
    // then another stream, folded over the case's row. After the upgrade the case is its
    // own office's again; the hostile step stays in the log, quarantined by any fold of it.
    let (mut src, _, src_dir) = file_store_at(test_now());
    let case = src.receive(parking_case("楼道漏水")).unwrap();
    drop(src);
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = stopped_at(dir.path(), 23, src_dir.path());
        copy_sealed_store(&conn);
        let id = case.id.to_string();
        conn.execute(
            "INSERT INTO events (id, stream, kind, payload, hlc_wall, hlc_counter, author,
                                 device, office)
             SELECT ?1, upper(stream), kind, replace(payload, number, '261123-XX999'),
                    hlc_wall + 1, 0, '他人', 'dev-b', 'b'
             FROM src_log, src.cases c WHERE kind = 'case_received' AND stream = ?2 AND c.id = ?2",
            rusqlite::params![uuid::Uuid::new_v4().to_string(), id],
        )
        .unwrap();
        // What the fold before v24 made of it: the row taken over.
        conn.execute(
            "UPDATE cases SET number = '261123-XX999', office = 'b',
                 doc = json_set(doc, '$.number', '261123-XX999', '$.office', 'b')
             WHERE id = ?1",
            [&id],
        )
        .unwrap();
    }
    let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    let own = |s: &Store| {
        let now = s.case(case.id).unwrap();
        (now.number, now.office)
    };
    assert_eq!(own(&s), (case.number.clone(), case.office.clone()));
    assert_eq!(s.event_ids().unwrap().len(), 3, "the hostile step is kept");
    s.rebuild_projections().unwrap();
    assert_eq!(own(&s), (case.number.clone(), case.office.clone()));
    assert_eq!(s.conflicts().unwrap().len(), 1, "and quarantined");
}

/// A file store with a busy sample (a community's 600 cases, then random steps and meetings:
/// visits, letters, links, merges, extensions...) and the same store stopped at v24, its
/// cases' documents whole as v24 wrote them.
fn busy_store_at_v24() -> (Vec<Case>, tempfile::TempDir, tempfile::TempDir) {
    let (mut src, clock, src_dir) = file_store_at(test_now());
    jiesu_core::sample::generate(
        &mut src,
        &jiesu_core::sample::SampleSpec::community(test_now()),
    )
    .unwrap();
    random_workload(&mut rng(25), &mut src, &clock, 400);
    let cases = src.all_cases().unwrap();
    drop(src);
    (cases, store_stopped_at(24, src_dir.path(), ""), src_dir)
}

/// The mean length of the case rows' documents, and how many still name a column's field.
fn doc_sizes(s: &Store) -> (f64, i64) {
    s.connection()
        .query_row(
            "SELECT avg(length(CAST(doc AS BLOB))),
                    count(*) FILTER (WHERE doc ->> '$.number' IS NOT NULL)
             FROM cases",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn version_25_keeps_every_case_with_only_the_rest_in_its_document() {
    // Every case of a busy v24 store reads back identical after the upgrade, before and after
    // a rebuild from the log; no document holds a column's field any more, and the documents
    // are less than half their size.
    let (cases, dir, _src) = busy_store_at_v24();
    let whole: f64 = {
        let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        conn.query_row(
            "SELECT avg(length(CAST(doc AS BLOB))) FROM cases",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(cases.iter().any(|c| c.visit.is_some()) && cases.iter().any(|c| !c.links.is_empty()));
    assert!(cases.iter().any(|c| c.letter.is_some()) && cases.iter().any(|c| c.urge_count > 0));
    let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(s.all_cases().unwrap(), cases);
    let (compact, naming) = doc_sizes(&s);
    assert_eq!(naming, 0, "no document repeats a column");
    assert!(compact < whole / 2.0, "{compact} of {whole} bytes");
    let flags: i64 = s
        .connection()
        .query_row(
            "SELECT count(*) FROM meta WHERE key IN ('compact_docs', 'compact_after_upgrade')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(flags, 0, "done once");
    s.rebuild_projections().unwrap();
    assert_eq!(s.all_cases().unwrap(), cases);
    assert_eq!(doc_sizes(&s).1, 0);
}

#[test]
fn version_25_folds_again_a_case_whose_document_and_columns_disagree_or_is_damaged() {
    // No fold writes a row whose whole document says other than its columns; a row that does
    // anyway (a damaged store, a hand edit) is not trusted either way, nor one whose document
    // cannot be read: the upgrade folds that case again from the log.
    let (cases, dir, _src) = busy_store_at_v24();
    let (column, document, damaged) = (&cases[3], &cases[7], &cases[11]);
    {
        let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).unwrap();
        conn.execute(
            "UPDATE cases SET description = '改过的描述' WHERE id = ?1",
            [column.id.to_string()],
        )
        .unwrap();
        conn.execute(
            "UPDATE cases SET doc = json_set(doc, '$.urge_count', 99, '$.number', 'X-1')
             WHERE id = ?1",
            [document.id.to_string()],
        )
        .unwrap();
        conn.execute(
            "UPDATE cases SET doc = '{\"visits\": 3' WHERE id = ?1",
            [damaged.id.to_string()],
        )
        .unwrap();
    }
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(&s.case(column.id).unwrap(), column);
    assert_eq!(&s.case(document.id).unwrap(), document);
    assert_eq!(&s.case(damaged.id).unwrap(), damaged);
    assert_eq!(s.all_cases().unwrap(), cases);
}
