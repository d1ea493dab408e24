//! A small SVG plotting kit written with `std` alone: panels with linear or logarithmic axes,
//! lines, markers, bars and legends. Coordinates are printed with fixed decimals, so the same
//! data always gives the same bytes.

use std::fmt::Write;

/// Okabe and Ito's colour-blind-safe palette (2008), its yellow darkened to read on white,
/// black last.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#B8A200", "#000000",
];

/// The colour of series `i`.
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// The stroke width of series `i` of `n`: from 4.5 px for the first down to 1.5 px for the
/// last, so that series drawn on top of each other stay visible as nested bands.
pub fn stroke(i: usize, n: usize) -> f64 {
    if n <= 1 {
        2.0
    } else {
        1.5 + 3.0 * (n - 1 - i.min(n - 1)) as f64 / (n - 1) as f64
    }
}

/// An axis: range, scale and how its tick labels read.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Caption.
    pub label: String,
    /// Lower end of the range.
    pub min: f64,
    /// Upper end of the range.
    pub max: f64,
    /// Logarithmic scale (both ends must be positive).
    pub log: bool,
    /// Tick label of a value.
    pub format: fn(f64) -> String,
}

impl Axis {
    /// A linear axis over `[min, max]` (widened when empty).
    pub fn linear(label: &str, min: f64, max: f64, format: fn(f64) -> String) -> Axis {
        let (min, max) = if max > min && min.is_finite() && max.is_finite() {
            (min, max)
        } else if min.is_finite() {
            (min - 0.5, min + 0.5)
        } else {
            (0.0, 1.0)
        };
        Axis {
            label: label.into(),
            min,
            max,
            log: false,
            format,
        }
    }

    /// A logarithmic axis covering `[min, max]`, widened to whole decades.
    pub fn log(label: &str, min: f64, max: f64, format: fn(f64) -> String) -> Axis {
        let (lo, hi) = if min > 0.0 && max >= min && max.is_finite() {
            (min.log10().floor(), max.log10().ceil())
        } else {
            (0.0, 1.0)
        };
        let hi = if hi <= lo { lo + 1.0 } else { hi };
        Axis {
            label: label.into(),
            min: 10f64.powf(lo),
            max: 10f64.powf(hi),
            log: true,
            format,
        }
    }

    /// Position of `v` in `[0, 1]` along the axis (clamped).
    fn fraction(&self, v: f64) -> f64 {
        let f = if self.log {
            let v = v.max(self.min);
            (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Tick values: decades (with 2 and 5 when there are few) or a 1-2-5 step.
    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (lo, hi) = (
                self.min.log10().round() as i32,
                self.max.log10().round() as i32,
            );
            let few = hi - lo <= 2;
            let mut ticks = Vec::new();
            for e in lo..=hi {
                let decade = 10f64.powi(e);
                ticks.push(decade);
                if few && e < hi {
                    ticks.push(2.0 * decade);
                    ticks.push(5.0 * decade);
                }
            }
            ticks
        } else {
            let rough = (self.max - self.min) / 5.0;
            let magnitude = 10f64.powf(rough.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * magnitude)
                .find(|s| *s >= rough)
                .unwrap_or(10.0 * magnitude);
            let first = (self.min / step).ceil() as i64;
            let last = (self.max / step + 1e-9).floor() as i64;
            (first..=last).map(|i| i as f64 * step).collect()
        }
    }
}

/// A rectangle of the figure with two axes.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Left edge of the plotting area in pixels.
    pub left: f64,
    /// Top edge in pixels.
    pub top: f64,
    /// Width in pixels.
    pub width: f64,
    /// Height in pixels.
    pub height: f64,
    /// Title above the area.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
}

impl Panel {
    /// Pixel position of a data point.
    pub fn point(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.left + self.x.fraction(x) * self.width,
            self.top + (1.0 - self.y.fraction(y)) * self.height,
        )
    }
}

