"""Exposure, holds, order release decisions and the append-only decisions log."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from workbench.credit import (
    ApprovalRequiredError,
    DecisionLog,
    DecisionLogError,
    check_order,
    exposure,
    highest_dunning_level,
    hold_recommendations,
    over_limit,
)
from workbench.credit.policy import policy_from_mapping
from workbench.errors import MissingRateError
from workbench.journal import Journal, JournalError

from .test_credit_support import CUSTOMERS, ORDER_HEADER, ORDERS, credit_ledger

AS_OF = date(2026, 6, 30)
T0 = datetime(2026, 6, 30, 9, 30, tzinfo=timezone(timedelta(hours=2)))


@pytest.fixture(scope="module")
def led(tmp_path_factory):
    return credit_ledger(tmp_path_factory.mktemp("credit") / "ledger")


def test_exposure_components_and_conversion(led) -> None:
    rows = {r["customer_id"]: r for r in exposure(led, AS_OF).iter_rows(named=True)}
    c1 = rows["C1"]
    assert (c1["open_ar"], c1["unapplied_credit"], c1["open_orders"], c1["delivered_not_invoiced"]) == (
        Decimal("5000.00"),
        Decimal("-500.00"),
        Decimal("1000.00"),
        Decimal("500.00"),
    )  # order O4 is after as_of
    assert (c1["exposure"], c1["headroom"], c1["utilisation"], c1["over_limit"]) == (
        Decimal("6000.00"),
        Decimal("4000.00"),
        0.6,
        False,
    )
    assert (c1["insured_limit"], c1["insured_headroom"], c1["uninsured_exposure"]) == (
        Decimal("8000.00"),
        Decimal("2000.00"),
        Decimal("0.00"),
    )
    c2 = rows["C2"]
    # USD 10,000 open at the as-of rate 0.8 (not the doc-date 0.9); GBP 1,000 order at 1.2; limit in EUR
    assert (c2["limit_currency"], c2["open_ar"], c2["open_orders"], c2["exposure"]) == (
        "EUR",
        Decimal("8000.00"),
        Decimal("1200.00"),
        Decimal("9200.00"),
    )
    assert (c2["overdue_beyond"], c2["max_days_past_due"], c2["uninsured_exposure"]) == (
        Decimal("8000.00"),
        91,
        Decimal("9200.00"),
    )
    assert rows["C4"]["credit_limit"] is None and rows["C4"]["over_limit"] is False


def test_include_flags_and_missing_delivered_column(led, tmp_path: Path) -> None:
    policy = policy_from_mapping({"exposure": {"include_open_orders": False, "include_unapplied_credit": False}})
    c1 = exposure(led, AS_OF, policy).filter(customer_id="C1").row(0, named=True)
    assert c1["exposure"] == Decimal("5500.00") and c1["included"] == ["open_ar", "delivered_not_invoiced"]
    header = [h for h in ORDER_HEADER if h != "delivered"]
    plain = credit_ledger(
        tmp_path / "nodeliv",
        orders=[{k: v for k, v in o.items() if k != "delivered"} for o in ORDERS],
        order_header=header,
    )
    c1 = exposure(plain, AS_OF).filter(customer_id="C1").row(0, named=True)
    assert (c1["open_orders"], c1["delivered_not_invoiced"], c1["exposure"]) == (
        Decimal("1500.00"),
        Decimal("0.00"),
        Decimal("6000.00"),
    )


def test_missing_rate_is_an_error(tmp_path: Path) -> None:
    customers = [{**c, "credit_limit_currency": "CHF"} if c["customer_id"] == "C1" else c for c in CUSTOMERS]
    chf = credit_ledger(tmp_path / "chf", customers=customers)
    with pytest.raises(MissingRateError, match="no FX rate for CHF on or before 2026-06-30"):
        exposure(chf, AS_OF)


def test_over_limit_list_and_holds(led) -> None:
    tight = policy_from_mapping({"holds": {"min_overdue_amount": 9000}})
    assert over_limit(exposure(led, AS_OF)).height == 0
    holds = {r["customer_id"]: r for r in hold_recommendations(led, AS_OF).iter_rows(named=True)}
    assert holds["C2"]["reasons"] == ["8,000.00 EUR more than 60 days past due (oldest 91 days)"]
    assert holds["C3"]["reason_codes"] == ["status"] and holds["C3"]["reasons"] == ["account status is litigation"]
    assert holds["C1"]["recommend_hold"] is False and holds["C1"]["dunning_level"] is None
    assert hold_recommendations(led, AS_OF, tight).filter(customer_id="C2")["recommend_hold"].item() is False
    assert highest_dunning_level(led, ["C1"], AS_OF) == {"C1": None}  # hook until the collections journal exists


def test_release(led) -> None:
    d = check_order(led, "C1", "1000", AS_OF)
    assert d.outcome == "release" and d.reasons == []
    assert (d.exposure_before, d.exposure_after, d.credit_limit, d.risk_class) == (
        Decimal("6000.00"),
        Decimal("7000.00"),
        Decimal("10000.00"),
        "A",
    )


def test_refer_over_insured_and_over_limit(led) -> None:
    d = check_order(led, "C1", Decimal("2500"), AS_OF)
    assert d.outcome == "refer" and [f.code for f in d.findings] == ["over_insured_limit"]
    assert d.reasons == ["exposure after the order 8,500.00 EUR exceeds the insured limit 8,000.00 EUR by 500.00 EUR"]
    d = check_order(led, "C1", 5000, AS_OF)
    assert [f.code for f in d.findings] == ["over_limit", "over_insured_limit"] and d.outcome == "refer"
    # an order in GBP converts at the as-of rate: 4,000 GBP = 4,800 EUR -> 10,800 > 10,000
    d = check_order(led, "C1", 4000, AS_OF, currency="GBP")
    assert d.order_amount == Decimal("4800.00") and "over_limit" in [f.code for f in d.findings]
    tolerant = policy_from_mapping({"release": {"over_limit_tolerance_pct": 10, "over_insured_limit": "release"}})
    assert check_order(led, "C1", 4000, AS_OF, tolerant, currency="GBP").outcome == "release"


def test_hold_for_overdue_status_and_class_e(led) -> None:
    d = check_order(led, "C2", 100, AS_OF)
    assert d.outcome == "hold" and d.reasons == ["8,000.00 EUR more than 60 days past due (oldest 91 days)"]
    d = check_order(led, "C3", 100, AS_OF)
    assert d.outcome == "hold" and [f.code for f in d.findings] == ["status", "missing_data"]
    assert d.reasons[0] == "account status is litigation"
    all_e = policy_from_mapping({"scorecard": {"classes": {"A": 99.9, "B": 99.8, "C": 99.7, "D": 99.6}}})
    d = check_order(led, "C1", 100, AS_OF, all_e)
    assert d.outcome == "hold" and d.risk_class == "E"
    assert d.reasons == ["risk class E (score 86.99): prepayment or confirmed letter of credit"]


def test_refer_for_missing_data(led) -> None:
    d = check_order(led, "C4", 100, AS_OF)
    assert d.outcome == "refer" and {f.code for f in d.findings} == {"missing_data"}
    assert "no credit limit is set" in d.reasons
    unknown = check_order(led, "C9", 100, AS_OF)
    assert unknown.outcome == "refer" and unknown.reasons == ["customer 'C9' is not in the ledger"]
    with pytest.raises(ValueError, match="must be positive"):
        check_order(led, "C1", 0, AS_OF)


def _log(tmp_path: Path) -> tuple[Journal, DecisionLog]:
    book = Journal.open(tmp_path / "journal.sqlite", create=True)
    return book, DecisionLog(book)


def test_decision_log_records_with_author_timestamp_reason(led, tmp_path: Path) -> None:
    book, log = _log(tmp_path)
    decision = check_order(led, "C1", 5000, AS_OF)
    first = log.record_decision(decision, author="ana", timestamp=T0, order_ref="SO-1")
    log.record_override(
        decision,
        "release",
        author="ben",
        timestamp=T0 + timedelta(minutes=5),
        reason="customer prepaid 2,000 EUR",
        order_ref="SO-1",
    )
    log.record_limit_change(
        "C1", "12000", "EUR", author="ana", timestamp=T0 + timedelta(hours=1), reason="annual review", old_limit="10000"
    )
    rows = log.frame().to_dicts()
    assert [r["kind"] for r in rows] == ["credit_decision", "credit_override", "limit_change"]
    assert rows[0]["id"] == first and rows[0]["order_ref"] == "SO-1"
    assert rows[0]["timestamp"] == "2026-06-30T09:30:00+02:00" and rows[0]["outcome"] == "refer"
    assert rows[0]["recorded_at"] == datetime(2026, 6, 30, 7, 30, tzinfo=timezone.utc)
    assert (rows[0]["amount_text"], rows[0]["amount"], rows[0]["as_of"]) == ("5000.00", 5_000_000, AS_OF)
    assert json.loads(rows[0]["details"])["findings"][0]["outcome"] in ("release", "refer", "hold")
    assert rows[1]["original_outcome"] == "refer" and rows[1]["outcome"] == "release"
    assert rows[1]["reason"] == "customer prepaid 2,000 EUR"
    assert (rows[2]["amount_text"], rows[2]["old_limit"], rows[2]["approval_required"]) == ("12000", "10000", None)
    assert rows[2]["as_of"] == date(2026, 6, 30)  # no as_of given: the decision's own (local) date
    assert [r["author"] for r in rows] == ["ana", "ben", "ana"]
    assert book.verify() == []
    with pytest.raises(DecisionLogError, match="timezone-aware"):
        log.record_decision(decision, author="ana", timestamp=datetime(2026, 6, 30, 9, 30))
    with pytest.raises(DecisionLogError, match="a reason is required"):
        log.record_override(decision, "release", author="ana", timestamp=T0, reason=" ")
    with pytest.raises(DecisionLogError, match="an author is required"):
        log.record_decision(decision, author="", timestamp=T0)
    with pytest.raises(DecisionLogError, match="override outcome must be one of"):
        log.record_override(decision, "approve", author="ana", timestamp=T0, reason="x")
    assert book.history().height == 3  # refused entries wrote nothing
    # the decisions are ordinary journal entries: listed, exported and chained with the rest
    assert book.entries(kind="limit_change")["customer_id"].to_list() == ["C1"]


def test_large_limit_needs_an_approver(led, tmp_path: Path) -> None:
    book, log = _log(tmp_path)
    with pytest.raises(ApprovalRequiredError, match=r"above 100,000.00 EUR: it needs approval by a credit manager"):
        log.record_limit_change("C1", "150000", "EUR", author="ana", timestamp=T0, reason="growth")
    with pytest.raises(ApprovalRequiredError, match="other than the author"):
        log.record_limit_change("C1", "150000", "EUR", author="ana", approver="ana", timestamp=T0, reason="growth")
    with pytest.raises(ApprovalRequiredError, match="finance director"):
        log.record_limit_change("C1", "600000", "EUR", author="ana", timestamp=T0, reason="growth")
    assert book.history().height == 0
    log.record_limit_change("C1", "150000", "EUR", author="ana", approver="carla", timestamp=T0, reason="growth")
    # a USD limit is compared with the EUR thresholds at the as-of rate: 120,000 USD = 96,000 EUR
    with pytest.raises(DecisionLogError, match="pass fx= and as_of="):
        log.record_limit_change("C2", "120000", "USD", author="ana", timestamp=T0, reason="review")
    log.record_limit_change("C2", "120000", "USD", author="ana", timestamp=T0, reason="review", fx=led.fx, as_of=AS_OF)
    rows = log.frame().to_dicts()
    assert [(r["customer_id"], r["approval_required"], r["approver"]) for r in rows] == [
        ("C1", "credit manager", "carla"),
        ("C2", None, None),
    ]


def test_journal_refuses_a_credit_entry_without_its_fields(tmp_path: Path) -> None:
    book, _ = _log(tmp_path)
    with pytest.raises(JournalError, match="limit_change: details.reason is required"):
        book.add(
            "limit_change",
            author="ana",
            customer_id="C1",
            event_date=AS_OF,
            amount="1000",
            currency="EUR",
            details={"timestamp": T0.isoformat()},
        )
    with pytest.raises(JournalError, match="details.timestamp must carry a UTC offset"):
        book.add(
            "credit_override",
            author="ana",
            customer_id="C1",
            event_date=AS_OF,
            details={
                "timestamp": "2026-06-30T09:30:00",
                "outcome": "release",
                "original_outcome": "hold",
                "reason": "paid",
            },
        )
    with pytest.raises(JournalError, match="limit_change: details.approver must not be empty"):
        book.add(
            "limit_change",
            author="ana",
            customer_id="C1",
            event_date=AS_OF,
            amount="1000",
            currency="EUR",
            details={
                "timestamp": T0.isoformat(),
                "reason": "x",
                "approval_required": "credit manager",
                "approver": " ",
            },
        )
    assert book.history().height == 0
