//! Paging: GetLogEvents' forward and backward tokens (`f/…/s`, `b/…/s`),
//! FilterLogEvents' event cursor, and offsets for the Describe lists.
//!
//! Event tokens name a position between events by the (timestamp, sequence)
//! key of an event, so they stay valid while events arrive or expire.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::errors::bad_token;
use crate::state::Event;
use stratus_core::AwsError;

pub type Key = (i64, u64);

fn key_number(k: Key) -> u128 {
    ((k.0.max(0) as u128) << 64) | u128::from(k.1)
}

fn number_key(n: u128) -> Key {
    ((n >> 64) as i64, n as u64)
}

/// An event's id as FilterLogEvents shows it: 56 digits, like AWS's.
pub fn event_id(k: Key) -> String {
    format!("{:056}", key_number(k))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cursor {
    /// Events at or after the key.
    Forward(Key),
    /// Events before the key.
    Backward(Key),
}

pub fn format_cursor(c: Cursor) -> String {
    match c {
        Cursor::Forward(k) => format!("f/{:056}/s", key_number(k)),
        Cursor::Backward(k) => format!("b/{:056}/s", key_number(k)),
    }
}

pub fn parse_cursor(token: &str) -> Result<Cursor, AwsError> {
    let (dir, rest) = token.split_at_checked(2).ok_or_else(bad_token)?;
    let digits = rest.strip_suffix("/s").unwrap_or(rest);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_token());
    }
    let n: u128 = digits.parse().map_err(|_| bad_token())?;
    match dir {
        "f/" => Ok(Cursor::Forward(number_key(n))),
        "b/" => Ok(Cursor::Backward(number_key(n))),
        _ => Err(bad_token()),
    }
}

/// What GetLogEvents answers from events already cut to its time window.
#[derive(Debug, PartialEq)]
pub struct Page {
    pub range: std::ops::Range<usize>,
    pub forward: Cursor,
    pub backward: Cursor,
}

/// Picks a page of `events` (ordered by key). Without a token the page is
/// the newest `limit` events, or the oldest with `from_head`. At either end
/// the token passed in comes back unchanged, which is how callers know they
/// have read everything.
pub fn page(events: &[Event], limit: usize, token: Option<Cursor>, from_head: bool) -> Page {
    let n = events.len();
    let start_key = |i: usize| events.get(i).map(Event::key);
    let after = |k: Key| (k.0, k.1 + 1);
    let (lo, hi) = match token {
        None if from_head => (0, limit.min(n)),
        None => (n.saturating_sub(limit), n),
        Some(Cursor::Forward(k)) => {
            let lo = events.partition_point(|e| e.key() < k);
            (lo, (lo + limit).min(n))
        }
        Some(Cursor::Backward(k)) => {
            let hi = events.partition_point(|e| e.key() < k);
            (hi.saturating_sub(limit), hi)
        }
    };
    // A response carries at most a mebibyte of messages: forward pages
    // keep their first events, backward ones their last.
    let forward = from_head && token.is_none() || matches!(token, Some(Cursor::Forward(_)));
    let (lo, hi) = cap_bytes(events, lo, hi, forward);
    if lo == hi {
        let here = match token {
            Some(t) => t,
            None => Cursor::Forward(start_key(lo).unwrap_or((0, 0))),
        };
        let k = match here {
            Cursor::Forward(k) | Cursor::Backward(k) => k,
        };
        let (forward, backward) = match here {
            Cursor::Forward(_) => (here, Cursor::Backward(k)),
            Cursor::Backward(_) => (Cursor::Forward(k), here),
        };
        return Page {
            range: lo..hi,
            forward,
            backward,
        };
    }
    Page {
        range: lo..hi,
        forward: Cursor::Forward(after(events[hi - 1].key())),
        backward: Cursor::Backward(events[lo].key()),
    }
}

pub const MAX_RESPONSE_BYTES: usize = 1_048_576;

fn cap_bytes(events: &[Event], lo: usize, hi: usize, forward: bool) -> (usize, usize) {
    let mut total = 0;
    if forward {
        for i in lo..hi {
            total += events[i].message.len();
            if total > MAX_RESPONSE_BYTES && i > lo {
                return (lo, i);
            }
        }
    } else {
        for i in (lo..hi).rev() {
            total += events[i].message.len();
            if total > MAX_RESPONSE_BYTES && i + 1 < hi {
                return (i + 1, hi);
            }
        }
    }
    (lo, hi)
}

/// FilterLogEvents' token: the key of the last event returned.
pub fn filter_token(k: Key) -> String {
    URL_SAFE_NO_PAD.encode(format!("ev:{}:{}", k.0, k.1))
}

pub fn parse_filter_token(t: &str) -> Result<Key, AwsError> {
    let raw = URL_SAFE_NO_PAD.decode(t).map_err(|_| bad_token())?;
    let s = String::from_utf8(raw).map_err(|_| bad_token())?;
    let rest = s.strip_prefix("ev:").ok_or_else(bad_token)?;
    let (a, b) = rest.split_once(':').ok_or_else(bad_token)?;
    Ok((
        a.parse().map_err(|_| bad_token())?,
        b.parse().map_err(|_| bad_token())?,
    ))
}

/// A list token: the offset of the next item, bound to the list's kind.
pub fn offset_token(kind: &str, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{offset}"))
}

