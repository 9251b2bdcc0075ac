"""Credit limits (CONVENTIONS §7): the three methods, rounding, caps, class factors, terms, currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workbench.credit import load_policy, recommend_limits, round_limit, three_method_limit
from workbench.credit.policy import policy_from_mapping

from .test_credit_support import credit_ledger

AS_OF = date(2026, 6, 30)


def test_three_method_worked_example() -> None:
    m = three_method_limit(2_000_000, 600_000, 40_000, 60)  # 60 days terms + 15 grace
    assert (m.tnw, m.working_capital, m.needs, m.average) == (200_000, 60_000, 100_000, 120_000)
    assert m.notes == ()


def test_three_method_missing_and_negative_inputs() -> None:
    m = three_method_limit(None, -50_000, 30_000, 30)
    assert m.tnw is None and m.working_capital == 0 and m.needs == Decimal("45000")
    assert m.average == Decimal("22500")  # (0 + 45,000) / 2: the missing method is left out
    assert m.notes == ("tangible net worth unknown: method left out", "working capital is negative: method gives 0")
    assert three_method_limit(None, None, None, None).average is None


@pytest.mark.parametrize(
    ("amount", "down", "nearest"),
    [
        ("99999.99", "99000", "100000"),
        ("123456", "120000", "125000"),
        ("1234567", "1200000", "1250000"),
        ("2500", "2000", "2000"),
        ("3500", "3000", "4000"),
        ("400", "0", "0"),
    ],
)
def test_rounding_steps(amount: str, down: str, nearest: str) -> None:
    assert round_limit(Decimal(amount)) == Decimal(down)
    nearest_policy = policy_from_mapping({"limits": {"rounding": "nearest"}})
    assert round_limit(Decimal(amount), nearest_policy) == Decimal(nearest)  # half-even on the step


def test_recommended_limits_with_currency_conversion_and_class_factor(tmp_path: Path) -> None:
    led = credit_ledger(tmp_path / "l")
    rows = {r["customer_id"]: r for r in recommend_limits(led, AS_OF).iter_rows(named=True)}
    c2 = rows["C2"]
    # USD statement at the as-of rate 0.8: TNW 300,000 USD -> 240,000 EUR, WC 200,000 USD -> 160,000 EUR
    assert (c2["limit_currency"], c2["tangible_net_worth"], c2["working_capital"]) == (
        "EUR",
        Decimal("240000.00"),
        Decimal("160000.00"),
    )
    # billings USD 10,000 at the doc-date rate 0.9 = 9,000 EUR over 5 months of history
    assert c2["monthly_purchases"] == Decimal("1800.00")
    assert (c2["limit_tnw"], c2["limit_working_capital"], c2["limit_needs"]) == (
        Decimal("24000.00"),
        Decimal("16000.00"),
        Decimal("2700.00"),
    )
    assert c2["average"] == Decimal("14233.33")
    # class D: 50 % of the average = 7,116.67, capped at 2 x needs = 5,400, rounded down to 1,000
    assert (c2["risk_class"], c2["class_factor"], c2["recommended_limit"]) == ("D", 0.5, Decimal("5000.00"))
    assert c2["capped_by"] == ["2 x needs-based limit"] and c2["change"] == Decimal("-15000.00")
    no_needs_cap = policy_from_mapping({"limits": {"max_multiple_of_needs": 0}})
    c2 = recommend_limits(led, AS_OF, no_needs_cap).filter(customer_id="C2").row(0, named=True)
    assert (c2["recommended_limit"], c2["capped_by"]) == (Decimal("7000.00"), [])
    assert c2["recommended_terms_days"] == 15 and c2["approval_role"] is None
    c1 = rows["C1"]
    # no statement: needs-based only; 9,000 EUR billed over 6 months -> 1,500 x 45 / 30 = 2,250 -> 2,000
    assert (c1["limit_tnw"], c1["limit_needs"], c1["recommended_limit"]) == (
        None,
        Decimal("2250.00"),
        Decimal("2000.00"),
    )
    assert "no financial statement" in c1["notes"]
    assert (rows["C3"]["recommended_limit"], rows["C3"]["recommended_terms_days"]) == (None, 0)


def test_caps_by_tnw_and_class_and_class_e(tmp_path: Path) -> None:
    led = credit_ledger(tmp_path / "l")
    tight = policy_from_mapping({"limits": {"max_pct_of_tnw": 1, "class_factor": {"D": 1}}})
    c2 = recommend_limits(led, AS_OF, tight).filter(customer_id="C2").row(0, named=True)
    assert c2["recommended_limit"] == Decimal("2000.00")  # 1 % of 240,000 = 2,400 -> 2,000
    assert c2["capped_by"] == ["1 % of TNW"]
    capped = policy_from_mapping({"limits": {"class_cap": {"D": 5500}, "max_multiple_of_needs": 0}})
    c2 = recommend_limits(led, AS_OF, capped).filter(customer_id="C2").row(0, named=True)
    assert c2["recommended_limit"] == Decimal("5000.00") and c2["capped_by"] == ["class D cap 5,500.00 EUR"]
    all_e = policy_from_mapping({"scorecard": {"classes": {"A": 99.9, "B": 99.8, "C": 99.7, "D": 99.6}}})
    c2 = recommend_limits(led, AS_OF, all_e).filter(customer_id="C2").row(0, named=True)
    assert c2["risk_class"] == "E" and c2["recommended_limit"] == Decimal("0.00")
    assert c2["recommended_terms"] == "prepayment or confirmed letter of credit" and c2["recommended_terms_days"] == 0


def test_approval_role_of_a_large_recommended_limit(tmp_path: Path) -> None:
    led = credit_ledger(tmp_path / "l")
    generous = policy_from_mapping(
        {
            "limits": {
                "class_factor": {"D": 1},
                "tnw_pct": 100,
                "working_capital_pct": 100,
                "max_pct_of_tnw": 100,
                "class_cap": {"D": 1_000_000},
                "max_multiple_of_needs": 0,
            }
        }
    )
    c2 = recommend_limits(led, AS_OF, generous).filter(customer_id="C2").row(0, named=True)
    # (240,000 + 160,000 + 2,700) / 3 = 134,233.33 -> 130,000 (step 5,000) > 100,000
    assert c2["recommended_limit"] == Decimal("130000.00") and c2["approval_role"] == "credit manager"
    assert load_policy().approval_role(Decimal("130000")) == "credit manager"
