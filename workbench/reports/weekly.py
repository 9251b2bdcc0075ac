"""The weekly collections report: every table it shows, from a ledger and a date.

:func:`build` is the report's one entry point (``notebooks/weekly_collections``
calls it and renders what it returns; tests call it directly). The notebook is
run by :func:`workbench.reports.runner.run_named` (``workbench report weekly``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import polars as pl

from workbench.outputs import atomic_write_text
from ..aging import DEFAULT_BUCKETS, age_expr, aging, aging_history
from ..collections.activity import JournalFrames, WeekActivity, week_activity
from ..fx import to_reporting
from ..kpis import Kpis, kpi_frame, kpi_history, month_end_dates, weekly_dates
from ..ledger.asof import open_items
from ..ledger.model import Ledger
from .checks import check_names, stale_warning
from ..money import AMOUNT_DECIMALS, converted_money_column, exact_sum, scaled_money_column

ON_HOLD_STATUSES = ("hold", "suspended", "litigation")


@dataclass(frozen=True)
class Headline:
    """The headline figures with last week's values for the change column."""

    now: Kpis
    last_week: Kpis
    cash_this_week: Decimal
    cash_last_week: Decimal

    def as_json(self) -> dict[str, object]:
        """Machine-readable summary used by tests and schedulers."""

        def pct_overdue(k: Kpis) -> float | None:
            if k.gross_open == 0:
                return None
            return float((k.overdue / k.gross_open * 100).quantize(Decimal("0.01")))

        return {
            "as_of": self.now.as_of.isoformat(),
            "reporting_currency": self.now.reporting_currency,
            "entity": self.now.entity,
            "total_ar": str(self.now.total_ar),
            "total_ar_last_week": str(self.last_week.total_ar),
            "overdue": str(self.now.overdue),
            "pct_overdue": pct_overdue(self.now),
            "over_90": str(sum((v for b, v in self.now.aging.items() if b in ("91-120", "120+")), Decimal("0.00"))),
            "dso_countback": self.now.dso_countback,
            "cei": self.now.cei,
            "cash_collected_week": str(self.cash_this_week),
            "cash_collected_last_week": str(self.cash_last_week),
        }


def cash_received(ledger: Ledger, first: date, last: date, by: str | None = None) -> pl.DataFrame:
    """Payments received with ``first <= value_date <= last``, at value-date rates.

    Returns ``[by], cash`` with cash a Decimal in the reporting currency
    (unidentified payments included: the money is in the bank).
    """
    pays = ledger.payments.filter(pl.col("value_date").is_between(first, last))
    keys = [by] if by else []
    per_day = pays.group_by([*keys, "currency", "value_date"]).agg(exact_sum("amount"))
    if per_day.height == 0:
        return pl.DataFrame(schema={**({by: pl.String} if by else {}), "cash": pl.Decimal(38, 2)})
    rated = ledger.fx.rates_for(per_day.select("currency", "value_date").unique(), "value_date")
    exact = per_day.join(rated, on=["currency", "value_date"], how="left").with_columns(
        to_reporting("amount").alias("cash")
    )
    exact = exact.group_by(keys).agg(pl.col("cash").sum()) if keys else exact.select(pl.col("cash").sum())
    out = exact.with_columns(converted_money_column(pl.col("cash"), ledger.reporting_currency))
    return out.sort(by) if by else out


def _cash_total(ledger: Ledger, first: date, last: date) -> Decimal:
    frame = cash_received(ledger, first, last)
    return frame["cash"].item() if frame.height else Decimal("0.00")


def headline(ledger: Ledger, as_of: date, history: list[Kpis]) -> Headline:
    """Headline KPIs now and a week ago, and cash collected in each of those weeks."""
    by_date = {k.as_of: k for k in history}
    week_ago = as_of - timedelta(days=7)
    return Headline(
        now=by_date[as_of],
        last_week=by_date[week_ago],
        cash_this_week=_cash_total(ledger, as_of - timedelta(days=6), as_of),
        cash_last_week=_cash_total(ledger, week_ago - timedelta(days=6), week_ago),
    )


def aging_trend(ledger: Ledger, as_of: date, weeks: int = 13) -> pl.DataFrame:
    """Ledger-level aging at each of the last ``weeks`` weekly dates (one pass)."""
    return aging_history(ledger, weekly_dates(as_of, weeks))


def customer_view(ledger: Ledger, as_of: date) -> pl.DataFrame:
    """Per-customer aging with name, country, collector, status, limit and overdue amounts."""
    ag = aging(ledger, as_of, by="customer")
    over_90 = [b for b in DEFAULT_BUCKETS.labels if b in ("91-120", "120+")]
    cust = ledger.customers.select("customer_id", "name", "country", "collector", "status", "segment")
    return ag.join(cust, on="customer_id", how="left").with_columns(
        (pl.col("gross_open") - pl.col("current")).alias("overdue"),
        pl.sum_horizontal(over_90).alias("over_90"),
    )


