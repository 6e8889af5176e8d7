//! The public lookup page on both backends: a resident with the receipt's number and code (or
//! the phone's last four digits) sees exactly the public trace of their case and nothing
//! personal; a wrong number and a wrong code are the same answer; failures lock an address and
//! a number; and one test per attack from another office.

use jiesu_core::event::Received;
use jiesu_core::wire::PushRequest;
use jiesu_core::{CaseCommand, Code, Event, EventBody, Hlc, LetterForm};
use jiesu_protocol::public::{PublicCase, Step, lookup_hash};
use jiesu_sync::Transport;
use uuid::Uuid;

use super::common::*;

const RESIDENT: &str = "王秀英";
const PHONE: &str = "13800138000";
const INTERNAL: &str = "业主情绪激动内部掌握";
const PUBLIC_NOTE: &str = "已约维修师傅明早上门";
const REPLY: &str = "已清理通道并加装隔离桩";

struct Filed {
    number: String,
    code: String,
    events: Vec<Event>,
}

/// A case through every step on `a`, synced.
async fn a_case_through_every_step(a: &App) -> Filed {
    let filed = {
        let mut st = a.store();
        let c = st.receive(parking("东门消防通道被占，车主不挪车")).unwrap();
        let steps = vec![
            CaseCommand::Dispatch {
                unit: "property".into(),
                note: INTERNAL.into(),
            },
            CaseCommand::Accept {
                note: String::new(),
            },
            CaseCommand::Note {
                text: INTERNAL.into(),
                contacted_resident: true,
                public: false,
            },
            CaseCommand::Note {
                text: PUBLIC_NOTE.into(),
                contacted_resident: false,
                public: true,
            },
            CaseCommand::IssueLetter(LetterForm {
                promise: "两日内清理通道".into(),
                due_date: jiesu_core::calendar::local_date(test_now() + 86_400_000)
                    .format("%Y-%m-%d")
                    .to_string(),
                responsible: "李主任".into(),
                problem: String::new(),
            }),
            CaseCommand::Resolve {
                outcome: jiesu_core::model::Outcome::Solved,
                result: REPLY.into(),
            },
            CaseCommand::Visit {
                reachable: true,
                contacted: true,
                solved: true,
                satisfaction: Some(jiesu_core::model::Satisfaction::Satisfied),
                note: INTERNAL.into(),
            },
        ];
        for step in steps {
            st.act(c.id, step).unwrap();
        }
        let code = st
            .receipt(&c.number)
            .unwrap()
            .code
            .unwrap()
            .replace(' ', "");
        let events = st
            .case_detail(c.id)
            .unwrap()
            .timeline
            .into_iter()
            .map(|t| t.event)
            .collect();
        Filed {
            number: c.number,
            code,
            events,
        }
    };
    a.sync().await;
    filed
}

