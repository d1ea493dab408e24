//! The discrete-event, iteration-level simulation of one policy over a workload.

use super::error::Error;
use super::policy::Policy;
use super::record::{RequestRecord, RequestStatus};
use super::vllm;
use super::workload::Workload;
use crate::problems::batching::{
    BatchDecision, BatchServer, BatchingInstance, BatchingParts, Objective, RunningRequest,
};
use crate::solve::{Budget, Problem};
use crate::system::{ModelCost, Part, Precision};
use std::time::Instant;

/// Constraints a vLLM-like batch may break: it looks at memory only.
const SLO_CONSTRAINTS: [&str; 3] = ["TTFT SLO", "TPOT SLO", "running TPOT SLO"];

/// One policy's simulation: a record per request, in arrival order, and what planning cost.
#[derive(Debug, Clone)]
pub struct PolicyRun {
    /// The policy.
    pub policy: String,
    /// One record per request of the workload, in arrival order.
    pub records: Vec<RequestRecord>,
    /// Calls of the planner (scheduling points at which some waiting request could be admitted).
    pub planner_calls: u64,
    /// Wall time spent in those calls.
    pub planner_time_s: f64,
}

/// A sequence in a server's decode batch.
struct Sequence {
    k: usize,
    /// Tokens generated so far (the first comes with the prefill).
    generated: u32,
}

/// What a server is doing until `end_s`.
enum Iteration {
    /// Prefilling admitted prompts: per member, its index and first-token time.
    Prefill {
        end_s: f64,
        members: Vec<(usize, f64)>,
    },
    /// One decode step of every running sequence, taking `step_s`.
    Decode { end_s: f64, step_s: f64 },
}

impl Iteration {
    fn end_s(&self) -> f64 {
        match self {
            Iteration::Prefill { end_s, .. } | Iteration::Decode { end_s, .. } => *end_s,
        }
    }
}

struct Server {
    /// Its precision while sequences are in flight on it.
    loaded: Option<Precision>,
    running: Vec<Sequence>,
    iteration: Option<Iteration>,
}

/// Where a request is.
#[derive(Clone)]
enum Fate {
    NotArrived,
    Waiting,
    Admitted {
        server: usize,
        precision: Precision,
        admitted_s: f64,
        first_token_s: Option<f64>,
        longest_step_s: Option<f64>,
        finish_s: Option<f64>,
    },
    Dropped {
        reason: String,
    },
}

struct State<'a> {
    workload: &'a Workload,
    costs: Vec<(Precision, ModelCost)>,
    kv_bytes_per_token: f64,
    servers: Vec<Server>,
    fates: Vec<Fate>,
    waiting: Vec<usize>,
    resolved: u64,
}

