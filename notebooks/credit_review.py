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
#     title: Credit review
# ---

# %% [markdown]
# The periodic limit review: customers whose recommended limit moved materially away from their current limit,
# whose risk class changed since the previous review date, and whose exposure is above their credit limit or
# insured limit. Each list is sorted by the amount at stake in the reporting currency.

# %% tags=["parameters"]
# Parameters: papermill replaces these defaults (see workbench/credit/report.py)
as_of: str = "2026-11-20"  # ISO date of the review
previous_as_of: str = ""  # ISO date of the previous review; empty means 91 days before as_of
threshold: str = "0.20"  # relative limit change that puts a customer on the review list
ledger: str = ""  # canonical ledger folder; empty means the built-in demo company
output_dir: str = "reports"  # folder for the machine-readable summary
company: str = ""  # company name for the header; empty means the name in ledger.toml

# %%
from pathlib import Path

from workbench.reports import credit_review, sources
from workbench.reports.customer import write_json
from workbench.render import display, tables

review = credit_review.build(sources.open_ledger(ledger), credit_review.Params.of(as_of, previous_as_of),
                              threshold=threshold)
cur = review.currency
display.note(f"{review.ledger.company} · review at {review.as_of:%d %b %Y} against {review.previous_as_of:%d %b %Y} · "
             f"limits in each customer's limit currency, amounts at stake in {cur} at the closing rate")

# %%
display.section("Headlines", "Customers on each review list")
display.kpi_cards(credit_review.review_cards(review))

# %%
display.section("Class migration", f"Previous class (rows, {review.previous_as_of}) by current class (columns)")
display.show_table(tables.html_table(
    review.migration, labels={"previous_class": "Previous class", "total": "Total"},
    int_columns=[c for c in review.migration.columns if c != "previous_class"], total_row=True))

# %%
display.section("Limit changes to review", f"Recommended limit at least {float(review.threshold):.0%} away from the "
                "current limit, largest change first", page_break=True)
display.show_table(tables.html_table(
    review.limit_changes, labels={**credit_review.REVIEW_LABELS, "at_stake": f"At stake ({cur})"},
    money_columns=["current_limit", "recommended_limit", "change", "at_stake"], pct_columns=["change_pct"],
    max_rows=40))

# %%
display.section("Risk class changes", "Class now against the previous review date, largest exposure first",
                page_break=True)
display.show_table(tables.html_table(
    review.class_changes, labels={**credit_review.REVIEW_LABELS, "at_stake": f"Exposure ({cur})"},
    money_columns=["exposure", "credit_limit", "at_stake"], max_rows=40))

# %%
display.section("Over limit or over insured limit", "Exposure above the credit limit or the insured limit, "
                "largest excess first", page_break=True)
display.show_table(tables.html_table(
    review.over_limits, labels={**credit_review.REVIEW_LABELS, "status": "Status", "overdue": "Overdue",
                                "at_stake": f"Largest excess ({cur})"},
    money_columns=["exposure", "credit_limit", "excess", "insured_limit", "over_insured_by", "overdue", "at_stake"],
    max_rows=40))

# %%
summary = write_json(Path(output_dir) / "credit_review_summary.json", review.as_json())
