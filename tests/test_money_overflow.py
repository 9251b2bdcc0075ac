"""Money sums past the Int64 range: exact figures everywhere, or a clear error, never a wrapped total.

The ledger holds 10,000 invoices of one trillion EUR for customer C1 (10**19
mills, beyond Int64's 9.2 * 10**18) plus one ordinary invoice for C2. An Int64
sum of C1's items wraps to a negative number; every figure below must instead
be exact (10,000,000,000,000,000.00) or, for the forecast, a clear error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench.ledger import load_ledger
from workbench.money import INT64_MAX, SumOverflowError, checked_int64, exact_sum, narrow_int64

from .builders import inv, write_ledger

AS_OF = date(2026, 11, 20)
N = 10_000
HUGE = Decimal("10000000000000000.00")  # 10,000 x one trillion
SMALL = Decimal("250.00")
CUSTOMERS = [
    {"customer_id": "C1", "name": "Alpha", "country": "FR", "currency": "EUR", "entity": "E1", "collector": "Ann"},
    {"customer_id": "C2", "name": "Beta", "country": "DE", "currency": "EUR", "entity": "E1", "collector": "Bob"},
]


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("overflow") / "ledger"
    docs = [inv(f"I{n}", "2026-10-01", "2026-11-01", "1000000000000.00", entity="E1") for n in range(N)]
    docs.append(inv("S1", "2026-11-10", "2026-12-10", "250.00", customer="C2", entity="E1"))
    write_ledger(folder, customers=CUSTOMERS, documents=docs)
    return folder


@pytest.fixture(scope="module")
def led(big):
    ledger = load_ledger(big)
    assert ledger.report.rows_quarantined == 0
    assert int(ledger.documents["amount"].sum()) < 0  # the trap: a plain Int64 sum wraps to a negative total
    return ledger


def test_the_helpers_sum_exactly_and_refuse_to_narrow_what_does_not_fit() -> None:
    frame = pl.DataFrame({"k": ["a"] * N + ["b"], "v": [10**15] * N + [7]})
    sums = frame.group_by("k").agg(exact_sum("v")).sort("k")
    assert sums["v"].to_list() == [10**19, 7] and sums.schema["v"] == pl.Int128
    assert narrow_int64(sums.filter(pl.col("k") == "b"), ["v"], "x").schema["v"] == pl.Int64
    with pytest.raises(SumOverflowError, match=r"the open amount per customer \(v\) is 10,000,000,000,000,000.000"):
        narrow_int64(sums, ["v"], "the open amount per customer")
    assert checked_int64(INT64_MAX, "t") == INT64_MAX
    with pytest.raises(SumOverflowError, match="the overdue total"):
        checked_int64(INT64_MAX + 1, "the overdue total")


@pytest.mark.parametrize(
    ("by", "key", "expected"),
    [
        ("customer", "customer_id", {"C1": HUGE, "C2": SMALL}),
        ("entity", "entity", {"E1": HUGE + SMALL}),
        ("collector", "collector", {"Ann": HUGE, "Bob": SMALL}),
        ("country", "country", {"FR": HUGE, "DE": SMALL}),
        ("currency", "currency", {"EUR": HUGE + SMALL}),
    ],
)
def test_aging_by_every_grouping_is_exact(led, by, key, expected) -> None:
    from workbench.aging import aging

    frame = aging(led, AS_OF, by=by)
    assert dict(zip(frame[key].to_list(), frame["gross_open"].to_list())) == expected
    assert dict(zip(frame[key].to_list(), frame["total"].to_list())) == expected
    assert dict(zip(frame[key].to_list(), frame["1-30"].to_list()))[next(iter(expected))] == HUGE


def test_aging_past_int64_cents_is_shown_not_refused() -> None:
    """10**17 EUR is 10**19 cents, past Int64 even as cents; the displayed total stays exact."""
    from workbench.aging import DEFAULT_BUCKETS, shape_aging

    long = pl.DataFrame(
        {"as_of": [AS_OF], "group": ["C1"], "bucket": ["current"], "value": [10**20 * 10**15 // 1000]},
        schema={"as_of": pl.Date, "group": pl.String, "bucket": pl.String, "value": pl.Int128},
    )
    wide = shape_aging(long, DEFAULT_BUCKETS, "EUR", "customer")
    assert wide["gross_open"].to_list() == [Decimal("100000000000000000.00")]


def test_kpis_exposure_limits_and_worklist_are_exact(led) -> None:
    from workbench.collections.policy import load_policy
    from workbench.collections.worklist import build_worklist
    from workbench.credit.exposure import exposure_results
    from workbench.credit.limits import monthly_purchases
    from workbench.kpis import kpis

    k = kpis(led, AS_OF)
    assert (k.total_ar, k.gross_open, k.overdue, k.current) == (HUGE + SMALL, HUGE + SMALL, HUGE, SMALL)
    assert k.aging["1-30"] == HUGE
    exposure = exposure_results(led, AS_OF)
    assert exposure["C1"].components["open_ar"] == HUGE
    assert exposure["C2"].components["open_ar"] == SMALL
    billed = dict(monthly_purchases(led, AS_OF).select("customer_id", "billings").iter_rows())
    assert billed["C1"] == 10**19 * 10**12  # reporting currency at scale 10**15
    worklist = build_worklist(led, AS_OF, load_policy().worklist)
    row = worklist.filter(pl.col("customer_id") == "C1").row(0, named=True)
    assert (row["overdue"], row["open_total"]) == (HUGE, HUGE)


def test_the_forecast_refuses_a_total_it_cannot_hold(led) -> None:
    from workbench.forecast import forecast

    with pytest.raises(SumOverflowError, match="the forecast's open amount of one entity and currency reaches"):
        forecast(led, AS_OF, weeks=4)


def test_exact_sums_of_the_forecast_below_the_bound_use_int64() -> None:
    from workbench.forecast.core import _exact_sums

    values = np.asarray([[3, 4], [5, 6], [7, 8]], dtype=np.int64)
    assert _exact_sums(values, np.asarray([1, 0, 1]), 2).tolist() == [[5, 6], [10, 12]]
    big = np.full((N, 1), 10**15, dtype=np.int64)
    with pytest.raises(SumOverflowError):
        _exact_sums(big, np.zeros(N, dtype=np.int64), 1)
    half = np.full((N, 1), 10**14, dtype=np.int64)  # 10**18: fits, summed on Python integers past the quick bound
    assert _exact_sums(half, np.zeros(N, dtype=np.int64), 1).tolist() == [[10**18]]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=300)


def test_the_cli_prints_exact_totals_and_a_clear_error_for_the_forecast(big) -> None:
    kpis = _cli("kpis", "--ledger", str(big), "--as-of", AS_OF.isoformat())
    assert kpis.returncode == 0, kpis.stderr
    figures = json.loads(kpis.stdout)
    assert figures["total_ar"] == "10000000000000250.00" and figures["overdue"] == "10000000000000000.00"
    aging = _cli("aging", "--ledger", str(big), "--as-of", AS_OF.isoformat(), "--by", "collector", "--format", "json")
    assert aging.returncode == 0, aging.stderr
    rows = {r["collector"]: r["total"] for r in json.loads(aging.stdout)["rows"]}
    assert rows == {"Ann": "10000000000000000.00", "Bob": "250.00"}
    fc = _cli("forecast", "--ledger", str(big), "--as-of", AS_OF.isoformat())
    assert fc.returncode == 2 and "Traceback" not in fc.stderr
    assert (
        "error: the forecast's open amount of one entity and currency reaches 10,000,000,000,000,250.000 units"
        in fc.stderr
    )


def test_ten_thousand_allocations_of_a_trillion_to_one_invoice_are_over_allocation_not_a_wrapped_total(
    tmp_path,
) -> None:
    """An Int64 total of the allocations to one invoice wrapped negative and let every one of them through."""
    from .builders import alloc, pay

    from workbench.ledger.stream import validate_ledger

    folder = tmp_path / "ledger"
    payments = [pay(f"P{n}", "2026-11-02", "1000000000000.00", customer="C1", entity="E1") for n in range(N)]
    allocations = [alloc(f"P{n}", "I0", "1000000000000.00", "2026-11-02") for n in range(N)]
    write_ledger(
        folder,
        customers=CUSTOMERS,
        documents=[inv("I0", "2026-10-01", "2026-11-01", "1000000000000.00", entity="E1")],
        payments=payments,
        allocations=allocations,
    )
    ledger = load_ledger(folder)
    assert ledger.allocations.height == 1  # the first allocation settles the invoice; the others exceed it
    assert ledger.report.files["allocations.csv"].rows_quarantined == N - 1
    assert all("exceed" in i.reason for i in ledger.report.issues if i.file == "allocations.csv")
    streamed = validate_ledger(folder, lambda batch: None, chunk_bytes=64_000)
    assert streamed.files["allocations.csv"].rows_quarantined == N - 1
