"""Business days per country: the one place in the workbench that knows public holidays.

A business day of a country is a day that is neither in that country's
weekend nor one of its national public holidays, as listed by the
``holidays`` package (national holidays only, no regional ones). A country
code the package does not know (or a missing one) gets a Saturday/Sunday
weekend and no holidays, so any ledger works.

Everything is vectorised: :func:`business_day_table` gives, for each
country and every day of a range, whether it is a business day and the
next/previous business day, and the helpers join that table onto frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import cast

import numpy as np
import polars as pl

FIRST_DAY = date(1970, 1, 1)
"""The earliest date the workbench accepts (ledger dates, journal dates, as-of dates)."""
LAST_DAY = date(2100, 12, 31)
"""The latest date the workbench accepts."""


def date_in_range(day: date) -> bool:
    """Whether ``day`` lies in the supported range :data:`FIRST_DAY` .. :data:`LAST_DAY`."""
    return FIRST_DAY <= day <= LAST_DAY


__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "date_in_range",
    "DEFAULT_WEEKEND",
    "BusinessDayCounter",
    "business_day_table",
    "holiday_table",
    "holidays_of",
    "is_business_day",
    "last_business_day_on_or_before",
    "next_business_day",
    "roll_forward",
    "weekend_of",
]

DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})
"""Saturday and Sunday (``date.weekday()`` numbers), for countries the holiday package does not know."""

_EPOCH = date(1970, 1, 1)
_MARGIN_DAYS = 40  # tables extend this far past the asked range so every day has a next business day


def _key(country: str | None) -> str:
    return (country or "").strip().upper()


@lru_cache(maxsize=4096)
def _year(country: str, year: int) -> tuple[frozenset[date], frozenset[int], tuple[tuple[date, str], ...]]:
    """(holiday dates, weekend weekdays, (date, name) pairs) of one country and year."""
    if not country:
        return frozenset(), DEFAULT_WEEKEND, ()
    try:
        import holidays
    except ImportError as exc:  # pragma: no cover - the package is a declared dependency
        raise ImportError("workbench.calendar needs the 'holidays' package (pip install holidays)") from exc
    try:
        table = holidays.country_holidays(country, years=year)
    except (NotImplementedError, KeyError):
        return frozenset(), DEFAULT_WEEKEND, ()
    weekend = frozenset(getattr(table, "weekend", DEFAULT_WEEKEND)) or DEFAULT_WEEKEND
    pairs = tuple(sorted((d, str(name)) for d, name in table.items() if d.year == year))
    return frozenset(d for d, _ in pairs), weekend, pairs


def holidays_of(country: str | None, first: date, last: date) -> list[tuple[date, str]]:
    """National public holidays of ``country`` with ``first <= date <= last``, as ``(date, name)``."""
    out: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        out.extend(p for p in _year(_key(country), year)[2] if first <= p[0] <= last)
    return out


def weekend_of(country: str | None, year: int = 2000) -> frozenset[int]:
    """Weekend weekdays of a country (Monday = 0); Saturday/Sunday when unknown."""
    return _year(_key(country), year)[1]


def is_business_day(country: str | None, day: date) -> bool:
    """True when ``day`` is neither a weekend day nor a public holiday of ``country``."""
    days, weekend, _ = _year(_key(country), day.year)
    return day.weekday() not in weekend and day not in days


def holiday_table(countries: Iterable[str | None], first: date, last: date) -> pl.DataFrame:
    """Public holidays of several countries: ``country, date, name`` (country as given, upper-cased)."""
    rows = [(_key(c), d, name) for c in sorted({_key(c) for c in countries}) for d, name in holidays_of(c, first, last)]
    return pl.DataFrame(rows, schema={"country": pl.String, "date": pl.Date, "name": pl.String}, orient="row")


def _country_days(country: str, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers ``first..last`` and whether each is a business day of ``country``."""
    start = (first - _EPOCH).days
    days = np.arange(start, (last - _EPOCH).days + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    business = np.ones(days.size, dtype=bool)
    for year in range(first.year, last.year + 1):
        holiday_days, weekend, _ = _year(country, year)
        in_year = (days >= (date(year, 1, 1) - _EPOCH).days) & (days <= (date(year, 12, 31) - _EPOCH).days)
        for wd in weekend:
            business &= ~(in_year & (weekday == wd))
        for d in holiday_days:
            index = (d - _EPOCH).days - start
            if 0 <= index < days.size:
                business[index] = False
    return days, business


def business_day_table(countries: Iterable[str | None], first: date, last: date) -> pl.DataFrame:
    """For each country and each day ``first..last``: business day or not, and the neighbours.

    Columns: ``country`` (upper-cased; ``""`` for a missing country), ``date``,
    ``business_day`` (bool), ``next_business_day`` (the first business day on
    or after ``date``) and ``previous_business_day`` (the last one on or
    before ``date``).
    """
    parts = []
    lo, hi = first - timedelta(days=_MARGIN_DAYS), last + timedelta(days=_MARGIN_DAYS)
    for country in sorted({_key(c) for c in countries}):
        days, business = _country_days(country, lo, hi)
        positions = np.flatnonzero(business)
        after = np.searchsorted(positions, np.arange(days.size), side="left")
        before = np.searchsorted(positions, np.arange(days.size), side="right") - 1
        nxt = days[positions[np.minimum(after, positions.size - 1)]]
        prv = days[positions[np.maximum(before, 0)]]
        keep = (days >= (first - _EPOCH).days) & (days <= (last - _EPOCH).days)
        parts.append(
            pl.DataFrame(
                {
                    "country": pl.Series([country] * int(keep.sum()), dtype=pl.String),
                    "date": pl.Series(days[keep].astype(np.int32)).cast(pl.Date),
                    "business_day": business[keep],
                    "next_business_day": pl.Series(nxt[keep].astype(np.int32)).cast(pl.Date),
                    "previous_business_day": pl.Series(prv[keep].astype(np.int32)).cast(pl.Date),
                }
            )
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "country": pl.String,
                "date": pl.Date,
                "business_day": pl.Boolean,
                "next_business_day": pl.Date,
                "previous_business_day": pl.Date,
            }
        )
    return pl.concat(parts)


