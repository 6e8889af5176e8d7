//! A page of an office's feed, made alike by both backends: they read rows in position order
//! after the cursor, at most `limit + 1` of them (the extra row only says there is more), and
//! hand each to [`Page::offer`]; when there is more, the page says what `remaining` needs —
//! nothing, or an exact count after the page's last position — once the office's newest
//! position (its head) is known. The backends run the queries; the decisions are here.

use jiesu_protocol::wire::{Pulled, RawPullResponse};
use serde_json::value::RawValue;

use super::{Result, StorageError};

/// Feed positions within which a pull counts its `remaining` exactly; further from the
/// office's newest entry it estimates.
///
/// Counting every entry after the cursor made each page of a first sync cost as much as the
/// rest of the feed (a 727k-event office spent ten seconds counting), and even a count
/// bounded to 20,000 entries on every page was a large share of serving one from PostgreSQL.
/// The progress bar only needs a rough figure far from the end, and the bulk decision only
/// "more than 10,000"; the last pages, where the bar's end is judged, are exact.
pub const COUNT_EXACTLY: i64 = 20_000;

/// A page being read.
#[derive(Debug)]
pub struct Page {
    limit: usize,
    events: Vec<Pulled<Box<RawValue>>>,
    keys: std::collections::BTreeMap<String, String>,
    first: i64,
    next: i64,
    more: bool,
}

/// What `remaining` takes once the head is known.
#[derive(Debug, PartialEq, Eq)]
pub enum Remaining {
    /// Known without another query.
    Known(i64),
    /// Count the office's entries after this position.
    CountAfter(i64),
}

impl Page {
    /// An empty page after feed position `after`, of at most `limit` events.
    pub fn new(after: i64, limit: u32) -> Page {
        Page {
            limit: limit as usize,
            events: Vec::new(),
            keys: Default::default(),
            first: after,
            next: after,
            more: false,
        }
    }

    /// How many rows to read: one more than the page holds.
    pub fn rows_to_read(limit: u32) -> i64 {
        i64::from(limit) + 1
    }

    /// Offer the next row (feed position, event seq, receipt time, stored JSON); false once
    /// the page is full, when the row only says there is more and reading can stop.
    /// `key`: the event's device and its registered public key, if it has one (the page
    /// carries each such key once, for the app to verify the signatures).
    pub fn offer(
        &mut self,
        pos: i64,
        seq: i64,
        received_ms: i64,
        body: String,
        key: (String, Option<String>),
    ) -> Result<bool> {
        if self.events.len() == self.limit {
            self.more = true;
            return Ok(false);
        }
        let event =
            RawValue::from_string(body).map_err(|e| StorageError::Backend(e.to_string()))?;
        if let (device, Some(k)) = key {
            self.keys.entry(device).or_insert(k);
        }
        self.events.push(Pulled {
            event,
            seq,
            received_ms,
        });
        if self.events.len() == 1 {
            self.first = pos;
        }
        self.next = pos;
        Ok(true)
    }

    /// Whether `remaining` needs the office's head: only when there is more.
    pub fn needs_head(&self) -> bool {
        self.more
    }

    /// What `remaining` takes, the office's newest position being `head`.
    pub fn remaining(&self, head: i64) -> Remaining {
        if !self.more {
            Remaining::Known(0)
        } else if head - self.next <= COUNT_EXACTLY {
            Remaining::CountAfter(self.next)
        } else {
            Remaining::Known(estimate_remaining(
                self.events.len(),
                self.first,
                self.next,
                head,
            ))
        }
    }

    /// The answer, with `remaining` as found and the server's time.
    pub fn finish(self, remaining: i64, server_time: i64) -> RawPullResponse {
        RawPullResponse {
            events: self.events,
            next: self.next,
            more: self.more,
            remaining,
            server_time,
            keys: self.keys,
        }
    }
}

/// `remaining` far from the end: a page of `events` entries covered feed positions
/// `first..=next`, and the office's newest entry is at `head`. The rest of the feed is assumed
/// to hold the office's entries as densely as the page did (an office's share of the feed
/// changes slowly: a street's is its communities' share of the district's work).
pub fn estimate_remaining(events: usize, first: i64, next: i64, head: i64) -> i64 {
    if head <= next {
        return 0;
    }
    let span = (next - first + 1).max(1);
    let density = (events as f64 / span as f64).min(1.0);
    ((head - next) as f64 * density).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_far_from_the_end_scales_by_the_pages_density() {
        // The office holds every position: exact.
        assert_eq!(estimate_remaining(2000, 1, 2000, 50_000), 48_000);
        // Every third position is the office's (a street among its communities).
        assert_eq!(estimate_remaining(2000, 1, 6000, 66_000), 20_000);
        // Nothing after the page.
        assert_eq!(estimate_remaining(2000, 1, 6000, 6000), 0);
        // A page of one entry: no more than one entry per position.
        assert_eq!(estimate_remaining(1, 9, 9, 30_009), 30_000);
    }

    fn read(page: &mut Page, positions: impl IntoIterator<Item = i64>) {
        for pos in positions {
            if !page
                .offer(pos, pos * 10, 7, "{}".into(), ("pc".into(), None))
                .expect("JSON")
            {
                break;
            }
        }
    }

    #[test]
    fn a_page_holds_limit_rows_and_the_extra_one_says_more() {
        let mut page = Page::new(4, 2);
        read(&mut page, [6, 9, 12]);
        assert!(page.needs_head());
        assert_eq!(page.remaining(30), Remaining::CountAfter(9));
        let r = page.finish(21, 99);
        assert_eq!(
            (r.events.len(), r.next, r.more, r.remaining),
            (2, 9, true, 21)
        );
        assert_eq!(r.events[1].seq, 90);
    }

    #[test]
    fn the_last_page_needs_no_count_and_an_empty_one_keeps_the_cursor() {
        let mut page = Page::new(4, 5);
        read(&mut page, [6, 9]);
        assert!(!page.needs_head());
        assert_eq!(page.remaining(9), Remaining::Known(0));
        let empty = Page::new(4, 5).finish(0, 99);
        assert_eq!((empty.next, empty.more), (4, false));
    }

    #[test]
    fn far_from_the_head_remaining_is_estimated_from_the_pages_density() {
        let mut page = Page::new(0, 2);
        read(&mut page, [1, 3, 5]);
        // Positions 1..=3 held 2 of 3 entries: 2/3 of the 60,000 positions after 3.
        assert_eq!(page.remaining(60_003), Remaining::Known(40_000));
    }

    #[test]
    fn a_stored_body_that_is_not_json_is_an_error_not_a_panic() {
        let mut page = Page::new(0, 2);
        assert!(
            page.offer(1, 1, 1, "{".into(), ("pc".into(), None))
                .is_err()
        );
    }
}
