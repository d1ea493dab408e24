//! Slicing a request stream into decision epochs, holding at most one epoch in memory.

use std::str::FromStr;

use super::Request;
use super::limits::{MAX_EPOCH_REQUESTS, MAX_EPOCH_WINDOW_S};
use crate::system::error::{Error, Result};

/// How a request stream is cut into epochs.
///
/// Parsed from text ([`FromStr`]): a number with the unit `s` or `ms` is a time window
/// (`"1s"`, `"500ms"`, `"2.5s"`); a bare whole number is a request count (`"64"`). Windows must
/// be positive and at most [`MAX_EPOCH_WINDOW_S`], counts at least 1 and at most
/// [`MAX_EPOCH_REQUESTS`]; surrounding
/// spaces are ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EpochRule {
    /// Epoch `k` holds the requests arriving in `[k·seconds, (k+1)·seconds)`; windows without a
    /// request are not yielded, so epoch indices may jump.
    Window {
        /// Length of a window in seconds.
        seconds: f64,
    },
    /// Consecutive groups of `requests` requests (the last group may be smaller).
    Count {
        /// Requests per epoch.
        requests: usize,
    },
}

impl EpochRule {
    fn check(self) -> Result<Self> {
        match self {
            EpochRule::Window { seconds } if !(seconds.is_finite() && seconds > 0.0) => {
                Err(invalid(format!(
                    "a window of {seconds} s; it must be positive and finite"
                )))
            }
            EpochRule::Window { seconds } if seconds > MAX_EPOCH_WINDOW_S => Err(invalid(format!(
                "a window of {seconds} s; it must be at most {MAX_EPOCH_WINDOW_S:e} s"
            ))),
            EpochRule::Count { requests: 0 } => Err(invalid("a count of 0 requests".to_string())),
            EpochRule::Count { requests } if requests > MAX_EPOCH_REQUESTS => {
                Err(invalid(format!(
                    "a count of {requests} requests; an epoch holds at most {MAX_EPOCH_REQUESTS}"
                )))
            }
            rule => Ok(rule),
        }
    }
}

fn invalid(message: String) -> Error {
    Error::invalid("epoch rule", message)
}

impl FromStr for EpochRule {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || {
            invalid(format!(
                "`{text}`: expected a window such as `1s`, `500ms` or `2.5s`, or a request count \
                 such as `64`"
            ))
        };
        let window = |number: &str, seconds_per_unit: f64| {
            let value: f64 = number.parse().map_err(|_| bad())?;
            EpochRule::Window {
                seconds: value * seconds_per_unit,
            }
            .check()
        };
        if let Some(number) = text.strip_suffix("ms") {
            window(number, 1e-3)
        } else if let Some(number) = text.strip_suffix('s') {
            window(number, 1.0)
        } else {
            let requests = text.parse().map_err(|_| bad())?;
            EpochRule::Count { requests }.check()
        }
    }
}

/// One decision epoch: the requests that arrive in it, in arrival order.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    /// The window number for [`EpochRule::Window`]; the group number for [`EpochRule::Count`].
    pub index: u64,
    /// Start in seconds: the window start, or the first request's arrival for a count epoch.
    pub start_s: f64,
    /// End in seconds: the window end (exclusive), or the last request's arrival for a count
    /// epoch.
    pub end_s: f64,
    /// The requests of the epoch; never empty.
    pub requests: Vec<Request>,
}

/// Cuts a stream of requests (such as a [`TraceReader`](super::TraceReader)) into [`Epoch`]s.
///
/// An error of the inner stream is passed through at once; the epoch being filled keeps the
/// requests read before it. Requests must come in arrival order: one that arrives before the
/// epoch being filled, or at a negative or non-finite time, is an error. A window that would
/// hold more than [`MAX_EPOCH_REQUESTS`] requests is an error that ends the stream.
pub struct Epochs<I> {
    requests: I,
    rule: EpochRule,
    /// The epoch being filled.
    current: Option<Epoch>,
    /// Requests taken so far, to number count epochs.
    taken: u64,
    /// Whether an epoch broke [`MAX_EPOCH_REQUESTS`] (nothing more is yielded).
    overflowed: bool,
}

impl<I: Iterator<Item = Result<Request>>> Epochs<I> {
    /// Slices `requests` by `rule`; fails if the rule is out of its domain (a window that is not
    /// positive and finite, a count of 0).
    pub fn new(requests: I, rule: EpochRule) -> Result<Self> {
        Ok(Epochs {
            requests,
            rule: rule.check()?,
            current: None,
            taken: 0,
            overflowed: false,
        })
    }

    /// The error for `request`, one more than `epoch` may hold; the epoch is dropped and the
    /// stream ends.
    fn overflow(&mut self, request: &Request) -> Error {
        self.overflowed = true;
        let epoch = self.current.take();
        let (index, start_s, end_s) =
            epoch.map_or((0, 0.0, 0.0), |e| (e.index, e.start_s, e.end_s));
        Error::invalid(
            "epoch",
            format!(
                "epoch {index} ({start_s} s to {end_s} s) would hold more than \
                 {MAX_EPOCH_REQUESTS} requests, the most an epoch may hold (request {} arrives \
                 at {} s); choose a shorter window",
                request.id, request.arrival_s
            ),
        )
    }

