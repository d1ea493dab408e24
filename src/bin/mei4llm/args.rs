//! Arguments shared by several subcommands: what a plan minimises, and durations.

use mei4llm::problems::split::Objective;
use std::time::Duration;

/// What the plan minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// Sum of end-to-end latencies (s).
    Latency,
    /// Sum of device energies (J).
    Energy,
    /// Weighted sum: --per-second · latency + --per-joule · energy.
    Mixed,
}

/// `--objective`, `--per-second` and `--per-joule`.
#[derive(Debug, Clone, clap::Args)]
pub struct ObjectiveArgs {
    /// What the plan minimises.
    #[arg(long, value_enum, default_value = "latency")]
    pub objective: ObjectiveArg,
    /// Weight of one second of latency (with --objective mixed).
    #[arg(long, value_name = "W")]
    pub per_second: Option<f64>,
    /// Weight of one joule of device energy (with --objective mixed).
    #[arg(long, value_name = "W")]
    pub per_joule: Option<f64>,
}

impl ObjectiveArgs {
    /// The objective the flags describe.
    pub fn objective(&self) -> Result<Objective, String> {
        match (self.objective, self.per_second, self.per_joule) {
            (ObjectiveArg::Mixed, Some(per_second), Some(per_joule)) => Ok(Objective::Mixed {
                per_second,
                per_joule,
            }),
            (ObjectiveArg::Mixed, _, _) => {
                Err("--objective mixed needs both --per-second and --per-joule".into())
            }
            (_, None, None) => Ok(match self.objective {
                ObjectiveArg::Energy => Objective::Energy,
                _ => Objective::Latency,
            }),
            _ => Err("--per-second and --per-joule only apply to --objective mixed".into()),
        }
    }
}

/// The objectives, for `--help`.
pub const OBJECTIVES_HELP: &str = "Objectives (what the plan minimises, summed over the epoch's requests):\n\
     \x20 latency  end-to-end latency in seconds, from the prompt to the last token: device and\n\
     \x20          server compute, uploads, and one round trip per generated token under an\n\
     \x20          inner split (1 <= split < blocks)\n\
     \x20 energy   device energy in joules: on-device compute at active power plus radio\n\
     \x20          transmission at the device's transmit power plus the connected radio while\n\
     \x20          it waits for the server (round trips, server compute, tokens down)\n\
     \x20 mixed    per-second · latency + per-joule · energy (give --per-second and --per-joule)\n";

/// `5s`, `500ms`, `2m`, `1.5s` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("min").or_else(|| text.strip_suffix('m')) {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 5s, 500ms or 2m"))?;
    let seconds = value * scale;
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("`{text}`: a duration must be positive and finite"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn objectives() {
        let args = |objective, per_second, per_joule| ObjectiveArgs {
            objective,
            per_second,
            per_joule,
        };
        assert_eq!(
            args(ObjectiveArg::Energy, None, None).objective(),
            Ok(Objective::Energy)
        );
        assert!(
            args(ObjectiveArg::Mixed, Some(1.0), None)
                .objective()
                .is_err()
        );
        assert!(
            args(ObjectiveArg::Latency, Some(1.0), None)
                .objective()
                .is_err()
        );
    }
}
