//! Who may do what: the one table of roles, enforced by the store for every command.
//!
//! Every change the app makes is an event, and every event this replica writes is made in
//! one place (`Store::new_event`), which asks [`may_write`] with the signed-in account's role
//! before anything is written. Commands that change no event (enrolment, reading a resident's
//! full number, the access log) ask [`may`] with their [`Act`]. Hiding a button in the window
//! is a courtesy; this table is the rule.
//!
//! | | 管理员 admin | 社区工作者 worker | 议事主持人 host | 查看 viewer |
//! |---|---|---|---|---|
//! | case intake (`case_received`) | ✓ | ✓ | ✓ (from a meeting's item) | |
//! | every other case step, importing 12345 work orders, rectification campaigns (专项整改) | ✓ | ✓ | | |
//! | schedule a meeting, agenda, minutes, items, approve, amend | ✓ | | ✓ | |
//! | sign-in sheet, reception-day visitors, cases a meeting opens or discusses | ✓ | ✓ | ✓ | |
//! | units, calendar, figures' settings | ✓ | | | |
//! | accounts, roles, others' passwords | ✓ | | | |
//! | sign in / out, own password | ✓ | ✓ | ✓ | ✓ |
//! | enrol / unenrol with a server | ✓ | | | |
//! | keep a photo with a step | ✓ | ✓ | ✓ | |
//! | show a resident's full number, name or address (logged) | ✓ | ✓ | | |
//! | read the access log | ✓ | | | |
//!
//! The device's own writes (`DEVICE_WRITES`: an office assigned at enrolment, times stamped
//! again by the server's clock) are made whoever is signed in, or nobody.
//! | read everything | ✓ | ✓ | ✓ | ✓ |
//!
//! A store with no account at all (before setup, and the tests' stores) acts for the name
//! typed at setup with every right, unless the shell asked for accounts
//! (`Store::require_sign_in`), which the app always does.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;
use uuid::Uuid;

pub use crate::model::Role;

/// Column order of [`WRITES`].
const ROLES: [Role; 4] = [Role::Admin, Role::Worker, Role::Host, Role::Viewer];

const ALL: [bool; 4] = [true, true, true, true];
const STAFF: [bool; 4] = [true, true, true, false];
const CASES: [bool; 4] = [true, true, false, false];
const MEETINGS: [bool; 4] = [true, false, true, false];
const ADMIN: [bool; 4] = [true, false, false, false];

/// Which roles may write each event kind, in [`ROLES`] order. Every kind has a row (a test
/// holds the table to `EventBody::kinds()`), so a new kind cannot slip in unguarded.
pub const WRITES: &[(&str, [bool; 4])] = &[
    ("case_received", STAFF),
    ("case_dispatched", CASES),
    ("work_order_imported", CASES),
    ("case_campaign_joined", CASES),
    ("case_accepted", CASES),
    ("case_noted", CASES),
    ("case_noted_public", CASES),
    // Written with an intake (any staff files one), or issued again for the resident.
    ("case_lookup_code_set", STAFF),
    ("case_returned", CASES),
    ("case_transferred", CASES),
    ("case_transferred_to_office", CASES),
    ("case_office_assigned", ALL),
    ("extension_requested", CASES),
    ("extension_decided", CASES),
    ("case_urged", CASES),
    ("case_resolved", CASES),
    ("case_visited", CASES),
    ("case_redone", CASES),
    ("case_archived", CASES),
    ("case_withdrawn", CASES),
    ("case_linked", CASES),
    ("case_unmerged", CASES),
    ("case_solved_on_spot", CASES),
    ("commitment_issued", CASES),
    ("meeting_scheduled", MEETINGS),
    ("meeting_rescheduled", MEETINGS),
    ("attendee_added", STAFF),
    ("attendee_signed_in", STAFF),
    ("attendee_removed", STAFF),
    ("agenda_item_added", MEETINGS),
    ("minutes_recorded", MEETINGS),
    ("meeting_item_added", MEETINGS),
    ("minutes_approved", MEETINGS),
    ("minutes_amended", MEETINGS),
    ("meeting_case_opened", STAFF),
    ("meeting_case_linked", STAFF),
    ("meeting_office_assigned", ALL),
    ("case_times_corrected", ALL),
    ("meeting_times_corrected", ALL),
    ("unit_added", ADMIN),
    ("figure_settings_set", ADMIN),
    ("figure_settings_set_v2", ADMIN),
    ("calendar_day_set", ADMIN),
    // A superior's worker or administrator opens one; it asks work of the offices below.
    ("campaign_opened", CASES),
    ("campaign_amended", CASES),
    ("account_added", ADMIN),
    ("account_role_set", ADMIN),
    ("account_removed", ADMIN),
    // Resetting another's password is checked as `Act::ManageAccounts`; one's own is anyone's.
    ("password_set", ALL),
    ("signed_in", ALL),
    ("signed_out", ALL),
];

