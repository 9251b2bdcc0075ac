"""The cash-in forecast report: expected receipts, their band, changes, risks and accuracy.

:func:`build` computes every table from a loaded ledger; the notebook
``cash_forecast`` renders what it returns (``workbench report forecast``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import polars as pl

from workbench.outputs import atomic_write_text
from ..forecast.backtest import backtest
from ..forecast.core import Forecast, forecast
from ..forecast.model import ModelParams, prepare
from ..ledger.model import Ledger
from .checks import check_names, stale_warning

__all__ = [
    "AT_RISK_DAYS_PAST_DUE",
    "LOW_PROBABILITY",
    "ForecastReportData",
    "accuracy_span",
    "amounts_at_risk",
    "Params",
    "build",
    "change_vs_last_week",
    "entity_table",
    "headline_cards",
    "largest_receipts",
    "summary",
    "write_summary",
]

AT_RISK_DAYS_PAST_DUE = 90
"""Open items more than this many days past due count as "long overdue"."""
LOW_PROBABILITY = 0.2
"""Open items with less than this probability of payment within the horizon count as "low probability"."""
BACKTEST_WEEKS = 26
ZERO = Decimal("0.00")


def _sum(frame: pl.DataFrame, column: str) -> Decimal:
    value = frame[column].sum() if frame.height else None
    return Decimal(value) if value is not None else ZERO


def change_vs_last_week(now: Forecast, last_week: Forecast) -> pl.DataFrame:
    """Expected cash per week now and in last week's forecast (as of D − 7) for the same ISO weeks.

    Columns: ``week_start, expected, expected_last_week, change`` (reporting
    currency; ``expected_last_week`` and ``change`` are null for weeks last
    week's horizon did not reach). The first week now is partial (D + 1 to
    Sunday) while last week's forecast of it covered the whole week.
    """
    prev = last_week.total.select("week_start", pl.col("expected").alias("expected_last_week"))
    return (
        now.total.select("week_start", "expected")
        .join(prev, on="week_start", how="left")
        .with_columns((pl.col("expected") - pl.col("expected_last_week")).alias("change"))
    )


def comparable_weeks(data: ForecastReportData) -> pl.DataFrame:
    """Rows of the change table that both forecasts cover in full: weeks starting after D."""
    return data.change.filter(
        pl.col("expected_last_week").is_not_null() & (pl.col("week_start") > pl.lit(data.as_of, pl.Date))
    )


def entity_table(fc: Forecast, weeks: int = 4) -> pl.DataFrame:
    """Per entity and currency: expected cash in the first ``weeks`` weeks and over the horizon.

    Columns: ``entity, currency, next_4_weeks, horizon, next_4_weeks_reporting, horizon_reporting``
    (document currency, then reporting currency at the as-of rate).
    """
    first = fc.weekly["week_start"].unique().sort().head(weeks)
    return (
        fc.weekly.group_by("entity", "currency")
        .agg(
            pl.col("expected").filter(pl.col("week_start").is_in(first.implode())).sum().alias(f"next_{weeks}_weeks"),
            pl.col("expected").sum().alias("horizon"),
            pl.col("expected_reporting")
            .filter(pl.col("week_start").is_in(first.implode()))
            .sum()
            .alias(f"next_{weeks}_weeks_reporting"),
            pl.col("expected_reporting").sum().alias("horizon_reporting"),
        )
        .sort("entity", "currency")
    )


def largest_receipts(fc: Forecast, n: int = 20) -> pl.DataFrame:
    """The ``n`` open items with the largest expected cash within the horizon (reporting currency)."""
    return (
        fc.items.sort(["expected_reporting", "document_id"], descending=[True, False])
        .head(n)
        .select(
            "document_id",
            "customer_id",
            "name",
            "currency",
            "due_date",
            "open_document",
            "expected_reporting",
            "prob_in_horizon",
            "expected_date",
            "expected_week",
        )
    )


def _risk_flags(items: pl.DataFrame) -> pl.DataFrame:
    return items.with_columns(
        pl.col("disputed").alias("_disputed"),
        (pl.col("days_past_due") > AT_RISK_DAYS_PAST_DUE).alias("_long_overdue"),
        (pl.col("prob_in_horizon") < LOW_PROBABILITY).alias("_low_probability"),
        pl.col("status").is_in(["hold", "suspended", "litigation"]).alias("_on_hold"),
    )


def amounts_at_risk(fc: Forecast) -> pl.DataFrame:
    """Open amounts at risk: disputed, long overdue, low probability, customers on hold or in litigation.

    One row per category (an item may be in several): ``category, items,
    open_reporting, expected_reporting`` (expected cash within the horizon),
    then ``any of these`` counting each item once.
    """
    flagged = _risk_flags(fc.items)
    categories = [
        ("disputed", "_disputed"),
        (f"over {AT_RISK_DAYS_PAST_DUE} days past due", "_long_overdue"),
        (f"probability below {LOW_PROBABILITY:.0%}", "_low_probability"),
        ("customer on hold, suspended or in litigation", "_on_hold"),
    ]
    rows = []
    for label, column in [*categories, ("any of these", None)]:
        mask = pl.any_horizontal([pl.col(c) for _, c in categories]) if column is None else pl.col(column)
        part = flagged.filter(mask)
        rows.append(
            {
                "category": label,
                "items": part.height,
                "open_reporting": _sum(part, "open_reporting"),
                "expected_reporting": _sum(part, "expected_reporting"),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "category": pl.String,
            "items": pl.Int64,
            "open_reporting": pl.Decimal(38, 2),
            "expected_reporting": pl.Decimal(38, 2),
        },
    )


def at_risk_items(fc: Forecast, n: int = 25) -> pl.DataFrame:
    """The largest open items in any risk category, with the reasons."""
    flagged = _risk_flags(fc.items).filter(
        pl.col("_disputed") | pl.col("_long_overdue") | pl.col("_low_probability") | pl.col("_on_hold")
    )
    reasons = pl.concat_str(
        [
            pl.when(pl.col("_disputed")).then(pl.lit("disputed")),
            pl.when(pl.col("_long_overdue")).then(pl.lit("long overdue")),
            pl.when(pl.col("_low_probability")).then(pl.lit("low probability")),
            pl.when(pl.col("_on_hold")).then(pl.col("status")),
        ],
        separator=", ",
        ignore_nulls=True,
    )
    return (
        flagged.with_columns(reasons.alias("reasons"))
        .sort(["open_reporting", "document_id"], descending=[True, False])
        .head(n)
        .select(
            "document_id",
            "customer_id",
            "name",
            "days_past_due",
            "open_reporting",
            "prob_in_horizon",
            "expected_reporting",
            "reasons",
        )
    )


def accuracy_span(as_of: date, horizon: int = 13, weeks: int = BACKTEST_WEEKS) -> tuple[date, date]:
    """(first, last) as-of dates of the report's backtest: ``weeks`` weekly dates ending at D − horizon weeks."""
    end = as_of - timedelta(weeks=horizon)
    return end - timedelta(weeks=weeks - 1), end


