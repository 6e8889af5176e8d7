//! Tauri commands: each one locks the store, calls one core function and maps the error to
//! `{code, message, params}`. Commands are `async` so SQLite work runs off the UI thread.

use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use jiesu_core::*;
use tauri::State;
use uuid::Uuid;

use crate::AppState;

pub(crate) type CmdResult<T> = std::result::Result<T, WireError>;

/// The store, locked for one command. When the command made a step, the window hears
/// `data-changed` as it does after a sync round: one notification that every count and list
/// on screen follows, whichever page wrote (issue 21: the header's count went stale after
/// reception-day captures and cases opened from a meeting).
pub(crate) struct Held<'a> {
    guard: MutexGuard<'a, Store>,
    writes: u64,
    state: &'a AppState,
}

impl std::ops::Deref for Held<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.guard
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.guard
    }
}

// A command that wrote events tells the window (every count follows the store) and wakes the
// sync task to push them now rather than at the next poll: one place, so no command forgets.
impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.state.rest.used();
        if self.guard.local_writes() != self.writes {
            self.state.syncer.data_changed();
            self.state.syncer.wake();
        }
    }
}

impl Held<'_> {
    /// What this command wrote is the window's own session (a sign-in's or a sign-out's
    /// access-log event): the window asks for everything again itself and no page shows it,
    /// so no `data-changed` (after a sign-in it made the first screen ask for the catalogue
    /// and the case count twice). The sync task is still woken by the command.
    fn quiet(&mut self) {
        self.writes = self.guard.local_writes();
    }
}

/// The store, whoever is signed in: only for what the sign-in screen itself needs.
fn open<'a>(state: &'a State<'_, AppState>) -> Held<'a> {
    // A panic while holding the lock leaves SQLite consistent (transactions roll back), so a
    // poisoned lock is safe to keep using.
    let guard = state.store.lock().unwrap_or_else(|p| p.into_inner());
    Held {
        writes: guard.local_writes(),
        guard,
        state,
    }
}

/// The store for a command: refused (`sign_in_required`) while nobody is signed in or the
/// session has idled out, so a locked PC shows and changes nothing. What each role may do
/// is the core's to decide, command by command.
pub(crate) fn store<'a>(state: &'a State<'_, AppState>) -> CmdResult<Held<'a>> {
    let mut s = open(state);
    s.signed_in()?;
    Ok(s)
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    // While the store opens after the window showed, it is held by the opening: the window
    // hears that, without waiting for it (and why, if it failed).
    let open_failed = state
        .open_failed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if state.opening_now.load(Ordering::SeqCst) || open_failed.is_some() {
        return Ok(AppInfo {
            identity: Identity {
                device: String::new(),
                office: String::new(),
                office_name: String::new(),
                author: String::new(),
            },
            first_run: false,
            locked: true,
            session: None,
            idle_minutes: 0,
            provisional_years: Vec::new(),
            data_dir: state.dir.display().to_string(),
            version: env!("CARGO_PKG_VERSION").into(),
            now: state.clock.now_ms(),
            opening: open_failed.is_none(),
            opening_step: *state.opening_step.lock().unwrap_or_else(|p| p.into_inner()),
            open_failed,
        });
    }
    let mut s = open(&state);
    // Asking ends a session that has idled out, so the window shows the sign-in screen; the
    // window asks on its own too (after sync brings changes), which is no sign of activity.
    let session = s.signed_in_unattended().ok().flatten();
    let locked = state.locked.load(Ordering::SeqCst);
    let mut identity = s.identity().clone();
    if locked {
        // The placeholder knows no office: the keys file names it for the sign-in screen.
        identity.office_name = store::locked_office_name(&state.dir).unwrap_or_default();
    }
    Ok(AppInfo {
        identity,
        first_run: !locked && !s.has_accounts()?,
        locked,
        session,
        idle_minutes: s.idle_minutes()?,
        provisional_years: s.calendar().provisional_years().to_vec(),
        data_dir: state.dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION").into(),
        now: s.now_ms(),
        opening: false,
        opening_step: None,
        open_failed: None,
    })
}

