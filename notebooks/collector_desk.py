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
#     title: Collector desk
# ---

# %% [markdown]
# Today's worklist and one customer at a time. Pick your name under *Collector*, then a customer:
# the header says why it is on the list; the tabs show its statement of account, aging, payment
# history, journal and the next dunning letter it would get.
#
# Log your work in two clicks: the *Call*, *Promise* and *Dispute* forms come filled in (a promise
# defaults to the overdue amount, payable in 7 days). Each click writes one journal entry dated the
# as-of date and the worklist is recomputed at once. Nothing is written until you click.

# %% tags=["parameters"]
# Parameters: papermill replaces these defaults (see workbench/collections/desk.py)
ledger: str = ""  # canonical ledger folder; empty means the built-in demo company
journal: str = ""  # journal file or postgresql URL; empty means journal.sqlite beside the ledger
as_of: str = "2026-11-20"  # ISO date the desk works at; entries are dated with it
collector: str = ""  # collector whose worklist to show first; empty means all collectors
customer: str = ""  # customer to open first; empty means the top of the worklist
author: str = ""  # name written on journal entries; empty means your login name
output_dir: str = "reports"  # folder for the machine-readable summary

# %%
from workbench.desk import open_desk

desk = open_desk(ledger, journal, as_of, collector=collector, customer=customer, author=author)

# %%
display(desk.widget)

# %%
summary_path = desk.write_summary(output_dir)
print(f"{desk.summary()['worklist_rows']} customers on the worklist of {desk.collector}; summary in {summary_path}")
