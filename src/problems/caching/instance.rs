//! The instance: edge servers with storage, users with links to the servers covering them,
//! request probabilities, a latency bound, and the model library.
//!
//! A request of user `k` for model `i` can be a hit at server `n` when `n` covers `k`, the model
//! fits in `n`'s storage, and downloading it takes no longer than the bound:
//! `rtt_k + 8·bytes_i / rate_kn ≤ T` (the delivery latency of TrimCaching, Qu et al., ICDCS 2024,
//! with the measured rate of the link in place of a path-loss model). Requests that no server
//! can serve in time go to the cloud over the backhaul and are misses whatever is cached.
//!
//! Probabilities are per user: each row `p_k` sums to 1 (a user's next request is for model `i`
//! with probability `p_ki`), and users carry weights `a_k` that sum to 1 (the share of all
//! requests they make), so the hit ratio `Σ_k a_k Σ_i p_ki hit_ki` is the expected fraction of
//! requests that hit.

use super::library::{LibrarySpec, ModelLibrary, Projection};
use super::section::{LibrarySource, PopularitySource, RateSource, Section};
use crate::problems::Error;
use crate::system::Scenario;
use crate::system::network::ThroughputSeries;
use crate::system::scenario::{Format, Source};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Largest allowed difference between a probability row's (or the user weights') sum and 1.
pub const SUM_TOLERANCE: f64 = 1e-6;

/// The most bytes a request-counts file may hold.
const MAX_COUNTS_BYTES: u64 = 64 << 20;

/// An edge server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheServer {
    /// Name.
    pub name: String,
    /// Bytes it can store.
    pub storage_bytes: f64,
}

/// A user's link to one server covering it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserLink {
    /// Index of the server.
    pub server: usize,
    /// Download rate from that server (0: the link delivers nothing).
    pub rate_bps: f64,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheUser {
    /// Name.
    pub name: String,
    /// Share of all requests this user makes (weights sum to 1).
    pub weight: f64,
    /// Round-trip time to a server.
    pub rtt_s: f64,
    /// Links to the servers covering the user.
    pub links: Vec<UserLink>,
}

/// Requests for one model from users whom exactly the same servers can serve in time, merged:
/// the hit ratio depends on them only through their total weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Demand {
    /// The model.
    pub model: usize,
    /// Servers that can serve these requests in time (sorted, non-empty).
    pub servers: Vec<usize>,
    /// Total weight `Σ a_k p_ki` of the merged requests.
    pub weight: f64,
}

/// Everything an instance is made of, before it is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CachingParts {
    /// The models.
    pub library: super::library::LibraryFileFormat,
    /// Edge servers.
    pub servers: Vec<CacheServer>,
    /// Users.
    pub users: Vec<CacheUser>,
    /// `probabilities[k][i]`: probability that user `k` requests model `i`; rows sum to 1.
    pub probabilities: Vec<Vec<f64>>,
    /// Delivery-latency bound of a hit.
    pub latency_bound_s: f64,
    /// Least hit ratio a placement must reach (a constraint), if any.
    #[serde(default)]
    pub min_hit_ratio: Option<f64>,
    /// Accept models that fit on no server (they can never hit); otherwise such a model with
    /// positive demand is an error, as it usually means a storage figure in the wrong unit.
    #[serde(default)]
    pub allow_uncacheable: bool,
}

/// The parts of an instance besides its library, before they are checked.
struct Unchecked {
    servers: Vec<CacheServer>,
    users: Vec<CacheUser>,
    probabilities: Vec<Vec<f64>>,
    latency_bound_s: f64,
    min_hit_ratio: Option<f64>,
    allow_uncacheable: bool,
}

impl CachingParts {
    /// The library as written, and the rest.
    fn split(self) -> (super::library::LibraryFileFormat, Unchecked) {
        (
            self.library,
            Unchecked {
                servers: self.servers,
                users: self.users,
                probabilities: self.probabilities,
                latency_bound_s: self.latency_bound_s,
                min_hit_ratio: self.min_hit_ratio,
                allow_uncacheable: self.allow_uncacheable,
            },
        )
    }
}

