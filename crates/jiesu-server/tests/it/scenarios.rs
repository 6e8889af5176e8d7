//! The journeys issue 3 names, each on both backends: offline work reaches the street, a
//! transfer gives the receiving community the whole history, concurrent actions converge and
//! the conflict is shown; meetings and photos travel with their cases, and work done before
//! enrolment arrives as the office's. (The protocol's mechanics are in `transport.rs`.)

use jiesu_core::{CaseCommand, CaseState, Outcome};
use jiesu_sync::Transport;

use super::common::*;

on_both_backends!(
    a_case_filed_offline_reaches_the_street_after_reconnection,
    a_transfer_gives_the_receiving_community_the_whole_history,
    concurrent_actions_converge_and_the_conflict_is_shown,
    a_meeting_and_the_cases_it_produced_reach_the_street,
    a_photo_goes_where_its_case_goes,
    work_done_before_enrolment_reaches_the_street_as_the_offices,
    a_street_campaign_reaches_each_community_and_their_progress_comes_back,
);

/// 一地曝光、全域整改 through the server: a street opens a rectification campaign for its two
/// communities; each receives the campaign and only its own item, works it, adds a site it
/// found, and the street's board shows their progress after a sync. The other street's
/// community hears nothing of it.
async fn a_street_campaign_reaches_each_community_and_their_progress_comes_back(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let b = App::enrol(&server, "b", 0).await;
    let c = App::enrol(&server, "c", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    for app in [&a, &b, &c, &street] {
        // As the app's sync task keeps it.
        let me = app.client.me().await.unwrap();
        app.store().set_directory(&me.directory).unwrap();
    }
    let due = jiesu_core::calendar::local_date(now() + 20 * 86_400_000)
        .format("%Y-%m-%d")
        .to_string();
    let opened = street
        .store()
        .open_campaign(jiesu_core::campaign::NewCampaign {
            title: "消防通道占用专项整改".into(),
            problem: "小区消防通道被私家车长期占用".into(),
            standard: "划线、设禁停标识，无车辆占用".into(),
            category: "parking.illegal.fire_lane".into(),
            due_date: due,
            source: None,
            offices: vec!["a".into(), "b".into()],
        })
        .unwrap();
    street.sync().await;
    for app in [&a, &b, &c] {
        app.sync().await;
    }
    for (app, office) in [(&a, "a"), (&b, "b")] {
        let st = app.store();
        assert_eq!(st.campaigns().unwrap().len(), 1, "{backend:?} {office}");
        let cases = st.all_cases().unwrap();
        assert_eq!(
            cases.len(),
            1,
            "{backend:?}: {office} holds its own item only"
        );
        assert_eq!(cases[0].office, office);
        assert_eq!(cases[0].campaign, Some(opened.id));
        assert_eq!(st.conflicts().unwrap(), vec![], "{backend:?} {office}");
    }
    assert!(c.store().campaigns().unwrap().is_empty(), "{backend:?}");
    assert!(c.store().all_cases().unwrap().is_empty(), "{backend:?}");

    {
        let mut st = a.store();
        let item = st.all_cases().unwrap()[0].id;
        st.act(
            item,
            CaseCommand::ResolveOnSpot {
                result: "已划线并设禁停牌".into(),
            },
        )
        .unwrap();
        st.add_campaign_site(jiesu_core::campaign::NewSite {
            campaign: opened.id,
            location: "12栋东侧".into(),
            description: "12栋东侧消防通道堆放杂物".into(),
        })
        .unwrap();
    }
    a.sync().await;
    street.sync().await;
    let board = street.store().campaign_board(opened.id).unwrap();
    let row = |o: &str| board.rows.iter().find(|r| r.office == o).unwrap().clone();
    assert_eq!(row("a").progress.found, 2, "{backend:?}");
    assert_eq!(row("a").progress.rectified, 1, "{backend:?}");
    assert_eq!(row("a").own_sites, 1, "{backend:?}");
    assert_eq!(row("b").progress.found, 1, "{backend:?}");
    assert_eq!(board.summary.totals.rectified, 1, "{backend:?}");
    assert_eq!(street.store().conflicts().unwrap(), vec![], "{backend:?}");
    server.stop().await;
}

/// A PC used on its own before it enrolled: its cases reach the street owned by the
/// community it enrolled into, counted under it in the street's figures, not under "before
/// enrolment"; the steps taken before keep saying so in the trace.
async fn work_done_before_enrolment_reaches_the_street_as_the_offices(backend: Backend) {
    use jiesu_core::{ManualClock, Store};
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let clock = ManualClock::new(test_now());
    let mut store = Store::open_in_memory(Box::new(clock.clone())).unwrap();
    store
        .set_identity(jiesu_core::wire::UNENROLLED_OFFICE, "和美社区", "李书记")
        .unwrap();
    let case = store.receive(parking("单机时期登记的停车纠纷")).unwrap();
    store
        .act(
            case.id,
            CaseCommand::Note {
                text: "已电话联系".into(),
                contacted_resident: true,
                public: false,
            },
        )
        .unwrap();
    let a = App::enrol_store(&server, "a", store, clock).await;
    assert_eq!(
        a.sync().await.pushed,
        4,
        "intake, lookup code, note and the assignment"
    );

    let street = App::enrol(&server, "s1", 0).await;
    street.sync().await;
    {
        let st = street.store();
        let detail = st.case_detail(case.id).unwrap();
        assert_eq!(detail.case.office, "a");
        let offices: Vec<&str> = detail
            .timeline
            .iter()
            .map(|t| t.event.office.as_str())
            .collect();
        assert_eq!(
            offices,
            ["local", "local", "local", "a"],
            "the trace keeps what was done before"
        );
        // Filed before its device enrolled: it counts from the server's receipt of its intake.
        let receipt = st
            .receipt_time(detail.timeline[0].event.id)
            .unwrap()
            .expect("the intake's receipt came with it");
        assert_eq!(detail.case.received_at, receipt);
        let q = jiesu_core::figures::FigureQuery {
            from: receipt - 86_400_000,
            to: receipt + 86_400_000,
            unit: None,
            category: None,
            channel: None,
            building: None,
            office: None,
        };
        let by_office: Vec<(String, u32)> = st
            .dashboard(&q, jiesu_core::figures::Dimension::Week)
            .unwrap()
            .offices
            .into_iter()
            .map(|g| (g.key, g.figures.received))
            .collect();
        assert_eq!(by_office, [("a".to_string(), 1)]);
        assert_eq!(st.all_cases().unwrap(), a.store().all_cases().unwrap());
    }
    let b = App::enrol(&server, "b", 0).await;
    b.sync().await;
    assert!(b.store().case(case.id).is_err());
    server.stop().await;
}

/// A photo filed with a case reaches the street with the case, and the community it is
/// transferred to; a community of another street cannot fetch it. A case whose photo has not
/// been uploaded yet arrives without it, and the photo follows once it is.
async fn a_photo_goes_where_its_case_goes(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = App::enrol_in(&server, "a", 0, Some(dirs[0].path())).await;
    let b = App::enrol_in(&server, "b", 0, Some(dirs[1].path())).await;
    let c = App::enrol_in(&server, "c", 0, Some(dirs[2].path())).await;
    let street = App::enrol_in(&server, "s1", 0, Some(dirs[3].path())).await;
    let jpeg: Vec<u8> = [
        &[0xff, 0xd8, 0xff, 0xe0][..],
        "消防通道被占".as_bytes(),
        &[7; 3000],
    ]
    .concat();
    let case = file_with_photo(&mut a.store(), "消防通道被私家车占用", &jpeg);
    let sha = case.attachment.clone().unwrap().sha256;

    // Filed offline: nothing at the street yet.
    street.sync().await;
    assert!(street.store().case(case.id).is_err());
    assert_eq!(street.client.get_attachment(&sha).await.unwrap(), None);

    let up = a.sync().await;
    assert_eq!((up.pushed, up.photos_up), (2, 1), "intake and lookup code");
    let down = street.sync().await;
    assert_eq!(down.photos_down, 1);
    assert_eq!(street.store().read_attachment(&sha).unwrap(), jpeg);
    assert!(street.store().attachments_to_fetch(10).unwrap().is_empty());
    // The server names the type, so the compression layer leaves the bytes alone.
    let r = reqwest::Client::new()
        .get(format!("{}/v1/attachments/{sha}", server.url))
        .bearer_auth(street.credential())
        .header("accept-encoding", "gzip, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg);

    // Another street's community: the case is not in its scope, nor the photo.
    c.sync().await;
    let refused = c.client.get_attachment(&sha).await.unwrap_err();
    assert_eq!(refused.code, jiesu_core::Code::OutOfScope);
    assert!(c.store().read_attachment(&sha).is_err());

    // Transferred to b: b gets the case's whole history, and its photo.
    assert_eq!(
        b.client.get_attachment(&sha).await.unwrap_err().code,
        jiesu_core::Code::OutOfScope
    );
    a.store()
        .act(
            case.id,
            CaseCommand::TransferOffice {
                office: "b".into(),
                reason: "属幸福社区辖区".into(),
            },
        )
        .unwrap();
    a.sync().await;
    let at_b = b.sync().await;
    assert_eq!(at_b.photos_down, 1);
    assert_eq!(b.store().read_attachment(&sha).unwrap(), jpeg);

    // A case pushed before its photo (the photo's upload was lost): the street holds the
    // case, wants the photo, and asks again until the photo is there.
    let late: Vec<u8> = [&[0x89, b'P', b'N', b'G'][..], &[9; 2000]].concat();
    let (case2, event) = {
        let mut st = a.store();
        let c2 = file_with_photo(&mut st, "楼道堆物", &late);
        let ev = st.case_detail(c2.id).unwrap().timeline[0].event.clone();
        (c2, ev)
    };
    let sha2 = case2.attachment.clone().unwrap().sha256;
    let receipts = a
        .client
        .push(&jiesu_core::wire::PushRequest {
            public_key: None,
            events: vec![event],
        })
        .await
        .unwrap();
    a.store().acknowledge(&receipts.receipts).unwrap();
    let early = street.sync().await;
    assert_eq!(early.photos_down, 0);
    assert!(street.store().case(case2.id).is_ok());
    assert_eq!(
        street.store().attachments_to_fetch(10).unwrap(),
        vec![sha2.clone()]
    );
    a.client.put_attachment(&sha2, late.clone()).await.unwrap();
    assert_eq!(street.sync().await.photos_down, 1);
    assert_eq!(street.store().read_attachment(&sha2).unwrap(), late);
    assert!(street.store().attachments_to_fetch(10).unwrap().is_empty());

    // A photo damaged on the community's disk: the server refuses the bytes, and the case
    // goes up all the same instead of holding up everything behind it.
    let case3 = {
        let mut st = a.store();
        let c3 = file_with_photo(&mut st, "井盖缺失", b"\xff\xd8\xff original");
        let sha = &c3.attachment.as_ref().unwrap().sha256;
        std::fs::write(st.attachment_path(sha).unwrap(), b"bit rot").unwrap();
        c3
    };
    let up = a.sync().await;
    // Case 2's lookup code (only its intake went up by hand), case 3's intake and code.
    assert_eq!((up.pushed, up.photos_up), (3, 0));
    assert_eq!(a.store().waiting().unwrap(), 0);
    street.sync().await;
    assert!(street.store().case(case3.id).is_ok());
    server.stop().await;
}

/// Meetings sync like cases: a council at community A, its minutes approved and an action
/// item turned into a case, reach the street whole; a sibling community sees none of it.
async fn a_meeting_and_the_cases_it_produced_reach_the_street(backend: Backend) {
    use jiesu_core::{ItemCaseForm, ItemKind, MeetingCommand, MeetingInfo, MeetingKind, Urgency};
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    let b = App::enrol(&server, "b", 0).await;
    let deadline = jiesu_core::calendar::local_date(test_now() + 5 * 86_400_000)
        .format("%Y-%m-%d")
        .to_string();
    let (meeting, case) = {
        let mut st = a.store();
        let author = st.identity().author.clone();
        let m = st
            .schedule_meeting(MeetingInfo {
                kind: MeetingKind::Council,
                title: "停车难议事会".into(),
                starts_at: test_now(),
                ends_at: None,
                place: "会议室".into(),
                facilitator: author,
                recorder: String::new(),
            })
            .unwrap();
        let m = st
            .meeting_act(
                m.id,
                MeetingCommand::AddItem {
                    agenda: None,
                    kind: ItemKind::Action,
                    text: "施划临时停车位".into(),
                    owner_unit: Some("property".into()),
                    deadline: Some(deadline),
                },
            )
            .unwrap();
        let case = st
            .open_item_case(
                m.id,
                ItemCaseForm {
                    item: m.items[0].id,
                    category: "parking.spaces".into(),
                    urgency: Urgency::Normal,
                    description: String::new(),
                    location: String::new(),
                },
            )
            .unwrap();
        let m = st
            .meeting_act(
                m.id,
                MeetingCommand::Approve {
                    note: String::new(),
                },
            )
            .unwrap();
        (m, case)
    };
    a.sync().await;
    street.sync().await;
    b.sync().await;
    let seen = street.store().meeting_detail(meeting.id).unwrap();
    assert_eq!(seen.meeting, meeting);
    assert_eq!(seen.cases.len(), 1);
    assert_eq!(seen.cases[0].state, Some(CaseState::Dispatched));
    assert_eq!(
        street.store().case(case.id).unwrap().meeting,
        Some(meeting.id)
    );
    assert!(b.store().meeting(meeting.id).is_err());
    assert!(b.store().all_meetings().unwrap().is_empty());
    server.stop().await;
}

async fn a_case_filed_offline_reaches_the_street_after_reconnection(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    let other_street = App::enrol(&server, "s2", 0).await;
    let addr = server.addr;
    server.stop().await;

    // Offline: the community keeps working, nothing is lost.
    let case = a
        .store()
        .receive(parking("小区东门停车难，车位被占"))
        .unwrap();
    a.store()
        .act(
            case.id,
            CaseCommand::Dispatch {
                unit: "property".into(),
                note: "尽快".into(),
            },
        )
        .unwrap();
    assert_eq!(a.store().waiting().unwrap(), 3);
    let failed = jiesu_sync::sync_round(&a.store, &a.client, &|_| {}).await;
    assert_eq!(failed.unwrap_err().code, jiesu_core::Code::Offline);
    assert_eq!(
        a.store().waiting().unwrap(),
        3,
        "a failed round loses nothing"
    );

    // Back online.
    let server = TestServer::start_on(&place, addr).await;
    let report = a.sync().await;
    assert_eq!(report.pushed, 3);
    assert_eq!(a.store().waiting().unwrap(), 0);
    assert!(street.sync().await.pulled >= 3);
    let seen = street.store().case(case.id).unwrap();
    assert_eq!(seen.state, CaseState::Dispatched);
    assert_eq!(seen.description, "小区东门停车难，车位被占");
    assert_eq!(
        street.store().case_detail(case.id).unwrap().timeline.len(),
        3
    );
    // The server's receipt time is kept on every event, whatever the PC's clock said.
    let ids = a.store().event_ids().unwrap();
    for id in ids {
        let t = a.store().receipt_time(id.parse().unwrap()).unwrap();
        assert!(
            t.is_some_and(|t| t >= now() - 60_000),
            "receipt time for {id}"
        );
    }
    // Another street sees nothing of it.
    other_street.sync().await;
    assert!(other_street.store().case(case.id).is_err());
    assert_eq!(other_street.store().stats().unwrap().cases, 0);
    server.stop().await;
}

async fn a_transfer_gives_the_receiving_community_the_whole_history(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let b = App::enrol(&server, "b", 0).await;
    let c = App::enrol(&server, "c", 0).await;
    let case = a.store().receive(parking("跨小区停车纠纷")).unwrap();
    a.store()
        .act(
            case.id,
            CaseCommand::Note {
                text: "已联系居民".into(),
                contacted_resident: true,
                public: false,
            },
        )
        .unwrap();
    a.sync().await;
    b.sync().await;
    assert!(
        b.store().case(case.id).is_err(),
        "not shared before the transfer"
    );

    a.store()
        .act(
            case.id,
            CaseCommand::TransferOffice {
                office: "b".into(),
                reason: "属幸福社区辖区".into(),
            },
        )
        .unwrap();
    a.sync().await;
    b.sync().await;
    let at_b = b.store().case(case.id).unwrap();
    assert_eq!(at_b.office, "b");
    assert_eq!(at_b.state, CaseState::Received);
    let timeline = b.store().case_detail(case.id).unwrap().timeline;
    assert_eq!(
        timeline.len(),
        4,
        "the whole history: intake, lookup code, note, transfer"
    );
    // B works on it from now on, and A (still a holder) sees B's steps.
    b.store()
        .act(
            case.id,
            CaseCommand::Dispatch {
                unit: "property".into(),
                note: String::new(),
            },
        )
        .unwrap();
    b.sync().await;
    a.sync().await;
    assert_eq!(
        a.store().case(case.id).unwrap().state,
        CaseState::Dispatched
    );
    // A community of another street never sees it.
    c.sync().await;
    assert!(c.store().case(case.id).is_err());
    server.stop().await;
}

async fn concurrent_actions_converge_and_the_conflict_is_shown(backend: Backend) {
    let place = Place::new(backend);
    let server = TestServer::start(&place).await;
    seed_org(&*server.storage).await;
    let a = App::enrol(&server, "a", 0).await;
    let street = App::enrol(&server, "s1", 0).await;
    let case = a.store().receive(parking("楼道堆物")).unwrap();
    for cmd in [
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
        CaseCommand::Accept {
            note: String::new(),
        },
    ] {
        a.store().act(case.id, cmd).unwrap();
    }
    a.sync().await;
    street.sync().await;
    // Both act without seeing each other: the community resolves, the street transfers.
    a.clock.advance(60_000);
    street.clock.advance(61_000);
    a.store()
        .act(
            case.id,
            CaseCommand::Resolve {
                outcome: Outcome::Solved,
                result: "已清理".into(),
            },
        )
        .unwrap();
    street
        .store()
        .act(
            case.id,
            CaseCommand::TransferOffice {
                office: "b".into(),
                reason: "街道统筹".into(),
            },
        )
        .unwrap();
    a.sync().await;
    street.sync().await;
    a.sync().await;
    let (ca, cs) = (
        a.store().case(case.id).unwrap(),
        street.store().case(case.id).unwrap(),
    );
    assert_eq!(ca, cs, "the same case everywhere");
    let (ta, ts) = (
        a.store().case_detail(case.id).unwrap(),
        street.store().case_detail(case.id).unwrap(),
    );
    assert_eq!(ta.timeline, ts.timeline, "the same timeline everywhere");
    // The later step (the street's transfer) came after a resolution: it is kept and shown
    // as a conflict, never dropped.
    assert_eq!(ca.state, CaseState::Resolved);
    let conflicts: Vec<_> = ta
        .timeline
        .iter()
        .filter(|e| e.conflict.is_some())
        .collect();
    assert_eq!(conflicts.len(), 1, "{:?}", ta.timeline);
    assert_eq!(
        a.store().conflicts().unwrap(),
        street.store().conflicts().unwrap()
    );
    server.stop().await;
}
