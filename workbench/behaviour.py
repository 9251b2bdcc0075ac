"""Payment behaviour (CONVENTIONS §6): days to pay, days beyond terms, PAYDEX-style index.

Measured over documents fully settled inside a window (default the trailing
365 days); the settlement date is the date of the completing allocation.
Weights are full document amounts converted at doc-date rates. Ratios are
computed exactly and rounded half-even to 2 decimals only when shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext

import polars as pl

from .fx import to_reporting
from .ledger.model import Ledger

#: (signed average payment delay in days, index) points, linear between, flat outside.
PAYDEX_POINTS: tuple[tuple[int, int], ...] = (
    (-30, 100),
    (-20, 90),
    (-10, 85),
    (0, 80),
    (15, 70),
    (22, 60),
    (30, 50),
    (60, 40),
    (90, 30),
    (120, 20),
)


def paydex(delay: Decimal | float | None) -> Decimal | None:
    """PAYDEX-style index (1-100) of a signed average payment delay in days.

    >>> paydex(45), paydex(26), paydex(-40), paydex(0)
    (Decimal('45'), Decimal('55'), Decimal('100'), Decimal('80'))
    """
    if delay is None:
        return None
    d = Decimal(str(delay))
    points = PAYDEX_POINTS
    if d <= points[0][0]:
        return Decimal(points[0][1])
    if d >= points[-1][0]:
        return Decimal(points[-1][1])
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= d <= x1:
            return Decimal(y0) + (d - x0) * (Decimal(y1 - y0) / Decimal(x1 - x0))
    raise AssertionError("unreachable")  # pragma: no cover


SETTLED_IDS = ("document_id", "customer_id", "entity")


def settled_documents(ledger: Ledger, ids: Sequence[str] = SETTLED_IDS) -> pl.DataFrame:
    """Settled invoices/debit notes with their weight (Int128, scale 10**15) and day counts.

    ``ids`` are the identifying columns carried along; ledger-wide sums pass none,
    which keeps the frame of a 10M-document ledger a few hundred megabytes smaller.
    """
    docs = ledger.receivables.select(
        *ids,
        "currency",
        "doc_date",
        "due_date",
        "consumed",
        "amount",
    ).filter(pl.col("consumed").is_not_null())
    keys = docs.select("currency", "doc_date").unique()
    rated = ledger.fx.rates_for(keys, "doc_date")
    return docs.join(rated, on=["currency", "doc_date"], how="left").select(
        *ids,
        "consumed",
        to_reporting("amount").alias("weight"),
        (pl.col("consumed") - pl.col("doc_date")).dt.total_days().alias("days_to_pay"),
        (pl.col("consumed") - pl.col("due_date")).dt.total_days().alias("delay"),
    )


def behaviour_sums(settled: pl.DataFrame, as_of: date, window_days: int = 365, by: str | None = None) -> pl.DataFrame:
    """Exact weighted sums over documents settled in ``(as_of - window, as_of]``.

    Columns: [by], ``weight``, ``w_days``, ``w_dbt``, ``w_delay``, ``count`` (Int128 sums).
    """
    start = as_of - timedelta(days=window_days)
    frame = settled.filter((pl.col("consumed") > start) & (pl.col("consumed") <= as_of))
    w = pl.col("weight")
    aggs = [
        w.sum().alias("weight"),
        (w * pl.col("days_to_pay")).sum().alias("w_days"),
        (w * pl.col("delay").clip(lower_bound=0)).sum().alias("w_dbt"),
        (w * pl.col("delay")).sum().alias("w_delay"),
        pl.len().alias("count"),
    ]
    if by is None:
        return frame.select(aggs)
    return frame.group_by(by).agg(aggs).sort(by)


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """Exact quotient (None when the denominator is zero), unrounded."""
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 80
        return Decimal(numerator) / Decimal(denominator)


def behaviour(ledger: Ledger, as_of: date, *, window_days: int = 365, by: str | None = "customer_id") -> pl.DataFrame:
    """Per-customer (or other ``by``) payment behaviour, ratios rounded to 2 decimals.

    Columns: [by], ``documents``, ``weighted_days_to_pay``, ``dbt``,
    ``average_payment_delay``, ``paydex`` (floats rounded half-even from exact values).
    """
    sums = behaviour_sums(settled_documents(ledger), as_of, window_days, by)
    rows = []
    for rec in sums.iter_rows(named=True):
        apd = ratio(rec["w_delay"], rec["weight"])
        rows.append(
            {
                **({by: rec[by]} if by else {}),
                "documents": rec["count"],
                "weighted_days_to_pay": round2(ratio(rec["w_days"], rec["weight"])),
                "dbt": round2(ratio(rec["w_dbt"], rec["weight"])),
                "average_payment_delay": round2(apd),
                "paydex": round2(paydex(apd)),
            }
        )
    schema = {
        **({by: pl.String} if by else {}),
        "documents": pl.Int64,
        "weighted_days_to_pay": pl.Float64,
        "dbt": pl.Float64,
        "average_payment_delay": pl.Float64,
        "paydex": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def round2(value: Decimal | None) -> float | None:
    """Half-even rounding to 2 decimals of an exact ratio, as a float for display."""
    if value is None:
        return None
    return float(value.quantize(Decimal("0.01"), rounding="ROUND_HALF_EVEN"))