/// A checked instance of the caching problem.
#[derive(Debug, Clone, Serialize)]
pub struct CachingInstance {
    /// The models (shared with the instances [`with_requests`](Self::with_requests) makes).
    pub library: Arc<ModelLibrary>,
    /// Edge servers.
    pub servers: Vec<CacheServer>,
    /// Users.
    pub users: Vec<CacheUser>,
    /// `probabilities[k][i]`.
    pub probabilities: Vec<Vec<f64>>,
    /// Delivery-latency bound of a hit.
    pub latency_bound_s: f64,
    /// Least hit ratio a placement must reach, if any.
    pub min_hit_ratio: Option<f64>,
    allow_uncacheable: bool,
    /// Merged requests that some server can serve in time.
    demands: Vec<Demand>,
    /// Per model, the weight of its requests no server can serve in time.
    unreachable: Vec<f64>,
    /// Per model, its bytes stored alone.
    model_bytes: Vec<f64>,
}

impl CachingInstance {
    /// Checks the parts and builds the instance. Errors name the user, model, server or field
    /// and the value that is wrong.
    pub fn new(parts: CachingParts) -> Result<CachingInstance, Error> {
        let (file, rest) = parts.split();
        // Parts built in code have no text: errors name the field path alone, at line 1.
        let source = Source::new("library", None, Format::Json, String::new());
        let library = file.resolve(&source, "", crate::system::Catalogue::bundled())?;
        Self::from_library(Arc::new(library), rest)
    }

    /// The instance of `parts` on `library`, checked: servers, users and their links, the
    /// probability rows, every wanted model cacheable somewhere (unless allowed otherwise),
    /// then the requests merged into demands.
    fn from_library(
        library: Arc<ModelLibrary>,
        parts: Unchecked,
    ) -> Result<CachingInstance, Error> {
        let bad = |m: String| Err(Error::Instance(m));
        let Unchecked {
            servers,
            users,
            probabilities,
            latency_bound_s,
            min_hit_ratio,
            allow_uncacheable,
        } = parts;
        check_servers(&servers)?;
        if users.is_empty() {
            return bad("users: there must be at least one user".into());
        }
        if !(latency_bound_s.is_finite() && latency_bound_s > 0.0) {
            return bad(format!(
                "latency_bound_s must be positive and finite, got {latency_bound_s}"
            ));
        }
        if let Some(h) = min_hit_ratio {
            if !(0.0..=1.0).contains(&h) {
                return bad(format!("min_hit_ratio must be in [0, 1], got {h}"));
            }
        }
        check_users(&users, &servers)?;
        check_probabilities(&probabilities, &users, &library)?;
        let model_bytes: Vec<f64> = (0..library.models.len())
            .map(|i| library.model_bytes(i))
            .collect();
        if !allow_uncacheable {
            check_cacheable(&library, &model_bytes, &servers, &users, &probabilities)?;
        }
        let (demands, unreachable) = merge_demands(
            &users,
            &probabilities,
            &model_bytes,
            &servers,
            latency_bound_s,
        );
        Ok(CachingInstance {
            library,
            servers,
            users,
            probabilities,
            latency_bound_s,
            min_hit_ratio,
            allow_uncacheable,
            demands,
            unreachable,
            model_bytes,
        })
    }

    /// Merged requests that some server can serve in time.
    pub fn demands(&self) -> &[Demand] {
        &self.demands
    }

    /// Weight of model `i`'s requests that no server can serve in time (always misses).
    pub fn unreachable_weight(&self, i: usize) -> f64 {
        self.unreachable[i]
    }

    /// Bytes of model `i` stored alone.
    pub fn model_bytes(&self, i: usize) -> f64 {
        self.model_bytes[i]
    }

    /// The largest hit ratio any placement could reach: every servable request a hit.
    pub fn reachable_hit_ratio(&self) -> f64 {
        self.demands.iter().map(|d| d.weight).sum()
    }

