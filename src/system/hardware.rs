//! Hardware profiles (`datasets/profiles/device_profiles.csv`) and their calibration
//! (`datasets/profiles/device_calibration.csv`).

use super::architecture::name_key;
use super::error::{Error, Result};
use super::precision::Precision;
use super::table::Table;
use serde::Serialize;

/// The kind of hardware, which decides which calibration applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    /// Data-centre GPU (H100, A100, L4, ...).
    ServerGpu,
    /// Embedded GPU module (Jetson).
    EdgeModule,
    /// Phone system-on-chip.
    PhoneSoc,
    /// Laptop system-on-chip.
    LaptopSoc,
}

impl DeviceClass {
    /// The name used in the data files.
    pub fn name(self) -> &'static str {
        match self {
            DeviceClass::ServerGpu => "server_gpu",
            DeviceClass::EdgeModule => "edge_module",
            DeviceClass::PhoneSoc => "phone_soc",
            DeviceClass::LaptopSoc => "laptop_soc",
        }
    }

    fn parse(text: &str) -> Option<DeviceClass> {
        [
            DeviceClass::ServerGpu,
            DeviceClass::EdgeModule,
            DeviceClass::PhoneSoc,
            DeviceClass::LaptopSoc,
        ]
        .into_iter()
        .find(|c| c.name() == text)
    }
}

/// Vendor figures of one device (a row of `device_profiles.csv`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HardwareProfile {
    /// Device name as listed.
    pub name: String,
    /// Hardware class.
    pub class: DeviceClass,
    /// Memory capacity.
    pub memory_bytes: f64,
    /// Peak memory bandwidth.
    pub memory_bandwidth_bytes_per_s: f64,
    /// Dense fp16 tensor peak, when published.
    pub fp16_flops_per_s: Option<f64>,
    /// Dense int8 tensor peak, when published.
    pub int8_ops_per_s: Option<f64>,
    /// Lowest rated power, when published.
    pub power_min_w: Option<f64>,
    /// Highest rated power (TDP or top power mode), when published.
    pub power_max_w: Option<f64>,
}

impl HardwareProfile {
    /// Published peak arithmetic rate for weights stored at `precision`: fp16 weights run at
    /// the fp16 peak; int8 weights at the int8 peak (W8A8, as SmoothQuant); int4 weights are
    /// dequantised to fp16 (W4A16, as AWQ and MLC-LLM), so they run at the fp16 peak.
    pub fn peak_ops_per_s(&self, precision: Precision) -> Option<f64> {
        match precision {
            Precision::Fp16 | Precision::Int4 => self.fp16_flops_per_s,
            Precision::Int8 => self.int8_ops_per_s.or(self.fp16_flops_per_s),
        }
    }

    /// Reads `device_profiles.csv`.
    pub fn read_table(file: &str, text: &str) -> Result<Vec<HardwareProfile>> {
        let table = Table::parse(file, text)?;
        table.require(&[
            "device",
            "class",
            "memory_gb_max",
            "mem_bandwidth_gbps",
            "fp16_dense_tflops",
            "int8_dense_tops",
            "power_w_min",
            "power_w_max",
        ])?;
        table
            .rows()
            .map(|row| {
                let class_text = row.string("class")?;
                let class = DeviceClass::parse(&class_text).ok_or_else(|| {
                    row.error(
                        "class",
                        format!(
                            "unknown class `{class_text}`; expected server_gpu, edge_module, phone_soc or laptop_soc"
                        ),
                    )
                })?;
                let nonnegative = |column: &str| -> Result<Option<f64>> {
                    match row.optional_f64(column)? {
                        Some(v) if v <= 0.0 => {
                            Err(row.error(column, format!("must be positive, got {v}")))
                        }
                        other => Ok(other),
                    }
                };
                Ok(HardwareProfile {
                    name: row.string("device")?,
                    class,
                    memory_bytes: row.positive_f64("memory_gb_max")? * 1e9,
                    memory_bandwidth_bytes_per_s: row.positive_f64("mem_bandwidth_gbps")? * 1e9,
                    fp16_flops_per_s: nonnegative("fp16_dense_tflops")?.map(|v| v * 1e12),
                    int8_ops_per_s: nonnegative("int8_dense_tops")?.map(|v| v * 1e12),
                    power_min_w: nonnegative("power_w_min")?,
                    power_max_w: nonnegative("power_w_max")?,
                })
            })
            .collect()
    }
}