@dataclass(frozen=True)
class ForecastReportData:
    """Everything the cash-in forecast report shows, computed once."""

    ledger: Ledger
    as_of: date
    entity: str | None
    horizon: int
    forecast: Forecast
    last_week: Forecast
    change: pl.DataFrame
    by_entity: pl.DataFrame
    largest: pl.DataFrame
    at_risk: pl.DataFrame
    at_risk_items: pl.DataFrame
    accuracy: pl.DataFrame
    accuracy_start: date
    accuracy_end: date
    stale: str | None = None
    """The warning shown at the top when the as-of date is long after the ledger's last data, else None."""

    @property
    def currency(self) -> str:
        """The reporting currency."""
        return self.ledger.reporting_currency

    def accuracy_wide(self) -> pl.DataFrame:
        """The backtest table with one row per horizon group: WAPE and bias of each method side by side."""
        if self.accuracy.height == 0:
            return pl.DataFrame(schema={"horizon": pl.String})
        wide = self.accuracy.pivot(on="method", index="horizon", values=["wape", "bias"], aggregate_function="first")
        weeks = self.accuracy.group_by("horizon").agg(pl.col("weeks").max())
        order = {"1": 0, "2-4": 1, "5-13": 2}
        present = [
            c
            for c in (f"{v}_{m}" for v in ("wape", "bias") for m in ("model", "due_date", "average_delay"))
            if c in wide.columns
        ]
        return (
            wide.join(weeks, on="horizon")
            .sort(pl.col("horizon").replace_strict(order, default=9))
            .select("horizon", "weeks", *present)
        )


