"""Type stubs of the compiled module ``mei4llm._core`` (src/python/ in the Rust crate)."""

from os import PathLike
from typing import Any, Callable, Literal, Optional, Union

import numpy as np
from numpy.typing import NDArray

__version__: str

TIERS: list[str]
PRECISIONS: list[str]

class Error(Exception):
    """Every error raised by mei4llm."""

class InputError(Error, ValueError):
    """Bad input: a setting, file, name or value out of its domain (a ValueError)."""

class ScenarioError(InputError):
    """A scenario file or dict is wrong, or cannot make the instance asked for."""

class TraceError(InputError):
    """A trace file is wrong; the message names the file, line and field."""

class DecisionError(InputError):
    """A decision passed to evaluate has the wrong shape, type or values."""

class SolverError(Error, RuntimeError):
    """A solver failed (back-end error, unsupported instance, misbehaving policy, panic)."""

_Path = Union[str, PathLike[str]]
_Columns = dict[str, Any]

class Scenario:
    """A resolved scenario: every name looked up, every figure in base units."""

    @staticmethod
    def from_path(path: _Path) -> Scenario: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> Scenario: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class SplitInstance:
    """The ``split`` problem on the first epoch of a scenario's ``[workload]``."""

    @staticmethod
    def from_scenario(
        scenario: Scenario,
        objective: Literal["latency", "energy", "mixed"] = "latency",
        per_second: Optional[float] = None,
        per_joule: Optional[float] = None,
    ) -> SplitInstance: ...
    @property
    def problem(self) -> Literal["split"]: ...
    def __len__(self) -> int: ...

class CachingInstance:
    """The ``caching`` problem of a scenario's ``[caching]`` section."""

    @staticmethod
    def from_scenario(scenario: Scenario) -> CachingInstance: ...
    @property
    def problem(self) -> Literal["caching"]: ...
    @property
    def servers(self) -> int: ...
    @property
    def models(self) -> int: ...

class BatchingInstance:
    """The ``batching`` problem of a scenario's ``[batching]`` section: one admission decision."""

    @staticmethod
    def from_scenario(scenario: Scenario) -> BatchingInstance: ...
    @property
    def problem(self) -> Literal["batching"]: ...
    @property
    def servers(self) -> int: ...
    @property
    def servable_value(self) -> float: ...
    def __len__(self) -> int: ...

class Outcome:
    """What a solver returned, as plain Python values."""

    @property
    def problem(self) -> Literal["split", "caching", "batching"]: ...
    @property
    def solver(self) -> str: ...
    @property
    def status(
        self,
    ) -> Literal["optimal", "feasible", "time_limit", "infeasible", "not_found"]: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def sense(self) -> Literal["minimise", "maximise"]: ...
    @property
    def objective(self) -> Optional[float]: ...
    @property
    def bound(self) -> Optional[float]: ...
    @property
    def gap(self) -> Optional[float]: ...
    @property
    def time_s(self) -> float: ...
    @property
    def nodes(self) -> int: ...
    @property
    def iterations(self) -> int: ...
    @property
    def decision(self) -> Optional[dict[str, Any]]: ...
    @property
    def plan(self) -> list[dict[str, Any]]: ...

_Instance = Union[SplitInstance, CachingInstance, BatchingInstance]
_SplitArrays = dict[str, NDArray[Any]]
_Decision = Union[dict[str, Any], _SplitArrays, NDArray[np.bool_]]

class TraceRun:
    """A replayed trace: run.json, the records as columns, summary.json and timings.json."""

    @property
    def problem(self) -> Literal["split", "caching", "batching"]: ...
    @property
    def run(self) -> dict[str, Any]: ...
    @property
    def threads(self) -> Optional[int]: ...
    @property
    def wall_time_s(self) -> Optional[float]: ...
    def columns(self, table: Literal["epochs", "requests", "timings"]) -> _Columns: ...
    def summary(self) -> dict[str, Any]: ...
    def timing_summary(self) -> dict[str, Any]: ...
    def write(self, out: _Path) -> None: ...
    @staticmethod
    def merge(parts: list[TraceRun], wall_time_s: Optional[float] = None) -> TraceRun: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> TraceRun: ...
    def __len__(self) -> int: ...

def solve(
    instance: _Instance,
    solver: Union[str, Callable[[NDArray[np.float32], NDArray[np.int8]], int]] = "exact",
    time_limit: Optional[float] = None,
    gap: float = 1e-6,
    threads: int = 1,
    seed: int = 0,
) -> Outcome: ...
def evaluate(instance: _Instance, decision: _Decision) -> dict[str, Any]: ...
def solvers(problem: Literal["split", "caching", "batching"]) -> list[str]: ...

_ScenarioArg = Union[Scenario, str, PathLike[str]]
_PathArg = Union[str, PathLike[str]]
_Spaces = tuple[NDArray[np.float32], NDArray[np.float32], list[str], int]
_Step = tuple[
    NDArray[np.float32], float, bool, bool, NDArray[np.int8], Optional[dict[str, Any]]
]
_VecStep = tuple[
    NDArray[np.float32],
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.bool_],
    NDArray[np.int8],
    NDArray[np.bool_],
    dict[str, Any],
]

