//! # jiesu-protocol
//!
//! What Jiesu stores and sends, and what it may say: the one part of the project that can
//! never be fixed after the fact, because the log is immutable and synced between offices for
//! years. The server and the sync client build on this crate alone for the format; the domain
//! (`jiesu-core`: forms, folds, figures, the store, exports) builds on it too, so a form field,
//! a fold rule or a figure can change without touching a stored byte, and a change here is
//! visible as a change to this crate.
//!
//! - [`event`]: [`Event`], its payloads and the ordering rule that makes replicas converge.
//! - [`hlc`]: the hybrid logical clock that stamps events, and the clocks it reads.
//! - [`wire`]: the sync protocol's messages, shared by the server and the app.
//! - [`model`]: the value types events and views carry (channels, addresses, states).
//! - [`error`]: the codes every error crosses the IPC and the wire with, and [`Refusal`].
//! - [`validate`]: what an event may say, checked by commands, the server and the fold.
//! - [`authority`]: who may write what and where it counts (config up and down the office
//!   line, assignments, transfers), used by the server and the fold.
//! - [`catalog`]: the category tree events name.
//! - [`time`]: China Standard Time, in which every stored date is a civil date.
//! - [`seal`]: each device's signature on its events and their hash chain per stream.
//! - [`private`]: data folders and files readable by their owner only.
//! - [`public`]: what a resident may see of their case (the lookup page's one rule).

pub mod authority;
pub mod calendar;
pub mod catalog;
pub mod deadline;
pub mod error;
pub mod event;
pub mod hlc;
pub mod model;
pub mod private;
pub mod public;
pub mod seal;
pub mod time;
pub mod validate;
pub mod wire;

pub use error::{Code, Reason, Refusal, WireError};
pub use event::{Aggregate, Event, EventBody};
pub use hlc::Hlc;
