//! The instance of one batching decision: edge servers (memory, the cost model on their
//! hardware, the precisions they may serve at, and the sequences already in their decode
//! batch), the waiting requests, and the time of the decision.
//!
//! Every time and byte comes from the cost model (`src/system`): weights `W(q)` from
//! [`ModelCost::weight_bytes`], the KV cache from [`ModelCost::kv_bytes_per_token`] (fp16 keys
//! and values whatever the weight precision), and batch prefill and decode-step times from the
//! roofline of [`Node::batch_prefill_s`] and [`Node::batch_decode_step_s`], written as linear
//! pieces in [`crate::system::batch_time`].

use crate::problems::Error;
use crate::system::BatchTime;
use crate::system::batch_time::{Sequence, decode_time, prefill_time};
use crate::system::trace::{Request, TraceReader};
use crate::system::{Architecture, ModelCost, Node, Part, Precision, Scenario};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::section::{Objective, Section};

/// MLPerf Inference's time-to-first-token constraint for Llama-3.1-8B in the server scenario
/// (`loadgen/mlperf.conf` of mlcommons/inference v5.1: `llama3_1-8b.Server.ttft_latency =
/// 2000` ms), the default TTFT SLO.
pub const MLPERF_TTFT_S: f64 = 2.0;

/// MLPerf Inference's time-per-output-token constraint for Llama-3.1-8B in the server scenario
/// (same file: `tpot_latency = 100` ms), the default TPOT SLO.
pub const MLPERF_TPOT_S: f64 = 0.1;

/// Default fraction of a server's memory given to weights and KV cache: vLLM's
/// `gpu_memory_utilization` engine argument defaults to 0.9 (docs.vllm.ai, "Engine
/// Arguments"); the rest holds activations and the runtime.
pub const VLLM_MEMORY_UTILISATION: f64 = 0.9;

/// Whether a server at precision `served` may answer a request that accepts `narrowest` and
/// anything wider (the ordinal tier fp16 > int8 > int4).
pub fn accepts(narrowest: Precision, served: Precision) -> bool {
    served.bits_per_weight() >= narrowest.bits_per_weight()
}

/// Index of a precision in [`Precision::ALL`].
pub(crate) fn precision_index(p: Precision) -> usize {
    match p {
        Precision::Fp16 => 0,
        Precision::Int8 => 1,
        Precision::Int4 => 2,
    }
}

/// A request waiting to be admitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingRequest {
    /// Identifier (the trace row).
    pub id: u64,
    /// When it arrived, on the instance's clock (at most [`BatchingInstance::now_s`]).
    pub arrival_s: f64,
    /// Prompt tokens (at least 1).
    pub prompt_tokens: u32,
    /// Output tokens (at least 1, the first token).
    pub output_tokens: u32,
    /// Time-to-first-token SLO, counted from arrival.
    pub ttft_slo_s: f64,
    /// Time-per-output-token SLO: every decode step must take at most this long.
    pub tpot_slo_s: f64,
    /// The narrowest weight precision it accepts (its accuracy tier).
    pub min_precision: Precision,
    /// Weight in the objective (positive).
    pub weight: f64,
}

impl WaitingRequest {
    /// The trace request `row` waiting under a scenario's `[batching]` section `section`:
    /// arrived at `arrival_s` on the instance's clock, SLOs from the section or MLPerf's, the
    /// narrowest precision the section's shares give the uniform `draw`, weight 1; a prompt or
    /// reply of no token counts one.
    pub fn from_row(section: &Section, row: &Request, arrival_s: f64, draw: f64) -> WaitingRequest {
        WaitingRequest {
            id: row.id,
            arrival_s,
            prompt_tokens: row.prompt_tokens.max(1),
            output_tokens: row.output_tokens.max(1),
            ttft_slo_s: section.ttft_slo_s.unwrap_or(MLPERF_TTFT_S),
            tpot_slo_s: section.tpot_slo_s.unwrap_or(MLPERF_TPOT_S),
            min_precision: section.min_precision(draw),
            weight: 1.0,
        }
    }

    /// Its prompt and output tokens, as the serving model reads them.
    pub fn sequence(&self) -> Sequence {
        Sequence {
            prompt_tokens: self.prompt_tokens,
            output_tokens: self.output_tokens,
        }
    }
}

