//! Arguments shared by several subcommands: the problem, the scenario, the problem's settings,
//! and durations.

use mei4llm::problems::Error as ProblemError;
use mei4llm::problems::registry::{self, Registered, RegistryError};
use mei4llm::replay::Error as ReplayError;
use mei4llm::solve::MAX_THREADS;
use mei4llm::system::{DataPath, Scenario};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// The longest duration a flag takes (about 31.7 years): a bound so that `1e30s` is refused
/// with a clear message instead of overflowing.
const MAX_DURATION_S: f64 = 1e9;

/// What a plan minimises (`--objective`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// Sum of end-to-end latencies (s).
    Latency,
    /// Sum of device energies (J).
    Energy,
    /// Weighted sum: --per-second · latency + --per-joule · energy.
    Mixed,
}

impl ObjectiveArg {
    fn name(self) -> &'static str {
        match self {
            ObjectiveArg::Latency => "latency",
            ObjectiveArg::Energy => "energy",
            ObjectiveArg::Mixed => "mixed",
        }
    }
}

/// The problem, its scenario and its settings: `--problem`, `--scenario`, the settings flags
/// and `--set`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProblemArgs {
    /// The problem (see the list below).
    #[arg(long, default_value = "split")]
    pub problem: String,
    /// A scenario file (.toml or .json), or the name of a bundled scenario (`small`, `city`,
    /// `caching-small`, …; `mei4llm inspect --scenarios` lists them).
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: String,
    /// What the plan minimises (split).
    #[arg(long, value_enum)]
    pub objective: Option<ObjectiveArg>,
    /// Weight of one second of latency (split, with --objective mixed).
    #[arg(long, value_name = "W", value_parser = parse_weight, allow_hyphen_values = true)]
    pub per_second: Option<f64>,
    /// Weight of one joule of device energy (split, with --objective mixed).
    #[arg(long, value_name = "W", value_parser = parse_weight, allow_hyphen_values = true)]
    pub per_joule: Option<f64>,
    /// Any setting of the problem, as KEY=VALUE (repeatable; the settings are listed below).
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = key_value)]
    pub set: Vec<(String, Value)>,
}

/// The SLO flags of `solve-trace` (settings of split).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SloArgs {
    /// TTFT SLO of split's replayed requests, e.g. 2s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub ttft_slo: Option<Duration>,
    /// TPOT SLO of split, which sets each request's end-to-end SLO without --e2e-slo.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub tpot_slo: Option<Duration>,
    /// A fixed end-to-end SLO of split for every request, e.g. 30s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub e2e_slo: Option<Duration>,
}

/// The flag that sets each setting key, for messages.
const FLAGS: [(&str, &str); 9] = [
    ("objective", "--objective"),
    ("per_second", "--per-second"),
    ("per_joule", "--per-joule"),
    ("ttft_slo_s", "--ttft-slo"),
    ("tpot_slo_s", "--tpot-slo"),
    ("e2e_slo_s", "--e2e-slo"),
    ("trace", "--trace"),
    ("epoch", "--epoch"),
    ("solvers", "--solvers"),
];

impl ProblemArgs {
    /// The registered problem.
    pub fn entry(&self) -> Result<&'static dyn Registered, RegistryError> {
        registry::find(&self.problem)
    }

    /// The scenario, with every problem section it holds read by its problem.
    pub fn scenario(&self) -> Result<Arc<Scenario>, RegistryError> {
        registry::open_scenario(&self.scenario)
    }

    /// The settings the flags give, as keys and values; `slo` adds the SLO flags.
    pub fn settings(&self, slo: Option<&SloArgs>) -> Value {
        let mut map = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(v) = value {
                map.insert(key.into(), v);
            }
        };
        put("objective", self.objective.map(|o| o.name().into()));
        put("per_second", self.per_second.map(Value::from));
        put("per_joule", self.per_joule.map(Value::from));
        if let Some(slo) = slo {
            let seconds = |d: Option<Duration>| d.map(|d| Value::from(d.as_secs_f64()));
            put("ttft_slo_s", seconds(slo.ttft_slo));
            put("tpot_slo_s", seconds(slo.tpot_slo));
            put("e2e_slo_s", seconds(slo.e2e_slo));
        }
        for (key, value) in &self.set {
            map.insert(key.clone(), value.clone());
        }
        Value::Object(map)
    }
}