    /// The servers that can deliver model `i` to user `k` within the latency bound (the set
    /// `N_ki` of the formulation), in the order of the user's links: a request of `k` for `i`
    /// hits when one of them stores the model.
    pub fn servers_in_time(&self, k: usize, i: usize) -> impl Iterator<Item = usize> + '_ {
        let u = &self.users[k];
        u.links
            .iter()
            .filter(move |l| {
                delivers_in_time(
                    u,
                    l,
                    self.model_bytes[i],
                    self.servers[l.server].storage_bytes,
                    self.latency_bound_s,
                )
            })
            .map(|l| l.server)
    }

    /// The instance whose demand is exactly `requests`, pairs `(user, model)` of indices into
    /// this instance (a trace epoch's requests, say), on the same library, servers and links.
    ///
    /// Its users are the distinct users of `requests`, in increasing index order; each is
    /// weighted by its share of the requests and asks for the models in the proportions of its
    /// own requests, so that the hit ratio of a placement is the fraction of `requests` that
    /// hit. The least hit ratio, if any, is kept. Also returns, per request, the index of its
    /// user in the new instance. Errors when `requests` is empty or names a user or model that
    /// does not exist.
    pub fn with_requests(
        &self,
        requests: &[(usize, usize)],
    ) -> Result<(CachingInstance, Vec<usize>), Error> {
        let models = self.library.models.len();
        if requests.is_empty() {
            return Err(Error::Instance(
                "an instance of requests needs at least one request".into(),
            ));
        }
        if let Some(&(k, i)) = requests
            .iter()
            .find(|&&(k, i)| k >= self.users.len() || i >= models)
        {
            return Err(Error::Instance(format!(
                "request (user {k}, model {i}) is out of range ({} users, {models} models)",
                self.users.len()
            )));
        }
        let mut chosen: Vec<usize> = requests.iter().map(|&(k, _)| k).collect();
        chosen.sort_unstable();
        chosen.dedup();
        let position: Vec<usize> = requests
            .iter()
            .map(|(k, _)| chosen.partition_point(|c| c < k))
            .collect();
        let mut counts = vec![vec![0.0; models]; chosen.len()];
        for (&(_, i), &p) in requests.iter().zip(&position) {
            counts[p][i] += 1.0;
        }
        let total = requests.len() as f64;
        let mut users = Vec::with_capacity(chosen.len());
        let mut probabilities = Vec::with_capacity(chosen.len());
        for (&k, row) in chosen.iter().zip(counts) {
            let made: f64 = row.iter().sum();
            users.push(CacheUser {
                weight: made / total,
                ..self.users[k].clone()
            });
            probabilities.push(row.iter().map(|c| c / made).collect());
        }
        let instance = Self::from_library(
            Arc::clone(&self.library),
            Unchecked {
                servers: self.servers.clone(),
                users,
                probabilities,
                latency_bound_s: self.latency_bound_s,
                min_hit_ratio: self.min_hit_ratio,
                allow_uncacheable: self.allow_uncacheable,
            },
        )?;
        Ok((instance, position))
    }

    /// Delivery latency of model `i` to user `k` from server `n` (infinite without a link or at
    /// rate 0).
    pub fn latency_s(&self, k: usize, n: usize, i: usize) -> f64 {
        let u = &self.users[k];
        match u.links.iter().find(|l| l.server == n) {
            Some(l) if l.rate_bps > 0.0 => u.rtt_s + 8.0 * self.model_bytes[i] / l.rate_bps,
            _ => f64::INFINITY,
        }
    }

    /// The instance as JSON ([`CachingParts`]: the library with every block in bytes),
    /// readable by [`CachingInstance::from_json_str`] and by `benches/caching_pulp.py`.
    pub fn to_json(&self) -> String {
        let parts = CachingParts {
            library: self.library.to_file_format(),
            servers: self.servers.clone(),
            users: self.users.clone(),
            probabilities: self.probabilities.clone(),
            latency_bound_s: self.latency_bound_s,
            min_hit_ratio: self.min_hit_ratio,
            allow_uncacheable: self.allow_uncacheable,
        };
        serde_json::to_string(&parts).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Reads an instance written by [`CachingInstance::to_json`] (or by hand); unknown fields
    /// are errors naming their path.
    pub fn from_json_str(file: &str, text: &str) -> Result<CachingInstance, Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let parts: CachingParts = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Error::Input(crate::system::Error::field(
                file,
                inner.line() as u64,
                path,
                inner.to_string(),
            ))
        })?;
        let (library_file, rest) = parts.split();
        let source = Source::new(file, None, Format::Json, text.to_string());
        let library =
            library_file.resolve(&source, "library.", crate::system::Catalogue::bundled())?;
        Self::from_library(Arc::new(library), rest)
    }

    /// Builds the instance of a scenario's `[caching]` section: one user per device (weight
    /// `1/devices`, or by request counts), linked to the servers covering it at its radio's
    /// downlink rate or at seeded draws from a measured throughput series, with the device
    /// radio's RTT.
    pub fn from_scenario(scenario: &Scenario) -> Result<CachingInstance, Error> {
        CachingInstance::from_section(scenario, &Section::of(scenario)?)
    }

    /// [`CachingInstance::from_scenario`] with the scenario's section `c` already read.
    pub fn from_section(scenario: &Scenario, c: &Section) -> Result<CachingInstance, Error> {
        let mut rng = StdRng::seed_from_u64(c.seed);
        let library = section_library(c)?;
        let servers: Vec<CacheServer> = scenario
            .edge_servers
            .iter()
            .zip(&c.storage_bytes)
            .map(|(e, &storage_bytes)| CacheServer {
                name: e.name.clone(),
                storage_bytes,
            })
            .collect();
        let mut users = device_users(scenario);
        if let RateSource::Series(series) = &c.rates {
            draw_rates(&mut users, series, &mut rng)?;
        }
        let probabilities = match &c.popularity {
            PopularitySource::Zipf { exponent, personal } => zipf_probabilities(
                users.len(),
                library.models.len(),
                *exponent,
                *personal,
                &mut rng,
            )?,
            PopularitySource::Counts(path) => {
                let text = path.read_to_string(MAX_COUNTS_BYTES)?;
                let (weights, rows) =
                    counts_probabilities(&path.to_string(), &text, &users, &library)?;
                for (u, w) in users.iter_mut().zip(weights) {
                    u.weight = w;
                }
                rows
            }
        };
        Self::from_library(
            Arc::new(library),
            Unchecked {
                servers,
                users,
                probabilities,
                latency_bound_s: c.latency_bound_s,
                min_hit_ratio: c.min_hit_ratio,
                allow_uncacheable: false,
            },
        )
    }

    /// Generates an instance ([`Generator`]) with `seed`.
    pub fn generate(generator: &Generator, seed: u64) -> Result<CachingInstance, Error> {
        generator.build(seed)
    }
}

