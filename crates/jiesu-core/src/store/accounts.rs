//! Accounts: signing in and out, the administrator's account commands, and the fold of the
//! account events of the `config` stream.
//!
//! The events say who exists and in which role, and travel along the office line like the
//! rest of the configuration, so a street sees who at a community did what. The passwords
//! (Argon2id hashes in `credentials`) never leave this PC: an account made on another PC of
//! the office signs in here once an administrator has set it a password here.
//!
//! The fold is per office (the *owner*: the office id of the events, or `device:<id>` for a
//! device that never enrolled) and obeys the roles whatever PC wrote the event: an account
//! event counts only when its writer is an active administrator of the same office (the
//! office's first account excepted: an administrator opening itself), and nothing may leave
//! an office without an active administrator. An event that breaks this is kept and listed as
//! a conflict of the `config` stream, and changes nothing.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::*;
use crate::access::{self, Account, Act, NewAccount, Role, Session};
use crate::event::{CONFIG_STREAM, Event, EventBody};
use crate::wire::UNENROLLED_OFFICE;

/// The office an account event belongs to. A device's events from before its enrolment are
/// its office's once any of its events names that office (`enrolled`: device → office).
pub(super) fn owner(ev: &Event, enrolled: &HashMap<String, String>) -> String {
    if ev.office != UNENROLLED_OFFICE {
        return ev.office.clone();
    }
    match enrolled.get(&ev.device) {
        Some(o) => o.clone(),
        None => format!("device:{}", ev.device),
    }
}

fn role_of(conn: &Connection, owner: &str, account: &Uuid) -> Result<Option<(Role, bool)>> {
    let row: Option<(String, bool)> = conn
        .prepare_cached("SELECT role, active FROM accounts WHERE owner = ?1 AND id = ?2")?
        .query_row(params![owner, account.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match row {
        None => Ok(None),
        Some((role, active)) => Ok(Some((enum_parse(&role)?, active))),
    }
}

fn active_admins(conn: &Connection, owner: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM accounts WHERE owner = ?1 AND role = 'admin' AND active = 1",
        )?
        .query_row([owner], |r| r.get(0))?)
}

/// Why a configuration step (a unit, a calendar day, the figures' settings, a campaign) may
/// not count: its account did not stand, at this place in the config fold, in a role that may
/// write it. The same rule as the case and meeting folds' ([`super::roles`]).
pub(super) fn role_refusal(conn: &Connection, ev: &Event) -> Result<Option<String>> {
    let step = super::roles::Step::of(ev);
    if !step.checked() {
        return Ok(None);
    }
    let Some(account) = ev.account else {
        return Ok(None);
    };
    let any: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM accounts WHERE owner = ?1)")?
        .query_row([&ev.office], |r| r.get(0))?;
    let standing = match role_of(conn, &ev.office, &account)? {
        _ if !any => super::roles::Standing::NoAccountsYet,
        None => super::roles::Standing::Unknown,
        Some((_, false)) => super::roles::Standing::Closed,
        Some((role, true)) => super::roles::Standing::Open(role),
    };
    Ok(step.refusal(standing))
}