/// A sequence already in a server's decode batch: its KV cache is reserved and it is read at
/// every decode step, and its TPOT SLO must keep holding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningRequest {
    /// Identifier.
    pub id: u64,
    /// Prompt tokens (at least 1).
    pub prompt_tokens: u32,
    /// Output tokens it will generate in all (at least 1).
    pub output_tokens: u32,
    /// Its time-per-output-token SLO.
    pub tpot_slo_s: f64,
}

impl RunningRequest {
    /// Its prompt and output tokens, as the serving model reads them.
    pub fn sequence(&self) -> Sequence {
        Sequence {
            prompt_tokens: self.prompt_tokens,
            output_tokens: self.output_tokens,
        }
    }
}

/// An edge server.
#[derive(Debug, Clone, Serialize)]
pub struct BatchServer {
    /// Name.
    pub name: String,
    /// Its hardware and calibration.
    pub node: Arc<Node>,
    /// Memory for weights and KV cache (the device memory times the utilisation).
    pub memory_bytes: f64,
    /// Precisions it may serve at.
    pub precisions: Vec<Precision>,
    /// Precision of the weights it holds while [`running`](Self::running) is not empty; it
    /// cannot change while sequences are in flight.
    pub loaded: Option<Precision>,
    /// Sequences already in its decode batch.
    pub running: Vec<RunningRequest>,
}

impl BatchServer {
    /// An idle server on `node`, with `memory_utilisation` of its memory for weights and KV
    /// cache, offering `precisions`.
    pub fn idle(
        name: impl Into<String>,
        node: Arc<Node>,
        memory_utilisation: f64,
        precisions: Vec<Precision>,
    ) -> BatchServer {
        BatchServer {
            name: name.into(),
            memory_bytes: node.profile.memory_bytes * memory_utilisation,
            node,
            precisions,
            loaded: None,
            running: Vec::new(),
        }
    }

    /// Every edge server of `scenario`, idle, as its `[batching]` section `section` offers
    /// them: the section's precisions and share of memory (vLLM's 0.9 by default).
    pub fn all_idle(scenario: &Scenario, section: &Section) -> Vec<BatchServer> {
        let utilisation = section
            .memory_utilisation
            .unwrap_or(VLLM_MEMORY_UTILISATION);
        scenario
            .edge_servers
            .iter()
            .map(|e| {
                BatchServer::idle(
                    e.name.clone(),
                    e.node.clone(),
                    utilisation,
                    section.precisions.clone(),
                )
            })
            .collect()
    }
}

/// Everything an instance is made of, before it is checked.
#[derive(Debug, Clone)]
pub struct BatchingParts {
    /// The model every server serves.
    pub model: Architecture,
    /// Edge servers.
    pub servers: Vec<BatchServer>,
    /// Waiting requests.
    pub requests: Vec<WaitingRequest>,
    /// Time of the decision, on the requests' clock.
    pub now_s: f64,
    /// What is maximised.
    pub objective: Objective,
    /// Keep requests that no server can serve within their SLOs even alone (they are never
    /// admitted, see [`BatchingInstance::unservable`]); otherwise such a request is an error,
    /// since it usually means a model or SLO that does not suit the servers.
    pub allow_unservable: bool,
}

/// What serving at one precision on one server costs, whoever is admitted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerOption {
    /// The precision.
    pub precision: Precision,
    /// Bytes of the weights.
    pub weight_bytes: f64,
    /// Bytes left for the KV cache of admitted requests: memory minus weights minus the
    /// running sequences' caches.
    pub kv_capacity_bytes: f64,
    /// The prefill of admitted prompts (of any prefix of them, earliest deadline first).
    pub prefill: BatchTime,
    /// The longest decode step of the batch (running and admitted sequences, every one at its
    /// last context).
    pub decode: BatchTime,
    /// The tightest TPOT SLO of the running sequences (infinite without any).
    pub running_tpot_s: f64,
}

/// One server's options, at the precisions of [`Precision::ALL`] in that order.
type OptionRow = [Option<ServerOption>; 3];

