//! Values quoted in error messages, cut to a readable length: a 50 MB line or name is shown by
//! its first characters, an ellipsis and its size, never whole.

/// The most characters of a value an error message quotes.
pub(crate) const EXCERPT_CHARS: usize = 80;

/// `text` as an error message quotes it: whole when it has at most [`EXCERPT_CHARS`]
/// characters, else its first ones, an ellipsis and its length in bytes.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
    }
}

/// `bytes` (perhaps not UTF-8) as an error message quotes them, as [`excerpt`] does, without
/// decoding more of them than it shows.
pub(crate) fn excerpt_bytes(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4 * EXCERPT_CHARS)];
    let text = String::from_utf8_lossy(head);
    if head.len() == bytes.len() {
        return excerpt(text.trim());
    }
    let shown: String = text.trim_start().chars().take(EXCERPT_CHARS).collect();
    format!("{shown}… ({} bytes)", bytes.len())
}

/// `message` with every long span between a pair of backticks or of double quotes (the values
/// serde and the readers quote) cut as [`excerpt`] cuts it.
pub(crate) fn shorten_quoted(message: &str) -> String {
    if message.len() <= EXCERPT_CHARS {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..open + 1];
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            break;
        };
        let span = &after[..close];
        out.push_str(&rest[..=open]);
        if is_excerpt(span) {
            out.push_str(span);
        } else {
            out.push_str(&excerpt(span));
        }
        out.push_str(quote);
        rest = &after[close + 1..];
    }
    out.push_str(&excerpt_tail(rest));
    out
}

/// Whether `span` is already an excerpt (cut by [`excerpt`]), to be left as it is.
fn is_excerpt(span: &str) -> bool {
    span.ends_with(" bytes)")
        && span
            .rsplit_once("… (")
            .is_some_and(|(head, _)| head.chars().count() == EXCERPT_CHARS)
}

/// The unquoted end of a message, cut when it is itself a huge run of text.
fn excerpt_tail(rest: &str) -> String {
    if rest.len() > 64 * EXCERPT_CHARS {
        excerpt(rest)
    } else {
        rest.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_whole_and_long_ones_are_cut_with_their_size() {
        assert_eq!(excerpt("Llama-2-7B"), "Llama-2-7B");
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"é".repeat(80)), "{cut}");
        assert!(cut.ends_with("… (200 bytes)"), "{cut}");
        assert_eq!(cut.chars().filter(|&c| c == 'é').count(), 80);
    }

    #[test]
    fn bytes_are_cut_before_they_are_decoded() {
        let line = vec![b'x'; 50_000_000];
        let cut = excerpt_bytes(&line);
        assert_eq!(cut, format!("{}… (50000000 bytes)", "x".repeat(80)));
        assert_eq!(excerpt_bytes(b" a,b \n"), "a,b");
        assert_eq!(
            excerpt_bytes(&[b'y'; 100]),
            format!("{}… (100 bytes)", "y".repeat(80))
        );
    }

    #[test]
    fn quoted_values_in_a_message_are_cut() {
        let name = "n".repeat(1000);
        let message = format!("unknown model `{name}`; known: `GPT-2`, \"a b\"");
        let short = shorten_quoted(&message);
        assert_eq!(
            short,
            format!(
                "unknown model `{}… (1000 bytes)`; known: `GPT-2`, \"a b\"",
                "n".repeat(80)
            )
        );
        assert_eq!(shorten_quoted("no quotes"), "no quotes");
        assert_eq!(shorten_quoted(&short), short);
        let unclosed = format!("value `{}", "u".repeat(10_000));
        assert_eq!(
            shorten_quoted(&unclosed),
            format!("value `{}… (10007 bytes)", "u".repeat(73))
        );
    }
}
