"""Read one ledger table (CSV, Parquet or Excel) as text, with physical line numbers.

Every column comes back as text so that validation, not a reader's guess,
decides what a value means. Each row carries ``_line``: the physical line of
the file where its record starts (header = line 1). For Parquet the line is
the row number (first row = 1); for Excel it is the sheet row (header = 1).

Structural defects (a record with too few or too many fields, a truncated
last line) become :class:`Issue` records and the rows are kept aside as
quarantine, never dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import Issue, LedgerReadError

LINE = "_line"


@dataclass
class RawTable:
    """A table read as text: good rows, structurally broken rows, and notes."""

    file: str
    frame: pl.DataFrame
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw text)
    notes: list[Issue] = field(default_factory=list)
    encoding: str = "utf-8"


def _decode(data: bytes, file: str, encoding: str | None) -> tuple[bytes, str, list[Issue]]:
    """Return UTF-8 bytes, the encoding used, and notes about it."""
    notes: list[Issue] = []
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise LedgerReadError(f"{file}: cannot be read as {encoding}: {exc}") from exc
        return text.encode("utf-8"), encoding, notes
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        enc = "utf-8-sig"
    else:
        enc = "utf-8"
    try:
        data.decode("utf-8")
        return data, enc, notes
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        for fallback in ("cp1252", "latin-1"):
            try:
                text = data.decode(fallback)
            except UnicodeDecodeError:
                continue
            notes.append(
                Issue(
                    file,
                    line,
                    f"file is not valid UTF-8 (first bad byte on this line); read as {fallback}",
                    quarantined=False,
                )
            )
            return text.encode("utf-8"), fallback, notes
    raise LedgerReadError(f"{file}: unknown text encoding")  # pragma: no cover - latin-1 accepts all bytes


def _line_field_counts(data: bytes, sep: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Per physical line: number of fields and whether it is blank (no-quote files only)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    ends_with_newline = bool(len(buf) and buf[-1] == 10)
    tail = np.array([] if ends_with_newline else [len(buf)], dtype=np.int64)
    bounds = np.concatenate((np.array([-1], dtype=np.int64), newlines.astype(np.int64), tail))
    sep_positions = np.flatnonzero(buf == sep)
    seps_before = np.searchsorted(sep_positions, bounds + 1)
    counts = np.diff(seps_before) + 1
    lengths = np.diff(bounds) - 1
    # a line holding only "\r" is blank too
    last_char = buf[np.maximum(bounds[1:] - 1, 0)] if len(buf) else np.array([], dtype=np.uint8)
    blank = (lengths == 0) | ((lengths == 1) & (last_char == 13))
    return counts, blank, ends_with_newline


def _read_csv_fast(data: bytes, file: str, header: list[str]) -> RawTable:
    """Files without quote characters: polars parses, numpy checks field counts."""
    counts, blank, ends_nl = _line_field_counts(data, ord(","))
    frame = pl.read_csv(
        io.BytesIO(data),
        infer_schema=False,
        quote_char=None,
        truncate_ragged_lines=True,
    )
    n = frame.height
    lines = np.arange(2, n + 2)
    data_counts = counts[1 : n + 1]
    data_blank = blank[1 : n + 1]
    bad = (~data_blank) & (data_counts != len(header))
    broken: list[tuple[int, str, str]] = []
    if bad.any():
        raw_lines = data.split(b"\n")
        for idx in np.flatnonzero(bad):
            line = int(lines[idx])
            reason = f"has {int(data_counts[idx])} fields, the header has {len(header)}"
            if line == len(counts) and not ends_nl:
                reason += " (the file ends without a newline: truncated?)"
            broken.append((line, reason, raw_lines[line - 1].decode("utf-8", "replace").rstrip("\r")))
    keep = pl.Series((~data_blank) & (~bad))
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)).filter(keep)
    return RawTable(file, _strip_cr(frame) if b"\r" in data else frame, broken)


def _read_csv_quoted(text: str, file: str, header: list[str]) -> RawTable:
    """Files with quoted fields: the csv module tracks where each record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    columns: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    broken: list[tuple[int, str, str]] = []
    start = reader.line_num + 1
    ends_nl = text.endswith("\n")
    for record in reader:
        if not record or record == [""]:
            start = reader.line_num + 1
            continue
        if len(record) != len(header):
            reason = f"has {len(record)} fields, the header has {len(header)}"
            if not ends_nl and reader.line_num == text.count("\n") + 1:
                reason += " (the file ends without a newline: truncated?)"
            broken.append((start, reason, ",".join(record)))
        else:
            for col, value in zip(columns, record):
                col.append(value)
            lines.append(start)
        start = reader.line_num + 1
    frame = pl.DataFrame({name: col for name, col in zip(header, columns)}, schema=dict.fromkeys(header, pl.String))
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in header)
    return RawTable(file, _strip_cr(frame), broken)


def _strip_cr(frame: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(pl.col(c).str.strip_chars_end("\r").replace("", None) for c in text_cols)


def read_csv_text(path: Path, encoding: str | None = None) -> RawTable:
    """Read a CSV file entirely as text with line numbers (see module doc)."""
    file = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerReadError(f"{file}: cannot be read: {exc.strerror}") from exc
    data, enc, notes = _decode(raw, file, encoding)
    if not data.strip():
        raise LedgerReadError(f"{file}: the file is empty (no header row)")
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = next(csv.reader([first]))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise LedgerReadError(f"{file}: the header repeats column(s) {', '.join(dupes)}")
    if b'"' in data:
        table = _read_csv_quoted(data.decode("utf-8"), file, header)
    else:
        table = _read_csv_fast(data, file, header)
        table.frame.columns = header + [LINE]
    table.notes = notes + table.notes
    table.encoding = enc
    return table


def read_parquet_text(path: Path) -> RawTable:
    """Read a Parquet file: dates and decimals (up to 3 places) stay typed, the rest as text."""
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for corrupt files
        raise LedgerReadError(f"{path.name}: cannot be read as Parquet: {exc}") from exc
    keep = {c for c, t in frame.schema.items() if t == pl.Date or (isinstance(t, pl.Decimal) and t.scale <= 3)}
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns if c not in keep)
    frame = frame.with_columns(pl.Series(LINE, np.arange(1, frame.height + 1), dtype=pl.Int64))
    return RawTable(path.name, frame, encoding="parquet")


def read_excel_text(path: Path) -> RawTable:
    """Read the first sheet of an .xlsx file as text (header on row 1)."""
    try:
        frame = pl.read_excel(path, infer_schema_length=0)
    except Exception as exc:
        raise LedgerReadError(f"{path.name}: cannot be read as Excel: {exc}") from exc
    frame = frame.with_columns(
        pl.col(c).cast(pl.String).str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", "$1") for c in frame.columns
    )
    frame = frame.with_columns(pl.Series(LINE, np.arange(2, frame.height + 2), dtype=pl.Int64))
    return RawTable(path.name, frame, encoding="xlsx")


def find_table(folder: Path, stem: str) -> Path | None:
    """The file holding table ``stem`` in a ledger folder (csv, parquet or xlsx)."""
    for suffix in (".csv", ".parquet", ".xlsx"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def read_table(path: Path, encoding: str | None = None) -> RawTable:
    """Read a ledger table by its suffix."""
    if path.suffix == ".parquet":
        return read_parquet_text(path)
    if path.suffix == ".xlsx":
        return read_excel_text(path)
    return read_csv_text(path, encoding)
