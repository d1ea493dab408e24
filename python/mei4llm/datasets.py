"""The files the package carries: every bundled scenario and the data they read (traces,
model and hardware profiles, network tables), to name from any folder, read, or copy and
edit::

    import mei4llm
    mei4llm.datasets.files()                           # every bundled path
    text = mei4llm.datasets.read_text("scenarios/small.toml")
    mei4llm.datasets.copy("scenarios/small.toml", "my-small.toml")   # then edit and load it

A copied scenario's relative paths (its trace) resolve against the copy's folder, so copy the
data it names too (``copy("datasets/traces/azure_llm_2023_conv.csv", ...)``), or refer to the
bundled file as ``bundled:datasets/traces/azure_llm_2023_conv.csv``.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Union

from . import _core

__all__ = ["copy", "files", "read_bytes", "read_text"]


def files() -> list[str]:
    """The paths of every bundled file (``scenarios/small.toml``, ``datasets/...``)."""
    return list(_core.bundled_files())


def read_bytes(path: str) -> bytes:
    """The bytes of the bundled file at ``path``."""
    return bytes(_core.bundled_file(path))


def read_text(path: str) -> str:
    """The bundled file at ``path`` as UTF-8 text."""
    return read_bytes(path).decode("utf-8")


def copy(path: str, to: Union[str, "PathLike[str]"]) -> Path:
    """Writes the bundled file at ``path`` to ``to`` (a file, or a folder to write it into);
    returns where it was written."""
    target = Path(to)
    if target.is_dir():
        target = target / Path(path).name
    target.write_bytes(read_bytes(path))
    return target
