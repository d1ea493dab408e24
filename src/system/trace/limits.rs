//! The largest trace lines and epochs the readers accept. Each limit is far above every
//! bundled trace (in brackets: the largest bundled figure) and stops, with an error naming the
//! file and the line (or the epoch), a file that would otherwise make a reader allocate
//! gigabytes: a file without line breaks (`/dev/zero`), a window holding a whole trace.

/// The most bytes one line of a trace may hold, line break excluded (bundled: 2,053, a
/// Mooncake line with 247 prefix blocks).
pub const MAX_TRACE_LINE_BYTES: usize = 1 << 20;

/// The most requests one decision epoch may hold, by a count or in a window (bundled
/// scenarios: 500 a decision; a whole bundled trace: 19,365).
pub const MAX_EPOCH_REQUESTS: usize = 100_000;

/// The most prefix blocks (Mooncake `hash_ids`, 512 tokens each) one request may list: four
/// times the longest context window of the catalogue, 131,072 tokens (bundled: 247).
pub const MAX_PREFIX_BLOCKS: usize = 1_024;

/// The longest epoch window, in seconds: about 31 years, longer than any trace.
pub const MAX_EPOCH_WINDOW_S: f64 = 1e9;
