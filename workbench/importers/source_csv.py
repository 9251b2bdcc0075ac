"""Read a delimited text file as text only, keeping the physical line of each record.

Nothing is inferred: every field stays the string written in the file. Quoted
fields may hold the delimiter, doubled quotes and line breaks; a record that
spans several lines is reported at the line where it starts (header = line 1).

Two readers give the same result. The fast one (polars) is used when every
record is well-formed RFC 4180 with the header's number of fields and line
breaks are ``\\n`` or ``\\r\\n``; any doubt (malformed quoting, ragged records,
undecodable bytes, lone ``\\r``) sends the whole file to Python's ``csv``
module, which reports each such record precisely.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.errors import LedgerReadError

__all__ = ["SourceTable", "read_source"]

LINE = "_line"
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass
class SourceTable:
    """The data records of a file (blank records dropped).

    ``fields`` has one String column per header position, named ``"0"``,
    ``"1"``, ..., plus ``_line`` (physical start line). ``problems[i]`` lists
    why record ``i`` could not be read cleanly (it must be quarantined) and
    ``raw[i]`` then holds its fields as written when they differ from
    ``fields`` (ragged or undecodable records). ``undecodable[i]`` says which
    cell of record ``i`` held bytes invalid in the encoding (shown as \\xNN;
    the row is readable, but must be quarantined).
    """

    header: list[str]
    fields: pl.DataFrame
    problems: dict[int, list[str]] = field(default_factory=dict)
    raw: dict[int, list[str]] = field(default_factory=dict)
    undecodable: dict[int, str] = field(default_factory=dict)
    fast: bool = True

    @property
    def width(self) -> int:
        return len(self.header)

    def column(self, position: int) -> pl.Series:
        return self.fields[str(position)]


def read_source(path: Path, encoding: str, delimiter: str) -> SourceTable:
    """Read ``path`` with the stated encoding and delimiter (double-quote quoting)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LedgerReadError(f"{path.name}: cannot read the source file ({exc.strerror})") from exc
    text, clean = _decode(data, encoding, path.name)
    table = _read_fast(text, delimiter) if clean else None
    if table is None:
        table = _read_exact(text, delimiter, path.name, encoding, clean)
    if not table.header or table.header == [""]:
        if text.strip():
            raise LedgerReadError(f"{path.name}:1: the header line is blank (the header must be line 1)")
        raise LedgerReadError(f"{path.name}: the file is empty (no header line)")
    return table


def _decode(data: bytes, encoding: str, name: str) -> tuple[str, bool]:
    """Decode the whole file; undecodable bytes survive as surrogates (flagged per row)."""
    try:
        text, clean = data.decode(encoding), True
    except UnicodeDecodeError:
        try:
            text, clean = data.decode(encoding, errors="surrogateescape"), False
        except UnicodeDecodeError as exc:
            raise LedgerReadError(
                f"{name}: cannot be decoded as {encoding} ({exc.reason} at byte {exc.start})"
            ) from None
    if text.startswith("\ufeff"):  # a BOM under a plain "utf-8" declaration
        text = text[1:]
    return text, clean


# --------------------------------------------------------------------------- fast path


