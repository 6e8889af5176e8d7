//! One exposure, fixed everywhere: a street's rectification campaign (专项整改) reaches its
//! communities as cases in their own lists, their progress comes back by sync, and no office
//! can open one for offices it does not oversee or pin a site on another's campaign.

use jiesu_core::campaign::{NewCampaign, NewSite};
use jiesu_core::event::CampaignCharter;
use jiesu_core::*;
use uuid::Uuid;

use super::common::*;

/// What the server would give `office`: the configuration, and the case streams it holds
/// or is above (by the holder the sender's replica folded).
pub(super) fn feed_for(from: &Store, office: &str) -> Vec<Event> {
    let tree = jiesu_core::authority::Tree::new(org());
    let holders: std::collections::HashMap<String, String> = from
        .all_cases()
        .unwrap()
        .into_iter()
        .map(|c| (c.id.to_string(), c.office))
        .collect();
    log_of(from)
        .into_iter()
        .filter(|e| {
            e.stream == event::CONFIG_STREAM
                || holders
                    .get(&e.stream)
                    .is_some_and(|h| tree.sees(office, std::slice::from_ref(h)))
        })
        .collect()
}

pub(super) fn day_after(s: &Store, days: i64) -> String {
    calendar::local_date(s.now_ms() + days * DAY)
        .format("%Y-%m-%d")
        .to_string()
}

pub(super) fn fire_lane(s: &Store, offices: &[&str], source: Option<String>) -> NewCampaign {
    NewCampaign {
        title: "消防通道占用专项整改".into(),
        problem: "《看见》曝光：小区消防通道被私家车长期占用".into(),
        standard: "消防通道划线、设禁停标识，无车辆占用".into(),
        category: "parking.illegal.fire_lane".into(),
        due_date: day_after(s, 10),
        source,
        offices: offices.iter().map(|o| o.to_string()).collect(),
    }
}

fn exposed(desc: &str) -> NewCase {
    let mut c = parking_case(desc);
    c.channel = Channel::Media;
    c.category = "parking.illegal.fire_lane".into();
    c
}

