//! Judging a decision from the instance alone, with the cost model's batch roofline
//! ([`crate::system::Node::batch_prefill_s`], [`crate::system::Node::batch_decode_step_s`]).

use super::decision::{BatchDecision, RequestMetrics, ServerMetrics};
use super::instance::{BatchingInstance, accepts};
use crate::problems::formulation::Violations;
use crate::solve::{Evaluation, Problem, Sense};
use crate::system::{Part, Precision};

/// Relative slack allowed on memory and SLOs: floating-point round-off, and the MILP's
/// feasibility tolerance (1e-9 s on rows whose limits are 0.05 to 2 s).
pub const TOLERANCE: f64 = 1e-7;

/// One server's batch under a decision.
struct Batch {
    precision: Option<Precision>,
    members: Vec<usize>,
    weight_bytes: f64,
    kv_bytes: f64,
    /// Per member (in `members` order), the prefill time until its first token.
    first_token_s: Vec<f64>,
    prefill_s: f64,
    decode_step_s: f64,
}

impl BatchingInstance {
    /// Per member of a batch on server `j` at `precision`, the prefill time until its first
    /// token: the admitted prompts are prefilled in order of TTFT deadline, earliest first, so
    /// member `k`'s first token comes once every member whose budget is at most `k`'s is
    /// prefilled, which takes the roofline time of those prompts together.
    pub fn first_token_s(
        &self,
        j: usize,
        precision: Precision,
        members: &[usize],
    ) -> Result<Vec<f64>, crate::system::Error> {
        let cost = self.cost(precision);
        let whole = Part::whole(self.model.layers);
        members
            .iter()
            .map(|&k| {
                let budget = self.ttft_budget_s(k);
                let prompts: Vec<u64> = members
                    .iter()
                    .filter(|&&i| self.ttft_budget_s(i) <= budget)
                    .map(|&i| self.requests[i].prompt_tokens as u64)
                    .collect();
                self.servers[j].node.batch_prefill_s(cost, whole, &prompts)
            })
            .collect()
    }

    /// The precision server `j` serves at under `decision`: the decision's, else the loaded one.
    pub fn served_precision(&self, decision: &BatchDecision, j: usize) -> Option<Precision> {
        decision
            .precisions
            .get(j)
            .copied()
            .flatten()
            .or(self.servers[j].loaded)
    }

    fn batch(&self, decision: &BatchDecision, j: usize) -> Batch {
        let server = &self.servers[j];
        let members: Vec<usize> = decision
            .assignments
            .iter()
            .enumerate()
            .take(self.requests.len())
            .filter(|(_, s)| **s == Some(j))
            .map(|(k, _)| k)
            .collect();
        let kv_bytes =
            self.running_kv_bytes(j) + members.iter().map(|&k| self.kv_bytes(k)).sum::<f64>();
        let precision = self.served_precision(decision, j);
        let Some(p) = precision else {
            let unknown = if members.is_empty() { 0.0 } else { f64::NAN };
            return Batch {
                precision,
                first_token_s: vec![f64::NAN; members.len()],
                members,
                weight_bytes: 0.0,
                kv_bytes,
                prefill_s: unknown,
                decode_step_s: unknown,
            };
        };
        let cost = self.cost(p);
        let whole = Part::whole(self.model.layers);
        let prompts: Vec<u64> = members
            .iter()
            .map(|&k| self.requests[k].prompt_tokens as u64)
            .collect();
        let contexts: Vec<u64> = server
            .running
            .iter()
            .map(|r| (r.prompt_tokens, r.output_tokens))
            .chain(members.iter().map(|&k| {
                (
                    self.requests[k].prompt_tokens,
                    self.requests[k].output_tokens,
                )
            }))
            .filter(|&(_, m)| m >= 2)
            .map(|(n, m)| n as u64 + m as u64 - 1)
            .collect();
        let first_token_s = self
            .first_token_s(j, p, &members)
            .unwrap_or_else(|_| vec![f64::NAN; members.len()]);
        Batch {
            precision,
            first_token_s,
            weight_bytes: cost.weight_bytes(whole),
            kv_bytes,
            prefill_s: server
                .node
                .batch_prefill_s(cost, whole, &prompts)
                .unwrap_or(f64::NAN),
            decode_step_s: server
                .node
                .batch_decode_step_s(cost, whole, &contexts)
                .unwrap_or(f64::NAN),
            members,
        }
    }

    /// What every server and every waiting request experiences under `decision`.
    pub fn metrics(&self, decision: &BatchDecision) -> (Vec<ServerMetrics>, Vec<RequestMetrics>) {
        let batches: Vec<Batch> = (0..self.servers.len())
            .map(|j| self.batch(decision, j))
            .collect();
        let servers = batches
            .iter()
            .zip(&self.servers)
            .map(|(b, s)| ServerMetrics {
                server: s.name.clone(),
                precision: b.precision,
                admitted: b.members.len(),
                running: s.running.len(),
                memory_bytes: s.memory_bytes,
                weight_bytes: b.weight_bytes,
                kv_bytes: b.kv_bytes,
                prefill_s: b.prefill_s,
                decode_step_s: b.decode_step_s,
            })
            .collect();
        let requests = (0..self.requests.len())
            .map(|k| {
                let server = decision
                    .assignments
                    .get(k)
                    .copied()
                    .flatten()
                    .filter(|&j| j < self.servers.len());
                match server {
                    Some(j) => RequestMetrics {
                        server,
                        ttft_s: self.waited_s(k)
                            + batches[j]
                                .members
                                .iter()
                                .position(|&m| m == k)
                                .map_or(f64::NAN, |i| batches[j].first_token_s[i]),
                        tpot_s: if self.decodes(k) {
                            batches[j].decode_step_s
                        } else {
                            0.0
                        },
                        kv_bytes: self.kv_bytes(k),
                        value: self.value(k),
                    },
                    None => RequestMetrics {
                        server,
                        ttft_s: f64::NAN,
                        tpot_s: f64::NAN,
                        kv_bytes: self.kv_bytes(k),
                        value: 0.0,
                    },
                }
            })
            .collect();
        (servers, requests)
    }
}

