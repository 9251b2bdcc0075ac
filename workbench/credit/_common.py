"""Shared helpers of the credit modules: ledger subsets, calendar months, currency conversion."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import polars as pl

from ..fx import FxTable
from ..ledger.model import Ledger
from ..money import AMOUNT_DECIMALS, CONVERTED_DECIMALS
from ._num import div


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    y, m = divmod(day.year * 12 + (day.month - 1) - months, 12)
    m += 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def subset(ledger: Ledger, customer_ids: Iterable[str]) -> Ledger:
    """The ledger restricted to some customers (documents, payments, allocations, orders, financials).

    Every per-customer figure of the credit modules depends only on the
    customer's own rows, so it is the same on the subset: this is how a single
    order check stays fast on a large ledger.
    """
    ids = pl.Series(list(customer_ids), dtype=pl.String).implode()
    docs = ledger.documents.filter(pl.col("customer_id").is_in(ids))
    pays = ledger.payments.filter(pl.col("customer_id").is_in(ids))
    allocs = ledger.allocations.filter(pl.col("document_id").is_in(docs["document_id"].implode()))
    return Ledger(
        ledger.company, ledger.reporting_currency, ledger.customers.filter(pl.col("customer_id").is_in(ids)),
        docs, pays, allocs, ledger.fx, ledger.orders.filter(pl.col("customer_id").is_in(ids)),
        ledger.financials.filter(pl.col("customer_id").is_in(ids)), ledger.report,
    )


def cross_rate(fx: FxTable, source: str, target: str, on: date) -> Decimal:
    """Value of one unit of ``source`` in ``target`` on ``on`` (via the reporting currency, exact to 80 digits).

    Raises :class:`~workbench.errors.MissingRateError` when either currency has no rate.
    """
    if source == target:
        return Decimal(1)
    value = div(fx.rate_scaled(source, on), fx.rate_scaled(target, on))
    assert value is not None
    return value


def convert(amount: Decimal, source: str, target: str, fx: FxTable, on: date) -> Decimal:
    """``amount`` of ``source`` expressed in ``target`` at the rates of ``on`` (unrounded)."""
    if source == target:
        return amount
    value = div(amount * fx.rate_scaled(source, on), fx.rate_scaled(target, on))
    assert value is not None
    return value


def reporting_to(value_scaled: int, target: str, fx: FxTable, on: date) -> Decimal:
    """A converted Int128 sum (reporting currency, scale 10**15) expressed in ``target`` at ``on`` (unrounded)."""
    reporting = Decimal(int(value_scaled)).scaleb(-CONVERTED_DECIMALS)
    if target == fx.reporting_currency:
        return reporting
    return convert(reporting, fx.reporting_currency, target, fx, on)


def mills(value: int | None) -> Decimal:
    """Int64 mills as an exact Decimal (0 for null)."""
    return Decimal(int(value or 0)).scaleb(-AMOUNT_DECIMALS)


def truthy(value: object) -> bool:
    """A flag written as text (``true/yes/1/y/x``) or bool."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().casefold() in {"true", "yes", "y", "1", "x"}
