//! How well the cost model predicts measurements, and how its fitted constants were fitted.
//!
//! The edge-module class (Jetson) has two fitted constants: the fraction of memory bandwidth
//! achieved in decode, and a sampling time per vocabulary entry per generated token (turning
//! logits into the next token: softmax and sampling over the whole vocabulary). They are fitted
//! to the measured decode speed of seven models on the Jetson Orin Nano 8GB in both power modes
//! (`datasets/profiles/jetson_orin_nano_llm_decode.csv`, MLC-LLM, INT4): [`fit_decode`]
//! minimises the mean absolute relative error subject to no row being off by more than
//! [`WORST_ROW_LIMIT`]. The Gemma-2-9B row in Super mode gains only 1.28× from 1.5× the
//! memory bandwidth; no bandwidth-proportional model reproduces that, and it is the row that
//! bounds the fit.

use super::catalogue::Catalogue;
use super::error::Result;
use super::model_cost::Part;
use super::node::Node;
use super::precision::Precision;
use super::table::Table;
use serde::Serialize;

const JETSON_FILE: &str = "datasets/profiles/jetson_orin_nano_llm_decode.csv";
const JETSON: &str = include_str!("../../datasets/profiles/jetson_orin_nano_llm_decode.csv");

/// Largest relative error any row may have in the fit of [`fit_decode`].
pub const WORST_ROW_LIMIT: f64 = 0.34;

/// Context (cached tokens) at which the benchmark's decode speed is predicted. The benchmark
/// generates from short prompts, where the KV cache read is under 1% of the weights read.
pub const BENCHMARK_CONTEXT: u64 = 0;

/// One measured decode speed and the model's prediction of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeRow {
    /// Model as named in the catalogue.
    pub model: String,
    /// Device profile used.
    pub device: String,
    /// Power mode as written in the measurement table.
    pub power_mode: String,
    /// Measured tokens per second.
    pub measured_tokens_per_s: f64,
    /// Predicted tokens per second.
    pub predicted_tokens_per_s: f64,
}

impl DecodeRow {
    /// `predicted / measured − 1`.
    pub fn relative_error(&self) -> f64 {
        self.predicted_tokens_per_s / self.measured_tokens_per_s - 1.0
    }
}

/// The comparison of every row of the Jetson decode table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodeComparison {
    /// One row per measurement.
    pub rows: Vec<DecodeRow>,
}

impl DecodeComparison {
    /// Median of the absolute relative errors.
    pub fn median_abs_error(&self) -> f64 {
        let mut e: Vec<f64> = self.rows.iter().map(|r| r.relative_error().abs()).collect();
        e.sort_by(f64::total_cmp);
        let n = e.len();
        if n == 0 {
            return 0.0;
        }
        if n % 2 == 1 {
            e[n / 2]
        } else {
            (e[n / 2 - 1] + e[n / 2]) / 2.0
        }
    }

    /// Largest absolute relative error.
    pub fn max_abs_error(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| r.relative_error().abs())
            .fold(0.0, f64::max)
    }

    /// Mean absolute relative error.
    pub fn mean_abs_error(&self) -> f64 {
        self.rows
            .iter()
            .map(|r| r.relative_error().abs())
            .sum::<f64>()
            / self.rows.len().max(1) as f64
    }
}

/// A measurement resolved to a catalogue model and a device node.
struct Measurement {
    model: String,
    power_mode: String,
    tokens_per_s: f64,
    node: Node,
    cost: super::model_cost::ModelCost,
}

fn measurements(catalogue: &Catalogue) -> Result<Vec<Measurement>> {
    let table = Table::parse(JETSON_FILE, JETSON)?;
    table.require(&[
        "model",
        "device",
        "power_mode",
        "quantization",
        "decode_tokens_per_s",
    ])?;
    table
        .rows()
        .map(|row| {
            let arch = catalogue
                .model(&row.string("model")?)
                .map_err(|e| row.error("model", e.to_string()))?;
            let precision: Precision = row
                .string("quantization")?
                .parse()
                .map_err(|e: String| row.error("quantization", e))?;
            let mode = row.string("power_mode")?;
            // The Super power mode (JetPack 6.2) has its own profile row.
            let device = if mode.contains("Super") {
                "NVIDIA Jetson Orin Nano 8GB (Super, JetPack 6.2)"
            } else {
                "NVIDIA Jetson Orin Nano 8GB"
            };
            Ok(Measurement {
                model: arch.name.clone(),
                power_mode: mode,
                tokens_per_s: row.positive_f64("decode_tokens_per_s")?,
                node: catalogue.node(device)?,
                cost: arch.cost(precision),
            })
        })
        .collect()
}

fn predict(m: &Measurement) -> Result<f64> {
    m.node.decode_tokens_per_s(&m.cost, BENCHMARK_CONTEXT)
}