/// How many cases the store holds, for the header: asked after the first page has its rows
/// (the page never waits for it) and again when data changes. A refresh, not a sign of
/// activity; nothing for the sign-in screen (it shows the office, not what it holds).
#[tauri::command]
pub async fn case_count(state: State<'_, AppState>) -> CmdResult<u32> {
    let mut s = open(&state);
    s.signed_in_unattended()?;
    Ok(s.case_count()?)
}

#[tauri::command]
pub async fn setup(state: State<'_, AppState>, setup: Setup) -> CmdResult<StoreStats> {
    let mut s = open(&state);
    s.first_run(
        &setup.office_name,
        access::NewAccount {
            login: setup.login,
            name: setup.author,
            role: access::Role::Admin,
            password: setup.password,
        },
        setup.sample,
    )?;
    // The first administrator exists: the store is encrypted now, before any work.
    s.encrypt_now()?;
    Ok(s.stats()?)
}

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> CmdResult<Catalog> {
    // Names only (categories, units, offices): the sign-in screen loads it too.
    let s = open(&state);
    Ok(Catalog {
        categories: catalog::categories(),
        units: s.units()?,
        other_units: s.other_units()?,
        offices: s.transfer_targets()?,
        channels: Channel::ALL.to_vec(),
        states: jiesu_core::CaseState::ALL.to_vec(),
        max_text: validate::MAX_TEXT as u32,
    })
}

#[tauri::command]
pub async fn receive_case(state: State<'_, AppState>, input: NewCase) -> CmdResult<Case> {
    let case = {
        let mut s = store(&state)?;
        let v = s.receive(input)?;
        s.shown(v)?
    };
    Ok(case)
}

/// 新建关联案件: a case filed from another's page, linked to it (see
/// `Store::receive_follow_up`).
#[tauri::command]
pub async fn receive_follow_up(
    state: State<'_, AppState>,
    of: String,
    input: NewCase,
) -> CmdResult<Case> {
    let case = {
        let mut s = store(&state)?;
        let v = s.receive_follow_up(&of, input)?;
        s.shown(v)?
    };
    Ok(case)
}

#[tauri::command]
pub async fn act(
    state: State<'_, AppState>,
    case_id: Uuid,
    command: CaseCommand,
) -> CmdResult<Case> {
    let case = {
        let mut s = store(&state)?;
        let v = s.act(case_id, command)?;
        s.shown(v)?
    };
    Ok(case)
}

#[tauri::command]
pub async fn case_detail(state: State<'_, AppState>, case_id: Uuid) -> CmdResult<CaseDetail> {
    Ok(store(&state)?.case_detail(case_id)?)
}

/// 回执: what the resident takes home (number, lookup code, where to look it up).
#[tauri::command]
pub async fn case_receipt(state: State<'_, AppState>, case_id: Uuid) -> CmdResult<CaseReceipt> {
    Ok(store(&state)?.receipt(&case_id.to_string())?)
}

/// 重新生成查询码: the old code stops working once the server has the new one.
#[tauri::command]
pub async fn issue_lookup_code(
    state: State<'_, AppState>,
    case_id: Uuid,
) -> CmdResult<CaseReceipt> {
    Ok(store(&state)?.issue_lookup_code(&case_id.to_string())?)
}

/// Cases that may be the problem being typed at intake (as it is typed).
#[tauri::command]
pub async fn similar_cases(
    state: State<'_, AppState>,
    draft: similar::Draft,
) -> CmdResult<Vec<similar::Suggestion>> {
    Ok(store(&state)?.similar_cases(&draft)?)
}

/// Where backups go, how many are kept, when the last was made.
#[tauri::command]
pub async fn backup_settings(state: State<'_, AppState>) -> CmdResult<store::BackupSettings> {
    Ok(store(&state)?.backup_settings()?)
}

