"""What code outside the journal may ask of one: typed protocols for reading and for recording runs.

Calculations (dunning state, worklist inputs, activity frames) take a
:class:`JournalReader`: the views they read and nothing else, so a test can pass
any object with those methods and the type checker knows what comes back.
Recording a dunning run takes a :class:`JournalWriter`. :class:`Journal`
satisfies both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import polars as pl

__all__ = ["JournalReader", "JournalWriter"]


class JournalReader(Protocol):
    """The read views of a journal that calculations use (see :mod:`workbench.journal.views`)."""

    def contacts(self) -> pl.DataFrame:
        """Contacts; columns ``VIEW_SCHEMAS['contacts']``."""
        ...

    def promises(self) -> pl.DataFrame:
        """Promises to pay; columns ``VIEW_SCHEMAS['promises']``."""
        ...

    def disputes(self) -> pl.DataFrame:
        """Disputes with their latest status; columns ``VIEW_SCHEMAS['disputes']``."""
        ...

    def escalations(self) -> pl.DataFrame:
        """Escalation steps; columns ``VIEW_SCHEMAS['escalations']``."""
        ...

    def notes(self) -> pl.DataFrame:
        """Notes; columns ``VIEW_SCHEMAS['notes']``."""
        ...

    def flags(self) -> pl.DataFrame:
        """Latest value of each customer flag; columns ``VIEW_SCHEMAS['flags']``."""
        ...

    def dunning_letters(self) -> pl.DataFrame:
        """Dunning letters; columns ``VIEW_SCHEMAS['dunning_letters']``."""
        ...

    def next_actions(self) -> pl.DataFrame:
        """Latest follow-up date per customer; columns ``VIEW_SCHEMAS['next_actions']``."""
        ...

    def last_run_date(self) -> date | None:
        """The controlling date of the latest dunning run, or None."""
        ...


class JournalWriter(JournalReader, Protocol):
    """A journal a dunning run is recorded in: the reads above plus one transaction and three writers."""

    def batch(self) -> AbstractContextManager[object]:
        """A block whose entries are all written or none."""
        ...

    def record_run(self, as_of: date, *, policy: str, communications: int, author: str | None = None,
                   details: Mapping[str, Any] | None = None, uid: str | None = None,
                   recorded_at: datetime | None = None) -> int:
        """Record a dunning run; return its entry id."""
        ...

    def record_letter(self, customer_id: str, *, on: date, currency: str, amount: Decimal | int | str,
                      document_ids: Iterable[str], level: int, channel: str, levels: Mapping[str, int],
                      run_id: int, file: str = "", author: str | None = None, uid: str | None = None,
                      recorded_at: datetime | None = None) -> int:
        """Record one letter of run ``run_id``; return its entry id."""
        ...

    def escalate(self, customer_id: str, action: str, *, on: date, partner: str = "",
                 amount: Decimal | int | str | None = None, currency: str | None = None,
                 fees: Decimal | int | str | None = None, note: str = "", author: str | None = None,
                 uid: str | None = None, recorded_at: datetime | None = None) -> int:
        """Record an escalation step; return its entry id."""
        ...
