"""The rest of the Python API: cost tables, traces, decisions as numpy arrays, the exception
hierarchy and `solve_trace`, each checked against the `mei4llm` CLI or an independent reading
of the same files."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import subprocess
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

import mei4llm
from mei4llm import _core

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "scenarios" / "small.toml"
CACHING_SMALL = ROOT / "scenarios" / "caching-small.toml"
AZURE = ROOT / "datasets" / "traces" / "azure_llm_2023_conv.csv"
MOONCAKE = ROOT / "datasets" / "traces" / "mooncake_conversation_trace.jsonl"


def cli_json(*args: str) -> dict:
    """The `--json` output of the built CLI, run from the crate root."""
    from test_core import cli

    binary = cli()
    if binary is None:
        pytest.skip("the mei4llm binary is not built")
    done = subprocess.run(
        [str(binary), *args, "--json"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def scenario() -> mei4llm.Scenario:
    return mei4llm.Scenario.from_path(SMALL)


@pytest.fixture(scope="module")
def split_instance(scenario: mei4llm.Scenario) -> mei4llm.SplitInstance:
    return mei4llm.SplitInstance.from_scenario(scenario)


@pytest.fixture(scope="module")
def caching_instance() -> mei4llm.CachingInstance:
    return mei4llm.CachingInstance.from_scenario(mei4llm.Scenario.from_path(CACHING_SMALL))


# ---- cost tables ------------------------------------------------------------------------------


def test_cost_table_is_what_inspect_prints(scenario: mei4llm.Scenario) -> None:
    table = mei4llm.cost_table(scenario, prompt_tokens=500, output_tokens=50)
    report = cli_json(
        "inspect", "--scenario", str(SMALL), "--prompt-tokens", "500", "--output-tokens", "50"
    )
    rows = [dict(speed, model=m["model"]) for m in report["models"] for speed in m["speeds"]]
    assert len(table) == len(rows) == 2 * 5  # two models on two phones, two edges, one cloud
    assert list(table.columns) == ["model", *report["models"][0]["speeds"][0]]
    for got, expected in zip(table.to_dict("records"), rows):
        assert got == expected
    assert table["prefill_s"].dtype == np.float64
    assert table["fits"].dtype == np.bool_
    # A path works as well as a Scenario, and the defaults are the Azure medians.
    default = mei4llm.cost_table(str(SMALL))
    report = cli_json("inspect", "--scenario", str(SMALL))
    assert report["models"][0]["prompt_tokens"] == 1020  # the Azure 2023 conversation median
    assert default["end_to_end_s"].tolist() == [
        s["end_to_end_s"] for m in report["models"] for s in m["speeds"]
    ]


def test_cost_table_adds_a_batch_step_as_inspect_does(scenario: mei4llm.Scenario) -> None:
    table = mei4llm.cost_table(scenario, batch=8, context_tokens=2048)
    report = cli_json("inspect", "--scenario", str(SMALL), "--batch", "8", "--context", "2048")
    batches = [s["batch"] for m in report["models"] for s in m["speeds"]]
    assert table["batch_step_s"].tolist() == [b["step_s"] for b in batches]
    assert (table["batch_sequences"] == 8).all() and (table["batch_context_tokens"] == 2048).all()
    np.testing.assert_allclose(table["batch_tokens_per_s"], 8 / table["batch_step_s"], rtol=1e-12)
    assert table["batch_fits"].dtype == np.bool_
    assert "batch_step_s" not in mei4llm.cost_table(scenario).columns
    with pytest.raises(ValueError, match="give batch too"):
        mei4llm.cost_table(scenario, context_tokens=2048)
    with pytest.raises(ValueError, match="batch"):
        mei4llm.cost_table(scenario, batch=0)


def test_layer_and_split_tables_are_what_inspect_prints() -> None:
    report = cli_json("inspect", "--model", "Llama-3.2-3B", "--precision", "int4")
    layers = mei4llm.layer_table("Llama-3.2-3B", precision="int4")
    assert layers.to_dict("records") == report["units"]
    assert len(layers) == report["layers"] + 2
    assert layers["params"].dtype == np.int64
    assert int(layers["params"].sum()) == report["total_params"]
    splits = mei4llm.split_table("Llama-3.2-3B", precision="int4")
    assert splits.to_dict("records") == report["splits"]
    assert splits["split"].tolist() == list(range(report["layers"] + 1))


def test_catalogues_list_what_inspect_lists() -> None:
    listing = cli_json("inspect", "--list")
    models = mei4llm.model_catalogue()
    assert [[n, p, l] for n, p, l in zip(models["name"], models["params"], models["layers"])] == (
        listing["models"]
    )
    hardware = mei4llm.hardware_catalogue()
    assert [[n, c] for n, c in zip(hardware["name"], hardware["class"])] == listing["devices"]
    assert hardware.loc[hardware["name"] == "NVIDIA L4 24GB", "calibrated"].item()


def test_bad_table_arguments_are_input_errors(scenario: mei4llm.Scenario) -> None:
    with pytest.raises(mei4llm.InputError, match="NoSuchModel") as raised:
        mei4llm.layer_table("NoSuchModel")
    assert "Llama-2-7B" in str(raised.value)  # the known names are listed
    with pytest.raises(ValueError, match="fp8"):
        mei4llm.split_table("Llama-2-7B", precision="fp8")
    with pytest.raises(mei4llm.InputError, match="prompt_tokens"):
        mei4llm.cost_table(scenario, prompt_tokens=0)


# ---- traces -----------------------------------------------------------------------------------


def test_read_trace_agrees_with_an_independent_reading_of_the_azure_csv() -> None:
    trace = mei4llm.read_trace(AZURE)
    raw = pd.read_csv(AZURE)
    assert len(trace) == len(raw)
    assert trace.attrs["format"] == "azure" and trace.attrs["skipped_rows"] == 0
    assert list(trace.columns) == ["id", "arrival_s", "prompt_tokens", "output_tokens"]
    assert trace["id"].tolist() == list(range(len(raw)))
    assert (trace["prompt_tokens"] == raw["ContextTokens"]).all()
    assert (trace["output_tokens"] == raw["GeneratedTokens"]).all()
    stamps = pd.to_datetime(raw["TIMESTAMP"])
    seconds = (stamps - stamps[0]).astype("int64").to_numpy() / 1e9
    assert np.array_equal(trace["arrival_s"].to_numpy(), seconds)
    assert [str(t) for t in trace.dtypes] == ["int64", "float64", "int64", "int64"]
    first = mei4llm.read_trace(AZURE, limit=10)
    pd.testing.assert_frame_equal(first, trace.head(10))


def test_read_trace_keeps_mooncake_prefix_blocks() -> None:
    trace = mei4llm.read_trace(MOONCAKE, limit=50)
    lines = [json.loads(line) for line in MOONCAKE.read_text().splitlines()[:50]]
    assert trace.attrs["format"] == "mooncake"
    assert trace["prefix_blocks"].tolist() == [line["hash_ids"] for line in lines]
    assert trace["prompt_tokens"].tolist() == [line["input_length"] for line in lines]
    first_ms = lines[0]["timestamp"]
    assert trace["arrival_s"].tolist() == [(line["timestamp"] - first_ms) / 1e3 for line in lines]


def corrupt_trace(directory: Path) -> Path:
    """The first 40 requests of the Azure trace with the 3rd one's prompt made `lots`."""
    lines = AZURE.read_text().splitlines()[:41]
    stamp, _, output = lines[3].split(",")
    lines[3] = f"{stamp},lots,{output}"
    path = directory / "corrupt.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_trace_row_is_a_trace_error_naming_file_line_and_field(tmp_path: Path) -> None:
    path = corrupt_trace(tmp_path)
    with pytest.raises(mei4llm.TraceError, match=r"corrupt\.csv:4: field `ContextTokens`"):
        mei4llm.read_trace(path)
    skipped = mei4llm.read_trace(path, skip_bad_rows=True)
    assert len(skipped) == 39 and skipped.attrs["skipped_rows"] == 1
    with pytest.raises(mei4llm.TraceError, match="no-such-trace.csv"):
        mei4llm.read_trace(tmp_path / "no-such-trace.csv")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="unknown trace format"):
        mei4llm.read_trace(unknown)


