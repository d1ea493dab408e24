"""Bad arguments from Python, one table: each call raises the package's own error class (never
a panic, never a bare Rust message without the value at fault), and its message names what
is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import gymnasium
import pytest

import mei4llm

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.toml"


def split() -> mei4llm.SplitInstance:
    return mei4llm.SplitInstance.from_scenario(mei4llm.Scenario.from_path(SMALL))


def solve(**budget: Any) -> Callable[[], Any]:
    return lambda: mei4llm.solve(split(), solver="exact", **budget)


def trace(threads_: int = 1, **arguments: Any) -> Callable[[], Any]:
    return lambda: mei4llm.solve_trace(SMALL, max_epochs=1, threads=threads_, **arguments)


def make(env_id: str, **kwargs: Any) -> Callable[[], Any]:
    return lambda: gymnasium.make(env_id, **kwargs).reset(seed=0)


# (name, call, error class, fragments of the message)
CASES = [
    ("gap 2", solve(gap=2.0), mei4llm.InputError, ["gap", "[0, 1)"]),
    ("gap -1", solve(gap=-1.0), mei4llm.InputError, ["gap", "-1"]),
    ("gap nan", solve(gap=float("nan")), mei4llm.InputError, ["gap", "NaN"]),
    ("threads 0", solve(threads=0), mei4llm.InputError, ["threads", "0"]),
    ("threads 10000", solve(threads=10_000), mei4llm.InputError, ["threads", "1..=256"]),
    ("time limit -1", solve(time_limit_s=-1.0), mei4llm.InputError, ["time_limit_s"]),
    ("time limit inf", solve(time_limit_s=float("inf")), mei4llm.InputError, ["time_limit_s"]),
    ("time limit nan", solve(time_limit_s=float("nan")), mei4llm.InputError, ["time_limit_s"]),
    (
        "unknown solver",
        lambda: mei4llm.solve(split(), solver="simplex"),
        mei4llm.InputError,
        ["simplex", "exact"],
    ),
    (
        "missing scenario",
        lambda: mei4llm.Scenario.from_path("nowhere.toml"),
        mei4llm.ScenarioError,
        ["nowhere.toml"],
    ),
    (
        "scenario folder",
        lambda: mei4llm.Scenario.from_path(ROOT / "scenarios"),
        mei4llm.ScenarioError,
        ["scenarios"],
    ),
    (
        "unknown bundled scenario",
        lambda: mei4llm.Scenario.bundled("nowhere"),
        mei4llm.ScenarioError,
        ["nowhere"],
    ),
    (
        "scenario dict missing everything",
        lambda: mei4llm.Scenario.from_dict({"name": "x"}),
        mei4llm.ScenarioError,
        ["device_groups"],
    ),
    (
        "scenario dict wrong type",
        lambda: mei4llm.Scenario.from_dict({"name": 3}),
        mei4llm.ScenarioError,
        ["name"],
    ),
    (
        "unknown objective",
        lambda: mei4llm.SplitInstance.from_scenario(
            mei4llm.Scenario.from_path(SMALL), objective="cost"
        ),
        mei4llm.InputError,
        ["cost"],
    ),
    (
        "decision of the wrong shape",
        lambda: mei4llm.evaluate(split(), {"placements": 3}),
        mei4llm.DecisionError,
        ["assignments"],
    ),
    ("epoch -1s", trace(epoch="-1s"), mei4llm.InputError, ["epoch", "-1"]),
    ("epoch 0", trace(epoch="0"), mei4llm.InputError, ["epoch"]),
    ("epoch 1e30s", trace(epoch="1e30s"), mei4llm.InputError, ["epoch", "at most"]),
    ("trace threads 0", trace(threads_=0), mei4llm.InputError, ["threads"]),
    ("trace gap 3", trace(gap=3.0), mei4llm.InputError, ["gap"]),
    ("trace unknown solver", trace(solvers=["exact", "simplex"]), mei4llm.InputError, ["simplex"]),
    ("trace solver twice", trace(solvers=["exact", "exact"]), mei4llm.InputError, ["twice"]),
    ("missing trace", trace(trace="nowhere.csv"), mei4llm.InputError, ["nowhere.csv"]),
    ("unknown problem", trace(problem="routing"), mei4llm.InputError, ["routing"]),
    ("unknown setting", trace(colour="blue"), mei4llm.InputError, ["colour"]),
    (
        "split env bad epochs per episode",
        make("mei4llm/Split-v0", epochs_per_episode=0),
        mei4llm.InputError,
        ["epochs_per_episode"],
    ),
    (
        "split env unknown keyword",
        make("mei4llm/Split-v0", colour="blue"),
        Exception,
        ["colour"],
    ),
    (
        "split env bad optimum",
        make("mei4llm/Split-v0", optimum="oracle"),
        mei4llm.InputError,
        ["oracle"],
    ),
    (
        "split env missing scenario",
        make("mei4llm/Split-v0", scenario="nowhere.toml"),
        mei4llm.ScenarioError,
        ["nowhere.toml"],
    ),
    (
        "caching env missing scenario",
        make("mei4llm/Caching-v0", scenario="nowhere.toml"),
        mei4llm.ScenarioError,
        ["nowhere.toml"],
    ),
    (
        "batching env without a batching section",
        make("mei4llm/Batching-v0", scenario=str(SMALL)),
        mei4llm.InputError,
        ["batching"],
    ),
]


@pytest.mark.parametrize("name, call, error, fragments", CASES, ids=[c[0] for c in CASES])
def test_a_bad_call_raises_the_package_error_naming_what_is_wrong(
    name: str, call: Callable[[], Any], error: type, fragments: list[str]
) -> None:
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert "panicked" not in message, message
    for fragment in fragments:
        assert fragment in message, (name, fragment, message)


def test_a_decision_of_the_wrong_length_is_judged_infeasible() -> None:
    check = mei4llm.evaluate(split(), {"assignments": []})
    assert not check["feasible"]
    assert check["violations"][0]["constraint"] == "one assignment per request"


def test_a_step_before_reset_and_an_out_of_range_action_are_refused() -> None:
    env = gymnasium.make("mei4llm/Split-v0")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(mei4llm.InputError):
        env.step(10**9)
    with pytest.raises((mei4llm.InputError, TypeError, OverflowError)):
        env.step(-1)