def top_overdue(ledger: Ledger, as_of: date, n: int = 15) -> pl.DataFrame:
    """The ``n`` customers with the largest overdue amounts."""
    view = customer_view(ledger, as_of).filter(pl.col("overdue") > 0)
    return (
        view.sort(["overdue", "customer_id"], descending=[True, False])
        .head(n)
        .select(
            "customer_id",
            "name",
            "country",
            "collector",
            "status",
            "overdue",
            "over_90",
            "unapplied_credit",
            "total",
        )
    )


def open_item_view(ledger: Ledger, as_of: date) -> pl.DataFrame:
    """Open items at ``as_of`` with days past due and the open amount in the reporting currency."""
    items = open_items(ledger, as_of).with_columns(age_expr().alias("dpd"))
    if items.height == 0:
        return items.with_columns(pl.lit(None, pl.Decimal(38, 2)).alias("open_reporting"))
    rates = ledger.fx.rates_on(items["currency"].unique().to_list(), as_of)
    items = items.join(rates, on="currency", how="left").with_columns(
        converted_money_column(to_reporting("open"), ledger.reporting_currency).alias("open_reporting")
    )
    return items.with_columns(scaled_money_column(pl.col("open"), AMOUNT_DECIMALS).alias("open_document"))


def over_90_items(ledger: Ledger, as_of: date, n: int | None = 50) -> pl.DataFrame:
    """Open items more than 90 days past due, largest first."""
    items = open_item_view(ledger, as_of).filter(pl.col("dpd") > 90)
    names = ledger.customers.select("customer_id", "name")
    out = (
        items.join(names, on="customer_id", how="left")
        .sort(["open_reporting", "document_id"], descending=[True, False])
        .select(
            "customer_id",
            "name",
            "document_id",
            "due_date",
            "dpd",
            "currency",
            "open_document",
            "open_reporting",
            "disputed",
        )
    )
    return out.head(n) if n else out


def customers_on_hold(ledger: Ledger, as_of: date) -> pl.DataFrame:
    """Customers on hold, suspended or in litigation, with their balances."""
    view = customer_view(ledger, as_of).select("customer_id", "overdue", "over_90", "total")
    held = ledger.customers.filter(pl.col("status").is_in(ON_HOLD_STATUSES)).select(
        "customer_id", "name", "country", "collector", "status"
    )
    zero = Decimal("0.00")
    return (
        held.join(view, on="customer_id", how="left")
        .with_columns(pl.col("overdue", "over_90", "total").fill_null(pl.lit(zero, pl.Decimal(38, 2))))
        .sort(["status", "total", "customer_id"], descending=[False, True, False])
    )


def disputes(ledger: Ledger, as_of: date) -> pl.DataFrame:
    """Open disputed items by reason and aging bucket (reporting currency), with counts."""
    items = open_items(ledger, as_of).filter(pl.col("disputed"))
    items = items.with_columns(
        pl.col("dispute_reason").fill_null("(no reason given)").alias("reason"),
        DEFAULT_BUCKETS.expr(age_expr()).alias("bucket"),
    )
    if items.height == 0:
        return pl.DataFrame(
            schema={
                "reason": pl.String,
                "items": pl.UInt32,
                **{b: pl.Decimal(38, 2) for b in DEFAULT_BUCKETS.labels},
                "total": pl.Decimal(38, 2),
            }
        )
    counts = items.group_by("reason").agg(pl.len().alias("items"))
    exact = ledger.fx.convert_sums(items, ["as_of", "reason", "bucket"])
    wide = exact.pivot(on="bucket", index="reason", values="open", aggregate_function="sum")
    labels = DEFAULT_BUCKETS.labels
    for b in labels:
        if b not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int128).alias(b))
    wide = wide.with_columns(pl.col(b).fill_null(0).cast(pl.Int128) for b in labels)
    wide = wide.with_columns(pl.sum_horizontal(labels).alias("total"))
    wide = wide.with_columns(converted_money_column(pl.col(c), ledger.reporting_currency) for c in [*labels, "total"])
    return counts.join(wide, on="reason").select("reason", "items", *labels, "total").sort("total", descending=True)


def cash_by_entity(ledger: Ledger, as_of: date) -> pl.DataFrame:
    """Cash collected this week, last week and over the last 13 weeks per entity."""
    week = cash_received(ledger, as_of - timedelta(days=6), as_of, by="entity").rename({"cash": "this_week"})
    prev = cash_received(ledger, as_of - timedelta(days=13), as_of - timedelta(days=7), by="entity").rename(
        {"cash": "last_week"}
    )
    quarter = cash_received(ledger, as_of - timedelta(days=7 * 13 - 1), as_of, by="entity").rename(
        {"cash": "last_13_weeks"}
    )
    zero = pl.lit(Decimal("0.00"), pl.Decimal(38, 2))
    return (
        quarter.join(week, on="entity", how="left")
        .join(prev, on="entity", how="left")
        .with_columns(pl.col("this_week", "last_week").fill_null(zero))
        .select("entity", "this_week", "last_week", "last_13_weeks")
        .sort("entity")
    )


