//! Observation and action spaces with exact shapes, bounds and dtypes, as Gymnasium states
//! them (`gymnasium.spaces.Box` and `gymnasium.spaces.Discrete`).

use serde::Serialize;

/// A one-dimensional `float32` box: observation `o` lies in the space when
/// `low[j] ≤ o[j] ≤ high[j]` for every `j` (`+∞` allowed in `high`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BoxSpace {
    /// Lower bound of every component.
    pub low: Vec<f32>,
    /// Upper bound of every component.
    pub high: Vec<f32>,
    /// What each component is (name and unit), in order.
    pub names: Vec<String>,
}

impl BoxSpace {
    /// Number of components (the shape is `[len]`).
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// Whether the space has no component.
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Whether `observation` has the right length and every component lies within its bounds.
    pub fn contains(&self, observation: &[f32]) -> bool {
        observation.len() == self.len()
            && observation
                .iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(o, (lo, hi))| *lo <= *o && *o <= *hi)
    }
}

/// Actions `0, 1, …, n − 1` (Gymnasium `Discrete(n)`, dtype `int64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Discrete {
    /// Number of actions.
    pub n: usize,
}

/// Components of a [`BoxSpace`] under construction, each with its bounds and name.
#[derive(Debug, Default)]
pub(crate) struct BoxBuilder {
    space: BoxSpace,
}

impl BoxBuilder {
    /// Adds `count` components named `name(j)` within `[low, high]`.
    pub fn push(&mut self, count: usize, low: f32, high: f32, name: impl Fn(usize) -> String) {
        for j in 0..count {
            self.space.low.push(low);
            self.space.high.push(high);
            self.space.names.push(name(j));
        }
    }

    /// The space.
    pub fn build(self) -> BoxSpace {
        self.space
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_checks_length_and_bounds() {
        let mut b = BoxBuilder::default();
        b.push(2, 0.0, f32::INFINITY, |j| format!("load_{j}_s"));
        b.push(1, 0.0, 1.0, |_| "fraction".into());
        let space = b.build();
        assert_eq!(space.len(), 3);
        assert_eq!(space.names, ["load_0_s", "load_1_s", "fraction"]);
        assert!(space.contains(&[0.0, 1e30, 1.0]));
        assert!(!space.contains(&[0.0, 1.0, 1.5]));
        assert!(!space.contains(&[-1.0, 1.0, 0.5]));
        assert!(!space.contains(&[0.0, f32::NAN, 0.5]));
        assert!(!space.contains(&[0.0, 1.0]));
    }
}
