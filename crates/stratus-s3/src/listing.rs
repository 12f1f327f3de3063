//! One page of a listing: keys and rolled-up common prefixes in
//! lexicographic (UTF-8 byte) order, as S3 returns them.

use std::collections::BTreeMap;
use std::ops::Bound;

pub struct Page<'a, V> {
    pub items: Vec<Item<'a, V>>,
    pub truncated: bool,
}

pub enum Item<'a, V> {
    Key(&'a str, &'a V),
    Prefix(String),
}

impl<V> Item<'_, V> {
    pub fn name(&self) -> &str {
        match self {
            Item::Key(k, _) => k,
            Item::Prefix(p) => p,
        }
    }
}

/// Keys under `prefix` strictly after `after`, rolled up at `delimiter`.
pub fn page<'a, V>(
    map: &'a BTreeMap<String, V>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max: usize,
) -> Page<'a, V> {
    let mut items: Vec<Item<'a, V>> = Vec::new();
    let mut truncated = false;
    if max == 0 {
        return Page { items, truncated };
    }
    let start = match after {
        Some(a) if a >= prefix => Bound::Excluded(a.to_string()),
        _ => Bound::Included(prefix.to_string()),
    };
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut last_prefix: Option<String> = None;
    for (k, v) in map.range((start, Bound::Unbounded)) {
        if !k.starts_with(prefix) {
            break;
        }
        if let Some(d) = delimiter {
            if let Some(i) = k[prefix.len()..].find(d) {
                let cp = &k[..prefix.len() + i + d.len()];
                if last_prefix.as_deref() == Some(cp) || after.is_some_and(|a| cp <= a) {
                    continue;
                }
                if items.len() == max {
                    truncated = true;
                    break;
                }
                last_prefix = Some(cp.to_string());
                items.push(Item::Prefix(cp.to_string()));
                continue;
            }
        }
        if items.len() == max {
            truncated = true;
            break;
        }
        items.push(Item::Key(k, v));
    }
    Page { items, truncated }
}

/// S3's `encoding-type=url`: everything but unreserved characters and `/`.
pub fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(keys: &[&str]) -> BTreeMap<String, ()> {
        keys.iter().map(|k| (k.to_string(), ())).collect()
    }

    fn names(p: &Page<'_, ()>) -> Vec<String> {
        p.items.iter().map(|i| i.name().to_string()).collect()
    }

    #[test]
    fn order_and_prefix() {
        let m = map(&["b", "a/2", "a/1", "c", "B", "é"]);
        let p = page(&m, "", None, None, 100);
        assert_eq!(names(&p), ["B", "a/1", "a/2", "b", "c", "é"]);
        let p = page(&m, "a/", None, None, 100);
        assert_eq!(names(&p), ["a/1", "a/2"]);
    }

    #[test]
    fn delimiter_rolls_up_and_pages() {
        let m = map(&["a/1", "a/2", "b/1", "c", "d/x/y"]);
        let p = page(&m, "", Some("/"), None, 2);
        assert_eq!(names(&p), ["a/", "b/"]);
        assert!(p.truncated);
        let p = page(&m, "", Some("/"), Some("b/"), 2);
        assert_eq!(names(&p), ["c", "d/"]);
        assert!(!p.truncated);
    }

    #[test]
    fn start_after_and_max() {
        let m = map(&["k1", "k2", "k3"]);
        let p = page(&m, "", None, Some("k1"), 1);
        assert_eq!(names(&p), ["k2"]);
        assert!(p.truncated);
        let p = page(&m, "", None, None, 0);
        assert!(p.items.is_empty() && !p.truncated);
        let p = page(&m, "k", None, Some("a"), 10);
        assert_eq!(names(&p).len(), 3);
    }

    #[test]
    fn encoding() {
        assert_eq!(url_encode("a b/c+d~é"), "a%20b/c%2Bd~%C3%A9");
    }
}
