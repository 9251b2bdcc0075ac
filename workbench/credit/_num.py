"""Exact decimal helpers shared by the credit modules (80-digit context for ratios, half-even display).

Amounts are parsed by :func:`workbench.money.parse_amount` and converted by :class:`workbench.fx.FxTable`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import overload

import polars as pl

from ..money import minor_units, to_money

PREC = 80


def div(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """Exact-enough quotient at 80 digits; ``None`` when an input is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    with localcontext() as ctx:
        ctx.prec = PREC
        return Decimal(numerator) / Decimal(denominator)


def mul(*values: Decimal | int) -> Decimal:
    """Product at 80 digits."""
    with localcontext() as ctx:
        ctx.prec = PREC
        out = Decimal(1)
        for v in values:
            out *= Decimal(v)
        return out


def interp(x: Decimal, points: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Piecewise-linear map through ``points`` (x increasing), flat outside them."""
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    with localcontext() as ctx:
        ctx.prec = PREC
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            if x0 <= x <= x1:
                return y0 + (x - x0) * (y1 - y0) / (x1 - x0)
    raise AssertionError("unreachable")  # pragma: no cover


def clip(x: Decimal, lo: Decimal | int, hi: Decimal | int) -> Decimal:
    """``x`` limited to ``[lo, hi]``."""
    return max(Decimal(lo), min(Decimal(hi), x))


def weighted(parts: Iterable[tuple[Decimal, Decimal | None]]) -> tuple[Decimal | None, Decimal]:
    """Weighted mean of ``(weight, value)`` over the values present; also the weight used."""
    total = Decimal(0)
    acc = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PREC
        for w, v in parts:
            if v is not None and w > 0:
                total += w
                acc += w * v
        return (acc / total if total > 0 else None), total


def q(value: Decimal | None, places: int) -> Decimal | None:
    """Half-even rounding to ``places`` decimals (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def f(value: Decimal | None, places: int) -> float | None:
    """Half-even rounding to ``places`` decimals, as a float for display columns."""
    r = q(value, places)
    return None if r is None else float(r)


@overload
def round_money(value: Decimal, currency: str | None) -> Decimal: ...
@overload
def round_money(value: None, currency: str | None) -> None: ...
@overload
def round_money(value: Decimal | None, currency: str | None) -> Decimal | None: ...
def round_money(value: Decimal | None, currency: str | None) -> Decimal | None:
    """An amount rounded half-even to its currency's minor units (:func:`workbench.money.to_money`; ``None`` stays ``None``)."""
    if value is None:
        return None
    return to_money(value, currency)


def round_to_step(value: Decimal, step: Decimal, mode: str) -> Decimal:
    """Round a non-negative amount to a multiple of ``step``: ``down`` or ``nearest`` (half-even)."""
    with localcontext() as ctx:
        ctx.prec = PREC
        units = (value / step).to_integral_value(rounding=ROUND_FLOOR if mode == "down" else ROUND_HALF_EVEN)
        return units * step


def money_dtype(currencies: Iterable[str | None]) -> pl.Decimal:
    """Decimal dtype wide enough for the minor units of every currency present (at least 2 places)."""
    places = max([2, *(minor_units(c) for c in currencies if c)])
    return pl.Decimal(38, places)


def fmt_amount(value: Decimal | None, currency: str | None = None) -> str:
    """``1234567.5`` -> ``'1,234,567.50 EUR'`` for messages (rounded to minor units)."""
    if value is None:
        return "n/a"
    shown = round_money(value, currency)
    text = f"{shown:,}"
    return f"{text} {currency}" if currency else text