impl State<'_> {
    fn cost(&self, p: Precision) -> &ModelCost {
        &self
            .costs
            .iter()
            .find(|(q, _)| *q == p)
            .expect("every precision has a cost")
            .1
    }

    fn request(&self, k: usize) -> &crate::problems::batching::WaitingRequest {
        &self.workload.requests[k]
    }

    fn drop_request(&mut self, k: usize, reason: String) {
        self.fates[k] = Fate::Dropped { reason };
        self.resolved += 1;
    }

    /// Whether request `k` fits in some idle server's memory at some precision it accepts:
    /// the vLLM-like baseline drops it on arrival otherwise, as it would never be admitted.
    fn fits_some_server(&self, k: usize) -> bool {
        let r = self.request(k);
        let kv = self.kv_bytes_per_token * (r.prompt_tokens as f64 + r.output_tokens as f64);
        self.workload.servers.iter().any(|s| {
            s.precisions.iter().any(|&p| {
                crate::problems::batching::accepts(r.min_precision, p)
                    && self
                        .cost(p)
                        .weight_bytes(Part::whole(self.workload.model.layers))
                        + kv
                        <= s.memory_bytes
            })
        })
    }

    /// Ends the iterations that end at `t`.
    fn complete(&mut self, t: f64) {
        for j in 0..self.servers.len() {
            if self.servers[j]
                .iteration
                .as_ref()
                .is_none_or(|i| i.end_s() > t)
            {
                continue;
            }
            match self.servers[j].iteration.take() {
                Some(Iteration::Prefill { members, .. }) => {
                    for (k, first_token) in members {
                        if let Fate::Admitted {
                            first_token_s,
                            finish_s,
                            ..
                        } = &mut self.fates[k]
                        {
                            *first_token_s = Some(first_token);
                            if self.workload.requests[k].output_tokens == 1 {
                                *finish_s = Some(first_token);
                                self.resolved += 1;
                                continue;
                            }
                        }
                        self.servers[j].running.push(Sequence { k, generated: 1 });
                    }
                }
                Some(Iteration::Decode { end_s, step_s }) => {
                    let fates = &mut self.fates;
                    let requests = &self.workload.requests;
                    let mut finished = 0;
                    self.servers[j].running.retain_mut(|s| {
                        s.generated += 1;
                        let Fate::Admitted {
                            longest_step_s,
                            finish_s,
                            ..
                        } = &mut fates[s.k]
                        else {
                            return true;
                        };
                        *longest_step_s = Some(longest_step_s.map_or(step_s, |l| l.max(step_s)));
                        if s.generated == requests[s.k].output_tokens {
                            *finish_s = Some(end_s);
                            finished += 1;
                            return false;
                        }
                        true
                    });
                    self.resolved += finished;
                }
                None => {}
            }
            if self.servers[j].running.is_empty() {
                self.servers[j].loaded = None;
            }
        }
    }

    /// The instance of the scheduling point at `t`: the waiting queue and the servers that are
    /// between iterations.
    fn instance(&self, t: f64, free: &[usize]) -> Result<BatchingInstance, Error> {
        let servers = free
            .iter()
            .map(|&j| {
                let template = &self.workload.servers[j];
                BatchServer {
                    loaded: self.servers[j].loaded,
                    running: self.servers[j]
                        .running
                        .iter()
                        .map(|s| {
                            let r = self.request(s.k);
                            RunningRequest {
                                id: r.id,
                                prompt_tokens: r.prompt_tokens,
                                output_tokens: r.output_tokens,
                                tpot_slo_s: r.tpot_slo_s,
                            }
                        })
                        .collect(),
                    ..template.clone()
                }
            })
            .collect();
        Ok(BatchingInstance::new(BatchingParts {
            model: self.workload.model.clone(),
            servers,
            requests: self
                .waiting
                .iter()
                .map(|&k| self.request(k).clone())
                .collect(),
            now_s: t,
            objective: Objective::Requests,
            allow_unservable: true,
        })?)
    }

    /// Starts the prefill of what `decision` admits on the free servers.
    fn admit(
        &mut self,
        t: f64,
        free: &[usize],
        instance: &BatchingInstance,
        decision: &BatchDecision,
    ) -> Result<(), Error> {
        for (i, &j) in free.iter().enumerate() {
            let members: Vec<usize> = (0..self.waiting.len())
                .filter(|&w| decision.assignments[w] == Some(i))
                .collect();
            let Some(p) = instance
                .served_precision(decision, i)
                .filter(|_| !members.is_empty())
            else {
                continue;
            };
            let first_tokens = instance.first_token_s(i, p, &members)?;
            let end_s = t + first_tokens.iter().fold(0.0, |a: f64, &b| a.max(b));
            let mut admitted = Vec::with_capacity(members.len());
            for (&w, first_token) in members.iter().zip(first_tokens) {
                let k = self.waiting[w];
                self.fates[k] = Fate::Admitted {
                    server: j,
                    precision: p,
                    admitted_s: t,
                    first_token_s: None,
                    longest_step_s: None,
                    finish_s: None,
                };
                admitted.push((k, t + first_token));
            }
            self.servers[j].loaded = Some(p);
            self.servers[j].iteration = Some(Iteration::Prefill {
                end_s,
                members: admitted,
            });
        }
        let fates = &self.fates;
        self.waiting.retain(|&k| matches!(fates[k], Fate::Waiting));
        Ok(())
    }

    /// Starts a decode step on every free server with running sequences.
    fn decode(&mut self, t: f64) -> Result<(), Error> {
        let whole = Part::whole(self.workload.model.layers);
        for j in 0..self.servers.len() {
            let server = &self.servers[j];
            let (None, Some(p)) = (&server.iteration, server.loaded) else {
                continue;
            };
            if server.running.is_empty() {
                continue;
            }
            // The step that generates token g + 1 attends over the prompt and the g tokens so far.
            let contexts: Vec<u64> = server
                .running
                .iter()
                .map(|s| self.request(s.k).prompt_tokens as u64 + s.generated as u64)
                .collect();
            let step_s = self.workload.servers[j].node.batch_decode_step_s(
                self.cost(p),
                whole,
                &contexts,
            )?;
            self.servers[j].iteration = Some(Iteration::Decode {
                end_s: t + step_s,
                step_s,
            });
        }
        Ok(())
    }
}

