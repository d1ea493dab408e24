"""``mei4llm/Split-v0``: place the requests of a real trace (tier, edge server, split point),
epoch after epoch, under uplink rates that vary as a measured 5G link does.

The reward is minus the increase of the epoch objective (seconds of end-to-end latency, or
joules of device energy) when the request joins the plan, bandwidth and compute shares at their
closed form; the rewards of an epoch sum to minus the objective ``mei4llm.evaluate`` gives the
agent's decision. At the end of an epoch ``info`` holds ``objective``, the reference solver's
``optimum`` (the certified exact solver by default), its ``optimum_bound`` and
``optimum_status``, the ``regret`` (agent − optimum), and the epoch's ``instance`` and the
agent's ``decision``, so that any solver can be run on the same instance.

The observation layout (``observation_names``) and the action layout are documented in the
Rust crate (``mei4llm::env::SplitLayout``): action 0 runs the whole model on the device,
``1 + e·L + s`` splits at ``s`` with the rest on edge server ``e``, and ``1 + E·L + e·L + s``
splits at ``s`` with the rest in the cloud through cell ``e``.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from .. import _core
from ._base import RustEnv


class SplitEnv(RustEnv):
    """The ``split`` environment of a scenario (``mei4llm/Split-v0``).

    Args:
        scenario: a ``mei4llm.Scenario`` or the path of a scenario file with a ``[workload]``.
        trace: request trace (default: the workload's).
        epoch: epoch rule, ``"1s"``, ``"500ms"`` or a request count such as ``"8"`` (default:
            the workload's).
        epochs_per_episode: consecutive epochs in one episode.
        objective: ``"latency"``, ``"energy"`` or ``"mixed"`` (with ``per_second`` and
            ``per_joule``).
        optimum: reference solver at each epoch end: ``"exact"``, ``"descent"`` or ``"none"``.
        optimum_time_limit: seconds the reference solver may take per epoch.
        carrier, connections, server: the 5Gophers throughput series that scales the uplinks.
        render_mode: ``None`` only.

    Bad options raise ``ValueError`` with the message of the Rust crate.
    """

    def __init__(
        self,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
        *,
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        epoch: Optional[str] = None,
        epochs_per_episode: int = 4,
        objective: str = "latency",
        per_second: Optional[float] = None,
        per_joule: Optional[float] = None,
        optimum: str = "exact",
        optimum_time_limit: float = 10.0,
        carrier: str = "VERIZON",
        connections: int = 1,
        server: str = "US-East",
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.SplitEnv(
            scenario,
            trace=trace,
            epoch=epoch,
            epochs_per_episode=epochs_per_episode,
            objective=objective,
            per_second=per_second,
            per_joule=per_joule,
            optimum=optimum,
            optimum_time_limit=optimum_time_limit,
            carrier=carrier,
            connections=connections,
            server=server,
        )
        super().__init__(core, render_mode)
