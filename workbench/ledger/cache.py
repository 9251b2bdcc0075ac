"""A validated copy of a loaded ledger, kept on disk so that the next command need not read and check it again.

Loading a ledger reads every file as text and checks every row (about 5 s for
a million documents in CSV). A command run a second time on unchanged files
gets the same :class:`~workbench.ledger.model.Ledger`, so after a successful
load the ledger is stored in a cache folder and the next load of the same
files reads it back instead.

**Key.** An entry is named by a digest of its *fingerprint*: the ledger
folder (resolved), and for ``ledger.toml`` and each table file the loader
would read (:func:`~workbench.ledger.reader.find_table`) its name, size,
modification time in nanoseconds and BLAKE2b digest of its bytes; the
workbench version, a digest of the loader's own source files (the rules),
the polars version and :data:`CACHE_FORMAT`. Any change to a source file
(even one that keeps its size and time), a table added or removed, or a new
version of the rules gives another key: a stale entry is never found, so it
is never used. The files are hashed on every load (in threads; 0.1-0.3 s for
200 MB), since size and time alone miss a rewrite within the same tick.

**Format.** An entry is a folder ``ledger-<key>`` holding one Parquet file
(LZ4, no statistics) per frame, the quarantined rows and the issues,
the settlement dates of ``Ledger.receivables`` and ``Ledger.credit_sources``
(derived, but a third of a warm ``kpis``; the items are rebuilt from the
stored tables and the two date columns attached), and
``manifest.json`` with the fingerprint, the settings (company, reporting
currency), the per-file control totals and the size and BLAKE2b digest of
every Parquet file. It is written into a temporary folder and renamed into
place, so readers see a whole entry or none; a file whose digest does not
match (a damaged disk, a hand edit) makes the entry count as missing.

**Rebuild.** Whole ledger: a changed file can change the cross-table rules
of every later table (references, allocations), so nothing short of a full
load is known to be right. After a rebuild the other entries are removed.

Any problem with the cache (unreadable, damaged, a full disk) means a plain
load, never an error.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import Issue
from ..fx import FxTable
from .model import FileReport, Ledger, LoadReport
from .reader import find_table
from .schema import LOAD_ORDER
from .settlement import credit_source_items, receivable_items

__all__ = ["CACHE_FORMAT", "ENTRY_PREFIX", "entries", "fingerprint", "read_cached", "write_cached"]

CACHE_FORMAT = 1
"""The layout of an entry; raising it orphans every entry written before."""

ENTRY_PREFIX = "ledger-"
"""Entries are the folders ``<cache>/ledger-<key>``."""

_MANIFEST = "manifest.json"
_FRAMES = ("customers", "documents", "payments", "allocations", "orders", "financials", "contacts")
#: The derived frames stored too (settlement dates: about a third of a warm ``kpis``), as the columns
#: :func:`~workbench.ledger.settlement.consumed_dates` adds to the items rebuilt from the stored tables.
_DERIVED = ("receivables", "credit_sources")
_DERIVED_COLUMNS = ("consumed", "first_allocation")
_ISSUE_SCHEMA = {"file": pl.String, "line": pl.Int64, "reason": pl.String, "quarantined": pl.Boolean}
#: Leftover temporary folders older than this (seconds) belong to a writer that died: removed.
_STALE_TMP_SECONDS = 3600

#: Source files whose content decides what a load returns: a change to any of them is a new key.
_RULE_FILES = (
    *sorted(p.name for p in Path(__file__).resolve().parent.glob("*.py")),
    "../money.py",
    "../fx.py",
    "../calendar.py",
    "../errors.py",
    "../policy.py",
    "../data/iso3166_alpha2.txt",
)


def workbench_version() -> str:
    """The installed workbench version (part of every key)."""
    try:
        return metadata.version("workbench")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        return "unknown"


def rules_digest() -> str:
    """BLAKE2b of the loader's source files: an edit to a rule makes every earlier entry stale."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).resolve().parent
    for name in _RULE_FILES:
        path = (here / name).resolve()
        digest.update(name.encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()


def source_files(folder: Path) -> list[Path]:
    """The files a load of ``folder`` reads: ``ledger.toml`` when present, then each table's file."""
    found = [folder / "ledger.toml"] if (folder / "ledger.toml").is_file() else []
    for stem in LOAD_ORDER:
        path = find_table(folder, stem)
        if path is not None:
            found.append(path)
    return found


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _file_entry(path: Path) -> dict[str, Any] | None:
    """Name, size, mtime and digest of one file; None when it changed while being hashed."""
    before = _stamp(path)
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "blake2b").hexdigest()
    if _stamp(path) != before:
        return None
    return {"name": path.name, "size": before[0], "mtime_ns": before[1], "blake2b": digest}


