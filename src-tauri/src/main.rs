//! Jiesu's desktop shell: opens the store in the app-data directory and exposes the core to
//! the window as Tauri commands. No domain rules live here (see `commands`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

use std::path::PathBuf;
use std::sync::Mutex;

use tauri::Manager;

/// Overrides the data directory (tests point it at a temp dir).
const DATA_DIR_VAR: &str = "JIESU_DATA_DIR";

/// What the commands share: the one store and where it lives.
pub struct AppState {
    store: Mutex<jiesu_core::Store>,
    dir: PathBuf,
}

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let dir = match std::env::var_os(DATA_DIR_VAR) {
                Some(d) => PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            let store = jiesu_core::Store::open(&dir, Box::new(jiesu_core::SystemClock))?;
            app.manage(AppState {
                store: Mutex::new(store),
                dir,
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
        ])
        .run(tauri::generate_context!())
        .expect("Jiesu failed to start");
}
