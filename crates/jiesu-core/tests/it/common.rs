//! Helpers shared by the integration tests.

use jiesu_core::event::Received;
use jiesu_core::wire::{Office, OfficeKind};
use jiesu_core::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// 2026-11-23 09:00 China time, a Monday: for tests that need a working Monday morning.
pub const MONDAY_9AM: i64 = 1_795_395_600_000;

/// "Now" for every test that does not need a particular day: `JIESU_CLOCK_AT` when it is set
/// (`make test` runs the suites on a rotating awkward date — 1 January, 23:59 on the last day
/// of a year, 29 February 2028, the National Day week, a 调休 Saturday — so a test that only
/// holds on an ordinary day fails in CI, not in the field), else [`MONDAY_9AM`].
pub fn test_now() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| match std::env::var(CLOCK_AT_VAR) {
        Ok(v) if !v.trim().is_empty() => jiesu_core::hlc::parse_instant(v.trim())
            .unwrap_or_else(|| panic!("{CLOCK_AT_VAR}={v}: not an instant")),
        _ => MONDAY_9AM,
    })
}

/// `[from, to)` of the month holding the instant `ms`, China time.
pub fn month_of(ms: i64) -> (i64, i64) {
    use chrono::Datelike;
    let first = calendar::local_date(ms).with_day(1).unwrap();
    let next = first + chrono::Months::new(1);
    (calendar::start_of_day(first), calendar::start_of_day(next))
}

/// `[from, to)` of the whole month before the one holding `ms`: last month's report, always
/// inside the sample community's four months.
pub fn last_month(ms: i64) -> (i64, i64) {
    month_of(month_of(ms).0 - 1)
}

/// A period as its report names it: `2026-10-01至2026-10-31`.
pub fn period_name((from, to): (i64, i64)) -> String {
    format!(
        "{}至{}",
        calendar::local_date(from).format("%Y-%m-%d"),
        calendar::local_date(to - 1).format("%Y-%m-%d")
    )
}

pub fn store_at(ms: i64) -> (Store, ManualClock) {
    let clock = ManualClock::new(ms);
    let mut s = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    s.set_identity("office-a", "和美社区", "李书记").unwrap();
    (s, clock)
}

/// A store in a file (kept as long as the returned directory lives): what the app runs on,
/// including the figures' second reading connection.
pub fn file_store_at(ms: i64) -> (Store, ManualClock, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(ms);
    let mut s = Store::open(dir.path(), Box::new(clock.clone())).unwrap();
    s.set_identity("office-a", "和美社区", "李书记").unwrap();
    (s, clock, dir)
}

/// A residents' council (or another kind) the day after [`MONDAY_9AM`], chaired by 李书记.
pub fn meeting_info(kind: MeetingKind) -> MeetingInfo {
    MeetingInfo {
        kind,
        title: "居民议事会".into(),
        starts_at: MONDAY_9AM + DAY,
        ends_at: None,
        place: "社区活动室".into(),
        facilitator: "李书记".into(),
        recorder: "王干事".into(),
    }
}

/// An account as an administrator's form adds it; its password is `<login>-password`.
pub fn account_form(login: &str, name: &str, role: Role) -> jiesu_core::access::NewAccount {
    jiesu_core::access::NewAccount {
        login: login.into(),
        name: name.into(),
        role,
        password: format!("{login}-password"),
    }
}

