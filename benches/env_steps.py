#!/usr/bin/env python3
"""Steps per second of ``mei4llm/Split-v0`` from Python, against the same dynamics in plain
Python (``split_env_python.py``), for one environment and for a vector of environments, and of
``mei4llm/Batching-v0`` (no plain-Python peer).

Six runs, each in ``--rounds`` rounds of ``--seconds`` of wall-clock time, the runs taking
turns so that a change in the machine's load falls on all of them (after a warm-up of each):

- ``rust``: ``gymnasium.make("mei4llm/Split-v0", optimum="none")``;
- ``python``: the plain-Python environment through ``gymnasium.make`` (the same wrappers);
- ``rust-vector``: ``gymnasium.make_vec(..., num_envs=64, vectorization_mode="vector_entry_point")``;
- ``python-vector``: the plain-Python environment in Gymnasium's ``SyncVectorEnv``
  (``make_vec(..., vectorization_mode="sync")``) with 64 copies;
- ``batching`` and ``batching-vector``: ``mei4llm/Batching-v0`` on ``--batching-scenario``
  (``optimum="none"``), alone and as a Rust vector of 64.

Every run follows the same fixed policy: a uniformly random valid action, drawn from
uniforms pre-drawn with ``--seed`` (the ``u``-th valid action of the mask with
``u = ⌊draw · valid count⌋``), so that the policy costs the same few numpy operations in every
run. Episodes restart as they end (``reset()`` for one environment, autoreset for vectors);
a step of a vector of ``n`` environments counts as ``n`` steps. A run's rate is that of its
best round (as ``timeit`` takes the best repeat: other processes only ever slow a round
down); the median round is shown beside it, and the speed-ups are ratios of best rounds.

    pip install .   # the release wheel, as users get it
    python benches/env_steps.py [--scenario scenarios/small.toml]
        [--batching-scenario scenarios/batching-edge.toml] [--rounds 5] [--seconds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

# Neither environment multiplies matrices; idle BLAS threads would only spin on the cores that
# the Rust vector environment steps on.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import gymnasium  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mei4llm  # noqa: E402,F401  (registers the mei4llm/ environments)
from split_env_python import PythonSplitEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PYTHON_ID = "benches/PythonSplit-v0"
"""The plain-Python environment, registered for ``make`` and ``make_vec``."""
WARM_UP_S = 0.5
"""Seconds each run steps before the measured rounds."""
DRAWS = 4096
"""Pre-drawn uniforms per environment (reused cyclically)."""


def pick(masks: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The ``⌊draw · count⌋``-th valid action of each row of ``masks`` (``(n, actions)``)."""
    counts = masks.sum(axis=1)
    target = (draws * counts).astype(np.int64)
    return (masks.cumsum(axis=1) > target[:, None]).argmax(axis=1)


class Runner:
    """Steps one environment, or one vector of environments, with the fixed policy."""

    def __init__(self, env: Any, seed: int) -> None:
        self.env = env
        self.vector = isinstance(env, gymnasium.vector.VectorEnv)
        self.n = env.num_envs if self.vector else 1
        self.draws = np.random.default_rng(seed).random((DRAWS, self.n))
        self.calls = 0
        _, self.info = env.reset(seed=seed)

    def run(self, limit_s: float) -> tuple[int, float]:
        """Environment steps taken in about ``limit_s`` seconds, and the seconds they took."""
        env, calls, start = self.env, 0, time.perf_counter()
        while True:
            masks = self.info["action_mask"]
            draws = self.draws[(self.calls + calls) % DRAWS]
            if self.vector:
                _, _, _, _, self.info = env.step(pick(masks, draws))
            else:
                action = int(pick(masks[None, :], draws)[0])
                _, _, terminated, truncated, self.info = env.step(action)
                if terminated or truncated:
                    _, self.info = env.reset()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= limit_s:
                self.calls += calls
                return calls * self.n, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "small.toml"))
    parser.add_argument(
        "--batching-scenario", default=str(ROOT / "scenarios" / "batching-edge.toml")
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="time of one round of a run")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each run, interleaved")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.seconds <= 0.0 or args.rounds < 1 or args.num_envs < 1:
        parser.error("--seconds must be positive, --rounds and --num-envs at least 1")
    if PYTHON_ID not in gymnasium.registry:
        gymnasium.register(id=PYTHON_ID, entry_point=PythonSplitEnv)
    rust_kwargs = {"scenario": args.scenario, "optimum": "none"}
    python_kwargs = {"scenario": args.scenario}
    batching_kwargs = {"scenario": args.batching_scenario, "optimum": "none"}
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("rust", lambda: gymnasium.make("mei4llm/Split-v0", **rust_kwargs)),
        ("python", lambda: gymnasium.make(PYTHON_ID, **python_kwargs)),
        (
            "rust-vector",
            lambda: gymnasium.make_vec(
                "mei4llm/Split-v0",
                num_envs=args.num_envs,
                vectorization_mode="vector_entry_point",
                **rust_kwargs,
            ),
        ),
        (
            "python-vector",
            lambda: gymnasium.make_vec(
                PYTHON_ID, num_envs=args.num_envs, vectorization_mode="sync", **python_kwargs
            ),
        ),
        ("batching", lambda: gymnasium.make("mei4llm/Batching-v0", **batching_kwargs)),
        (
            "batching-vector",
            lambda: gymnasium.make_vec(
                "mei4llm/Batching-v0",
                num_envs=args.num_envs,
                vectorization_mode="vector_entry_point",
                **batching_kwargs,
            ),
        ),
    ]
    runners = {name: Runner(make(), args.seed) for name, make in runs}
    for runner in runners.values():
        runner.run(WARM_UP_S)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, runner in runners.items():
            steps, elapsed = runner.run(args.seconds)
            rates[name].append(steps / elapsed)
    for runner in runners.values():
        runner.env.close()
    results = {
        name: {"steps_per_s": max(r), "median_steps_per_s": float(np.median(r)), "rounds": r}
        for name, r in rates.items()
    }
    single = results["rust"]["steps_per_s"] / results["python"]["steps_per_s"]
    vector = results["rust-vector"]["steps_per_s"] / results["python-vector"]["steps_per_s"]
    summary = {
        "scenario": args.scenario,
        "batching_scenario": args.batching_scenario,
        "num_envs": args.num_envs,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "runs": results,
        "speedup_single": single,
        "speedup_vector": vector,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{'run':<15}{'best steps/s':>14}{'median steps/s':>16}")
    for name, r in results.items():
        print(f"{name:<15}{r['steps_per_s']:>14.0f}{r['median_steps_per_s']:>16.0f}")
    print(f"speed-up, one environment: {single:.1f}x (target 10x)")
    print(f"speed-up, {args.num_envs} environments: {vector:.1f}x (target 50x)")


if __name__ == "__main__":
    main()
