"""Daily FX rates: a mean-reverting random walk per currency on business days."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import _world as w
from ._util import to_date, weekday

MEAN_REVERSION = 0.004  # per day, in log space
LEAD_DAYS = 10  # rates start this many days before the history


def fx_rates(seed: int, first_day: int, last_day: int) -> pl.DataFrame:
    """One row per business day in [first_day - LEAD_DAYS, last_day] and non-EUR currency.

    ``rate`` is the value of one unit in EUR as integer millionths.
    """
    rng = np.random.default_rng([seed, 2])
    days = np.arange(first_day - LEAD_DAYS, last_day + 1, dtype=np.int64)
    days = days[weekday(days) < 5]
    frames = []
    for currency in w.CURRENCIES:
        if currency == w.REPORTING_CURRENCY:
            continue
        level = np.log(w.EUR_PER_UNIT[currency])
        shocks = rng.normal(0.0, w.FX_DAILY_VOL[currency], days.size)
        x = np.empty(days.size)
        current = level + rng.normal(0.0, 0.03)
        for i in range(days.size):  # ~800 steps per currency
            current += MEAN_REVERSION * (level - current) + shocks[i]
            x[i] = current
        frames.append(
            pl.DataFrame(
                {
                    "date": to_date(days),
                    "currency": np.full(days.size, currency),
                    "rate": np.rint(np.exp(x) * 1e6).astype(np.int64),
                }
            )
        )
    return pl.concat(frames).sort("date", "currency")
