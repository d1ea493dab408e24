"""The plain-Python ``split`` environment of ``benches/split_env_python.py`` has the dynamics of
``mei4llm/Split-v0``: from the same seeds and actions, the same observations, masks, rewards,
episode ends and epoch objectives, so that ``benches/env_steps.py`` compares like with like."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

gymnasium = pytest.importorskip("gymnasium")
np = pytest.importorskip("numpy")

import mei4llm  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.toml"
sys.path.insert(0, str(ROOT / "benches"))

from split_env_python import PythonSplitEnv  # noqa: E402
from stdrng import StdRng  # noqa: E402


def test_the_random_generator_is_rust_s_std_rng() -> None:
    # Values printed by rand 0.8's StdRng::seed_from_u64 (next_u64, gen_range, shuffle, gen).
    rng = StdRng(0)
    assert [rng.next_u64() for _ in range(3)] == [
        13486662071293341567,
        14267822071968393595,
        476749353381333526,
    ]
    rng = StdRng(12345)
    assert rng.below_u64(2401) == 734 and rng.below_u64(777) == 686
    items = list(range(8))
    rng.shuffle(items)
    assert items == [0, 7, 4, 2, 1, 6, 3, 5]
    assert rng.unit_f64() == 0.042400892326875717
    with pytest.raises(ValueError, match="unsigned 64-bit"):
        StdRng(-1)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"objective": "mixed", "per_second": 1.0, "per_joule": 0.05},
        {"epoch": "1s", "epochs_per_episode": 2},
    ],
)
def test_same_seeds_and_actions_give_the_same_rewards(options: dict) -> None:
    rust = gymnasium.make("mei4llm/Split-v0", scenario=str(SMALL), optimum="none", **options)
    python = PythonSplitEnv(SMALL, **options)
    assert python.action_space == rust.action_space
    assert python.observation_space == rust.observation_space
    draws = np.random.default_rng(7)
    steps = epochs = invalid = 0
    for seed in (0, 1, 2):
        expected, info = rust.reset(seed=seed)
        observation, python_info = python.reset(seed=seed)
        while True:
            np.testing.assert_array_equal(python_info["action_mask"], info["action_mask"])
            np.testing.assert_allclose(observation, expected, rtol=1e-6)
            valid = np.flatnonzero(info["action_mask"])
            # Mostly valid actions; now and then one outside the mask, which both replace.
            if draws.random() < 0.1:
                action = int(draws.integers(len(info["action_mask"])))
            else:
                action = int(valid[draws.integers(len(valid))])
            expected, reward, terminated, _, info = rust.step(action)
            observation, python_reward, python_terminated, _, python_info = python.step(action)
            steps += 1
            assert python_reward == pytest.approx(reward, rel=1e-9)
            assert python_terminated == terminated
            assert python_info.get("invalid_action", False) == info.get("invalid_action", False)
            invalid += info.get("invalid_action", False)
            if "objective" in info:
                epochs += 1
                assert python_info["objective"] == pytest.approx(info["objective"], rel=1e-9)
                for key in ("epoch", "requests", "dropped_requests", "feasible"):
                    assert python_info[key] == info[key], key
            if terminated:
                np.testing.assert_array_equal(python_info["action_mask"], info["action_mask"])
                break
    assert steps >= 24 and epochs >= 6 and invalid >= 1


def test_deadlines_are_outside_the_plain_python_subset() -> None:
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads(SMALL.read_text())
    data["workload"]["trace"] = str(ROOT / "datasets" / "traces" / "azure_llm_2023_conv.csv")
    data["workload"]["ttft_slo"] = "2 s"
    with pytest.raises(ValueError, match="without deadlines"):
        PythonSplitEnv(mei4llm.Scenario.from_dict(data))
