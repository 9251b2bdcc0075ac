"""Validate a ledger folder chunk by chunk: the issues and counts of ``load_ledger``, in bounded memory.

``workbench validate`` needs the per-file counts, amount totals and issues,
not the typed tables. :func:`validate_ledger` therefore reads each table in
chunks (:func:`~workbench.ledger.reader.iter_table`), applies to each chunk
the very rules ``load_ledger`` applies to the whole table
(:func:`~workbench.ledger.load.check_rows`), and keeps between chunks and
tables only what later rules look up:

- the first line of every key seen so far (duplicates across chunks);
- the key and line of quarantined customers, documents and payments (to say
  that a reference points at a quarantined row);
- narrow columns of the good customers, documents and payments (references,
  payment/document clashes, the allocation rules);
- per document and per source, the sum of allocations passing the other
  rules. Only when some sum exceeds its document or source (rare) are the
  allocations read a second time to judge over-allocation in date order.

Issues are handed to a callback file by file in report order (file, then
line), so a caller can stream them to disk. Peak memory is about the chunk's
working set plus those narrow columns (see the README's speed section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import Issue, LedgerReadError
from .load import (
    OVER_COLUMNS,
    RuleContext,
    allocated_sums,
    allocation_limits,
    amount_total,
    check_rows,
    first_lines,
    over_allocated,
    read_settings,
    require_columns,
    table_path,
    _empty_text,
)
from .model import FileReport
from .reader import CHUNK_BYTES, LINE, RawTable, iter_table
from .schema import KEYS, LOAD_ORDER, TABLES
from .validate import REASON, WARN

#: The columns of each table that later rules read, and how they are kept (text compared only: categorical).
_KEEP: dict[str, dict[str, bool]] = {
    "customers": {"customer_id": False},
    "documents": {
        "document_id": False,
        "customer_id": True,
        "doc_type": True,
        "doc_date": False,
        "currency": True,
        "amount": False,
    },
    "payments": {"payment_id": False, "customer_id": True, "currency": True, "value_date": False, "amount": False},
}
#: The key of the quarantined rows a later rule names.
_BAD_KEY = {"customers": "customer_id", "documents": "document_id", "payments": "payment_id"}
#: Issues are handed over in batches of this many.
_BATCH = 10_000

IssueSink = Callable[[list[Issue]], None]


@dataclass
class Validation:
    """What :func:`validate_ledger` found: per-file counts and totals, and how many issues it passed on."""

    files: dict[str, FileReport]
    issues_total: int

    @property
    def rows_quarantined(self) -> int:
        """Rows sent to quarantine over all files."""
        return sum(f.rows_quarantined for f in self.files.values())

    def as_dict(self) -> dict[str, object]:
        """The ``files`` part of the ``workbench validate --json`` document."""
        return {"files": {name: report.as_dict() for name, report in self.files.items()}}


@dataclass
class _Tally:
    """Counts and amount sums (mills) of one file, good and quarantined rows."""

    good: int = 0
    bad: int = 0
    good_mills: int = 0
    bad_mills: int = 0
    issues: list[pl.DataFrame] = field(default_factory=list)

    def add_issues(self, lines: list[int] | pl.Series, reasons: list[str] | pl.Series, quarantined: bool) -> None:
        if len(lines):
            self.issues.append(
                pl.DataFrame(
                    {"line": lines, "reason": reasons, "quarantined": [quarantined] * len(lines)},
                    schema={"line": pl.Int64, "reason": pl.String, "quarantined": pl.Boolean},
                )
            )


def _mills(frame: pl.DataFrame) -> int:
    total = frame["amount"].cast(pl.Int128).sum() if frame.height else 0
    return int(total or 0)


def validate_ledger(folder: str | Path, sink: IssueSink, chunk_bytes: int = CHUNK_BYTES) -> Validation:
    """Check every row of a ledger folder as ``load_ledger`` does, a chunk at a time.

    ``sink`` receives every issue (the notes included), in batches, in the
    order of ``load_ledger``'s report. The counts and amount totals per file
    equal its ``report.files``. Raises :class:`LedgerReadError` when the
    ledger cannot be read, like ``load_ledger``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LedgerReadError(f"{folder}: no such ledger folder")
    settings = read_settings(folder)
    ctx = RuleContext(settings["reporting_currency"])
    files: dict[str, FileReport] = {}
    total = 0
    for stem in LOAD_ORDER:
        tally = _check_table(folder, stem, settings.get("encoding"), ctx, chunk_bytes)
        file = ctx.names[stem]
        has_amount = any(c.name == "amount" for c in TABLES[stem])
        loaded = amount_total(tally.good_mills) if has_amount else None
        quarantined = amount_total(tally.bad_mills) if has_amount else None
        files[file] = FileReport(
            file,
            tally.good + tally.bad,
            tally.good,
            tally.bad,
            None if loaded is None or quarantined is None else loaded + quarantined,
            loaded,
            quarantined,
        )
        total += _hand_over(file, tally, sink)
    rate_issues = ctx.rate_issues()
    if rate_issues:
        sink(rate_issues)
    return Validation(files, total + len(rate_issues))