@dataclass(frozen=True)
class Params:
    """What the forecast report is asked for: the as-of date, an entity or all, and the weeks ahead."""

    as_of: date
    entity: str | None = None
    horizon: int = 13

    @classmethod
    def of(cls, as_of: date | str, entity: str | None = None, horizon: int = 13) -> Params:
        """Parameters from notebook values: an ISO date text and ``""`` for all entities."""
        day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        return cls(as_of=day, entity=entity or None, horizon=int(horizon))


def build(ledger: Ledger, params: Params, model: ModelParams | None = None) -> ForecastReportData:
    """Every table of the cash-in forecast report for ``params`` (the whole ledger in).

    Raises :class:`~workbench.ledger.names.UnknownNameError` for an entity the ledger does not hold.
    """
    model = model or ModelParams()
    as_of, entity, horizon = params.as_of, params.entity, params.horizon
    check_names(ledger, {"entity": entity})
    led = ledger.filter_entity(entity)
    history = prepare(led, model.levels)
    now = forecast(led, as_of, horizon, params=model, history=history)
    before = forecast(led, as_of - timedelta(days=7), horizon, params=model, history=history)
    start, end = accuracy_span(as_of, horizon)
    first_doc = cast("date | None", led.documents["doc_date"].min())
    accuracy = (
        backtest(led, start, end, horizon, params=model)
        if end > (first_doc or end)
        else pl.DataFrame(
            schema={
                "horizon": pl.String,
                "method": pl.String,
                "wape": pl.Float64,
                "bias": pl.Float64,
                "weeks": pl.Int64,
            }
        )
    )
    return ForecastReportData(
        ledger=led,
        as_of=as_of,
        entity=entity,
        horizon=horizon,
        forecast=now,
        last_week=before,
        change=change_vs_last_week(now, before),
        by_entity=entity_table(now),
        largest=largest_receipts(now),
        at_risk=amounts_at_risk(now),
        at_risk_items=at_risk_items(now),
        accuracy=accuracy,
        accuracy_start=start,
        accuracy_end=end,
        stale=stale_warning(ledger, as_of),
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def summary(data: ForecastReportData) -> dict[str, object]:
    """The machine-readable summary written as ``forecast_summary.json``."""
    fc = data.forecast
    n4 = min(4, fc.weeks)
    four = fc.cumulative.filter(pl.col("week") == n4)
    whole = fc.cumulative.filter(pl.col("week") == fc.weeks)
    open_total = _sum(fc.items, "open_reporting")
    expected = whole["expected"].item() if whole.height else ZERO
    overlap = comparable_weeks(data)
    acc = {(r["horizon"], r["method"]): r for r in data.accuracy.iter_rows(named=True)}
    beats: dict[str, bool | None] = {}
    for group in ("1", "2-4", "5-13"):
        model = acc.get((group, "model"))
        others = [acc.get((group, m)) for m in ("due_date", "average_delay")]
        if model is None or model["wape"] is None or any(o is None or o["wape"] is None for o in others):
            beats[group] = None
        else:
            beats[group] = all(model["wape"] < o["wape"] for o in others)  # type: ignore[index]
    return {
        "as_of": data.as_of.isoformat(),
        "reporting_currency": data.currency,
        "entity": data.entity,
        "horizon_weeks": fc.weeks,
        "open_items": fc.items.height,
        "open_reporting": str(open_total),
        "expected_next_4_weeks": _text(four["expected"].item()) if four.height else "0.00",
        "expected_next_4_weeks_p10": _text(four["p10"].item()) if four.height else "0.00",
        "expected_next_4_weeks_p90": _text(four["p90"].item()) if four.height else "0.00",
        "expected_horizon": str(expected),
        "expected_horizon_p10": _text(whole["p10"].item()) if whole.height else "0.00",
        "expected_horizon_p90": _text(whole["p90"].item()) if whole.height else "0.00",
        "not_expected_in_horizon": str(open_total - expected),
        "change_vs_last_week": str(_sum(overlap, "expected") - _sum(overlap, "expected_last_week")),
        "weekly": [
            {
                "week_start": r["week_start"].isoformat(),
                "expected": str(r["expected"]),
                "p10": str(r["p10"]),
                "p90": str(r["p90"]),
            }
            for r in fc.total.iter_rows(named=True)
        ],
        "at_risk": {r["category"]: str(r["open_reporting"]) for r in data.at_risk.iter_rows(named=True)},
        "backtest": {
            "first_as_of": data.accuracy_start.isoformat(),
            "last_as_of": data.accuracy_end.isoformat(),
            "rows": [
                {k: r[k] for k in ("horizon", "method", "wape", "bias", "weeks")}
                for r in data.accuracy.iter_rows(named=True)
            ],
            "model_beats_baselines": beats,
        },
        "adjustments": {r["flag"]: r["factor"] for r in fc.adjustments.iter_rows(named=True)},
    }


def write_summary(path: Path, data: ForecastReportData) -> Path:
    """Write the report's machine-readable summary (JSON)."""
    return atomic_write_text(Path(path), json.dumps(summary(data), indent=2) + "\n")


def headline_cards(data: ForecastReportData) -> list:
    """KPI cards: expected cash next 4 and 13 weeks (with bands), change vs last week, not expected."""
    from ..render.display import Card
    from ..render.format import delta, money_short

    fc, cur = data.forecast, data.currency
    n4 = min(4, fc.weeks)

    def window(f: Forecast, weeks: int) -> pl.DataFrame:
        return f.cumulative.filter(pl.col("week") == weeks)

    def card(label: str, weeks: int) -> Card:
        row = window(fc, weeks)
        value = row["expected"].item() if row.height else ZERO
        band = (
            f"80 % band {money_short(row['p10'].item(), cur)} – {money_short(row['p90'].item(), cur)}"
            if row.height
            else None
        )
        return Card(label, money_short(value, cur), None, "flat", None, band)

    overlap = comparable_weeks(data)
    now_sum, before_sum = _sum(overlap, "expected"), _sum(overlap, "expected_last_week")
    change = delta(now_sum, before_sum, "money", currency=cur)
    open_total = _sum(fc.items, "open_reporting")
    expected = fc.expected_within(fc.weeks)
    return [
        card(f"Expected cash, next {n4} weeks", n4),
        card(f"Expected cash, next {fc.weeks} weeks", fc.weeks),
        Card(
            "Change vs last week's forecast",
            change.text,
            None,
            change.direction,
            "up",
            "full weeks both forecasts cover",
        ),
        Card("Open receivables", money_short(open_total, cur), None, "flat", None, f"{fc.items.height:,} open items"),
        Card(
            f"Not expected within {fc.weeks} weeks",
            money_short(open_total - expected, cur),
            None,
            "flat",
            None,
            "never paid, credited, or later",
        ),
    ]
