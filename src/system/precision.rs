//! Numeric precision of stored weights.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Precision at which a model's weights are stored.
///
/// Quantised weights are weight-only: activations and the KV cache stay in fp16.
/// `Int4` is stored as 4-bit integers in groups of 32 weights sharing one fp16 scale, i.e.
/// 4.5 bits per weight — the `q4f16_1` group quantisation of MLC-LLM
/// (`python/mlc_llm/quantization/quantization.py`: `group_size=32`, `quantize_dtype="int4"`,
/// `model_dtype="float16"`). `Int8` stores one byte per weight with a per-channel scale, as in
/// LLM.int8() and SmoothQuant (the per-channel scales are below 0.1% of the bytes and ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 16-bit floating point (fp16 / bf16).
    Fp16,
    /// 8-bit integer weights.
    Int8,
    /// 4-bit integer weights with fp16 group scales (group of 32).
    Int4,
}

/// Bytes per element of activations and KV-cache entries (fp16).
pub const ACTIVATION_BYTES: f64 = 2.0;

/// Bytes of one token id sent between device and server (int32).
pub const TOKEN_ID_BYTES: f64 = 4.0;

impl Precision {
    /// All precisions, from widest to narrowest.
    pub const ALL: [Precision; 3] = [Precision::Fp16, Precision::Int8, Precision::Int4];

    /// Storage bits per quantised weight, scales included.
    pub fn bits_per_weight(self) -> f64 {
        match self {
            Precision::Fp16 => 16.0,
            Precision::Int8 => 8.0,
            Precision::Int4 => 4.5,
        }
    }

    /// Storage bytes per quantised weight, scales included.
    pub fn bytes_per_weight(self) -> f64 {
        self.bits_per_weight() / 8.0
    }

    /// The lower-case name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp16 => "fp16",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fp16" | "bf16" | "f16" => Ok(Precision::Fp16),
            "int8" | "i8" => Ok(Precision::Int8),
            "int4" | "i4" => Ok(Precision::Int4),
            other => Err(format!(
                "unknown precision `{other}`; expected fp16, int8 or int4"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_rejects_others() {
        assert_eq!("FP16".parse::<Precision>(), Ok(Precision::Fp16));
        assert_eq!("int4".parse::<Precision>(), Ok(Precision::Int4));
        assert!("int3".parse::<Precision>().unwrap_err().contains("int3"));
    }

    #[test]
    fn int4_carries_its_group_scale() {
        // 4 bits + 16-bit scale / 32 weights.
        assert_eq!(Precision::Int4.bits_per_weight(), 4.0 + 16.0 / 32.0);
        assert_eq!(Precision::Fp16.bytes_per_weight(), 2.0);
    }
}
