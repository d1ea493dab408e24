//! A quantity that depends on a request's bandwidth and compute shares.

use serde::Serialize;

/// `fixed + upload / β + edge / f`: a time or energy with a part that does not depend on the
/// shares, a part paid at the uplink share `β` of the serving cell (given at `β = 1`), and a
/// part paid at the compute share `f` of the edge GPU (given at `f = 1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Terms {
    /// Part independent of the shares.
    pub fixed: f64,
    /// Part at the whole cell's uplink, divided by the bandwidth share.
    pub upload: f64,
    /// Part on the whole edge GPU, divided by the compute share.
    pub edge: f64,
}

impl Terms {
    /// The value at shares `bandwidth` and `compute`; a zero share with a positive part is
    /// infinite.
    pub fn at(&self, bandwidth: f64, compute: f64) -> f64 {
        self.fixed + ratio(self.upload, bandwidth) + ratio(self.edge, compute)
    }

    /// `a·self + b·other`.
    pub fn combine(&self, a: f64, other: &Terms, b: f64) -> Terms {
        Terms {
            fixed: a * self.fixed + b * other.fixed,
            upload: a * self.upload + b * other.upload,
            edge: a * self.edge + b * other.edge,
        }
    }

    /// Every part multiplied by `factor`.
    pub fn scale(&self, factor: f64) -> Terms {
        Terms {
            fixed: factor * self.fixed,
            upload: factor * self.upload,
            edge: factor * self.edge,
        }
    }

    /// Whether every part is at most the other's.
    pub fn le(&self, other: &Terms) -> bool {
        self.fixed <= other.fixed && self.upload <= other.upload && self.edge <= other.edge
    }
}

/// `part / share`, with `0 / 0 = 0`.
pub fn ratio(part: f64, share: f64) -> f64 {
    if part == 0.0 { 0.0 } else { part / share }
}
