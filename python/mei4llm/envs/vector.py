"""The Rust vector environments as ``gymnasium.vector.VectorEnv``: the ``vector_entry_point``
of ``mei4llm/Split-v0`` and ``mei4llm/Caching-v0`` for ``gymnasium.make_vec(...,
vectorization_mode="vector_entry_point")``."""

from __future__ import annotations

import os
from typing import Optional, Union

from .. import _core
from ._base import RustVectorEnv


class SplitVectorEnv(RustVectorEnv):
    """``num_envs`` ``split`` environments stepped together in Rust; the keyword arguments
    are those of :class:`mei4llm.envs.SplitEnv`, plus ``parallel`` (step the environments on
    Rust's thread pool; the results are the same either way)."""

    def __init__(
        self,
        num_envs: int = 1,
        *,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
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
        parallel: bool = True,
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.VecSplitEnv(
            num_envs,
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
            parallel=parallel,
        )
        super().__init__(core, num_envs, render_mode)


class CachingVectorEnv(RustVectorEnv):
    """``num_envs`` ``caching`` environments stepped together in Rust; the keyword arguments
    are those of :class:`mei4llm.envs.CachingEnv`, plus ``parallel``."""

    def __init__(
        self,
        num_envs: int = 1,
        *,
        scenario: Union[str, "os.PathLike[str]", _core.Scenario],
        trace: Optional[Union[str, "os.PathLike[str]"]] = None,
        window: str = "100",
        windows_per_episode: int = 4,
        optimum: bool = True,
        optimum_time_limit: float = 10.0,
        parallel: bool = True,
        render_mode: Optional[str] = None,
    ) -> None:
        core = _core.VecCachingEnv(
            num_envs,
            scenario,
            trace=trace,
            window=window,
            windows_per_episode=windows_per_episode,
            optimum=optimum,
            optimum_time_limit=optimum_time_limit,
            parallel=parallel,
        )
        super().__init__(core, num_envs, render_mode)