impl Problem for BatchingInstance {
    type Decision = BatchDecision;

    fn sense(&self) -> Sense {
        Sense::Maximise
    }

    fn known_infeasibility(&self) -> Option<String> {
        self.infeasibility().map(str::to_string)
    }

    fn evaluate(&self, decision: &BatchDecision) -> Evaluation {
        let mut found = Violations::default();
        self.check_lengths(decision, &mut found);
        let objective = self.admitted_value(decision, &mut found);
        for j in 0..self.servers.len() {
            self.check_server(decision, j, &mut found);
        }
        found.evaluation(objective)
    }
}

/// Whether `value` is over `limit` beyond the tolerance; NaN (a time the cost model could not
/// give) is over every limit.
fn over(value: f64, limit: f64) -> bool {
    value.is_nan() || value > limit * (1.0 + TOLERANCE)
}

impl BatchingInstance {
    /// One precision per server and one assignment per request.
    fn check_lengths(&self, decision: &BatchDecision, found: &mut Violations) {
        let (servers, requests) = (self.servers.len(), self.requests.len());
        if decision.precisions.len() != servers {
            found.add(
                "one precision per server",
                format!(
                    "{} precisions for {servers} servers",
                    decision.precisions.len()
                ),
                (decision.precisions.len() as f64 - servers as f64).abs(),
            );
        }
        if decision.assignments.len() != requests {
            found.add(
                "one assignment per request",
                format!(
                    "{} assignments for {requests} requests",
                    decision.assignments.len()
                ),
                (decision.assignments.len() as f64 - requests as f64).abs(),
            );
        }
    }

    /// The value of the admitted requests (the objective); an assignment to a server that
    /// does not exist is a violation.
    fn admitted_value(&self, decision: &BatchDecision, found: &mut Violations) -> f64 {
        let servers = self.servers.len();
        let mut objective = 0.0;
        for (k, s) in decision
            .assignments
            .iter()
            .enumerate()
            .take(self.requests.len())
        {
            match *s {
                Some(j) if j >= servers => found.add(
                    "valid server",
                    format!(
                        "request {k} (id {}): server {j} does not exist ({servers} servers)",
                        self.requests[k].id
                    ),
                    1.0,
                ),
                Some(_) => objective += self.value(k),
                None => {}
            }
        }
        objective
    }

    /// Server `j`'s precision, memory, and the SLOs of its batch's members and of its running
    /// sequences.
    fn check_server(&self, decision: &BatchDecision, j: usize, found: &mut Violations) {
        let server = &self.servers[j];
        let name = &server.name;
        let chosen = decision.precisions.get(j).copied().flatten();
        if let (Some(p), Some(l)) = (chosen, server.loaded) {
            if p != l {
                found.add(
                    "loaded precision",
                    format!(
                        "server `{name}`: {p} chosen while its {} running sequences hold {l} weights",
                        server.running.len()
                    ),
                    1.0,
                );
            }
        }
        if let Some(p) = chosen {
            if !server.precisions.contains(&p) {
                found.add(
                    "offered precision",
                    format!("server `{name}` does not offer {p}"),
                    1.0,
                );
            }
        }
        let b = self.batch(decision, j);
        let Some(p) = b.precision else {
            if !b.members.is_empty() {
                found.add(
                    "server precision",
                    format!(
                        "server `{name}` admits {} requests without a precision",
                        b.members.len()
                    ),
                    b.members.len() as f64,
                );
            }
            return;
        };
        if over(b.weight_bytes + b.kv_bytes, server.memory_bytes) {
            found.add(
                "memory",
                format!("server `{name}` at {p}"),
                b.weight_bytes + b.kv_bytes - server.memory_bytes,
            );
        }
        self.check_members(&b, p, name, found);
        let running_tpot = server
            .running
            .iter()
            .map(|r| r.tpot_slo_s)
            .fold(f64::INFINITY, f64::min);
        if running_tpot.is_finite() && over(b.decode_step_s, running_tpot) {
            found.add(
                "running TPOT SLO",
                format!(
                    "server `{name}`: {} running sequences",
                    server.running.len()
                ),
                b.decode_step_s - running_tpot,
            );
        }
    }

    /// The precision and SLOs of the members of batch `b`, served at `p` on the server called
    /// `name`.
    fn check_members(&self, b: &Batch, p: Precision, name: &str, found: &mut Violations) {
        for (&k, &first_token) in b.members.iter().zip(&b.first_token_s) {
            let r = &self.requests[k];
            let subject = format!("request {k} (id {}) on `{name}`", r.id);
            if !accepts(r.min_precision, p) {
                found.add(
                    "request precision",
                    format!(
                        "{subject}: served at {p}, needs {} or wider",
                        r.min_precision
                    ),
                    1.0,
                );
            }
            let ttft = self.waited_s(k) + first_token;
            if over(ttft, r.ttft_slo_s) {
                found.add("TTFT SLO", subject.clone(), ttft - r.ttft_slo_s);
            }
            if self.decodes(k) && over(b.decode_step_s, r.tpot_slo_s) {
                found.add("TPOT SLO", subject, b.decode_step_s - r.tpot_slo_s);
            }
        }
    }
}
