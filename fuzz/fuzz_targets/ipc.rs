//! The window's commands as the shell receives them: arbitrary bytes as an invoke's JSON body
//! for one of the commands the window may call (`src-tauri/src/command_names.rs`, read here so
//! a new command without a line below fails the first run). Each argument is taken under its
//! camelCase key and deserialized into the command's own type from the same `serde_json::Value`
//! Tauri's `CommandItem` hands serde (a missing key reads as `null`, which only an `Option`
//! takes); what decodes runs the store call the command makes, on a real in-memory store of a
//! small community. Every answer is a value or a refusal with a code; a panic is a finding.
//!
//! Calls that leave the process (the enrolment's exchange with a server, sync, exports to files, photos on disk,
//! notifications) are decoded and not run: their decoding is the IPC surface, what they do
//! next is the sync client's and the exports' (the `server` target and the IPC test drive
//! those). The store is made afresh every 2,000 inputs so what the writing calls add does not
//! slow the run; an input that fails only after others have written is reproduced by running
//! the corpus in order (`-runs`).
#![no_main]

use std::cell::RefCell;

use jiesu_core::api::{
    CaseCommand, CaseQuery, ItemCaseForm, MeetingCommand, NewCase, Setup, VisitorForm,
};
use jiesu_core::figures::{Dimension, Figure, FigureQuery, FigureSettings};
use jiesu_core::meeting::MeetingInfo;
use jiesu_core::{ManualClock, Store};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

#[path = "../../src-tauri/src/command_names.rs"]
#[allow(dead_code)]
mod command_names;

const NOW: i64 = 1_795_395_600_000;

/// Inputs replayed so far that were: not a JSON body; not decoded (or only decoded); answered
/// by the store; refused by it.
/// With `JIESU_FUZZ_STATS` set they are printed every 500 inputs, to tell what share of a
/// corpus reaches the store (`-runs=0` replays a corpus once).
static OUTCOMES: [std::sync::atomic::AtomicU64; 4] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 4];

fn count(outcome: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    OUTCOMES[outcome].fetch_add(1, Relaxed);
    let seen: u64 = OUTCOMES.iter().map(|o| o.load(Relaxed)).sum();
    if seen % 500 == 0 && std::env::var_os("JIESU_FUZZ_STATS").is_some() {
        let [bad, undecoded, ok, refused] = OUTCOMES.each_ref().map(|o| o.load(Relaxed));
        eprintln!(
            "ipc stats: {seen} inputs: {bad} not JSON, {undecoded} not decoded, {ok} answered, {refused} refused by the store"
        );
    }
}
const FRESH_EVERY: u32 = 2_000;

struct Window {
    store: Store,
    calls: u32,
}

thread_local! {
    static WINDOW: RefCell<Option<Window>> = const { RefCell::new(None) };
}

/// A small community: a handful of cases in every state the sample reaches, some meetings.
fn community() -> Store {
    let mut s = Store::open_in_memory(Box::new(ManualClock::new(NOW))).expect("a store opens");
    s.set_identity("local", "和美社区", "李书记")
        .expect("identity");
    let spec = jiesu_core::sample::SampleSpec {
        cases: 24,
        days: 20,
        seed: 7,
        now_ms: NOW,
        batch: 100,
    };
    jiesu_core::sample::generate(&mut s, &spec).expect("the sample community");
    s
}

/// One argument as Tauri reads it: the value under `key`, `null` when absent.
fn arg<T: DeserializeOwned>(args: &Value, key: &str) -> Option<T> {
    serde_json::from_value(args.get(key).cloned().unwrap_or(Value::Null)).ok()
}

/// Whether the store refused; a refusal crosses to the window as `{code, message}`.
fn refused<T>(r: jiesu_core::Result<T>) -> Option<bool> {
    match r {
        Ok(_) => Some(false),
        Err(e) => {
            let wire = jiesu_core::WireError::from(e);
            assert!(!wire.message.is_empty(), "a refusal says what it is");
            Some(true)
        }
    }
}

