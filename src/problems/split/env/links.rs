//! Uplink rates that vary over time as a measured throughput series does (the rule is stated
//! in the documentation of [`crate::env::split`]).

use super::options::LinkSeries;
use crate::env::EnvError;
use crate::system::Scenario;
use crate::system::network::ThroughputSeries;

/// A throughput series normalised by its median.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkTrace {
    factors: Vec<f64>,
}

impl LinkTrace {
    /// The bundled 5Gophers series `series`, divided by its median. A series with a sample of
    /// 0 Mbit/s (an outage) is refused: a zero uplink rate has no finite latency to plan with.
    pub fn five_gophers(series: &LinkSeries) -> Result<LinkTrace, EnvError> {
        let measured =
            ThroughputSeries::five_gophers(&series.carrier, series.connections, &series.server)?;
        LinkTrace::new(&measured.samples_bps).map_err(|message| {
            EnvError::option(
                "links",
                format!(
                    "5Gophers series {} / {} connection(s) / {}: {message}",
                    measured.carrier, series.connections, series.server
                ),
            )
        })
    }

    /// `samples_bps` divided by their median; every sample must be positive and finite.
    pub fn new(samples_bps: &[f64]) -> Result<LinkTrace, String> {
        if samples_bps.is_empty() {
            return Err("has no sample".into());
        }
        let outages = samples_bps
            .iter()
            .filter(|s| !(s.is_finite() && **s > 0.0))
            .count();
        if outages > 0 {
            return Err(format!(
                "{outages} of its {} samples are not positive (outages); choose a series without",
                samples_bps.len()
            ));
        }
        let mut sorted = samples_bps.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        };
        Ok(LinkTrace {
            factors: samples_bps.iter().map(|s| s / median).collect(),
        })
    }

    /// Number of samples (seconds of measurement).
    pub fn len(&self) -> usize {
        self.factors.len()
    }

    /// The factor `second` seconds after `offset`, wrapping around the end of the series.
    pub fn factor(&self, offset: usize, second: u64) -> f64 {
        let n = self.factors.len();
        self.factors[(offset % n + (second % n as u64) as usize) % n]
    }

    /// `scenario` with every device's uplink rate scaled by its factor `second` seconds after
    /// its offset (`offsets[d]` for device `d`).
    pub fn scaled(&self, scenario: &Scenario, offsets: &[usize], second: u64) -> Scenario {
        let mut scaled = scenario.clone();
        for (device, &offset) in scaled.devices.iter_mut().zip(offsets) {
            device.radio.uplink_bps *= self.factor(offset, second);
        }
        scaled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_are_relative_to_the_median() {
        let t = LinkTrace::new(&[1.0, 4.0, 2.0]).unwrap();
        assert_eq!(t.factor(0, 0), 0.5);
        assert_eq!(t.factor(0, 1), 2.0);
        assert_eq!(t.factor(1, 1), 1.0);
        assert_eq!(t.factor(2, 4), 0.5); // (2 + 4) mod 3 = 0: the first sample again
        let even = LinkTrace::new(&[1.0, 3.0, 5.0, 7.0]).unwrap();
        assert_eq!(even.factor(0, 0), 0.25);
    }

    #[test]
    fn outages_and_empty_series_are_refused() {
        assert!(LinkTrace::new(&[]).unwrap_err().contains("no sample"));
        let e = LinkTrace::new(&[1.0, 0.0, 2.0]).unwrap_err();
        assert!(e.starts_with("1 of its 3 samples"), "{e}");
    }

    #[test]
    fn the_default_series_has_no_outage_and_sprint_has() {
        let verizon = LinkTrace::five_gophers(&LinkSeries::default()).unwrap();
        assert!(verizon.len() >= 600);
        let sprint = LinkSeries {
            carrier: "SPRINT".into(),
            connections: 1,
            server: "US-East".into(),
        };
        let e = LinkTrace::five_gophers(&sprint).unwrap_err().to_string();
        assert!(
            e.contains("invalid option `links`") && e.contains("SPRINT"),
            "{e}"
        );
    }
}
