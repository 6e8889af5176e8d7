//! Jiesu's desktop shell: opens the store in the app-data directory, starts sync and runs the
//! window with the commands of the `jiesu_app` library.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jiesu_app::AppState;
use jiesu_core::CorrectedClock;
use jiesu_sync::Syncer;
use tauri::{Emitter, Manager};

/// mimalloc, not glibc's malloc: freeing on one thread what another allocated (an import's
/// maker and writer, a first sync's folder and writer) waited on glibc's arena locks — a quarter
/// of an import's time, a fifth of a first sync's settle (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Overrides the data directory (tests point it at a temp dir).
const DATA_DIR_VAR: &str = "JIESU_DATA_DIR";
/// Overrides where exports are written (tests point it at a temp dir).
const EXPORT_DIR_VAR: &str = "JIESU_EXPORT_DIR";

fn main() {
    // `jiesu import FILE`: the importer without a window.
    let args: Vec<String> = std::env::args().skip(1).collect();
    match jiesu_app::cli::parse(&args) {
        Some(Ok(import)) => std::process::exit(jiesu_app::cli::main(import)),
        Some(Err(usage)) => {
            eprintln!("{usage}");
            std::process::exit(2)
        }
        None => {}
    }
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
            // A store from before encryption opens once the window shows its steps.
            let later = jiesu_app::opens_later(&dir)?;
            let (store, locked) = if later {
                (jiesu_app::start_later(&clock)?, true)
            } else {
                jiesu_app::open_data_dir(&dir, &clock)?
            };
            // The one line an operator needs to find the data; never a resident's detail
            // (journey 13 checks the whole log of a session for them).
            if later {
                eprintln!(
                    "jiesu: store {} (from before encryption, opens after the window shows)",
                    dir.display()
                );
            } else if locked {
                eprintln!(
                    "jiesu: store {} (encrypted, opens at sign-in)",
                    dir.display()
                );
            } else {
                // Cases, not events: the narrowest index of `cases` is read in milliseconds
                // where counting a district's log took seconds before the window showed.
                eprintln!(
                    "jiesu: store {} ({} cases, {})",
                    dir.display(),
                    store.case_count().unwrap_or(0),
                    if store.is_encrypted() {
                        "encrypted"
                    } else {
                        "no account yet"
                    }
                );
                // The server's correction as last measured: right from the first step, even
                // when this start is offline.
                clock.set_offset_ms(store.clock_offset_at_start(clock.pc_now_ms())?);
            }
            let store = Arc::new(Mutex::new(store));
            let handle = app.handle().clone();
            let opening_handle = handle.clone();
            let _runtime = tauri::async_runtime::handle().inner().enter();
            let on_data = {
                let handle = handle.clone();
                Arc::new(move || {
                    let _ = handle.emit("data-changed", ());
                })
            };
            let syncer = Syncer::spawn(store.clone(), clock.clone(), on_data);
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
            spawn_daily_backups(store.clone());
            // A sign-in that opens the store runs the work an upgrade left (minutes at a
            // district's size): the window shows each step as it begins.
            let opening = jiesu_core::store::Opening::watched(move |p| {
                let _ = opening_handle.emit("opening-progress", p);
            });
            let mut state =
                AppState::new(store.clone(), dir.clone(), exports, syncer, clock, locked)
                    .with_opening(opening);
            if later {
                state = state.opening_later();
            }
            jiesu_app::rest::spawn(store, state.rest());
            app.manage(state);
            if later {
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    let state = handle.state::<AppState>();
                    match state.open_later() {
                        Ok(cases) => {
                            eprintln!("jiesu: store {} opened ({cases} cases)", dir.display())
                        }
                        Err(e) => eprintln!(
                            "jiesu: store {} failed to open: {}",
                            dir.display(),
                            e.message
                        ),
                    }
                });
            }
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("Jiesu failed to start")
        .run(|app, event| {
            // On exit: the day's work goes to the backup folder before the window is gone.
            if let tauri::RunEvent::Exit = event
                && let Some(state) = app.try_state::<AppState>()
            {
                backup_if_configured(state.store());
            }
        });
}

/// Every ten minutes, a backup when the last one is a day old (`Store::backup_due`), whoever
/// is signed in or not: the office's data is backed up even if nobody remembers to.
fn spawn_daily_backups(store: Arc<Mutex<jiesu_core::Store>>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
            let due = store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .backup_due()
                .unwrap_or(false);
            if due {
                backup_if_configured(&store);
            }
            std::thread::sleep(std::time::Duration::from_secs(540));
        }
    });
}

/// A backup into the chosen folder, if one is chosen, copied off the store's lock; a failure
/// is logged, never fatal.
fn backup_if_configured(store: &Mutex<jiesu_core::Store>) {
    let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
    // One statement each: a guard lives to the end of the statement that takes it.
    let job = lock().unattended_backup_job();
    let made = match job {
        Ok(Some(job)) => job.run(),
        Ok(None) => return,
        Err(e) => Err(e),
    };
    let recorded = made.and_then(|made| lock().backup_made(made));
    if let Err(e) = recorded {
        eprintln!(
            "jiesu: backup into the chosen folder failed: {}",
            e.to_wire().message
        );
    }
}
