"""The Gymnasium classes over the compiled environments of every registered problem: spaces
from the Rust layout, seeding, the ``info`` dict with the action mask, and renders."""

from __future__ import annotations

from typing import Any, Optional, Union

import gymnasium
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from .. import _core

SEED_BOUND = 2**63
"""Seeds are drawn below this when Gymnasium's generator picks one (Rust takes ``u64``)."""

RENDER_MODES = ["ansi", "rgb_array"]
"""What ``render`` draws: the observation as text (``ansi``) or as an image (``rgb_array``)."""

Scenario = Union[str, "os.PathLike[str]", _core.Scenario]


def box(low: np.ndarray, high: np.ndarray) -> spaces.Box:
    """The ``float32`` Box of an observation layout (bounds as Rust states them)."""
    return spaces.Box(low=low, high=high, dtype=np.float32)


def default_scenario(problem: str) -> str:
    """The bundled scenario the environment of ``problem`` uses without one."""
    for p in _core.problems():
        if p["name"] == problem:
            return p["default_scenario"]
    raise _core.InputError(f"unknown problem `{problem}`")


def _check_render_mode(render_mode: Optional[str]) -> Optional[str]:
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(
            f"render_mode {render_mode!r} is not supported; use None, 'ansi' or 'rgb_array'"
        )
    return render_mode


def render_text(names: list[str], observation: np.ndarray, mask: Optional[np.ndarray]) -> str:
    """The observation as ``name = value`` lines, then the valid actions."""
    lines = [f"{name} = {value:.6g}" for name, value in zip(names, observation)]
    if mask is not None:
        valid = np.flatnonzero(mask)
        lines.append(f"valid actions ({len(valid)} of {len(mask)}): {valid.tolist()}")
    return "\n".join(lines) + "\n"


def render_image(
    space: spaces.Box, observation: np.ndarray, mask: Optional[np.ndarray]
) -> np.ndarray:
    """The observation as a ``uint8`` RGB image: one column per component, its height the
    value scaled by the space's bounds (or by the largest value where a bound is infinite),
    and a strip below of the actions, green where valid."""
    height, strip = 64, 8
    low = np.where(np.isfinite(space.low), space.low, 0.0)
    high = np.where(np.isfinite(space.high), space.high, np.maximum(np.abs(observation), 1.0))
    scale = np.clip((observation - low) / np.maximum(high - low, 1e-12), 0.0, 1.0)
    width = max(len(observation), len(mask) if mask is not None else 0, 1)
    image = np.full((height + strip, width, 3), 255, dtype=np.uint8)
    for x, s in enumerate(scale):
        top = height - int(round(s * height))
        image[top:height, x] = (31, 119, 180)
    if mask is not None:
        image[height:, : len(mask)] = np.where(
            np.asarray(mask, dtype=bool)[:, None], (44, 160, 44), (214, 39, 40)
        )[None, :, :]
    return image


