"""Loading and validation: every bad row is reported with file, line and reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from workbench.errors import LedgerReadError
from workbench.ledger import load_ledger

from .builders import alloc, inv, pay, write_ledger, write_table

D = Decimal


def issues_of(led, file):
    return [(i.line, i.reason) for i in led.report.issues if i.file == file]


def test_clean_ledger_loads_with_ties(tmp_path) -> None:
    led = load_ledger(
        write_ledger(
            tmp_path,
            documents=[inv("A", "2025-01-01", "2025-01-31", "10.50")],
            payments=[pay("P", "2025-01-05", "4.25")],
            allocations=[alloc("P", "A", "4.25", "2025-01-05")],
        )
    )
    assert led.report.issues == []
    docs = led.report.files["documents.csv"]
    assert (docs.rows_read, docs.rows_loaded, docs.rows_quarantined) == (1, 1, 0)
    assert (docs.amount_read, docs.amount_loaded, docs.amount_quarantined) == (D("10.50"), D("10.50"), D("0"))
    assert led.documents["amount"].to_list() == [10_500]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (inv("A", "2025-02-30", "2025-03-01", "1.00"), "doc_date '2025-02-30' is not a valid date"),
        (inv("A", "01/02/2025", "2025-03-01", "1.00"), "doc_date '01/02/2025' is not a valid date"),
        (inv("A", "2025-02-01", "2025-01-01", "1.00"), "due_date is before doc_date"),
        (
            inv("A", "0202-02-01", "2025-03-01", "1.00"),
            "doc_date '0202-02-01' is outside the supported range 1970-01-01 to 2100-12-31",
        ),
        (inv("A", "2025-02-01", "9999-03-01", "1.00"), "due_date '9999-03-01' is outside the supported range"),
        (inv("A", "2025-02-01", "", "1.00"), "due_date is missing"),
        (inv("A", "2025-02-01", "2025-03-01", "-1.00"), "amount '-1.00' is negative"),
        (inv("A", "2025-02-01", "2025-03-01", "0.00"), "amount '0.00' is zero"),
        (inv("A", "2025-02-01", "2025-03-01", "1,50"), "amount '1,50' is not a plain decimal number"),
        (inv("A", "2025-02-01", "2025-03-01", "1.505"), "amount has more decimals than EUR allows"),
        (inv("A", "2025-02-01", "2025-03-01", "1.00", customer="NOPE"), "customer_id 'NOPE' is not in customers.csv"),
        (inv("A", "2025-02-01", "2025-03-01", "1.00", currency="eur"), "currency 'eur' is not an ISO 4217 code"),
        ({**inv("A", "2025-02-01", "2025-03-01", "1.00"), "doc_type": "bill"}, "doc_type 'bill' is not one of"),
        ({**inv("A", "2025-02-01", "2025-03-01", "1.00"), "disputed": "maybe"}, "disputed 'maybe' is not true/false"),
        ({**inv("", "2025-02-01", "2025-03-01", "1.00")}, "document_id is missing"),
    ],
)
def test_each_document_defect_is_quarantined_with_its_reason(tmp_path, row, reason) -> None:
    good = inv("G", "2025-01-01", "2025-01-31", "5.00")
    led = load_ledger(write_ledger(tmp_path, documents=[good, row]))
    [(line, text)] = issues_of(led, "documents.csv")
    assert line == 3 and reason in text
    report = led.report.files["documents.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
    assert report.amount_read == report.amount_loaded + report.amount_quarantined
    assert led.report.quarantine["documents.csv"]["_line"].to_list() == [3]


def test_duplicate_keys_quarantine_the_later_row(tmp_path) -> None:
    docs = [
        inv("A", "2025-01-01", "2025-01-31", "5.00"),
        inv("B", "2025-01-01", "2025-01-31", "6.00"),
        inv("A", "2025-01-02", "2025-01-31", "7.00"),
    ]
    led = load_ledger(write_ledger(tmp_path, documents=docs))
    assert issues_of(led, "documents.csv") == [(4, "duplicate document_id 'A' (first at line 2)")]
    assert led.documents.sort("document_id")["amount"].to_list() == [5_000, 6_000]


def test_allocation_rules(tmp_path) -> None:
    customers = [
        {"customer_id": "C1", "name": "A", "country": "FR", "currency": "EUR"},
        {"customer_id": "C2", "name": "B", "country": "FR", "currency": "EUR"},
    ]
    docs = [
        inv("A", "2025-01-10", "2025-02-09", "100.00"),
        inv("B", "2025-01-10", "2025-02-09", "100.00", customer="C2"),
        inv("U", "2025-01-10", "2025-02-09", "100.00", currency="USD"),
    ]
    pays = [pay("P", "2025-01-20", "150.00"), pay("X", "2025-01-20", "10.00", customer=None)]
    allocs = [
        alloc("P", "A", "80.00", "2025-01-20"),  # 2 ok
        alloc("P", "A", "30.00", "2025-01-21"),  # 3 exceeds A (80 + 30 > 100)
        alloc("P", "B", "10.00", "2025-01-20"),  # 4 other customer
        alloc("P", "U", "10.00", "2025-01-20"),  # 5 other currency
        alloc("X", "A", "10.00", "2025-01-20"),  # 6 unidentified payment
        alloc("P", "A", "10.00", "2025-01-19"),  # 7 before the payment
        alloc("NOPE", "A", "1.00", "2025-01-20"),  # 8 unknown source
        alloc("P", "NOPE", "1.00", "2025-01-20"),  # 9 unknown document
        alloc("A", "A", "1.00", "2025-01-20"),  # 10 an invoice as source
        alloc("P", "A", "20.00", "2025-01-22"),  # 11 fits A (80 + 20) within P (150)
    ]
    led = load_ledger(
        write_ledger(
            tmp_path,
            customers=customers,
            documents=docs,
            payments=pays,
            allocations=allocs,
            fx=[{"date": "2025-01-01", "currency": "USD", "rate": "1"}],
        )
    )
    found = dict(issues_of(led, "allocations.csv"))
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "exceed its amount" in found[3]
    assert "source customer (C1) differs from the document's (C2)" in found[4]
    assert "currency of source (EUR) differs from the document's (USD)" in found[5]
    assert "unidentified" in found[6]
    assert "before the date of its source or document" in found[7]
    assert "source_id 'NOPE' is neither in payments.csv nor a credit note" in found[8]
    assert "document_id 'NOPE' is not in documents.csv" in found[9]
    assert "is an invoice or debit note" in found[10]
    assert led.allocations["amount"].sum() == 100_000


def test_reference_to_a_quarantined_row_says_so(tmp_path) -> None:
    docs = [inv("A", "2025-01-10", "2025-02-09", "abc")]
    led = load_ledger(
        write_ledger(
            tmp_path,
            documents=docs,
            payments=[pay("P", "2025-01-20", "5.00")],
            allocations=[alloc("P", "A", "5.00", "2025-01-20")],
        )
    )
    [(line, reason)] = issues_of(led, "allocations.csv")
    assert line == 2 and "(quarantined at documents.csv:2)" in reason


def test_encodings_bom_and_cp1252(tmp_path) -> None:
    write_ledger(tmp_path, documents=[inv("A", "2025-01-01", "2025-01-31", "5.00")])
    text = "customer_id,name,country,currency\nC1,Société Générale Équipement,FR,EUR\n"
    (tmp_path / "customers.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    led = load_ledger(tmp_path)
    assert led.customers["name"].to_list() == ["Société Générale Équipement"]
    assert led.report.issues == []
    (tmp_path / "customers.csv").write_bytes(text.encode("cp1252"))
    led = load_ledger(tmp_path)
    assert led.customers["name"].to_list() == ["Société Générale Équipement"]
    [note] = led.report.issues
    assert note.file == "customers.csv" and note.line == 2 and "read as cp1252" in note.reason
    assert note.quarantined is False


def test_truncated_file_and_ragged_rows(tmp_path) -> None:
    write_ledger(tmp_path, documents=[inv("A", "2025-01-01", "2025-01-31", "5.00")])
    path = tmp_path / "documents.csv"
    data = path.read_text() + "B,C1,invoice,2025-01-01,2025-01-31,EUR,6.00,,,,extra\nC,C1,invoice,2025-0"
    path.write_text(data)
    led = load_ledger(tmp_path)
    found = issues_of(led, "documents.csv")
    assert found[0] == (3, "has 11 fields, the header has 10")
    assert found[1][0] == 4 and "has 4 fields" in found[1][1] and "truncated" in found[1][1]
    report = led.report.files["documents.csv"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 1, 2)


def test_line_numbers_follow_quoted_newlines(tmp_path) -> None:
    write_ledger(tmp_path)
    (tmp_path / "customers.csv").write_text(
        'customer_id,name,country,currency\nC1,"Alpha\nSecond line",FR,EUR\n\nC2,"Beta, Inc",FR,EURO\n'
    )
    led = load_ledger(tmp_path)
    assert issues_of(led, "customers.csv") == [(5, "currency 'EURO' is not an ISO 4217 code")]
    assert led.customers["name"].to_list() == ["Alpha\nSecond line"]


def test_non_iso_country_is_kept_and_flagged(tmp_path) -> None:
    led = load_ledger(
        write_ledger(tmp_path, customers=[{"customer_id": "C1", "name": "A", "country": "XK", "currency": "EUR"}])
    )
    [issue] = led.report.issues
    assert (issue.line, issue.quarantined) == (2, False) and "not an ISO 3166-1" in issue.reason
    assert led.customers.height == 1


def test_missing_file_and_missing_column_are_clear_errors(tmp_path) -> None:
    write_ledger(tmp_path)
    (tmp_path / "documents.csv").unlink()
    with pytest.raises(LedgerReadError, match="documents.csv: required file is missing"):
        load_ledger(tmp_path)
    write_table(tmp_path, "documents", [], header=["document_id", "customer_id", "doc_type", "doc_date", "currency"])
    with pytest.raises(LedgerReadError, match=r"documents.csv: missing required column\(s\) amount"):
        load_ledger(tmp_path)
    with pytest.raises(LedgerReadError, match="no such ledger folder"):
        load_ledger(tmp_path / "nowhere")


def test_parquet_tables_load_like_csv(tmp_path) -> None:
    csv_dir = write_ledger(
        tmp_path / "csv",
        documents=[inv("A", "2025-01-01", "2025-01-31", "5.00"), inv("B", "2025-01-01", "2024-01-31", "6.00")],
    )
    pq_dir = tmp_path / "pq"
    pq_dir.mkdir()
    (pq_dir / "ledger.toml").write_text((csv_dir / "ledger.toml").read_text())
    for name in ("customers", "documents", "payments", "allocations", "fx_rates"):
        frame = pl.read_csv(csv_dir / f"{name}.csv", infer_schema=False)
        if name == "documents":
            frame = frame.with_columns(
                pl.col("doc_date", "due_date").str.to_date(), pl.col("amount").cast(pl.Decimal(18, 2))
            )
        frame.write_parquet(pq_dir / f"{name}.parquet")
    a, b = load_ledger(csv_dir), load_ledger(pq_dir)
    assert a.documents.equals(b.documents)
    assert [(i.line, i.reason) for i in b.report.issues] == [(2, "due_date is before doc_date")]


def test_excel_customers_and_documents(tmp_path) -> None:
    write_ledger(tmp_path, documents=[inv("A", "2025-01-01", "2025-01-31", "5.00")])
    for name in ("customers", "documents"):
        frame = pl.read_csv(tmp_path / f"{name}.csv", infer_schema=False)
        (tmp_path / f"{name}.csv").unlink()
        frame.write_excel(tmp_path / f"{name}.xlsx")
    led = load_ledger(tmp_path)
    assert led.documents["amount"].to_list() == [5_000]
    assert led.report.issues == []


def test_parquet_typed_columns_are_still_validated(tmp_path) -> None:
    write_ledger(tmp_path)
    frame = pl.DataFrame(
        {
            "document_id": ["A", "B", "C"],
            "customer_id": ["C1"] * 3,
            "doc_type": ["invoice"] * 3,
            "doc_date": [date(2025, 1, 1)] * 3,
            "due_date": [date(2025, 1, 31), date(2025, 1, 31), date(2024, 1, 1)],
            "currency": ["EUR"] * 3,
            "amount": [Decimal("5.00"), Decimal("-2.00"), Decimal("1.00")],
        },
        schema_overrides={"amount": pl.Decimal(18, 2)},
    )
    (tmp_path / "documents.csv").unlink()
    frame.write_parquet(tmp_path / "documents.parquet")
    led = load_ledger(tmp_path)
    assert [(i.line, i.reason) for i in led.report.issues] == [
        (2, "amount '-2.00' is negative (amounts are positive; a credit note has its own doc_type)"),
        (3, "due_date is before doc_date"),
    ]  # Parquet rows count from 1
    assert led.documents["amount"].to_list() == [5_000]
    floats = frame.with_columns(pl.Series("amount", [5.0, 0.1 + 0.2, 7.25]))
    floats.write_parquet(tmp_path / "documents.parquet")
    led = load_ledger(tmp_path)
    assert [(i.line, i.reason) for i in led.report.issues][0] == (
        2,
        "amount '0.30000000000000004' has more than 3 decimals",
    )


def test_amounts_above_the_row_bound_are_quarantined_in_csv_and_parquet(tmp_path) -> None:
    good = inv("G", "2025-01-01", "2025-01-31", "999999999999.99")  # just under one trillion: kept
    big = inv("B", "2025-01-01", "2025-01-31", "999999999999999.99")
    led = load_ledger(write_ledger(tmp_path / "csv", documents=[good, big]))
    assert issues_of(led, "documents.csv") == [
        (3, "amount '999999999999999.99' is above the largest amount accepted per row (1,000,000,000,000)")
    ]
    assert led.documents["amount"].to_list() == [999_999_999_999_990]
    folder = write_ledger(tmp_path / "pq")
    (folder / "documents.csv").unlink()
    pl.DataFrame(
        {
            "document_id": ["G", "B"],
            "customer_id": ["C1"] * 2,
            "doc_type": ["invoice"] * 2,
            "doc_date": [date(2025, 1, 1)] * 2,
            "due_date": [date(2025, 1, 31)] * 2,
            "currency": ["EUR"] * 2,
            "amount": [Decimal("5.00"), Decimal("100000000000000000000.00")],  # 1e20: once an Int64 overflow
        },
        schema_overrides={"amount": pl.Decimal(38, 2)},
    ).write_parquet(folder / "documents.parquet")
    led = load_ledger(folder)
    assert [(i.line, i.reason) for i in led.report.issues] == [
        (2, "amount '100000000000000000000.00' is above the largest amount accepted per row (1,000,000,000,000)")
    ]
    assert led.documents["amount"].to_list() == [5_000]


def test_sums_past_the_int64_range_stay_exact(tmp_path) -> None:
    """10,000 invoices of one trillion: 10^19 mills, past Int64 (9.2 * 10^18); the sums must not wrap."""
    from workbench.aging import aging
    from workbench.kpis import kpis

    docs = [inv(f"I{n}", "2026-10-01", "2026-11-01", "1000000000000.00") for n in range(10_000)]
    led = load_ledger(write_ledger(tmp_path, documents=docs))
    assert led.report.rows_quarantined == 0
    assert kpis(led, date(2026, 11, 20)).total_ar == Decimal("10000000000000000.00")
    assert aging(led, date(2026, 11, 20), by="customer")["gross_open"].to_list() == [Decimal("10000000000000000.00")]


def test_a_nul_byte_in_a_text_field_is_quarantined(tmp_path) -> None:
    customers = [
        {"customer_id": "C1", "name": "Good", "country": "FR", "currency": "EUR"},
        {"customer_id": "C\x002", "name": "Bad id", "country": "FR", "currency": "EUR"},
        {"customer_id": "C3", "name": "Bad\x00name", "country": "FR", "currency": "EUR"},
    ]
    led = load_ledger(write_ledger(tmp_path, customers=customers, documents=[]))
    reasons = [text for _, text in issues_of(led, "customers.csv")]
    assert reasons == ["customer_id contains a NUL byte (\\x00)", "name contains a NUL byte (\\x00)"]
    assert led.customers["customer_id"].to_list() == ["C1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("reporting_currency = 5", 'ledger.toml: reporting_currency: must be an ISO 4217 code such as "EUR" (is 5)'),
        ('company = ["a", "b"]', "ledger.toml: company: must be text"),
        (
            'reportng_currency = "USD"',
            "ledger.toml: reportng_currency: unknown key (did you mean 'reporting_currency'?)",
        ),
    ],
)
def test_ledger_toml_is_checked_against_its_shape(tmp_path, content, message) -> None:
    from workbench.errors import LedgerReadError

    folder = write_ledger(tmp_path)
    (folder / "ledger.toml").write_text(content + "\n", encoding="utf-8")
    with pytest.raises(LedgerReadError) as caught:
        load_ledger(folder)
    assert str(caught.value).startswith(message), str(caught.value)
