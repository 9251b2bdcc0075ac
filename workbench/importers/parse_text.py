"""Vectorised, exact parsing of amounts and dates written as text in a source file.

Both parsers work on whole columns (a single value is :func:`workbench.money.parse_amount`'s)
and take a polars String series of already stripped cells ("" for an
empty cell) and never guess: amounts follow the stated decimal and thousands
separators, dates follow the stated strptime pattern (Python semantics).

>>> import polars as pl
>>> parse_amounts(pl.Series(["1.234,56", "1.23.4"]), decimal=",", thousands=".")["amount"].to_list()
[Decimal('1234.56'), None]
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import polars as pl

from workbench.money import parse_amount

__all__ = ["MAX_INTEGER_DIGITS", "AMOUNT_DTYPE", "parse_amounts", "parse_dates", "exact_total", "leading_minus"]

MAX_INTEGER_DIGITS = 15
AMOUNT_DTYPE = pl.Decimal(38, 2)
# A stated space separator also accepts the no-break spaces spreadsheets write.
_SPACE_FAMILY = " \u00a0\u202f"


def _char_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in chars) + "]"


def describe_format(decimal: str, thousands: str) -> str:
    """How the mapping says amounts are written, for reasons."""
    group = f"thousands {thousands!r}" if thousands else "no thousands separator"
    return f"decimal {decimal!r}, {group}"


def leading_minus(values: pl.Series, negative: str) -> pl.Series:
    """Rewrite the declared negative style as a leading minus, leaving every other cell alone.

    ``negative`` is ``leading`` (nothing to do), ``trailing`` (SAP's
    ``1.234,56-``) or ``parentheses`` (accounting reports' ``(1,234.56)``).
    Only a whole cell in that shape is rewritten, so ``(12`` or ``1-2`` stay
    as written and are refused by :func:`parse_amounts`.

    >>> leading_minus(pl.Series(["1.234,56-", "7,00"]), "trailing").to_list()
    ['-1.234,56', '7,00']
    """
    if negative == "trailing":
        return values.str.replace(r"^([^-+]*[0-9])-$", "-$1")
    if negative == "parentheses":
        return values.str.replace(r"^\(([^()+-]*[0-9])\)$", "-$1")
    return values


def parse_amounts(values: pl.Series, decimal: str, thousands: str, signed: bool = False) -> pl.DataFrame:
    """Parse amount cells written with the given separators.

    Returns one row per cell with:

    - ``normalized``: the number as plain text (``-1234.5``), null when the
      cell is empty or not written in the stated format;
    - ``amount``: exact ``Decimal(38, 2)`` when the number has at most 2
      decimals and at most ``MAX_INTEGER_DIGITS`` integer digits (any sign);
    - ``problem``: why the cell cannot be imported, or null: empty, not an
      amount in the stated format, more than 2 decimals, too large, not
      positive (unless ``signed``: open items and balances may be negative or zero).
    """
    dec = _char_class(decimal)
    sep = _char_class(_SPACE_FAMILY if thousands == " " else thousands) if thousands else None
    ungrouped = rf"^[+-]?[0-9]+(?:{dec}[0-9]+)?$"
    s = pl.col("s")
    well_formed = s.str.contains(ungrouped)
    if sep:
        grouped = rf"^[+-]?[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+(?:{dec}[0-9]+)?$"
        well_formed = well_formed | s.str.contains(grouped)
    plain = s.str.replace_all(sep, "") if sep else s
    plain = plain.str.replace(dec, ".").str.strip_prefix("+")
    frame = (
        values.rename("s")
        .to_frame()
        .with_columns(normalized=pl.when(well_formed).then(plain))
        .with_columns(
            int_len=pl.col("normalized").str.extract(r"^-?0*([0-9]*)", 1).str.len_chars(),
            frac_len=pl.col("normalized").str.extract(r"\.([0-9]+)$", 1).str.len_chars().fill_null(0),
        )
        .with_columns(
            amount=pl.when((pl.col("frac_len") <= 2) & (pl.col("int_len") <= MAX_INTEGER_DIGITS)).then(
                pl.col("normalized").cast(AMOUNT_DTYPE, strict=False)
            )
        )
    )
    return frame.select(
        "normalized",
        "amount",
        problem=pl.when(s == "")
        .then(pl.lit("is empty"))
        .when(pl.col("normalized").is_null())
        .then(pl.lit(f"is not an amount written with {describe_format(decimal, thousands)}"))
        .when(pl.col("frac_len") > 2)
        .then(pl.lit("has more than 2 decimals"))
        .when(pl.col("int_len") > MAX_INTEGER_DIGITS)
        .then(pl.lit(f"is too large (more than {MAX_INTEGER_DIGITS} digits before the decimal)"))
        .when(pl.lit(not signed) & (pl.col("amount") <= 0))
        .then(pl.lit("is not positive (amounts must be > 0)")),
    )


def exact_total(parsed: pl.DataFrame) -> Decimal:
    """Exact sum of every amount that parsed (``normalized`` not null).

    Amounts outside the ``Decimal(38, 2)`` range (too many decimals or digits)
    are rare and summed in Python at their exact written value.
    """
    total = parsed["amount"].sum()
    total = Decimal(total) if total is not None else Decimal("0.00")
    odd = parsed.filter(pl.col("normalized").is_not_null() & pl.col("amount").is_null())
    for text in odd["normalized"].to_list():
        total += parse_amount(text, plain=True, bounded=False)
    return total


def parse_dates(values: pl.Series, date_format: str) -> pl.Series:
    """Parse date cells with ``datetime.strptime(cell, date_format)``.

    Empty cells and cells that do not match the pattern (or name an impossible
    day such as 2024-02-30) become null. Each distinct text is parsed once, so
    a million rows cost as much as their few thousand distinct dates. A time
    part allowed by the pattern is dropped.
    """
    parsed: dict[str, date] = {}
    for text in values.filter(values != "").unique().to_list():
        try:
            parsed[text] = datetime.strptime(text, date_format).date()
        except ValueError:
            pass
    if not parsed:
        return pl.Series(values.name, [None] * len(values), dtype=pl.Date)
    return values.replace_strict(
        pl.Series(list(parsed.keys()), dtype=pl.String),
        pl.Series(list(parsed.values()), dtype=pl.Date),
        default=None,
        return_dtype=pl.Date,
    )
