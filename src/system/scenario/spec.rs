//! Link figures as a scenario writes them: a quantity with its unit (`"100 Mbps"`, `"15 ms"`),
//! a measured profile of `datasets/network/network_profiles_summary.csv`
//! (`{ dataset, radio, mobility, percentile, notes? }`) or a Shannon rate (`{ bandwidth, snr }`),
//! each resolved to base units while the file is read. Problem sections use them too.

use super::super::network::{NetworkProfile, Percentile, ProfileSelector, shannon_rate_bps};
use super::super::quantity::{BitsPerSecond, Decibels, Hertz, Seconds};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// An uplink rate given as a quantity (`"100 Mbps"`), a measured profile
/// (`{ dataset, radio, mobility, percentile, notes? }`) or a Shannon rate
/// (`{ bandwidth, snr }`), resolved to bits per second while the file is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UplinkRate(pub f64);

/// A downlink rate, written as an [`UplinkRate`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DownlinkRate(pub f64);

/// A time given as a quantity (`"15 ms"`) or a measured RTT profile, resolved to seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSpec(pub f64);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkTable {
    dataset: Option<String>,
    radio: Option<String>,
    mobility: Option<String>,
    notes: Option<String>,
    percentile: Option<Percentile>,
    bandwidth: Option<Hertz>,
    snr: Option<Decibels>,
}

impl LinkTable {
    fn selector(&self) -> std::result::Result<Option<ProfileSelector>, String> {
        match (&self.dataset, &self.radio, &self.mobility, self.percentile) {
            (None, None, None, None) => Ok(None),
            (Some(d), Some(r), Some(m), Some(p)) => Ok(Some(ProfileSelector {
                dataset: d.clone(),
                radio: r.clone(),
                mobility: m.clone(),
                notes: self.notes.clone(),
                percentile: p,
            })),
            _ => Err(
                "a measured profile needs all of `dataset`, `radio`, `mobility` and `percentile`"
                    .into(),
            ),
        }
    }

    fn measured(&self, direction: &str, metric: &str) -> std::result::Result<Option<f64>, String> {
        let Some(selector) = self.selector()? else {
            return Ok(None);
        };
        let profile = selector
            .find(NetworkProfile::bundled(), direction, metric)
            .map_err(|e| e.to_string())?;
        let value = profile
            .value(selector.percentile)
            .map_err(|e| e.to_string())?;
        if value <= 0.0 {
            return Err(format!(
                "the {:?} {direction} of `{} / {} / {}` is {value}: a link that never delivers cannot be planned for; pick another percentile",
                selector.percentile, profile.source, profile.radio, profile.mobility
            ));
        }
        Ok(Some(value))
    }
}

fn map_into<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<LinkTable, A::Error> {
    LinkTable::deserialize(de::value::MapAccessDeserializer::new(map))
}

/// Reads a rate of the given direction (`uplink` or `downlink`).
struct RateVisitor(&'static str);

impl<'de> Visitor<'de> for RateVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as \"100 Mbps\", a measured profile { dataset, radio, mobility, percentile } or { bandwidth, snr }")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<f64, E> {
        let rate: BitsPerSecond = v.parse().map_err(E::custom)?;
        if rate.get() <= 0.0 {
            return Err(E::custom(format!("rate must be positive, got `{v}`")));
        }
        Ok(rate.get())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<f64, A::Error> {
        let t = map_into(map)?;
        match (t.measured(self.0, "throughput_mbps"), t.bandwidth, t.snr) {
            (Err(e), _, _) => Err(de::Error::custom(e)),
            (Ok(Some(mbps)), None, None) => Ok(mbps * 1e6),
            (Ok(None), Some(b), Some(s)) => {
                if b.get() <= 0.0 {
                    return Err(de::Error::custom("bandwidth must be positive"));
                }
                Ok(shannon_rate_bps(b.get(), s.get()))
            }
            _ => Err(de::Error::custom(
                "give either a measured profile (dataset, radio, mobility, percentile) or a Shannon rate (bandwidth and snr), not both or neither",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for UplinkRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer
            .deserialize_any(RateVisitor("uplink"))
            .map(UplinkRate)
    }
}

impl<'de> Deserialize<'de> for DownlinkRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer
            .deserialize_any(RateVisitor("downlink"))
            .map(DownlinkRate)
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time such as \"15 ms\" or a measured RTT profile { dataset, radio, mobility, percentile }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<TimeSpec, E> {
                let t: Seconds = v.parse().map_err(E::custom)?;
                if t.get() < 0.0 {
                    return Err(E::custom(format!("time must not be negative, got `{v}`")));
                }
                Ok(TimeSpec(t.get()))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<TimeSpec, A::Error> {
                let t = map_into(map)?;
                if t.bandwidth.is_some() || t.snr.is_some() {
                    return Err(de::Error::custom(
                        "`bandwidth` and `snr` describe a rate, not an RTT",
                    ));
                }
                match t.measured("rtt", "rtt_ms") {
                    Err(e) => Err(de::Error::custom(e)),
                    Ok(Some(ms)) => Ok(TimeSpec(ms / 1e3)),
                    Ok(None) => Err(de::Error::custom(
                        "a measured RTT needs dataset, radio, mobility and percentile",
                    )),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl UplinkRate {
    /// The rate in bits per second.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl DownlinkRate {
    /// The rate in bits per second.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TimeSpec {
    /// The time in seconds.
    pub fn get(self) -> f64 {
        self.0
    }
}
