"""The command-line contract of issue 2, run as a user would (a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from workbench.kpis import kpis
from workbench.ledger import load_ledger

from .builders import inv, pay, write_ledger
from .conftest import SMALL_AS_OF

AS_OF = SMALL_AS_OF.isoformat()


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_help_lists_every_command() -> None:
    out = run("--help").stdout
    for command in ("demo", "import", "validate", "kpis", "aging", "report"):
        assert command in out


def test_validate_json_contract_and_exit_codes(small_demo, tmp_path) -> None:
    clean = run("validate", "--ledger", str(small_demo), "--json")
    assert clean.returncode == 0, clean.stderr
    doc = json.loads(clean.stdout)
    entry = doc["files"]["documents.csv"]
    assert set(entry) == {
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "amount_read",
        "amount_loaded",
        "amount_quarantined",
    }
    assert entry["rows_read"] == entry["rows_loaded"] > 1000 and entry["rows_quarantined"] == 0
    assert doc["issues"] == []

    bad = write_ledger(
        tmp_path / "bad",
        documents=[inv("A", "2025-01-01", "2025-01-31", "5.00"), inv("B", "2025-13-01", "2025-01-31", "7.00")],
    )
    res = run("validate", "--ledger", str(bad), "--json")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["files"]["documents.csv"] == {
        "rows_read": 2,
        "rows_loaded": 1,
        "rows_quarantined": 1,
        "amount_read": "12.00",
        "amount_loaded": "5.00",
        "amount_quarantined": "7.00",
    }
    assert doc["issues"][0]["file"] == "documents.csv" and doc["issues"][0]["line"] == 3
    assert "doc_date '2025-13-01' is not a valid date" in doc["issues"][0]["reason"]

    missing = run("validate", "--ledger", str(tmp_path / "nowhere"), "--json")
    assert missing.returncode == 2 and "no such ledger folder" in missing.stderr
    (bad / "customers.csv").unlink()
    unreadable = run("validate", "--ledger", str(bad))
    assert unreadable.returncode == 2 and "customers.csv: required file is missing" in unreadable.stderr


def test_kpis_json_matches_the_library_to_the_cent(small_demo) -> None:
    res = run("kpis", "--ledger", str(small_demo), "--as-of", AS_OF, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    for key in (
        "as_of",
        "reporting_currency",
        "entity",
        "aging",
        "gross_open",
        "unapplied_credit",
        "total_ar",
        "overdue",
        "current",
        "dso_countback",
        "dso_simple",
        "bpdso",
        "add",
        "cei",
        "pct_current",
        "pct_over_90",
        "weighted_days_to_pay",
        "dbt",
        "average_payment_delay",
    ):
        assert key in doc, key
    assert list(doc["aging"]) == ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    k = kpis(load_ledger(small_demo), SMALL_AS_OF)
    assert doc["total_ar"] == str(k.total_ar) and Decimal(doc["total_ar"]) > 0
    # each shown figure is rounded on its own (CONVENTIONS fine points): they tie within a cent
    assert abs(Decimal(doc["total_ar"]) - (Decimal(doc["gross_open"]) - Decimal(doc["unapplied_credit"]))) <= Decimal(
        "0.01"
    )
    assert abs(Decimal(doc["overdue"]) - (Decimal(doc["gross_open"]) - Decimal(doc["current"]))) <= Decimal("0.01")
    assert all(len(v.split(".")[1]) == 2 for v in doc["aging"].values())
    assert doc["dso_countback"] == k.dso_countback and isinstance(doc["cei"], float)
    entity = run("kpis", "--ledger", str(small_demo), "--as-of", AS_OF, "--entity", "DE01", "--json")
    assert json.loads(entity.stdout)["entity"] == "DE01"
    assert Decimal(json.loads(entity.stdout)["gross_open"]) < Decimal(doc["gross_open"])


def test_aging_csv_header_json_and_ties_to_kpis(small_demo) -> None:
    res = run("aging", "--ledger", str(small_demo), "--as-of", AS_OF, "--by", "customer", "--format", "csv")
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader(io.StringIO(res.stdout)))
    assert rows[0] == [
        "customer_id",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "120+",
        "unapplied_credit",
        "total",
    ]
    assert len(rows) > 50
    by_entity = json.loads(
        run("aging", "--ledger", str(small_demo), "--as-of", AS_OF, "--by", "entity", "--format", "json").stdout
    )
    k = json.loads(run("kpis", "--ledger", str(small_demo), "--as-of", AS_OF).stdout)
    # entity rows cover everything (unidentified cash included): totals tie to the cent with the kpis
    buckets = ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
    for bucket in buckets:
        assert abs(sum(Decimal(r[bucket]) for r in by_entity["rows"]) - Decimal(k["aging"][bucket])) <= Decimal("0.02")
    assert abs(sum(Decimal(r["total"]) for r in by_entity["rows"]) - Decimal(k["total_ar"])) <= Decimal("0.02")


def test_aging_xlsx_neutralises_formulas(tmp_path) -> None:
    customers = [
        {"customer_id": '=HYPERLINK("http://x")', "name": "Evil", "country": "FR", "currency": "EUR"},
        {"customer_id": "@SUM(A1)", "name": "Evil 2", "country": "FR", "currency": "EUR"},
    ]
    led = write_ledger(
        tmp_path / "l",
        customers=customers,
        documents=[
            inv("A", "2025-01-01", "2025-01-31", "5.00", customer='=HYPERLINK("http://x")'),
            inv("B", "2025-01-01", "2025-01-31", "6.00", customer="@SUM(A1)"),
        ],
    )
    target = tmp_path / "aging.xlsx"
    res = run(
        "aging",
        "--ledger",
        str(led),
        "--as-of",
        "2025-02-15",
        "--by",
        "customer",
        "--format",
        "xlsx",
        "--out",
        str(target),
        "--allow-future",  # the as-of date is 45 days after the two-row ledger's last invoice
    )
    assert res.returncode == 0, res.stderr
    sheet = openpyxl.load_workbook(target).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(A1)" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "@")) for v in values)
    as_csv = run("aging", "--ledger", str(led), "--as-of", "2025-02-15", "--format", "csv", "--allow-future").stdout
    assert "'@SUM(A1)" in as_csv and "\n=HYPERLINK" not in as_csv


def test_import_generic_then_kpis(tmp_path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text("""
[source]
delimiter = ";"
encoding = "utf-8"
date_format = "%d/%m/%Y"
decimal = ","
thousands = "."