/// Predicted against measured decode speed for every row of the Jetson table, with the
/// catalogue's calibration.
pub fn compare_decode(catalogue: &Catalogue) -> Result<DecodeComparison> {
    let rows = measurements(catalogue)?
        .iter()
        .map(|m| {
            Ok(DecodeRow {
                model: m.model.clone(),
                device: m.node.name().to_string(),
                power_mode: m.power_mode.clone(),
                measured_tokens_per_s: m.tokens_per_s,
                predicted_tokens_per_s: predict(m)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DecodeComparison { rows })
}

/// The two fitted constants of the edge-module class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecodeFit {
    /// Fraction of memory bandwidth achieved.
    pub memory_efficiency: f64,
    /// Sampling time per vocabulary entry per generated token.
    pub sampling_s_per_vocab_entry: f64,
    /// Mean absolute relative error at the fit.
    pub mean_abs_error: f64,
    /// Largest absolute relative error at the fit.
    pub max_abs_error: f64,
}

/// Fits memory efficiency (grid step 0.001 in (0.3, 1]) and sampling time (step 1e-10 s in
/// [0, 3e-7]) to the Jetson table: minimise the mean absolute relative error subject to every
/// row within [`WORST_ROW_LIMIT`], searching a coarse grid and then refining around its best
/// point. The other constants of the class stay as in the catalogue.
pub fn fit_decode(catalogue: &Catalogue) -> Result<Option<DecodeFit>> {
    let mut rows = measurements(catalogue)?;
    let mut evaluate = |eta: f64, c: f64| -> Result<(f64, f64)> {
        let mut sum = 0.0;
        let mut worst: f64 = 0.0;
        for m in rows.iter_mut() {
            m.node.calibration.memory_efficiency = eta;
            m.node.calibration.sampling_s_per_vocab_entry = c;
            let e = (predict(m)? / m.tokens_per_s - 1.0).abs();
            sum += e;
            worst = worst.max(e);
        }
        Ok((sum / rows.len() as f64, worst))
    };
    let mut best: Option<DecodeFit> = None;
    let mut search = |etas: &mut dyn Iterator<Item = f64>,
                      cs: &[f64],
                      best: &mut Option<DecodeFit>|
     -> Result<()> {
        for eta in etas {
            for &c in cs {
                let (mean, worst) = evaluate(eta, c)?;
                if worst <= WORST_ROW_LIMIT && best.is_none_or(|b| mean < b.mean_abs_error) {
                    *best = Some(DecodeFit {
                        memory_efficiency: eta,
                        sampling_s_per_vocab_entry: c,
                        mean_abs_error: mean,
                        max_abs_error: worst,
                    });
                }
            }
        }
        Ok(())
    };
    let coarse_c: Vec<f64> = (0..=60).map(|i| i as f64 * 5e-9).collect();
    search(
        &mut (30..=100).map(|i| i as f64 / 100.0),
        &coarse_c,
        &mut best,
    )?;
    let Some(coarse) = best else {
        return Ok(None);
    };
    let centre_eta = (coarse.memory_efficiency * 1000.0).round() as i64;
    let centre_c = (coarse.sampling_s_per_vocab_entry / 1e-10).round() as i64;
    let fine_c: Vec<f64> = (centre_c - 100..=centre_c + 100)
        .filter(|&i| i >= 0)
        .map(|i| i as f64 * 1e-10)
        .collect();
    search(
        &mut (centre_eta - 20..=centre_eta + 20)
            .filter(|&i| (300..=1000).contains(&i))
            .map(|i| i as f64 / 1000.0),
        &fine_c,
        &mut best,
    )?;
    Ok(best)
}

const PHONE_FILE: &str = "datasets/profiles/phone_llm_measurements.csv";
const PHONE: &str = include_str!("../../datasets/profiles/phone_llm_measurements.csv");

/// One measured phone run and the model's prediction of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneRow {
    /// Model as named in the catalogue.
    pub model: String,
    /// System-on-chip profile.
    pub soc: String,
    /// Prompt length of the time-to-first-token measurement, when given.
    pub prompt_tokens: Option<u64>,
    /// Measured time to first token, when given.
    pub measured_ttft_s: Option<f64>,
    /// Predicted time to first token (when a prompt length is given).
    pub predicted_ttft_s: Option<f64>,
    /// Measured decode tokens per second.
    pub measured_tokens_per_s: f64,
    /// Predicted decode tokens per second (at the measured context, or an empty cache when it
    /// is not stated).
    pub predicted_tokens_per_s: f64,
}

/// Predicted against measured speed for every row of `phone_llm_measurements.csv`: the rows
/// the phone calibration was derived from, and the rows that check it.
pub fn compare_phones(catalogue: &Catalogue) -> Result<Vec<PhoneRow>> {
    let table = Table::parse(PHONE_FILE, PHONE)?;
    table.require(&[
        "model",
        "soc",
        "prompt_tokens",
        "context_tokens",
        "time_to_first_token_s",
        "decode_tokens_per_s",
    ])?;
    table
        .rows()
        .map(|row| {
            let arch = catalogue
                .model(&row.string("model")?)
                .map_err(|e| row.error("model", e.to_string()))?;
            let soc = row.string("soc")?;
            let node = catalogue
                .node(&soc)
                .map_err(|e| row.error("soc", e.to_string()))?;
            // w4a16: 4-bit weights, 16-bit activations.
            let cost = arch.cost(Precision::Int4);
            let prompt = row.optional_f64("prompt_tokens")?.map(|v| v as u64);
            let context = row.optional_f64("context_tokens")?.map_or(0, |v| v as u64);
            let predicted_ttft_s = match prompt {
                Some(n) => Some(node.prefill_s(&cost, Part::whole(cost.layers), n)?),
                None => None,
            };
            Ok(PhoneRow {
                model: arch.name.clone(),
                soc: node.name().to_string(),
                prompt_tokens: prompt,
                measured_ttft_s: row.optional_f64("time_to_first_token_s")?,
                predicted_ttft_s,
                measured_tokens_per_s: row.positive_f64("decode_tokens_per_s")?,
                predicted_tokens_per_s: node.decode_tokens_per_s(&cost, context)?,
            })
        })
        .collect()
}
