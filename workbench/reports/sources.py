"""Where a report's inputs come from: the ledger folder, its company name, its journal.

Report modules compute from a loaded :class:`~workbench.ledger.model.Ledger`
and never open files; the notebooks and the runner call these functions once
to turn a path parameter into the objects the report's ``build`` takes.

A notebook opened as committed has ``ledger = ""``. That means, in order: the
folder named by the ``WORKBENCH_LEDGER`` environment variable, else a
``demo/ledger`` folder in the working directory or its parent (the repository
root when the notebook is opened from ``notebooks/``). Nothing is generated
here: when none exists the error says how to make one.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from ..collections.activity import JournalFrames, read_activity
from ..errors import WorkbenchError
from ..journal import Journal
from ..ledger import load_ledger
from ..ledger.load import read_settings
from ..ledger.model import Ledger
from ..redact import remember_url_password

__all__ = [
    "JOURNAL_ENV",
    "LEDGER_ENV",
    "NoLedgerError",
    "credit_decisions",
    "journal_checkpoint",
    "journal_frames",
    "journal_target",
    "ledger_company",
    "open_ledger",
    "resolve_ledger",
]

LEDGER_ENV = "WORKBENCH_LEDGER"
"""Environment variable naming the ledger folder a notebook uses when its ``ledger`` parameter is empty."""


class NoLedgerError(WorkbenchError):
    """A report was asked for without a ledger and none could be found."""


def resolve_ledger(path: str | Path | None) -> Path:
    """The ledger folder of a report: ``path``, else ``$WORKBENCH_LEDGER``, else ``demo/ledger`` nearby."""
    if path:
        return Path(path)
    named = os.environ.get(LEDGER_ENV, "")
    if named:
        return Path(named)
    here = Path.cwd()
    for folder in (here, here.parent):
        candidate = folder / "demo" / "ledger"
        if candidate.is_dir():
            return candidate
    raise NoLedgerError(
        "no ledger given: set the notebook's `ledger` parameter (or WORKBENCH_LEDGER) to a ledger folder; "
        "`workbench demo --out demo/ledger` writes the demo company's"
    )


def open_ledger(path: str | Path | None, reporting_currency: str | None = None) -> Ledger:
    """Load the ledger of a report, refusing a reporting currency its FX table cannot give.

    A ledger that is its workspace's is read through the workspace's cache
    (``paths.cache``), as the commands read it.
    """
    from ..workspace import workspace_of

    folder = resolve_ledger(path)
    space = workspace_of(folder)
    ledger = load_ledger(folder, cache_dir=None if space is None else space.cache)
    if reporting_currency and reporting_currency != ledger.reporting_currency:
        raise ValueError(
            f"this ledger reports in {ledger.reporting_currency}; its FX table has no rates into "
            f"{reporting_currency} (leave reporting_currency empty)"
        )
    return ledger


def ledger_company(path: str | Path) -> str:
    """The company name of a ledger folder (from ledger.toml), empty when it cannot be told."""
    folder = Path(path)
    return read_settings(folder)["company"] if folder.is_dir() else ""


JOURNAL_ENV = "WORKBENCH_JOURNAL"
"""Environment variable naming the journal when none is given."""


def journal_target(ledger_path: str | Path | None, journal: str | None) -> str | None:
    """The journal a report reads: ``journal``, else ``$WORKBENCH_JOURNAL``, else ``journal.sqlite`` beside the ledger.

    Returns ``None`` when none is named and none lies beside the ledger. A
    URL's password is remembered as a secret (:mod:`workbench.redact`).
    """
    if journal:
        remember_url_password(journal)
        return journal
    if os.environ.get(JOURNAL_ENV):
        remember_url_password(os.environ[JOURNAL_ENV])
        return os.environ[JOURNAL_ENV]
    candidate = resolve_ledger(ledger_path).resolve().parent / "journal.sqlite"
    return str(candidate) if candidate.is_file() else None


def credit_decisions(ledger_path: str | Path | None, journal: str | None) -> pl.DataFrame | None:
    """The credit decisions, overrides and limit changes in the journal, or ``None`` when there is no journal."""
    target = journal_target(ledger_path, journal)
    if target is None:
        return None
    with Journal.open(target) as book:
        return book.credit_decisions()


def journal_frames(ledger_path: str | Path | None, journal: str | None) -> JournalFrames | None:
    """The journal's collections activity as frames, or ``None`` when there is no journal to read."""
    target = journal_target(ledger_path, journal)
    if target is None:
        return None
    with Journal.open(target) as book:
        return read_activity(book)


def journal_checkpoint(
    ledger_path: str | Path | None, journal: str | None, taken_at: datetime, out_dir: str | Path
) -> dict[str, Any] | None:
    """Take a checkpoint of the report's journal and write it into the report folder; None without a journal.

    The report prints it, and its file travels with the report: a journal
    later truncated or rebuilt no longer matches it (``workbench journal
    verify --checkpoint FILE``). It is signed when the journal key is found.
    """
    from ..journal.checkpoints import write_checkpoint

    target = journal_target(ledger_path, journal)
    if target is None:
        return None
    with Journal.open(target) as book:
        record = book.checkpoint(taken_at)
    write_checkpoint(Path(out_dir) / f"journal_checkpoint_{taken_at:%Y-%m-%dT%H%M%SZ}.json", record)
    return record