/// A checked instance of the batching problem. [`BatchingInstance::new`] derives every
/// server's costs and every request's candidates from the parts, so to change a part, build a
/// new instance rather than editing the fields.
#[derive(Debug, Clone, Serialize)]
pub struct BatchingInstance {
    /// The served model.
    pub model: Architecture,
    /// Edge servers.
    pub servers: Vec<BatchServer>,
    /// Waiting requests.
    pub requests: Vec<WaitingRequest>,
    /// Time of the decision.
    pub now_s: f64,
    /// What is maximised.
    pub objective: Objective,
    /// The cost model of the model at each precision, in the order of [`Precision::ALL`].
    #[serde(skip)]
    costs: Vec<ModelCost>,
    /// `options[j][q]`: server `j` at precision `Precision::ALL[q]`, when it may serve at it.
    #[serde(skip)]
    options: Vec<OptionRow>,
    /// Per request, its KV-cache bytes (prompt and output).
    kv_bytes: Vec<f64>,
    /// Per request, its value in the objective.
    values: Vec<f64>,
    /// `candidates[k]`: the (server, precision index) pairs on which request `k` meets its
    /// SLOs alone.
    #[serde(skip)]
    candidates: Vec<Vec<(usize, usize)>>,
    /// `eligible[k][3j + q]`: whether `(j, q)` is a candidate of request `k`.
    #[serde(skip)]
    eligible: Vec<Vec<bool>>,
    /// Requests with no candidate, and why.
    unservable: Vec<(usize, String)>,
    /// Why the running sequences alone already break a constraint, if they do.
    infeasible: Option<String>,
}

/// Where a slice of a trace sits on the trace's clock, for [`BatchingInstance::from_requests`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceWindow {
    /// The trace time that becomes time 0 of the instance.
    pub origin_s: f64,
    /// The trace time of the decision (at or after the last arrival).
    pub decision_s: f64,
}

impl BatchingInstance {
    /// Checks the parts and builds the instance. Errors name the server, the request or the
    /// field and the value that is wrong.
    pub fn new(parts: BatchingParts) -> Result<BatchingInstance, Error> {
        let BatchingParts {
            model,
            servers,
            requests,
            now_s,
            objective,
            allow_unservable,
        } = parts;
        if servers.is_empty() {
            return Err(Error::Instance(
                "servers: there must be at least one edge server".into(),
            ));
        }
        if !now_s.is_finite() {
            return Err(Error::Instance(format!(
                "now_s must be finite, got {now_s}"
            )));
        }
        for (j, s) in servers.iter().enumerate() {
            check_server(&servers[..j], j, s)?;
        }
        for (k, r) in requests.iter().enumerate() {
            check_request(k, r, &model, now_s)?;
        }
        let costs: Vec<ModelCost> = Precision::ALL.iter().map(|&q| model.cost(q)).collect();
        let whole = Part::whole(model.layers);
        let kv_per_token = costs[0].kv_bytes_per_token(whole);
        let kv_bytes: Vec<f64> = requests
            .iter()
            .map(|r| kv_per_token * (r.prompt_tokens as f64 + r.output_tokens as f64))
            .collect();
        let values = request_values(&requests, objective);
        let (options, infeasible) = server_options(&servers, &costs, whole, &requests)?;
        let mut instance = BatchingInstance {
            model,
            servers,
            requests,
            now_s,
            objective,
            costs,
            options,
            kv_bytes,
            values,
            candidates: Vec::new(),
            eligible: Vec::new(),
            unservable: Vec::new(),
            infeasible,
        };
        instance.build_candidates();
        if !allow_unservable {
            if let Some((_, why)) = instance.unservable.first() {
                return Err(Error::Instance(format!(
                    "{why} (allow_unservable to plan without it; {} of {} requests are unservable)",
                    instance.unservable.len(),
                    instance.requests.len()
                )));
            }
        }
        Ok(instance)
    }

    /// Builds the instance of a scenario's `[batching]` section: every edge server idle,
    /// serving the section's model at one of its precisions with the given share of its
    /// memory; the waiting requests are the first `requests` rows of the trace from `start`,
    /// with arrival gaps shortened by `arrival_speedup`, the decision taken when the last of
    /// them arrives; SLOs from the section or MLPerf's; narrowest precisions drawn with the
    /// section's shares and seed; weight 1.
    pub fn from_scenario(scenario: &Scenario) -> Result<BatchingInstance, Error> {
        BatchingInstance::from_section(scenario, &Section::of(scenario)?)
    }

