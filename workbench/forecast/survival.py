"""Survival curves of open items: Kaplan–Meier and the grouped discrete-time estimator.

:func:`kaplan_meier` is the textbook estimator (CONVENTIONS §10, "survival
view"): durations of paid items are events, open items are censored at
their current age; an item censored at t is still at risk at t.
:func:`conditional_paid` gives P(paid by t | not paid by a) =
(S(a) − S(t)) / S(a).

:class:`DelayGrid` and :func:`grouped_counts` are the vectorised machinery
the forecast model uses: delays past the due date on a fixed grid of bins
(daily near the due date, weekly further out), items entering the risk set
at their document date (delayed entry) and leaving it when settled (event)
or at the as-of date (censored), counted for many groups at once with one
``bincount`` each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

NOT_FOUND = -(10**9)
"""Returned by :meth:`DelayGrid.first_delay_reaching` for rows that never reach the target."""

__all__ = ["NOT_FOUND", "DelayGrid", "conditional_paid", "grouped_counts", "kaplan_meier", "survival_at"]


def kaplan_meier(durations: Sequence[float] | np.ndarray, observed: Sequence[bool] | np.ndarray) -> pl.DataFrame:
    """Kaplan–Meier survival of durations, ``observed`` False marking censored ones.

    Returns one row per distinct duration: ``time``, ``at_risk``, ``events``,
    ``censored`` and ``survival`` (S just after ``time``).

    >>> km = kaplan_meier([28, 30, 30, 35, 41, 45, 60, 33, 50, 70], [True] * 7 + [False] * 3)
    >>> round(survival_at(km, 45), 4)
    0.35
    """
    t = np.asarray(durations, dtype=np.float64)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("durations and observed must have the same length")
    if t.size == 0:
        return pl.DataFrame(
            schema={
                "time": pl.Float64,
                "at_risk": pl.Int64,
                "events": pl.Int64,
                "censored": pl.Int64,
                "survival": pl.Float64,
            }
        )
    times, inverse = np.unique(t, return_inverse=True)
    events = np.bincount(inverse, weights=e.astype(np.float64), minlength=times.size).astype(np.int64)
    total = np.bincount(inverse, minlength=times.size).astype(np.int64)
    at_risk = t.size - np.concatenate([[0], np.cumsum(total)[:-1]])
    survival = np.cumprod(1.0 - events / at_risk)
    return pl.DataFrame(
        {"time": times, "at_risk": at_risk, "events": events, "censored": total - events, "survival": survival}
    )


def survival_at(curve: pl.DataFrame, t: float) -> float:
    """S(t) of a :func:`kaplan_meier` curve (1 before the first time, a step function after)."""
    times = curve["time"].to_numpy()
    index = int(np.searchsorted(times, t, side="right")) - 1
    return 1.0 if index < 0 else float(curve["survival"][index])


def conditional_paid(curve: pl.DataFrame, age: float, t: float) -> float:
    """P(paid by ``t`` | not paid by ``age``) = (S(age) − S(t)) / S(age); 0 when S(age) = 0 or t <= age.

    >>> km = kaplan_meier([28, 30, 30, 35, 41, 45, 60, 33, 50, 70], [True] * 7 + [False] * 3)
    >>> round(conditional_paid(km, 33, 45), 4)
    0.5
    """
    s_age = survival_at(curve, age)
    if s_age <= 0 or t <= age:
        return 0.0
    return (s_age - survival_at(curve, t)) / s_age


@dataclass(frozen=True)
class DelayGrid:
    """Bins of delay past the due date (whole days of some calendar; negative = before due).

    One-day bins from ``low`` to ``daily_until``, then bins of ``tail_width``
    days up to about ``high``; delays below ``low`` fall in the first bin and
    delays above the last edge in the last one. ``edges[b]`` is the last day
    of bin b, so the survival stored for bin b is S at the end of that day.
    The defaults suit business days: daily from 90 before due to 130 after
    (about six months), then weeks of 5 business days up to about three years.
    """

    low: int = -90
    daily_until: int = 130
    high: int = 800
    tail_width: int = 5

    @property
    def daily_bins(self) -> int:
        """Number of one-day bins."""
        return self.daily_until - self.low + 1

    @property
    def size(self) -> int:
        """Number of bins."""
        return self.daily_bins + -(-(self.high - self.daily_until) // self.tail_width)

    @property
    def edges(self) -> np.ndarray:
        """Last delay (day) of each bin."""
        daily = np.arange(self.low, self.daily_until + 1, dtype=np.int64)
        tail = self.daily_until + self.tail_width * np.arange(1, self.size - self.daily_bins + 1, dtype=np.int64)
        return np.concatenate([daily, tail])

    @property
    def last(self) -> int:
        """The last edge: delays beyond it count as this delay."""
        return int(self.edges[-1])

    def bin(self, delay: np.ndarray) -> np.ndarray:
        """Bin index of each delay (clipped into the grid)."""
        d = np.clip(np.asarray(delay, dtype=np.int64), self.low, self.last)
        tail = self.daily_bins - 1 + -(-(d - self.daily_until) // self.tail_width)
        return np.where(d <= self.daily_until, d - self.low, tail)

    def value_at(self, values: np.ndarray, rows: np.ndarray, delay: np.ndarray) -> np.ndarray:
        """Read a (groups × bins) matrix of values at bin ends at any whole delay, for each row.

        Before the first bin the value is 0 (log S = 0, nothing paid yet);
        inside a wide bin it is interpolated linearly; after the last edge it
        stays at the last bin's value.
        """
        return self.values_at([values], rows, delay)[0]

    def values_at(self, matrices: list[np.ndarray], rows: np.ndarray, delay: np.ndarray) -> list[np.ndarray]:
        """:meth:`value_at` for several matrices of the same shape, locating the bins once."""
        d = np.clip(np.asarray(delay, dtype=np.int64), self.low - 1, self.last)
        b = self.bin(d)
        edges = self.edges
        width = matrices[0].shape[1]
        index = np.asarray(rows, dtype=np.int64) * width + b
        has_previous = b > 0
        before = np.where(has_previous, index - 1, index)
        prev_edge = np.where(has_previous, edges[np.maximum(b - 1, 0)], self.low - 1)
        frac = np.clip((d - prev_edge) / (edges[b] - prev_edge), 0.0, 1.0)
        outside = d < self.low
        out = []
        for values in matrices:
            flat = values.reshape(-1)
            current = flat[index]
            previous = np.where(has_previous, flat[before], 0.0)
            value = previous + frac * (current - previous)
            value[outside] = 0.0
            out.append(value)
        return out

    log_survival_at = value_at

    def first_delay_reaching(
        self, values: np.ndarray, rows: np.ndarray, target: np.ndarray, cap: float = 60.0
    ) -> np.ndarray:
        """First whole delay at which each row's value reaches ``target``; ``NOT_FOUND`` when it never does.

        ``values`` must be non-decreasing along each row and within ``[0, cap]``
        (e.g. the cash incidence, or −log S clipped): one sorted search over
        all rows finds every crossing at once.
        """
        rows = np.asarray(rows, dtype=np.int64)
        width = values.shape[1]
        flat = np.clip(values, 0.0, cap).reshape(-1)
        keys = np.repeat(np.arange(values.shape[0], dtype=np.float64) * (2 * cap), width) + flat
        want = np.asarray(target, dtype=np.float64)
        pos = np.searchsorted(keys, rows * (2 * cap) + np.clip(want, 0.0, cap) - 1e-12, side="left")
        b = pos - rows * width
        found = (b < width) & (want <= cap) & (want > 0)
        b = np.clip(b, 0, width - 1)
        edges = self.edges
        current = flat[rows * width + b]
        previous = np.where(b > 0, flat[rows * width + np.maximum(b - 1, 0)], 0.0)
        prev_edge = np.where(b > 0, edges[np.maximum(b - 1, 0)], self.low - 1)
        rise = current - previous
        frac = np.where(rise > 0, (want - previous) / np.where(rise > 0, rise, 1.0), 1.0)
        delay = prev_edge + np.ceil(np.clip(frac, 0.0, 1.0) * (edges[b] - prev_edge))
        return np.where(found, delay.astype(np.int64), NOT_FOUND)


def grouped_counts(
    codes: np.ndarray,
    groups: int,
    entry: np.ndarray,
    exit_: np.ndarray,
    weight: np.ndarray,
    events: list[np.ndarray],
    bins: int,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """At-risk weight and event weights per (group, bin), as ``(groups, bins)`` float matrices.

    A piece is at risk in bins ``entry..exit`` (inclusive); each array of
    ``events`` gives the weight with which it ends in bin ``exit`` by that
    kind of event (0 for censored pieces).
    """
    size = groups * bins
    base = np.asarray(codes, dtype=np.int64) * bins
    weight = np.asarray(weight, dtype=np.float64)
    enter = np.bincount(base + entry, weights=weight, minlength=size).astype(np.float64).reshape(groups, bins)
    leave_index = base + exit_
    leave = np.bincount(leave_index, weights=weight, minlength=size).astype(np.float64).reshape(groups, bins)
    at_risk = np.cumsum(enter, axis=1)
    del enter
    at_risk -= np.cumsum(leave, axis=1)
    at_risk += leave
    del leave
    np.maximum(at_risk, 0.0, out=at_risk)
    counted = [
        np.bincount(leave_index, weights=np.asarray(e, dtype=np.float64), minlength=size)
        .astype(np.float64)
        .reshape(groups, bins)
        for e in events
    ]
    return at_risk, counted
