//! Jiesu's desktop shell as a library: the state the commands share, the commands, and their
//! registration. `main.rs` opens the store and runs the window; the IPC tests (`tests/ipc.rs`)
//! drive the same registration under Tauri's mock runtime. No domain rules live here (see
//! `commands`).

pub mod command_names;
mod commands;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiesu_sync::Syncer;
use tauri::{Builder, Runtime};

/// What the commands share: the one store, where it lives, and the background sync task.
pub struct AppState {
    store: Arc<Mutex<jiesu_core::Store>>,
    dir: PathBuf,
    /// Where exported minutes and calendars go: Documents/接诉导出, where a secretary looks.
    exports: PathBuf,
    syncer: Syncer,
}

impl AppState {
    /// The state of a window over `store` (kept in `dir`), writing exports into `exports`.
    pub fn new(
        store: Arc<Mutex<jiesu_core::Store>>,
        dir: PathBuf,
        exports: PathBuf,
        syncer: Syncer,
    ) -> AppState {
        AppState {
            store,
            dir,
            exports,
            syncer,
        }
    }
}

impl AppState {
    /// The store, for the shell's own work (the on-exit backup).
    pub fn store(&self) -> &Mutex<jiesu_core::Store> {
        &self.store
    }
}

/// Every command of [`command_names::COMMANDS`], registered with the builder.
pub fn with_commands<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::setup,
        commands::catalog,
        commands::receive_case,
        commands::act,
        commands::case_detail,
        commands::list_cases,
        commands::find_resident,
        commands::save_attachment,
        commands::attachment,
        commands::calendar_year,
        commands::set_calendar_day,
        commands::add_unit,
        commands::sign_in,
        commands::sign_out,
        commands::accounts,
        commands::add_account,
        commands::set_role,
        commands::remove_account,
        commands::set_password,
        commands::set_idle_minutes,
        commands::reveal,
        commands::access_log,
        commands::verify_trace,
        commands::backup_settings,
        commands::set_backup_settings,
        commands::backup_now,
        commands::backups,
        commands::restore_backup,
        commands::export_access_log,
        commands::sync_status,
        commands::enrol,
        commands::unenrol,
        commands::sync_now,
        commands::restamp_future_work,
        commands::config_log,
        commands::list_meetings,
        commands::schedule_meeting,
        commands::meeting_detail,
        commands::meeting_act,
        commands::open_item_case,
        commands::capture_visitor,
        commands::export_minutes,
        commands::export_ics,
        commands::dashboard,
        commands::earlier_figures,
        commands::figure_cases,
        commands::figure_settings,
        commands::set_figure_settings,
        commands::export_report,
        commands::export_figure_csv,
        commands::export_list_csv,
        commands::desk,
        commands::overdue_watch,
        commands::notify,
    ])
}
