//! The fixed-size action and observation of the `caching` environment.

use crate::env::space::{BoxBuilder, BoxSpace, Discrete};

/// Sizes that fix the action and observation layout.
///
/// **Actions** (`Discrete(1 + N + N·M)`, `N` edge servers, `M` library models):
///
/// - `0` — *pass*: serve the request as it is (a hit is a hit; a miss is fetched from the
///   cloud and not admitted) and move to the next request;
/// - `1 + n` — *admit* the requested model at server `n`, then move on (the request itself
///   stays a miss: the model is fetched from the cloud and kept);
/// - `1 + N + n·M + i` — *evict* model `i` from server `n` and stay on the same request, so
///   that several evictions can make room before an admission.
///
/// Valid: pass always; on a miss that some server can deliver in time, admitting at such a
/// server `n` when the model fits in `n`'s free storage (blocks it shares with stored models
/// cost nothing), and evicting any model stored at such a server. On a hit or a request no
/// server can deliver in time, only pass.
///
/// **Observation** (`float32`, in this order):
///
/// | components | meaning | bounds |
/// |---|---|---|
/// | `model_<i>` | one-hot of the requested model | `[0, 1]` |
/// | `serves_<n>` | server `n` covers the user, fits the model and delivers it within the bound | `[0, 1]` |
/// | `hit` | some such server stores the model | `[0, 1]` |
/// | `stored_<n>_<i>` | server `n` stores model `i` | `[0, 1]` |
/// | `free_<n>` | fraction of server `n`'s storage that is free | `[0, 1]` |
/// | `admit_<n>` | bytes storing the requested model at `n` would add, over `n`'s storage | `[0, ∞)` |
/// | `window_requests_<i>` | requests for model `i` so far in the window, this one excluded | `[0, ∞)` |
/// | `requests_left` | requests of the window after this one | `[0, ∞)` |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachingLayout {
    /// Edge servers.
    pub servers: usize,
    /// Library models.
    pub models: usize,
}

/// What an action does (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheAction {
    /// Serve the request as it is and move on.
    Pass,
    /// Store the requested model at a server and move on.
    Admit {
        /// The server.
        server: usize,
    },
    /// Remove a model from a server and stay on the request.
    Evict {
        /// The server.
        server: usize,
        /// The model.
        model: usize,
    },
}

impl CachingLayout {
    /// The action space.
    pub fn action_space(&self) -> Discrete {
        Discrete {
            n: 1 + self.servers + self.servers * self.models,
        }
    }

    /// The action of `action`.
    pub fn action(&self, action: CacheAction) -> usize {
        match action {
            CacheAction::Pass => 0,
            CacheAction::Admit { server } => 1 + server,
            CacheAction::Evict { server, model } => 1 + self.servers + server * self.models + model,
        }
    }

    /// What action `a` does (`None` outside the space).
    pub fn decode(&self, a: usize) -> Option<CacheAction> {
        let (n, m) = (self.servers, self.models);
        match a {
            0 => Some(CacheAction::Pass),
            a if a <= n => Some(CacheAction::Admit { server: a - 1 }),
            a if a < 1 + n + n * m => {
                let within = a - 1 - n;
                Some(CacheAction::Evict {
                    server: within / m,
                    model: within % m,
                })
            }
            _ => None,
        }
    }

    /// The observation space (see the module documentation).
    pub fn observation_space(&self) -> BoxSpace {
        let (n, m, inf) = (self.servers, self.models, f32::INFINITY);
        let mut b = BoxBuilder::default();
        b.push(m, 0.0, 1.0, |i| format!("model_{i}"));
        b.push(n, 0.0, 1.0, |s| format!("serves_{s}"));
        b.push(1, 0.0, 1.0, |_| "hit".into());
        b.push(n * m, 0.0, 1.0, |j| format!("stored_{}_{}", j / m, j % m));
        b.push(n, 0.0, 1.0, |s| format!("free_{s}"));
        b.push(n, 0.0, inf, |s| format!("admit_{s}"));
        b.push(m, 0.0, inf, |i| format!("window_requests_{i}"));
        b.push(1, 0.0, inf, |_| "requests_left".into());
        b.build()
    }

    /// Offsets of the observation's parts: `(model, serves, hit, stored, free, admit,
    /// window_requests, requests_left)`.
    pub(crate) fn offsets(&self) -> [usize; 8] {
        let (n, m) = (self.servers, self.models);
        let model = 0;
        let serves = model + m;
        let hit = serves + n;
        let stored = hit + 1;
        let free = stored + n * m;
        let admit = free + n;
        let window = admit + n;
        let left = window + m;
        [model, serves, hit, stored, free, admit, window, left]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        let layout = CachingLayout {
            servers: 3,
            models: 16,
        };
        let n = layout.action_space().n;
        assert_eq!(n, 52);
        for a in 0..n {
            assert_eq!(layout.action(layout.decode(a).unwrap()), a);
        }
        assert_eq!(layout.decode(3), Some(CacheAction::Admit { server: 2 }));
        assert_eq!(
            layout.decode(4 + 16 + 5),
            Some(CacheAction::Evict {
                server: 1,
                model: 5
            })
        );
        assert_eq!(layout.decode(52), None);
        let space = layout.observation_space();
        assert_eq!(space.len(), 16 + 3 + 1 + 48 + 3 + 3 + 16 + 1);
        assert_eq!(layout.offsets()[7], space.len() - 1);
        assert_eq!(space.names[layout.offsets()[3] + 17], "stored_1_1");
    }
}
