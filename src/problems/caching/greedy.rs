//! Lazy greedy on the submodular hit ratio (CELF: Leskovec et al., "Cost-effective outbreak
//! detection in networks", KDD 2007), aware of shared blocks.
//!
//! The hit ratio is a weighted coverage function of the stored (server, model) pairs, hence
//! monotone and submodular: a pair's marginal gain only falls as others are stored. Two greedy
//! passes run and the better placement is kept:
//!
//! - **density**: repeatedly store the candidate of largest gain per byte it adds. A candidate is
//!   a (server, model) pair, or a *bundle*: a shared block not yet on the server together with
//!   the prefix, in order of gain per own byte, of the models using it that has the largest gain
//!   per byte including the block (so that a 13 GB base whose adapters are worth storing only
//!   together is not passed over because each adapter alone looks expensive);
//! - **gain**: repeatedly store the pair of largest gain that fits.
//!
//! Evaluation is lazy (Minoux, 1978): candidates sit in a priority queue under a key that is an
//! upper bound of their current value; the top is re-evaluated and taken only if it still
//! tops the queue. Gains only fall, so a stale key stays an upper bound; bytes added by a
//! candidate fall when one of its blocks is stored on its server, which would *raise* its
//! density, so those candidates are re-evaluated and re-queued at once (eagerly). The result is
//! the same as the plain greedy's.
//!
//! Guarantees (see `formulations/caching.md`): with no shared block and equal model sizes the
//! storage constraints form a partition matroid and the gain pass alone is within 1/2 of the
//! optimum (Fisher, Nemhauser and Wolsey, 1978); with no shared block and one server, the better
//! of the two passes is within (1 − 1/e)/2 (Leskovec et al., 2007; Khuller, Moss and Naor, 1999).
//! With shared blocks the storage used is a submodular, not modular, function of the stored
//! models and no constant factor is guaranteed (the general TrimCaching problem admits no
//! polynomial-time approximation, Qu et al., ICDCS 2024).

use super::cover::{Accounting, Cover};
use super::decision::Placement;
use super::instance::CachingInstance;
use crate::solve::executor::deadline;
use crate::solve::{Budget, Found, Problem, SolveError, Solver};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Lazy greedy, best of the density and gain passes, with shared-block bundles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Greedy;

/// A candidate move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Candidate {
    /// Store model `1` on server `0`.
    Single(usize, usize),
    /// Store shared block `1` on server `0` with its best prefix of models.
    Bundle(usize, usize),
}

struct Entry {
    key: f64,
    candidate: Candidate,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Larger key first; among equal keys, the smaller candidate first (deterministic).
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

/// What a pass maximises per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Gain per byte added.
    Density,
    /// Gain.
    Gain,
}

/// The models of a bundle `(n, b)` worth storing with block `b` and the bundle's density, or
/// `None` when no prefix fits.
fn bundle(cover: &mut Cover, users: &[usize], n: usize, b: usize) -> Option<(f64, Vec<usize>)> {
    let block_bytes = cover.instance.library.blocks[b].bytes;
    let mut items: Vec<(f64, f64, usize)> = Vec::new();
    for &i in users {
        if cover.placement.stores(n, i) || !cover.useful(n, i) {
            continue;
        }
        let g = cover.gain(n, i);
        if g <= 0.0 {
            continue;
        }
        let own = cover.marginal_bytes(n, i) - block_bytes;
        items.push((g, own.max(0.0), i));
    }
    items.sort_by(|x, y| {
        let dx = x.0 / x.1.max(f64::MIN_POSITIVE);
        let dy = y.0 / y.1.max(f64::MIN_POSITIVE);
        dy.total_cmp(&dx).then(x.2.cmp(&y.2))
    });
    let (mut gain, mut bytes) = (0.0, block_bytes);
    let mut best: Option<(f64, usize)> = None;
    for (t, &(g, c, _)) in items.iter().enumerate() {
        if !cover.fits_bytes(n, bytes + c) {
            break;
        }
        gain += g;
        bytes += c;
        let density = gain / bytes;
        if best.is_none_or(|(d, _)| density > d) {
            best = Some((density, t + 1));
        }
    }
    best.map(|(d, t)| (d, items[..t].iter().map(|x| x.2).collect()))
}

