"""Gymnasium environments over the compiled ones, registered when ``mei4llm`` is imported:

- ``mei4llm/Split-v0`` (:class:`SplitEnv`, vector: :class:`SplitVectorEnv`)
- ``mei4llm/Caching-v0`` (:class:`CachingEnv`, vector: :class:`CachingVectorEnv`)
- ``mei4llm/Batching-v0`` (:class:`BatchingEnv`, vector: :class:`BatchingVectorEnv`)

::

    import gymnasium, mei4llm
    env = gymnasium.make("mei4llm/Split-v0", scenario="scenarios/small.toml")
    observation, info = env.reset(seed=0)
    action = int(info["action_mask"].argmax())
    observation, reward, terminated, truncated, info = env.step(action)
    envs = gymnasium.make_vec("mei4llm/Split-v0", num_envs=64,
                              vectorization_mode="vector_entry_point",
                              scenario="scenarios/small.toml", optimum="none")
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from .batching import BatchingEnv, BatchingVectorEnv
from .caching import CachingEnv
from .split import SplitEnv
from .vector import CachingVectorEnv, SplitVectorEnv

IDS = {
    "mei4llm/Split-v0": ("mei4llm.envs.split:SplitEnv", "mei4llm.envs.vector:SplitVectorEnv"),
    "mei4llm/Caching-v0": (
        "mei4llm.envs.caching:CachingEnv",
        "mei4llm.envs.vector:CachingVectorEnv",
    ),
    "mei4llm/Batching-v0": (
        "mei4llm.envs.batching:BatchingEnv",
        "mei4llm.envs.batching:BatchingVectorEnv",
    ),
}
"""The registered ids with their entry points and vector entry points."""

for _id, (_entry, _vector) in IDS.items():
    if _id not in registry:
        register(id=_id, entry_point=_entry, vector_entry_point=_vector)

__all__ = [
    "IDS",
    "BatchingEnv",
    "BatchingVectorEnv",
    "CachingEnv",
    "CachingVectorEnv",
    "SplitEnv",
    "SplitVectorEnv",
]