/// Simulates `policy` serving `workload`, calling the planner with `budget` (its time limit
/// is the limit of each call) and `progress` with the number of requests served or dropped so
/// far. The semantics are in the module documentation ([`super`]).
pub fn simulate(
    workload: &Workload,
    policy: &Policy,
    budget: &Budget,
    progress: &mut dyn FnMut(u64),
) -> Result<PolicyRun, Error> {
    let n = workload.requests.len();
    let mut state = State::new(workload);
    let slo_aware = policy.is_slo_aware();
    let mut next = 0;
    let mut planning = Planning::default();
    while let Some(t) = state.next_event_s(next, slo_aware) {
        state.complete(t);
        next = state.arrive(next, t, slo_aware);
        if slo_aware {
            state.expire(t);
        }
        let free = state.free_servers();
        if !state.waiting.is_empty() && !free.is_empty() {
            let instance = state.instance(t, &free)?;
            if let Some(decision) = decide(policy, budget, &instance, t, &mut planning)? {
                state.admit(t, &free, &instance, &decision)?;
            }
        }
        state.decode(t)?;
        progress(state.resolved);
    }
    let records = (0..n)
        .map(|k| record(workload, policy.name(), k, &state.fates[k]))
        .collect();
    Ok(PolicyRun {
        policy: policy.name().to_string(),
        records,
        planner_calls: planning.calls,
        planner_time_s: planning.time_s,
    })
}

/// What planning has cost so far: the planner's calls and the wall time spent in them.
#[derive(Default)]
struct Planning {
    calls: u64,
    time_s: f64,
}

impl State<'_> {
    /// The state before the first request arrives: every server idle and empty, every
    /// request not arrived.
    fn new(workload: &Workload) -> State<'_> {
        State {
            workload,
            costs: Precision::ALL
                .iter()
                .map(|&q| (q, workload.model.cost(q)))
                .collect(),
            kv_bytes_per_token: workload
                .model
                .cost(Precision::Fp16)
                .kv_bytes_per_token(Part::whole(workload.model.layers)),
            servers: workload
                .servers
                .iter()
                .map(|_| Server {
                    loaded: None,
                    running: Vec::new(),
                    iteration: None,
                })
                .collect(),
            fates: vec![Fate::NotArrived; workload.requests.len()],
            waiting: Vec::new(),
            resolved: 0,
        }
    }

    /// When request `k`'s TTFT deadline passes: its arrival plus its TTFT SLO.
    fn deadline_s(&self, k: usize) -> f64 {
        self.request(k).arrival_s + self.request(k).ttft_slo_s
    }

    /// The time of the next event, if any is left: the arrival of request `next`, the end of
    /// an iteration, or (when the policy is SLO-aware) a waiting request's deadline.
    fn next_event_s(&self, next: usize, slo_aware: bool) -> Option<f64> {
        let arrival = self.workload.requests.get(next).map(|r| r.arrival_s);
        let end = self
            .servers
            .iter()
            .filter_map(|s| s.iteration.as_ref().map(Iteration::end_s))
            .reduce(f64::min);
        let expiry = if slo_aware {
            self.waiting
                .iter()
                .map(|&k| self.deadline_s(k))
                .reduce(f64::min)
        } else {
            None
        };
        [arrival, end, expiry]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }

    /// Lets the requests from `next` that have arrived by `t` in: each waits, or is dropped
    /// when its context exceeds the model's or (for a policy that is not SLO-aware) its KV
    /// cache fits in no server. Returns the first request not yet arrived.
    fn arrive(&mut self, mut next: usize, t: f64, slo_aware: bool) -> usize {
        let workload = self.workload;
        let n = workload.requests.len();
        while next < n && workload.requests[next].arrival_s <= t {
            let r = &workload.requests[next];
            let context = r.prompt_tokens as u64 + r.output_tokens as u64;
            if context > workload.model.max_position_embeddings {
                self.drop_request(
                    next,
                    format!(
                        "context of {context} tokens exceeds the model's {}",
                        workload.model.max_position_embeddings
                    ),
                );
            } else if !slo_aware && !self.fits_some_server(next) {
                self.drop_request(next, "its KV cache fits in no server's memory".into());
            } else {
                self.fates[next] = Fate::Waiting;
                self.waiting.push(next);
            }
            next += 1;
        }
        next
    }

    /// Drops the waiting requests whose TTFT deadline has passed by `t`.
    fn expire(&mut self, t: f64) {
        for k in std::mem::take(&mut self.waiting) {
            if self.deadline_s(k) <= t {
                self.drop_request(k, "its TTFT deadline passed while it waited".into());
            } else {
                self.waiting.push(k);
            }
        }
    }

    /// The servers with no iteration under way.
    fn free_servers(&self) -> Vec<usize> {
        (0..self.servers.len())
            .filter(|&j| self.servers[j].iteration.is_none())
            .collect()
    }
}

