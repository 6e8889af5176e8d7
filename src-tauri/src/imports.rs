//! The window's side of importing 12345 work orders: the file arrives as a raw body (a drop
//! or the file picker), is read once and kept while the secretary corrects the mapping in
//! the preview; the import runs under the store's lock in one transaction, reporting its
//! progress as `import-progress` events, and stops (writing nothing) when `cancel_import`
//! asks. Closing the dialog lets the file go (`close_import`). The last report is kept for
//! `export_import_report`. The mappings imports remember are listed, corrected and forgotten
//! from Settings (`import_mappings`, `save_import_mapping`, `forget_import_mapping`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use jiesu_core::import::{ImportMapping, Table};
use jiesu_core::store::{ImportPreview, ImportReport, RememberedMapping};
use jiesu_core::*;
use serde::Serialize;
use tauri::{Emitter, State};

use crate::AppState;
use crate::commands::{CmdResult, raw_file, store};

/// An import's progress, as `import-progress` carries it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ImportProgress {
    done: u32,
    total: u32,
}

/// The file being previewed (shared, not copied: a 100,000-row sheet is ~250 MB of text).
fn pending(state: &State<'_, AppState>) -> CmdResult<Arc<Table>> {
    state
        .import
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|(_, table)| Arc::clone(table))
        .ok_or_else(|| {
            Error::NotFound {
                what: "import",
                id: String::new(),
            }
            .into()
        })
}

/// 导入工单, step 1: read the file (a raw body, [`raw_file`]) and show what importing it would
/// do under the mapping remembered for its headers, or the guess.
#[tauri::command]
pub async fn open_import(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> CmdResult<ImportPreview> {
    let (name, data) = raw_file(&request, "file")?;
    // A signed-out window reads nothing; the file is read off the store's lock, and the core
    // refuses a role that may not import before anything is kept.
    drop(store(&state)?);
    let table = Arc::new(jiesu_core::import::read_bytes(&name, data)?);
    let preview = store(&state)?.import_preview(&table, None)?;
    *state.import.lock().unwrap_or_else(|p| p.into_inner()) = Some((name, table));
    Ok(preview)
}

/// The preview again under the secretary's corrected mapping.
#[tauri::command]
pub async fn preview_import(
    state: State<'_, AppState>,
    mapping: ImportMapping,
) -> CmdResult<ImportPreview> {
    let table = pending(&state)?;
    Ok(store(&state)?.import_preview(&table, Some(mapping))?)
}

/// 开始导入: every new work order becomes a case, in one transaction.
#[tauri::command]
pub async fn run_import<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    mapping: ImportMapping,
) -> CmdResult<ImportReport> {
    let table = pending(&state)?;
    let name = state
        .import
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|(name, _)| name.clone())
        .unwrap_or_default();
    state.import_cancel.store(false, Ordering::SeqCst);
    let report = store(&state)?.import_work_orders(&table, &mapping, &mut |done, total| {
        let _ = app.emit("import-progress", ImportProgress { done, total });
        !state.import_cancel.load(Ordering::SeqCst)
    })?;
    *state.import.lock().unwrap_or_else(|p| p.into_inner()) = None;
    *state
        .import_report
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some((name, report.clone()));
    Ok(report)
}

/// 取消: the running import stops at its next hundred rows and writes nothing.
#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>) -> CmdResult<()> {
    state.import_cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// The dialog closed (or another file is to be chosen): the file it held is let go now, not
/// when the next one arrives — a 100,000-row sheet is hundreds of MB, and residents' data.
#[tauri::command]
pub async fn close_import(state: State<'_, AppState>) -> CmdResult<()> {
    *state.import.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(())
}

/// Settings → 导入映射: the column mappings imports remembered, one per export.
#[tauri::command]
pub async fn import_mappings(state: State<'_, AppState>) -> CmdResult<Vec<RememberedMapping>> {
    Ok(store(&state)?.import_mappings()?)
}

/// A remembered mapping corrected in Settings.
#[tauri::command]
pub async fn save_import_mapping(
    state: State<'_, AppState>,
    source: String,
    mapping: ImportMapping,
) -> CmdResult<RememberedMapping> {
    Ok(store(&state)?.save_import_mapping(&source, mapping)?)
}

/// A remembered mapping forgotten: the next file of that export is read by its headers.
#[tauri::command]
pub async fn forget_import_mapping(state: State<'_, AppState>, source: String) -> CmdResult<()> {
    Ok(store(&state)?.forget_import_mapping(&source)?)
}

/// The last import's report as an .xlsx in the exports folder.
#[tauri::command]
pub async fn export_import_report(state: State<'_, AppState>) -> CmdResult<ExportedFile> {
    // Nobody signed in, nothing to save: the report was made for whoever imported.
    drop(store(&state)?);
    let (name, report) = state
        .import_report
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or(Error::NotFound {
            what: "import",
            id: String::new(),
        })?;
    let bytes = jiesu_core::import::report::report_xlsx(&report)?;
    // Named after the file it reports on (a name from the page: no folders, no dots first).
    let stem: String = std::path::Path::new(&name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .chars()
        .filter(|c| !matches!(c, '/' | '\\' | ':') && !c.is_control())
        .take(80)
        .collect();
    let stem = stem.trim_start_matches('.');
    Ok(jiesu_core::export::save(
        &state.exports,
        format!("{stem} 导入报告.xlsx").trim_start(),
        &bytes,
    )?)
}