def _hand_over(file: str, tally: _Tally, sink: IssueSink) -> int:
    """Pass a file's issues to ``sink`` in line order (stable: notes and warnings first on their line)."""
    if not tally.issues:
        return 0
    issues = pl.concat(tally.issues).sort("line", maintain_order=True)
    tally.issues.clear()
    for start in range(0, issues.height, _BATCH):
        part = issues.slice(start, _BATCH)
        sink([Issue(file, line, reason, quarantined) for line, reason, quarantined in part.iter_rows()])
    return issues.height


def _chunks(folder: Path, stem: str, encoding: str | None, ctx: RuleContext, chunk_bytes: int) -> Iterator[RawTable]:
    path = table_path(folder, stem, ctx.names)
    if path is None:
        yield RawTable(ctx.names[stem], _empty_text(stem))
        return
    for number, raw in enumerate(iter_table(path, encoding, chunk_bytes)):
        if number == 0:
            require_columns(stem, raw)
        yield raw


def _check_table(folder: Path, stem: str, encoding: str | None, ctx: RuleContext, chunk_bytes: int) -> _Tally:
    tally = _Tally()
    keys = KEYS.get(stem)
    seen: pl.DataFrame | None = None
    keep = _KEEP.get(stem)
    good_parts: list[pl.DataFrame] = []
    bad_parts: list[pl.DataFrame] = []
    limits = allocation_limits(ctx) if stem == "allocations" else None
    by_doc = by_source = None
    for raw in _chunks(folder, stem, encoding, ctx, chunk_bytes):
        tally.add_issues([n.line for n in raw.notes], [n.reason for n in raw.notes], False)
        typed = check_rows(stem, raw.frame, raw, ctx, seen)
        raw.frame = raw.frame.clear()
        if keys is not None:
            seen = first_lines(typed, keys, seen)
        if WARN in typed.columns:
            warned = typed.filter(pl.col(WARN).is_not_null())
            tally.add_issues(warned[LINE], warned[WARN], False)
        tally.add_issues([b[0] for b in raw.broken], [b[1] for b in raw.broken], True)
        is_bad = typed[REASON].is_not_null()
        bad = typed.filter(is_bad)
        tally.add_issues(bad[LINE], bad[REASON], True)
        assert ctx.fx_needs is not None
        ctx.fx_needs.add(stem, typed.filter(~is_bad))
        tally.bad += bad.height + len(raw.broken)
        tally.good += typed.height - bad.height
        if "amount" in typed.columns:
            tally.bad_mills += _mills(bad)
            tally.good_mills += _mills(typed) - _mills(bad)
        if limits is not None:
            doc_sums, source_sums = allocated_sums(typed, limits.shape[0])
            by_doc = doc_sums if by_doc is None else by_doc + doc_sums
            by_source = source_sums if by_source is None else by_source + source_sums
        if keep is not None:
            good_parts.append(
                typed.filter(~is_bad).select(
                    pl.col(c).cast(pl.Categorical) if categorical else pl.col(c) for c, categorical in keep.items()
                )
            )
        if stem in _BAD_KEY:
            bad_parts.append(bad.select(_BAD_KEY[stem], LINE))
        del typed, bad
    if limits is not None and by_doc is not None and by_source is not None:
        if (by_doc > limits).any() or (by_source > limits).any():
            _over_allocation(folder, encoding, ctx, chunk_bytes, tally)
    if stem in _BAD_KEY:
        ctx.bad[stem] = pl.concat(bad_parts)
    if keep is not None:
        kept = pl.concat(good_parts)
        if stem == "documents":
            kept = kept.with_row_index("key")
        elif stem == "payments":
            documents = ctx.frame("documents")
            kept = kept.with_row_index("key", offset=documents.height)
        setattr(ctx, stem, kept)
    return tally


def _over_allocation(folder: Path, encoding: str | None, ctx: RuleContext, chunk_bytes: int, tally: _Tally) -> None:
    """Read the allocations again, judge over-allocation on the rows passing every other rule, move those rows."""
    ok_parts = []
    for raw in _chunks(folder, "allocations", encoding, ctx, chunk_bytes):
        typed = check_rows("allocations", raw.frame, raw, ctx)
        ok_parts.append(typed.filter(pl.col(REASON).is_null()).select(OVER_COLUMNS))
    ok = pl.concat(ok_parts)
    del ok_parts
    over = over_allocated(ok).filter(pl.col("_over").is_not_null())
    moved = ok.join(over, on=LINE, how="inner")
    tally.add_issues(moved[LINE], moved["_over"], True)
    mills = _mills(moved)
    tally.good -= moved.height
    tally.bad += moved.height
    tally.good_mills -= mills
    tally.bad_mills += mills


__all__ = ["IssueSink", "Validation", "validate_ledger"]
