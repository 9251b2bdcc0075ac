"""What code outside the journal may ask of one: typed protocols for reading and for recording runs.

Calculations (dunning state, worklist inputs, activity frames) take a
:class:`JournalReader`: the views they read and nothing else, so a test can pass
any object with those methods and the type checker knows what comes back.
Recording a dunning run takes a :class:`JournalWriter`; the credit decisions
log takes a :class:`CreditJournal`. :class:`Journal` satisfies all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import polars as pl

__all__ = ["CreditJournal", "JournalReader", "JournalWriter"]


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

    def dunning_runs(self) -> pl.DataFrame:
        """Dunning runs; columns ``VIEW_SCHEMAS['dunning_runs']``."""
        ...

    def deliveries(self) -> pl.DataFrame:
        """Delivery outcomes of dunning letters; columns ``VIEW_SCHEMAS['deliveries']``."""
        ...


class JournalWriter(JournalReader, Protocol):
    """A journal a dunning run is recorded in: the reads above plus one transaction and three writers."""

    def batch(self) -> AbstractContextManager[object]:
        """A block whose entries are all written or none."""
        ...

    def record_run(
        self,
        as_of: date,
        *,
        policy: str,
        communications: int,
        author: str | None = None,
        details: Mapping[str, Any] | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a dunning run; return its entry id."""
        ...

    def record_letter(
        self,
        customer_id: str,
        *,
        on: date,
        currency: str,
        amount: Decimal | int | str,
        document_ids: Iterable[str],
        level: int,
        channel: str,
        levels: Mapping[str, int],
        run_id: int,
        file: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
        outbox: bool = False,
    ) -> int:
        """Record one letter of run ``run_id``; return its entry id."""
        ...

    def record_delivery(
        self,
        letter_id: int,
        outcome: str,
        *,
        on: date,
        channel: str,
        reason: str = "",
        message_id: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record a delivery outcome of letter ``letter_id``; return its entry id."""
        ...

    def escalate(
        self,
        customer_id: str,
        action: str,
        *,
        on: date,
        partner: str = "",
        amount: Decimal | int | str | None = None,
        currency: str | None = None,
        fees: Decimal | int | str | None = None,
        note: str = "",
        author: str | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Record an escalation step; return its entry id."""
        ...


class CreditJournal(Protocol):
    """A journal the credit decisions log writes to and reads from."""

    def batch(self) -> AbstractContextManager[object]:
        """A block whose entries are all written or none."""
        ...

    def add(
        self,
        kind: str,
        *,
        author: str | None = None,
        customer_id: str | None = None,
        event_date: date | str | None = None,
        amount: Decimal | int | str | None = None,
        currency: str | None = None,
        document_ids: Iterable[str] = (),
        next_action_date: date | str | None = None,
        refers_to: int | None = None,
        details: Mapping[str, Any] | None = None,
        uid: str | None = None,
        recorded_at: datetime | None = None,
    ) -> int:
        """Validate and append one entry; return its id (the existing id when ``uid`` is already stored)."""
        ...

    def has_entry(self, uid: str) -> bool:
        """Whether an entry with this ``uid`` is stored."""
        ...

    def credit_decisions(self) -> pl.DataFrame:
        """Credit decisions, overrides and limit changes; columns ``VIEW_SCHEMAS['credit_decisions']``."""
        ...

    def verify(self) -> list[str]:
        """The hash-chain problems found (empty when intact)."""
        ...
