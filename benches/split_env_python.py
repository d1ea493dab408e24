"""The ``split`` environment written in plain Python (numpy and Gymnasium), for comparison.

``PythonSplitEnv`` implements the dynamics of ``mei4llm/Split-v0`` (``mei4llm::env::SplitEnv``
in the Rust crate) the way a Python user would write them from its documentation, so that
``env_steps.py`` can measure what the compiled environment gains:

- the same action space ``Discrete(1 + 2·E·L)`` and observation layout (marginal cost of every
  action, per-edge loads, model one-hot, tokens, uplink rate, objective so far, requests
  left), the same mask (the request's non-dominated candidates that keep edge memory), the
  same replacement of an action outside the mask (the first valid candidate, flagged in
  ``info["invalid_action"]``);
- the same reward: minus the increase of the epoch objective under the closed-form shares
  (``b ∝ √a``), and at the epoch's last request minus the rest of the objective that the
  optimal shares give (the epoch's rewards sum to minus the agent's objective);
- the same episodes: consecutive epochs of the scenario's trace from a seeded start, every
  device's uplink scaled by a 5Gophers throughput series over its median from a seeded offset,
  devices and models of each epoch drawn with the epoch's seed — with the Rust crate's random
  generator (``stdrng.py``), so that the same seed gives the same episode;
- the same per-epoch work: each request's candidate choices are costed with the roofline cost
  model (prefill, closed-form decode sum, uplink, round trips per generated token), filtered
  by device and edge memory and by dominance, epoch after epoch. Per-model and per-node figures
  are read once, at construction, from the resolved scenario (``Scenario.to_dict()``).

It covers a documented subset of the Rust environment:

- **no deadlines**: a workload with ``ttft_slo`` or ``e2e_slo`` is refused (the deadline floors
  and the conic allocation of the Rust crate are not reproduced). Without deadlines the optimal
  shares are the closed form, so the epoch objective is that of ``mei4llm.evaluate``;
- **Azure LLM traces** (``TIMESTAMP,ContextTokens,GeneratedTokens``) only;
- **no reference solver**: the epoch report holds the agent's objective (``optimum="none"``).

Usage::

    import sys; sys.path.insert(0, "benches")
    from split_env_python import PythonSplitEnv
    env = PythonSplitEnv("scenarios/small.toml")
    observation, info = env.reset(seed=0)
"""

from __future__ import annotations

import csv
import datetime
import functools
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import gymnasium
import numpy as np
from gymnasium import spaces

import mei4llm
from stdrng import MASK64, StdRng

ROOT = Path(__file__).resolve().parents[1]
GOPHERS = ROOT / "datasets" / "network" / "5gophers_throughput.csv"
"""The 5Gophers throughput series (Narayanan et al., WWW 2020), one sample per second."""
AZURE_HEADER = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
ACTIVATION_BYTES = 2.0
"""fp16 activations and KV-cache entries (``mei4llm::system::ACTIVATION_BYTES``)."""
TOKEN_ID_BYTES = 4.0
"""An int32 token id (``mei4llm::system::TOKEN_ID_BYTES``)."""
BYTES_PER_WEIGHT = {"fp16": 2.0, "int8": 1.0, "int4": 4.5 / 8.0}
"""Stored bytes per weight (``mei4llm::system::Precision``): int4 keeps an fp16 scale per group
of 32 weights, 4.5 bits, as MLC-LLM's ``q4f16_1``."""
SEED_BOUND = 2**63
"""Seeds are drawn below this when Gymnasium's generator picks one (as ``mei4llm.envs``)."""

UNIX_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
DEVICE, EDGE, CLOUD = 0, 1, 2
"""Tiers."""
PhaseCosts = tuple[float, float, float, float, float, float]
"""What one request costs per unit of a model on a node (:meth:`Node.phase_costs`)."""


@dataclass(frozen=True)
class Epoch:
    """One decision epoch of the trace."""

    index: int
    start_s: float
    requests: list[tuple[int, int, int]]
    """``(id, prompt_tokens, output_tokens)`` in arrival order."""


