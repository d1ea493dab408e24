"""DataFrames from the columns the compiled module builds (``{name: array}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import pandas


def pandas_module(what: str) -> Any:
    """The pandas module, or an ``ImportError`` saying that ``what`` needs it."""
    try:
        import pandas
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(f"{what} needs pandas: pip install 'mei4llm[pandas]'") from error
    return pandas


def frame(columns: Mapping[str, Any], what: str) -> "pandas.DataFrame":
    """A DataFrame of ``columns``: numpy arrays and lists as they are, ``(values, mask)`` pairs
    as pandas' nullable ``Int64`` or ``boolean`` arrays."""
    pd = pandas_module(what)
    data = {}
    for name, column in columns.items():
        if isinstance(column, tuple):
            values, mask = column
            if values.dtype.kind == "b":
                data[name] = pd.arrays.BooleanArray(values, mask)
            else:
                data[name] = pd.arrays.IntegerArray(values, mask)
        else:
            data[name] = column
    return pd.DataFrame(data)
