use super::*;
use crate::Hlc;
use crate::event::{Intake, Received};
use crate::model::{Address, Attachment, Commitment, Resident, Urgency};

const CASE: &str = "0190a8f0-0000-7000-8000-000000000001";
const T0: i64 = 1_780_000_000_000;
const HOUR: i64 = 3_600_000;

// What no public view may ever hold: the resident, the staff, internal words.
const SECRETS: &[&str] = &[
    "王秀兰",
    "13812348000",
    "27栋",
    "1203室",
    "楼道漏水严重",
    "李书记",
    "内部：业主脾气大",
    "物业推诿",
    "请加快",
    "延期理由",
    "张主任（副书记）",
    "延期批注",
    "回访备注",
    "photo.jpg",
    "abc123",
    "归档备注",
];

fn ev(n: i64, body: EventBody) -> Event {
    Event {
        id: Uuid::from_u128(n as u128),
        stream: CASE.into(),
        hlc: Hlc {
            wall_ms: T0 + n * HOUR,
            counter: 0,
        },
        author: "李书记".into(),
        account: None,
        prev: None,
        sig: None,
        device: "d1".into(),
        office: "hm".into(),
        body,
    }
}

fn received() -> EventBody {
    EventBody::CaseReceived(Box::new(Received {
        number: "HM-20260601-0001".into(),
        intake: Intake {
            channel: Channel::Phone,
            work_order_no: String::new(),
            category: "env.water".into(),
            urgency: Urgency::Normal,
            resident: Resident {
                name: "王秀兰".into(),
                phone: "13812348000".into(),
            },
            address: Address {
                building: "27栋".into(),
                unit: "2".into(),
                room: "1203室".into(),
                text: String::new(),
            },
            description: "楼道漏水严重".into(),
            location: "27栋".into(),
            attachment: Some(Attachment {
                sha256: "abc123".into(),
                name: "photo.jpg".into(),
                size: 10,
            }),
            meeting: None,
        },
        response_due: T0 + 24 * HOUR,
        resolve_due: T0 + 72 * HOUR,
    }))
}

fn names(code: &str) -> Option<String> {
    (code == "wy").then(|| "物业公司".to_owned())
}