# ---- decisions as arrays ----------------------------------------------------------------------


def test_split_decisions_as_arrays_evaluate_like_the_dict(
    split_instance: mei4llm.SplitInstance,
) -> None:
    outcome = mei4llm.solve(split_instance, solver="exact")
    arrays = mei4llm.decision_arrays(split_instance, outcome)
    assert set(arrays) == {"tier", "server", "split", "bandwidth_share", "compute_share"}
    n = len(split_instance)
    for name, dtype in [("tier", np.int64), ("server", np.int64), ("split", np.int64)]:
        assert arrays[name].dtype == dtype and arrays[name].shape == (n,)
    assert arrays["bandwidth_share"].dtype == np.float64
    # The arrays say what the plan says.
    tiers = [mei4llm.TIERS[code] for code in arrays["tier"]]
    assert tiers == [row["tier"] for row in outcome.plan]
    assert arrays["split"].tolist() == [row["split"] for row in outcome.plan]
    assert arrays["bandwidth_share"].tolist() == [row["bandwidth_share"] for row in outcome.plan]
    same = mei4llm.decision_arrays(split_instance, outcome.decision)
    assert all(np.array_equal(same[k], arrays[k]) for k in arrays)
    from_dict = mei4llm.evaluate(split_instance, outcome.decision)
    from_arrays = mei4llm.evaluate(split_instance, arrays)
    assert from_arrays == from_dict and from_arrays["feasible"]
    # A DataFrame of the arrays is accepted too.
    assert mei4llm.evaluate(split_instance, pd.DataFrame(arrays)) == from_dict
    # Doubling every share oversubscribes the cells it uses.
    doubled = dict(arrays, bandwidth_share=2 * arrays["bandwidth_share"])
    check = mei4llm.evaluate(split_instance, doubled)
    assert not check["feasible"]
    assert mei4llm.decision_arrays(split_instance, None) is None


