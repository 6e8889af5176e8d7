//! The window's calls as a broken, stale or hostile page could make them. The real command
//! registration (`jiesu_app::with_commands`) and the real capability file run under Tauri's
//! mock runtime, so every call goes through Tauri's own argument decoding and ACL, then the
//! command, then the store (on disk, holding the sample community).
//!
//! Inputs are structure-aware: for each command a well-formed call is built from the store's
//! real state (a case and a step the workflow allows, a meeting and one of its commands, a
//! period of figures...), then a few mutations are applied to its JSON: a node replaced by
//! another value (extreme numbers, long, empty or control-character text, deep nesting, an
//! enum tag of another type), a key removed, renamed to snake_case or added. Photos arrive as
//! raw bytes with arbitrary names.
//!
//! Every answer must be a success, Tauri's refusal of arguments it cannot decode, or our
//! `{code, message}` refusal with a known code; a refusal writes nothing; no call panics (the
//! panic hook aborts the run). `JIESU_IPC_FUZZ_RUNS` sets the number of calls (CI runs a short
//! version; the long run is recorded in docs/BENCHMARKS.md, "Fuzzing").
//!
//! `JIESU_IPC_SEEDS=<dir>` also writes each well-formed call, before its mutations, as a seed
//! for the `ipc` fuzz target (`fuzz/fuzz_targets/ipc.rs`): the command's index in
//! `COMMANDS`, a byte asking the target for ids its own store knows, then the JSON body.
//!
//! Not sent: `notify` (it hands two strings to the desktop's notification service, which the
//! mock runtime does not have).

#[path = "ipc/opening.rs"]
mod opening;
#[path = "ipc/signals.rs"]
mod signals;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jiesu_app::AppState;
use jiesu_core::figures::{Dimension, Figure, FigureQuery, FigureSettings};
use jiesu_core::sample::{MeetingCall, SampleSpec, random_command, random_meeting_call};
use jiesu_core::{CaseQuery, CorrectedClock, ManualClock, Store};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

/// 2026-11-23 09:00 China time, a Monday: the store's clock, pinned.
const NOW: i64 = 1_795_395_600_000;
const RUNS_VAR: &str = "JIESU_IPC_FUZZ_RUNS";
const SEEDS_VAR: &str = "JIESU_IPC_SEEDS";

const DIMENSIONS: [Dimension; 8] = [
    Dimension::Unit,
    Dimension::Category1,
    Dimension::Category2,
    Dimension::Channel,
    Dimension::Building,
    Dimension::Office,
    Dimension::Week,
    Dimension::Month,
];

struct Window {
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    store: Arc<Mutex<Store>>,
    dir: tempfile::TempDir,
    _exports: tempfile::TempDir,
    /// How many times the window was told `data-changed`.
    data_changed: Arc<AtomicUsize>,
}

const ADMIN_PASSWORD: &str = "wang-admin-password";
const ROLES: [&str; 4] = ["worker", "host", "viewer", "admin"];

fn window() -> Window {
    let dir = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(NOW);
    let mut store = Store::open(dir.path(), Box::new(clock)).unwrap();
    store.set_identity("local", "和美社区", "王书记").unwrap();
    jiesu_core::sample::generate(&mut store, &SampleSpec::community(NOW)).unwrap();
    // As the app runs: accounts in force, the first administrator signed in.
    store.require_sign_in();
    store
        .create_first_admin(
            "和美社区",
            jiesu_core::access::NewAccount {
                login: "wang".into(),
                name: "王书记".into(),
                role: jiesu_core::access::Role::Admin,
                password: ADMIN_PASSWORD.into(),
            },
        )
        .unwrap();
    let store = Arc::new(Mutex::new(store));
    let data_changed = Arc::new(AtomicUsize::new(0));
    let told = data_changed.clone();
    let on_data = Arc::new(move || {
        told.fetch_add(1, Ordering::SeqCst);
    });
    let (app, syncer) = mock_app(&store, &CorrectedClock::default(), on_data);
    app.manage(AppState::new(
        store.clone(),
        dir.path().to_owned(),
        exports.path().to_owned(),
        syncer,
        CorrectedClock::default(),
        false,
    ));
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Window {
        _app: app,
        webview,
        store,
        dir,
        _exports: exports,
        data_changed,
    }
}

