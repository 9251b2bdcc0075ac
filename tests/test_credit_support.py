"""Builders for the credit tests (this module holds no tests).

``credit_ledger`` writes a small reference ledger as of 2026-06-30:

- C1 Alpha SAS (FR, EUR): limit 10,000 EUR, insured 8,000; three invoices
  settled (one 4 days early), two open (5,000), an unapplied credit note of
  500; an open order of 1,000 and a delivered-not-invoiced order of 500.
  Exposure 6,000.00 EUR.
- C2 Beta Corp (US, billed in USD, limit 20,000 EUR): one USD 10,000 invoice
  91 days past due (8,000 EUR at the as-of rate 0.8), a GBP 1,000 order
  (1,200 EUR); financial statements in USD.
- C3 Gamma SA (litigation), C4 Delta GmbH (no credit limit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.ledger import Ledger, load_ledger

from .builders import alloc, inv, pay, write_ledger, write_table

AS_OF_TEXT = "2026-06-30"

CUSTOMER_HEADER = [
    "customer_id",
    "name",
    "country",
    "currency",
    "payment_terms_days",
    "credit_limit",
    "credit_limit_currency",
    "insured_limit",
    "segment",
    "vat_id",
    "external_score",
    "status",
]
ORDER_HEADER = ["order_id", "customer_id", "currency", "amount", "order_date", "expected_invoice_date", "delivered"]
FIN_HEADER = [
    "customer_id",
    "period_end",
    "currency",
    "revenue",
    "ebit",
    "net_income",
    "total_assets",
    "current_assets",
    "current_liabilities",
    "total_liabilities",
    "equity",
    "retained_earnings",
    "intangible_assets",
    "market_value_equity",
]

CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_id": "C1",
        "name": "Alpha SAS",
        "country": "FR",
        "currency": "EUR",
        "payment_terms_days": 30,
        "credit_limit": "10000.00",
        "credit_limit_currency": "EUR",
        "insured_limit": "8000.00",
        "segment": "mid-market",
        "vat_id": "FR40303265045",
        "external_score": 80,
        "status": "active",
    },
    {
        "customer_id": "C2",
        "name": "Beta Corp",
        "country": "US",
        "currency": "USD",
        "payment_terms_days": 30,
        "credit_limit": "20000.00",
        "credit_limit_currency": "EUR",
        "insured_limit": "",
        "segment": "key account",
        "vat_id": "",
        "external_score": 40,
        "status": "active",
    },
    {
        "customer_id": "C3",
        "name": "Gamma SA",
        "country": "FR",
        "currency": "EUR",
        "payment_terms_days": 30,
        "credit_limit": "5000.00",
        "credit_limit_currency": "EUR",
        "insured_limit": "",
        "segment": "small",
        "vat_id": "",
        "external_score": 30,
        "status": "litigation",
    },
    {
        "customer_id": "C4",
        "name": "Delta GmbH",
        "country": "DE",
        "currency": "EUR",
        "payment_terms_days": 30,
        "credit_limit": "",
        "credit_limit_currency": "",
        "insured_limit": "",
        "segment": "small",
        "vat_id": "",
        "external_score": 70,
        "status": "active",
    },
]

DOCUMENTS = [
    inv("I1", "2026-01-10", "2026-02-09", "1000.00"),
    inv("I2", "2026-02-10", "2026-03-12", "2000.00"),
    inv("I3", "2026-03-10", "2026-04-09", "1500.00"),
    inv("I4", "2026-05-20", "2026-06-19", "3000.00"),
    inv("I5", "2026-06-15", "2026-07-15", "2000.00"),
    {
        "document_id": "CN1",
        "customer_id": "C1",
        "doc_type": "credit_note",
        "doc_date": "2026-06-20",
        "due_date": "2026-06-20",
        "currency": "EUR",
        "amount": "500.00",
    },
    inv("I6", "2026-03-01", "2026-03-31", "10000.00", customer="C2", currency="USD"),
]
PAYMENTS = [
    pay("P1", "2026-02-05", "1000.00"),
    pay("P2", "2026-03-12", "2000.00"),
    pay("P3", "2026-04-09", "1500.00"),
]
ALLOCATIONS = [
    alloc("P1", "I1", "1000.00", "2026-02-05"),
    alloc("P2", "I2", "2000.00", "2026-03-12"),
    alloc("P3", "I3", "1500.00", "2026-04-09"),
]
FX = [
    {"date": "2026-01-01", "currency": "USD", "rate": "0.9"},
    {"date": "2026-06-01", "currency": "USD", "rate": "0.8"},
    {"date": "2026-01-01", "currency": "GBP", "rate": "1.2"},
]
ORDERS = [
    {
        "order_id": "O1",
        "customer_id": "C1",
        "currency": "EUR",
        "amount": "1000.00",
        "order_date": "2026-06-25",
        "expected_invoice_date": "2026-07-10",
        "delivered": "no",
    },
    {
        "order_id": "O2",
        "customer_id": "C1",
        "currency": "EUR",
        "amount": "500.00",
        "order_date": "2026-06-28",
        "expected_invoice_date": "",
        "delivered": "yes",
    },
    {
        "order_id": "O3",
        "customer_id": "C2",
        "currency": "GBP",
        "amount": "1000.00",
        "order_date": "2026-06-29",
        "expected_invoice_date": "",
        "delivered": "",
    },
    {
        "order_id": "O4",
        "customer_id": "C1",
        "currency": "EUR",
        "amount": "9999.00",
        "order_date": "2026-07-02",
        "expected_invoice_date": "",
        "delivered": "",
    },
]
FINANCIALS = [
    {
        "customer_id": "C2",
        "period_end": "2025-12-31",
        "currency": "USD",
        "revenue": "1200000.00",
        "ebit": "50000.00",
        "net_income": "30000.00",
        "total_assets": "1000000.00",
        "current_assets": "500000.00",
        "current_liabilities": "300000.00",
        "total_liabilities": "600000.00",
        "equity": "400000.00",
        "retained_earnings": "200000.00",
        "intangible_assets": "100000.00",
        "market_value_equity": "",
    },
]


def credit_ledger(
    folder: Path,
    *,
    customers: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
    order_header: list[str] | None = None,
) -> Ledger:
    """Write and load the reference ledger (fails if anything is quarantined)."""
    write_ledger(folder, documents=DOCUMENTS, payments=PAYMENTS, allocations=ALLOCATIONS, fx=FX)
    write_table(folder, "customers", customers or CUSTOMERS, CUSTOMER_HEADER)
    write_table(folder, "orders", ORDERS if orders is None else orders, order_header or ORDER_HEADER)
    write_table(folder, "financials", FINANCIALS, FIN_HEADER)
    led = load_ledger(folder)
    bad = [str(i) for i in led.report.issues if i.quarantined]
    assert not bad, bad
    return led