async fn look_up(server: &TestServer, number: &str, code: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(format!("{}/lookup", server.url))
        .form(&[("number", number), ("code", code), ("lang", "zh-CN")])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn setup(backend: Backend) -> (Place, TestServer, App) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    (place, server, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_sees_exactly_the_public_trace_and_nothing_personal() {
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let f = a_case_through_every_step(&a).await;
        let (status, page) = look_up(&server, &f.number, &f.code).await;
        assert_eq!(status, 200, "{backend:?}: {page}");
        let rule = PublicCase::fold(&f.events, &|_| None).unwrap();
        assert_eq!(
            page.matches("<li>").count(),
            rule.steps.len(),
            "{backend:?}: one line per public step"
        );
        for step in &rule.steps {
            match &step.what {
                Step::Progress { text } => assert!(page.contains(text.as_str())),
                Step::Resolved { reply, .. } => assert!(page.contains(reply.as_str())),
                Step::LetterIssued { promise, .. } => assert!(page.contains(promise.as_str())),
                _ => {}
            }
        }
        assert!(page.contains("物业公司"), "the unit by its name");
        assert!(page.contains("已回访"));
        for secret in [
            RESIDENT,
            PHONE,
            "8000",
            INTERNAL,
            "东门消防通道被占",
            "a书记",
            "李主任",
            "27栋",
        ] {
            assert!(!page.contains(secret), "{backend:?}: {secret} on the page");
        }
        // The phone's last four digits open it too (the digits are not echoed back).
        let (status, by_tail) = look_up(&server, &f.number.to_lowercase(), "8000").await;
        assert_eq!(status, 200, "{backend:?}");
        assert_eq!(by_tail.matches("<li>").count(), rule.steps.len());
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_number_and_a_wrong_code_get_the_same_answer() {
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let f = a_case_through_every_step(&a).await;
        let wrong_code = if f.code == "00000000" {
            "00000001"
        } else {
            "00000000"
        };
        let (s1, by_code) = look_up(&server, &f.number, wrong_code).await;
        let other = "261123-ZZ999";
        let (s2, by_number) = look_up(&server, other, &f.code).await;
        assert_eq!((s1, s2), (404, 404), "{backend:?}");
        // The form keeps the number typed; otherwise the pages are the same bytes.
        assert_eq!(
            by_code.replace(&f.number, "N"),
            by_number.replace(other, "N"),
            "{backend:?}"
        );
        assert!(by_code.contains("未找到"));
        // Not a code at all: the same answer again.
        let (s3, junk) = look_up(&server, &f.number, "' OR 1=1 --").await;
        assert_eq!(s3, 404);
        assert_eq!(junk, by_code);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_codes_locks_the_number_for_everyone_even_the_right_code() {
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let f = a_case_through_every_step(&a).await;
        for i in 0..jiesu_server::lookup::NUMBER_FAILURES {
            let guess = format!("{:08}", 11_111_111 + i);
            let guess = if guess == f.code {
                "99999999".to_owned()
            } else {
                guess
            };
            assert_eq!(look_up(&server, &f.number, &guess).await.0, 404);
        }
        let (status, page) = look_up(&server, &f.number, &f.code).await;
        assert_eq!(status, 429, "{backend:?}");
        assert!(page.contains("尝试次数过多"));
        assert!(!page.contains(PUBLIC_NOTE));
        // A number that does not exist locks the same way: the lock tells nothing.
        for _ in 0..jiesu_server::lookup::NUMBER_FAILURES {
            look_up(&server, "261123-ZZ998", "12345678").await;
        }
        assert_eq!(look_up(&server, "261123-ZZ998", "12345678").await.0, 429);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_trying_many_numbers_is_locked_out() {
    let (_p, server, a) = setup(Backend::Sqlite).await;
    let f = a_case_through_every_step(&a).await;
    for i in 0..jiesu_server::lookup::ADDRESS_FAILURES {
        let number = format!("261123-ZZ{i:03}");
        assert_eq!(look_up(&server, &number, "12345678").await.0, 404);
    }
    assert_eq!(look_up(&server, &f.number, &f.code).await.0, 429);
    server.stop().await;
}

async fn look_up_via(server: &TestServer, forwarded: &str, number: &str, code: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/lookup", server.url))
        .header("x-forwarded-for", forwarded)
        .form(&[("number", number), ("code", code)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Anyone can send `X-Forwarded-For`: a server not told it sits behind a proxy ignores it, so a
/// guesser cannot reset the address limit by naming a new address on every try.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_forwarded_for_does_not_escape_the_address_limit() {
    let (_p, server, a) = setup(Backend::Sqlite).await;
    let f = a_case_through_every_step(&a).await;
    for i in 0..jiesu_server::lookup::ADDRESS_FAILURES {
        let number = format!("261123-ZZ{i:03}");
        let forged = format!("198.51.100.{i}");
        assert_eq!(
            look_up_via(&server, &forged, &number, "12345678").await,
            404
        );
    }
    assert_eq!(
        look_up_via(&server, "198.51.100.250", &f.number, &f.code).await,
        429
    );
    server.stop().await;
}

/// Behind a proxy (`--trust-forwarded-for`) the client is the last entry, the one the proxy
/// appended: residents behind one proxy are counted apart, and entries a client put in front
/// of the proxy's own change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_proxy_only_the_entry_the_proxy_added_names_the_client() {
    let (_p, server, a) = setup(Backend::Sqlite).await;
    server.state.trust_forwarded_for(true);
    let f = a_case_through_every_step(&a).await;
    for i in 0..jiesu_server::lookup::ADDRESS_FAILURES {
        let number = format!("261123-ZZ{i:03}");
        // A new forged first entry each time; the proxy's entry stays the guesser's.
        let chain = format!("10.9.8.{i}, 203.0.113.7");
        assert_eq!(look_up_via(&server, &chain, &number, "12345678").await, 404);
    }
    assert_eq!(
        look_up_via(&server, "10.0.0.1, 203.0.113.7", &f.number, &f.code).await,
        429,
        "the guesser is locked whatever it writes first"
    );
    assert_eq!(
        look_up_via(&server, "203.0.113.8", &f.number, &f.code).await,
        200,
        "another resident behind the same proxy is not"
    );
    server.stop().await;
}

fn forged(app: &App, stream: &str, body: EventBody) -> Event {
    let st = app.store();
    let id = st.identity();
    Event {
        id: Uuid::now_v7(),
        stream: stream.into(),
        hlc: Hlc {
            wall_ms: now(),
            counter: 0,
        },
        author: id.author.clone(),
        account: None,
        prev: None,
        sig: None,
        device: id.device.clone(),
        office: id.office.clone(),
        body,
    }
}

async fn push(app: &App, events: Vec<Event>) -> Result<(), jiesu_core::WireError> {
    app.client
        .push(&PushRequest {
            events,
            public_key: None,
        })
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_set_by_an_office_that_does_not_hold_the_case_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let b = App::enrol(&server, "b", 0).await;
        let f = a_case_through_every_step(&a).await;
        let stream = f.events[0].stream.clone();
        let case: Uuid = stream.parse().unwrap();
        let hash = lookup_hash(case, "24681357");
        let e = push(
            &b,
            vec![forged(&b, &stream, EventBody::CaseLookupCodeSet { hash })],
        )
        .await
        .expect_err("refused");
        assert_eq!(e.code, Code::OutOfScope, "{backend:?}: {e}");
        assert_eq!(look_up(&server, &f.number, "24681357").await.0, 404);
        assert_eq!(look_up(&server, &f.number, &f.code).await.0, 200);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_filed_under_a_cases_number_neither_hides_nor_opens_it() {
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let b = App::enrol(&server, "b", 0).await;
        let f = a_case_through_every_step(&a).await;
        // b files its own case under a's number, with a code it knows.
        let stream = Uuid::now_v7();
        let received = EventBody::CaseReceived(Box::new(Received {
            number: f.number.clone(),
            intake: parking("冒用编号").into(),
            response_due: now() + 86_400_000,
            resolve_due: now() + 3 * 86_400_000,
        }));
        let code = forged(
            &b,
            &stream.to_string(),
            EventBody::CaseLookupCodeSet {
                hash: lookup_hash(stream, "13572468"),
            },
        );
        let mut intake = forged(&b, &stream.to_string(), received);
        intake.hlc.wall_ms -= 1;
        push(&b, vec![intake, code]).await.unwrap();
        // The resident's code still opens the real case, with its steps.
        let (status, page) = look_up(&server, &f.number, &f.code).await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(page.contains(PUBLIC_NOTE));
        // b's code shows only what b wrote.
        let (status, copy) = look_up(&server, &f.number, "13572468").await;
        assert_eq!(status, 200, "{backend:?}");
        assert!(!copy.contains(PUBLIC_NOTE) && !copy.contains(REPLY));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_filed_before_a_case_under_its_number_cannot_crowd_it_out() {
    use jiesu_server::storage::public::MAX_CANDIDATES;
    for backend in BACKENDS {
        let (_p, server, a) = setup(backend).await;
        let b = App::enrol(&server, "b", 0).await;
        // a files a case while offline; b learns its number (numbers are predictable) and
        // files more copies under it than a lookup ever tries, before a's case arrives.
        let (number, code) = {
            let mut st = a.store();
            let c = st.receive(parking("东门消防通道被占")).unwrap();
            st.act(
                c.id,
                CaseCommand::Note {
                    text: PUBLIC_NOTE.into(),
                    contacted_resident: false,
                    public: true,
                },
            )
            .unwrap();
            let code = st
                .receipt(&c.number)
                .unwrap()
                .code
                .unwrap()
                .replace(' ', "");
            (c.number, code)
        };
        let copies: Vec<Event> = (0..=MAX_CANDIDATES)
            .map(|_| {
                let received = EventBody::CaseReceived(Box::new(Received {
                    number: number.clone(),
                    intake: parking("冒用编号").into(),
                    response_due: now() + 86_400_000,
                    resolve_due: now() + 3 * 86_400_000,
                }));
                forged(&b, &Uuid::now_v7().to_string(), received)
            })
            .collect();
        push(&b, copies).await.unwrap();
        a.sync().await;
        let (status, page) = look_up(&server, &number, &code).await;
        assert_eq!(status, 200, "{backend:?}: the real case is tried first");
        assert!(page.contains(PUBLIC_NOTE), "{backend:?}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_stored_before_the_index_is_found_by_its_phone_after_an_upgrade() {
    for backend in BACKENDS {
        let place = Place::new(backend);
        let server = TestServer::start(&place).await;
        seed_org(&*server.storage).await;
        let a = App::enrol(&server, "a", 0).await;
        let c = a.store().receive(parking("东门消防通道被占")).unwrap();
        a.sync().await;
        let tail: String = c
            .resident
            .phone
            .chars()
            .skip(c.resident.phone.len() - 4)
            .collect();
        server.stop().await;
        // The store as the version before the index left it: no row for the case, and the
        // backfill step not yet taken.
        match &place.url {
            None => {
                let db =
                    rusqlite::Connection::open(place.dir.path().join("jiesu-server.db")).unwrap();
                db.execute("DELETE FROM lookups", []).unwrap();
                let v: i64 = db
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .unwrap();
                db.pragma_update(None, "user_version", v - 1).unwrap();
            }
            Some(url) => {
                let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                db.batch_execute(
                    "DELETE FROM lookups;
                     DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version);",
                )
                .await
                .unwrap();
            }
        }
        let server = TestServer::start(&place).await;
        let (status, page) = look_up(&server, &c.number, &tail).await;
        assert_eq!(status, 200, "{backend:?}: {page}");
        let (status, _) = look_up(&server, &c.number, "0000").await;
        assert_eq!(status, 404, "{backend:?}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_nothing_from_elsewhere_and_runs_no_script() {
    let (_p, server, _a) = setup(Backend::Sqlite).await;
    for path in ["/", "/lookup", "/lookup?lang=en", "/lookup?lang=zh-TW"] {
        let res = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(res.headers()["cache-control"], "no-store");
        let page = res.text().await.unwrap();
        assert!(
            !page.contains("<script") && !page.contains("http://") && !page.contains("https://")
        );
        assert!(page.contains(r#"<label for="code">"#), "labelled inputs");
    }
    let css = reqwest::get(format!("{}/lookup.css", server.url))
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    server.stop().await;
}
