"""FX rates: the value of one unit of a currency in the reporting currency.

The rate for a day is the latest row dated on or before it (CONVENTIONS §2).
The reporting currency itself needs no row. A missing rate is an error that
names the currency and the date: never a silent 1.0.

This module is the one place where money changes currency (docs/money.md):

- into the reporting currency, ``mills × rate`` is an exact integer at scale
  10**15: :func:`to_reporting` for polars columns, :func:`reporting_value`
  for Python ints, :meth:`FxTable.convert_sums` for "sum per currency, then
  convert at each as-of rate";
- between two currencies, ``amount × rate(source) / rate(target)`` is a
  ratio of integers: :meth:`FxTable.convert_money` rounds it once, half-even,
  to the target's minor units; :meth:`FxTable.convert` keeps it for further
  arithmetic (exact when the quotient ends within ``CROSS_DECIMALS`` places,
  else rounded half-even there).

Only Python ints and polars Int128 are used: no float, no Decimal context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from .errors import MissingRateError
from .money import (
    RATE_DECIMALS,
    RATE_SCALE,
    converted_to_decimal,
    exact_sum,
    minor_units,
    round_ratio_to_places,
    scaled_to_decimal,
)

#: Decimal places kept by :meth:`FxTable.convert` when a cross-currency quotient does not end sooner.
#: Far below any cent tie: for amounts with up to 15 decimals and rates below 10**6 per unit, the
#: exact quotient is either on a tie or more than 10**-36 from it, so rounding the kept value to the
#: cent gives the same figure as rounding the exact ratio.
CROSS_DECIMALS = 40


def to_reporting(amount: pl.Expr | str, rate: pl.Expr | str = "rate") -> pl.Expr:
    """``amount`` (Int64 mills) × ``rate`` (Int64, scale 10**12): the reporting-currency value, exact Int128 at 10**15.

    The expression keeps the name of ``amount``; show it with
    :func:`workbench.money.converted_money_column`.
    """
    amount_expr = pl.col(amount) if isinstance(amount, str) else amount
    rate_expr = pl.col(rate) if isinstance(rate, str) else rate
    return amount_expr.cast(pl.Int128) * rate_expr.cast(pl.Int128)


def reporting_value(mills: int, rate: int) -> int:
    """The scalar twin of :func:`to_reporting`: mills × scaled rate, an exact int at scale 10**15."""
    return int(mills) * int(rate)


def _ratio(amount: Decimal | int, source_rate: int, target_rate: int) -> tuple[int, int, int]:
    """``amount × source_rate / target_rate`` as ``(numerator, denominator, exponent of amount)``.

    A negative zero amount (``-0.00``) gives numerator 0: callers that keep the
    sign of zero, as Decimal arithmetic does, check ``amount`` themselves.
    """
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"cannot convert a non-finite amount: {amount!r}")
    if target_rate <= 0:
        raise ValueError(f"a rate must be positive, got {target_rate}")
    num, den = value.as_integer_ratio()
    return num * int(source_rate), den * int(target_rate), int(value.as_tuple().exponent)


def _ratio_to_decimal(num: int, den: int, ideal_exponent: int, negative_zero: bool = False) -> Decimal:
    """An integer ratio as a Decimal: exact if it ends within CROSS_DECIMALS places, else rounded there.

    Like a Decimal division, an exact result keeps the amount's exponent when it can
    (``1234.50 × 2 / 2`` stays ``1234.50``).
    """
    places = max(CROSS_DECIMALS, -ideal_exponent)
    scaled, rest = divmod(num * 10**places, den)
    if rest:
        return round_ratio_to_places(num, den, places)
    exponent = -places
    while exponent < ideal_exponent and scaled % 10 == 0 and scaled:
        scaled //= 10
        exponent += 1
    if scaled == 0:
        exponent = ideal_exponent
    value = scaled_to_decimal(scaled, -exponent)
    return value.copy_negate() if negative_zero else value


@dataclass(frozen=True)
class FxTable:
    """Rates as a frame ``(date, currency, rate)`` with ``rate`` an Int64 scaled by 10**12."""

    reporting_currency: str
    rates: pl.DataFrame

    @classmethod
    def from_rows(cls, reporting_currency: str, rows: list[tuple[date, str, str | Decimal]]) -> FxTable:
        """Build a table from ``(date, currency, rate)`` rows (rates as exact text or Decimal).

        >>> fx = FxTable.from_rows("EUR", [(date(2024, 1, 1), "USD", "0.9")])
        >>> fx.rate("USD", date(2024, 3, 1))
        Decimal('0.9')
        """
        frame = pl.DataFrame(
            {
                "date": [r[0] for r in rows],
                "currency": [r[1] for r in rows],
                "rate": [int(Decimal(str(r[2])).scaleb(RATE_DECIMALS)) for r in rows],
            },
            schema={"date": pl.Date, "currency": pl.String, "rate": pl.Int64},
        )
        return cls(reporting_currency, frame.sort("currency", "date"))

    def rate(self, currency: str, on: date) -> Decimal:
        """The exact rate of ``currency`` on ``on`` (1 for the reporting currency)."""
        return Decimal(self.rate_scaled(currency, on)).scaleb(-RATE_DECIMALS).normalize()

    def rate_scaled(self, currency: str, on: date) -> int:
        """The rate of ``currency`` on ``on`` as an integer scaled by 10**12."""
        if currency == self.reporting_currency:
            return RATE_SCALE
        rows = self.rates.filter((pl.col("currency") == currency) & (pl.col("date") <= on))
        if rows.height == 0:
            raise MissingRateError(currency, on)
        return int(rows["rate"][-1])

    def reporting_decimal(self, mills: int, currency: str, on: date) -> Decimal:
        """``mills`` of ``currency`` in the reporting currency at the rate of ``on``, as an exact Decimal."""
        return converted_to_decimal(reporting_value(mills, self.rate_scaled(currency, on)))

    def convert(self, amount: Decimal | int, source: str, target: str, on: date) -> Decimal:
        """``amount`` of ``source`` in ``target`` at the rates of ``on``, unrounded (see ``CROSS_DECIMALS``).

        Both rates are values in the reporting currency, so the result is
        ``amount × rate(source) / rate(target)``, computed on integers.
        Raises :class:`MissingRateError` when either currency has no rate.

        >>> fx = FxTable.from_rows("EUR", [(date(2024, 1, 1), "USD", "0.9"), (date(2024, 1, 1), "GBP", "1.2")])
        >>> fx.convert(Decimal("100.00"), "USD", "EUR", date(2024, 2, 1)), fx.convert(Decimal("120"), "USD", "GBP", date(2024, 2, 1))
        (Decimal('90.00'), Decimal('90'))
        """
        if source == target:
            return Decimal(amount)
        num, den, exponent = _ratio(amount, self.rate_scaled(source, on), self.rate_scaled(target, on))
        return _ratio_to_decimal(num, den, exponent, negative_zero=num == 0 and Decimal(amount).is_signed())

    def convert_money(
        self, amount: Decimal | int, source: str, target: str, on: date, places: int | None = None
    ) -> Decimal:
        """:meth:`convert` rounded once, half-even, from the exact ratio to ``target``'s minor units (or ``places``).

        >>> fx = FxTable.from_rows("EUR", [(date(2024, 1, 1), "GBP", "0.875")])
        >>> fx.convert_money(Decimal("40"), "GBP", "EUR", date(2024, 2, 1)), fx.convert_money(Decimal("40"), "EUR", "GBP", date(2024, 2, 1))
        (Decimal('35.00'), Decimal('45.71'))
        """
        digits = minor_units(target) if places is None else places
        if source == target:
            num, den = Decimal(amount).as_integer_ratio()
        else:
            num, den, _ = _ratio(amount, self.rate_scaled(source, on), self.rate_scaled(target, on))
        value = round_ratio_to_places(num, den, digits)
        return value.copy_negate() if num == 0 and Decimal(amount).is_signed() else value

    def from_reporting(self, value: int, target: str, on: date) -> Decimal:
        """A converted Int128 value (reporting currency, scale 10**15) in ``target`` at ``on`` (unrounded)."""
        reporting = converted_to_decimal(value)
        if target == self.reporting_currency:
            return reporting
        return self.convert(reporting, self.reporting_currency, target, on)

    def rates_on(self, currencies: list[str] | pl.Series, on: date) -> pl.DataFrame:
        """Frame ``(currency, rate)`` for the given currencies on one date.

        Raises :class:`MissingRateError` for the first currency without a rate.
        """
        wanted = sorted({c for c in list(currencies) if c is not None})
        return pl.DataFrame(
            {"currency": wanted, "rate": [self.rate_scaled(c, on) for c in wanted]},
            schema={"currency": pl.String, "rate": pl.Int64},
        )

    def rates_for(self, keys: pl.DataFrame, date_col: str) -> pl.DataFrame:
        """Attach the rate of each ``(currency, date_col)`` row of ``keys``.

        ``keys`` is small (already aggregated); returns it with an Int64 column
        ``rate``. Raises :class:`MissingRateError` for the earliest row lacking one.
        """
        keyed = keys.with_row_index("_row")
        own = keyed.filter(pl.col("currency") == self.reporting_currency).with_columns(
            rate=pl.lit(RATE_SCALE, pl.Int64)
        )
        other = keyed.filter(pl.col("currency") != self.reporting_currency).sort(date_col)
        if other.height:
            table = self.rates.rename({"date": "_rate_date"}).sort("_rate_date")
            other = other.join_asof(
                table,
                left_on=date_col,
                right_on="_rate_date",
                by="currency",
                strategy="backward",
                check_sortedness=False,
            ).drop("_rate_date")
            missing = other.filter(pl.col("rate").is_null())
            if missing.height:
                first = missing.sort(date_col).row(0, named=True)
                raise MissingRateError(first["currency"], first[date_col])
        else:
            other = other.with_columns(rate=pl.lit(None, pl.Int64))
        return pl.concat([own, other], how="vertical_relaxed").sort("_row").drop("_row")

    def rates_at(self, dates: Sequence[date], currencies: Sequence[str]) -> pl.DataFrame:
        """``(currency, rate, as_of)`` for each date and currency (the rate in force on each date)."""
        parts = [self.rates_on(list(currencies), d).with_columns(pl.lit(d, pl.Date).alias("as_of")) for d in dates]
        if not parts:
            return pl.DataFrame(schema={"currency": pl.String, "rate": pl.Int64, "as_of": pl.Date})
        return pl.concat(parts)

    def convert_sums(self, frame: pl.DataFrame, keys: Sequence[str], value: str = "open") -> pl.DataFrame:
        """Sum ``value`` (mills) per ``keys`` and currency, convert each sum at its ``as_of`` rate, sum per ``keys``.

        ``keys`` must include ``as_of`` (the balance date, whose closing rate
        applies). Returns ``keys`` + ``value`` as an exact Int128 at scale 10**15.
        """
        if "as_of" not in keys:
            raise ValueError("convert_sums needs as_of among the keys")
        # Int128 before summing: a sum of Int64 mills would wrap silently past 9.2e15 units
        per_cur = frame.group_by([*keys, "currency"]).agg(exact_sum(value))
        rates = self.rates_at(per_cur["as_of"].unique().sort().to_list(), per_cur["currency"].unique().to_list())
        return (
            per_cur.join(rates, on=["as_of", "currency"], how="left")
            .with_columns(to_reporting(value).alias(value))
            .group_by(list(keys))
            .agg(pl.col(value).sum())
        )
