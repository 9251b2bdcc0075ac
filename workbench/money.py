"""Exact money: integer amounts, currency minor units, rounding for display.

Inside the workbench every amount is an ``Int64`` count of thousandths of a
currency unit ("mills", ``AMOUNT_SCALE = 1000``). Three decimals cover every
ISO 4217 currency in use (BHD, KWD, ... have three) and integer sums are exact
and fast. One row holds at most ``MAX_AMOUNT`` (10**15 mills), so about 9,000
rows at that bound would wrap an ``Int64`` sum: every sum of money is taken
with :func:`exact_sum` (in ``Int128``), and where a total must go back into
64 bits :func:`narrow_int64` (or :func:`checked_int64` for one number) raises
:class:`SumOverflowError` instead of returning a wrapped figure.

FX rates are integers scaled by ``RATE_SCALE = 10**12``. A converted amount is
``mills × rate`` as an ``Int128`` at scale ``10**15`` (``CONVERTED_SCALE``):
still exact. Amounts are aggregated in their own currency first and converted
once per group, so conversion costs nothing at scale.

Rounding happens only when a figure is shown (:func:`to_money`): half-even at
the currency's minor units. :func:`round_ratio` is the one exact rounding of a
ratio of integers; the vectorised :func:`round_scaled` does the same in polars.

Amounts typed or read as text become Decimals through :func:`parse_amount`
(the one scalar parser; :func:`parse_scaled` and
:mod:`workbench.importers.parse_text` parse whole columns). Conversion between
currencies lives in :mod:`workbench.fx`. See docs/money.md.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from collections.abc import Sequence
from typing import Literal

import polars as pl

from .errors import WorkbenchError

AMOUNT_SCALE = 1000
AMOUNT_DECIMALS = 3
RATE_SCALE = 10**12
RATE_DECIMALS = 12
CONVERTED_SCALE = AMOUNT_SCALE * RATE_SCALE
CONVERTED_DECIMALS = AMOUNT_DECIMALS + RATE_DECIMALS
MAX_AMOUNT = Decimal(10**12)
"""The largest amount one ledger row or journal entry may carry (one trillion units: larger is a typo, not a receivable)."""

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The range of an ``Int64`` (a total of mills outside it cannot be held in 64 bits)."""


class SumOverflowError(WorkbenchError):
    """A money total too large for the 64 bits it must be held in (the message names the total)."""


def exact_sum(column: str | pl.Expr) -> pl.Expr:
    """The sum of an integer money column taken in ``Int128``: exact however many rows (it never wraps).

    Use it for every sum of mills (``group_by(...).agg(exact_sum("open"))``);
    an ``Int64`` sum wraps silently past 9.2 * 10**18 mills, about 9,000 rows
    at the per-row bound. The result keeps the column's name.

    >>> pl.DataFrame({"open": [10**15] * 10_000}).select(exact_sum("open")).item()
    10000000000000000000
    """
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.cast(pl.Int128).sum()


def checked_int64(value: int, what: str) -> int:
    """``value`` when it fits an ``Int64``, else :class:`SumOverflowError` naming ``what``.

    >>> checked_int64(12, "total")
    12
    """
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise SumOverflowError(_overflow_message(what, number))
    return number


def narrow_int64(frame: pl.DataFrame, columns: Sequence[str], what: str) -> pl.DataFrame:
    """``frame`` with the ``Int128`` sums in ``columns`` cast to ``Int64``, checked first.

    A value outside the ``Int64`` range raises :class:`SumOverflowError` with
    ``what`` (the figure, e.g. ``"the open amount per entity and currency"``),
    the column and the value: a clear error rather than a wrapped total.
    """
    for column in columns:
        if frame.height == 0:
            break
        low, high = frame.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi")).row(0)
        for value in (low, high):
            if value is not None and not INT64_MIN <= int(value) <= INT64_MAX:
                raise SumOverflowError(_overflow_message(f"{what} ({column})", int(value)))
    return frame.with_columns(pl.col(c).cast(pl.Int64) for c in columns)


def _overflow_message(what: str, value: int) -> str:
    return (
        f"{what} is {mills_to_decimal(value):,} units: more than a 64-bit total of mills can hold "
        f"({mills_to_decimal(INT64_MAX if value > 0 else INT64_MIN):,}); the figure is refused rather than shown wrong"
    )


#: ISO 4217 minor units that differ from the usual two.
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
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


def scaled_to_decimal(value: int, places: int) -> Decimal:
    """``value × 10**-places`` as an exact Decimal, however many digits (no context rounding).

    >>> scaled_to_decimal(-1234500, 3), scaled_to_decimal(10**40 + 1, 15)
    (Decimal('-1234.500'), Decimal('10000000000000000000000000.000000000000001'))
    """
    number = int(value)
    return Decimal((0 if number >= 0 else 1, tuple(int(d) for d in str(abs(number))), -places))


