"""Pure text formatting for reports: money, percentages, day counts and deltas.

Every function here returns display text and never touches a notebook, a
file or a frame. Money is ``Decimal`` (or ``int``) all the way through and is
rounded half-even; passing a ``float`` as money is a ``TypeError`` because a
float cannot carry an exact ledger amount. Missing values render as an em dash
(``MISSING``) so a table never shows "None" or "nan" to a reader.

Conventions:

* ``money_grouped(Decimal("-1234.5"), "EUR")`` → ``"EUR -1,234.50"`` (the currency
  code always leads, the sign sits on the number; deltas follow suit:
  ``"EUR +1.20m"``).
* ``money_short`` uses ``k`` (no decimals), ``m`` and ``bn`` (two decimals).
* ``pct`` takes a *fraction*: ``pct(0.123)`` → ``"12.3%"``.
* ``delta`` describes a change for "vs last week" captions and says whether it
  went up, down or stayed flat *at the precision shown*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Literal

__all__ = [
    "MISSING",
    "Delta",
    "DeltaKind",
    "Direction",
    "days",
    "delta",
    "money_grouped",
    "money_short",
    "pct",
]

MISSING = "\u2014"
"""Text shown for a missing value (an em dash)."""

Direction = Literal["up", "down", "flat"]
DeltaKind = Literal["money", "pct", "days", "count"]

_SHORT_UNITS: tuple[tuple[Decimal, str, int], ...] = (
    (Decimal(10) ** 9, "bn", 2),
    (Decimal(10) ** 6, "m", 2),
    (Decimal(10) ** 3, "k", 0),
)


@dataclass(frozen=True)
class Delta:
    """A formatted change between two periods.

    ``text`` is signed (``"+1.20m"``, ``"-3 days"``, ``"no change"``) and
    ``direction`` is the direction of the *rounded* change, so a card never
    shows an arrow next to "no change".
    """

    text: str
    direction: Direction


def _as_money(value: Decimal | int) -> Decimal:
    """Convert an exact money value to ``Decimal``, refusing floats and bools."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"money must be Decimal or int, not {type(value).__name__} (floats cannot hold exact amounts)")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money must be finite, got {amount}")
    return amount


def _as_ratio(value: float | Decimal | int) -> Decimal:
    """Convert a ratio to ``Decimal`` through its shortest repr (no binary noise)."""
    if isinstance(value, bool):
        raise TypeError("a ratio cannot be a bool")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"expected a number, not {type(value).__name__}")


