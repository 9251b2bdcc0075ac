"""Country risk: the OECD country risk classification (0-7) as a dated data table.

The table ships as ``workbench/data/credit/country_risk.csv`` (columns
``country, oecd_class, as_of, basis``; see the README next to it for the source
and how to refresh it). For a date D the row used for a country is the latest
one dated on or before D. When every row of a country is dated after D the
earliest one is used and ``country_note`` says so. A country absent from the
table has no class: the factor is missing, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path

import polars as pl

from ..errors import WorkbenchError

__all__ = ["country_risk", "load_country_table"]

_SCHEMA = {"country": pl.String, "oecd_class": pl.Int64, "as_of": pl.Date, "basis": pl.String}


class CountryTableError(WorkbenchError):
    """The country risk table cannot be read or has invalid rows."""


def load_country_table(path: str | Path | None = None) -> pl.DataFrame:
    """The country risk table (default: the one shipped with the package), validated.

    Columns ``country, oecd_class, as_of`` are required (``basis`` optional);
    classes must be 0..7 and dates ISO.
    """
    if path is None:
        raw = resources.files("workbench.data.credit").joinpath("country_risk.csv").read_bytes()
        source: object = raw
        name = "workbench/data/credit/country_risk.csv"
    else:
        source, name = Path(path), str(path)
    try:
        frame = pl.read_csv(source, infer_schema=False, comment_prefix="#")  # type: ignore[arg-type]
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise CountryTableError(f"{name}: cannot read the country risk table: {exc}") from exc
    missing = [c for c in ("country", "oecd_class", "as_of") if c not in frame.columns]
    if missing:
        raise CountryTableError(f"{name}: missing column(s) {', '.join(missing)}")
    if "basis" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("basis"))
    typed = frame.select(
        pl.col("country").str.strip_chars().str.to_uppercase(),
        pl.col("oecd_class").str.strip_chars().cast(pl.Int64, strict=False),
        pl.col("as_of").str.strip_chars().str.to_date("%Y-%m-%d", strict=False),
        pl.col("basis"),
    )
    bad = typed.with_row_index("line", offset=2).filter(
        pl.col("oecd_class").is_null()
        | ~pl.col("oecd_class").is_between(0, 7)
        | pl.col("as_of").is_null()
        | pl.col("country").is_null()
    )
    if bad.height:
        lines = ", ".join(str(v) for v in bad["line"].head(5).to_list())
        raise CountryTableError(
            f"{name}: invalid row(s) at line(s) {lines}: need a country, a class 0-7 and an ISO date"
        )
    return typed.sort("country", "as_of")


def country_risk(countries: Iterable[str | None], as_of: date, table: pl.DataFrame | None = None) -> pl.DataFrame:
    """OECD class of each distinct country at ``as_of``.

    Returns ``country, oecd_class, table_as_of, basis, country_note`` (one row
    per distinct non-null country; ``oecd_class`` null when the table does not
    list the country).
    """
    table = load_country_table() if table is None else table
    wanted = sorted({c.strip().upper() for c in countries if c})
    rows = []
    for code in wanted:
        rows_c = table.filter(pl.col("country") == code)
        note = None
        if rows_c.height == 0:
            rows.append(
                {
                    "country": code,
                    "oecd_class": None,
                    "table_as_of": None,
                    "basis": None,
                    "country_note": f"{code} is not in the country risk table",
                }
            )
            continue
        known = rows_c.filter(pl.col("as_of") <= as_of)
        if known.height:
            row = known.row(-1, named=True)
        else:
            row = rows_c.row(0, named=True)
            note = f"earliest country risk row for {code} is dated {row['as_of']}, after the as-of date"
        rows.append(
            {
                "country": code,
                "oecd_class": row["oecd_class"],
                "table_as_of": row["as_of"],
                "basis": row["basis"],
                "country_note": note,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "country": pl.String,
            "oecd_class": pl.Int64,
            "table_as_of": pl.Date,
            "basis": pl.String,
            "country_note": pl.String,
        },
    )
