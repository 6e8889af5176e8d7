//! Error codes and refusals: what crosses the IPC and the wire, and why an event is refused.
//!
//! Every error carries a [`Code`] so that the window can show a message in the user's
//! language (the UI translates by code and `params`) and branch where it must; the English
//! `message` is for logs and for callers without a translation table. [`Refusal`] is what the
//! format's own checks ([`crate::validate`], [`crate::authority`]) answer; the core's wider
//! error converts from it, and the server maps it to HTTP.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// What went wrong, as a consumer needs to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Code {
    /// The input is malformed or incomplete; nothing was written.
    InvalidInput,
    /// The workflow does not allow this action in the case's current state.
    ActionNotAllowed,
    /// An extension was asked for after the deadline had passed.
    DeadlinePassed,
    /// The case, unit or attachment does not exist.
    NotFound,
    /// The database or the file system failed.
    Storage,
    /// Sync: no credential, a wrong or revoked one, or a wrong or used enrolment code.
    Unauthorized,
    /// Sync: the request names data outside the caller's office; nothing was written.
    OutOfScope,
    /// Sync: the request is larger than the server accepts.
    TooLarge,
    /// Sync: the server could not be reached.
    Offline,
    /// Sync: the server failed; try again later.
    Server,
    /// The meeting's minutes are approved and locked: record an amendment instead.
    MinutesLocked,
    /// Only the meeting's facilitator may approve its minutes.
    NotFacilitator,
    /// Sync: too many failed attempts from this address (enrolment codes); try again later.
    /// `params`: `retry_after_s`.
    TooManyAttempts,
    /// Sync: events stamped later than the server's clock allows: this PC's clock is ahead.
    /// `params`: `ahead_ms` (how far the latest is ahead of the server), `server_time`.
    ClockAhead,
    /// Nobody is signed in (or the PC locked itself after the idle time): sign in first.
    SignInRequired,
    /// The signed-in account's role may not do this; nothing was written.
    /// `params`: `role`, `action` (an event kind or a command).
    Forbidden,
    /// Sign-in failed: the login or the password is wrong (which one is not said).
    SignInFailed,
}

/// Why an event (or a form about to become one) is refused by the format's checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Bad input, with the field it concerns.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field (form name) that is wrong.
        field: &'static str,
        /// Why.
        reason: Reason,
    },
    /// The event claims what its writer has no authority over (see [`crate::authority`]).
    #[error("no authority: {why}")]
    NoAuthority {
        /// Which rule, in English (the timeline shows it beside the event).
        why: String,
    },
}

impl Refusal {
    /// Shorthand for [`Refusal::Invalid`].
    pub fn invalid(field: &'static str, reason: Reason) -> Self {
        Refusal::Invalid { field, reason }
    }

    /// The code a consumer branches on.
    pub fn code(&self) -> Code {
        match self {
            Refusal::Invalid { .. } => Code::InvalidInput,
            Refusal::NoAuthority { .. } => Code::OutOfScope,
        }
    }

    /// The serialisable form, with the field and reason or the rule in `params`.
    pub fn to_wire(&self) -> WireError {
        let params = match self {
            Refusal::Invalid { field, reason } => {
                serde_json::json!({ "field": field, "reason": reason })
            }
            Refusal::NoAuthority { why } => serde_json::json!({ "why": why }),
        };
        WireError {
            code: self.code(),
            message: self.to_string(),
            params,
        }
    }
}

/// The format checks' result type.
pub type Result<T, E = Refusal> = std::result::Result<T, E>;

