"""Read a delimited text file as text only, keeping the physical line of each record.

Nothing is inferred: every field stays the string written in the file. Quoted
fields may hold the delimiter, quotes (doubled) and line breaks; a record that
spans several lines is reported at the line where it starts.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import LedgerReadError

__all__ = ["SourceTable", "read_source"]

_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class SourceTable:
    """The records of a file.

    ``rows[i]`` has exactly ``len(header)`` fields (padded or cut when the
    record was ragged), starts on physical line ``lines[i]`` and, when it could
    not be read cleanly, ``problems[i]`` says why (the row must be quarantined).
    ``raw[i]`` keeps the fields as written for such rows.
    """

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    problems: dict[int, list[str]] = field(default_factory=dict)
    raw: dict[int, list[str]] = field(default_factory=dict)


def _decode(data: bytes, encoding: str, name: str) -> tuple[str, bool]:
    """Decode the whole file; undecodable bytes survive as surrogates (flagged per row)."""
    try:
        text = data.decode(encoding)
        clean = True
    except UnicodeDecodeError:
        try:
            text = data.decode(encoding, errors="surrogateescape")
        except UnicodeDecodeError as exc:
            raise LedgerReadError(f"{name}: cannot be decoded as {encoding} ({exc.reason} "
                                  f"at byte {exc.start})") from None
        clean = False
    if text.startswith("\ufeff"):  # a BOM under a plain "utf-8" declaration
        text = text[1:]
    return text, clean


def _show_bytes(text: str) -> str:
    """Make undecodable bytes visible as \\xNN escapes."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def read_source(path: Path, encoding: str, delimiter: str) -> SourceTable:
    """Read ``path`` with the stated encoding and delimiter (double-quote quoting)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerReadError(f"{path.name}: cannot read the source file ({exc.strerror})") from exc
    text, clean = _decode(data, encoding, path.name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise LedgerReadError(f"{path.name}: the file is empty (no header line)") from None
    except csv.Error as exc:
        raise LedgerReadError(f"{path.name}:1: the header line cannot be read ({exc})") from None
    if not clean and any(_SURROGATE.search(h) for h in header):
        raise LedgerReadError(f"{path.name}:1: the header is not valid {encoding}: "
                              f"{_show_bytes(delimiter.join(header))!r}")
    header = [h.strip() for h in header]
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    table = SourceTable(header, rows, lines)
    problems, raw = table.problems, table.raw
    end = reader.line_num
    physical: list[str] | None = None  # the file's lines, split only if a record is malformed
    # The loop is the one per-record Python pass; keep it lean.
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if physical is None:
                physical = io.StringIO(text, newline="").readlines()
            record = _reparse(physical[start - 1:reader.line_num], delimiter)
            problems[len(rows)] = [f"malformed CSV record (lines {start}-{reader.line_num}): {exc}"]
        end = reader.line_num
        if len(record) != width:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            idx = len(rows)
            raw[idx] = record
            problems.setdefault(idx, []).append(f"record has {len(record)} fields, the header has {width}")
            record = (record + [""] * width)[:width]
        elif not "".join(record).strip():
            continue  # a row of empty fields (spreadsheet exports pad with them)
        rows.append(record)
        lines.append(start)
    if not clean:
        _flag_undecodable(table, encoding)
    return table


def _reparse(lines: list[str], delimiter: str) -> list[str]:
    """Fields of a malformed record, read leniently, for the quarantine file."""
    chunk = "".join(lines)
    return next(csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter, strict=False), [])


def _flag_undecodable(table: SourceTable, encoding: str) -> None:
    for idx, record in enumerate(table.rows):
        bad = [(name, value) for name, value in zip(table.header, record) if _SURROGATE.search(value)]
        if not bad:
            continue
        column, value = bad[0]
        shown = _show_bytes(value)
        table.problems.setdefault(idx, []).append(
            f"column {column}: {shown!r} holds bytes that are not valid {encoding}")
        table.raw[idx] = [_show_bytes(v) for v in table.raw.get(idx, record)]
        table.rows[idx] = [_SURROGATE.sub("\ufffd", v) for v in record]