/// Escapes text for XML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG document being drawn.
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    /// An empty white figure with a title.
    pub fn new(width: f64, height: f64, title: &str) -> Svg {
        let mut svg = Svg {
            width,
            height,
            body: String::new(),
        };
        svg.raw(&format!(
            r##"<rect width="{width:.0}" height="{height:.0}" fill="#ffffff"/>"##
        ));
        svg.text(width / 2.0, 22.0, title, "middle", 15.0, "bold");
        svg
    }

    fn raw(&mut self, element: &str) {
        self.body.push_str(element);
        self.body.push('\n');
    }

    /// Text at a pixel position; `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, text: &str, anchor: &str, size: f64, weight: &str) {
        self.raw(&format!(
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size:.0}" font-weight="{weight}">{}</text>"#,
            escape(text)
        ));
    }

    /// Frame, grid, ticks, tick labels, axis captions and title of a panel.
    pub fn panel(&mut self, p: &Panel) {
        let (l, t, w, h) = (p.left, p.top, p.width, p.height);
        for v in p.x.ticks() {
            let (x, _) = p.point(v, p.y.min);
            self.raw(&format!(
                r##"<line x1="{x:.1}" y1="{t:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e5e5e5"/>"##,
                t + h
            ));
            self.text(x, t + h + 16.0, &(p.x.format)(v), "middle", 11.0, "normal");
        }
        for v in p.y.ticks() {
            let (_, y) = p.point(p.x.min, v);
            self.raw(&format!(
                r##"<line x1="{l:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e5e5"/>"##,
                l + w
            ));
            self.text(l - 6.0, y + 4.0, &(p.y.format)(v), "end", 11.0, "normal");
        }
        self.raw(&format!(
            r##"<rect x="{l:.1}" y="{t:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#333333"/>"##
        ));
        self.text(l + w / 2.0, t - 8.0, &p.title, "middle", 13.0, "bold");
        self.text(
            l + w / 2.0,
            t + h + 34.0,
            &p.x.label,
            "middle",
            12.0,
            "normal",
        );
        let (x, y) = (l - 52.0, t + h / 2.0);
        self.raw(&format!(
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="12" transform="rotate(-90 {x:.1} {y:.1})">{}</text>"#,
            escape(&p.y.label)
        ));
    }

    /// A line through data points (non-finite points break it), `width` pixels wide.
    pub fn line(
        &mut self,
        p: &Panel,
        points: &[(f64, f64)],
        colour: &str,
        width: f64,
        dashed: bool,
    ) {
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, svg: &mut Svg| {
            if run.len() >= 2 {
                svg.raw(&format!(
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="{width:.1}"{} points="{}"/>"#,
                    if dashed {
                        r#" stroke-dasharray="6 4""#
                    } else {
                        ""
                    },
                    run.join(" ")
                ));
            }
            run.clear();
        };
        for &(x, y) in points {
            if x.is_finite() && y.is_finite() && (!p.x.log || x > 0.0) && (!p.y.log || y > 0.0) {
                let (px, py) = p.point(x, y);
                run.push(format!("{px:.1},{py:.1}"));
            } else {
                flush(&mut run, self);
            }
        }
        flush(&mut run, self);
    }

    /// Small circles at data points.
    pub fn markers(&mut self, p: &Panel, points: &[(f64, f64)], colour: &str) {
        for &(x, y) in points {
            if x.is_finite() && y.is_finite() {
                let (px, py) = p.point(x, y);
                self.raw(&format!(
                    r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{colour}"/>"#
                ));
            }
        }
    }

    /// A filled rectangle between data coordinates.
    pub fn bar(&mut self, p: &Panel, (x0, y0): (f64, f64), (x1, y1): (f64, f64), colour: &str) {
        let (ax, ay) = p.point(x0, y0);
        let (bx, by) = p.point(x1, y1);
        let (x, y) = (ax.min(bx), ay.min(by));
        let (w, h) = ((ax - bx).abs(), (ay - by).abs());
        self.raw(&format!(
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{colour}"/>"#
        ));
    }

    /// A vertical line at data `x` across the panel, with a label at its top.
    pub fn vertical(&mut self, p: &Panel, x: f64, label: &str) {
        let (px, _) = p.point(x, p.y.min);
        self.raw(&format!(
            r##"<line x1="{px:.1}" y1="{:.1}" x2="{px:.1}" y2="{:.1}" stroke="#555555" stroke-dasharray="3 3"/>"##,
            p.top,
            p.top + p.height
        ));
        self.text(px + 4.0, p.top + 12.0, label, "start", 10.0, "normal");
    }

    /// A legend box at a pixel position: one coloured swatch and name per entry.
    pub fn legend(&mut self, x: f64, y: f64, entries: &[(String, &str)]) {
        for (i, (name, colour)) in entries.iter().enumerate() {
            let row = y + 16.0 * i as f64;
            self.raw(&format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/>"#,
                row - 10.0
            ));
            self.text(x + 17.0, row, name, "start", 11.0, "normal");
        }
    }

    /// The finished document.
    pub fn finish(self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        );
        out
    }
}

/// A duration in seconds as a short tick label: `100 µs`, `20 ms`, `1 s`, `100 s`.
pub fn seconds(v: f64) -> String {
    let (value, unit) = if v >= 1.0 {
        (v, "s")
    } else if v >= 1e-3 {
        (v * 1e3, "ms")
    } else {
        (v * 1e6, "µs")
    };
    format!("{} {unit}", number(value))
}

/// A plain number as a short tick label.
pub fn number(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// A share in `[0, 1]` as a percentage label.
pub fn percent(v: f64) -> String {
    format!("{}%", number(100.0 * v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_values() {
        let a = Axis::linear("x", 0.0, 1.0, number);
        let labels: Vec<String> = a.ticks().into_iter().map(number).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        let a = Axis::log("t", 3e-4, 2.0, seconds);
        assert_eq!((a.min, a.max), (1e-4, 10.0));
        assert_eq!(a.ticks().len(), 6);
        let a = Axis::log("t", 0.02, 0.5, seconds);
        assert_eq!(a.ticks(), [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(seconds(0.02), "20 ms");
        assert_eq!(seconds(1e-4), "100 µs");
        assert_eq!(seconds(100.0), "100 s");
        assert_eq!(percent(0.25), "25%");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }

    #[test]
    fn documents_are_well_formed_and_escaped() {
        let p = Panel {
            left: 60.0,
            top: 40.0,
            width: 300.0,
            height: 200.0,
            title: "a < b & c".into(),
            x: Axis::linear("x", 0.0, 10.0, number),
            y: Axis::log("y", 1e-3, 1.0, seconds),
        };
        let mut svg = Svg::new(400.0, 300.0, "t");
        svg.panel(&p);
        svg.line(
            &p,
            &[(0.0, 0.1), (5.0, f64::NAN), (6.0, 0.2), (7.0, 0.3)],
            colour(0),
            stroke(0, 1),
            false,
        );
        let text = svg.finish();
        assert!(text.starts_with("<svg") && text.ends_with("</svg>\n"));
        assert!(text.contains("a &lt; b &amp; c"));
        // The NaN breaks the line: one polyline of two points remains.
        assert_eq!(text.matches("<polyline").count(), 1);
        assert_eq!(p.point(0.0, 1.0), (60.0, 40.0));
        assert_eq!((stroke(0, 3), stroke(1, 3), stroke(2, 3)), (4.5, 3.0, 1.5));
    }
}
