"""Statutory late-payment interest and fixed compensation (CONVENTIONS §9).

Simple interest, actual/365, for each day ``t`` with ``due_date < t <=
end_date`` (from the day after the due date up to and including the payment
or as-of date, so ``days = end_date - due_date``). The yearly rate is a
reference rate plus a statutory margin in percentage points:

=====  ==========================================  ==========  =================
code   law                                         rate        compensation
=====  ==========================================  ==========  =================
EU     Directive 2011/7/EU                         ECB + 8     EUR 40
FR     Code de commerce L441-10                    ECB + 10    EUR 40
DE     BGB § 288(2)                                Basis + 9   EUR 40
UK     Late Payment of Commercial Debts Act 1998   BoE + 8     GBP 40 / 70 / 100
=====  ==========================================  ==========  =================

The reference rate is fixed for each half-year: the value in force on 1 Jan
(H1) or 1 Jul (H2) for EU, FR and DE (``jan_jul``); on 31 Dec of the previous
year (H1) or 30 Jun (H2) for the UK (``dec_jun``). A period spanning several
half-years is split at 1 Jan / 1 Jul and each part uses its own rate.

Everything is ``Decimal``: part amounts are ``days × balance × rate / 36500``
unrounded, and the interest of one item is rounded once, half-even, to the
currency's minor unit, computed exactly from the sum of the numerators.

The reference rates come from dated tables in ``workbench/data/rates`` (see
the README there); a rate needed after a table's ``checked_through`` date is
taken as unchanged and reported as a warning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, Inexact, localcontext
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.money import minor_units, parse_decimal, quantum

__all__ = [
    "JURISDICTIONS",
    "Compensation",
    "InterestPart",
    "InterestResult",
    "Jurisdiction",
    "RateTable",
    "RateTableError",
    "TABLE_KEYS",
    "fixed_compensation",
    "jurisdiction_for_country",
    "late_interest",
    "late_interest_at_rate",
    "late_interest_on_balances",
    "load_rate_tables",
    "reference_date",
    "reference_rate",
]

#: Keys of the rate tables, each stored as ``<key>.csv`` in the rates folder.
TABLE_KEYS: tuple[str, ...] = ("ecb_mro", "boe_base", "de_basiszins")

_DAYS_IN_YEAR = 365
_CHECKED_RE = re.compile(r"checked_through:\s*(\d{4}-\d{2}-\d{2})")
_SOURCE_RE = re.compile(r"source:\s*([^;]*)")


class RateTableError(WorkbenchError):
    """A rate table cannot be read, or has no rate for the day asked."""


# ---------------------------------------------------------------------------
# Rate tables
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RateTable:
    """One dated reference-rate series (rates in percent, one row per change).

    ``rows`` are ``(effective_date, rate_percent)`` pairs, strictly ascending by
    date; the rate in force on a day is that of the latest row dated on or
    before it. ``checked_through`` is the last day for which the table is known
    to be complete.
    """

    name: str
    rows: tuple[tuple[date, Decimal], ...]
    checked_through: date
    source: str = ""

    def __post_init__(self) -> None:
        if not self.rows:
            raise RateTableError(f"rate table {self.name!r} has no rows")
        for (before, _), (after, _) in zip(self.rows, self.rows[1:]):
            if after <= before:
                raise RateTableError(
                    f"rate table {self.name!r}: rows must be in ascending date order "
                    f"without repeats ({after.isoformat()} follows {before.isoformat()})"
                )
        last = self.rows[-1][0]
        if self.checked_through < last:
            raise RateTableError(
                f"rate table {self.name!r}: checked_through {self.checked_through.isoformat()} "
                f"is before its last row ({last.isoformat()})"
            )

    def rate_on(self, d: date) -> Decimal:
        """The rate in percent in force on ``d``.

        Raises :class:`RateTableError` (naming the table and the day) when
        ``d`` is before the first row. After ``checked_through`` the last rate
        is returned as if unchanged; use :meth:`lookup` to get the warning too.
        """
        return self.lookup(d)[0]

    def lookup(self, d: date) -> tuple[Decimal, str | None]:
        """The rate in force on ``d`` and a warning when ``d`` is past ``checked_through``."""
        first = self.rows[0][0]
        if d < first:
            raise RateTableError(
                f"rate table {self.name!r} has no rate for {d.isoformat()}: "
                f"it starts on {first.isoformat()}"
            )
        rate = self.rows[0][1]
        for effective, value in self.rows:
            if effective > d:
                break
            rate = value
        warning = None
        if d > self.checked_through:
            warning = (
                f"rate table {self.name!r} is checked through "
                f"{self.checked_through.isoformat()} only; the rate for {d.isoformat()} "
                f"is assumed unchanged at {rate} % (refresh {self.name}.csv from its publisher)"
            )
        return rate, warning

    @classmethod
    def load(cls, path: Path | Traversable, name: str | None = None) -> RateTable:
        """Read a table file: a ``# source: ...; checked_through: YYYY-MM-DD`` line,
        the header ``effective_date,rate_percent``, then one row per change.

        ``name`` defaults to the file name without ``.csv``. Raises
        :class:`RateTableError` naming the file and line of any problem.
        """
        label = name if name is not None else path.name.removesuffix(".csv")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RateTableError(f"cannot read rate table {label!r} ({path}): {exc}") from exc
        return cls.parse(text, label, where=str(path))

    @classmethod
    def parse(cls, text: str, name: str, where: str | None = None) -> RateTable:
        """Parse the text of a table file (see :meth:`load`); ``where`` names it in errors."""
        where = where or name
        checked: date | None = None
        source = ""
        header_seen = False
        rows: list[tuple[date, Decimal]] = []
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
            cells = [cell.strip() for cell in record]
            if not cells or cells == [""]:
                continue
            if cells[0].startswith("#"):
                comment = ",".join(record)
                found = _CHECKED_RE.search(comment)
                if found:
                    checked = _parse_date(found.group(1), where, number)
                src = _SOURCE_RE.search(comment)
                if src and not source:
                    source = src.group(1).strip()
                continue
            if not header_seen:
                if cells != ["effective_date", "rate_percent"]:
                    raise RateTableError(
                        f"{where}:{number}: expected the header 'effective_date,rate_percent', got {','.join(cells)!r}"
                    )
                header_seen = True
                continue
            if len(cells) != 2:
                raise RateTableError(f"{where}:{number}: expected 2 columns, got {len(cells)}")
            effective = _parse_date(cells[0], where, number)
            try:
                rate = parse_decimal(cells[1])
            except ValueError as exc:
                raise RateTableError(f"{where}:{number}: rate_percent {exc}") from exc
            rows.append((effective, rate))
        if checked is None:
            raise RateTableError(f"{where}: no 'checked_through: YYYY-MM-DD' in a comment line")
        if not header_seen:
            raise RateTableError(f"{where}: no header 'effective_date,rate_percent'")
        return cls(name=name, rows=tuple(rows), checked_through=checked, source=source)


def _parse_date(text: str, where: str, line: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise RateTableError(f"{where}:{line}: not a date (YYYY-MM-DD): {text!r}") from exc


@lru_cache(maxsize=1)
def _packaged_tables() -> tuple[tuple[str, RateTable], ...]:
    folder = resources.files("workbench.data").joinpath("rates")
    return tuple((key, RateTable.load(folder.joinpath(f"{key}.csv"), key)) for key in TABLE_KEYS)


def load_rate_tables(folder: Path | None = None) -> dict[str, RateTable]:
    """Load the tables ``ecb_mro``, ``boe_base`` and ``de_basiszins``.

    ``folder`` holds ``<key>.csv`` files; by default the tables shipped in the
    package (``workbench/data/rates``), read once and cached. Returns a new
    dict keyed by table key.
    """
    if folder is None:
        return dict(_packaged_tables())
    return {key: RateTable.load(Path(folder) / f"{key}.csv", key) for key in TABLE_KEYS}


# ---------------------------------------------------------------------------
# Jurisdictions
# ---------------------------------------------------------------------------

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
    "EU": Jurisdiction("EU", "EU directive 2011/7/EU", "ecb_mro", "ECB main refinancing rate",
                       Decimal(8), "jan_jul", _EUR_40),
    "FR": Jurisdiction("FR", "France, Code de commerce L441-10", "ecb_mro", "ECB main refinancing rate",
                       Decimal(10), "jan_jul", _EUR_40),
    "DE": Jurisdiction("DE", "Germany, BGB § 288(2)", "de_basiszins", "Basiszinssatz",
                       Decimal(9), "jan_jul", _EUR_40),
    "UK": Jurisdiction("UK", "United Kingdom, Late Payment of Commercial Debts (Interest) Act 1998",
                       "boe_base", "Bank of England base rate", Decimal(8), "dec_jun",
                       Compensation("GBP", ((Decimal(1000), Decimal(40)),
                                            (Decimal(10000), Decimal(70)),
                                            (None, Decimal(100))))),
}

#: EU-27 member states (ISO 3166-1 alpha-2; Greece is GR).
_EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


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


def _jurisdiction(code: str) -> Jurisdiction:
    try:
        return JURISDICTIONS[code]
    except KeyError:
        known = ", ".join(sorted(JURISDICTIONS))
        raise ValueError(f"unknown jurisdiction {code!r} (known: {known})") from None


def _half_year_start(d: date) -> date:
    return date(d.year, 1 if d.month <= 6 else 7, 1)


def _next_half_year_start(d: date) -> date:
    return date(d.year, 7, 1) if d.month <= 6 else date(d.year + 1, 1, 1)


def _half_year_label(start: date) -> str:
    return f"H{1 if start.month == 1 else 2} {start.year}"


def reference_date(jurisdiction: str, d: date) -> date:
    """The day whose rate fixes the reference rate for the half-year containing ``d``."""
    rule = _jurisdiction(jurisdiction).reference
    start = _half_year_start(d)
    if rule == "jan_jul":
        return start
    if rule == "dec_jun":
        return start - timedelta(days=1)
    raise ValueError(f"unknown reference rule {rule!r}")


def _resolve_tables(tables: dict[str, RateTable] | None) -> dict[str, RateTable]:
    return load_rate_tables() if tables is None else tables


def _reference(jur: Jurisdiction, d: date, tables: dict[str, RateTable]) -> tuple[Decimal, Decimal, str | None]:
    """(base rate, total rate, warning) for the half-year containing ``d``."""
    try:
        table = tables[jur.table]
    except KeyError:
        raise RateTableError(f"no rate table {jur.table!r} (needed for {jur.code})") from None
    base, warning = table.lookup(reference_date(jur.code, d))
    return base, base + jur.margin, warning


def reference_rate(
    jurisdiction: str, d: date, tables: dict[str, RateTable] | None = None
) -> tuple[Decimal, tuple[str, ...]]:
    """The statutory rate in percent (reference rate + margin) for the half-year containing ``d``.

    Returns ``(rate_percent_total, warnings)``; ``warnings`` is empty unless the
    reference date is after the table's ``checked_through``. ``tables``
    defaults to the packaged tables.
    """
    jur = _jurisdiction(jurisdiction)
    _, total, warning = _reference(jur, d, _resolve_tables(tables))
    return total, (warning,) if warning else ()


# ---------------------------------------------------------------------------
# Interest
# ---------------------------------------------------------------------------

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


def _as_decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, got {result}")
    return result


def _round_interest(numerator: Decimal, currency: str) -> Decimal:
    """Exactly ``numerator / 36500`` rounded half-even to the currency's minor unit."""
    places = minor_units(currency)
    units = round(Fraction(numerator) * 10**places / (100 * _DAYS_IN_YEAR))
    return Decimal(units).scaleb(-places).quantize(quantum(currency))


