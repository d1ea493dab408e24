"""`mei4llm.distributed.solve_trace` on a local Ray: the shards' records, merged, are the
records, summary and files of the local run."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

import mei4llm
import mei4llm.distributed

ray = pytest.importorskip("ray")
pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[2]
ARGS = dict(epoch="1s", max_epochs=9, seed=3, solvers=["exact", "descent", "device-only"])


def test_a_ray_it_starts_is_shut_down(monkeypatch: pytest.MonkeyPatch) -> None:
    if ray.is_initialized():
        pytest.skip("Ray is already running in this process")
    monkeypatch.chdir(ROOT)
    result = mei4llm.distributed.solve_trace(
        "scenarios/small.toml", shards=2, epoch="1s", max_epochs=3, solvers=["device-only"]
    )
    assert len(result) == 3 and result.run["complete"]
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local Ray of two CPUs, started from the crate root (its workers share the directory)."""
    before = os.getcwd()
    os.chdir(ROOT)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    os.chdir(before)


@pytest.fixture(scope="module")
def local_run(local_ray: None) -> mei4llm.TraceResult:
    return mei4llm.solve_trace("scenarios/small.toml", threads=2, **ARGS)


def test_shards_on_ray_give_the_records_of_the_local_run(
    local_run: mei4llm.TraceResult, tmp_path: Path
) -> None:
    seen: list[dict] = []
    out = tmp_path / "ray"
    result = mei4llm.distributed.solve_trace(
        "scenarios/small.toml", shards=4, out=out, progress=seen.append, **ARGS
    )
    assert isinstance(result, mei4llm.TraceResult)
    pd.testing.assert_frame_equal(result.epochs, local_run.epochs)
    pd.testing.assert_frame_equal(result.requests, local_run.requests)
    assert result.summary == local_run.summary
    assert result.run == local_run.run
    assert len(result) == 9 and result.run["complete"]
    # Every solve was timed once, in some shard.
    timed = result.timings[["epoch", "solver"]]
    pd.testing.assert_frame_equal(timed, local_run.timings[["epoch", "solver"]])
    assert result.timing_summary["threads"] is None
    # Progress came once per shard; the files are those of a local run.
    assert [p["shards_done"] for p in seen] == [1, 2, 3, 4]
    assert seen[-1]["epochs"] == 9
    local_out = tmp_path / "local"
    local_run.write(local_out)
    for name in ("run.json", "epochs.csv", "requests.csv", "summary.json", "choices.svg"):
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name
    # A Ray this function did not start is left running.
    assert ray.is_initialized()


def test_a_scenario_object_travels_to_the_tasks(local_run: mei4llm.TraceResult) -> None:
    scenario = mei4llm.Scenario.from_path("scenarios/small.toml")
    result = mei4llm.distributed.solve_trace(scenario, **ARGS)
    pd.testing.assert_frame_equal(result.requests, local_run.requests)


def test_errors_in_a_shard_reach_the_driver(local_ray: None) -> None:
    with pytest.raises(mei4llm.InputError, match="simplex"):
        mei4llm.distributed.solve_trace(
            "scenarios/small.toml", shards=2, epoch="1s", solvers=["simplex"]
        )
    with pytest.raises(TypeError, match="shard"):
        mei4llm.distributed.solve_trace("scenarios/small.toml", shard=(0, 2))
    with pytest.raises(mei4llm.InputError, match="shards"):
        mei4llm.distributed.solve_trace("scenarios/small.toml", shards=0)


def test_without_ray_the_import_error_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install 'mei4llm\[ray\]'"):
        mei4llm.distributed.solve_trace("scenarios/small.toml")