/// The library of section `c`: read from its file, or generated from its spec with its seed.
fn section_library(c: &Section) -> Result<ModelLibrary, Error> {
    Ok(match &c.library {
        LibrarySource::File(path) => ModelLibrary::from_data(path)?,
        LibrarySource::Generate {
            bases,
            loras_per_base,
            lora_ranks,
            lora_projections,
            finetunes_per_base,
            quantised,
        } => LibrarySpec {
            bases: bases.iter().map(|(a, p)| (a.name.clone(), *p)).collect(),
            loras_per_base: *loras_per_base,
            lora_ranks: lora_ranks.clone(),
            lora_projections: lora_projections
                .iter()
                .map(|p| p.parse::<Projection>().map_err(Error::Instance))
                .collect::<Result<_, _>>()?,
            finetunes_per_base: *finetunes_per_base,
            quantised: quantised.clone(),
        }
        .generate(c.seed)?,
    })
}

/// One user per device of `scenario`, weighted `1/devices`, with its radio's RTT and a link
/// at its radio's downlink rate to every server covering it.
fn device_users(scenario: &Scenario) -> Vec<CacheUser> {
    scenario
        .devices
        .iter()
        .map(|d| CacheUser {
            name: d.name.clone(),
            weight: 1.0 / scenario.devices.len() as f64,
            rtt_s: d.radio.rtt_s,
            links: d
                .covered_by
                .iter()
                .map(|&server| UserLink {
                    server,
                    rate_bps: d.radio.downlink_bps,
                })
                .collect(),
        })
        .collect()
}

/// Checks the servers: at least one, each with a positive storage and a name of its own.
fn check_servers(servers: &[CacheServer]) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Instance(m));
    if servers.is_empty() {
        return bad("servers: there must be at least one edge server".into());
    }
    for (n, s) in servers.iter().enumerate() {
        if !(s.storage_bytes.is_finite() && s.storage_bytes > 0.0) {
            return bad(format!(
                "servers[{n}] (`{}`).storage_bytes must be positive and finite, got {}",
                s.name, s.storage_bytes
            ));
        }
        if servers[..n].iter().any(|t| t.name == s.name) {
            return bad(format!(
                "servers[{n}]: server `{}` is defined twice",
                s.name
            ));
        }
    }
    Ok(())
}