def mills_to_decimal(mills: int) -> Decimal:
    """An integer count of mills as an exact Decimal (``1234500 -> 1234.500``)."""
    return scaled_to_decimal(mills, AMOUNT_DECIMALS)


def converted_to_decimal(value: int) -> Decimal:
    """A converted Int128 value (scale 10**15) as an exact Decimal."""
    return scaled_to_decimal(value, CONVERTED_DECIMALS)


def round_ratio(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-even to an integer, exactly (integer arithmetic only).

    >>> round_ratio(5, 2), round_ratio(7, 2), round_ratio(-5, 2), round_ratio(10, 3)
    (2, 4, -2, 3)
    """
    if denominator <= 0:
        raise ValueError(f"round_ratio needs a positive denominator, got {denominator}")
    quotient, remainder = divmod(numerator, denominator)  # floor division, remainder >= 0
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def round_ratio_to_places(numerator: int, denominator: int, places: int) -> Decimal:
    """``numerator / denominator`` rounded half-even to ``places`` decimals, as a Decimal (exact integer arithmetic).

    Like ``Decimal.quantize``, a negative value that rounds to nothing keeps its sign (``-0.00``).

    >>> round_ratio_to_places(2345, 1000, 2), round_ratio_to_places(-1, 1000, 2), round_ratio_to_places(1, 3, 4)
    (Decimal('2.34'), Decimal('-0.00'), Decimal('0.3333'))
    """
    units = round_ratio(numerator * 10**places, denominator)
    value = scaled_to_decimal(units, places)
    return value.copy_negate() if units == 0 and numerator < 0 else value


def to_money(value: Decimal | int, currency: str | None = None) -> Decimal:
    """Round an exact amount half-even to the currency's minor units.

    The same figure as ``Decimal.quantize`` (``-0.001`` gives ``-0.00``), computed on
    integers so that no Decimal context limits the number of digits.

    >>> to_money(Decimal("2.345")), to_money(Decimal("2.355"))
    (Decimal('2.34'), Decimal('2.36'))
    """
    number = Decimal(value)
    if not number.is_finite():
        return number.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)
    numerator, denominator = number.as_integer_ratio()
    rounded = round_ratio_to_places(numerator, denominator, 2 if currency is None else minor_units(currency))
    return rounded.copy_negate() if numerator == 0 and number.is_signed() else rounded


def converted_to_money(value: int, currency: str | None = None) -> Decimal:
    """A converted Int128 value (scale 10**15) rounded half-even to the currency's minor units.

    >>> converted_to_money(1_234_565_000_000_000_000, "EUR"), converted_to_money(1_234_575 * 10**12, "EUR")
    (Decimal('1234.56'), Decimal('1234.58'))
    """
    return round_ratio_to_places(int(value), CONVERTED_SCALE, 2 if currency is None else minor_units(currency))


def money_text(value: Decimal | int, currency: str | None = None) -> str:
    """A rounded amount as plain text with a decimal point (JSON/CSV output)."""
    return str(to_money(value, currency))


class AmountError(ValueError):
    """A value that is not an acceptable amount.

    ``problem`` says what is wrong in a few words (``"not a decimal number"``),
    ``kind`` groups problems for callers that word their own messages:
    ``"empty"``, ``"syntax"`` (not written as a number) or ``"range"`` (a number,
    but not finite or of the wrong sign). ``str(error)`` is ``"problem: 'text'"``.
    """

    def __init__(self, value: object, problem: str, kind: Literal["empty", "syntax", "range"]) -> None:
        self.value, self.problem, self.kind = value, problem, kind
        shown = value.strip() if isinstance(value, str) else value
        super().__init__(f"{problem}: {shown!r}")


Sign = Literal["any", "non_negative", "positive"]
_PLAIN_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_GROUPED_RE = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
_TYPED_SPACES_RE = re.compile(r"[\s\u00a0]")


def parse_amount(
    value: Decimal | int | str,
    *,
    plain: bool = False,
    grouping: bool = False,
    sign: Sign = "any",
    bounded: bool = True,
) -> Decimal:
    """The one parser of a single amount: text, ``Decimal`` or ``int`` in, exact ``Decimal`` out.

    Text is stripped, then read as Python's ``Decimal`` reads it (``1234.56``,
    ``-5``, ``1E+3``) or, with ``plain=True``, only as a plain decimal with an
    optional sign (``-1234.50``: exponents, thousands separators and decimal
    commas are refused rather than guessed). ``grouping=True`` accepts what a
    person types: spaces (also no-break) anywhere and comma thousands groups
    (``1,234.56``). Floats and bools are refused (a float cannot carry an exact
    amount). The result must be finite and, per ``sign``, may be required to be
    ``non_negative`` or ``positive``, and (unless ``bounded=False``, for
    control sums of whole files) at most :data:`MAX_AMOUNT` in size, the bound
    every ledger row and journal entry obeys. Every refusal is an
    :class:`AmountError`.

    >>> parse_amount(" 1234.50 "), parse_amount("1,234.5", grouping=True), parse_amount(7)
    (Decimal('1234.50'), Decimal('1234.5'), Decimal('7'))
    >>> parse_amount("1e3"), parse_optional_amount("1e3", plain=True)
    (Decimal('1E+3'), (None, "not a plain decimal number: '1e3'"))
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise AmountError(value, f"not a Decimal, int or decimal text ({type(value).__name__})", "syntax")
    if isinstance(value, str):
        text = _TYPED_SPACES_RE.sub("", value) if grouping else value.strip()
        if text == "":
            raise AmountError(value, "empty amount", "empty")
        if grouping and _GROUPED_RE.fullmatch(text):
            text = text.replace(",", "")
        if plain and not _PLAIN_RE.fullmatch(text):
            raise AmountError(value, "not a plain decimal number", "syntax")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AmountError(value, "not a decimal number", "syntax") from None
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise AmountError(value, "not a finite number", "range")
    if bounded and abs(number) > MAX_AMOUNT:
        raise AmountError(value, f"above the largest amount accepted ({MAX_AMOUNT:,})", "range")
    if sign == "positive" and number <= 0:
        raise AmountError(value, "not greater than zero", "range")
    if sign == "non_negative" and number < 0:
        raise AmountError(value, "negative", "range")
    return number


