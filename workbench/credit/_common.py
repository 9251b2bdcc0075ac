"""Shared helpers of the credit modules: ledger subsets, calendar months, flags.

Currency conversion is :class:`workbench.fx.FxTable`'s (``convert``, ``convert_money``, ``from_reporting``)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

import polars as pl

from ..ledger.model import Ledger


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    y, m = divmod(day.year * 12 + (day.month - 1) - months, 12)
    m += 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def subset(ledger: Ledger, customer_ids: Iterable[str]) -> Ledger:
    """The ledger restricted to some customers (documents, payments, allocations, orders, financials, contacts).

    Every per-customer figure of the credit modules depends only on the
    customer's own rows, so it is the same on the subset: this is how a single
    order check stays fast on a large ledger.
    """
    ids = pl.Series(list(customer_ids), dtype=pl.String).implode()
    docs = ledger.documents.filter(pl.col("customer_id").is_in(ids))
    pays = ledger.payments.filter(pl.col("customer_id").is_in(ids))
    allocs = ledger.allocations.filter(pl.col("document_id").is_in(docs["document_id"].implode()))
    return Ledger(
        ledger.company,
        ledger.reporting_currency,
        ledger.customers.filter(pl.col("customer_id").is_in(ids)),
        docs,
        pays,
        allocs,
        ledger.fx,
        ledger.orders.filter(pl.col("customer_id").is_in(ids)),
        ledger.financials.filter(pl.col("customer_id").is_in(ids)),
        ledger.report,
        ledger.contacts.filter(pl.col("customer_id").is_in(ids)),
    )


def truthy(value: object) -> bool:
    """A flag written as text (``true/yes/1/y/x``) or bool."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().casefold() in {"true", "yes", "y", "1", "x"}
