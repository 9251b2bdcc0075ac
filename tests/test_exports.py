"""Spreadsheet exports: formula injection is neutralised, money stays exact/numeric."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import polars as pl
import pytest

from workbench.exports import neutralise, write_csv, write_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _frame() -> pl.DataFrame:
    names = [*HOSTILE, "Acme Ltd", "Zoë & Söhne"]
    count = len(names)
    return pl.DataFrame(
        {
            "customer": names,
            "due": [date(2025, 1, index + 1) for index in range(count)],
            "balance": [
                Decimal("1234.50"),
                Decimal("-2.50"),
                Decimal("0.10"),
                Decimal("1000000.00"),
                Decimal("3.00"),
                Decimal("4.00"),
                Decimal("5.55"),
                Decimal("6.66"),
            ],
            "overdue": [0.25, 0.0, 1.0, 0.5, 0.1, 0.2, 0.3, None],
            "invoices": list(range(1, count + 1)),
        },
        schema_overrides={"balance": pl.Decimal(18, 2)},
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralise_prefixes_formula_triggers(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Acme", "", "1+1", "'quoted", " =x", "a=b"])
def test_neutralise_leaves_plain_text(text: str) -> None:
    assert neutralise(text) == text


def test_csv_neutralises_text_and_keeps_exact_numbers(tmp_path: Path) -> None:
    path = write_csv(_frame(), tmp_path / "out.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["customer", "due", "balance", "overdue", "invoices"]
    body = rows[1:]
    for text, row in zip(HOSTILE, body):
        assert row[0] == "'" + text
    assert body[6][0] == "Acme Ltd" and body[7][0] == "Zoë & Söhne"
    assert [row[2] for row in body[:4]] == ["1234.50", "-2.50", "0.10", "1000000.00"]  # numbers untouched
    assert body[0][1] == "2025-01-01"
    assert body[7][3] == ""  # missing → empty
    assert path.read_bytes().startswith(b"customer,")  # no BOM unless asked


def test_csv_bom_and_pandas(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": ["=1+1", None], "amount": [Decimal("1.10"), Decimal("2")]})
    path = write_csv(frame, tmp_path / "p.csv", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfname,amount\r\n'=1+1,1.10\r\n,2\r\n")


def test_xlsx_neutralises_text_and_formats_money(tmp_path: Path) -> None:
    path = write_xlsx(
        _frame(),
        tmp_path / "out.xlsx",
        sheet="Top",
        money_columns=["balance"],
        pct_columns=["overdue"],
    )
    book = openpyxl.load_workbook(path)
    sheet = book["Top"]
    assert [cell.value for cell in sheet[1]] == ["customer", "due", "balance", "overdue", "invoices"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E9"
    for row, text in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row=row, column=1)
        # OOXML stores a carriage return as "_x000D_"; Excel decodes it, openpyxl does not.
        assert cell.value.replace("_x000D_", "\r") == "'" + text
        assert cell.data_type == "s"  # a string, never a formula ("f")
    for row in range(2, 10):
        for column in range(1, 6):
            assert sheet.cell(row=row, column=column).data_type != "f"
    money = sheet.cell(row=2, column=3)
    assert money.data_type == "n" and money.value == 1234.5 and money.number_format == "#,##0.00"
    assert sheet.cell(row=3, column=3).value == -2.5  # a negative number is not neutralised
    assert sheet.cell(row=2, column=4).number_format == "0.0%"
    assert sheet.cell(row=2, column=5).value == 1
    assert sheet.cell(row=2, column=2).is_date
    assert sheet.column_dimensions["A"].width > len(HOSTILE[0])


def test_xlsx_with_title_moves_the_header(tmp_path: Path) -> None:
    path = write_xlsx(_frame(), tmp_path / "t.xlsx", money_columns=["balance"], title="=Top customers")
    sheet = openpyxl.load_workbook(path)["Sheet1"]
    assert sheet["A1"].value == "'=Top customers" and sheet["A1"].font.bold
    assert sheet["A3"].value == "customer"
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == "A3:E11"


def test_xlsx_refuses_float_money(tmp_path: Path) -> None:
    frame = pl.DataFrame({"amount": [1.5]})
    with pytest.raises(TypeError, match="Decimal"):
        write_xlsx(frame, tmp_path / "f.xlsx", money_columns=["amount"])
    with pytest.raises(KeyError):
        write_xlsx(frame, tmp_path / "g.xlsx", money_columns=["nope"])
