"""Balances at any date: open documents and unapplied credit, for one or many dates.

One engine serves a single as-of date and a weekly history alike: each item
(document, payment or credit note) is open from its own date until the day its
allocations reach its amount (``consumed``), so the items open at a list of
dates come from one pass over the ledger, and only partially allocated items
need their allocations summed (CONVENTIONS §1 and its fine points).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from .model import Ledger
from .settlement import consumed_dates


def _open_at(
    items: pl.DataFrame,
    allocations: pl.DataFrame,
    key: str,
    alloc_key: str,
    date_col: str,
    dates: Sequence[date],
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Rows ``(as_of, <item columns>, open)`` for every item with an open amount at each date.

    ``columns`` limits the item columns carried (the key, dates and amount always are), which
    keeps a many-date history of a large ledger small.
    """
    if columns is not None:
        keep = [key, date_col, "amount", "consumed", "first_allocation", *columns]
        items = items.select([c for c in dict.fromkeys(keep) if c in items.columns])
    if "consumed" not in items.columns:
        items = consumed_dates(items, allocations, key, alloc_key)
    parts = [
        items.filter((pl.col(date_col) <= d) & (pl.col("consumed").is_null() | (pl.col("consumed") > d))).with_columns(
            pl.lit(d, pl.Date).alias("as_of")
        )
        for d in sorted(set(dates))
    ]
    cand = pl.concat(parts) if parts else items.clear().with_columns(pl.lit(None, pl.Date).alias("as_of"))
    # only items already partly allocated at a date need their allocations summed
    partial = cand.filter(pl.col("first_allocation") <= pl.col("as_of")).select(key, "as_of")
    wanted = allocations.filter(pl.col(alloc_key).is_in(partial[key].unique().implode()))
    paid = (
        partial.join(wanted.select(pl.col(alloc_key).alias(key), "allocation_date", "amount"), on=key, how="inner")
        .filter(pl.col("allocation_date") <= pl.col("as_of"))
        .group_by(key, "as_of")
        .agg(pl.col("amount").sum().alias("_paid"))
    )
    return (
        cand.join(paid, on=[key, "as_of"], how="left")
        .with_columns((pl.col("amount") - pl.col("_paid").fill_null(0)).alias("open"))
        .drop("_paid")
        .filter(pl.col("open") > 0)
    )


def open_items(ledger: Ledger, dates: date | Sequence[date], columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Open invoices and debit notes at one or several dates.

    Columns: ``as_of`` plus the document's columns (or only ``columns``),
    ``consumed`` (settlement date if any) and ``open`` (Int64 mills, > 0). Documents dated after a date
    and allocations dated after it are ignored for that date.
    """
    dates = [dates] if isinstance(dates, date) else list(dates)
    return _open_at(ledger.receivables, ledger.allocations, "key", "document_key", "doc_date", dates, columns)


def unapplied_credit(
    ledger: Ledger, dates: date | Sequence[date], columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Payments and credit notes not yet fully allocated at one or several dates.

    Columns: ``as_of, source_id, source_kind, customer_id, entity, currency,
    date, amount, consumed, open`` with ``open`` the unapplied part (mills).
    Unidentified payments have a null ``customer_id``.
    """
    dates = [dates] if isinstance(dates, date) else list(dates)
    return _open_at(ledger.credit_sources, ledger.allocations, "key", "source_key", "date", dates, columns)