class SplitEnv:
    """The ``split`` environment (wrapped by ``mei4llm.envs.SplitEnv``)."""

    def __init__(
        self,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        epoch: Optional[str] = None,
        epochs_per_episode: int = 4,
        objective: Literal["latency", "energy", "mixed"] = "latency",
        per_second: Optional[float] = None,
        per_joule: Optional[float] = None,
        optimum: Literal["exact", "descent", "none"] = "exact",
        optimum_time_limit: float = 10.0,
        carrier: str = "VERIZON",
        connections: int = 1,
        server: str = "US-East",
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(self, seed: Optional[int] = None) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, action: int) -> _Step: ...
    def action_mask(self) -> NDArray[np.int8]: ...

class CachingEnv:
    """The ``caching`` environment (wrapped by ``mei4llm.envs.CachingEnv``)."""

    def __init__(
        self,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        window: str = "100",
        windows_per_episode: int = 4,
        optimum: bool = True,
        optimum_time_limit: float = 10.0,
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(self, seed: Optional[int] = None) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, action: int) -> _Step: ...
    def action_mask(self) -> NDArray[np.int8]: ...

class BatchingEnv:
    """The ``batching`` environment (wrapped by ``mei4llm.envs.BatchingEnv``)."""

    def __init__(
        self,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        requests: Optional[int] = None,
        decisions_per_episode: int = 4,
        optimum: str = "exact",
        optimum_time_limit: float = 10.0,
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(self, seed: Optional[int] = None) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, action: int) -> _Step: ...
    def action_mask(self) -> NDArray[np.int8]: ...

class VecSplitEnv:
    """``num_envs`` ``split`` environments stepped with one call (next-step autoreset)."""

    def __init__(
        self,
        num_envs: int,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        epoch: Optional[str] = None,
        epochs_per_episode: int = 4,
        objective: Literal["latency", "energy", "mixed"] = "latency",
        per_second: Optional[float] = None,
        per_joule: Optional[float] = None,
        optimum: Literal["exact", "descent", "none"] = "exact",
        optimum_time_limit: float = 10.0,
        carrier: str = "VERIZON",
        connections: int = 1,
        server: str = "US-East",
        parallel: bool = True,
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(
        self, seed: Optional[int] = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, actions: NDArray[np.int64]) -> _VecStep: ...

class VecCachingEnv:
    """``num_envs`` ``caching`` environments stepped with one call (next-step autoreset)."""

    def __init__(
        self,
        num_envs: int,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        window: str = "100",
        windows_per_episode: int = 4,
        optimum: bool = True,
        optimum_time_limit: float = 10.0,
        parallel: bool = True,
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(
        self, seed: Optional[int] = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, actions: NDArray[np.int64]) -> _VecStep: ...
class VecBatchingEnv:
    """``num_envs`` ``batching`` environments stepped with one call (next-step autoreset)."""

    def __init__(
        self,
        num_envs: int,
        scenario: _ScenarioArg,
        *,
        trace: Optional[_PathArg] = None,
        requests: Optional[int] = None,
        decisions_per_episode: int = 4,
        optimum: str = "exact",
        optimum_time_limit: float = 10.0,
        parallel: bool = True,
    ) -> None: ...
    def spaces(self) -> _Spaces: ...
    def reset(
        self, seed: Optional[int] = None
    ) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, actions: NDArray[np.int64]) -> _VecStep: ...

def decision_arrays(
    instance: _Instance, decision: Union[Outcome, _Decision]
) -> Optional[Union[_SplitArrays, NDArray[np.bool_]]]: ...
def cost_table(
    scenario: Union[Scenario, _Path],
    prompt_tokens: Optional[int] = None,
    output_tokens: Optional[int] = None,
) -> _Columns: ...
def layer_table(
    model: str, precision: str = "fp16", prompt_tokens: Optional[int] = None
) -> _Columns: ...
def split_table(model: str, precision: str = "fp16") -> _Columns: ...
def model_catalogue() -> _Columns: ...
def hardware_catalogue() -> _Columns: ...
def read_trace(
    path: _Path, limit: Optional[int] = None, skip_bad_rows: bool = False
) -> tuple[_Columns, dict[str, Any]]: ...
def solve_trace(
    scenario: Union[Scenario, _Path],
    trace: Optional[_Path] = None,
    problem: str = "split",
    solvers: Optional[list[str]] = None,
    epoch: Optional[str] = None,
    threads: Optional[int] = None,
    seed: Optional[int] = None,
    time_limit: Optional[float] = None,
    gap: float = 1e-6,
    max_epochs: Optional[int] = None,
    out: Optional[_Path] = None,
    skip_bad_rows: bool = False,
    objective: Literal["latency", "energy", "mixed"] = "latency",
    per_second: Optional[float] = None,
    per_joule: Optional[float] = None,
    ttft_slo_s: Optional[float] = None,
    tpot_slo_s: Optional[float] = None,
    e2e_slo_s: Optional[float] = None,
    in_flight: Optional[int] = None,
    shard: Optional[tuple[int, int]] = None,
    progress: Optional[Callable[[dict[str, Any]], None]] = None,
) -> TraceRun: ...