def _is_missing(value: object) -> bool:
    """True for ``None`` and NaN (float or Decimal)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def _round(value: Decimal, decimals: int) -> Decimal:
    """Round half-even to ``decimals`` places with enough precision for any size."""
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    digits = max(value.adjusted(), 0) + decimals + 3
    with localcontext() as ctx:
        ctx.prec = max(28, digits)
        rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    # -0.00 reads as a loss that does not exist: normalise the sign of zero.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _group(value: Decimal, decimals: int) -> str:
    """Render a rounded Decimal with thousands separators and a leading minus."""
    return f"{_round(value, decimals):,.{decimals}f}"


def _with_currency(text: str, currency: str | None) -> str:
    return f"{currency} {text}" if currency else text


def money_grouped(value: Decimal | int | None, currency: str | None = None, *, decimals: int = 2) -> str:
    """Format an exact amount with thousands separators: ``"1,234,567.89"``, ``"EUR -1,234.50"``, ``None`` → ``"—"``."""
    if value is None:
        return MISSING
    return _with_currency(_group(_as_money(value), decimals), currency)


def _short_number(amount: Decimal, decimals: int = 2) -> str:
    """``1234567`` → ``"1.23m"``; ``845000`` → ``"845k"``; ``950`` → ``"950"``.

    Thousands take no decimals, millions and billions take ``decimals``. A
    value that rounds up to the next unit is promoted (999,999 → ``"1.00m"``).
    """
    magnitude = amount.copy_abs()
    sign = "-" if amount < 0 else ""
    units = _round(magnitude, 0)
    if units.is_zero():
        return "0"
    if units < 1000:
        return f"{sign}{units:,.0f}"
    for scale, suffix, places in reversed(_SHORT_UNITS):
        places = places if suffix == "k" else decimals
        scaled = _round(magnitude / scale, places)
        if scaled < 1000 or suffix == "bn":
            return f"{sign}{scaled:,.{places}f}{suffix}"
    raise AssertionError("unreachable")  # pragma: no cover


def money_short(value: Decimal | int | None, currency: str | None = None, *, decimals: int = 2) -> str:
    """Compact amount for cards and axes: ``"EUR 1.23m"``, ``"EUR 845k"``, ``"EUR 950"``."""
    if value is None:
        return MISSING
    return _with_currency(_short_number(_as_money(value), decimals), currency)


def pct(value: float | Decimal | int | None, decimals: int = 1) -> str:
    """Format a fraction as a percentage: ``0.1234`` → ``"12.3%"``; ``None``/NaN → ``"—"``."""
    if _is_missing(value):
        return MISSING
    assert value is not None
    return f"{_round(_as_ratio(value) * 100, decimals):,.{decimals}f}%"


def days(value: float | Decimal | int | None, decimals: int = 0) -> str:
    """Format a day count: ``42`` → ``"42 days"``, ``1`` → ``"1 day"``, ``41.75`` → ``"42 days"``."""
    if _is_missing(value):
        return MISSING
    assert value is not None
    rounded = _round(_as_ratio(value), decimals)
    unit = "day" if rounded.copy_abs() == 1 and decimals == 0 else "days"
    return f"{rounded:,.{decimals}f} {unit}"


def _signed(text: str, change: Decimal) -> str:
    return text if change < 0 else f"+{text}"


def delta(
    current: Decimal | float | int | None,
    previous: Decimal | float | int | None,
    kind: DeltaKind,
    *,
    currency: str | None = None,
    decimals: int | None = None,
) -> Delta:
    """Describe the change from ``previous`` to ``current``.

    ``kind`` chooses the wording: ``"money"`` (short amounts, exact inputs
    only), ``"pct"`` (change of a fraction in percentage points, ``"+1.2 pp"``),
    ``"days"`` (``"+3 days"``) or ``"count"`` (``"+12"``). When either side is
    missing the text is ``"—"`` and the direction ``"flat"``. The direction is
    that of the change rounded to the precision shown.
    """
    if _is_missing(current) or _is_missing(previous):
        return Delta(MISSING, "flat")
    assert current is not None and previous is not None
    if kind == "money":
        change = _as_money(current) - _as_money(previous)  # type: ignore[arg-type]
        shown = _short_number(change.copy_abs(), 2 if decimals is None else decimals)
        rounded_zero = shown == "0"
        text = _with_currency(("-" if change < 0 else "+") + shown, currency)
    elif kind == "pct":
        places = 1 if decimals is None else decimals
        change = _round((_as_ratio(current) - _as_ratio(previous)) * 100, places)
        rounded_zero = change.is_zero()
        text = _signed(f"{change:,.{places}f} pp", change)
    elif kind == "days":
        places = 0 if decimals is None else decimals
        change = _round(_as_ratio(current) - _as_ratio(previous), places)
        rounded_zero = change.is_zero()
        unit = "day" if change.copy_abs() == 1 and places == 0 else "days"
        text = _signed(f"{change:,.{places}f} {unit}", change)
    elif kind == "count":
        places = 0 if decimals is None else decimals
        change = _round(_as_ratio(current) - _as_ratio(previous), places)
        rounded_zero = change.is_zero()
        text = _signed(f"{change:,.{places}f}", change)
    else:
        raise ValueError(f"unknown delta kind {kind!r}")
    if rounded_zero:
        return Delta("no change", "flat")
    return Delta(text, "up" if change > 0 else "down")