/// A case or meeting id the store knows (so the calls reach past "not found"), or the one given.
fn known(store: &Store, pick: u8, given: Option<Uuid>, meetings: bool) -> Option<Uuid> {
    if pick % 2 == 0 {
        return given;
    }
    if meetings {
        let rows = store.list_meetings().ok()?;
        rows.get(usize::from(pick) % rows.len().max(1))
            .map(|m| m.id)
    } else {
        let page = store.list_cases(&CaseQuery::default()).ok()?;
        page.rows
            .get(usize::from(pick) % page.rows.len().max(1))
            .map(|c| c.id)
    }
}

/// Runs the command `name` as the shell would: whether the store refused it, `None` when the
/// arguments did not decode (or the call is decoded only).
fn call(s: &mut Store, name: &str, args: &Value, pick: u8) -> Option<bool> {
    let id =
        |s: &Store, key: &str, meetings: bool| known(s, pick, arg::<Uuid>(args, key), meetings);
    match name {
        // Nothing to decode: the call reads what the store holds.
        "app_info"
        | "catalog"
        | "sync_status"
        | "sync_now"
        | "unenrol"
        | "config_log"
        | "restamp_future_work"
        | "list_meetings"
        | "figure_settings"
        | "desk" => {}
        "setup" => {
            if let Some(setup) = arg::<Setup>(args, "setup") {
                // The sample is never loaded here (the community is already there).
                return refused(s.first_run(
                    &setup.office_name,
                    jiesu_core::access::NewAccount {
                        login: setup.login,
                        name: setup.author,
                        role: jiesu_core::access::Role::Admin,
                        password: setup.password,
                    },
                    false,
                ));
            }
        }
        "receive_case" => {
            if let Some(input) = arg::<NewCase>(args, "input") {
                return refused(s.receive(input));
            }
        }
        "receive_follow_up" => {
            if let (Some(of), Some(input)) = (arg::<String>(args, "of"), arg::<NewCase>(args, "input")) {
                return refused(s.receive_follow_up(&of, input));
            }
        }
        "act" => {
            if let (Some(case), Some(command)) =
                (id(s, "caseId", false), arg::<CaseCommand>(args, "command"))
            {
                return refused(s.act(case, command));
            }
        }
        "case_detail" => {
            if let Some(case) = id(s, "caseId", false) {
                return refused(s.case_detail(case));
            }
        }
        "case_receipt" => {
            if let Some(case) = id(s, "caseId", false) {
                return refused(s.receipt(&case.to_string()));
            }
        }
        "issue_lookup_code" => {
            if let Some(case) = id(s, "caseId", false) {
                return refused(s.issue_lookup_code(&case.to_string()));
            }
        }
        "verify_trace" => {
            if let Some(stream) = arg::<String>(args, "stream") {
                return refused(s.verify_trace(&stream));
            }
        }
        "list_cases" => {
            if let Some(q) = arg::<CaseQuery>(args, "query") {
                return refused(s.list_cases(&q));
            }
        }
        "export_list_csv" => {
            let _ = arg::<CaseQuery>(args, "query");
        }
        "find_resident" => {
            if let Some(phone) = arg::<String>(args, "phone") {
                return refused(s.find_resident(&phone));
            }
        }
        // A raw body and a header, not JSON: the name is percent-decoded text, the bytes are
        // checked by the store; writing them to disk is the store's, not the decoding's.
        "similar_cases" => {
            if let Some(draft) = arg::<jiesu_core::similar::Draft>(args, "draft") {
                return refused(s.similar_cases(&draft));
            }
        }
        "save_attachment" | "open_import" => {}
        // The pending file is the shell's: the store is asked with a mapping only.
        "preview_import" | "run_import" => {
            let _ = arg::<jiesu_core::import::ImportMapping>(args, "mapping");
        }
        "cancel_import" | "close_import" | "export_import_report" => {}
        "import_mappings" => return refused(s.import_mappings()),
        "save_import_mapping" => {
            if let (Some(source), Some(mapping)) = (
                arg::<String>(args, "source"),
                arg::<jiesu_core::import::ImportMapping>(args, "mapping"),
            ) {
                return refused(s.save_import_mapping(&source, mapping));
            }
        }
        "forget_import_mapping" => {
            if let Some(source) = arg::<String>(args, "source") {
                return refused(s.forget_import_mapping(&source));
            }
        }
        "clusters" => {
            if let Some(days) = arg::<u32>(args, "days") {
                return refused(s.clusters(days));
            }
        }
        "campaigns" => return refused(s.campaigns()),
        "campaign_board" => {
            if let Some(id) = arg::<uuid::Uuid>(args, "id") {
                return refused(s.campaign_board(id));
            }
        }
        // Writes a file into the exports folder the shell owns; the board is what is read.
        "export_campaign" => {
            let _ = arg::<uuid::Uuid>(args, "id");
        }
        "open_campaign" => {
            if let Some(form) = arg::<jiesu_core::campaign::NewCampaign>(args, "form") {
                return refused(s.open_campaign(form));
            }
        }
        "amend_campaign" => {
            if let Some(change) = arg::<jiesu_core::campaign::CampaignChange>(args, "change") {
                return refused(s.amend_campaign(change));
            }
        }
        "add_campaign_site" => {
            if let Some(site) = arg::<jiesu_core::campaign::NewSite>(args, "site") {
                return refused(s.add_campaign_site(site));
            }
        }
        "join_campaign" => {
            if let (Some(case), Some(c)) = (
                arg::<uuid::Uuid>(args, "caseId"),
                arg::<uuid::Uuid>(args, "campaign"),
            ) {
                return refused(s.join_campaign(case, c));
            }
        }
        "attachment" => {
            if let Some(sha) = arg::<String>(args, "sha256") {
                return refused(s.read_attachment(&sha));
            }
        }
        "calendar_year" => {
            if let Some(year) = arg::<i32>(args, "year") {
                let _ = s.calendar_year(year);
                return Some(false);
            }
        }
        "set_calendar_day" => {
            if let (Some(date), Some(working)) =
                (arg::<String>(args, "date"), arg::<bool>(args, "working"))
            {
                return refused(s.set_calendar_day(&date, working));
            }
        }
        "add_unit" => {
            if let Some(name) = arg::<String>(args, "name") {
                return refused(s.add_unit(&name));
            }
        }
        "sign_in" => {
            if let (Some(login), Some(password)) =
                (arg::<String>(args, "login"), arg::<String>(args, "password"))
            {
                return refused(s.sign_in(&login, &password));
            }
        }
        "sign_out" => {
            if let Some(idle) = arg::<bool>(args, "idle") {
                return refused(s.sign_out(idle));
            }
        }
        "accounts" => return refused(s.accounts()),
        "add_account" => {
            if let Some(a) = arg::<jiesu_core::access::NewAccount>(args, "account") {
                return refused(s.add_account(a));
            }
        }
        "set_role" => {
            if let (Some(a), Some(role)) = (
                arg::<Uuid>(args, "account"),
                arg::<jiesu_core::access::Role>(args, "role"),
            ) {
                return refused(s.set_role(a, role));
            }
        }
        "remove_account" => {
            if let Some(a) = arg::<Uuid>(args, "account") {
                return refused(s.remove_account(a));
            }
        }
        "set_password" => {
            if let (Some(a), Some(password)) =
                (arg::<Uuid>(args, "account"), arg::<String>(args, "password"))
            {
                let current = arg::<Option<String>>(args, "current").flatten();
                return refused(s.set_password(a, current.as_deref(), &password));
            }
        }
        "set_idle_minutes" => {
            if let Some(m) = arg::<u32>(args, "minutes") {
                return refused(s.set_idle_minutes(m));
            }
        }
        // What the store checks before a code is spent; the exchange itself is the server's.
        "enrol" => {
            if let (Some(url), Some(_code)) = (
                arg::<String>(args, "serverUrl"),
                arg::<String>(args, "code"),
            ) {
                return refused(s.check_can_enrol(&url));
            }
        }
        "schedule_meeting" => {
            if let Some(info) = arg::<MeetingInfo>(args, "info") {
                return refused(s.schedule_meeting(info));
            }
        }
        "meeting_detail" => {
            if let Some(m) = id(s, "meetingId", true) {
                return refused(s.meeting_detail(m));
            }
        }
        "meeting_act" => {
            if let (Some(m), Some(command)) = (
                id(s, "meetingId", true),
                arg::<MeetingCommand>(args, "command"),
            ) {
                return refused(s.meeting_act(m, command));
            }
        }
        "open_item_case" => {
            if let (Some(m), Some(form)) =
                (id(s, "meetingId", true), arg::<ItemCaseForm>(args, "form"))
            {
                return refused(s.open_item_case(m, form));
            }
        }
        "capture_visitor" => {
            if let (Some(m), Some(form)) =
                (id(s, "meetingId", true), arg::<VisitorForm>(args, "form"))
            {
                return refused(s.capture_visitor(m, form));
            }
        }
        "export_minutes" | "export_ics" => {
            let _ = arg::<Uuid>(args, "meetingId");
        }
        "dashboard" => {
            if let (Some(q), Some(trend)) = (
                arg::<FigureQuery>(args, "query"),
                arg::<Dimension>(args, "trend"),
            ) {
                return refused(s.dashboard(&q, trend));
            }
        }
        "earlier_figures" => {
            if let Some(q) = arg::<FigureQuery>(args, "query") {
                return refused(s.earlier_figures(&q));
            }
        }
        "figure_cases" => {
            let group = arg::<Option<(Dimension, String)>>(args, "group");
            if let (Some(q), Some(figure), Some(group), Some(page), Some(size)) = (
                arg::<FigureQuery>(args, "query"),
                arg::<Figure>(args, "figure"),
                group,
                arg::<u32>(args, "page"),
                arg::<u32>(args, "pageSize"),
            ) {
                return refused(s.figure_cases(&q, figure, group, page, size.clamp(1, 200)));
            }
        }
        "set_figure_settings" => {
            if let Some(settings) = arg::<FigureSettings>(args, "settings") {
                return refused(s.set_figure_settings(settings));
            }
        }
        "export_report" => {
            let _ = arg::<FigureQuery>(args, "query");
        }
        "export_figure_csv" => {
            let _ = (
                arg::<FigureQuery>(args, "query"),
                arg::<Figure>(args, "figure"),
                arg::<Option<(Dimension, String)>>(args, "group"),
            );
        }
        "overdue_watch" => {
            if let Some(since) = arg::<i64>(args, "since") {
                return refused(s.overdue_watch(since));
            }
        }
        "notify" => {
            let _ = (arg::<String>(args, "title"), arg::<String>(args, "body"));
        }
        "backup_settings" => return refused(s.backup_settings()),
        // Decoded only: run, they would write backups into whatever folder of the fuzzing
        // machine an input names (the IPC test runs them against a temporary folder).
        "set_backup_settings" => {
            let _ = (arg::<String>(args, "folder"), arg::<u32>(args, "keep"));
        }
        "backup_now" | "backups" => {}
        "restore_backup" => {
            let _ = (arg::<String>(args, "name"), arg::<String>(args, "password"));
        }
        // The window's store is open: recovery is refused there before anything is read.
        "recover_with_key" => {
            let _ = (
                arg::<String>(args, "recoveryKey"),
                arg::<String>(args, "login"),
                arg::<String>(args, "newPassword"),
            );
        }
        // Decoded only: run, they would read whatever file of the fuzzing machine an input
        // names (the IPC test runs them on paths that are no backup).
        "inspect_new_pc_backup" | "restore_on_new_pc" => {
            let _ = (
                arg::<String>(args, "path"),
                arg::<String>(args, "login"),
                arg::<String>(args, "password"),
                arg::<Option<String>>(args, "recoveryKey"),
            );
        }
        "unsaved_recovery_key" => return refused(s.unsaved_recovery_key()),
        "recovery_key_saved" => return refused(s.recovery_key_saved()),
        other => panic!("the window may call {other}, which this target does not know: add it"),
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Some((&pick, body)) = rest.split_first() else {
        return;
    };
    let names = command_names::COMMANDS;
    let name = names[usize::from(which) % names.len()];
    // Tauri refuses a body that is not a JSON object before any command sees it.
    let Ok(args) = serde_json::from_slice::<Value>(body) else {
        count(0);
        return;
    };
    WINDOW.with(|w| {
        let mut w = w.borrow_mut();
        if w.as_ref().is_none_or(|w| w.calls >= FRESH_EVERY) {
            *w = Some(Window {
                store: community(),
                calls: 0,
            });
        }
        let w = w.as_mut().expect("made above");
        w.calls += 1;
        let before = w.store.stats().expect("stats").events;
        match call(&mut w.store, name, &args, pick) {
            None => count(1),
            Some(false) => count(2),
            Some(true) => {
                let after = w.store.stats().expect("stats").events;
                assert_eq!(before, after, "{name}: a refused call writes nothing");
                count(3);
            }
        }
    });
});
