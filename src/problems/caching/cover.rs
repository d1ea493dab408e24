//! The bookkeeping every constructive solver shares: which requests already hit, the marginal
//! hit-ratio gain of storing a model on a server, and the bytes that would add.

use super::decision::Placement;
use super::evaluate::TOLERANCE;
use super::instance::CachingInstance;

/// How storage is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accounting {
    /// Shared blocks stored once per server (the truth).
    Shared,
    /// Every model in full, as classic content caching counts it (sharing-blind).
    Blind,
}

/// A partial placement and what it achieves.
pub(crate) struct Cover<'a> {
    pub(crate) instance: &'a CachingInstance,
    accounting: Accounting,
    /// `pairs[n·models + i]`: the demands of model `i` server `n` can serve.
    pairs: Vec<Vec<usize>>,
    hit: Vec<bool>,
    /// Hit ratio of the placement so far.
    pub(crate) value: f64,
    pub(crate) placement: Placement,
    /// Per server, which blocks it stores.
    stored_blocks: Vec<Vec<bool>>,
    /// Per server, bytes used under the accounting.
    pub(crate) used: Vec<f64>,
    /// Marginal-gain evaluations done (for statistics).
    pub(crate) evaluations: u64,
}

impl<'a> Cover<'a> {
    pub(crate) fn new(instance: &'a CachingInstance, accounting: Accounting) -> Cover<'a> {
        let servers = instance.servers.len();
        let models = instance.library.models.len();
        let mut pairs = vec![Vec::new(); servers * models];
        for (d, demand) in instance.demands().iter().enumerate() {
            for &n in &demand.servers {
                pairs[n * models + demand.model].push(d);
            }
        }
        Cover {
            instance,
            accounting,
            pairs,
            hit: vec![false; instance.demands().len()],
            value: 0.0,
            placement: Placement::empty(servers),
            stored_blocks: vec![vec![false; instance.library.blocks.len()]; servers],
            used: vec![0.0; servers],
            evaluations: 0,
        }
    }

    pub(crate) fn models(&self) -> usize {
        self.instance.library.models.len()
    }

    /// Whether storing `i` on `n` could ever raise the hit ratio (some demand there).
    pub(crate) fn useful(&self, n: usize, i: usize) -> bool {
        !self.pairs[n * self.models() + i].is_empty()
    }

    /// Hit-ratio gain of storing `i` on `n` now.
    pub(crate) fn gain(&mut self, n: usize, i: usize) -> f64 {
        self.evaluations += 1;
        if self.placement.stores(n, i) {
            return 0.0;
        }
        let demands = self.instance.demands();
        self.pairs[n * self.models() + i]
            .iter()
            .filter(|&&d| !self.hit[d])
            .map(|&d| demands[d].weight)
            .sum()
    }

    /// Bytes storing `i` on `n` adds under the accounting.
    pub(crate) fn marginal_bytes(&self, n: usize, i: usize) -> f64 {
        match self.accounting {
            Accounting::Blind => self.instance.model_bytes(i),
            Accounting::Shared => self.instance.library.models[i]
                .blocks
                .iter()
                .filter(|&&b| !self.stored_blocks[n][b])
                .map(|&b| self.instance.library.blocks[b].bytes)
                .sum(),
        }
    }

    /// Whether block `b` is stored on `n`.
    pub(crate) fn block_stored(&self, n: usize, b: usize) -> bool {
        self.stored_blocks[n][b]
    }

    /// Whether `extra` more bytes fit on `n`.
    pub(crate) fn fits_bytes(&self, n: usize, extra: f64) -> bool {
        self.used[n] + extra <= self.instance.servers[n].storage_bytes * (1.0 + TOLERANCE / 10.0)
    }

    /// Stores `i` on `n`; returns the blocks newly stored there.
    pub(crate) fn add(&mut self, n: usize, i: usize) -> Vec<usize> {
        if self.placement.stores(n, i) {
            return Vec::new();
        }
        self.used[n] += self.marginal_bytes(n, i);
        let models = self.models();
        let demands = self.instance.demands();
        for &d in &self.pairs[n * models + i] {
            if !self.hit[d] {
                self.hit[d] = true;
                self.value += demands[d].weight;
            }
        }
        self.placement.insert(n, i);
        let mut new = Vec::new();
        for &b in &self.instance.library.models[i].blocks {
            if !self.stored_blocks[n][b] {
                self.stored_blocks[n][b] = true;
                new.push(b);
            }
        }
        new
    }
}
