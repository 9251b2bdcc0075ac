"""The credit functions on a small demo company: profiles separate, invariants hold."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from workbench.credit import (
    check_order,
    exposure,
    financial_analysis,
    hold_recommendations,
    load_policy,
    recommend_limits,
    score_customers,
)
from workbench.credit.scorecard import score_results
from workbench.demo import DEFAULT_AS_OF, behaviour_profiles, generate_demo
from workbench.ledger import load_ledger


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("credit_demo") / "ledger"
    generate_demo(folder, customers=150, seed=5)
    return load_ledger(folder)


@pytest.fixture(scope="module")
def scores(demo) -> pl.DataFrame:
    return score_customers(demo, DEFAULT_AS_OF)


def test_defaulting_customers_score_lower_than_prompt_ones(scores) -> None:
    profiles = behaviour_profiles(customers=150, seed=5)
    means = dict(scores.join(profiles, on="customer_id").group_by("profile").agg(pl.col("score").mean()).iter_rows())
    assert means["defaulting"] < means["prompt"] - 25
    assert means["defaulting"] < min(means["slow"], means["erratic"], means["deteriorating"])
    classes = scores.join(profiles, on="customer_id").filter(profile="defaulting")["risk_class"].to_list()
    assert set(classes) <= {"C", "D", "E"}


def test_every_customer_is_scored_and_explained(demo, scores) -> None:
    assert scores.height == demo.customers.height
    assert set(scores["risk_class"].unique()) <= {"A", "B", "C", "D", "E", "unrated"}
    rated = scores.filter(pl.col("score").is_not_null())
    assert rated.height >= scores.height - 5
    # the points add up to the score (each shown value rounded on its own)
    points = rated.select(50 + pl.sum_horizontal(pl.col("^.*_points$").fill_null(0)) - pl.col("score")).to_series()
    assert points.abs().max() <= 0.03
    assert all(e.startswith(f"{s:.2f} ({c})") for e, s, c in rated.select("explanation", "score", "risk_class").rows())


def test_financials_limits_exposure_holds_on_the_demo(demo) -> None:
    policy = load_policy()
    fa = financial_analysis(demo, DEFAULT_AS_OF)
    assert fa.height == demo.financials.height and fa["z_model"].unique().to_list() == ["Z''"]
    results = score_results(demo, DEFAULT_AS_OF, policy)
    limits = recommend_limits(demo, DEFAULT_AS_OF, policy, scores=results)
    assert limits.height == demo.customers.height
    for row in limits.filter(pl.col("recommended_limit").is_not_null()).iter_rows(named=True):
        cap = policy.class_cap[row["risk_class"]]
        if row["limit_currency"] == "EUR":
            assert row["recommended_limit"] <= cap
        if row["risk_class"] == "E":
            assert row["recommended_limit"] == 0 and row["recommended_terms_days"] == 0
    exp = exposure(demo, DEFAULT_AS_OF)
    parts = exp.select(
        pl.sum_horizontal("open_ar", "unapplied_credit", "open_orders", "delivered_not_invoiced") - pl.col("exposure")
    ).to_series()
    assert parts.cast(pl.Float64).abs().max() == 0
    holds = hold_recommendations(demo, DEFAULT_AS_OF)
    litigation = demo.customers.filter(status="litigation")["customer_id"].to_list()
    assert all(holds.filter(customer_id=c)["recommend_hold"].item() for c in litigation)
    one = exp.row(0, named=True)
    decision = check_order(demo, one["customer_id"], Decimal("100"), DEFAULT_AS_OF)
    assert decision.exposure_before == one["exposure"] and decision.outcome in {"release", "refer", "hold"}
