"""Chunked validation (``workbench validate``) finds exactly what ``load_ledger`` finds."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from workbench.errors import Issue
from workbench.ledger import load_ledger
from workbench.ledger.reader import iter_table, read_table
from workbench.ledger.stream import validate_ledger

from .builders import alloc, inv, pay, write_ledger


def _messy_ledger(folder: Path) -> Path:
    """A ledger whose bad rows are spread over many small chunks."""
    customers = [
        {"customer_id": f"C{n}", "name": f"Name {n}", "country": "FR", "currency": "EUR"} for n in range(1, 40)
    ]
    customers.append({"customer_id": "C5", "name": "Repeated", "country": "FR", "currency": "EUR"})  # duplicate
    customers.append({"customer_id": "CX", "name": "No currency", "country": "XK", "currency": "EURO"})  # bad + warn
    docs = [inv(f"D{n:03d}", "2025-01-01", "2025-01-31", f"{n}.00", customer=f"C{n % 39 + 1}") for n in range(1, 200)]
    docs[150] = inv("D010", "2025-01-02", "2025-01-31", "7.00")  # duplicate of a row about 140 lines earlier
    docs[170] = inv("D171", "2025-01-02", "2025-01-31", "7.00", customer="CX")  # quarantined customer
    docs[180] = inv("D181", "2025-13-02", "2025-01-31", "7.00")  # bad date
    docs.append(inv("CN1", "2025-01-05", "", "3.00", customer="C2") | {"doc_type": "credit_note"})
    pays = [pay(f"P{n:03d}", "2025-01-10", "50.00", customer=f"C{n % 39 + 1}") for n in range(1, 120)]
    pays[90] = pay("P001", "2025-01-10", "5.00")  # duplicate across chunks
    pays[100] = pay("P101", "2025-01-10", "5.00", customer="NOPE")  # unknown customer
    pays.append(pay("D002", "2025-01-10", "5.00"))  # clashes with a document id
    allocs = [alloc(f"P{n:03d}", f"D{n:03d}", "1.00", "2025-01-11") for n in range(2, 100)]
    allocs += [
        alloc("P050", "D050", "60.00", "2025-01-12"),  # exceeds D050 (50.00) with the 1.00 before
        alloc("P060", "D001", "1.00", "2025-01-11"),  # other customer
        alloc("P101", "D003", "1.00", "2025-01-11"),  # source quarantined
        alloc("P003", "D181", "1.00", "2025-01-11"),  # document quarantined
        alloc("CN1", "D002", "1.00", "2025-01-06"),  # a credit note allocated
        alloc("D004", "D005", "1.00", "2025-01-11"),  # an invoice as source
    ]
    fx = [
        {"date": "2025-01-01", "currency": "USD", "rate": "0.9"},
        {"date": "2025-01-01", "currency": "EUR", "rate": "1"},
    ]
    fx.append({"date": "2025-01-01", "currency": "USD", "rate": "0.8"})  # duplicate date + currency
    return write_ledger(folder, customers=customers, documents=docs, payments=pays, allocations=allocs, fx=fx)


def _streamed(folder: Path, chunk_bytes: int) -> tuple[list[Issue], dict]:
    issues: list[Issue] = []
    result = validate_ledger(folder, issues.extend, chunk_bytes=chunk_bytes)
    assert result.issues_total == len(issues)
    return issues, result.files


@pytest.mark.parametrize("chunk_bytes", [64, 700, 1 << 20])
def test_chunked_validation_equals_the_whole_load(tmp_path, chunk_bytes) -> None:
    folder = _messy_ledger(tmp_path)
    # the chunks really are small: documents.csv alone takes dozens of them
    assert sum(1 for _ in iter_table(folder / "documents.csv", chunk_bytes=chunk_bytes)) >= (
        30 if chunk_bytes == 64 else 1
    )
    led = load_ledger(folder)
    issues, files = _streamed(folder, chunk_bytes)
    assert issues == led.report.issues
    assert files == led.report.files
    found = {(i.file, i.line): i.reason for i in issues}
    assert found[("customers.csv", 41)] == "duplicate customer_id 'C5' (first at line 6)"
    assert found[("documents.csv", 152)] == "duplicate document_id 'D010' (first at line 11)"
    assert found[("documents.csv", 172)] == "customer_id 'CX' is not in customers.csv (quarantined at customers.csv:42)"
    assert found[("payments.csv", 92)] == "duplicate payment_id 'P001' (first at line 2)"
    assert found[("payments.csv", 121)] == "payment_id 'D002' is also a document_id in documents.csv"
    assert found[("allocations.csv", 100)] == "allocations to document 'D050' would exceed its amount"
    assert found[("allocations.csv", 102)] == (
        "source_id 'P101' is neither in payments.csv nor a credit note in documents.csv"
        " (quarantined at payments.csv:102)"
    )
    assert (
        found[("allocations.csv", 103)]
        == "document_id 'D181' is not in documents.csv (quarantined at documents.csv:182)"
    )
    assert found[("fx_rates.csv", 4)] == "duplicate date + currency '2025-01-01 / USD' (first at line 2)"
    assert [i.line for i in issues if i.file == "customers.csv"] == [41, 42, 42]  # the warning first on its line
    assert (
        found[("allocations.csv", 105)] == "source_id 'D004' is an invoice or debit note, not a payment or credit note"
    )
    assert len(issues) == 18 and len([i for i in issues if i.quarantined]) == 16
    assert files["allocations.csv"].rows_quarantined == 7
    assert str(files["allocations.csv"].amount_quarantined) == "66.00"


def test_chunked_reading_of_quoted_broken_and_non_utf8_files(tmp_path) -> None:
    path = tmp_path / "documents.csv"
    rows = ['A,"multi\nline",x', "B,plain,y", "C,too,many,fields", "", 'D,"quoted, comma",z'] * 20
    path.write_bytes(("document_id,name,extra\n" + "\n".join(rows) + "\nE,trunc").encode("cp1252"))
    whole = read_table(path)
    chunks = list(iter_table(path, chunk_bytes=50))
    assert len(chunks) > 10
    assert pl.concat([c.frame for c in chunks]).equals(whole.frame)
    assert [b for c in chunks for b in c.broken] == whole.broken
    assert whole.broken[-1] == (
        122,
        "has 2 fields, the header has 3 (the file ends without a newline: truncated?)",
        "E,trunc",
    )
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\r\n" + b"".join(b"x%d,\xe9t\xe9\r\n" % n for n in range(50)) + b"1,2,3\r\n")
    whole = read_table(plain)
    chunks = list(iter_table(plain, chunk_bytes=40))
    assert pl.concat([c.frame for c in chunks]).equals(whole.frame)
    assert whole.frame["b"][0] == "été" and whole.encoding == "cp1252"
    assert [n for c in chunks for n in c.notes] == whole.notes
    assert [b for c in chunks for b in c.broken] == whole.broken == [(52, "has 3 fields, the header has 2", "1,2,3")]


def test_validate_command_streams_every_issue_to_the_quarantine_file(tmp_path) -> None:
    folder = _messy_ledger(tmp_path / "ledger")
    target = tmp_path / "q.csv"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "validate",
            "--ledger",
            str(folder),
            "--json",
            "--quarantine",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    led = load_ledger(folder)
    assert doc["issues_total"] == len(led.report.issues) == 18
    assert doc["issues"] == [i.as_dict() for i in led.report.issues]
    rows = list(csv.reader(target.open(encoding="utf-8", newline="")))
    assert rows[0] == ["file", "line", "reason", "quarantined"]
    assert rows[1:] == [
        [i.file, str(i.line), i.reason, "true" if i.quarantined else "false"] for i in led.report.issues
    ]
