"""Per-item probabilities of cash in each horizon week, from fitted curves.

Delays are business days of the customer's country (see
:mod:`workbench.forecast.model`). With ``count(x)`` the number of business
days up to day x, an item due on ``due`` and paid with business-day delay τ
is paid on the business day whose count is ``count(due) + τ``. It is still
open at the end of D when τ > ``a = count(D) − count(due)``, and it is paid
in horizon week k when ``count(end of week k−1) < count(due) + τ <=
count(end of week k)``. So, with the cash incidence ``cash(t)`` and the
survival ``S(t)`` of its customer's curve:

    P(cash by the end of week k | open at D) = (cash(c_k − count(due)) − cash(a)) / S(a)

with ``c_k = count(Sunday ending week k)``: one lookup per item and week,
no loop over items. A hazard ratio ρ (recent behaviour, flags) turns the
probability that the item ends by t into ``1 − (S(t)/S(a)) ** ρ``, of which
the cash share is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .model import Fitted, History, day_number
from .survival import NOT_FOUND
from .weeks import horizon_weeks

__all__ = ["Scores", "cutoffs", "score_items"]


def cutoffs(history: History, as_of: date, weeks: int) -> np.ndarray:
    """``(countries, weeks + 1)`` business-day counts: column 0 at D, column k at the end of horizon week k."""
    days = [as_of, *horizon_weeks(as_of, weeks)["last_day"].to_list()]
    n = len(history.counter.countries)
    return (
        np.column_stack([history.counter.count(np.arange(n), np.full(n, day_number(d))) for d in days])
        if n
        else np.zeros((0, weeks + 1), dtype=np.int64)
    )


@dataclass(frozen=True)
class Scores:
    """Per-item results: ``cum[i, k]`` = P(paid in cash by the end of horizon week k+1 | open at D).

    ``median_day`` is the day number of the business day by which the item
    is paid with probability one half (-1 when the curve never gets there);
    ``factor`` is the hazard ratio applied (1 when neither flagged nor slowed).
    """

    cum: np.ndarray
    median_day: np.ndarray
    factor: np.ndarray
    weekly: np.ndarray
    """``(items, weeks)`` probability of payment in each week."""

    @property
    def in_horizon(self) -> np.ndarray:
        """Probability of payment within the horizon."""
        return self.cum[:, -1] if self.cum.shape[1] else np.zeros(self.cum.shape[0])


def score_items(
    history: History,
    fitted: Fitted,
    codes: np.ndarray,
    due: np.ndarray,
    cuts: np.ndarray,
    factor: np.ndarray | None = None,
) -> Scores:
    """Probabilities for items of customers ``codes`` (due day numbers ``due``), ``cuts`` from :func:`cutoffs`."""
    n = codes.size
    weeks = cuts.shape[1] - 1
    rho = np.ones(n) if factor is None else np.asarray(factor, dtype=np.float64)
    rho = rho * fitted.frailty[fitted.row_of[codes]]
    country = history.country_of[codes]
    due_bd = history.counter.count(country, due, forward=True)
    age = cuts[country, 0] - due_bd
    log_now, cash_now = fitted.curves_at(codes, age)
    delays = (cuts[country, 1:] - due_bd[:, None]).reshape(-1)
    log_later, cash_later = fitted.curves_at(np.repeat(codes, weeks), delays)
    log_later, cash_later = log_later.reshape(n, weeks), cash_later.reshape(n, weeks)
    s_now = np.exp(log_now)[:, None]
    kept = np.minimum(log_later - log_now[:, None], 0.0)
    paid = np.clip(cash_later - cash_now[:, None], 0.0, None) / np.where(s_now > 1e-300, s_now, 1.0)
    ended = 1.0 - np.exp(kept)
    share = np.clip(np.divide(paid, ended, out=np.ones_like(paid), where=ended > 1e-12), 0.0, 1.0)
    cum = np.where(rho[:, None] == 1.0, paid, (1.0 - np.exp(kept * rho[:, None])) * share)
    cum = np.maximum.accumulate(np.clip(cum, 0.0, 1.0), axis=1) if weeks else np.zeros((n, 0))
    # median: the delay by which the (unslowed-equivalent) cash probability reaches one half
    goal = np.where(rho > 0, 1.0 - np.exp2(-1.0 / np.where(rho > 0, rho, 1.0)), 2.0)
    target = np.where(goal < 1.0, cash_now + goal * np.exp(log_now), 10.0)
    tau = fitted.params.grid.first_delay_reaching(fitted.cash, fitted.row_of[codes], target, cap=1.0)
    found = tau != NOT_FOUND
    count = due_bd + np.maximum(tau, age + 1)
    median = np.full(n, -1, dtype=np.int64)
    if found.any():
        median[found] = history.counter.day_of(country[found], count[found])
    return Scores(cum=cum, median_day=median, factor=rho, weekly=np.diff(cum, axis=1, prepend=0.0))
