"""Checkpoint files: the journal's signed heads, kept outside the database.

A checkpoint log is a JSON-lines file, one checkpoint a line, only ever
appended to (``workbench journal checkpoint``); a weekly report folder holds
one checkpoint as a JSON object (``journal_checkpoint_<date>.json``). Both
read back as ``(label, record)`` pairs for :meth:`Journal.verify`, the label
naming the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.journal.backends import is_postgres_url
from workbench.journal.chain import canonical_json
from workbench.journal.entries import JournalError

__all__ = ["append_checkpoint", "default_checkpoint_log", "read_checkpoints", "write_checkpoint"]


def default_checkpoint_log(target: str | Path) -> Path | None:
    """``<journal>.checkpoints.jsonl`` beside a SQLite journal; None for a PostgreSQL URL (give a file)."""
    if is_postgres_url(target):
        return None
    path = Path(target).expanduser()
    return path.with_name(path.name + ".checkpoints.jsonl")


def append_checkpoint(path: Path, record: dict[str, Any]) -> Path:
    """Append one checkpoint to a log (created with its folders if missing); earlier lines are never touched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="\n") as log:
        log.write(canonical_json(record) + "\n")
    return path


def write_checkpoint(path: Path, record: dict[str, Any]) -> Path:
    """Write one checkpoint as a JSON object (the copy a report carries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_checkpoints(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The checkpoints of a log (one JSON object a line) or of a single JSON file, labelled ``file:line``.

    A line that is not a JSON object raises :class:`JournalError` naming the file and line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"cannot read checkpoint file {path}: {exc.__class__.__name__}") from None
    stripped = text.strip()
    if stripped.startswith("{") and "\n{" not in stripped:
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict):
            return [(f"{path}", whole)]
    found: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JournalError(f"{path}:{number}: not a checkpoint ({exc.msg})") from None
        if not isinstance(record, dict):
            raise JournalError(f"{path}:{number}: not a checkpoint (a JSON object is expected)")
        found.append((f"{path}:{number}", record))
    return found
