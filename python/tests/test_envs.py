"""The Gymnasium environments: registration, ``check_env``, ``make`` and ``make_vec`` with the
Rust vector environment, exact spaces, determinism, masks, the epoch reports judged by
``mei4llm.evaluate``, a callable policy as a solver, and errors."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import pytest

gymnasium = pytest.importorskip("gymnasium")
np = pytest.importorskip("numpy")

from gymnasium.utils.env_checker import check_env  # noqa: E402
from gymnasium.vector import AutoresetMode  # noqa: E402

import mei4llm  # noqa: E402
from mei4llm.envs import CachingEnv, SplitEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.toml"
CACHING_SMALL = ROOT / "scenarios" / "caching-small.toml"
TRACE = ROOT / "datasets" / "traces" / "azure_llm_2023_conv.csv"

SPLIT = {"scenario": str(SMALL), "epochs_per_episode": 1}
CACHING = {
    "scenario": str(CACHING_SMALL),
    "trace": str(TRACE),
    "epoch": "40",
    "epochs_per_episode": 1,
}


def least_marginal(observation: np.ndarray, mask: np.ndarray) -> int:
    """The valid action of least marginal cost (the first components of the observation)."""
    valid = np.flatnonzero(mask)
    return int(valid[np.argmin(observation[valid])])


def play(env: gymnasium.Env, seed: int, policy) -> tuple[list[float], list[dict]]:
    """One episode; the rewards and the infos that carry a report."""
    observation, info = env.reset(seed=seed)
    rewards, reports = [], []
    while True:
        action = policy(observation, info["action_mask"])
        observation, reward, terminated, truncated, info = env.step(action)
        assert not truncated
        assert observation in env.observation_space
        rewards.append(reward)
        if len(info) > 1:
            reports.append(info)
        if terminated:
            return rewards, reports


def test_both_ids_are_registered_with_a_vector_entry_point() -> None:
    for env_id in ("mei4llm/Split-v0", "mei4llm/Caching-v0"):
        spec = gymnasium.spec(env_id)
        assert spec.entry_point.startswith("mei4llm.envs:")
        assert spec.vector_entry_point.startswith("mei4llm.envs:")


@pytest.mark.parametrize("env_id, kwargs", [("mei4llm/Split-v0", SPLIT), ("mei4llm/Caching-v0", CACHING)])
def test_check_env_passes(env_id: str, kwargs: dict) -> None:
    env = gymnasium.make(env_id, **kwargs)
    with warnings.catch_warnings():
        # Unbounded components (token counts, loads) have +inf as their exact upper bound.
        warnings.filterwarnings("ignore", message=".*maximum value is infinity.*")
        check_env(env.unwrapped)


def test_spaces_are_exact() -> None:
    env = SplitEnv(**SPLIT)
    # small.toml: 2 edge servers, Llama-2-7B (32 blocks) and Llama-3.2-3B: 1 + 2·2·32 actions.
    assert env.action_space == gymnasium.spaces.Discrete(129)
    space = env.observation_space
    assert space.dtype == np.float32 and space.shape == (129 + 3 * 2 + 2 + 5,)
    assert len(env.observation_names) == space.shape[0]
    assert env.observation_names[:2] == ["marginal_0", "marginal_1"]
    assert env.observation_names[-1] == "requests_left"
    assert np.all(space.low == 0.0)
    memory = env.observation_names.index("memory_used_0")
    assert space.high[memory] == 1.0 and np.isinf(space.high[0])
    observation, info = env.reset(seed=0)
    assert observation.dtype == np.float32 and observation.shape == space.shape
    assert info["action_mask"].dtype == np.int8 and info["action_mask"].shape == (129,)
    assert env.action_masks().dtype == bool
    np.testing.assert_array_equal(env.action_masks(), info["action_mask"].astype(bool))
    # An int8 mask is what Discrete.sample takes.
    for _ in range(20):
        assert info["action_mask"][env.action_space.sample(mask=info["action_mask"])] == 1
    caching = CachingEnv(**CACHING)
    # caching-small.toml: 3 servers, 16 models: pass, 3 admissions, 48 evictions.
    assert caching.action_space == gymnasium.spaces.Discrete(52)
    assert caching.observation_space.shape == (16 + 3 + 1 + 48 + 3 + 3 + 16 + 1,)


def test_make_and_step_with_masks_and_epoch_reports() -> None:
    env = gymnasium.make("mei4llm/Split-v0", **SPLIT, optimum="exact")
    rewards, reports = play(env, 3, least_marginal)
    assert len(rewards) == 8  # one epoch of the workload's 8 requests
    (report,) = reports
    assert report["requests"] == 8 and report["feasible"]
    # The rewards of the epoch sum to minus the objective evaluate gives the agent's decision.
    check = mei4llm.evaluate(report["instance"], report["decision"])
    assert check["feasible"]
    assert sum(rewards) == pytest.approx(-check["objective"], rel=1e-9)
    assert report["objective"] == pytest.approx(check["objective"], rel=1e-12)
    # The certified optimum bounds the agent, and the regret is the difference.
    assert report["optimum_status"] == "optimal"
    assert report["objective"] >= report["optimum_bound"] * (1 - 1e-9)
    assert report["regret"] == pytest.approx(report["objective"] - report["optimum"])
    # The same instance solved again from Python gives the same optimum.
    exact = mei4llm.solve(report["instance"], solver="exact")
    assert exact.objective == pytest.approx(report["optimum"], rel=1e-6)


def test_seeds_repeat_episodes_and_reset_without_seed_continues() -> None:
    a, b = SplitEnv(**SPLIT), SplitEnv(**SPLIT)
    first, _ = play(a, 11, least_marginal)
    again, _ = play(b, 11, least_marginal)
    assert first == again
    other, _ = play(b, 12, least_marginal)
    assert other != first
    observation, _ = a.reset(seed=11)
    continued, _ = a.reset()
    assert not np.array_equal(observation, continued)
    caching_a, caching_b = CachingEnv(**CACHING), CachingEnv(**CACHING)
    admit = lambda o, m: int(np.flatnonzero(m)[-1])  # noqa: E731  (evict, then admit)
    assert play(caching_a, 5, admit)[0] == play(caching_b, 5, admit)[0]


def test_an_action_outside_the_mask_is_flagged() -> None:
    env = SplitEnv(**SPLIT)
    _, info = env.reset(seed=0)
    invalid = int(np.flatnonzero(info["action_mask"] == 0)[0])
    _, _, _, _, info = env.step(invalid)
    assert info["invalid_action"] is True


def test_caching_rewards_are_hits_and_the_optimum_is_reported() -> None:
    env = gymnasium.make("mei4llm/Caching-v0", **CACHING, optimum="exact")
    admit = lambda o, m: int(np.flatnonzero(m)[-1])  # noqa: E731
    rewards, reports = play(env, 2, admit)
    (report,) = reports
    assert sum(rewards) == report["hits"] > 0
    assert report["hits"] <= report["reachable"] <= report["requests"] == 40
    assert report["optimum_status"] == "optimal"
    assert report["regret"] == pytest.approx(report["optimum"] - report["hits"])
    # The window's placement problem, solved from Python, has the reported optimum.
    exact = mei4llm.solve(report["instance"], solver="exact")
    assert exact.objective * report["requests"] == pytest.approx(report["optimum"], rel=1e-6)
    # The caches never exceed storage: evaluate accepts them as a placement.
    base = mei4llm.CachingInstance.from_scenario(mei4llm.Scenario.from_path(CACHING_SMALL))
    assert mei4llm.evaluate(base, report["placement"])["feasible"]


@pytest.mark.parametrize(
    "env_id, kwargs",
    [("mei4llm/Split-v0", {**SPLIT, "optimum": "none"}), ("mei4llm/Caching-v0", {**CACHING, "optimum": "none"})],
)
def test_make_vec_uses_the_rust_vector_env_and_equals_single_envs(env_id: str, kwargs: dict) -> None:
    n = 3
    envs = gymnasium.make_vec(
        env_id, num_envs=n, vectorization_mode="vector_entry_point", **kwargs
    )
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert type(envs).__module__ == "mei4llm.envs"
    singles = [gymnasium.make(env_id, **kwargs).unwrapped for _ in range(n)]
    observations, info = envs.reset(seed=20)
    assert observations.dtype == np.float32
    assert observations.shape == (n,) + singles[0].observation_space.shape
    assert envs.single_action_space == singles[0].action_space
    single_obs = [s.reset(seed=20 + i)[0] for i, s in enumerate(singles)]
    np.testing.assert_array_equal(observations, np.stack(single_obs))
    ended = [False] * n
    finished = 0
    for _ in range(100):
        actions = np.array([int(np.flatnonzero(m)[-1]) for m in info["action_mask"]])
        observations, rewards, terminated, truncated, info = envs.step(actions)
        for i, single in enumerate(singles):
            if ended[i]:  # next-step autoreset: the action is ignored
                expected, _ = single.reset()
                reward, done = 0.0, False
            else:
                expected, reward, done, _, _ = single.step(actions[i])
            ended[i] = done
            finished += done
            np.testing.assert_array_equal(observations[i], expected)
            assert rewards[i] == reward and terminated[i] == done
            np.testing.assert_array_equal(info["action_mask"][i], single.action_masks())
        assert not truncated.any()
    assert finished >= n
    np.testing.assert_array_equal(envs.action_masks(), info["action_mask"].astype(bool))


def test_vector_reports_carry_key_masks() -> None:
    envs = gymnasium.make_vec(
        "mei4llm/Split-v0", num_envs=2, vectorization_mode="vector_entry_point", **SPLIT,
        optimum="exact",
    )
    _, info = envs.reset(seed=0)
    for _ in range(8):
        _, _, terminated, _, info = envs.step(info["action_mask"].argmax(axis=1))
    assert terminated.all()
    assert info["_regret"].all() and info["regret"].shape == (2,)
    assert (info["regret"] >= -1e-6 * info["optimum"]).all()


def test_vector_infos_batch_the_reports_of_the_single_envs() -> None:
    n, kwargs = 3, {**SPLIT, "optimum": "descent"}
    envs = gymnasium.make_vec(
        "mei4llm/Split-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs
    )
    singles = [SplitEnv(**kwargs) for _ in range(n)]
    _, info = envs.reset(seed=5)
    for i, single in enumerate(singles):
        single.reset(seed=5 + i)
    for step in range(8):  # one epoch of the workload's 8 requests: every env reports last
        actions = info["action_mask"].argmax(axis=1)
        _, _, _, _, info = envs.step(actions)
        reports = [single.step(int(a))[4] for single, a in zip(singles, actions)]
        if step < 7:
            assert "objective" not in info and all("objective" not in r for r in reports)
    dtypes = {
        "epoch": np.int64,
        "requests": np.int64,
        "dropped_requests": np.int64,
        "objective": np.float64,
        "feasible": np.bool_,
        "optimum": np.float64,
        "regret": np.float64,
        "optimum_time_s": np.float64,
        "reason": object,
        "optimum_status": object,
        "instance": object,
        "decision": object,
    }
    for key, dtype in dtypes.items():
        assert info[key].dtype == dtype and info[key].shape == (n,), key
        assert info[f"_{key}"].dtype == np.bool_ and info[f"_{key}"].all(), key
    for key in ("epoch", "requests", "objective", "feasible", "optimum", "regret", "reason"):
        assert list(info[key]) == [r[key] for r in reports], key
    for i, report in enumerate(reports):
        assert info["decision"][i] == report["decision"]
        check = mei4llm.evaluate(info["instance"][i], info["decision"][i])
        assert check["objective"] == pytest.approx(info["objective"][i], rel=1e-12)
    # The decision has the shape of a solver's (serde) decision.
    outcome = mei4llm.solve(reports[0]["instance"], solver="greedy")
    shape = lambda d: [(sorted(a), sorted(a["choice"])) for a in d["assignments"]]  # noqa: E731
    assert shape(reports[0]["decision"]) == shape(outcome.decision)


def test_a_callable_policy_is_a_solver_judged_by_evaluate() -> None:
    instance = mei4llm.SplitInstance.from_scenario(mei4llm.Scenario.from_path(SMALL))
    seen = []

    def policy(observation: np.ndarray, mask: np.ndarray) -> int:
        assert observation.dtype == np.float32 and mask.dtype == np.int8
        seen.append(observation.shape)
        return least_marginal(observation, mask)

    outcome = mei4llm.solve(instance, solver=policy)
    assert outcome.solver == "policy"
    assert outcome.status == "feasible" and outcome.bound is None
    assert len(seen) == len(instance)
    check = mei4llm.evaluate(instance, outcome.decision)
    assert check["feasible"]
    assert check["objective"] == pytest.approx(outcome.objective, rel=1e-12)
    exact = mei4llm.solve(instance, solver="exact")
    assert outcome.objective >= exact.bound * (1 - 1e-9)


def test_a_policy_that_fails_is_a_solver_error() -> None:
    instance = mei4llm.SplitInstance.from_scenario(mei4llm.Scenario.from_path(SMALL))

    def broken(observation: np.ndarray, mask: np.ndarray) -> int:
        raise KeyError("no weights")

    with pytest.raises(mei4llm.SolverError, match="broken: request 0.*no weights"):
        mei4llm.solve(instance, solver=broken)
    with pytest.raises(mei4llm.SolverError, match="is not valid"):
        mei4llm.solve(instance, solver=lambda o, m: int(np.flatnonzero(m == 0)[0]))
    with pytest.raises(mei4llm.SolverError, match="not an integer"):
        mei4llm.solve(instance, solver=lambda o, m: "edge")
    caching = mei4llm.CachingInstance.from_scenario(mei4llm.Scenario.from_path(CACHING_SMALL))
    with pytest.raises(ValueError, match="a callable policy cannot solve a `caching` instance"):
        mei4llm.solve(caching, solver=least_marginal)
    with pytest.raises(ValueError, match="solver name or a callable"):
        mei4llm.solve(instance, solver=3)


def test_bad_options_are_value_errors_with_the_rust_message() -> None:
    with pytest.raises(ValueError, match="invalid option `epochs_per_episode`: must be at least 1, got 0"):
        SplitEnv(SMALL, epochs_per_episode=0)
    with pytest.raises(ValueError, match="unknown split solver `milp`; the solvers are: exact, descent, .*, or none"):
        SplitEnv(SMALL, optimum="milp")
    with pytest.raises(ValueError, match="no-such-trace.csv"):
        SplitEnv(SMALL, trace="no-such-trace.csv")
    with pytest.raises(ValueError, match="outages"):
        SplitEnv(SMALL, carrier="SPRINT")
    with pytest.raises(ValueError, match="epoch"):
        SplitEnv(SMALL, epoch="soon")
    with pytest.raises(ValueError, match="optimum_time_limit_s"):
        SplitEnv(SMALL, optimum_time_limit_s=-1.0)
    with pytest.raises(ValueError, match="latency, energy, mixed"):
        SplitEnv(SMALL, objective="throughput")
    with pytest.raises(ValueError, match="has no \\[caching\\] section"):
        CachingEnv(SMALL, trace=TRACE)
    with pytest.raises(ValueError, match="has no \\[workload\\] trace; give one"):
        CachingEnv(ROOT / "scenarios" / "caching-city.toml")
    with pytest.raises(ValueError, match="render_mode"):
        SplitEnv(SMALL, render_mode="human")
    env = SplitEnv(**SPLIT)
    with pytest.raises(RuntimeError, match="call reset first"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="outside the action space Discrete\\(129\\)"):
        env.step(129)
    with pytest.raises(ValueError, match="outside the action space"):
        env.step(-1)
    with pytest.raises(ValueError, match="num_envs"):
        gymnasium.make_vec("mei4llm/Split-v0", num_envs=0, vectorization_mode="vector_entry_point", **SPLIT)


def test_the_env_stubs_match_the_compiled_signatures() -> None:
    import ast

    stubs = ast.parse((Path(mei4llm.__file__).parent / "_core.pyi").read_text())
    checked = 0
    for node in stubs.body:
        if not isinstance(node, ast.ClassDef) or not node.name.endswith("Env"):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                args = item.args
                described = [a.arg for a in args.args[1:]] + [a.arg for a in args.kwonlyargs]
                described += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
                defaults = [ast.literal_eval(d) for d in args.defaults]
                compiled = inspect.signature(getattr(mei4llm._core, node.name)).parameters
                assert described == list(compiled), node.name
                positional = [
                    p.default
                    for p in compiled.values()
                    if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty
                ]
                assert defaults == positional, node.name
                checked += 1
    # the compiled environment and vector environment every problem shares
    assert checked == 2


def test_infos_can_be_deep_copied() -> None:
    """Wrappers and vector envs (SB3's DummyVecEnv among them) deep-copy ``info``."""
    import copy

    env = SplitEnv(**SPLIT)
    _, reports = play(env, 0, least_marginal)
    (report,) = reports
    copied = copy.deepcopy(report)
    assert copied["instance"] is report["instance"]  # immutable: shared, not copied
    assert copied["decision"] == report["decision"]
    assert copy.copy(report["instance"]) is report["instance"]
