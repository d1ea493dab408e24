"""Plans LLM serving at the mobile network edge, from Python.

The compiled module :mod:`mei4llm._core` does the work; this package re-exports it and makes
pandas DataFrames of its columns. Every name mirrors the Rust crate::

    import mei4llm
    scenario = mei4llm.Scenario.bundled("small")                # or from_path("my.toml")
    instance = mei4llm.SplitInstance.from_scenario(scenario, objective="latency")
    outcome = mei4llm.solve(instance, solver="exact", time_limit_s=10.0)
    print(outcome.status, outcome.objective, outcome.gap)
    assert mei4llm.evaluate(instance, outcome.decision)["feasible"]
    arrays = mei4llm.decision_arrays(instance, outcome)     # numpy, one entry per request
    assert mei4llm.evaluate(instance, arrays)["feasible"]
    batching = mei4llm.BatchingInstance.from_scenario("batching-small")
    mei4llm.solve(batching, solver="assignment").objective  # requests admitted
    mei4llm.cost_table(scenario)                            # DataFrame, as `mei4llm inspect`
    mei4llm.read_trace("bundled:datasets/traces/azure_llm_2023_conv.csv", limit=100)
    result = mei4llm.solve_trace(scenario, epoch="1s", max_epochs=20)
    result.epochs, result.requests, result.summary

:mod:`mei4llm.distributed` runs :func:`solve_trace` on Ray.

Errors carry the Rust message unchanged::

    mei4llm.Error                          every error of the package
    ├── mei4llm.InputError (ValueError)    bad input: a setting, a file, a name, a value
    │   ├── mei4llm.ScenarioError          a scenario file or dict, or an instance built from it
    │   ├── mei4llm.TraceError             a trace file (names the file, line and field)
    │   └── mei4llm.DecisionError          a decision passed to evaluate or decision_arrays
    └── mei4llm.SolverError (RuntimeError) a solver failed, or Rust code panicked

A Rust panic never crosses into Python: it becomes a :class:`SolverError`.

Every registered problem (:func:`problems`) has an instance class here (``SplitInstance``,
``CachingInstance``, ``BatchingInstance``, …: ``from_scenario(scenario, **settings)``) and, with
Gymnasium installed, an environment ``mei4llm/<Problem>-v0`` (:mod:`mei4llm.envs`). The
bundled scenarios (:func:`scenarios`) and data (:mod:`mei4llm.datasets`) work from any folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import datasets
from ._core import (
    PRECISIONS,
    TIERS,
    DecisionError,
    Error,
    InputError,
    Instance,
    Outcome,
    Scenario,
    ScenarioError,
    SolverError,
    TraceError,
    TraceRun,
    __version__,
    decision_arrays,
    evaluate,
    problems,
    scenarios,
    solve,
    solvers,
)
from ._instances import instance_classes
from ._frames import pandas_module
from .tables import cost_table, hardware_catalogue, layer_table, model_catalogue, split_table
from .trace import TraceResult, read_trace, solve_trace

if TYPE_CHECKING:  # pragma: no cover
    import pandas

    from ._instances import InstanceClass as BatchingInstance
    from ._instances import InstanceClass as CachingInstance
    from ._instances import InstanceClass as SplitInstance

globals().update(instance_classes())

try:  # The environments need Gymnasium (pip install 'mei4llm[envs]').
    import gymnasium as _gymnasium  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:
    from . import envs  # noqa: F401  (registers the mei4llm/ environments)

__all__ = [
    "PRECISIONS",
    "TIERS",
    "BatchingInstance",
    "CachingInstance",
    "DecisionError",
    "Error",
    "InputError",
    "Instance",
    "Outcome",
    "Scenario",
    "ScenarioError",
    "SolverError",
    "SplitInstance",
    "TraceError",
    "TraceResult",
    "TraceRun",
    "__version__",
    "cost_table",
    "datasets",
    "decision_arrays",
    "evaluate",
    "hardware_catalogue",
    "layer_table",
    "model_catalogue",
    "problems",
    "read_trace",
    "scenarios",
    "solve",
    "solve_trace",
    "solvers",
    "split_table",
    "to_frame",
]


def to_frame(outcome: Outcome) -> "pandas.DataFrame":
    """The plan of ``outcome`` as a pandas DataFrame.

    One row per request for ``split`` (tier, server, split, shares, TTFT, end-to-end latency,
    device energy, bytes), one row per stored model for ``caching``, one row per waiting
    request for ``batching`` (server, precision, TTFT, TPOT, KV bytes, value). Needs pandas
    (``pip install mei4llm[pandas]``); raises ``ImportError`` without it.
    """
    pd = pandas_module("mei4llm.to_frame")
    rows: list[dict[str, Any]] = list(outcome.plan)
    if rows:
        return pd.DataFrame.from_records(rows)
    columns = (
        ["server", "server_name", "model", "model_name"]
        if outcome.problem == "caching"
        else None
    )
    return pd.DataFrame(columns=columns)
