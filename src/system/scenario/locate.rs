//! Where a field is written: the 1-based line of the value at a field path (`models[1].share`,
//! `caching.storage_per_server.edge-b`), found by reading the file again down that path and
//! stopping at the value, so that inline tables, dotted keys, quoted keys and the `i`-th
//! `[[table]]` are found exactly as the parser sees them, in TOML and in JSON alike.

use super::source::{Format, line_of};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The message of the error that stops the walk at the value sought.
const FOUND: &str = "mei4llm: the value sought is here";

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A key of a table.
    Key(String),
    /// An element of an array (0-based).
    Index(usize),
}

/// The 1-based line where the value at `path` is written in `text`; for a path the file does
/// not hold (a missing field), the line of its nearest ancestor that it holds; at worst 1.
pub(super) fn line_of_path(text: &str, format: Format, path: &str) -> u64 {
    let steps = steps(path);
    (0..=steps.len())
        .rev()
        .find_map(|n| find(text, format, &steps[..n]))
        .unwrap_or(1)
}

/// The steps of a path as serde writes it (`a.b[2].c`; `.` alone is the top level).
fn steps(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some((index, after)) = inner.split_once(']') else {
                break;
            };
            match index.parse() {
                Ok(i) => steps.push(Step::Index(i)),
                Err(_) => steps.push(Step::Key(index.to_string())),
            }
            rest = after;
        }
    }
    steps
}

/// The line of the value at `steps`, if the file holds one there.
fn find(text: &str, format: Format, steps: &[Step]) -> Option<u64> {
    match format {
        Format::Toml => {
            let error = Walk(steps)
                .deserialize(toml::Deserializer::new(text))
                .err()?;
            (error.message() == FOUND).then(|| error.span().map_or(1, |s| line_of(text, s.start)))
        }
        Format::Json => {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let error = Walk(steps).deserialize(&mut deserializer).err()?;
            error
                .to_string()
                .starts_with(FOUND)
                .then(|| (error.line() as u64).max(1))
        }
    }
}

/// Reads down `steps` and fails with [`FOUND`] at the value they lead to; succeeds (without
/// finding) when a step is missing.
struct Walk<'a>(&'a [Step]);

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.0.first() {
            None => deserializer.deserialize_any(Stop),
            Some(Step::Key(_)) => deserializer.deserialize_map(self),
            Some(Step::Index(_)) => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table or an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Step::Key(sought), rest)) = self.0.split_first() else {
            return Ok(());
        };
        while let Some(key) = map.next_key::<String>()? {
            if &key == sought {
                return map.next_value_seed(Walk(rest));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Step::Index(sought), rest)) = self.0.split_first() else {
            return Ok(());
        };
        for _ in 0..*sought {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Walk(rest)).map(|_| ())
    }
}

/// Fails with [`FOUND`] on whatever value it is given.
struct Stop;

impl<'de> Visitor<'de> for Stop {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(FOUND))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(FOUND))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = "name = \"x\"\n\n[[group]]\nname = \"a\"\n\n[[group]]\nname = \"b\"\n\
                        list = [\n  1,\n  2,\n]\n\n[part]\nsize = 3\ninline = { c = 1 }\n\
                        \"quoted key\" = 4\ndotted.key = 5\n";

    fn line(path: &str) -> u64 {
        line_of_path(TOML, Format::Toml, path)
    }

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            steps("a.b[2][0].c"),
            [
                Step::Key("a".into()),
                Step::Key("b".into()),
                Step::Index(2),
                Step::Index(0),
                Step::Key("c".into())
            ]
        );
        assert!(steps(".").is_empty());
    }

    #[test]
    fn toml_values_are_found_where_they_are_written() {
        assert_eq!(line("name"), 1);
        assert_eq!(line("group[0].name"), 4);
        assert_eq!(line("group[1].name"), 7);
        assert_eq!(line("group[1].list[1]"), 10);
        assert_eq!(line("part.size"), 14);
        assert_eq!(line("part.inline.c"), 15);
        assert_eq!(line("part.quoted key"), 16);
        assert_eq!(line("part.dotted.key"), 17);
    }

    #[test]
    fn a_missing_field_is_placed_at_its_nearest_ancestor() {
        assert_eq!(line("group[1].colour"), line("group[1]"));
        assert!((6..=7).contains(&line("group[1]")), "{}", line("group[1]"));
        assert_eq!(line("group[5].name"), line("group"));
        assert_eq!(line("nowhere.size"), 1);
    }

    #[test]
    fn json_values_are_found_where_they_are_written() {
        let json = "{\n  \"group\": [\n    {\"name\": \"a\"},\n    {\n      \"name\": \"b\"\n    }\n  ],\n  \"part\": {\"size\": 3}\n}";
        let line = |path| line_of_path(json, Format::Json, path);
        assert_eq!(line("group[0].name"), 3);
        assert_eq!(line("group[1].name"), 5);
        // serde_json places an error in an object where the object's first member starts.
        assert_eq!(line("group[1]"), 5);
        assert_eq!(line("part.size"), 8);
        assert_eq!(line("part.weight"), 8);
    }
}
