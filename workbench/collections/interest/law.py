"""The statutory late-payment rules of each jurisdiction (CONVENTIONS §9).

=====  ==========================================  ==========  =================
code   law                                         rate        compensation
=====  ==========================================  ==========  =================
EU     Directive 2011/7/EU                         ECB + 8     EUR 40
FR     Code de commerce L441-10                    ECB + 10    EUR 40
DE     BGB § 288(2)                                Basis + 9   EUR 40
UK     Late Payment of Commercial Debts Act 1998   BoE + 8     GBP 40 / 70 / 100
=====  ==========================================  ==========  =================

Which law applies to a country, which reference rate it uses and on which
day that rate is read, the margin over it, and the fixed compensation per
invoice. The reference rate is fixed for each half-year: the value in force
on 1 Jan (H1) or 1 Jul (H2) for EU, FR and DE (``jan_jul``); on 31 Dec of the
previous year (H1) or 30 Jun (H2) for the UK (``dec_jun``). The rates
themselves come from :mod:`workbench.reference_rates`; the day-by-day
arithmetic is :mod:`workbench.collections.interest.calculation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from workbench.reference_rates import RateTable, RateTableError, packaged_rates

from ._numbers import as_decimal

__all__ = [
    "JURISDICTIONS",
    "Compensation",
    "Jurisdiction",
    "fixed_compensation",
    "half_year_label",
    "half_year_start",
    "jurisdiction_for_country",
    "jurisdiction_rules",
    "next_half_year_start",
    "reference_date",
    "reference_rate",
    "resolve_tables",
    "statutory_rate",
]


@dataclass(frozen=True)
class Compensation:
    """Fixed compensation per invoice: ``tiers`` of ``(below, amount)``.

    The first tier whose ``below`` is ``None`` or greater than the debt applies
    (the debt is measured in ``currency``).
    """

    currency: str
    tiers: tuple[tuple[Decimal | None, Decimal], ...]


@dataclass(frozen=True)
class Jurisdiction:
    """The statutory late-payment rules of one jurisdiction.

    ``reference`` is ``'jan_jul'`` (rate in force on 1 Jan for H1, 1 Jul for H2)
    or ``'dec_jun'`` (rate of 31 Dec of the previous year for H1, 30 Jun for H2).
    ``margin`` is in percentage points over the rate of table ``table``.
    """

    code: str
    label: str
    table: str
    rate_label: str
    margin: Decimal
    reference: str
    compensation: Compensation


_EUR_40 = Compensation("EUR", ((None, Decimal(40)),))

JURISDICTIONS: dict[str, Jurisdiction] = {
    "EU": Jurisdiction(
        "EU", "EU directive 2011/7/EU", "ecb_mro", "ECB main refinancing rate", Decimal(8), "jan_jul", _EUR_40
    ),
    "FR": Jurisdiction(
        "FR",
        "France, Code de commerce L441-10",
        "ecb_mro",
        "ECB main refinancing rate",
        Decimal(10),
        "jan_jul",
        _EUR_40,
    ),
    "DE": Jurisdiction("DE", "Germany, BGB § 288(2)", "de_basiszins", "Basiszinssatz", Decimal(9), "jan_jul", _EUR_40),
    "UK": Jurisdiction(
        "UK",
        "United Kingdom, Late Payment of Commercial Debts (Interest) Act 1998",
        "boe_base",
        "Bank of England base rate",
        Decimal(8),
        "dec_jun",
        Compensation("GBP", ((Decimal(1000), Decimal(40)), (Decimal(10000), Decimal(70)), (None, Decimal(100)))),
    ),
}

#: EU-27 member states (ISO 3166-1 alpha-2; Greece is GR).
_EU_MEMBERS = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split())


def jurisdiction_for_country(country: str) -> str | None:
    """The jurisdiction code for the country whose law governs the contract.

    FR → ``'FR'``, DE → ``'DE'``, GB → ``'UK'``, any other EU-27 member state →
    ``'EU'`` (the directive's minimum), anything else → ``None``: the workbench
    claims no statutory interest there rather than guessing a national rule.
    The code is an ISO 3166-1 alpha-2 code, case-insensitive.
    """
    code = country.strip().upper()
    if code == "FR":
        return "FR"
    if code == "DE":
        return "DE"
    if code == "GB":
        return "UK"
    if code in _EU_MEMBERS:
        return "EU"
    return None


def jurisdiction_rules(code: str) -> Jurisdiction:
    """The rules of jurisdiction ``code`` (``ValueError`` naming the known codes when there is none)."""
    try:
        return JURISDICTIONS[code]
    except KeyError:
        known = ", ".join(sorted(JURISDICTIONS))
        raise ValueError(f"unknown jurisdiction {code!r} (known: {known})") from None


def half_year_start(d: date) -> date:
    """1 Jan or 1 Jul: the first day of the half-year containing ``d``."""
    return date(d.year, 1 if d.month <= 6 else 7, 1)


def next_half_year_start(d: date) -> date:
    """The first day of the half-year after the one containing ``d``."""
    return date(d.year, 7, 1) if d.month <= 6 else date(d.year + 1, 1, 1)


def half_year_label(start: date) -> str:
    """``H1 2025`` or ``H2 2025`` for the half-year starting on ``start``."""
    return f"H{1 if start.month == 1 else 2} {start.year}"


def reference_date(jurisdiction: str, d: date) -> date:
    """The day whose rate fixes the reference rate for the half-year containing ``d``."""
    rule = jurisdiction_rules(jurisdiction).reference
    start = half_year_start(d)
    if rule == "jan_jul":
        return start
    if rule == "dec_jun":
        return start - timedelta(days=1)
    raise ValueError(f"unknown reference rule {rule!r}")


def resolve_tables(tables: Mapping[str, RateTable] | None) -> Mapping[str, RateTable]:
    """``tables``, or the packaged reference rates when it is ``None``."""
    return packaged_rates() if tables is None else tables


def statutory_rate(jur: Jurisdiction, d: date, tables: Mapping[str, RateTable]) -> tuple[Decimal, Decimal, str | None]:
    """``(reference rate, reference rate + margin, warning)`` for the half-year containing ``d``.

    Raises :class:`~workbench.reference_rates.RateTableError` when ``tables``
    lacks the jurisdiction's table or it has no rate for the reference date.
    """
    try:
        table = tables[jur.table]
    except KeyError:
        raise RateTableError(f"no rate table {jur.table!r} (needed for {jur.code})") from None
    base, warning = table.lookup(reference_date(jur.code, d))
    return base, base + jur.margin, warning


def reference_rate(
    jurisdiction: str, d: date, tables: Mapping[str, RateTable] | None = None
) -> tuple[Decimal, tuple[str, ...]]:
    """The statutory rate in percent (reference rate + margin) for the half-year containing ``d``.

    Returns ``(rate_percent_total, warnings)``; ``warnings`` is empty unless the
    reference date is after the table's ``checked_through``. ``tables``
    defaults to the packaged tables.
    """
    jur = jurisdiction_rules(jurisdiction)
    _, total, warning = statutory_rate(jur, d, resolve_tables(tables))
    return total, (warning,) if warning else ()


def fixed_compensation(jurisdiction: str, debt_amount: Decimal, debt_currency: str) -> tuple[Decimal, str]:
    """The fixed compensation per invoice: ``(amount, currency)``.

    EUR 40 for EU, FR and DE whatever the debt's currency. For the UK the tier
    depends on the debt in GBP (GBP 40 below 1,000; 70 below 10,000; 100 from
    10,000); a debt in another currency raises ``ValueError``: convert it to
    GBP first. ``debt_amount`` must be positive.
    """
    jur = jurisdiction_rules(jurisdiction)
    debt = as_decimal(debt_amount, "debt_amount")
    if debt <= 0:
        raise ValueError(f"compensation is due only on a positive debt, got {debt}")
    rule = jur.compensation
    tiered = len(rule.tiers) > 1
    if tiered and debt_currency.upper() != rule.currency:
        raise ValueError(
            f"{jur.code} compensation depends on the debt in {rule.currency}; "
            f"convert the {debt_currency} amount to {rule.currency} and pass that"
        )
    for below, amount in rule.tiers:
        if below is None or debt < below:
            return amount, rule.currency
    raise AssertionError("compensation tiers must end with an open tier")
