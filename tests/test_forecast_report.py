"""The cash-in forecast report: its data functions, and one papermill run of the notebook."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import polars as pl

from workbench.ledger import load_ledger
from workbench.reports import registry

AS_OF = date(2026, 11, 20)


def test_report_notebook_runs_and_writes_summary(small_demo, tmp_path):
    out = tmp_path / "report"
    result = registry.run("forecast", ledger=small_demo, as_of=AS_OF, out_dir=out, pdf=False)
    assert result.html.is_file() and result.pdf is None
    html = result.html.read_text(encoding="utf-8")
    assert "Cash-in forecast" in html and "How accurate is this?" in html
    summary = json.loads((out / "forecast_summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2026-11-20" and summary["horizon_weeks"] == 13
    assert summary["reporting_currency"] == "EUR" and summary["entity"] is None
    weekly = summary["weekly"]
    assert len(weekly) == 13 and weekly[0]["week_start"] == "2026-11-16"
    assert Decimal(weekly[0]["expected"]) == 0  # a Friday: week 1 is a weekend
    for week in weekly:
        assert Decimal(week["p10"]) <= Decimal(week["expected"]) <= Decimal(week["p90"])
    four, whole = Decimal(summary["expected_next_4_weeks"]), Decimal(summary["expected_horizon"])
    assert 0 < four <= whole <= Decimal(summary["open_reporting"])
    assert Decimal(summary["expected_next_4_weeks_p10"]) <= four <= Decimal(summary["expected_next_4_weeks_p90"])
    assert Decimal(summary["not_expected_in_horizon"]) == Decimal(summary["open_reporting"]) - whole
    rows = summary["backtest"]["rows"]
    assert {(r["horizon"], r["method"]) for r in rows} == {
        (h, m) for h in ("1", "2-4", "5-13") for m in ("model", "due_date", "average_delay")
    }
    assert summary["backtest"]["last_as_of"] == "2026-08-21"
    assert set(summary["at_risk"]) >= {"disputed", "any of these"}


def test_report_data_tables(small_demo):
    from workbench.reports.cash_forecast import Params, build, comparable_weeks, headline_cards

    data = build(load_ledger(small_demo), Params.of("2026-11-18", horizon=6))
    assert data.forecast.weeks == 6 and data.change.height == 6
    both = comparable_weeks(data)
    assert both["week_start"].min() > date(2026, 11, 18)
    assert data.by_entity.columns == [
        "entity",
        "currency",
        "next_4_weeks",
        "horizon",
        "next_4_weeks_reporting",
        "horizon_reporting",
    ]
    assert data.by_entity["horizon_reporting"].sum() == data.forecast.weekly["expected_reporting"].sum()
    risk = dict(data.at_risk.select("category", "open_reporting").iter_rows())
    assert risk["any of these"] <= data.forecast.items["open_reporting"].sum()
    assert max(v for k, v in risk.items() if k != "any of these") <= risk["any of these"]
    assert data.largest.height <= 20 and data.largest["expected_reporting"].is_sorted(descending=True)
    assert data.accuracy_wide()["horizon"].to_list() == ["1", "2-4", "5-13"]
    assert len(headline_cards(data)) == 5
    assert (
        data.forecast.items.filter(pl.col("disputed")).height
        == data.at_risk.filter(pl.col("category") == "disputed")["items"].item()
    )