/// Choose the backup folder and how many to keep (administrators).
#[tauri::command]
pub async fn set_backup_settings(
    state: State<'_, AppState>,
    folder: String,
    keep: u32,
) -> CmdResult<()> {
    Ok(store(&state)?.set_backup_settings(&folder, keep)?)
}

/// 备份: a backup now, checked after writing.
#[tauri::command]
pub async fn backup_now(state: State<'_, AppState>) -> CmdResult<store::BackupSummary> {
    // Taken under the lock, copied off it: the window and intake go on meanwhile.
    let job = store(&state)?.backup_job()?;
    let made = crate::run_backup(job).await?;
    Ok(store(&state)?.backup_made(made)?)
}

/// The backups in the folder, newest first, each as checked now.
#[tauri::command]
pub async fn backups(state: State<'_, AppState>) -> CmdResult<Vec<store::BackupSummary>> {
    Ok(store(&state)?.backups()?)
}

/// 恢复: replace the store with one of the folder's backups (named by its file name, so the
/// window cannot point anywhere else), the administrator confirming with their password. The
/// current store is kept aside; everyone signs in again, to the restored accounts.
#[tauri::command]
pub async fn restore_backup(
    state: State<'_, AppState>,
    name: String,
    password: String,
) -> CmdResult<store::BackupSummary> {
    let backup = store(&state)?.restore_backup(&name, &password)?;
    state.syncer.wake();
    Ok(backup)
}

/// What opens a backup brought to this PC: `recovery_key` when given (then `password` is the
/// administrator's new one), the account's password otherwise.
fn opener<'a>(
    login: &'a str,
    password: &'a str,
    recovery_key: &'a Option<String>,
) -> store::Opener<'a> {
    match recovery_key {
        Some(key) => store::Opener::RecoveryKey(key),
        None => store::Opener::Password { login, password },
    }
}

/// A backup named by its full path, for a PC with no store in use (a new PC).
fn backup_path(path: &str) -> CmdResult<std::path::PathBuf> {
    let p = std::path::PathBuf::from(path.trim());
    if !p.is_absolute() {
        return Err(Error::invalid("backup", Reason::Malformed).into());
    }
    Ok(p)
}

/// 从备份恢复 on a new PC, step 1: what the backup holds, opened with its keys.
#[tauri::command]
pub async fn inspect_new_pc_backup(
    path: String,
    login: String,
    password: String,
    recovery_key: Option<String>,
) -> CmdResult<store::BackupSummary> {
    let path = backup_path(&path)?;
    Ok(store::inspect_backup_with(
        &path,
        opener(&login, &password, &recovery_key),
    )?)
}

/// 从备份恢复 on a new PC, step 2: only before the first administrator exists here. Signed in
/// as `login` afterwards (with the recovery key: given `password` as a new password).
#[tauri::command]
pub async fn restore_on_new_pc(
    state: State<'_, AppState>,
    path: String,
    login: String,
    password: String,
    recovery_key: Option<String>,
) -> CmdResult<access::Session> {
    let path = backup_path(&path)?;
    let session = {
        let mut s = open(&state);
        if state.locked.load(Ordering::SeqCst) || s.has_accounts()? {
            return Err(Error::invalid("store", Reason::NotEmpty).into());
        }
        let clock = || Box::new(state.clock.clone());
        // The first run's empty store is closed: the backup takes its place.
        drop(std::mem::replace(&mut *s, Store::open_in_memory(clock())?));
        let restored = Store::restore_on_new_pc(
            &state.dir,
            clock(),
            &path,
            opener(&login, &password, &recovery_key),
        );
        let mut r = match restored {
            Ok(r) => r,
            Err(e) => {
                // Nothing replaced: the empty store comes back.
                let (back, locked) = crate::open_data_dir(&state.dir, &state.clock)?;
                *s = back;
                state.locked.store(locked, Ordering::SeqCst);
                return Err(e.into());
            }
        };
        let session = match recovery_key {
            Some(_) => r.recover_admin(&login, &password),
            None => r.session().cloned().ok_or(Error::SignInFailed),
        };
        match session {
            Ok(session) => {
                *s = r;
                state
                    .clock
                    .set_offset_ms(s.clock_offset_at_start(state.clock.pc_now_ms())?);
                session
            }
            Err(e) => {
                // Restored, and shut until a sign-in (or the recovery key again) opens it.
                drop(r);
                state.locked.store(true, Ordering::SeqCst);
                return Err(e.into());
            }
        }
    };
    state.syncer.wake();
    Ok(session)
}

