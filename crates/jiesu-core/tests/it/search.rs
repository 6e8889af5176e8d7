//! Indexed search returns exactly what a `LIKE` scan returns, for 1-, 2- and 3+-character
//! Chinese terms, names, phone fragments and case numbers.

use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;

use super::common::*;

fn indexed(s: &Store, q: &str) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    let mut page = 0;
    loop {
        let p = s
            .list_cases(&CaseQuery {
                text: q.into(),
                page,
                page_size: 200,
                ..Default::default()
            })
            .unwrap();
        ids.extend(p.rows.iter().map(|r| r.id));
        if p.rows.len() < 200 {
            break;
        }
        page += 1;
    }
    ids.sort();
    ids
}

#[test]
fn indexed_search_equals_a_like_scan_on_the_sample_corpus() {
    let (mut s, _) = store_at(test_now());
    generate(
        &mut s,
        &SampleSpec {
            cases: 1500,
            ..SampleSpec::community(test_now())
        },
    )
    .unwrap();
    let some = s.all_cases().unwrap();
    let number = some[7].number.clone();
    let phone = some
        .iter()
        .find(|c| !c.resident.phone.is_empty())
        .unwrap()
        .resident
        .phone
        .clone();
    let phone_tail = phone[7..].to_string();
    let name = some
        .iter()
        .find(|c| !c.resident.name.is_empty())
        .unwrap()
        .resident
        .name
        .clone();
    let queries = [
        "停车",
        "漏水",
        "噪音",
        "消防栓",
        "消防通道",
        "僵尸车",
        "水",
        "车",
        "上学难",
        "停车 27栋",
        "楼下 漏水",
        "12345-2000",
        "栋",
        "室",
        "路灯坏了",
        "不存在的词",
        "a",
        "_",
        "%",
        &number,
        &phone_tail,
        &name,
        &number[..6],
    ];
    // Both plans: every term read from the index, and every term tested along the list order.
    for threshold in [u32::MAX, 0] {
        s.set_dense_search_threshold(threshold);
        for q in queries {
            let want = s.search_by_like_scan(q).unwrap();
            assert_eq!(
                indexed(&s, q),
                want,
                "query {q:?}, dense threshold {threshold}"
            );
        }
    }
    assert!(!s.search_by_like_scan("停车").unwrap().is_empty());
    assert!(!s.search_by_like_scan("消防栓").unwrap().is_empty());
    assert_eq!(indexed(&s, &number).len(), 1);
}

#[test]
fn search_combines_with_filters_and_total_counts_all_pages() {
    let (mut s, _) = store_at(test_now());
    for i in 0..7 {
        s.receive(parking_case(&format!("第{i}次反映停车难")))
            .unwrap();
    }
    let mut leak = parking_case("楼顶漏水");
    leak.category = "housing.leak.roof".into();
    s.receive(leak).unwrap();
    let p = s
        .list_cases(&CaseQuery {
            text: "停车".into(),
            page_size: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((p.total, p.rows.len()), (7, 5));
    let p = s
        .list_cases(&CaseQuery {
            text: "漏水".into(),
            category: Some("parking".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(p.total, 0);
    // Latin letters found nowhere: neither 'I' nor 'O' is in a case number's device tag (a
    // random store's tag was "AB" one run in 1,024, and "Ab" found all eight).
    let p = s
        .list_cases(&CaseQuery {
            text: "Io".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(p.total, 0);
}