def parse_optional_amount(
    value: object, *, plain: bool = False, grouping: bool = False, sign: Sign = "any"
) -> tuple[Decimal | None, str | None]:
    """:func:`parse_amount` for table cells where a bad value is noted and treated as missing.

    Returns ``(value, None)``; ``(None, None)`` for ``None`` or blank text;
    ``(None, why)`` when the value is not an amount (``why`` is the
    :class:`AmountError` message). A cell of another type (a float from a
    numeric column) is read from its text, as the table would show it.

    >>> parse_optional_amount("-12.5", plain=True), parse_optional_amount(" "), parse_optional_amount("n/a", plain=True)
    ((Decimal('-12.5'), None), (None, None), (None, "not a plain decimal number: 'n/a'"))
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None, None
    cell = value if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool) else str(value)
    try:
        return parse_amount(cell, plain=plain, grouping=grouping, sign=sign), None
    except AmountError as exc:
        return None, str(exc)


def parse_decimal(text: str) -> Decimal:
    """Parse one decimal string exactly (:func:`parse_amount` of text; raises ValueError if invalid)."""
    if not isinstance(text, str):
        raise AmountError(text, "not a decimal number", "syntax")
    return parse_amount(text, bounded=False)


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
    exact Int128 cents, rounding half to even exactly as :func:`to_money`
    (Int128 throughout: a total of 10**19 cents is shown, not refused).
    """
    divisor = 10 ** (from_decimals - to_decimals)
    if divisor == 1:
        return expr.cast(pl.Int128)
    x = expr.cast(pl.Int128)
    q = x // divisor  # floor division, also for negatives
    r = x - q * divisor
    up = (2 * r > divisor) | ((2 * r == divisor) & (q % 2 != 0))
    return q + up.cast(pl.Int128)


def cents_to_decimal(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    """Scaled integers (e.g. cents) as an exact polars Decimal column."""
    step = Decimal(1).scaleb(-decimals)
    return expr.cast(pl.Decimal(38, decimals)) * pl.lit(step, pl.Decimal(38, decimals))


def scaled_money_column(expr: pl.Expr, from_decimals: int, places: int = 2) -> pl.Expr:
    """Scaled integers rounded half-even to ``places`` decimals, as an exact ``Decimal(38, places)`` column.

    ``scaled_money_column(x, AMOUNT_DECIMALS)`` shows mills as cents;
    :func:`converted_money_column` shows converted values.
    """
    return cents_to_decimal(round_scaled(expr, from_decimals, places), places)


def converted_money_column(expr: pl.Expr, currency: str) -> pl.Expr:
    """Converted Int128 values (scale 10**15) rounded half-even to ``currency``'s minor units (Decimal column)."""
    return scaled_money_column(expr, CONVERTED_DECIMALS, minor_units(currency))
