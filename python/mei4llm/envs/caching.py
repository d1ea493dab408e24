"""``mei4llm/Caching-v0``: online model replacement in the edge caches of a scenario's
``[caching]`` section, one request at a time.

Requests arrive as in a real trace; each gets a user drawn by the users' request shares and a
model drawn by that user's popularity. The reward is 1 on the step that serves a hit. On a
miss the agent may evict models at the servers that could serve the request (each eviction is
a step on the same request) and then admit the model at one of them or pass; storage is
counted in blocks, so a LoRA model whose base is stored costs only its adapter. At the end of
a window ``info`` holds the agent's ``hits``, the ``reachable`` requests, the window's offline
``optimum`` in hits (the exact caching MILP on the window's empirical demand: the best single
placement held for the whole window, chosen knowing its requests; online policies that change
the caches can beat it, so ``regret`` = optimum − hits can be negative), the window's
``instance`` and the caches' ``placement``.

Actions: 0 passes, ``1 + n`` admits at server ``n``, ``1 + N + n·M + i`` evicts model ``i``
from server ``n`` (layout in ``mei4llm::env::CachingLayout`` of the Rust crate).
"""

from __future__ import annotations

import os
from typing import Optional, Union

from .. import _core
from ._base import RustEnv


class CachingEnv(RustEnv):
    """The ``caching`` environment of a scenario (``mei4llm/Caching-v0``).

    Args:
        scenario: a ``mei4llm.Scenario`` or the path of a scenario file with a ``[caching]``
            section.
        trace: request trace whose arrivals make the stream (default: the scenario's
            ``[workload]`` trace; required when it has none).
        window: window rule, a request count such as ``"100"`` or a time such as ``"60s"``.
        windows_per_episode: consecutive windows in one episode.
        optimum: whether each window's offline optimum is computed.
        optimum_time_limit: seconds the exact solver may take per window.
        render_mode: ``None`` only.

    Bad options raise ``ValueError`` with the message of the Rust crate.
    """

    def __init__(
        self,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
        *,
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        window: str = "100",
        windows_per_episode: int = 4,
        optimum: bool = True,
        optimum_time_limit: float = 10.0,
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.CachingEnv(
            scenario,
            trace=trace,
            window=window,
            windows_per_episode=windows_per_episode,
            optimum=optimum,
            optimum_time_limit=optimum_time_limit,
        )
        super().__init__(core, render_mode)
