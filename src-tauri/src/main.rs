//! Jiesu's desktop shell: opens the store in the app-data directory and exposes the core to
//! the window as Tauri commands. No domain rules live here (see `commands`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod command_names;
mod commands;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiesu_core::CorrectedClock;
use jiesu_sync::Syncer;
use tauri::{Emitter, Manager};

/// Overrides the data directory (tests point it at a temp dir).
const DATA_DIR_VAR: &str = "JIESU_DATA_DIR";
/// Overrides where exports are written (tests point it at a temp dir).
const EXPORT_DIR_VAR: &str = "JIESU_EXPORT_DIR";

/// What the commands share: the one store, where it lives, and the background sync task.
pub struct AppState {
    store: Arc<Mutex<jiesu_core::Store>>,
    dir: PathBuf,
    /// Where exported minutes and calendars go: Documents/接诉导出, where a secretary looks.
    exports: PathBuf,
    syncer: Syncer,
}

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let dir = match std::env::var_os(DATA_DIR_VAR) {
                Some(d) => PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            // The PC's clock, corrected by the server's once it has been reached.
            // JIESU_CLOCK_AT starts it at an instant and JIESU_CLOCK_OFFSET_MS off by that
            // much, as a PC's wrong clock would be (tests pin a date with the first and make
            // a deadline pass while the window runs with the second).
            let clock = CorrectedClock::from_env()?;
            let store = jiesu_core::Store::open(&dir, Box::new(clock.clone()))?;
            // The server's correction as last measured: right from the first step, even
            // when this start is offline.
            clock.set_offset_ms(store.clock_offset_at_start(clock.pc_now_ms())?);
            let store = Arc::new(Mutex::new(store));
            let handle = app.handle().clone();
            let _runtime = tauri::async_runtime::handle().inner().enter();
            let on_data = {
                let handle = handle.clone();
                Arc::new(move || {
                    let _ = handle.emit("data-changed", ());
                })
            };
            let syncer = Syncer::spawn(store.clone(), clock, on_data);
            // The status bar follows the sync task without asking.
            let mut changes = syncer.subscribe();
            tauri::async_runtime::spawn(async move {
                while changes.changed().await.is_ok() {
                    let status = changes.borrow_and_update().clone();
                    let _ = handle.emit("sync-status", status);
                }
            });
            let exports = match std::env::var_os(EXPORT_DIR_VAR) {
                Some(d) => PathBuf::from(d),
                None => app
                    .path()
                    .document_dir()
                    .map(|d| d.join("接诉导出"))
                    .unwrap_or_else(|_| dir.join("exports")),
            };
            app.manage(AppState {
                store,
                dir,
                exports,
                syncer,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
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
            commands::set_user,
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
        .run(tauri::generate_context!())
        .expect("Jiesu failed to start");
}
