"""Gymnasium environments over the compiled ones, one per registered problem, registered when
``mei4llm`` is imported as ``mei4llm/<Problem>-v0`` (``mei4llm/Split-v0``,
``mei4llm/Caching-v0``, ``mei4llm/Batching-v0``, …; :data:`IDS`). Each runs with no argument
on a bundled default scenario, and is described in ``docs/environments.md``::

    import gymnasium, mei4llm
    env = gymnasium.make("mei4llm/Split-v0")                      # the bundled `small`
    observation, info = env.reset(seed=0)
    action = int(info["action_mask"].argmax())
    observation, reward, terminated, truncated, info = env.step(action)
    envs = gymnasium.make_vec("mei4llm/Split-v0", num_envs=64,
                              vectorization_mode="vector_entry_point")   # stepped in Rust
    evaluated = gymnasium.make("mei4llm/Split-v0", optimum="exact")   # optimum and regret

The reference solver is off by default (``optimum="none"``, the fast setting for training);
give ``optimum="exact"`` (or any solver of the problem) to have the certified optimum and the
regret in ``info`` at each epoch end.
"""

from __future__ import annotations

from typing import Any, Optional

from gymnasium.envs.registration import register, registry

from .. import _core
from ._base import ProblemEnv, ProblemVectorEnv, Scenario

IDS: dict[str, str] = {p["env_id"]: p["name"] for p in _core.problems()}
"""The registered ids, with the problem of each."""


def _class_name(env_id: str) -> str:
    """``Split`` of ``mei4llm/Split-v0``."""
    return env_id.split("/", 1)[1].rsplit("-v", 1)[0]


def _env_class(name: str, problem: str) -> type:
    """``<Name>Env``: :class:`ProblemEnv` of ``problem``, importable and picklable by name."""

    def __init__(
        self: ProblemEnv,
        scenario: Optional[Scenario] = None,
        render_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        ProblemEnv.__init__(self, problem, scenario, render_mode, **kwargs)

    doc = f"The ``{problem}`` environment (:class:`ProblemEnv` with ``problem={problem!r}``)."
    return type(f"{name}Env", (ProblemEnv,), {"__init__": __init__, "__doc__": doc,
                                              "__module__": __name__})


def _vector_class(name: str, problem: str) -> type:
    """``<Name>VectorEnv``: :class:`ProblemVectorEnv` of ``problem``."""

    def __init__(
        self: ProblemVectorEnv,
        num_envs: int = 1,
        scenario: Optional[Scenario] = None,
        parallel: bool = True,
        render_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        ProblemVectorEnv.__init__(
            self, problem, num_envs, scenario, parallel, render_mode, **kwargs
        )

    doc = (
        f"``num_envs`` ``{problem}`` environments stepped together in Rust "
        f"(:class:`ProblemVectorEnv` with ``problem={problem!r}``)."
    )
    return type(f"{name}VectorEnv", (ProblemVectorEnv,), {"__init__": __init__, "__doc__": doc,
                                                          "__module__": __name__})


__all__ = ["IDS", "ProblemEnv", "ProblemVectorEnv"]

for _id, _problem in IDS.items():
    _name = _class_name(_id)
    for _class in (_env_class(_name, _problem), _vector_class(_name, _problem)):
        globals()[_class.__name__] = _class
        __all__.append(_class.__name__)
    if _id not in registry:
        register(
            id=_id,
            entry_point=f"{__name__}:{_name}Env",
            vector_entry_point=f"{__name__}:{_name}VectorEnv",
            # The environment refuses a step before reset itself and passes `check_env`, so
            # `make` returns it unwrapped: `make(id).action_masks()` works as sb3-contrib
            # expects. `make(id, disable_env_checker=False)` adds Gymnasium's checker back.
            order_enforce=False,
            disable_env_checker=True,
        )