/// Checks the users: non-negative weights summing to 1, non-negative RTTs, and links to
/// existing `servers`, each server once, at non-negative rates.
fn check_users(users: &[CacheUser], servers: &[CacheServer]) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Instance(m));
    let mut weight_sum = 0.0;
    for (k, u) in users.iter().enumerate() {
        let at = format!("users[{k}] (`{}`)", u.name);
        if !(u.weight.is_finite() && u.weight >= 0.0) {
            return bad(format!(
                "{at}.weight must be non-negative, got {}",
                u.weight
            ));
        }
        weight_sum += u.weight;
        if !(u.rtt_s.is_finite() && u.rtt_s >= 0.0) {
            return bad(format!("{at}.rtt_s must be non-negative, got {}", u.rtt_s));
        }
        for (j, l) in u.links.iter().enumerate() {
            if l.server >= servers.len() {
                return bad(format!(
                    "{at}.links[{j}].server: server {} does not exist ({} servers)",
                    l.server,
                    servers.len()
                ));
            }
            if u.links[..j].iter().any(|m| m.server == l.server) {
                return bad(format!(
                    "{at}.links[{j}]: server `{}` is linked twice",
                    servers[l.server].name
                ));
            }
            if !(l.rate_bps.is_finite() && l.rate_bps >= 0.0) {
                return bad(format!(
                    "{at}.links[{j}].rate_bps must be non-negative, got {}",
                    l.rate_bps
                ));
            }
        }
    }
    if (weight_sum - 1.0).abs() > SUM_TOLERANCE {
        return bad(format!("user weights sum to {weight_sum}, not 1"));
    }
    Ok(())
}

/// Checks the probability rows: one per user, one probability per model of `library`, each
/// row summing to 1.
fn check_probabilities(
    probabilities: &[Vec<f64>],
    users: &[CacheUser],
    library: &ModelLibrary,
) -> Result<(), Error> {
    let bad = |m: String| Err(Error::Instance(m));
    let models = library.models.len();
    if probabilities.len() != users.len() {
        return bad(format!(
            "probabilities has {} rows for {} users",
            probabilities.len(),
            users.len()
        ));
    }
    for (k, row) in probabilities.iter().enumerate() {
        let at = format!("probabilities[{k}] (user `{}`)", users[k].name);
        if row.len() != models {
            return bad(format!(
                "{at} has {} entries for {models} models",
                row.len()
            ));
        }
        if let Some(i) = row.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return bad(format!(
                "{at}[{i}] (model `{}`) must be a probability, got {}",
                library.models[i].name, row[i]
            ));
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            return bad(format!("{at} sums to {sum}, not 1"));
        }
    }
    Ok(())
}

/// Checks that every model with positive demand, of `model_bytes` stored alone, fits on the
/// largest server.
fn check_cacheable(
    library: &ModelLibrary,
    model_bytes: &[f64],
    servers: &[CacheServer],
    users: &[CacheUser],
    probabilities: &[Vec<f64>],
) -> Result<(), Error> {
    let largest = servers
        .iter()
        .map(|s| s.storage_bytes)
        .fold(0.0_f64, f64::max);
    for (i, &bytes) in model_bytes.iter().enumerate() {
        let wanted: f64 = users
            .iter()
            .zip(probabilities)
            .map(|(u, p)| u.weight * p[i])
            .sum();
        if bytes > largest && wanted > 0.0 {
            return Err(Error::Instance(format!(
                "model `{}` needs {:.3} GB but the largest server stores {:.3} GB: it can never be cached (allow_uncacheable to plan anyway)",
                library.models[i].name,
                bytes / 1e9,
                largest / 1e9
            )));
        }
    }
    Ok(())
}