@dataclass(frozen=True)
class Side:
    """A model's cost figures at one precision (the ``on_device`` or ``on_server`` part)."""

    layers: int
    block_matmul_params: float
    block_weight_bytes: float
    kv_elements: float
    attention_width: float
    hidden: float
    vocab: float
    tied: bool
    embedding_weight_bytes: float
    head_weight_bytes: float
    vocab_matrix_bytes: float
    head_flops: float
    head_bytes: float
    embedding_rows: float
    """Rows the embedding reads per token (two when positions are learnt)."""
    bytes_per_weight: float
    precision: str

    @staticmethod
    def of(cost: dict[str, Any]) -> "Side":
        """The figures of one ``ModelCost`` of ``Scenario.to_dict()``."""
        tied = cost["tied_embeddings"]
        vocab_bytes = cost["vocab_matrix_bytes"]
        head_matrix_bytes = 0.0 if tied else vocab_bytes
        rows = 2.0 if cost["embedding"]["params"] > cost["vocab"] * cost["hidden"] else 1.0
        return Side(
            layers=cost["layers"],
            block_matmul_params=float(cost["block"]["matmul_params"]),
            block_weight_bytes=cost["block"]["weight_bytes"],
            kv_elements=float(cost["kv_elements_per_token_per_block"]),
            attention_width=float(cost["attention_width"]),
            hidden=float(cost["hidden"]),
            vocab=float(cost["vocab"]),
            tied=tied,
            embedding_weight_bytes=cost["embedding"]["weight_bytes"],
            head_weight_bytes=cost["head"]["weight_bytes"],
            vocab_matrix_bytes=vocab_bytes,
            head_flops=2.0 * cost["head"]["matmul_params"],
            head_bytes=vocab_bytes + (cost["head"]["weight_bytes"] - head_matrix_bytes),
            embedding_rows=rows,
            bytes_per_weight=BYTES_PER_WEIGHT[cost["precision"]],
            precision=cost["precision"],
        )

    def weight_bytes(
        self, blocks: np.ndarray, embedding: np.ndarray, head: np.ndarray
    ) -> np.ndarray:
        """Weights a node holds for parts with these blocks, embedding and head flags."""
        total = blocks * self.block_weight_bytes
        total = total + np.where(embedding, self.embedding_weight_bytes, 0.0)
        total = total + np.where(head, self.head_weight_bytes, 0.0)
        # A head without its embedding needs its own copy of a tied vocabulary matrix.
        untied_copy = self.vocab_matrix_bytes if self.tied else 0.0
        return total + np.where(head & ~embedding, untied_copy, 0.0)

    def kv_bytes_per_token(self, blocks: np.ndarray) -> np.ndarray:
        """KV-cache bytes per token of context for parts with these blocks."""
        return blocks * self.kv_elements * ACTIVATION_BYTES


@dataclass(frozen=True)
class Node:
    """A node's roofline figures."""

    bytes_per_s: float
    layer_overhead_s: float
    sampling_s_per_vocab_entry: float
    memory_bytes: float
    flops_per_s: dict[str, float]
    """Achieved arithmetic rate per weight precision."""
    active_power_w: float

    @staticmethod
    def of(node: dict[str, Any]) -> "Node":
        """The figures of one node of ``Scenario.to_dict()``."""
        profile, calibration = node["profile"], node["calibration"]
        flops = {}
        for precision in BYTES_PER_WEIGHT:
            if calibration["achieved_flops_per_s"] is not None:
                flops[precision] = calibration["achieved_flops_per_s"]
                continue
            peak = profile["fp16_flops_per_s"]
            if precision == "int8" and profile["int8_ops_per_s"] is not None:
                peak = profile["int8_ops_per_s"]
            efficiency = calibration["compute_efficiency"]
            if peak is not None and efficiency is not None:
                flops[precision] = peak * efficiency
        power = calibration["active_power_w"]
        if power is None:
            power = profile["power_max_w"]
        return Node(
            bytes_per_s=profile["memory_bandwidth_bytes_per_s"]
            * calibration["memory_efficiency"],
            layer_overhead_s=calibration["layer_overhead_s"],
            sampling_s_per_vocab_entry=calibration["sampling_s_per_vocab_entry"],
            memory_bytes=profile["memory_bytes"],
            flops_per_s=flops,
            active_power_w=math.nan if power is None else power,
        )

    def phase_costs(self, side: Side, n: int, m: int) -> PhaseCosts:
        """Per-request roofline figures of ``side`` on this node for ``n`` prompt and ``m``
        output tokens: ``(block prefill, block decode sum, embedding prefill, embedding per
        step, head, block overhead)`` in seconds; a part's prefill and decode follow from them
        (:func:`part_times`)."""
        f = self.flops_per_s.get(side.precision)
        if f is None:
            raise ValueError(f"a node has no compute figure at {side.precision}")
        bw = self.bytes_per_s
        overhead = self.layer_overhead_s
        pairs = n * (n + 1.0) / 2.0
        prefill_flops = 2.0 * side.block_matmul_params * n + 4.0 * side.attention_width * pairs
        prefill_bytes = side.block_weight_bytes + n * side.kv_elements * ACTIVATION_BYTES
        block_prefill = max(prefill_flops / f, prefill_bytes / bw) + overhead
        # Decode steps 2..=m run at contexts n+1..n+m-1; each block's step time is the larger
        # of two lines in the context, summed in closed form on both sides of their crossing.
        steps = m - 1
        first, last = n + 1, n + steps

        def line(c: float) -> tuple[float, float]:
            flops = 2.0 * side.block_matmul_params + 4.0 * side.attention_width * (c + 1.0)
            moved = side.block_weight_bytes + (c + 1.0) * side.kv_elements * ACTIVATION_BYTES
            return flops / f, moved / bw

        (ca, ma), (c1, m1) = line(0.0), line(1.0)
        cb, mb = c1 - ca, m1 - ma

        def sum_line(a: float, b: float, lo: int, hi: int) -> float:
            if hi < lo:
                return 0.0
            count = float(hi - lo + 1)
            return a * count + b * float(lo + hi) * count / 2.0

        if abs(cb - mb) < sys.float_info.epsilon * max(abs(cb) + abs(mb), 1e-30):
            block_decode = sum_line(max(ca, ma), cb, first, last)
        else:
            crossing = (ma - ca) / (cb - mb)
            split = math.floor(min(max(crossing, first - 1.0), float(last)))
            below, above = ((ma, mb), (ca, cb)) if cb > mb else ((ca, cb), (ma, mb))
            block_decode = sum_line(*below, first, split) + sum_line(*above, split + 1, last)
        head = (
            max(side.head_flops / f, side.head_bytes / bw)
            + side.vocab * self.sampling_s_per_vocab_entry
        )

        def embedding_bytes(tokens: int) -> float:
            return tokens * side.embedding_rows * side.hidden * side.bytes_per_weight

        return (
            block_prefill,
            block_decode,
            embedding_bytes(n) / bw,
            embedding_bytes(1) / bw,
            head,
            overhead,
        )


