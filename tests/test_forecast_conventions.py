"""CONVENTIONS §10 worked examples: WAPE, the two baselines with weekly bucketing, Kaplan–Meier."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tests.builders import alloc, inv, ledger, pay
from workbench.forecast import (
    actuals,
    average_delay_forecast,
    bias,
    conditional_paid,
    customer_average_delay,
    due_date_forecast,
    horizon_weeks,
    kaplan_meier,
    survival_at,
    wape,
)
from workbench.forecast.weeks import horizon_group

AS_OF = date(2025, 6, 1)  # a Sunday: horizon week 1 is ISO week 23 of 2025 (2-8 June)


def test_wape_example():
    assert wape([100, 200, 700], [90, 220, 650]) == pytest.approx(0.08)
    assert round(wape([100, 200, 700], [90, 220, 650]) * 100, 1) == 8.0
    assert bias([100, 200, 700], [90, 220, 650]) == pytest.approx(-0.04)
    assert wape([0, 0], [1, 2]) is None


def test_kaplan_meier_example():
    km = kaplan_meier([28, 30, 30, 35, 41, 45, 60, 33, 50, 70], [True] * 7 + [False] * 3)
    assert survival_at(km, 45) == pytest.approx(0.35)
    assert conditional_paid(km, 33, 45) == pytest.approx(0.50)
    assert survival_at(km, 27) == 1.0
    assert km.filter(pl.col("time") == 33)["at_risk"].item() == 7


def test_horizon_weeks():
    weeks = horizon_weeks(AS_OF, 13)
    assert weeks["week_start"][0] == date(2025, 6, 2) and weeks["first_day"][0] == date(2025, 6, 2)
    partial = horizon_weeks(date(2025, 6, 4), 2)  # a Wednesday: week 1 is Thu-Sun
    assert partial.row(0) == (1, date(2025, 6, 2), date(2025, 6, 5), date(2025, 6, 8))
    assert [horizon_group(k) for k in (1, 2, 4, 5, 13)] == ["1", "2-4", "2-4", "5-13", "5-13"]


@pytest.fixture()
def example_ledger(tmp_path):
    """Customers A (delay 10 days), B (0) and C (20) with one settled invoice each before D, then the example."""
    customers = [{"customer_id": c, "name": c, "country": "FR", "currency": "EUR"} for c in ("A", "B", "C")]
    documents = [
        inv("HA", "2025-02-01", "2025-03-03", "1000.00", customer="A"),
        inv("HB", "2025-02-01", "2025-03-05", "1000.00", customer="B"),
        inv("HC", "2025-02-01", "2025-03-10", "1000.00", customer="C"),
        inv("IA", "2025-05-02", "2025-06-02", "10000.00", customer="A"),
        inv("IB", "2025-05-05", "2025-06-05", "5000.00", customer="B"),
        inv("IC", "2025-05-20", "2025-06-20", "8000.00", customer="C"),
    ]
    payments = [
        pay("PHA", "2025-03-13", "1000.00", customer="A"),
        pay("PHB", "2025-03-05", "1000.00", customer="B"),
        pay("PHC", "2025-03-30", "1000.00", customer="C"),
        pay("PA", "2025-06-13", "10000.00", customer="A"),
        pay("PB", "2025-06-06", "5000.00", customer="B"),
        pay("PC", "2025-07-04", "8000.00", customer="C"),
    ]
    allocations = [
        alloc("PHA", "HA", "1000.00", "2025-03-13"),
        alloc("PHB", "HB", "1000.00", "2025-03-05"),
        alloc("PHC", "HC", "1000.00", "2025-03-30"),
        alloc("PA", "IA", "10000.00", "2025-06-13"),
        alloc("PB", "IB", "5000.00", "2025-06-06"),
        alloc("PC", "IC", "8000.00", "2025-07-04"),
    ]
    return ledger(
        tmp_path / "example", customers=customers, documents=documents, payments=payments, allocations=allocations
    )


def _by_iso_week(frame: pl.DataFrame, value: str) -> dict[int, int]:
    return {d.isocalendar()[1]: v // 1000 for d, v in frame.select("week_start", value).iter_rows() if v}


def test_baselines_example(example_ledger):
    from workbench.ledger.asof import open_items

    items = open_items(example_ledger, AS_OF)
    assert sorted(items["document_id"].to_list()) == ["IA", "IB", "IC"]
    due = due_date_forecast(items, AS_OF)
    delays = customer_average_delay(example_ledger, AS_OF)
    assert dict(delays.select("customer_id", "delay").iter_rows()) == {"A": 10.0, "B": 0.0, "C": 20.0}
    late = average_delay_forecast(items, delays, AS_OF)
    actual = actuals(example_ledger, AS_OF)
    assert _by_iso_week(due, "open") == {23: 15000, 25: 8000}
    assert _by_iso_week(late, "open") == {23: 5000, 24: 10000, 28: 8000}
    assert _by_iso_week(actual, "actual") == {23: 5000, 24: 10000, 27: 8000}
    assert round(wape(actual["actual"].to_list(), due["open"].to_list()) * 100, 1) == 156.5
    assert round(wape(actual["actual"].to_list(), late["open"].to_list()) * 100, 1) == 69.6


def test_past_due_forecast_dates_move_to_tomorrow(example_ledger):
    from workbench.ledger.asof import open_items

    from workbench.forecast.baselines import forecast_dates

    later = date(2025, 6, 4)  # A (due 2 June) is past due: expected at once, on D + 1, in week 1 (Thu-Sun)
    items = open_items(example_ledger, later)
    dated = dict(forecast_dates(items, later).select("document_id", "forecast_date").iter_rows())
    assert dated == {"IA": date(2025, 6, 5), "IB": date(2025, 6, 5), "IC": date(2025, 6, 20)}
    due = due_date_forecast(items, later)
    assert due.filter(pl.col("week") == 1)["open"].item() == 15_000_000