#[test]
fn a_street_campaign_reaches_its_communities_and_their_progress_comes_back() {
    let (mut street, street_clock) = office_store("s1");
    let (mut a, a_clock) = office_store("a");
    let (mut b, _) = office_store("b");

    // 《看见》 exposes a blocked fire lane in community a; a files it.
    let source = a
        .receive(exposed("3栋楼下消防通道被私家车长期占用"))
        .unwrap();
    street.apply_remote(&feed_for(&a, "s1")).unwrap();

    let opened = street
        .open_campaign(fire_lane(&street, &["a", "b"], Some(source.number.clone())))
        .unwrap();
    assert!(opened.mine);
    assert_eq!(opened.office_name, "s1办");
    // One item per community, plus the exposed case.
    assert_eq!(opened.totals.found, 3);
    let board = street.campaign_board(opened.id).unwrap();
    assert_eq!(
        board
            .rows
            .iter()
            .map(|r| r.office.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(board.source.as_ref().unwrap().number, source.number);
    assert_eq!(board.category_path, "停车管理 / 违章停车 / 占用消防通道");
    for item in &board.items {
        let case = street.case(item.case_id).unwrap();
        assert_eq!(case.campaign, Some(opened.id));
        if case.id != source.id {
            assert_eq!(case.channel, Channel::Media, "an exposure's items");
            assert_eq!(
                case.resolve_due, board.summary.due,
                "due the campaign's last day"
            );
            assert!(!item.own_site);
        }
    }
    assert_eq!(street.conflicts().unwrap(), vec![]);

    // Each community gets the campaign and its own item, in its own list.
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    b.apply_remote(&feed_for(&street, "b")).unwrap();
    assert_eq!(a.conflicts().unwrap(), vec![]);
    assert_eq!(b.conflicts().unwrap(), vec![]);
    let seen = b.campaigns().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].mine, "a campaign from above");
    assert_eq!(seen[0].title, "消防通道占用专项整改");
    let b_cases = b.all_cases().unwrap();
    assert_eq!(b_cases.len(), 1, "b holds only its item");
    assert_eq!(b_cases[0].office, "b");
    assert_eq!(b_cases[0].campaign, Some(opened.id));
    let a_item = a
        .all_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.id != source.id)
        .unwrap();
    assert_eq!(a_item.office, "a");

    // a fixes its item on the spot, finds one more site itself; b does nothing.
    // An hour later on both PCs (on 31 December at 23:59 that is next year: the board's last
    // day must follow the street's clock past midnight too).
    a_clock.advance(3_600_000);
    street_clock.advance(3_600_000);
    a.act(
        a_item.id,
        CaseCommand::ResolveOnSpot {
            result: "已划线并设禁停牌，车辆已挪走".into(),
        },
    )
    .unwrap();
    let own = a
        .add_campaign_site(NewSite {
            campaign: opened.id,
            location: "12栋东侧".into(),
            description: "12栋东侧消防通道堆放杂物".into(),
        })
        .unwrap();
    assert_eq!(own.campaign, Some(opened.id));
    assert_eq!(own.channel, Channel::Patrol);
    assert!(own.resolve_due <= board.summary.due);

    // Back at the street: a's progress arrives by sync.
    street.apply_remote(&feed_for(&a, "s1")).unwrap();
    assert_eq!(street.conflicts().unwrap(), vec![]);
    let board = street.campaign_board(opened.id).unwrap();
    let row = |o: &str| board.rows.iter().find(|r| r.office == o).unwrap().clone();
    assert_eq!(row("a").progress.found, 3, "source, item and its own site");
    assert_eq!(row("a").progress.rectified, 1);
    assert_eq!(
        row("a").own_sites,
        2,
        "the exposed case and the site a found"
    );
    assert_eq!(row("b").progress.found, 1);
    assert_eq!(row("b").progress.rectified, 0);
    assert_eq!(board.summary.totals.found, 4);
    assert_eq!(board.summary.totals.overdue, 0);
    let last = board.progress.last().unwrap();
    assert_eq!((last.found, last.rectified), (4, 1));

    // After the last day, what is not rectified is overdue, at every office alike.
    street_clock.advance(12 * DAY);
    let board = street.campaign_board(opened.id).unwrap();
    assert_eq!(board.summary.totals.overdue, 3);
    assert_eq!(
        board
            .rows
            .iter()
            .find(|r| r.office == "b")
            .unwrap()
            .progress
            .overdue,
        1
    );
    assert_eq!(street.campaigns().unwrap()[0].totals.overdue, 3);

    // The board as the office files it: 问题清单 and 整改清单, read back by openpyxl.
    let dir = tempfile::tempdir().unwrap();
    let file = street.save_campaign_board(dir.path(), opened.id).unwrap();
    assert!(file.path.contains("消防通道占用专项整改"), "{}", file.path);
    let book = super::exports::read_xlsx(std::path::Path::new(&file.path));
    let summary = book["汇总"].as_array().unwrap();
    let total = summary
        .iter()
        .find(|r| r[0] == "合计")
        .unwrap_or_else(|| panic!("{summary:?}"));
    assert_eq!(
        (total[1].as_f64(), total[2].as_f64(), total[3].as_f64()),
        (Some(4.0), Some(1.0), Some(3.0))
    );
    let problems = book["问题清单"].as_array().unwrap();
    assert_eq!(problems.len(), 5, "a header and four sites");
    assert!(
        problems
            .iter()
            .any(|r| r[3] == "12栋东侧" && r[7] == "自查发现")
    );
    let fixes = book["整改清单"].as_array().unwrap();
    let done = fixes.iter().find(|r| r[4] == "已整改").unwrap();
    assert_eq!(done[5], "已划线并设禁停牌，车辆已挪走");
    assert_eq!(fixes.iter().filter(|r| r[7] == "逾期").count(), 3);
}

/// A title from another office's PC names a file in the exports folder, never a path.
#[test]
fn a_campaign_title_that_reads_as_a_path_stays_in_the_exports_folder() {
    let (mut street, _) = office_store("s1");
    let mut form = fire_lane(&street, &["a"], None);
    form.title = "../../../etc/整改".into();
    let opened = street.open_campaign(form).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = street.save_campaign_board(dir.path(), opened.id).unwrap();
    let path = std::path::Path::new(&file.path);
    assert_eq!(path.parent().unwrap(), dir.path(), "{}", file.path);
}

#[test]
fn the_campaign_board_is_the_same_after_a_rebuild() {
    let (mut street, _) = office_store("s1");
    let opened = street
        .open_campaign(fire_lane(&street, &["a", "b"], None))
        .unwrap();
    let before = street.campaign_board(opened.id).unwrap();
    street.rebuild_projections().unwrap();
    assert_eq!(street.campaign_board(opened.id).unwrap(), before);
    assert_eq!(before.items.len(), 2);
}

#[test]
fn a_community_cannot_open_a_campaign_for_its_sibling_or_its_street() {
    let (mut a, _) = office_store("a");
    for offices in [&["b"][..], &["s1"][..], &["c"][..]] {
        let form = fire_lane(&a, offices, None);
        let err = a.open_campaign(form).unwrap_err();
        assert_eq!(err.code(), Code::OutOfScope, "{offices:?}: {err}");
    }
    assert!(log_of(&a).is_empty(), "nothing written");
}

