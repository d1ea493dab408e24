//! Tables whose keys become names (radios, per-server storage): a key written twice is an
//! error, in JSON as in TOML (where the parser refuses it already), rather than the last one
//! silently winning.

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Deserializes a table into a map, refusing a key given twice (`#[serde(deserialize_with)]`).
pub(crate) fn map<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_map(UniqueKeys(PhantomData))
}

struct UniqueKeys<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for UniqueKeys<T> {
    type Value = BTreeMap<String, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("`{key}` is defined twice")));
            }
            let value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "super::map")]
        table: BTreeMap<String, u32>,
    }

    #[test]
    fn a_key_given_twice_is_refused() {
        let ok: Holder = serde_json::from_str(r#"{"table": {"a": 1, "b": 2}}"#).unwrap();
        assert_eq!(ok.table.len(), 2);
        let e = serde_json::from_str::<Holder>(r#"{"table": {"a": 1, "a": 2}}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("`a` is defined twice"), "{e}");
    }
}
