"""Forecast accuracy measures (CONVENTIONS §10): WAPE and bias.

Both are ratios of sums over the weeks compared, so that weeks with large
amounts weigh more than quiet ones:

* WAPE = Σ|actual − forecast| / Σ|actual|
* bias = Σ(forecast − actual) / Σ actual (positive: the forecast was too high)

Both are ``None`` when the actuals sum to zero (nothing to compare with).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

__all__ = ["bias", "wape"]

Number = int | float | Decimal


def _arrays(
    actual: Sequence[Number] | np.ndarray, forecast: Sequence[Number] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray([float(v) for v in actual], dtype=np.float64)
    f = np.asarray([float(v) for v in forecast], dtype=np.float64)
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.size} vs {f.size}")
    return a, f


def wape(actual: Sequence[Number] | np.ndarray, forecast: Sequence[Number] | np.ndarray) -> float | None:
    """Weighted absolute percentage error as a fraction (0.08 = 8 %).

    >>> round(wape([100, 200, 700], [90, 220, 650]), 3)
    0.08
    """
    a, f = _arrays(actual, forecast)
    denominator = float(np.abs(a).sum())
    if denominator == 0:
        return None
    return float(np.abs(a - f).sum()) / denominator


def bias(actual: Sequence[Number] | np.ndarray, forecast: Sequence[Number] | np.ndarray) -> float | None:
    """Signed bias as a fraction: Σ(forecast − actual) / Σ actual (positive = over-forecast).

    >>> round(bias([100, 200, 700], [90, 220, 650]), 3)
    -0.04
    """
    a, f = _arrays(actual, forecast)
    denominator = float(a.sum())
    if denominator == 0:
        return None
    return float((f - a).sum()) / denominator
