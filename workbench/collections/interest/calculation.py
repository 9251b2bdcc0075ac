"""The arithmetic of statutory late-payment interest (CONVENTIONS §9).

Simple interest, actual/365, for each day ``t`` with ``due_date < t <=
end_date`` (from the day after the due date up to and including the payment
or as-of date, so ``days = end_date - due_date``), at the statutory rate of
:mod:`workbench.collections.interest.law` for the day's half-year.

Everything is ``Decimal``: part amounts are ``days × balance × rate / 36500``
unrounded, and the interest of one item is rounded once, half-even, to the
currency's minor unit, computed exactly from the sum of the numerators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, Inexact, localcontext
from fractions import Fraction

from workbench.money import minor_units, quantum
from workbench.reference_rates import RateTable

from ._numbers import as_decimal
from .law import (
    Jurisdiction,
    half_year_label,
    half_year_start,
    jurisdiction_rules,
    next_half_year_start,
    resolve_tables,
    statutory_rate,
)

__all__ = [
    "InterestPart",
    "InterestResult",
    "late_interest",
    "late_interest_at_rate",
    "late_interest_on_balances",
]

_DAYS_IN_YEAR = 365


@dataclass(frozen=True)
class InterestPart:
    """Interest on one constant balance at one rate.

    ``start`` and ``end`` are the first and last interest day, both included
    (``days = end - start + 1``). ``amount`` is ``balance × rate_percent × days
    / 36500`` unrounded (to 34 significant digits); the result's rounded total
    is computed exactly from the parts, not from these amounts.
    """

    start: date
    end: date
    days: int
    balance: Decimal
    rate_percent: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InterestResult:
    """Late-payment interest of one item.

    ``amount`` is rounded once, half-even, to the currency's minor unit.
    ``basis`` explains the rate(s) in a line suitable for a letter; with
    several half-years the explanations are joined with ``'; '``, each headed
    by its half-year. ``warnings`` name any rate table used past its
    ``checked_through`` date.
    """

    amount: Decimal
    parts: tuple[InterestPart, ...]
    warnings: tuple[str, ...]
    basis: str


def _round_interest(numerator: Decimal, currency: str) -> Decimal:
    """Exactly ``numerator / 36500`` rounded half-even to the currency's minor unit."""
    places = minor_units(currency)
    units = round(Fraction(numerator) * 10**places / (100 * _DAYS_IN_YEAR))
    return Decimal(units).scaleb(-places).quantize(quantum(currency))


def late_interest_at_rate(principal: Decimal, days: int, rate_percent: Decimal, currency: str = "EUR") -> Decimal:
    """The plain formula ``principal × days × rate_percent / 100 / 365``, rounded once.

    Rounded half-even to the minor unit of ``currency``; ``days <= 0`` gives
    zero. ``principal`` must not be negative.

    >>> late_interest_at_rate(Decimal("2000"), 45, Decimal("12.25"), "GBP")
    Decimal('30.21')
    """
    amount = as_decimal(principal, "principal")
    rate = as_decimal(rate_percent, "rate_percent")
    if amount < 0:
        raise ValueError(f"principal must not be negative, got {amount}")
    if days <= 0:
        return _round_interest(Decimal(0), currency)
    with localcontext() as ctx:
        ctx.prec = 80
        ctx.traps[Inexact] = True
        numerator = amount * rate * days
    return _round_interest(numerator, currency)


def _normalise_schedule(schedule: Iterable[tuple[date, Decimal]], due_date: date) -> list[tuple[date, Decimal]]:
    entries = [(d, as_decimal(b, f"balance on {d}")) for d, b in schedule]
    if not entries:
        raise ValueError("the balance schedule is empty")
    entries.sort(key=lambda entry: entry[0])
    for (before, _), (after, _) in zip(entries, entries[1:]):
        if before == after:
            raise ValueError(f"the balance schedule has two entries for {after.isoformat()}")
    if entries[0][0] > due_date:
        raise ValueError(
            f"the balance schedule starts on {entries[0][0].isoformat()}, after the due date "
            f"{due_date.isoformat()}: give the balance outstanding on the due date"
        )
    for d, balance in entries:
        if balance < 0:
            raise ValueError(f"the balance on {d.isoformat()} is negative ({balance})")
    return entries


