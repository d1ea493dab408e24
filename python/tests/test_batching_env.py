"""``mei4llm/Batching-v0`` and ``mei4llm.BatchingInstance``: registration, ``check_env``,
exact spaces, determinism, masks judged by ``mei4llm.evaluate``, rewards that add up to the
objective, the certified optimum and regret in ``info``, ``make_vec`` against single
environments, solvers and decision arrays on an instance, and errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

gymnasium = pytest.importorskip("gymnasium")
np = pytest.importorskip("numpy")

from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402

import mei4llm  # noqa: E402
from mei4llm.envs import BatchingEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BATCHING_SMALL = ROOT / "scenarios" / "batching-small.toml"
SMALL = ROOT / "scenarios" / "small.toml"
BATCHING = {"scenario": str(BATCHING_SMALL), "epochs_per_episode": 1}


def first_fit(mask: np.ndarray) -> int:
    """The first valid admission, else reject."""
    admissions = np.flatnonzero(mask[1:])
    return int(admissions[0]) + 1 if admissions.size else 0


def play(env: gymnasium.Env, seed: int, policy) -> tuple[list[float], list[dict]]:
    """One episode; the rewards and the infos that carry a decision report."""
    observation, info = env.reset(seed=seed)
    rewards, reports = [], []
    while True:
        mask = info["action_mask"]
        assert mask.dtype == np.int8 and mask[0] == 1
        observation, reward, terminated, truncated, info = env.step(policy(mask))
        assert not truncated
        assert observation in env.observation_space
        rewards.append(reward)
        if "objective" in info:
            reports.append(info)
        if terminated:
            return rewards, reports


def test_the_id_is_registered_with_a_vector_entry_point() -> None:
    spec = gymnasium.spec("mei4llm/Batching-v0")
    assert spec.entry_point == "mei4llm.envs:BatchingEnv"
    assert spec.vector_entry_point == "mei4llm.envs:BatchingVectorEnv"


def test_check_env_passes() -> None:
    env = gymnasium.make("mei4llm/Batching-v0", **BATCHING, optimum="none")
    with warnings.catch_warnings():
        # Unbounded components (token counts, times) have +inf as their exact upper bound.
        warnings.filterwarnings("ignore", message=".*maximum value is infinity.*")
        check_env(env.unwrapped)


def test_spaces_are_exact() -> None:
    env = BatchingEnv(**BATCHING)
    # batching-small.toml: 2 servers x 3 precisions, plus reject.
    assert env.action_space == gymnasium.spaces.Discrete(7)
    space = env.observation_space
    assert space.dtype == np.float32 and space.shape == (5 + 3 + 1 + 2 * 3 + 5 * 2 + 2,)
    names = env.observation_names
    assert names[:5] == ["prompt_tokens", "output_tokens", "kv_bytes", "ttft_budget_s", "tpot_slo_s"]
    assert names[5:8] == ["accepts_fp16", "accepts_int8", "accepts_int4"]
    assert names[-2:] == ["requests_left", "decisions_left"]
    assert "precision_1_int4" in names and "decode_step_0_s" in names


def test_rewards_sum_to_the_objective_and_the_optimum_bounds_it() -> None:
    env = BatchingEnv(scenario=str(BATCHING_SMALL), epochs_per_episode=2, optimum="exact")
    rewards, reports = play(env, 3, first_fit)
    assert len(rewards) == 80 and len(reports) == 2
    first = reports[0]
    assert sum(rewards[:40]) == first["objective"] == first["admitted"]
    for report in reports:
        evaluation = mei4llm.evaluate(report["instance"], report["decision"])
        assert evaluation["feasible"] and report["feasible"] and report["reason"] is None
        assert evaluation["objective"] == report["objective"]
        assert report["optimum_status"] == "optimal"
        assert report["optimum"] >= report["objective"]
        assert report["optimum_bound"] >= report["optimum"]
        assert report["regret"] == report["optimum"] - report["objective"]
        # The reported optimum is the exact solver's on the same instance.
        exact = mei4llm.solve(report["instance"], solver="exact")
        assert exact.objective == report["optimum"]


def test_seeds_repeat_episodes() -> None:
    env = BatchingEnv(**BATCHING, optimum="none")
    first = env.reset(seed=5)[0]
    rewards, _ = play(env, 5, first_fit)
    np.testing.assert_array_equal(env.reset(seed=5)[0], first)
    assert play(env, 5, first_fit)[0] == rewards
    other = BatchingEnv(**BATCHING, optimum="none").reset(seed=6)[0]
    assert not np.array_equal(other, first)


def test_masked_admissions_pass_evaluate_and_an_invalid_action_rejects() -> None:
    env = BatchingEnv(**BATCHING, optimum="none")
    _, info = env.reset(seed=1)
    action = first_fit(info["action_mask"])
    assert action > 0
    _, reward, _, _, info = env.step(action)
    assert reward == 1.0 and "invalid_action" not in info
    # The server's precision is now fixed: its other precisions are masked.
    server = (action - 1) // 3
    other = next(a for a in range(1 + 3 * server, 4 + 3 * server) if a != action)
    assert info["action_mask"][other] == 0
    _, reward, _, _, info = env.step(other)
    assert reward == 0.0 and info["invalid_action"] is True
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(7)
    assert env.action_masks().dtype == bool


def test_make_vec_uses_the_rust_vector_env_and_equals_single_envs() -> None:
    n = 3
    kwargs = {**BATCHING, "optimum": "none"}
    envs = gymnasium.make_vec(
        "mei4llm/Batching-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs
    )
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    singles = [BatchingEnv(**kwargs) for _ in range(n)]
    observations, info = envs.reset(seed=20)
    single_obs = [s.reset(seed=20 + i)[0] for i, s in enumerate(singles)]
    np.testing.assert_array_equal(observations, np.stack(single_obs))
    ended = [False] * n
    reports = 0
    for _ in range(45):
        actions = np.array([first_fit(m) for m in info["action_mask"]])
        observations, rewards, terminated, _, info = envs.step(actions)
        reports += int(info.get("_objective", np.zeros(n, bool)).sum())
        for i, single in enumerate(singles):
            if ended[i]:
                expected, _ = single.reset()
                reward, done = 0.0, False
            else:
                expected, reward, done, _, _ = single.step(actions[i])
            ended[i] = done
            np.testing.assert_array_equal(observations[i], expected)
            assert rewards[i] == reward and terminated[i] == done
    assert reports == n


def test_an_instance_is_solved_evaluated_and_turned_into_arrays() -> None:
    scenario = mei4llm.Scenario.from_path(BATCHING_SMALL)
    instance = mei4llm.BatchingInstance.from_scenario(scenario)
    assert (instance.problem, instance.servers, len(instance)) == ("batching", 2, 40)
    assert mei4llm.solvers("batching")[0] == "exact"
    exact = mei4llm.solve(instance, solver="exact")
    assert exact.problem == "batching" and exact.status == "optimal"
    assert exact.sense == "maximise" and exact.bound >= exact.objective
    for name in mei4llm.solvers("batching")[1:]:
        outcome = mei4llm.solve(instance, solver=name)
        assert outcome.status == "feasible" and outcome.bound is None
        evaluation = mei4llm.evaluate(instance, outcome.decision)
        assert evaluation["feasible"] and evaluation["objective"] == outcome.objective
        assert outcome.objective <= exact.objective
    arrays = mei4llm.decision_arrays(instance, exact)
    assert arrays["server"].shape == (40,) and arrays["precision"].shape == (2,)
    assert (arrays["server"] >= 0).sum() == exact.objective
    assert set(arrays["precision"]) <= {-1, 0, 1, 2}
    assert mei4llm.evaluate(instance, arrays)["objective"] == exact.objective
    frame = mei4llm.to_frame(exact)
    assert len(frame) == 40 and frame["server"].notna().sum() == exact.objective
    # Admitting every request to server 0 breaks its memory or SLOs.
    crowded = {"server": np.zeros(40, dtype=np.int64), "precision": np.array([0, -1])}
    assert not mei4llm.evaluate(instance, crowded)["feasible"]


def test_bad_input_is_a_value_error_with_the_rust_message() -> None:
    with pytest.raises(ValueError, match="epochs_per_episode"):
        BatchingEnv(scenario=str(BATCHING_SMALL), epochs_per_episode=0)
    with pytest.raises(ValueError, match="lifo"):
        BatchingEnv(scenario=str(BATCHING_SMALL), optimum="lifo")
    with pytest.raises(ValueError, match=r"\[batching\]"):
        BatchingEnv(scenario=str(SMALL))
    with pytest.raises(ValueError, match="render_mode"):
        BatchingEnv(**BATCHING, render_mode="human")
    with pytest.raises(RuntimeError, match="reset"):
        BatchingEnv(**BATCHING).step(0)
    instance = mei4llm.BatchingInstance.from_scenario(mei4llm.Scenario.from_path(BATCHING_SMALL))
    with pytest.raises(mei4llm.ScenarioError, match=r"\[batching\]"):
        mei4llm.BatchingInstance.from_scenario(mei4llm.Scenario.from_path(SMALL))
    with pytest.raises(ValueError, match="unknown batching solver `lifo`"):
        mei4llm.solve(instance, solver="lifo")
    with pytest.raises(mei4llm.DecisionError, match="precision"):
        mei4llm.evaluate(instance, {"server": np.zeros(40, dtype=np.int64)})
    with pytest.raises(mei4llm.DecisionError, match=r"precision\[0\]: 7"):
        mei4llm.evaluate(instance, {"server": np.zeros(40, dtype=np.int64), "precision": [7, -1]})
    with pytest.raises(mei4llm.SolverError, match="request 0"):
        mei4llm.solve(instance, solver=lambda observation, mask: len(mask))


def test_a_callable_policy_is_a_solver_judged_by_evaluate() -> None:
    instance = mei4llm.BatchingInstance.from_scenario(mei4llm.Scenario.from_path(BATCHING_SMALL))

    def first_server_narrowest(observation: np.ndarray, mask: np.ndarray) -> int:
        """FCFS: the first server with a valid admission, at its narrowest valid precision."""
        assert observation.dtype == np.float32 and mask.dtype == np.int8
        for server in range((len(mask) - 1) // 3):
            for action in range(3 * server + 3, 3 * server, -1):
                if mask[action]:
                    return action
        return 0

    outcome = mei4llm.solve(instance, solver=first_server_narrowest)
    assert outcome.solver == "first_server_narrowest" and outcome.status == "feasible"
    fcfs = mei4llm.solve(instance, solver="fcfs")
    assert outcome.decision == fcfs.decision and outcome.objective == fcfs.objective
    assert mei4llm.evaluate(instance, outcome.decision)["objective"] == outcome.objective
