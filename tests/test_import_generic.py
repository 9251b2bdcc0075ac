"""The generic import of flat invoice histories (LEDGER_FORMAT.md, last section)."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import ImportMappingError, Issue, WorkbenchError
from workbench.importers import ImportResult, Mapping, import_generic, load_mapping, parse_mapping
from workbench.importers.parse_text import parse_amounts, parse_dates
from workbench.importers.source_csv import _decode, _read_exact, _read_fast, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
EXAMPLE = FIXTURES / "ledger_format_example.toml"
WITH_MEMO = FIXTURES / "ar_with_memo.toml"
HEADER = "invoiceNumber,customerID,countryCode,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def column(path: Path, name: str) -> list[str]:
    return [r[name] for r in rows(path)]


def example_dict() -> dict:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def write_source(tmp_path: Path, lines: list[str], name: str = "src.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reasons_by_line(result: ImportResult) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for issue in result.issues:
        out.setdefault(issue.line, []).append(issue.reason)
    return out


# --------------------------------------------------------------------------- the documented example


def test_ledger_format_example_end_to_end(tmp_path):
    out = tmp_path / "ledger"
    result = import_generic(FIXTURES / "ar_history.csv", EXAMPLE, out)

    assert (result.rows_read, result.rows_imported, result.rows_quarantined) == (5, 5, 0)
    assert result.amount_read == result.amount_imported == Decimal("1493.98")
    assert result.amount_quarantined == Decimal("0")
    assert result.issues == []
    assert (result.customers_written, result.documents_written) == (3, 5)
    assert (result.payments_written, result.allocations_written) == (3, 3)

    assert (out / "documents.csv").read_text(encoding="utf-8") == (
        "document_id,customer_id,doc_type,doc_date,due_date,currency,amount,entity,disputed\n"
        "611365,0379-NEVHP,invoice,2013-01-02,2013-02-01,USD,55.94,,false\n"
        "7900770,8976-AMJEO,invoice,2013-01-26,2013-02-25,USD,61.74,,true\n"
        "9231909,2820-XGXSB,invoice,2013-07-03,2013-08-02,USD,65.88,,false\n"
        "9888306,8976-AMJEO,invoice,2013-02-10,2013-03-12,USD,105.92,,false\n"
        "000123,0379-NEVHP,invoice,2013-03-01,2013-03-31,USD,1204.50,,true\n"
    )
    assert (out / "customers.csv").read_text(encoding="utf-8") == (
        "customer_id,name,country,currency,entity,payment_terms_days\n"
        "0379-NEVHP,0379-NEVHP,US,USD,,30\n"
        "8976-AMJEO,8976-AMJEO,FR,USD,,30\n"
        "2820-XGXSB,2820-XGXSB,US,USD,,30\n"
    )
    assert (out / "payments.csv").read_text(encoding="utf-8") == (
        "payment_id,customer_id,value_date,currency,amount,entity,reference,method\n"
        "P-611365,0379-NEVHP,2013-01-15,USD,55.94,,611365,\n"
        "P-7900770,8976-AMJEO,2013-03-03,USD,61.74,,7900770,\n"
        "P-9231909,2820-XGXSB,2013-07-08,USD,65.88,,9231909,\n"
    )
    assert (out / "allocations.csv").read_text(encoding="utf-8") == (
        "source_id,document_id,amount,allocation_date\n"
        "P-611365,611365,55.94,2013-01-15\n"
        "P-7900770,7900770,61.74,2013-03-03\n"
        "P-9231909,9231909,65.88,2013-07-08\n"
    )
    assert (out / "fx_rates.csv").read_text(encoding="utf-8") == "date,currency,rate\n"
    assert tomllib.loads((out / "ledger.toml").read_text(encoding="utf-8")) == {
        "company": "ar_history",
        "reporting_currency": "USD",
    }
    assert rows(out / "quarantine.csv") == []
    assert (out / "quarantine.csv").read_text(encoding="utf-8").startswith("line,reason,countryCode,customerID,")
    report = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    assert report["source"] == "ar_history.csv"
    assert report["rows_read"] == 5 and report["amount_read"] == "1493.98" and report["issues"] == []


def test_example_output_loads_cleanly_as_a_ledger(tmp_path):
    load_ledger = pytest.importorskip("workbench.ledger").load_ledger
    import_generic(FIXTURES / "ar_history.csv", EXAMPLE, tmp_path)
    ledger = load_ledger(tmp_path)
    assert ledger.report.rows_quarantined == 0
    assert ledger.report.files["documents.csv"].amount_loaded == Decimal("1493.98")
    assert ledger.report.files["allocations.csv"].rows_loaded == 3


def test_mapping_can_be_a_path_string_a_mapping_or_a_dict(tmp_path):
    a = import_generic(FIXTURES / "ar_history.csv", str(EXAMPLE), tmp_path / "a")
    b = import_generic(FIXTURES / "ar_history.csv", load_mapping(EXAMPLE), tmp_path / "b")
    c = import_generic(FIXTURES / "ar_history.csv", example_dict(), tmp_path / "c")
    assert a.amount_imported == b.amount_imported == c.amount_imported == Decimal("1493.98")
    assert (tmp_path / "a" / "documents.csv").read_bytes() == (tmp_path / "c" / "documents.csv").read_bytes()


def test_output_is_deterministic(tmp_path):
    for run in ("one", "two"):
        import_generic(FIXTURES / "bad_rows.csv", WITH_MEMO, tmp_path / run)
    for name in (
        "customers.csv",
        "documents.csv",
        "payments.csv",
        "allocations.csv",
        "quarantine.csv",
        "import_report.json",
        "ledger.toml",
    ):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


# --------------------------------------------------------------------------- encodings and layouts


def test_cp1252_semicolon_decimal_comma_thousands_dot(tmp_path):
    result = import_generic(FIXTURES / "eu_export_cp1252.csv", FIXTURES / "eu_export_mapping.toml", tmp_path)
    assert (result.rows_read, result.rows_quarantined) == (5, 0)
    # 1.234,56 + 980,00 + 12.500,00 + 150,50 + " 2.000.000,10 "
    assert result.amount_imported == Decimal("2014865.16")

    customers = rows(tmp_path / "customers.csv")
    assert [
        (c["customer_id"], c["name"], c["country"], c["currency"], c["entity"], c["payment_terms_days"])
        for c in customers
    ] == [
        ("00042", "Société Générale Équipements", "FR", "EUR", "FR01", "30"),
        ("00077", "Müller & Söhne GmbH", "DE", "EUR", "FR01", "45"),
        ("00091", "Ångström Øresund AB", "SE", "SEK", "FR01", "30"),
    ]
    docs = {d["document_id"]: d for d in rows(tmp_path / "documents.csv")}
    assert list(docs) == ["000123", "000124", "000125", "000126", "000127"]
    # day-first dates; due = doc_date + terms (30 by default, 45 from the row)
    assert (docs["000123"]["doc_date"], docs["000123"]["due_date"]) == ("2024-02-01", "2024-03-02")
    assert (docs["000125"]["doc_date"], docs["000125"]["due_date"]) == ("2024-01-31", "2024-03-16")
    # a credit note is due on its doc_date
    assert (docs["000126"]["doc_type"], docs["000126"]["due_date"], docs["000126"]["amount"]) == (
        "credit_note",
        "2024-02-05",
        "150.50",
    )
    assert [d["amount"] for d in docs.values()] == ["1234.56", "980.00", "12500.00", "150.50", "2000000.10"]
    assert docs["000123"]["reference"] == "Facture n° 123; lot 7"
    assert docs["000125"]["reference"] == 'Bestellung "Nord"'
    assert docs["000127"]["reference"] == "€ 5"
    assert rows(tmp_path / "payments.csv") == [
        {
            "payment_id": "P-000123",
            "customer_id": "00042",
            "value_date": "2024-03-15",
            "currency": "EUR",
            "amount": "1234.56",
            "entity": "FR01",
            "reference": "000123",
            "method": "",
        }
    ]
    assert tomllib.loads((tmp_path / "ledger.toml").read_text(encoding="utf-8"))["reporting_currency"] == "EUR"
    # output is UTF-8 whatever the source was
    assert "Société" in (tmp_path / "customers.csv").read_bytes().decode("utf-8")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_bom_does_not_hide_the_first_column(tmp_path, encoding):
    assert (FIXTURES / "ar_history_bom.csv").read_bytes().startswith(b"\xef\xbb\xbfinvoiceNumber")
    mapping = dataclasses.replace(load_mapping(EXAMPLE), encoding=encoding)
    result = import_generic(FIXTURES / "ar_history_bom.csv", mapping, tmp_path)
    assert result.rows_imported == 2
    assert column(tmp_path / "documents.csv", "document_id") == ["000123", "000124"]


def test_leading_zeros_are_kept_in_every_id(tmp_path):
    src = write_source(
        tmp_path,
        [
            HEADER,
            "000123,007,US,01/02/2024,02/01/2024,10.00,No,01/10/2024",
            "0000,0070,US,01/02/2024,02/01/2024,5.00,No,",
        ],
    )
    import_generic(src, EXAMPLE, tmp_path / "out")
    assert column(tmp_path / "out" / "documents.csv", "document_id") == ["000123", "0000"]
    assert column(tmp_path / "out" / "customers.csv", "customer_id") == ["007", "0070"]
    assert column(tmp_path / "out" / "payments.csv", "payment_id") == ["P-000123"]
    assert column(tmp_path / "out" / "allocations.csv", "document_id") == ["000123"]


@pytest.mark.parametrize(
    ("date_format", "text", "expected"),
    [
        ("%d/%m/%Y", "01/02/2024", "2024-02-01"),  # day first: 1 February
        ("%m/%d/%Y", "01/02/2024", "2024-01-02"),  # month first: 2 January
        ("%d.%m.%Y", "31.12.2023", "2023-12-31"),
        ("%Y%m%d", "20240229", "2024-02-29"),
    ],
)
def test_dates_follow_the_stated_format(tmp_path, date_format, text, expected):
    data = example_dict()
    data["source"]["date_format"] = date_format
    src = write_source(tmp_path, [HEADER, f"1,C1,US,{text},,10.00,No,"])
    import_generic(src, data, tmp_path / "out")
    assert column(tmp_path / "out" / "documents.csv", "doc_date") == [expected]


@pytest.mark.parametrize("text", ["2024-01-02", "13/01/2024", "01/02/24", "1 Feb 2024", "02/30/2024", "01/02/2024 x"])
def test_dates_are_never_guessed(tmp_path, text):
    src = write_source(tmp_path, [HEADER, f"1,C1,US,{text},,10.00,No,"])
    result = import_generic(src, EXAMPLE, tmp_path / "out")
    assert result.rows_quarantined == 1
    assert result.issues == [Issue("src.csv", 2, f"doc_date (InvoiceDate): '{text}' is not a date in format %m/%d/%Y")]


def test_parse_dates_is_python_strptime_on_distinct_values():
    s = pl.Series(["01/02/2024", "", "29/02/2023", "01/02/2024", "1/2/2024"])
    feb1 = date(2024, 2, 1)
    assert parse_dates(s, "%d/%m/%Y").to_list() == [feb1, None, None, feb1, feb1]


# --------------------------------------------------------------------------- bad rows


def test_each_bad_row_is_quarantined_with_its_physical_line_and_reason(tmp_path):
    result = import_generic(FIXTURES / "bad_rows.csv", WITH_MEMO, tmp_path)
    # line 3-4 is one record whose memo spans two lines: everything after shifts by one
    assert reasons_by_line(result) == {
        5: ["doc_date (InvoiceDate): '02/30/2024' is not a date in format %m/%d/%Y"],
        6: ["doc_date (InvoiceDate): '2024-01-15' is not a date in format %m/%d/%Y"],
        7: ["amount (InvoiceAmount): '1.2.3' is not an amount written with decimal '.', no thousands separator"],
        8: ["amount (InvoiceAmount): '-50.00' is not positive (amounts must be > 0)"],
        9: ["amount (InvoiceAmount): '0.00' is not positive (amounts must be > 0)"],
        10: ["amount (InvoiceAmount): '10.005' has more than 2 decimals"],
        11: ["disputed (Disputed): 'Maybe' is not in [values.disputed] (allowed: 'No', 'Yes')"],
        12: ["due_date (DueDate): 2024-02-01 is before doc_date 2024-03-01"],
        13: ["settled_date (SettledDate): 2024-02-15 is before doc_date 2024-03-01"],
        14: ["document_id (invoiceNumber): '1001' duplicates line 2"],
        15: ["amount (InvoiceAmount): '1,000.00' is not an amount written with decimal '.', no thousands separator"],
        17: ["document_id (invoiceNumber): is empty"],
    }
    assert all(i.file == "bad_rows.csv" and i.quarantined for i in result.issues)
    assert (result.rows_read, result.rows_imported, result.rows_quarantined) == (15, 3, 12)
    assert column(tmp_path / "documents.csv", "document_id") == ["1001", "1002", "1013"]

    quarantine = rows(tmp_path / "quarantine.csv")
    assert [q["line"] for q in quarantine] == ["5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "17"]
    assert quarantine[0] == {
        "line": "5",
        "reason": "doc_date (InvoiceDate): '02/30/2024' is not a date in format %m/%d/%Y",
        "invoiceNumber": "1003",
        "customerID": "C002",
        "countryCode": "US",
        "InvoiceDate": "02/30/2024",
        "DueDate": "03/30/2024",
        "InvoiceAmount": "300.00",
        "Disputed": "No",
        "SettledDate": "",
        "Memo": "impossible day",
    }
    assert quarantine[10]["InvoiceAmount"] == "1,000.00"  # raw text kept as written


def test_amount_totals_tie_out(tmp_path):
    result = import_generic(FIXTURES / "bad_rows.csv", WITH_MEMO, tmp_path)
    # parsed amounts: 100 + 200 + 300 + 400 - 50 + 0 + 10.005 + 70 + 80 + 90 + 95 + 110 + 10;
    # "1.2.3" and "1,000.00" do not parse and count in no total
    assert result.amount_read == Decimal("1415.005")
    assert result.amount_imported == Decimal("410.00")
    assert result.amount_quarantined == Decimal("1005.005")
    assert result.amount_read == result.amount_imported + result.amount_quarantined
    assert result.rows_read == result.rows_imported + result.rows_quarantined
    report = json.loads((tmp_path / "import_report.json").read_text(encoding="utf-8"))
    assert (report["amount_read"], report["amount_imported"], report["amount_quarantined"]) == (
        "1415.005",
        "410.00",
        "1005.005",
    )
    assert report["rows_quarantined"] == 12 and len(report["issues"]) == 12
    assert report["issues"][0] == {
        "file": "bad_rows.csv",
        "line": 5,
        "quarantined": True,
        "reason": "doc_date (InvoiceDate): '02/30/2024' is not a date in format %m/%d/%Y",
    }


def test_settled_rows_make_one_payment_and_one_allocation_of_the_full_amount(tmp_path):
    import_generic(FIXTURES / "bad_rows.csv", WITH_MEMO, tmp_path)
    assert rows(tmp_path / "allocations.csv") == [
        {"source_id": "P-1002", "document_id": "1002", "amount": "200.00", "allocation_date": "2024-02-01"},
        {"source_id": "P-1013", "document_id": "1013", "amount": "110.00", "allocation_date": "2024-04-01"},
    ]
    docs = {d["document_id"]: d for d in rows(tmp_path / "documents.csv")}
    assert docs["1002"]["reference"] == "call before\nshipping, twice"
    assert docs["1013"]["reference"] == 'due from terms, "quoted"'
    assert docs["1013"]["due_date"] == "2024-04-01"  # empty DueDate: 03/02/2024 + 30 days


def test_broken_records_are_quarantined_at_the_line_they_start(tmp_path):
    result = import_generic(FIXTURES / "broken_rows.csv", WITH_MEMO, tmp_path)
    assert reasons_by_line(result) == {
        3: ["record has 7 fields, the header has 9"],
        4: ["record has 10 fields, the header has 9"],
        5: ["malformed CSV record (lines 5-5): ',' expected after '\"'"],
    }
    # the blank line 6 and the row of empty fields on line 7 are not records
    assert (result.rows_read, result.rows_imported, result.rows_quarantined) == (6, 3, 3)
    assert result.amount_read == result.amount_imported == Decimal("210.00")
    assert column(tmp_path / "documents.csv", "document_id") == ["2001", "2005", "2006"]
    quarantine = rows(tmp_path / "quarantine.csv")
    assert [(q["line"], q["invoiceNumber"], q["Memo"]) for q in quarantine] == [
        ("3", "2002", ""),
        ("4", "2003", "x,extra"),
        ("5", "2004", "bad quote"),
    ]


def test_undecodable_bytes_quarantine_only_their_row(tmp_path):
    result = import_generic(FIXTURES / "utf8_with_cp1252_byte.csv", WITH_MEMO, tmp_path)
    assert result.issues == [
        Issue("utf8_with_cp1252_byte.csv", 3, "column Memo: 'Caf\\xe9 bad byte' holds bytes that are not valid utf-8")
    ]
    assert column(tmp_path / "documents.csv", "reference") == ["Café ok", "fine"]
    assert result.amount_quarantined == Decimal("200.00")
    assert rows(tmp_path / "quarantine.csv")[0]["Memo"] == "Caf\\xe9 bad byte"


def test_conflicting_customer_country_and_currency_keep_the_first_and_do_not_quarantine(tmp_path):
    data = example_dict()
    data["columns"]["currency"] = "Currency"
    src = write_source(
        tmp_path,
        [
            HEADER + ",Currency",
            "1,C1,FR,01/02/2024,,10.00,No,,EUR",
            "2,C1,DE,01/03/2024,,20.00,No,,EUR",
            "3,C1,FR,01/04/2024,,30.00,No,,usd",
        ],
    )
    result = import_generic(src, data, tmp_path / "out")
    assert result.rows_imported == 3 and result.rows_quarantined == 0
    assert result.issues == [
        Issue(
            "src.csv",
            3,
            "customer 'C1': country 'DE' differs from 'FR' (line 2); the customer keeps 'FR'",
            quarantined=False,
        ),
        Issue(
            "src.csv",
            4,
            "customer 'C1': currency 'USD' differs from 'EUR' (line 2); the customer keeps 'EUR'",
            quarantined=False,
        ),
    ]
    assert rows(tmp_path / "out" / "customers.csv")[0]["country"] == "FR"
    assert column(tmp_path / "out" / "documents.csv", "currency") == ["EUR", "EUR", "USD"]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "1,C1,US,01/02/2024,,10.00,No,,invoice,ABC1",
            "currency (Currency): 'ABC1' is not a 3-letter ISO 4217 currency code",
        ),
        (
            "1,C1,US,01/02/2024,,10.00,No,,bill,USD",
            "doc_type (Type): 'bill' is not one of invoice, debit_note, credit_note",
        ),
        ("1,C1,US,01/02/2024,,10.50,No,,invoice,JPY", "amount (InvoiceAmount): '10.50' has decimals but JPY has none"),
        (
            "1,C1,US,01/02/2024,,10.00,No,01/05/2024,credit_note,USD",
            "settled_date (SettledDate): is set on a credit note",
        ),
        ("1,,US,01/02/2024,,10.00,No,,invoice,USD", "customer_id (customerID): is empty"),
        ("1,C1,US,,,10.00,No,,invoice,USD", "doc_date (InvoiceDate): is empty"),
        ("1,C1,US,01/02/2024,,,No,,invoice,USD", "amount (InvoiceAmount): is empty"),
        ("1,C1,US,01/02/2024,,1e3,No,,invoice,USD", "amount (InvoiceAmount): '1e3' is not an amount"),
        ("1,C1,US,01/02/2024,,$10.00,No,,invoice,USD", "amount (InvoiceAmount): '$10.00' is not an amount"),
        (
            "1,C1,,01/02/2024,,10.00,No,,invoice,USD",
            "country (countryCode): empty on every imported row of customer 'C1'",
        ),
    ],
)
def test_other_bad_values(tmp_path, cells, reason):
    data = example_dict()
    data["columns"].update(doc_type="Type", currency="Currency")
    data["defaults"].pop("currency")
    src = write_source(tmp_path, [HEADER + ",Type,Currency", cells])
    result = import_generic(src, data, tmp_path / "out")
    assert result.rows_quarantined == 1
    assert len(result.issues) == 1 and result.issues[0].line == 2
    assert result.issues[0].reason.startswith(reason), result.issues[0].reason


def test_settled_payment_id_must_not_clash_with_a_document_id(tmp_path):
    src = write_source(tmp_path, [HEADER, "7,C1,US,01/02/2024,,10.00,No,01/09/2024", "P-7,C1,US,01/02/2024,,20.00,No,"])
    result = import_generic(src, EXAMPLE, tmp_path / "out")
    assert [(i.line, i.reason) for i in result.issues] == [
        (2, "settled_date: the payment id 'P-7' made for this settlement is also a document_id in the file")
    ]
    assert column(tmp_path / "out" / "documents.csv", "document_id") == ["P-7"]


def test_defaults_fill_empty_cells_and_extra_columns_pass_through(tmp_path):
    data = example_dict()
    data["columns"].update(name="Name", entity="Entity", po_number="PO", collector="Collector")
    data["defaults"]["entity"] = "US01"
    src = write_source(
        tmp_path,
        [
            HEADER + ",Name,Entity,PO,Collector,Ignored",
            "1,C1,US,01/02/2024,,10.00,No,,,,PO-9,,x",
            "2,C1,US,01/03/2024,,20.00,No,,Acme Corp,US02,,Ann,y",
            "3,C2,US,01/03/2024,,30.00,,,Beta LLC,,,,z",
        ],
    )
    import_generic(src, data, tmp_path / "out")
    assert rows(tmp_path / "out" / "customers.csv") == [
        {
            "customer_id": "C1",
            "name": "Acme Corp",
            "country": "US",
            "currency": "USD",
            "entity": "US01",
            "payment_terms_days": "30",
            "collector": "Ann",
        },
        {
            "customer_id": "C2",
            "name": "Beta LLC",
            "country": "US",
            "currency": "USD",
            "entity": "US01",
            "payment_terms_days": "30",
            "collector": "",
        },
    ]
    docs = rows(tmp_path / "out" / "documents.csv")
    assert [(d["entity"], d["po_number"], d["disputed"]) for d in docs] == [
        ("US01", "PO-9", "false"),
        ("US02", "", "false"),
        ("US01", "", "false"),
    ]
    assert "Ignored" not in docs[0]


def test_without_a_values_table_only_canonical_values_are_accepted(tmp_path):
    data = example_dict()
    del data["values"]
    src = write_source(tmp_path, [HEADER, "1,C1,US,01/02/2024,,10.00,TRUE,", "2,C1,US,01/02/2024,,10.00,Yes,"])
    result = import_generic(src, data, tmp_path / "out")
    assert column(tmp_path / "out" / "documents.csv", "disputed") == ["true"]
    assert [(i.line, i.reason) for i in result.issues] == [
        (3, "disputed (Disputed): 'Yes' is not true or false (map source values with [values.disputed])")
    ]


# --------------------------------------------------------------------------- output safety


def test_output_text_is_quoted_and_company_is_escaped(tmp_path):
    data = example_dict()
    data["columns"]["customer_name"] = "Name"
    src = tmp_path / 'Acme "North", Inc.csv'
    src.write_text(HEADER + ",Name\n" + '1,C1,US,01/02/2024,,10.00,No,,"Acme, ""North""\nDivision"\n', encoding="utf-8")
    import_generic(src, data, tmp_path / "out")
    assert rows(tmp_path / "out" / "customers.csv")[0]["name"] == 'Acme, "North"\nDivision'
    assert (
        tomllib.loads((tmp_path / "out" / "ledger.toml").read_text(encoding="utf-8"))["company"] == 'Acme "North", Inc'
    )


def test_the_source_is_never_overwritten(tmp_path):
    src = tmp_path / "documents.csv"
    src.write_bytes((FIXTURES / "ar_history.csv").read_bytes())
    with pytest.raises(WorkbenchError, match="overwritten"):
        import_generic(src, EXAMPLE, tmp_path)
    assert src.read_bytes() == (FIXTURES / "ar_history.csv").read_bytes()


def test_header_only_file_writes_an_empty_ledger(tmp_path):
    src = write_source(tmp_path, [HEADER])
    result = import_generic(src, EXAMPLE, tmp_path / "out")
    assert (result.rows_read, result.amount_read, result.customers_written) == (0, Decimal("0"), 0)
    assert (tmp_path / "out" / "documents.csv").read_text(encoding="utf-8").startswith("document_id,")


# --------------------------------------------------------------------------- mapping errors


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra={}), r"unknown section \[extra\]"),
        (lambda d: d["source"].update(quote="'"), r"unknown key \[source\] quote"),
        (lambda d: d["columns"].update(invoice_no="X"), r"unknown key \[columns\] invoice_no"),
        (lambda d: d["columns"].pop("amount"), r"missing required column\(s\): amount"),
        (lambda d: d["columns"].pop("doc_date"), r"missing required column\(s\): doc_date"),
        (lambda d: d["source"].update(delimiter="||"), r"\[source\] delimiter must be exactly one character"),
        (lambda d: d["source"].update(delimiter=""), r"\[source\] delimiter"),
        (lambda d: d["source"].update(encoding="utf-9"), r"\[source\] encoding 'utf-9' is not a known text encoding"),
        (lambda d: d["source"].update(encoding="base64"), r"\[source\] encoding 'base64'"),
        (lambda d: d["source"].update(decimal=",", thousands=","), r"decimal and thousands are the same character"),
        (lambda d: d["source"].update(thousands="."), r"decimal and thousands are the same character '\.'"),
        (lambda d: d["source"].update(decimal="5"), r"\[source\] decimal must be one character"),
        (lambda d: d["source"].pop("date_format"), r"date_format is required"),
        (lambda d: d["source"].update(date_format="%m/%Y"), r"date_format '%m/%Y' does not identify a day"),
        (lambda d: d["source"].update(date_format="%Q"), r"date_format '%Q' is not a valid strptime pattern"),
        (lambda d: d["values"].update(doc_type={"INV": "invoice"}), r"\[values.doc_type\]: doc_type is not mapped"),
        (
            lambda d: d["values"]["disputed"].update(Maybe="perhaps"),
            r"\[values.disputed\] 'Maybe' must be true or false",
        ),
        (lambda d: d["defaults"].update(amount="1"), r"\[defaults\] amount: amount cannot have a default"),
        (
            lambda d: d["defaults"].update(payment_terms_days=-5),
            r"\[defaults\] payment_terms_days must be a whole number",
        ),
        (lambda d: d["defaults"].update(currency="usd"), r"\[defaults\] currency must be a 3-letter ISO 4217 code"),
        (
            lambda d: d["defaults"].pop("currency"),
            r"currency: map a source column in \[columns\] or set it in \[defaults\]",
        ),
        (lambda d: d["columns"].pop("country"), r"country: map a source column"),
    ],
)
def test_bad_mappings_are_refused_with_the_key_named(change, message):
    data = copy.deepcopy(example_dict())
    change(data)
    with pytest.raises(ImportMappingError, match=message):
        parse_mapping(data, origin="m.toml")


def test_load_mapping_reads_and_validates_toml(tmp_path):
    mapping = load_mapping(EXAMPLE)
    assert isinstance(mapping, Mapping)
    assert (mapping.delimiter, mapping.encoding, mapping.date_format, mapping.decimal, mapping.thousands) == (
        ",",
        "utf-8",
        "%m/%d/%Y",
        ".",
        "",
    )
    assert mapping.columns["document_id"] == "invoiceNumber"
    assert mapping.defaults == {"currency": "USD", "doc_type": "invoice", "payment_terms_days": "30"}
    assert mapping.values == {"disputed": {"Yes": "true", "No": "false"}}
    bad = tmp_path / "bad.toml"
    bad.write_text("[source\ndelimiter = ','\n", encoding="utf-8")
    with pytest.raises(ImportMappingError, match="bad.toml: not valid TOML"):
        load_mapping(bad)
    with pytest.raises(ImportMappingError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "missing.toml")


def test_a_mapping_object_changed_in_code_is_validated_again(tmp_path):
    mapping = dataclasses.replace(load_mapping(EXAMPLE), thousands=".")
    with pytest.raises(ImportMappingError, match="decimal and thousands are the same character"):
        import_generic(FIXTURES / "ar_history.csv", mapping, tmp_path)
    assert parse_mapping(load_mapping(EXAMPLE).to_dict()) == load_mapping(EXAMPLE)


def test_a_mapped_column_missing_from_the_source_is_a_mapping_error(tmp_path):
    data = example_dict()
    data["columns"]["amount"] = "Amount"
    with pytest.raises(ImportMappingError, match=r"\[columns\] amount = 'Amount': ar_history.csv has no such column"):
        import_generic(FIXTURES / "ar_history.csv", data, tmp_path)


# --------------------------------------------------------------------------- properties

SEPARATORS = [(".", ""), (",", ""), (".", ","), (",", "."), (",", " "), (".", " "), (".", "'")]
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999999999.99"), places=2)


def write_amount(value: Decimal, decimal: str, thousands: str, grouped: bool, short: bool, pad: bool) -> str:
    whole, frac = f"{value:.2f}".split(".")
    if grouped and thousands:
        head = len(whole) % 3 or 3
        whole = thousands.join([whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)])
    if short:  # "12" for 12.00, "12,5" for 12.50
        frac = frac.rstrip("0")
    text = whole + (decimal + frac if frac else "")
    return f"  {text} " if pad else text


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SEPARATORS),
    st.lists(st.tuples(AMOUNTS, st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=30),
)
def test_any_amount_written_with_the_separators_parses_exactly(separators, cases):
    decimal, thousands = separators
    texts = [write_amount(v, decimal, thousands, g, s, p).strip() for v, g, s, p in cases]
    parsed = parse_amounts(pl.Series(texts, dtype=pl.String), decimal, thousands)
    assert parsed["problem"].to_list() == [None] * len(cases), texts
    assert parsed["amount"].to_list() == [v for v, *_ in cases]
    negative = parse_amounts(pl.Series(["-" + t for t in texts], dtype=pl.String), decimal, thousands)
    assert negative["problem"].to_list() == ["is not positive (amounts must be > 0)"] * len(cases)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(SEPARATORS),
    st.lists(st.tuples(AMOUNTS, st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=20),
)
def test_amounts_round_trip_through_the_import(tmp_path_factory, separators, cases):
    decimal, thousands = separators
    tmp = tmp_path_factory.mktemp("rt")
    data = example_dict()
    data["source"].update(decimal=decimal, thousands=thousands, delimiter=";")
    lines = [HEADER.replace(",", ";")]
    for i, (value, grouped, short, pad) in enumerate(cases):
        amount = write_amount(value, decimal, thousands, grouped, short, pad)
        lines.append(f'{i:04d};C1;US;01/02/2024;;"{amount}";No;')
    src = write_source(tmp, lines)
    result = import_generic(src, data, tmp / "out")
    assert result.rows_quarantined == 0, result.issues
    assert column(tmp / "out" / "documents.csv", "amount") == [f"{v:.2f}" for v, *_ in cases]
    assert result.amount_imported == sum((v for v, *_ in cases), Decimal(0))


FIELD = st.text(alphabet=st.sampled_from(list('ab é,;"\n\t0')), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(FIELD, min_size=w, max_size=w), min_size=1, max_size=8)),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_fast_reader_agrees_with_the_exact_reader(records, delimiter, newline, quote_all):
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerows(records)
    text = buffer.getvalue()
    fast = _read_fast(text, delimiter)
    exact = _read_exact(text, delimiter, "f.csv", "utf-8", True)
    assert fast is not None, "the fast reader refused well-formed input"
    assert fast.header == exact.header
    assert fast.fields.equals(exact.fields)


def test_reader_picks_the_exact_path_for_broken_files():
    assert read_source(FIXTURES / "broken_rows.csv", "utf-8", ",").fast is False
    assert read_source(FIXTURES / "bad_rows.csv", "utf-8", ",").fast is True
    text, clean = _decode((FIXTURES / "bad_rows.csv").read_bytes(), "utf-8", "bad_rows.csv")
    assert _read_fast(text, ",").fields.equals(_read_exact(text, ",", "bad_rows.csv", "utf-8", clean).fields)