/// The real command registration under the mock runtime, and a sync task on `store` that
/// calls `on_data` where the app tells the window `data-changed`.
fn mock_app(
    store: &Arc<Mutex<Store>>,
    clock: &CorrectedClock,
    on_data: Arc<dyn Fn() + Send + Sync>,
) -> (tauri::App<MockRuntime>, jiesu_sync::Syncer) {
    let app = jiesu_app::with_commands(mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    let _runtime = tauri::async_runtime::handle().inner().enter();
    let syncer = jiesu_sync::Syncer::spawn(store.clone(), clock.clone(), on_data);
    (app, syncer)
}

/// What a call left behind: events in the log and photo files.
fn footprint(w: &Window) -> (i64, usize) {
    let events = w
        .store
        .lock()
        .unwrap()
        .connection()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let photos = std::fs::read_dir(w.dir.path().join("attachments"))
        .map(|d| d.count())
        .unwrap_or(0);
    (events, photos)
}

enum Answer {
    Ok,
    /// Tauri could not decode the arguments (or the call is not allowed).
    Undecoded(String),
    /// Our refusal, `{code, message}`.
    Refused(String),
}

fn call(w: &Window, cmd: &str, body: InvokeBody, headers: tauri::http::HeaderMap) -> Answer {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body,
        headers,
        invoke_key: INVOKE_KEY.to_string(),
    };
    match get_ipc_response(&w.webview, request) {
        Ok(_) => Answer::Ok,
        Err(Value::String(s)) => Answer::Undecoded(s),
        Err(v) => {
            let code = v["code"].as_str().unwrap_or_else(|| panic!("{cmd}: {v}"));
            assert!(
                v["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{cmd}: a refusal says why: {v}"
            );
            assert!(
                serde_json::from_value::<jiesu_core::Code>(json!(code)).is_ok(),
                "{cmd}: a known code: {v}"
            );
            Answer::Refused(code.to_owned())
        }
    }
}

/// A folder for the backups the run makes, kept for the process's life.
fn backups_folder() -> String {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
        .display()
        .to_string()
}

/// A well-formed call of `cmd` on the store as it is now.
fn well_formed(rng: &mut SmallRng, st: &Store, cmd: &str) -> Value {
    let cases = st.all_cases().unwrap();
    let case = &cases[rng.random_range(0..cases.len())];
    let meetings = st.all_meetings().unwrap();
    let meeting = meetings
        .get(rng.random_range(0..meetings.len().max(1)))
        .map(|m| m.id)
        .unwrap_or_else(uuid::Uuid::now_v7);
    let period = FigureQuery {
        from: NOW - rng.random_range(0..120) * 86_400_000,
        to: NOW + rng.random_range(0..30) * 86_400_000,
        ..Default::default()
    };
    let figure = Figure::ALL[rng.random_range(0..Figure::ALL.len())];
    let dimension = DIMENSIONS[rng.random_range(0..DIMENSIONS.len())];
    let group_key = ["parking", "", "2026-11", "property"][rng.random_range(0..4)];
    let group = rng.random_bool(0.5).then(|| json!([dimension, group_key]));
    match cmd {
        "setup" => json!({"setup": {"officeName": "和美社区", "author": "李书记",
            "login": "li", "password": "li-password", "sample": false}}),
        "sign_in" => json!({"login": "wang", "password": ADMIN_PASSWORD}),
        "inspect_new_pc_backup" | "restore_on_new_pc" => json!({
            "path": (["/nonexistent/jiesu-backup.db", "relative.db", ""][rng.random_range(0..3)]),
            "login": "wang", "password": ADMIN_PASSWORD, "recoveryKey": null}),
        "recover_with_key" => json!({"recoveryKey": "AAAAA-BBBBB", "login": "wang",
            "newPassword": "new-password"}),
        "add_account" => json!({"account": {"login": format!("w{}", rng.random_range(0..1000)),
            "name": "张委员", "role": ROLES[rng.random_range(0..4)],
            "password": "first-password"}}),
        "set_role" | "remove_account" => json!({"account": st.session().map(|s| s.account),
            "role": "worker"}),
        "set_password" => json!({"account": st.session().map(|s| s.account),
            "current": ADMIN_PASSWORD, "password": ADMIN_PASSWORD}),
        "set_idle_minutes" => json!({"minutes": rng.random_range(0..500)}),
        "receive_case" => json!({"input": jiesu_core::sample::parking_complaint("车位被占")}),
        "receive_follow_up" => json!({"of": case.number,
            "input": jiesu_core::sample::parking_complaint("又被占了")}),
        "act" => json!({"caseId": case.id, "command": random_command(rng, st, case)}),
        "case_detail" | "case_receipt" | "issue_lookup_code" => json!({"caseId": case.id}),
        "verify_trace" => json!({"stream": case.id.to_string()}),
        "set_backup_settings" => {
            json!({"folder": backups_folder(), "keep": rng.random_range(0..10)})
        }
        "list_cases" => json!({"query": CaseQuery {
            text: ["", "漏水", "停"][rng.random_range(0..3)].into(),
            ..Default::default()
        }}),
        "find_resident" => json!({"phone": "13900000002"}),
        "similar_cases" => json!({"draft": {"description": "27栋楼下消防通道被占",
            "building": "", "location": "", "phone": "13900000002"}}),
        "preview_import" | "run_import" => json!({"mapping": {
            "fields": ["work_order_no", "description", "category"],
            "categories": {}, "fallback_category": null}}),
        "save_import_mapping" | "forget_import_mapping" => json!({
            // Nothing is imported in this run: the store answers that no such mapping is kept.
            "source": "headers-0",
            "mapping": {"fields": ["work_order_no", "description", "category"],
                "categories": {"城市管理->市容环境->占道经营": "parking"}, "fallback_category": null}}),
        "attachment" => {
            json!({"sha256": case.attachment.as_ref().map(|a| a.sha256.clone()).unwrap_or_default()})
        }
        "calendar_year" => json!({"year": 2026}),
        "set_calendar_day" => json!({"date": "2026-12-05", "working": rng.random_bool(0.5)}),
        "add_unit" => json!({"name": "街道城管科"}),
        "enrol" => json!({"serverUrl": "http://127.0.0.1:9", "code": "ABCDE-FGHIJ"}),
        "schedule_meeting" | "meeting_act" | "open_item_case" | "capture_visitor" => {
            match meeting_call(rng, st, meeting) {
                MeetingCall::Schedule(info) => json!({"info": info}),
                MeetingCall::Act(m, command) => json!({"meetingId": m, "command": command}),
                MeetingCall::ItemCase(m, form) => json!({"meetingId": m, "form": form}),
                MeetingCall::Visitor(m, form) => json!({"meetingId": m, "form": form}),
            }
        }
        "meeting_detail" | "export_minutes" | "export_ics" => json!({"meetingId": meeting}),
        "dashboard" => json!({"query": period, "trend": dimension}),
        "earlier_figures" | "export_report" => json!({"query": period}),
        "figure_cases" => json!({"query": period, "figure": figure, "group": group,
            "page": rng.random_range(0..3), "pageSize": 50}),
        "set_figure_settings" => json!({"settings": FigureSettings::default()}),
        "export_figure_csv" => json!({"query": period, "figure": figure, "group": group}),
        "export_list_csv" => json!({"query": CaseQuery::default()}),
        "overdue_watch" => json!({"since": NOW - 86_400_000}),
        "clusters" => json!({"days": rng.random_range(0..400)}),
        "campaign_board" | "export_campaign" => json!({"id": uuid::Uuid::now_v7()}),
        "open_campaign" => json!({"form": {"title": "消防通道占用专项整改", "problem": "通道被占",
            "standard": "无占用", "category": "parking.illegal.fire_lane",
            "due_date": "2027-01-10", "source": case.number, "offices": ["b"]}}),
        "add_campaign_site" => json!({"site": {"campaign": uuid::Uuid::now_v7(),
            "location": "3栋", "description": "消防通道被占"}}),
        "join_campaign" => json!({"caseId": case.id, "campaign": uuid::Uuid::now_v7()}),
        "amend_campaign" => json!({"change": {"campaign": uuid::Uuid::now_v7(),
            "due_date": "2027-02-10", "offices": ["b"], "closed": rng.random_bool(0.5),
            "note": "延期"}}),
        _ => json!({}),
    }
}

/// A call on meetings the window could make now (an approval when none of the draws fits).
fn meeting_call(rng: &mut SmallRng, st: &Store, meeting: uuid::Uuid) -> MeetingCall {
    for _ in 0..20 {
        if let Ok(Some(c)) = random_meeting_call(rng, st) {
            return c;
        }
    }
    MeetingCall::Act(
        meeting,
        jiesu_core::MeetingCommand::Approve {
            note: String::new(),
        },
    )
}

/// A value a hostile page could put anywhere.
fn hostile(rng: &mut SmallRng, words: &[String], depth: u32) -> Value {
    match rng.random_range(0..14) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => [
            json!(i64::MIN),
            json!(i64::MAX),
            json!(-1),
            json!(0),
            json!(u64::MAX),
            json!(4_102_444_800_000i64),
        ][rng.random_range(0..6)]
        .clone(),
        3 => json!([f64::MAX, -0.0, 1e-300, 0.5, -1e308][rng.random_range(0..5)]),
        4 => json!(rng.random::<i64>()),
        5 => json!(""),
        6 => json!("x".repeat(rng.random_range(1..20_000))),
        7 => json!(
            [
                "\u{0}",
                "\u{202e}反转",
                "\u{1b}[2J",
                "'; DROP TABLE events; --",
                "../../etc/passwd",
                "%00",
                "🚗🚗",
                "\u{feff}"
            ][rng.random_range(0..8)]
        ),
        8 | 9 => json!(words[rng.random_range(0..words.len())]),
        10 => json!(uuid::Uuid::from_u128(rng.random()).to_string()),
        11 if depth < 3 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| hostile(rng, words, depth + 1))
                .collect(),
        ),
        12 if depth < 3 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.random_range(0..4) {
                m.insert(
                    words[rng.random_range(0..words.len())].clone(),
                    hostile(rng, words, depth + 1),
                );
            }
            Value::Object(m)
        }
        _ => {
            // Deep nesting, beyond any form's depth.
            let mut v = json!(1);
            for _ in 0..rng.random_range(1..300) {
                v = json!([v]);
            }
            v
        }
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// Apply `f` to the `k`-th node in pre-order.
fn with_nth(v: &mut Value, k: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if *k == 0 {
        f(v);
        return true;
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| with_nth(c, k, f)),
        Value::Object(m) => m.values_mut().any(|c| with_nth(c, k, f)),
        _ => false,
    }
}

