//! Errors that the UI can act on.
//!
//! Every error carries a [`Code`] so that the window can show a message in the user's
//! language (the UI translates by code and `params`) and branch where it must; the English
//! `message` is for logs and for callers without a translation table. The codes, the reasons
//! and the wire shape are the protocol's ([`jiesu_protocol::error`]); the core adds what its
//! commands and its store can refuse or fail at.

pub use jiesu_protocol::error::{Code, Reason, Refusal, WireError};

/// The error type of the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input, with the field it concerns.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field (form name) that is wrong.
        field: &'static str,
        /// Why.
        reason: Reason,
    },
    /// The state machine refused an action.
    #[error("action '{action}' is not allowed while the case is '{state}'")]
    NotAllowed {
        /// The state the case is in (snake_case, as in [`crate::CaseState`]).
        state: String,
        /// The refused action (snake_case, as in [`crate::Action`]).
        action: String,
    },
    /// An extension after the deadline.
    #[error("an extension must be requested before the deadline ({due})")]
    DeadlinePassed {
        /// The deadline that has passed, RFC 3339.
        due: String,
    },
    /// Something named does not exist.
    #[error("{what} not found: {id}")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its identifier.
        id: String,
    },
    /// An edit of approved minutes.
    #[error("the minutes are approved and locked: '{action}' must be recorded as an amendment")]
    MinutesLocked {
        /// The refused change (the event kind).
        action: String,
    },
    /// Approval by someone other than the facilitator.
    #[error("only the facilitator ({facilitator}) may approve the minutes")]
    NotFacilitator {
        /// The meeting's facilitator.
        facilitator: String,
    },
    /// The event claims what its writer has no authority over (see [`crate::authority`]).
    #[error("no authority: {why}")]
    NoAuthority {
        /// Which rule, in English (the timeline shows it beside the event).
        why: String,
    },
    /// Nobody is signed in, or the session ended after the idle time.
    #[error("sign in first")]
    SignInRequired,
    /// The role may not do this (see [`crate::access`]).
    #[error("a {role} account may not {action}")]
    Forbidden {
        /// The signed-in account's role (snake_case).
        role: String,
        /// The refused event kind or command.
        action: String,
    },
    /// Wrong login or password (deliberately not saying which).
    #[error("wrong login or password")]
    SignInFailed,
    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// File I/O failed.
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    /// A stored payload did not decode; the store is damaged or from a newer version.
    #[error("stored data: {0}")]
    Json(#[from] serde_json::Error),
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: &'static str, reason: Reason) -> Self {
        Error::Invalid { field, reason }
    }

    /// The code a consumer branches on.
    pub fn code(&self) -> Code {
        match self {
            Error::Invalid { .. } => Code::InvalidInput,
            Error::NotAllowed { .. } => Code::ActionNotAllowed,
            Error::DeadlinePassed { .. } => Code::DeadlinePassed,
            Error::NotFound { .. } => Code::NotFound,
            Error::MinutesLocked { .. } => Code::MinutesLocked,
            Error::NotFacilitator { .. } => Code::NotFacilitator,
            Error::NoAuthority { .. } => Code::OutOfScope,
            Error::SignInRequired => Code::SignInRequired,
            Error::Forbidden { .. } => Code::Forbidden,
            Error::SignInFailed => Code::SignInFailed,
            Error::Sqlite(_) | Error::Migration(_) | Error::Io(_) | Error::Json(_) => Code::Storage,
        }
    }

    /// The serialisable form that crosses the IPC and, later, the wire.
    pub fn to_wire(&self) -> WireError {
        let params = match self {
            Error::Invalid { field, reason } => {
                serde_json::json!({ "field": field, "reason": reason })
            }
            Error::NotAllowed { state, action } => {
                serde_json::json!({ "state": state, "action": action })
            }
            Error::DeadlinePassed { due } => serde_json::json!({ "due": due }),
            Error::NotFound { what, id } => serde_json::json!({ "what": what, "id": id }),
            Error::MinutesLocked { action } => serde_json::json!({ "action": action }),
            Error::NotFacilitator { facilitator } => {
                serde_json::json!({ "facilitator": facilitator })
            }
            Error::NoAuthority { why } => serde_json::json!({ "why": why }),
            Error::Forbidden { role, action } => {
                serde_json::json!({ "role": role, "action": action })
            }
            _ => serde_json::json!({}),
        };
        WireError {
            code: self.code(),
            message: self.to_string(),
            params,
        }
    }
}

impl From<Error> for WireError {
    fn from(e: Error) -> Self {
        e.to_wire()
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Invalid { field, reason } => Error::Invalid { field, reason },
            Refusal::NoAuthority { why } => Error::NoAuthority { why },
        }
    }
}
