"""``mei4llm.solve_trace(problem="batching")``: the records, summary and files of the CLI's
``solve-trace --problem batching``, as DataFrames."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

import mei4llm

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/batching-small.toml"
TRACE = "datasets/traces/azure_llm_2023_conv.csv"
FILES = ["run.json", "epochs.csv", "requests.csv", "summary.json", "admitted_share.svg"]


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The relative paths name the checkout's files, as they do for the CLI run in it (from
    another folder they name the bundled copies, and ``run.json`` says so)."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``solve-trace --problem batching`` on 5 epochs of 20 requests, written by the CLI."""
    from test_core import cli

    binary = cli()
    if binary is None:
        pytest.skip("the mei4llm binary is not built")
    out = tmp_path_factory.mktemp("batching") / "cli"
    subprocess.run(
        [str(binary), "solve-trace", "--problem", "batching", "--scenario", SCENARIO,
         "--trace", TRACE, "--epoch", "20", "--max-epochs", "5", "--seed", "4",
         "--threads", "1", "--quiet", "--out", str(out)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    return out


def replay(**kwargs: object) -> mei4llm.TraceResult:
    """The CLI run of ``cli_run``, from Python (paths relative to the crate root, as there)."""
    return mei4llm.solve_trace(
        SCENARIO, trace=TRACE, problem="batching", epoch="20", max_epochs=5,
        seed=4, threads=2, **kwargs,
    )  # fmt: skip


def test_records_and_files_are_the_clis(cli_run: Path, tmp_path: Path) -> None:
    direct = tmp_path / "direct"
    run = replay(out=direct)
    assert run.problem == "batching"
    for name in FILES:
        assert (direct / name).read_bytes() == (cli_run / name).read_bytes(), name
    assert run.summary == json.loads((cli_run / "summary.json").read_text())
    # The DataFrames hold what the CLI's CSV files hold, row for row.
    csv = pd.read_csv(cli_run / "requests.csv", keep_default_na=False)
    requests = run.requests
    assert list(requests.columns) == list(csv.columns)
    assert len(requests) == len(csv) == 5 * 5 * 20
    for column in ["epoch", "request", "prompt_tokens", "output_tokens"]:
        assert (requests[column].to_numpy() == csv[column].to_numpy()).all(), column
    for column in ["solver", "min_precision", "server"]:
        assert requests[column].tolist() == csv[column].tolist(), column
    for column in ["servable", "planned", "admitted"]:
        assert requests[column].tolist() == csv[column].tolist(), column
    for column in ["waited_s", "kv_bytes", "value"]:
        assert (requests[column].to_numpy() == csv[column].to_numpy(dtype=float)).all(), column
    admitted = requests["admitted"].to_numpy(dtype=bool)
    precision = requests["precision"].where(admitted, "").tolist()
    assert precision == csv["precision"].tolist()
    for column in ["ttft_s", "tpot_s"]:
        theirs = pd.to_numeric(csv[column].replace("", np.nan)).to_numpy(dtype=float)
        ours = requests[column].to_numpy(dtype=float)
        assert np.array_equal(ours, theirs, equal_nan=True), column
        # A time exists exactly for the admitted requests.
        assert (np.isnan(ours) == ~admitted).all(), column
    epochs = pd.read_csv(cli_run / "epochs.csv")
    assert (run.epochs["objective"].to_numpy() == epochs["objective"].to_numpy()).all()


def test_no_heuristic_admits_more_than_the_exact_solver() -> None:
    run = replay(solvers=["exact", "assignment", "fcfs"])
    epochs = run.epochs
    assert (epochs.loc[epochs["solver"] == "exact", "status"] == "optimal").all()
    objective = epochs.pivot(index="epoch", columns="solver", values="objective")
    # With the `requests` objective an epoch's objective is its number of admitted requests.
    admitted = run.requests.groupby(["epoch", "solver"])["admitted"].sum().unstack()
    assert (admitted[objective.columns].to_numpy() == objective.to_numpy()).all()
    for heuristic in ["assignment", "fcfs"]:
        assert (objective[heuristic] <= objective["exact"]).all(), heuristic
    assert (objective["fcfs"] < objective["exact"]).any()
    # Every admitted request meets MLPerf's SLOs, which the scenario plans with.
    chosen = run.requests[run.requests["admitted"]]
    assert (chosen["ttft_s"] <= 2.0 * (1 + 1e-7)).all()
    assert (chosen["tpot_s"] <= 0.1 * (1 + 1e-7)).all()
    # A run travels as bytes (to and from Ray workers) and comes back the same.
    back = pickle.loads(pickle.dumps(run))
    assert back.summary == run.summary
    assert back.requests.equals(run.requests)


def test_the_batching_section_gives_the_defaults() -> None:
    run = mei4llm.solve_trace(
        ROOT / SCENARIO, problem="batching", solvers=["fcfs"], max_epochs=2
    )
    assert run.run["epoch_rule"] == "40"
    assert run.run["seed"] == 1
    assert run.run["settings"]["arrival_speedup"] == 20.0
    assert run.epochs["requests"].tolist() == [40, 40]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(mei4llm.InputError, match="`objective` does not apply to the `batching`"):
        replay(objective="energy")
    with pytest.raises(mei4llm.InputError, match="lifo"):
        replay(solvers=["exact", "lifo"])
    with pytest.raises(ValueError, match=r"no \[batching\] section"):
        mei4llm.solve_trace(ROOT / "scenarios" / "small.toml", problem="batching")
    with pytest.raises(ValueError, match="split, caching, batching"):
        mei4llm.solve_trace(ROOT / SCENARIO, problem="sharding")
