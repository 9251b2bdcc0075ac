"""The week's collections activity (weekly report additions), from a journal written next to the assertions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from workbench.collections.activity import read_activity, week_activity
from workbench.demo.journal import seed_journal
from workbench.journal import Journal
from workbench.ledger import load_ledger
from workbench.reports import registry

from .builders import alloc, inv, ledger, pay
from .conftest import SMALL_AS_OF

AS_OF = date(2026, 11, 20)  # a Friday: the week is 14..20 November


def _ledger(tmp_path):
    customers = [
        {"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR", "collector": "Ann"},
        {"customer_id": "C2", "name": "Beta", "country": "GB", "currency": "GBP", "collector": "Bob"},
    ]
    docs = [
        inv("A1", "2026-09-01", "2026-10-01", "1000.00"),
        inv("B1", "2026-09-01", "2026-10-01", "500.00", customer="C2", currency="GBP"),
    ]
    pays = [pay("P1", "2026-11-17", "600.00")]
    return ledger(
        tmp_path / "ledger",
        customers=customers,
        documents=docs,
        payments=pays,
        allocations=[alloc("P1", "A1", "600.00", "2026-11-17")],
        fx=[{"date": "2026-01-01", "currency": "GBP", "rate": "1.15"}],
    )


def test_week_activity_counts_actions_promises_disputes_and_files(tmp_path) -> None:
    led = _ledger(tmp_path)
    with Journal.open(tmp_path / "j.sqlite", create=True) as book:
        book.log_contact("C1", "call", "promised", on=date(2026, 11, 16), author="Ann")
        book.log_contact("C1", "email", "sent copies", on=date(2026, 11, 18), author="Ann")
        book.log_contact("C2", "call", "no answer", on=date(2026, 11, 12), author="Bob")  # last week
        book.add_promise("C1", "600.00", "EUR", date(2026, 11, 18), promised_on=date(2026, 11, 16), author="Ann")
        book.add_promise("C2", "500.00", "GBP", date(2026, 11, 16), promised_on=date(2026, 11, 10), author="Bob")
        book.add_promise("C2", "100.00", "GBP", date(2026, 11, 27), promised_on=date(2026, 11, 19), author="Bob")
        old = book.open_dispute("C2", ["B1"], "pricing", owner="Sam", on=date(2026, 11, 2), author="Bob")
        book.update_dispute(old, "resolved", on=date(2026, 11, 19), resolution="credit note", author="Bob")
        book.open_dispute("C1", ["A1"], "quality", owner="Sam", on=date(2026, 11, 19), author="Ann")
        book.escalate(
            "C2", "agency", on=date(2026, 11, 17), partner="Atlas", amount="500.00", currency="GBP", author="Bob"
        )
        book.escalate(
            "C2",
            "recovered",
            on=date(2026, 11, 20),
            partner="Atlas",
            amount="200.00",
            currency="GBP",
            fees="30.00",
            author="Bob",
        )
        frames = read_activity(book)
    week = week_activity(frames, led, AS_OF, grace_days=2)
    actions = {r["collector"]: r for r in week.actions.iter_rows(named=True)}
    assert (
        actions["Ann"]["calls"],
        actions["Ann"]["emails"],
        actions["Ann"]["promises"],
        actions["Ann"]["disputes"],
        actions["Ann"]["total"],
    ) == (1, 1, 1, 1, 4)
    # Bob: last week's call is not counted; this week a promise, two escalations
    assert (
        actions["Bob"]["calls"],
        actions["Bob"]["promises"],
        actions["Bob"]["escalations"],
        actions["Bob"]["total"],
    ) == (0, 1, 2, 3)
    # due this week: Alpha's 600 EUR (paid on the 17th: kept) and Beta's 500 GBP (nothing paid: broken)
    assert week.promise_counts == {"kept": 1, "broken": 1, "pending": 0}
    assert week.promise_amounts == {"kept": Decimal("600.00"), "broken": Decimal("575.00"), "pending": Decimal("0.00")}
    assert week.new_disputes["customer_id"].to_list() == ["C1"]
    assert week.resolved_disputes["resolution"].to_list() == ["credit note"]
    assert week.open_disputes == 1
    assert week.escalations["action"].to_list() == ["agency", "recovered"]
    (file,) = week.files.iter_rows(named=True)
    assert (file["customer_id"], file["partner"], file["handed_over"], file["recovered"], file["fees"]) == (
        "C2",
        "Atlas",
        Decimal("500.000"),
        Decimal("200.000"),
        Decimal("30.000"),
    )
    assert week.summary()["actions"] == 7


def test_weekly_report_shows_the_weeks_actions(small_demo, tmp_path) -> None:
    led = load_ledger(small_demo)
    journal = tmp_path / "journal.sqlite"
    with Journal.open(journal, create=True) as book:
        seed_journal(led, book, SMALL_AS_OF, weeks=3)
        expected = week_activity(read_activity(book), led, SMALL_AS_OF).summary()
    assert expected["actions"] > 0
    out = tmp_path / "report"
    result = registry.run("weekly", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=out, pdf=False, journal=str(journal))
    summary = json.loads((out / "weekly_summary.json").read_text())
    assert summary["activity"] == json.loads(json.dumps(expected))
    html = result.html.read_text(encoding="utf-8")
    assert "Collections activity this week" in html and "Actions per collector" in html
