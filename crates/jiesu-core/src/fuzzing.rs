//! Hostile input, for the fuzz targets (`fuzz/`) and the hostile-input property test: events
//! as a broken or dishonest PC could send them, and the checks that they never panic a replica.
//!
//! [`events`] builds a batch from arbitrary bytes: arbitrary through and through (ids, clocks
//! to the ends of `i64`, every kind, any text), on a few streams so they meet in folds, most
//! streams opened by a well-formed intake so the steps after it reach the workflow rather than
//! stopping at the first check. [`fold`] runs a batch through everything a replica does with
//! what it receives, without a database: the checks, the authority rules, the folds, and the
//! arithmetic the lists and figures do on the result. [`replica`] does it through a real store.

use arbitrary::{Arbitrary, Unstructured};
use uuid::Uuid;

use crate::event::{CONFIG_STREAM, Event, EventBody, Intake, Received};
use crate::figures::{Dimension, Figure, FigureQuery, FigureRow, Judge};
use crate::hlc::{Hlc, ManualClock};
use crate::{Case, CaseQuery, Store};

/// A batch of events as another PC could send them (see the module's overview).
pub fn events(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<Event>> {
    let streams: Vec<String> = (0..u.int_in_range(1..=3)?)
        .map(|_| Ok(Uuid::from_u128(u.arbitrary()?).to_string()))
        .collect::<arbitrary::Result<_>>()?;
    let mut out = Vec::new();
    for s in &streams {
        if u.ratio(3, 4)? {
            let at = clock(u)?;
            let mut intake: Intake = crate::sample::parking_complaint("漏水").into();
            if u.ratio(1, 4)? {
                intake = u.arbitrary()?;
            }
            out.push(Event {
                id: Uuid::from_u128(u.arbitrary()?),
                stream: s.clone(),
                hlc: Hlc {
                    wall_ms: at,
                    counter: u.arbitrary()?,
                },
                author: u.arbitrary()?,
                account: None,
                prev: None,
                sig: None,
                device: "4f1c0f0e-7b55-4b8e-9d43-000000000000".into(),
                office: ["a", "b", "local", "s1"][u.choose_index(4)?].into(),
                body: EventBody::CaseReceived(Box::new(Received {
                    number: u.arbitrary()?,
                    intake,
                    response_due: clock(u)?,
                    resolve_due: clock(u)?,
                })),
            });
        }
    }
    for _ in 0..u.int_in_range(0..=12)? {
        let mut ev: Event = u.arbitrary()?;
        ev.stream = match u.int_in_range(0..=5)? {
            0 => CONFIG_STREAM.into(),
            1 => ev.stream, // arbitrary text: no case at all
            _ => streams[u.choose_index(streams.len())?].clone(),
        };
        if u.ratio(3, 4)? {
            ev.hlc.wall_ms = clock(u)?;
        }
        out.push(ev);
    }
    Ok(out)
}

/// An instant: mostly a plausible one, sometimes the ends of what a clock can say.
fn clock(u: &mut Unstructured<'_>) -> arbitrary::Result<i64> {
    const NOW: i64 = 1_795_395_600_000;
    Ok(match u.int_in_range(0..=9)? {
        0 => i64::MAX,
        1 => i64::MIN,
        2 => u.arbitrary()?,
        3 => NOW + i64::from(u.arbitrary::<i32>()?) * 1_000_000,
        _ => NOW + i64::from(u.arbitrary::<i32>()?),
    })
}

/// Everything a replica does with a batch, short of a database: the events in fold order per
/// stream through the checks and the folds; the folded cases through the arithmetic the lists,
/// the overdue desk and the figures do. Panics are the findings.
pub fn fold(events: &[Event]) {
    let rules = crate::store::FoldRules::empty();
    for case in crate::store::fold_cases(&rules, events)
        .into_iter()
        .flatten()
    {
        judge(&case);
    }
    let tree = crate::authority::Tree::default();
    for ev in events.iter().filter(|e| e.stream == CONFIG_STREAM) {
        if crate::validate::event(ev).is_ok() {
            let _ = crate::authority::config_rank(&tree, "s1", "device", ev);
        }
    }
}

fn judge(c: &Case) {
    static CALENDAR: std::sync::OnceLock<crate::calendar::Calendar> = std::sync::OnceLock::new();
    let cal = CALENDAR.get_or_init(crate::calendar::Calendar::china);
    let now = c.updated_at;
    let _ = crate::store::row_text(c);
    let _ = crate::deadline::due_status(c.state.is_open(), c.resolve_due, now);
    let _ = c.letter_status(now);
    let (visit, first_visit, visits) = crate::figures::case_visits(c);
    let row = FigureRow {
        case: 1,
        state: c.state,
        received_at: c.received_at,
        resolved_at: c.resolved_at,
        resolve_due: c.resolve_due,
        response_due: c.response_due,
        responded_at: c.responded_at,
        due_rank: crate::store::case_due_rank(c),
        extensions: c.extension_count,
        redos: c.redo_count,
        visit,
        first_visit,
        visits,
        letter_due: c.letter.as_ref().map(|l| l.commitment.due),
    };
    let j = Judge {
        from: c.received_at.saturating_sub(86_400_000),
        to: c.received_at.saturating_add(86_400_000),
        now,
        calendar: cal,
        visits: crate::figures::VisitRule::Last,
    };
    for rule in [
        crate::figures::VisitRule::Last,
        crate::figures::VisitRule::First,
        crate::figures::VisitRule::Every,
    ] {
        let j = Judge { visits: rule, ..j };
        for f in Figure::ALL {
            let _ = crate::figures::counts(&j, f, &row);
        }
        let _ = crate::figures::tally(&j, &row);
    }
    let _ = cal.working_days_between(c.received_at, c.resolved_at.unwrap_or(now));
}

/// A batch through a real replica: stored and folded as received, read back by every kind of
/// query the window makes, and rebuilt from the log, which must give the same projection.
pub fn replica(events: &[Event]) {
    let mut s = Store::open_in_memory(Box::new(ManualClock::new(1_795_395_600_000)))
        .expect("an in-memory store opens");
    s.set_identity("s1", "街道", "值班员").expect("identity");
    // What can come over the wire is what JSON can say; anything else is refused whole and
    // stores nothing.
    let (sayable, unsayable): (Vec<Event>, Vec<Event>) = events
        .iter()
        .cloned()
        .partition(|e| e.body.to_columns().is_ok() && serde_json::to_string(e).is_ok());
    if !unsayable.is_empty() {
        assert!(
            s.apply_remote(events).is_err(),
            "an event JSON cannot hold is refused"
        );
        assert_eq!(s.stats().expect("stats").events, 0, "and nothing is stored");
    }
    let events = &sayable[..];
    s.apply_remote(events)
        .expect("received events are stored, whatever they say");
    let cases = s.all_cases().expect("cases read back");
    let _ = s.list_cases(&CaseQuery::default()).expect("the list");
    let q = FigureQuery {
        from: crate::validate::EARLIEST_MS,
        to: crate::validate::LATEST_MS,
        ..Default::default()
    };
    let _ = s.dashboard(&q, Dimension::Week).expect("the dashboard");
    let _ = s.desk().expect("the desk");
    for c in &cases {
        let _ = s.case_detail(c.id).expect("a case page");
    }
    s.rebuild_projections().expect("a rebuild");
    assert_eq!(
        s.all_cases().expect("cases again"),
        cases,
        "rebuild == live fold"
    );
    let _ = s
        .receive(crate::sample::parking_complaint("之后"))
        .expect("still files");
}

/// Arbitrary events of one kind or another, for callers that want a single one.
pub fn event(u: &mut Unstructured<'_>) -> arbitrary::Result<Event> {
    Event::arbitrary(u)
}
