"""Tests of the demo company generator (workbench.demo).

Every integrity rule of the ledger format is checked here directly with
polars on the written files, independently of the workbench's own loader.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from workbench.demo import DEFAULT_AS_OF, DemoSummary, behaviour_profiles, generate_demo

TABLES = ("customers", "documents", "payments", "allocations", "fx_rates", "orders", "financials")
MONEY = {
    "customers": ("credit_limit", "insured_limit"),
    "documents": ("amount",),
    "payments": ("amount",),
    "allocations": ("amount",),
    "orders": ("amount",),
    "financials": (
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
    ),
}
DATES = {
    "documents": ("doc_date", "due_date", "service_start", "service_end"),
    "payments": ("value_date",),
    "allocations": ("allocation_date",),
    "fx_rates": ("date",),
    "orders": ("order_date", "expected_invoice_date"),
    "financials": ("period_end",),
}
WEEKEND_AS_OF = date(2025, 6, 15)  # a Sunday
LEAP_AS_OF = date(2024, 2, 29)


def read_raw(folder: Path, table: str) -> pl.DataFrame:
    """A CSV table with every column as text (empty field = null)."""
    return pl.read_csv(folder / f"{table}.csv", infer_schema=False)


def read_typed(folder: Path, table: str) -> pl.DataFrame:
    """A CSV table with money as Decimal(18, 2) and dates as Date (strict parsing)."""
    frame = read_raw(folder, table)
    casts = [pl.col(c).cast(pl.Decimal(18, 2), strict=True) for c in MONEY.get(table, ())]
    casts += [pl.col(c).str.to_date("%Y-%m-%d", strict=True) for c in DATES.get(table, ())]
    return frame.with_columns(casts) if casts else frame


class Ledger:
    """The typed tables of one generated folder."""

    def __init__(self, folder: Path, as_of: date, summary: DemoSummary) -> None:
        self.folder = folder
        self.as_of = as_of
        self.summary = summary
        for table in TABLES:
            setattr(self, table, read_typed(folder, table))

    customers: pl.DataFrame
    documents: pl.DataFrame
    payments: pl.DataFrame
    allocations: pl.DataFrame
    fx_rates: pl.DataFrame
    orders: pl.DataFrame
    financials: pl.DataFrame

    def sources(self) -> pl.DataFrame:
        """Payments and credit notes as allocation sources: id, customer, currency, date, amount."""
        pays = self.payments.select(
            pl.col("payment_id").alias("source_id"),
            "customer_id",
            "currency",
            pl.col("value_date").alias("source_date"),
            "amount",
        )
        notes = self.documents.filter(pl.col("doc_type") == "credit_note").select(
            pl.col("document_id").alias("source_id"),
            "customer_id",
            "currency",
            pl.col("doc_date").alias("source_date"),
            "amount",
        )
        return pl.concat([pays, notes])


def _generate(path: Path, as_of: date = DEFAULT_AS_OF, **kwargs: object) -> Ledger:
    summary = generate_demo(path, as_of=as_of, **kwargs)  # type: ignore[arg-type]
    return Ledger(path, as_of, summary)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return _generate(tmp_path_factory.mktemp("small"), seed=7, customers=60)


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return _generate(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module", params=["small", "weekend", "leap"])
def ledger(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """Ledgers on which every integrity rule must hold."""
    if request.param == "small":
        return request.getfixturevalue("small")
    as_of = WEEKEND_AS_OF if request.param == "weekend" else LEAP_AS_OF
    return _generate(tmp_path_factory.mktemp(request.param), as_of=as_of, seed=3, customers=40)


# --- folder, summary, determinism ----------------------------------------------------------


def test_folder_holds_every_table_and_summary_counts_rows(small: Ledger) -> None:
    config = tomllib.loads((small.folder / "ledger.toml").read_text(encoding="utf-8"))
    assert config["company"] == "Demo Industries Group"
    assert config["reporting_currency"] == "EUR"
    assert small.summary.path == small.folder
    for table in TABLES:
        assert small.summary.rows[f"{table}.csv"] == getattr(small, table).height
    assert small.summary.customers == 60
    assert small.summary.documents > 1000


def test_same_arguments_give_byte_identical_files(small: Ledger, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", seed=7, customers=60)
    assert again == replace(small.summary, path=tmp_path / "again")
    for name in ["ledger.toml", *(f"{t}.csv" for t in TABLES)]:
        assert (tmp_path / "again" / name).read_bytes() == (small.folder / name).read_bytes(), name


def test_another_seed_gives_different_data(small: Ledger, tmp_path: Path) -> None:
    generate_demo(tmp_path / "other", seed=8, customers=60)
    for table in ("customers", "documents", "payments", "allocations", "fx_rates"):
        assert (tmp_path / "other" / f"{table}.csv").read_bytes() != (small.folder / f"{table}.csv").read_bytes()


def test_progress_reports_every_stage(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_demo(tmp_path, customers=20, progress=lambda s, d, t: calls.append((s, d, t)))
    stages = [c[0] for c in calls]
    for stage in ("customers", "documents", "fx_rates", "orders", "financials"):
        assert stage in stages
    assert [c for c in calls if c[0] == "documents"][-1] == ("documents", 20, 20)
    assert all(0 <= d <= t for _, d, t in calls)


def test_invalid_arguments_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fmt"):
        generate_demo(tmp_path, fmt="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="customers"):
        generate_demo(tmp_path, customers=3)
    with pytest.raises(ValueError, match="seed"):
        generate_demo(tmp_path, seed=-1)


# --- integrity rules of LEDGER_FORMAT.md -----------------------------------------------------


def test_keys_are_unique(ledger: Ledger) -> None:
    assert ledger.customers["customer_id"].is_unique().all()
    assert ledger.documents["document_id"].is_unique().all()
    assert ledger.payments["payment_id"].is_unique().all()
    assert ledger.orders["order_id"].is_unique().all()
    assert ledger.fx_rates.select(pl.struct("date", "currency").is_unique().all()).item()
    assert ledger.financials.select(pl.struct("customer_id", "period_end").is_unique().all()).item()
    # a source id must name one thing only
    assert not set(ledger.payments["payment_id"]) & set(ledger.documents["document_id"])


def test_references_resolve(ledger: Ledger) -> None:
    customer_ids = set(ledger.customers["customer_id"])
    assert set(ledger.documents["customer_id"]) <= customer_ids
    assert set(ledger.payments["customer_id"].drop_nulls()) <= customer_ids
    assert set(ledger.orders["customer_id"]) <= customer_ids
    assert set(ledger.financials["customer_id"]) <= customer_ids
    parents = ledger.customers.filter(pl.col("parent_id").is_not_null())
    assert set(parents["parent_id"]) <= customer_ids
    assert (parents["parent_id"] != parents["customer_id"]).all()
    receivables = ledger.documents.filter(pl.col("doc_type") != "credit_note")
    assert set(ledger.allocations["document_id"]) <= set(receivables["document_id"])
    assert set(ledger.allocations["source_id"]) <= set(ledger.sources()["source_id"])
    assert set(ledger.documents["doc_type"]) == {"invoice", "debit_note", "credit_note"}


def test_amounts_are_positive_with_two_decimals(ledger: Ledger) -> None:
    for table in ("customers", "documents", "payments", "allocations", "orders"):
        raw = read_raw(ledger.folder, table)
        for column in MONEY[table]:
            values = raw[column].drop_nulls()
            assert values.len() > 0, (table, column)
            assert values.str.contains(r"^[0-9]+\.[0-9]{2}$").all(), (table, column)
            assert (getattr(ledger, table)[column].drop_nulls() > 0).all(), (table, column)
    rates = read_raw(ledger.folder, "fx_rates")["rate"]
    assert rates.str.contains(r"^[0-9]+\.[0-9]{6}$").all()


def test_dates_are_consistent(ledger: Ledger) -> None:
    docs = ledger.documents
    assert docs["due_date"].null_count() == 0
    assert (docs["due_date"] >= docs["doc_date"]).all()
    assert (docs["doc_date"] <= ledger.as_of).all()
    notes = docs.filter(pl.col("doc_type") == "credit_note")
    assert (notes["due_date"] == notes["doc_date"]).all()
    invoices = docs.filter(pl.col("doc_type") == "invoice").join(
        ledger.customers.select("customer_id", pl.col("payment_terms_days").cast(pl.Int64)), on="customer_id"
    )
    terms = (invoices["due_date"] - invoices["doc_date"]).dt.total_days()
    assert (terms == invoices["payment_terms_days"]).all()
    assert (ledger.payments["value_date"] <= ledger.as_of).all()
    assert docs["doc_date"].min() >= ledger.as_of - timedelta(days=3 * 366)
    orders = ledger.orders.drop_nulls("expected_invoice_date")
    assert (orders["expected_invoice_date"] >= orders["order_date"]).all()
    assert (ledger.orders["order_date"] <= ledger.as_of).all()


def test_allocations_never_exceed_document_or_source(ledger: Ledger) -> None:
    per_doc = ledger.allocations.group_by("document_id").agg(pl.col("amount").sum().alias("applied"))
    docs = per_doc.join(ledger.documents.select("document_id", "amount"), on="document_id")
    assert docs.height == per_doc.height
    assert (docs["applied"] <= docs["amount"]).all()
    per_source = ledger.allocations.group_by("source_id").agg(pl.col("amount").sum().alias("applied"))
    sources = per_source.join(ledger.sources(), on="source_id")
    assert sources.height == per_source.height
    assert (sources["applied"] <= sources["amount"]).all()
    assert (ledger.allocations["amount"] > 0).all()


def test_allocation_sides_share_currency_and_customer(ledger: Ledger) -> None:
    joined = ledger.allocations.join(ledger.sources(), on="source_id", suffix="_src").join(
        ledger.documents.select("document_id", "customer_id", "currency"), on="document_id", suffix="_doc"
    )
    assert joined.height == ledger.allocations.height
    assert (joined["currency"] == joined["currency_doc"]).all()
    assert joined["customer_id"].null_count() == 0
    assert (joined["customer_id"] == joined["customer_id_doc"]).all()


def test_allocation_dates_follow_both_sides_and_precede_as_of(ledger: Ledger) -> None:
    joined = ledger.allocations.join(ledger.sources().select("source_id", "source_date"), on="source_id").join(
        ledger.documents.select("document_id", "doc_date"), on="document_id"
    )
    assert joined.height == ledger.allocations.height
    assert (joined["allocation_date"] >= joined["source_date"]).all()
    assert (joined["allocation_date"] >= joined["doc_date"]).all()
    assert (joined["allocation_date"] <= ledger.as_of).all()


def test_unidentified_payments_are_never_allocated(ledger: Ledger) -> None:
    unidentified = ledger.payments.filter(pl.col("customer_id").is_null())
    assert unidentified.height >= 5
    assert not set(unidentified["payment_id"]) & set(ledger.allocations["source_id"])


def test_fx_covers_every_document_date(ledger: Ledger) -> None:
    fx = ledger.fx_rates
    assert set(fx["currency"]) == {"USD", "GBP", "BRL", "MXN"}
    assert (fx["date"].dt.weekday() <= 5).all()
    assert fx["date"].max() <= ledger.as_of
    docs = ledger.documents.filter(pl.col("currency") != "EUR").select("currency", "doc_date").sort("doc_date")
    matched = docs.join_asof(
        fx.sort("date").rename({"date": "rate_date"}),
        left_on="doc_date",
        right_on="rate_date",
        by="currency",
        strategy="backward",
        check_sortedness=False,  # both sorted by date above
    )
    assert matched["rate"].null_count() == 0
    for currency in ("USD", "GBP", "BRL", "MXN"):
        dates = fx.filter(pl.col("currency") == currency)["date"]
        assert dates.min() <= ledger.documents["doc_date"].min()
        business_days = pl.date_range(dates.min(), ledger.as_of, eager=True).filter(
            pl.date_range(dates.min(), ledger.as_of, eager=True).dt.weekday() <= 5
        )
        assert dates.sort().to_list() == business_days.to_list(), currency


# --- realism -------------------------------------------------------------------------------------


def test_customer_base_is_realistic(default: Ledger) -> None:
    cust = default.customers
    assert cust.height == 1500
    assert cust["country"].n_unique() == 12
    assert set(cust["currency"]) == {"EUR", "USD", "GBP", "BRL", "MXN"}
    assert set(cust["entity"]) == {"FR01", "DE01", "US01"}
    assert set(cust["language"]) == {"fr", "de", "es", "pt", "en"}
    assert cust["collector"].n_unique() == 6
    assert cust["sales_rep"].n_unique() == 10
    for column in (
        "name",
        "email",
        "phone",
        "vat_id",
        "segment",
        "credit_limit",
        "external_score",
        "status",
        "payment_terms_days",
        "credit_limit_currency",
        "collector",
        "sales_rep",
    ):
        assert cust[column].null_count() == 0, column
    assert 0.2 < cust["insured_limit"].is_not_null().mean() < 0.7
    assert 5 <= cust["parent_id"].is_not_null().sum() <= 150
    score = cust["external_score"].cast(pl.Int64)
    assert score.min() >= 0 and score.max() <= 100
    status = cust["status"].value_counts().rows_by_key("status", unique=True)
    assert status["active"][0] / 1500 > 0.9
    assert 0.02 <= status["hold"][0] / 1500 <= 0.05
    assert 0.004 <= status["litigation"][0] / 1500 <= 0.02
    assert {"suspended", "closed"} <= set(status)
    assert set(cust["payment_terms_days"].cast(pl.Int64)) == {14, 30, 45, 60, 90}
    insured = cust.drop_nulls("insured_limit")
    assert (insured["insured_limit"] <= insured["credit_limit"]).all()


def test_names_include_tricky_characters_and_survive_csv(default: Ledger) -> None:
    names = default.customers["name"]
    assert (names == "<script>alert('x')</script> Trading").sum() == 1
    assert names.str.starts_with('=HYPERLINK("http://x")').sum() == 1
    assert names.str.contains(",", literal=True).sum() >= 5
    assert names.str.contains("'", literal=True).sum() >= 5
    assert names.str.contains("&", literal=True).sum() >= 5
    raw = (default.folder / "customers.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://x"") Supplies"' in raw
    assert ",<script>alert('x')</script> Trading," in raw  # quoted only when needed


def test_documents_and_payments_show_every_pattern(default: Ledger) -> None:
    docs, allocs, pays = default.documents, default.allocations, default.payments
    assert 90_000 <= docs.height <= 110_000
    counts = docs["doc_type"].value_counts().rows_by_key("doc_type", unique=True)
    assert 0.03 <= counts["credit_note"][0] / counts["invoice"][0] <= 0.07
    assert 0.002 <= counts["debit_note"][0] / docs.height <= 0.02
    assert docs.filter(pl.col("doc_type") == "invoice")["reference"].null_count() == 0
    assert docs.filter(pl.col("doc_type") == "invoice")["po_number"].is_not_null().mean() > 0.6
    assert docs["entity"].is_not_null().mean() > 0.9
    per_payment = (
        allocs.filter(pl.col("source_id").str.starts_with("PAY"))
        .group_by("source_id")
        .agg(pl.len().alias("n"), pl.col("amount").sum().alias("applied"))
    )
    assert per_payment.filter(pl.col("n") > 1).height > 100  # grouped payments
    instalments = allocs.filter(pl.col("source_id").str.starts_with("PAY")).group_by("document_id").len()
    assert instalments.filter(pl.col("len") > 1).height > 100  # partial payments
    applied = pays.join(per_payment, left_on="payment_id", right_on="source_id", how="left")
    assert applied.filter(pl.col("applied") < pl.col("amount")).height >= 5  # overpayments
    identified = applied.filter(pl.col("customer_id").is_not_null())
    assert 5 <= identified["applied"].null_count() <= 0.01 * identified.height  # received, not yet allocated
    assert 15 <= applied.filter(pl.col("customer_id").is_null()).height <= 25  # unidentified
    lag = allocs.join(pays.select("payment_id", "value_date"), left_on="source_id", right_on="payment_id")
    late = (lag["allocation_date"] > lag["value_date"]).mean()
    assert 0.05 < late < 0.3
    open_items = _open_items(default)
    partly = open_items.filter((pl.col("open") > 0) & (pl.col("open") < pl.col("amount")))
    assert partly.height > 50
    open_invoices = open_items.filter((pl.col("open") > 0) & (pl.col("doc_type") == "invoice"))
    assert 0.015 <= (open_invoices["disputed"] == "true").mean() <= 0.05
    assert docs.filter(pl.col("disputed") == "false")["dispute_reason"].is_null().all()
    assert docs.filter(pl.col("disputed") == "true")["dispute_reason"].is_not_null().all()
    assert set(docs["dispute_reason"].drop_nulls()) == {
        "pricing",
        "quantity",
        "quality",
        "delivery",
        "duplicate billing",
        "missing PO",
    }


def _open_items(ledger: Ledger) -> pl.DataFrame:
    applied = ledger.allocations.group_by("document_id").agg(pl.col("amount").sum().alias("applied"))
    return (
        ledger.documents.filter(pl.col("doc_type") != "credit_note")
        .join(applied, on="document_id", how="left")
        .with_columns(open=pl.col("amount") - pl.col("applied").fill_null(0))
        .with_columns(dpd=(pl.lit(ledger.as_of) - pl.col("due_date")).dt.total_days())
    )


def test_behaviour_profiles_really_differ(default: Ledger) -> None:
    profiles = behaviour_profiles()
    assert profiles.height == 1500
    assert set(profiles["profile"]) == {"prompt", "slow", "erratic", "deteriorating", "defaulting"}
    items = _open_items(default).join(profiles, on="customer_id")
    share = (
        items.group_by("profile")
        .agg(
            over90=pl.col("open").filter(pl.col("dpd") > 90).sum().cast(pl.Float64),
            overdue=pl.col("open").filter(pl.col("dpd") > 0).sum().cast(pl.Float64),
            open=pl.col("open").sum().cast(pl.Float64),
        )
        .with_columns(p90=pl.col("over90") / pl.col("open"), pod=pl.col("overdue") / pl.col("open"))
        .rows_by_key("profile", named=True, unique=True)
    )
    assert share["defaulting"]["p90"] > 0.5
    assert share["prompt"]["p90"] < 0.15
    assert share["defaulting"]["p90"] > 5 * share["prompt"]["p90"]
    assert share["slow"]["pod"] > 2 * share["prompt"]["pod"]
    # defaulting customers leave a large part of what they were billed unpaid for 90+ days
    per_customer = (
        items.group_by("customer_id", "profile")
        .agg(
            over90=pl.col("open").filter(pl.col("dpd") > 90).sum().cast(pl.Float64),
            billed=pl.col("amount").sum().cast(pl.Float64),
        )
        .group_by("profile")
        .agg(with90=(pl.col("over90") > 0).mean(), ratio=pl.col("over90").sum() / pl.col("billed").sum())
        .rows_by_key("profile", named=True, unique=True)
    )
    assert per_customer["defaulting"]["with90"] > 0.9
    assert per_customer["defaulting"]["ratio"] > 0.05
    assert per_customer["defaulting"]["ratio"] > 20 * per_customer["prompt"]["ratio"]
    # days late of fully paid invoices, by profile and period
    documents = items.select("document_id", pl.col("amount").alias("doc_amount"), "due_date", "profile")
    paid = (
        default.allocations.join(documents, on="document_id")
        .group_by("document_id", "profile", "due_date", "doc_amount")
        .agg(pl.col("amount").sum().alias("applied"), pl.col("allocation_date").max().alias("settled"))
        .filter(pl.col("applied") == pl.col("doc_amount"))
        .with_columns(
            late=(pl.col("settled") - pl.col("due_date")).dt.total_days(),
            recent=pl.col("due_date") > default.as_of - timedelta(days=150),
        )
    )
    late = paid.group_by("profile", "recent").agg(pl.col("late").mean()).rows_by_key(["profile", "recent"], unique=True)
    assert late[("prompt", False)][0] < 5
    assert 15 <= late[("slow", False)][0] <= 40
    assert late[("deteriorating", True)][0] > late[("deteriorating", False)][0] + 15
    spread = paid.group_by("profile").agg(pl.col("late").std()).rows_by_key("profile", unique=True)
    assert spread["erratic"][0] > 3 * spread["prompt"][0]
    assert spread["erratic"][0] > 1.8 * spread["slow"][0]


def test_orders_and_financials_are_plausible(default: Ledger) -> None:
    orders = default.orders
    share = orders["customer_id"].n_unique() / default.customers.height
    assert 0.12 <= share <= 0.28
    assert (orders["order_date"] >= default.as_of - timedelta(days=45)).all()
    assert (orders.drop_nulls("expected_invoice_date")["expected_invoice_date"] > default.as_of).all()
    fin = default.financials
    assert 0.3 <= fin["customer_id"].n_unique() / default.customers.height <= 0.5
    periods = fin.group_by("customer_id").len()["len"]
    assert set(periods) == {2, 3}
    assert ((fin["period_end"].dt.month() == 12) & (fin["period_end"].dt.day() == 31)).all()
    assert (fin["period_end"] <= default.as_of).all()
    assert (fin["equity"] == fin["total_assets"] - fin["total_liabilities"]).all()
    assert (fin["current_assets"] < fin["total_assets"]).all()
    assert (fin["current_liabilities"] <= fin["total_liabilities"]).all()
    assert (fin["net_income"] < 0).sum() > 20
    assert 0 < fin["market_value_equity"].null_count() < fin.height


# --- formats and scale ------------------------------------------------------------------------------


def test_parquet_round_trips_to_the_csv_rows(small: Ledger, tmp_path: Path) -> None:
    summary = generate_demo(tmp_path, seed=7, customers=60, fmt="parquet")
    assert summary.rows == {k.replace(".csv", ".parquet"): v for k, v in small.summary.rows.items()}
    docs = pl.read_parquet(tmp_path / "documents.parquet")
    assert docs.schema["amount"] == pl.Decimal(18, 2)
    assert docs.schema["doc_date"] == pl.Date
    for table in TABLES:
        frame = pl.read_parquet(tmp_path / f"{table}.parquet")
        assert frame.write_csv().encode("utf-8") == (small.folder / f"{table}.csv").read_bytes(), table
    generate_demo(tmp_path, seed=7, customers=60, fmt="csv")  # switching format removes the twins
    assert not list(tmp_path.glob("*.parquet"))


def test_documents_argument_scales_the_ledger(tmp_path: Path) -> None:
    summary = generate_demo(tmp_path, documents=200_000, fmt="parquet")
    assert 180_000 <= summary.documents <= 220_000
    assert pl.read_parquet(tmp_path / "documents.parquet").height == summary.documents
    assert summary.customers == 1500
