"""Read one ledger table (CSV, Parquet or Excel) as text, with physical line numbers.

Every column comes back as text so that validation, not a reader's guess,
decides what a value means. Each row carries ``_line``: the physical line of
the file where its record starts (header = line 1). For Parquet the line is
the row number (first row = 1); for Excel it is the sheet row (header = 1).

Structural defects (a record with too few or too many fields, a truncated
last line) become :class:`Issue` records and the rows are kept aside as
quarantine, never dropped.

A table is read whole (:func:`read_table`) or in chunks of about
``chunk_bytes`` (:func:`iter_table`), which gives the same rows, line numbers
and defects with a working set bounded by the chunk size.

**Undecodable bytes.** A CSV file is decoded with its declared encoding
(``ledger.toml``), or detected: UTF-8 (with or without a byte order mark),
else cp1252, else latin-1. A byte that the chosen encoding cannot decode is
not replaced silently: it becomes a *marker*, the private-use character
``chr(marker + byte)`` (``marker`` is ``0x10FF00`` unless the file itself
uses that block), and validation quarantines the row naming the column, the
byte and its position. The same holds for Parquet text stored as invalid
UTF-8. ``RawTable.marker`` is ``None`` when no byte needed one.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import Issue, LedgerReadError

LINE = "_line"

#: Default size of one chunk of :func:`iter_table` (bytes of the file as read).
CHUNK_BYTES = 16 * 1024 * 1024

#: The first code point of the default marker block (see the module doc).
MARKER = 0x10FF00
_HIGH = re.compile("[\U0010f000-\U0010ffff]")
#: Bytes that may begin a NUL, a control character, U+FFFD/U+FFFE/U+FFFF or a marker in UTF-8 text.
_SUSPECT = bytes([*range(0, 9), 11, 12, *range(14, 32), 0x7F, 0xC2, 0xEF, 0xF4])
_HIGH_BYTES = bytes(range(128, 256))
_NOT_SUSPECT = bytes(sorted(set(range(256)) - set(_SUSPECT)))
_VALID_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


@dataclass
class RawTable:
    """A table (or one chunk of it) read as text: good rows, structurally broken rows, and notes.

    ``marker`` is the first code point of the block standing for undecodable
    bytes, or ``None`` when none occurred. ``plain`` is true when the bytes
    read show that no field can hold a NUL, a control character, U+FFFD or a
    marker (validation then skips those character checks).
    """

    file: str
    frame: pl.DataFrame
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw text)
    notes: list[Issue] = field(default_factory=list)
    encoding: str = "utf-8"
    marker: int | None = None
    plain: bool = False


def encoding_label(encoding: str) -> str:
    """How an encoding is named in messages: ``UTF-8`` for utf-8 and utf-8-sig, else its codec name."""
    name = codecs.lookup(encoding).name
    return "UTF-8" if name in ("utf-8", "utf-8-sig") else name


def _marker_for(used: set[int], file: str) -> int:
    """The first marker block (from U+10FF00 down) whose code points the text does not use itself."""
    for base in range(MARKER, 0x10F000 - 1, -0x100):
        if base >> 8 not in used:
            return base
    raise LedgerReadError(f"{file}: uses every private-use block U+10F000-U+10FFFF; cannot mark its undecodable bytes")


def _used_blocks(text: str) -> set[int]:
    return {ord(ch) >> 8 for ch in _HIGH.findall(text)}


_MARKED: dict[int, int] = {}  # per marker block: how many undecodable bytes were marked so far


def _marker_handler(marker: int) -> str:
    """The name of the codecs error handler marking undecodable bytes with block ``marker`` (registered once)."""
    name = f"workbench-marker-{marker:x}"
    if marker not in _MARKED:

        def handler(exc: UnicodeError) -> tuple[str, int]:
            if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only decoding uses it
                raise exc
            _MARKED[marker] += exc.end - exc.start
            return "".join(chr(marker + b) for b in exc.object[exc.start : exc.end]), exc.end

        codecs.register_error(name, handler)
        _MARKED[marker] = 0
    return name


class _Marks:
    """Decoding with undecodable bytes turned into marker characters; ``used`` says whether any was."""

    def __init__(self, marker: int) -> None:
        self.marker = marker
        self.name = _marker_handler(marker)
        self.before = _MARKED[marker]

    @property
    def used(self) -> bool:
        """Whether a byte has been marked since this decoding started."""
        return _MARKED[self.marker] != self.before


@dataclass
class _Plan:
    """How a CSV file is decoded: codec, the note about it, whether it has quotes."""

    codec: str
    label: str
    notes: list[Issue]
    quoted: bool
    used: set[int]
    valid: bool = False  # the bytes are valid UTF-8 (after a byte order mark): no decoding needed


def _plan(blocks: Iterable[bytes], file: str, encoding: str | None, chunked: bool) -> _Plan:
    """Decide the encoding of a CSV file from its bytes (one pass over ``blocks``).

    Declared encodings are used as given. Otherwise: a byte order mark or valid
    UTF-8 means UTF-8; a file with more valid UTF-8 multi-byte sequences than
    invalid bytes is UTF-8 too (its bad bytes are errors of the rows holding
    them, and reading it as cp1252 would garble every other accent); else
    cp1252 if it decodes, else latin-1, with a note at the first bad line.
    """
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as exc:
            raise LedgerReadError(f"{file}: cannot be read as {encoding}: {exc}") from exc
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        has_quote, in_file = False, set[int]()
        for block in itertools.chain(blocks, [b""]):
            text = decoder.decode(block, final=not block)
            has_quote = has_quote or '"' in text
            if "\U0010f000" <= max(text, default=" "):
                in_file |= _used_blocks(text)
        return _Plan(codec, encoding_label(codec), [], has_quote, in_file)
    strict = codecs.getincrementaldecoder("utf-8")()
    utf8_ok, bom, first = True, False, True
    bad_line = 0
    newlines = valid_bytes = high_bytes = 0
    cp1252_ok = True
    quoted = False
    used: set[int] = set()
    for block in blocks:
        if first:
            bom, first = block.startswith(codecs.BOM_UTF8), False
        quoted = quoted or b'"' in block
        if b"\xf4" in block:
            used |= _used_blocks(block.decode("utf-8", "replace"))
        if utf8_ok:
            try:
                strict.decode(block)
                if chunked:  # every non-ASCII byte of valid UTF-8 belongs to a valid sequence
                    valid_bytes += len(block) - len(block.translate(None, _HIGH_BYTES))
            except UnicodeDecodeError as exc:
                utf8_ok = False
                bad_line = newlines + block.count(b"\n", 0, exc.start) + 1
                high_bytes += valid_bytes
        if not utf8_ok:
            high = len(block) - len(block.translate(None, _HIGH_BYTES))
            high_bytes += high
            if high:
                valid_bytes += sum(len(m) for m in _VALID_MULTIBYTE.findall(block))
            if cp1252_ok:
                try:
                    block.decode("cp1252")
                except UnicodeDecodeError:
                    cp1252_ok = False
        if chunked or not utf8_ok:
            newlines += block.count(b"\n")
    if utf8_ok:
        try:
            strict.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok, bad_line = False, newlines + 1
    if utf8_ok or bom or valid_bytes > high_bytes - valid_bytes:
        codec = "utf-8-sig" if bom else "utf-8"
        return _Plan(codec, "UTF-8", [], quoted, used, valid=utf8_ok)
    fallback = "cp1252" if cp1252_ok else "latin-1"
    note = Issue(
        file, bad_line, f"file is not valid UTF-8 (first bad byte on this line); read as {fallback}", quarantined=False
    )
    return _Plan(fallback, fallback, [note], quoted, set())


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


def _read_csv_fast(data: bytes, file: str, header: list[str], offset: int = 0) -> RawTable:
    """Files without quote characters: polars parses, numpy checks field counts.

    ``data`` starts with the header line; ``offset`` is added to every line
    number (the lines of the file before this chunk's first data line, less one).
    """
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
            text = raw_lines[line - 1].decode("utf-8", "replace").rstrip("\r")
            broken.append((line + offset, reason, text))
    keep = pl.Series((~data_blank) & (~bad))
    frame = frame.with_columns(pl.Series(LINE, lines + offset, dtype=pl.Int64)).filter(keep)
    frame.columns = header + [LINE]
    return RawTable(file, _strip_cr(frame) if b"\r" in data else frame, broken)


class _Lines:
    """Physical lines of decoded text chunks, as the csv module splits them; knows the file's end."""

    def __init__(self, chunks: Iterator[tuple[str, bool]]) -> None:
        self.chunks = chunks
        self.final = False
        self.newlines = 0
        self.ends_nl = True

    def __iter__(self) -> Iterator[str]:
        for text, final in self.chunks:
            self.newlines += text.count("\n")
            if final:
                self.final, self.ends_nl = True, text.endswith("\n") or (not text and self.ends_nl)
            elif text:
                self.ends_nl = text.endswith("\n")
            yield from io.StringIO(text, newline="")


def _read_csv_quoted(lines: _Lines, file: str, header: list[str], batch_chars: int | None) -> Iterator[RawTable]:
    """Files with quoted fields: the csv module tracks where each record starts.

    Yields frames of records holding about ``batch_chars`` characters (all
    records in one frame when ``None``).
    """
    reader = csv.reader(iter(lines))
    next(reader)
    start = reader.line_num + 1

    def fresh() -> tuple[list[list[str]], list[int], list[tuple[int, str, str]]]:
        return [[] for _ in header], [], []

    columns, numbers, broken = fresh()
    size = 0
    for record in reader:
        if not record or record == [""]:
            start = reader.line_num + 1
            continue
        if len(record) != len(header):
            reason = f"has {len(record)} fields, the header has {len(header)}"
            if lines.final and not lines.ends_nl and reader.line_num == lines.newlines + 1:
                reason += " (the file ends without a newline: truncated?)"
            broken.append((start, reason, ",".join(record)))
        else:
            for col, value in zip(columns, record):
                col.append(value)
            numbers.append(start)
            if batch_chars is not None:
                size += sum(len(v) for v in record) + len(record)
        start = reader.line_num + 1
        if batch_chars is not None and size >= batch_chars:
            yield _quoted_frame(file, header, columns, numbers, broken)
            columns, numbers, broken = fresh()
            size = 0
    yield _quoted_frame(file, header, columns, numbers, broken)


def _quoted_frame(
    file: str, header: list[str], columns: list[list[str]], lines: list[int], broken: list[tuple[int, str, str]]
) -> RawTable:
    frame = pl.DataFrame({name: col for name, col in zip(header, columns)}, schema=dict.fromkeys(header, pl.String))
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    frame = frame.with_columns(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in header)
    return RawTable(file, _strip_cr(frame), broken)


def _strip_cr(frame: pl.DataFrame) -> pl.DataFrame:
    text_cols = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(pl.col(c).str.strip_chars_end("\r").replace("", None) for c in text_cols)


def _raw_blocks(path: Path, chunk_bytes: int | None) -> Iterator[bytes]:
    """The file's bytes: whole, or in blocks of ``chunk_bytes``."""
    file = path.name
    try:
        if chunk_bytes is None:
            yield path.read_bytes()
            return
        with path.open("rb") as handle:
            while block := handle.read(chunk_bytes):
                yield block
    except OSError as exc:
        raise LedgerReadError(f"{file}: cannot be read: {exc.strerror}") from exc


def _utf8(blocks: Iterable[bytes], plan: _Plan, marks: _Marks, whole: bool) -> Iterator[tuple[bytes, bool]]:
    """UTF-8 bytes cut after their last newline, with whether they end the file.

    Valid UTF-8 passes through undecoded (only a byte order mark is cut off);
    anything else is decoded with the plan's codec, undecodable bytes marked.
    """
    if plan.valid:
        rest = b""
        bom = plan.codec == "utf-8-sig"
        for block in blocks:
            if bom:
                block, bom = block[3:] if block.startswith(codecs.BOM_UTF8) else block, False
            if whole:
                yield block, True
                return
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if cut:
                yield data[:cut], False
                rest = data[cut:]
            else:
                rest = data
        yield rest, True
        return
    decoder = codecs.getincrementaldecoder(plan.codec)(errors=marks.name)
    text = ""
    for block in blocks:
        text += decoder.decode(block)
        cut = text.rfind("\n") + 1
        if cut and not whole:
            yield text[:cut].encode("utf-8"), False
            text = text[cut:]
    text += decoder.decode(b"", final=True)
    yield text.encode("utf-8"), True


def _is_plain(data: bytes) -> bool:
    return not data.translate(None, _NOT_SUSPECT)


def _header(first: str, file: str) -> list[str]:
    header = [h.strip() for h in next(csv.reader([first.rstrip("\r")]))]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise LedgerReadError(f"{file}: the header repeats column(s) {', '.join(dupes)}")
    return header


def _csv_chunks(path: Path, encoding: str | None, chunk_bytes: int | None) -> Iterator[RawTable]:
    """The CSV file as :class:`RawTable` chunks (one when ``chunk_bytes`` is None); the first carries the notes."""
    file = path.name
    if chunk_bytes is None:
        raw = next(_raw_blocks(path, None))
        plan = _plan([raw], file, encoding, chunked=False)
        blocks: Iterable[bytes] = [raw]
    else:
        plan = _plan(_raw_blocks(path, chunk_bytes), file, encoding, chunked=True)
        blocks = _raw_blocks(path, chunk_bytes)
    marks = _Marks(_marker_for(plan.used, file))
    chunks = _utf8(blocks, plan, marks, chunk_bytes is None)
    data, final = next(chunks)
    if final and (not data or data.isspace()):
        raise LedgerReadError(f"{file}: the file is empty (no header row)")
    end = data.find(b"\n")
    head = data if end < 0 else data[: end + 1]
    header = _header(head.decode("utf-8").rstrip("\n"), file)
    first = True

    def stamp(table: RawTable, plain: bool) -> RawTable:
        nonlocal first
        table.encoding = plan.codec
        table.marker = marks.marker if marks.used else None
        table.plain = plain
        if first:
            table.notes = plan.notes + table.notes
            first = False
        return table

    if plan.quoted:

        def texts() -> Iterator[tuple[str, bool]]:
            yield data.decode("utf-8"), final
            for more, last in chunks:
                yield more.decode("utf-8"), last

        for table in _read_csv_quoted(_Lines(texts()), file, header, chunk_bytes):
            yield stamp(table, False)
        return
    head = head if head.endswith(b"\n") else head + b"\n"
    offset = 0
    while True:
        yield stamp(_read_csv_fast(data, file, header, offset), _is_plain(data))
        if final:
            return
        offset += data.count(b"\n") - 1
        data, final = next(chunks)
        data = head + data


def read_csv_text(path: Path, encoding: str | None = None) -> RawTable:
    """Read a CSV file entirely as text with line numbers (see module doc)."""
    return _whole(_csv_chunks(path, encoding, None))


def _whole(chunks: Iterator[RawTable]) -> RawTable:
    tables = list(chunks)
    if len(tables) == 1:
        return tables[0]
    first = tables[0]  # pragma: no cover - a whole read gives one chunk
    first.frame = pl.concat([t.frame for t in tables])  # pragma: no cover
    first.broken = [b for t in tables for b in t.broken]  # pragma: no cover
    return first  # pragma: no cover


def _text_columns(frame: pl.DataFrame, file: str) -> tuple[pl.DataFrame, int | None]:
    """Binary columns (Parquet text stored without a UTF-8 type, or invalid UTF-8) decoded with markers."""
    binary = [c for c, t in frame.schema.items() if t == pl.Binary]
    if not binary:
        return frame, None
    texts: dict[str, pl.Series] = {}
    invalid: dict[str, list[int]] = {}
    for c in binary:
        try:
            texts[c] = frame[c].cast(pl.String)
        except pl.exceptions.ComputeError:  # invalid UTF-8 somewhere in the column: find it value by value
            values = frame[c].to_list()
            invalid[c] = [n for n, v in enumerate(values) if v is not None and not _is_utf8(v)]
            texts[c] = pl.Series(
                c,
                [None if n in set(invalid[c]) else v.decode() if v is not None else None for n, v in enumerate(values)],
                dtype=pl.String,
            )
    if not invalid:
        return frame.with_columns(texts.values()), None
    used: set[int] = set()
    for series in texts.values():
        for value in series.drop_nulls().filter(series.drop_nulls().str.contains("[\U0010f000-\U0010ffff]")):
            used |= _used_blocks(value)
    marker = _marker_for(used, file)
    name = _marker_handler(marker)
    for c, positions in invalid.items():
        values = texts[c].to_list()
        for pos in positions:
            values[pos] = frame[c][pos].decode("utf-8", name)
        texts[c] = pl.Series(c, values, dtype=pl.String)
    return frame.with_columns(texts.values()), marker


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parquet_frame(frame: pl.DataFrame, file: str, first_line: int) -> RawTable:
    frame, marker = _text_columns(frame, file)
    keep = {c for c, t in frame.schema.items() if t == pl.Date or (isinstance(t, pl.Decimal) and t.scale <= 3)}
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns if c not in keep)
    frame = frame.with_columns(pl.Series(LINE, np.arange(first_line, first_line + frame.height), dtype=pl.Int64))
    return RawTable(file, frame, encoding="parquet", marker=marker)


