"""How recent a ledger's data is, and whether an as-of date lies too far after it.

A ledger exported in November and asked about in June shows every item
overdue and no cash collected: a silent wrong answer. The *last data date*
is the latest document date, payment value date and allocation date;
an as-of date more than :data:`STALE_AFTER_DAYS` days after it is *stale*.
Commands refuse a stale as-of date (unless ``--allow-future``); reports show
a warning at the top instead.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ..errors import WorkbenchError

__all__ = ["STALE_AFTER_DAYS", "StaleAsOfError", "days_after_data", "last_data_date", "stale_note"]

STALE_AFTER_DAYS = 31
"""An as-of date more than this many days after the ledger's last data is stale."""

_DATE_COLUMNS = {"documents": "doc_date", "payments": "value_date", "allocations": "allocation_date"}


class StaleAsOfError(WorkbenchError):
    """An as-of date lies too long after the ledger's last data."""


def _latest(frame: pl.DataFrame, column: str) -> date | None:
    if column not in frame.columns or frame.height == 0:
        return None
    value = frame.get_column(column).max()
    return value if isinstance(value, date) else None


def last_data_date(documents: pl.DataFrame, payments: pl.DataFrame, allocations: pl.DataFrame) -> date | None:
    """The latest of the document dates, payment value dates and allocation dates; None for an empty ledger."""
    found = [
        _latest(documents, _DATE_COLUMNS["documents"]),
        _latest(payments, _DATE_COLUMNS["payments"]),
        _latest(allocations, _DATE_COLUMNS["allocations"]),
    ]
    days = [d for d in found if d is not None]
    return max(days) if days else None


def days_after_data(last: date | None, as_of: date, limit: int = STALE_AFTER_DAYS) -> int | None:
    """Days from ``last`` to ``as_of`` when they exceed ``limit`` (the as-of date is stale), else None."""
    if last is None:
        return None
    gap = (as_of - last).days
    return gap if gap > limit else None


def stale_note(last: date | None, as_of: date, limit: int = STALE_AFTER_DAYS) -> str | None:
    """The warning a report prints when ``as_of`` is stale for data ending on ``last``, else None."""
    gap = days_after_data(last, as_of, limit)
    if gap is None or last is None:
        return None
    return (
        f"The as-of date {as_of.isoformat()} is {gap} days after the ledger's last data ({last.isoformat()}): "
        "the ledger looks stale, so items may show as overdue that were paid since, and cash received after "
        f"{last.isoformat()} is missing. Re-import the ledger for current figures."
    )
