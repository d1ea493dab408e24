//! The fixed-size action and observation of the `split` environment, and how both are read
//! from a partial plan.

use crate::env::space::{BoxBuilder, BoxSpace, Discrete};
use crate::problems::split::{Choice, SplitInstance, State, Tier};
use crate::system::Scenario;

/// Sizes that fix the action and observation layout of a scenario.
///
/// **Actions** (`Discrete(1 + 2·E·L)`, `E` edge servers, `L` the largest block count of the
/// scenario's models): `0` runs the whole model on the device; `1 + e·L + s` splits at `s` with
/// the rest on edge server `e`; `1 + E·L + e·L + s` splits at `s` with the rest in the cloud
/// through the cell of edge server `e`. An action is valid (its mask entry is set) when its
/// choice is one of the request's candidates ([`SplitInstance::candidates`]: it fits in memory
/// and can meet the deadlines, and no other choice dominates it) and it keeps edge memory and
/// the deadline floors of the requests placed before it. When no candidate is valid, every
/// candidate is (the plan then breaks a constraint and the epoch report says so).
///
/// **Observation** (`float32`, in this order):
///
/// | components | meaning | bounds |
/// |---|---|---|
/// | `marginal_<a>` for every action `a` | increase of the epoch objective (seconds or joules) if the request takes action `a`, shares at their closed form; 0 where the action is masked | `[0, ∞)` |
/// | `uplink_term_<e>`, `compute_term_<e>`, `memory_used_<e>` per edge server | the cell's `(Σ √a)²`, the GPU's `(Σ √g)²` (objective units) and the fraction of its memory held, for the requests placed so far | `[0, ∞)`, `[0, ∞)`, `[0, 1]` |
/// | `model_<m>` | one-hot of the request's model | `[0, 1]` |
/// | `prompt_tokens`, `output_tokens` | the request's tokens | `[0, ∞)` |
/// | `uplink_bps` | the uplink rate of the request's device this epoch | `[0, ∞)` |
/// | `objective_so_far` | the epoch objective of the requests placed so far (closed form) | `[0, ∞)` |
/// | `requests_left` | requests of the epoch after this one | `[0, ∞)` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitLayout {
    /// Edge servers.
    pub edges: usize,
    /// Largest block count of the scenario's models.
    pub layers: usize,
    /// Models of the scenario.
    pub models: usize,
}

impl SplitLayout {
    /// The layout of `scenario`.
    pub fn of(scenario: &Scenario) -> SplitLayout {
        SplitLayout {
            edges: scenario.edge_servers.len(),
            layers: scenario
                .models
                .iter()
                .map(|m| m.architecture.layers as usize)
                .max()
                .unwrap_or(0),
            models: scenario.models.len(),
        }
    }

    /// The action space.
    pub fn action_space(&self) -> Discrete {
        Discrete {
            n: 1 + 2 * self.edges * self.layers,
        }
    }

    /// The action of `choice`, if the layout has one.
    pub fn action(&self, choice: Choice) -> Option<usize> {
        if choice.tier == Tier::Device {
            return Some(0);
        }
        let (e, s) = (choice.server?, choice.split as usize);
        if e >= self.edges || s >= self.layers {
            return None;
        }
        let within = e * self.layers + s;
        match choice.tier {
            Tier::Device => None,
            Tier::Edge => Some(1 + within),
            Tier::Cloud => Some(1 + self.edges * self.layers + within),
        }
    }

    /// The choice of `action` for a model of `layers` blocks (`None` outside the space).
    pub fn choice(&self, action: usize, layers: u32) -> Option<Choice> {
        let block = self.edges * self.layers;
        match action {
            0 => Some(Choice::device_only(layers)),
            a if a <= block => {
                let within = a - 1;
                Some(Choice::edge(
                    within / self.layers,
                    (within % self.layers) as u32,
                ))
            }
            a if a <= 2 * block => {
                let within = a - 1 - block;
                Some(Choice::cloud(
                    within / self.layers,
                    (within % self.layers) as u32,
                ))
            }
            _ => None,
        }
    }

    /// The index into [`SplitInstance::candidates`] of request `k` that `action` names.
    pub fn candidate(&self, instance: &SplitInstance, k: usize, action: usize) -> Option<usize> {
        let choice = self.choice(action, instance.layers(k))?;
        instance
            .candidates(k)
            .iter()
            .position(|o| o.choice == choice)
    }

