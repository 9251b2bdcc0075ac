# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: report
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   report:
#     title: Cash-in forecast
# ---

# %% [markdown]
# Expected cash-in from open receivables over the next weeks, learned from each customer's payment
# history (business-day payment delays, censored open items, shrunk towards similar customers), with an
# 80 % band, the change since last week's forecast, the amounts at risk, and how accurate the method has
# been on past weeks it had not seen.

# %% tags=["parameters"]
# Parameters: papermill replaces these defaults (see workbench/forecast/report.py)
as_of: str = "2026-11-20"  # ISO date: the forecast is made at the end of this day
ledger: str = ""  # canonical ledger folder; empty means the built-in demo company
entity: str = ""  # selling entity code; empty means all entities
reporting_currency: str = ""  # empty means the reporting currency of the ledger
horizon: int = 13  # number of ISO weeks forecast
output_dir: str = "reports"  # folder for the machine-readable summary
company: str = ""  # company name for the header; empty means the name in ledger.toml

# %%
from pathlib import Path

from workbench.reports import cash_forecast, sources
from workbench.reports import forecast_charts
from workbench.render import display, tables

data = cash_forecast.build(sources.open_ledger(ledger, reporting_currency), cash_forecast.Params.of(as_of, entity, horizon))
fc = data.forecast
cur = data.currency
if data.stale:
    display.note(data.stale, kind="warning")
scope = f"entity {data.entity}" if data.entity else "all entities"
display.note(f"{data.ledger.company} · {scope} · forecast at the end of {data.as_of:%d %b %Y} · "
             f"amounts in {cur} at the closing rate")

# %%
display.section("Headlines", "Expected cash from the items open today, with its 80 % band (P10–P90)")
display.kpi_cards(cash_forecast.headline_cards(data))

# %%
display.section("Expected cash-in per week", "ISO weeks from the day after the as-of date; week 1 is partial "
                "unless the as-of date is a Sunday")
display.show_png(forecast_charts.forecast_band_chart(fc.total, currency=cur,
                 previous=data.change.select("week_start", data.change["expected_last_week"].alias("expected"))),
                 alt="Expected cash-in per week with its 80 % band")
display.show_table(tables.html_table(
    data.change.join(fc.total.select("week_start", "p10", "p90"), on="week_start").select(
        "week_start", "expected", "p10", "p90", "expected_last_week", "change"),
    labels={"week_start": "Week of", "expected": "Expected", "p10": "P10", "p90": "P90",
            "expected_last_week": "Last week's forecast", "change": "Change"},
    money_columns=["expected", "p10", "p90", "expected_last_week", "change"], currency=cur))
display.note("Last week's forecast is the forecast made seven days earlier for the same weeks; the change also "
             "includes invoices issued since then. The band assumes customers pay independently of each other and "
             "the items of one customer partly together.")

# %%
display.section("By entity and currency", "Document currency, and reporting currency at the closing rate")
display.show_table(tables.html_table(
    data.by_entity,
    labels={"next_4_weeks": "Next 4 weeks", "horizon": f"Next {fc.weeks} weeks",
            "next_4_weeks_reporting": f"Next 4 weeks ({cur})", "horizon_reporting": f"Next {fc.weeks} weeks ({cur})"},
    money_columns=["next_4_weeks", "horizon", "next_4_weeks_reporting", "horizon_reporting"]))

# %%
display.section("Largest expected receipts", "Open items with the most cash expected within the horizon",
                page_break=True)
display.show_table(tables.html_table(
    data.largest,
    labels={"open_document": "Open (doc. currency)", "expected_reporting": "Expected", "prob_in_horizon":
            "Probability", "expected_date": "Expected date", "expected_week": "Expected week"},
    money_columns=["open_document", "expected_reporting"], pct_columns=["prob_in_horizon"]))
display.note("Expected date: the business day by which the item is paid with probability one half, "
             "given that it is still open today.")

# %%
display.section("Amounts at risk", "Open amounts unlikely to come in within the horizon")
display.show_table(tables.html_table(
    data.at_risk, labels={"category": "Category", "open_reporting": "Open", "expected_reporting": "Expected"},
    money_columns=["open_reporting", "expected_reporting"], int_columns=["items"], currency=cur))
display.show_table(tables.html_table(
    data.at_risk_items, labels={"expected_reporting": "Expected", "prob_in_horizon": "Probability",
                                "reasons": "Why"},
    money_columns=["open_reporting", "expected_reporting"], pct_columns=["prob_in_horizon"],
    int_columns=["days_past_due"], max_rows=25))
if fc.adjustments.height:
    factors = ", ".join(f"{r['flag']} × {r['factor']:.2f}" for r in fc.adjustments.iter_rows(named=True))
    display.note(f"Payment speed learned for flagged items (hazard ratios, 1 = like the customer's other items): "
                 f"{factors}.")

# %%
display.section("How accurate is this?", f"Backtest: a forecast every week from {data.accuracy_start:%d %b %Y} to "
                f"{data.accuracy_end:%d %b %Y}, each compared with what was then received", page_break=True)
display.show_table(tables.html_table(
    data.accuracy_wide(),
    labels={"horizon": "Weeks ahead", "weeks": "Weeks compared", "wape_model": "WAPE model",
            "wape_due_date": "WAPE due date", "wape_average_delay": "WAPE average delay",
            "bias_model": "Bias model", "bias_due_date": "Bias due date", "bias_average_delay": "Bias average delay"},
    pct_columns=[c for c in data.accuracy_wide().columns if c.startswith(("wape", "bias"))],
    int_columns=["weeks"]))
display.note("WAPE = Σ|actual − forecast| / Σ actual over the weeks compared (lower is better); bias = "
             "Σ(forecast − actual) / Σ actual. Baselines: every item paid on its due date, or on its due date plus "
             "the customer's average delay. The model is replayed with only what was known on each date, without "
             "the dispute flags and customer statuses (they are not dated).")

# %%
summary = cash_forecast.write_summary(Path(output_dir) / "forecast_summary.json", data)
