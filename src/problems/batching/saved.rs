//! A batching instance as text and back: its servers' state, the waiting requests, the time
//! and the objective, on the scenario it was built from (each server's hardware is the
//! scenario's edge server of that name; the costs are derived again).

use super::{
    BatchServer, BatchingInstance, BatchingParts, Objective, RunningRequest, WaitingRequest,
};
use crate::problems::Error;
use crate::system::{Catalogue, Precision, Scenario};
use serde::{Deserialize, Serialize};

/// A server's state in a saved instance.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedServer {
    name: String,
    memory_bytes: f64,
    precisions: Vec<Precision>,
    loaded: Option<Precision>,
    running: Vec<RunningRequest>,
}

/// What a saved batching instance holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    model: String,
    servers: Vec<SavedServer>,
    requests: Vec<WaitingRequest>,
    now_s: f64,
    objective: Objective,
}

impl BatchingInstance {
    /// The instance's state as JSON, for [`BatchingInstance::restore`].
    pub fn save(&self) -> String {
        let servers = self
            .servers
            .iter()
            .map(|s| SavedServer {
                name: s.name.clone(),
                memory_bytes: s.memory_bytes,
                precisions: s.precisions.clone(),
                loaded: s.loaded,
                running: s.running.clone(),
            })
            .collect();
        let saved = Saved {
            model: self.model.name.clone(),
            servers,
            requests: self.requests.clone(),
            now_s: self.now_s,
            objective: self.objective,
        };
        serde_json::to_string(&saved).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The instance [`BatchingInstance::save`] wrote, on `scenario` (whose edge servers carry
    /// the saved servers' names). Requests no server can serve are kept, as they were when the
    /// saved instance was built.
    pub fn restore(scenario: &Scenario, text: &str) -> Result<BatchingInstance, Error> {
        let bad = |what: String| Error::Instance(format!("saved batching instance: {what}"));
        let saved: Saved = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let model = Catalogue::bundled()
            .model(&saved.model)
            .map_err(|e| bad(e.to_string()))?
            .clone();
        let servers = saved
            .servers
            .into_iter()
            .map(|s| {
                let edge = scenario
                    .edge_servers
                    .iter()
                    .find(|e| e.name == s.name)
                    .ok_or_else(|| {
                        bad(format!(
                            "server `{}` is not an edge server of scenario `{}`",
                            s.name, scenario.name
                        ))
                    })?;
                Ok(BatchServer {
                    name: s.name,
                    node: edge.node.clone(),
                    memory_bytes: s.memory_bytes,
                    precisions: s.precisions,
                    loaded: s.loaded,
                    running: s.running,
                })
            })
            .collect::<Result<_, Error>>()?;
        BatchingInstance::new(BatchingParts {
            model,
            servers,
            requests: saved.requests,
            now_s: saved.now_s,
            objective: saved.objective,
            allow_unservable: true,
        })
    }
}
