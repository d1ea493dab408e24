//! The Mooncake traces (kvcache-ai/Mooncake, FAST'25 release): one JSON object per line,
//! `{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, 2]}`, with
//! `timestamp` in milliseconds and `hash_ids` naming the 512-token prefix blocks of the prompt.
//! `hash_ids` may be absent (no prefix information); other keys are ignored.

use serde::Deserialize;
use serde_json::Value;

use super::limits::MAX_PREFIX_BLOCKS;
use super::{Place, Row, output_tokens, prompt_tokens, to_ns};
use crate::system::error::Result;

/// The key holding the arrival time.
pub(super) const TIME_FIELD: &str = "timestamp";

/// What a first line looks like, to list among the accepted formats.
pub(super) const FIRST_LINE: &str =
    r#"{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1, 2]}"#;

/// The keys of one line; a missing key or `null` is `None`.
#[derive(Deserialize)]
struct Line {
    timestamp: Option<Value>,
    input_length: Option<Value>,
    output_length: Option<Value>,
    hash_ids: Option<Value>,
}

/// Parses one non-blank line of a Mooncake trace.
pub(super) fn parse_line(place: Place, text: &[u8]) -> Result<Row> {
    let line: Line = serde_json::from_slice(text).map_err(|error| {
        // serde_json ends its message with its own "at line 1 column N"; keep only the column.
        let message = error.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(&*message, |(m, _)| m);
        place.whole_line(format!(
            "not a JSON object of a request (column {}): {message}",
            error.column()
        ))
    })?;
    let present = |name: &str, value: Option<Value>| {
        value.ok_or_else(|| place.field(name, "missing (or null)"))
    };
    let time = present(TIME_FIELD, line.timestamp)?;
    let input = present("input_length", line.input_length)?;
    let output = present("output_length", line.output_length)?;
    let time_ns = milliseconds_ns(&time).map_err(|m| place.field(TIME_FIELD, m))?;
    let prompt_tokens = count(&input)
        .and_then(prompt_tokens)
        .map_err(|m| place.field("input_length", m))?;
    let output_tokens = count(&output)
        .and_then(output_tokens)
        .map_err(|m| place.field("output_length", m))?;
    let prefix_blocks = match line.hash_ids {
        None => Vec::new(),
        Some(Value::Array(ids)) if ids.len() > MAX_PREFIX_BLOCKS => {
            return Err(place.field(
                "hash_ids",
                format!(
                    "{} prefix blocks; a request lists at most {MAX_PREFIX_BLOCKS}",
                    ids.len()
                ),
            ));
        }
        Some(Value::Array(ids)) => ids
            .iter()
            .enumerate()
            .map(|(i, id)| count(id).map_err(|m| place.field(&format!("hash_ids[{i}]"), m)))
            .collect::<Result<_>>()?,
        Some(other) => return Err(place.field("hash_ids", format!("`{other}` is not an array"))),
    };
    Ok(Row {
        line: place.line,
        time_ns,
        prompt_tokens,
        output_tokens,
        prefix_blocks,
    })
}

/// A time in milliseconds, integer or not, to nanoseconds.
fn milliseconds_ns(value: &Value) -> std::result::Result<i64, String> {
    let Value::Number(number) = value else {
        return Err(format!("`{value}` is not a number of milliseconds"));
    };
    match (number.as_i64(), number.as_f64()) {
        (Some(ms), _) => ms
            .checked_mul(1_000_000)
            .ok_or_else(|| format!("`{number}` is out of range")),
        (None, Some(ms)) => to_ns(ms, 1e6).map_err(|m| format!("`{number}`: {m}")),
        (None, None) => Err(format!("`{number}` is not a number of milliseconds")),
    }
}

/// A non-negative integer.
fn count(value: &Value) -> std::result::Result<u64, String> {
    match value {
        Value::Number(number) if number.is_u64() => number
            .as_u64()
            .ok_or_else(|| format!("`{number}` is not an integer")),
        Value::Number(number) if number.is_i64() => Err(format!("`{number}` is negative")),
        other => Err(format!("`{other}` is not an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Row> {
        parse_line(
            Place {
                file: "t.jsonl",
                line: 7,
            },
            text.as_bytes(),
        )
    }

    #[test]
    fn reads_a_line() {
        let row = parse(
            r#"{"timestamp": 3000, "input_length": 1200, "output_length": 0, "hash_ids": [0, 14]}"#,
        )
        .unwrap();
        assert_eq!(row.line, 7);
        assert_eq!(row.time_ns, 3_000_000_000);
        assert_eq!((row.prompt_tokens, row.output_tokens), (1200, 0));
        assert_eq!(row.prefix_blocks, vec![0, 14]);
        let row = parse(r#"{"timestamp": 1.5, "input_length": 1, "output_length": 2}"#).unwrap();
        assert_eq!(row.time_ns, 1_500_000);
        assert!(row.prefix_blocks.is_empty());
    }

    #[test]
    fn names_the_bad_field() {
        for (text, field) in [
            (r#"{"input_length": 1, "output_length": 2}"#, "`timestamp`"),
            (
                r#"{"timestamp": "0", "input_length": 1, "output_length": 2}"#,
                "`timestamp`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 0, "output_length": 2}"#,
                "`input_length`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 1.5, "output_length": 2}"#,
                "`input_length`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 1, "output_length": -2}"#,
                "`output_length`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 1, "output_length": null}"#,
                "`output_length`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 1, "output_length": 2, "hash_ids": 3}"#,
                "`hash_ids`",
            ),
            (
                r#"{"timestamp": 0, "input_length": 1, "output_length": 2, "hash_ids": [1, -1]}"#,
                "`hash_ids[1]`",
            ),
        ] {
            let message = parse(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.starts_with("t.jsonl:7: field ") && message.contains(field),
                "{text}: {message}"
            );
        }
        let many = (0..=MAX_PREFIX_BLOCKS)
            .map(|i| i.to_string())
            .collect::<Vec<_>>();
        let text = format!(
            r#"{{"timestamp": 0, "input_length": 1, "output_length": 2, "hash_ids": [{}]}}"#,
            many.join(",")
        );
        let message = parse(&text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            message,
            "t.jsonl:7: field `hash_ids`: 1025 prefix blocks; a request lists at most 1024"
        );
        let message = parse("[1, 2]")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message.starts_with("t.jsonl:7: not a JSON object"),
            "{message}"
        );
    }
}
