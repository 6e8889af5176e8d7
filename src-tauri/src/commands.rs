//! Tauri commands: each one locks the store, calls one core function and maps the error to
//! `{code, message, params}`. Commands are `async` so SQLite work runs off the UI thread.

use std::sync::MutexGuard;

use jiesu_core::sample::{SampleSpec, generate};
use jiesu_core::*;
use tauri::State;
use uuid::Uuid;

use crate::AppState;

type CmdResult<T> = std::result::Result<T, WireError>;

fn store<'a>(state: &'a State<'_, AppState>) -> MutexGuard<'a, Store> {
    // A panic while holding the lock leaves SQLite consistent (transactions roll back), so a
    // poisoned lock is safe to keep using.
    state.store.lock().unwrap_or_else(|p| p.into_inner())
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    let s = store(&state);
    Ok(AppInfo {
        identity: s.identity().clone(),
        stats: s.stats()?,
        first_run: s.identity().author.is_empty(),
        provisional_years: s.calendar().provisional_years().to_vec(),
        data_dir: state.dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[tauri::command]
pub async fn setup(state: State<'_, AppState>, setup: Setup) -> CmdResult<StoreStats> {
    let mut s = store(&state);
    let office = s.identity().office.clone();
    s.set_identity(&office, &setup.office_name, &setup.author)?;
    if setup.sample {
        let now = s.now_ms();
        generate(&mut s, &SampleSpec::community(now))?;
    }
    Ok(s.stats()?)
}

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> CmdResult<Catalog> {
    let s = store(&state);
    Ok(Catalog {
        categories: catalog::categories(),
        units: s.units()?,
        channels: Channel::ALL.to_vec(),
        states: store::STATES.to_vec(),
    })
}

#[tauri::command]
pub async fn receive_case(state: State<'_, AppState>, input: NewCase) -> CmdResult<Case> {
    Ok(store(&state).receive(input)?)
}

#[tauri::command]
pub async fn act(
    state: State<'_, AppState>,
    case_id: Uuid,
    command: CaseCommand,
) -> CmdResult<Case> {
    Ok(store(&state).act(case_id, command)?)
}

#[tauri::command]
pub async fn case_detail(state: State<'_, AppState>, case_id: Uuid) -> CmdResult<CaseDetail> {
    Ok(store(&state).case_detail(case_id)?)
}

#[tauri::command]
pub async fn list_cases(state: State<'_, AppState>, query: CaseQuery) -> CmdResult<CasePage> {
    Ok(store(&state).list_cases(&query)?)
}

#[tauri::command]
pub async fn find_resident(
    state: State<'_, AppState>,
    phone: String,
) -> CmdResult<Option<ResidentHint>> {
    Ok(store(&state).find_resident(&phone)?)
}

#[tauri::command]
pub async fn save_attachment(
    state: State<'_, AppState>,
    name: String,
    data: Vec<u8>,
) -> CmdResult<Attachment> {
    Ok(store(&state).save_attachment(&name, &data)?)
}
