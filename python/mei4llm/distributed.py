"""Replaying a trace on Ray: the epochs are dealt out to shards that run as Ray tasks, and
the shards' records merge into exactly the records of :func:`mei4llm.solve_trace`.

Needs Ray (``pip install 'mei4llm[ray]'``)::

    import mei4llm.distributed
    result = mei4llm.distributed.solve_trace("scenarios/small.toml", epoch="1s", max_epochs=60)
    result.summary["solvers"][0]["requests"]["e2e_s"]["p99"]

Shard ``i`` of ``n`` solves the epochs at positions ``i``, ``i + n``, … of the run; every shard
reads the whole trace (reading is cheap next to solving) and derives each epoch's seeds from
the epoch alone, so the merged records, summary and files equal those of one local run with
the same arguments. The scenario and trace paths must be valid where the tasks run (a local
Ray shares the driver's working directory; on a cluster, use paths on a shared filesystem).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from . import _core
from .trace import FilePath, TraceResult

__all__ = ["solve_trace"]


def _ray() -> Any:
    """The ray module, or an ``ImportError`` that says how to get it."""
    try:
        import ray
    except ImportError as error:
        raise ImportError(
            "mei4llm.distributed needs Ray: pip install 'mei4llm[ray]'"
        ) from error
    return ray


def _solve_shard(scenario: Any, trace: Any, shard: tuple[int, int], options: dict) -> Any:
    """One shard's run (in a Ray task): the compiled records, pickled back to the driver."""
    return _core.solve_trace(scenario, trace=trace, shard=shard, **options)


def solve_trace(
    scenario: Any,
    trace: Optional[FilePath] = None,
    *,
    address: Optional[str] = None,
    shards: Optional[int] = None,
    threads_per_shard: int = 1,
    out: Optional[FilePath] = None,
    progress: Optional[Callable[[dict[str, Any]], None]] = None,
    **options: Any,
) -> TraceResult:
    """:func:`mei4llm.solve_trace` with the epochs shared out over Ray tasks.

    Args:
        scenario, trace: as :func:`mei4llm.solve_trace` (a path or a :class:`Scenario`, which
            is re-read from its file or dict where the task runs).
        address: the Ray cluster to join (``"auto"``, ``"ray://host:10001"``, …) when Ray is
            not initialised yet; without one, a local Ray is started. A Ray this function
            started is shut down at the end; one it did not start (call ``ray.init`` first to
            choose its options) is left running.
        shards: Ray tasks (default: the CPUs of the cluster divided by ``threads_per_shard``).
        threads_per_shard: threads of each task (its ``num_cpus``).
        out: write the merged run directory there.
        progress: called as each shard finishes with ``{"shards", "shards_done", "epochs",
            "requests", "elapsed_s"}`` (epochs and requests of the shards done).
        **options: every other argument of :func:`mei4llm.solve_trace` (``problem``,
            ``solvers``, ``epoch``, ``seed``, ``max_epochs``, ``objective``, …).

    Returns:
        The same records, summary and files as :func:`mei4llm.solve_trace` with the same
        arguments; ``timing_summary`` has ``threads`` None and the wall time of the whole run.

    Raises:
        ImportError: Ray is not installed.
        mei4llm.Error: as :func:`mei4llm.solve_trace` (a shard's error, re-raised).
    """
    for taken in ("shard", "threads", "out"):
        if taken in options:
            raise TypeError(
                f"mei4llm.distributed.solve_trace sets `{taken}` itself; "
                "use shards, threads_per_shard and out"
            )
    if threads_per_shard < 1:
        raise _core.InputError(f"threads_per_shard must be at least 1, got {threads_per_shard}")
    if shards is not None and shards < 1:
        raise _core.InputError(f"shards must be at least 1, got {shards}")
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address)
    try:
        count = shards or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads_per_shard)
        task = ray.remote(num_cpus=threads_per_shard)(_solve_shard)
        settings = dict(options, threads=threads_per_shard)
        clock = time.perf_counter()
        pending = [
            task.remote(scenario, trace, (index, count), settings) for index in range(count)
        ]
        parts = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                parts.extend(ray.get(done))
            except ray.exceptions.RayTaskError as error:
                for task_ref in pending:
                    ray.cancel(task_ref)
                if isinstance(error.cause, BaseException):
                    raise error.cause from error
                raise
            if progress is not None:
                progress(
                    {
                        "shards": count,
                        "shards_done": len(parts),
                        "epochs": sum(len(p) for p in parts),
                        "requests": sum(p.run["requests"] for p in parts),
                        "elapsed_s": time.perf_counter() - clock,
                    }
                )
        merged = _core.TraceRun.merge(parts, wall_time_s=time.perf_counter() - clock)
    finally:
        if started_here:
            ray.shutdown()
    if out is not None:
        merged.write(out)
    return TraceResult(merged)
