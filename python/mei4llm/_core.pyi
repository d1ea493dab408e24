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
    def bundled(name: str) -> Scenario: ...
    @staticmethod
    def from_dict(data: dict[str, Any]) -> Scenario: ...
    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

class Instance:
    """An instance of a registered problem (``problem`` says which); its facts (``requests``,
    ``servers``, …) are attributes."""

    @staticmethod
    def from_scenario(problem: str, scenario: Union[Scenario, _Path], **settings: Any) -> Instance: ...
    @property
    def problem(self) -> str: ...
    def __getattr__(self, name: str) -> Any: ...
    def __len__(self) -> int: ...

class Outcome:
    """What a solver returned, as plain Python values."""

    @property
    def problem(self) -> str: ...
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

_Instance = Instance
_SplitArrays = dict[str, NDArray[Any]]
_Decision = Union[dict[str, Any], _SplitArrays, NDArray[np.bool_]]

class TraceRun:
    """A replayed trace: run.json, the records as columns, summary.json and timings.json."""

    @property
    def problem(self) -> str:
        """The name of the registered problem the trace was replayed through (``split``,
        ``caching``, …; ``mei4llm.problems()`` lists them)."""
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
    time_limit_s: Optional[float] = None,
    gap: float = 1e-6,
    threads: int = 1,
    seed: int = 0,
) -> Outcome: ...
def evaluate(instance: _Instance, decision: _Decision) -> dict[str, Any]: ...
def solvers(problem: str) -> list[str]: ...
def problems() -> list[dict[str, Any]]: ...
def scenarios() -> list[str]: ...
def bundled_files() -> list[str]: ...
def bundled_file(path: str) -> bytes: ...

_ScenarioArg = Union[Scenario, str, PathLike[str]]
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

class Env:
    """The environment of a registered problem (wrapped by ``mei4llm.envs.ProblemEnv``)."""

    def __init__(self, problem: str, scenario: _ScenarioArg, **kwargs: Any) -> None: ...
    @property
    def problem(self) -> str: ...
    def spaces(self) -> _Spaces: ...
    def reset(self, seed: Optional[int] = None) -> tuple[NDArray[np.float32], NDArray[np.int8]]: ...
    def step(self, action: int) -> _Step: ...
    def action_mask(self) -> NDArray[np.int8]: ...

class VecEnv:
    """``num_envs`` environments of a registered problem stepped with one call (next-step
    autoreset)."""

    def __init__(
        self,
        problem: str,
        num_envs: int,
        scenario: _ScenarioArg,
        parallel: bool = True,
        **kwargs: Any,
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
    batch: Optional[int] = None,
    context_tokens: Optional[int] = None,
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
    time_limit_s: Optional[float] = None,
    gap: float = 1e-6,
    max_epochs: Optional[int] = None,
    out: Optional[_Path] = None,
    skip_bad_rows: bool = False,
    in_flight: Optional[int] = None,
    shard: Optional[tuple[int, int]] = None,
    progress: Optional[Callable[[dict[str, Any]], None]] = None,
    **settings: Any,
) -> TraceRun: ...