fn collect_words(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() < 64 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|c| collect_words(c, out)),
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            out.push(k.clone());
            collect_words(c, out)
        }),
        _ => {}
    }
}

fn mutate(rng: &mut SmallRng, body: &mut Value, words: &[String]) {
    for _ in 0..rng.random_range(1..4) {
        let mut k = rng.random_range(0..count(body));
        with_nth(body, &mut k, &mut |node| mutate_node(rng, node, words));
    }
}

fn mutate_node(rng: &mut SmallRng, node: &mut Value, words: &[String]) {
    match (rng.random_range(0..4), node) {
        (0, Value::Object(m)) if !m.is_empty() => {
            let key = m.keys().nth(rng.random_range(0..m.len())).unwrap().clone();
            let v = m.remove(&key).unwrap();
            if rng.random_bool(0.5) {
                // The name as Rust spells it: Tauri wants camelCase.
                let snake: String = key
                    .chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            vec!['_', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect();
                m.insert(snake, v);
            }
        }
        (1, Value::Object(m)) => {
            m.insert(
                words[rng.random_range(0..words.len())].clone(),
                hostile(rng, words, 0),
            );
        }
        (2, Value::Array(a)) if !a.is_empty() => {
            a.remove(rng.random_range(0..a.len()));
        }
        (_, node) => *node = hostile(rng, words, 0),
    }
}

/// Keep a mutated call from leaving the machine or rebuilding the whole sample: a server
/// address becomes one that refuses at once, and `setup` never loads the sample.
fn tame(cmd: &str, body: &mut Value) {
    if cmd == "enrol"
        && let Some(url) = body.get_mut("serverUrl")
        && url.as_str().is_some_and(|u| u.contains(':'))
    {
        *url = json!("http://127.0.0.1:9");
    }
    if cmd == "setup"
        && let Some(sample) = body.pointer_mut("/setup/sample")
    {
        *sample = json!(false);
    }
}

#[test]
fn hostile_calls_from_the_page_are_refused_cleanly_and_write_nothing() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("PANIC in a command: {info}");
        std::process::abort();
    }));
    let runs: u64 = std::env::var(RUNS_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1500);
    let seeds = std::env::var_os(SEEDS_VAR).map(std::path::PathBuf::from);
    if let Some(dir) = &seeds {
        std::fs::create_dir_all(dir).expect("the seeds' folder");
    }
    let w = window();
    let mut rng = SmallRng::seed_from_u64(0x1bc);
    let commands: Vec<&str> = jiesu_app::command_names::COMMANDS
        .iter()
        .copied()
        // Signing out would lock the window for the rest of the run (every later call
        // refused alike); the lock has its own tests.
        // A restore replaces the store under the run (it has its own tests).
        .filter(|c| *c != "notify" && *c != "sign_out" && *c != "restore_backup")
        .collect();
    let (mut ok, mut undecoded, mut refused) = (0u64, 0u64, 0u64);
    let mut by_code = std::collections::BTreeMap::<String, u64>::new();
    for run in 0..runs {
        let cmd = commands[rng.random_range(0..commands.len())];
        let before = footprint(&w);
        let mut headers = tauri::http::HeaderMap::new();
        let body = if cmd == "save_attachment" || cmd == "open_import" {
            let name: String = (0..rng.random_range(0..40))
                .map(|_| ['%', 'a', '.', '/', '现', '2', 'F', '\u{0}'][rng.random_range(0..8)])
                .collect();
            if let Ok(v) = tauri::http::HeaderValue::from_str(&name) {
                headers.insert("x-file-name", v);
            }
            if rng.random_ratio(1, 8) {
                InvokeBody::Json(json!({"data": [1, 2, 3]}))
            } else {
                InvokeBody::Raw(
                    (0..rng.random_range(0..4096))
                        .map(|_| rng.random())
                        .collect(),
                )
            }
        } else {
            let mut body = well_formed(&mut rng, &w.store.lock().unwrap(), cmd);
            if let Some(dir) = &seeds {
                let index = jiesu_app::command_names::COMMANDS
                    .iter()
                    .position(|c| *c == cmd)
                    .expect("a named command");
                let mut seed = vec![index as u8, 1];
                seed.extend(serde_json::to_vec(&body).expect("JSON"));
                std::fs::write(dir.join(format!("{cmd}-{run}")), seed).expect("a seed is written");
            }
            if rng.random_ratio(7, 8) {
                let mut words = Vec::new();
                collect_words(&body, &mut words);
                words.extend(
                    ["caseId", "command", "query", "type", "kind", "meetingId"].map(String::from),
                );
                mutate(&mut rng, &mut body, &words);
            }
            tame(cmd, &mut body);
            InvokeBody::Json(body)
        };
        match call(&w, cmd, body, headers) {
            Answer::Ok => ok += 1,
            Answer::Undecoded(why) => {
                assert!(
                    !why.contains("not allowed"),
                    "run {run}: the capability allows {cmd}: {why}"
                );
                undecoded += 1;
                assert_eq!(
                    footprint(&w),
                    before,
                    "run {run}: {cmd} refused by Tauri wrote something"
                );
            }
            Answer::Refused(code) => {
                refused += 1;
                *by_code.entry(code.clone()).or_default() += 1;
                assert_eq!(
                    footprint(&w),
                    before,
                    "run {run}: {cmd} refused ({code}) wrote something"
                );
            }
        }
    }
    eprintln!("{runs} calls: {ok} ok, {undecoded} not decoded, {refused} refused {by_code:?}");
    // The calls reached the commands, and both kinds of refusal happened.
    assert!(ok > runs / 10 && undecoded > 0 && refused > 0);
    let mut store = w.store.lock().unwrap();
    let cases = store.all_cases().unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(
        cases,
        store.all_cases().unwrap(),
        "projection == rebuild after the run"
    );
}