    /// [`BatchingInstance::from_scenario`] with the scenario's section `b` already read.
    pub fn from_section(scenario: &Scenario, b: &Section) -> Result<BatchingInstance, Error> {
        let start = b.start_s;
        let mut rows = Vec::with_capacity(b.requests as usize);
        for row in TraceReader::open(&b.trace)? {
            let row = row?;
            if row.arrival_s < start {
                continue;
            }
            rows.push(row);
            if rows.len() == b.requests as usize {
                break;
            }
        }
        let Some(last) = rows.last() else {
            return Err(Error::Instance(format!(
                "{}: no request arrives after {start} s",
                b.trace
            )));
        };
        if rows.len() < b.requests as usize {
            return Err(Error::Instance(format!(
                "{}: only {} requests arrive after {start} s, the [batching] section asks for {}",
                b.trace,
                rows.len(),
                b.requests
            )));
        }
        let decision_s = last.arrival_s;
        BatchingInstance::from_requests(
            scenario,
            b,
            &rows,
            TraceWindow {
                origin_s: start,
                decision_s,
            },
            b.seed,
            false,
        )
    }

    /// Builds the instance of a scenario's `[batching]` section `b` with `rows` (trace requests in
    /// arrival order, none after `window.decision_s`) waiting: every edge server idle, serving
    /// the section's model at one of its precisions with the section's share of its memory
    /// (vLLM's 0.9 by default); times counted from `window.origin_s` with arrival gaps shortened
    /// by the section's `arrival_speedup`, the decision at `window.decision_s`; SLOs from the
    /// section or MLPerf's; each request's narrowest precision drawn in row order with the
    /// section's shares from `seed`; weight 1; a request with no output token counts its first.
    /// The section's own `trace`, `start`, `requests` and `seed` are not read: the caller
    /// chose the rows and the seed. With `allow_unservable`, requests that no server can serve
    /// even alone are kept (and never admitted), see [`BatchingParts::allow_unservable`].
    pub fn from_requests(
        scenario: &Scenario,
        b: &Section,
        rows: &[Request],
        window: TraceWindow,
        seed: u64,
        allow_unservable: bool,
    ) -> Result<BatchingInstance, Error> {
        let servers = BatchServer::all_idle(scenario, b);
        let clock = |t: f64| (t - window.origin_s) / b.arrival_speedup;
        let mut rng = StdRng::seed_from_u64(seed);
        let requests = rows
            .iter()
            .map(|r| WaitingRequest::from_row(b, r, clock(r.arrival_s), rng.r#gen()))
            .collect();
        BatchingInstance::new(BatchingParts {
            model: b.model.clone(),
            servers,
            requests,
            now_s: clock(window.decision_s),
            objective: b.objective,
            allow_unservable,
        })
    }

    /// The cost model of the served model at `precision`.
    pub fn cost(&self, precision: Precision) -> &ModelCost {
        &self.costs[precision_index(precision)]
    }

    /// Server `j` at `precision`, when it may serve at it (offered, and the loaded one while
    /// sequences run).
    pub fn option(&self, j: usize, precision: Precision) -> Option<&ServerOption> {
        self.options
            .get(j)
            .and_then(|row| row[precision_index(precision)].as_ref())
    }

    /// Server `j` at the precision of index `q` in [`Precision::ALL`].
    pub(crate) fn option_at(&self, j: usize, q: usize) -> Option<&ServerOption> {
        self.options[j][q].as_ref()
    }

    /// KV-cache bytes per token of context (fp16 keys and values, whatever the weights).
    pub fn kv_bytes_per_token(&self) -> f64 {
        self.costs[0].kv_bytes_per_token(Part::whole(self.model.layers))
    }

    /// KV-cache bytes the running sequences of server `j` reserve.
    pub fn running_kv_bytes(&self, j: usize) -> f64 {
        self.servers[j]
            .running
            .iter()
            .map(|r| self.kv_bytes_per_token() * (r.prompt_tokens as f64 + r.output_tokens as f64))
            .sum()
    }

    /// KV-cache bytes request `k` reserves (its prompt and output, fp16 keys and values).
    pub fn kv_bytes(&self, k: usize) -> f64 {
        self.kv_bytes[k]
    }

    /// Value of admitting request `k` in the objective.
    pub fn value(&self, k: usize) -> f64 {
        self.values[k]
    }

    /// Time request `k` has already waited.
    pub fn waited_s(&self, k: usize) -> f64 {
        self.now_s - self.requests[k].arrival_s
    }

    /// What is left of request `k`'s TTFT SLO for its prefill: the SLO minus the time waited.
    pub fn ttft_budget_s(&self, k: usize) -> f64 {
        self.requests[k].ttft_slo_s - self.waited_s(k)
    }

    /// Whether request `k` runs decode steps (it generates more than its first token).
    pub fn decodes(&self, k: usize) -> bool {
        self.requests[k].output_tokens >= 2
    }

    /// The (server, precision) pairs on which request `k` meets its SLOs alone, with what is
    /// already running there.
    pub fn candidates(&self, k: usize) -> impl Iterator<Item = (usize, Precision)> + '_ {
        self.candidates[k]
            .iter()
            .map(|&(j, q)| (j, Precision::ALL[q]))
    }

    /// Whether request `k` may join server `j` at precision index `q` on its own.
    pub(crate) fn is_candidate(&self, k: usize, j: usize, q: usize) -> bool {
        self.eligible[k][3 * j + q]
    }

    /// Requests that no server can serve within their SLOs even alone, with the reason.
    pub fn unservable(&self) -> &[(usize, String)] {
        &self.unservable
    }

    /// Why no decision is feasible (the running sequences alone break a server's memory or
    /// TPOT), if so.
    pub fn infeasibility(&self) -> Option<&str> {
        self.infeasible.as_deref()
    }

    /// The largest objective any decision could reach: every servable request admitted.
    pub fn servable_value(&self) -> f64 {
        (0..self.requests.len())
            .filter(|&k| !self.candidates[k].is_empty())
            .map(|k| self.values[k])
            .sum()
    }

    /// Why request `k` cannot join server `j` at `option`'s precision on its own, if so.
    fn alone_failure(&self, k: usize, j: usize, option: &ServerOption) -> Option<String> {
        let r = &self.requests[k];
        let q = option.precision;
        let name = &self.servers[j].name;
        if !accepts(r.min_precision, q) {
            return Some(format!(
                "`{name}` at {q}: the request needs {} or wider",
                r.min_precision
            ));
        }
        if self.kv_bytes[k] > option.kv_capacity_bytes {
            return Some(format!(
                "`{name}` at {q}: its KV cache of {:.3} GB exceeds the {:.3} GB left beside the weights",
                self.kv_bytes[k] / 1e9,
                option.kv_capacity_bytes.max(0.0) / 1e9
            ));
        }
        let prefill = option.prefill.with_s(k);
        let budget = self.ttft_budget_s(k);
        if prefill > budget {
            return Some(format!(
                "`{name}` at {q}: prefill alone takes {prefill:.4} s, its TTFT budget is {budget:.4} s (SLO {} s, waited {:.4} s)",
                r.ttft_slo_s,
                self.waited_s(k)
            ));
        }
        if self.decodes(k) {
            let step = option.decode.with_s(k);
            let limit = r.tpot_slo_s.min(option.running_tpot_s);
            if step > limit {
                return Some(format!(
                    "`{name}` at {q}: its decode step takes {step:.4} s, over the TPOT limit of {limit} s"
                ));
            }
        }
        None
    }

    fn build_candidates(&mut self) {
        let mut candidates = Vec::with_capacity(self.requests.len());
        let mut unservable = Vec::new();
        for k in 0..self.requests.len() {
            let mut pairs = Vec::new();
            let mut reasons: Vec<String> = Vec::new();
            for j in 0..self.servers.len() {
                for q in 0..Precision::ALL.len() {
                    let Some(option) = self.options[j][q].as_ref() else {
                        continue;
                    };
                    match self.alone_failure(k, j, option) {
                        None => pairs.push((j, q)),
                        Some(why) => reasons.push(why),
                    }
                }
            }
            if pairs.is_empty() {
                let r = &self.requests[k];
                let waited = self.waited_s(k);
                let why = if waited >= r.ttft_slo_s {
                    format!(
                        "it has waited {waited:.4} s, past its TTFT SLO of {} s",
                        r.ttft_slo_s
                    )
                } else if reasons.is_empty() {
                    "no server may serve at any precision".to_string()
                } else {
                    reasons.into_iter().take(4).collect::<Vec<_>>().join("; ")
                };
                unservable.push((
                    k,
                    format!(
                        "request {k} (id {}, {} prompt and {} output tokens, accepts {} or wider) cannot be served within its SLOs on any edge server even alone: {why}",
                        r.id, r.prompt_tokens, r.output_tokens, r.min_precision
                    ),
                ));
            }
            candidates.push(pairs);
        }
        self.eligible = candidates
            .iter()
            .map(|pairs| {
                let mut row = vec![false; 3 * self.servers.len()];
                for &(j, q) in pairs {
                    row[3 * j + q] = true;
                }
                row
            })
            .collect();
        self.candidates = candidates;
        self.unservable = unservable;
    }
}

/// Checks server `j`, `s`, against the servers listed before it, `earlier`: a name of its own,
/// a positive memory, precisions listed once, a loaded precision among them whenever
/// sequences run, and running sequences with tokens and a positive TPOT SLO.
fn check_server(earlier: &[BatchServer], j: usize, s: &BatchServer) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Instance(m));
    let at = format!("servers[{j}] (`{}`)", s.name);
    if earlier.iter().any(|t| t.name == s.name) {
        return bad(format!("{at}: server `{}` is defined twice", s.name));
    }
    if !(s.memory_bytes.is_finite() && s.memory_bytes > 0.0) {
        return bad(format!(
            "{at}.memory_bytes must be positive and finite, got {}",
            s.memory_bytes
        ));
    }
    if s.precisions.is_empty() {
        return bad(format!("{at}.precisions is empty"));
    }
    for (i, p) in s.precisions.iter().enumerate() {
        if s.precisions[..i].contains(p) {
            return bad(format!("{at}.precisions: `{p}` is listed twice"));
        }
    }
    match s.loaded {
        Some(p) if !s.precisions.contains(&p) => {
            return bad(format!("{at}.loaded: `{p}` is not one of its precisions"));
        }
        None if !s.running.is_empty() => {
            return bad(format!(
                "{at}: {} running sequences but no loaded precision",
                s.running.len()
            ));
        }
        _ => {}
    }
    for (i, r) in s.running.iter().enumerate() {
        if r.prompt_tokens == 0 || r.output_tokens == 0 {
            return bad(format!(
                "{at}.running[{i}] (id {}): needs at least one prompt and one output token",
                r.id
            ));
        }
        if !(r.tpot_slo_s.is_finite() && r.tpot_slo_s > 0.0) {
            return bad(format!(
                "{at}.running[{i}] (id {}).tpot_slo_s must be positive, got {}",
                r.id, r.tpot_slo_s
            ));
        }
    }
    Ok(())
}

