//! What the problems' statistics count the same way: requests per name (a server, a
//! precision, a tier) and a count as a share of another.

use std::collections::BTreeMap;

/// Adds one to the count of `key`, copying the key only the first time.
pub fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// `n / of`, or `None` when `of` is 0.
pub fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

/// The position of `name` among `names`, or the last position when it is none of them.
pub fn position(names: &[&str], name: &str) -> usize {
    names
        .iter()
        .position(|n| *n == name)
        .unwrap_or(names.len() - 1)
}

/// `counts` by the names in `names` (in the same order).
pub fn named(names: &[&str], counts: &[u64]) -> BTreeMap<String, u64> {
    names
        .iter()
        .zip(counts)
        .map(|(name, &n)| (name.to_string(), n))
        .collect()
}
