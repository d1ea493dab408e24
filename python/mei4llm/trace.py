"""Request traces from Python: read one into a DataFrame, or replay one epoch by epoch through
a problem with several solvers side by side (``mei4llm solve-trace``)."""

from __future__ import annotations

import functools
from os import PathLike
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Tuple, Union

from . import _core
from ._frames import frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = ["TraceResult", "read_trace", "solve_trace"]

FilePath = Union[str, "PathLike[str]"]


def read_trace(
    path: FilePath, limit: Optional[int] = None, skip_bad_rows: bool = False
) -> "pandas.DataFrame":
    """The requests of a trace file, one row each, read by the Rust streaming readers.

    The format (Azure LLM inference 2023/2024, Mooncake, BurstGPT, Vidur) is detected from the
    first line. Columns: ``id`` (0-based, int64), ``arrival_s`` (seconds since the first
    request, float64), ``prompt_tokens`` and ``output_tokens`` (int64), and for Mooncake
    ``prefix_blocks`` (the ids of the prompt's 512-token blocks, a list per request). At most
    ``limit`` requests are read. ``DataFrame.attrs`` holds ``file``, ``format``,
    ``skipped_rows`` and ``dropped_rows`` (rows the format marks as not a request).

    A malformed row raises :class:`mei4llm.TraceError` (a ``ValueError``) naming the file,
    line and field, unless ``skip_bad_rows`` is set, in which case it is skipped and counted.
    """
    columns, info = _core.read_trace(path, limit, skip_bad_rows)
    requests = frame(columns, "mei4llm.read_trace")
    requests.attrs.update(info)
    return requests


class TraceResult:
    """The records of a replayed trace: what ``mei4llm solve-trace`` writes, as DataFrames.

    - ``epochs``: one row per epoch and solver (the columns of ``epochs.csv``): status,
      objective, proven bound, gap, ``gap_to_exact`` (against the exact solver's optimum on
      the same epoch), branch-and-bound nodes, iterations, reason.
    - ``requests``: one row per epoch, solver and request (``requests.csv``); for ``split``:
      tier, server, split, shares, TTFT, end-to-end latency, device energy, bytes,
      ``meets_slo``. ``split`` is a nullable ``Int64``: empty without a plan. For ``batching``:
      tokens, ``min_precision``, ``waited_s``, ``servable``, ``planned``, ``admitted``,
      server, precision, predicted ``ttft_s`` and ``tpot_s`` (NaN when not admitted),
      ``kv_bytes``, ``value``.
    - ``timings``: the measured solve time of each epoch and solver (``timings.csv``).
    - ``summary``: per solver statistics (``summary.json``); ``run``: the settings and how far
      the run got (``run.json``); ``timing_summary``: ``timings.json``.

    Rows are in epoch order, and within an epoch in the order of the solvers.
    """

    def __init__(self, run: _core.TraceRun) -> None:
        self._run = run

    @property
    def records(self) -> _core.TraceRun:
        """The compiled records (picklable; see :meth:`mei4llm._core.TraceRun.merge`)."""
        return self._run

    @property
    def problem(self) -> str:
        """The problem each epoch was an instance of."""
        return self._run.problem

    @property
    def run(self) -> dict[str, Any]:
        """What was run and how far it got (``run.json``)."""
        return self._run.run

    @functools.cached_property
    def epochs(self) -> "pandas.DataFrame":
        """One row per epoch and solver (``epochs.csv``)."""
        return frame(self._run.columns("epochs"), "TraceResult.epochs")

    @functools.cached_property
    def requests(self) -> "pandas.DataFrame":
        """One row per epoch, solver and request (``requests.csv``)."""
        return frame(self._run.columns("requests"), "TraceResult.requests")

    @functools.cached_property
    def timings(self) -> "pandas.DataFrame":
        """The measured solve time of each epoch and solver (``timings.csv``)."""
        return frame(self._run.columns("timings"), "TraceResult.timings")

    @functools.cached_property
    def summary(self) -> dict[str, Any]:
        """Per solver statistics of the epochs and requests (``summary.json``)."""
        return self._run.summary()

    @property
    def timing_summary(self) -> dict[str, Any]:
        """Per solver solve times, threads and wall time (``timings.json``)."""
        return self._run.timing_summary()

    def write(self, out: FilePath) -> None:
        """Writes the run directory ``out``: the files of ``mei4llm solve-trace --out``."""
        self._run.write(out)

    def __len__(self) -> int:
        return len(self._run)

    def __repr__(self) -> str:
        return f"TraceResult({self._run!r})"


