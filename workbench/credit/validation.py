"""Validation of the financial scores on real outcomes: ROC AUC of failed vs surviving companies.

The AUC here is the probability that a surviving company scores higher than
a failed one, ties counting one half (the Mann-Whitney U statistic divided by
the number of (survivor, failed) pairs). It is computed exactly with
fractions from the tie groups of the sorted scores; 0.5 is chance, 1.0 a
perfect ranking. Rows whose score is null (an input missing) are excluded
and counted, never imputed.

:func:`bankruptcy_validation` reads a ratio table with the columns of the
Polish bankruptcy data (``Attr2`` total liabilities / total assets, ``Attr3``
X1, ``Attr6`` X2, ``Attr7`` X3, ``Attr8`` X4 book, ``Attr9`` X5, ``class`` 1 =
failed) and reports the AUC of Z', Z'' and the financial score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import groupby
from pathlib import Path

import polars as pl

from ..money import parse_optional_amount
from .financials import altman_z_double_prime, altman_z_prime, financial_score
from .policy import COMPANY_TYPES, Policy, default_policy

__all__ = ["AucResult", "POLISH_COLUMNS", "bankruptcy_validation", "read_ratio_table", "roc_auc"]

#: Polish data attribute -> ratio name used by :mod:`.financials`.
POLISH_COLUMNS: dict[str, str] = {
    "Attr2": "liabilities_to_assets",
    "Attr3": "x1",
    "Attr6": "x2",
    "Attr7": "x3",
    "Attr8": "x4_book",
    "Attr9": "x5",
}


@dataclass(frozen=True)
class AucResult:
    """ROC AUC (exact fraction and float) with the counts behind it."""

    auc: Fraction | None
    used: int
    excluded: int
    failed: int
    survivors: int

    @property
    def value(self) -> float | None:
        """The AUC as a float (``None`` when one class is empty)."""
        return None if self.auc is None else float(self.auc)


def roc_auc(scores: Sequence[Decimal | float | int | None], failed: Sequence[bool | int]) -> AucResult:
    """AUC of ``scores`` at ranking failed rows (``failed`` true) below the others; ties count one half.

    >>> roc_auc([3, 2, 1, None], [0, 0, 1, 1]).auc, roc_auc([1, 1], [0, 1]).auc
    (Fraction(1, 1), Fraction(1, 2))
    """
    if len(scores) != len(failed):
        raise ValueError("scores and outcomes must have the same length")
    pairs = [(s, bool(y)) for s, y in zip(scores, failed) if s is not None]
    excluded = len(scores) - len(pairs)
    n_failed = sum(1 for _, y in pairs if y)
    n_surv = len(pairs) - n_failed
    if n_failed == 0 or n_surv == 0:
        return AucResult(None, len(pairs), excluded, n_failed, n_surv)
    pairs.sort(key=lambda p: p[0])
    won = Fraction(0)
    failed_below = 0
    for _, group in groupby(pairs, key=lambda p: p[0]):
        members = list(group)
        d = sum(1 for _, y in members if y)
        s = len(members) - d
        won += s * failed_below + Fraction(s * d, 2)
        failed_below += d
    return AucResult(won / (n_failed * n_surv), len(pairs), excluded, n_failed, n_surv)


def read_ratio_table(path: str | Path) -> pl.DataFrame:
    """A ratio table as text columns (exact values are parsed later; empty = missing)."""
    return pl.read_csv(path, infer_schema=False)


def bankruptcy_validation(table: pl.DataFrame, policy: Policy | None = None) -> pl.DataFrame:
    """AUC of Altman Z', Z'' and the financial score on a ratio table with outcomes.

    ``table`` has ``Attr2, Attr3, Attr6, Attr7, Attr8, Attr9`` (text or
    numbers, empty = missing) and ``class`` (1 = failed). The financial score
    uses the Altman model of the policy's ``default_company_type`` (Z'' by
    default: the companies' industries are not known).

    Returns ``measure, auc (6 decimals), rows_used, rows_excluded, failed, survivors``.
    """
    policy = policy or default_policy()
    model = COMPANY_TYPES[policy.default_company_type]
    outcomes = [int(v) == 1 for v in table["class"].to_list()]
    columns = {name: table[attr].to_list() for attr, name in POLISH_COLUMNS.items()}
    zp: list[Decimal | None] = []
    zpp: list[Decimal | None] = []
    fs: list[Decimal | None] = []
    for i in range(table.height):
        ratios: dict[str, Decimal | None] = {}
        for name, values in columns.items():
            value, problem = parse_optional_amount(values[i], plain=True)
            if problem:
                raise ValueError(f"row {i + 1}: {name}: {problem}")
            ratios[name] = value
        x = [ratios["x1"], ratios["x2"], ratios["x3"], ratios["x4_book"], ratios["x5"]]
        zp.append(None if any(v is None for v in x) else altman_z_prime(*x))  # type: ignore[arg-type]
        zpp.append(None if any(v is None for v in x[:4]) else altman_z_double_prime(*x[:4]))  # type: ignore[arg-type]
        fs.append(financial_score(ratios, model, policy).score)
    rows = []
    for measure, scores in (("altman_z_prime", zp), ("altman_z_double_prime", zpp), ("financial_score", fs)):
        res = roc_auc(scores, outcomes)
        rows.append(
            {
                "measure": measure,
                "auc": None if res.auc is None else round(float(res.auc), 6),
                "rows_used": res.used,
                "rows_excluded": res.excluded,
                "failed": res.failed,
                "survivors": res.survivors,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "measure": pl.String,
            "auc": pl.Float64,
            "rows_used": pl.Int64,
            "rows_excluded": pl.Int64,
            "failed": pl.Int64,
            "survivors": pl.Int64,
        },
    )
