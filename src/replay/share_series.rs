//! A share of the requests over the epochs of a trace (the caching replay's hit ratio, the
//! batching replay's admitted share): its distribution over the epochs and a series of at most
//! [`MAX_BINS`] bins of consecutive epochs for a plot, in bounded memory.

use super::summary::Quantiles;

/// Bins of a series at most, whatever the number of epochs.
pub const MAX_BINS: usize = 512;

/// Consecutive epochs of one solver, merged for a share-over-time plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShareBin {
    /// First epoch index in the bin.
    pub first_epoch: u64,
    /// Last epoch index in the bin.
    pub last_epoch: u64,
    /// Epochs in the bin.
    pub epochs: u64,
    /// Requests in them.
    pub requests: u64,
    /// Requests among them that count towards the share (hits, admissions).
    pub counted: u64,
}

impl ShareBin {
    /// The bin of one request of `epoch`.
    fn of(epoch: u64, counted: bool) -> ShareBin {
        ShareBin {
            first_epoch: epoch,
            last_epoch: epoch,
            epochs: 1,
            requests: 1,
            counted: u64::from(counted),
        }
    }

    /// `self` and the bin of the epochs that follow it, as one bin.
    fn merged(self, next: ShareBin) -> ShareBin {
        ShareBin {
            first_epoch: self.first_epoch,
            last_epoch: next.last_epoch,
            epochs: self.epochs + next.epochs,
            requests: self.requests + next.requests,
            counted: self.counted + next.counted,
        }
    }

    /// `counted / requests`.
    pub fn share(&self) -> f64 {
        self.counted as f64 / self.requests as f64
    }
}

/// One solver's share, fed one request at a time in epoch order.
#[derive(Debug, Clone, Default)]
pub struct ShareSeries {
    /// Shares of the finished epochs.
    finished: Quantiles,
    /// The epoch in progress: its index, requests and counted requests.
    current: Option<(u64, u64, u64)>,
    bins: Vec<ShareBin>,
    /// Epochs per bin.
    width: u64,
}

impl ShareSeries {
    /// Adds one request of `epoch`, counted towards the share or not.
    pub fn add(&mut self, epoch: u64, counted: bool) {
        match &mut self.current {
            Some((e, n, c)) if *e == epoch => {
                *n += 1;
                *c += u64::from(counted);
            }
            current => {
                if let Some((_, n, c)) = current.replace((epoch, 1, u64::from(counted))) {
                    self.finished.add(c as f64 / n as f64);
                }
            }
        }
        self.width = self.width.max(1);
        match self.bins.last_mut() {
            Some(bin) if bin.last_epoch == epoch => {
                bin.requests += 1;
                bin.counted += u64::from(counted);
            }
            Some(bin) if bin.epochs < self.width => *bin = bin.merged(ShareBin::of(epoch, counted)),
            _ => self.bins.push(ShareBin::of(epoch, counted)),
        }
        if self.bins.len() > MAX_BINS {
            self.bins = self
                .bins
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => a.merged(*b),
                    [a] => *a,
                    _ => unreachable!("chunks of two"),
                })
                .collect();
            self.width *= 2;
        }
    }

    /// The share of every epoch, the epoch in progress included.
    pub fn epoch_shares(&self) -> Quantiles {
        let mut shares = self.finished.clone();
        if let Some((_, n, c)) = self.current {
            shares.add(c as f64 / n as f64);
        }
        shares
    }

    /// The series of the plot: at most [`MAX_BINS`] bins of consecutive epochs, in epoch order
    /// (pairs of bins merge when it fills).
    pub fn bins(&self) -> &[ShareBin] {
        &self.bins
    }
}
