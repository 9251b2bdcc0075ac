"""Exact money: integer amounts, currency minor units, rounding for display.

Inside the workbench every amount is an ``Int64`` count of thousandths of a
currency unit ("mills", ``AMOUNT_SCALE = 1000``). Three decimals cover every
ISO 4217 currency in use (BHD, KWD, ... have three), sums of millions of rows
stay far from overflow, and integer sums are exact and fast.

FX rates are integers scaled by ``RATE_SCALE = 10**12``. A converted amount is
``mills × rate`` as an ``Int128`` at scale ``10**15`` (``CONVERTED_SCALE``):
still exact. Amounts are aggregated in their own currency first and converted
once per group, so conversion costs nothing at scale.

Rounding happens only when a figure is shown (:func:`to_money`): half-even at
the currency's minor units.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

import polars as pl

AMOUNT_SCALE = 1000
AMOUNT_DECIMALS = 3
RATE_SCALE = 10**12
RATE_DECIMALS = 12
CONVERTED_SCALE = AMOUNT_SCALE * RATE_SCALE
CONVERTED_DECIMALS = AMOUNT_DECIMALS + RATE_DECIMALS

#: ISO 4217 minor units that differ from the usual two.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
         "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def minor_units(currency: str) -> int:
    """Decimal places of a currency per ISO 4217 (2 unless known otherwise).

    >>> minor_units("EUR"), minor_units("JPY"), minor_units("KWD")
    (2, 0, 3)
    """
    return _MINOR_UNITS.get(currency, 2)


def quantum(currency: str | None) -> Decimal:
    """The smallest shown step of a currency (``Decimal('0.01')`` for EUR)."""
    places = 2 if currency is None else minor_units(currency)
    return Decimal(1).scaleb(-places)


def mills_to_decimal(mills: int) -> Decimal:
    """An integer count of mills as an exact Decimal (``1234500 -> 1234.500``)."""
    return Decimal(int(mills)).scaleb(-AMOUNT_DECIMALS)


def converted_to_decimal(value: int) -> Decimal:
    """A converted Int128 value (scale 10**15) as an exact Decimal."""
    return Decimal(int(value)).scaleb(-CONVERTED_DECIMALS)


def to_money(value: Decimal | int, currency: str | None = None) -> Decimal:
    """Round an exact amount half-even to the currency's minor units.

    >>> to_money(Decimal("2.345")), to_money(Decimal("2.355"))
    (Decimal('2.34'), Decimal('2.36'))
    """
    return Decimal(value).quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def money_text(value: Decimal | int, currency: str | None = None) -> str:
    """A rounded amount as plain text with a decimal point (JSON/CSV output)."""
    return str(to_money(value, currency))


def parse_decimal(text: str) -> Decimal:
    """Parse one canonical decimal string exactly (raises ValueError if invalid)."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise ValueError(f"not a decimal number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


_DECIMAL_RE = r"^[0-9]+(\.[0-9]+)?$"


def parse_scaled(column: pl.Expr, decimals: int) -> tuple[pl.Expr, pl.Expr]:
    """Vectorised exact parse of canonical decimal text into scaled integers.

    Returns ``(value, reason)`` expressions: ``value`` is the number times
    ``10**decimals`` as Int64 (null when invalid) and ``reason`` is null when the
    text is valid, else a short explanation. Only plain non-negative numbers with
    a decimal point are canonical (``1234.56``); signs, exponents, thousands
    separators and decimal commas are refused rather than guessed.
    """
    text = column.str.strip_chars()
    ok = text.str.contains(_DECIMAL_RE)
    int_part = text.str.extract(r"^([0-9]+)", 1)
    frac = text.str.extract(r"\.([0-9]+)$", 1).fill_null("")
    too_precise = frac.str.len_chars() > decimals
    too_big = int_part.str.strip_chars_start("0").str.len_chars() > 15
    frac_padded = frac.str.pad_end(decimals, "0") if decimals else pl.lit("0")
    good = ok & ~too_precise & ~too_big
    value = pl.when(good).then(
        int_part.cast(pl.Int64, strict=False) * (10**decimals)
        + (frac_padded.cast(pl.Int64, strict=False) if decimals else pl.lit(0, pl.Int64))
    )
    reason = (
        pl.when(column.is_null() | (text == ""))
        .then(pl.lit("is empty"))
        .when(~ok)
        .then(pl.lit("is not a plain decimal number"))
        .when(too_precise)
        .then(pl.lit(f"has more than {decimals} decimals"))
        .when(too_big)
        .then(pl.lit("is too large"))
    )
    return value, reason


def round_scaled(expr: pl.Expr, from_decimals: int, to_decimals: int = 2) -> pl.Expr:
    """Vectorised half-even rounding of a scaled integer to fewer decimals.

    ``round_scaled(x, 15, 2)`` turns a converted Int128 (scale 10**15) into
    exact Int64 cents, rounding half to even exactly as :func:`to_money`.
    """
    divisor = 10 ** (from_decimals - to_decimals)
    if divisor == 1:
        return expr.cast(pl.Int64)
    x = expr.cast(pl.Int128)
    q = x // divisor  # floor division, also for negatives
    r = x - q * divisor
    up = (2 * r > divisor) | ((2 * r == divisor) & (q % 2 != 0))
    return (q + up.cast(pl.Int128)).cast(pl.Int64)


def cents_to_decimal(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    """Scaled integers (e.g. cents) as an exact polars Decimal column."""
    step = Decimal(1).scaleb(-decimals)
    return expr.cast(pl.Decimal(38, decimals)) * pl.lit(step, pl.Decimal(38, decimals))