/// A case through every public and internal step, and what each yields.
fn every_step() -> (Vec<Event>, Vec<Option<Step>>) {
    let steps: Vec<(EventBody, Option<Step>)> = vec![
        (received(), Some(Step::Received)),
        (
            EventBody::CaseLookupCodeSet {
                hash: lookup_hash(CASE.parse().unwrap(), "12345678"),
            },
            None,
        ),
        (
            EventBody::CaseDispatched {
                unit: "wy".into(),
                note: "内部：业主脾气大".into(),
            },
            Some(Step::Dispatched {
                unit: "物业公司".into(),
            }),
        ),
        (
            EventBody::CaseReturned {
                reason: "物业推诿".into(),
            },
            None,
        ),
        (
            EventBody::CaseDispatched {
                unit: "sz".into(),
                note: String::new(),
            },
            Some(Step::Dispatched {
                unit: "承办单位".into(),
            }),
        ),
        (
            EventBody::CaseAccepted {
                note: "内部：业主脾气大".into(),
            },
            Some(Step::Accepted),
        ),
        (
            EventBody::CaseNoted {
                text: "内部：业主脾气大".into(),
                contacted_resident: false,
            },
            None,
        ),
        (
            EventBody::CaseNotedPublic {
                text: "已联系维修人员，明日上门".into(),
                contacted_resident: true,
            },
            Some(Step::Progress {
                text: "已联系维修人员，明日上门".into(),
            }),
        ),
        (
            EventBody::CaseUrged {
                note: "请加快".into(),
            },
            None,
        ),
        (
            EventBody::CaseTransferred {
                unit: "wy".into(),
                reason: "物业推诿".into(),
            },
            Some(Step::Transferred {
                unit: "物业公司".into(),
            }),
        ),
        (
            EventBody::ExtensionRequested {
                new_due: T0 + 120 * HOUR,
                reason: "延期理由".into(),
            },
            None,
        ),
        (
            EventBody::ExtensionDecided {
                approved: true,
                note: "延期批注".into(),
            },
            Some(Step::Extended {
                resolve_due: T0 + 120 * HOUR,
            }),
        ),
        (
            EventBody::CommitmentIssued(Box::new(Commitment {
                problem: "楼道漏水严重".into(),
                promise: "五日内修好".into(),
                due: T0 + 100 * HOUR,
                due_date: "2026-06-05".into(),
                responsible: "张主任（副书记）".into(),
                office_name: "和美社区".into(),
            })),
            Some(Step::LetterIssued {
                promise: "五日内修好".into(),
                due_date: "2026-06-05".into(),
            }),
        ),
        (
            EventBody::CaseLinked {
                other: Uuid::from_u128(99),
                link: LinkKind::Related,
            },
            None,
        ),
        (
            EventBody::CaseResolved {
                outcome: Outcome::Solved,
                result: "已更换水管".into(),
            },
            Some(Step::Resolved {
                outcome: Outcome::Solved,
                reply: "已更换水管".into(),
            }),
        ),
        (
            EventBody::CaseVisited {
                reachable: true,
                contacted: true,
                solved: true,
                satisfaction: Some(Satisfaction::Satisfied),
                note: "回访备注".into(),
            },
            Some(Step::Visited {
                reachable: true,
                solved: true,
                satisfaction: Some(Satisfaction::Satisfied),
            }),
        ),
        (
            EventBody::CaseArchived {
                note: "归档备注".into(),
            },
            Some(Step::Archived),
        ),
    ];
    let mut events = Vec::new();
    let mut expect = Vec::new();
    for (n, (body, step)) in steps.into_iter().enumerate() {
        events.push(ev(n as i64, body));
        expect.push(step);
    }
    (events, expect)
}

#[test]
fn each_step_shows_exactly_its_public_part() {
    let (events, expect) = every_step();
    let public = PublicCase::fold(&events, &names).expect("an intake");
    let want: Vec<PublicStep> = events
        .iter()
        .zip(expect)
        .filter_map(|(e, s)| {
            s.map(|what| PublicStep {
                at: e.hlc.wall_ms,
                what,
            })
        })
        .collect();
    assert_eq!(public.steps, want);
    assert_eq!(public.number, "HM-20260601-0001");
    assert_eq!(public.stage, Stage::Closed);
    assert_eq!(
        public.resolve_due,
        T0 + 120 * HOUR,
        "the approved extension"
    );
    assert_eq!(public.responded_at, Some(T0 + 5 * HOUR), "accepted");
    assert_eq!(public.resolved_at, Some(T0 + 14 * HOUR));
    assert_eq!(public.resolved_in_time(T0), Some(true));
    assert_eq!(public.letter_kept(T0), Some(true));
}

#[test]
fn no_public_view_holds_the_resident_the_staff_or_an_internal_word() {
    let (events, _) = every_step();
    let public = PublicCase::fold(&events, &names).expect("an intake");
    let json = serde_json::to_string(&public).unwrap();
    for secret in SECRETS {
        assert!(!json.contains(secret), "{secret} leaked: {json}");
    }
}

#[test]
fn the_events_order_not_their_arrival_decides() {
    let (mut events, _) = every_step();
    let want = PublicCase::fold(&events, &names);
    events.reverse();
    assert_eq!(PublicCase::fold(&events, &names), want);
}