/// 核验留痕: every signature and chain of a case's or a meeting's trace.
#[tauri::command]
pub async fn verify_trace(state: State<'_, AppState>, stream: String) -> CmdResult<TraceCheck> {
    Ok(store(&state)?.verify_trace(&stream)?)
}

#[tauri::command]
pub async fn list_cases(state: State<'_, AppState>, query: CaseQuery) -> CmdResult<CasePage> {
    Ok(store(&state)?.list_cases(&query)?)
}

#[tauri::command]
pub async fn find_resident(
    state: State<'_, AppState>,
    phone: String,
) -> CmdResult<Option<ResidentHint>> {
    Ok(store(&state)?.find_resident(&phone)?)
}

/// A file the window sends as the raw request body (no JSON number arrays for megabytes),
/// its name percent-encoded in the `x-file-name` header; `field` names it in a refusal.
pub(crate) fn raw_file<'r>(
    request: &'r tauri::ipc::Request<'_>,
    field: &'static str,
) -> CmdResult<(String, &'r [u8])> {
    let tauri::ipc::InvokeBody::Raw(data) = request.body() else {
        return Err(Error::invalid(field, Reason::Malformed).into());
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    Ok((name, data))
}

/// A photo, as a raw body ([`raw_file`]).
#[tauri::command]
pub async fn save_attachment(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> CmdResult<Attachment> {
    let (name, data) = raw_file(&request, "attachment")?;
    Ok(store(&state)?.save_attachment(&name, data)?)
}

/// The bytes of an attachment, returned raw (an ArrayBuffer in the window). A photo of a
/// case from another office that has not arrived yet is fetched from the server right away
/// (the background sync fetches them a few at a time).
#[tauri::command]
pub async fn attachment(
    state: State<'_, AppState>,
    sha256: String,
) -> CmdResult<tauri::ipc::Response> {
    drop(store(&state)?);
    Ok(tauri::ipc::Response::new(
        jiesu_sync::attachment(&state.store, &sha256).await?,
    ))
}

#[tauri::command]
pub async fn calendar_year(state: State<'_, AppState>, year: i32) -> CmdResult<CalendarYear> {
    Ok(store(&state)?.calendar_year(year))
}

#[tauri::command]
pub async fn set_calendar_day(
    state: State<'_, AppState>,
    date: String,
    working: bool,
) -> CmdResult<CalendarYear> {
    let mut s = store(&state)?;
    s.set_calendar_day(&date, working)?;
    let year = date
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or_default();
    Ok(s.calendar_year(year))
}

#[tauri::command]
pub async fn add_unit(state: State<'_, AppState>, name: String) -> CmdResult<catalog::Unit> {
    let unit = store(&state)?.add_unit(&name)?;
    Ok(unit)
}

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    login: String,
    password: String,
) -> CmdResult<access::Session> {
    let session = {
        let mut s = open(&state);
        let session = if state.locked.load(Ordering::SeqCst) {
            // The first sign-in opens the encrypted store with this account's password.
            let unlocked = Store::unlock_watched(
                &state.dir,
                Box::new(state.clock.clone()),
                &login,
                &password,
                &state.opening,
            )?;
            *s = unlocked;
            state.locked.store(false, Ordering::SeqCst);
            state
                .clock
                .set_offset_ms(s.clock_offset_at_start(state.clock.pc_now_ms())?);
            s.session().cloned().ok_or(Error::SignInFailed)?
        } else {
            s.sign_in(&login, &password)?
        };
        s.quiet();
        session
    };
    state.syncer.wake();
    Ok(session)
}

/// 恢复密钥: every password forgotten, the recovery key opens the locked store and an
/// administrator (`login`) gets a new password, signed in.
#[tauri::command]
pub async fn recover_with_key(
    state: State<'_, AppState>,
    recovery_key: String,
    login: String,
    new_password: String,
) -> CmdResult<access::Session> {
    let session = {
        let mut s = open(&state);
        if !state.locked.load(Ordering::SeqCst) {
            // Open already: an administrator resets passwords the ordinary way.
            return Err(Error::SignInRequired.to_wire());
        }
        let mut opened = Store::unlock_with_recovery_watched(
            &state.dir,
            Box::new(state.clock.clone()),
            &recovery_key,
            &state.opening,
        )?;
        let session = opened.recover_admin(&login, &new_password)?;
        *s = opened;
        state.locked.store(false, Ordering::SeqCst);
        state
            .clock
            .set_offset_ms(s.clock_offset_at_start(state.clock.pc_now_ms())?);
        s.quiet();
        session
    };
    state.syncer.wake();
    Ok(session)
}

/// The recovery key made when the store was encrypted, until an administrator saves it.
#[tauri::command]
pub async fn unsaved_recovery_key(state: State<'_, AppState>) -> CmdResult<Option<String>> {
    Ok(store(&state)?.unsaved_recovery_key()?)
}

/// The administrator has printed or written down the recovery key: it is not shown again.
#[tauri::command]
pub async fn recovery_key_saved(state: State<'_, AppState>) -> CmdResult<()> {
    Ok(store(&state)?.recovery_key_saved()?)
}

/// Sign out, or lock after the idle time (`idle`: the window's timer asked).
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>, idle: bool) -> CmdResult<()> {
    let mut s = open(&state);
    s.sign_out(idle)?;
    s.quiet();
    drop(s);
    state.syncer.wake();
    Ok(())
}