[defaults]
currency = "EUR"
country = "FR"
doc_type = "invoice"
payment_terms_days = 30

[columns]
document_id = "Invoice"
customer_id = "Customer"
doc_date = "Date"
amount = "Amount"
settled_date = "Paid"
""")
    source = tmp_path / "history.csv"
    source.write_text(
        "Invoice;Customer;Date;Amount;Paid\n00017;K1;01/02/2025;1.234,56;15/03/2025\n"
        "00018;K1;05/02/2025;100,00;\n00019;K2;31/02/2025;5,00;\n"
    )
    res = run("import", "generic", "--mapping", str(mapping), "--out", str(tmp_path / "led"), str(source))
    assert res.returncode == 1  # one row quarantined (31 February)
    assert "history.csv:4" in res.stderr
    doc = json.loads(run("kpis", "--ledger", str(tmp_path / "led"), "--as-of", "2025-04-30", "--allow-future").stdout)
    assert doc["gross_open"] == "100.00" and doc["aging"]["31-60"] == "100.00"
    assert load_ledger(tmp_path / "led").documents["document_id"].to_list() == ["00017", "00018"]


def test_bad_date_argument_is_a_clear_error(small_demo) -> None:
    res = run("kpis", "--ledger", str(small_demo), "--as-of", "20-11-2026")
    assert res.returncode == 2 and "--as-of '20-11-2026' is not a date" in res.stderr


@pytest.mark.parametrize("args", [["kpis"], ["aging"]])
def test_missing_rate_is_reported_with_currency_and_date(tmp_path, args) -> None:
    customers = [{"customer_id": "C1", "name": "A", "country": "US", "currency": "USD"}]
    led = write_ledger(
        tmp_path / "l",
        customers=customers,
        documents=[inv("A", "2025-01-01", "2025-01-31", "5.00", currency="USD")],
        payments=[pay("P", "2025-01-02", "1.00", currency="USD")],
    )
    res = run(*args, "--ledger", str(led), "--as-of", "2025-02-01")
    assert res.returncode == 2
    # aging needs the closing rate of 1 February; kpis first needs the one of 31 January (AR at the
    # start of the CEI period)
    day = "2025-02-01" if args == ["aging"] else "2025-01-31"
    assert f"no FX rate for USD on or before {day}" in res.stderr


def test_aging_by_doc_date_and_custom_edges(tmp_path) -> None:
    led = write_ledger(
        tmp_path / "l",
        documents=[inv("A", "2025-01-01", "2025-03-01", "5.00"), inv("B", "2025-02-20", "2025-03-20", "7.00")],
    )
    by_doc = list(
        csv.reader(
            io.StringIO(run("aging", "--ledger", str(led), "--as-of", "2025-03-10", "--basis", "doc_date").stdout)
        )
    )
    assert by_doc == [
        ["customer_id", "0-30", "31-60", "61-90", "91-120", "120+", "unapplied_credit", "total"],
        ["C1", "7.00", "0.00", "5.00", "0.00", "0.00", "0.00", "12.00"],
    ]
    custom = list(
        csv.reader(io.StringIO(run("aging", "--ledger", str(led), "--as-of", "2025-03-10", "--edges", "0,7").stdout))
    )
    assert custom[0][1:4] == ["current", "1-7", "7+"] and custom[1][1:4] == ["7.00", "0.00", "5.00"]
    bad = run("aging", "--ledger", str(led), "--as-of", "2025-03-10", "--edges", "30,10")
    assert bad.returncode == 2 and "increasing" in bad.stderr


def test_validate_prints_a_bounded_report_and_writes_the_full_quarantine(tmp_path) -> None:
    docs = [inv("OK", "2025-01-01", "2025-01-31", "5.00")]
    docs += [inv(f"B{n}", "2025-13-01", "2025-01-31", "1.00") for n in range(150)]
    bad = write_ledger(tmp_path / "bad", documents=docs)
    target = tmp_path / "quarantine.csv"
    res = run("validate", "--ledger", str(bad), "--json", "--quarantine", str(target))
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert len(doc["issues"]) == 100 and doc["issues_total"] == 150 and doc["quarantine_file"] == str(target)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 150 and {r["file"] for r in rows} == {"documents.csv"}
    assert [int(r["line"]) for r in rows] == list(range(3, 153))
    text = run("validate", "--ledger", str(bad))
    assert "... 50 more issue(s) not shown (--quarantine FILE writes them all)" in text.stdout
