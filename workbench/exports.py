"""Spreadsheet exports (CSV and XLSX) that are safe to open in Excel.

Customer-supplied text can start with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, which a spreadsheet may run as a formula ("CSV injection").
Every *text* value written here goes through :func:`neutralise`, which puts a
leading apostrophe in front of such text. Numbers are not text and are never
changed, so ``Decimal("-2.50")`` stays a negative number while the customer
name ``"-2+3"`` becomes ``"'-2+3"``.

* CSV: UTF-8, comma separated, RFC 4180 quoting, exact decimals written as
  their text (``Decimal("1234.50")`` → ``1234.50``), missing values empty.
* XLSX (xlsxwriter): text always via ``write_string`` (never a formula or a
  URL), money as numbers formatted ``#,##0.00`` (the Decimal → float step
  happens only here, for the spreadsheet's own display), percentages as
  fractions formatted ``0.0%``, dates as dates; bold frozen header, an
  autofilter and fitted column widths.

Both write atomically (a temporary file beside the target, then a rename) and
refuse to replace an existing file unless ``force=True``
(:mod:`workbench.outputs`): an export never overwrites a file by surprise.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from workbench.frames import frame_rows
from workbench.outputs import atomic_file, atomic_path, new_file

__all__ = ["FORMULA_TRIGGERS", "neutralise", "write_csv", "write_jsonl", "write_xlsx"]

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a text cell as a formula."""


def neutralise(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet could run as a formula; other text is unchanged."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _csv_text(value: Any) -> str:
    """Exact text of one value for CSV."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def write_csv(frame: Any, path: Path | str, *, bom: bool = False, force: bool = False) -> Path:
    """Write ``frame`` (polars or pandas) as a neutralised UTF-8 CSV; return the path.

    ``bom=True`` writes a UTF-8 byte order mark, which makes older Excel
    versions read accented names correctly. An existing file at ``path`` is
    refused (:class:`~workbench.outputs.OutputRefusedError`) unless ``force``;
    the file is written atomically.
    """
    target = new_file(path, force=force)
    columns, rows = frame_rows(frame)
    with atomic_file(target, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([neutralise(name) for name in columns])
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])
    return target


def _display_width(value: Any, money: bool, pct: bool) -> int:
    """Rough character width of a value as Excel will show it."""
    if value is None:
        return 0
    if money and isinstance(value, (Decimal, int)):
        return len(f"{Decimal(value):,.2f}")
    if pct and isinstance(value, (Decimal, int, float)):
        return len(f"{float(value) * 100:.1f}%")
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return len(str(value))


def write_xlsx(
    frame: Any,
    path: Path | str,
    *,
    sheet: str = "Sheet1",
    money_columns: Sequence[str] = (),
    pct_columns: Sequence[str] = (),
    title: str | None = None,
    force: bool = False,
) -> Path:
    """Write ``frame`` to a one-sheet workbook safe against formula injection; return the path.

    With ``title`` the sheet starts with the title in bold on row 1 and the
    table header on row 3; the header row is frozen and carries an autofilter.
    Money columns must hold ``Decimal``/``int`` (a float is a ``TypeError``).
    An existing file at ``path`` is refused unless ``force``; the workbook is
    written to a temporary file and renamed into place when complete.
    """
    target = new_file(path, force=force)
    columns, rows = frame_rows(frame)
    missing = [name for name in (*money_columns, *pct_columns) if name not in columns]
    if missing:
        raise KeyError(f"columns not in the frame: {', '.join(missing)}")
    money_cols, pct_cols = set(money_columns), set(pct_columns)

    with atomic_path(target) as tmp:
        _write_workbook(tmp, columns, rows, sheet, money_cols, pct_cols, title)
    return target


def _write_workbook(
    target: Path,
    columns: list[str],
    rows: Sequence[Sequence[Any]],
    sheet: str,
    money_cols: set[str],
    pct_cols: set[str],
    title: str | None,
) -> None:
    """The workbook of :func:`write_xlsx`, written to ``target``."""
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(str(target), options)
    try:
        sheet_ = workbook.add_worksheet(sheet)
        bold = workbook.add_format(
            {"bold": True, "bottom": 1, "bg_color": "#E8EEF5", "text_wrap": True, "valign": "top"}
        )
        title_fmt = workbook.add_format({"bold": True, "font_size": 14})
        money_fmt = workbook.add_format({"num_format": "#,##0.00"})
        pct_fmt = workbook.add_format({"num_format": "0.0%"})
        date_fmt = workbook.add_format({"num_format": "yyyy-mm-dd"})
        datetime_fmt = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})

        header_row = 0
        if title:
            sheet_.write_string(0, 0, neutralise(title), title_fmt)
            header_row = 2
        for col, name in enumerate(columns):
            sheet_.write_string(header_row, col, neutralise(name), bold)

        widths = [len(name) + 3 for name in columns]  # room for the filter button
        for offset, row in enumerate(rows, start=1):
            r = header_row + offset
            for col, (name, value) in enumerate(zip(columns, row)):
                is_money, is_pct = name in money_cols, name in pct_cols
                widths[col] = max(widths[col], _display_width(value, is_money, is_pct) + 1)
                if value is None:
                    sheet_.write_blank(r, col, None)
                elif isinstance(value, str):
                    sheet_.write_string(r, col, neutralise(value))
                elif is_money:
                    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
                        raise TypeError(f"money column {name!r} holds {type(value).__name__}; use Decimal or int")
                    sheet_.write_number(r, col, float(value), money_fmt)
                elif isinstance(value, bool):
                    sheet_.write_boolean(r, col, value)
                elif isinstance(value, (int, float, Decimal)):
                    sheet_.write_number(r, col, float(value), pct_fmt if is_pct else None)
                elif isinstance(value, datetime):
                    sheet_.write_datetime(r, col, value.replace(tzinfo=None), datetime_fmt)
                elif isinstance(value, date):
                    sheet_.write_datetime(r, col, datetime(value.year, value.month, value.day), date_fmt)
                else:
                    sheet_.write_string(r, col, neutralise(str(value)))

        for col, width in enumerate(widths):
            sheet_.set_column(col, col, min(max(width, 8), 60))
        sheet_.freeze_panes(header_row + 1, 0)
        if columns:
            sheet_.autofilter(header_row, 0, header_row + len(rows), len(columns) - 1)
    finally:
        workbook.close()


def write_jsonl(frame: Any, path: Path | str, *, force: bool = False) -> Path:
    """Write ``frame`` as JSON lines (one object per row, UTF-8); return the path.

    Values JSON cannot hold (dates, Decimals) are written as their text. An
    existing file is refused unless ``force``; the file is written atomically.
    """
    target = new_file(path, force=force)
    columns, rows = frame_rows(frame)
    with atomic_file(target, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False, default=str) + "\n")
    return target
