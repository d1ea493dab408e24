//! The text a scenario was read from, kept so that each problem parses its own section of the
//! file (`[caching]`, `[batching]`, …) with errors that name the file, the line and the field,
//! and resolves the section's relative paths against the file.

use super::super::data_path::DataPath;
use super::super::error::{Error, Result};
use super::excerpt::{EXCERPT_CHARS, excerpt, shorten_quoted};
use super::locate;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

/// Whether a scenario is TOML or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

/// The file a scenario came from: its name in messages, where it lives and its text.
#[derive(Clone)]
pub struct Source {
    /// The file as error messages name it.
    pub file: String,
    /// Where it lives (relative paths inside it resolve against its folder); `None` for text
    /// given directly.
    pub path: Option<DataPath>,
    /// Its format.
    pub format: Format,
    text: String,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("bytes", &self.text.len())
            .finish()
    }
}

impl Source {
    /// The source of `text`, named `file` in messages, read from `path` if it was. A leading
    /// byte-order mark is dropped, in TOML and JSON alike.
    pub fn new(file: &str, path: Option<DataPath>, format: Format, text: String) -> Source {
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        };
        Source {
            file: file.into(),
            path,
            format,
            text,
        }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The top-level table `name` deserialized as `T` (`None` when the file has none); a
    /// malformed section is an error naming the file, the line and the field path
    /// (`caching.storage`).
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let pick = Pick::<T> {
            name,
            found: PhantomData,
        };
        match self.format {
            Format::Toml => {
                let deserializer = toml::Deserializer::new(&self.text);
                let mut track = serde_path_to_error::Track::new();
                let tracked = serde_path_to_error::Deserializer::new(deserializer, &mut track);
                pick.deserialize(tracked).map_err(|e: toml::de::Error| {
                    let path = track.path().to_string();
                    let line = e.span().map_or_else(
                        || self.line_of_path(&path),
                        |s| line_of(&self.text, s.start),
                    );
                    located(&self.file, line, &path, e.message())
                })
            }
            Format::Json => {
                let mut deserializer = serde_json::Deserializer::from_str(&self.text);
                let mut track = serde_path_to_error::Track::new();
                let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
                pick.deserialize(tracked).map_err(|e: serde_json::Error| {
                    located(
                        &self.file,
                        e.line() as u64,
                        &track.path().to_string(),
                        &e.to_string(),
                    )
                })
            }
        }
    }

    /// `relative` (a path written in the file) resolved against the file's folder, or against
    /// the bundle for a bundled scenario; text given directly resolves against the working
    /// directory.
    pub fn resolve(&self, relative: &Path) -> Result<DataPath> {
        match &self.path {
            Some(path) => path.resolve(relative),
            None => Ok(DataPath::File(relative.to_path_buf())),
        }
    }

    /// An error about the field at the dotted `path` (`caching.storage`, `models[1].share`),
    /// on the line where the file writes it (or, for a field it lacks, where its table is).
    pub fn field_error(&self, path: &str, message: impl Into<String>) -> Error {
        Error::field(
            &self.file,
            self.line_of_path(path),
            path,
            shorten_quoted(&message.into()),
        )
    }

    /// An error about the field at `path` whose string value is `value` (an unknown name, say):
    /// on the line where it is written, with the value cut to a readable length.
    pub fn value_error(&self, value: &str, path: &str, message: impl Into<String>) -> Error {
        let message = message.into();
        let message = if value.len() > EXCERPT_CHARS {
            message.replace(value, &excerpt(value))
        } else {
            message
        };
        self.field_error(path, message)
    }

    /// The 1-based line where the field at the dotted `path` is written; for a field the file
    /// lacks, the line of its nearest enclosing table (at worst 1).
    pub fn line_of_path(&self, path: &str) -> u64 {
        locate::line_of_path(&self.text, self.format, path)
    }
}

/// An error at `line`, naming the field path when serde knows it (`.` means the top level).
pub(crate) fn located(file: &str, line: u64, path: &str, message: &str) -> Error {
    let message = shorten_quoted(message);
    // serde_path_to_error writes `?` for a key it had not read yet (a syntax error).
    let path = path.trim_end_matches('?').trim_end_matches('.');
    if path.is_empty() || path == "." {
        Error::Line {
            file: file.into(),
            line,
            message,
        }
    } else {
        Error::field(file, line, path, message)
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}

/// Deserializes the top-level table called `name` as `T`, skipping every other key.
struct Pick<'a, T> {
    name: &'a str,
    found: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Pick<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Option<T>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Pick<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scenario (a table of settings)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Option<T>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.name {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Part {
        size: u32,
        #[serde(default)]
        colour: Option<String>,
    }

    const TOML: &str =
        "name = \"x\"\n\n[other]\nsize = \"no\"\n\n[part]\nsize = 3\ncolour = \"red\"\n";

    #[test]
    fn a_section_is_read_by_name_and_the_others_skipped() {
        let s = Source::new("s.toml", None, Format::Toml, TOML.into());
        let part: Option<Part> = s.section("part").unwrap();
        assert_eq!(
            part,
            Some(Part {
                size: 3,
                colour: Some("red".into())
            })
        );
        assert_eq!(s.section::<Part>("missing").unwrap(), None);
        let json = r#"{"name": "x", "part": {"size": 4}}"#;
        let s = Source::new("s.json", None, Format::Json, json.into());
        assert_eq!(
            s.section::<Part>("part").unwrap(),
            Some(Part {
                size: 4,
                colour: None
            })
        );
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let bad = TOML.replace("size = 3", "size = 3\nweight = 2");
        let s = Source::new("s.toml", None, Format::Toml, bad);
        let e = s.section::<Part>("part").unwrap_err().to_string();
        assert!(e.starts_with("s.toml:8:") && e.contains("weight"), "{e}");
        let json = "{\n  \"part\": {\n    \"size\": -1\n  }\n}";
        let s = Source::new("s.json", None, Format::Json, json.into());
        let e = s.section::<Part>("part").unwrap_err().to_string();
        assert!(e.starts_with("s.json:3:") && e.contains("part.size"), "{e}");
    }

    #[test]
    fn field_errors_find_the_line_of_the_key() {
        let s = Source::new("s.toml", None, Format::Toml, TOML.into());
        assert_eq!(s.line_of_path("part.colour"), 8);
        assert_eq!(s.line_of_path("part.weight"), 6);
        assert_eq!(s.line_of_path("nowhere.size"), 1);
        let e = s.field_error("part.size", "too small").to_string();
        assert_eq!(e, "s.toml:7: field `part.size`: too small");
        let inline = "[a]\nb = { c = 1, d = 2 }\n";
        let s = Source::new("s.toml", None, Format::Toml, inline.into());
        assert_eq!(s.line_of_path("a.b.d"), 2);
    }
}