def _read_fast(text: str, delimiter: str) -> SourceTable | None:
    """polars reader, or None when the file needs the exact reader."""
    if text.count("\r") != text.count("\r\n") or ord(delimiter) > 127:  # polars splits on one byte
        return None
    d = f"\\x{{{ord(delimiter):X}}}"  # the delimiter as a regex escape, safe in and out of classes
    quoted = r'"(?:[^"]|"")*"'
    plain = rf'[^"\r\n{d}]*'
    record_re = rf"^(?:{quoted}|{plain})(?:{d}(?:{quoted}|{plain}))*$"
    lines = pl.Series("t", [text]).str.split("\n").explode()
    if text.endswith("\n"):
        lines = lines.head(len(lines) - 1)
    frame = lines.str.strip_suffix("\r").to_frame().with_columns(q=pl.col("t").str.count_matches('"', literal=True))
    if frame["q"].sum() % 2:
        return None  # an unterminated quote
    frame = frame.with_columns(**{LINE: pl.int_range(1, pl.len() + 1, dtype=pl.Int64)})
    if (frame["q"] % 2).sum() == 0:  # no record spans lines
        records = frame.select("t", LINE)
    else:  # join the lines of records that span lines (quote parity), leave the others alone
        starts = (pl.col("q").cum_sum() - pl.col("q")) % 2 == 0
        frame = frame.with_columns(start=starts, rec=starts.cum_sum())
        spanning = ~pl.col("start") | ~pl.col("start").shift(-1, fill_value=True)
        joined = (
            frame.filter(spanning)
            .group_by("rec", maintain_order=True)
            .agg(pl.col("t").str.join("\n"), pl.col(LINE).first())
        )
        records = pl.concat([frame.filter(~spanning).select("t", LINE), joined.select("t", LINE)]).sort(LINE)
    checks = records.select(
        ok=pl.col("t").str.contains(record_re),
        n=pl.col("t").str.replace_all(quoted, "").str.count_matches(delimiter, literal=True) + 1,
    )
    width = int(checks["n"][0]) if len(checks) else 0
    if not checks["ok"].all() or (checks["n"] != width).any():
        blank = records["t"].str.strip_chars() == ""
        if not ((checks["ok"] & (checks["n"] == width)) | blank).all():
            return None
    try:
        parsed = pl.read_csv(
            text.encode("utf-8"),
            has_header=False,
            infer_schema=False,
            separator=delimiter,
            quote_char='"',
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if parsed.height != records.height or parsed.width != width:
        return None
    parsed = parsed.rename({c: str(i) for i, c in enumerate(parsed.columns)})
    header = [h.strip() for h in parsed.row(0)] if parsed.height else []
    parsed = parsed.with_columns(records[LINE]).slice(1)
    # blank records: a whitespace-only line, or a row of empty fields
    blank_record = pl.concat_str([pl.col(str(i)) for i in range(width)]).str.strip_chars() == ""
    return SourceTable(header, parsed.filter(~blank_record), fast=True)


# --------------------------------------------------------------------------- exact path


def _show_bytes(text: str) -> str:
    """Make undecodable bytes visible as \\xNN escapes."""
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def _read_exact(text: str, delimiter: str, name: str, encoding: str, clean: bool) -> SourceTable:
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=True
    )
    try:
        header = next(reader)
    except StopIteration:
        return SourceTable([], pl.DataFrame(), fast=False)
    except csv.Error as exc:
        raise LedgerReadError(f"{name}:1: the header line cannot be read ({exc})") from None
    if not clean and any(_SURROGATE.search(h) for h in header):
        raise LedgerReadError(f"{name}:1: the header is not valid {encoding}: {_show_bytes(delimiter.join(header))!r}")
    header = [h.strip() for h in header]
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: dict[int, list[str]] = {}
    raw: dict[int, list[str]] = {}
    physical: list[str] | None = None  # the file's lines, split only if a record is malformed
    end = reader.line_num
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if physical is None:
                physical = io.StringIO(text, newline="").readlines()
            chunk = "".join(physical[start - 1 : reader.line_num])
            record = next(csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter), [])
            problems[len(rows)] = [f"malformed CSV record (lines {start}-{reader.line_num}): {exc}"]
            raw[len(rows)] = record
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
    undecodable = {} if clean else _flag_undecodable(header, rows, raw, encoding)
    columns = {str(i): pl.Series(str(i), [r[i] for r in rows], dtype=pl.String) for i in range(width)}
    columns[LINE] = pl.Series(LINE, lines, dtype=pl.Int64)
    return SourceTable(header, pl.DataFrame(columns), problems, raw, undecodable, fast=False)


def _flag_undecodable(
    header: list[str], rows: list[list[str]], raw: dict[int, list[str]], encoding: str
) -> dict[int, str]:
    """Reasons for records holding undecodable bytes; their cells get U+FFFD instead."""
    reasons: dict[int, str] = {}
    for idx, record in enumerate(rows):
        bad = [(name, value) for name, value in zip(header, record) if _SURROGATE.search(value)]
        if not bad:
            continue
        reasons[idx] = "; ".join(
            f"column {name}: '{_show_bytes(value)}' holds bytes that are not valid {encoding}" for name, value in bad
        )
        raw[idx] = [_show_bytes(v) for v in raw.get(idx, record)]
        rows[idx] = [_SURROGATE.sub("\ufffd", v) for v in record]
    return reasons