pub fn parse_offset_token(kind: &str, t: Option<&str>) -> Result<usize, AwsError> {
    let Some(t) = t else { return Ok(0) };
    let raw = URL_SAFE_NO_PAD.decode(t).map_err(|_| bad_token())?;
    let s = String::from_utf8(raw).map_err(|_| bad_token())?;
    let n = s
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(bad_token)?;
    n.parse().map_err(|_| bad_token())
}

/// One page of a list and the token for the next, if any.
pub fn slice<T: Clone>(
    items: &[T],
    kind: &str,
    token: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = parse_offset_token(kind, token)?;
    let end = (start + limit).min(items.len());
    let page = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
    let next = (end < items.len()).then(|| offset_token(kind, end));
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evs(n: usize) -> Vec<Event> {
        (0..n)
            .map(|i| Event {
                timestamp: 1_700_000_000_000 + i as i64,
                seq: i as u64,
                ingested: 0,
                message: format!("m{i}"),
                chunk: 0,
            })
            .collect()
    }

    #[test]
    fn tokens_round_trip_and_look_like_aws() {
        let c = Cursor::Forward((1_700_000_000_123, 42));
        let t = format_cursor(c);
        assert!(t.starts_with("f/") && t.ends_with("/s"));
        assert_eq!(t.len(), 2 + 56 + 2);
        assert_eq!(parse_cursor(&t).unwrap(), c);
        let b = Cursor::Backward((5, 6));
        assert_eq!(parse_cursor(&format_cursor(b)).unwrap(), b);
        for bad in ["", "x/123/s", "f/", "f/abc/s", "invalid-token"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_page_is_the_newest_events() {
        let e = evs(25);
        let p = page(&e, 10, None, false);
        assert_eq!(p.range, 15..25);
        let p2 = page(&e, 10, Some(p.backward), false);
        assert_eq!(p2.range, 5..15);
        let p3 = page(&e, 10, Some(p2.backward), false);
        assert_eq!(p3.range, 0..5);
        let p4 = page(&e, 10, Some(p3.backward), false);
        assert_eq!(p4.range, 0..0);
        assert_eq!(p4.backward, p3.backward, "the same token at the start");
    }

    #[test]
    fn forward_paging_from_head_repeats_the_token_at_the_end() {
        let e = evs(25);
        let p = page(&e, 10, None, true);
        assert_eq!(p.range, 0..10);
        let p2 = page(&e, 10, Some(p.forward), true);
        assert_eq!(p2.range, 10..20);
        let p3 = page(&e, 10, Some(p2.forward), true);
        assert_eq!(p3.range, 20..25);
        let p4 = page(&e, 10, Some(p3.forward), true);
        assert!(p4.range.is_empty());
        assert_eq!(p4.forward, p3.forward);
        // New events show up behind the end token.
        let mut more = e.clone();
        more.extend((25..27).map(|i| Event {
            timestamp: 1_700_000_000_000 + i,
            seq: i as u64,
            ..Default::default()
        }));
        let p5 = page(&more, 10, Some(p4.forward), true);
        assert_eq!(p5.range, 25..27);
    }

    #[test]
    fn backward_token_of_a_forward_page_goes_back() {
        let e = evs(30);
        let p = page(&e, 10, None, true);
        let p2 = page(&e, 10, Some(p.forward), true);
        assert_eq!(p2.range, 10..20);
        let back = page(&e, 10, Some(p2.backward), true);
        assert_eq!(back.range, 0..10);
    }

    #[test]
    fn pages_hold_at_most_a_mebibyte() {
        let big: Vec<Event> = (0..5)
            .map(|i| Event {
                timestamp: i,
                seq: i as u64,
                message: "x".repeat(400_000),
                ..Default::default()
            })
            .collect();
        let head = page(&big, 100, None, true);
        assert_eq!(head.range, 0..2);
        let next = page(&big, 100, Some(head.forward), true);
        assert_eq!(next.range, 2..4);
        let tail = page(&big, 100, None, false);
        assert_eq!(tail.range, 3..5);
        let back = page(&big, 100, Some(tail.backward), false);
        assert_eq!(back.range, 1..3);
    }

    #[test]
    fn empty_stream_tokens() {
        let p = page(&[], 10, None, false);
        assert!(p.range.is_empty());
        let again = page(&[], 10, Some(p.forward), false);
        assert_eq!(again.forward, p.forward);
    }

    #[test]
    fn list_offsets() {
        let items: Vec<u32> = (0..7).collect();
        let (a, t) = slice(&items, "g", None, 3).unwrap();
        assert_eq!(a, vec![0, 1, 2]);
        let (b, t) = slice(&items, "g", t.as_deref(), 3).unwrap();
        assert_eq!(b, vec![3, 4, 5]);
        let (c, t) = slice(&items, "g", t.as_deref(), 3).unwrap();
        assert_eq!(c, vec![6]);
        assert!(t.is_none());
        assert!(slice(&items, "s", Some(&offset_token("g", 1)), 3).is_err());
        assert!(slice(&items, "g", Some("%%%"), 3).is_err());
        let k = (1_700_000_000_000, 9);
        assert_eq!(parse_filter_token(&filter_token(k)).unwrap(), k);
    }
}
