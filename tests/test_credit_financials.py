"""Financial analysis (CONVENTIONS §7): Altman worked examples, zones, ratios, missing inputs, trend."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from workbench.credit import (
    altman_z,
    altman_z_double_prime,
    altman_z_prime,
    altman_zone,
    financial_analysis,
    financial_score,
    latest_financials,
    load_policy,
)
from workbench.credit._num import q
from workbench.credit.financials import altman

X = ("0.34", "0.15", "0", "0.80", "1.6")
AS_OF = date(2026, 6, 30)


def test_worked_examples_section_7() -> None:
    assert q(altman_z(*X), 3) == Decimal("2.698")
    assert q(altman_z_prime(*X), 3) == Decimal("2.304")
    assert q(altman_z_double_prime(*X[:4]), 3) == Decimal("3.559")
    # exact values, not floats
    assert altman_z(*X) == Decimal("2.698")
    assert altman_z_prime(*X) == Decimal("2.30363")
    assert altman_z_double_prime(*X[:4]) == Decimal("3.5594")


@pytest.mark.parametrize(
    ("model", "score", "zone"),
    [
        ("Z", "2.991", "safe"),
        ("Z", "2.99", "grey"),
        ("Z", "1.81", "grey"),
        ("Z", "1.809", "distress"),
        ("Z'", "2.901", "safe"),
        ("Z'", "2.9", "grey"),
        ("Z'", "1.23", "grey"),
        ("Z'", "1.229", "distress"),
        ("Z''", "2.601", "safe"),
        ("Z''", "2.60", "grey"),
        ("Z''", "1.10", "grey"),
        ("Z''", "1.099", "distress"),
    ],
)
def test_zone_boundaries(model: str, score: str, zone: str) -> None:
    assert altman_zone(model, Decimal(score)) == zone


def test_altman_lists_missing_inputs_and_is_null() -> None:
    res = altman(
        "Z",
        {"x1": Decimal("0.1"), "x2": Decimal("0.1"), "x3": Decimal("0.1"), "x4_market": None, "x5": Decimal(1)},
        {"x4_market": ("market_value_equity",)},
    )
    assert res.score is None and res.zone is None
    assert res.missing_inputs == ("market_value_equity",)


def _statement(cid: str, period: str, **items: str) -> dict[str, str]:
    base = {
        "revenue": "1600",
        "ebit": "0",
        "net_income": "-20",
        "total_assets": "1000",
        "current_assets": "500",
        "current_liabilities": "160",
        "total_liabilities": "500",
        "equity": "400",
        "retained_earnings": "150",
        "intangible_assets": "100",
        "market_value_equity": "400",
    }
    base.update(items)
    return {"customer_id": cid, "period_end": period, "currency": "EUR", **base}


def _frame(rows: list[dict[str, str]], extra: list[str] | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    return frame.with_columns(pl.col("period_end").str.to_date())


def test_financial_analysis_reproduces_the_worked_example_from_statement_items() -> None:
    # X = (0.34, 0.15, 0, 0.80, 1.6) from line items; company type by a company_type column
    frame = _frame(
        [
            _statement("A", "2025-12-31", company_type="public_manufacturer"),
            _statement("B", "2025-12-31", company_type="private_manufacturer"),
            _statement("C", "2025-12-31", company_type=""),
        ]
    )
    out = financial_analysis(frame, AS_OF)
    by = {r["customer_id"]: r for r in out.iter_rows(named=True)}
    assert (by["A"]["z_model"], by["A"]["z_score"], by["A"]["z_zone"]) == ("Z", 2.698, "grey")
    assert (by["B"]["z_model"], by["B"]["z_score"], by["B"]["z_zone"]) == ("Z'", 2.304, "grey")
    assert (by["C"]["z_model"], by["C"]["z_score"], by["C"]["z_zone"]) == ("Z''", 3.559, "safe")
    assert by["C"]["company_type_source"] == "policy default"
    a = by["A"]
    assert (a["x1"], a["x2"], a["x3"], a["x4_book"], a["x4_market"], a["x5"]) == (0.34, 0.15, 0.0, 0.8, 0.8, 1.6)
    assert a["current_ratio"] == 3.125 and a["debt_to_equity"] == 1.25 and a["liabilities_to_assets"] == 0.5
    assert a["ebit_margin"] == 0.0 and a["net_margin"] == -0.0125 and a["roa"] == -0.02 and a["asset_turnover"] == 1.6
    assert a["working_capital"] == Decimal("340.00") and a["tangible_net_worth"] == Decimal("300.00")
    assert a["quick_ratio"] is None
    assert "quick ratio not computed: financials have no inventory column" in a["notes"]


def test_quick_ratio_when_inventory_column_exists() -> None:
    frame = _frame([_statement("A", "2025-12-31", inventory="180")])
    row = financial_analysis(frame, AS_OF).row(0, named=True)
    assert row["quick_ratio"] == 2.0  # (500 - 180) / 160


def test_missing_and_invalid_items_make_scores_null_and_say_why() -> None:
    frame = _frame(
        [
            _statement("A", "2025-12-31", company_type="public_manufacturer", market_value_equity=""),
            _statement("B", "2025-12-31", retained_earnings="n/a"),
            _statement("C", "2025-12-31", total_assets="0"),
        ]
    )
    by = {r["customer_id"]: r for r in financial_analysis(frame, AS_OF).iter_rows(named=True)}
    assert by["A"]["z_score"] is None and by["A"]["z_missing_inputs"] == ["market_value_equity"]
    assert by["A"]["altman_z_prime"] == 2.304  # the book-value models are still shown
    assert by["A"]["financial_score"] is None and by["A"]["financial_missing_inputs"] == ["market_value_equity"]
    assert by["B"]["z_missing_inputs"] == ["retained_earnings"]
    assert "retained_earnings: not a plain decimal number: 'n/a', treated as missing" in by["B"]["notes"]
    assert by["C"]["z_missing_inputs"] == ["total_assets is not positive"]
    assert by["C"]["financial_score"] is None


def test_signed_values_and_trend_latest_vs_previous() -> None:
    frame = _frame(
        [
            _statement("A", "2024-12-31", ebit="50", revenue="1500"),
            _statement("A", "2025-12-31", ebit="-80", retained_earnings="-40", revenue="1200"),
            _statement("A", "2026-12-31"),  # after as_of: ignored
        ]
    )
    out = financial_analysis(frame, AS_OF)
    assert out.height == 2
    latest = latest_financials(out).row(0, named=True)
    assert latest["period_end"] == date(2025, 12, 31) and latest["prev_period_end"] == date(2024, 12, 31)
    # Z'' now: 2.2304 - 0.1304 - 0.5376 + 0.84 = 2.4024; before: 2.2304 + 0.489 + 0.336 + 0.84 = 3.8954
    assert latest["z_score"] == 2.402
    assert latest["z_score_change"] == -1.493 and latest["trend"] == "deteriorating"
    assert latest["revenue_growth"] == -0.2


def test_financial_score_parts_with_the_default_points() -> None:
    ratios = {
        "x1": Decimal("0.2"),
        "x2": Decimal("0.2"),
        "x3": Decimal("0.05"),
        "x4_book": Decimal("0.6"),
        "liabilities_to_assets": Decimal("0.6"),
    }
    res = financial_score(ratios, "Z''", load_policy())
    # Z'' = 1.312 + 0.652 + 0.336 + 0.63 = 2.93 -> between safe 2.60 (75) and 4.10 (100): 80.5
    assert res.altman.score == Decimal("2.930")
    assert res.parts["altman"] == Decimal("80.5")
    assert (res.parts["profitability"], res.parts["leverage"], res.parts["liquidity"]) == (65, 60, 70)
    assert res.score == Decimal("72.25")  # (50*80.5 + 20*65 + 20*60 + 10*70) / 100 = 7225 / 100
    missing = financial_score(
        {**ratios, "liabilities_to_assets": None},
        "Z''",
        load_policy(),
        {"liabilities_to_assets": ("total_liabilities",)},
    )
    assert missing.score is None and missing.missing_inputs == ("total_liabilities",)


def test_company_type_from_segment_mapping_in_policy() -> None:
    from workbench.credit.policy import policy_from_mapping

    policy = policy_from_mapping({"financial": {"company_type_by_segment": {"industry": "private_manufacturer"}}})
    frame = _frame([_statement("A", "2025-12-31")])
    customers = pl.DataFrame({"customer_id": ["A"], "segment": ["industry"]})
    row = financial_analysis(frame, AS_OF, policy=policy, customers=customers).row(0, named=True)
    assert row["z_model"] == "Z'" and row["company_type_source"] == "segment 'industry'"
