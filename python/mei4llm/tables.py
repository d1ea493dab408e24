"""The cost model's tables as pandas DataFrames: what ``mei4llm inspect`` prints.

Every figure is in base units, named in the column (``_s``, ``_bytes``, ``_flops``,
``_per_s``). Without ``prompt_tokens`` and ``output_tokens``, a request has the median lengths
of the Azure LLM conversation trace (2023): 1020 and 129 tokens.
"""

from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING, Optional, Union

from . import _core
from ._frames import frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas

__all__ = [
    "cost_table",
    "hardware_catalogue",
    "layer_table",
    "model_catalogue",
    "split_table",
]


def cost_table(
    scenario: Union[_core.Scenario, str, "PathLike[str]"],
    prompt_tokens: Optional[int] = None,
    output_tokens: Optional[int] = None,
    batch: Optional[int] = None,
    context_tokens: Optional[int] = None,
) -> "pandas.DataFrame":
    """Each model of a scenario on one node per distinct hardware of each role.

    ``scenario`` is a :class:`Scenario` or a scenario file. One row per model and node (``role`` is ``device``, ``edge`` or ``cloud``): the whole model
    on the node for a request of ``prompt_tokens`` and ``output_tokens`` tokens, at the model's
    device precision on devices and its server precision on servers. Columns: ``model``,
    ``node``, ``role``, ``precision``, ``prefill_s``, ``prefill_tokens_per_s``,
    ``decode_tokens_per_s``, ``end_to_end_s``, ``memory_needed_bytes``, ``memory_bytes``,
    ``fits``. With ``batch``, also one decode step of that many sequences of ``context_tokens``
    tokens each (default: ``prompt_tokens``) on every node, the serving model of ``batching``
    and ``serve``: ``batch_sequences``, ``batch_context_tokens``, ``batch_step_s``,
    ``batch_tokens_per_s_per_sequence``, ``batch_tokens_per_s``, ``batch_memory_needed_bytes``,
    ``batch_fits``. As ``mei4llm inspect --scenario`` (with ``--batch``, ``--context``).
    """
    columns = _core.cost_table(scenario, prompt_tokens, output_tokens, batch, context_tokens)
    return frame(columns, "mei4llm.cost_table")


def layer_table(
    model: str, precision: str = "fp16", prompt_tokens: Optional[int] = None
) -> "pandas.DataFrame":
    """One row per unit of catalogue model ``model`` (embedding, every block, head).

    Columns: ``unit``, ``params``, ``weight_bytes`` (at ``precision``: ``fp16``, ``int8`` or
    ``int4``), ``prefill_flops`` for a ``prompt_tokens``-token prompt, and ``decode_flops``
    and ``decode_bytes`` of one decode step at that context. As ``mei4llm inspect --model``.
    """
    return frame(_core.layer_table(model, precision, prompt_tokens), "mei4llm.layer_table")


def split_table(model: str, precision: str = "fp16") -> "pandas.DataFrame":
    """One row per split point ``split`` of catalogue model ``model``.

    The device runs the embedding and blocks ``1..split`` (0: server only; the number of
    blocks: device only). Columns: ``split``, ``device_weight_bytes``,
    ``server_weight_bytes``, ``activation_bytes_per_token`` (sent up per prompt token).
    """
    return frame(_core.split_table(model, precision), "mei4llm.split_table")


def model_catalogue() -> "pandas.DataFrame":
    """The bundled model architectures: their published configuration and ``params``."""
    return frame(_core.model_catalogue(), "mei4llm.model_catalogue")


def hardware_catalogue() -> "pandas.DataFrame":
    """The bundled hardware profiles: class, memory, bandwidth, fp16 peak, calibrated."""
    return frame(_core.hardware_catalogue(), "mei4llm.hardware_catalogue")