def weekly_cash_trend(ledger: Ledger, as_of: date, weeks: int = 13) -> pl.DataFrame:
    """Cash collected in each of the last ``weeks`` weeks ending on the weekly dates."""
    rows = [(d, _cash_total(ledger, d - timedelta(days=6), d)) for d in weekly_dates(as_of, weeks)]
    return pl.DataFrame(rows, schema={"week_ending": pl.Date, "cash": pl.Decimal(38, 2)}, orient="row")


def kpi_dates(as_of: date) -> list[date]:
    """Dates the report needs KPIs for: 13 weekly dates and 12 month ends."""
    return sorted(set(weekly_dates(as_of, 13)) | set(month_end_dates(as_of, 12)))


def dso_trend(history: list[Kpis], as_of: date) -> pl.DataFrame:
    """DSO (countback), BPDSO and ADD at the last 12 month ends and at ``as_of``."""
    wanted = set(month_end_dates(as_of, 12))
    return kpi_frame([k for k in history if k.as_of in wanted]).select(
        "as_of", "dso_countback", "dso_simple", "bpdso", "add", "cei"
    )


def data_quality(ledger: Ledger) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-file load counts and the quarantined rows (file, line, reason, row)."""
    files = pl.DataFrame(
        [
            {
                "file": name,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_quarantined": f.rows_quarantined,
                "amount_read": f.amount_read,
                "amount_loaded": f.amount_loaded,
                "amount_quarantined": f.amount_quarantined,
            }
            for name, f in ledger.report.files.items()
        ],
        schema={
            "file": pl.String,
            "rows_read": pl.Int64,
            "rows_loaded": pl.Int64,
            "rows_quarantined": pl.Int64,
            "amount_read": pl.Decimal(38, 3),
            "amount_loaded": pl.Decimal(38, 3),
            "amount_quarantined": pl.Decimal(38, 3),
        },
    )
    return files, ledger.report.quarantine_frame()


def checkpoint_table(record: dict[str, object]) -> pl.DataFrame:
    """A journal checkpoint as a two-column table a reader can copy (seal and signature in full)."""
    rows = [
        ("Journal", str(record.get("journal_id") or "not keyed")),
        ("Last entry", str(record["entry_id"])),
        ("Entries", str(record["entries"])),
        ("Seal of the last entry", str(record.get("head") or "")),
        ("Key id", str(record.get("key_id") or "")),
        ("Taken at (UTC)", str(record["taken_at"])),
        ("Signature", str(record.get("mac") or "not signed")),
    ]
    return pl.DataFrame(rows, schema={"Checkpoint": pl.Utf8, "Value": pl.Utf8}, orient="row")


def write_summary(path: Path, head: Headline, extra: dict[str, object]) -> Path:
    """Write the report's machine-readable summary (JSON)."""
    return atomic_write_text(path, json.dumps({**head.as_json(), **extra}, indent=2) + "\n")


@dataclass(frozen=True)
class WeeklyData:
    """Everything the weekly report shows, computed once."""

    ledger: Ledger
    as_of: date
    entity: str | None
    history: list[Kpis]
    head: Headline
    aging_trend: pl.DataFrame
    by_entity: pl.DataFrame
    by_currency: pl.DataFrame
    top_overdue: pl.DataFrame
    over_90: pl.DataFrame
    on_hold: pl.DataFrame
    disputes: pl.DataFrame
    cash_by_entity: pl.DataFrame
    cash_trend: pl.DataFrame
    dso_trend: pl.DataFrame
    load_files: pl.DataFrame
    quarantine: pl.DataFrame
    stale: str | None = None
    """The warning shown at the top when the as-of date is long after the ledger's last data, else None."""

    @property
    def currency(self) -> str:
        """The reporting currency."""
        return self.ledger.reporting_currency

    def aging_trend_long(self) -> pl.DataFrame:
        """The 13-week aging as ``(week, bucket, amount)`` rows for the stacked chart."""
        labels = DEFAULT_BUCKETS.labels
        return self.aging_trend.unpivot(index="as_of", on=labels, variable_name="bucket", value_name="amount").rename(
            {"as_of": "week"}
        )