def fingerprint(folder: Path) -> dict[str, Any] | None:
    """What the key of ``folder``'s entry is made of (see the module doc); None when a file is being written."""
    paths = source_files(folder)
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(paths)))) as pool:  # hashlib releases the GIL
        files = list(pool.map(_file_entry, paths))
    if any(f is None for f in files):
        return None
    return {
        "format": CACHE_FORMAT,
        "workbench": workbench_version(),
        "rules": rules_digest(),
        "polars": pl.__version__,
        "folder": str(folder.resolve()),
        "files": files,
    }


def entry_key(print_: dict[str, Any]) -> str:
    """The name of an entry: a digest of its fingerprint."""
    text = json.dumps(print_, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _unchanged(print_: dict[str, Any], folder: Path) -> bool:
    """Whether the source files still have the sizes and times recorded (a load read what was hashed)."""
    try:
        now = [(p.name, *_stamp(p)) for p in source_files(folder)]
    except OSError:
        return False
    return now == [(f["name"], f["size"], f["mtime_ns"]) for f in print_["files"]]


# --------------------------------------------------------------------------- reading


def read_cached(folder: Path, cache_dir: Path) -> tuple[Ledger | None, dict[str, Any] | None]:
    """The cached ledger of ``folder`` when an entry matches its files exactly, and the fingerprint.

    Returns ``(None, fingerprint)`` when there is no usable entry (missing,
    stale, damaged), and ``(None, None)`` when the files are changing as they
    are hashed (then nothing should be stored either).
    """
    try:
        print_ = fingerprint(folder)
    except OSError:
        return None, None
    if print_ is None:
        return None, None
    entry = cache_dir / f"{ENTRY_PREFIX}{entry_key(print_)}"
    try:
        return _read_entry(entry, print_), print_
    except Exception:  # a damaged or partial entry is a miss, never an error
        return None, print_


def _read_parquet(entry: Path, name: str, expected: dict[str, Any]) -> pl.DataFrame:
    data = (entry / name).read_bytes()
    if len(data) != expected["size"] or hashlib.blake2b(data).hexdigest() != expected["blake2b"]:
        raise ValueError(f"{name}: does not match its manifest")
    return pl.read_parquet(io.BytesIO(data))


def _read_entry(entry: Path, print_: dict[str, Any]) -> Ledger | None:
    manifest_path = entry / _MANIFEST
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("fingerprint") != print_:
        return None
    stored: dict[str, dict[str, Any]] = manifest["parquet"]
    names = list(stored)
    with ThreadPoolExecutor(max_workers=2) as pool:
        frames = dict(zip(names, pool.map(lambda n: _read_parquet(entry, n, stored[n]), names)))
    issues_frame = frames["issues.parquet"]
    issues = [Issue(f, line, reason, quarantined) for f, line, reason, quarantined in issues_frame.iter_rows()]
    quarantine = {file: frames[part] for file, part in manifest["quarantine"].items()}
    files = {name: _file_report(values) for name, values in manifest["files"].items()}
    report = LoadReport(files, issues, quarantine)
    tables = {name: frames[f"{name}.parquet"] for name in _FRAMES}
    ledger = Ledger(
        company=manifest["company"],
        reporting_currency=manifest["reporting_currency"],
        fx=FxTable(manifest["reporting_currency"], frames["fx_rates.parquet"]),
        report=report,
        **tables,
    )
    documents, payments = tables["documents"], tables["payments"]
    items = {"receivables": receivable_items(documents), "credit_sources": credit_source_items(documents, payments)}
    for name, rows in items.items():
        dates = frames[f"{name}.parquet"]
        if dates.height != rows.height:
            raise ValueError(f"{name}: {dates.height} stored rows for {rows.height} items")
        ledger.__dict__[name] = rows.with_columns(dates)  # what the cached_property would compute
    return ledger


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _file_report(values: dict[str, Any]) -> FileReport:
    return FileReport(
        values["file"],
        values["rows_read"],
        values["rows_loaded"],
        values["rows_quarantined"],
        _decimal(values["amount_read"]),
        _decimal(values["amount_loaded"]),
        _decimal(values["amount_quarantined"]),
    )


# --------------------------------------------------------------------------- writing


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def write_cached(folder: Path, cache_dir: Path, ledger: Ledger, print_: dict[str, Any]) -> bool:
    """Store ``ledger`` (just loaded from ``folder``, whose fingerprint before loading is ``print_``).

    Nothing is stored when a source file changed during the load (the ledger
    might mix two versions). Returns whether an entry was written; any
    failure (a full disk, no permission) is swallowed: the cache is an
    optimisation, never a reason for a command to fail.
    """
    if not _unchanged(print_, folder):
        return False
    key = entry_key(print_)
    tmp = cache_dir / f".tmp-{uuid.uuid4().hex}"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        _write_entry(tmp, ledger, print_)
        final = cache_dir / f"{ENTRY_PREFIX}{key}"
        if final.exists():  # a damaged entry under the same key: move it aside first
            trash = cache_dir / f".tmp-{uuid.uuid4().hex}"
            final.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        tmp.rename(final)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    _prune(cache_dir, keep=final.name)
    return True


def _write_entry(tmp: Path, ledger: Ledger, print_: dict[str, Any]) -> None:
    parts: dict[str, pl.DataFrame] = {f"{name}.parquet": getattr(ledger, name) for name in _FRAMES}
    parts["fx_rates.parquet"] = ledger.fx.rates
    for name in _DERIVED:
        parts[f"{name}.parquet"] = getattr(ledger, name).select(_DERIVED_COLUMNS)
    report = ledger.report
    parts["issues.parquet"] = pl.DataFrame(
        [(i.file, i.line, i.reason, i.quarantined) for i in report.issues], schema=_ISSUE_SCHEMA, orient="row"
    )
    quarantine = {}
    for number, (file, frame) in enumerate(report.quarantine.items()):
        quarantine[file] = f"quarantine-{number}.parquet"
        parts[quarantine[file]] = frame
    stored = {}
    for name, frame in parts.items():
        frame.write_parquet(tmp / name, compression="lz4", statistics=False)
        data = (tmp / name).read_bytes()
        stored[name] = {"size": len(data), "blake2b": hashlib.blake2b(data).hexdigest()}
    manifest = {
        "fingerprint": print_,
        "company": ledger.company,
        "reporting_currency": ledger.reporting_currency,
        "files": {
            name: {
                "file": r.file,
                "rows_read": r.rows_read,
                "rows_loaded": r.rows_loaded,
                "rows_quarantined": r.rows_quarantined,
                "amount_read": _text(r.amount_read),
                "amount_loaded": _text(r.amount_loaded),
                "amount_quarantined": _text(r.amount_quarantined),
            }
            for name, r in report.files.items()
        },
        "quarantine": quarantine,
        "parquet": stored,
    }
    (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")  # last: marks a whole entry


def _prune(cache_dir: Path, keep: str) -> None:
    """Remove every other entry, and temporary folders left by writers that died."""
    now = time.time()
    for path in cache_dir.iterdir():
        if path.name == keep:
            continue
        if path.name.startswith(ENTRY_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".tmp-"):
            try:
                if now - path.stat().st_mtime > _STALE_TMP_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def entries(cache_dir: Path) -> list[Path]:
    """The entries currently in ``cache_dir`` (for tests and ``du``)."""
    if not cache_dir.is_dir():
        return []
    return sorted(p for p in cache_dir.iterdir() if p.name.startswith(ENTRY_PREFIX))