/// The requests of every user for every model merged by the set of servers that deliver them
/// within `latency_bound_s` (in the order of those sets), and per model the weight of its
/// requests that no server delivers in time.
fn merge_demands(
    users: &[CacheUser],
    probabilities: &[Vec<f64>],
    model_bytes: &[f64],
    servers: &[CacheServer],
    latency_bound_s: f64,
) -> (Vec<Demand>, Vec<f64>) {
    let models = model_bytes.len();
    let mut groups: BTreeMap<(usize, Vec<usize>), f64> = BTreeMap::new();
    let mut unreachable = vec![0.0; models];
    for (k, u) in users.iter().enumerate() {
        for i in 0..models {
            let w = u.weight * probabilities[k][i];
            if w <= 0.0 {
                continue;
            }
            let mut set: Vec<usize> = u
                .links
                .iter()
                .filter(|l| {
                    delivers_in_time(
                        u,
                        l,
                        model_bytes[i],
                        servers[l.server].storage_bytes,
                        latency_bound_s,
                    )
                })
                .map(|l| l.server)
                .collect();
            if set.is_empty() {
                unreachable[i] += w;
            } else {
                set.sort_unstable();
                *groups.entry((i, set)).or_insert(0.0) += w;
            }
        }
    }
    let demands = groups
        .into_iter()
        .map(|((model, servers), weight)| Demand {
            model,
            servers,
            weight,
        })
        .collect();
    (demands, unreachable)
}

/// Whether `link` of user `u` delivers a model of `bytes` within `bound_s`: the server can
/// store it, and the download `rtt + 8·bytes / rate` takes no longer (TrimCaching's delivery
/// latency).
fn delivers_in_time(
    u: &CacheUser,
    link: &UserLink,
    bytes: f64,
    storage_bytes: f64,
    bound_s: f64,
) -> bool {
    link.rate_bps > 0.0
        && bytes <= storage_bytes
        && u.rtt_s + 8.0 * bytes / link.rate_bps <= bound_s
}

/// Replaces every link's rate with a seeded draw from a measured throughput series.
fn draw_rates(
    users: &mut [CacheUser],
    series: &ThroughputSeries,
    rng: &mut StdRng,
) -> Result<(), Error> {
    if series.samples_bps.is_empty() {
        return Err(Error::Instance(
            "the throughput series has no sample".into(),
        ));
    }
    for u in users {
        for l in &mut u.links {
            l.rate_bps = series.samples_bps[rng.gen_range(0..series.samples_bps.len())];
        }
    }
    Ok(())
}

/// Zipf probabilities `∝ rank^(−exponent)` over a seeded global ranking of the models, mixed
/// with weight `personal` with the same law over each user's own seeded ranking.
pub fn zipf_probabilities(
    users: usize,
    models: usize,
    exponent: f64,
    personal: f64,
    rng: &mut StdRng,
) -> Result<Vec<Vec<f64>>, Error> {
    if !(exponent.is_finite() && exponent >= 0.0) {
        return Err(Error::Instance(format!(
            "Zipf exponent must be non-negative, got {exponent}"
        )));
    }
    if !(0.0..=1.0).contains(&personal) {
        return Err(Error::Instance(format!(
            "personal preference weight must be in [0, 1], got {personal}"
        )));
    }
    let law: Vec<f64> = (1..=models).map(|r| (r as f64).powf(-exponent)).collect();
    let total: f64 = law.iter().sum();
    let law: Vec<f64> = law.iter().map(|x| x / total).collect();
    let mut global: Vec<usize> = (0..models).collect();
    global.shuffle(rng);
    let mut rows = Vec::with_capacity(users);
    for _ in 0..users {
        let mut own: Vec<usize> = (0..models).collect();
        own.shuffle(rng);
        let mut row = vec![0.0; models];
        for r in 0..models {
            row[global[r]] += (1.0 - personal) * law[r];
            row[own[r]] += personal * law[r];
        }
        rows.push(row);
    }
    Ok(rows)
}

