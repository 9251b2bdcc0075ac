"""Invalid Unicode in any text field sends the row to quarantine with file, line, column and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.errors import Issue
from workbench.ledger import load_ledger
from workbench.ledger.stream import validate_ledger
from workbench.ledger.validate import describe_invalid_text

from .builders import inv, write_ledger

HEADER = b"customer_id,name,country,currency\n"


def reasons(folder: Path, file: str) -> list[tuple[int, str]]:
    led = load_ledger(folder)
    streamed: list[Issue] = []
    validate_ledger(folder, streamed.extend, chunk_bytes=32)
    assert streamed == led.report.issues  # the chunked path finds the same
    return [(i.line, i.reason) for i in led.report.issues if i.file == file]


def test_undecodable_bytes_in_a_utf8_file_quarantine_their_rows(tmp_path) -> None:
    folder = write_ledger(tmp_path)
    (folder / "customers.csv").write_bytes(
        HEADER
        + "C1,Société Générale,FR,EUR\n".encode()
        + b"C2,Caf\xe9 \xffNoir,FR,EUR\n"
        + b"C3,Okay,FR,EUR\n"
        + b"C4,Half \xed\xa0\x80 surrogate,FR,EUR\n"
    )
    assert reasons(folder, "customers.csv") == [
        (3, "name contains invalid UTF-8 (byte 0xe9 at position 4)"),
        (5, "name contains invalid UTF-8 (bytes 0xed 0xa0 0x80 at position 6: the lone surrogate U+D800)"),
    ]
    led = load_ledger(folder)
    assert led.customers["name"].to_list() == ["Société Générale", "Okay"]  # the file was not garbled as cp1252


def test_a_declared_encoding_marks_bad_bytes_instead_of_refusing_the_file(tmp_path) -> None:
    folder = write_ledger(tmp_path)
    (folder / "ledger.toml").write_text('encoding = "utf-8"\n', encoding="utf-8")
    (folder / "customers.csv").write_bytes(HEADER + b"C1,Good,FR,EUR\nC2,Bad\xff,FR,EUR\n")
    assert reasons(folder, "customers.csv") == [(3, "name contains invalid UTF-8 (byte 0xff at position 4)")]
    # a pure-ASCII file with one stray byte and no encoding declared is still read as cp1252, with a note
    (folder / "ledger.toml").write_text("", encoding="utf-8")
    assert reasons(folder, "customers.csv") == [
        (3, "file is not valid UTF-8 (first bad byte on this line); read as cp1252")
    ]


def test_replacement_characters_controls_and_bytes_cp1252_lacks(tmp_path) -> None:
    folder = write_ledger(
        tmp_path,
        customers=[
            {"customer_id": "C1", "name": "Tab\tis fine", "country": "FR", "currency": "EUR"},
            {"customer_id": "C2", "name": "Lossy \ufffd name", "country": "FR", "currency": "EUR"},
            {"customer_id": "C3", "name": "Bell\x07", "country": "FR", "currency": "EUR", "segment": "x\x1by"},
            {"customer_id": "C4", "name": "Multi\nline", "country": "FR", "currency": "EUR"},
            {"customer_id": "C5", "name": "Not a char \uffff", "country": "FR", "currency": "EUR"},
        ],
        documents=[inv("A", "2025-01-01", "2025-01-31", "5.00", reference="REF\x7f1")],
    )
    assert reasons(folder, "customers.csv") == [
        (3, "name contains U+FFFD, the replacement character of a lossy decoding (at position 7)"),
        (
            4,
            "name contains the control character U+0007 (at position 5); "
            "segment contains the control character U+001B (at position 2)",
        ),
        (7, "name contains U+FFFF, which is not a character (at position 12)"),
    ]
    assert reasons(folder, "documents.csv") == [(2, "reference contains the control character U+007F (at position 4)")]
    # 0x81 is not a cp1252 character: the file is read as latin-1, where it is the C1 control U+0081
    (folder / "customers.csv").write_bytes(HEADER + b"C1,Caf\xe9,FR,EUR\nC2,Odd\x81,FR,EUR\n")
    assert reasons(folder, "customers.csv") == [
        (2, "file is not valid UTF-8 (first bad byte on this line); read as latin-1"),
        (3, "name contains the control character U+0081 (at position 4)"),
    ]


def test_utf16_file_with_a_lone_surrogate(tmp_path) -> None:
    folder = write_ledger(tmp_path)
    (folder / "ledger.toml").write_text('encoding = "utf-16-le"\n', encoding="utf-8")
    for path in folder.glob("*.csv"):
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    body = "customer_id,name,country,currency\nC1,Good,FR,EUR\n".encode("utf-16-le")
    (folder / "customers.csv").write_bytes(
        body + "C2,X".encode("utf-16-le") + b"\x00\xd8" + ",FR,EUR\n".encode("utf-16-le")
    )
    assert reasons(folder, "customers.csv") == [(3, "name contains invalid utf-16-le (byte 0x00 at position 2)")]


def test_parquet_text_that_is_not_utf8(tmp_path) -> None:
    folder = write_ledger(tmp_path)
    (folder / "customers.csv").unlink()
    data = b"GoodBad\xffName"
    offsets = np.array([0, 4, 12], dtype=np.int32)
    names = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])
    table = pa.table(
        {
            "customer_id": ["C1", "C2"],
            "name": names,
            "country": ["FR", "FR"],
            "currency": ["EUR", "EUR"],
            "vat_id": pa.array([b"FR1", b"\xfe2"], pa.binary()),
        }
    )
    pq.write_table(table, folder / "customers.parquet")
    assert reasons(folder, "customers.parquet") == [
        (
            2,
            "name contains invalid UTF-8 (byte 0xff at position 4); "
            "vat_id contains invalid UTF-8 (byte 0xfe at position 1)",
        )
    ]
    assert load_ledger(folder).customers["vat_id"].to_list() == ["FR1"]


def test_excel_cells_with_controls_and_replacement_characters(tmp_path) -> None:
    folder = write_ledger(tmp_path)
    (folder / "customers.csv").unlink()
    pl.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "name": ["Fine", "Ctl\x01", "Lossy\ufffd"],
            "country": ["FR"] * 3,
            "currency": ["EUR"] * 3,
        }
    ).write_excel(folder / "customers.xlsx")
    assert reasons(folder, "customers.xlsx") == [
        (3, "name contains the control character U+0001 (at position 4)"),
        (4, "name contains U+FFFD, the replacement character of a lossy decoding (at position 6)"),
    ]


def test_describe_invalid_text_names_the_first_problem() -> None:
    assert describe_invalid_text("clean\ttext\r\n") is None
    assert describe_invalid_text("a\U0010ffffb", 0x10FF00) == "contains invalid UTF-8 (byte 0xff at position 2)"
    assert describe_invalid_text("a\U0010ffffb") is None  # no marker block: a private-use character is text
    assert describe_invalid_text("x\x85") == "contains the control character U+0085 (at position 2)"


def test_excel_amounts_above_the_row_bound_are_quarantined(tmp_path) -> None:
    """Numeric cells, not text: 1e20 and 999999999999999.99 (read back as the double 1e15)."""
    write_ledger(tmp_path)
    for name in ("customers", "documents"):
        (tmp_path / f"{name}.csv").unlink()
    pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "name": ["Alpha", "Beta"],
            "country": ["FR", "FR"],
            "currency": ["EUR", "EUR"],
            "credit_limit": [50000.0, 1e20],
        }
    ).write_excel(tmp_path / "customers.xlsx")
    pl.DataFrame(
        {
            "document_id": ["G", "B", "H", "K"],
            "customer_id": ["C1"] * 4,
            "doc_type": ["invoice"] * 4,
            "doc_date": [date(2025, 1, 1)] * 4,
            "due_date": [date(2025, 1, 31)] * 4,
            "currency": ["EUR"] * 4,
            "amount": [5.0, 1e20, 999999999999999.99, 999999999999.0],
        }
    ).write_excel(tmp_path / "documents.xlsx")
    above = "is above the largest amount accepted per row (1,000,000,000,000)"
    assert reasons(tmp_path, "customers.xlsx") == [(3, f"credit_limit '100000000000000000000' {above}")]
    assert reasons(tmp_path, "documents.xlsx") == [
        (3, f"amount '100000000000000000000' {above}"),
        (4, f"amount '1000000000000000' {above}"),
    ]
    led = load_ledger(tmp_path)
    assert led.documents.sort("document_id")["amount"].to_list() == [5_000, 999_999_999_999_000]
    report = led.report.files["documents.xlsx"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (4, 2, 2)
    assert report.amount_loaded == Decimal("1000000000004.00")