#[test]
fn a_campaign_for_an_unenrolled_office_or_with_a_bad_form_writes_nothing() {
    let (mut s, _) = store_at(test_now());
    let form = fire_lane(&s, &["a"], None);
    assert!(s.open_campaign(form).is_err(), "no directory");
    let (mut street, _) = office_store("s1");
    let mut past = fire_lane(&street, &["a"], None);
    past.due_date = day_after(&street, -1);
    let mut nobody = fire_lane(&street, &[], None);
    nobody.title = "x".into();
    let mut category = fire_lane(&street, &["a"], None);
    category.category = "no.such".into();
    for form in [past, nobody, category] {
        assert_eq!(
            street.open_campaign(form).unwrap_err().code(),
            Code::InvalidInput
        );
    }
    assert!(log_of(&street).is_empty());
}

/// A forged campaign from street s1 naming community c of street s2: c's replica keeps it
/// as a conflict and shows no campaign.
#[test]
fn a_campaign_naming_an_office_outside_the_openers_line_is_a_conflict() {
    let (mut c, _) = office_store("c");
    let forged_campaign = forged(
        event::CONFIG_STREAM,
        test_now(),
        "s1",
        "dev-s1",
        EventBody::CampaignOpened(Box::new(CampaignCharter {
            campaign: Uuid::now_v7(),
            title: "借整改之名".into(),
            problem: "x".into(),
            standard: "y".into(),
            category: "other".into(),
            due_date: day_after(&c, 5),
            source: None,
            offices: vec!["c".into()],
        })),
    );
    c.apply_remote(&[forged_campaign]).unwrap();
    assert!(c.campaigns().unwrap().is_empty());
    let reasons = conflict_reasons(&c);
    assert!(
        reasons.iter().any(|r| r.contains("not below office s1")),
        "{reasons:?}"
    );
}

/// A sibling street's campaign (which an older server might pass on) is no business of a
/// community under another street.
#[test]
fn a_campaign_of_a_street_this_office_is_not_under_is_not_kept() {
    let (mut s2, _) = office_store("s2");
    s2.open_campaign(fire_lane(&s2, &["c"], None)).unwrap();
    let config: Vec<Event> = log_of(&s2)
        .into_iter()
        .filter(|e| e.stream == event::CONFIG_STREAM)
        .collect();
    let (mut a, _) = office_store("a");
    a.apply_remote(&config).unwrap();
    assert!(a.campaigns().unwrap().is_empty());
    assert!(
        conflict_reasons(&a)
            .iter()
            .any(|r| r.contains("neither answers to nor oversees")),
        "{:?}",
        conflict_reasons(&a)
    );
    // The district above s2 watches it.
    let (mut d, _) = office_store("d");
    d.apply_remote(&config).unwrap();
    assert_eq!(d.campaigns().unwrap().len(), 1);
    assert!(!d.campaigns().unwrap()[0].mine);
}

/// A site joins one campaign only; a second join (forged or concurrent) is a conflict.
#[test]
fn a_site_joins_one_campaign_and_a_second_join_is_a_conflict() {
    let (mut street, _) = office_store("s1");
    let (mut a, _) = office_store("a");
    let case = a.receive(exposed("5栋消防通道被占")).unwrap();
    street.apply_remote(&feed_for(&a, "s1")).unwrap();
    let first = street
        .open_campaign(fire_lane(&street, &["a"], Some(case.id.to_string())))
        .unwrap();
    let second = street
        .open_campaign(fire_lane(&street, &["b"], None))
        .unwrap();
    let err = street.join_campaign(case.id, second.id).unwrap_err();
    assert_eq!(err.code(), Code::ActionNotAllowed, "{err}");
    let mut again = fire_lane(&street, &["b"], Some(case.number.clone()));
    again.title = "再次".into();
    assert!(street.open_campaign(again).is_err());

    let forged_join = forged(
        &case.id.to_string(),
        test_now() + 60_000,
        "s1",
        "dev-s1",
        EventBody::CaseCampaignJoined {
            campaign: second.id,
            title: "另一个".into(),
        },
    );
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    a.apply_remote(&[forged_join]).unwrap();
    assert_eq!(a.case(case.id).unwrap().campaign, Some(first.id));
    assert_eq!(a.case(case.id).unwrap().conflict_count, 1);
}

