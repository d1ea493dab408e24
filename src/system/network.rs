//! Measured mobile links (`datasets/network/`): percentile profiles of throughput and RTT, the
//! 5Gophers throughput series, and the Shannon rate.

use super::error::{Error, Result};
use super::table::Table;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

const SUMMARY_FILE: &str = "datasets/network/network_profiles_summary.csv";
const SUMMARY: &str = include_str!("../../datasets/network/network_profiles_summary.csv");
const GOPHERS_FILE: &str = "datasets/network/5gophers_throughput.csv";
const GOPHERS: &str = include_str!("../../datasets/network/5gophers_throughput.csv");

/// Maximum output power of a power-class-3 (handheld) 5G NR user equipment: 23 dBm
/// (3GPP TS 38.101-1 / 38.101-2 / 38.101-3, UE power class 3), in watts.
pub const UE_POWER_CLASS_3_W: f64 = 0.199_526_231_496_887_97;

/// Power a phone's radio draws while connected and waiting for data: the base power of an LTE
/// handset in RRC_CONNECTED, 1288 mW (β of the power model `P = α_u·t_u + α_d·t_d + β` of Huang
/// et al., "A close examination of performance and power characteristics of 4G LTE networks",
/// ACM MobiSys 2012), in watts.
pub const LTE_CONNECTED_POWER_W: f64 = 1.288;

/// One row of `network_profiles_summary.csv`: percentiles of one metric of one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkProfile {
    /// The dataset and paper.
    pub source: String,
    /// Radio technology (and carrier).
    pub radio: String,
    /// `static`, `walking`, `driving` or `n/a`.
    pub mobility: String,
    /// `uplink`, `downlink`, `rtt`, ...
    pub direction: String,
    /// `throughput_mbps`, `rtt_ms`, ...
    pub metric: String,
    /// 10th percentile (absent for specification targets).
    pub p10: Option<f64>,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Free-text notes (connections, server location, units).
    pub notes: String,
}

/// Which percentile of a profile to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Percentile {
    /// 10th percentile (a poor link).
    P10,
    /// Median.
    P50,
    /// 90th percentile (a good link).
    P90,
}

/// Picks exactly one row of the summary: every given field must match (case-insensitive
/// substring), e.g. `dataset = "nuwins"`, `radio = "5G"`, `mobility = "static"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSelector {
    /// Substring of the `source` column (`irish5g`, `5gophers`, `nuwins`, `ITU-R`).
    pub dataset: String,
    /// The `radio` column (exact, case-insensitive), e.g. `5G`, `LTE`, `5G mmWave VERIZON`.
    pub radio: String,
    /// The `mobility` column, e.g. `static`.
    pub mobility: String,
    /// Substring of the `notes` column, to tell rows apart (e.g. `US-West`, `8 parallel`).
    #[serde(default)]
    pub notes: Option<String>,
    /// Which percentile.
    pub percentile: Percentile,
}

impl NetworkProfile {
    /// All rows of the bundled summary.
    pub fn bundled() -> &'static [NetworkProfile] {
        static PROFILES: OnceLock<Vec<NetworkProfile>> = OnceLock::new();
        PROFILES.get_or_init(|| {
            NetworkProfile::read_table(SUMMARY_FILE, SUMMARY)
                .unwrap_or_else(|e| panic!("the bundled network summary is inconsistent: {e}"))
        })
    }

    /// Reads `network_profiles_summary.csv`.
    pub fn read_table(file: &str, text: &str) -> Result<Vec<NetworkProfile>> {
        let table = Table::parse(file, text)?;
        table.require(&[
            "source",
            "radio",
            "mobility",
            "direction",
            "metric",
            "p10",
            "p50",
            "p90",
            "notes",
        ])?;
        table
            .rows()
            .map(|row| {
                Ok(NetworkProfile {
                    source: row.string("source")?,
                    radio: row.string("radio")?,
                    mobility: row.string("mobility")?,
                    direction: row.string("direction")?,
                    metric: row.string("metric")?,
                    p10: row.optional_f64("p10")?,
                    p50: row
                        .optional_f64("p50")?
                        .ok_or_else(|| row.error("p50", "is empty"))?,
                    p90: row.optional_f64("p90")?,
                    notes: row.text("notes")?.to_string(),
                })
            })
            .collect()
    }

    /// The chosen percentile, or an error when the row has none (specification targets).
    pub fn value(&self, percentile: Percentile) -> Result<f64> {
        match percentile {
            Percentile::P50 => Some(self.p50),
            Percentile::P10 => self.p10,
            Percentile::P90 => self.p90,
        }
        .ok_or_else(|| {
            Error::invalid(
                format!("network profile `{} / {}`", self.source, self.radio),
                format!("has no {percentile:?} value (only a target median)"),
            )
        })
    }
}

