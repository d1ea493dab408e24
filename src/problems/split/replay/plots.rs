//! The split problem's plots: latency CDFs per solver, and where the requests ran.

use super::stats::{SPLIT_BIN_LABELS, SPLIT_BINS, SplitStats, TIERS};
use crate::replay::files::RunInfo;
use crate::replay::plots::{cdf_axis, cdf_of_requests, solver_legend};
use crate::replay::svg::{Axis, Panel, Svg, colour, percent, seconds, stroke};

/// File name of the latency CDFs.
pub const LATENCY_CDF_SVG: &str = "latency_cdf.svg";
/// File name of the tier and split histograms.
pub const CHOICES_SVG: &str = "choices.svg";

/// Two panels, time to first token and end-to-end latency: for each solver the share of all
/// requests served within a time (a solver that left requests without a plan stays below
/// 100 %), on a logarithmic time axis, with the run's fixed SLOs as dashed lines.
pub fn latency_cdf(solvers: &[(&str, &SplitStats)], run: &RunInfo) -> String {
    let slo = |key: &str| run.settings["slo"][key].as_f64();
    let mut svg = Svg::new(1000.0, 470.0, "Latency CDF per solver");
    let panels = [("Time to first token", true), ("End-to-end latency", false)];
    for (p, (title, ttft)) in panels.into_iter().enumerate() {
        let curves: Vec<Vec<(f64, f64)>> = solvers
            .iter()
            .map(|(_, s)| cdf_of_requests(if ttft { &s.ttft_s } else { &s.e2e_s }, s.requests()))
            .collect();
        let fixed = if ttft { slo("ttft_s") } else { slo("e2e_s") };
        let panel = Panel {
            left: 80.0 + 420.0 * p as f64,
            top: 60.0,
            width: 340.0,
            height: 320.0,
            title: title.into(),
            x: cdf_axis(&curves, fixed, 1e-3),
            y: Axis::linear("share of requests", 0.0, 1.0, percent),
        };
        svg.panel(&panel);
        for (i, curve) in curves.iter().enumerate() {
            svg.line(&panel, curve, colour(i), stroke(i, curves.len()), false);
        }
        if let Some(f) = fixed {
            svg.vertical(&panel, f, &format!("SLO {}", seconds(f)));
        }
    }
    svg.legend(860.0, 75.0, &solver_legend(solvers));
    svg.finish()
}

/// Two panels: the share of requests per tier for each solver (stacked bars), and the share of
/// planned requests per split bin (server-only, share of blocks on the device, device-only).
pub fn choices(solvers: &[(&str, &SplitStats)]) -> String {
    let rows = solvers.len().max(1) as f64;
    let height = 140.0 + 28.0 * rows.max(8.0);
    let mut svg = Svg::new(1000.0, height, "Where requests run");
    let plot_height = height - 150.0;
    tiers_panel(&mut svg, solvers, rows, plot_height);
    splits_panel(&mut svg, solvers, plot_height);
    svg.legend(860.0, 75.0, &solver_legend(solvers));
    svg.finish()
}

/// The panel of the share of requests per tier, a stacked bar per solver (`rows` of them),
/// with the tiers' legend below.
fn tiers_panel(svg: &mut Svg, solvers: &[(&str, &SplitStats)], rows: f64, plot_height: f64) {
    let tiers = Panel {
        left: 120.0,
        top: 60.0,
        width: 300.0,
        height: plot_height,
        title: "Tier".into(),
        x: Axis::linear("share of requests", 0.0, 1.0, percent),
        y: Axis::linear("", 0.0, rows, |_| String::new()),
    };
    svg.panel(&tiers);
    for (i, (name, s)) in solvers.iter().enumerate() {
        let y1 = rows - i as f64 - 0.15;
        let y0 = rows - i as f64 - 0.85;
        let mut x = 0.0;
        for (t, &n) in s.tiers.iter().enumerate() {
            let share = if s.requests() > 0 {
                n as f64 / s.requests() as f64
            } else {
                0.0
            };
            if share > 0.0 {
                svg.bar(&tiers, (x, y0), (x + share, y1), tier_colour(t));
            }
            x += share;
        }
        let (_, py) = tiers.point(0.0, (y0 + y1) / 2.0);
        svg.text(tiers.left - 6.0, py + 4.0, name, "end", 11.0, "normal");
    }
    let legend: Vec<(String, &str)> = TIERS
        .iter()
        .enumerate()
        .map(|(t, name)| (name.to_string(), tier_colour(t)))
        .collect();
    svg.legend(tiers.left, tiers.top + tiers.height + 50.0, &legend[..2]);
    svg.legend(
        tiers.left + 100.0,
        tiers.top + tiers.height + 50.0,
        &legend[2..],
    );
}

/// The panel of the share of planned requests per split bin, a line per solver.
fn splits_panel(svg: &mut Svg, solvers: &[(&str, &SplitStats)], plot_height: f64) {
    let mut highest: f64 = 0.0;
    let curves: Vec<Vec<(f64, f64)>> = solvers
        .iter()
        .map(|(_, s)| {
            let planned = s.planned();
            s.split_bins
                .iter()
                .enumerate()
                .map(|(b, &n)| {
                    let share = if planned > 0 {
                        n as f64 / planned as f64
                    } else {
                        f64::NAN
                    };
                    if share.is_finite() {
                        highest = highest.max(share);
                    }
                    (b as f64, share)
                })
                .collect()
        })
        .collect();
    let splits = Panel {
        left: 540.0,
        top: 60.0,
        width: 300.0,
        height: plot_height,
        title: "Split point".into(),
        x: Axis::linear("", 0.0, (SPLIT_BINS - 1) as f64, |_| String::new()),
        y: Axis::linear("share of planned requests", 0.0, highest.max(0.1), percent),
    };
    svg.panel(&splits);
    for (b, label) in SPLIT_BIN_LABELS.iter().enumerate() {
        let (px, _) = splits.point(b as f64, 0.0);
        let y = splits.top + splits.height + 14.0 + 10.0 * (b % 2) as f64;
        svg.text(px, y, label, "middle", 9.0, "normal");
    }
    svg.text(
        splits.left + splits.width / 2.0,
        splits.top + splits.height + 40.0,
        "blocks on the device (0 = server only, all = device only)",
        "middle",
        12.0,
        "normal",
    );
    for (i, curve) in curves.iter().enumerate() {
        svg.line(&splits, curve, colour(i), stroke(i, curves.len()), false);
        svg.markers(&splits, curve, colour(i));
    }
}

/// Colours of the tiers: device, edge, cloud, none.
fn tier_colour(t: usize) -> &'static str {
    ["#009E73", "#0072B2", "#CC79A7", "#BBBBBB"][t.min(3)]
}
