//! What a run takes from the scenario's `[workload]` when it is not given: the trace and its
//! start, the epoch rule and the seed.

use crate::system::DataPath;
use crate::system::Error as InputError;
use crate::system::Scenario;
use crate::system::trace::EpochRule;

/// The trace a run reads and the time before which its requests are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSource {
    /// The trace file.
    pub path: DataPath,
    /// Requests arriving before this time (seconds since the first request) are left out.
    pub start_s: f64,
}

impl TraceSource {
    /// `trace` from its first request when given, else the scenario's workload trace from the
    /// workload's start (the start applies to its own trace only); `None` without either.
    pub fn of(scenario: &Scenario, trace: Option<&DataPath>) -> Option<TraceSource> {
        match (trace, &scenario.workload) {
            (Some(path), _) => Some(TraceSource {
                path: path.clone(),
                start_s: 0.0,
            }),
            (None, Some(w)) => Some(TraceSource {
                path: w.trace.clone(),
                start_s: w.start_s,
            }),
            (None, None) => None,
        }
    }
}

/// The epoch rule and its text for `run.json`: `rule` parsed when given, else the scenario's
/// workload window or request count; `None` without either.
pub fn epoch_rule(
    scenario: &Scenario,
    rule: Option<&str>,
) -> Result<Option<(EpochRule, String)>, InputError> {
    if let Some(text) = rule {
        return Ok(Some((text.parse()?, text.trim().to_string())));
    }
    Ok(
        match scenario.workload.as_ref().map(|w| (w.window_s, w.requests)) {
            Some((Some(seconds), _)) => {
                Some((EpochRule::Window { seconds }, format!("{seconds}s")))
            }
            Some((None, Some(n))) => Some((
                EpochRule::Count {
                    requests: n as usize,
                },
                n.to_string(),
            )),
            _ => None,
        },
    )
}

/// The run's seed: `seed` when given, else the scenario's workload seed, else 0.
pub fn run_seed(scenario: &Scenario, seed: Option<u64>) -> u64 {
    seed.or(scenario.workload.as_ref().map(|w| w.seed))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn small() -> Scenario {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Scenario::from_path(&root.join("scenarios/small.toml")).unwrap()
    }

    #[test]
    fn the_workload_fills_in_what_is_not_given() {
        let s = small();
        // small.toml: epochs of 8 requests of the Azure conversation trace, seed 1.
        let (rule, text) = epoch_rule(&s, None).unwrap().unwrap();
        assert_eq!(rule, EpochRule::Count { requests: 8 });
        assert_eq!(text, "8");
        let (rule, text) = epoch_rule(&s, Some(" 500ms ")).unwrap().unwrap();
        assert_eq!(rule, EpochRule::Window { seconds: 0.5 });
        assert_eq!(text, "500ms");
        assert!(epoch_rule(&s, Some("soon")).is_err());
        assert_eq!(run_seed(&s, None), 1);
        assert_eq!(run_seed(&s, Some(9)), 9);
        let source = TraceSource::of(&s, None).unwrap();
        assert!(source.path.to_string().ends_with("azure_llm_2023_conv.csv"));
        let other = DataPath::from(Path::new("other.csv"));
        let given = TraceSource::of(&s, Some(&other)).unwrap();
        assert_eq!((given.path, given.start_s), (other, 0.0));
    }

    #[test]
    fn without_a_workload_nothing_is_filled_in() {
        let mut s = small();
        s.workload = None;
        assert_eq!(epoch_rule(&s, None).unwrap(), None);
        assert_eq!(TraceSource::of(&s, None), None);
        assert_eq!(run_seed(&s, None), 0);
    }
}
