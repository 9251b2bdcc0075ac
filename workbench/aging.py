"""Aging of receivables (CONVENTIONS §3): buckets by days past due or since invoice.

Open invoices and debit notes fall into buckets; unapplied credit is its own
column and ``total = gross_open - unapplied_credit``. Figures are in the
reporting currency at the as-of (closing) rate, each rounded on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

import polars as pl

from .ledger.asof import open_items, unapplied_credit
from .ledger.model import Ledger
from .money import converted_money_column

if TYPE_CHECKING:
    from polars.expr.whenthen import ChainedThen, Then

Basis = Literal["due_date", "doc_date"]
GROUPINGS = ("customer", "entity", "country", "collector", "currency", "segment", "sales_rep")
UNIDENTIFIED = "(unidentified)"


@dataclass(frozen=True)
class Buckets:
    """Bucket edges in days: ``(0, 30, 60, 90, 120)`` gives current, 1-30, ..., 120+.

    A bucket holds ages in ``(previous edge, edge]``; the first holds every age
    up to the first edge and is called ``current`` when that edge is 0.
    """

    edges: tuple[int, ...] = (0, 30, 60, 90, 120)

    def __post_init__(self) -> None:
        if not self.edges or list(self.edges) != sorted(set(self.edges)):
            raise ValueError(f"bucket edges must be increasing and distinct: {self.edges}")

    @property
    def labels(self) -> list[str]:
        """Column names of the buckets, oldest last."""
        first = "current" if self.edges[0] == 0 else f"0-{self.edges[0]}"
        middle = [f"{lo + 1}-{hi}" for lo, hi in zip(self.edges, self.edges[1:])]
        return [first, *middle, f"{self.edges[-1]}+"]

    def expr(self, age: pl.Expr) -> pl.Expr:
        """Bucket label of an age in days."""
        labels = self.labels
        out: Then | ChainedThen = pl.when(age <= self.edges[0]).then(pl.lit(labels[0]))
        for edge, label in zip(self.edges[1:], labels[1:-1]):
            out = out.when(age <= edge).then(pl.lit(label))
        return out.otherwise(pl.lit(labels[-1]))


DEFAULT_BUCKETS = Buckets()
DOC_DATE_BUCKETS = Buckets((30, 60, 90, 120))


def age_expr(basis: Basis = "due_date") -> pl.Expr:
    """Days past due (or since the invoice) at ``as_of``, in calendar days."""
    column = "due_date" if basis == "due_date" else "doc_date"
    return (pl.col("as_of") - pl.col(column)).dt.total_days()


def _with_group(ledger: Ledger, frame: pl.DataFrame, by: str | None) -> pl.DataFrame:
    if by is None:
        return frame.with_columns(pl.lit("all").alias("group"))
    if by in ("customer", "customer_id"):
        return frame.filter(pl.col("customer_id").is_not_null()).with_columns(pl.col("customer_id").alias("group"))
    if by in ("entity", "currency"):
        return frame.with_columns(pl.col(by).alias("group"))
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}")
    attrs = ledger.customers.select("customer_id", pl.col(by).alias("group"))
    return frame.join(attrs, on="customer_id", how="left").with_columns(
        pl.when(pl.col("customer_id").is_null()).then(pl.lit(UNIDENTIFIED)).otherwise(pl.col("group")).alias("group")
    )


def aging_exact(
    ledger: Ledger,
    dates: Sequence[date],
    *,
    by: str | None = None,
    buckets: Buckets = DEFAULT_BUCKETS,
    basis: Basis = "due_date",
) -> pl.DataFrame:
    """Long frame ``(as_of, group, bucket, value)`` with value Int128 at scale 10**15.

    Buckets include ``unapplied_credit`` as its own pseudo-bucket. One pass
    serves any number of dates.
    """
    needed = ["customer_id", "currency", "due_date", "doc_date", "entity"]
    items = open_items(ledger, dates, columns=needed)
    items = _with_group(ledger, items, by).with_columns(buckets.expr(age_expr(basis)).alias("bucket"))
    open_part = ledger.fx.convert_sums(items, ["as_of", "group", "bucket"])
    credit = _with_group(
        ledger, unapplied_credit(ledger, dates, columns=["customer_id", "currency", "entity"]), by
    ).with_columns(pl.lit("unapplied_credit").alias("bucket"))
    credit_part = ledger.fx.convert_sums(credit, ["as_of", "group", "bucket"])
    return pl.concat([open_part, credit_part]).rename({"open": "value"})


def aging(
    ledger: Ledger, as_of: date, *, by: str | None = None, buckets: Buckets = DEFAULT_BUCKETS, basis: Basis = "due_date"
) -> pl.DataFrame:
    """Aging at ``as_of`` in the reporting currency, one row per group.

    Columns: ``by`` (or none for the whole ledger), one per bucket label,
    ``gross_open``, ``unapplied_credit``, ``total`` as Decimal(38, 2) (each
    rounded half-even on its own). Rows with any non-zero figure only.
    Unidentified payments appear in no customer's row; in other groupings
    by customer attribute they form the row ``(unidentified)``.

    >>> # aging(ledger, date(2024, 6, 30), by="customer")  # doctest: +SKIP
    """
    long = aging_exact(ledger, [as_of], by=by, buckets=buckets, basis=basis)
    return shape_aging(long, buckets, ledger.reporting_currency, by).drop("as_of")


def aging_history(
    ledger: Ledger,
    dates: Sequence[date],
    *,
    by: str | None = None,
    buckets: Buckets = DEFAULT_BUCKETS,
    basis: Basis = "due_date",
) -> pl.DataFrame:
    """Aging at several dates in one pass: like :func:`aging` with an ``as_of`` column."""
    long = aging_exact(ledger, dates, by=by, buckets=buckets, basis=basis)
    return shape_aging(long, buckets, ledger.reporting_currency, by)


def shape_aging(long: pl.DataFrame, buckets: Buckets, currency: str, by: str | None) -> pl.DataFrame:
    """Pivot the long exact aging into rounded report columns."""
    labels = buckets.labels
    keys = ["as_of", "group"]
    wide = long.pivot(on="bucket", index=keys, values="value", aggregate_function="sum")
    for col in [*labels, "unapplied_credit"]:
        if col not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int128).alias(col))
    wide = wide.with_columns(pl.col(c).fill_null(0).cast(pl.Int128) for c in [*labels, "unapplied_credit"])
    wide = wide.with_columns(
        pl.sum_horizontal(labels).alias("gross_open"),
    ).with_columns((pl.col("gross_open") - pl.col("unapplied_credit")).alias("total"))
    money_cols = [*labels, "gross_open", "unapplied_credit", "total"]
    wide = wide.filter(pl.any_horizontal(pl.col(c) != 0 for c in money_cols))
    wide = wide.with_columns(converted_money_column(pl.col(c), currency).alias(c) for c in money_cols)
    wide = wide.sort(keys)
    if by is None:
        return wide.select("as_of", *money_cols)
    name = {"customer": "customer_id"}.get(by, by)
    return wide.select("as_of", pl.col("group").alias(name), *money_cols)
