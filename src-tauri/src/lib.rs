//! Jiesu's desktop shell as a library: the state the commands share, the commands, and their
//! registration. `main.rs` opens the store and runs the window; the IPC tests (`tests/ipc.rs`)
//! drive the same registration under Tauri's mock runtime. No domain rules live here (see
//! `commands`).

mod campaigns;
pub mod cli;
pub mod command_names;
mod commands;
mod imports;
pub mod rest;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use jiesu_core::store::{self, StoreFile};
use jiesu_core::{CorrectedClock, Store};

use jiesu_sync::Syncer;
use tauri::{Builder, Runtime};

/// What the commands share: the one store, where it lives, and the background sync task.
pub struct AppState {
    /// The store; while `locked`, an empty placeholder in memory that refuses every command.
    store: Arc<Mutex<jiesu_core::Store>>,
    dir: PathBuf,
    /// Where exported minutes and calendars go: Documents/接诉导出, where a secretary looks.
    exports: PathBuf,
    syncer: Syncer,
    /// The clock the store runs on, for the store the first sign-in opens.
    clock: CorrectedClock,
    /// The store in `dir` is encrypted and not opened yet (see [`open_data_dir`]).
    locked: AtomicBool,
    /// The 12345 export being previewed, with its file's name (`imports.rs`).
    import: Mutex<Option<(String, Arc<jiesu_core::import::Table>)>>,
    /// The running import should stop.
    import_cancel: AtomicBool,
    /// The last import's report and its file's name, for its .xlsx.
    import_report: Mutex<Option<(String, jiesu_core::store::ImportReport)>>,
    /// Who hears the steps of an opening at sign-in (the window, while an upgrade's work runs).
    opening: store::Opening,
    /// When the window last used the store, for the store's rest (`rest.rs`).
    rest: Arc<rest::Rest>,
    /// The store is being opened after the window showed ([`AppState::open_later`]).
    opening_now: AtomicBool,
    /// Why that opening failed.
    open_failed: Mutex<Option<jiesu_core::WireError>>,
    /// The step that opening last told (the window may load after it was told).
    opening_step: Arc<Mutex<Option<store::OpeningProgress>>>,
}

impl AppState {
    /// The state of a window over `store` (kept in `dir`, `locked` if it is encrypted and not
    /// opened yet), writing exports into `exports`.
    pub fn new(
        store: Arc<Mutex<jiesu_core::Store>>,
        dir: PathBuf,
        exports: PathBuf,
        syncer: Syncer,
        clock: CorrectedClock,
        locked: bool,
    ) -> AppState {
        AppState {
            store,
            dir,
            exports,
            syncer,
            clock,
            locked: AtomicBool::new(locked),
            import: Mutex::new(None),
            import_cancel: AtomicBool::new(false),
            import_report: Mutex::new(None),
            opening: store::Opening::default(),
            rest: Arc::default(),
            opening_now: AtomicBool::new(false),
            open_failed: Mutex::new(None),
            opening_step: Arc::default(),
        }
    }

    /// The same state, telling `opening` the steps of the store's opening at sign-in.
    pub fn with_opening(self, opening: store::Opening) -> AppState {
        AppState { opening, ..self }
    }

    /// The same state, its store to be opened by [`AppState::open_later`]: until then the
    /// window hears only that it is opening.
    pub fn opening_later(self) -> AppState {
        self.opening_now.store(true, Ordering::SeqCst);
        self
    }

    /// Open the plain store of the data directory, telling the window each step, then run on
    /// it as [`open_data_dir`] would have. Runs on a thread of its own once the window shows,
    /// holding the store all along: a command asked meanwhile waits and then meets the real
    /// store, never the placeholder. Returns the cases held, or why it failed (also kept
    /// for the window).
    pub fn open_later(&self) -> Result<u32, jiesu_core::WireError> {
        let mut held = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let opening = {
            let window = self.opening.clone();
            let last = self.opening_step.clone();
            store::Opening::watched(move |p| {
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
                window.pass_on(p);
            })
        };
        // A panic in the opening must not leave the window waiting for ever: it is a failure
        // the window says, like any other.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut s = Store::open_watched(&self.dir, Box::new(self.clock.clone()), &opening)?;
            s.encrypt_now_watched(&opening)?;
            s.require_sign_in();
            self.clock
                .set_offset_ms(s.clock_offset_at_start(self.clock.pc_now_ms())?);
            let cases = s.case_count()?;
            Ok::<_, jiesu_core::Error>((s, cases))
        }))
        .unwrap_or_else(|_| {
            Err(jiesu_core::Error::invalid(
                "store",
                jiesu_core::Reason::Unknown,
            ))
        });
        let result = match opened {
            Ok((s, cases)) => {
                *held = s;
                self.locked.store(false, Ordering::SeqCst);
                Ok(cases)
            }
            Err(e) => {
                let wire = e.to_wire();
                *self.open_failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(wire.clone());
                Err(wire)
            }
        };
        drop(held);
        self.opening_now.store(false, Ordering::SeqCst);
        result
    }
}

