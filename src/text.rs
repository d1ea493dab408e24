//! Plain-text output shared by the CLI and the problems' plan reports: aligned tables and
//! numbers in readable units.
//!
//! ```
//! use mei4llm::text::{Table, si, time};
//!
//! let mut t = Table::new(&["solver", "time"]);
//! t.row(vec!["exact".into(), time(2.5)]);
//! t.row(vec!["greedy".into(), time(0.000_094)]);
//! assert_eq!(t.render(), "solver  time\n------  -------\nexact   2.500 s\ngreedy  94.0 µs\n");
//! assert_eq!(si(8192.0, "B"), "8.192 kB");
//! ```

use std::fmt::Write;

/// A table: a header and rows of cells; cells that hold a number, with or without its unit
/// (`12`, `-3.5%`, `2.500 s`), are right-aligned (except in the first column); text, even text
/// that starts with a digit (`4 edge servers`), is left-aligned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings and no rows.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The rows added so far.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The table as lines of text: the header, a rule, then the rows, each line ending in a
    /// newline.
    pub fn render(&self) -> String {
        let width = self.widths();
        let mut out = String::new();
        self.line(&mut out, &self.header, &width);
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            self.line(&mut out, row, &width);
        }
        out
    }

    /// Prints [`Table::render`] to standard output.
    pub fn print(&self) {
        print!("{}", self.render());
    }

    /// The width of each column in characters.
    fn widths(&self) -> Vec<usize> {
        (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .chain(std::iter::once(&self.header[c]))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// One line of cells padded to `width` (no width limit, unlike `format!`'s).
    fn line(&self, out: &mut String, cells: &[String], width: &[usize]) {
        let mut line = String::new();
        for (c, s) in cells.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = width
                .get(c)
                .copied()
                .unwrap_or(0)
                .saturating_sub(s.chars().count());
            if numeric(s) && c > 0 {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(s);
            } else {
                line.push_str(s);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Whether `cell` is a number, optionally followed by one unit (`2.500 s`, `12%`, `3.1×`), or
/// `-`, a missing number.
fn numeric(cell: &str) -> bool {
    if cell == "-" {
        return true;
    }
    let mut tokens = cell.split_whitespace();
    let first = tokens.next().unwrap_or("");
    let value = first.trim_end_matches(['%', '×', 'x']);
    let starts_like_a_number = first
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+');
    starts_like_a_number && value.parse::<f64>().is_ok() && tokens.count() <= 1
}

/// A quantity with an SI prefix and three decimals: `1.234 GB`.
pub fn si(value: f64, unit: &str) -> String {
    let (scaled, prefix) = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        .iter()
        .find(|(f, _)| value.abs() >= *f)
        .map_or((value, ""), |(f, p)| (value / f, *p));
    format!("{scaled:.3} {prefix}{unit}")
}

/// A time in the most readable unit: `2.500 s`, `12.300 ms`, `94.0 µs`.
pub fn time(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.3} s")
    } else if seconds >= 1e-3 {
        format!("{:.3} ms", seconds * 1e3)
    } else {
        format!("{:.1} µs", seconds * 1e6)
    }
}

/// A number with seven significant digits (`0` for zero; scientific outside 1e-4..1e9).
pub fn number(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if (1e-4..1e9).contains(&v.abs()) {
        let decimals = (6 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.6e}")
    }
}

/// An energy in the most readable unit; `-` when unknown (NaN).
pub fn joules(j: f64) -> String {
    if j.is_nan() {
        "-".into()
    } else if j == 0.0 || j.abs() >= 1.0 {
        format!("{j:.3} J")
    } else if j.abs() >= 1e-3 {
        format!("{:.3} mJ", j * 1e3)
    } else {
        format!("{:.1} µJ", j * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_wider_than_any_format_width_are_kept_whole() {
        let mut t = Table::new(&["server", "stored"]);
        let wide = "m".repeat(70_000);
        t.row(vec!["edge-1".into(), wide.clone()]);
        let text = t.render();
        assert!(text.lines().nth(2).unwrap().ends_with(&wide));
    }

    #[test]
    fn numbers_align_right_and_text_that_starts_with_a_digit_left() {
        let mut t = Table::new(&["name", "value", "description"]);
        t.row(vec!["a".into(), "12.5%".into(), "4 edge servers".into()]);
        t.row(vec!["b".into(), "2.500 s".into(), "x".into()]);
        assert_eq!(
            t.render(),
            "name  value    description\n\
             ----  -------  --------------\n\
             a       12.5%  4 edge servers\n\
             b     2.500 s  x\n"
        );
        for cell in ["12", "-3.5", "+1e3", "3.1×", "94.0 µs", "-"] {
            assert!(numeric(cell), "{cell}");
        }
        for cell in ["4 edge servers", "--", "2nd", "1/8", ""] {
            assert!(!numeric(cell), "{cell}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.713), "1.713000");
        assert_eq!(number(2.5e-9), "2.500000e-9");
        assert_eq!(joules(f64::NAN), "-");
        assert_eq!(joules(0.002), "2.000 mJ");
        assert_eq!(time(0.5), "500.000 ms");
    }
}
