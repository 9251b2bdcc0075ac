"""The worked examples of CONVENTIONS.md §1-§6, each reproduced to the stated precision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from workbench.aging import Buckets, aging
from workbench.behaviour import behaviour, paydex
from workbench.kpis import cei, dso_countback, dso_simple, kpis

from .builders import alloc, inv, ledger, pay

D = Decimal


def r2(value: Decimal | None) -> Decimal:
    assert value is not None
    return value.quantize(D("0.01"), rounding="ROUND_HALF_EVEN")


# §4 DSO family --------------------------------------------------------------


def test_countback_example_a_thirty_day_months() -> None:
    days, capped = dso_countback(D(212000), [(D(100000), 30), (D(80000), 30), (D(70000), 30)])
    assert r2(days) == D("73.71") and not capped


def test_countback_example_b_calendar_months_through_the_engine(tmp_path) -> None:
    # As of 31 March 2025: March billings 900k, February 800k, January 700k; AR 2.1m.
    docs = [
        inv("JAN", "2025-01-15", "2025-12-31", "700000.00"),
        inv("FEB", "2025-02-15", "2025-12-31", "800000.00"),
        inv("MAR", "2025-03-15", "2025-12-31", "900000.00"),
    ]
    # AR = 2.4m billed - 300k paid on January's invoice = 2.1m
    led = ledger(
        tmp_path,
        documents=docs,
        payments=[pay("P1", "2025-02-05", "300000.00")],
        allocations=[alloc("P1", "JAN", "300000.00", "2025-02-05")],
    )
    k = kpis(led, date(2025, 3, 31))
    assert k.total_ar == D("2100000.00")
    assert k.dso_countback == 76.71
    assert k.dso_countback_capped is False


def test_countback_month_without_billings_adds_its_days_and_caps_after_24_months() -> None:
    days, capped = dso_countback(D(100), [(D(0), 31), (D(50), 30)] + [(D(1), 30)] * 30)
    # 31 (no billings) + 30 (50 of 100) + 22 more months of 1 each: runs out after 24 months
    assert capped and days == D(31 + 30 + 22 * 30)
    assert dso_countback(D(100), [(D(0), 31), (D(-5), 30)]) == (None, False)


def test_dso_simple_example() -> None:
    assert r2(dso_simple(150000, 1800000, 365)) == D("30.42")
    assert dso_simple(150000, 0) is None


@pytest.mark.parametrize(
    ("ar", "current", "billings", "dso", "best", "add"),
    [
        (15000, 4000, 10000, "45.00", "12.00", "33.00"),
        (25000, 6000, 15000, "50.00", "12.00", "38.00"),
    ],
)
def test_bpdso_and_add_examples(ar, current, billings, dso, best, add) -> None:
    total = dso_simple(ar, billings, 30)
    bp = dso_simple(current, billings, 30)
    assert (r2(total), r2(bp), r2(total - bp)) == (D(dso), D(best), D(add))


# §5 CEI ---------------------------------------------------------------------


def test_cei_quarterly_example() -> None:
    assert r2(cei(D(12327157), D(47881064), D(13663598), D(7846547), months=3)) == D("71.54")


def test_cei_monthly_balances_example_and_the_known_mistake() -> None:
    assert r2(cei(D(6200), D(10890), D(6340), D(3590), months=3)) == D("55.93")
    assert r2(cei(D(6200), D(10890), D(6340), D(3590), months=1)) == D("79.63")


def test_cei_through_the_engine(tmp_path) -> None:
    # AR at 31 May: 1,000 (invoice A). June billings 500 (B, due in July); A paid 600 in June.
    docs = [inv("A", "2025-05-10", "2025-06-09", "1000.00"), inv("B", "2025-06-20", "2025-07-20", "500.00")]
    led = ledger(
        tmp_path,
        documents=docs,
        payments=[pay("P", "2025-06-25", "600.00")],
        allocations=[alloc("P", "A", "600.00", "2025-06-25")],
    )
    k = kpis(led, date(2025, 6, 30))
    # (1000 + 500 - 900) / (1000 + 500 - 500) = 60 %
    assert k.cei == 60.0


# §6 behaviour ---------------------------------------------------------------


def _settled_three(tmp_path):
    docs = [
        inv("A", "2025-01-01", "2025-01-31", "1000.00"),
        inv("B", "2025-02-01", "2025-03-03", "3000.00"),
        inv("C", "2025-03-01", "2025-03-31", "2000.00"),
    ]
    pays = [pay("PA", "2025-01-16", "1000.00"), pay("PB", "2025-03-03", "3000.00"), pay("PC", "2025-04-15", "2000.00")]
    allocs = [
        alloc("PA", "A", "1000.00", "2025-01-16"),
        alloc("PB", "B", "3000.00", "2025-03-03"),
        alloc("PC", "C", "2000.00", "2025-04-15"),
    ]
    return ledger(tmp_path, documents=docs, payments=pays, allocations=allocs)


def test_weighted_days_to_pay_example(tmp_path) -> None:
    # 1,000 paid in 15 days, 3,000 in 30, 2,000 in 45 -> 32.5
    k = kpis(_settled_three(tmp_path), date(2025, 6, 30))
    assert k.weighted_days_to_pay == 32.5
    # early payment counts 0 in DBT and negative in the signed delay:
    # A: -15, B: 0, C: +15 -> DBT = 2000*15/6000 = 5, delay = (-15000 + 30000)/6000 = 2.5
    assert k.dbt == 5.0
    assert k.average_payment_delay == 2.5
    per_customer = behaviour(_settled_three(tmp_path / "again"), date(2025, 6, 30))
    assert per_customer.row(0, named=True)["weighted_days_to_pay"] == 32.5


def test_behaviour_window_excludes_settlements_outside_it(tmp_path) -> None:
    # trailing 365 days from 2026-03-10 excludes A (settled 2025-01-16... all three older than a year)
    k = kpis(_settled_three(tmp_path), date(2026, 4, 16))
    assert k.weighted_days_to_pay is None and k.dbt is None


@pytest.mark.parametrize(
    ("delay", "index"),
    [(45, "45"), (26, "55"), (-30, "100"), (-45, "100"), (0, "80"), (150, "20"), (15, "70"), (-15, "87.5")],
)
def test_paydex_points(delay, index) -> None:
    assert paydex(delay) == D(index)


def test_pct_current_and_over_90(tmp_path) -> None:
    docs = [
        inv("A", "2025-01-01", "2025-01-31", "100.00"),
        inv("B", "2025-06-01", "2025-07-01", "300.00"),
        inv("C", "2025-06-20", "2025-07-20", "600.00"),
    ]
    k = kpis(ledger(tmp_path, documents=docs), date(2025, 7, 10))
    # A: 160 dpd (>90), B: 9 dpd, C: current
    assert (k.pct_current, k.pct_over_90) == (60.0, 10.0)
    assert (k.current, k.overdue, k.gross_open) == (D("600.00"), D("400.00"), D("1000.00"))


# §3 aging ---------------------------------------------------------------------


def test_aging_buckets_by_due_date_and_doc_date(tmp_path) -> None:
    docs = [
        inv("A", "2025-01-01", "2025-06-30", "10.00"),  # dpd 0 -> current
        inv("B", "2025-01-01", "2025-06-29", "20.00"),  # dpd 1
        inv("C", "2025-01-01", "2025-05-31", "30.00"),  # dpd 30
        inv("D", "2025-01-01", "2025-05-30", "40.00"),  # dpd 31
        inv("E", "2025-01-01", "2025-03-02", "50.00"),  # dpd 120
        inv("F", "2025-01-01", "2025-03-01", "60.00"),  # dpd 121
    ]
    led = ledger(tmp_path, documents=docs, payments=[pay("P", "2025-06-01", "5.00")])
    row = aging(led, date(2025, 6, 30)).row(0, named=True)
    assert [row[b] for b in ("current", "1-30", "31-60", "61-90", "91-120", "120+")] == [
        D("10.00"),
        D("50.00"),
        D("40.00"),
        D("0.00"),
        D("50.00"),
        D("60.00"),
    ]
    assert (row["gross_open"], row["unapplied_credit"], row["total"]) == (D("210.00"), D("5.00"), D("205.00"))
    by_doc = aging(led, date(2025, 6, 30), basis="doc_date", buckets=Buckets((30, 60, 90, 120))).row(0, named=True)
    assert by_doc["120+"] == D("210.00")  # every invoice is 180 days old
    custom = aging(led, date(2025, 6, 30), buckets=Buckets((0, 60))).row(0, named=True)
    assert (custom["current"], custom["1-60"], custom["60+"]) == (D("10.00"), D("90.00"), D("110.00"))