/// Why an account event may not count for `owner` in the state folded so far; `None` when it
/// may.
pub(super) fn judge(conn: &Connection, owner: &str, ev: &Event) -> Result<Option<String>> {
    let writer = match ev.account {
        Some(a) => role_of(conn, owner, &a)?,
        None => None,
    };
    let admin = writer == Some((Role::Admin, true));
    let last_admin = |target: &Uuid| -> Result<bool> {
        Ok(role_of(conn, owner, target)? == Some((Role::Admin, true))
            && active_admins(conn, owner)? <= 1)
    };
    let why = match &ev.body {
        EventBody::AccountAdded {
            account,
            login,
            role,
            ..
        } => {
            let any: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM accounts WHERE owner = ?1)")?
                .query_row([owner], |r| r.get(0))?;
            let taken: bool = conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM accounts
                     WHERE owner = ?1 AND (id = ?2 OR (login = ?3 AND active = 1)))",
                )?
                .query_row(params![owner, account.to_string(), login], |r| r.get(0))?;
            if taken {
                Some("the account or its login exists".to_owned())
            } else if !any {
                (!(*role == Role::Admin && ev.account == Some(*account))).then(|| {
                    "an office's first account must be an administrator opening itself".to_owned()
                })
            } else {
                (!admin).then(|| "only an administrator adds accounts".to_owned())
            }
        }
        EventBody::AccountRoleSet { account, role } => {
            if !admin {
                Some("only an administrator sets roles".to_owned())
            } else if role_of(conn, owner, account)?.is_none() {
                Some(format!("no account {account} at this office"))
            } else if *role != Role::Admin && last_admin(account)? {
                Some("the office's last administrator".to_owned())
            } else {
                None
            }
        }
        EventBody::AccountRemoved { account } => {
            if !admin {
                Some("only an administrator closes accounts".to_owned())
            } else if role_of(conn, owner, account)?.is_none() {
                Some(format!("no account {account} at this office"))
            } else if last_admin(account)? {
                Some("the office's last administrator".to_owned())
            } else {
                None
            }
        }
        EventBody::PasswordSet { account } => (!(admin
            || (ev.account == Some(*account) && writer.is_some_and(|(_, a)| a))))
        .then(|| "only its owner or an administrator sets a password".to_owned()),
        EventBody::SignedIn {} | EventBody::SignedOut { .. } => writer
            .is_none()
            .then(|| "no such account at this office".to_owned()),
        _ => None,
    };
    Ok(why)
}

/// Apply an account event that [`judge`] let count, and record the account's new standing in
/// its history ([`super::roles`]).
pub(super) fn apply_account(conn: &Connection, owner: &str, ev: &Event) -> Result<()> {
    let changed = match &ev.body {
        EventBody::AccountAdded {
            account,
            login,
            name,
            role,
        } => {
            conn.prepare_cached(
                "INSERT INTO accounts (owner, id, login, name, role, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)",
            )?
            .execute(params![
                owner,
                account.to_string(),
                login,
                name,
                enum_name(role)
            ])?;
            account
        }
        EventBody::AccountRoleSet { account, role } => {
            conn.prepare_cached("UPDATE accounts SET role = ?3 WHERE owner = ?1 AND id = ?2")?
                .execute(params![owner, account.to_string(), enum_name(role)])?;
            account
        }
        EventBody::AccountRemoved { account } => {
            conn.prepare_cached("UPDATE accounts SET active = 0 WHERE owner = ?1 AND id = ?2")?
                .execute(params![owner, account.to_string()])?;
            account
        }
        _ => return Ok(()),
    };
    super::roles::record_change(conn, owner, changed, ev)
}

/// Whether the event is one of the account kinds this module folds.
pub(super) fn is_account_event(body: &EventBody) -> bool {
    matches!(
        body,
        EventBody::AccountAdded { .. }
            | EventBody::AccountRoleSet { .. }
            | EventBody::AccountRemoved { .. }
            | EventBody::PasswordSet { .. }
            | EventBody::SignedIn {}
            | EventBody::SignedOut { .. }
    )
}

/// Devices whose events name an office: what their pre-enrolment events belong to.
pub(super) fn enrolled_devices(events: &[Event]) -> HashMap<String, String> {
    events
        .iter()
        .filter(|e| e.office != UNENROLLED_OFFICE)
        .map(|e| (e.device.clone(), e.office.clone()))
        .collect()
}

/// Sign-in state a store carries (not persisted: a restart asks again).
#[derive(Debug, Default)]
pub(super) struct SignIn {
    /// Accounts are in force even before the first exists (the app's shell asks for this).
    pub required: bool,
    pub session: Option<Session>,
    /// When the session last ran a command ([`crate::hlc::Clock::elapsed_ms`]: a clock
    /// corrected by years is no idle time).
    pub last_active: i64,
}