def test_bad_split_arrays_are_decision_errors(split_instance: mei4llm.SplitInstance) -> None:
    outcome = mei4llm.solve(split_instance, solver="greedy")
    arrays = mei4llm.decision_arrays(split_instance, outcome)
    bad_tier = dict(arrays, tier=np.full(len(split_instance), 5))
    with pytest.raises(mei4llm.DecisionError, match=r"tier\[0\]: 5"):
        mei4llm.evaluate(split_instance, bad_tier)
    with pytest.raises(mei4llm.DecisionError, match="dtype float64; expected integers"):
        mei4llm.evaluate(split_instance, dict(arrays, split=arrays["split"] + 0.5))
    with pytest.raises(mei4llm.DecisionError, match="different lengths"):
        mei4llm.evaluate(split_instance, dict(arrays, server=arrays["server"][:-1]))
    with pytest.raises(mei4llm.DecisionError, match="no `compute_share`"):
        mei4llm.evaluate(split_instance, {k: v for k, v in arrays.items() if k != "compute_share"})
    with pytest.raises(mei4llm.DecisionError, match="-1 for none"):
        mei4llm.evaluate(split_instance, dict(arrays, server=np.full(len(split_instance), -2)))
    with pytest.raises(mei4llm.DecisionError, match="split decision"):
        mei4llm.evaluate(split_instance, {"assignments": "none"})


def test_caching_placements_as_a_matrix_evaluate_like_the_dict(
    caching_instance: mei4llm.CachingInstance,
) -> None:
    outcome = mei4llm.solve(caching_instance, solver="greedy")
    matrix = mei4llm.decision_arrays(caching_instance, outcome)
    assert matrix.dtype == np.bool_
    assert matrix.shape == (caching_instance.servers, caching_instance.models)
    stored = outcome.decision["stored"]
    assert [np.flatnonzero(row).tolist() for row in matrix] == stored
    assert mei4llm.evaluate(caching_instance, matrix) == mei4llm.evaluate(
        caching_instance, outcome.decision
    )
    assert mei4llm.evaluate(caching_instance, matrix.tolist())["objective"] == outcome.objective
    # A row too many is a violation, as a list too many is.
    extra = np.vstack([matrix, matrix[:1]])
    assert not mei4llm.evaluate(caching_instance, extra)["feasible"]
    with pytest.raises(mei4llm.DecisionError, match="expected bool"):
        mei4llm.evaluate(caching_instance, matrix.astype(int))
    with pytest.raises(mei4llm.DecisionError, match="2-D"):
        mei4llm.evaluate(caching_instance, matrix[0])


# ---- exceptions -------------------------------------------------------------------------------