/// Checks waiting request `k`, `r`: tokens within `model`'s context, an arrival not after
/// `now_s`, positive SLOs and a positive weight.
fn check_request(
    k: usize,
    r: &WaitingRequest,
    model: &Architecture,
    now_s: f64,
) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Instance(m));
    let at = format!("requests[{k}] (id {})", r.id);
    if r.prompt_tokens == 0 || r.output_tokens == 0 {
        return bad(format!(
            "{at}: needs at least one prompt and one output token, got {} and {}",
            r.prompt_tokens, r.output_tokens
        ));
    }
    let context = r.prompt_tokens as u64 + r.output_tokens as u64;
    if context > model.max_position_embeddings {
        return bad(format!(
            "{at}: {} prompt and {} output tokens exceed the {} tokens of context `{}` was trained for",
            r.prompt_tokens, r.output_tokens, model.max_position_embeddings, model.name
        ));
    }
    if !(r.arrival_s.is_finite() && r.arrival_s <= now_s) {
        return bad(format!(
            "{at}.arrival_s must be finite and not after now_s = {now_s}, got {}",
            r.arrival_s
        ));
    }
    for (name, v) in [("ttft_slo_s", r.ttft_slo_s), ("tpot_slo_s", r.tpot_slo_s)] {
        if !(v.is_finite() && v > 0.0) {
            return bad(format!("{at}.{name} must be positive and finite, got {v}"));
        }
    }
    if !(r.weight.is_finite() && r.weight > 0.0) {
        return bad(format!(
            "{at}.weight must be positive and finite, got {}",
            r.weight
        ));
    }
    Ok(())
}

