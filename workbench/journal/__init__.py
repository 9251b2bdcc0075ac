"""The collections journal: persistent, append-only, hash-chained record of collections work.

Open it with :meth:`Journal.open` on a file path (SQLite, the default) or a
``postgresql://`` URL (a team server). See ``docs/journal.md``.
"""

from workbench.journal.schema import ENTRY_SCHEMA, HISTORY_SCHEMA, LATEST_VERSION, MIGRATIONS, VIEW_SCHEMAS
from workbench.journal.store import (
    CONTACT_CHANNELS,
    DISPUTE_STATUSES,
    ESCALATION_ACTIONS,
    KINDS,
    Journal,
    JournalError,
)

__all__ = [
    "CONTACT_CHANNELS",
    "DISPUTE_STATUSES",
    "ENTRY_SCHEMA",
    "ESCALATION_ACTIONS",
    "HISTORY_SCHEMA",
    "KINDS",
    "LATEST_VERSION",
    "MIGRATIONS",
    "VIEW_SCHEMAS",
    "Journal",
    "JournalError",
]
