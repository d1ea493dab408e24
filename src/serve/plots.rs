//! SVG plots of a comparison: the distribution of TTFT and TPOT per policy, and the goodput.

use super::simulate::PolicyRun;
use super::summary::PolicySummary;
use crate::replay::svg::{Axis, Panel, Svg, colour, percent, seconds, stroke};

/// File name of the TTFT plot.
pub const TTFT_SVG: &str = "ttft_cdf.svg";
/// File name of the TPOT plot.
pub const TPOT_SVG: &str = "tpot_cdf.svg";
/// File name of the goodput plot.
pub const GOODPUT_SVG: &str = "goodput.svg";

/// Cumulative distribution of a per-request time over the served requests, one line per
/// policy, on a logarithmic time axis, with the SLO marked: TPOT when `tpot`, else TTFT.
pub fn latency_cdf(runs: &[PolicyRun], tpot: bool) -> String {
    let series: Vec<(&str, Vec<f64>)> = runs
        .iter()
        .map(|run| {
            let mut v: Vec<f64> = run
                .records
                .iter()
                .filter_map(|r| if tpot { r.tpot_s } else { r.ttft_s })
                .filter(|v| *v > 0.0)
                .collect();
            v.sort_by(f64::total_cmp);
            (run.policy.as_str(), v)
        })
        .collect();
    let slo = runs
        .iter()
        .flat_map(|r| r.records.first())
        .map(|r| if tpot { r.tpot_slo_s } else { r.ttft_slo_s })
        .next();
    let all = series.iter().flat_map(|(_, v)| v.iter().copied());
    let lowest = all.clone().fold(f64::INFINITY, f64::min);
    let highest = all.fold(slo.unwrap_or(0.0), f64::max);
    let name = if tpot { "TPOT" } else { "TTFT" };
    let panel = Panel {
        left: 80.0,
        top: 60.0,
        width: 620.0,
        height: 320.0,
        title: format!("{name} of the served requests"),
        x: Axis::log(
            if tpot {
                "time per output token"
            } else {
                "time to first token"
            },
            if lowest.is_finite() { lowest } else { 1e-3 },
            highest.max(1e-3),
            seconds,
        ),
        y: Axis::linear("share of served requests", 0.0, 1.0, percent),
    };
    let mut svg = Svg::new(900.0, 460.0, &format!("{name} CDF"));
    svg.panel(&panel);
    if let Some(slo) = slo {
        svg.vertical(&panel, slo, "SLO");
    }
    let mut legend = Vec::new();
    for (i, (policy, v)) in series.iter().enumerate() {
        let n = v.len() as f64;
        let points: Vec<(f64, f64)> = v
            .iter()
            .enumerate()
            .map(|(r, &x)| (x, (r + 1) as f64 / n))
            .collect();
        svg.line(&panel, &points, colour(i), stroke(i, series.len()), false);
        legend.push((policy.to_string(), colour(i)));
    }
    svg.legend(720.0, 75.0, &legend);
    svg.finish()
}

/// Goodput per policy: the share of requests served within both SLOs, as bars.
pub fn goodput(summaries: &[PolicySummary]) -> String {
    let n = summaries.len().max(1) as f64;
    let panel = Panel {
        left: 80.0,
        top: 60.0,
        width: 620.0,
        height: 320.0,
        title: "Requests served within both SLOs".into(),
        x: Axis::linear("policy", 0.0, n, |_| String::new()),
        y: Axis::linear("share of requests", 0.0, 1.0, percent),
    };
    let mut svg = Svg::new(900.0, 460.0, "Goodput");
    svg.panel(&panel);
    let mut legend = Vec::new();
    for (i, s) in summaries.iter().enumerate() {
        let x = i as f64;
        svg.bar(
            &panel,
            (x + 0.15, 0.0),
            (x + 0.85, s.goodput_share),
            colour(i),
        );
        legend.push((
            format!("{} ({:.2} req/s)", s.policy, s.goodput_rps),
            colour(i),
        ));
    }
    svg.legend(720.0, 75.0, &legend);
    svg.finish()
}
