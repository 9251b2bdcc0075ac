"""The collections journal: persistent, append-only, hash-chained record of collections work.

Open it with :meth:`Journal.open` on a file path (SQLite, the default) or a
``postgresql://`` URL (a team server). See ``docs/journal.md``.

Modules: :mod:`~workbench.journal.entries` (kinds, coercion, per-kind rules),
:mod:`~workbench.journal.chain` (hash chain), :mod:`~workbench.journal.views`
(frames), :mod:`~workbench.journal.store` (the :class:`Journal`),
:mod:`~workbench.journal.reader` (typed protocols for callers),
:mod:`~workbench.journal.schema` and :mod:`~workbench.journal.backends`.
"""

from workbench.journal.entries import (
    CONTACT_CHANNELS,
    CREDIT_KINDS,
    DISPUTE_STATUSES,
    ESCALATION_ACTIONS,
    KINDS,
    JournalError,
)
from workbench.journal.reader import CreditJournal, JournalReader, JournalWriter
from workbench.journal.schema import ENTRY_SCHEMA, HISTORY_SCHEMA, LATEST_VERSION, MIGRATIONS, VIEW_SCHEMAS
from workbench.journal.store import Journal, JournalNotFoundError

__all__ = [
    "CONTACT_CHANNELS",
    "CREDIT_KINDS",
    "DISPUTE_STATUSES",
    "ENTRY_SCHEMA",
    "ESCALATION_ACTIONS",
    "HISTORY_SCHEMA",
    "KINDS",
    "LATEST_VERSION",
    "MIGRATIONS",
    "VIEW_SCHEMAS",
    "CreditJournal",
    "Journal",
    "JournalError",
    "JournalNotFoundError",
    "JournalReader",
    "JournalWriter",
]
