//! Storage conformance at the trait: the same story told to each backend through
//! [`Storage`] itself, no HTTP in between, each backend a test of its own. Offices, one-time
//! codes, devices, pushes (receipts, idempotence, feeds that grow, a transfer sharing a
//! case's history), pulls (scope, paging), photos, enrolling again and revocation must answer
//! the same on SQLite and PostgreSQL.

use std::sync::Arc;

use jiesu_core::wire::{Office, OfficeKind};
use jiesu_core::{ManualClock, Store};
use jiesu_server::Storage;
use jiesu_server::app::hash;
use jiesu_server::scope::Tree;
use jiesu_server::storage::StorageError;

use super::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_tells_the_storage_story() {
    the_storage_story(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tells_the_storage_story() {
    the_storage_story(Backend::Postgres).await;
}

fn office(id: &str, kind: OfficeKind, parent: Option<&str>) -> Office {
    Office {
        id: id.into(),
        name: format!("{id}办"),
        kind,
        parent: parent.map(Into::into),
    }
}

const DAY: i64 = 86_400_000;

async fn the_storage_story(backend: Backend) {
    let place = Place::new(backend);
    let s: Arc<dyn Storage> = place.storage().await;
    let now = test_now();

    // Offices: a parent must exist first; an id is taken once.
    s.add_office(&office("qu", OfficeKind::District, None), now)
        .await
        .unwrap();
    s.add_office(&office("hy", OfficeKind::Street, Some("qu")), now)
        .await
        .unwrap();
    for id in ["hm", "xf"] {
        s.add_office(&office(id, OfficeKind::Community, Some("hy")), now)
            .await
            .unwrap();
    }
    let orphan = office("zz", OfficeKind::Community, Some("nowhere"));
    assert!(
        s.add_office(&orphan, now).await.is_err(),
        "no parent, no office"
    );
    let twice = s
        .add_office(&office("hm", OfficeKind::Community, Some("hy")), now)
        .await;
    assert!(
        matches!(
            twice,
            Err(StorageError::Conflict(_) | StorageError::Refused(_))
        ),
        "{twice:?}"
    );
    let mut ids: Vec<String> = s
        .offices()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["hm", "hy", "qu", "xf"]);
    let tree = Arc::new(Tree::new(s.offices().await.unwrap()));

    // A one-time code: spent once, then gone; an expired or unknown one is nothing.
    let mut store = Store::open_in_memory(Box::new(ManualClock::new(now))).unwrap();
    store.set_identity("hm", "hm办", "李书记").unwrap();
    let device = store.identity().device.clone();
    s.add_enrolment_code(&hash("CODE-1"), "hm", now + DAY)
        .await
        .unwrap();
    s.add_enrolment_code(&hash("OLD-1"), "hm", now - 1)
        .await
        .unwrap();
    let d = s
        .enrol(&hash("CODE-1"), &device, "前台电脑", &hash("KEY-1"), now)
        .await
        .unwrap()
        .expect("a fresh code enrols");
    assert_eq!((d.id.as_str(), d.office.as_str()), (device.as_str(), "hm"));
    assert!(!d.tag.is_empty());
    for (code, why) in [
        ("CODE-1", "spent"),
        ("OLD-1", "expired"),
        ("NONE-1", "unknown"),
    ] {
        let again = s
            .enrol(&hash(code), "other-device", "x", &hash("KEY-2"), now)
            .await
            .unwrap();
        assert!(again.is_none(), "a {why} code enrols nobody");
    }
    assert_eq!(
        s.device_by_credential(&hash("KEY-1")).await.unwrap(),
        Some(d.clone())
    );
    assert_eq!(s.device_by_credential(&hash("KEY-2")).await.unwrap(), None);

    // A push: one receipt per event, in order, positions growing; the feeds of the office and
    // of those above it (street, district) grow, a sibling's does not.
    let case = store.receive(parking("楼下消防通道被占")).unwrap();
    store
        .act(
            case.id,
            jiesu_core::CaseCommand::Note {
                text: "已联系车主".into(),
                contacted_resident: false,
                public: false,
            },
        )
        .unwrap();
    let events: Vec<_> = store
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    // The device registers its key (enrolment or its first push does this), so its sealed
    // events verify.
    let key = store.device_public_key().unwrap();
    assert_eq!(
        s.register_key(&d.id, &key).await.unwrap(),
        Some(key.clone())
    );
    let other = "ab".repeat(32);
    assert_eq!(
        s.register_key(&d.id, &other).await.unwrap(),
        Some(key),
        "a registered key is never replaced"
    );
    let pushed = s.push(&d, &events, &tree, now).await.unwrap();
    assert_eq!(pushed.receipts.len(), events.len());
    for (r, e) in pushed.receipts.iter().zip(&events) {
        assert_eq!(r.id, e.id);
        assert_eq!(r.received_ms, now);
    }
    assert!(pushed.receipts.windows(2).all(|w| w[0].seq < w[1].seq));
    let mut grown: Vec<&str> = pushed.grown.iter().map(|(o, _)| o.as_str()).collect();
    grown.sort();
    assert_eq!(grown, ["hm", "hy", "qu"]);
    let head = s.feed_head("hm").await.unwrap();
    assert!(head > 0);
    assert_eq!(s.feed_head("xf").await.unwrap(), 0);

    // The same push again: the same receipts, nothing grows.
    let again = s.push(&d, &events, &tree, now + 1000).await.unwrap();
    assert_eq!(
        again
            .receipts
            .iter()
            .map(|r| (r.id, r.seq, r.received_ms))
            .collect::<Vec<_>>(),
        pushed
            .receipts
            .iter()
            .map(|r| (r.id, r.seq, r.received_ms))
            .collect::<Vec<_>>()
    );
    assert!(again.grown.is_empty(), "{:?}", again.grown);
    assert_eq!(s.feed_head("hm").await.unwrap(), head);

    // Pulls: the street sees the community's events, page by page; the sibling sees nothing.
    let first = s.pull("hy", 0, 1, now).await.unwrap().decode().unwrap();
    assert_eq!(first.events.len(), 1);
    assert!(first.more);
    assert_eq!(first.events[0].event.id, events[0].id);
    assert_eq!(first.events[0].received_ms, now);
    let rest = s
        .pull("hy", first.next, 100, now)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(rest.events.len(), events.len() - 1);
    assert!(!rest.more);
    assert_eq!(rest.events[0].event, events[1]);
    // The widest page a caller can ask for is an answer, not an overflow.
    let all = s.pull("hy", 0, u32::MAX, now).await.unwrap();
    assert_eq!((all.events.len(), all.more), (events.len(), false));
    let sibling = s.pull("xf", 0, 100, now).await.unwrap();
    assert!(sibling.events.is_empty(), "a sibling reads nothing");

    // A photo: kept once, attributed to its uploader.
    let bytes = b"photo bytes".to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    s.put_attachment(&sha, bytes.clone(), "hm", now)
        .await
        .unwrap();
    s.put_attachment(&sha, bytes.clone(), "hm", now)
        .await
        .unwrap();
    assert_eq!(s.attachment_bytes(&sha).await.unwrap(), Some(bytes));
    assert_eq!(s.attachment_scope(&sha).await.unwrap().uploaders, ["hm"]);
    assert_eq!(s.attachment_bytes(&"0".repeat(64)).await.unwrap(), None);

    // A transfer to the sibling: from that event on it holds the case, and its feed gets
    // the case's whole history, the intake included; the street's feed does not grow twice.
    store.set_directory(&s.offices().await.unwrap()).unwrap();
    store
        .act(
            case.id,
            jiesu_core::CaseCommand::TransferOffice {
                office: "xf".into(),
                reason: "属兴丰社区管辖".into(),
            },
        )
        .unwrap();
    let transfer: Vec<_> = store
        .events_after(0, 100)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| !events.iter().any(|p| p.id == e.id))
        .collect();
    assert_eq!(transfer.len(), 1, "the transfer is one event");
    let street_before = s.pull("hy", 0, 100, now).await.unwrap().events.len();
    let shared = s.push(&d, &transfer, &tree, now).await.unwrap();
    let mut grown: Vec<&str> = shared.grown.iter().map(|(o, _)| o.as_str()).collect();
    grown.sort();
    assert_eq!(grown, ["hm", "hy", "qu", "xf"]);
    let xf = s.pull("xf", 0, 100, now).await.unwrap().decode().unwrap();
    let history: Vec<_> = events.iter().chain(&transfer).map(|e| e.id).collect();
    assert_eq!(
        xf.events.iter().map(|p| p.event.id).collect::<Vec<_>>(),
        history,
        "the receiving office reads the case from its intake, in order"
    );
    assert_eq!(
        s.pull("hy", 0, 100, now).await.unwrap().events.len(),
        street_before + 1,
        "the street holds each event once"
    );

    // Enrolling again: a live device id is refused and the code stays unspent; once the
    // device is revoked the same code enrols it with the tag it had.
    s.add_enrolment_code(&hash("CODE-2"), "hm", now + DAY)
        .await
        .unwrap();
    let live = s
        .enrol(&hash("CODE-2"), &device, "前台电脑", &hash("KEY-3"), now)
        .await;
    assert!(matches!(live, Err(StorageError::Refused(_))), "{live:?}");
    let kept = s.device_by_credential(&hash("KEY-1")).await.unwrap();
    assert_eq!(
        kept.map(|k| k.id),
        Some(device.clone()),
        "the live credential still works"
    );

    // Revocation: the credential stops working, once.
    assert!(s.revoke(&device, now + 2000).await.unwrap());
    assert!(!s.revoke(&device, now + 3000).await.unwrap());
    assert_eq!(s.device_by_credential(&hash("KEY-1")).await.unwrap(), None);
    let listed = s.devices().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revoked_ms, Some(now + 2000));
    let back = s
        .enrol(
            &hash("CODE-2"),
            &device,
            "前台电脑",
            &hash("KEY-3"),
            now + 4000,
        )
        .await
        .unwrap()
        .expect("the unspent code enrols the revoked device");
    assert_eq!((back.tag.as_str(), back.revoked_ms), (d.tag.as_str(), None));
    assert_eq!(
        s.devices().await.unwrap().len(),
        1,
        "the same device, not another"
    );
}
