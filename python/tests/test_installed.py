"""The installed package away from the checkout: every test here runs in an empty temporary
folder, copies nothing, and names scenarios and data by their bundled names. It also checks
that what an environment reports pickles, so subprocess vector environments work."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mei4llm

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from mei4llm.envs import IDS  # noqa: E402
from test_core import cli  # noqa: E402

BINARY = cli()
"""The built CLI, found before any test changes folder."""


@pytest.fixture(autouse=True)
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, away from the checkout."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def quick_solver(problem: str) -> str:
    """The problem's first solver that proves no bound (fast on any instance)."""
    exact = {p["name"]: p for p in mei4llm.problems()}[problem]["solvers"]
    return next(s["name"] for s in exact if not s["exact"])


def test_the_bundled_small_scenario_solves_to_a_certified_optimum() -> None:
    scenario = mei4llm.Scenario.bundled("small")
    outcome = mei4llm.solve(mei4llm.SplitInstance.from_scenario(scenario), solver="exact")
    assert outcome.status == "optimal"
    assert outcome.gap is not None and outcome.gap <= 1e-6
    assert "small" in mei4llm.scenarios()


def test_a_bundled_scenario_and_its_trace_can_be_copied_and_read_from_the_copy(
    elsewhere: Path,
) -> None:
    names = mei4llm.datasets.files()
    assert "scenarios/small.toml" in names
    assert 'name = "small"' in mei4llm.datasets.read_text("scenarios/small.toml")
    (elsewhere / "scenarios").mkdir()
    (elsewhere / "datasets" / "traces").mkdir(parents=True)
    copy = mei4llm.datasets.copy("scenarios/small.toml", elsewhere / "scenarios")
    mei4llm.datasets.copy(
        "datasets/traces/azure_llm_2023_conv.csv", elsewhere / "datasets" / "traces"
    )
    scenario = mei4llm.Scenario.from_path(copy)
    run = mei4llm.solve_trace(scenario, solvers=["greedy"], max_epochs=1)
    assert not run.run["trace"].startswith("bundled:")


@pytest.mark.parametrize("env_id", sorted(IDS))
def test_every_env_makes_with_no_argument_and_passes_check_env(env_id: str) -> None:
    env = gymnasium.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    envs = gymnasium.make_vec(env_id, num_envs=2)
    observations, info = envs.reset(seed=0)
    assert observations.shape[0] == 2 and info["action_mask"].shape[0] == 2


@pytest.mark.parametrize("env_id", sorted(IDS))
def test_the_ecosystems_render_modes_are_accepted(env_id: str) -> None:
    env = gymnasium.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    # sb3-contrib's MaskablePPO reads the mask from the made env itself.
    assert env.action_masks().dtype == bool
    assert env.action_masks().shape == (env.action_space.n,)


@pytest.mark.parametrize("env_id", sorted(IDS))
def test_async_vector_envs_step_past_an_epoch_end(env_id: str) -> None:
    problem = IDS[env_id]
    envs = gymnasium.make_vec(
        env_id, num_envs=2, vectorization_mode="async", optimum=quick_solver(problem)
    )
    _, info = envs.reset(seed=1)
    try:
        for _ in range(1000):
            _, _, _, _, info = envs.step(info["action_mask"].argmax(axis=1))
            if "_instance" in info and info["_instance"].any():
                break
        else:
            pytest.fail(f"{env_id}: no epoch ended in 1000 steps")
    finally:
        envs.close()
    # The instance crossed from the worker process by pickle and still solves to the optimum
    # the worker reported.
    i = int(np.flatnonzero(info["_instance"])[0])
    instance = info["instance"][i]
    assert instance.problem == problem
    again = mei4llm.solve(instance, solver=quick_solver(problem))
    reported = info["optimum"][i]
    if problem == "caching":  # reported in hits, the instance's objective is the hit ratio
        reported /= info["requests"][i]
    assert again.objective == pytest.approx(reported, rel=1e-9)


@pytest.mark.parametrize("problem", ["split", "caching", "batching"])
def test_instances_and_outcomes_pickle(problem: str) -> None:
    scenario = {p["name"]: p for p in mei4llm.problems()}[problem]["default_scenario"]
    instance = mei4llm.Instance.from_scenario(problem, scenario)
    again = pickle.loads(pickle.dumps(instance))
    assert repr(again) == repr(instance)
    solver = quick_solver(problem)
    outcome = mei4llm.solve(instance, solver=solver)
    restored = pickle.loads(pickle.dumps(outcome))
    assert repr(restored) == repr(outcome)
    assert restored.decision == outcome.decision and restored.plan == outcome.plan
    assert mei4llm.solve(again, solver=solver).objective == outcome.objective
    assert mei4llm.evaluate(again, outcome.decision) == mei4llm.evaluate(instance, outcome.decision)


def test_a_trace_replays_on_bundled_names() -> None:
    run = mei4llm.solve_trace("small", solvers=["greedy", "device-only"], max_epochs=2)
    assert run.run["trace"].startswith("bundled:")
    assert len(run.epochs) == 4


def test_the_cli_plans_a_bundled_scenario_from_any_folder() -> None:
    if BINARY is None:
        pytest.skip("the mei4llm binary is not built")
    done = subprocess.run(
        [str(BINARY.resolve()), "plan", "--scenario", "small"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "optimal" in done.stdout


def test_the_maskable_ppo_example_runs_from_any_folder() -> None:
    pytest.importorskip("sb3_contrib")
    example = Path(__file__).resolve().parents[2] / "examples" / "maskable_ppo.py"
    done = subprocess.run(
        [sys.executable, str(example), "--timesteps", "512", "--episodes", "1", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    policies = json.loads(done.stdout)["policies"]
    assert set(policies) == {"maskable-ppo", "random", "greedy"}
    # Regret is measured against a certified optimum, so no policy beats it.
    assert all(p["epoch_regret_s"] >= -1e-9 and p["epochs"] == 4 for p in policies.values())