/// Why an input was refused; the UI translates it (`reasons.*`), English is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(TS))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(export))]
pub enum Reason {
    /// Must be filled in.
    #[error("required")]
    Required,
    /// Longer than the field allows.
    #[error("too long")]
    TooLong,
    /// More of them than a record keeps (a work order's columns beyond 64).
    #[error("too many")]
    TooMany,
    /// Must be 1 to 100 characters.
    #[error("must be 1 to 100 characters")]
    Length,
    /// Digits only (phone numbers).
    #[error("digits only")]
    DigitsOnly,
    /// A phone number has 5 to 20 digits.
    #[error("5 to 20 digits")]
    PhoneLength,
    /// Not one of the values offered (e.g. an unknown category).
    #[error("not one of the values offered")]
    Unknown,
    /// A transfer to the unit that already has the case.
    #[error("the case is already with this unit")]
    SameUnit,
    /// An extension to a deadline that is not later than the current one.
    #[error("must be later than the current deadline")]
    NotLater,
    /// A case linked to itself.
    #[error("a case cannot be linked to itself")]
    SelfLink,
    /// The link exists.
    #[error("already linked")]
    AlreadyLinked,
    /// The name is taken.
    #[error("already exists")]
    Duplicate,
    /// Not a `YYYY-MM-DD` date.
    #[error("expected a YYYY-MM-DD date")]
    BadDate,
    /// A file of 0 bytes or over 20 MiB.
    #[error("must be 1 byte to 20 MiB")]
    FileSize,
    /// Not in the expected form (ids, hashes, request bodies).
    #[error("malformed")]
    Malformed,
    /// The store keeps no files (in-memory test stores).
    #[error("this store keeps no files")]
    NoFiles,
    /// Only allowed on an empty store.
    #[error("the store already has cases")]
    NotEmpty,
    /// The store holds the generated sample community, which must not reach a server.
    #[error("the store holds the sample community")]
    SampleData,
    /// A transfer to the office that already holds the case.
    #[error("the case is already with this office")]
    SameOffice,
    /// The device is enrolled already.
    #[error("already enrolled")]
    AlreadyEnrolled,
    /// The device is not enrolled.
    #[error("not enrolled")]
    NotEnrolled,
    /// The server still holds this device as enrolled (unenrolled offline, or never
    /// revoked): it must be revoked before it enrols again.
    #[error("this device is still enrolled on the server; unenrol it or have it revoked first")]
    DeviceEnrolled,
    /// Not an http:// or https:// address.
    #[error("expected an http:// or https:// address")]
    BadUrl,
    /// A date before today where a future one is needed (a promise's date).
    #[error("must be today or later")]
    DateInPast,
    /// The three 三率 weights must add up to 1.
    #[error("the three weights must add up to 1")]
    WeightsSum,
    /// An instant no clock can read (before 2000 or from 2100 on): a PC clock never set,
    /// or a forged one.
    #[error("outside the years 2000 to 2099")]
    OutOfRange,
    /// A commitment letter promising later than the case's deadline: an approved extension
    /// moves the deadline first.
    #[error("later than the case's deadline: extend the deadline first")]
    AfterDeadline,
    /// The change would leave the office without an administrator.
    #[error("the office's last administrator cannot be removed or demoted")]
    LastAdmin,
    /// A password shorter than 8 characters.
    #[error("at least 8 characters")]
    PasswordTooShort,
    /// A meeting of another kind (a visitor capture outside a reception day).
    #[error("not possible for this kind of meeting")]
    WrongMeetingKind,
    /// A signature that does not match its event or its device's key (`crate::seal`).
    #[error("the signature does not match the event or its device's key")]
    SealBroken,
    /// This PC was restored from a backup: it syncs once before it writes again.
    #[error("restored from a backup: sync once before writing")]
    SyncFirst,
    /// A device's registered public key cannot be replaced.
    #[error("the device's key differs from the one registered")]
    KeyChanged,
    /// A key, recovery key or password that does not open the encrypted store (or a file
    /// that is not a store).
    #[error("does not open this store")]
    WrongKey,
    /// A file that is no work-order export: no header row naming a work order's number or
    /// content among its first rows.
    #[error("not a work-order export")]
    NotWorkOrders,
    /// A cell that is no date and time an export writes.
    #[error("expected a date and time")]
    BadTime,
    /// A file too large to import.
    #[error("larger than 256 MiB")]
    FileTooLarge,
    /// A spreadsheet format not read (.xls, .ods): saved as .xlsx or CSV, it is.
    #[error("save it as .xlsx or CSV")]
    UnsupportedFormat,
    /// Stopped by the user; nothing was written.
    #[error("cancelled: nothing was written")]
    Cancelled,
    /// A change that changes nothing.
    #[error("nothing changed")]
    Unchanged,
    /// A campaign closed by its opener (结束整改): opened again, it takes sites and changes.
    #[error("closed: open it again first")]
    Closed,
}

/// `{code, message, params}`: the one error shape outside the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct WireError {
    /// What went wrong.
    pub code: Code,
    /// English text for logs; the UI translates `code` with `params` instead.
    pub message: String,
    /// Values the translated message needs (state and action, field, id).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    #[serde(default)]
    pub params: serde_json::Value,
}

impl WireError {
    /// An error with no params.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
            params: serde_json::json!({}),
        }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for WireError {}

impl From<Refusal> for WireError {
    fn from(r: Refusal) -> Self {
        r.to_wire()
    }
}