#[test]
fn a_refused_extension_and_an_unanswered_request_move_no_date() {
    let events = vec![
        ev(0, received()),
        ev(
            1,
            EventBody::ExtensionRequested {
                new_due: T0 + 200 * HOUR,
                reason: "x".into(),
            },
        ),
        ev(
            2,
            EventBody::ExtensionDecided {
                approved: false,
                note: String::new(),
            },
        ),
        // A decision with no request before it (a conflict the fold keeps): nothing.
        ev(
            3,
            EventBody::ExtensionDecided {
                approved: true,
                note: String::new(),
            },
        ),
    ];
    let public = PublicCase::fold(&events, &names).unwrap();
    assert_eq!(public.resolve_due, T0 + 72 * HOUR);
    assert_eq!(public.steps.len(), 1);
}

#[test]
fn deadlines_missed_and_kept_are_told_from_the_same_clock() {
    let mut events = vec![ev(0, received())];
    let public = PublicCase::fold(&events, &names).unwrap();
    assert_eq!(public.responded_in_time(T0 + HOUR), None, "time is left");
    assert_eq!(public.responded_in_time(T0 + 25 * HOUR), Some(false));
    assert_eq!(public.resolved_in_time(T0 + 73 * HOUR), Some(false));
    events.push(ev(
        80,
        EventBody::CaseResolved {
            outcome: Outcome::Explained,
            result: "已解释".into(),
        },
    ));
    let late = PublicCase::fold(&events, &names).unwrap();
    assert_eq!(late.resolved_in_time(T0 + 100 * HOUR), Some(false));
    assert_eq!(late.letter_kept(T0), None, "no letter");
    events.push(ev(
        81,
        EventBody::CaseRedone {
            reason: "不满意".into(),
            resolve_due: T0 + 200 * HOUR,
        },
    ));
    let redone = PublicCase::fold(&events, &names).unwrap();
    assert_eq!(redone.stage, Stage::Handling);
    assert_eq!(redone.resolved_at, None);
    assert_eq!(redone.resolved_in_time(T0 + 90 * HOUR), None);
}

#[test]
fn a_merged_or_withdrawn_case_says_so_and_a_stream_without_intake_shows_nothing() {
    let merged = [
        ev(0, received()),
        ev(
            1,
            EventBody::CaseLinked {
                other: Uuid::from_u128(7),
                link: LinkKind::Duplicate,
            },
        ),
    ];
    let public = PublicCase::fold(&merged, &names).unwrap();
    assert_eq!(public.stage, Stage::Merged);
    assert_eq!(public.steps.last().unwrap().what, Step::Merged);
    let withdrawn = [
        ev(0, received()),
        ev(
            1,
            EventBody::CaseWithdrawn {
                reason: "居民撤回".into(),
            },
        ),
    ];
    assert_eq!(
        PublicCase::fold(&withdrawn, &names).unwrap().stage,
        Stage::Withdrawn
    );
    assert_eq!(PublicCase::fold(&merged[1..], &names), None);
}

#[test]
fn codes_are_eight_digits_however_typed_and_hashed_per_case() {
    assert_eq!(new_code(42), "00000042");
    assert_eq!(new_code(u64::MAX).len(), 8);
    assert_eq!(normalise_code("1234 5678").as_deref(), Some("12345678"));
    assert_eq!(normalise_code("1234-5678").as_deref(), Some("12345678"));
    for bad in ["1234567", "123456789", "1234567a", "１２３４５６７８", ""] {
        assert_eq!(normalise_code(bad), None, "{bad}");
    }
    let a: Uuid = CASE.parse().unwrap();
    let b = Uuid::from_u128(5);
    assert_ne!(lookup_hash(a, "12345678"), lookup_hash(b, "12345678"));
    assert_ne!(lookup_hash(a, "12345678"), lookup_hash(a, "12345679"));
    assert_eq!(lookup_hash(a, "12345678").len(), crate::seal::HASH_HEX);
    assert_eq!(phone_tail("13812348000"), Some("8000"));
    assert_eq!(phone_tail("800"), None);
    assert_eq!(normalise_tail(" 8000 ").as_deref(), Some("8000"));
}
