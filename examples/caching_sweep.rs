//! Hit ratio against storage per server on the city scenario (`scenarios/caching-city.toml`),
//! for the sharing-aware exact MILP and greedy against sharing-blind independent caching and
//! popularity top-k, with the backhaul bytes each needs to fill the caches and the bytes per
//! request that still come from the cloud. Prints a markdown table and writes an SVG plot.
//!
//! Fill bytes count what the cloud sends to put the placement on the servers: shared blocks
//! once per server for the sharing-aware solvers, every model in full for the sharing-blind
//! one (it stores and fetches models as independent files).
//!
//! ```text
//! cargo run --release --example caching_sweep -- [out.svg=target/caching_sweep.svg] [threads=2]
//! ```

use mei4llm::problems::caching::{CacheMetrics, CachingInstance, Placement, Section, solver};
use mei4llm::solve::Budget;
use mei4llm::system::Scenario;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Storage per server of each point of the sweep, in GB.
const STORAGE_GB: [f64; 9] = [8.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0, 128.0, 192.0];

const SOLVERS: [&str; 4] = ["exact", "greedy", "sharing-blind", "popularity"];
const COLOURS: [&str; 4] = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a"];

struct Point {
    hit_ratio: f64,
    fill_gb: f64,
    miss_gb_per_request: f64,
    status: String,
}