def _as_binary(table: object) -> object:
    """An Arrow table with its text columns as binary (no UTF-8 check, so polars never sees invalid text)."""
    import pyarrow as pa

    assert isinstance(table, (pa.Table, pa.RecordBatch))
    fields = [
        pa.field(
            f.name,
            pa.large_binary()
            if pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)
            else pa.binary()
            if pa.types.is_string(f.type)
            else f.type,
        )
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def read_parquet_text(path: Path) -> RawTable:
    """Read a Parquet file: dates and decimals (up to 3 places) stay typed, the rest as text."""
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for corrupt files
        if "utf-8" not in str(exc).lower():
            raise LedgerReadError(f"{path.name}: cannot be read as Parquet: {exc}") from exc
        import pyarrow.parquet as pq

        try:
            frame = pl.from_arrow(_as_binary(pq.read_table(path)))  # type: ignore[assignment]
        except Exception as inner:
            raise LedgerReadError(f"{path.name}: cannot be read as Parquet: {inner}") from inner
    return _parquet_frame(frame, path.name, 1)


def _parquet_chunks(path: Path, chunk_bytes: int) -> Iterator[RawTable]:
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
        batches = source.iter_batches(batch_size=max(1, chunk_bytes // 128))
        line = 1
        produced = False
        for batch in batches:
            frame = pl.from_arrow(_as_binary(batch))
            assert isinstance(frame, pl.DataFrame)
            produced = True
            yield _parquet_frame(frame, path.name, line)
            line += frame.height
        if not produced:
            empty = pl.from_arrow(_as_binary(source.schema_arrow.empty_table()))
            assert isinstance(empty, pl.DataFrame)
            yield _parquet_frame(empty, path.name, 1)
    except LedgerReadError:
        raise
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise LedgerReadError(f"{path.name}: cannot be read as Parquet: {exc}") from exc


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


def iter_table(path: Path, encoding: str | None = None, chunk_bytes: int = CHUNK_BYTES) -> Iterator[RawTable]:
    """Read a ledger table in chunks of about ``chunk_bytes`` (Excel sheets whole).

    The chunks together hold exactly the rows, line numbers, broken rows and
    notes of :func:`read_table` (notes come with the first chunk). CSV is read
    in blocks of ``chunk_bytes`` cut after a line end (quoted files: after
    a whole record); Parquet in batches of ``chunk_bytes // 128`` rows.
    """
    if path.suffix == ".parquet":
        yield from _parquet_chunks(path, chunk_bytes)
    elif path.suffix == ".xlsx":
        yield read_excel_text(path)
    else:
        yield from _csv_chunks(path, encoding, chunk_bytes)
