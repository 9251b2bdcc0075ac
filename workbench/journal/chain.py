"""The journal's hash chain: canonical serialisation, the seal of a stored row, checkpoints, verification.

Every stored row carries ``prev_hash`` (the seal of the row before it, None
for the first) and ``hash``, the row's *seal* over the canonical JSON of its
content fields and ``prev_hash``:

* rows written from the journal's ``keyed_from`` id on are sealed with
  HMAC-SHA-256 under the journal key (:mod:`workbench.journal.keys`), so a
  chain cannot be recomputed by someone who can edit the database but does
  not hold the key;
* rows written before (journals of earlier releases, until ``journal
  protect``) keep their plain SHA-256. The first keyed row's ``prev_hash``
  is the last plain row's seal, so the keyed part anchors the plain part.

A *checkpoint* records the head of the chain (last id, its seal, the number
of rows) with the key's MAC, and is kept outside the database (a file, the
weekly report): a removed tail, or a chain rebuilt from scratch, no longer
matches it. Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.journal.entries import Entry
from workbench.journal.keys import JournalKey
from workbench.journal.schema import ENTRY_COLUMNS

__all__ = [
    "CHECKPOINT_FIELDS",
    "HASHED_COLUMNS",
    "Protection",
    "canonical_json",
    "chain_problems",
    "checkpoint_problems",
    "entry_hash",
    "linked_row",
    "protection_text",
    "sign_checkpoint",
]

HASHED_COLUMNS: tuple[str, ...] = tuple(name for name in ENTRY_COLUMNS if name not in ("id", "hash"))
"""The columns a row's seal covers: all but ``id`` and ``hash`` itself."""

CHECKPOINT_FIELDS: tuple[str, ...] = ("journal_id", "key_id", "entry_id", "entries", "head", "taken_at")
"""What a checkpoint states (its ``mac`` covers exactly these)."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no spaces and unescaped non-ASCII: the same text for the same value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Protection:
    """The journal's key record: its identity, the key's fingerprint and the first keyed entry id."""

    journal_id: str
    key_id: str
    keyed_from: int
    created_at: str
    mac: str

    def fields(self) -> dict[str, Any]:
        """The signed fields (all but ``mac``)."""
        return {
            "journal_id": self.journal_id,
            "key_id": self.key_id,
            "keyed_from": self.keyed_from,
            "created_at": self.created_at,
        }


def protection_text(journal_id: str, key_id: str, keyed_from: int, created_at: str) -> str:
    """The text the key record's MAC covers."""
    return canonical_json(
        {"journal_id": journal_id, "key_id": key_id, "keyed_from": keyed_from, "created_at": created_at}
    )


def entry_hash(row: Mapping[str, Any], key: JournalKey | None = None) -> str:
    """The seal (hex) of a stored row: HMAC-SHA-256 under ``key``, or plain SHA-256 when ``key`` is None.

    ``row`` holds the values exactly as stored (``document_ids`` and ``details``
    as their JSON text); ``id`` and ``hash`` are not part of the content.
    """
    text = canonical_json({name: row[name] for name in HASHED_COLUMNS})
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return key.mac(text)


def linked_row(entry: Entry, prev_hash: str | None, key: JournalKey | None = None) -> dict[str, Any]:
    """The row to store for ``entry`` after the row sealed ``prev_hash``: JSON columns as text, seal set."""
    row = {
        **entry,
        "prev_hash": prev_hash,
        "document_ids": canonical_json(entry["document_ids"]),
        "details": canonical_json(entry["details"]),
    }
    row["hash"] = entry_hash(row, key)
    return row