/// The store of the data directory `dir` as the app starts on it, and whether it is locked.
/// A plain store (an earlier version's, or a first run's) opens, and is encrypted here as
/// soon as an account exists to open it; an encrypted one stays shut until the first
/// sign-in: the app runs on an empty placeholder until then.
pub fn open_data_dir(dir: &Path, clock: &CorrectedClock) -> jiesu_core::Result<(Store, bool)> {
    let mut store = match store::store_file(dir)? {
        StoreFile::Encrypted => {
            store::finish_shredding(dir)?;
            (placeholder(clock)?, true)
        }
        StoreFile::New | StoreFile::Plain => {
            let mut s = Store::open(dir, Box::new(clock.clone()))?;
            s.encrypt_now()?;
            (s, false)
        }
    };
    // Accounts are in force from the first start: until the first administrator is made,
    // nothing but the first-run screen works.
    store.0.require_sign_in();
    Ok(store)
}

/// The empty store in memory the app runs on while the real one is shut.
fn placeholder(clock: &CorrectedClock) -> jiesu_core::Result<Store> {
    Store::open_in_memory(Box::new(clock.clone()))
}

/// The store of `dir` opens after the window shows ([`AppState::open_later`]): a plain store
/// holding an office's work, from before encryption (or a first run left before its
/// administrator was made). Its upgrade and encryption can take minutes at a district's
/// size, and a window that never appears looks like an app that never started.
pub fn opens_later(dir: &Path) -> jiesu_core::Result<bool> {
    Ok(store::store_file(dir)? == StoreFile::Plain)
}

/// The placeholder the app starts on when the store [`opens_later`], and the state is
/// [`AppState::opening_later`]. It is locked: nothing reaches it but `app_info` until the
/// opening replaces it.
pub fn start_later(clock: &CorrectedClock) -> jiesu_core::Result<Store> {
    let mut s = placeholder(clock)?;
    s.require_sign_in();
    Ok(s)
}

impl AppState {
    /// The store, for the shell's own work (the on-exit backup).
    pub fn store(&self) -> &Mutex<jiesu_core::Store> {
        &self.store
    }

    /// When the window last used the store: the resting thread's clock (`rest::spawn`).
    pub fn rest(&self) -> Arc<rest::Rest> {
        self.rest.clone()
    }
}

/// A backup job run on a blocking thread, away from the store's lock and the async runtime.
pub(crate) async fn run_backup(
    job: store::BackupJob,
) -> Result<store::BackupSummary, jiesu_core::WireError> {
    tauri::async_runtime::spawn_blocking(move || job.run())
        .await
        .map_err(|_| jiesu_core::Error::invalid("backup", jiesu_core::Reason::Unknown))?
        .map_err(Into::into)
}

/// Every command of [`command_names::COMMANDS`], registered with the builder.
pub fn with_commands<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_info,
        commands::case_count,
        commands::setup,
        commands::catalog,
        commands::receive_case,
        commands::receive_follow_up,
        commands::act,
        commands::case_detail,
        commands::case_receipt,
        commands::issue_lookup_code,
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
        commands::recover_with_key,
        commands::unsaved_recovery_key,
        commands::recovery_key_saved,
        commands::inspect_new_pc_backup,
        commands::restore_on_new_pc,
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
        commands::similar_cases,
        imports::open_import,
        imports::preview_import,
        imports::run_import,
        imports::cancel_import,
        imports::close_import,
        imports::export_import_report,
        imports::import_mappings,
        imports::save_import_mapping,
        imports::forget_import_mapping,
        campaigns::clusters,
        campaigns::campaigns,
        campaigns::campaign_board,
        campaigns::open_campaign,
        campaigns::amend_campaign,
        campaigns::add_campaign_site,
        campaigns::join_campaign,
        campaigns::export_campaign,
    ])
}