#[tauri::command]
pub async fn accounts(state: State<'_, AppState>) -> CmdResult<Vec<access::Account>> {
    Ok(store(&state)?.accounts()?)
}

#[tauri::command]
pub async fn add_account(
    state: State<'_, AppState>,
    account: access::NewAccount,
) -> CmdResult<access::Account> {
    let a = store(&state)?.add_account(account)?;
    Ok(a)
}

#[tauri::command]
pub async fn set_role(
    state: State<'_, AppState>,
    account: Uuid,
    role: access::Role,
) -> CmdResult<()> {
    store(&state)?.set_role(account, role)?;
    Ok(())
}

#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, account: Uuid) -> CmdResult<()> {
    store(&state)?.remove_account(account)?;
    Ok(())
}

/// One's own password (with the current one) or, for an administrator, another's.
#[tauri::command]
pub async fn set_password(
    state: State<'_, AppState>,
    account: Uuid,
    current: Option<String>,
    password: String,
) -> CmdResult<()> {
    store(&state)?.set_password(account, current.as_deref(), &password)?;
    Ok(())
}

/// One field of a case's resident in full (the "显示" button); written to the access log.
#[tauri::command]
pub async fn reveal(
    state: State<'_, AppState>,
    case_id: Uuid,
    field: privacy::PersonalField,
) -> CmdResult<String> {
    Ok(store(&state)?.reveal(case_id, field)?)
}

/// The access log, newest first (administrators).
#[tauri::command]
pub async fn access_log(state: State<'_, AppState>) -> CmdResult<Vec<store::AccessRecord>> {
    Ok(store(&state)?.access_log(1000)?)
}