def test_the_exception_hierarchy() -> None:
    for cls in (mei4llm.ScenarioError, mei4llm.TraceError, mei4llm.DecisionError):
        assert issubclass(cls, mei4llm.InputError)
    assert issubclass(mei4llm.InputError, mei4llm.Error)
    assert issubclass(mei4llm.InputError, ValueError)
    assert issubclass(mei4llm.SolverError, mei4llm.Error)
    assert issubclass(mei4llm.SolverError, RuntimeError)
    assert not issubclass(mei4llm.SolverError, ValueError)
    for name in ("Error", "InputError", "ScenarioError", "TraceError", "DecisionError"):
        cls = getattr(mei4llm, name)
        assert cls.__module__ == "mei4llm" and cls.__name__ == name and cls.__doc__
    # Exceptions pickle by name (Ray sends a task's exception to the driver).
    error = pickle.loads(pickle.dumps(mei4llm.TraceError("t.csv:3: field `x`: empty")))
    assert type(error) is mei4llm.TraceError and str(error) == "t.csv:3: field `x`: empty"


def test_each_kind_of_bad_input_has_its_class(
    tmp_path: Path, split_instance: mei4llm.SplitInstance
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.read_text() + "\nunknown_field = 1\n")
    with pytest.raises(mei4llm.ScenarioError, match="bad.toml"):
        mei4llm.Scenario.from_path(bad)
    with pytest.raises(mei4llm.ScenarioError, match="<dict>"):
        mei4llm.Scenario.from_dict({"name": "x"})
    no_caching = mei4llm.Scenario.from_path(SMALL)
    with pytest.raises(mei4llm.ScenarioError, match="caching"):
        mei4llm.CachingInstance.from_scenario(no_caching)
    with pytest.raises(mei4llm.InputError, match="simplex"):
        mei4llm.solve(split_instance, solver="simplex")
    with pytest.raises(mei4llm.InputError, match="gap"):
        mei4llm.solve(split_instance, gap=-1.0)
    with pytest.raises(mei4llm.DecisionError):
        mei4llm.evaluate(split_instance, {"wrong": []})
    with pytest.raises(mei4llm.TraceError):
        mei4llm.read_trace(corrupt_trace(tmp_path))


def test_scenarios_pickle_as_their_source() -> None:
    from_file = mei4llm.Scenario.from_path(SMALL)
    again = pickle.loads(pickle.dumps(from_file))
    assert again.to_dict() == from_file.to_dict()
    pd.testing.assert_frame_equal(mei4llm.cost_table(again), mei4llm.cost_table(from_file))
    tomllib = pytest.importorskip("tomllib")
    raw = tomllib.loads(SMALL.read_text())
    raw["workload"]["trace"] = str(SMALL.parent / raw["workload"]["trace"])
    from_dict = mei4llm.Scenario.from_dict(raw)
    assert pickle.loads(pickle.dumps(from_dict)).to_dict() == from_file.to_dict()


# ---- solve_trace ------------------------------------------------------------------------------

TRACE_ARGS = dict(epoch="1s", max_epochs=8, solvers=["exact", "descent", "greedy", "device-only"])
REPRODUCIBLE = ["run.json", "epochs.csv", "requests.csv", "summary.json", "latency_cdf.svg"]


@pytest.fixture(scope="module", autouse=True)
def at_the_root() -> Iterator[None]:
    """Scenario paths are given relative to the crate root, as the CLI gets them."""
    before = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(before)


@pytest.fixture(scope="module")
def local_run() -> mei4llm.TraceResult:
    return mei4llm.solve_trace("scenarios/small.toml", seed=3, threads=2, **TRACE_ARGS)


def same_column(ours: "pd.Series", theirs: "pd.Series") -> bool:
    """Whether a DataFrame column holds what `pandas.read_csv` read from the CSV file."""
    if theirs.isna().all():  # an empty text column reads back as NaN
        return bool((ours.isna() | (ours.astype(str) == "")).all())
    if pd.api.types.is_numeric_dtype(theirs):
        a = ours.astype("float64").to_numpy()
        return np.array_equal(a, theirs.astype("float64").to_numpy(), equal_nan=True)
    return ours.fillna("").astype(str).tolist() == theirs.fillna("").astype(str).tolist()


