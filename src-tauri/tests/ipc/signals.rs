//! What the window is told after a command: `data-changed` when the command wrote something
//! a page shows, so every list and count follows; not for the window's own session, which it
//! reloads itself (a sign-in's told change made the first screen ask everything twice).

use std::sync::atomic::Ordering;

use serde_json::json;
use tauri::ipc::InvokeBody;

use super::{Answer, Window, call, footprint, window};

fn send(w: &Window, cmd: &str, body: serde_json::Value) {
    match call(w, cmd, InvokeBody::Json(body), Default::default()) {
        Answer::Ok => {}
        Answer::Undecoded(e) | Answer::Refused(e) => panic!("{cmd}: {e}"),
    }
}

#[test]
fn signing_out_and_in_writes_the_access_log_but_tells_no_page_to_reload() {
    let w = window();
    let told = || w.data_changed.load(Ordering::SeqCst);
    let (events, _) = footprint(&w);

    send(&w, "sign_out", json!({"idle": false}));
    send(
        &w,
        "sign_in",
        json!({"login": "wang", "password": super::ADMIN_PASSWORD}),
    );
    // Both are in the trace, and neither is news to a page.
    assert_eq!(
        footprint(&w).0,
        events + 2,
        "signed out and in, each an event"
    );
    assert_eq!(told(), 0, "the window reloads itself after its own sign-in");

    // A case received is: the list and the header's count must follow.
    send(
        &w,
        "receive_case",
        json!({"input": jiesu_core::sample::parking_complaint("车位被占")}),
    );
    assert!(footprint(&w).0 > events + 2, "the case is in the log");
    assert_eq!(told(), 1, "a case written tells the window once");
}
