"""Invariants that hold for any ledger (hypothesis generates the ledgers)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.aging import aging, aging_history
from workbench.kpis import kpis
from workbench.ledger import load_ledger
from workbench.ledger.asof import open_items, unapplied_credit

from .builders import write_ledger

START = date(2025, 1, 1)
CUSTOMERS = [
    {"customer_id": f"C{i}", "name": f"Customer {i}", "country": "FR", "currency": cur}
    for i, cur in enumerate(["EUR", "USD", "EUR"])
]
FX = [
    {"date": "2024-12-01", "currency": "USD", "rate": "0.913"},
    {"date": "2025-03-01", "currency": "USD", "rate": "0.9471"},
]


@st.composite
def ledgers(draw):
    """Random but valid ledgers: invoices, credit notes, payments and allocations that never over-allocate."""
    docs, pays, allocs = [], [], []
    n = draw(st.integers(1, 12))
    for i in range(n):
        cust = draw(st.integers(0, 2))
        cur = CUSTOMERS[cust]["currency"]
        doc_date = START + timedelta(days=draw(st.integers(0, 150)))
        amount = draw(st.integers(1, 500_000))  # cents
        kind = draw(st.sampled_from(["invoice", "invoice", "debit_note", "credit_note"]))
        due = doc_date + timedelta(days=draw(st.integers(0, 60)))
        docs.append(
            {
                "document_id": f"D{i}",
                "customer_id": f"C{cust}",
                "doc_type": kind,
                "doc_date": doc_date.isoformat(),
                "due_date": due.isoformat(),
                "currency": cur,
                "amount": f"{amount / 100:.2f}",
                "_cents": amount,
                "_date": doc_date,
            }
        )
    receivable = [d for d in docs if d["doc_type"] != "credit_note"]
    notes = [d for d in docs if d["doc_type"] == "credit_note"]
    left = {d["document_id"]: d["_cents"] for d in docs}
    for j in range(draw(st.integers(0, 10))):
        if not receivable:
            break
        target = draw(st.sampled_from(receivable))
        cust, cur = target["customer_id"], target["currency"]
        value_date = target["_date"] + timedelta(days=draw(st.integers(0, 120)))
        amount = draw(st.integers(1, 600_000))
        pid = f"P{j}"
        pays.append(
            {
                "payment_id": pid,
                "customer_id": cust,
                "value_date": value_date.isoformat(),
                "currency": cur,
                "amount": f"{amount / 100:.2f}",
            }
        )
        use = min(amount, left[target["document_id"]], draw(st.integers(0, amount)))
        if use > 0:
            left[target["document_id"]] -= use
            on = value_date + timedelta(days=draw(st.integers(0, 20)))
            allocs.append(
                {
                    "source_id": pid,
                    "document_id": target["document_id"],
                    "amount": f"{use / 100:.2f}",
                    "allocation_date": on.isoformat(),
                }
            )
    for note in notes:
        same = [d for d in receivable if d["customer_id"] == note["customer_id"] and left[d["document_id"]] > 0]
        if same and draw(st.booleans()):
            target = same[0]
            use = min(note["_cents"], left[target["document_id"]])
            left[target["document_id"]] -= use
            on = max(note["_date"], target["_date"]) + timedelta(days=draw(st.integers(0, 30)))
            allocs.append(
                {
                    "source_id": note["document_id"],
                    "document_id": target["document_id"],
                    "amount": f"{use / 100:.2f}",
                    "allocation_date": on.isoformat(),
                }
            )
    return docs, pays, allocs


def _load(docs, pays, allocs):
    folder = Path(tempfile.mkdtemp())
    try:
        clean = [{k: v for k, v in d.items() if not k.startswith("_")} for d in docs]
        led = load_ledger(
            write_ledger(folder, customers=CUSTOMERS, documents=clean, payments=pays, allocations=allocs, fx=FX)
        )
    finally:
        shutil.rmtree(folder)
    assert [i for i in led.report.issues if i.quarantined] == []
    return led


DATES = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31))
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledgers(), DATES)
def test_buckets_sum_to_gross_open_and_total_is_gross_less_credit(ledger_parts, as_of) -> None:
    led = _load(*ledger_parts)
    rows = aging(led, as_of)
    if rows.height == 0:
        return
    row = rows.row(0, named=True)
    buckets = [row[b] for b in ("current", "1-30", "31-60", "61-90", "91-120", "120+")]
    # each shown bucket is rounded on its own: they may differ from the total by a cent per bucket
    assert abs(sum(buckets) - row["gross_open"]) <= Decimal("0.01") * len(buckets)
    assert abs(row["total"] - (row["gross_open"] - row["unapplied_credit"])) <= Decimal("0.01")
    # in document currency, exactly: open items = amounts - allocations
    items = open_items(led, as_of)
    k = kpis(led, as_of)
    assert k.gross_open == row["gross_open"] and k.unapplied_credit == row["unapplied_credit"]
    assert items["open"].sum() >= 0


@SETTINGS
@given(ledgers(), DATES)
def test_money_is_conserved(ledger_parts, as_of) -> None:
    """Per currency: documents billed - open = allocated to them; sources received - unapplied = allocated from them."""
    led = _load(*ledger_parts)
    docs = led.documents.filter(pl.col("doc_date") <= as_of)
    receivable = docs.filter(pl.col("doc_type") != "credit_note")
    allocs = led.allocations.filter(pl.col("allocation_date") <= as_of)
    open_total = open_items(led, as_of)["open"].sum()
    allocated_to_docs = allocs.filter(pl.col("document_id").is_in(receivable["document_id"].implode()))["amount"].sum()
    assert receivable["amount"].sum() - open_total == allocated_to_docs
    credit = unapplied_credit(led, as_of)["open"].sum()
    pays = led.payments.filter(pl.col("value_date") <= as_of)["amount"].sum()
    notes = docs.filter(pl.col("doc_type") == "credit_note")["amount"].sum()
    assert pays + notes - credit == allocated_to_docs


@SETTINGS
@given(ledgers(), DATES, st.integers(1, 60))
def test_history_equals_single_dates_and_open_amounts_never_grow(ledger_parts, as_of, step) -> None:
    led = _load(*ledger_parts)
    later = as_of + timedelta(days=step)
    history = aging_history(led, [as_of, later])
    for day in (as_of, later):
        single = aging(led, day)
        from_history = history.filter(pl.col("as_of") == day).drop("as_of")
        assert single.equals(from_history)
    # an item open at both dates never has a larger open amount later
    a = open_items(led, as_of).select("document_id", pl.col("open").alias("before"))
    b = open_items(led, later).select("document_id", pl.col("open").alias("after"))
    both = a.join(b, on="document_id")
    assert (both["after"] <= both["before"]).all()
    # and a document settled at as_of stays settled later
    assert set(b["document_id"]) - set(a["document_id"]) <= set(
        led.documents.filter(pl.col("doc_date") > as_of)["document_id"]
    )