/// The whole access log as CSV in the export folder (administrators).
#[tauri::command]
pub async fn export_access_log(state: State<'_, AppState>) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_access_log_csv(&state.exports)?)
}

#[tauri::command]
pub async fn set_idle_minutes(state: State<'_, AppState>, minutes: u32) -> CmdResult<()> {
    Ok(store(&state)?.set_idle_minutes(minutes)?)
}

/// Sync as the status bar shows it.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncStatus> {
    Ok(state.syncer.status())
}

/// Enrol this PC with a server: the code is spent, the credential kept in the store.
#[tauri::command]
pub async fn enrol(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
) -> CmdResult<SyncStatus> {
    let status =
        jiesu_sync::enrol(&state.store, &server_url, code, jiesu_sync::device_name()).await?;
    // The window follows the sync task's own "sync-status" events from here on.
    state.syncer.wake();
    Ok(status)
}

/// Leave the server. Returns how many events had not been uploaded.
#[tauri::command]
pub async fn unenrol(state: State<'_, AppState>) -> CmdResult<u32> {
    let waiting = store(&state)?.unenrol()?;
    // Told now if the server is reachable; otherwise the sync task keeps trying.
    let _ = jiesu_sync::deliver_revokes(&state.store).await;
    state.syncer.wake();
    Ok(waiting)
}

/// Sync now instead of at the next poll.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> CmdResult<()> {
    state.syncer.wake();
    Ok(())
}

/// Every settings change held here, with why those of other offices do not apply.
#[tauri::command]
pub async fn config_log(state: State<'_, AppState>) -> CmdResult<Vec<TimelineEntry>> {
    Ok(store(&state)?.config_log()?)
}

/// Stamp again, by this PC's clock, the unsent work written while the clock was ahead (the
/// window asks the user to check the clock first); returns how many events moved.
#[tauri::command]
pub async fn restamp_future_work(state: State<'_, AppState>) -> CmdResult<u32> {
    let done = store(&state)?.restamp_future_work()?;
    Ok(done.map_or(0, |d| d.events as u32))
}

#[tauri::command]
pub async fn list_meetings(state: State<'_, AppState>) -> CmdResult<Vec<MeetingRow>> {
    Ok(store(&state)?.list_meetings()?)
}

#[tauri::command]
pub async fn schedule_meeting(state: State<'_, AppState>, info: MeetingInfo) -> CmdResult<Meeting> {
    let m = {
        let mut s = store(&state)?;
        let v = s.schedule_meeting(info)?;
        s.shown(v)?
    };
    Ok(m)
}

#[tauri::command]
pub async fn meeting_detail(
    state: State<'_, AppState>,
    meeting_id: Uuid,
) -> CmdResult<MeetingDetail> {
    Ok(store(&state)?.meeting_detail(meeting_id)?)
}

#[tauri::command]
pub async fn meeting_act(
    state: State<'_, AppState>,
    meeting_id: Uuid,
    command: MeetingCommand,
) -> CmdResult<Meeting> {
    let m = {
        let mut s = store(&state)?;
        let v = s.meeting_act(meeting_id, command)?;
        s.shown(v)?
    };
    Ok(m)
}

#[tauri::command]
pub async fn open_item_case(
    state: State<'_, AppState>,
    meeting_id: Uuid,
    form: ItemCaseForm,
) -> CmdResult<Case> {
    let c = {
        let mut s = store(&state)?;
        let v = s.open_item_case(meeting_id, form)?;
        s.shown(v)?
    };
    Ok(c)
}

#[tauri::command]
pub async fn capture_visitor(
    state: State<'_, AppState>,
    meeting_id: Uuid,
    form: VisitorForm,
) -> CmdResult<Case> {
    let c = {
        let mut s = store(&state)?;
        let v = s.capture_visitor(meeting_id, form)?;
        s.shown(v)?
    };
    Ok(c)
}

