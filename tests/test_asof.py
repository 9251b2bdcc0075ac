"""Balances at a date: the fine points of CONVENTIONS §1-§2."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from workbench.aging import aging
from workbench.errors import MissingRateError
from workbench.kpis import kpis
from workbench.ledger.asof import open_items, unapplied_credit

from .builders import alloc, inv, ledger, pay

D = Decimal
TWO = [
    {"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR", "entity": "FR01"},
    {"customer_id": "C2", "name": "Beta", "country": "US", "currency": "USD", "entity": "US01"},
]


def test_documents_and_allocations_after_the_date_are_ignored(tmp_path) -> None:
    docs = [inv("A", "2025-01-10", "2025-02-09", "1000.00"), inv("LATE", "2025-03-05", "2025-04-04", "50.00")]
    led = ledger(
        tmp_path,
        documents=docs,
        payments=[pay("P", "2025-02-20", "400.00")],
        allocations=[alloc("P", "A", "400.00", "2025-03-02")],
    )
    before = kpis(led, date(2025, 2, 28))
    # the payment exists but is not applied yet: A fully open, P unapplied
    assert (before.gross_open, before.unapplied_credit, before.total_ar) == (D("1000.00"), D("400.00"), D("600.00"))
    after = kpis(led, date(2025, 3, 5))
    assert (after.gross_open, after.unapplied_credit, after.total_ar) == (D("650.00"), D("0.00"), D("650.00"))
    assert open_items(led, date(2025, 1, 9)).height == 0


def test_partial_settlement_and_settlement_date(tmp_path) -> None:
    docs = [
        inv("A", "2025-01-10", "2025-02-09", "1000.00"),
        {
            "document_id": "CN",
            "customer_id": "C1",
            "doc_type": "credit_note",
            "doc_date": "2025-01-20",
            "currency": "EUR",
            "amount": "100.00",
        },
    ]
    led = ledger(
        tmp_path,
        documents=docs,
        payments=[pay("P", "2025-02-15", "900.00")],
        allocations=[alloc("CN", "A", "100.00", "2025-01-25"), alloc("P", "A", "900.00", "2025-02-16")],
    )
    items = open_items(led, [date(2025, 1, 24), date(2025, 1, 31), date(2025, 2, 16)])
    assert items.select("as_of", "open").rows() == [(date(2025, 1, 24), 1_000_000), (date(2025, 1, 31), 900_000)]
    assert led.receivables.filter(pl.col("document_id") == "A")["consumed"].item() == date(2025, 2, 16)
    credit = unapplied_credit(led, [date(2025, 1, 20), date(2025, 2, 15)])
    assert credit.select("as_of", "source_id", "open").rows() == [
        (date(2025, 1, 20), "CN", 100_000),
        (date(2025, 2, 15), "P", 900_000),
    ]


def test_unidentified_payment_counts_in_ledger_unapplied_but_no_customer_row(tmp_path) -> None:
    led = ledger(
        tmp_path,
        documents=[inv("A", "2025-01-10", "2025-02-09", "100.00")],
        payments=[pay("U", "2025-01-15", "30.00", customer=None)],
    )
    assert kpis(led, date(2025, 1, 31)).unapplied_credit == D("30.00")
    per_customer = aging(led, date(2025, 1, 31), by="customer")
    assert per_customer["customer_id"].to_list() == ["C1"]
    assert per_customer["unapplied_credit"].to_list() == [D("0.00")]
    by_country = aging(led, date(2025, 1, 31), by="country")
    assert dict(zip(by_country["country"], by_country["total"])) == {"(unidentified)": D("-30.00"), "FR": D("100.00")}


def test_fx_closing_rate_for_balances_and_doc_date_rate_for_billings(tmp_path) -> None:
    fx = [
        {"date": "2025-01-01", "currency": "USD", "rate": "0.90"},
        {"date": "2025-03-01", "currency": "USD", "rate": "0.95"},
    ]
    docs = [inv("U1", "2025-01-15", "2025-04-15", "1000.00", customer="C2", currency="USD")]
    led = ledger(tmp_path, customers=TWO, documents=docs, fx=fx)
    k = kpis(led, date(2025, 3, 31))
    assert k.total_ar == D("950.00")  # closing rate of 1 March
    # billings of January at the January rate: 900 < AR 950, so the walk runs out of months (24)
    assert (k.dso_countback, k.dso_countback_capped) == (731.0, True)
    paid = ledger(
        tmp_path / "b",
        customers=TWO,
        documents=docs,
        fx=fx,
        payments=[pay("P", "2025-03-10", "100.00", customer="C2", currency="USD")],
        allocations=[alloc("P", "U1", "100.00", "2025-03-10")],
    )
    k2 = kpis(paid, date(2025, 3, 31))
    # AR 900 USD x 0.95 = 855 EUR: 31 (March) + 28 (February) + 855/900 x 31 (January) = 88.45
    assert (k2.total_ar, k2.dso_countback, k2.dso_countback_capped) == (D("855.00"), 88.45, False)


def test_missing_rate_names_currency_and_date(tmp_path) -> None:
    fx = [{"date": "2025-02-01", "currency": "USD", "rate": "0.90"}]
    docs = [inv("U1", "2025-01-15", "2025-04-15", "1000.00", customer="C2", currency="USD")]
    led = ledger(tmp_path, customers=TWO, documents=docs, fx=fx)
    with pytest.raises(MissingRateError, match=r"USD on or before 2025-01-20"):
        aging(led, date(2025, 1, 20))
    with pytest.raises(MissingRateError, match=r"USD on or before 2025-01-15"):
        kpis(led, date(2025, 3, 1))  # billings need the doc-date rate


def test_entity_resolution_and_filter(tmp_path) -> None:
    fx = [{"date": "2025-01-01", "currency": "USD", "rate": "0.5"}]
    docs = [
        inv("A", "2025-01-10", "2025-02-09", "100.00"),
        inv("B", "2025-01-10", "2025-02-09", "200.00", entity="DE01"),
        inv("U", "2025-01-10", "2025-02-09", "300.00", customer="C2", currency="USD"),
    ]
    led = ledger(
        tmp_path,
        customers=TWO,
        documents=docs,
        fx=fx,
        payments=[pay("P", "2025-01-20", "10.00"), pay("Q", "2025-01-20", "7.00", customer=None)],
    )
    by_entity = aging(led, date(2025, 1, 31), by="entity")
    assert dict(zip(by_entity["entity"], by_entity["total"])) == {
        "DE01": D("200.00"),
        "FR01": D("90.00"),
        "MAIN": D("-7.00"),
        "US01": D("150.00"),
    }
    fr = kpis(led, date(2025, 1, 31), entity="FR01")
    assert (fr.gross_open, fr.unapplied_credit, fr.entity) == (D("100.00"), D("10.00"), "FR01")


def test_each_shown_figure_is_rounded_on_its_own(tmp_path) -> None:
    fx = [{"date": "2025-01-01", "currency": "USD", "rate": "0.333"}]
    docs = [
        inv("U1", "2025-01-15", "2025-01-20", "10.00", customer="C2", currency="USD"),
        inv("U2", "2025-01-15", "2025-03-20", "10.00", customer="C2", currency="USD"),
    ]
    led = ledger(tmp_path, customers=TWO, documents=docs, fx=fx)
    row = aging(led, date(2025, 1, 31)).row(0, named=True)
    # 3.33 + 3.33 shown, total 6.66 exact from 6.660
    assert (row["current"], row["1-30"], row["gross_open"]) == (D("3.33"), D("3.33"), D("6.66"))
    fx2 = [{"date": "2025-01-01", "currency": "USD", "rate": "0.3335"}]
    led2 = ledger(tmp_path / "b", customers=TWO, documents=docs, fx=fx2)
    row2 = aging(led2, date(2025, 1, 31)).row(0, named=True)
    # 3.335 -> 3.34 (half-even: 3.335 rounds to 3.34), sum 6.670 -> 6.67: shown buckets differ by a cent
    assert (row2["current"], row2["1-30"], row2["gross_open"]) == (D("3.34"), D("3.34"), D("6.67"))
