"""Policy loading and the scorecard: validation errors, overrides, re-weighting of missing factors, classes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workbench.credit import PolicyError, load_policy, score_customers
from workbench.credit.country import country_risk, load_country_table
from workbench.credit.policy import policy_from_mapping

from .test_credit_support import credit_ledger

AS_OF = date(2026, 6, 30)


def test_default_policy_shape() -> None:
    policy = load_policy()
    assert policy.weights == {"financial": 30, "behaviour": 35, "external": 25, "country": 10}
    assert [c for c, _ in policy.classes] == ["A", "B", "C", "D", "E"]
    assert policy.terms["E"].max_days == 0 and "prepayment" in policy.terms["E"].text
    assert policy.approval_role(Decimal("100000")) is None
    assert policy.approval_role(Decimal("100000.01")) == "credit manager"
    assert policy.approval_role(Decimal("750000")) == "finance director"
    assert policy.currency == "EUR"


def test_risk_class_boundaries_use_the_shown_score() -> None:
    policy = load_policy()
    assert [policy.risk_class(Decimal(s)) for s in ("80.00", "79.99", "65", "50", "35", "34.99", "0")] == [
        "A",
        "B",
        "B",
        "C",
        "D",
        "E",
        "E",
    ]
    assert policy.risk_class(None) == "unrated"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_partial_file_is_merged_over_the_default(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, "[scorecard.weights]\nfinancial = 0\n[limits]\ngrace_days = 30\n"))
    assert policy.weights == {"financial": 0, "behaviour": 35, "external": 25, "country": 10}
    assert policy.grace_days == 30 and policy.tnw_pct == 10


def test_unknown_keys_wrong_types_and_inconsistencies_are_all_reported(tmp_path: Path) -> None:
    text = (
        '[scorecard]\nneutral = "fifty"\n'
        "[scorecard.weigths]\nfinancial = 1\n"
        "[scorecard.classes]\nB = 90\n"
        '[release]\nover_limit = "maybe"\n'
    )
    with pytest.raises(PolicyError) as err:
        load_policy(_write(tmp_path, text))
    problems = err.value.problems
    assert "scorecard.weigths: unknown key (did you mean 'weights'?)" in problems
    assert "scorecard.neutral: must be a number, not text ('fifty')" in problems
    assert any(p.startswith("release.over_limit: must be one of 'release', 'refer', 'hold'") for p in problems)
    # thresholds are checked only once the shape is right
    with pytest.raises(PolicyError, match="thresholds must decrease strictly from A to E"):
        load_policy(_write(tmp_path, "[scorecard.classes]\nB = 90\n"))


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the file"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(_write(tmp_path, "[scorecard\n"))
    with pytest.raises(PolicyError, match=r"approval.levels: levels must be in increasing order"):
        load_policy(
            _write(tmp_path, '[[approval.levels]]\nabove = 5\nrole = "a"\n[[approval.levels]]\nabove = 1\nrole = "b"\n')
        )
    with pytest.raises(PolicyError, match=r"financial.points.leverage: values must be strictly increasing"):
        policy_from_mapping({"financial": {"points": {"leverage": [[1, 0], [0.5, 50]]}}})


def test_country_table_is_dated_and_marks_unclassified_countries() -> None:
    table = load_country_table()
    got = {r["country"]: r for r in country_risk(["FR", "BR", "MX", "GB", "XX"], AS_OF, table).iter_rows(named=True)}
    assert got["FR"]["oecd_class"] == 0 and got["FR"]["basis"] == "euro area (unclassified)"
    assert got["GB"]["oecd_class"] == 0 and got["GB"]["basis"] == "high-income OECD (unclassified)"
    assert (got["BR"]["oecd_class"], got["MX"]["oecd_class"]) == (4, 3)
    assert got["XX"]["oecd_class"] is None and "not in the country risk table" in got["XX"]["country_note"]
    early = country_risk(["FR"], date(2020, 1, 1), table).row(0, named=True)
    assert early["oecd_class"] == 0 and "after the as-of date" in early["country_note"]


def test_scorecard_reweights_missing_factor_and_explains(tmp_path: Path) -> None:
    led = credit_ledger(tmp_path / "l")
    out = {r["customer_id"]: r for r in score_customers(led, AS_OF).iter_rows(named=True)}
    c1 = out["C1"]
    # behaviour: delay -4000/4500 d -> PAYDEX 80.44; nothing > 60 dpd -> 100; 0.6*80.44 + 0.4*100 = 88.27
    # score over 70 % of the weight: (35*88.2667 + 25*80 + 10*100) / 70 = 86.99
    assert (c1["score"], c1["risk_class"]) == (86.99, "A")
    assert (c1["behaviour_score"], c1["external_score"], c1["country_score"]) == (88.27, 80.0, 100.0)
    assert c1["financial_score"] is None and c1["financial_points"] is None
    assert (c1["behaviour_points"], c1["external_points"], c1["country_points"]) == (19.13, 10.71, 7.14)
    assert c1["weight_share"] == 0.7 and c1["missing_factors"] == ["financial"]
    assert "financial missing (no financial statements)" in c1["explanation"]
    assert "weights re-scaled over 70.0 % of the total" in c1["explanation"]
    assert c1["explanation"].startswith("86.99 (A): neutral 50; behaviour +19.13")
    c2 = out["C2"]
    # all four factors: (30*72.8333 + 35*0 + 25*40 + 10*100) / 100 = 41.85
    assert (c2["score"], c2["risk_class"], c2["financial_score"], c2["behaviour_score"]) == (41.85, "D", 72.83, 0.0)
    assert c2["behaviour_points"] == -17.5 and c2["weight_share"] == 1.0
    # external + country only = 35 % of the weight < 50 %: unrated
    assert out["C3"]["score"] is None and out["C3"]["risk_class"] == "unrated"
    assert out["C3"]["explanation"].startswith("unrated: factors present carry 35.0 % of the weight")


def test_min_weight_share_and_weights_from_policy(tmp_path: Path) -> None:
    led = credit_ledger(tmp_path / "l")
    lenient = policy_from_mapping({"scorecard": {"min_weight_share": Decimal("0.3")}})
    c3 = score_customers(led, AS_OF, lenient).filter(customer_id="C3").row(0, named=True)
    # (25*30 + 10*100) / 35 = 50.00 -> class C
    assert (c3["score"], c3["risk_class"]) == (50.0, "C")
    only_external = policy_from_mapping(
        {"scorecard": {"weights": {"financial": 0, "behaviour": 0, "country": 0}, "min_weight_share": Decimal("0.1")}}
    )
    c1 = score_customers(led, AS_OF, only_external).filter(customer_id="C1").row(0, named=True)
    assert c1["score"] == 80.0 and c1["external_points"] == 30.0