/// Each request's value under `objective`: its weight, or its weight times its tokens.
fn request_values(requests: &[WaitingRequest], objective: Objective) -> Vec<f64> {
    requests
        .iter()
        .map(|r| match objective {
            Objective::Requests => r.weight,
            Objective::Tokens => r.weight * (r.prompt_tokens as f64 + r.output_tokens as f64),
        })
        .collect()
}

/// Every server's options (one per precision it may serve at, the loaded one only while
/// sequences run), with the first server whose running sequences alone break its memory or
/// its TPOT, if one does.
fn server_options(
    servers: &[BatchServer],
    costs: &[ModelCost],
    whole: Part,
    requests: &[WaitingRequest],
) -> Result<(Vec<OptionRow>, Option<String>), Error> {
    let kv_per_token = costs[0].kv_bytes_per_token(whole);
    let mut options = Vec::with_capacity(servers.len());
    let mut infeasible = None;
    for s in servers {
        let mut row: OptionRow = [None, None, None];
        for &q in &s.precisions {
            if s.loaded.is_some_and(|l| l != q) {
                continue;
            }
            let cost = &costs[precision_index(q)];
            let running_kv: f64 = s
                .running
                .iter()
                .map(|r| kv_per_token * (r.prompt_tokens as f64 + r.output_tokens as f64))
                .sum();
            let option = server_option(s, q, cost, whole, running_kv, requests)?;
            if !s.running.is_empty() && infeasible.is_none() {
                infeasible = running_breach(s, &option, running_kv);
            }
            row[precision_index(q)] = Some(option);
        }
        options.push(row);
    }
    Ok((options, infeasible))
}