impl ProfileSelector {
    /// The single row of `profiles` of the given direction and metric this selector picks.
    pub fn find<'a>(
        &self,
        profiles: &'a [NetworkProfile],
        direction: &str,
        metric: &str,
    ) -> Result<&'a NetworkProfile> {
        let contains =
            |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
        let matches: Vec<&NetworkProfile> = profiles
            .iter()
            .filter(|p| {
                contains(&p.source, &self.dataset)
                    && p.radio.eq_ignore_ascii_case(&self.radio)
                    && p.mobility.eq_ignore_ascii_case(&self.mobility)
                    && p.direction.to_lowercase().starts_with(direction)
                    && p.metric == metric
                    && self.notes.as_ref().is_none_or(|n| contains(&p.notes, n))
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(Error::invalid(
                "network profile",
                format!(
                    "no {direction} {metric} row matches dataset `{}`, radio `{}`, mobility `{}`{}; rows of this kind: {}",
                    self.dataset,
                    self.radio,
                    self.mobility,
                    self.notes
                        .as_ref()
                        .map(|n| format!(", notes `{n}`"))
                        .unwrap_or_default(),
                    profiles
                        .iter()
                        .filter(|p| p.direction.to_lowercase().starts_with(direction)
                            && p.metric == metric)
                        .map(|p| format!(
                            "{} | {} | {} | {}",
                            p.source, p.radio, p.mobility, p.notes
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            )),
            many => Err(Error::invalid(
                "network profile",
                format!(
                    "{} {direction} {metric} rows match; add `notes` to pick one of: {}",
                    many.len(),
                    many.iter()
                        .map(|p| p.notes.as_str())
                        .collect::<Vec<_>>()
                        .join(" | ")
                ),
            )),
        }
    }
}

/// Shannon capacity `bandwidth × log2(1 + SNR)` in bits per second.
pub fn shannon_rate_bps(bandwidth_hz: f64, snr_db: f64) -> f64 {
    bandwidth_hz * (1.0 + 10f64.powf(snr_db / 10.0)).log2()
}

/// A measured throughput time series of the 5Gophers mmWave data set (Narayanan et al.,
/// WWW 2020): one carrier, connection count and server, samples in run then sequence order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThroughputSeries {
    /// Carrier (`SPRINT`, `TMOBILE`, `VERIZON`).
    pub carrier: String,
    /// Parallel TCP connections (1 or 8).
    pub connections: u32,
    /// Server location (`US-East`, `US-West`).
    pub server: String,
    /// Throughput samples in bits per second (one per second in the measurement).
    pub samples_bps: Vec<f64>,
}

impl ThroughputSeries {
    /// The bundled 5Gophers series for one carrier, connection count and server.
    pub fn five_gophers(carrier: &str, connections: u32, server: &str) -> Result<ThroughputSeries> {
        let table = Table::parse(GOPHERS_FILE, GOPHERS)?;
        table.require(&[
            "carrier",
            "num_tcp_conn",
            "server_location",
            "run_num",
            "seq_num",
            "throughput_mbps",
        ])?;
        let mut rows = Vec::new();
        for row in table.rows() {
            if !row.text("carrier")?.eq_ignore_ascii_case(carrier)
                || row.positive_u64("num_tcp_conn")? != connections as u64
                || !row.text("server_location")?.eq_ignore_ascii_case(server)
            {
                continue;
            }
            let run = row.positive_u64("run_num")?;
            let seq: u64 = row
                .text("seq_num")?
                .parse()
                .map_err(|_| row.error("seq_num", "is not a whole number"))?;
            let mbps = row
                .optional_f64("throughput_mbps")?
                .ok_or_else(|| row.error("throughput_mbps", "is empty"))?;
            if mbps < 0.0 {
                return Err(row.error("throughput_mbps", format!("is negative: {mbps}")));
            }
            rows.push((run, seq, mbps * 1e6));
        }
        if rows.is_empty() {
            return Err(Error::invalid(
                "5Gophers series",
                format!(
                    "no samples for carrier `{carrier}`, {connections} connection(s), server `{server}`; carriers: SPRINT, TMOBILE, VERIZON; connections: 1, 8; servers: US-East, US-West"
                ),
            ));
        }
        rows.sort_by_key(|&(run, seq, _)| (run, seq));
        Ok(ThroughputSeries {
            carrier: carrier.to_uppercase(),
            connections,
            server: server.into(),
            samples_bps: rows.into_iter().map(|(_, _, bps)| bps).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_has_every_row() {
        assert_eq!(NetworkProfile::bundled().len(), 34);
    }

    #[test]
    fn selectors_pick_one_row_or_say_why_not() {
        let all = NetworkProfile::bundled();
        let s = ProfileSelector {
            dataset: "nuwins".into(),
            radio: "5G".into(),
            mobility: "static".into(),
            notes: None,
            percentile: Percentile::P50,
        };
        let up = s.find(all, "uplink", "throughput_mbps").unwrap();
        assert_eq!(up.value(Percentile::P50).unwrap(), 102.8);
        assert_eq!(s.find(all, "rtt", "rtt_ms").unwrap().p50, 14.3);
        let gophers = ProfileSelector {
            dataset: "5gophers".into(),
            radio: "5G mmWave VERIZON".into(),
            mobility: "static".into(),
            notes: None,
            percentile: Percentile::P50,
        };
        let e = gophers.find(all, "rtt", "rtt_ms").unwrap_err().to_string();
        assert!(e.contains("2 rtt") && e.contains("US-West"), "{e}");
        let west = ProfileSelector {
            notes: Some("US-West".into()),
            ..gophers
        };
        assert_eq!(west.find(all, "rtt", "rtt_ms").unwrap().p50, 99.3);
    }

    #[test]
    fn shannon_by_hand() {
        // 20 MHz at 0 dB SNR: 20e6 · log2(2) = 20 Mbps.
        assert!((shannon_rate_bps(20e6, 0.0) - 20e6).abs() < 1e-6);
        assert!((shannon_rate_bps(1e6, 10.0 * 3f64.log10()) - 2e6).abs() < 1e-6);
    }

    #[test]
    fn five_gophers_series_are_ordered_and_complete() {
        let s = ThroughputSeries::five_gophers("verizon", 1, "US-East").unwrap();
        assert!(s.samples_bps.len() > 100);
        assert!(s.samples_bps.iter().all(|&x| x >= 0.0));
        assert!(ThroughputSeries::five_gophers("ATT", 1, "US-East").is_err());
    }
}
