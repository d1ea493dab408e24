//! What every edge server stores, with storage counted in blocks: a block that several stored
//! models share is stored once ([`ModelLibrary::stored_bytes`]).

use crate::problems::caching::{ModelLibrary, Placement};

/// The contents of the edge caches.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Caches {
    /// `stored[n][i]`: server `n` stores model `i`.
    stored: Vec<Vec<bool>>,
    /// Bytes each server uses.
    used_bytes: Vec<f64>,
}

impl Caches {
    /// Empty caches for `servers` servers and `models` models.
    pub fn empty(servers: usize, models: usize) -> Caches {
        Caches {
            stored: vec![vec![false; models]; servers],
            used_bytes: vec![0.0; servers],
        }
    }

    /// Whether server `n` stores model `i`.
    pub fn stores(&self, n: usize, i: usize) -> bool {
        self.stored[n][i]
    }

    /// Bytes server `n` uses.
    pub fn used_bytes(&self, n: usize) -> f64 {
        self.used_bytes[n]
    }

    /// Bytes that storing model `i` on server `n` adds (0 if it is there; only its blocks that
    /// no stored model uses).
    pub fn added_bytes(&self, library: &ModelLibrary, n: usize, i: usize) -> f64 {
        if self.stored[n][i] {
            return 0.0;
        }
        let with = library.stored_bytes(self.models(n).chain([i]));
        (with - self.used_bytes[n]).max(0.0)
    }

    /// Stores model `i` on server `n`.
    pub fn admit(&mut self, library: &ModelLibrary, n: usize, i: usize) {
        self.stored[n][i] = true;
        self.used_bytes[n] = library.stored_bytes(self.models(n));
    }

    /// Removes model `i` from server `n`.
    pub fn evict(&mut self, library: &ModelLibrary, n: usize, i: usize) {
        self.stored[n][i] = false;
        self.used_bytes[n] = library.stored_bytes(self.models(n));
    }

    /// The models server `n` stores, in index order.
    fn models(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        self.stored[n]
            .iter()
            .enumerate()
            .filter(|(_, s)| **s)
            .map(|(i, _)| i)
    }

    /// The contents as a placement of the caching problem.
    pub fn placement(&self) -> Placement {
        Placement::from_flags(&self.stored)
    }
}