/// Write the minutes' .docx into the exports folder.
#[tauri::command]
pub async fn export_minutes(
    state: State<'_, AppState>,
    meeting_id: Uuid,
) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_minutes_docx(&state.exports, meeting_id)?)
}

/// Write the meeting's .ics into the exports folder.
#[tauri::command]
pub async fn export_ics(state: State<'_, AppState>, meeting_id: Uuid) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_meeting_ics(&state.exports, meeting_id)?)
}

#[tauri::command]
pub async fn dashboard(
    state: State<'_, AppState>,
    query: figures::FigureQuery,
    trend: figures::Dimension,
) -> CmdResult<Dashboard> {
    Ok(store(&state)?.dashboard(&query, trend)?)
}

/// The figures the dashboard's period is compared with (week on week, month on month).
#[tauri::command]
pub async fn earlier_figures(
    state: State<'_, AppState>,
    query: figures::FigureQuery,
) -> CmdResult<jiesu_core::period::Earlier> {
    Ok(store(&state)?.earlier_figures(&query)?)
}

/// The cases behind one figure (optionally one bar of a breakdown), a page at a time.
#[tauri::command]
pub async fn figure_cases(
    state: State<'_, AppState>,
    query: figures::FigureQuery,
    figure: figures::Figure,
    group: Option<(figures::Dimension, String)>,
    page: u32,
    page_size: u32,
) -> CmdResult<CasePage> {
    Ok(store(&state)?.figure_cases(&query, figure, group, page, page_size.clamp(1, 200))?)
}

#[tauri::command]
pub async fn figure_settings(state: State<'_, AppState>) -> CmdResult<figures::FigureSettings> {
    Ok(store(&state)?.figure_settings()?)
}

#[tauri::command]
pub async fn set_figure_settings(
    state: State<'_, AppState>,
    settings: figures::FigureSettings,
) -> CmdResult<figures::FigureSettings> {
    let s = store(&state)?.set_figure_settings(settings)?;
    Ok(s)
}

/// The period's report (.xlsx) into the exports folder.
#[tauri::command]
pub async fn export_report(
    state: State<'_, AppState>,
    query: figures::FigureQuery,
) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_report(&state.exports, &query)?)
}

/// The cases behind a figure as CSV into the exports folder.
#[tauri::command]
pub async fn export_figure_csv(
    state: State<'_, AppState>,
    query: figures::FigureQuery,
    figure: figures::Figure,
    group: Option<(figures::Dimension, String)>,
) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_figure_csv(&state.exports, &query, figure, group)?)
}

/// The case list as filtered, every page, as CSV into the exports folder.
#[tauri::command]
pub async fn export_list_csv(
    state: State<'_, AppState>,
    query: CaseQuery,
) -> CmdResult<ExportedFile> {
    Ok(store(&state)?.save_list_csv(&state.exports, &query)?)
}

/// The overdue desk (督办台).
#[tauri::command]
pub async fn desk(state: State<'_, AppState>) -> CmdResult<Desk> {
    Ok(store(&state)?.desk()?)
}

/// The cases that fell overdue since `since` (the window polls this to notify).
#[tauri::command]
pub async fn overdue_watch(state: State<'_, AppState>, since: i64) -> CmdResult<OverdueWatch> {
    // The window polls this every 30 s: no sign that anyone is at the PC.
    let mut s = open(&state);
    s.signed_in_unattended()?;
    Ok(s.overdue_watch(since)?)
}

/// A desktop notification, in the words the window chose (it knows the user's language).
/// Sent on a background task: a desktop without a notification service loses the
/// notification, not the app.
#[tauri::command]
pub async fn notify<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    title: String,
    body: String,
) -> CmdResult<()> {
    use tauri_plugin_notification::NotificationExt;
    app.notification()
        .builder()
        .title(title)
        .body(body)
        .show()
        .map_err(|e| WireError::new(Code::Storage, e.to_string()))
}