/// How close a device comes to its peaks, and the fixed costs a roofline leaves out
/// (a row of `device_calibration.csv`, keyed by device name or by class).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Device name or class name the row applies to.
    pub scope: String,
    /// Fraction of the published arithmetic peak achieved in prefill.
    pub compute_efficiency: Option<f64>,
    /// Fraction of the published memory bandwidth achieved in decode.
    pub memory_efficiency: f64,
    /// Fixed time per transformer block per call (kernel launches).
    pub layer_overhead_s: f64,
    /// Time per vocabulary entry to turn logits into the next token (softmax, sampling).
    pub sampling_s_per_vocab_entry: f64,
    /// Measured arithmetic rate, for devices whose peak is not published.
    pub achieved_flops_per_s: Option<f64>,
    /// Measured power while running an LLM, overriding the rated maximum.
    pub active_power_w: Option<f64>,
    /// Where the numbers come from.
    pub basis: String,
}

impl Calibration {
    /// Reads `device_calibration.csv`.
    pub fn read_table(file: &str, text: &str) -> Result<Vec<Calibration>> {
        let table = Table::parse(file, text)?;
        table.require(&[
            "scope",
            "compute_efficiency",
            "memory_efficiency",
            "layer_overhead_s",
            "sampling_s_per_vocab_entry",
            "achieved_flops_per_s",
            "active_power_w",
            "basis",
        ])?;
        table
            .rows()
            .map(|row| {
                let fraction = |column: &str| -> Result<Option<f64>> {
                    match row.optional_f64(column)? {
                        Some(v) if !(v > 0.0 && v <= 1.0) => {
                            Err(row.error(column, format!("must be in (0, 1], got {v}")))
                        }
                        other => Ok(other),
                    }
                };
                let nonnegative = |column: &str| -> Result<f64> {
                    let v = row.optional_f64(column)?.unwrap_or(0.0);
                    if v < 0.0 {
                        return Err(row.error(column, format!("must not be negative, got {v}")));
                    }
                    Ok(v)
                };
                let positive = |column: &str| -> Result<Option<f64>> {
                    match row.optional_f64(column)? {
                        Some(v) if v <= 0.0 => {
                            Err(row.error(column, format!("must be positive, got {v}")))
                        }
                        other => Ok(other),
                    }
                };
                Ok(Calibration {
                    scope: row.string("scope")?,
                    compute_efficiency: fraction("compute_efficiency")?,
                    memory_efficiency: fraction("memory_efficiency")?
                        .ok_or_else(|| row.error("memory_efficiency", "is empty"))?,
                    layer_overhead_s: nonnegative("layer_overhead_s")?,
                    sampling_s_per_vocab_entry: nonnegative("sampling_s_per_vocab_entry")?,
                    achieved_flops_per_s: positive("achieved_flops_per_s")?,
                    active_power_w: positive("active_power_w")?,
                    basis: row.string("basis")?,
                })
            })
            .collect()
    }

    /// The calibration for `profile`: its own row if there is one, else its class's row.
    pub fn find<'a>(
        calibrations: &'a [Calibration],
        profile: &HardwareProfile,
    ) -> Result<&'a Calibration> {
        let own = name_key(&profile.name);
        calibrations
            .iter()
            .find(|c| {
                name_key(&c.scope) == own || name_key(short(&profile.name)) == name_key(&c.scope)
            })
            .or_else(|| {
                calibrations
                    .iter()
                    .find(|c| c.scope == profile.class.name())
            })
            .ok_or_else(|| {
                Error::invalid(
                    format!("device `{}`", profile.name),
                    format!(
                        "no calibration row for it or for its class `{}` in device_calibration.csv",
                        profile.class.name()
                    ),
                )
            })
    }
}

/// The name without its parenthesised remark: `Qualcomm Snapdragon 8 Gen 3 (e.g. ...)` →
/// `Qualcomm Snapdragon 8 Gen 3`.
pub(crate) fn short(name: &str) -> &str {
    name.split(" (").next().unwrap_or(name).trim()
}