class ProblemEnv(gymnasium.Env[np.ndarray, np.int64]):
    """The environment of a registered problem (``mei4llm/<Problem>-v0``).

    Observations are ``float32`` arrays in ``observation_space``; actions are integers of
    ``action_space`` (``Discrete``). ``info["action_mask"]`` (``int8``, the dtype
    ``Discrete.sample(mask=...)`` takes) and :meth:`action_masks` (``bool``, as sb3-contrib's
    ``MaskablePPO`` expects) mark the valid actions; an action outside the mask is carried out
    as the environment's documented replacement and ``info["invalid_action"]`` is set. At the
    end of an epoch ``info`` also holds the report (objective, and with ``optimum=`` a solver
    name, the reference solver's optimum and the regret); every value in it pickles.

    Seeding follows Gymnasium: ``reset(seed=s)`` fixes the episode; ``reset()`` continues the
    random stream; the first ``reset()`` without a seed draws one from ``self.np_random``.

    Args:
        problem: the registered problem (``split``, ``caching``, ``batching``, …).
        scenario: a ``mei4llm.Scenario``, a scenario file, or a bundled scenario's name
            (default: the problem's bundled default).
        render_mode: ``None``, ``"ansi"`` or ``"rgb_array"``.
        **kwargs: the problem's environment options (``docs/environments.md``); bad ones raise
            ``ValueError`` with the message of the Rust crate.
    """

    metadata: dict[str, Any] = {
        "render_modes": RENDER_MODES,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        problem: str,
        scenario: Optional[Scenario] = None,
        render_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        self.render_mode = _check_render_mode(render_mode)
        self.problem = problem
        self._core = _core.Env(
            problem, scenario if scenario is not None else default_scenario(problem), **kwargs
        )
        low, high, names, actions = self._core.spaces()
        self.observation_space = box(low, high)
        self.action_space = spaces.Discrete(actions)
        self.observation_names: list[str] = list(names)
        """What each observation component is (name and unit), in order."""
        self._observation: Optional[np.ndarray] = None
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
        self._observation, self._mask = observation, mask
        return observation, {"action_mask": mask}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Takes ``action``; ``info`` holds the mask of the next observation."""
        observation, reward, terminated, truncated, mask, extra = self._core.step(int(action))
        self._observation, self._mask = observation, mask
        info: dict[str, Any] = {"action_mask": mask}
        if extra is not None:
            info.update(extra)
        return observation, reward, terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """The valid actions of the current observation, as ``bool``."""
        mask = self._mask if self._mask is not None else self._core.action_mask()
        return mask.astype(bool)

    def render(self) -> Union[None, str, np.ndarray]:
        """The current observation as text (``ansi``), as an image (``rgb_array``), or
        nothing (``render_mode=None``)."""
        if self.render_mode is None or self._observation is None:
            return None
        if self.render_mode == "ansi":
            return render_text(self.observation_names, self._observation, self._mask)
        return render_image(self.observation_space, self._observation, self._mask)


class ProblemVectorEnv(gymnasium.vector.VectorEnv):
    """``num_envs`` environments of a registered problem stepped together in Rust: one call
    into Rust per step, observations written by Rust into one ``(num_envs, n)`` array.

    Autoreset is next-step (``metadata["autoreset_mode"]``): the step after an episode ends
    ignores that environment's action and returns its first observation of a new episode,
    with reward 0. Environment ``i`` is reset with ``seed + i``. ``info["action_mask"]`` is
    the ``(num_envs, actions)`` ``int8`` mask; reports of environments that ended an epoch are
    added as Gymnasium batches vector infos, built by Rust in the same call: for each key an
    array over the environments (``int64``, ``float64``, ``bool``, or ``object`` with ``None``
    where absent) and the ``bool`` mask ``_key`` of the environments that report it.
    ``info["instance"][i]`` and ``info["decision"][i]`` are those of environment ``i``, ready
    for ``mei4llm.evaluate``.

    The keyword arguments are those of :class:`ProblemEnv`, plus ``parallel`` (step the
    environments on Rust's thread pool; the results are the same either way).
    """

    metadata: dict[str, Any] = {
        "render_modes": RENDER_MODES,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        problem: str,
        num_envs: int = 1,
        scenario: Optional[Scenario] = None,
        parallel: bool = True,
        render_mode: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        self.render_mode = _check_render_mode(render_mode)
        self.problem = problem
        self._core = _core.VecEnv(
            problem,
            num_envs,
            scenario if scenario is not None else default_scenario(problem),
            parallel=parallel,
            **kwargs,
        )
        self.num_envs = num_envs
        low, high, names, actions = self._core.spaces()
        self.single_observation_space = box(low, high)
        self.single_action_space = spaces.Discrete(actions)
        self.observation_space = gymnasium.vector.utils.batch_space(
            self.single_observation_space, num_envs
        )
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self.observation_names: list[str] = list(names)
        """What each observation component is (name and unit), in order."""
        self._observations: Optional[np.ndarray] = None
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
        self._observations, self._masks = observations, masks
        return observations, {"action_mask": masks}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every environment with one call into Rust."""
        actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        observations, rewards, terminated, truncated, masks, invalid, reports = self._core.step(
            actions
        )
        self._observations, self._masks = observations, masks
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

    def render(self) -> Union[None, str, tuple[np.ndarray, ...]]:
        """Every environment's observation as text (``ansi``) or images (``rgb_array``)."""
        if self.render_mode is None or self._observations is None or self._masks is None:
            return None
        if self.render_mode == "ansi":
            return "\n".join(
                f"[{i}]\n" + render_text(self.observation_names, o, m)
                for i, (o, m) in enumerate(zip(self._observations, self._masks))
            )
        return tuple(
            render_image(self.single_observation_space, o, m)
            for o, m in zip(self._observations, self._masks)
        )
