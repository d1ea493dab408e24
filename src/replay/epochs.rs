//! From trace rows to epochs: skipping and counting bad rows, dropping requests before the
//! start, numbering epochs and deriving each epoch's seeds.

use crate::system::Error as InputError;
use crate::system::trace::{Epoch, Request};
use serde::{Deserialize, Serialize};

/// How many skipped-row messages are kept to show the user.
const KEPT_MESSAGES: usize = 5;

/// The place and size of one epoch, without its requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochInfo {
    /// The window number for a time rule, the group number for a count rule (see
    /// [`Epoch::index`]).
    pub index: u64,
    /// Start in seconds since the first request of the trace.
    pub start_s: f64,
    /// End in seconds (window end, or last arrival for a count rule).
    pub end_s: f64,
    /// Requests in the epoch.
    pub requests: usize,
}

impl EpochInfo {
    /// The place and size of `epoch`.
    pub fn of(epoch: &Epoch) -> EpochInfo {
        EpochInfo {
            index: epoch.index,
            start_s: epoch.start_s,
            end_s: epoch.end_s,
            requests: epoch.requests.len(),
        }
    }
}

/// Rows of the trace that were not replayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowCounts {
    /// Requests accepted from the trace (before the epoch limit, if any, stopped reading).
    pub read_requests: u64,
    /// Malformed rows skipped (only with `skip_bad_rows`).
    pub skipped_rows: u64,
    /// The first few skipped rows' errors (file, line and field), to show the user.
    pub first_skipped: Vec<String>,
    /// Requests that arrived before the start time and were left out.
    pub before_start: u64,
}

/// A request stream that skips (and counts) malformed rows when asked, and leaves out requests
/// that arrive before `start_s`. A read failure of the file is never skipped.
pub(crate) struct Rows<I> {
    inner: I,
    skip_bad_rows: bool,
    start_s: f64,
    pub(crate) counts: RowCounts,
}

impl<I> Rows<I> {
    pub(crate) fn new(inner: I, skip_bad_rows: bool, start_s: f64) -> Self {
        Rows {
            inner,
            skip_bad_rows,
            start_s,
            counts: RowCounts::default(),
        }
    }
}

impl<I: Iterator<Item = Result<Request, InputError>>> Iterator for Rows<I> {
    type Item = Result<Request, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.inner.next()? {
                Ok(request) if request.arrival_s < self.start_s => self.counts.before_start += 1,
                Ok(request) => {
                    self.counts.read_requests += 1;
                    return Some(Ok(request));
                }
                Err(error @ InputError::Io { .. }) => return Some(Err(error)),
                Err(error) if self.skip_bad_rows => {
                    self.counts.skipped_rows += 1;
                    if self.counts.first_skipped.len() < KEPT_MESSAGES {
                        self.counts.first_skipped.push(error.to_string());
                    }
                }
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014): a bijection of `u64` that
/// spreads nearby inputs over the whole range.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed with which epoch `index` builds its instance (which device and model each request
/// gets): a function of the run's seed and the epoch alone, so that the output does not depend
/// on the order in which threads take epochs.
pub fn instance_seed(seed: u64, index: u64) -> u64 {
    mix(mix(seed) ^ index)
}

/// The seed of the solvers' random choices on epoch `index` (distinct from the instance's).
pub fn solver_seed(seed: u64, index: u64) -> u64 {
    mix(mix(seed ^ 0x5eed_5eed_5eed_5eed) ^ index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: u64, arrival_s: f64) -> Request {
        Request {
            id,
            arrival_s,
            prompt_tokens: 1,
            output_tokens: 1,
            prefix_blocks: Vec::new(),
        }
    }

    fn bad(line: u64) -> InputError {
        InputError::field("t.csv", line, "ContextTokens", "empty")
    }

    #[test]
    fn bad_rows_are_errors_unless_skipped() {
        let stream = || {
            vec![
                Ok(request(0, 0.0)),
                Err(bad(3)),
                Ok(request(1, 1.0)),
                Err(bad(5)),
            ]
            .into_iter()
        };
        let strict: Vec<_> = Rows::new(stream(), false, 0.0).collect();
        assert_eq!(strict.len(), 4);
        assert!(
            strict[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("t.csv:3")
        );
        let mut lenient = Rows::new(stream(), true, 0.0);
        let kept: Vec<u64> = lenient.by_ref().map(|r| r.unwrap().id).collect();
        assert_eq!(kept, [0, 1]);
        assert_eq!(lenient.counts.skipped_rows, 2);
        assert_eq!(lenient.counts.read_requests, 2);
        assert!(lenient.counts.first_skipped[1].contains("t.csv:5"));
    }

    #[test]
    fn requests_before_the_start_are_left_out() {
        let stream = (0..5).map(|i| Ok(request(i, i as f64)));
        let mut rows = Rows::new(stream, false, 2.5);
        let kept: Vec<u64> = rows.by_ref().map(|r| r.unwrap().id).collect();
        assert_eq!(kept, [3, 4]);
        assert_eq!(rows.counts.before_start, 3);
    }

    #[test]
    fn seeds_differ_per_epoch_and_stream() {
        assert_ne!(instance_seed(0, 0), instance_seed(0, 1));
        assert_ne!(instance_seed(0, 0), instance_seed(1, 0));
        assert_ne!(instance_seed(7, 3), solver_seed(7, 3));
        assert_eq!(instance_seed(7, 3), instance_seed(7, 3));
    }
}
