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
#     title: Weekly collections report
# ---

# %% [markdown]
# Receivables, overdue, collections and data quality for the week ending on the as-of date.
# Figures follow the workbench conventions: exact amounts in the reporting currency at the
# closing rate, aging by days past due, DSO by the countback method.

# %% tags=["parameters"]
# Parameters: papermill replaces these defaults (see workbench/reports/weekly.py)
as_of: str = "2026-11-20"  # ISO date, the last day of the reporting week
ledger: str = ""  # canonical ledger folder; empty means the built-in demo company
entity: str = ""  # selling entity code; empty means all entities
reporting_currency: str = ""  # empty means the reporting currency of the ledger
output_dir: str = "reports"  # folder for the machine-readable summary
company: str = ""  # company name for the header; empty means the name in ledger.toml
journal: str = ""  # journal file or postgresql URL; empty means journal.sqlite beside the ledger

# %%
from datetime import UTC, datetime
from pathlib import Path

from workbench.render import charts, display, tables
from workbench.reports import sources, weekly

data = weekly.build(sources.open_ledger(ledger, reporting_currency), weekly.Params.of(as_of, entity))
cur = data.currency
if data.stale:
    display.note(data.stale, kind="warning")
scope = f"entity {data.entity}" if data.entity else "all entities"
display.note(f"{data.ledger.company} · {scope} · amounts in {cur} at the closing rate of {data.as_of:%d %b %Y}")

# %%
display.section("Headlines", "Change against the same day last week")
display.kpi_cards(weekly.headline_cards(data.head))

# %%
display.section("Aging trend", "Open receivables by days past due, last 13 weeks")
display.show_png(charts.stacked_aging_trend(data.aging_trend_long(), currency=cur), alt="13-week aging trend")

# %%
display.section("Aging by entity and currency", "Reporting currency at the closing rate")
buckets = ["current", "1-30", "31-60", "61-90", "91-120", "120+", "gross_open", "unapplied_credit", "total"]
display.show_table(tables.html_table(data.by_entity, money_columns=buckets, currency=cur, total_row=True))
display.show_table(tables.html_table(data.by_currency, money_columns=buckets, currency=cur, total_row=True))

# %%
display.section("Top overdue customers", "Largest overdue balances", page_break=True)
display.show_table(tables.html_table(
    data.top_overdue, money_columns=["overdue", "over_90", "unapplied_credit", "total"], currency=cur))

# %%
display.section("Over 90 days past due", "Largest open items more than 90 days past their due date")
display.show_table(tables.html_table(
    data.over_90, money_columns=["open_document", "open_reporting"], int_columns=["dpd"], max_rows=25))

# %%
display.section("Customers on hold or in litigation")
display.show_table(tables.html_table(
    data.on_hold, money_columns=["overdue", "over_90", "total"], currency=cur, total_row=True, max_rows=30))

# %%
display.section("Disputes by reason and age", "Open disputed items, by days past due", page_break=True)
display.show_png(charts.bar_chart(data.disputes, "reason", "total", "Disputed amount by reason", currency=cur),
                 alt="Disputed amounts by reason")
display.show_table(tables.html_table(
    data.disputes, money_columns=["current", "1-30", "31-60", "61-90", "91-120", "120+", "total"],
    int_columns=["items"], currency=cur, total_row=True))

# %%
activity = weekly.activity(sources.journal_frames(ledger, journal), data.ledger, data.as_of)
if activity is None:
    display.section("Collections activity", "No journal found beside the ledger: nothing to show", page_break=True)
else:
    display.section("Collections activity this week", f"{activity.first:%d %b} to {activity.last:%d %b %Y}",
                    page_break=True)
    display.kpi_cards(weekly.activity_cards(activity))
    display.show_table(tables.html_table(activity.actions, int_columns=list(activity.actions.columns[1:]),
                                         caption="Actions per collector", total_row=True))

# %%
if activity is not None:
    display.section("Promises due this week", "Kept when the customer's payments reached the promised amount")
    display.show_table(tables.html_table(activity.promises_due, money_columns=["promised", "paid"], max_rows=30))
    display.section("Disputes opened and closed this week")
    display.show_table(tables.html_table(activity.new_disputes.drop("id"), caption="New disputes", max_rows=30))
    display.show_table(tables.html_table(activity.resolved_disputes.drop("id"), caption="Resolved or rejected",
                                         max_rows=30))
    display.section("Escalations and litigation files", "Suspensions, agency and lawyer hand-overs")
    display.show_table(tables.html_table(activity.escalations, money_columns=["amount"], max_rows=30,
                                         caption="Escalations this week"))
    display.show_table(tables.html_table(activity.files, money_columns=["handed_over", "recovered", "fees"],
                                         max_rows=40, caption="Open agency and lawyer files"))

# %%
display.section("Cash collected", "Receipts at value-date rates, by selling entity")
display.show_png(charts.bar_chart(data.cash_trend, "week_ending", "cash", "Cash collected per week", currency=cur),
                 alt="Cash collected per week")
display.show_table(tables.html_table(
    data.cash_by_entity, money_columns=["this_week", "last_week", "last_13_weeks"], currency=cur, total_row=True))

# %%
display.section("DSO trend", "Countback DSO at each month end and today; BPDSO and ADD for context")
display.show_png(charts.line_trend(data.dso_trend, "as_of", "dso_countback", "DSO (countback), days", "days"),
                 alt="DSO trend")
display.show_table(tables.html_table(data.dso_trend))

# %%
display.section("Data quality", "Rows read, loaded and quarantined per file", page_break=True)
display.show_table(tables.html_table(
    data.load_files, int_columns=["rows_read", "rows_loaded", "rows_quarantined"],
    money_columns=["amount_read", "amount_loaded", "amount_quarantined"]))
display.note("Amount totals are control sums of each file's amount column as written (all currencies together); "
             "read = loaded + quarantined.")
if data.quarantine.height:
    display.note(f"{data.quarantine.height} row(s) were quarantined: they are excluded from every figure above.",
                 kind="warning")
    display.show_table(tables.html_table(data.quarantine, int_columns=["line"], max_rows=50))
else:
    display.note("No row was quarantined: every row of every file is in the figures above.")

# %%
checkpoint = sources.journal_checkpoint(ledger, journal, datetime.now(UTC), output_dir)
if checkpoint is not None:
    display.section("Journal checkpoint", "The head of the collections journal when this report was made")
    display.note("Keep this record. The journal verify command compares the journal with it (the file "
                 "journal_checkpoint_*.json beside this report), so entries removed or rewritten later are detected."
                 if checkpoint["mac"] else "The journal key was not found, so this checkpoint is not signed.",
                 kind="info" if checkpoint["mac"] else "warning")
    display.show_table(tables.html_table(weekly.checkpoint_table(checkpoint)))

# %%
summary = weekly.write_summary(Path(output_dir) / "weekly_summary.json", data.head, {
    "quarantined_rows": data.quarantine.height,
    "customers_on_hold": data.on_hold.height,
    "over_90_items": data.over_90.height,
    "activity": activity.summary() if activity is not None else None,
    "journal_checkpoint": checkpoint,
})
