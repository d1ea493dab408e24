//! The batching problem's plot: the share of each epoch's waiting requests that every solver
//! admits to the next batch.

use super::super::svg::{Axis, Panel, Svg, colour, number, percent, stroke};
use super::stats::BatchingStats;

/// File name of the admitted share over time.
pub const ADMITTED_SHARE_SVG: &str = "admitted_share.svg";

/// Admitted share over the trace, one line per solver: the share of the waiting requests of
/// each bin of consecutive epochs that join the next batch (one epoch per bin up to 512
/// epochs; a longer trace stays a few hundred points).
pub fn admitted_share(solvers: &[(&str, &BatchingStats)]) -> String {
    let series: Vec<Vec<(f64, f64)>> = solvers
        .iter()
        .map(|(_, s)| {
            s.bins()
                .iter()
                .map(|b| {
                    (
                        (b.first_epoch + b.last_epoch) as f64 / 2.0,
                        b.admitted as f64 / b.requests as f64,
                    )
                })
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
        title: "Share of the waiting requests of each epoch (or bin of epochs) admitted".into(),
        x: Axis::linear("epoch", 0.0, last_epoch.max(1) as f64, number),
        y: Axis::linear("share of requests admitted within SLOs", 0.0, 1.0, percent),
    };
    let mut svg = Svg::new(900.0, 460.0, "Admitted share over time");
    svg.panel(&panel);
    for (i, points) in series.iter().enumerate() {
        svg.line(&panel, points, colour(i), stroke(i, series.len()), false);
        if points.len() == 1 {
            svg.markers(&panel, points, colour(i));
        }
    }
    let legend: Vec<(String, &str)> = solvers
        .iter()
        .enumerate()
        .map(|(i, (name, _))| (name.to_string(), colour(i)))
        .collect();
    svg.legend(720.0, 75.0, &legend);
    svg.finish()
}
