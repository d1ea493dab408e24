//! Physical quantities written with their units in scenario files: `"20 MHz"`, `"100 Mbps"`,
//! `"15 ms"`, `"24 GB"`, `"23 dBm"`, `"10 dB"`. A number without a unit, or a unit of the wrong
//! kind, is an error that says what was expected.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The physical dimension of a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// Time, stored in seconds.
    Time,
    /// Data rate, stored in bits per second.
    Rate,
    /// Frequency, stored in hertz.
    Frequency,
    /// Amount of data, stored in bytes.
    Bytes,
    /// Power, stored in watts.
    Power,
    /// A power ratio, stored in decibels.
    Ratio,
}

impl Dimension {
    fn describe(self) -> &'static str {
        match self {
            Dimension::Time => "a time such as \"15 ms\" or \"2 s\"",
            Dimension::Rate => "a data rate such as \"100 Mbps\"",
            Dimension::Frequency => "a bandwidth such as \"20 MHz\"",
            Dimension::Bytes => "an amount of data such as \"24 GB\"",
            Dimension::Power => "a power such as \"23 dBm\" or \"0.2 W\"",
            Dimension::Ratio => "a ratio in decibels such as \"10 dB\"",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dimension::Time => "a time",
            Dimension::Rate => "a data rate",
            Dimension::Frequency => "a frequency",
            Dimension::Bytes => "an amount of data",
            Dimension::Power => "a power",
            Dimension::Ratio => "a ratio",
        }
    }
}

/// Unit symbols, their dimension, and the factor to the stored base unit (`dBm` is handled
/// separately because it is logarithmic).
const UNITS: &[(&str, Dimension, f64)] = &[
    ("ns", Dimension::Time, 1e-9),
    ("us", Dimension::Time, 1e-6),
    ("µs", Dimension::Time, 1e-6),
    ("ms", Dimension::Time, 1e-3),
    ("s", Dimension::Time, 1.0),
    ("min", Dimension::Time, 60.0),
    ("h", Dimension::Time, 3600.0),
    ("bps", Dimension::Rate, 1.0),
    ("kbps", Dimension::Rate, 1e3),
    ("Mbps", Dimension::Rate, 1e6),
    ("Gbps", Dimension::Rate, 1e9),
    ("Hz", Dimension::Frequency, 1.0),
    ("kHz", Dimension::Frequency, 1e3),
    ("MHz", Dimension::Frequency, 1e6),
    ("GHz", Dimension::Frequency, 1e9),
    ("B", Dimension::Bytes, 1.0),
    ("kB", Dimension::Bytes, 1e3),
    ("KB", Dimension::Bytes, 1e3),
    ("MB", Dimension::Bytes, 1e6),
    ("GB", Dimension::Bytes, 1e9),
    ("TB", Dimension::Bytes, 1e12),
    ("KiB", Dimension::Bytes, 1024.0),
    ("MiB", Dimension::Bytes, 1024.0 * 1024.0),
    ("GiB", Dimension::Bytes, 1024.0 * 1024.0 * 1024.0),
    ("mW", Dimension::Power, 1e-3),
    ("W", Dimension::Power, 1.0),
    ("dB", Dimension::Ratio, 1.0),
];

/// Parses `text` as a quantity of `dimension` and returns it in the base unit.
pub fn parse_quantity(text: &str, dimension: Dimension) -> Result<f64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not {}", dimension.describe()))?;
    if !value.is_finite() {
        return Err(format!("`{text}` is not finite"));
    }
    if unit.is_empty() {
        return Err(format!(
            "`{text}` has no unit; expected {}",
            dimension.describe()
        ));
    }
    if unit == "dBm" {
        if dimension != Dimension::Power {
            return Err(format!(
                "`{text}` is a power, expected {}",
                dimension.describe()
            ));
        }
        return Ok(10f64.powf((value - 30.0) / 10.0));
    }
    match UNITS.iter().find(|(symbol, _, _)| *symbol == unit) {
        Some((_, d, factor)) if *d == dimension => Ok(value * factor),
        Some((_, d, _)) => Err(format!(
            "`{text}` is {}, expected {}",
            d.name(),
            dimension.describe()
        )),
        None => Err(format!(
            "`{text}`: unknown unit `{unit}`; expected {}",
            dimension.describe()
        )),
    }
}

macro_rules! quantity {
    ($name:ident, $dimension:expr, $base:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name(pub f64);

        impl $name {
            /// The value in the base unit.
            pub fn get(self) -> f64 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_quantity(s, $dimension).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", self.0, $base)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($dimension.describe())
                    }

                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(E::custom)
                    }

                    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<$name, E> {
                        Err(E::custom(format!(
                            "`{v}` has no unit; expected {}",
                            $dimension.describe()
                        )))
                    }

                    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        self.visit_f64(v as f64)
                    }

                    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        self.visit_f64(v as f64)
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_string())
            }
        }
    };
}

quantity!(Seconds, Dimension::Time, "s", "A time, in seconds.");
quantity!(
    BitsPerSecond,
    Dimension::Rate,
    "bps",
    "A data rate, in bits per second."
);
quantity!(
    Hertz,
    Dimension::Frequency,
    "Hz",
    "A frequency or bandwidth, in hertz."
);
quantity!(Bytes, Dimension::Bytes, "B", "An amount of data, in bytes.");
quantity!(
    Watts,
    Dimension::Power,
    "W",
    "A power, in watts (`dBm` accepted on input)."
);
quantity!(
    Decibels,
    Dimension::Ratio,
    "dB",
    "A power ratio, in decibels."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_to_the_base_unit() {
        assert_eq!("15 ms".parse::<Seconds>().unwrap().get(), 0.015);
        assert_eq!("100Mbps".parse::<BitsPerSecond>().unwrap().get(), 1e8);
        assert_eq!("20 MHz".parse::<Hertz>().unwrap().get(), 2e7);
        assert_eq!("24 GB".parse::<Bytes>().unwrap().get(), 24e9);
        assert!(("23 dBm".parse::<Watts>().unwrap().get() - 0.19953).abs() < 1e-5);
        assert_eq!("1.5e3 ms".parse::<Seconds>().unwrap().get(), 1.5);
    }

    #[test]
    fn a_missing_or_wrong_unit_says_what_was_expected() {
        let e = "20".parse::<Hertz>().unwrap_err();
        assert!(e.contains("no unit") && e.contains("MHz"), "{e}");
        let e = "20 ms".parse::<Hertz>().unwrap_err();
        assert!(e.contains("is a time") && e.contains("bandwidth"), "{e}");
        let e = "20 parsecs".parse::<Seconds>().unwrap_err();
        assert!(e.contains("unknown unit `parsecs`"), "{e}");
        let e = "NaN s".parse::<Seconds>().unwrap_err();
        assert!(e.contains("NaN"), "{e}");
    }

    #[test]
    fn bare_numbers_in_files_are_rejected() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[allow(dead_code)]
            rtt: Seconds,
        }
        let e = toml::from_str::<T>("rtt = 15").unwrap_err().to_string();
        assert!(e.contains("no unit") && e.contains("line 1"), "{e}");
        let ok: T = toml::from_str("rtt = \"15 ms\"").unwrap();
        assert_eq!(ok.rtt.get(), 0.015);
    }
}
