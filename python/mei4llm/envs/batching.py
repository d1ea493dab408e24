"""``mei4llm/Batching-v0``: the admission decisions of a continuous-batching scheduler on the
edge servers of a scenario's ``[batching]`` section, one waiting request at a time.

The trace is cut into windows of ``requests`` arrivals; each window is one decision with every
server idle (the ``batching`` problem, ``formulations/batching.md``). Its waiting requests are
presented in arrival order, and the action rejects the current one (0) or admits it to server
``j`` at the ``p``-th precision of the scenario (``1 + j·P + p``); a server's precision is fixed
by its first admission. ``info["action_mask"]`` admits only where the whole batch stays
feasible: memory for the weights and every KV cache, every admitted request's first token
within its TTFT SLO, the longest decode step within every TPOT SLO, and the request's accuracy
tier. That is stronger than a memory mask: a decision built by masked actions always passes
:func:`mei4llm.evaluate`. An action outside the mask rejects and sets
``info["invalid_action"]``.

The reward is the request's value (1 per request, or its tokens with ``objective =
"tokens"``) when admitted, so a decision's rewards sum to its objective. The step on a
decision's last request adds to ``info`` the agent's ``objective``, ``admitted``, ``feasible``
and ``reason``, the decision's ``instance`` (a :class:`mei4llm.BatchingInstance`) and
``decision`` (the arrays of :func:`mei4llm.decision_arrays`), and the reference solver's
``optimum`` (the certified exact MILP by default), ``optimum_bound``, ``optimum_status`` and
``regret`` = optimum − objective.

The observation (``observation_names``) holds the current request's tokens, KV bytes, TTFT
budget left, TPOT SLO, accepted precisions and value, and per server its precision, free
memory, the request's KV share, the requests admitted, their prefill time and decode step, and
the requests and decisions left (layout in ``mei4llm::env::BatchingLayout`` of the Rust crate).
"""

from __future__ import annotations

import os
from typing import Optional, Union

from .. import _core
from ._base import RustEnv, RustVectorEnv


class BatchingEnv(RustEnv):
    """The ``batching`` environment of a scenario (``mei4llm/Batching-v0``).

    Args:
        scenario: a ``mei4llm.Scenario`` or the path of a scenario file with a ``[batching]``
            section.
        trace: request trace whose rows wait at each decision (default: the section's).
        requests: waiting requests per decision (default: the section's ``requests``).
        decisions_per_episode: consecutive decisions (trace windows) in one episode.
        optimum: the batching solver reported next to the agent at each decision's end
            (``"exact"``: the certified optimum; any name of ``mei4llm.solvers("batching")``),
            or ``"none"``.
        optimum_time_limit: seconds that solver may take per decision.
        render_mode: ``None`` only.

    Bad options raise ``ValueError`` with the message of the Rust crate.
    """

    def __init__(
        self,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
        *,
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        requests: Optional[int] = None,
        decisions_per_episode: int = 4,
        optimum: str = "exact",
        optimum_time_limit: float = 10.0,
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.BatchingEnv(
            scenario,
            trace=trace,
            requests=requests,
            decisions_per_episode=decisions_per_episode,
            optimum=optimum,
            optimum_time_limit=optimum_time_limit,
        )
        super().__init__(core, render_mode)


class BatchingVectorEnv(RustVectorEnv):
    """``num_envs`` ``batching`` environments stepped together in Rust (the
    ``vector_entry_point`` of ``mei4llm/Batching-v0``); the keyword arguments are those of
    :class:`BatchingEnv`, plus ``parallel`` (step the environments on Rust's thread pool; the
    results are the same either way)."""

    def __init__(
        self,
        num_envs: int = 1,
        *,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        requests: Optional[int] = None,
        decisions_per_episode: int = 4,
        optimum: str = "exact",
        optimum_time_limit: float = 10.0,
        parallel: bool = True,
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.VecBatchingEnv(
            num_envs,
            scenario,
            trace=trace,
            requests=requests,
            decisions_per_episode=decisions_per_episode,
            optimum=optimum,
            optimum_time_limit=optimum_time_limit,
            parallel=parallel,
        )
        super().__init__(core, num_envs, render_mode)
