"""The customer investigation and credit review reports run end to end by papermill."""

from __future__ import annotations

import json
from decimal import Decimal

import polars as pl
import pytest

from workbench.ledger.names import UnknownNameError

from workbench.aging import aging
from workbench.credit import recommend_limits, score_customers
from workbench.credit.limits import material_change
from workbench.ledger import load_ledger
from workbench.reports import credit_review, registry

from .conftest import SMALL_AS_OF

CUSTOMER = "C000002"  # small demo: three statements, about 200 settled invoices, disputed items
HOSTILE = "C000008"  # small demo: a <script> name


@pytest.fixture(scope="module")
def investigation(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("customer")
    result = registry.run("customer", ledger=small_demo, customer_id=CUSTOMER, as_of=SMALL_AS_OF, out_dir=out, pdf=True)
    return result, json.loads((out / f"customer_{CUSTOMER}_{SMALL_AS_OF.isoformat()}_summary.json").read_text())


@pytest.fixture(scope="module")
def review(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("review")
    result = registry.run("credit-review", ledger=small_demo, as_of=SMALL_AS_OF, out_dir=out, pdf=False)
    return result, json.loads((out / "credit_review_summary.json").read_text())


def test_customer_summary_agrees_with_the_library(investigation, small_demo) -> None:
    _, summary = investigation
    led = load_ledger(small_demo)
    score = score_customers(led, SMALL_AS_OF).filter(pl.col("customer_id") == CUSTOMER).row(0, named=True)
    limits = recommend_limits(led, SMALL_AS_OF).filter(pl.col("customer_id") == CUSTOMER).row(0, named=True)
    ag = aging(led, SMALL_AS_OF, by="customer").filter(pl.col("customer_id") == CUSTOMER).row(0, named=True)
    assert summary["customer_id"] == CUSTOMER
    assert summary["score"] == score["score"] and summary["risk_class"] == score["risk_class"]
    assert summary["total_open"] == str(ag["gross_open"])
    assert Decimal(summary["overdue"]) == ag["gross_open"] - ag["current"]
    assert summary["recommended_limit"] == str(limits["recommended_limit"])
    assert set(summary["flags"]) >= {"recommend_hold", "over_limit", "over_insured_limit", "disputed_items"}


def test_customer_report_shows_every_section_and_a_pdf(investigation) -> None:
    result, _ = investigation
    html = result.html.read_text(encoding="utf-8")
    for heading in (
        "Identity and status",
        "Statement of account",
        "Payment history",
        "Score",
        "Limit recommendation",
        "Exposure",
        "Financial statements",
        "Journal and credit decisions",
        "Open disputes and expected payments",
    ):
        assert heading in html, heading
    assert "No journal found beside the ledger" in html
    assert html.count("data:image/png;base64") >= 2  # payment history and Z trend
    assert "build_investigation(" not in html
    assert result.pdf is not None and result.pdf.read_bytes().startswith(b"%PDF")


def test_customer_report_shows_the_journal_credit_decisions(small_demo, tmp_path) -> None:
    from datetime import datetime, timedelta, timezone

    from workbench.credit import DecisionLog, check_order
    from workbench.journal import Journal

    led = load_ledger(small_demo)
    moment = datetime(2026, 11, 19, 16, 5, tzinfo=timezone(timedelta(hours=1)))
    with Journal.open(tmp_path / "journal.sqlite", create=True) as book:
        log = DecisionLog(book)
        decision = check_order(led, CUSTOMER, Decimal("2500"), SMALL_AS_OF)
        log.record_decision(decision, author="ana", timestamp=moment, order_ref="SO-77")
        log.record_override(
            decision,
            "release",
            author="ben",
            timestamp=moment + timedelta(minutes=9),
            reason="prepayment <b>received</b>",
        )
        log.record_limit_change("C000003", "9000", "EUR", author="ana", timestamp=moment, reason="other customer")
    result = registry.run(
        "customer",
        ledger=small_demo,
        customer_id=CUSTOMER,
        as_of=SMALL_AS_OF,
        out_dir=tmp_path / "report",  # a folder of its own: tmp_path holds the journal
        pdf=False,
        journal=str(tmp_path / "journal.sqlite"),
    )
    html = result.html.read_text(encoding="utf-8")
    section = html[html.index("Journal and credit decisions") : html.index("Open disputes and expected payments")]
    assert "2026-11-19 16:05 (+01:00)" in section and "2026-11-19 16:14 (+01:00)" in section
    assert section.count(">Order decision<") == 1 and section.count(">Override<") == 1
    assert section.count("2,500.00") == 2  # the order amount, as money
    assert ">Limit change<" not in section and "other customer" not in section  # only this customer's rows
    assert "prepayment &lt;b&gt;received&lt;/b&gt;" in section and "<b>received" not in section
    assert decision.outcome in section


def test_two_customer_reports_share_a_folder_without_overwriting(investigation, small_demo) -> None:
    first, _ = investigation
    out = first.html.parent
    registry.run("customer", ledger=small_demo, customer_id="C000003", as_of=SMALL_AS_OF, out_dir=out, pdf=False)
    day = SMALL_AS_OF.isoformat()
    summaries = {p.name: json.loads(p.read_text()) for p in out.glob("customer_*_summary.json")}
    assert {name: s["customer_id"] for name, s in summaries.items()} == {
        f"customer_{CUSTOMER}_{day}_summary.json": CUSTOMER,
        f"customer_C000003_{day}_summary.json": "C000003",
    }
    assert {p.name for p in out.glob("customer_*.html")} == {
        f"customer_{CUSTOMER}_{day}.html",
        f"customer_C000003_{day}.html",
    }


def test_hostile_customer_name_is_escaped(small_demo, tmp_path) -> None:
    result = registry.run(
        "customer", ledger=small_demo, customer_id=HOSTILE, as_of=SMALL_AS_OF, out_dir=tmp_path, pdf=False
    )
    html = result.html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html


def test_unknown_customer_fails_naming_it_before_the_notebook_runs(small_demo, tmp_path) -> None:
    with pytest.raises(UnknownNameError) as err:
        registry.run(
            "customer", ledger=small_demo, customer_id="C999999", as_of=SMALL_AS_OF, out_dir=tmp_path / "r", pdf=False
        )
    assert str(err.value) == "unknown customer 'C999999' (120 customers in this ledger)"
    assert not (tmp_path / "r").exists()


def test_review_summary_agrees_with_the_library(review, small_demo) -> None:
    result, summary = review
    data = credit_review.build(load_ledger(small_demo), credit_review.Params.of(SMALL_AS_OF))
    assert summary["previous_as_of"] == "2026-08-21"
    assert {k: summary[k] for k in data.counts()} == data.counts()
    assert summary["customers"] == 120
    assert int(data.migration["total"].sum()) == 120
    assert summary["class_changes"] == data.customers.filter(pl.col("previous_class") != pl.col("risk_class")).height
    stake = data.limit_changes["at_stake"].to_list()
    assert stake == sorted(stake, reverse=True)
    html = result.html.read_text(encoding="utf-8")
    for heading in (
        "Headlines",
        "Class migration",
        "Limit changes to review",
        "Risk class changes",
        "Over limit or over insured limit",
    ):
        assert heading in html, heading


def test_material_change() -> None:
    t = Decimal("0.20")
    assert material_change(Decimal(100), Decimal(120), t) and material_change(Decimal(100), Decimal(80), t)
    assert not material_change(Decimal(100), Decimal(119), t)
    assert material_change(None, Decimal(1), t) and not material_change(Decimal(100), None, t)
    assert not material_change(Decimal(0), Decimal(0), t)
