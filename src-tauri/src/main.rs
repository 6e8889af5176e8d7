//! Jiesu's desktop shell: opens the store in the app-data directory, starts sync and runs the
//! window with the commands of the `jiesu_app` library.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiesu_app::AppState;
use jiesu_core::CorrectedClock;
use jiesu_sync::Syncer;
use tauri::{Emitter, Manager};

/// Overrides the data directory (tests point it at a temp dir).
const DATA_DIR_VAR: &str = "JIESU_DATA_DIR";
/// Overrides where exports are written (tests point it at a temp dir).
const EXPORT_DIR_VAR: &str = "JIESU_EXPORT_DIR";

fn main() {
    jiesu_app::with_commands(tauri::Builder::default())
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
            let mut store = jiesu_core::Store::open(&dir, Box::new(clock.clone()))?;
            // Accounts are in force from the first start: until the first administrator is
            // made, nothing but the first-run screen works.
            store.require_sign_in();
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
            app.manage(AppState::new(store, dir, exports, syncer));
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Jiesu failed to start");
}
