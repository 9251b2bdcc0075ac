"""Per-sales-rep digests: overdue items per rep and what credit control asks of each."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from workbench.collections.promises import promise_status
from workbench.journal import Journal
from workbench.reports.sales_digest import build_digests, write_digests

from .builders import inv, ledger

AS_OF = date(2026, 11, 20)


def test_digests_per_rep_with_their_asks(tmp_path) -> None:
    customers = [
        {
            "customer_id": "C1",
            "name": "<b>Alpha</b> & Co",
            "country": "FR",
            "currency": "EUR",
            "sales_rep": "Rita",
            "status": "hold",
        },
        {"customer_id": "C2", "name": "Beta", "country": "GB", "currency": "GBP", "sales_rep": "Sam"},
        {"customer_id": "C3", "name": "Gamma", "country": "FR", "currency": "EUR", "sales_rep": "Rita"},
    ]
    docs = [
        inv("A1", "2026-06-01", "2026-07-01", "1000.00"),  # 142 days overdue
        inv("A2", "2026-10-01", "2026-11-01", "500.00"),
        inv("B1", "2026-09-01", "2026-10-01", "200.00", customer="C2", currency="GBP"),
        inv("G1", "2026-11-01", "2026-12-01", "900.00", customer="C3"),
    ]  # not due
    led = ledger(
        tmp_path / "ledger",
        customers=customers,
        documents=docs,
        fx=[{"date": "2026-01-01", "currency": "GBP", "rate": "1.15"}],
    )
    with Journal.open(tmp_path / "j.sqlite", author="Ann", create=True) as book:
        book.open_dispute("C2", ["B1"], "pricing", owner="Rita", on=date(2026, 11, 3))  # owned by Rita, Sam's customer
        book.add_promise("C1", "100.00", "EUR", date(2026, 11, 5), promised_on=date(2026, 11, 1))
        book.add_promise("C1", "100.00", "EUR", date(2026, 11, 12), promised_on=date(2026, 11, 6))
        book.escalate("C2", "agency", on=date(2026, 11, 10), partner="Atlas")
        disputes, escalations = book.disputes(), book.escalations()
        promises = promise_status(book.promises(), led.payments, AS_OF, 2)
    digests = {
        d.sales_rep: d for d in build_digests(led, AS_OF, disputes=disputes, promises=promises, escalations=escalations)
    }
    assert set(digests) == {"Rita", "Sam"}
    rita, sam = digests["Rita"], digests["Sam"]
    assert (rita.customers, rita.overdue, rita.over_90) == (1, Decimal("1500.00"), Decimal("1000.00"))
    assert rita.items["document_id"].to_list() == ["A1", "A2"]  # oldest first; G1 is not due
    asks = [text for _, _, text in rita.asks]
    assert asks[0].startswith("Resolve the dispute on B1 (pricing), open since 2026-11-03")
    assert "Account hold: talk to the customer" in asks[1]
    # two broken promises of Alpha: only the latest is asked about
    assert [a for a in asks if "broken" in a] == [
        "Promise of 100.00 EUR due 2026-11-12 was broken: please support collection"
    ]
    assert (sam.overdue, [t for _, _, t in sam.asks]) == (
        Decimal("230.00"),
        ["Handed to a collection agency (Atlas): no new business, refer the customer to credit control"],
    )

    paths = write_digests(list(digests.values()), tmp_path / "out", "Demo Co")
    assert [p.name for p in paths] == [
        "sales_digest_Rita_2026-11-20.html",
        "sales_digest_Sam_2026-11-20.html",
        "index.html",
    ]
    page = paths[0].read_text(encoding="utf-8")
    assert "&lt;b&gt;Alpha&lt;/b&gt; &amp; Co" in page and "<b>Alpha</b>" not in page