/// A registry error, with a setting key named by its flag (`--objective` rather than
/// `objective`).
pub fn with_flags(error: RegistryError) -> String {
    let text = error.to_string();
    match error {
        RegistryError::Problem(ProblemError::Setting(_))
        | RegistryError::Replay(ReplayError::Config { .. }) => {
            FLAGS.iter().fold(text, |t, (key, flag)| {
                t.replace(&format!("`{key}`"), flag.as_ref())
            })
        }
        _ => text,
    }
}

/// `KEY=VALUE`: a number, `true`/`false`, or else a string.
fn key_value(text: &str) -> Result<(String, Value), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: give KEY=VALUE"))?;
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
    Ok((key.trim().into(), value))
}

/// A trace path as given (`bundled:…` names a bundled file).
pub fn trace(text: &Option<String>) -> Result<Option<DataPath>, mei4llm::system::Error> {
    text.as_deref().map(DataPath::parse).transpose()
}

/// The problems, their settings and solvers, for `--help`: one block per problem.
pub fn problems_help(with_settings: bool) -> String {
    let mut text = String::new();
    for entry in registry::all() {
        text.push_str(&format!(
            "\n--problem {}: {}\n",
            entry.name(),
            entry.about()
        ));
        if with_settings {
            let settings = entry.settings();
            if settings.is_empty() {
                text.push_str("  settings: none (the scenario's section says everything)\n");
            }
            for s in settings {
                let flag = FLAGS
                    .iter()
                    .find(|(key, _)| *key == s.key)
                    .map_or_else(|| format!("--set {}=...", s.key), |(_, f)| f.to_string());
                text.push_str(&format!("  {flag:<14}{}\n", s.help));
            }
        }
        text.push_str("  solvers:\n");
        for s in entry.solvers() {
            text.push_str(&format!("    {:<14}{}\n", s.name, s.help));
        }
    }
    text
}

/// A weight of the objective: a finite non-negative number.
pub fn parse_weight(text: &str) -> Result<f64, String> {
    let weight: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(format!(
            "`{text}`: a weight must be finite and non-negative"
        ));
    }
    Ok(weight)
}

/// A thread count in `1..=MAX_THREADS`.
pub fn parse_threads(text: &str) -> Result<usize, String> {
    let threads: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a thread count such as 2"))?;
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(format!("`{text}`: threads must be in 1..={MAX_THREADS}"));
    }
    Ok(threads)
}

/// `5s`, `500ms`, `2m`, `1.5s` or a bare number of seconds; positive, finite and at most
/// about 31 years.
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
    if seconds > MAX_DURATION_S {
        return Err(format!(
            "`{text}`: a duration must be at most {MAX_DURATION_S:e} s"
        ));
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
        assert!(parse_duration("1e30s").unwrap_err().contains("at most"));
        assert!(parse_duration("-1s").unwrap_err().contains("positive"));
    }

    #[test]
    fn thread_counts() {
        assert_eq!(parse_threads("2"), Ok(2));
        assert!(parse_threads("0").unwrap_err().contains("1..=256"));
        assert!(parse_threads("10000").unwrap_err().contains("1..=256"));
        assert!(parse_threads("-1").unwrap_err().contains("thread count"));
    }

    #[test]
    fn settings_from_flags_and_set() {
        let args = ProblemArgs {
            problem: "split".into(),
            scenario: "small".into(),
            objective: Some(ObjectiveArg::Mixed),
            per_second: Some(1.0),
            per_joule: None,
            set: vec![key_value("per_joule=0.5").unwrap()],
        };
        let s = args.settings(None);
        assert_eq!(s["objective"], "mixed");
        assert_eq!(s["per_joule"], 0.5);
        assert_eq!(key_value("name=x").unwrap().1, "x");
        assert!(key_value("nothing").is_err());
    }
}
