//! Links read from both ends: a link or a merge is a step on one case, and both cases show
//! it — on this PC, on a PC that pulled the step, after a rebuild and after the upgrade that
//! introduced the lookup. A follow-up case (新建关联案件) is filed linked, with the resident
//! carried over in the core.

use jiesu_core::*;

use super::common::*;
use super::migrations::store_stopped_at;
use super::sync::page_of;

/// (number, kind, inbound) of each case linked to `id`, as its page shows them.
fn links(s: &Store, id: uuid::Uuid) -> Vec<(String, LinkKind, bool)> {
    s.case_detail(id)
        .unwrap()
        .links
        .into_iter()
        .map(|l| (l.number, l.kind, l.inbound))
        .collect()
}

#[test]
fn a_link_shows_on_both_cases() {
    let (mut s, _) = store_at(test_now());
    let x = s.receive(parking_case("27栋门口车位被占")).unwrap();
    let y = s.receive(parking_case("27栋门口又被占了")).unwrap();
    s.act(
        y.id,
        CaseCommand::Link {
            other: x.number.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        links(&s, y.id),
        vec![(x.number.clone(), LinkKind::Related, false)]
    );
    assert_eq!(
        links(&s, x.id),
        vec![(y.number.clone(), LinkKind::Related, true)]
    );
    // Linking back from the other end adds no second entry on either page.
    s.act(
        x.id,
        CaseCommand::Link {
            other: y.number.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        links(&s, x.id),
        vec![(y.number.clone(), LinkKind::Related, false)]
    );
    assert_eq!(links(&s, y.id), vec![(x.number, LinkKind::Related, false)]);
}

#[test]
fn a_merged_duplicate_shows_on_the_case_it_was_merged_into() {
    let (mut s, _) = store_at(test_now());
    let x = s.receive(parking_case("楼道漏水")).unwrap();
    let y = s.receive(parking_case("楼道还在漏水")).unwrap();
    let z = s.receive(parking_case("楼道漏水第三次")).unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    s.act(
        z.id,
        CaseCommand::Merge {
            other: x.id.to_string(),
        },
    )
    .unwrap();
    let on_x = s.case_detail(x.id).unwrap().links;
    assert_eq!(
        on_x.iter()
            .map(|l| (l.number.as_str(), l.kind, l.inbound, l.state))
            .collect::<Vec<_>>(),
        vec![
            (
                y.number.as_str(),
                LinkKind::Duplicate,
                true,
                CaseState::Merged
            ),
            (
                z.number.as_str(),
                LinkKind::Duplicate,
                true,
                CaseState::Merged
            ),
        ]
    );
    assert_eq!(
        links(&s, y.id),
        vec![(x.number, LinkKind::Duplicate, false)]
    );
}

#[test]
fn a_link_made_on_another_pc_shows_on_both_ends_once_pulled() {
    // PC A files X; PC B (same office) holds X, files Y and merges it into X. A pulls B's
    // steps — page by page and as a first sync (bulk, folded once) — and X's page shows Y.
    let (mut a, _) = store_at(test_now());
    let x = a.receive(parking_case("小区东门路灯不亮")).unwrap();
    let (mut b, _) = store_at(test_now());
    let from_a = log_of(&a);
    b.apply_pull(&page_of(&from_a, 1, false)).unwrap();
    let y = b.receive(parking_case("东门路灯还是不亮")).unwrap();
    b.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    let all = log_of(&b);
    a.apply_pull(&page_of(&all, 1, false)).unwrap();
    assert_eq!(
        links(&a, x.id),
        vec![(y.number.clone(), LinkKind::Duplicate, true)]
    );
    let (mut fresh, _, _dir) = file_store_at(test_now());
    fresh.apply_pull_bulk(&page_of(&all, 1, false)).unwrap();
    fresh.settle().unwrap();
    assert_eq!(
        links(&fresh, x.id),
        vec![(y.number, LinkKind::Duplicate, true)]
    );
}

#[test]
fn a_rebuild_keeps_links_on_both_ends() {
    let (mut s, _) = store_at(test_now());
    let x = s.receive(parking_case("27栋电梯坏了")).unwrap();
    let y = s.receive(parking_case("27栋电梯又坏了")).unwrap();
    s.act(
        y.id,
        CaseCommand::Link {
            other: x.number.clone(),
        },
    )
    .unwrap();
    s.rebuild_projections().unwrap();
    assert_eq!(links(&s, x.id), vec![(y.number, LinkKind::Related, true)]);
}

#[test]
fn a_store_from_before_the_lookup_finds_links_it_already_held() {
    // A store at v15 already holds a merge: the upgrade fills the lookup from the cases.
    let (mut s, _, src) = file_store_at(test_now());
    let x = s.receive(parking_case("化粪池满了")).unwrap();
    let y = s.receive(parking_case("化粪池又满了")).unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    drop(s);
    let dir = store_stopped_at(15, src.path(), "");
    let s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    assert_eq!(links(&s, x.id), vec![(y.number, LinkKind::Duplicate, true)]);
}

#[test]
fn a_follow_up_carries_the_resident_and_place_and_links_back() {
    let (mut s, _) = store_at(test_now());
    let mut first = parking_case("27栋楼下有人占用消防通道");
    first.address.room = "302".into();
    let x = s.receive(first).unwrap();
    // The window sends no resident and no address: it only ever saw them masked.
    let mut form = parking_case("消防通道清理后又被占用");
    form.resident = Default::default();
    form.address = Default::default();
    let f = s.receive_follow_up(&x.number, form).unwrap();
    assert_eq!(f.resident, x.resident);
    assert_eq!(f.address, x.address);
    assert_eq!(
        links(&s, f.id),
        vec![(x.number.clone(), LinkKind::Related, false)]
    );
    assert_eq!(
        links(&s, x.id),
        vec![(f.number.clone(), LinkKind::Related, true)]
    );
    // Intake and link are two steps of the new case, written together.
    let kinds: Vec<&str> = s
        .case_detail(f.id)
        .unwrap()
        .timeline
        .iter()
        .map(|e| e.event.body.kind())
        .collect();
    assert_eq!(
        kinds,
        vec!["case_received", "case_lookup_code_set", "case_linked"]
    );

    // A resident typed in is kept: the follow-up may be someone else's report.
    let mut other = parking_case("消防通道问题邻居也反映");
    other.resident = Resident {
        name: "王阿姨".into(),
        phone: "13900001111".into(),
    };
    other.address = Default::default();
    let g = s.receive_follow_up(&x.id.to_string(), other).unwrap();
    assert_eq!(g.resident.phone, "13900001111");
    assert_eq!(g.address, x.address);
}

#[test]
fn a_follow_up_of_an_unknown_case_files_nothing() {
    let (mut s, _) = store_at(test_now());
    let before = s.stats().unwrap().events;
    let e = s
        .receive_follow_up("NOPE-1", parking_case("随便"))
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    assert_eq!(s.stats().unwrap().events, before);
}

#[test]
fn the_list_and_its_csv_name_links_from_both_ends() {
    let (mut s, _, dir) = file_store_at(test_now());
    let x = s.receive(parking_case("3号楼路灯不亮")).unwrap();
    let y = s.receive(parking_case("3号楼路灯还是不亮")).unwrap();
    let lone = s.receive(parking_case("垃圾没人清")).unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    let rows = s.list_cases(&CaseQuery::default()).unwrap().rows;
    let linked = |n: &str| rows.iter().find(|r| r.number == n).unwrap().linked.clone();
    assert_eq!(linked(&x.number), vec![y.number.clone()]);
    assert_eq!(linked(&y.number), vec![x.number.clone()]);
    assert!(linked(&lone.number).is_empty());
    let file = s.save_list_csv(dir.path(), &CaseQuery::default()).unwrap();
    let text = std::fs::read_to_string(&file.path).unwrap();
    let head = text.lines().next().unwrap();
    assert!(head.ends_with(",关联案件"), "{head}");
    let x_line = text.lines().find(|l| l.starts_with(&x.number)).unwrap();
    assert!(x_line.ends_with(&y.number), "{x_line}");
}

/// 撤销合并: a case merged by mistake is worked on its own again, in the state it was merged
/// from; the case it was merged into stops listing it; its trace keeps both steps; a rebuild
/// folds the same.
#[test]
fn a_merge_made_by_mistake_is_undone_back_where_it_stood() {
    let (mut s, _) = store_at(test_now());
    let x = s.receive(parking_case("27栋门口车位被占")).unwrap();
    let y = s.receive(parking_case("5栋门口车位被占")).unwrap();
    s.act(
        y.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    assert_eq!(s.case(y.id).unwrap().state, CaseState::Merged);
    assert_eq!(links(&s, x.id).len(), 1);
    let detail = s.case_detail(y.id).unwrap();
    assert!(detail.allowed.contains(&Action::Unmerge));

    let err = s
        .act(
            y.id,
            CaseCommand::Unmerge {
                reason: "  ".into(),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidInput, "a reason is required");
    let y2 = s
        .act(
            y.id,
            CaseCommand::Unmerge {
                reason: "不是同一栋楼".into(),
            },
        )
        .unwrap();
    assert_eq!(y2.state, CaseState::Dispatched, "back where it stood");
    assert_eq!(y2.closed_at, None);
    assert_eq!(y2.handling_unit.as_deref(), Some("property"));
    assert!(links(&s, x.id).is_empty(), "x no longer lists it");
    assert!(links(&s, y.id).is_empty());
    let kinds: Vec<_> = s
        .case_detail(y.id)
        .unwrap()
        .timeline
        .iter()
        .map(|t| t.event.body.kind())
        .collect();
    assert!(
        kinds.ends_with(&["case_linked", "case_unmerged"]),
        "{kinds:?}"
    );
    assert_eq!(
        s.case_detail(y.id).unwrap().named_cases.get(&x.id),
        Some(&x.number),
        "its trace still names the case it had joined, by number"
    );
    // Once: it is not merged any more.
    assert_eq!(
        s.act(
            y.id,
            CaseCommand::Unmerge {
                reason: "再来一次".into()
            }
        )
        .unwrap_err()
        .code(),
        Code::ActionNotAllowed
    );
    let live = (s.case(y.id).unwrap(), links(&s, x.id));
    s.rebuild_projections().unwrap();
    assert_eq!((s.case(y.id).unwrap(), links(&s, x.id)), live);
}

/// An unmerge that names a case this one was never merged into changes nothing.
#[test]
fn an_unmerge_naming_another_case_is_a_conflict() {
    let (mut s, _) = store_at(test_now());
    let x = s.receive(parking_case("27栋门口车位被占")).unwrap();
    let y = s.receive(parking_case("27栋门口又被占了")).unwrap();
    let z = s.receive(parking_case("别的案件")).unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    let office = s.identity().office.clone();
    let device = s.identity().device.clone();
    let forged_unmerge = forged(
        &y.id.to_string(),
        s.now_ms() + 60_000,
        &office,
        &device,
        EventBody::CaseUnmerged {
            other: z.id,
            reason: "借撤销之名".into(),
        },
    );
    s.apply_remote(&[forged_unmerge]).unwrap();
    let y = s.case(y.id).unwrap();
    assert_eq!(y.state, CaseState::Merged);
    assert_eq!(y.conflict_count, 1);
    assert_eq!(links(&s, x.id).len(), 1);
}

/// A case merged before the state it was merged from was kept (schema 19) is folded again
/// on the upgrade, so undoing its merge returns it where it stood, as on every other PC.
#[test]
fn a_case_merged_before_the_upgrade_is_unmerged_where_it_stood() {
    let (mut s, _, src) = file_store_at(test_now());
    let x = s.receive(parking_case("化粪池满了")).unwrap();
    let y = s.receive(parking_case("化粪池又满了")).unwrap();
    s.act(
        y.id,
        CaseCommand::Dispatch {
            unit: "property".into(),
            note: String::new(),
        },
    )
    .unwrap();
    s.act(
        y.id,
        CaseCommand::Merge {
            other: x.number.clone(),
        },
    )
    .unwrap();
    drop(s);
    // As v19 left it: a merged case's document without the case it merged.
    let dir = store_stopped_at(
        19,
        src.path(),
        "UPDATE cases SET doc = json_remove(doc, '$.merged_from');",
    );
    let mut s = Store::open(dir.path(), Box::new(ManualClock::new(test_now()))).unwrap();
    let y = s
        .act(
            y.id,
            CaseCommand::Unmerge {
                reason: "不是同一处".into(),
            },
        )
        .unwrap();
    assert_eq!(y.state, CaseState::Dispatched);
}
