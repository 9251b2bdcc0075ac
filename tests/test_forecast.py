"""The cash-in forecast model: no look-ahead, invariants, business-day landing, accuracy, any ledger."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import alloc, inv, ledger, pay
from workbench import calendar
from workbench.demo import generate_demo
from workbench.forecast import backtest, forecast
from workbench.ledger import load_ledger

D = date(2026, 6, 17)  # a Wednesday inside the small demo's history


@pytest.fixture(scope="module")
def demo(small_demo):
    return load_ledger(small_demo)


def _known_at(led, day: date):
    """The ledger as it stood at the end of ``day``: nothing dated after it."""
    docs = led.documents.filter(pl.col("doc_date") <= day)
    pays = led.payments.filter(pl.col("value_date") <= day)
    allocs = led.allocations.filter(pl.col("allocation_date") <= day)
    return dataclasses.replace(led, documents=docs, payments=pays, allocations=allocs)


def _same(a, b):
    for name in ("weekly", "total", "cumulative", "items", "customers", "adjustments"):
        assert getattr(a, name).equals(getattr(b, name)), name


def test_no_look_ahead(demo):
    full = forecast(demo, D)
    _same(full, forecast(_known_at(demo, D), D))
    # moving every later allocation further out (and dropping later payments) changes nothing at D
    later = demo.allocations.with_columns(
        pl.when(pl.col("allocation_date") > D)
        .then(pl.col("allocation_date") + timedelta(days=40))
        .otherwise(pl.col("allocation_date"))
        .alias("allocation_date")
    )
    _same(full, forecast(dataclasses.replace(demo, allocations=later), D))
    # ... while a forecast at a later date sees them
    assert not forecast(demo, D + timedelta(days=7)).total.equals(full.total)


def test_shapes_and_columns(demo):
    fc = forecast(demo, D, 13)
    assert fc.weekly.columns == ["week_start", "entity", "currency", "expected", "p10", "p90", "expected_reporting"]
    assert fc.weekly["week_start"].dt.weekday().unique().to_list() == [1]  # Mondays
    assert fc.total.height == 13 and fc.total["week_start"][0] == date(2026, 6, 15)
    assert fc.items.height == fc.items["document_id"].n_unique()
    assert {"expected_date", "expected_week", "prob_in_horizon", "p_week_1", "p_week_13"} <= set(fc.items.columns)
    # each shown figure is rounded on its own: sums of shown weeks may differ from shown totals by cents
    cent = Decimal("0.01")
    assert abs(fc.total["expected"].sum() - fc.cumulative.filter(pl.col("week") == 13)["expected"].item()) <= 13 * cent
    assert abs(fc.weekly["expected_reporting"].sum() - fc.total["expected"].sum()) <= cent * fc.weekly.height


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offset=st.integers(min_value=0, max_value=700),
    weeks=st.integers(min_value=1, max_value=13),
    entity=st.sampled_from([None, "FR01", "DE01", "US01"]),
    flags=st.booleans(),
)
def test_invariants(demo, offset, weeks, entity, flags):
    day = date(2024, 12, 1) + timedelta(days=offset)
    fc = forecast(demo, day, weeks, entity=entity, flags=flags)
    items = fc.items
    assert (items["expected_in_horizon"] <= items["open_document"]).all()
    assert items["prob_in_horizon"].is_between(0.0, 1.0).all()
    week_probs = items.select(pl.sum_horizontal([f"p_week_{k}" for k in range(1, weeks + 1)])).to_series()
    assert (week_probs <= items["prob_in_horizon"] + 1e-9).all()
    for k in range(1, weeks + 1):
        assert items[f"p_week_{k}"].is_between(0.0, 1.0).all()
    for frame in (fc.weekly, fc.total, fc.cumulative):
        assert ((frame["p10"] <= frame["expected"]) & (frame["expected"] <= frame["p90"])).all()
        assert (frame["p10"] >= 0).all()
    open_by = items.group_by("entity", "currency").agg(pl.col("open_document").sum())
    got_by = fc.weekly.group_by("entity", "currency").agg(pl.col("expected").sum())
    joined = got_by.join(open_by, on=["entity", "currency"], how="left")
    assert (joined["expected"] <= joined["open_document"].fill_null(Decimal(0))).all()
    assert fc.cumulative["expected"].is_sorted()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 300),
            st.sampled_from([0, 14, 30, 60]),
            st.integers(1, 500_000),
            st.one_of(st.none(), st.integers(-20, 120)),
            st.sampled_from(["C1", "C2"]),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(100, 420),
)
def test_invariants_on_random_small_ledgers(tmp_path_factory, rows, as_of_offset):
    start = date(2025, 1, 1)
    documents, payments, allocations = [], [], []
    for n, (doc_off, terms, cents, delay, cust) in enumerate(rows):
        doc = start + timedelta(days=doc_off)
        due = doc + timedelta(days=terms)
        amount = f"{cents // 100}.{cents % 100:02d}"
        documents.append(inv(f"I{n}", doc.isoformat(), due.isoformat(), amount, customer=cust))
        if delay is not None:
            paid = max(doc, due + timedelta(days=delay))
            payments.append(pay(f"P{n}", paid.isoformat(), amount, customer=cust))
            allocations.append(alloc(f"P{n}", f"I{n}", amount, paid.isoformat()))
    customers = [
        {"customer_id": c, "name": c, "country": k, "currency": "EUR"} for c, k in (("C1", "FR"), ("C2", "ZZ"))
    ]
    led = ledger(
        tmp_path_factory.mktemp("random"),
        customers=customers,
        documents=documents,
        payments=payments,
        allocations=allocations,
    )
    fc = forecast(led, start + timedelta(days=as_of_offset))
    assert (fc.items["expected_in_horizon"] <= fc.items["open_document"]).all()
    assert fc.items["prob_in_horizon"].is_between(0.0, 1.0).all()
    for frame in (fc.weekly, fc.total, fc.cumulative):
        assert ((frame["p10"] <= frame["expected"]) & (frame["expected"] <= frame["p90"])).all()


def _holiday_ledger(tmp_path: Path, country: str):
    """One customer who always pays exactly on the due date; open invoices due around 14 July 2026."""
    documents, payments, allocations = [], [], []
    first = date(2025, 6, 2)
    for n in range(40):
        doc = first + timedelta(days=7 * n)
        due = doc + timedelta(days=30)
        documents.append(inv(f"H{n}", doc.isoformat(), due.isoformat(), "100.00"))
        if calendar.is_business_day(country, due) and due <= date(2026, 6, 30):
            payments.append(pay(f"P{n}", due.isoformat(), "100.00"))
            allocations.append(alloc(f"P{n}", f"H{n}", "100.00", due.isoformat()))
    for n, due in enumerate([date(2026, 7, 13), date(2026, 7, 14), date(2026, 7, 15), date(2026, 7, 18)]):
        documents.append(inv(f"J{n}", (due - timedelta(days=30)).isoformat(), due.isoformat(), "1000.00"))
    customers = [{"customer_id": "C1", "name": "Alpha", "country": country, "currency": "EUR"}]
    return ledger(
        tmp_path / country, customers=customers, documents=documents, payments=payments, allocations=allocations
    )


def test_payments_land_on_business_days(tmp_path):
    fr = forecast(_holiday_ledger(tmp_path, "FR"), date(2026, 7, 10))
    dates = [d for d in fr.items["expected_date"].to_list() if d is not None]
    assert dates and all(calendar.is_business_day("FR", d) for d in dates)
    assert date(2026, 7, 14) not in dates  # the Fête nationale is never a payment date
    assert fr.items.filter(pl.col("document_id") == "J1")["expected_date"].item() == date(2026, 7, 15)
    assert fr.items.filter(pl.col("document_id") == "J3")["expected_date"].item() == date(2026, 7, 20)
    de = forecast(_holiday_ledger(tmp_path, "DE"), date(2026, 7, 10))
    assert de.items.filter(pl.col("document_id") == "J1")["expected_date"].item() == date(2026, 7, 14)


def test_friday_as_of_expects_nothing_over_the_weekend(demo):
    fc = forecast(demo, date(2026, 6, 19))  # a Friday: week 1 is Saturday and Sunday
    assert fc.total["expected"][0] == 0
    assert fc.total["expected"][1] > 0


@pytest.fixture(scope="module")
def demo_300(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_300") / "ledger"
    generate_demo(folder, customers=300, seed=7)
    return load_ledger(folder)


def test_model_beats_both_baselines_at_every_horizon(demo_300):
    end = date(2026, 8, 19)  # Wednesdays, so that week 1 has business days; actuals exist up to 2026-11-20
    table = backtest(demo_300, end - timedelta(weeks=25), end)
    assert table.columns == ["horizon", "method", "wape", "bias", "weeks"]
    assert table.height == 9
    wape = {(h, m): w for h, m, w in table.select("horizon", "method", "wape").iter_rows()}
    for group in ("1", "2-4", "5-13"):
        assert wape[(group, "model")] < wape[(group, "due_date")], group
        assert wape[(group, "model")] < wape[(group, "average_delay")], group
    weeks = dict(table.filter(pl.col("method") == "model").select("horizon", "weeks").iter_rows())
    assert weeks == {"1": 26, "2-4": 78, "5-13": 234}


def test_generic_import_ledger(tmp_path):
    """Invoice dates, due dates and settled dates only: no entity, no status, one payment per invoice."""
    from workbench.importers import import_generic

    lines = ["invoiceNumber,customerID,countryCode,InvoiceDate,DueDate,InvoiceAmount,SettledDate"]
    start = date(2024, 1, 1)
    for c in range(12):
        for n in range(30):
            doc = start + timedelta(days=11 * n + c)
            due = doc + timedelta(days=30)
            settled = due + timedelta(days=(c * 3) % 25 - 2)
            shown = "" if settled > date(2025, 1, 20) or (n + c) % 17 == 0 else settled.strftime("%m/%d/%Y")
            lines.append(
                f"{c:03d}-{n:04d},CUST{c:02d},{'FR' if c % 2 else 'US'},{doc:%m/%d/%Y},{due:%m/%d/%Y},"
                f"{100 + 7 * n}.{c:02d},{shown}"
            )
    source = tmp_path / "flat.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = {
        "source": {"delimiter": ",", "encoding": "utf-8", "date_format": "%m/%d/%Y", "decimal": ".", "thousands": ""},
        "defaults": {"currency": "USD", "doc_type": "invoice", "payment_terms_days": 30},
        "columns": {
            "document_id": "invoiceNumber",
            "customer_id": "customerID",
            "country": "countryCode",
            "doc_date": "InvoiceDate",
            "due_date": "DueDate",
            "amount": "InvoiceAmount",
            "settled_date": "SettledDate",
        },
    }
    import_generic(source, mapping, tmp_path / "ledger")
    led = load_ledger(tmp_path / "ledger")
    fc = forecast(led, date(2024, 12, 1))
    assert fc.items.height > 0 and fc.total["expected"].sum() > 0
    assert fc.items.filter(pl.col("days_past_due") < 0)["expected_date"].null_count() == 0
    assert fc.weekly["entity"].unique().to_list() == ["MAIN"]
    table = backtest(led, date(2024, 6, 2), date(2024, 9, 29))
    assert table.height == 9 and table["weeks"].min() > 0


def test_empty_ledger(tmp_path):
    led = ledger(tmp_path / "empty")
    fc = forecast(led, date(2026, 1, 7))
    assert fc.items.height == 0 and fc.weekly.height == 0
    assert fc.total["expected"].sum() == 0 and fc.total.height == 13
