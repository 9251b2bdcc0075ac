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
#     title: Customer investigation
# ---

# %% [markdown]
# One customer's account on one page set: identity, statement of account and aging, payment history and
# behaviour, score, limit recommendation, exposure, financial statements, credit decisions, open disputes and
# expected payments. Figures follow the workbench conventions (exact amounts, closing rates, days past due).

# %% tags=["parameters"]
# Parameters: papermill replaces these defaults (see workbench/credit/report.py)
customer_id: str = "C000004"  # customer to investigate (a demo customer with financial statements)
as_of: str = "2026-11-20"  # ISO date of the investigation
ledger: str = ""  # canonical ledger folder; empty means the built-in demo company
journal: str = ""  # journal file or postgresql URL; empty means journal.sqlite beside the ledger
output_dir: str = "reports"  # folder for the machine-readable summary
company: str = ""  # company name for the header; empty means the name in ledger.toml

# %%
from pathlib import Path

import polars as pl

from workbench.reports import credit_charts, customer, sources
from workbench.reports.customer import BEHAVIOUR_LABELS, IDENTITY_LABELS, SCORE_LABELS, investigation_cards, write_json
from workbench.render import display, tables

inv = customer.build(sources.open_ledger(ledger), customer.Params.of(as_of, customer_id),
                     decisions=sources.credit_decisions(ledger, journal))
cur, lcy = inv.currency, inv.limit_currency
display.report_header(subtitle=f"{inv.customer_id} · {inv.name}")
display.note(f"{inv.ledger.company} · customer {inv.customer_id} · amounts in {cur} at the closing rate of "
             f"{inv.as_of:%d %b %Y}; limits and exposure in the limit currency {lcy}")

# %%
display.section("Identity and status", "Master data as held in the ledger")
display.kpi_cards(investigation_cards(inv))
display.show_table(tables.html_table(inv.identity, labels=IDENTITY_LABELS))
if inv.hold_reasons:
    display.note("Hold recommended: " + "; ".join(inv.hold_reasons), kind="warning")

# %%
display.section("Statement of account", "Open items with days past due, in document and reporting currency",
                page_break=True)
if inv.open_items.height:
    display.show_table(tables.html_table(
        inv.open_items, labels={"doc_type": "Type", "doc_date": "Doc. date", "open_reporting": f"Open ({cur})",
                                "reference": "Reference"},
        money_columns=["open_document", "open_reporting"], total_row=True))
else:
    display.note("No open items at the as-of date.")
if inv.unapplied.height:
    display.show_table(tables.html_table(
        inv.unapplied, labels={"source_id": "Payment / credit note", "source_kind": "Kind", "date": "Date",
                               "open_document": "Unapplied (doc. currency)", "open_reporting": f"Unapplied ({cur})"},
        money_columns=["open_document", "open_reporting"], caption="Unapplied credit", total_row=True))
else:
    display.note("No unapplied payments or credit notes.")
display.show_table(tables.html_table(
    inv.aging.drop("customer_id"), caption="Aging by days past due",
    money_columns=["current", "1-30", "31-60", "61-90", "91-120", "120+", "gross_open", "unapplied_credit", "total"],
    currency=cur))

# %%
display.section("Payment history", "Days after the due date of each invoice settled in the last 24 months",
                page_break=True)
display.show_png(credit_charts.payment_history_chart(inv.payment_history), alt="Payment delay per settled invoice")
display.show_table(tables.html_table(inv.behaviour_trend, labels=BEHAVIOUR_LABELS, int_columns=["invoices"],
                                     caption="Behaviour trend: last 6 months against the 6 months before"))
display.note("DBT: amount-weighted days beyond terms (early payments count as 0). PAYDEX-style index from the "
             "amount-weighted average delay (80 means paid on the due date).")

# %%
display.section("Score", "Scorecard factors and what each adds to or removes from the neutral score")
display.show_table(tables.html_table(inv.score_factors, labels=SCORE_LABELS))
display.note(inv.score.explanation)

# %%
display.section("Limit recommendation", f"Three methods, the recommended limit and terms ({lcy})", page_break=True)
display.show_table(tables.html_table(
    inv.limit_methods, labels={"method": "Method", "basis": "Basis", "limit": "Limit"},
    money_columns=["basis", "limit"], currency=lcy))
lim = inv.limits
terms_note = (f"Risk class {lim['risk_class']}, class factor {lim['class_factor']}. Recommended terms: "
              f"{lim['recommended_terms']} ({lim['recommended_terms_days']} days; current "
              f"{lim['terms_days']} days).")
