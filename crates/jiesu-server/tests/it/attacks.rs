//! What one office with a device could try against the others, on both backends, one test per
//! attack and named after it: each is refused with its `{code, message}` and nothing is
//! stored anywhere (the district's feed, which every event reaches, does not move).

use jiesu_core::event::{CONFIG_STREAM, Received};
use jiesu_core::figures::FigureSettings;
use jiesu_core::wire::{Office, OfficeKind, PushRequest, UNENROLLED_OFFICE};
use jiesu_core::{CaseCommand, Code, Event, EventBody, Hlc, WireError};
use jiesu_sync::Transport;
use uuid::Uuid;

use super::common::*;

const DAY: i64 = 86_400_000;

/// An event as `app`'s device writes it, with whatever it claims.
fn forged(app: &App, stream: &str, wall_ms: i64, body: EventBody) -> Event {
    let st = app.store();
    let id = st.identity();
    Event {
        id: Uuid::now_v7(),
        stream: stream.into(),
        hlc: Hlc {
            wall_ms,
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

fn intake(at: i64, form: jiesu_core::NewCase) -> EventBody {
    EventBody::CaseReceived(Box::new(Received {
        number: "261123-ZZ001".into(),
        intake: form.into(),
        response_due: at + DAY,
        resolve_due: at + 3 * DAY,
    }))
}

/// Push `events` as `app` and expect a refusal: its error, after checking nothing was stored.
async fn refused(server: &TestServer, app: &App, events: Vec<Event>) -> WireError {
    let before = server.storage.feed_head("d").await.unwrap();
    let e = app
        .client
        .push(&PushRequest {
            events,
            public_key: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(
        server.storage.feed_head("d").await.unwrap(),
        before,
        "nothing stored: {e}"
    );
    e
}

async fn setup(backend: Backend) -> (Place, TestServer, App, App, App) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let b = App::enrol(&server, "b", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    // The street knows the organisation, as the app's sync task keeps it.
    let me = street.client.me().await.unwrap();
    street.store().set_directory(&me.directory).unwrap();
    (place, server, a, b, street)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_ahead_is_refused_with_how_far_and_the_pc_restamps_its_work() {
    for backend in BACKENDS {
        let (_p, server, a, _b, street) = setup(backend).await;
        // A forged step a day ahead: refused, and by how much.
        let case = a.store().receive(parking("东门车位")).unwrap();
        a.sync().await;
        let ahead = forged(
            &a,
            &case.id.to_string(),
            now() + DAY,
            EventBody::CaseUrged { note: "快".into() },
        );
        let e = refused(&server, &a, vec![ahead]).await;
        assert_eq!(e.code, Code::ClockAhead, "{backend:?}: {e}");
        let by = e.params["ahead_ms"].as_i64().unwrap();
        assert!((DAY - 60_000..=DAY + 60_000).contains(&by), "{by}");
        assert!(e.params["server_time"].as_i64().is_some());

        // An honest PC three years ahead, filing before it ever reached the server: its sync
        // is refused once, stamps its work again by the server's time, and goes through.
        let fast = App::enrol(&server, "b", 3 * 365 * DAY).await;
        let filed = fast.store().receive(parking("三年后的钟")).unwrap();
        let report = fast.sync().await;
        assert!(report.restamped >= 1, "{report:?}");
        street.sync().await;
        let seen = street.store().case(filed.id).unwrap();
        let today = jiesu_core::calendar::local_date(now())
            .format("%y%m%d")
            .to_string();
        assert!(
            seen.number.starts_with(&today),
            "{backend:?}: {}",
            seen.number
        );
        assert!(
            (seen.received_at - now()).abs() < DAY,
            "{}",
            seen.received_at
        );
        let kinds: Vec<&str> = street
            .store()
            .case_detail(filed.id)
            .unwrap()
            .timeline
            .iter()
            .map(|t| t.event.body.kind())
            .collect();
        assert!(kinds.contains(&"case_times_corrected"), "{kinds:?}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_clock_is_refused_and_crashes_nobody() {
    for backend in BACKENDS {
        let (_p, server, a, _b, street) = setup(backend).await;
        for wall in [9_000_000_000_000_000, i64::MAX, -1, 0] {
            let ev = forged(
                &a,
                &Uuid::now_v7().to_string(),
                wall,
                intake(now(), parking("x")),
            );
            let e = refused(&server, &a, vec![ev]).await;
            assert_eq!(
                (e.code, e.params["field"].as_str()),
                (Code::InvalidInput, Some("hlc")),
                "{wall}: {e}"
            );
        }
        // A counter at its end is a possible clock: stored, and the street acts on it.
        let stream = Uuid::now_v7();
        let mut ev = forged(
            &a,
            &stream.to_string(),
            now(),
            intake(now(), parking("计数器")),
        );
        ev.hlc.counter = u32::MAX;
        a.client
            .push(&PushRequest {
                events: vec![ev],
                public_key: None,
            })
            .await
            .unwrap();
        street.sync().await;
        let c = street
            .store()
            .act(
                stream,
                CaseCommand::Urge {
                    note: "督办".into(),
                },
            )
            .unwrap();
        assert_eq!(c.urge_count, 1);
        street.sync().await;
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_communitys_config_does_not_rig_its_street() {
    for backend in BACKENDS {
        let (_p, server, a, _b, street) = setup(backend).await;
        let control = street.store().receive(parking("对照")).unwrap();
        // Community a closes the next 60 days and rewrites the ranking weights: its own
        // settings, so the server stores them, and they reach the street.
        {
            let mut st = a.store();
            for d in 0..60 {
                let date = jiesu_core::calendar::local_date(st.now_ms() + d * DAY)
                    .format("%Y-%m-%d")
                    .to_string();
                st.set_calendar_day(&date, false).unwrap();
            }
            st.set_figure_settings(FigureSettings {
                weight_response: 0.0,
                weight_solution: 0.0,
                weight_satisfaction: 1.0,
                ..FigureSettings::default()
            })
            .unwrap();
        }
        a.sync().await;
        street.sync().await;
        {
            let mut st = street.store();
            assert_eq!(
                st.figure_settings().unwrap(),
                FigureSettings::default(),
                "{backend:?}"
            );
            let after = st.receive(parking("之后")).unwrap();
            assert_eq!(
                after.resolve_due - after.received_at,
                control.resolve_due - control.received_at,
                "{backend:?}: the street's deadlines are its own"
            );
            let listed = st
                .conflicts()
                .unwrap()
                .into_iter()
                .filter(|(_, r)| r.contains("settings of office a"))
                .count();
            assert_eq!(listed, 61, "{backend:?}: kept and listed");
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonating_a_sibling_by_assignment_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, b, street) = setup(backend).await;
        // Filed as not yet enrolled, then "assigned" to sibling b.
        let stream = Uuid::now_v7().to_string();
        let mut filed = forged(&a, &stream, now(), intake(now(), parking("冒名")));
        filed.office = UNENROLLED_OFFICE.into();
        let to_b = forged(
            &a,
            &stream,
            now() + 1,
            EventBody::CaseOfficeAssigned {
                office: "b".into(),
                office_name: "幸福社区".into(),
            },
        );
        let e = refused(&server, &a, vec![filed.clone(), to_b]).await;
        assert_eq!(e.code, Code::OutOfScope, "{backend:?}: {e}");
        // Another device assigning a's case, even to its own office.
        a.client
            .push(&PushRequest {
                public_key: None,
                events: vec![filed],
            })
            .await
            .unwrap();
        let a2 = App::enrol(&server, "a", 0).await;
        let by_other = forged(
            &a2,
            &stream,
            now() + 2,
            EventBody::CaseOfficeAssigned {
                office: "a".into(),
                office_name: "和美社区".into(),
            },
        );
        let e = refused(&server, &a2, vec![by_other]).await;
        assert_eq!(e.code, Code::OutOfScope, "{backend:?}: {e}");
        assert!(e.message.contains("only the device that filed it"), "{e}");
        // Never counted as b's.
        street.sync().await;
        b.sync().await;
        assert!(b.store().all_cases().unwrap().is_empty());
        assert_eq!(
            street.store().all_cases().unwrap()[0].office,
            UNENROLLED_OFFICE
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_not_served_for_knowing_its_hash() {
    for backend in BACKENDS {
        let (_p, server, _a, b, _street) = setup(backend).await;
        // Photos live beside a store on disk.
        let dir = tempfile::tempdir().unwrap();
        let a = App::enrol_in(&server, "a", 0, Some(dir.path())).await;
        let photo = b"\xff\xd8\xff photo of a's resident's door".to_vec();
        let case = file_with_photo(&mut a.store(), "门口堆物", &photo);
        a.sync().await;
        let sha = case.attachment.unwrap().sha256;
        // b names the hash in an intake of its own without having the bytes: the case is
        // stored, the photo is not b's to see.
        let mut form = parking("借图");
        form.attachment = Some(jiesu_core::Attachment {
            sha256: sha.clone(),
            name: "x.jpg".into(),
            size: photo.len() as u64,
        });
        b.client
            .push(&PushRequest {
                public_key: None,
                events: vec![forged(
                    &b,
                    &Uuid::now_v7().to_string(),
                    now(),
                    intake(now(), form),
                )],
            })
            .await
            .unwrap();
        let e = b.client.get_attachment(&sha).await.expect_err("not served");
        assert_eq!(e.code, Code::OutOfScope, "{backend:?}: {e}");
        // Having the bytes is another matter: b uploads them, and its case may show them.
        b.client.put_attachment(&sha, photo.clone()).await.unwrap();
        assert_eq!(b.client.get_attachment(&sha).await.unwrap(), Some(photo));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_out_of_the_district_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _b, _street) = setup(backend).await;
        for o in [
            Office {
                id: "x".into(),
                name: "外区".into(),
                kind: OfficeKind::District,
                parent: None,
            },
            Office {
                id: "xs".into(),
                name: "外区街道".into(),
                kind: OfficeKind::Street,
                parent: Some("x".into()),
            },
        ] {
            jiesu_server::admin::add_office(&*server.storage, &o, now())
                .await
                .unwrap();
        }
        let case = a.store().receive(parking("甩出去")).unwrap();
        a.sync().await;
        let away = forged(
            &a,
            &case.id.to_string(),
            now(),
            EventBody::CaseTransferredToOffice {
                office: "xs".into(),
                office_name: "外区街道".into(),
                reason: "不归我们管".into(),
            },
        );
        let e = refused(&server, &a, vec![away]).await;
        assert_eq!(e.code, Code::OutOfScope, "{backend:?}: {e}");
        assert!(e.message.contains("not in the directory"), "{e}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_for_offices_not_below_the_opener_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _b, street) = setup(backend).await;
        let campaign = |offices: &[&str]| {
            EventBody::CampaignOpened(Box::new(jiesu_core::event::CampaignCharter {
                campaign: Uuid::now_v7(),
                title: "借整改之名".into(),
                problem: "派活".into(),
                standard: "照办".into(),
                category: "other".into(),
                due_date: "2027-06-30".into(),
                source: None,
                offices: offices.iter().map(|o| o.to_string()).collect(),
            }))
        };
        // A community asking work of its sibling, of its own street, or a street of a
        // community under another street.
        for (app, offices) in [(&a, &["b"][..]), (&a, &["s1"][..]), (&street, &["c"][..])] {
            let ev = forged(app, CONFIG_STREAM, now(), campaign(offices));
            let e = refused(&server, app, vec![ev]).await;
            assert_eq!(e.code, Code::OutOfScope, "{backend:?} {offices:?}: {e}");
            assert!(e.message.contains("not below office"), "{e}");
        }
        server.stop().await;
    }
}

/// A change to a campaign reaches no further than an opening: offices it adds must be below
/// its writer (that the writer opened the campaign, every fold checks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_change_adding_offices_not_below_the_writer_is_refused() {
    for backend in BACKENDS {
        let (_p, server, a, _b, street) = setup(backend).await;
        let change = |offices: &[&str]| {
            EventBody::CampaignAmended(Box::new(jiesu_core::event::CampaignAmendment {
                campaign: Uuid::now_v7(),
                title: None,
                problem: None,
                standard: None,
                due_date: None,
                offices: offices.iter().map(|o| o.to_string()).collect(),
                closed: None,
                note: "扩大范围".into(),
            }))
        };
        for (app, offices) in [(&a, &["b"][..]), (&street, &["c"][..])] {
            let ev = forged(app, CONFIG_STREAM, now(), change(offices));
            let e = refused(&server, app, vec![ev]).await;
            assert_eq!(e.code, Code::OutOfScope, "{backend:?} {offices:?}: {e}");
            assert!(e.message.contains("not below office"), "{e}");
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_id_spelled_otherwise_is_refused_by_the_server() {
    // Office b names a's case by the same UUID spelled otherwise: another stream to a log,
    // the same case once parsed. Refused before scope is even asked.
    for backend in BACKENDS {
        let (_p, server, a, b, _street) = setup(backend).await;
        let c = a.store().receive(parking("原件")).unwrap();
        a.sync().await;
        let id = c.id.to_string();
        for spelled in [
            id.to_uppercase(),
            format!("{{{id}}}"),
            id.replace('-', ""),
            format!("urn:uuid:{id}"),
        ] {
            let ev = forged(&b, &spelled, now(), intake(now(), parking("覆盖")));
            let e = refused(&server, &b, vec![ev]).await;
            assert_eq!(
                (e.code, e.params["field"].as_str()),
                (Code::InvalidInput, Some("stream")),
                "{backend:?} {spelled}: {e}"
            );
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_the_app_would_refuse_is_refused_by_the_server() {
    for backend in BACKENDS {
        let (_p, server, a, _b, _street) = setup(backend).await;
        let mut long = parking("x");
        long.description = "漏".repeat(500_000);
        let mut unknown = parking("x");
        unknown.category = "no.such.category".into();
        let mut phone = parking("x");
        phone.resident.phone = "call-me".into();
        let far = EventBody::CaseReceived(Box::new(Received {
            number: "1".into(),
            intake: parking("x").into(),
            response_due: now(),
            resolve_due: -9_000_000_000_000_000,
        }));
        let case = Uuid::now_v7().to_string();
        for (field, body, stream) in [
            (
                "description",
                intake(now(), long),
                Uuid::now_v7().to_string(),
            ),
            (
                "category",
                intake(now(), unknown),
                Uuid::now_v7().to_string(),
            ),
            (
                "resident.phone",
                intake(now(), phone),
                Uuid::now_v7().to_string(),
            ),
            ("resolve_due", far, Uuid::now_v7().to_string()),
            (
                "stream",
                EventBody::UnitAdded {
                    code: "u".into(),
                    name: "物业".into(),
                },
                case.clone(),
            ),
            (
                "stream",
                intake(now(), parking("x")),
                CONFIG_STREAM.to_string(),
            ),
        ] {
            let e = refused(&server, &a, vec![forged(&a, &stream, now(), body)]).await;
            assert_eq!(
                (e.code, e.params["field"].as_str()),
                (Code::InvalidInput, Some(field)),
                "{backend:?}: {e}"
            );
            assert!(e.params["event"].as_str().is_some());
        }
        // A second intake on a case the server holds.
        let c = a.store().receive(parking("原件")).unwrap();
        a.sync().await;
        let again = forged(&a, &c.id.to_string(), now(), intake(now(), parking("覆盖")));
        let e = refused(&server, &a, vec![again]).await;
        assert_eq!(e.code, Code::InvalidInput, "{e}");
        server.stop().await;
    }
}