def part_times(
    costs: PhaseCosts,
    steps: int,
    blocks: np.ndarray,
    embedding: np.ndarray,
    head: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Prefill and decode seconds of parts (blocks, embedding and head flags) from
    :meth:`Node.phase_costs`."""
    block_prefill, block_decode, embedding_prefill, embedding_step, head_s, overhead = costs
    prefill = blocks * block_prefill
    prefill = prefill + np.where(embedding, embedding_prefill, 0.0)
    prefill = prefill + np.where(head, head_s, 0.0)
    if steps == 0:
        return prefill, np.zeros_like(prefill)
    per_step = blocks * overhead + np.where(embedding, embedding_step, 0.0)
    per_step = per_step + np.where(head, head_s, 0.0)
    return prefill, blocks * block_decode + steps * per_step


@functools.lru_cache(maxsize=None)
def read_azure_trace(path: str) -> tuple[tuple[int, float, int, int], ...]:
    """``(id, arrival_s, prompt_tokens, output_tokens)`` of an Azure LLM trace, arrivals in
    seconds after the first request."""
    rows = []
    with open(path, newline="") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header != AZURE_HEADER:
            expected = ",".join(AZURE_HEADER)
            raise ValueError(f"{path}: expected the Azure header {expected}, got {header}")
        for line, row in enumerate(reader, start=2):
            try:
                time_ns = azure_time_ns(row[0])
                prompt, output = int(row[1]), int(row[2])
            except (ValueError, IndexError) as error:
                raise ValueError(f"{path}, line {line}: {error}") from None
            rows.append((time_ns, prompt, output))
    if not rows:
        raise ValueError(f"{path}: no request")
    first = rows[0][0]
    return tuple(
        (i, abs(t - first) / 1e9, prompt, output) for i, (t, prompt, output) in enumerate(rows)
    )


def azure_time_ns(text: str) -> int:
    """Nanoseconds since 1970 of ``YYYY-MM-DD HH:MM:SS[.fffffff]`` (UTC)."""
    date, _, clock = text.partition(" ")
    hms, _, fraction = clock.partition(".")
    year, month, day = (int(x) for x in date.split("-"))
    hour, minute, second = (int(x) for x in hms.split(":"))
    days = datetime.date(year, month, day).toordinal() - UNIX_EPOCH_ORDINAL
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    return seconds * 1_000_000_000 + int((fraction + "000000000")[:9])


def cut_epochs(
    trace: tuple[tuple[int, float, int, int], ...], rule: str, start_s: float
) -> list[Epoch]:
    """The epochs of the requests arriving from ``start_s``: ``"8"`` groups of 8 requests,
    ``"1s"`` or ``"500ms"`` windows (empty windows skipped)."""
    rule = rule.strip()
    requests = [r for r in trace if r[1] >= start_s]
    epochs: list[Epoch] = []
    if rule.endswith("ms") or rule.endswith("s"):
        seconds = float(rule[:-2]) * 1e-3 if rule.endswith("ms") else float(rule[:-1])
        if not (math.isfinite(seconds) and seconds > 0.0):
            raise ValueError(f"epoch `{rule}`: a window must be positive and finite")
        for rid, arrival, prompt, output in requests:
            index = math.floor(arrival / seconds)
            if not epochs or epochs[-1].index != index:
                epochs.append(Epoch(index, index * seconds, []))
            epochs[-1].requests.append((rid, prompt, output))
        return epochs
    count = int(rule)
    if count < 1:
        raise ValueError(f"epoch `{rule}`: a count must be at least 1")
    for at in range(0, len(requests), count):
        group = requests[at : at + count]
        epochs.append(Epoch(at // count, group[0][1], [(r[0], r[2], r[3]) for r in group]))
    return epochs


@functools.lru_cache(maxsize=None)
def link_factors(carrier: str, connections: int, server: str) -> tuple[float, ...]:
    """The 5Gophers series of ``carrier``, ``connections`` and ``server`` divided by its
    median; a series with an outage (a sample of 0) is refused."""
    samples = []
    with open(GOPHERS, newline="") as file:
        for row in csv.DictReader(file):
            if (
                row["carrier"].lower() == carrier.lower()
                and int(row["num_tcp_conn"]) == connections
                and row["server_location"].lower() == server.lower()
            ):
                run, seq = int(row["run_num"]), int(row["seq_num"])
                samples.append((run, seq, float(row["throughput_mbps"]) * 1e6))
    if not samples:
        raise ValueError(f"no 5Gophers samples for {carrier} / {connections} / {server}")
    samples.sort(key=lambda s: (s[0], s[1]))
    bps = [s[2] for s in samples]
    outages = sum(1 for s in bps if not (math.isfinite(s) and s > 0.0))
    if outages:
        raise ValueError(
            f"5Gophers series {carrier}: {outages} of its {len(bps)} samples are outages"
        )
    ordered = sorted(bps)
    half = len(ordered) // 2
    median = ordered[half] if len(ordered) % 2 else 0.5 * (ordered[half - 1] + ordered[half])
    return tuple(s / median for s in bps)


def mix(z: int) -> int:
    """SplitMix64's finaliser (Steele, Lea and Flood, OOPSLA 2014), as the crate's
    ``replay::instance_seed`` mixes seeds."""
    z = (z + 0x9E37_79B9_7F4A_7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK64
    return z ^ (z >> 31)


def instance_seed(seed: int, index: int) -> int:
    """The seed of epoch ``index``'s devices and models."""
    return mix(mix(seed) ^ index)


class Candidates:
    """The non-dominated, memory-feasible choices of one request, as arrays in the Rust
    crate's order (device-only, then per covering edge server and split: edge, cloud)."""

    __slots__ = (
        "action", "fixed", "root_upload", "root_edge", "server", "edge", "split", "kv",
        "upload", "compute", "by_action",
    )

    def __init__(self, options: dict[str, np.ndarray], keep: np.ndarray, actions: int) -> None:
        cost = options["cost"][keep]
        self.action = options["action"][keep]
        self.fixed, self.upload, self.compute = cost[:, 0], cost[:, 1], cost[:, 2]
        self.root_upload = np.sqrt(self.upload)
        self.root_edge = np.sqrt(self.compute)
        self.server = options["slot"][keep]
        self.edge = options["tier"][keep] == EDGE
        self.split = options["split"][keep]
        self.kv = options["edge_kv"][keep]
        self.by_action = np.full(actions, -1, dtype=np.int64)
        self.by_action[self.action] = np.arange(len(self.action))


class PythonSplitEnv(gymnasium.Env):
    """The ``split`` environment in plain Python (see the module docstring for what it covers).

    Args:
        scenario: a ``mei4llm.Scenario`` or the path of a scenario file with a ``[workload]``
            without deadlines.
        trace: Azure LLM trace (default: the workload's).
        epoch: epoch rule, ``"8"`` requests or a window such as ``"1s"`` (default: the
            workload's).
        epochs_per_episode: consecutive epochs in one episode.
        objective: ``"latency"``, ``"energy"`` or ``"mixed"`` (with ``per_second`` and
            ``per_joule``).
        carrier, connections, server: the 5Gophers throughput series that scales the uplinks.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(
        self,
        scenario: Union[str, "os.PathLike[str]", mei4llm.Scenario],
        *,
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        epoch: Optional[str] = None,
        epochs_per_episode: int = 4,
        objective: str = "latency",
        per_second: Optional[float] = None,
        per_joule: Optional[float] = None,
        carrier: str = "VERIZON",
        connections: int = 1,
        server: str = "US-East",
    ) -> None:
        if not isinstance(scenario, mei4llm.Scenario):
            scenario = mei4llm.Scenario.from_path(scenario)
        world = scenario.to_dict()
        workload = world["workload"]
        if workload is None:
            raise ValueError(f"scenario `{world['name']}` has no [workload]")
        if workload["ttft_slo_s"] is not None or workload["e2e_slo_s"] is not None:
            raise ValueError("the plain-Python environment covers workloads without deadlines")
        self._weights = {
            "latency": (1.0, 0.0),
            "energy": (0.0, 1.0),
            "mixed": (per_second, per_joule),
        }[objective]
        if epoch is None:
            window, count = workload["window_s"], workload["requests"]
            epoch = f"{window}s" if window else str(count or 1)
        trace_rows = read_azure_trace(str(trace or workload["trace"]))
        self._epochs = cut_epochs(trace_rows, epoch, workload["start_s"])
        if epochs_per_episode < 1 or len(self._epochs) < epochs_per_episode:
            raise ValueError(
                f"epochs_per_episode must be in 1..={len(self._epochs)}, got {epochs_per_episode}"
            )
        self._count = epochs_per_episode
        self._links = link_factors(carrier, connections, server)

        self._devices = world["devices"]
        self._device_nodes = [Node.of(d["node"]) for d in self._devices]
        self._edge_nodes = [Node.of(e["node"]) for e in world["edge_servers"]]
        self._cloud_node = Node.of(world["cloud"]["node"])
        self._cloud_rtt_s = world["cloud"]["rtt_s"]
        self._models = world["models"]
        self._on_device = [Side.of(m["on_device"]) for m in self._models]
        self._on_server = [Side.of(m["on_server"]) for m in self._models]
        self._shares = [m["share"] for m in self._models]
        edges = len(self._edge_nodes)
        layers = max(m["architecture"]["layers"] for m in self._models)
        self._edges, self._layers = edges, layers
        self._edge_memory = np.array([n.memory_bytes for n in self._edge_nodes])
        # Edge memory per slot, the last slot standing for "no edge server" (device-only).
        self._room = np.append(self._edge_memory, np.inf)
        # Weights an edge server holds for a model's smallest served split s (index layers + 1:
        # the model is not held).
        self._held = []
        for side in self._on_server:
            s = np.arange(side.layers + 1)
            held = side.weight_bytes(side.layers - s, s == 0, np.ones(len(s), dtype=bool))
            self._held.append(np.concatenate([held, np.zeros(layers + 1 - side.layers)]))

        actions = 1 + 2 * edges * layers
        self._actions = actions
        self.action_space = spaces.Discrete(actions)
        high = [np.inf] * actions
        for _ in range(edges):
            high += [np.inf, np.inf, 1.0]
        high += [1.0] * len(self._models) + [np.inf] * 5
        self.observation_space = spaces.Box(
            low=np.zeros(len(high), dtype=np.float32),
            high=np.array(high, dtype=np.float32),
            dtype=np.float32,
        )
        self._loads_at = actions
        self._model_at = actions + 3 * edges
        self._tokens_at = self._model_at + len(self._models)

        self._rng = StdRng(0)
        self._seeded = False
        self._episode: Optional[dict[str, Any]] = None
        self._plan: Optional[dict[str, Any]] = None
        self._observation = np.zeros(len(high), dtype=np.float32)
        self._mask = np.zeros(actions, dtype=np.int8)

    # --- epochs -------------------------------------------------------------------------

    def _options(self, request: dict[str, Any], uplink_bps: float) -> dict[str, np.ndarray]:
        """Every choice of ``request`` with its cost terms, in the Rust crate's order:
        device-only, then for each covering edge server and split ``s``: edge, cloud."""
        device = self._devices[request["device"]]
        node = self._device_nodes[request["device"]]
        model = request["model"]
        on_device, on_server = self._on_device[model], self._on_server[model]
        layers = on_device.layers
        n, m = request["prompt"], request["output"]
        steps = m - 1
        context = float(n + m)
        radio = device["radio"]
        power = node.active_power_w
        idle, tx = radio["idle_power_w"], radio["tx_power_w"]
        cells = device["covered_by"]
        count = 1 + 2 * len(cells) * layers
        tier = np.empty(count, dtype=np.int64)
        slot = np.empty(count, dtype=np.int64)
        split = np.empty(count, dtype=np.int64)
        action = np.empty(count, dtype=np.int64)
        ttft, e2e, energy = np.zeros((count, 3)), np.zeros((count, 3)), np.zeros((count, 3))
        device_memory = np.empty(count)
        edge_kv = np.zeros(count)
        server_kv_of = np.zeros(count)

        # Device-only.
        local = node.phase_costs(on_device, n, m)
        whole, yes = np.array([float(layers)]), np.ones(1, dtype=bool)
        prefill, decode = part_times(local, steps, whole, yes, yes)
        tier[0], slot[0], split[0], action[0] = DEVICE, self._edges, layers, 0
        ttft[0, 0] = prefill[0]
        e2e[0, 0] = prefill[0] + decode[0]
        energy[0, 0] = power * (prefill[0] + decode[0])
        device_memory[0] = (
            on_device.weight_bytes(whole, yes, yes) + on_device.kv_bytes_per_token(whole) * context
        )[0]
        # Splits 0..L-1: the device runs the embedding and blocks 1..s, the server the rest.
        s = np.arange(layers)
        device_blocks = s.astype(float)
        device_embedding, no_head = s >= 1, np.zeros(layers, dtype=bool)
        device_prefill, device_decode = part_times(
            local, steps, device_blocks, device_embedding, no_head
        )
        device_busy = device_prefill + device_decode
        split_memory = (
            on_device.weight_bytes(device_blocks, device_embedding, no_head)
            + on_device.kv_bytes_per_token(device_blocks) * context
        )
        server_blocks = (layers - s).astype(float)
        server_embedding, server_head = s == 0, np.ones(layers, dtype=bool)
        activation = np.where(s == 0, TOKEN_ID_BYTES, on_server.hidden * ACTIVATION_BYTES)
        inner = s >= 1
        up_prompt = 8.0 * n * activation / uplink_bps
        up_tokens = np.where(inner, 8.0 * steps * activation / uplink_bps, 0.0)
        upload = up_prompt + up_tokens
        down_token = 8.0 * TOKEN_ID_BYTES / radio["downlink_bps"]
        server_kv = on_server.kv_bytes_per_token(server_blocks) * context
        for c, e in enumerate(cells):
            for on_edge, target, rtt in (
                (True, self._edge_nodes[e], radio["rtt_s"]),
                (False, self._cloud_node, self._cloud_rtt_s),
            ):
                # Edge and cloud alternate split by split within the cell's block of choices.
                first = 1 + 2 * c * layers + (0 if on_edge else 1)
                rows = slice(first, 1 + 2 * (c + 1) * layers, 2)
                remote = target.phase_costs(on_server, n, m)
                server_prefill, server_decode = part_times(
                    remote, steps, server_blocks, server_embedding, server_head
                )
                server_ttft = 0.0 if on_edge else server_prefill
                ttft_fixed = device_prefill + rtt + down_token + server_ttft
                decode_fixed = (
                    device_decode
                    + np.where(inner, steps * (rtt + down_token), 0.0)
                    + (0.0 if on_edge else server_decode)
                )
                e2e_fixed = ttft_fixed + decode_fixed
                tier[rows] = EDGE if on_edge else CLOUD
                slot[rows] = e
                split[rows] = s
                tier_actions = 0 if on_edge else self._edges * self._layers
                action[rows] = 1 + tier_actions + e * self._layers + s
                ttft[rows, 0], ttft[rows, 1] = ttft_fixed, up_prompt
                e2e[rows, 0], e2e[rows, 1] = e2e_fixed, upload
                energy[rows, 0] = power * device_busy + idle * (e2e_fixed - device_busy)
                energy[rows, 1] = tx * upload
                if on_edge:
                    ttft[rows, 2] = server_prefill
                    e2e[rows, 2] = server_prefill + server_decode
                    energy[rows, 2] = idle * e2e[rows, 2]
                    edge_kv[rows] = server_kv
                device_memory[rows] = split_memory
                server_kv_of[rows] = server_kv
        per_second, per_joule = self._weights
        cost = per_second * e2e + per_joule * energy if per_joule > 0.0 else e2e * per_second
        return {
            "tier": tier,
            "slot": slot,
            "split": split,
            "action": action,
            "ttft": ttft,
            "e2e": e2e,
            "cost": cost,
            "device_memory": device_memory,
            "edge_kv": edge_kv,
            "server_kv": server_kv_of,
        }

    def _candidates(self, request: dict[str, Any], uplink_bps: float) -> Candidates:
        """The candidates of ``request``: memory-feasible on their own, not dominated."""
        o = self._options(request, uplink_bps)
        fits = o["device_memory"] <= self._device_nodes[request["device"]].memory_bytes
        edge, cloud = o["tier"] == EDGE, o["tier"] == CLOUD
        held = self._held[request["model"]][np.minimum(o["split"], self._layers)]
        fits &= ~edge | (held + o["edge_kv"] <= self._room[o["slot"]])
        # A cloud request has a GPU of its own, which holds its server part and KV cache.
        fits &= ~cloud | (held + o["server_kv"] <= self._cloud_node.memory_bytes)
        # No tier serves a request beyond its model's context window.
        window = self._models[request["model"]]["architecture"]["max_position_embeddings"]
        fits &= request["prompt"] + request["output"] <= window
        index = np.flatnonzero(fits)
        tier, slot, split = o["tier"][index], o["slot"][index], o["split"][index]
        kv = o["edge_kv"][index]
        # dominates[j, i]: choice j is at most choice i in every term and uses no more of any
        # resource (a device-only choice uses none).
        dominates = np.where(
            (tier == DEVICE)[:, None],
            True,
            (tier != DEVICE)[None, :]
            & (slot[:, None] == slot[None, :])
            & (
                (tier == CLOUD)[:, None]
                | (
                    (tier == EDGE)[:, None]
                    & (tier == EDGE)[None, :]
                    & (split[:, None] >= split[None, :])
                )
            )
            & (kv[:, None] <= kv[None, :]),
        )
        for key in ("cost", "ttft", "e2e"):
            terms = o[key][index]
            for part in range(3):
                column = terms[:, part]
                dominates &= column[:, None] <= column[None, :]
        count = len(index)
        earlier = np.arange(count)[:, None] < np.arange(count)[None, :]
        beaten = dominates & (~dominates.T | earlier)
        np.fill_diagonal(beaten, False)
        keep = np.zeros(len(fits), dtype=bool)
        keep[index[~beaten.any(axis=0)]] = True
        return Candidates(o, keep, self._actions)

    def _draw_model(self, context: int, draw: float) -> int:
        """The model of a request of ``context`` tokens: by the shares of the models whose
        context window holds it (by every model's share when none or all do)."""
        windows = [m["architecture"]["max_position_embeddings"] for m in self._models]
        pool = [j for j, window in enumerate(windows) if context <= window]
        total = 1.0
        if not pool or len(pool) == len(self._models):
            pool = list(range(len(self._models)))
        else:
            total = sum(self._shares[j] for j in pool)
        acc = 0.0
        for j in pool:
            acc += self._shares[j] / total
            if draw < acc:
                return j
        return pool[-1]

    def _load_next_epoch(self) -> None:
        """Builds the next epoch of the episode with a request (``self._plan`` is ``None``
        when the episode has none left)."""
        episode = self._episode
        dropped = 0
        while episode["next"] < episode["end"]:
            epoch = self._epochs[episode["next"]]
            episode["next"] += 1
            # Each device's uplink follows the series from its offset, a sample per second.
            second = math.floor(max(epoch.start_s - episode["start_s"], 0.0))
            n = len(self._links)
            uplinks = [
                d["radio"]["uplink_bps"] * self._links[(offset % n + second % n) % n]
                for d, offset in zip(self._devices, episode["offsets"])
            ]
            rng = StdRng(instance_seed(episode["seed"], epoch.index))
            devices = list(range(len(self._devices)))
            rng.shuffle(devices)
            requests, candidates = [], []
            for i, (_, prompt, output) in enumerate(epoch.requests):
                prompt, output = max(prompt, 1), max(output, 1)
                request = {
                    "device": devices[i % len(devices)],
                    "model": self._draw_model(prompt + output, rng.unit_f64()),
                    "prompt": prompt,
                    "output": output,
                }
                options = self._candidates(request, uplinks[request["device"]])
                if len(options.action) == 0:
                    dropped += 1
                    continue
                request["uplink_bps"] = uplinks[request["device"]]
                requests.append(request)
                candidates.append(options)
            if requests:
                edges, models = self._edges, len(self._models)
                self._plan = {
                    "epoch": epoch.index,
                    "requests": requests,
                    "candidates": candidates,
                    "picks": [],
                    "dropped": dropped,
                    "objective_so_far": 0.0,
                    "fixed": 0.0,
                    "roots_upload": np.zeros(edges + 1),
                    "roots_edge": np.zeros(edges + 1),
                    "kv": np.zeros(edges + 1),
                    "weights": np.zeros(edges + 1),
                    "smallest": np.full((edges + 1, models), self._layers + 1, dtype=np.int64),
                }
                return
        self._plan = None

    # --- steps --------------------------------------------------------------------------

    def _observe(self) -> None:
        """Writes the observation and mask of the current request (or the terminal ones)."""
        observation, mask = self._observation, self._mask
        observation[:] = 0.0
        mask[:] = 0
        plan = self._plan
        if plan is None:
            mask[0] = 1
            return
        k = len(plan["picks"])
        c: Candidates = plan["candidates"][k]
        request = plan["requests"][k]
        model = request["model"]
        p = plan["roots_upload"][c.server]
        q = plan["roots_edge"][c.server]
        delta = c.fixed + ((p + c.root_upload) ** 2 - p * p) + ((q + c.root_edge) ** 2 - q * q)
        # Edge memory where the choice lands: the model's smallest served split may drop.
        before = plan["smallest"][c.server, model]
        held = self._held[model]
        weights = plan["weights"][c.server] - held[before] + held[np.minimum(before, c.split)]
        valid = ~c.edge | (weights + (plan["kv"][c.server] + c.kv) <= self._room[c.server])
        if valid.any():
            observation[c.action[valid]] = np.maximum(delta[valid], 0.0)
            mask[c.action[valid]] = 1
        else:
            mask[c.action] = 1
        j = self._loads_at
        for e in range(self._edges):
            observation[j] = plan["roots_upload"][e] ** 2
            observation[j + 1] = plan["roots_edge"][e] ** 2
            used = (plan["weights"][e] + plan["kv"][e]) / self._edge_memory[e]
            observation[j + 2] = min(max(used, 0.0), 1.0)
            j += 3
        observation[self._model_at + model] = 1.0
        j = self._tokens_at
        observation[j] = request["prompt"]
        observation[j + 1] = request["output"]
        observation[j + 2] = request["uplink_bps"]
        observation[j + 3] = max(self._objective(), 0.0)
        observation[j + 4] = len(plan["requests"]) - k - 1

    def _objective(self) -> float:
        """The epoch objective of the requests placed so far, shares at their closed form."""
        plan = self._plan
        cells = 0.0
        for p in plan["roots_upload"][: self._edges]:
            cells += p * p
        gpus = 0.0
        for q in plan["roots_edge"][: self._edges]:
            gpus += q * q
        return plan["fixed"] + cells + gpus

    def _place(self, k: int, i: int) -> None:
        """Request ``k`` takes candidate ``i``."""
        plan = self._plan
        c: Candidates = plan["candidates"][k]
        plan["picks"].append(i)
        plan["fixed"] += c.fixed[i]
        e = c.server[i]
        if e == self._edges:
            return
        plan["roots_upload"][e] += c.root_upload[i]
        if c.edge[i]:
            model = plan["requests"][k]["model"]
            plan["roots_edge"][e] += c.root_edge[i]
            plan["kv"][e] += c.kv[i]
            before = plan["smallest"][e, model]
            after = min(before, c.split[i])
            plan["smallest"][e, model] = after
            held = self._held[model]
            plan["weights"][e] += held[after] - held[before]

    def _epoch_report(self) -> dict[str, Any]:
        """The agent's objective with the optimal (closed-form) shares, as ``evaluate`` gives
        it, and whether the plan keeps edge memory."""
        plan = self._plan
        chosen = [(c, i) for c, i in zip(plan["candidates"], plan["picks"])]
        bandwidth = [0.0] * len(chosen)
        compute = [0.0] * len(chosen)
        for e in range(self._edges):
            cell = [k for k, (c, i) in enumerate(chosen) if c.server[i] == e]
            roots = [chosen[k][0].root_upload[chosen[k][1]] for k in cell]
            total = sum(roots)
            for k, root in zip(cell, roots):
                bandwidth[k] = root / total if total > 0.0 else 0.0
            gpu = [k for k in cell if chosen[k][0].edge[chosen[k][1]]]
            roots = [chosen[k][0].root_edge[chosen[k][1]] for k in gpu]
            total = sum(roots)
            for k, root in zip(gpu, roots):
                compute[k] = root / total if total > 0.0 else 0.0
        objective = 0.0
        for k, (c, i) in enumerate(chosen):
            upload, edge = c.upload[i], c.compute[i]
            objective += (
                c.fixed[i]
                + (upload / bandwidth[k] if upload != 0.0 else 0.0)
                + (edge / compute[k] if edge != 0.0 else 0.0)
            )
        used = plan["weights"][: self._edges] + plan["kv"][: self._edges]
        return {
            "epoch": plan["epoch"],
            "requests": len(plan["requests"]),
            "dropped_requests": plan["dropped"],
            "objective": objective,
            "feasible": bool((used <= self._edge_memory * (1.0 + 1e-7)).all()),
        }

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[dict[str, Any]] = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode (seeding as ``mei4llm.envs.SplitEnv``)."""
        super().reset(seed=seed)
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(SEED_BOUND))
        self._seeded = True
        if seed is not None:
            self._rng = StdRng(seed)
        rng = self._rng
        episode_seed = rng.next_u64()
        first = rng.below_u64(len(self._epochs) - self._count + 1)
        offsets = [rng.below_u64(len(self._links)) for _ in self._devices]
        self._episode = {
            "seed": episode_seed,
            "next": first,
            "end": first + self._count,
            "start_s": self._epochs[first].start_s,
            "offsets": offsets,
        }
        self._load_next_epoch()
        self._observe()
        return self._observation.copy(), {"action_mask": self._mask.copy()}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Places the current request; ``info`` holds the next mask and, at an epoch's end,
        the epoch report."""
        action = int(action)
        if not 0 <= action < self._actions:
            raise ValueError(
                f"action {action} is outside the action space Discrete({self._actions})"
            )
        plan = self._plan
        if plan is None:
            raise RuntimeError("call reset first")
        k = len(plan["picks"])
        c: Candidates = plan["candidates"][k]
        invalid = not self._mask[action] or c.by_action[action] < 0
        if invalid:
            i = int(np.flatnonzero(self._mask[c.action])[0])
        else:
            i = int(c.by_action[action])
        self._place(k, i)
        info: dict[str, Any] = {}
        if invalid:
            info["invalid_action"] = True
        terminated = False
        if len(plan["picks"]) < len(plan["requests"]):
            after = self._objective()
            reward = -(after - plan["objective_so_far"])
            plan["objective_so_far"] = after
        else:
            report = self._epoch_report()
            reward = -(report["objective"] - plan["objective_so_far"])
            info.update(report)
            self._load_next_epoch()
            terminated = self._plan is None
        self._observe()
        info["action_mask"] = self._mask.copy()
        return self._observation.copy(), reward, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """The valid actions of the current observation, as ``bool``."""
        return self._mask.astype(bool)
