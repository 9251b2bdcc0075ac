"""Scalar KPI formulas shared by the two reference engines (CONVENTIONS §3-§6).

The reference engines compute sums (exact DECIMAL in DuckDB, floats in
pandas); what remains is a handful of divisions and the countback walk on at
most 24 monthly figures, written here once from the conventions. The
functions take plain numbers (``Decimal`` or ``float``) and use only ``+ - * /``
so that exact inputs give exact results and float inputs stay floats.

Nothing here imports the workbench: the references must not share its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import TypeVar

Num = TypeVar("Num", Decimal, float)

BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
BUCKET_EDGES: tuple[int, ...] = (0, 30, 60, 90, 120)
AGING_COLUMNS: tuple[str, ...] = (*BUCKETS, "gross_open", "unapplied_credit", "total")
COUNTBACK_MONTHS = 24
SIMPLE_WINDOW_DAYS = 90
BEHAVIOUR_WINDOW_DAYS = 365
PAYDEX_POINTS: tuple[tuple[int, int], ...] = (
    (-30, 100), (-20, 90), (-10, 85), (0, 80), (15, 70), (22, 60), (30, 50), (60, 40), (90, 30), (120, 20),
)
#: KPI fields compared across engines: money (2 decimals) and ratios (2 decimals).
MONEY_KPIS: tuple[str, ...] = ("gross_open", "unapplied_credit", "total_ar", "overdue", "current")
RATIO_KPIS: tuple[str, ...] = (
    "dso_countback", "dso_simple", "bpdso", "add", "cei", "pct_current", "pct_over_90",
    "weighted_days_to_pay", "dbt", "average_payment_delay", "paydex",
)


def previous_month_end(as_of: date) -> date:
    """The last day of the month before ``as_of``'s month (CEI's AR_begin date)."""
    return as_of.replace(day=1) - timedelta(days=1)


def countback_windows(as_of: date, months: int = COUNTBACK_MONTHS) -> list[tuple[date, date]]:
    """``(first, last)`` day of the countback months, newest first.

    The first window runs from the 1st of ``as_of``'s month to ``as_of``;
    the others are the full calendar months before it.
    """
    windows = [(as_of.replace(day=1), as_of)]
    while len(windows) < months:
        last = windows[-1][0] - timedelta(days=1)
        windows.append((last.replace(day=1), last))
    return windows


def weekly_dates(as_of: date, weeks: int) -> list[date]:
    """``as_of`` and the same weekday of the ``weeks - 1`` weeks before it, oldest first."""
    return [as_of - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]


def divide(numerator: Num, denominator: Num) -> Num | None:
    """``numerator / denominator``, None when the denominator is zero (80 digits for Decimal)."""
    if denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 80
        return numerator / denominator


def countback(total_ar: Num, monthly: list[tuple[Num, int]]) -> tuple[Num | None, bool]:
    """Countback DSO from total AR and ``(billings, days)`` per month, newest first.

    Returns ``(days, capped)``. A month with billings <= 0 adds its days; the
    walk stops inside the month whose billings cover what remains of AR;
    after all months the days so far are returned with ``capped`` True. None
    when no month has positive billings; 0 when AR is not positive.
    """
    if not any(s > 0 for s, _ in monthly):
        return None, False
    zero = total_ar * 0
    if total_ar <= 0:
        return zero, False
    remaining, days = total_ar, zero
    with localcontext() as ctx:
        ctx.prec = 80
        for sales, month_days in monthly:
            if sales <= 0 or remaining > sales:
                if sales > 0:
                    remaining = remaining - sales
                days = days + month_days
            else:
                return days + remaining / sales * month_days, False
    return days, True


def paydex(delay: Num | None) -> Num | None:
    """PAYDEX-style index of a signed average payment delay (linear between points, flat outside)."""
    if delay is None:
        return None
    first, last = PAYDEX_POINTS[0], PAYDEX_POINTS[-1]
    if delay <= first[0]:
        return delay * 0 + first[1]
    if delay >= last[0]:
        return delay * 0 + last[1]
    with localcontext() as ctx:
        ctx.prec = 80
        for (x0, y0), (x1, y1) in zip(PAYDEX_POINTS, PAYDEX_POINTS[1:]):
            if x0 <= delay <= x1:
                return y0 + (delay - x0) * (y1 - y0) / (x1 - x0)
    raise AssertionError("unreachable")


def round2(value: Decimal | float | None) -> float | None:
    """Half-even rounding to 2 decimals (exact for Decimal input), as a float for comparison."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    return round(float(value), 2)


def money2(value: Decimal | float) -> str:
    """A money figure rounded half-even to 2 decimals, as text (``"1234.50"``)."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    return f"{round(float(value), 2):.2f}"


@dataclass(frozen=True)
class KpiSums:
    """The sums one date's KPIs are made of (reporting currency; exact or float).

    ``prev_total_ar`` is total AR at the previous month end (for CEI);
    ``monthly`` the countback billings, newest first; the ``w_*`` fields are
    behaviour sums over documents settled in the trailing 365 days, weighted
    by document amount at doc-date rates.
    """

    as_of: date
    gross_open: Num
    current: Num
    over_90: Num
    unapplied_credit: Num
    prev_total_ar: Num
    billings_90: Num
    billings_month: Num
    monthly: list[tuple[Num, int]]
    weight: Num
    w_days: Num
    w_dbt: Num
    w_delay: Num


def kpi_values(s: KpiSums) -> dict[str, object]:
    """The headline KPI set of one date from its sums, rounded as shown.

    Money as text with 2 decimals, ratios as floats rounded half-even to 2
    decimals (None when undefined), ``dso_countback_capped`` as a bool.
    """
    total = s.gross_open - s.unapplied_credit
    simple = divide(total * SIMPLE_WINDOW_DAYS, s.billings_90) if s.billings_90 > 0 else None
    bpdso = divide(s.current * SIMPLE_WINDOW_DAYS, s.billings_90) if s.billings_90 > 0 else None
    add = None if simple is None or bpdso is None else simple - bpdso
    base = s.prev_total_ar + s.billings_month
    cei_den = base - s.current
    cei = None if cei_den == 0 else divide((base - total) * 100, cei_den)
    back, capped = countback(total, s.monthly)
    apd = divide(s.w_delay, s.weight)
    pct = lambda part: None if s.gross_open == 0 else divide(part * 100, s.gross_open)  # noqa: E731
    return {
        "as_of": s.as_of.isoformat(),
        "gross_open": money2(s.gross_open),
        "unapplied_credit": money2(s.unapplied_credit),
        "total_ar": money2(total),
        "overdue": money2(s.gross_open - s.current),
        "current": money2(s.current),
        "dso_countback": round2(back),
        "dso_countback_capped": capped,
        "dso_simple": round2(simple),
        "bpdso": round2(bpdso),
        "add": round2(add),
        "cei": round2(cei),
        "pct_current": round2(pct(s.current)),
        "pct_over_90": round2(pct(s.over_90)),
        "weighted_days_to_pay": round2(divide(s.w_days, s.weight)),
        "dbt": round2(divide(s.w_dbt, s.weight)),
        "average_payment_delay": round2(apd),
        "paydex": round2(paydex(apd)),
    }
