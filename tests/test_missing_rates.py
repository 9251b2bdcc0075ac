"""A currency used without a rate is found when the ledger is loaded or validated, before a figure refuses it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workbench import kpis
from workbench.errors import Issue, MissingRateError
from workbench.ledger import load_ledger
from workbench.ledger.stream import validate_ledger

from .builders import inv, pay, write_ledger, write_table


def usd_ledger(folder: Path, fx: list[dict[str, str]]) -> Path:
    write_ledger(
        folder,
        customers=[
            {"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR"},
            {
                "customer_id": "C2",
                "name": "Beta",
                "country": "US",
                "currency": "USD",
                "credit_limit": "1000",
                "credit_limit_currency": "GBP",
            },
        ],
        documents=[
            inv("A", "2025-01-10", "2025-02-10", "10.00"),
            inv("U2", "2025-01-20", "2025-02-20", "30.00", customer="C2", currency="USD"),
            inv("U1", "2025-01-05", "2025-02-05", "20.00", customer="C2", currency="USD"),
        ],
        payments=[pay("P1", "2025-02-01", "5.00", customer="C2", currency="USD")],
        fx=fx,
    )
    write_table(
        folder,
        "orders",
        [{"order_id": "O1", "customer_id": "C2", "currency": "CHF", "amount": "7.00", "order_date": "2025-03-01"}],
        ["order_id", "customer_id", "currency", "amount", "order_date"],
    )
    return folder


def streamed(folder: Path, chunk_bytes: int | None = None) -> list[Issue]:
    found: list[Issue] = []
    if chunk_bytes is None:
        validate_ledger(folder, found.extend)
    else:
        validate_ledger(folder, found.extend, chunk_bytes=chunk_bytes)
    return found


def test_missing_rates_are_warned_in_load_and_validate_alike(tmp_path: Path) -> None:
    folder = usd_ledger(tmp_path, fx=[{"date": "2025-01-15", "currency": "USD", "rate": "0.9"}])
    led = load_ledger(folder)
    issues = led.report.issues
    assert issues == streamed(folder)  # one rule, the same issues in the same order
    assert issues == streamed(folder, chunk_bytes=64)  # first uses found across chunks (a row or two each)
    assert [(i.file, i.line, i.quarantined) for i in issues] == [
        ("customers.csv", 3, False),
        ("documents.csv", 4, False),
        ("orders.csv", 2, False),
    ]
    assert "credit_limit_currency GBP has no exchange rate in fx_rates.csv" in issues[0].reason
    # the earliest USD document (line 4, 2025-01-05) comes before the first USD rate (2025-01-15)
    assert "no exchange rate for USD on or before 2025-01-05" in issues[1].reason
    assert "its first row in fx_rates.csv is dated 2025-01-15" in issues[1].reason
    assert "no exchange rate for CHF on or before 2025-03-01" in issues[2].reason
    assert "fx_rates.csv has none for it" in issues[2].reason
    # a warning blocks nothing: every row is loaded, and the figure that needs the rate refuses clearly
    assert led.report.rows_quarantined == 0 and led.documents.height == 3 and led.orders.height == 1
    with pytest.raises(MissingRateError, match="USD on or before 2025-01-05"):
        kpis(led, date(2025, 3, 31))


def test_rates_on_or_before_every_first_use_pass(tmp_path: Path) -> None:
    folder = usd_ledger(
        tmp_path,
        fx=[
            {"date": "2025-01-05", "currency": "USD", "rate": "0.9"},
            {"date": "2024-12-31", "currency": "GBP", "rate": "1.2"},
            {"date": "2025-03-01", "currency": "CHF", "rate": "1.05"},
        ],
    )
    assert load_ledger(folder).report.issues == []
    assert streamed(folder) == []


def test_quarantined_rows_and_the_reporting_currency_need_no_rate(tmp_path: Path) -> None:
    folder = write_ledger(
        tmp_path,
        documents=[
            inv("A", "2025-01-10", "2025-02-10", "10.00"),
            inv("BAD", "2025-01-10", "2025-01-01", "10.00", currency="USD"),  # due before doc date: quarantined
        ],
    )
    led = load_ledger(folder)
    assert [i.quarantined for i in led.report.issues] == [True]
    assert streamed(folder) == led.report.issues