def _basis_line(jur: Jurisdiction, base: Decimal, total: Decimal) -> str:
    return f"{jur.rate_label} {base} % + {jur.margin} points = {total} %"


def late_interest_on_balances(
    schedule: Sequence[tuple[date, Decimal]],
    due_date: date,
    end_date: date,
    jurisdiction: str,
    tables: Mapping[str, RateTable] | None = None,
    currency: str = "EUR",
) -> InterestResult:
    """Statutory interest on a balance that changes over time (partial payments).

    ``schedule`` lists ``(date, balance)``: the balance outstanding from that
    date on. Interest accrues for each day ``t`` with ``due_date < t <=
    end_date``, on the balance of the latest entry dated strictly **before**
    ``t``. So a payment on day ``P`` (an entry ``(P, new balance)``) stops
    interest on the paid part from day ``P + 1``: the payment day itself still
    accrues, consistent with "to the payment date". Example: ``[(due, 1000),
    (2025-03-10, 400)]`` charges 1000 up to and including 10 March and 400
    from 11 March.

    The schedule must have an entry dated on or before ``due_date``; dates must
    be distinct (any order); balances must not be negative. Days with a zero
    balance produce no part. The period is split at each balance change and at
    each 1 Jan / 1 Jul, each half-year using its own reference rate; the total
    is rounded once, half-even, to the minor unit of ``currency``. When
    ``end_date <= due_date`` the interest is zero. ``tables`` are the
    reference rates (default: the packaged tables).
    """
    jur = jurisdiction_rules(jurisdiction)
    entries = _normalise_schedule(schedule, due_date)
    first_day = due_date + timedelta(days=1)
    if end_date < first_day:
        return InterestResult(
            amount=_round_interest(Decimal(0), currency),
            parts=(),
            warnings=(),
            basis=f"not overdue on {end_date.isoformat()}: no interest",
        )
    resolved = resolve_tables(tables)

    # Days on which the balance or the half-year changes, within the period.
    breaks = {d + timedelta(days=1) for d, _ in entries}
    boundary = next_half_year_start(first_day)
    while boundary <= end_date:
        breaks.add(boundary)
        boundary = next_half_year_start(boundary)
    starts = sorted({first_day} | {b for b in breaks if first_day < b <= end_date})

    rates: dict[date, tuple[Decimal, Decimal]] = {}
    warnings: list[str] = []
    parts: list[InterestPart] = []
    numerator = Decimal(0)
    for index, start in enumerate(starts):
        end = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else end_date
        half = half_year_start(start)
        if half not in rates:
            base, total, warning = statutory_rate(jur, half, resolved)
            rates[half] = (base, total)
            if warning and warning not in warnings:
                warnings.append(warning)
        total = rates[half][1]
        balance = [b for d, b in entries if d < start][-1]
        if balance == 0:
            continue
        days = (end - start).days + 1
        with localcontext() as ctx:
            ctx.prec = 80
            ctx.traps[Inexact] = True
            part_numerator = balance * total * days
            numerator += part_numerator
        with localcontext() as ctx:
            ctx.prec = 34
            part_amount = part_numerator / (100 * _DAYS_IN_YEAR)
        parts.append(InterestPart(start, end, days, balance, total, part_amount))

    lines = [(half, _basis_line(jur, base, total)) for half, (base, total) in sorted(rates.items())]
    if len(lines) == 1:
        basis = lines[0][1]
    else:
        basis = "; ".join(f"{half_year_label(half)}: {line}" for half, line in lines)
    return InterestResult(
        amount=_round_interest(numerator, currency),
        parts=tuple(parts),
        warnings=tuple(warnings),
        basis=basis,
    )


def late_interest(
    principal: Decimal,
    due_date: date,
    end_date: date,
    jurisdiction: str,
    tables: Mapping[str, RateTable] | None = None,
    currency: str = "EUR",
) -> InterestResult:
    """Statutory interest on ``principal`` outstanding from ``due_date`` to ``end_date``.

    ``end_date`` is the payment date or the as-of date; interest runs from the
    day after the due date up to and including ``end_date`` (``days = end_date
    - due_date``), split by half-year as in :func:`late_interest_on_balances`.
    """
    return late_interest_on_balances([(due_date, principal)], due_date, end_date, jurisdiction, tables, currency)