/// The batch `policy` admits on `instance` at `t`, if any: the planner's decision (not called
/// when nobody could be admitted, its calls and time added to `planning`) or vLLM's; either
/// is refused when it breaks a constraint the policy is bound by.
fn decide(
    policy: &Policy,
    budget: &Budget,
    instance: &BatchingInstance,
    t: f64,
    planning: &mut Planning,
) -> Result<Option<BatchDecision>, Error> {
    let planner_error = |message: String| Error::Planner {
        policy: policy.name().to_string(),
        time_s: t,
        message,
    };
    match policy {
        // No request has a server and precision on which it meets its SLOs even alone:
        // every planner admits nobody, so none is called.
        Policy::Planner(_) if instance.servable_value() == 0.0 => Ok(None),
        Policy::Planner(solver) => {
            let started = Instant::now();
            let outcome = solver
                .solve(instance, budget)
                .map_err(|e| planner_error(e.to_string()))?;
            planning.time_s += started.elapsed().as_secs_f64();
            planning.calls += 1;
            let decision = outcome
                .decision
                .ok_or_else(|| planner_error(format!("no decision ({})", outcome.status.name())))?;
            if let Some(v) = instance.evaluate(&decision).violations.first() {
                return Err(planner_error(format!(
                    "its batch breaks `{}` of {} by {}",
                    v.constraint, v.subject, v.excess
                )));
            }
            Ok(Some(decision))
        }
        Policy::Vllm => {
            let decision = vllm::admit(instance);
            if let Some(v) = instance
                .evaluate(&decision)
                .violations
                .iter()
                .find(|v| !SLO_CONSTRAINTS.contains(&v.constraint.as_str()))
            {
                return Err(planner_error(format!(
                    "its batch breaks `{}` of {} by {}",
                    v.constraint, v.subject, v.excess
                )));
            }
            Ok(Some(decision))
        }
    }
}

/// The record of request `k` at the end of a simulation.
fn record(workload: &Workload, policy: &str, k: usize, fate: &Fate) -> RequestRecord {
    let r = &workload.requests[k];
    let mut record = RequestRecord {
        policy: policy.to_string(),
        id: r.id,
        prompt_tokens: r.prompt_tokens,
        output_tokens: r.output_tokens,
        min_precision: r.min_precision,
        server: None,
        precision: None,
        arrival_s: r.arrival_s,
        admitted_s: None,
        first_token_s: None,
        finish_s: None,
        ttft_s: None,
        tpot_s: None,
        longest_step_s: None,
        ttft_slo_s: r.ttft_slo_s,
        tpot_slo_s: r.tpot_slo_s,
        status: RequestStatus::Dropped,
        drop_reason: None,
    };
    match fate {
        Fate::Admitted {
            server,
            precision,
            admitted_s,
            first_token_s,
            longest_step_s,
            finish_s,
        } => {
            record.server = Some(workload.servers[*server].name.clone());
            record.precision = Some(*precision);
            record.admitted_s = Some(*admitted_s);
            record.first_token_s = *first_token_s;
            record.finish_s = *finish_s;
            record.ttft_s = first_token_s.map(|f| f - r.arrival_s);
            record.longest_step_s = *longest_step_s;
            if r.output_tokens >= 2 {
                record.tpot_s = first_token_s
                    .zip(*finish_s)
                    .map(|(f, e)| (e - f) / (r.output_tokens - 1) as f64);
            }
            record.status = if record.meets_slos() {
                RequestStatus::Met
            } else {
                RequestStatus::Missed
            };
        }
        Fate::Dropped { reason } => record.drop_reason = Some(reason.clone()),
        Fate::NotArrived | Fate::Waiting => {
            record.drop_reason = Some("the simulation ended before it was served".into())
        }
    }
    record
}
