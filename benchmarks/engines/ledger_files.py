"""What the reference engines need to know about a ledger folder besides its tables.

The references read the same Parquet files as the workbench. Two facts come
from elsewhere: the reporting currency (``ledger.toml``, default EUR) and the
rows the workbench loader quarantines, which the references drop too so that
all engines see the same ledger (see :func:`quarantined_rows`).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

#: Tables the aging and KPIs read.
TABLES: tuple[str, ...] = ("documents", "payments", "allocations", "fx_rates")
#: Rows to drop per table, as 1-based row numbers of the Parquet file.
Exclusions = Mapping[str, list[int]]


def reporting_currency(folder: Path) -> str:
    """The ledger's reporting currency from ``ledger.toml`` (EUR when absent)."""
    path = folder / "ledger.toml"
    if not path.is_file():
        return "EUR"
    return str(tomllib.loads(path.read_text(encoding="utf-8")).get("reporting_currency", "EUR"))


def table_path(folder: Path, table: str) -> Path:
    """The Parquet file of a table (the benchmark ledgers are Parquet only)."""
    path = folder / f"{table}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the reference engines read Parquet ledgers only")
    return path


def quarantined_rows(report_quarantine: Mapping[str, object]) -> dict[str, list[int]]:
    """Row numbers per table from a workbench ``LoadReport.quarantine`` mapping.

    For Parquet the loader's ``_line`` is the 1-based row number, which is
    what the references filter on.
    """
    out: dict[str, list[int]] = {}
    for file, frame in report_quarantine.items():
        stem = file.rsplit(".", 1)[0]
        out[stem] = sorted(int(x) for x in frame["_line"].to_list())  # type: ignore[index]
    return out


def read_exclusions(path: Path | None) -> dict[str, list[int]]:
    """Exclusions saved as JSON by the benchmark runner (empty when no file)."""
    if path is None or not path.is_file():
        return {}
    return {k: [int(x) for x in v] for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