fn fill_bytes(name: &str, m: &CacheMetrics) -> f64 {
    if name == "sharing-blind" {
        m.fill_bytes_without_sharing
    } else {
        m.fill_bytes
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .unwrap_or_else(|| "target/caching_sweep.svg".into());
    let threads: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let scenario = Scenario::from_path(Path::new("scenarios/caching-city.toml"))?;
    let budget = Budget::default()
        .with_threads(threads)
        .with_time_limit(Duration::from_secs(30));
    let mut table: Vec<Vec<Point>> = Vec::new();
    for gb in STORAGE_GB {
        let mut c = Section::of(&scenario)?;
        c.storage_bytes.iter_mut().for_each(|q| *q = gb * 1e9);
        // Small caches cannot hold the fp16 bases: plan anyway, they just never hit.
        let instance = CachingInstance::from_json_str(
            "sweep",
            &CachingInstance::from_section(&scenario, &c)
                .or_else(|_| allow_uncacheable(&scenario, &c))?
                .to_json(),
        )?;
        let mut row = Vec::new();
        for name in SOLVERS {
            let o = solver(name).ok_or("solver")?.solve(&instance, &budget)?;
            let placement = o
                .decision
                .clone()
                .unwrap_or_else(|| Placement::empty(instance.servers.len()));
            let m = instance.metrics(&placement);
            row.push(Point {
                hit_ratio: m.hit_ratio,
                fill_gb: fill_bytes(name, &m) / 1e9,
                miss_gb_per_request: m.miss_bytes_per_request / 1e9,
                status: format!(
                    "{}{}",
                    o.status.name(),
                    o.gap().map_or(String::new(), |g| format!(" (gap {g:.0e})"))
                ),
            });
            eprintln!(
                "{gb} GB {name}: {:.4} ({}) in {:.2} s",
                m.hit_ratio, o.status, o.stats.time_s
            );
        }
        table.push(row);
    }
    println!(
        "| storage per server | exact hit | greedy hit | sharing-blind hit | popularity hit | exact fill | sharing-blind fill | exact miss traffic / request | sharing-blind miss traffic / request | exact status |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (gb, row) in STORAGE_GB.iter().zip(&table) {
        println!(
            "| {gb:.0} GB | {:.3} | {:.3} | {:.3} | {:.3} | {:.0} GB | {:.0} GB | {:.2} GB | {:.2} GB | {} |",
            row[0].hit_ratio,
            row[1].hit_ratio,
            row[2].hit_ratio,
            row[3].hit_ratio,
            row[0].fill_gb,
            row[2].fill_gb,
            row[0].miss_gb_per_request,
            row[2].miss_gb_per_request,
            row[0].status
        );
    }
    // The claim under test: for the hit ratio sharing-blind caching reaches, how much less does
    // the sharing-aware optimum need to fetch over the backhaul?
    println!();
    println!(
        "| sharing-blind at | its hit ratio | its fill | least exact fill reaching that hit ratio | saving |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (gb, row) in STORAGE_GB.iter().zip(&table) {
        let target = row[2].hit_ratio;
        let best = table
            .iter()
            .map(|r| &r[0])
            .filter(|p| p.hit_ratio >= target - 1e-12)
            .map(|p| p.fill_gb)
            .fold(f64::INFINITY, f64::min);
        if target > 0.0 && best.is_finite() {
            println!(
                "| {gb:.0} GB | {target:.3} | {:.0} GB | {best:.0} GB | {:.0}% |",
                row[2].fill_gb,
                100.0 * (1.0 - best / row[2].fill_gb)
            );
        }
    }
    std::fs::write(&out, svg(&table))?;
    eprintln!("plot written to {out}");
    Ok(())
}

/// The scenario's instance, accepting models that fit on no server.
fn allow_uncacheable(
    s: &Scenario,
    c: &Section,
) -> Result<CachingInstance, Box<dyn std::error::Error>> {
    let mut big = c.clone();
    let real: Vec<f64> = c.storage_bytes.clone();
    big.storage_bytes.iter_mut().for_each(|q| *q = 1e15);
    let text = CachingInstance::from_section(s, &big)?.to_json();
    let mut value: serde_json::Value = serde_json::from_str(&text)?;
    for (server, q) in value["servers"]
        .as_array_mut()
        .ok_or("servers")?
        .iter_mut()
        .zip(real)
    {
        server["storage_bytes"] = serde_json::json!(q);
    }
    value["allow_uncacheable"] = serde_json::json!(true);
    Ok(CachingInstance::from_json_str("sweep", &value.to_string())?)
}

/// Two panels against storage per server: hit ratio, and the bytes per request that still come
/// from the cloud over the backhaul (misses).
fn svg(table: &[Vec<Point>]) -> String {
    let (w, h, margin) = (880.0, 360.0, 60.0);
    let panel_w = (w - 3.0 * margin) / 2.0;
    let panel_h = h - 2.0 * margin;
    let x_max = STORAGE_GB[STORAGE_GB.len() - 1];
    let miss_max = table
        .iter()
        .flatten()
        .map(|p| p.miss_gb_per_request)
        .fold(1.0, f64::max)
        .ceil();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    for (panel, (title, y_max)) in [
        ("hit ratio", 1.0),
        ("backhaul GB per request (misses)", miss_max),
    ]
    .into_iter()
    .enumerate()
    {
        let x0 = margin + panel as f64 * (panel_w + margin);
        let y0 = margin + panel_h;
        let px = |gb: f64| x0 + gb / x_max * panel_w;
        let py = |v: f64| y0 - v / y_max * panel_h;
        let _ = writeln!(
            s,
            r#"<rect x="{x0}" y="{margin}" width="{panel_w}" height="{panel_h}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{title}</text>"#,
            x0 + panel_w / 2.0,
            margin - 10.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">storage per server (GB)</text>"#,
            x0 + panel_w / 2.0,
            y0 + 35.0
        );
        for gb in STORAGE_GB {
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle" font-size="10">{gb:.0}</text>"#,
                px(gb),
                y0 + 15.0
            );
        }
        for t in 0..=4 {
            let v = y_max * t as f64 / 4.0;
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" font-size="10">{}</text><line x1="{x0}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>"##,
                x0 - 5.0,
                py(v) + 3.0,
                if panel == 0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.1}")
                },
                x0 + panel_w,
                py(v),
                py(v)
            );
        }
        for (k, name) in SOLVERS.iter().enumerate() {
            let points: Vec<String> = STORAGE_GB
                .iter()
                .zip(table)
                .map(|(&gb, row)| {
                    let v = if panel == 0 {
                        row[k].hit_ratio
                    } else {
                        row[k].miss_gb_per_request
                    };
                    format!("{:.1},{:.1}", px(gb), py(v))
                })
                .collect();
            let dash = if *name == "greedy" {
                r#" stroke-dasharray="5,3""#
            } else {
                ""
            };
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                points.join(" "),
                COLOURS[k]
            );
            if panel == 0 {
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{}" fill="{}">{name}</text>"#,
                    x0 + 10.0,
                    margin + 18.0 + 15.0 * k as f64,
                    COLOURS[k]
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}