def chain_problems(
    rows: Iterable[Mapping[str, Any]], *, key: JournalKey | None = None, keyed_from: int | None = None
) -> list[str]:
    """The breaks in a chain of stored rows given in id order (empty when intact).

    Rows with ``id >= keyed_from`` are checked against ``key``'s HMAC (when
    ``key`` is None their seals are not checked, only their links); rows
    before, or every row when ``keyed_from`` is None, against plain SHA-256.
    Each altered row is named, each run of removed ids is named, and a row
    whose link points at another row of the journal is named as out of order.
    """
    listed = list(rows)
    by_hash = {row["hash"]: row["id"] for row in listed}
    problems: list[str] = []
    previous: str | None = None
    previous_id = 0
    for row in listed:
        if row["prev_hash"] != previous:
            gap = row["id"] - previous_id - 1
            if gap > 0:
                missing = f"entry {previous_id + 1}" if gap == 1 else f"entries {previous_id + 1} to {row['id'] - 1}"
                problems.append(f"{missing} missing: the chain breaks at entry {row['id']} (removed from the journal?)")
            elif row["prev_hash"] in by_hash and by_hash[row["prev_hash"]] != previous_id:
                problems.append(
                    f"entry {row['id']} is out of order: it was written right after entry {by_hash[row['prev_hash']]}"
                )
            else:
                problems.append(f"entry {row['id']}: prev_hash does not match the hash of the entry before it")
        keyed = keyed_from is not None and row["id"] >= keyed_from
        if keyed and key is None:
            pass  # the seal needs the key; the links above are still checked
        elif entry_hash(row, key if keyed else None) != row["hash"]:
            problems.append(f"entry {row['id']}: content does not match its hash (changed after writing)")
        previous, previous_id = row["hash"], row["id"]
    return problems


def sign_checkpoint(fields: Mapping[str, Any], key: JournalKey | None) -> dict[str, Any]:
    """A checkpoint record: ``fields`` (see :data:`CHECKPOINT_FIELDS`) and their MAC (None without a key)."""
    stated = {name: fields[name] for name in CHECKPOINT_FIELDS}
    return {**stated, "mac": key.mac(canonical_json(stated)) if key is not None else None}


def checkpoint_problems(
    checkpoint: Mapping[str, Any],
    seals: Mapping[int, str],
    *,
    journal_id: str | None,
    key: JournalKey | None,
    label: str,
) -> list[str]:
    """What a checkpoint taken earlier says is wrong with the journal now (empty when it still holds).

    ``seals`` maps each stored id to its seal. ``label`` names the checkpoint
    in messages (file and line). The checkpoint's own MAC is checked when
    ``key`` is given, so a forged checkpoint is refused rather than trusted.
    """
    missing = [name for name in CHECKPOINT_FIELDS if name not in checkpoint]
    if missing:
        return [f"{label}: not a journal checkpoint (no {', '.join(missing)})"]
    taken = checkpoint["taken_at"]
    if key is not None:
        if checkpoint.get("mac") is None:
            return [f"{label}: the checkpoint is not signed, it cannot be trusted against a keyed journal"]
        if not key.verify(canonical_json({name: checkpoint[name] for name in CHECKPOINT_FIELDS}), checkpoint["mac"]):
            return [
                f"{label}: the checkpoint's signature does not match this journal's key (forged or another journal's)"
            ]
    if journal_id is not None and checkpoint["journal_id"] not in (None, journal_id):
        return [f"{label}: the checkpoint belongs to another journal ({checkpoint['journal_id']})"]
    entry_id = int(checkpoint["entry_id"])
    if entry_id == 0:
        return []
    last = max(seals, default=0)
    if entry_id > last:
        first = last + 1
        gone = f"entry {entry_id}" if first == entry_id else f"entries {first} to {entry_id}"
        return [
            f"{gone} missing: the journal ends at entry {last}, the checkpoint of {taken} saw entry {entry_id} (truncated)"
        ]
    problems = []
    if seals.get(entry_id) != checkpoint["head"]:
        problems.append(
            f"entry {entry_id} differs from the checkpoint of {taken}: the chain up to it was rewritten or removed"
        )
    counted = sum(1 for ident in seals if ident <= entry_id)
    if counted != int(checkpoint["entries"]):
        problems.append(
            f"{counted} entries up to entry {entry_id}, the checkpoint of {taken} counted {checkpoint['entries']}"
        )
    return problems