def solve_trace(
    scenario: Union[_core.Scenario, FilePath],
    trace: Optional[FilePath] = None,
    problem: str = "split",
    solvers: Optional[Sequence[str]] = None,
    epoch: Optional[str] = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
    time_limit_s: Optional[float] = None,
    gap: float = 1e-6,
    max_epochs: Optional[int] = None,
    out: Optional[FilePath] = None,
    skip_bad_rows: bool = False,
    in_flight: Optional[int] = None,
    shard: Optional[Tuple[int, int]] = None,
    progress: Optional[Callable[[dict[str, Any]], None]] = None,
    **settings: Any,
) -> TraceResult:
    """Replays a request trace epoch by epoch, as ``mei4llm solve-trace`` does.

    Each epoch of ``trace`` (default: the scenario's ``[workload]`` trace, from its start)
    becomes an instance of ``problem`` — ``split`` (its requests get a device and a model),
    ``caching`` (its requests get a server region and a model and form the epoch's demand) or
    ``batching`` (its requests are the waiting queue of one batching decision at the epoch's
    end: the end of its window, or its last arrival for a request count) — drawn with a seed derived from ``seed`` and the epoch's index; every solver of
    ``solvers`` (default: all of :func:`mei4llm.solvers`) plans it, and each plan is checked
    by the problem's own ``evaluate``. Epochs are solved in parallel on ``threads`` threads
    (default: every core) with the GIL released, and delivered in epoch order, so the same
    seed gives the same records whatever the thread count (unless ``time_limit_s`` binds).

    Args:
        scenario: a :class:`Scenario`, a ``.toml``/``.json`` scenario file, or the name of a
            bundled scenario (``mei4llm.scenarios()``).
        trace: a trace file (Azure, Mooncake, BurstGPT or Vidur).
        problem: ``"split"``, ``"caching"`` (the scenario needs a ``[caching]`` section) or
            ``"batching"`` (a ``[batching]`` section, whose trace from its ``start``, request
            count and seed are the defaults of ``trace``, ``epoch`` and ``seed``; a given
            trace is read from its first request). ``objective``, ``per_second``,
            ``per_joule`` and the SLOs are split's only.
        solvers: the solvers, side by side on every epoch.
        epoch: a time window (``"1s"``, ``"500ms"``) or a request count (``"200"``); default:
            the scenario's workload window or request count.
        threads: worker threads.
        seed: the run's seed (default: the scenario's workload seed, else 0).
        time_limit_s: wall-clock seconds per solve.
        gap: relative optimality gap at which the exact solver stops.
        max_epochs: stop after this many epochs.
        out: also write the run directory there, epoch by epoch (the files of
            ``mei4llm solve-trace --out``; an interrupted run keeps the epochs done).
        skip_bad_rows: skip malformed trace rows (counted in ``run["rows"]``) instead of
            stopping at the first.
        in_flight: epochs held in memory at once (default: 8 × threads).
        shard: ``(index, count)``: solve only the epochs at positions ``index``,
            ``index + count``, … of the run (see :mod:`mei4llm.distributed`).
        progress: called after each epoch with ``{"epochs", "requests", "elapsed_s"}``; an
            exception it raises (as Ctrl-C does) stops the run.
        **settings: the problem's settings (``mei4llm.problems()`` lists them); for ``split``:
            ``objective`` (``latency``, ``energy`` or ``mixed`` with ``per_second`` and
            ``per_joule``), and the SLOs requests are judged by, ``ttft_slo_s``,
            ``tpot_slo_s``, ``e2e_slo_s`` (they only measure; default: the scenario's, else
            MLPerf Inference's, TTFT 2 s and TPOT 0.1 s).

    Returns:
        The records as DataFrames, with the summary.

    Raises:
        InputError: a setting out of its domain (an unknown solver, say).
        ScenarioError: the scenario cannot be read.
        TraceError: a malformed trace row (without ``skip_bad_rows``), naming the file, line
            and field; with ``out``, the epochs before it are written there.
        SolverError: a panic in the replay.
    """
    run = _core.solve_trace(
        scenario,
        trace=trace,
        problem=problem,
        solvers=None if solvers is None else list(solvers),
        epoch=epoch,
        threads=threads,
        seed=seed,
        time_limit_s=time_limit_s,
        gap=gap,
        max_epochs=max_epochs,
        out=out,
        skip_bad_rows=skip_bad_rows,
        in_flight=in_flight,
        shard=shard,
        progress=progress,
        **settings,
    )
    return TraceResult(run)