if lim["capped_by"]:
    terms_note += " Capped by: " + ", ".join(lim["capped_by"]) + "."
if lim["approval_role"]:
    terms_note += f" Setting it needs approval by: {lim['approval_role']}."
display.note(terms_note)
if lim["notes"]:
    display.note("Notes: " + "; ".join(lim["notes"]))

# %%
display.section("Exposure", f"Against the credit limit and the insured limit ({lcy} at the as-of rate)")
ex = inv.exposure
display.show_table(tables.html_table(
    inv.exposure_components, labels={"component": "Component", "included": "Counted", "amount": "Amount"},
    money_columns=["amount"], currency=lcy))
display.show_table(tables.html_table(
    pl.DataFrame([{
        "exposure": ex["exposure"], "credit_limit": ex["credit_limit"], "headroom": ex["headroom"],
        "utilisation": ex["utilisation"], "insured_limit": ex["insured_limit"],
        "uninsured_exposure": ex["uninsured_exposure"], "over_limit": ex["over_limit"],
        "over_insured_limit": ex["over_insured_limit"]}]),
    labels={"exposure": "Exposure", "credit_limit": "Credit limit", "headroom": "Headroom", "utilisation": "Utilisation",
            "insured_limit": "Insured limit", "uninsured_exposure": "Uninsured exposure", "over_limit": "Over limit",
            "over_insured_limit": "Over insured limit"},
    money_columns=["exposure", "credit_limit", "headroom", "insured_limit", "uninsured_exposure"],
    pct_columns=["utilisation"], currency=lcy))
if ex["over_limit"] or ex["over_insured_limit"]:
    display.note("Exposure is above the " + ("credit limit" if ex["over_limit"] else "insured limit") + ".",
                 kind="warning")

# %%
display.section("Financial statements", "Ratios, Altman score and trend per statement period", page_break=True)
fin = inv.financials
if fin.height:
    if fin.height >= 2:
        display.show_png(credit_charts.z_trend_chart(fin), alt="Altman score by statement period")
    display.show_table(tables.html_table(
        fin.select("period_end", "currency", "z_model", "z_score", "z_zone", "financial_score", "current_ratio",
                   "debt_to_equity", "ebit_margin", "net_margin", "roa", "working_capital", "tangible_net_worth",
                   "trend"),
        labels={"period_end": "Period end", "z_model": "Model", "z_score": "Z", "z_zone": "Zone",
                "financial_score": "Financial score", "current_ratio": "Current ratio", "debt_to_equity": "Debt/equity",
                "ebit_margin": "EBIT margin", "net_margin": "Net margin", "roa": "ROA",
                "working_capital": "Working capital", "tangible_net_worth": "Tangible net worth", "trend": "Trend"},
        money_columns=["working_capital", "tangible_net_worth"]))
else:
    display.note("No financial statements on file for this customer.")

# %%
display.section("Journal and credit decisions", "Order decisions, overrides and limit changes from the journal")
if inv.decisions is None:
    display.note("No journal found beside the ledger (parameter journal is empty): no credit decisions to show.")
elif inv.decisions.height:
    display.show_table(tables.html_table(
        inv.decisions, labels={"entry": "Entry", "when": "When", "kind": "Kind", "author": "Author",
                               "outcome": "Outcome", "amount": "Order / new limit", "currency": "Currency",
                               "approver": "Approver", "reason": "Reason"}, money_columns=["amount"]))
else:
    display.note("The journal has no credit decision for this customer.")

# %%
display.section("Open disputes and expected payments", "Disputed open items; forecast payment date per open item")
if inv.disputes.height:
    display.show_table(tables.html_table(
        inv.disputes.select("document_id", "doc_date", "due_date", "dpd", "currency", "open_document",
                            "open_reporting", "reason"),
        labels={"doc_date": "Doc. date", "open_reporting": f"Open ({cur})"},
        money_columns=["open_document", "open_reporting"], total_row=True))
else:
    display.note("No disputed open items.")
display.show_table(tables.html_table(
    inv.expected_payments, labels={"days_past_due": "Days past due", "open_reporting": "Open",
                                   "expected_date": "Expected date", "prob_in_horizon": "Probability (13 weeks)",
                                   "expected_reporting": "Expected (13 weeks)"},
    money_columns=["open_reporting", "expected_reporting"], pct_columns=["prob_in_horizon"], currency=cur,
    caption="Expected payments"))
display.note("Expected date: the business day by which the item is paid with probability one half "
             "(empty when that is beyond the 13-week horizon).")

# %%
summary = write_json(Path(output_dir) / customer.summary_name(inv.customer_id, inv.as_of), inv.as_json())
