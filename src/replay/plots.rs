//! The plot every problem gets: solve time per epoch, one line per solver, and what the
//! problems' own plots share (a solver legend, shares over epochs, CDFs over requests). A
//! problem's own plots (latency CDFs, choice histograms, hit ratios) come from its
//! [`RecordStats::plots`](super::RecordStats::plots).

use super::share_series::ShareSeries;
use super::summary::{Quantiles, Timings};
use super::svg::{Axis, Panel, Svg, colour, number, percent, seconds, stroke};

/// File name of the solve-time plot.
pub const SOLVE_TIME_SVG: &str = "solve_time.svg";

/// Solve time per epoch, one line per solver (the mean of each bin of consecutive epochs, so
/// a long trace stays a few hundred points), on a logarithmic time axis.
pub fn solve_time(timings: &Timings) -> String {
    let mut lowest = f64::INFINITY;
    let mut highest: f64 = 0.0;
    let mut last_epoch = 0;
    let series: Vec<(&str, Vec<(f64, f64)>)> = timings
        .per_solver()
        .map(|(solver, stats)| {
            let points: Vec<(f64, f64)> = stats
                .bins()
                .iter()
                .map(|b| {
                    let mean = b.total_s / b.solves as f64;
                    if mean > 0.0 {
                        lowest = lowest.min(mean);
                    }
                    highest = highest.max(mean);
                    last_epoch = last_epoch.max(b.last_epoch);
                    ((b.first_epoch + b.last_epoch) as f64 / 2.0, mean)
                })
                .collect();
            (solver, points)
        })
        .collect();
    let (width, height) = (900.0, 460.0);
    let panel = Panel {
        left: 80.0,
        top: 60.0,
        width: 620.0,
        height: 320.0,
        title: "Mean solve time per epoch".into(),
        x: Axis::linear("epoch", 0.0, last_epoch.max(1) as f64, number),
        y: Axis::log(
            "solve time",
            if lowest.is_finite() { lowest } else { 1e-6 },
            highest.max(1e-6),
            seconds,
        ),
    };
    let mut svg = Svg::new(width, height, "Solve time");
    svg.panel(&panel);
    let mut legend = Vec::new();
    for (i, (solver, points)) in series.iter().enumerate() {
        svg.line(&panel, points, colour(i), stroke(i, series.len()), false);
        if points.len() == 1 {
            svg.markers(&panel, points, colour(i));
        }
        legend.push((solver.to_string(), colour(i)));
    }
    svg.legend(720.0, 75.0, &legend);
    svg.finish()
}

/// The words of a share-over-time plot.
pub(crate) struct ShareLabels<'a> {
    /// The figure's title.
    pub title: &'a str,
    /// The panel's title.
    pub panel: &'a str,
    /// The y axis's label.
    pub y: &'a str,
}

/// A share over the trace, one line per solver: the share of the requests of each bin of
/// consecutive epochs (one epoch per bin up to 512 epochs; a longer trace stays a few hundred
/// points).
pub(crate) fn share_over_epochs(solvers: &[(&str, &ShareSeries)], labels: &ShareLabels) -> String {
    let series: Vec<Vec<(f64, f64)>> = solvers
        .iter()
        .map(|(_, s)| {
            s.bins()
                .iter()
                .map(|b| ((b.first_epoch + b.last_epoch) as f64 / 2.0, b.share()))
                .collect()
        })
        .collect();
    let last_epoch = solvers
        .iter()
        .filter_map(|(_, s)| s.bins().last().map(|b| b.last_epoch))
        .max()
        .unwrap_or(0);
    let panel = Panel {
        left: 80.0,
        top: 60.0,
        width: 620.0,
        height: 320.0,
        title: labels.panel.into(),
        x: Axis::linear("epoch", 0.0, last_epoch.max(1) as f64, number),
        y: Axis::linear(labels.y, 0.0, 1.0, percent),
    };
    let mut svg = Svg::new(900.0, 460.0, labels.title);
    svg.panel(&panel);
    for (i, points) in series.iter().enumerate() {
        svg.line(&panel, points, colour(i), stroke(i, series.len()), false);
        if points.len() == 1 {
            svg.markers(&panel, points, colour(i));
        }
    }
    svg.legend(720.0, 75.0, &solver_legend(solvers));
    svg.finish()
}

/// The legend of `solvers`, in the run's order: each name in its colour.
pub fn solver_legend<S>(solvers: &[(&str, S)]) -> Vec<(String, &'static str)> {
    solvers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.to_string(), colour(i)))
        .collect()
}

/// Points of each CDF line.
const CDF_POINTS: usize = 200;

/// The CDF of the values in `q` as shares of all `requests`: a line that ends at the share of
/// the requests that have a value; empty without one.
pub fn cdf_of_requests(q: &Quantiles, requests: u64) -> Vec<(f64, f64)> {
    if q.count() == 0 || requests == 0 {
        return Vec::new();
    }
    let reach = q.count() as f64 / requests as f64;
    let qs: Vec<f64> = (0..=CDF_POINTS)
        .map(|i| i as f64 / CDF_POINTS as f64)
        .collect();
    q.quantiles(&qs)
        .into_iter()
        .zip(&qs)
        .map(|(v, &f)| (v, f * reach))
        .collect()
}

/// The logarithmic time axis of the CDFs `curves`: from their least positive value to their
/// largest or `mark` (an SLO, a bound), each at least `floor`.
pub fn cdf_axis(curves: &[Vec<(f64, f64)>], mark: Option<f64>, floor: f64) -> Axis {
    let values = curves.iter().flatten().map(|p| p.0).filter(|v| *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let hi = mark.map_or(hi, |m| hi.max(m));
    Axis::log(
        "seconds",
        if lo.is_finite() { lo } else { floor },
        hi.max(floor),
        seconds,
    )
}
