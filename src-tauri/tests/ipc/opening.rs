//! A store from before encryption opens after the window shows (`AppState::open_later`): the
//! window hears that it is opening without waiting for it, each step as it begins, then meets
//! the real store, encrypted; an opening that fails says why and leaves the placeholder shut.

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use jiesu_app::AppState;
use jiesu_core::access::{NewAccount, Role};
use jiesu_core::sample::SampleSpec;
use jiesu_core::store::{self, Opening, OpeningProgress, OpeningStep, StoreFile};
use jiesu_core::{CorrectedClock, ManualClock, Store};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

use super::{NOW, mock_app};

const PASSWORD: &str = "wang-password";

/// The plain store an earlier version left in `dir`: the sample community and its
/// administrator (`wang`), never encrypted. Returns the cases it holds.
fn plain_store_from_before_encryption(dir: &Path) -> u32 {
    let mut s = Store::open(dir, Box::new(ManualClock::new(NOW))).unwrap();
    s.set_identity("local", "和美社区", "王书记").unwrap();
    jiesu_core::sample::generate(&mut s, &SampleSpec::community(NOW)).unwrap();
    s.require_sign_in();
    let admin = NewAccount {
        login: "wang".into(),
        name: "王书记".into(),
        role: Role::Admin,
        password: PASSWORD.into(),
    };
    s.create_first_admin("和美社区", admin).unwrap();
    let cases = s.case_count().unwrap();
    drop(s);
    assert_eq!(store::store_file(dir).unwrap(), StoreFile::Plain);
    cases
}

struct Window {
    app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    store: Arc<Mutex<Store>>,
    /// What the opening told, in order.
    told: Arc<Mutex<Vec<OpeningProgress>>>,
    /// The opening has told `Encrypting` and waits for `resume` before it copies the file.
    encrypting: mpsc::Receiver<()>,
    resume: mpsc::SyncSender<()>,
}

/// The app as `main.rs` starts it on `dir` when its store opens later.
fn app_opening_later(dir: &Path, exports: &Path) -> Window {
    assert!(jiesu_app::opens_later(dir).unwrap());
    let clock = CorrectedClock::default();
    let placeholder = jiesu_app::start_later(&clock).unwrap();
    let store = Arc::new(Mutex::new(placeholder));
    let (app, syncer) = mock_app(&store, &clock, Arc::new(|| {}));
    let told = Arc::new(Mutex::new(Vec::new()));
    let (encrypting_tx, encrypting) = mpsc::sync_channel(1);
    let (resume, resume_rx) = mpsc::sync_channel(1);
    let resume_rx = Mutex::new(resume_rx);
    let opening = Opening::watched({
        let told = told.clone();
        move |p| {
            told.lock().unwrap().push(p);
            if p.step == OpeningStep::Encrypting {
                encrypting_tx.send(()).unwrap();
                resume_rx.lock().unwrap().recv().unwrap();
            }
        }
    });
    let state = AppState::new(
        store.clone(),
        dir.to_owned(),
        exports.to_owned(),
        syncer,
        clock,
        true,
    )
    .with_opening(opening)
    .opening_later();
    app.manage(state);
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Window {
        app,
        webview,
        store,
        told,
        encrypting,
        resume,
    }
}

/// The answer to one call, or its refusal.
fn invoke(w: &Window, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(&w.webview, request).map(|r| r.deserialize::<Value>().unwrap())
}

#[test]
fn a_store_from_before_encryption_opens_after_the_window_shows_telling_its_steps() {
    let dir = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let cases = plain_store_from_before_encryption(dir.path());
    let w = app_opening_later(dir.path(), exports.path());

    // The opening holds the store all along: held here, it cannot finish, and the window
    // still hears at once that the store is opening.
    let held = w.store.lock().unwrap();
    let handle = w.app.handle().clone();
    let opener = std::thread::spawn(move || handle.state::<AppState>().open_later());
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["opening"], true, "{info}");
    assert_eq!(info["open_failed"], Value::Null);
    assert_eq!(
        info["first_run"], false,
        "not the first-run screen while opening"
    );
    assert_eq!(info["opening_step"], Value::Null, "no step begun yet");
    drop(held);
    // Paused as it begins the copy: a window loaded after the step was told still reads it.
    w.encrypting.recv().unwrap();
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["opening"], true, "{info}");
    assert_eq!(info["opening_step"]["step"], "encrypting", "{info}");
    w.resume.send(()).unwrap();
    assert_eq!(opener.join().unwrap().unwrap(), cases);

    let steps: Vec<OpeningStep> = w.told.lock().unwrap().iter().map(|p| p.step).collect();
    assert!(steps.contains(&OpeningStep::Encrypting), "{steps:?}");
    assert_eq!(store::store_file(dir.path()).unwrap(), StoreFile::Encrypted);
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["opening"], false, "{info}");
    assert_eq!(info["locked"], false, "the real store is open: {info}");
    assert_eq!(info["first_run"], false, "its administrator exists: {info}");
    assert_eq!(info["identity"]["office_name"], "和美社区");
    assert_eq!(info["session"], Value::Null, "nobody signed in yet");
    // The office's administrator signs in to the store as it was.
    let session = invoke(
        &w,
        "sign_in",
        json!({"login": "wang", "password": PASSWORD}),
    )
    .unwrap();
    assert_eq!(session["login"], "wang");
    assert_eq!(invoke(&w, "case_count", json!({})).unwrap(), json!(cases));
}

#[test]
fn a_store_that_fails_to_open_after_the_window_shows_says_why_and_stays_shut() {
    let dir = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    plain_store_from_before_encryption(dir.path());
    // A store a later version of the app left: this one cannot read it.
    {
        let s = Store::open(dir.path(), Box::new(ManualClock::new(NOW))).unwrap();
        s.connection()
            .execute_batch("PRAGMA user_version = 9999")
            .unwrap();
    }
    let w = app_opening_later(dir.path(), exports.path());
    let failed = w.app.state::<AppState>().open_later().unwrap_err();
    let info = invoke(&w, "app_info", json!({})).unwrap();
    assert_eq!(info["opening"], false, "{info}");
    assert_eq!(info["open_failed"]["code"], json!(failed.code), "{info}");
    // Nothing else answers: the placeholder is shut, and a sign-in opens nothing.
    assert!(invoke(&w, "case_count", json!({})).is_err());
    let signed = invoke(
        &w,
        "sign_in",
        json!({"login": "wang", "password": PASSWORD}),
    );
    assert!(signed.is_err(), "{signed:?}");
    assert_eq!(
        store::store_file(dir.path()).unwrap(),
        StoreFile::Plain,
        "left as it was"
    );
}
