//! The pull decoder: arbitrary bytes as a page of the server's feed, and arbitrary valid events
//! encoded as one and decoded again (to what they were, and through the stored columns too),
//! folded as a replica folds a pulled page; arbitrary bytes as a stored event's (kind,
//! payload) columns. A panic is a finding.
#![no_main]

use jiesu_core::wire::{PullResponse, Pulled};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = serde_json::from_slice::<PullResponse>(data) {
        let events: Vec<_> = page.events.into_iter().map(|p| p.event).collect();
        jiesu_core::fuzzing::fold(&events);
    }
    let (kind, payload) = data.split_at(data.len() / 2);
    let _ = jiesu_core::event::EventBody::from_columns(
        &String::from_utf8_lossy(kind),
        &String::from_utf8_lossy(payload),
    );
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(events) = jiesu_core::fuzzing::events(&mut u) {
        // What can be sent at all: JSON has no NaN, and the checks refuse what it cannot say.
        let events: Vec<_> = events
            .into_iter()
            .filter(|e| jiesu_core::validate::event(e).is_ok())
            .collect();
        let page = PullResponse {
            events: events
                .into_iter()
                .enumerate()
                .map(|(i, event)| Pulled {
                    event,
                    seq: i as i64 + 1,
                    received_ms: 1_795_395_600_000,
                })
                .collect(),
            next: 0,
            more: false,
            remaining: 0,
            server_time: 1_795_395_600_000,
            keys: Default::default(),
        };
        let bytes = serde_json::to_vec(&page).expect("pages encode");
        let back: PullResponse = serde_json::from_slice(&bytes).expect("what was encoded decodes");
        assert_eq!(back.events, page.events, "and decodes to what it was");
        for p in &back.events {
            let (kind, payload) = p.event.body.to_columns().expect("a valid event is stored");
            let again = jiesu_core::event::EventBody::from_columns(kind, &payload)
                .expect("a stored event reads back");
            assert_eq!(again, p.event.body);
        }
        let events: Vec<_> = back.events.into_iter().map(|p| p.event).collect();
        jiesu_core::fuzzing::fold(&events);
    }
});