def next_business_day(country: str | None, day: date) -> date:
    """The first business day of ``country`` on or after ``day``."""
    while not is_business_day(country, day):
        day += timedelta(days=1)
    return day


def last_business_day_on_or_before(country: str | None, day: date) -> date:
    """The last business day of ``country`` on or before ``day``."""
    while not is_business_day(country, day):
        day -= timedelta(days=1)
    return day


def roll_forward(frame: pl.DataFrame, date_col: str, country_col: str, out: str | None = None) -> pl.DataFrame:
    """``frame`` with ``out`` (default: ``date_col`` itself) moved to the next business day of its country.

    Null dates stay null. One table lookup per row (no Python loop per row).
    """
    out = out or date_col
    dates = frame[date_col].drop_nulls()
    if dates.len() == 0:
        return frame.with_columns(pl.col(date_col).alias(out))
    table = business_day_table(
        frame[country_col].unique().to_list(), cast(date, dates.min()), cast(date, dates.max())
    ).select("country", "date", "next_business_day")
    keyed = frame.with_columns(
        pl.col(country_col).fill_null("").str.strip_chars().str.to_uppercase().alias("_cal_country")
    )
    joined = keyed.join(
        table, left_on=["_cal_country", date_col], right_on=["country", "date"], how="left", maintain_order="left"
    )
    return joined.with_columns(pl.col("next_business_day").alias(out)).drop(
        [c for c in ("_cal_country", "next_business_day") if c != out]
    )


class BusinessDayCounter:
    """Business-day counts of several countries from a fixed origin: ``count(x)`` = business days in [origin, x].

    Delays measured as ``count(payment) − count(due)`` are in business days of
    the country ("paid 3 business days after due"), and ``day_of`` turns a
    count back into the business day that carries it. Tables are built for
    the range asked and widened on demand (days before the origin count as
    the origin).
    """

    def __init__(self, countries: Iterable[str | None], origin: date, last: date | None = None) -> None:
        self.countries = [_key(c) for c in countries]
        self.origin = origin
        self._origin_day = (origin - _EPOCH).days
        self._last = origin
        self._counts = np.zeros((len(self.countries), 1), dtype=np.int64)
        self._days: list[np.ndarray] = [np.zeros(0, dtype=np.int64) for _ in self.countries]
        self._extend(last or origin)

    def _extend(self, last: date) -> None:
        if last <= self._last and self._counts.shape[1] > 1:
            return
        last = max(last, self._last) + timedelta(days=366)
        counts, days = [], []
        for country in self.countries:
            numbers, business = _country_days(country, self.origin, last)
            counts.append(np.cumsum(business))
            days.append(numbers[business])
        self._counts = np.vstack(counts) if counts else np.zeros((0, (last - self.origin).days + 1), dtype=np.int64)
        self._days = days
        self._last = last

    def count(self, country: np.ndarray, day: np.ndarray, *, forward: bool = False) -> np.ndarray:
        """Business days in [origin, day] for each (country index, day number since 1970-01-01).

        With ``forward`` a day that is not a business day counts as the next
        business day (``count(day − 1) + 1``): a due date on a Saturday is
        met on Monday.
        """
        day = np.asarray(day, dtype=np.int64)
        if forward:
            return self.count(country, day - 1) + 1
        if day.size and int(day.max()) > (self._last - _EPOCH).days:
            self._extend(_EPOCH + timedelta(days=int(day.max())))
        offset = np.clip(day - self._origin_day, 0, self._counts.shape[1] - 1)
        return self._counts[np.asarray(country, dtype=np.int64), offset]

    def day_of(self, country: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Day number of the business day whose count is ``count`` (the first business day for counts < 1)."""
        country = np.asarray(country, dtype=np.int64)
        count = np.asarray(count, dtype=np.int64)
        out = np.empty(count.size, dtype=np.int64)
        for index in np.unique(country):
            mine = country == index
            days = self._days[index]
            while count[mine].size and int(count[mine].max()) > days.size:
                self._extend(self._last + timedelta(days=366))
                days = self._days[index]
            out[mine] = days[np.clip(count[mine] - 1, 0, days.size - 1)]
        return out
