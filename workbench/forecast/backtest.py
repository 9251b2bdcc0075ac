"""Backtest: replay the ledger week by week and score the model against the baselines.

For each as-of date D of the span (every 7 days from ``start`` to ``end``)
the model is fitted on what was known at D, every method forecasts the cash
of the next ``weeks`` horizon weeks on the items open at D, and the actuals
(CONVENTIONS §10) are what was then received on those items. Forecasts and
actuals are converted to the reporting currency at D's closing rate (so FX
moves do not count as forecast error) and compared on the ledger total of
each week. Weeks that end after the last date the ledger knows about are
left out (their actuals are incomplete).

The model runs without the disputed flag and customer status: both are
undated snapshots of the file date and would tell the past about its future.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import numpy as np
import polars as pl

from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import RATE_SCALE
from .baselines import AVERAGE_DELAY_WINDOW_DAYS
from .core import _band_variance
from .model import History, ModelParams, day_number, fit, prepare
from .score import cutoffs, score_items
from .weeks import HORIZON_GROUPS, horizon_group

__all__ = ["METHODS", "as_of_dates", "backtest", "backtest_weeks", "band_coverage", "data_end", "summarise"]

METHODS: tuple[str, ...] = ("model", "due_date", "average_delay")
_EPOCH = date(1970, 1, 1)


def as_of_dates(start: date, end: date, step_days: int = 7) -> list[date]:
    """``start``, ``start + 7`` ... up to ``end`` inclusive."""
    if end < start:
        raise ValueError(f"backtest end {end} is before its start {start}")
    out, day = [], start
    while day <= end:
        out.append(day)
        day += timedelta(days=step_days)
    return out


def data_end(ledger: Ledger) -> date | None:
    """The last date the ledger knows anything about (documents, payments, allocations)."""
    candidates = cast(
        "list[date | None]",
        [
            ledger.documents["doc_date"].max(),
            ledger.payments["value_date"].max(),
            ledger.allocations["allocation_date"].max(),
        ],
    )
    known = [d for d in candidates if d is not None]
    return max(known) if known else None


class _DelaySource:
    """Settled documents with their signed delay and doc-date weight, for baseline (b) at many dates."""

    def __init__(self, ledger: Ledger, codes: dict[str, int], customers: int) -> None:
        rec = ledger.receivables.filter(pl.col("consumed").is_not_null())
        if rec.height:
            rated = ledger.fx.rates_for(rec.select("currency", "doc_date").unique(), "doc_date")
            rec = rec.join(rated, on=["currency", "doc_date"], how="left")
            weight = (rec["amount"].cast(pl.Float64) * rec["rate"].cast(pl.Float64) / RATE_SCALE).to_numpy()
        else:
            weight = np.zeros(0)
        self.customers = customers
        self.code = np.asarray([codes[c] for c in rec["customer_id"].to_list()], dtype=np.int64)
        epoch = pl.lit(_EPOCH, pl.Date)
        self.settled = rec.select((pl.col("consumed") - epoch).dt.total_days()).to_series().to_numpy().astype(np.int64)
        self.delay = (
            rec.select((pl.col("consumed") - pl.col("due_date")).dt.total_days())
            .to_series()
            .to_numpy()
            .astype(np.float64)
        )
        self.weight = weight

    def delays(self, as_of: date, window_days: int = AVERAGE_DELAY_WINDOW_DAYS) -> np.ndarray:
        """Average delay per customer code at ``as_of`` (ledger-wide average for customers without one)."""
        d = day_number(as_of)
        m = (self.settled <= d) & (self.settled > d - window_days)
        w = self.weight[m]
        total = float(w.sum())
        overall = float((w * self.delay[m]).sum()) / total if total > 0 else 0.0
        sw = np.bincount(self.code[m], weights=w, minlength=self.customers)
        swd = np.bincount(self.code[m], weights=w * self.delay[m], minlength=self.customers)
        return np.where(sw > 0, swd / np.where(sw > 0, sw, 1.0), overall)


def backtest_weeks(
    ledger: Ledger,
    start: date,
    end: date,
    weeks: int = 13,
    *,
    entity: str | None = None,
    params: ModelParams | None = None,
    history: History | None = None,
) -> pl.DataFrame:
    """Forecast and actual cash per as-of date, horizon week and method (reporting currency, floats).

    Columns: ``as_of, week, week_start, horizon, method, forecast, p10, p90, actual``
    (the band for the model only); only weeks ending on or before the
    ledger's last known date.
    """
    params = params or ModelParams()
    led = ledger.filter_entity(entity)
    history = history or prepare(led, params.levels)
    dates = as_of_dates(start, end)
    last_known = data_end(led)
    codes = {c: i for i, c in enumerate(history.customers["customer_id"].to_list())}
    delays = _DelaySource(led, codes, history.customers.height)
    opens = open_items(led, dates).select("as_of", "document_id", "customer_id", "currency", "due_date", "open")
    cash = led.allocations.filter(pl.col("source_kind") == "payment").select("document_id", "allocation_date", "amount")
    received = (
        opens.select("as_of", "document_id", "currency")
        .join(cash, on="document_id", how="inner")
        .filter((pl.col("allocation_date") > pl.col("as_of")))
    )
    rows = []
    epoch = pl.lit(_EPOCH, pl.Date)
    for d in dates:
        d_num = day_number(d)
        first_monday = day_number(d + timedelta(days=1)) - (d + timedelta(days=1)).weekday()
        usable = weeks
        if last_known is not None:
            usable = min(weeks, max(0, ((last_known - _EPOCH).days - first_monday + 1) // 7))
        if usable == 0:
            continue
        items = opens.filter(pl.col("as_of") == d)
        if items.height == 0:
            continue
        currencies = sorted(set(items["currency"].to_list()))
        rates = {c: led.fx.rate_scaled(c, d) / RATE_SCALE for c in currencies}
        ccy = np.asarray([currencies.index(c) for c in items["currency"].to_list()], dtype=np.int64)
        rate = np.asarray([rates[c] for c in currencies])[ccy]
        amount = items["open"].to_numpy().astype(np.float64) * rate
        code = np.asarray([codes[c] for c in items["customer_id"].to_list()], dtype=np.int64)
        due = items.select((pl.col("due_date") - epoch).dt.total_days()).to_series().to_numpy().astype(np.int64)

        # model
        fitted = fit(history, d, params, code, flags=False)
        scores = score_items(history, fitted, code, due, cutoffs(history, d, weeks))
        model = (scores.weekly * amount[:, None]).sum(axis=0)
        spread = params.band_z * np.sqrt(
            _band_variance(
                amount, scores.weekly, np.zeros(code.size, dtype=np.int64), code, 1, params.band_correlation
            )[0]
        )
        low, high = np.clip(model - spread, 0.0, None), np.minimum(model + spread, amount.sum())

        # baselines: week of max(date, D + 1)
        def by_week(day_numbers: np.ndarray) -> np.ndarray:
            week = (np.maximum(day_numbers, d_num + 1) - first_monday) // 7
            keep = week < weeks
            return np.bincount(week[keep], weights=amount[keep], minlength=weeks)

        due_based = by_week(due)
        shift = np.rint(delays.delays(d)[code]).astype(np.int64)
        delay_based = by_week(due + shift)

        got = received.filter(pl.col("as_of") == d).with_columns(
            ((pl.col("allocation_date") - epoch).dt.total_days() - first_monday).floordiv(7).alias("week")
        )
        got = got.filter(pl.col("week") < weeks)
        g_rate = np.asarray([rates.get(c, 0.0) for c in got["currency"].to_list()])
        actual = np.bincount(
            got["week"].to_numpy().astype(np.int64),
            weights=got["amount"].to_numpy().astype(np.float64) * g_rate,
            minlength=weeks,
        )
        for k in range(usable):
            week_start = d + timedelta(days=1) - timedelta(days=(d + timedelta(days=1)).weekday()) + timedelta(weeks=k)
            for method, values in (("model", model), ("due_date", due_based), ("average_delay", delay_based)):
                band = (float(low[k]), float(high[k])) if method == "model" else (None, None)
                rows.append(
                    (d, k + 1, week_start, horizon_group(k + 1), method, float(values[k]), *band, float(actual[k]))
                )
    return pl.DataFrame(
        rows,
        schema={
            "as_of": pl.Date,
            "week": pl.Int64,
            "week_start": pl.Date,
            "horizon": pl.String,
            "method": pl.String,
            "forecast": pl.Float64,
            "p10": pl.Float64,
            "p90": pl.Float64,
            "actual": pl.Float64,
        },
        orient="row",
    )


def band_coverage(weekly: pl.DataFrame) -> pl.DataFrame:
    """Share of (as-of, week) actuals inside the model's P10–P90 band, per horizon group (ideally 0.8)."""
    model = weekly.filter(pl.col("method") == "model")
    inside = (pl.col("actual") >= pl.col("p10")) & (pl.col("actual") <= pl.col("p90"))
    return (
        model.group_by("horizon")
        .agg(inside.mean().alias("coverage"), pl.len().alias("weeks"))
        .sort(pl.col("horizon").replace_strict({g: i for i, g in enumerate(HORIZON_GROUPS)}, default=9))
    )