/// Kinds the device writes on its own, whoever is signed in or nobody: the office assigned to
/// work filed before enrolment, times stamped again by the server's clock (the sync loop
/// writes them). They claim nothing a person decided.
pub const DEVICE_WRITES: &[&str] = &[
    "case_office_assigned",
    "meeting_office_assigned",
    "case_times_corrected",
    "meeting_times_corrected",
];

/// What a role may do that is not writing an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Act {
    /// Add accounts, set roles, reset others' passwords, list accounts.
    ManageAccounts,
    /// Enrol with a sync server, unenrol, stamp work again by the server's clock.
    ManageSync,
    /// Keep a photo with a case step.
    AttachPhotos,
    /// Show a resident's full number, name or address (written to the access log).
    RevealPersonal,
    /// Read and export the access log.
    ReadAccessLog,
    /// Make a backup now, list the backups.
    MakeBackups,
    /// Choose the backup folder, restore from a backup.
    ManageBackups,
}

/// Whether `role` may write an event of `kind`. An unknown kind: nobody.
pub fn may_write(role: Role, kind: &str) -> bool {
    let col = ROLES.iter().position(|r| *r == role).unwrap_or(usize::MAX);
    WRITES
        .iter()
        .find(|(k, _)| *k == kind)
        .and_then(|(_, roles)| roles.get(col).copied())
        .unwrap_or(false)
}

/// Whether `role` may do `act`.
pub fn may(role: Role, act: Act) -> bool {
    match act {
        Act::ManageAccounts | Act::ManageSync | Act::ReadAccessLog | Act::ManageBackups => {
            role == Role::Admin
        }
        Act::MakeBackups => matches!(role, Role::Admin | Role::Worker | Role::Host),
        Act::RevealPersonal => matches!(role, Role::Admin | Role::Worker),
        Act::AttachPhotos => matches!(role, Role::Admin | Role::Worker | Role::Host),
    }
}

/// The account signed in at this PC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Session {
    /// The account.
    pub account: Uuid,
    /// Its sign-in name.
    pub login: String,
    /// Its display name (the `author` of its events).
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// An account as the administrator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct Account {
    /// Stable id.
    pub id: Uuid,
    /// Sign-in name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Closed accounts cannot sign in; their steps stay theirs.
    pub active: bool,
    /// Whether this PC holds a password for it (accounts made on another PC of the office
    /// need one set here by an administrator before they can sign in here).
    pub can_sign_in_here: bool,
}

/// A new account, as the administrator's form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct NewAccount {
    /// Sign-in name.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// First password (the owner changes it).
    pub password: String,
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

/// Minutes without a command after which the PC locks itself, unless the office sets another.
pub const DEFAULT_IDLE_MINUTES: u32 = 15;

// Argon2id runs on this thread: what a sign-in costs, counted by the tests that keep it to one.
#[cfg(test)]
thread_local! {
    pub(crate) static ARGON2_RUNS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Argon2id hash of a password in PHC form (salt and parameters included): the only form a
/// password is ever kept in.
pub fn hash_password(password: &str) -> crate::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| crate::Error::invalid("password", crate::Reason::Malformed))
}

/// Whether `password` matches a PHC hash made by [`hash_password`]. A malformed hash never
/// matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    #[cfg(test)]
    ARGON2_RUNS.with(|n| n.set(n.get() + 1));
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventBody;
    use strum::VariantArray;

    #[test]
    fn every_event_kind_has_exactly_one_row() {
        let mut kinds: Vec<&str> = EventBody::kinds().to_vec();
        kinds.sort();
        let mut rows: Vec<&str> = WRITES.iter().map(|(k, _)| *k).collect();
        rows.sort();
        assert_eq!(rows, kinds);
    }

    #[test]
    fn the_devices_own_writes_are_rows_open_to_every_role() {
        for kind in DEVICE_WRITES {
            for role in Role::VARIANTS {
                assert!(may_write(*role, kind), "{kind}");
            }
        }
    }

    #[test]
    fn a_viewer_writes_nothing_but_its_own_sign_ins_and_password() {
        for (kind, _) in WRITES {
            let expected = matches!(*kind, "signed_in" | "signed_out" | "password_set")
                || DEVICE_WRITES.contains(kind);
            assert_eq!(may_write(Role::Viewer, kind), expected, "{kind}");
        }
        for act in Act::VARIANTS {
            assert!(!may(Role::Viewer, *act), "{act:?}");
        }
    }

    #[test]
    fn an_admin_may_write_every_kind_and_nobody_an_unknown_one() {
        for (kind, _) in WRITES {
            assert!(may_write(Role::Admin, kind), "{kind}");
        }
        for role in Role::VARIANTS {
            assert!(!may_write(*role, "case_deleted"));
        }
    }

    #[test]
    fn passwords_are_kept_as_argon2id_and_only_the_right_one_matches() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct hors", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(phc, hash_password("correct horse").unwrap(), "salted");
    }
}
