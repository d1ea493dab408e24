"""The compiled module from Python: scenarios, instances, solvers, evaluate, errors, and the
same optimum as the `mei4llm` CLI on the same scenario."""

from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

import mei4llm

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.toml"
CACHING_SMALL = ROOT / "scenarios" / "caching-small.toml"


def cli() -> Path | None:
    """The built `mei4llm` binary: $MEI4LLM_BIN, target/release, $CARGO_TARGET_DIR/release."""
    candidates = [os.environ.get("MEI4LLM_BIN"), shutil.which("mei4llm")]
    candidates.append(str(ROOT / "target" / "release" / "mei4llm"))
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(str(Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "mei4llm"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate).resolve()
    return None


def plan_json(*args: str) -> dict:
    binary = cli()
    if binary is None:
        pytest.skip("the mei4llm binary is not built (cargo build --release)")
    done = subprocess.run(
        [str(binary), "plan", *args, "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def split_instance() -> mei4llm.SplitInstance:
    return mei4llm.SplitInstance.from_scenario(mei4llm.Scenario.from_path(SMALL))


def test_version_matches_cargo() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'version = "{mei4llm.__version__}"' in cargo


def test_scenario_from_path_and_from_dict_agree() -> None:
    scenario = mei4llm.Scenario.from_path(SMALL)
    assert scenario.name == "small"
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        pytest.skip("tomllib needs Python 3.11")
    raw = tomllib.loads(SMALL.read_text())
    workload = raw.get("workload", {})
    if "trace" in workload:  # from_dict resolves paths against the working directory
        workload["trace"] = str(SMALL.parent / workload["trace"])
    again = mei4llm.Scenario.from_dict(raw)
    assert again.to_dict() == scenario.to_dict()


def test_exact_split_is_optimal_and_feasible(split_instance: mei4llm.SplitInstance) -> None:
    outcome = mei4llm.solve(split_instance, solver="exact")
    assert outcome.problem == "split"
    assert outcome.solver == "exact"
    assert outcome.status == "optimal"
    assert outcome.reason is None
    assert outcome.bound is not None and outcome.bound <= outcome.objective + 1e-9
    assert outcome.gap is not None and outcome.gap <= 1e-6
    assert len(outcome.decision["assignments"]) == len(split_instance)
    assert len(outcome.plan) == len(split_instance)
    # the objective is the sum of per-request costs (latency objective: end-to-end seconds)
    assert sum(row["e2e_s"] for row in outcome.plan) == pytest.approx(outcome.objective)
    check = mei4llm.evaluate(split_instance, outcome.decision)
    assert check["feasible"] and check["violations"] == []
    assert check["objective"] == pytest.approx(outcome.objective, rel=1e-9)


def test_descent_is_feasible_and_no_better_than_exact(
    split_instance: mei4llm.SplitInstance,
) -> None:
    exact = mei4llm.solve(split_instance, solver="exact")
    descent = mei4llm.solve(split_instance, solver="descent")
    assert descent.status == "feasible"
    assert descent.bound is None
    assert descent.objective >= exact.objective * (1 - 1e-6)
    assert mei4llm.evaluate(split_instance, descent.decision)["feasible"]


def test_every_solver_runs_and_its_decision_evaluates_to_its_objective(
    split_instance: mei4llm.SplitInstance,
) -> None:
    for name in mei4llm.solvers("split"):
        outcome = mei4llm.solve(split_instance, solver=name, seed=7)
        if outcome.decision is None:
            assert outcome.status in ("infeasible", "not_found") and outcome.reason
            continue
        check = mei4llm.evaluate(split_instance, outcome.decision)
        assert check["objective"] == pytest.approx(outcome.objective, rel=1e-6), name


def test_exact_matches_the_cli(split_instance: mei4llm.SplitInstance) -> None:
    report = plan_json("--scenario", str(SMALL), "--solver", "exact")
    outcome = mei4llm.solve(split_instance, solver="exact")
    assert report["status"] == outcome.status
    assert outcome.objective == pytest.approx(report["objective"], rel=1e-9)
    assert [row["tier"] for row in outcome.plan] == [row["tier"] for row in report["plan"]]


def test_descent_matches_the_cli(split_instance: mei4llm.SplitInstance) -> None:
    report = plan_json("--scenario", str(SMALL), "--solver", "descent")
    outcome = mei4llm.solve(split_instance, solver="descent")
    assert outcome.objective == pytest.approx(report["objective"], rel=1e-9)


def test_exact_solves_take_any_thread_count_in_any_order(
    split_instance: mei4llm.SplitInstance,
) -> None:
    caching = mei4llm.CachingInstance.from_scenario(mei4llm.Scenario.from_path(CACHING_SMALL))
    first = mei4llm.solve(split_instance, solver="exact", threads=1)
    for threads in (2, 1, 3, 2, 1):
        for instance in (split_instance, caching):
            outcome = mei4llm.solve(instance, solver="exact", threads=threads)
            assert outcome.status == "optimal", (threads, outcome.reason)
        again = mei4llm.solve(split_instance, solver="exact", threads=threads)
        assert again.objective == pytest.approx(first.objective, rel=1e-6)


def test_energy_objective_changes_what_is_minimised() -> None:
    scenario = mei4llm.Scenario.from_path(SMALL)
    energy = mei4llm.SplitInstance.from_scenario(scenario, objective="energy")
    outcome = mei4llm.solve(energy, solver="exact")
    total = sum(row["device_energy_j"] for row in outcome.plan)
    assert outcome.objective == pytest.approx(total, rel=1e-9)


def test_caching_exact_is_optimal_and_matches_the_cli() -> None:
    instance = mei4llm.CachingInstance.from_scenario(mei4llm.Scenario.from_path(CACHING_SMALL))
    outcome = mei4llm.solve(instance, solver="exact")
    assert outcome.problem == "caching"
    assert outcome.status == "optimal"
    assert outcome.sense == "maximise"
    assert 0.0 < outcome.objective <= 1.0  # a hit ratio
    assert len(outcome.decision["stored"]) == instance.servers
    stored = sum(len(models) for models in outcome.decision["stored"])
    assert len(outcome.plan) == stored
    check = mei4llm.evaluate(instance, outcome.decision)
    assert check["feasible"]
    assert check["objective"] == pytest.approx(outcome.objective, rel=1e-9)
    for name in mei4llm.solvers("caching"):
        heuristic = mei4llm.solve(instance, solver=name)
        assert heuristic.objective <= outcome.objective + 1e-9, name
    if cli() is not None:
        report = plan_json("--problem", "caching", "--scenario", str(CACHING_SMALL))
        assert outcome.objective == pytest.approx(report["objective"], rel=1e-9)


def test_bad_path_is_a_value_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-scenario.toml"
    with pytest.raises(ValueError, match="no-such-scenario.toml"):
        mei4llm.Scenario.from_path(missing)


def test_malformed_scenario_is_a_value_error_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.read_text() + "\nunknown_field = 1\n")
    with pytest.raises(ValueError, match="bad.toml"):
        mei4llm.Scenario.from_path(bad)


def test_unknown_solver_lists_the_solvers(split_instance: mei4llm.SplitInstance) -> None:
    with pytest.raises(ValueError, match="simplex") as raised:
        mei4llm.solve(split_instance, solver="simplex")
    for name in mei4llm.solvers("split"):
        assert name in str(raised.value)


def test_bad_budget_and_objective_are_value_errors(
    split_instance: mei4llm.SplitInstance,
) -> None:
    with pytest.raises(ValueError, match="gap"):
        mei4llm.solve(split_instance, gap=-1.0)
    with pytest.raises(ValueError, match="time_limit_s"):
        mei4llm.solve(split_instance, time_limit_s=-1.0)
    scenario = mei4llm.Scenario.from_path(SMALL)
    with pytest.raises(ValueError, match="per_second"):
        mei4llm.SplitInstance.from_scenario(scenario, objective="mixed", per_joule=0.1)
    with pytest.raises(ValueError, match="latency, energy, mixed"):
        mei4llm.SplitInstance.from_scenario(scenario, objective="throughput")
    with pytest.raises(ValueError, match="split, caching, batching"):
        mei4llm.solvers("sharding")


def test_a_bad_decision_is_a_value_error_a_short_one_a_violation(
    split_instance: mei4llm.SplitInstance,
) -> None:
    with pytest.raises(ValueError, match="assignments"):
        mei4llm.evaluate(split_instance, {"wrong": []})
    check = mei4llm.evaluate(split_instance, {"assignments": []})
    assert not check["feasible"]
    assert check["violations"][0]["constraint"] == "one assignment per request"


def test_solver_error_is_a_runtime_error() -> None:
    assert issubclass(mei4llm.SolverError, RuntimeError)
    assert mei4llm.SolverError.__module__ == "mei4llm"


def test_the_gil_is_released_while_solving(split_instance: mei4llm.SplitInstance) -> None:
    # The main thread keeps running Python while another thread solves; had `solve` held the
    # GIL, the main thread would stall for the whole solve.
    outcomes: list[mei4llm.Outcome] = []
    solving = threading.Thread(target=lambda: outcomes.append(mei4llm.solve(split_instance)))
    stamps = [time.perf_counter()]
    solving.start()
    while solving.is_alive():
        stamps.append(time.perf_counter())
    solving.join()
    (outcome,) = outcomes
    if outcome.time_s < 0.05:
        pytest.skip("the solve is too quick to tell")
    longest_stall = max(b - a for a, b in zip(stamps, stamps[1:]))
    assert longest_stall < 0.5 * outcome.time_s


def test_to_frame_has_one_row_per_request(split_instance: mei4llm.SplitInstance) -> None:
    pytest.importorskip("pandas")
    frame = mei4llm.to_frame(mei4llm.solve(split_instance, solver="greedy"))
    assert len(frame) == len(split_instance)
    assert {"tier", "server", "split", "e2e_s", "device_energy_j"} <= set(frame.columns)


def test_the_stubs_match_the_compiled_signatures() -> None:
    stubs = ast.parse((Path(mei4llm.__file__).parent / "_core.pyi").read_text())

    def described(args: ast.arguments) -> list[tuple[str, object]]:
        defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
        listed = [
            (a.arg, "-" if d is None else ast.literal_eval(d))
            for a, d in zip(args.args, defaults)
        ]
        keyword = [
            (a.arg, "-" if d is None else ast.literal_eval(d))
            for a, d in zip(args.kwonlyargs, args.kw_defaults)
        ]
        rest = [(a.arg, "-") for a in (args.vararg, args.kwarg) if a is not None]
        return listed + keyword + rest

    def compiled(function: object) -> list[tuple[str, object]]:
        return [
            (p.name, "-" if p.default is inspect.Parameter.empty else p.default)
            for p in inspect.signature(function).parameters.values()
        ]

    core = mei4llm._core
    checked = 0
    for node in stubs.body:
        if isinstance(node, ast.FunctionDef):
            assert described(node.args) == compiled(getattr(core, node.name)), node.name
            checked += 1
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                is_static = isinstance(item, ast.FunctionDef) and any(
                    isinstance(d, ast.Name) and d.id == "staticmethod"
                    for d in item.decorator_list
                )
                if is_static:
                    runtime = getattr(getattr(core, node.name), item.name)
                    assert described(item.args) == compiled(runtime), item.name
                    checked += 1
    # fifteen functions; the constructors of Scenario (3), Instance (1) and TraceRun (2)
    assert checked == 21
