"""The journal's hash chain: canonical serialisation, the hash of a stored row, and verification.

Every stored row carries ``prev_hash`` (the hash of the row before it, None
for the first) and ``hash = sha256(canonical JSON of the row's content fields
and prev_hash)``. A row edited after writing no longer matches its hash; a
removed row breaks the next row's link. Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from workbench.journal.entries import Entry
from workbench.journal.schema import ENTRY_COLUMNS

__all__ = ["HASHED_COLUMNS", "canonical_json", "chain_problems", "entry_hash", "linked_row"]

HASHED_COLUMNS: tuple[str, ...] = tuple(name for name in ENTRY_COLUMNS if name not in ("id", "hash"))
"""The columns a row's hash covers: all but ``id`` and ``hash`` itself."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and unescaped non-ASCII: the same text for the same value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a stored row's content fields and ``prev_hash``.

    ``row`` holds the values exactly as stored (``document_ids`` and ``details``
    as their JSON text); ``id`` and ``hash`` are not part of the content.
    """
    return hashlib.sha256(canonical_json({name: row[name] for name in HASHED_COLUMNS}).encode("utf-8")).hexdigest()


def linked_row(entry: Entry, prev_hash: str | None) -> dict[str, Any]:
    """The row to store for ``entry`` after the row whose hash is ``prev_hash``: JSON columns as text, hash set."""
    row = {
        **entry,
        "prev_hash": prev_hash,
        "document_ids": canonical_json(entry["document_ids"]),
        "details": canonical_json(entry["details"]),
    }
    row["hash"] = entry_hash(row)
    return row


def chain_problems(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The breaks in a chain of stored rows given in id order (empty when intact)."""
    problems: list[str] = []
    previous: str | None = None
    previous_id = 0
    for row in rows:
        if row["prev_hash"] != previous:
            gap = row["id"] - previous_id - 1
            if gap > 0:
                missing = f"entry {previous_id + 1}" if gap == 1 else f"entries {previous_id + 1} to {row['id'] - 1}"
                problems.append(f"{missing} missing: the chain breaks at entry {row['id']} (removed from the journal?)")
            else:
                problems.append(f"entry {row['id']}: prev_hash does not match the hash of the entry before it")
        if entry_hash(row) != row["hash"]:
            problems.append(f"entry {row['id']}: content does not match its hash (changed after writing)")
        previous, previous_id = row["hash"], row["id"]
    return problems
