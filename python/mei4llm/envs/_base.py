"""The Gymnasium side shared by the environments: spaces from the Rust layout, seeding, and
the ``info`` dict with the action mask."""

from __future__ import annotations

from typing import Any, Optional

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

SEED_BOUND = 2**63
"""Seeds are drawn below this when Gymnasium's generator picks one (Rust takes ``u64``)."""


def box(low: np.ndarray, high: np.ndarray) -> spaces.Box:
    """The ``float32`` Box of an observation layout (bounds as Rust states them)."""
    return spaces.Box(low=low, high=high, dtype=np.float32)


class RustEnv(gymnasium.Env[np.ndarray, np.int64]):
    """A Gymnasium environment over one of the compiled environments.

    Observations are ``float32`` arrays in ``observation_space``; actions are integers of
    ``action_space`` (``Discrete``). ``info["action_mask"]`` (``int8``, the dtype
    ``Discrete.sample(mask=...)`` takes) and :meth:`action_masks` (``bool``, as sb3-contrib's
    ``MaskablePPO`` expects) mark the valid actions; an action outside the mask is carried out
    as the environment's documented replacement and ``info["invalid_action"]`` is set. At the
    end of an epoch or window ``info`` also holds the report (optimum, regret, ...).

    Seeding follows Gymnasium: ``reset(seed=s)`` fixes the episode; ``reset()`` continues the
    random stream; the first ``reset()`` without a seed draws one from ``self.np_random``.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, core: Any, render_mode: Optional[str] = None) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; use None")
        self.render_mode = render_mode
        self._core = core
        low, high, names, actions = core.spaces()
        self.observation_space = box(low, high)
        self.action_space = spaces.Discrete(actions)
        self.observation_names: list[str] = list(names)
        """What each observation component is (name and unit), in order."""
        self._mask: Optional[np.ndarray] = None
        self._seeded = False

    def reset(
        self, *, seed: Optional[int] = None, options: Optional[dict[str, Any]] = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode; ``options`` is not used and must be empty."""
        super().reset(seed=seed)
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is None and not self._seeded:
            seed = int(self.np_random.integers(SEED_BOUND))
        self._seeded = True
        observation, mask = self._core.reset(seed)
        self._mask = mask
        return observation, {"action_mask": mask}

    def step(
        self, action: Any
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Takes ``action``; ``info`` holds the mask of the next observation."""
        observation, reward, terminated, truncated, mask, extra = self._core.step(int(action))
        self._mask = mask
        info: dict[str, Any] = {"action_mask": mask}
        if extra is not None:
            info.update(extra)
        return observation, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The valid actions of the current observation, as ``bool``."""
        mask = self._mask if self._mask is not None else self._core.action_mask()
        return mask.astype(bool)

    def render(self) -> None:
        """Nothing to render (``render_mode=None`` only)."""
        return None


class RustVectorEnv(gymnasium.vector.VectorEnv):
    """A Gymnasium vector environment over a compiled vector environment: one call into Rust
    per step, observations written by Rust into one ``(num_envs, n)`` array.

    Autoreset is next-step (``metadata["autoreset_mode"]``): the step after an episode ends
    ignores that environment's action and returns its first observation of a new episode,
    with reward 0. Environment ``i`` is reset with ``seed + i``. ``info["action_mask"]`` is
    the ``(num_envs, actions)`` ``int8`` mask; reports of environments that ended an epoch or
    window are added as Gymnasium batches vector infos, built by Rust in the same call: for
    each key an array over the environments (``int64``, ``float64``, ``bool``, or ``object``
    with ``None`` where absent, e.g. ``optimum`` when the reference solver found nothing) and
    the ``bool`` mask ``_key`` of the environments that report it. ``info["instance"][i]`` and
    ``info["decision"][i]`` are those of environment ``i``, ready for ``mei4llm.evaluate``.
    """

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, core: Any, num_envs: int, render_mode: Optional[str] = None) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode {render_mode!r} is not supported; use None")
        self.render_mode = render_mode
        self._core = core
        self.num_envs = num_envs
        low, high, names, actions = core.spaces()
        self.single_observation_space = box(low, high)
        self.single_action_space = spaces.Discrete(actions)
        self.observation_space = gymnasium.vector.utils.batch_space(
            self.single_observation_space, num_envs
        )
        self.action_space = gymnasium.vector.utils.batch_space(
            self.single_action_space, num_envs
        )
        self.observation_names: list[str] = list(names)
        """What each observation component is (name and unit), in order."""
        self._masks: Optional[np.ndarray] = None

    def reset(
        self,
        *,
        seed: Optional[int] = None,
        options: Optional[dict[str, Any]] = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every environment, environment ``i`` with ``seed + i``."""
        if isinstance(seed, (list, tuple)):
            raise ValueError("seed must be one integer (environment i gets seed + i) or None")
        super().reset(seed=seed)
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is None and self._masks is None:
            seed = int(self.np_random.integers(SEED_BOUND))
        observations, masks = self._core.reset(seed)
        self._masks = masks
        return observations, {"action_mask": masks}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every environment with one call into Rust."""
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        observations, rewards, terminated, truncated, masks, invalid, reports = self._core.step(
            actions
        )
        self._masks = masks
        info: dict[str, Any] = {"action_mask": masks}
        if invalid.any():
            info["invalid_action"] = invalid
            info["_invalid_action"] = invalid
        info.update(reports)
        return observations, rewards, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The ``(num_envs, actions)`` valid actions, as ``bool``."""
        if self._masks is None:
            raise RuntimeError("call reset first")
        return self._masks.astype(bool)

