//! A campaign changed after it opened (`campaign_amended`): its opener extends it, adds an
//! office, closes it and opens it again, and every office below follows by sync; no other
//! office can change it, add offices outside the opener's line, or change a closed one.

use jiesu_core::campaign::{CampaignChange, NewSite};
use jiesu_core::event::CampaignAmendment;
use jiesu_core::*;
use uuid::Uuid;

use super::campaigns::{day_after, feed_for, fire_lane};
use super::common::*;

fn change(campaign: Uuid, note: &str) -> CampaignChange {
    CampaignChange {
        campaign,
        note: note.into(),
        ..Default::default()
    }
}

fn amendment(campaign: Uuid) -> CampaignAmendment {
    CampaignAmendment {
        campaign,
        title: None,
        problem: None,
        standard: None,
        due_date: None,
        offices: Vec::new(),
        closed: None,
        note: "改".into(),
    }
}

/// A change as another PC of `office` would push it.
fn forged_change(wall_ms: i64, office: &str, device: &str, a: CampaignAmendment) -> Event {
    forged(
        event::CONFIG_STREAM,
        wall_ms,
        office,
        device,
        EventBody::CampaignAmended(Box::new(a)),
    )
}

fn assert_conflict(s: &Store, says: &str) {
    let reasons = conflict_reasons(s);
    assert!(reasons.iter().any(|r| r.contains(says)), "{reasons:?}");
}

fn site(campaign: Uuid) -> NewSite {
    NewSite {
        campaign,
        location: "8栋北侧".into(),
        description: "8栋北侧消防通道被电动车占用".into(),
    }
}