@dataclass(frozen=True)
class Params:
    """What the weekly report is asked for: the last day of the week and, optionally, one entity."""

    as_of: date
    entity: str | None = None

    @classmethod
    def of(cls, as_of: date | str, entity: str | None = None) -> Params:
        """Parameters from notebook values: an ISO date text and ``""`` for all entities."""
        return cls(as_of=date.fromisoformat(as_of) if isinstance(as_of, str) else as_of, entity=entity or None)


def build(full: Ledger, params: Params) -> WeeklyData:
    """Every table of the weekly report for ``params`` (the whole ledger in, one entity's view out).

    Raises :class:`~workbench.ledger.names.UnknownNameError` for an entity the ledger does not hold.
    """
    day, entity = params.as_of, params.entity
    check_names(full, {"entity": entity})
    led = full.filter_entity(entity)
    history = kpi_history(full, kpi_dates(day), entity=entity)
    by_entity = aging(led, day, by="entity")
    by_currency = aging(led, day, by="currency")
    files, quarantine = data_quality(full)
    return WeeklyData(
        ledger=led,
        as_of=day,
        entity=entity,
        history=history,
        head=headline(led, day, history),
        aging_trend=aging_trend(led, day),
        by_entity=by_entity,
        by_currency=by_currency,
        top_overdue=top_overdue(led, day),
        over_90=over_90_items(led, day),
        on_hold=customers_on_hold(led, day),
        disputes=disputes(led, day),
        cash_by_entity=cash_by_entity(led, day),
        cash_trend=weekly_cash_trend(led, day),
        dso_trend=dso_trend(history, day),
        load_files=files,
        quarantine=quarantine,
        stale=stale_warning(full, day),
    )


def headline_cards(head: Headline) -> list:
    """The KPI cards of the report's first row, each with its change vs last week."""
    from ..render.display import Card
    from ..render.format import DeltaKind, days, delta, money_short, pct

    now, last, cur = head.now, head.last_week, head.now.reporting_currency

    def card(label: str, value_now, value_last, kind: DeltaKind, good_when: Literal["up", "down"], text: str) -> Card:
        change = delta(value_now, value_last, kind, decimals=1 if kind == "days" else None)
        return Card(label, text, change.text, change.direction, good_when, "vs last week")

    def pct_overdue(k: Kpis) -> Decimal | None:
        return None if k.gross_open == 0 else k.overdue / k.gross_open

    def cei_fraction(k: Kpis) -> float | None:
        return None if k.cei is None else k.cei / 100

    def over_90(k: Kpis) -> Decimal:
        return k.aging.get("91-120", Decimal(0)) + k.aging.get("120+", Decimal(0))

    return [
        card("Total AR", now.total_ar, last.total_ar, "money", "down", money_short(now.total_ar, cur)),
        card("Overdue", now.overdue, last.overdue, "money", "down", money_short(now.overdue, cur)),
        card("% overdue", pct_overdue(now), pct_overdue(last), "pct", "down", pct(pct_overdue(now))),
        card("Over 90 days", over_90(now), over_90(last), "money", "down", money_short(over_90(now), cur)),
        card(
            "DSO (countback)",
            now.dso_countback,
            last.dso_countback,
            "days",
            "down",
            days(now.dso_countback, 1) + (" (capped)" if now.dso_countback_capped else ""),
        ),
        card("CEI (month to date)", cei_fraction(now), cei_fraction(last), "pct", "up", pct(cei_fraction(now))),
        card(
            "Cash collected this week",
            head.cash_this_week,
            head.cash_last_week,
            "money",
            "up",
            money_short(head.cash_this_week, cur),
        ),
    ]


def activity(
    frames: JournalFrames | None, ledger: Ledger, as_of: date, grace_days: int | None = None
) -> WeekActivity | None:
    """The week's collections activity from the journal's frames, or ``None`` when there is no journal.

    Promises count as kept within ``grace_days`` of their date (default: the shipped collections policy's).
    """
    if frames is None:
        return None
    if grace_days is None:
        from ..collections.policy import load_policy

        grace_days = load_policy().default.promise_grace_days
    return week_activity(frames, ledger, as_of, grace_days)


def activity_cards(activity) -> list:
    """Headline cards of the week's collections work."""
    from ..render.display import Card

    counts = activity.promise_counts
    due = sum(counts.values())
    return [
        Card(
            "Actions logged",
            f"{int(activity.actions['total'].sum()) if activity.actions.height else 0:,}",
            note="contacts, promises, disputes, letters",
        ),
        Card(
            "Promises due",
            f"{due:,}",
            note=f"{counts['kept']} kept · {counts['broken']} broken · {counts['pending']} pending",
        ),
        Card(
            "Disputes",
            f"{activity.new_disputes.height} new",
            note=f"{activity.resolved_disputes.height} closed · {activity.open_disputes} open in total",
        ),
        Card(
            "Escalations",
            f"{activity.escalations.height:,}",
            note=f"this week · {activity.files.height} agency/lawyer files open",
        ),
    ]
