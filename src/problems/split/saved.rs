//! A split instance as text and back: its requests, objective and the devices' radio links
//! (an environment varies the link rates from epoch to epoch), on the scenario it was built
//! from (the candidates are derived again).

use super::{Objective, SplitInstance, SplitRequest};
use crate::problems::Error;
use crate::system::{Radio, Scenario};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a saved split instance holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    requests: Vec<SplitRequest>,
    objective: Objective,
    radios: Vec<Radio>,
}

impl SplitInstance {
    /// The instance's requests, objective and radio links as JSON, for
    /// [`SplitInstance::restore`].
    pub fn save(&self) -> String {
        let saved = Saved {
            requests: self.requests.clone(),
            objective: self.objective,
            radios: self.scenario.devices.iter().map(|d| d.radio).collect(),
        };
        serde_json::to_string(&saved).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The instance [`SplitInstance::save`] wrote, on `scenario` (with the saved radio links).
    pub fn restore(scenario: Arc<Scenario>, text: &str) -> Result<SplitInstance, Error> {
        let bad = |what: String| Error::Instance(format!("saved split instance: {what}"));
        let saved: Saved = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if saved.radios.len() != scenario.devices.len() {
            return Err(bad(format!(
                "{} radio links for the {} devices of scenario `{}`",
                saved.radios.len(),
                scenario.devices.len(),
                scenario.name
            )));
        }
        let same = scenario
            .devices
            .iter()
            .zip(&saved.radios)
            .all(|(d, r)| d.radio == *r);
        let scenario = if same {
            scenario
        } else {
            let mut linked = (*scenario).clone();
            for (device, radio) in linked.devices.iter_mut().zip(saved.radios) {
                device.radio = radio;
            }
            Arc::new(linked)
        };
        SplitInstance::new(scenario, saved.requests, saved.objective)
    }
}
