"""Small vectorised helpers: dates as day numbers, exact money as integer cents."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

EPOCH = date(1970, 1, 1)
NEVER = np.int64(10**7)  # a day number far beyond any as-of date


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for day numbers (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def next_business_day(days: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays forward to the following Monday."""
    wd = weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def business_day_within(days: np.ndarray, last: int) -> np.ndarray:
    """Move weekend days to a nearby weekday that is not after ``last``.

    Saturday goes back to Friday; Sunday goes forward to Monday unless that
    passes ``last``, then back to Friday.
    """
    wd = weekday(days)
    moved = days + np.where(wd == 5, -1, np.where(wd == 6, 1, 0))
    return np.where(moved > last, moved - 3 * (wd == 6), moved)


def posting_lag(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days between receipt and posting: same day mostly, sometimes 1-5 days."""
    return np.where(rng.random(n) < 0.85, 0, rng.integers(1, 6, n))


def to_date(days: np.ndarray) -> pl.Series:
    """Day numbers to a polars Date series."""
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def cents(values: np.ndarray) -> np.ndarray:
    """Round float amounts to integer cents."""
    return np.rint(np.asarray(values) * 100.0).astype(np.int64)


def fixed_point(expr: pl.Expr, places: int) -> pl.Expr:
    """Format an integer number of 10**-places units as an exact decimal string.

    ``fixed_point(123450, 2)`` gives ``"1234.50"``; negatives keep their sign;
    nulls stay null.
    """
    unit = 10**places
    magnitude = expr.abs()
    text = pl.concat_str(
        [
            pl.when(expr < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            (magnitude // unit).cast(pl.String),
            pl.lit("."),
            (magnitude % unit).cast(pl.String).str.zfill(places),
        ]
    )
    return pl.when(expr.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(text)


def cents_text(expr: pl.Expr) -> pl.Expr:
    """Integer cents to a 2-decimal string ("1234.50")."""
    return fixed_point(expr, 2)


def group_offsets(counts: np.ndarray) -> np.ndarray:
    """Start index of each group in a flat array built with ``np.repeat``."""
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group of a flat array built with ``np.repeat``."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(group_offsets(counts), counts)


def padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """``prefix`` + zero-padded numbers, e.g. ``INV-00000042``."""
    return pl.select(pl.lit(prefix) + pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(width)).to_series()
