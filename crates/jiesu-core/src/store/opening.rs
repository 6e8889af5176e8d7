//! What a store's opening is doing, told as it goes, so a window can show it.
//!
//! Most openings take a blink. The first after an upgrade can take minutes at a district's
//! size: a migration copies the log, the case rows are rewritten, cases are folded again, the
//! file is packed (v25 at a million cases: several minutes). A window that shows nothing for
//! that long looks hung, and a secretary who closes it starts the work again at the next
//! start. The store tells an [`Opening`] watcher each step as it begins (and, where the work
//! is counted, how far it is); the shell forwards that to the window.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// The step an opening is at, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
#[serde(rename_all = "snake_case")]
pub enum OpeningStep {
    /// The schema is brought to this version's (`done` of `total` versions applied).
    Migrating,
    /// Case rows rewritten in the current layout (`done` of `total` rows).
    RewritingCases,
    /// Cases and meetings folded again from the log (`total` streams).
    Folding,
    /// Search text, places or the accounts' history rebuilt from what is held.
    Indexing,
    /// The file packed: the space the upgrade freed handed back to the disk.
    Compacting,
    /// A store from before encryption copied into an encrypted file (once, at the first
    /// opening that finds an account in it).
    Encrypting,
}

/// How far an opening is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
#[cfg_attr(feature = "ts", ts(export))]
pub struct OpeningProgress {
    /// The step begun.
    pub step: OpeningStep,
    /// Work of the step done so far (rows, versions).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    /// The step's whole work in the same unit; 0 where it is not counted.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// Who hears an opening's progress; nobody by default. Called on the opening's thread, inside
/// its transactions: it must return at once (forward, don't work).
#[derive(Clone, Default)]
pub struct Opening(Option<Arc<dyn Fn(OpeningProgress) + Send + Sync>>);

impl Opening {
    /// An opening told to `watcher`.
    pub fn watched(watcher: impl Fn(OpeningProgress) + Send + Sync + 'static) -> Opening {
        Opening(Some(Arc::new(watcher)))
    }

    pub(crate) fn tell(&self, step: OpeningStep, done: u64, total: u64) {
        self.pass_on(OpeningProgress { step, done, total });
    }

    /// Tell the watcher `progress` another opening told (a shell keeping the last step).
    pub fn pass_on(&self, progress: OpeningProgress) {
        if let Some(w) = &self.0 {
            w(progress);
        }
    }
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Opening(watched)"
        } else {
            "Opening"
        })
    }
}