impl Store {
    /// The owner key of this replica's own accounts: its office, or the device before it
    /// enrolled (the key [`owner`] gives this device's events).
    pub(super) fn own_owner(&self) -> String {
        if self.identity.office == UNENROLLED_OFFICE {
            format!("device:{}", self.identity.device)
        } else {
            self.identity.office.clone()
        }
    }

    /// Enforce accounts from now on, even before the first exists: every command needs a
    /// signed-in account. The app calls this on opening its store.
    pub fn require_sign_in(&mut self) {
        self.sign_in.required = true;
    }

    /// The account signed in, if any.
    pub fn session(&self) -> Option<&Session> {
        self.sign_in.session.as_ref()
    }

    /// Whether this office has any account yet (the first run creates the first).
    pub fn has_accounts(&self) -> Result<bool> {
        let owner = self.own_owner();
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM accounts WHERE owner = ?1)")?
            .query_row([owner], |r| r.get(0))?)
    }

    pub(super) fn enforced(&self) -> Result<bool> {
        Ok(self.sign_in.required || self.has_accounts()?)
    }

    /// The session, refused when nobody is signed in or it idled out. Reading commands call
    /// it too (through the shell's one door): a locked PC shows nothing.
    pub fn signed_in(&mut self) -> Result<Option<Session>> {
        self.session_check(true)
    }

    /// As [`Store::signed_in`], for what the window polls on its own (the overdue watch, the
    /// status bar): it ends an idle session but does not count as someone at the PC.
    pub fn signed_in_unattended(&mut self) -> Result<Option<Session>> {
        self.session_check(false)
    }

    fn session_check(&mut self, activity: bool) -> Result<Option<Session>> {
        if !self.enforced()? {
            return Ok(None);
        }
        let idle_ms = i64::from(self.idle_minutes()?) * 60_000;
        let now = self.clock.elapsed_ms();
        match &self.sign_in.session {
            Some(_) if now.saturating_sub(self.sign_in.last_active) > idle_ms => {
                self.sign_in.session = None;
                Err(Error::SignInRequired)
            }
            Some(s) => {
                // A clock swapped under the session (the sample generator drives its own)
                // can read earlier than the last command: the count starts again from it.
                if activity || now < self.sign_in.last_active {
                    self.sign_in.last_active = now;
                }
                Ok(Some(s.clone()))
            }
            None => Err(Error::SignInRequired),
        }
    }

    /// Bring the session up to what the config fold now says of its account: an administrator
    /// on another PC of the office may have changed its role or closed it, and the next step
    /// here must be judged as every replica will judge it. A closed account is signed out.
    pub(super) fn refresh_session(&mut self) -> Result<()> {
        let Some(session) = &self.sign_in.session else {
            return Ok(());
        };
        match role_of(&self.conn, &self.own_owner(), &session.account)? {
            Some((role, true)) => {
                if let Some(s) = self.sign_in.session.as_mut() {
                    s.role = role;
                }
            }
            // Unknown here can only be a store that folded its accounts away (a restore
            // swaps the store and signs everyone out anyway): the same answer as closed.
            _ => self.sign_in.session = None,
        }
        Ok(())
    }

    /// Refuse unless the signed-in role may write `kind` (see [`access::WRITES`]). With no
    /// accounts in force, everything is allowed (the setup's typed name acts).
    pub(super) fn check_write(&mut self, kind: &str) -> Result<()> {
        if access::DEVICE_WRITES.contains(&kind) {
            return Ok(());
        }
        match self.signed_in()? {
            Some(s) if !access::may_write(s.role, kind) => Err(Error::Forbidden {
                role: enum_name(&s.role),
                action: kind.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Refuse unless the signed-in role may do `act`.
    pub fn check(&mut self, act: Act) -> Result<()> {
        match self.signed_in()? {
            Some(s) if !access::may(s.role, act) => Err(Error::Forbidden {
                role: enum_name(&s.role),
                action: enum_name(&act),
            }),
            _ => Ok(()),
        }
    }

    /// Minutes without a command before the session ends (office setting, default 15).
    pub fn idle_minutes(&self) -> Result<u32> {
        Ok(self
            .meta("idle_minutes")?
            .and_then(|m| m.parse().ok())
            .unwrap_or(access::DEFAULT_IDLE_MINUTES))
    }

    /// Set the idle time (administrators; 1 to 480 minutes).
    pub fn set_idle_minutes(&mut self, minutes: u32) -> Result<()> {
        self.check(Act::ManageAccounts)?;
        if !(1..=480).contains(&minutes) {
            return Err(Error::invalid("idle_minutes", Reason::OutOfRange));
        }
        Store::set_meta(&self.conn, "idle_minutes", &minutes.to_string())
    }

    pub(super) fn append_account_event(&mut self, body: EventBody) -> Result<Event> {
        let ev = self.new_event(CONFIG_STREAM.into(), body)?;
        let owner = self.own_owner();
        if let Some(why) = judge(&self.conn, &owner, &ev)? {
            // The command checks first and says why in the user's terms; this is the fold's
            // own rule, so the log never holds what would fold as a conflict.
            return Err(Error::NoAuthority { why });
        }
        let sp = self.conn.savepoint()?;
        append(&sp, &ev)?;
        apply_account(&sp, &owner, &ev)?;
        sp.commit()?;
        Ok(ev)
    }

    pub(super) fn checked_password(password: &str) -> Result<String> {
        if password.chars().count() < access::MIN_PASSWORD {
            return Err(Error::invalid("password", Reason::PasswordTooShort));
        }
        if password.chars().nth(1024).is_some() {
            return Err(Error::invalid("password", Reason::TooLong));
        }
        access::hash_password(password)
    }

    fn checked_account(form: &NewAccount) -> Result<(String, String)> {
        let login = form.login.trim().to_lowercase();
        crate::validate::login(&login)?;
        let name = crate::validate::text("name", form.name.clone(), true)?;
        crate::validate::name("name", &name, true)?;
        Ok((login, name))
    }

    /// The first run as the window offers it: the sample community when asked for, then the
    /// office's first administrator, signed in. The sample is written before any account
    /// exists (its events name the administrator but no account, as a store's earliest steps
    /// do): it walks a clock months back, which an account's session, stamped now, would not
    /// follow. The form is checked before anything is written.
    pub fn first_run(
        &mut self,
        office_name: &str,
        form: NewAccount,
        sample: bool,
    ) -> Result<Session> {
        if self.has_accounts()? {
            return Err(Error::invalid("login", Reason::Duplicate));
        }
        let (_, name) = Store::checked_account(&form)?;
        Store::checked_password(&form.password)?;
        if sample {
            let office = self.identity.office.clone();
            self.set_identity(&office, office_name, &name)?;
            let required = std::mem::replace(&mut self.sign_in.required, false);
            let spec = crate::sample::SampleSpec::community(self.clock.now_ms());
            let made = crate::sample::generate(self, &spec);
            self.sign_in.required = required;
            made?;
        }
        self.create_first_admin(office_name, form)
    }

    /// The office's first account, an administrator, signed in at once. Refused once the
    /// office has an account.
    pub fn create_first_admin(&mut self, office_name: &str, form: NewAccount) -> Result<Session> {
        if self.has_accounts()? {
            return Err(Error::invalid("login", Reason::Duplicate));
        }
        let (login, name) = Store::checked_account(&form)?;
        let phc = Store::checked_password(&form.password)?;
        let office = self.identity.office.clone();
        self.set_identity(&office, office_name, &name)?;
        let account = Uuid::now_v7();
        let session = Session {
            account,
            login: login.clone(),
            name: name.clone(),
            role: Role::Admin,
        };
        // The opening event is the account's own: it signs itself in to write it.
        self.sign_in.session = Some(session.clone());
        self.sign_in.last_active = self.clock.elapsed_ms();
        let written = self.batch(|s| {
            s.append_account_event(EventBody::AccountAdded {
                account,
                login,
                name,
                role: Role::Admin,
            })?;
            s.conn.execute(
                "INSERT INTO credentials (account, phc) VALUES (?1, ?2)",
                params![account.to_string(), phc],
            )?;
            s.append_account_event(EventBody::SignedIn {})
        });
        if let Err(e) = written {
            self.sign_in.session = None;
            return Err(e);
        }
        self.sync_keyring()?;
        Ok(session)
    }

    /// Sign in with a login and password. The same error for an unknown login, a closed
    /// account and a wrong password.
    pub fn sign_in(&mut self, login: &str, password: &str) -> Result<Session> {
        self.sign_in_checked(login, |phc| access::verify_password(password, phc))
    }

    /// [`Store::sign_in`], the password checked against the account's credential (its PHC
    /// string) by `proven`: an unlock has already stretched it, and says so without a
    /// second Argon2id run.
    pub(super) fn sign_in_checked(
        &mut self,
        login: &str,
        proven: impl FnOnce(&str) -> bool,
    ) -> Result<Session> {
        let owner = self.own_owner();
        let row: Option<(String, String, String, String)> = self
            .conn
            .query_row(
                "SELECT a.id, a.name, a.role, c.phc FROM accounts a
                 JOIN credentials c ON c.account = a.id
                 WHERE a.owner = ?1 AND a.login = ?2 AND a.active = 1",
                params![owner, login.trim().to_lowercase()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((id, name, role, phc)) = row else {
            // Spend the same time as a real check, so a login's existence is not told by
            // how fast the answer comes.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| access::hash_password("-").unwrap_or_default());
            let _ = proven(dummy);
            return Err(Error::SignInFailed);
        };
        if !proven(&phc) {
            return Err(Error::SignInFailed);
        }
        let session = Session {
            account: Uuid::parse_str(&id)
                .map_err(|_| Error::invalid("account", Reason::Malformed))?,
            login: login.trim().to_lowercase(),
            name,
            role: enum_parse(&role)?,
        };
        let before = self.sign_in.session.replace(session.clone());
        self.sign_in.last_active = self.clock.elapsed_ms();
        let office = self.identity.office.clone();
        let office_name = self.identity.office_name.clone();
        if let Err(e) = self
            .set_identity(&office, &office_name, &session.name)
            .and_then(|_| self.append_account_event(EventBody::SignedIn {}))
        {
            self.sign_in.session = before;
            return Err(e);
        }
        // The wraps were brought in line when the store opened; a keys file that cannot be
        // written now must not turn a sign-in that happened into an error.
        let _ = self.sync_keyring();
        Ok(session)
    }

    /// Sign out (or lock after the idle time: `idle`). Nothing happens when nobody is in.
    pub fn sign_out(&mut self, idle: bool) -> Result<()> {
        if self.sign_in.session.is_none() {
            return Ok(());
        }
        // Written as the account leaving, even if the idle time has just passed.
        self.sign_in.last_active = self.clock.elapsed_ms();
        let written = self.append_account_event(EventBody::SignedOut { idle });
        self.sign_in.session = None;
        written.map(|_| ())
    }

    /// The office's accounts (administrators).
    pub fn accounts(&mut self) -> Result<Vec<Account>> {
        self.check(Act::ManageAccounts)?;
        let owner = self.own_owner();
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.login, a.name, a.role, a.active,
                    EXISTS (SELECT 1 FROM credentials c WHERE c.account = a.id)
             FROM accounts a WHERE a.owner = ?1 ORDER BY a.active DESC, a.login",
        )?;
        let rows = stmt.query_map([owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, login, name, role, active, here) = row?;
            out.push(Account {
                id: Uuid::parse_str(&id)
                    .map_err(|_| Error::invalid("account", Reason::Malformed))?,
                login,
                name,
                role: enum_parse(&role)?,
                active,
                can_sign_in_here: here,
            });
        }
        Ok(out)
    }

    /// Add an account with its first password (administrators).
    pub fn add_account(&mut self, form: NewAccount) -> Result<Account> {
        self.check(Act::ManageAccounts)?;
        let (login, name) = Store::checked_account(&form)?;
        let owner = self.own_owner();
        let taken: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE owner = ?1 AND login = ?2 AND active = 1)",
            params![owner, login],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::invalid("login", Reason::Duplicate));
        }
        let phc = Store::checked_password(&form.password)?;
        let account = Uuid::now_v7();
        self.batch(|s| {
            s.append_account_event(EventBody::AccountAdded {
                account,
                login: login.clone(),
                name: name.clone(),
                role: form.role,
            })?;
            s.conn.execute(
                "INSERT OR REPLACE INTO credentials (account, phc) VALUES (?1, ?2)",
                params![account.to_string(), phc],
            )?;
            Ok(())
        })?;
        self.sync_keyring()?;
        Ok(Account {
            id: account,
            login,
            name,
            role: form.role,
            active: true,
            can_sign_in_here: true,
        })
    }

    fn own_account(&self, account: Uuid) -> Result<(Role, bool)> {
        let owner = self.own_owner();
        role_of(&self.conn, &owner, &account)?.ok_or(Error::NotFound {
            what: "account",
            id: account.to_string(),
        })
    }

    fn refuse_last_admin(&self, account: Uuid) -> Result<()> {
        let owner = self.own_owner();
        if self.own_account(account)? == (Role::Admin, true)
            && active_admins(&self.conn, &owner)? <= 1
        {
            return Err(Error::invalid("account", Reason::LastAdmin));
        }
        Ok(())
    }

    /// Change an account's role (administrators). The last administrator keeps the role.
    pub fn set_role(&mut self, account: Uuid, role: Role) -> Result<()> {
        self.check(Act::ManageAccounts)?;
        if role != Role::Admin {
            self.refuse_last_admin(account)?;
        } else {
            self.own_account(account)?;
        }
        self.append_account_event(EventBody::AccountRoleSet { account, role })?;
        if let Some(s) = self
            .sign_in
            .session
            .as_mut()
            .filter(|s| s.account == account)
        {
            s.role = role;
        }
        Ok(())
    }

    /// Close an account (administrators): it cannot sign in again; its steps stay its own.
    /// The last administrator cannot be closed.
    pub fn remove_account(&mut self, account: Uuid) -> Result<()> {
        self.check(Act::ManageAccounts)?;
        self.refuse_last_admin(account)?;
        self.batch(|s| {
            s.append_account_event(EventBody::AccountRemoved { account })?;
            s.conn.execute(
                "DELETE FROM credentials WHERE account = ?1",
                [account.to_string()],
            )?;
            Ok(())
        })?;
        self.sync_keyring()?;
        if self.session().is_some_and(|s| s.account == account) {
            self.sign_in.session = None;
        }
        Ok(())
    }

    /// Set a password: one's own with the current one, or another's as an administrator (a
    /// forgotten password is reset this way).
    pub fn set_password(
        &mut self,
        account: Uuid,
        current: Option<&str>,
        new_password: &str,
    ) -> Result<()> {
        let me = self.signed_in()?.ok_or(Error::SignInRequired)?;
        if me.account == account {
            self.verify_own_password(account, current.unwrap_or_default())?;
        } else {
            self.check(Act::ManageAccounts)?;
        }
        if !self.own_account(account)?.1 {
            return Err(Error::NotFound {
                what: "account",
                id: account.to_string(),
            });
        }
        let phc = Store::checked_password(new_password)?;
        self.batch(|s| {
            s.append_account_event(EventBody::PasswordSet { account })?;
            s.conn.execute(
                "INSERT OR REPLACE INTO credentials (account, phc) VALUES (?1, ?2)",
                params![account.to_string(), phc],
            )?;
            Ok(())
        })?;
        self.sync_keyring()
    }
}

impl Store {
    /// `password` is `account`'s (a deliberate step asks for it again: changing it, a
    /// restore). `sign_in_failed` otherwise.
    pub(super) fn verify_own_password(&self, account: Uuid, password: &str) -> Result<()> {
        let phc: Option<String> = self
            .conn
            .query_row(
                "SELECT phc FROM credentials WHERE account = ?1",
                [account.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if !phc.is_some_and(|p| access::verify_password(password, &p)) {
            return Err(Error::SignInFailed);
        }
        Ok(())
    }
}
