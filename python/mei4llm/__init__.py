"""Plans LLM serving at the mobile network edge, from Python.

The compiled module :mod:`mei4llm._core` does the work; this package re-exports it and adds
thin helpers. Every name mirrors the Rust crate::

    import mei4llm
    scenario = mei4llm.Scenario.from_path("scenarios/small.toml")
    instance = mei4llm.SplitInstance.from_scenario(scenario, objective="latency")
    outcome = mei4llm.solve(instance, solver="exact", time_limit=10.0)
    print(outcome.status, outcome.objective, outcome.gap)
    assert mei4llm.evaluate(instance, outcome.decision)["feasible"]

With Gymnasium installed, importing the package registers the environments
``mei4llm/Split-v0`` and ``mei4llm/Caching-v0`` (:mod:`mei4llm.envs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core import (
    CachingInstance,
    Outcome,
    Scenario,
    SolverError,
    SplitInstance,
    __version__,
    evaluate,
    solve,
    solvers,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas

try:  # The environments need Gymnasium (pip install 'mei4llm[envs]').
    import gymnasium as _gymnasium  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:
    from . import envs  # noqa: F401  (registers mei4llm/Split-v0 and mei4llm/Caching-v0)

__all__ = [
    "CachingInstance",
    "Outcome",
    "Scenario",
    "SolverError",
    "SplitInstance",
    "__version__",
    "evaluate",
    "solve",
    "solvers",
    "to_frame",
]


def to_frame(outcome: Outcome) -> "pandas.DataFrame":
    """The plan of ``outcome`` as a pandas DataFrame.

    One row per request for ``split`` (tier, server, split, shares, TTFT, end-to-end latency,
    device energy, bytes), one row per stored model for ``caching``. Needs pandas
    (``pip install mei4llm[pandas]``); raises ``ImportError`` without it.
    """
    try:
        import pandas as pd
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "mei4llm.to_frame needs pandas: pip install 'mei4llm[pandas]'"
        ) from error
    rows: list[dict[str, Any]] = list(outcome.plan)
    if rows:
        return pd.DataFrame.from_records(rows)
    columns = (
        ["server", "server_name", "model", "model_name"]
        if outcome.problem == "caching"
        else None
    )
    return pd.DataFrame(columns=columns)
