"""Frames as plain Python rows, whichever library made them (polars or pandas).

An edge helper: the spreadsheet and CSV exports and the presentation layer
(HTML tables, charts) all read frames through :func:`frame_rows`, so a
numpy scalar, a NaN or a pandas timestamp reaches them as ``int``/``float``,
``None`` and ``datetime``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

__all__ = ["frame_rows", "plain_value"]


def plain_value(value: Any) -> Any:
    """Normalise one frame value: numpy scalars → Python, NaN/NA/NaT → ``None``."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        value = item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in {"NAType", "NaTType"}:
        return None
    if isinstance(value, datetime) and type(value) is not datetime:
        # pandas.Timestamp → datetime, so callers see one type.
        value = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return value


def frame_rows(frame: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows (plain Python values) of a polars or pandas frame."""
    module = type(frame).__module__.split(".")[0]
    if module == "polars":
        columns = [str(name) for name in frame.columns]
        rows = frame.rows()
    elif module == "pandas":
        columns = [str(name) for name in frame.columns]
        rows = list(frame.itertuples(index=False, name=None))
    else:
        raise TypeError(f"expected a polars or pandas DataFrame, not {type(frame).__name__}")
    return columns, [tuple(plain_value(value) for value in row) for row in rows]
