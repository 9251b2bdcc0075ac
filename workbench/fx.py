"""FX rates: the value of one unit of a currency in the reporting currency.

The rate for a day is the latest row dated on or before it (CONVENTIONS §2).
The reporting currency itself needs no row. A missing rate is an error that
names the currency and the date: never a silent 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from .errors import MissingRateError
from .money import RATE_DECIMALS, RATE_SCALE


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
                table, left_on=date_col, right_on="_rate_date", by="currency", strategy="backward",
                check_sortedness=False,
            ).drop("_rate_date")
            missing = other.filter(pl.col("rate").is_null())
            if missing.height:
                first = missing.sort(date_col).row(0, named=True)
                raise MissingRateError(first["currency"], first[date_col])
        else:
            other = other.with_columns(rate=pl.lit(None, pl.Int64))
        return pl.concat([own, other], how="vertical_relaxed").sort("_row").drop("_row")