/// Every event of `s`'s log, in log order: what a server would hand another PC.
pub fn log_of(s: &Store) -> Vec<Event> {
    s.events_after(0, u32::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

pub fn parking_case(desc: &str) -> NewCase {
    jiesu_core::sample::parking_complaint(desc)
}

/// Run `n` random operations (intake, a step on a random known case, or a meeting
/// operation) on `store`.
pub fn random_workload(rng: &mut SmallRng, store: &mut Store, clock: &ManualClock, n: usize) {
    for _ in 0..n {
        clock.advance(rng.random_range(0..6 * 3_600_000));
        if rng.random_ratio(1, 5) {
            let before = store.stats().unwrap().events;
            if let Err(e) = jiesu_core::sample::random_meeting_op(rng, store) {
                assert_ne!(e.code(), Code::Storage, "{e}");
                assert_eq!(
                    store.stats().unwrap().events,
                    before,
                    "a refused meeting change wrote nothing"
                );
            }
            continue;
        }
        let cases = store.all_cases().unwrap();
        if cases.is_empty() || rng.random_ratio(1, 4) {
            let mut c = parking_case(
                ["停车难", "楼道漏水", "消防栓损坏", "广场舞噪音"][rng.random_range(0..4)],
            );
            c.urgency = if rng.random_ratio(1, 5) {
                Urgency::Urgent
            } else {
                Urgency::Normal
            };
            store.receive(c).unwrap();
        } else {
            let case = &cases[rng.random_range(0..cases.len())];
            let cmd = jiesu_core::sample::random_command(rng, store, case);
            let before = store.stats().unwrap().events;
            match store.act(case.id, cmd) {
                Ok(_) => assert_eq!(store.stats().unwrap().events, before + 1),
                Err(e) => {
                    assert_ne!(e.code(), Code::Storage, "{e}");
                    assert_eq!(
                        store.stats().unwrap().events,
                        before,
                        "a refused step wrote nothing"
                    );
                }
            }
        }
    }
}

pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

pub const DAY: i64 = 86_400_000;
pub const YEAR: i64 = 365 * DAY;

/// district d → streets s1 (communities a, b), s2 (c); district x → street xs.
pub fn org() -> Vec<Office> {
    let o = |id: &str, kind, parent: Option<&str>| Office {
        id: id.into(),
        name: format!("{id}办"),
        kind,
        parent: parent.map(Into::into),
    };
    vec![
        o("d", OfficeKind::District, None),
        o("s1", OfficeKind::Street, Some("d")),
        o("s2", OfficeKind::Street, Some("d")),
        o("a", OfficeKind::Community, Some("s1")),
        o("b", OfficeKind::Community, Some("s1")),
        o("c", OfficeKind::Community, Some("s2")),
        o("x", OfficeKind::District, None),
        o("xs", OfficeKind::Street, Some("x")),
    ]
}

/// A store acting as `office` (with the directory a server would give it).
pub fn office_store(office: &str) -> (Store, ManualClock) {
    let (mut s, clock) = store_at(test_now());
    s.set_identity(office, &format!("{office}办"), "值班员")
        .unwrap();
    s.set_directory(&org()).unwrap();
    (s, clock)
}

pub fn forged(stream: &str, wall_ms: i64, office: &str, device: &str, body: EventBody) -> Event {
    Event {
        id: Uuid::now_v7(),
        stream: stream.into(),
        hlc: Hlc {
            wall_ms,
            counter: 0,
        },
        author: "他人".into(),
        account: None,
        prev: None,
        sig: None,
        device: device.into(),
        office: office.into(),
        body,
    }
}

pub fn intake(number: &str, at: i64) -> EventBody {
    EventBody::CaseReceived(Box::new(Received {
        number: number.into(),
        intake: parking_case("外来案件").into(),
        response_due: at + DAY,
        resolve_due: at + 3 * DAY,
    }))
}

pub fn conflict_reasons(s: &Store) -> Vec<String> {
    s.conflicts().unwrap().into_iter().map(|(_, r)| r).collect()
}

/// The case a fresh intake files here: numbered today, due in days, whatever arrived.
pub fn assert_files_sanely(s: &mut Store) -> Case {
    let now = s.now_ms();
    let c = s.receive(parking_case("今天的新案件")).unwrap();
    let today = calendar::local_date(now).format("%y%m%d").to_string();
    assert!(
        c.number.starts_with(&today),
        "{} is not numbered today ({today})",
        c.number
    );
    assert!(
        (c.received_at - now).abs() <= hlc::MAX_DRIFT_MS,
        "received {} at {now}",
        c.received_at
    );
    assert!(
        c.resolve_due > now && c.resolve_due < now + 30 * DAY,
        "due {}",
        c.resolve_due
    );
    c
}

/// The server's answer to an enrolment into `office`.
pub fn enrolment_into(office: &str, name: &str) -> jiesu_core::wire::EnrolResponse {
    jiesu_core::wire::EnrolResponse {
        credential: format!("cred-{office}"),
        office: jiesu_core::wire::Office {
            id: office.into(),
            name: name.into(),
            kind: jiesu_core::wire::OfficeKind::Community,
            parent: None,
        },
        device_tag: "AB".into(),
        server_time: test_now(),
    }
}

/// Every file under `dir` (any depth) whose bytes contain `needle`.
pub fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            found.extend(files_holding(&p, needle));
        } else if std::fs::read(&p)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            found.push(p.display().to_string());
        }
    }
    found
}