def late_interest_at_rate(
    principal: Decimal, days: int, rate_percent: Decimal, currency: str = "EUR"
) -> Decimal:
    """The plain formula ``principal × days × rate_percent / 100 / 365``, rounded once.

    Rounded half-even to the minor unit of ``currency``; ``days <= 0`` gives
    zero. ``principal`` must not be negative.

    >>> late_interest_at_rate(Decimal("2000"), 45, Decimal("12.25"), "GBP")
    Decimal('30.21')
    """
    amount = _as_decimal(principal, "principal")
    rate = _as_decimal(rate_percent, "rate_percent")
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
    entries = [(d, _as_decimal(b, f"balance on {d}")) for d, b in schedule]
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
    tables: dict[str, RateTable] | None = None,
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
    ``end_date <= due_date`` the interest is zero.
    """
    jur = _jurisdiction(jurisdiction)
    entries = _normalise_schedule(schedule, due_date)
    first_day = due_date + timedelta(days=1)
    if end_date < first_day:
        return InterestResult(
            amount=_round_interest(Decimal(0), currency),
            parts=(),
            warnings=(),
            basis=f"not overdue on {end_date.isoformat()}: no interest",
        )
    resolved = _resolve_tables(tables)

    # Days on which the balance or the half-year changes, within the period.
    breaks = {d + timedelta(days=1) for d, _ in entries}
    boundary = _next_half_year_start(first_day)
    while boundary <= end_date:
        breaks.add(boundary)
        boundary = _next_half_year_start(boundary)
    starts = sorted({first_day} | {b for b in breaks if first_day < b <= end_date})

    rates: dict[date, tuple[Decimal, Decimal]] = {}
    warnings: list[str] = []
    parts: list[InterestPart] = []
    numerator = Decimal(0)
    for index, start in enumerate(starts):
        end = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else end_date
        half = _half_year_start(start)
        if half not in rates:
            base, total, warning = _reference(jur, half, resolved)
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
        basis = "; ".join(f"{_half_year_label(half)}: {line}" for half, line in lines)
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
    tables: dict[str, RateTable] | None = None,
    currency: str = "EUR",
) -> InterestResult:
    """Statutory interest on ``principal`` outstanding from ``due_date`` to ``end_date``.

    ``end_date`` is the payment date or the as-of date; interest runs from the
    day after the due date up to and including ``end_date`` (``days = end_date
    - due_date``), split by half-year as in :func:`late_interest_on_balances`.
    """
    return late_interest_on_balances([(due_date, principal)], due_date, end_date, jurisdiction, tables, currency)


def fixed_compensation(jurisdiction: str, debt_amount: Decimal, debt_currency: str) -> tuple[Decimal, str]:
    """The fixed compensation per invoice: ``(amount, currency)``.

    EUR 40 for EU, FR and DE whatever the debt's currency. For the UK the tier
    depends on the debt in GBP (GBP 40 below 1,000; 70 below 10,000; 100 from
    10,000); a debt in another currency raises ``ValueError``: convert it to
    GBP first. ``debt_amount`` must be positive.
    """
    jur = _jurisdiction(jurisdiction)
    debt = _as_decimal(debt_amount, "debt_amount")
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
