"""Horizon weeks of a forecast (CONVENTIONS §10) and bucketing of dated amounts into them.

A forecast made as of D (end of day D) covers the days after D. Horizon week
1 is the ISO week (Monday to Sunday) containing D + 1, partial unless D is a
Sunday; week k is the (k - 1)-th ISO week after it. Weeks are named by their
Monday (``week_start``), even the partial first one.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

__all__ = ["HORIZON_GROUPS", "horizon_end", "horizon_group", "horizon_weeks", "week_index_expr", "week_start"]

HORIZON_GROUPS: tuple[str, ...] = ("1", "2-4", "5-13")
"""Horizon groups of the accuracy table: week 1, weeks 2-4, weeks 5-13."""


def week_start(day: date) -> date:
    """Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.weekday())


def horizon_end(as_of: date, weeks: int = 13) -> date:
    """Last day (a Sunday) of horizon week ``weeks`` of a forecast as of ``as_of``."""
    return week_start(as_of + timedelta(days=1)) + timedelta(days=7 * weeks - 1)


def horizon_weeks(as_of: date, weeks: int = 13) -> pl.DataFrame:
    """The horizon weeks: ``week`` (1..weeks), ``week_start`` (Monday), ``first_day``, ``last_day`` (Sunday).

    ``first_day`` is D + 1 for week 1 and the Monday for the others.

    >>> horizon_weeks(date(2025, 6, 4), 2).rows()[0]
    (1, datetime.date(2025, 6, 2), datetime.date(2025, 6, 5), datetime.date(2025, 6, 8))
    """
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, not {weeks}")
    first = week_start(as_of + timedelta(days=1))
    starts = [first + timedelta(days=7 * k) for k in range(weeks)]
    return pl.DataFrame(
        {
            "week": list(range(1, weeks + 1)),
            "week_start": starts,
            "first_day": [as_of + timedelta(days=1), *starts[1:]],
            "last_day": [s + timedelta(days=6) for s in starts],
        },
        schema={"week": pl.Int64, "week_start": pl.Date, "first_day": pl.Date, "last_day": pl.Date},
    )


def week_index_expr(day: pl.Expr, as_of: date, weeks: int = 13) -> pl.Expr:
    """Horizon week (1..weeks) of each date; null when the date is on/before ``as_of`` or after the horizon."""
    first = week_start(as_of + timedelta(days=1))
    index = (day - pl.lit(first, pl.Date)).dt.total_days() // 7 + 1
    return pl.when((day > pl.lit(as_of, pl.Date)) & (index <= weeks)).then(index)


def horizon_group(week: int) -> str:
    """``"1"``, ``"2-4"`` or ``"5-13"`` (weeks beyond 13 also fall in the last group)."""
    if week <= 1:
        return "1"
    if week <= 4:
        return "2-4"
    return "5-13"
