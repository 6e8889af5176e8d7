//! Failed attempts counted per key (a client address, a case number) in a fixed window: after
//! `limit` failures the key is refused until the window that began with its first failure has
//! passed. Enrolment codes and the public lookup page use it, so nobody tries secrets by the
//! million. The table forgets keys whose window has passed once it grows past
//! [`FORGET_ABOVE`], so a flood of distinct keys costs memory only for one window.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Entries kept before expired ones are swept.
pub const FORGET_ABOVE: usize = 10_000;

/// Failures per key.
pub struct Failures<K> {
    limit: u32,
    window_ms: i64,
    table: Mutex<HashMap<K, (i64, u32)>>,
}

impl<K: Hash + Eq> Failures<K> {
    /// `limit` failures per `window_ms`.
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Failures {
            limit,
            window_ms,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds `key` must wait, if it failed too often.
    pub fn locked(&self, key: &K, now: i64) -> Option<i64> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        match table.get(key) {
            Some((since, n)) if *n >= self.limit && now - since < self.window_ms => {
                Some((self.window_ms - (now - since) + 999) / 1000)
            }
            _ => None,
        }
    }

    /// Count a failure of `key`.
    pub fn failed(&self, key: K, now: i64) {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if table.len() > FORGET_ABOVE {
            let window = self.window_ms;
            table.retain(|_, (since, _)| now - *since < window);
        }
        let entry = table.entry(key).or_insert((now, 0));
        if now - entry.0 >= self.window_ms {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Keys held now (tests, and the memory bound).
    pub fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_after_its_limit_until_its_window_passes() {
        let f = Failures::new(3, 60_000);
        for i in 0..3 {
            assert_eq!(f.locked(&"a", i), None);
            f.failed("a", i);
        }
        assert_eq!(f.locked(&"a", 10_000), Some(50));
        assert_eq!(f.locked(&"b", 10_000), None, "other keys are free");
        assert_eq!(f.locked(&"a", 60_000), None, "the window passed");
        f.failed("a", 60_000);
        assert_eq!(f.locked(&"a", 60_001), None, "a new window began");
    }

    #[test]
    fn a_flood_of_distinct_keys_is_forgotten_after_its_window() {
        let f = Failures::new(3, 1_000);
        for k in 0..(FORGET_ABOVE as u32 + 10) {
            f.failed(k, 0);
        }
        f.failed(u32::MAX, 5_000);
        assert!(f.len() <= 2, "{}", f.len());
    }
}
