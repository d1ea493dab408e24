//! The caching problem's plots: hit ratio over the trace per solver, and the CDF of the hits'
//! delivery latency.

use super::stats::CachingStats;
use crate::replay::files::RunInfo;
use crate::replay::plots::{
    ShareLabels, cdf_axis, cdf_of_requests, share_over_epochs, solver_legend,
};
use crate::replay::share_series::ShareSeries;
use crate::replay::svg::{Axis, Panel, Svg, colour, percent, seconds, stroke};

/// File name of the hit ratio over time.
pub const HIT_RATIO_SVG: &str = "hit_ratio.svg";
/// File name of the delivery-latency CDFs.
pub const LATENCY_CDF_SVG: &str = "latency_cdf.svg";

/// Hit ratio over the trace, one line per solver: the share of the requests of each bin of
/// consecutive epochs that hit (one epoch per bin up to 512 epochs; a longer trace stays a few
/// hundred points).
pub fn hit_ratio(solvers: &[(&str, &CachingStats)]) -> String {
    let series: Vec<(&str, &ShareSeries)> = solvers
        .iter()
        .map(|(name, s)| (*name, s.hit_ratio()))
        .collect();
    share_over_epochs(
        &series,
        &ShareLabels {
            title: "Hit ratio over time",
            panel: "Share of the requests of each epoch (or bin of epochs) that hit",
            y: "share of requests served at the edge",
        },
    )
}

/// For each solver, the share of all requests delivered from the edge within a time (a line
/// ends at the solver's hit ratio: misses come from the cloud), on a logarithmic time axis,
/// with the run's latency bound as a dashed line.
pub fn latency_cdf(solvers: &[(&str, &CachingStats)], run: &RunInfo) -> String {
    let bound = run.settings["latency_bound_s"].as_f64();
    let curves: Vec<Vec<(f64, f64)>> = solvers
        .iter()
        .map(|(_, s)| cdf_of_requests(&s.latency_s, s.requests()))
        .collect();
    let panel = Panel {
        left: 80.0,
        top: 60.0,
        width: 620.0,
        height: 320.0,
        title: "Model delivery latency of the hits".into(),
        x: cdf_axis(&curves, bound, 1.0),
        y: Axis::linear("share of requests", 0.0, 1.0, percent),
    };
    let mut svg = Svg::new(900.0, 460.0, "Delivery latency CDF per solver");
    svg.panel(&panel);
    for (i, curve) in curves.iter().enumerate() {
        svg.line(&panel, curve, colour(i), stroke(i, curves.len()), false);
    }
    if let Some(b) = bound {
        svg.vertical(&panel, b, &format!("bound {}", seconds(b)));
    }
    svg.legend(720.0, 75.0, &solver_legend(solvers));
    svg.finish()
}
