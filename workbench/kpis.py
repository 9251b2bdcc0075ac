"""Headline receivables KPIs (CONVENTIONS §1-§6) at one date or as a history.

Every figure is computed exactly (integer mills and scaled rates) and rounded
only when shown: money half-even to the reporting currency's minor units,
ratios half-even to 2 decimals. ``kpi_history`` computes many dates in one
pass over the ledger (open items at all dates at once, billings and
settlements prepared once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

import polars as pl

from .aging import DEFAULT_BUCKETS, Buckets, age_expr
from .behaviour import behaviour_sums, paydex, ratio, round2, settled_documents
from .fx import to_reporting
from .ledger.asof import open_items, unapplied_credit
from .ledger.model import Ledger
from .money import converted_to_decimal, exact_sum, to_money

COUNTBACK_MONTHS = 24
SIMPLE_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Kpis:
    """The KPI set of one date. Money is Decimal (rounded), ratios float or None."""

    as_of: date
    reporting_currency: str
    entity: str | None
    aging: dict[str, Decimal]
    gross_open: Decimal
    unapplied_credit: Decimal
    total_ar: Decimal
    overdue: Decimal
    current: Decimal
    dso_countback: float | None
    dso_countback_capped: bool
    dso_simple: float | None
    bpdso: float | None
    add: float | None
    cei: float | None
    pct_current: float | None
    pct_over_90: float | None
    weighted_days_to_pay: float | None
    dbt: float | None
    average_payment_delay: float | None
    paydex: float | None

    def as_json(self) -> dict[str, object]:
        """JSON-ready dict: money as strings with 2 decimals, dates ISO, ratios numbers or null."""
        out: dict[str, object] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Decimal):
                out[key] = str(value)
            elif isinstance(value, date):
                out[key] = value.isoformat()
            elif isinstance(value, dict):
                out[key] = {k: str(v) for k, v in value.items()}
            else:
                out[key] = value
        return out


def daily_billings(ledger: Ledger) -> pl.DataFrame:
    """Billings per day in the reporting currency at doc-date rates: ``(doc_date, value)``.

    Invoices and debit notes count positive, credit notes negative (in their
    own month, whatever they are later allocated to). ``value`` is Int128 at
    scale 10**15.
    """
    signed = ledger.documents.select(
        "doc_date",
        "currency",
        pl.when(pl.col("doc_type") == "credit_note")
        .then(-pl.col("amount"))
        .otherwise(pl.col("amount"))
        .alias("amount"),
    )
    per_day = signed.group_by("doc_date", "currency").agg(exact_sum("amount"))
    rated = ledger.fx.rates_for(per_day.select("currency", "doc_date"), "doc_date")
    return (
        per_day.join(rated, on=["currency", "doc_date"], how="left")
        .select("doc_date", to_reporting("amount").alias("value"))
        .group_by("doc_date")
        .agg(pl.col("value").sum())
        .sort("doc_date")
    )


class _Billings:
    """Range sums over daily billings (exact ints)."""

    def __init__(self, daily: pl.DataFrame) -> None:
        self.dates = daily["doc_date"].to_list()
        self.cum = [0]
        for v in daily["value"].to_list():
            self.cum.append(self.cum[-1] + int(v))

    def between(self, first: date, last: date) -> int:
        """Sum of billings with ``first <= doc_date <= last``."""
        from bisect import bisect_left, bisect_right

        lo = bisect_left(self.dates, first)
        hi = bisect_right(self.dates, last)
        return self.cum[hi] - self.cum[lo] if hi > lo else 0


def dso_countback(
    total_ar: Decimal, monthly: Sequence[tuple[Decimal, int]], max_months: int = COUNTBACK_MONTHS
) -> tuple[Decimal | None, bool]:
    """Countback DSO from total AR and ``(billings, days)`` per month, newest first.

    Returns ``(days, capped)``; ``capped`` is True when the walk ran out of
    months (report "> days"). ``None`` when no month has positive billings.
    A non-positive AR gives 0 days.

    >>> dso_countback(Decimal(212000), [(Decimal(100000), 30), (Decimal(80000), 30), (Decimal(70000), 30)])[0]
    Decimal('73.71428571428571428571428571428571428571428571428571428571428571428571428571428571')
    """
    if not any(s > 0 for s, _ in monthly[:max_months]):
        return None, False
    if total_ar <= 0:
        return Decimal(0), False
    remaining = total_ar
    days = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 80
        for sales, d in monthly[:max_months]:
            if sales <= 0:
                days += d
            elif remaining > sales:
                remaining -= sales
                days += d
            else:
                return days + remaining / sales * d, False
    return days, True


def month_windows(as_of: date, months: int = COUNTBACK_MONTHS) -> list[tuple[date, date]]:
    """``(first, last)`` of the month of ``as_of`` (up to as_of) and the months before it."""
    out = [(as_of.replace(day=1), as_of)]
    first = as_of.replace(day=1)
    for _ in range(months - 1):
        last = first - timedelta(days=1)
        first = last.replace(day=1)
        out.append((first, last))
    return out


def cei(ar_begin: Decimal, billings: Decimal, ar_end: Decimal, current_end: Decimal, months: int = 1) -> Decimal | None:
    """Collection effectiveness index in percent (CONVENTIONS §5); None when undefined.

    >>> round(cei(Decimal(6200), Decimal(10890), Decimal(6340), Decimal(3590), 3), 2)
    Decimal('55.93')
    """
    with localcontext() as ctx:
        ctx.prec = 80
        base = ar_begin + billings / months
        denominator = base - current_end
        if denominator == 0:
            return None
        return (base - ar_end) / denominator * 100


def dso_simple(
    total_ar: Decimal | int, billings: Decimal | int, window_days: int = SIMPLE_WINDOW_DAYS
) -> Decimal | None:
    """Simple DSO: AR / billings of the window x window days; None when billings <= 0.

    Used with the current (not yet due) amount instead of AR it gives BPDSO.

    >>> round(dso_simple(150000, 1800000, 365), 2)
    Decimal('30.42')
    """
    if billings <= 0:
        return None
    return ratio(Decimal(total_ar) * window_days, Decimal(billings))


def _pct(part: int, whole: int) -> Decimal | None:
    value = ratio(part, whole)
    return None if value is None else value * 100


#: Dates whose open items a KPI history computes together (memory vs. passes over the ledger).
HISTORY_CHUNK = 4


def kpi_history(
    ledger: Ledger, dates: Sequence[date], *, entity: str | None = None, buckets: Buckets = DEFAULT_BUCKETS
) -> list[Kpis]:
    """KPIs at each date: open items of several dates per pass (``HISTORY_CHUNK`` at a time), not one pass per date."""
    led = ledger.filter_entity(entity)
    dates = sorted(set(dates))
    month_ends = {d.replace(day=1) - timedelta(days=1) for d in dates}
    all_dates = sorted(set(dates) | month_ends)
    # Open items of several dates at once (one pass), a few dates at a time so that a long history of
    # a 10M-document ledger never holds every date's open items together.
    conv_parts, credit_parts = [], []
    for start in range(0, len(all_dates), HISTORY_CHUNK):
        chunk = all_dates[start : start + HISTORY_CHUNK]
        items = open_items(led, chunk, columns=["currency", "due_date"]).with_columns(
            buckets.expr(age_expr()).alias("bucket"), (age_expr() > 90).alias("over_90")
        )
        conv_parts.append(led.fx.convert_sums(items, ["as_of", "bucket", "over_90"]))
        del items
        credit_parts.append(led.fx.convert_sums(unapplied_credit(led, chunk, columns=["currency"]), ["as_of"]))
    conv, credit = pl.concat(conv_parts), pl.concat(credit_parts)
    per_date: dict[date, dict[str, int]] = {d: {} for d in all_dates}
    for d, bucket, over, value in conv.iter_rows():
        slot = per_date[d]
        slot[bucket] = slot.get(bucket, 0) + int(value)
        if over:
            slot["_over_90"] = slot.get("_over_90", 0) + int(value)
    credit_by_date = {d: int(v) for d, v in credit.iter_rows()}
    billings = _Billings(daily_billings(led))
    settled = settled_documents(led, ids=())
    labels = buckets.labels
    cur = ledger.reporting_currency
    out = []
    for d in dates:
        slot = per_date[d]
        gross = sum(slot.get(b, 0) for b in labels)
        current = slot.get(labels[0], 0) if buckets.edges[0] == 0 else None
        unapplied = credit_by_date.get(d, 0)
        total = gross - unapplied
        dec = converted_to_decimal
        monthly = [(dec(billings.between(a, b)), (b - a).days + 1) for a, b in month_windows(d)]
        countback, capped = dso_countback(dec(total), monthly)
        window = billings.between(d - timedelta(days=SIMPLE_WINDOW_DAYS - 1), d)
        simple = dso_simple(total, window)
        bpdso = None if current is None else dso_simple(current, window)
        add = None if simple is None or bpdso is None else simple - bpdso
        prev_end = d.replace(day=1) - timedelta(days=1)
        pslot = per_date[prev_end]
        ar_begin = sum(pslot.get(b, 0) for b in labels) - credit_by_date.get(prev_end, 0)
        cei_value = cei(dec(ar_begin), dec(billings.between(d.replace(day=1), d)), dec(total), dec(current or 0))
        sums = behaviour_sums(settled, d).row(0, named=True)
        weight = sums["weight"] or 0
        apd = ratio(sums["w_delay"] or 0, weight)
        out.append(
            Kpis(
                as_of=d,
                reporting_currency=cur,
                entity=entity,
                aging={b: to_money(dec(slot.get(b, 0)), cur) for b in labels},
                gross_open=to_money(dec(gross), cur),
                unapplied_credit=to_money(dec(unapplied), cur),
                total_ar=to_money(dec(total), cur),
                overdue=to_money(dec(gross - (current or 0)), cur),
                current=to_money(dec(current or 0), cur),
                dso_countback=round2(countback),
                dso_countback_capped=capped,
                dso_simple=round2(simple),
                bpdso=round2(bpdso),
                add=round2(add),
                cei=round2(cei_value),
                pct_current=round2(_pct(current or 0, gross)),
                pct_over_90=round2(_pct(slot.get("_over_90", 0), gross)),
                weighted_days_to_pay=round2(ratio(sums["w_days"] or 0, weight)),
                dbt=round2(ratio(sums["w_dbt"] or 0, weight)),
                average_payment_delay=round2(apd),
                paydex=round2(paydex(apd)),
            )
        )
    return out


def kpis(ledger: Ledger, as_of: date, *, entity: str | None = None, buckets: Buckets = DEFAULT_BUCKETS) -> Kpis:
    """The KPI set at ``as_of`` (optionally for one selling entity).

    >>> # kpis(load_ledger("demo"), date(2026, 11, 20)).total_ar  # doctest: +SKIP
    """
    return kpi_history(ledger, [as_of], entity=entity, buckets=buckets)[0]


def kpi_frame(history: Sequence[Kpis]) -> pl.DataFrame:
    """A history of KPIs as a frame (money as Decimal, one row per date)."""
    rows = []
    for k in history:
        row = {key: value for key, value in asdict(k).items() if key != "aging"}
        row.update({f"aging_{b}": v for b, v in k.aging.items()})
        rows.append(row)
    return pl.DataFrame(rows)


def weekly_dates(as_of: date, weeks: int = 13) -> list[date]:
    """``as_of`` and the same weekday in each of the previous ``weeks - 1`` weeks, oldest first."""
    return [as_of - timedelta(weeks=i) for i in reversed(range(weeks))]


def month_end_dates(as_of: date, months: int = 12) -> list[date]:
    """Month ends of the ``months - 1`` months before ``as_of``, then ``as_of`` itself."""
    out = [as_of]
    d = as_of.replace(day=1) - timedelta(days=1)
    for _ in range(months - 1):
        out.append(d)
        d = d.replace(day=1) - timedelta(days=1)
    return sorted(out)