/// User weights and probability rows from a CSV of request counts `device,model,requests`
/// (header required). Users without a request get weight 0 and a uniform row.
fn counts_probabilities(
    file: &str,
    text: &str,
    users: &[CacheUser],
    library: &ModelLibrary,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), Error> {
    let field =
        |line: u64, f: &str, m: String| Error::Input(crate::system::Error::field(file, line, f, m));
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h.trim()).unwrap_or_default();
    if header.replace(' ', "") != "device,model,requests" {
        return Err(Error::Input(crate::system::Error::File {
            file: file.into(),
            message: format!("expected the header `device,model,requests`, found `{header}`"),
        }));
    }
    let models = library.models.len();
    let mut counts = vec![vec![0.0; models]; users.len()];
    for (l, line) in lines {
        let line_no = l as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != 3 {
            return Err(Error::Input(crate::system::Error::Line {
                file: file.into(),
                line: line_no,
                message: format!("expected 3 fields, found {}", cells.len()),
            }));
        }
        let k = users
            .iter()
            .position(|u| u.name == cells[0])
            .ok_or_else(|| field(line_no, "device", format!("no device named `{}`", cells[0])))?;
        let i = library.model_index(cells[1]).ok_or_else(|| {
            field(
                line_no,
                "model",
                format!("no model named `{}` in the library", cells[1]),
            )
        })?;
        let c: f64 = cells[2].parse::<u64>().map_err(|_| {
            field(
                line_no,
                "requests",
                format!("`{}` is not a count", cells[2]),
            )
        })? as f64;
        counts[k][i] += c;
    }
    let total: f64 = counts.iter().flatten().sum();
    if total <= 0.0 {
        return Err(Error::Input(crate::system::Error::File {
            file: file.into(),
            message: "no request is counted".into(),
        }));
    }
    let mut weights = Vec::with_capacity(users.len());
    let mut rows = Vec::with_capacity(users.len());
    for row in counts {
        let s: f64 = row.iter().sum();
        weights.push(s / total);
        rows.push(if s > 0.0 {
            row.iter().map(|c| c / s).collect()
        } else {
            vec![1.0 / models as f64; models]
        });
    }
    Ok((weights, rows))
}

/// A seeded generator of instances: users in cells around a ring of servers, each covered by
/// its home server and the next `covering − 1`, links at rates drawn from a measured series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generator {
    /// The library (generated with the instance's seed).
    pub library: LibrarySpec,
    /// Number of edge servers.
    pub servers: usize,
    /// Number of users (spread evenly over the servers' cells).
    pub users: usize,
    /// Servers covering each user (at most `servers`).
    pub covering: usize,
    /// Storage of every server.
    pub storage_bytes: f64,
    /// Download rates links are drawn from (e.g. a measured throughput series).
    pub rate_samples_bps: Vec<f64>,
    /// Round-trip time of every user.
    pub rtt_s: f64,
    /// Delivery-latency bound of a hit.
    pub latency_bound_s: f64,
    /// Zipf exponent of popularity.
    pub zipf_exponent: f64,
    /// Weight of each user's own ranking in its probabilities.
    pub personal: f64,
}

impl Generator {
    fn build(&self, seed: u64) -> Result<CachingInstance, Error> {
        if self.servers == 0 || self.users == 0 {
            return Err(Error::Instance(
                "a generated instance needs at least one server and one user".into(),
            ));
        }
        if self.covering == 0 || self.covering > self.servers {
            return Err(Error::Instance(format!(
                "covering must be between 1 and the {} servers, got {}",
                self.servers, self.covering
            )));
        }
        if self.rate_samples_bps.is_empty() {
            return Err(Error::Instance("rate_samples_bps is empty".into()));
        }
        let library = self.library.generate(seed)?;
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        let servers = (0..self.servers)
            .map(|n| CacheServer {
                name: format!("edge-{n}"),
                storage_bytes: self.storage_bytes,
            })
            .collect();
        let users: Vec<CacheUser> = (0..self.users)
            .map(|k| {
                let home = k * self.servers / self.users;
                CacheUser {
                    name: format!("user-{k}"),
                    weight: 1.0 / self.users as f64,
                    rtt_s: self.rtt_s,
                    links: (0..self.covering)
                        .map(|j| UserLink {
                            server: (home + j) % self.servers,
                            rate_bps: self.rate_samples_bps
                                [rng.gen_range(0..self.rate_samples_bps.len())],
                        })
                        .collect(),
                }
            })
            .collect();
        let probabilities = zipf_probabilities(
            self.users,
            library.models.len(),
            self.zipf_exponent,
            self.personal,
            &mut rng,
        )?;
        CachingInstance::from_library(
            Arc::new(library),
            Unchecked {
                servers,
                users,
                probabilities,
                latency_bound_s: self.latency_bound_s,
                min_hit_ratio: None,
                allow_uncacheable: true,
            },
        )
    }
}

/// Reads an instance JSON file.
pub fn read_instance(path: &Path) -> Result<CachingInstance, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| {
        Error::Input(crate::system::Error::Io {
            file: path.to_path_buf(),
            source,
        })
    })?;
    CachingInstance::from_json_str(&path.display().to_string(), &text)
}
