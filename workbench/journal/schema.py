"""Versioned migrations of the journal database, and the columns of the frames it reads (no I/O).

Each :class:`Migration` is a numbered step with its statements per dialect.
Opening a journal applies, in one locked transaction, the steps whose number is
above the highest version recorded in ``journal_schema`` (see
:func:`workbench.journal.store.migrate`). Steps are never edited once released:
a change is a new step at the end of :data:`MIGRATIONS`.

Both dialects get the same table with the same column names and types; only the
identity column and the append-only triggers are written per dialect.

:data:`ENTRY_SCHEMA`, :data:`HISTORY_SCHEMA` and :data:`VIEW_SCHEMAS` declare the
columns and types of every frame :class:`~workbench.journal.store.Journal`
returns, so empty results are typed too.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = [
    "APPEND_ONLY_MESSAGE",
    "ENTRY_COLUMNS",
    "ENTRY_SCHEMA",
    "HISTORY_SCHEMA",
    "LATEST_VERSION",
    "MIGRATIONS",
    "SCHEMA_TABLE_DDL",
    "VIEW_SCHEMAS",
    "Migration",
    "steps_after",
]

APPEND_ONLY_MESSAGE = "journal is append-only"
"""Error text of the triggers that refuse UPDATE and DELETE."""

SCHEMA_TABLE_DDL = "CREATE TABLE IF NOT EXISTS journal_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
"""The migration log, the same in both dialects (created before any step)."""

ENTRY_COLUMNS: tuple[str, ...] = (
    "id",
    "uid",
    "recorded_at",
    "author",
    "kind",
    "customer_id",
    "event_date",
    "amount",
    "currency",
    "document_ids",
    "next_action_date",
    "refers_to",
    "details",
    "prev_hash",
    "hash",
)
"""Columns of ``journal_entries`` in table order."""


def _entries_table(id_column: str) -> str:
    return (
        "CREATE TABLE journal_entries ("
        f"id {id_column}, "
        "uid TEXT NOT NULL UNIQUE, "
        "recorded_at TEXT NOT NULL, "
        "author TEXT NOT NULL, "
        "kind TEXT NOT NULL, "
        "customer_id TEXT, "
        "event_date TEXT, "
        "amount TEXT, "
        "currency TEXT, "
        "document_ids TEXT NOT NULL DEFAULT '[]', "
        "next_action_date TEXT, "
        "refers_to INTEGER, "
        "details TEXT NOT NULL DEFAULT '{}', "
        "prev_hash TEXT, "
        "hash TEXT NOT NULL)"
    )


_SQLITE_V1 = (
    _entries_table("INTEGER PRIMARY KEY AUTOINCREMENT"),
    "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
)

_POSTGRES_V1 = (
    _entries_table("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
    "CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
    "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries "
    "FOR EACH ROW EXECUTE FUNCTION journal_append_only()",
    "CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries "
    "FOR EACH ROW EXECUTE FUNCTION journal_append_only()",
    "CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()",
)

_INDEXES = (
    "CREATE INDEX journal_entries_customer ON journal_entries (customer_id)",
    "CREATE INDEX journal_entries_kind ON journal_entries (kind)",
    "CREATE INDEX journal_entries_refers_to ON journal_entries (refers_to)",
)


_KEY_TABLE = (
    "CREATE TABLE journal_key ("
    "journal_id TEXT NOT NULL, "
    "key_id TEXT NOT NULL, "
    "keyed_from INTEGER NOT NULL, "
    "created_at TEXT NOT NULL, "
    "mac TEXT NOT NULL)"
)

_SQLITE_V3 = (
    _KEY_TABLE,
    "CREATE TRIGGER journal_key_no_update BEFORE UPDATE ON journal_key "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    "CREATE TRIGGER journal_key_no_delete BEFORE DELETE ON journal_key "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
)

_POSTGRES_V3 = (
    _KEY_TABLE,
    "CREATE TRIGGER journal_key_no_update BEFORE UPDATE ON journal_key "
    "FOR EACH ROW EXECUTE FUNCTION journal_append_only()",
    "CREATE TRIGGER journal_key_no_delete BEFORE DELETE ON journal_key "
    "FOR EACH ROW EXECUTE FUNCTION journal_append_only()",
    "CREATE TRIGGER journal_key_no_truncate BEFORE TRUNCATE ON journal_key "
    "FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()",
)


@dataclass(frozen=True)
class Migration:
    """One numbered schema step with its statements for each dialect."""

    version: int
    description: str
    sqlite: tuple[str, ...]
    postgresql: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        """The statements of this step for ``dialect`` ('sqlite' or 'postgresql')."""
        if dialect == "sqlite":
            return self.sqlite
        if dialect == "postgresql":
            return self.postgresql
        raise ValueError(f"unknown SQL dialect {dialect!r}")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "journal_entries table and append-only triggers", _SQLITE_V1, _POSTGRES_V1),
    Migration(2, "indexes on customer_id, kind and refers_to", _INDEXES, _INDEXES),
    Migration(
        3, "journal_key: the journal's identity and the first entry sealed with its key", _SQLITE_V3, _POSTGRES_V3
    ),
)
"""Every step, in order; versions are 1, 2, ... without gaps."""

LATEST_VERSION: int = MIGRATIONS[-1].version
"""The schema version this code writes and reads."""


def steps_after(version: int, target: int | None = None) -> list[Migration]:
    """The steps to apply to a database at ``version`` to reach ``target`` (default: latest)."""
    last = LATEST_VERSION if target is None else target
    return [step for step in MIGRATIONS if version < step.version <= last]


# frames returned by the Journal (typed even when empty) ------------------------------------------

_TS = pl.Datetime("us", "UTC")
_IDS = pl.List(pl.Utf8)
_S, _I, _D, _B = pl.Utf8(), pl.Int64(), pl.Date(), pl.Boolean()

HISTORY_SCHEMA: dict[str, pl.DataType] = {name: (_I if name in ("id", "refers_to") else _S) for name in ENTRY_COLUMNS}
"""Raw rows as stored: every column text except ``id`` and ``refers_to``."""

ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "id": _I,
    "uid": _S,
    "recorded_at": _TS,
    "author": _S,
    "kind": _S,
    "customer_id": _S,
    "event_date": _D,
    "amount": _I,
    "amount_text": _S,
    "currency": _S,
    "document_ids": _IDS,
    "next_action_date": _D,
    "refers_to": _I,
    "details": _S,
    "corrected": _B,
    "voided": _B,
    "last_author": _S,
    "last_recorded_at": _TS,
}
"""Columns of :meth:`Journal.entries`."""

VIEW_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "contacts": {
        "id": _I,
        "customer_id": _S,
        "event_date": _D,
        "channel": _S,
        "outcome": _S,
        "contact_person": _S,
        "next_action_date": _D,
        "document_ids": _IDS,
        "author": _S,
        "recorded_at": _TS,
    },
    "promises": {
        "id": _I,
        "customer_id": _S,
        "amount": _I,
        "amount_text": _S,
        "currency": _S,
        "pay_by": _D,
        "promised_on": _D,
        "document_ids": _IDS,
        "author": _S,
        "recorded_at": _TS,
        "note": _S,
    },
    "disputes": {
        "id": _I,
        "customer_id": _S,
        "document_ids": _IDS,
        "reason": _S,
        "owner": _S,
        "opened_on": _D,
        "status": _S,
        "status_date": _D,
        "resolution": _S,
        "credit_amount": _I,
        "author": _S,
    },
    "escalations": {
        "id": _I,
        "customer_id": _S,
        "event_date": _D,
        "action": _S,
        "partner": _S,
        "amount": _I,
        "currency": _S,
        "fees": _I,
        "note": _S,
        "author": _S,
    },
    "notes": {
        "id": _I,
        "customer_id": _S,
        "event_date": _D,
        "text": _S,
        "next_action_date": _D,
        "author": _S,
        "recorded_at": _TS,
    },
    "flags": {"customer_id": _S, "flag": _S, "value": _B, "event_date": _D, "reason": _S},
    "dunning_letters": {
        "id": _I,
        "customer_id": _S,
        "event_date": _D,
        "currency": _S,
        "amount": _I,
        "document_ids": _IDS,
        "level": _I,
        "channel": _S,
        "levels": _S,
        "run_id": _I,
        "file": _S,
        "outbox": _B,
    },
    "dunning_runs": {"id": _I, "as_of": _D, "policy": _S, "communications": _I, "author": _S, "recorded_at": _TS},
    "next_actions": {"customer_id": _S, "next_action_date": _D, "source_kind": _S, "entry_id": _I},
    "deliveries": {
        "id": _I,
        "letter_id": _I,
        "customer_id": _S,
        "event_date": _D,
        "outcome": _S,
        "channel": _S,
        "reason": _S,
        "message_id": _S,
        "author": _S,
        "recorded_at": _TS,
    },
    "credit_decisions": {
        "id": _I,
        "timestamp": _S,
        "kind": _S,
        "customer_id": _S,
        "as_of": _D,
        "author": _S,
        "outcome": _S,
        "original_outcome": _S,
        "amount": _I,
        "amount_text": _S,
        "currency": _S,
        "old_limit": _S,
        "approval_required": _S,
        "approver": _S,
        "order_ref": _S,
        "reason": _S,
        "recorded_at": _TS,
        "details": _S,
    },
}
"""Columns and types of each view, by method name."""