/// What serving at `q` costs on server `s`, whose running sequences reserve `running_kv`
/// bytes of KV cache: the weights, the KV cache left, and the prefill and decode-step times
/// of `requests` beside the running sequences.
fn server_option(
    s: &BatchServer,
    q: Precision,
    cost: &ModelCost,
    whole: Part,
    running_kv: f64,
    requests: &[WaitingRequest],
) -> Result<ServerOption, Error> {
    let weight_bytes = cost.weight_bytes(whole);
    let at_server = |e: crate::system::Error| Error::Instance(format!("server `{}`: {e}", s.name));
    let waiting: Vec<Sequence> = requests.iter().map(WaitingRequest::sequence).collect();
    let running: Vec<Sequence> = s.running.iter().map(RunningRequest::sequence).collect();
    let prefill = prefill_time(&s.node, cost, &waiting).map_err(at_server)?;
    let decode = decode_time(&s.node, cost, &running, &waiting).map_err(at_server)?;
    let running_tpot_s = s
        .running
        .iter()
        .map(|r| r.tpot_slo_s)
        .fold(f64::INFINITY, f64::min);
    Ok(ServerOption {
        precision: q,
        weight_bytes,
        kv_capacity_bytes: s.memory_bytes - weight_bytes - running_kv,
        prefill,
        decode,
        running_tpot_s,
    })
}

/// Why server `s`'s running sequences alone break `option` (their decode step over their
/// tightest TPOT, else their weights and `running_kv` bytes of KV cache over its memory), if
/// they do.
fn running_breach(s: &BatchServer, option: &ServerOption, running_kv: f64) -> Option<String> {
    let q = option.precision;
    let step = option.decode.empty_s();
    if step > option.running_tpot_s * (1.0 + super::TOLERANCE) {
        return Some(format!(
            "server `{}`: the longest decode step of its {} running sequences takes {:.4} s, over their tightest TPOT SLO of {} s",
            s.name,
            s.running.len(),
            step,
            option.running_tpot_s
        ));
    }
    if option.kv_capacity_bytes < 0.0 {
        return Some(format!(
            "server `{}`: the {q} weights ({:.3} GB) and the KV cache of its {} running sequences ({:.3} GB) exceed its {:.3} GB",
            s.name,
            option.weight_bytes / 1e9,
            s.running.len(),
            running_kv / 1e9,
            s.memory_bytes / 1e9
        ));
    }
    None
}
