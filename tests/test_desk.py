"""The collector desk: selection, panels, two-click logging, letter preview, and its notebook run headless."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests.builders import alloc, inv, ledger, pay
from workbench.desk.app import ALL, CollectorDesk, DeskError, open_desk, promise_amount
from workbench.journal import Journal, JournalError, JournalNotFoundError

AS_OF = date(2026, 11, 20)
NAME = "<script>alert(1)</script>"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small(tmp_path):
    """Three customers of two collectors: C1 (EUR and USD items, a credit, a settled invoice), C2, C3."""
    customers = [
        {
            "customer_id": "C1",
            "name": NAME,
            "country": "FR",
            "currency": "EUR",
            "collector": "Ann",
            "sales_rep": "Sam",
            "language": "en",
            "email": "ap@c1.example",
            "phone": "+33 1 00",
        },
        {
            "customer_id": "C2",
            "name": "Beta GmbH",
            "country": "DE",
            "currency": "EUR",
            "collector": "Bob",
            "sales_rep": "Sue",
            "language": "de",
        },
        {
            "customer_id": "C3",
            "name": "Gamma",
            "country": "FR",
            "currency": "EUR",
            "collector": "Ann",
            "sales_rep": "Sam",
            "language": "en",
            "email": "ap@c3.example",
        },
    ]
    documents = [
        inv("A0", "2026-08-01", "2026-09-01", "1000.00"),  # settled 4 days late
        inv("A1", "2026-10-01", "2026-11-01", "1234.56"),  # 19 days overdue
        inv("A2", "2026-11-15", "2026-12-15", "500.00"),  # not due
        inv("A3", "2026-10-10", "2026-11-10", "300.00", currency="USD"),  # 10 days overdue
        inv("B1", "2026-09-01", "2026-10-01", "5000.00", customer="C2"),  # 50 days overdue
        inv("G1", "2026-10-05", "2026-11-05", "800.00", customer="C3"),  # 15 days overdue
    ]
    payments = [pay("P0", "2026-09-05", "1000.00"), pay("P1", "2026-11-18", "100.00")]
    led = ledger(
        tmp_path / "ledger",
        customers=customers,
        documents=documents,
        payments=payments,
        allocations=[alloc("P0", "A0", "1000.00", "2026-09-05")],
        fx=[{"date": "2026-01-01", "currency": "USD", "rate": "0.9"}],
    )
    book = Journal.open(tmp_path / "j.sqlite", author="Ann", create=True)
    yield led, book
    book.close()


def desk_of(small) -> CollectorDesk:
    led, book = small
    return CollectorDesk(led, book, AS_OF)


def test_collector_selection_filters_the_customers_and_labels_carry_rank_and_score(small) -> None:
    desk = desk_of(small)
    assert desk.collectors == [ALL, "Ann", "Bob"]
    # (all): ranked by score over everyone; C2 = 5 (5,000 overdue) + 10 (50 days), C1 = 1 + 5, C3 = 0 + 5
    assert [v for _, v in desk.customer_list.options] == ["C2", "C1", "C3"]
    assert desk.customer_id == "C2" and desk.customer_list.value == "C2"
    desk.select_collector("Ann")
    labels = dict((v, k) for k, v in desk.customer_list.options)
    assert list(labels) == ["C1", "C3"]
    assert labels["C1"] == f"1. C1 {NAME} — 6 — 1,504.56 EUR"  # 1,234.56 EUR + 300 USD at 0.9
    assert labels["C3"] == "2. C3 Gamma — 5 — 800.00 EUR"
    assert desk.customer_id == "C1"  # the top of Ann's list
    desk.select_collector("Bob")
    assert [v for _, v in desk.customer_list.options] == ["C2"] and desk.customer_id == "C2"
    desk.collector_dd.value = "Ann"  # as the dropdown does in the browser
    assert desk.customer_id == "C1" and "Gamma" not in desk.header.value
    desk.customer_list.value = "C3"
    assert desk.customer_id == "C3" and "Gamma" in desk.header.value
    desk.select_customer("C2")  # Bob's customer: back to everyone's list
    assert desk.collector == ALL and desk.customer_id == "C2"
    with pytest.raises(DeskError):
        desk.select_collector("Zoe")
    with pytest.raises(DeskError):
        desk.select_customer("C9")
    assert desk.summary()["worklist_rows"] == 3


def test_panels_show_the_statement_aging_history_and_escape_the_customer_name(small) -> None:
    desk = desk_of(small)
    desk.select_customer("C1")
    statement = desk.statement.value
    for doc, status in (("A1", "overdue"), ("A2", "not due"), ("A3", "overdue"), ("P1", "unapplied")):
        assert f"<td>{doc}</td>" in statement and f"<td>{status}</td>" in statement
    assert "<td>A0</td>" not in statement  # settled: not open
    # balance per currency: EUR 1,234.56 + 500.00 - 100.00; USD 300.00
    assert '<td class="num money">1,634.56</td>' in statement
    assert '<td class="num money neg">-100.00</td>' in statement
    assert '<td class="num money">300.00</td>' in statement
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in desk.header.value
    assert "Sam" in desk.header.value and "ap@c1.example" in desk.header.value
    assert "oldest item 19 days past due (+5)" in desk.header.value
    for panel in (desk.header, desk.statement, desk.aging_panel, desk.history, desk.journal_panel):
        assert "<script>" not in panel.value
    # aging in EUR: current 500.00, 1-30 = 1,234.56 + 270.00, unapplied 100.00, total 1,904.56
    assert ">500.00<" in desk.aging_panel.value and ">1,504.56<" in desk.aging_panel.value
    assert ">1,904.56<" in desk.aging_panel.value
    # A0: invoiced 1 Aug, due 1 Sep, paid 5 Sep -> 35 days to pay, 4 days late
    history = desk.history.value
    assert "<td>A0</td>" in history and '<td class="num int">35</td>' in history
    assert '<td class="num int">4</td>' in history and "<td>P0</td>" in history and "<td>P1</td>" in history
    assert "No journal entry" in desk.journal_panel.value and desk.journal_entries == 0


def test_logging_writes_the_right_entries_and_the_worklist_follows(small) -> None:
    desk = desk_of(small)
    led, book = small
    desk.select_customer("C1")
    assert "promise" not in desk.header.value
    call = desk.log_call("call", "Will pay on Monday", next_action=date(2026, 11, 23))
    contact = book.contacts().row(0, named=True)
    assert (contact["id"], contact["customer_id"], contact["channel"], contact["outcome"]) == (
        call,
        "C1",
        "call",
        "Will pay on Monday",
    )
    assert (contact["event_date"], contact["next_action_date"], contact["author"]) == (AS_OF, date(2026, 11, 23), "Ann")
    assert "contacted on 2026-11-20 (-10)" in desk.header.value
    # the form defaults: the EUR overdue (the main currency), payable in 7 days
    assert (desk.promise_amount.value, desk.promise_currency.value) == ("1234.56", "EUR")
    assert desk.promise_pay_by.value == date(2026, 11, 27) and desk.promise_currency.options == ("EUR", "USD")
    promise = desk.record_promise(desk.promise_amount.value, "EUR", date(2026, 11, 21))
    row = book.entries(kind="promise").row(0, named=True)
    assert (row["id"], row["customer_id"], row["amount_text"], row["currency"]) == (promise, "C1", "1234.56", "EUR")
    assert (row["event_date"], row["document_ids"]) == (date(2026, 11, 21), ["A1"])
    assert book.promises()["promised_on"].to_list() == [AS_OF]
    assert desk.status.value.endswith(f"Promise of 1,234.56 EUR by 2026-11-21 recorded (entry {promise})</span>")
    reasons = desk.worklist.filter(pl.col("customer_id") == "C1")["reasons"].item()
    assert "promise of 1,234.56 EUR due 2026-11-21 (+10)" in reasons
    assert "<td>A1</td>" in desk.statement.value and "<td>promised</td>" in desk.statement.value
    desk.promise_currency.value = "USD"  # the amount follows the currency
    assert desk.promise_amount.value == "300.00"
    dispute = desk.record_dispute(["A3"], "quality")
    found = book.disputes().row(0, named=True)
    assert (found["id"], found["document_ids"], found["reason"], found["owner"]) == (dispute, ["A3"], "quality", "Sam")
    assert (found["opened_on"], found["status"], found["customer_id"]) == (AS_OF, "open", "C1")
    assert "<td>disputed</td>" in desk.statement.value
    assert desk.journal_entries == 3 and desk.journal_panel.value.index(str(dispute)) < desk.journal_panel.value.index(
        "Will pay on Monday"
    )  # newest first


def test_buttons_read_the_forms_and_a_bad_amount_writes_nothing(small) -> None:
    desk = desk_of(small)
    led, book = small
    desk.select_customer("C2")
    desk.promise_amount.value = "12,x"
    desk.promise_button.click()  # no exception: the status says why
    assert "amount is not a number: &#x27;12,x&#x27;" in desk.status.value and "#b00020" in desk.status.value
    with pytest.raises(JournalError):
        desk.record_promise("12,x", "EUR", date(2026, 11, 27))
    assert book.history().height == 0
    desk.promise_amount.value = "4,000.00"
    desk.promise_button.click()
    row = book.entries(kind="promise").row(0, named=True)
    assert (row["customer_id"], row["amount_text"], row["currency"], row["event_date"], row["document_ids"]) == (
        "C2",
        "4000.00",
        "EUR",
        date(2026, 11, 27),
        ["B1"],
    )
    desk.call_channel.value, desk.call_outcome.value = "email", "Sent the copy invoice"
    desk.call_button.click()
    contact = book.contacts().select("customer_id", "channel", "outcome").row(0)
    assert contact == ("C2", "email", "Sent the copy invoice")
    desk.dispute_docs.value = ("B1",)
    desk.dispute_reason.value = "missing PO"
    desk.dispute_button.click()
    assert book.disputes().select("document_ids", "reason", "owner").row(0) == (["B1"], "missing PO", "Sue")
    assert book.history().height == 3
    assert promise_amount("1,234.5") == promise_amount(" 1234.50 ")
    for bad in ("0", "-5", "1.2.3", ""):
        with pytest.raises(JournalError):
            promise_amount(bad)


def test_letter_preview_shows_the_next_letter_or_why_there_is_none(small) -> None:
    desk = desk_of(small)
    desk.select_customer("C1")
    shown = desk.preview_letter()
    assert shown == desk.preview.value
    assert "level 1 Friendly reminder · email" in shown and "<b>Subject:</b>" in shown
    assert "A1" in shown and "1,234.56" in shown and "<script>" not in shown
    assert "<iframe sandbox" in shown  # the e-mail's own styles stay inside
    assert "USD · level 1 Friendly reminder" in shown and "A3" in shown  # one letter per currency
    # no dunning run yet: a first run places A1 (19 days overdue) by age at the second reminder (day 19)
    assert "EUR · level 2 Second reminder · email" in shown
    desk.select_customer("C3")
    assert desk.preview.value == ""  # a new customer clears the preview
    desk.record_dispute(["G1"], "pricing")
    desk.preview_button.click()
    shown = desk.preview.value
    assert "No letter for C3" in shown and "skipped (disputed): G1" in shown
    desk.select_customer("C2")  # 50 days overdue, no run yet: placed by age at the formal notice (never further)
    shown = desk.preview_letter()
    assert "EUR · level 4 Formal notice · letter" in shown and "B1" in shown


def test_notebook_runs_headless_and_never_writes_the_journal(small_demo, tmp_path) -> None:
    import papermill

    from workbench.collections.policy import load_policy
    from workbench.collections.worklist import build_worklist
    from workbench.ledger import load_ledger

    work = build_worklist(load_ledger(small_demo), AS_OF, load_policy().worklist)
    collector = sorted(work["collector"].unique().to_list())[0]
    mine = work.filter(pl.col("collector") == collector)
    customer = mine["customer_id"][1]
    journal = tmp_path / "journal.sqlite"
    with Journal.open(journal, author="Ann", create=True) as book:
        book.add_note(customer, "Call back after the audit", on=date(2026, 11, 2))
    out = tmp_path / "out"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "collector_desk.ipynb"),
        str(tmp_path / "run.ipynb"),
        kernel_name="python3",
        parameters={
            "ledger": str(small_demo),
            "journal": str(journal),
            "as_of": "2026-11-20",
            "collector": collector,
            "customer": customer,
            "author": "Ann",
            "output_dir": str(out),
        },
        progress_bar=False,
        cwd=str(tmp_path),
    )
    summary = json.loads((out / "collector_desk_summary.json").read_text(encoding="utf-8"))
    assert summary["collector"] == collector and summary["customer_id"] == customer
    assert summary["worklist_rows"] == mine.height and summary["worklist_total"] == work.height
    assert summary["top_customers"] == mine["customer_id"].head(10).to_list()
    assert summary["journal_entries"] == 1 and summary["as_of"] == "2026-11-20"
    with Journal.open(journal, create=True) as book:
        assert book.history().height == 1 and book.verify() == []


def test_open_desk_preselects_and_opens_the_journal_beside_the_ledger(small, tmp_path) -> None:
    led, book = small
    book.add_note("C3", "Visit planned", on=AS_OF)
    desk = open_desk(
        str(tmp_path / "ledger"), str(tmp_path / "j.sqlite"), "2026-11-20", collector="Ann", customer="C3", author="Ann"
    )
    assert (desk.collector, desk.customer_id, desk.journal_entries) == ("Ann", "C3", 1)
    assert desk.author == "Ann" and "Visit planned" in desk.journal_panel.value
    desk.journal.close()
    with pytest.raises(JournalNotFoundError, match="no journal at .*journal.sqlite: create one"):
        open_desk(str(tmp_path / "ledger"), as_of="2026-11-20", author="Ann")  # no journal yet: none conjured
    assert not (tmp_path / "journal.sqlite").exists()
    Journal.open(tmp_path / "journal.sqlite", create=True).close()
    beside = open_desk(str(tmp_path / "ledger"), as_of="2026-11-20", author="Ann")
    assert Path(beside.journal.url) == tmp_path / "journal.sqlite" and beside.journal.history().height == 0
    assert beside.collector == ALL and beside.customer_id == "C2" and beside.journal_entries == 0
    beside.journal.close()


def test_the_customer_header_shows_the_postal_address_escaped() -> None:
    from workbench.desk.views import header_html

    customer = {"customer_id": "C1", "name": "Acme", "country": "US", "address_line1": "5 Main <St>",
                "city": "Chicago", "region": "IL", "postcode": "60601"}  # fmt: skip
    html = header_html(customer, None, "EUR")
    assert "<b>Address</b> 5 Main &lt;St&gt;, Chicago, IL 60601" in html