/// The current key of a candidate and, for a bundle, its models; `None` when it cannot be
/// taken (stored already, no gain, does not fit).
fn evaluate(
    cover: &mut Cover,
    pass: Pass,
    users_of_block: &[Vec<usize>],
    candidate: Candidate,
) -> Option<(f64, Vec<usize>)> {
    match candidate {
        Candidate::Single(n, i) => {
            if cover.placement.stores(n, i) {
                return None;
            }
            let g = cover.gain(n, i);
            let c = cover.marginal_bytes(n, i);
            if g <= 0.0 || !cover.fits_bytes(n, c) {
                return None;
            }
            let key = match pass {
                Pass::Gain => g,
                Pass::Density if c > 0.0 => g / c,
                Pass::Density => f64::INFINITY,
            };
            Some((key, vec![i]))
        }
        Candidate::Bundle(n, b) => {
            if cover.block_stored(n, b) {
                return None;
            }
            bundle(cover, &users_of_block[b], n, b)
        }
    }
}

/// Runs one lazy greedy pass and returns the cover it builds.
pub(crate) fn lazy_pass<'a>(
    instance: &'a CachingInstance,
    accounting: Accounting,
    pass: Pass,
    deadline: Option<Instant>,
) -> (Cover<'a>, bool) {
    let mut lazy = Lazy::new(instance, accounting, pass);
    lazy.seed();
    let mut timed_out = false;
    while let Some(top) = lazy.heap.pop() {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            timed_out = true;
            break;
        }
        let Some((key, chosen)) = lazy.evaluate(top.candidate) else {
            continue;
        };
        if lazy.heap.peek().is_some_and(|next| key < next.key) {
            lazy.heap.push(Entry {
                key,
                candidate: top.candidate,
            });
            continue;
        }
        let (n, new_blocks) = lazy.take(top.candidate, chosen);
        // Bytes added by candidates using a newly stored block fell: re-queue them now.
        if pass == Pass::Density && !new_blocks.is_empty() {
            lazy.requeue(n, &new_blocks);
        }
    }
    (lazy.cover, timed_out)
}

/// A lazy greedy pass under way: the cover so far and the queue of candidates under keys
/// that bound their current value from above.
struct Lazy<'a> {
    cover: Cover<'a>,
    pass: Pass,
    heap: BinaryHeap<Entry>,
    /// Per block, the models that use it.
    users_of_block: Vec<Vec<usize>>,
    /// The shared blocks bundles are made of (none but in a density pass with shared blocks).
    shared: Vec<usize>,
}

