"""Promises to pay (kept, broken, pending) and the worklist's additive scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl

from tests.builders import inv, ledger, pay
from workbench.collections.policy import load_policy
from workbench.collections.promises import promise_status
from workbench.collections.worklist import WorklistInputs, build_worklist

RULES = load_policy().worklist


def _promises(rows):
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "customer_id": pl.String,
            "currency": pl.String,
            "amount": pl.Int64,
            "pay_by": pl.Date,
            "promised_on": pl.Date,
        },
        orient="row",
    )


def _payments(rows):
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "currency": pl.String, "value_date": pl.Date, "amount": pl.Int64},
        orient="row",
    )


def test_promises_are_kept_broken_or_pending_and_a_payment_keeps_only_one() -> None:
    promises = _promises(
        [
            (1, "C1", "EUR", 1_000_000, date(2026, 11, 10), date(2026, 11, 2)),  # paid on time -> kept
            (2, "C1", "EUR", 500_000, date(2026, 11, 12), date(2026, 11, 2)),  # same payment cannot keep it
            (3, "C2", "EUR", 200_000, date(2026, 11, 25), date(2026, 11, 18)),  # not due yet -> pending
            (4, "C3", "EUR", 300_000, date(2026, 11, 16), date(2026, 11, 9)),  # paid within the grace -> kept
            (5, "C3", "USD", 300_000, date(2026, 11, 16), date(2026, 11, 9)),  # other currency -> broken
        ]
    )
    payments = _payments(
        [
            ("C1", "EUR", date(2026, 11, 9), 1_200_000),
            ("C1", "EUR", date(2026, 11, 1), 900_000),  # before the promise was made: not counted
            ("C3", "EUR", date(2026, 11, 18), 300_000),
            ("C2", "EUR", date(2026, 11, 22), 200_000),  # after the as-of date: not seen
        ]
    )
    status = promise_status(promises, payments, date(2026, 11, 20), grace_days=2)
    got = {r["id"]: (r["status"], r["paid"], r["kept_on"]) for r in status.iter_rows(named=True)}
    assert got == {
        1: ("kept", 1_000_000, date(2026, 11, 9)),
        2: ("broken", 200_000, None),
        3: ("pending", 0, None),
        4: ("kept", 300_000, date(2026, 11, 18)),
        5: ("broken", 0, None),
    }


def test_worklist_scores_add_up_and_say_why(tmp_path) -> None:
    customers = [
        {
            "customer_id": "C1",
            "name": "Alpha",
            "country": "FR",
            "currency": "EUR",
            "collector": "Ann",
            "external_score": "25",
            "status": "hold",
        },
        {
            "customer_id": "C2",
            "name": "Beta",
            "country": "FR",
            "currency": "EUR",
            "collector": "Ann",
            "external_score": "80",
        },
        {
            "customer_id": "C3",
            "name": "Gamma",
            "country": "FR",
            "currency": "EUR",
            "collector": "Bob",
            "external_score": "70",
        },
    ]
    docs = [
        inv("A1", "2026-07-01", "2026-08-01", "12500.00", customer="C1"),  # 111 days past due
        inv("B1", "2026-10-01", "2026-11-10", "4000.00", customer="C2"),  # 10 days, disputed
        inv("B2", "2026-10-01", "2026-11-10", "1000.00", customer="C2"),
        inv("G1", "2026-10-20", "2026-11-25", "60000.00", customer="C3"),  # large, due in 5 days
    ]
    led = ledger(
        tmp_path, customers=customers, documents=docs, payments=[pay("P9", "2026-01-01", "1.00", customer="C3")]
    )
    status = promise_status(
        _promises([(7, "C1", "EUR", 5_000_000, date(2026, 11, 6), date(2026, 11, 1))]),
        led.payments,
        date(2026, 11, 20),
        2,
    )
    inputs = WorklistInputs(
        promises=status,
        disputed_documents=frozenset({"B1"}),
        last_contacts=pl.DataFrame({"customer_id": ["C2"], "last_contact": [date(2026, 11, 19)]}),
        next_actions=pl.DataFrame({"customer_id": ["C1"], "next_action_date": [date(2026, 11, 18)]}),
        levels=pl.DataFrame(
            {"customer_id": ["C1"], "dunning_level": [4]}, schema={"customer_id": pl.String, "dunning_level": pl.Int64}
        ),
    )
    work = build_worklist(led, date(2026, 11, 20), RULES, inputs)
    rows = {r["customer_id"]: r for r in work.iter_rows(named=True)}
    alpha = rows["C1"]
    # 12 (12,500 / 1,000) + 20 (>= 91 days) + 15 (score 25 < 30) + 10 (hold) + 25 (broken promise) + 15 (follow-up)
    assert alpha["score"] == 97
    assert alpha["reasons"] == (
        "12,500.00 EUR overdue (+12); oldest item 111 days past due (+20); bureau score 25 (+15); "
        "account status hold (+10); promise of 5,000.00 EUR due 2026-11-06 broken (+25); "
        "follow-up planned for 2026-11-18 (+15)"
    )
    assert alpha["next_action"] == "Call: promise broken, ask for a firm payment date"
    assert (alpha["rank"], alpha["dunning_level"], alpha["overdue"]) == (1, 4, Decimal("12500.00"))
    beta = rows["C2"]
    # 5 (5,000 / 1,000) + 5 (10 days) - 15 (80 % disputed) - 10 (contacted yesterday) < 0: still listed, ranked last
    assert beta["score"] == -15 and beta["rank"] == 2
    assert beta["disputed_overdue"] == Decimal("4000.00")
    gamma = rows["C3"]
    assert gamma["score"] == 10 and gamma["next_action"] == "Courtesy call before the due date"
    assert "invoice G1 of 60,000.00 EUR falls due 2026-11-25" in gamma["reasons"]
    assert build_worklist(led, date(2026, 11, 20), RULES, inputs, collector="Bob")["customer_id"].to_list() == ["C3"]


def test_several_broken_promises_score_once(tmp_path) -> None:
    customers = [{"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR", "collector": "Ann"}]
    led = ledger(tmp_path, customers=customers, documents=[inv("A1", "2026-09-01", "2026-10-01", "2000.00")])
    status = promise_status(
        _promises(
            [
                (1, "C1", "EUR", 1_000_000, date(2026, 11, 2), date(2026, 10, 28)),
                (2, "C1", "EUR", 1_000_000, date(2026, 11, 9), date(2026, 11, 4)),
                (3, "C1", "EUR", 500_000, date(2026, 11, 16), date(2026, 11, 11)),
                (4, "C1", "EUR", 400_000, date(2026, 11, 21), date(2026, 11, 18)),  # pending, due tomorrow
                (5, "C1", "EUR", 300_000, date(2026, 11, 22), date(2026, 11, 18)),  # pending, due in 2 days
            ]
        ),
        led.payments,
        date(2026, 11, 20),
        2,
    )
    empty = WorklistInputs.empty()
    # a follow-up planned for the 12th, but the customer was contacted on the 13th: already followed up
    inputs = WorklistInputs(
        status,
        frozenset(),
        pl.DataFrame({"customer_id": ["C1"], "last_contact": [date(2026, 11, 13)]}),
        pl.DataFrame({"customer_id": ["C1"], "next_action_date": [date(2026, 11, 12)]}),
        empty.levels,
    )
    (row,) = build_worklist(led, date(2026, 11, 20), RULES, inputs).iter_rows(named=True)
    # 2 (2,000 / 1,000) + 10 (50 days) + 25 (broken, once) + 10 (falling due, once)
    assert row["score"] == 47
    assert row["reasons"] == (
        "2,000.00 EUR overdue (+2); oldest item 50 days past due (+10); "
        "promise of 500.00 EUR due 2026-11-16 broken, 2 more in the last 30 days (+25); "
        "promise of 400.00 EUR due 2026-11-21 (+10)"
    )
