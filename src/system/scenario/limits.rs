//! The largest scenario the readers accept. Each limit is far above every bundled scenario (in
//! brackets: the largest bundled figure) and refuses, with an error naming the file, the line
//! and the field, a file that would otherwise make the reader allocate gigabytes.

/// The most bytes a scenario file may hold (bundled: 5.2 kB); larger files, and anything that
/// is not a regular file, are refused before they are parsed.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The most devices a scenario may describe, over all its device groups (bundled: 600).
pub const MAX_DEVICES: u64 = 100_000;

/// The most edge servers a scenario may describe (bundled: 12).
pub const MAX_EDGE_SERVERS: usize = 1_000;

/// The most sequences a cloud GPU's background batch may hold (bundled: none); the memory check
/// then refuses what does not fit.
pub const MAX_BACKGROUND_SEQUENCES: u64 = 100_000;
