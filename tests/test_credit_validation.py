"""Validation of the financial scores on real bankruptcy outcomes (Polish companies, 5th year).

The fixture is a reduced copy of the UCI data set (see tests/fixtures/credit/README.md); nothing under
/work/shared is read at test time.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from workbench.credit import bankruptcy_validation, roc_auc
from workbench.credit.validation import read_ratio_table

FIXTURE = Path(__file__).parent / "fixtures" / "credit" / "polish_bankruptcy_5year_altman.csv"


def test_roc_auc_counts_ties_half_and_excludes_missing() -> None:
    res = roc_auc([5, 4, 4, 1, None, 2], [0, 0, 1, 1, 1, 0])
    # survivors 5, 4, 2 vs failed 4, 1: (5,4) (5,1) (4,1) (2,1) won, (4,4) tie = 1/2, (2,4) lost: 4.5 of 6
    assert res.auc == Fraction(3, 4) and (res.used, res.excluded, res.failed, res.survivors) == (5, 1, 2, 3)
    assert roc_auc([1, 2], [0, 0]).auc is None


def test_altman_and_financial_score_rank_failed_companies_below_survivors() -> None:
    table = read_ratio_table(FIXTURE)
    assert table.height == 5910 and table["class"].to_list().count("1") == 410
    out = {r["measure"]: r for r in bankruptcy_validation(table).iter_rows(named=True)}
    assert round(out["altman_z_prime"]["auc"], 3) == 0.708
    assert round(out["altman_z_double_prime"]["auc"], 3) == 0.766
    assert round(out["financial_score"]["auc"], 3) == 0.786
    for row in out.values():
        assert row["auc"] > 0.5
        # rows lacking an input are excluded and counted, never imputed
        assert (row["rows_used"], row["rows_excluded"], row["failed"], row["survivors"]) == (5891, 19, 406, 5485)
    assert out["financial_score"]["auc"] > out["altman_z_double_prime"]["auc"]