#[test]
fn a_street_extends_its_campaign_adds_a_community_and_closes_it_and_the_communities_follow() {
    let (mut street, street_clock) = office_store("s1");
    let (mut a, a_clock) = office_store("a");
    let (mut b, _) = office_store("b");
    let opened = street
        .open_campaign(fire_lane(&street, &["a"], None))
        .unwrap();
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    b.apply_remote(&feed_for(&street, "b")).unwrap();
    assert!(b.campaigns().unwrap()[0].totals.found == 0, "b has no item");

    // 延期 by twenty days, a sharper standard, and community b added.
    let new_due = day_after(&street, 30);
    let board = street
        .amend_campaign(CampaignChange {
            due_date: Some(new_due.clone()),
            standard: Some("消防通道划线、设禁停标识，每日巡查无占用".into()),
            offices: vec!["b".into()],
            ..change(opened.id, "《看见》回访发现b社区同样问题，延期并扩大范围")
        })
        .unwrap();
    assert_eq!(board.summary.due_date, new_due);
    assert_eq!(board.standard, "消防通道划线、设禁停标识，每日巡查无占用");
    assert_eq!(
        board
            .rows
            .iter()
            .map(|r| r.office.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        board.summary.totals.found, 2,
        "b's item filed with the change"
    );
    assert!(
        board.addable.is_empty(),
        "every community of s1 is named now"
    );
    assert_eq!(board.changes.len(), 1);
    assert_eq!(board.changes[0].change.offices, ["b"]);
    assert_eq!(board.changes[0].change.title, None, "only what changed");
    assert_eq!(street.conflicts().unwrap(), vec![]);

    // Both communities follow: b gets its item, a the new last day.
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    b.apply_remote(&feed_for(&street, "b")).unwrap();
    assert_eq!(a.conflicts().unwrap(), vec![]);
    assert_eq!(b.conflicts().unwrap(), vec![]);
    assert_eq!(a.campaigns().unwrap()[0].due_date, new_due);
    let b_items = b.all_cases().unwrap();
    assert_eq!(b_items.len(), 1);
    assert_eq!(
        (b_items[0].office.as_str(), b_items[0].campaign),
        ("b", Some(opened.id))
    );
    assert_eq!(
        b_items[0].resolve_due, board.summary.due,
        "an item given later is due at the new last day"
    );

    // Past the first last day nothing is overdue on the board: the campaign was extended.
    street_clock.advance(15 * DAY);
    a_clock.advance(15 * DAY);
    assert_eq!(
        street
            .campaign_board(opened.id)
            .unwrap()
            .summary
            .totals
            .overdue,
        0
    );

    // 结束整改: a closed campaign takes no new site anywhere, and its chart stops.
    let closed = street
        .amend_campaign(CampaignChange {
            closed: Some(true),
            ..change(opened.id, "整改总结：a社区已整改，b社区转入日常巡查")
        })
        .unwrap();
    let closed_at = closed.summary.closed_at.expect("closed");
    // The exported 汇总 says so, with the summary (read back by openpyxl).
    let dir = tempfile::tempdir().unwrap();
    let file = street.save_campaign_board(dir.path(), opened.id).unwrap();
    let book = super::exports::read_xlsx(std::path::Path::new(&file.path));
    let status = book["汇总"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "状态")
        .unwrap()[1]
        .clone();
    assert_eq!(
        status,
        format!(
            "已结束（{}）：整改总结：a社区已整改，b社区转入日常巡查",
            calendar::local_date(closed_at).format("%Y-%m-%d")
        )
    );
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    assert!(a.campaigns().unwrap()[0].closed_at.is_some());
    let refused = a.add_campaign_site(site(opened.id)).unwrap_err();
    assert_eq!(refused.code(), Code::InvalidInput, "{refused}");
    assert!(refused.to_string().contains("closed"), "{refused}");
    street_clock.advance(5 * DAY);
    let later = street.campaign_board(opened.id).unwrap();
    assert_eq!(
        later.progress, closed.progress,
        "the chart ends at the closing"
    );
    assert_eq!(
        later.progress.last().unwrap().date,
        calendar::local_date(closed_at)
            .format("%Y-%m-%d")
            .to_string()
    );
    // Closed, it changes only by opening again.
    let err = street
        .amend_campaign(CampaignChange {
            title: Some("新标题".into()),
            ..change(opened.id, "改名")
        })
        .unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");

    // 重新启动: sites join again.
    street
        .amend_campaign(CampaignChange {
            closed: Some(false),
            due_date: Some(day_after(&street, 10)),
            ..change(opened.id, "复查发现反弹，重新启动")
        })
        .unwrap();
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    assert_eq!(a.campaigns().unwrap()[0].closed_at, None);
    a.add_campaign_site(site(opened.id)).unwrap();
    street.apply_remote(&feed_for(&a, "s1")).unwrap();
    let board = street.campaign_board(opened.id).unwrap();
    assert_eq!(board.summary.totals.found, 3);
    assert_eq!(board.changes.len(), 3);
    assert_eq!(street.conflicts().unwrap(), vec![]);
    assert_eq!(a.conflicts().unwrap(), vec![]);

    // The projections are the fold of the log.
    street.rebuild_projections().unwrap();
    assert_eq!(street.campaign_board(opened.id).unwrap(), board);
}

#[test]
fn a_change_that_changes_nothing_or_gives_no_reason_writes_nothing() {
    let (mut street, _) = office_store("s1");
    let opened = street
        .open_campaign(fire_lane(&street, &["a"], None))
        .unwrap();
    let charter = street.campaign_board(opened.id).unwrap();
    let before = log_of(&street).len();
    let same = CampaignChange {
        title: Some(format!("  {}  ", charter.summary.title)),
        due_date: Some(charter.summary.due_date.clone()),
        offices: vec!["a".into()],
        closed: Some(false),
        ..change(opened.id, "没改什么")
    };
    let no_reason = CampaignChange {
        due_date: Some(day_after(&street, 20)),
        ..change(opened.id, "  ")
    };
    let past = CampaignChange {
        due_date: Some(day_after(&street, -1)),
        ..change(opened.id, "往前")
    };
    let bad_date = CampaignChange {
        due_date: Some("2027-02-30".into()),
        ..change(opened.id, "日期")
    };
    let empty_title = CampaignChange {
        title: Some(" ".into()),
        ..change(opened.id, "清空标题")
    };
    for form in [same, no_reason, past, bad_date, empty_title] {
        let err = street.amend_campaign(form.clone()).unwrap_err();
        assert_eq!(err.code(), Code::InvalidInput, "{form:?}: {err}");
    }
    // Whom a change reaches is read from the directory, as at the opening.
    street.set_directory(&[]).unwrap();
    let blind = street
        .amend_campaign(CampaignChange {
            offices: vec!["b".into()],
            ..change(opened.id, "没有目录")
        })
        .unwrap_err();
    assert_eq!(blind.code(), Code::InvalidInput, "{blind}");
    street.set_directory(&org()).unwrap();
    let unknown = street
        .amend_campaign(change(Uuid::now_v7(), "无此专项"))
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(log_of(&street).len(), before, "nothing written");
}

/// The opener's own PC refuses what it cannot do: a community changes its street's campaign,
/// the street adds a community of another street.
#[test]
fn a_community_cannot_change_its_streets_campaign_nor_the_street_reach_beyond_its_line() {
    let (mut street, _) = office_store("s1");
    let (mut a, _) = office_store("a");
    let opened = street
        .open_campaign(fire_lane(&street, &["a"], None))
        .unwrap();
    a.apply_remote(&feed_for(&street, "a")).unwrap();
    let before = log_of(&a).len();
    let err = a
        .amend_campaign(CampaignChange {
            closed: Some(true),
            ..change(opened.id, "我们社区说结束了")
        })
        .unwrap_err();
    assert_eq!(err.code(), Code::OutOfScope, "{err}");
    assert_eq!(log_of(&a).len(), before);
    let before = log_of(&street).len();
    let err = street
        .amend_campaign(CampaignChange {
            offices: vec!["c".into()],
            ..change(opened.id, "顺便管管c社区")
        })
        .unwrap_err();
    assert_eq!(err.code(), Code::OutOfScope, "{err}");
    assert_eq!(log_of(&street).len(), before);
}

/// A community forges a change closing its street's campaign and renaming it: every replica
/// keeps it as a conflict and the campaign stays as its opener left it.
#[test]
fn a_change_by_an_office_that_did_not_open_the_campaign_is_a_conflict() {
    let (mut street, _) = office_store("s1");
    let (mut a, _) = office_store("a");
    let (mut d, _) = office_store("d");
    let opened = street
        .open_campaign(fire_lane(&street, &["a", "b"], None))
        .unwrap();
    let feed = feed_for(&street, "a");
    a.apply_remote(&feed).unwrap();
    d.apply_remote(&feed_for(&street, "d")).unwrap();
    let forged_by = |office: &str| {
        forged_change(
            test_now() + 60_000,
            office,
            &format!("dev-{office}"),
            CampaignAmendment {
                title: Some("已结束".into()),
                closed: Some(true),
                ..amendment(opened.id)
            },
        )
    };
    // From below (b) and from above (the district): only the opener changes its campaign.
    for (who, replica) in [("b", &mut a), ("d", &mut d)] {
        replica.apply_remote(&[forged_by(who)]).unwrap();
        let seen = replica.campaigns().unwrap();
        assert_eq!(seen[0].closed_at, None, "{who}");
        assert_eq!(seen[0].title, "消防通道占用专项整改", "{who}");
        assert_conflict(replica, "did not open this campaign");
    }
    a.add_campaign_site(site(opened.id)).unwrap();
}

/// Street s1 (or a PC claiming to be it) adds community c of street s2 to its campaign: the
/// district that watches both keeps the change as a conflict, c is not named.
#[test]
fn a_change_adding_an_office_outside_the_openers_line_is_a_conflict() {
    let (mut street, _) = office_store("s1");
    let (mut d, _) = office_store("d");
    let opened = street
        .open_campaign(fire_lane(&street, &["a"], None))
        .unwrap();
    d.apply_remote(&feed_for(&street, "d")).unwrap();
    let wider = forged_change(
        test_now() + 60_000,
        "s1",
        "dev-s1",
        CampaignAmendment {
            offices: vec!["c".into()],
            due_date: Some(day_after(&d, 40)),
            ..amendment(opened.id)
        },
    );
    d.apply_remote(&[wider]).unwrap();
    let board = d.campaign_board(opened.id).unwrap();
    assert_eq!(
        board
            .rows
            .iter()
            .map(|r| r.office.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert_ne!(
        board.summary.due_date,
        day_after(&d, 40),
        "nothing of it applies"
    );
    assert_conflict(&d, "not below office s1");
}

#[test]
fn a_change_to_a_campaign_never_opened_is_a_conflict() {
    let (mut a, _) = office_store("a");
    let ghost = forged_change(
        test_now(),
        "s1",
        "dev-s1",
        CampaignAmendment {
            closed: Some(true),
            ..amendment(Uuid::now_v7())
        },
    );
    a.apply_remote(&[ghost]).unwrap();
    assert!(a.campaigns().unwrap().is_empty());
    assert_conflict(&a, "does not keep");
}

/// Two PCs of the street: one closes the campaign, the other (offline) extends it later. In
/// whichever order they arrive, the extension after the closing is a conflict and the
/// campaign stays closed with its last day.
#[test]
fn a_change_after_the_campaign_closed_is_a_conflict_whatever_the_arrival_order() {
    let (mut street, clock) = office_store("s1");
    let opened = street
        .open_campaign(fire_lane(&street, &["a"], None))
        .unwrap();
    clock.advance(60_000);
    street
        .amend_campaign(CampaignChange {
            closed: Some(true),
            ..change(opened.id, "结束")
        })
        .unwrap();
    let feed = feed_for(&street, "a");
    let extension = forged_change(
        test_now() + 120_000,
        "s1",
        "dev-s1-laptop",
        CampaignAmendment {
            due_date: Some(day_after(&street, 60)),
            ..amendment(opened.id)
        },
    );
    let mut outcomes = Vec::new();
    for extension_first in [false, true] {
        let (mut a, _) = office_store("a");
        if extension_first {
            a.apply_remote(std::slice::from_ref(&extension)).unwrap();
        }
        a.apply_remote(&feed).unwrap();
        if !extension_first {
            a.apply_remote(std::slice::from_ref(&extension)).unwrap();
        }
        let seen = a.campaigns().unwrap().remove(0);
        assert!(seen.closed_at.is_some());
        assert!(
            conflict_reasons(&a).iter().any(|r| r.contains("is closed")),
            "{:?}",
            conflict_reasons(&a)
        );
        outcomes.push((seen.due_date, seen.closed_at));
    }
    assert_eq!(outcomes[0], outcomes[1]);
}