    /// The epoch of a request and its bounds.
    fn place(&self, request: &Request) -> Result<(u64, f64, f64)> {
        match self.rule {
            EpochRule::Window { seconds } => {
                let arrival_s = request.arrival_s;
                if !(arrival_s.is_finite() && arrival_s >= 0.0) {
                    return Err(Error::invalid(
                        "arrival_s",
                        format!("request {} arrives at {arrival_s} s", request.id),
                    ));
                }
                let index = (arrival_s / seconds).floor() as u64;
                Ok((index, index as f64 * seconds, (index + 1) as f64 * seconds))
            }
            EpochRule::Count { requests } => Ok((
                self.taken / requests as u64,
                request.arrival_s,
                request.arrival_s,
            )),
        }
    }
}

impl<I: Iterator<Item = Result<Request>>> Iterator for Epochs<I> {
    type Item = Result<Epoch>;

    fn next(&mut self) -> Option<Result<Epoch>> {
        if self.overflowed {
            return None;
        }
        loop {
            let request = match self.requests.next() {
                None => return self.current.take().map(Ok),
                Some(Err(error)) => return Some(Err(error)),
                Some(Ok(request)) => request,
            };
            let (index, start_s, end_s) = match self.place(&request) {
                Ok(place) => place,
                Err(error) => return Some(Err(error)),
            };
            self.taken += 1;
            let finished = match &mut self.current {
                Some(epoch)
                    if epoch.index == index && epoch.requests.len() >= MAX_EPOCH_REQUESTS =>
                {
                    return Some(Err(self.overflow(&request)));
                }
                Some(epoch) if epoch.index == index => {
                    if let EpochRule::Count { .. } = self.rule {
                        epoch.end_s = request.arrival_s;
                    }
                    epoch.requests.push(request);
                    None
                }
                Some(epoch) if index < epoch.index => {
                    return Some(Err(Error::invalid(
                        "request order",
                        format!(
                            "request {} arrives at {} s, before epoch {} that starts at {} s",
                            request.id, request.arrival_s, epoch.index, epoch.start_s
                        ),
                    )));
                }
                _ => self.current.replace(Epoch {
                    index,
                    start_s,
                    end_s,
                    requests: vec![request],
                }),
            };
            if finished.is_some() {
                return finished.map(Ok);
            }
            if let (EpochRule::Count { requests }, Some(epoch)) = (self.rule, &self.current)
                && epoch.requests.len() == requests
            {
                return self.current.take().map(Ok);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let window = |seconds| EpochRule::Window { seconds };
        assert_eq!("1s".parse::<EpochRule>().ok(), Some(window(1.0)));
        assert_eq!("500ms".parse::<EpochRule>().ok(), Some(window(0.5)));
        assert_eq!(" 2.5s ".parse::<EpochRule>().ok(), Some(window(2.5)));
        assert_eq!(
            "64".parse::<EpochRule>().ok(),
            Some(EpochRule::Count { requests: 64 })
        );
        assert_eq!(
            "100000".parse::<EpochRule>().ok(),
            Some(EpochRule::Count { requests: 100_000 })
        );
        for text in [
            "", "s", "ms", "0", "0s", "-1s", "NaNs", "infs", "1.5", "1 min", "1h", "x", "100001",
        ] {
            let Err(error) = text.parse::<EpochRule>() else {
                panic!("`{text}` parsed");
            };
            assert!(error.to_string().contains("epoch rule"), "{error}");
        }
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    fn at(id: u64, arrival_s: f64) -> Result<Request> {
        Ok(Request {
            id,
            arrival_s,
            prompt_tokens: 1,
            output_tokens: 1,
            prefix_blocks: Vec::new(),
        })
    }

    #[test]
    fn a_window_holds_at_most_the_limit_and_then_the_stream_ends() {
        let full = MAX_EPOCH_REQUESTS as u64;
        let requests = (0..full).map(|id| at(id, 0.5)).chain([at(full, 1.5)]);
        let epochs: Vec<_> = Epochs::new(requests, EpochRule::Window { seconds: 1.0 })
            .unwrap()
            .collect();
        assert_eq!(epochs.len(), 2);
        assert_eq!(
            epochs[0].as_ref().unwrap().requests.len(),
            MAX_EPOCH_REQUESTS
        );
        let over = (0..=full).map(|id| at(id, 0.5)).chain([at(full + 1, 1.5)]);
        let mut epochs = Epochs::new(over, EpochRule::Window { seconds: 1.0 }).unwrap();
        let message = epochs.next().unwrap().unwrap_err().to_string();
        assert!(
            message.contains("epoch 0 (0 s to 1 s) would hold more than 100000 requests")
                && message.contains("request 100000 arrives at 0.5 s"),
            "{message}"
        );
        assert!(epochs.next().is_none());
    }
}
