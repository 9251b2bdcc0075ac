"""The simple forecasts every model is compared with (CONVENTIONS §10), and the actuals.

* **due_date**: every open item is paid in full on its due date.
* **average_delay**: every open item is paid on its due date plus its
  customer's amount-weighted average payment delay (signed, CONVENTIONS §6:
  settled minus due, early payment negative), measured with no look-ahead
  over the documents settled in the 365 days up to D, weighted by their full
  amounts at doc-date rates; a customer with no settled document in that
  window gets the ledger-wide average of the same window (0 when the ledger
  has none). The delay is rounded to whole days (half to even).

A forecast date on or before D (an item already past its date) becomes D + 1:
the money is expected at once, in horizon week 1.

Actuals of a week are the payment allocations dated in it, after D, on the
items open at D (credit notes settle items but bring no cash, so they do not
count; documents issued after D are outside the forecast).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import exact_sum, narrow_int64
from .weeks import horizon_end, horizon_weeks, week_index_expr

__all__ = [
    "AVERAGE_DELAY_WINDOW_DAYS",
    "actuals",
    "average_delay_forecast",
    "bucket_weeks",
    "customer_average_delay",
    "due_date_forecast",
    "forecast_dates",
]

AVERAGE_DELAY_WINDOW_DAYS = 365


def bucket_weeks(
    frame: pl.DataFrame, as_of: date, weeks: int, date_col: str, value_col: str, by: list[str] | None = None
) -> pl.DataFrame:
    """Sum ``value_col`` per horizon week of ``date_col`` (dates on/before D or after the horizon drop out).

    Returns every horizon week (zeros included): ``[by], week, week_start, <value_col>``.
    An integer ``value_col`` (mills) is summed in Int128 and checked back into
    its own type (:func:`workbench.money.narrow_int64`: a week too large for
    64 bits is an error, never a wrapped sum).
    """
    by = by or []
    hw = horizon_weeks(as_of, weeks).select("week", "week_start")
    dated = frame.with_columns(week_index_expr(pl.col(date_col), as_of, weeks).alias("week")).filter(
        pl.col("week").is_not_null()
    )
    dtype = frame.schema[value_col] if value_col in frame.columns else pl.Int64
    if dtype.is_integer():
        sums = dated.group_by([*by, "week"]).agg(exact_sum(value_col))
        sums = narrow_int64(sums, [value_col], f"a weekly sum of {value_col}").with_columns(
            pl.col(value_col).cast(dtype)
        )
    else:
        sums = dated.group_by([*by, "week"]).agg(pl.col(value_col).sum())
    if by:
        keys = frame.select(by).unique().join(hw, how="cross")
    else:
        keys = hw
    return (
        keys.join(sums, on=[*by, "week"], how="left")
        .with_columns(pl.col(value_col).fill_null(pl.lit(0, dtype)))
        .sort([*by, "week"])
        .select(*by, "week", "week_start", value_col)
    )


def forecast_dates(items: pl.DataFrame, as_of: date, delays: pl.DataFrame | None = None) -> pl.DataFrame:
    """``items`` with ``forecast_date``: due date (+ the customer's ``delay`` when given), at least D + 1."""
    day = pl.col("due_date")
    if delays is not None:
        items = items.join(delays.select("customer_id", "delay"), on="customer_id", how="left")
        shift = pl.col("delay").fill_null(0.0).round(0, mode="half_to_even").cast(pl.Int64)
        day = day + pl.duration(days=shift)
    tomorrow = pl.lit(as_of + timedelta(days=1), pl.Date)
    return items.with_columns(pl.max_horizontal(day, tomorrow).alias("forecast_date"))


def due_date_forecast(
    items: pl.DataFrame, as_of: date, weeks: int = 13, value_col: str = "open", by: list[str] | None = None
) -> pl.DataFrame:
    """Baseline (a): every open item paid on its due date; weekly sums of ``value_col``."""
    dated = forecast_dates(items, as_of)
    return bucket_weeks(dated, as_of, weeks, "forecast_date", value_col, by)


def average_delay_forecast(
    items: pl.DataFrame,
    delays: pl.DataFrame,
    as_of: date,
    weeks: int = 13,
    value_col: str = "open",
    by: list[str] | None = None,
) -> pl.DataFrame:
    """Baseline (b): paid on due date + the customer's average delay (``delays``: customer_id, delay)."""
    dated = forecast_dates(items, as_of, delays)
    return bucket_weeks(dated, as_of, weeks, "forecast_date", value_col, by)


def customer_average_delay(ledger: Ledger, as_of: date, window_days: int = AVERAGE_DELAY_WINDOW_DAYS) -> pl.DataFrame:
    """Amount-weighted signed payment delay per customer, from documents settled in (D − window, D].

    Returns ``customer_id, delay`` (float days) for every customer of the
    ledger: customers without a settled document in the window get the
    ledger-wide average of the window (0.0 if there is none).
    """
    start = as_of - timedelta(days=window_days)
    settled = ledger.receivables.filter(
        pl.col("consumed").is_not_null() & (pl.col("consumed") > start) & (pl.col("consumed") <= as_of)
    ).select(
        "customer_id",
        "currency",
        "doc_date",
        "amount",
        (pl.col("consumed") - pl.col("due_date")).dt.total_days().alias("delay"),
    )
    customers = ledger.customers.select("customer_id")
    if settled.height == 0:
        return customers.with_columns(pl.lit(0.0).alias("delay"))
    rated = ledger.fx.rates_for(settled.select("currency", "doc_date").unique(), "doc_date")
    weighted = settled.join(rated, on=["currency", "doc_date"], how="left").with_columns(
        (pl.col("amount").cast(pl.Float64) * pl.col("rate").cast(pl.Float64)).alias("w")
    )
    overall = weighted.select((pl.col("w") * pl.col("delay")).sum() / pl.col("w").sum()).item()
    per = weighted.group_by("customer_id").agg(
        ((pl.col("w") * pl.col("delay")).sum() / pl.col("w").sum()).alias("delay")
    )
    return customers.join(per, on="customer_id", how="left").with_columns(pl.col("delay").fill_null(float(overall)))


def actuals(
    ledger: Ledger, as_of: date, weeks: int = 13, by: list[str] | None = None, items: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Cash received per horizon week on the items open at D: ``[by], week, week_start, actual`` (mills).

    ``items`` (the open items at D, with ``document_id`` and the ``by``
    columns) is computed when not given.
    """
    by = by or []
    if items is None:
        items = open_items(ledger, as_of)
    last = horizon_end(as_of, weeks)
    cash = ledger.allocations.filter(
        (pl.col("source_kind") == "payment") & (pl.col("allocation_date") > as_of) & (pl.col("allocation_date") <= last)
    ).select("document_id", "allocation_date", pl.col("amount").alias("actual"))
    received = items.select("document_id", *by).join(cash, on="document_id", how="inner")
    out = bucket_weeks(received, as_of, weeks, "allocation_date", "actual", by)
    if by and out.height == 0:
        keys = items.select(by).unique().join(horizon_weeks(as_of, weeks).select("week", "week_start"), how="cross")
        out = keys.with_columns(pl.lit(0, pl.Int64).alias("actual")).sort([*by, "week"])
    return out