def test_solve_trace_writes_the_files_of_the_cli(
    tmp_path: Path, local_run: mei4llm.TraceResult
) -> None:
    from test_core import cli

    binary = cli()
    if binary is None:
        pytest.skip("the mei4llm binary is not built")
    cli_out = tmp_path / "cli"
    subprocess.run(
        [str(binary), "solve-trace", "--scenario", "scenarios/small.toml", "--epoch", "1s",
         "--max-epochs", "8", "--solvers", "exact,descent,greedy,device-only", "--seed", "3",
         "--threads", "1", "--quiet", "--out", str(cli_out)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    direct = tmp_path / "direct"
    mei4llm.solve_trace("scenarios/small.toml", seed=3, threads=3, out=direct, **TRACE_ARGS)
    written = tmp_path / "written"
    local_run.write(written)
    for name in REPRODUCIBLE:
        expected = (cli_out / name).read_bytes()
        assert (direct / name).read_bytes() == expected, name
        assert (written / name).read_bytes() == expected, name
    # The DataFrames hold what the CSV files hold, and the summary is summary.json.
    epochs = pd.read_csv(cli_out / "epochs.csv")
    requests = pd.read_csv(cli_out / "requests.csv")
    assert len(local_run.epochs) == len(epochs) == 8 * 4
    assert list(local_run.epochs.columns) == list(epochs.columns)
    assert list(local_run.requests.columns) == list(requests.columns)
    for ours, theirs in [(local_run.epochs, epochs), (local_run.requests, requests)]:
        for column in theirs.columns:
            assert same_column(ours[column], theirs[column]), column
    assert local_run.summary == json.loads((cli_out / "summary.json").read_text())
    assert local_run.run == json.loads((cli_out / "run.json").read_text())


def test_solve_trace_columns_are_typed(local_run: mei4llm.TraceResult) -> None:
    epochs, requests = local_run.epochs, local_run.requests
    assert epochs["epoch"].dtype == np.int64 and epochs["objective"].dtype == np.float64
    assert requests["split"].dtype == pd.Int64Dtype()
    assert requests["meets_slo"].dtype == np.bool_
    assert local_run.timings["solve_time_s"].dtype == np.float64
    # The exact solver proves every epoch optimal; no heuristic beats it.
    exact = epochs[epochs["solver"] == "exact"].set_index("epoch")
    assert (exact["status"] == "optimal").all()
    for solver in ("descent", "greedy", "device-only"):
        rows = epochs[epochs["solver"] == solver].set_index("epoch")
        planned = rows["objective"].notna()
        # The exact solver stops within a relative gap of 1e-6 of the optimum.
        assert (rows["objective"][planned] >= exact["objective"][planned] * (1 - 1e-6)).all()
    # Each solver's request costs sum to its epoch objective.
    cost = requests.groupby(["epoch", "solver"])["cost"].sum()
    for row in epochs.itertuples():
        if not np.isnan(row.objective):
            assert cost[(row.epoch, row.solver)] == pytest.approx(row.objective, rel=1e-9)
    assert len(local_run) == 8
    assert local_run.timing_summary["threads"] == 2


def test_solve_trace_is_deterministic_whatever_the_thread_count(
    local_run: mei4llm.TraceResult,
) -> None:
    again = mei4llm.solve_trace("scenarios/small.toml", seed=3, threads=1, **TRACE_ARGS)
    pd.testing.assert_frame_equal(again.epochs, local_run.epochs)
    pd.testing.assert_frame_equal(again.requests, local_run.requests)
    assert again.summary == local_run.summary
    other = mei4llm.solve_trace("scenarios/small.toml", seed=4, threads=1, **TRACE_ARGS)
    assert other.requests["device"].tolist() != local_run.requests["device"].tolist()


def test_shards_merge_into_the_whole_run_and_runs_pickle(local_run: mei4llm.TraceResult) -> None:
    parts = [
        _core.solve_trace("scenarios/small.toml", seed=3, threads=1, shard=(i, 3), **TRACE_ARGS)
        for i in range(3)
    ]
    assert sorted(len(p) for p in parts) == [2, 3, 3]
    parts = [pickle.loads(pickle.dumps(p)) for p in parts]
    merged = mei4llm.TraceResult(_core.TraceRun.merge(parts))
    pd.testing.assert_frame_equal(merged.epochs, local_run.epochs)
    pd.testing.assert_frame_equal(merged.requests, local_run.requests)
    assert merged.summary == local_run.summary and merged.run == local_run.run
    with pytest.raises(mei4llm.InputError, match="index must be below the count"):
        _core.solve_trace("scenarios/small.toml", shard=(3, 3), **TRACE_ARGS)


def test_progress_is_reported_and_an_exception_in_it_stops_the_run(tmp_path: Path) -> None:
    seen: list[dict] = []
    mei4llm.solve_trace("scenarios/small.toml", threads=1, progress=seen.append, **TRACE_ARGS)
    assert [p["epochs"] for p in seen] == list(range(1, 9))
    assert seen[-1]["requests"] > 0 and seen[-1]["elapsed_s"] > 0

    def stop(progress: dict) -> None:
        if progress["epochs"] == 2:
            raise KeyboardInterrupt

    out = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        mei4llm.solve_trace("scenarios/small.toml", threads=1, out=out, progress=stop, **TRACE_ARGS)
    written = pd.read_csv(out / "epochs.csv")
    assert written["epoch"].nunique() == 2
    assert json.loads((out / "run.json").read_text())["complete"] is False


def test_solve_trace_input_errors(tmp_path: Path) -> None:
    with pytest.raises(mei4llm.InputError, match="simplex") as raised:
        mei4llm.solve_trace("scenarios/small.toml", solvers=["simplex"], max_epochs=1)
    assert "descent" in str(raised.value)
    with pytest.raises(mei4llm.InputError, match="latency, energy, mixed"):
        mei4llm.solve_trace("scenarios/small.toml", objective="speed", max_epochs=1)
    with pytest.raises(mei4llm.InputError, match="unknown problem `nothing`"):
        mei4llm.solve_trace("scenarios/small.toml", problem="nothing", max_epochs=1)
    with pytest.raises(mei4llm.InputError, match="soon"):
        mei4llm.solve_trace("scenarios/small.toml", epoch="soon", max_epochs=1)
    with pytest.raises(mei4llm.InputError, match="ttft_slo_s"):
        mei4llm.solve_trace("scenarios/small.toml", ttft_slo_s=-1.0, max_epochs=1)
    with pytest.raises(mei4llm.ScenarioError, match="no-such.toml"):
        mei4llm.solve_trace(tmp_path / "no-such.toml")
    with pytest.raises(mei4llm.InputError, match="give `trace`"):
        mei4llm.solve_trace(ROOT / "scenarios" / "caching-city.toml", max_epochs=1)
    corrupt = corrupt_trace(tmp_path)
    with pytest.raises(mei4llm.TraceError, match=r"corrupt\.csv:4: field `ContextTokens`"):
        mei4llm.solve_trace("scenarios/small.toml", trace=corrupt, **TRACE_ARGS)
    lenient = mei4llm.solve_trace(
        "scenarios/small.toml", trace=corrupt, skip_bad_rows=True, **TRACE_ARGS
    )
    assert lenient.run["rows"]["skipped_rows"] == 1
    assert lenient.run["rows"]["first_skipped"][0].startswith(str(corrupt))


def test_python_wrappers_have_the_compiled_signatures() -> None:
    for name in ("cost_table", "layer_table", "split_table", "read_trace", "solve_trace"):
        ours = inspect.signature(getattr(mei4llm, name)).parameters
        theirs = inspect.signature(getattr(_core, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == [
            (p.name, p.default) for p in theirs.values()
        ], name
    assert set(mei4llm.__all__) <= set(dir(mei4llm))
    assert os.path.isfile(Path(mei4llm.__file__).parent / "py.typed")


def test_caching_replay_writes_the_files_of_the_cli(tmp_path: Path) -> None:
    from test_core import cli

    binary = cli()
    if binary is None:
        pytest.skip("the mei4llm binary is not built")
    args = dict(
        trace="datasets/traces/azure_llm_2023_conv.csv", epoch="1s", max_epochs=6,
        solvers=["exact", "greedy", "popularity"], seed=5,
    )  # fmt: skip
    cli_out = tmp_path / "cli"
    subprocess.run(
        [str(binary), "solve-trace", "--problem", "caching",
         "--scenario", "scenarios/caching-small.toml", "--trace", args["trace"],
         "--epoch", "1s", "--max-epochs", "6", "--solvers", "exact,greedy,popularity",
         "--seed", "5", "--threads", "1", "--quiet", "--out", str(cli_out)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    direct = tmp_path / "direct"
    run = mei4llm.solve_trace(
        "scenarios/caching-small.toml", problem="caching", threads=2, out=direct, **args
    )
    assert run.problem == "caching"
    for name in ["run.json", "epochs.csv", "requests.csv", "summary.json", "hit_ratio.svg"]:
        assert (direct / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert run.summary == json.loads((cli_out / "summary.json").read_text())
    # No heuristic serves more of an epoch's requests from the edge than the exact placement.
    epochs = run.epochs.pivot(index="epoch", columns="solver", values="objective")
    assert (epochs["greedy"] <= epochs["exact"] * (1 + 1e-9)).all()
    with pytest.raises(mei4llm.InputError, match="`objective` does not apply to the `caching`"):
        mei4llm.solve_trace(
            "scenarios/caching-small.toml", problem="caching", objective="energy", **args
        )
