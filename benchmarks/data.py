"""Demo ledgers for the benchmark: generated once, reused while their marker matches.

A ledger folder ``<data>/demo_<N>`` is complete when it holds ``benchmark.json``
(the marker), written only after ``generate_demo`` returned. The marker records
the generator arguments and the row counts; a folder whose marker has other
arguments (or none, e.g. an interrupted run) is generated again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

MARKER = "benchmark.json"
SEED = 42


@dataclass(frozen=True)
class DemoSpec:
    """What a benchmark ledger is: size, seed and as-of date (Parquet always)."""

    documents: int
    as_of: date
    seed: int = SEED

    def folder(self, data_dir: Path) -> Path:
        """Where this ledger lives under ``data_dir``."""
        return data_dir / f"demo_{self.documents}"

    def as_marker(self) -> dict[str, object]:
        """The arguments as stored in the marker (JSON-ready)."""
        return {"documents": self.documents, "as_of": self.as_of.isoformat(), "seed": self.seed, "fmt": "parquet"}


def read_marker(folder: Path) -> dict[str, object] | None:
    """The marker of a ledger folder, or None when absent or unreadable."""
    path = folder / MARKER
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_demo(spec: DemoSpec, data_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Return the ledger folder of ``spec``, generating it when it is missing or stale."""
    folder = spec.folder(data_dir)
    marker = read_marker(folder)
    if marker is not None and marker.get("spec") == spec.as_marker():
        log(f"reusing {folder} ({marker['rows'].get('documents.parquet')} documents)")
        return folder
    from workbench.demo import generate_demo  # imported here: generation is rare

    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    log(f"generating {folder} ({spec.documents:,} documents) ...")
    started = time.perf_counter()
    summary = generate_demo(folder, as_of=spec.as_of, seed=spec.seed, documents=spec.documents, fmt="parquet")
    seconds = time.perf_counter() - started
    rows = summary.rows
    (folder / MARKER).write_text(
        json.dumps({"spec": spec.as_marker(), "rows": rows, "generate_seconds": round(seconds, 1)}, indent=2),
        encoding="utf-8",
    )
    log(f"generated in {seconds:.0f} s: {rows}")
    return folder


def folder_bytes(folder: Path) -> int:
    """Size on disk of the Parquet files of a ledger folder."""
    return sum(p.stat().st_size for p in folder.glob("*.parquet"))