def summarise(weekly: pl.DataFrame) -> pl.DataFrame:
    """WAPE and bias per horizon group and method from :func:`backtest_weeks` rows."""
    out = []
    for group in HORIZON_GROUPS:
        for method in METHODS:
            part = weekly.filter((pl.col("horizon") == group) & (pl.col("method") == method))
            a = part["actual"].to_numpy()
            f = part["forecast"].to_numpy()
            total = float(np.abs(a).sum())
            out.append(
                {
                    "horizon": group,
                    "method": method,
                    "wape": float(np.abs(a - f).sum()) / total if total else None,
                    "bias": float((f - a).sum()) / float(a.sum()) if float(a.sum()) else None,
                    "weeks": part.height,
                }
            )
    return pl.DataFrame(
        out,
        schema={"horizon": pl.String, "method": pl.String, "wape": pl.Float64, "bias": pl.Float64, "weeks": pl.Int64},
    )


def backtest(
    ledger: Ledger,
    start: date,
    end: date,
    weeks: int = 13,
    *,
    entity: str | None = None,
    params: ModelParams | None = None,
) -> pl.DataFrame:
    """Accuracy of the model and both baselines over as-of dates every 7 days from ``start`` to ``end``.

    Returns ``horizon, method, wape, bias, weeks`` (WAPE and bias as
    fractions; ``weeks`` = as-of/week pairs compared), horizon in
    ``"1", "2-4", "5-13"`` and method in ``"model", "due_date", "average_delay"``.
    """
    return summarise(backtest_weeks(ledger, start, end, weeks, entity=entity, params=params))