/// A sibling community cannot pin its case on another's, or make another's case a site.
#[test]
fn a_sibling_cannot_make_anothers_case_a_site() {
    let (mut a, _) = office_store("a");
    let case = a.receive(exposed("7栋消防通道被占")).unwrap();
    let join = forged(
        &case.id.to_string(),
        test_now() + 60_000,
        "b",
        "dev-b",
        EventBody::CaseCampaignJoined {
            campaign: Uuid::now_v7(),
            title: "b 的整改".into(),
        },
    );
    a.apply_remote(&[join]).unwrap();
    assert_eq!(a.case(case.id).unwrap().campaign, None);
    assert!(
        conflict_reasons(&a)
            .iter()
            .any(|r| r.contains("does not hold this case")),
        "{:?}",
        conflict_reasons(&a)
    );
}

#[test]
fn a_street_sees_the_same_problem_across_its_communities_as_a_cluster() {
    let (mut street, _) = office_store("s1");
    let (mut a, _) = office_store("a");
    let (mut b, _) = office_store("b");
    for (s, texts) in [
        (
            &mut a,
            &["3栋楼下消防通道被私家车长期占用", "9栋消防通道被私家车占用"][..],
        ),
        (&mut b, &["消防通道被私家车长期占用，消防车进不来"][..]),
    ] {
        for t in texts {
            s.receive(exposed(t)).unwrap();
        }
        // Another problem of the same kind, and one office's own repeated noise.
        s.receive(exposed("物业把消防通道改成收费车位")).unwrap();
    }
    a.receive(parking_case("广场舞太吵")).unwrap();
    street.apply_remote(&feed_for(&a, "s1")).unwrap();
    street.apply_remote(&feed_for(&b, "s1")).unwrap();
    let clusters = street.clusters(90).unwrap();
    let fire = clusters
        .iter()
        .find(|c| c.size == 3)
        .unwrap_or_else(|| panic!("{clusters:#?}"));
    assert_eq!(fire.label, "占用消防通道");
    assert_eq!(fire.offices.len(), 2);
    assert_eq!(fire.offices[0].office, "a", "most cases first");
    assert_eq!(fire.offices[0].name, "a办");
    assert_eq!(fire.recent, 3);
    // Opening a campaign from it: every office of the cluster gets an item.
    let offices: Vec<&str> = fire.offices.iter().map(|o| o.office.as_str()).collect();
    let opened = street
        .open_campaign(fire_lane(&street, &offices, None))
        .unwrap();
    assert_eq!(opened.totals.found, 2);
}

/// A district's group can hold thousands of cases: the window is sent the newest
/// `MAX_LISTED`, the size counts every one.
#[test]
fn a_large_cluster_lists_its_newest_cases_and_counts_all() {
    let (mut street, _) = office_store("s1");
    let mut filed = 0;
    for (office, n) in [("a", 70), ("b", 45)] {
        let (mut s, clock) = office_store(office);
        for i in 0..n {
            clock.advance(60_000);
            s.receive(exposed(&format!(
                "{}栋楼下消防通道被私家车长期占用",
                i % 30
            )))
            .unwrap();
            filed += 1;
        }
        street.apply_remote(&feed_for(&s, "s1")).unwrap();
    }
    let clusters = street.clusters(90).unwrap();
    assert_eq!(clusters.len(), 1, "{clusters:#?}");
    let c = &clusters[0];
    assert_eq!(c.size as usize, filed);
    assert_eq!(c.cases.len(), jiesu_core::campaign::MAX_LISTED);
    assert!(
        c.cases
            .windows(2)
            .all(|w| w[0].received_at >= w[1].received_at),
        "newest first"
    );
    let newest = street
        .all_cases()
        .unwrap()
        .into_iter()
        .map(|c| c.received_at)
        .max()
        .unwrap();
    assert_eq!(c.cases[0].received_at, newest);
}

/// 在案件列表中查看: the case list keeps to one campaign's sites.
#[test]
fn the_case_list_keeps_to_one_campaigns_sites() {
    let (mut street, _) = office_store("s1");
    let fire = street
        .open_campaign(fire_lane(&street, &["a", "b"], None))
        .unwrap();
    let mut other = fire_lane(&street, &["a"], None);
    other.title = "飞线充电专项整改".into();
    street.open_campaign(other).unwrap();
    street.receive(parking_case("与专项无关的案件")).unwrap();
    let listed = street
        .list_cases(&CaseQuery {
            campaign: Some(fire.id),
            ..Default::default()
        })
        .unwrap();
    let mut ids: Vec<Uuid> = listed.rows.iter().map(|r| r.id).collect();
    let mut items: Vec<Uuid> = street
        .campaign_board(fire.id)
        .unwrap()
        .items
        .iter()
        .map(|i| i.case_id)
        .collect();
    ids.sort();
    items.sort();
    assert_eq!(ids, items);
    assert_eq!(listed.total, 2);
    assert_eq!(street.list_cases(&CaseQuery::default()).unwrap().total, 4);
}
