//! Light at rest: once the window has asked nothing for a while, the store gives back what its
//! page caches hold ([`jiesu_core::Store::release_memory`]). A district's store fills them to
//! their bound (96 MiB) with whatever was read last, and an office PC keeps the app open all
//! day beside everything else; the next command reads its pages again from the kernel's cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

/// How long the window must have asked nothing before the store rests: longer than a
/// secretary's pause between two clicks, so no page she is using is given back under her.
pub const QUIET: Duration = Duration::from_secs(10);
/// While the window stays quiet the sync task and the backups still read: the store rests
/// again this often, in case they filled the caches.
pub const AGAIN: Duration = Duration::from_secs(60);
/// How often the resting thread looks.
const POLL: Duration = Duration::from_secs(5);

/// When the window last used the store and when the store last rested, in milliseconds since
/// the app started (0: never).
#[derive(Debug)]
pub struct Rest {
    start: Instant,
    used: AtomicU64,
    rested: AtomicU64,
}

impl Default for Rest {
    fn default() -> Rest {
        Rest {
            start: Instant::now(),
            used: AtomicU64::new(0),
            rested: AtomicU64::new(0),
        }
    }
}

impl Rest {
    fn now_ms(&self) -> u64 {
        // At least 1: 0 means "never".
        (self.start.elapsed().as_millis() as u64).max(1)
    }

    /// A command has just used the store.
    pub fn used(&self) {
        self.used.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Whether the store should rest at `now` (ms since start): quiet for [`QUIET`] and not
    /// rested since the window last asked, or rested [`AGAIN`] ago.
    fn due_at(&self, now: u64) -> bool {
        let used = self.used.load(Ordering::Relaxed);
        let rested = self.rested.load(Ordering::Relaxed);
        let quiet = now.saturating_sub(used) >= QUIET.as_millis() as u64;
        quiet && (rested <= used || now.saturating_sub(rested) >= AGAIN.as_millis() as u64)
    }

    fn rested_at(&self, now: u64) {
        self.rested.store(now, Ordering::Relaxed);
    }
}

/// The store if no one holds it. A command that panicked while holding it left it poisoned;
/// commands go on using it (`commands::open`), so resting does too, or it would stop for good.
fn try_hold<T>(store: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match store.try_lock() {
        Ok(held) => Some(held),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// The thread that rests `store` whenever `rest` says so. A store busy with a long command (a
/// first sync, an import) is not waited for: it is asked again at the next look.
pub fn spawn(store: Arc<Mutex<jiesu_core::Store>>, rest: Arc<Rest>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(POLL);
            let now = rest.now_ms();
            if !rest.due_at(now) {
                continue;
            }
            let Some(held) = try_hold(&store) else {
                continue;
            };
            if let Err(e) = held.release_memory() {
                eprintln!(
                    "jiesu: releasing the store's caches: {}",
                    e.to_wire().message
                );
            }
            drop(held);
            rest.rested_at(now);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1000;

    #[test]
    fn the_store_rests_once_the_window_is_quiet_and_again_a_minute_later() {
        let rest = Rest::default();
        rest.used.store(100 * S, Ordering::Relaxed);
        assert!(
            !rest.due_at(105 * S),
            "five seconds after a click is not quiet yet"
        );
        assert!(rest.due_at(110 * S), "ten seconds after it is");
        rest.rested_at(110 * S);
        assert!(!rest.due_at(115 * S), "rested once, not at every look");
        assert!(!rest.due_at(169 * S));
        assert!(
            rest.due_at(170 * S),
            "a minute later again: the sync task reads too"
        );
    }

    #[test]
    fn a_command_after_a_rest_makes_the_next_quiet_rest_again() {
        let rest = Rest::default();
        rest.used.store(100 * S, Ordering::Relaxed);
        rest.rested_at(110 * S);
        rest.used.store(120 * S, Ordering::Relaxed);
        assert!(!rest.due_at(125 * S), "the window is in use");
        assert!(
            rest.due_at(130 * S),
            "quiet again after the new command: rest again"
        );
    }

    #[test]
    fn a_window_that_never_asked_rests_once_it_has_been_open_a_while() {
        let rest = Rest::default();
        assert!(!rest.due_at(5 * S));
        assert!(rest.due_at(10 * S));
    }

    #[test]
    fn a_store_poisoned_by_a_panicking_command_still_rests() {
        let store = Arc::new(Mutex::new(0u32));
        let poisoner = Arc::clone(&store);
        let _ = std::thread::spawn(move || {
            let _held = poisoner.lock().unwrap();
            panic!("a command panicked while holding the store");
        })
        .join();
        assert!(store.is_poisoned());
        assert!(try_hold(&store).is_some());
    }

    #[test]
    fn a_store_in_use_is_not_waited_for() {
        let store = Mutex::new(0u32);
        let _held = store.lock().unwrap();
        assert!(try_hold(&store).is_none());
    }
}