    /// The observation space (see the module documentation).
    pub fn observation_space(&self) -> BoxSpace {
        let actions = self.action_space().n;
        let inf = f32::INFINITY;
        let mut b = BoxBuilder::default();
        b.push(actions, 0.0, inf, |a| format!("marginal_{a}"));
        for e in 0..self.edges {
            b.push(1, 0.0, inf, |_| format!("uplink_term_{e}"));
            b.push(1, 0.0, inf, |_| format!("compute_term_{e}"));
            b.push(1, 0.0, 1.0, |_| format!("memory_used_{e}"));
        }
        b.push(self.models, 0.0, 1.0, |m| format!("model_{m}"));
        for name in [
            "prompt_tokens",
            "output_tokens",
            "uplink_bps",
            "objective_so_far",
            "requests_left",
        ] {
            b.push(1, 0.0, inf, |_| name.into());
        }
        b.build()
    }

    /// Writes the observation and action mask of request `k` given the plan in `state` (the
    /// requests before `k` placed).
    pub(crate) fn observe(
        &self,
        instance: &SplitInstance,
        state: &State<'_>,
        k: usize,
        observation: &mut [f32],
        mask: &mut [bool],
    ) {
        observation.fill(0.0);
        mask.fill(false);
        let candidates = instance.candidates(k);
        let mut any = false;
        for (i, option) in candidates.iter().enumerate() {
            let Some(a) = self.action(option.choice) else {
                continue;
            };
            if let Some(delta) = state.delta(k, i) {
                observation[a] = delta.max(0.0) as f32;
                mask[a] = true;
                any = true;
            }
        }
        if !any {
            for option in candidates {
                if let Some(a) = self.action(option.choice) {
                    mask[a] = true;
                }
            }
        }
        let mut j = self.action_space().n;
        for e in 0..self.edges {
            let (uplink, compute, memory_bytes) = state.edge_load(e);
            observation[j] = uplink as f32;
            observation[j + 1] = compute as f32;
            observation[j + 2] =
                (memory_bytes / instance.edge_memory_bytes(e)).clamp(0.0, 1.0) as f32;
            j += 3;
        }
        let request = &instance.requests[k];
        observation[j + request.model] = 1.0;
        j += self.models;
        let device = &instance.scenario.devices[request.device];
        observation[j] = request.prompt_tokens as f32;
        observation[j + 1] = request.output_tokens as f32;
        observation[j + 2] = device.radio.uplink_bps as f32;
        observation[j + 3] = state.objective().max(0.0) as f32;
        observation[j + 4] = (instance.requests.len() - k - 1) as f32;
    }

    /// The observation after the last step of an episode: zeros, with only action 0 valid so
    /// that a mask is never empty.
    pub(crate) fn terminal(observation: &mut [f32], mask: &mut [bool]) {
        observation.fill(0.0);
        mask.fill(false);
        if let Some(first) = mask.first_mut() {
            *first = true;
        }
    }
}

/// The plan of `picks` (candidate indices of the requests placed so far).
pub(crate) fn state_of<'a>(instance: &'a SplitInstance, picks: &[usize]) -> State<'a> {
    let mut state = State::new(instance);
    for (k, &i) in picks.iter().enumerate() {
        state.apply(k, i);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_choices_round_trip() {
        let layout = SplitLayout {
            edges: 2,
            layers: 32,
            models: 2,
        };
        assert_eq!(layout.action_space().n, 129);
        assert_eq!(layout.choice(0, 28), Some(Choice::device_only(28)));
        for a in 1..129 {
            let choice = layout.choice(a, 32).unwrap();
            assert_eq!(layout.action(choice), Some(a), "{choice}");
        }
        assert_eq!(layout.choice(1, 32), Some(Choice::edge(0, 0)));
        assert_eq!(layout.choice(64, 32), Some(Choice::edge(1, 31)));
        assert_eq!(layout.choice(65, 32), Some(Choice::cloud(0, 0)));
        assert_eq!(layout.choice(129, 32), None);
        assert_eq!(layout.action(Choice::edge(2, 0)), None);
        assert_eq!(layout.action(Choice::cloud(0, 32)), None);
        assert_eq!(layout.observation_space().len(), 129 + 6 + 2 + 5);
    }
}
