"""Output helpers for credit frames: flat CSV-ready frames and JSON-ready records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

__all__ = ["flat_frame", "json_records"]


def flat_frame(frame: pl.DataFrame, separator: str = "; ") -> pl.DataFrame:
    """The frame with every list column joined into text (for CSV and spreadsheets)."""
    lists = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    return frame.with_columns(pl.col(name).list.join(separator) for name in lists)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def json_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts for ``json.dumps``: amounts as exact strings, dates ISO, lists kept."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