impl<'a> Lazy<'a> {
    /// Nothing stored and nothing queued.
    fn new(instance: &'a CachingInstance, accounting: Accounting, pass: Pass) -> Lazy<'a> {
        let cover = Cover::new(instance, accounting);
        let users_of_block = instance.library.users_of_blocks();
        let shared: Vec<usize> = if accounting == Accounting::Shared && pass == Pass::Density {
            instance.library.shared_blocks()
        } else {
            Vec::new()
        };
        Lazy {
            cover,
            pass,
            heap: BinaryHeap::new(),
            users_of_block,
            shared,
        }
    }

    /// The current key of `candidate` and its models, if it can be taken ([`evaluate`]).
    fn evaluate(&mut self, candidate: Candidate) -> Option<(f64, Vec<usize>)> {
        evaluate(&mut self.cover, self.pass, &self.users_of_block, candidate)
    }

    /// Queues `candidate` under its current key, if it can be taken.
    fn push(&mut self, candidate: Candidate) {
        if let Some((key, _)) = self.evaluate(candidate) {
            self.heap.push(Entry { key, candidate });
        }
    }

    /// Queues every useful pair and, per server, every bundle of a shared block some useful
    /// model uses.
    fn seed(&mut self) {
        let instance = self.cover.instance;
        for n in 0..instance.servers.len() {
            for i in 0..instance.library.models.len() {
                if self.cover.useful(n, i) {
                    self.push(Candidate::Single(n, i));
                }
            }
            for t in 0..self.shared.len() {
                let b = self.shared[t];
                if self.users_of_block[b]
                    .iter()
                    .any(|&i| self.cover.useful(n, i))
                {
                    self.push(Candidate::Bundle(n, b));
                }
            }
        }
    }

    /// Stores `candidate`'s `chosen` models (and a bundle's block); returns its server and
    /// the blocks newly stored there, sorted.
    fn take(&mut self, candidate: Candidate, chosen: Vec<usize>) -> (usize, Vec<usize>) {
        let n = match candidate {
            Candidate::Single(n, _) | Candidate::Bundle(n, _) => n,
        };
        let mut new_blocks = Vec::new();
        if let Candidate::Bundle(_, b) = candidate {
            // The block goes in with the bundle even if its first model alone is all of it.
            new_blocks.push(b);
        }
        for i in chosen {
            new_blocks.extend(self.cover.add(n, i));
        }
        new_blocks.sort_unstable();
        new_blocks.dedup();
        (n, new_blocks)
    }

    /// Re-queues, on server `n`, the models using one of `new_blocks` not stored yet and every
    /// bundle whose block is not stored.
    fn requeue(&mut self, n: usize, new_blocks: &[usize]) {
        let mut touched: Vec<usize> = new_blocks
            .iter()
            .flat_map(|&b| self.users_of_block[b].iter().copied())
            .filter(|&i| self.cover.useful(n, i) && !self.cover.placement.stores(n, i))
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            self.push(Candidate::Single(n, i));
        }
        for t in 0..self.shared.len() {
            let b = self.shared[t];
            if !self.cover.block_stored(n, b) {
                self.push(Candidate::Bundle(n, b));
            }
        }
    }
}

/// The better of the density and gain passes under `accounting`, with statistics.
pub(crate) fn best_of_passes(
    instance: &CachingInstance,
    accounting: Accounting,
    budget: &Budget,
) -> Found<Placement> {
    let deadline = deadline(Instant::now(), budget);
    let mut best: Option<(f64, Placement)> = None;
    let mut evaluations = 0;
    let mut timed_out = false;
    for pass in [Pass::Density, Pass::Gain] {
        let (cover, stopped) = lazy_pass(instance, accounting, pass, deadline);
        evaluations += cover.evaluations;
        timed_out |= stopped;
        let value = instance.evaluate(&cover.placement).objective;
        if best.as_ref().is_none_or(|(v, _)| value > *v) {
            best = Some((value, cover.placement));
        }
        if stopped {
            break;
        }
    }
    let (value, placement) =
        best.unwrap_or_else(|| (0.0, Placement::empty(instance.servers.len())));
    finish(instance, placement, value, timed_out).with_work(0, evaluations)
}

/// A heuristic's outcome: `Feasible` (or `TimeLimit`) with the placement, or `NotFound` when it
/// misses the instance's least hit ratio.
pub(crate) fn finish(
    instance: &CachingInstance,
    placement: Placement,
    value: f64,
    timed_out: bool,
) -> Found<Placement> {
    let evaluation = instance.evaluate(&placement);
    if let Some(v) = evaluation.violations.first() {
        return Found::not_found(format!(
            "hit ratio {value:.6}: {} of {} by {}",
            v.constraint, v.subject, v.excess
        ));
    }
    Found::decision(placement, value).timed_out(timed_out)
}

impl Solver<CachingInstance> for Greedy {
    fn name(&self) -> &str {
        "greedy"
    }

    fn search(
        &self,
        instance: &CachingInstance,
        budget: &Budget,
    ) -> Result<Found<Placement>, SolveError> {
        Ok(best_of_passes(instance, Accounting::Shared, budget))
    }
}
