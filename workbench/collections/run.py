"""A planned dunning run in the journal: the run, one letter entry per communication, the escalations.

:func:`record` is the journal side of a run, the counterpart of
:func:`workbench.collections.dunning.state_from_journal`: the next run reads
back what this one recorded. Carrying out a run (writing the letters and run
files, sending the e-mails) is :mod:`workbench.letters.run`, which calls
:func:`record` unless the run is dry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from ..errors import WorkbenchError
from ..journal.reader import JournalWriter
from .dunning import DunningRun
from .policy import CollectionsPolicy

__all__ = ["RecordedRun", "RunConflictError", "record", "record_outbox"]


class RunConflictError(WorkbenchError):
    """Another dunning run for the same or a later date is already in the journal: nothing was recorded."""


@dataclass(frozen=True)
class RecordedRun:
    """A run recorded as an outbox: its entry id and the letter entry id of each (customer, currency)."""

    run_id: int
    letters: dict[tuple[str, str], int]


def record_outbox(
    journal: JournalWriter,
    run: DunningRun,
    policy: CollectionsPolicy,
    files: dict[tuple[str, str], str],
    channels: dict[tuple[str, str], str],
    author: str,
) -> RecordedRun:
    """Record ``run`` with every communication pending delivery, after re-checking the journal under its lock.

    The check and the writes happen in one transaction that holds the
    journal's writer lock, so of two processes running the same date, the
    second finds the first's run and raises :class:`RunConflictError` having
    written nothing. ``channels`` is the channel actually used per
    communication (an e-mail without a usable address becomes a letter).
    """
    with journal.batch():
        runs = journal.dunning_runs()
        same = runs.filter(pl.col("as_of") == run.as_of)
        if same.height:
            raise RunConflictError(
                f"a dunning run for {run.as_of.isoformat()} is already recorded (entry {same['id'][0]}): "
                "run the same command again to deliver what it has pending"
            )
        last = journal.last_run_date()
        if last is not None and last > run.as_of:
            raise RunConflictError(
                f"a dunning run for {last.isoformat()} was recorded meanwhile; {run.as_of.isoformat()} is earlier"
            )
        run_id = _record(journal, run, policy, files, author, None, outbox=True, channels=channels)
        letters = journal.dunning_letters().filter(pl.col("run_id") == run_id)
        ids = {(c, cur): i for i, c, cur in letters.select("id", "customer_id", "currency").iter_rows()}
        return RecordedRun(run_id=run_id, letters=ids)


def record(
    journal: JournalWriter,
    run: DunningRun,
    policy: CollectionsPolicy,
    files: dict[tuple[str, str], str],
    author: str,
    recorded_at: datetime | None = None,
) -> int:
    """Record the run, one letter entry per communication and the escalations its levels ask for.

    All in one journal transaction: a crash leaves either the whole run or none of it. ``recorded_at`` is only for seeding a demo history; by default the journal stamps the time of writing.
    """
    with journal.batch():
        return _record(journal, run, policy, files, author, recorded_at)


def _record(
    journal: JournalWriter,
    run: DunningRun,
    policy: CollectionsPolicy,
    files: dict[tuple[str, str], str],
    author: str,
    recorded_at: datetime | None,
    *,
    outbox: bool = False,
    channels: dict[tuple[str, str], str] | None = None,
) -> int:
    stamp: dict[str, Any] = {"recorded_at": recorded_at} if recorded_at is not None else {}
    run_id = journal.record_run(
        run.as_of, policy=policy.name, communications=len(run.communications), author=author, **stamp
    )
    for c in run.communications:
        journal.record_letter(
            c.customer_id,
            on=run.as_of,
            currency=c.currency,
            amount=c.amount_due,
            document_ids=[line.document_id for line in c.lines],
            level=c.level,
            channel=(channels or {}).get((c.customer_id, c.currency), c.channel),
            levels={line.document_id: line.level for line in c.lines},
            run_id=run_id,
            file=files.get((c.customer_id, c.currency), ""),
            author=author,
            outbox=outbox,
            **stamp,
        )
        for action in c.actions:
            if action == "suspend":
                journal.escalate(
                    c.customer_id,
                    "suspension_requested",
                    on=run.as_of,
                    author=author,
                    note=f"dunning level {c.level} ({c.level_name})",
                    **stamp,
                )
            elif action == "agency":
                journal.escalate(
                    c.customer_id,
                    "agency",
                    on=run.as_of,
                    partner=policy.default.agency or "collection agency",
                    amount=c.amount_due,
                    currency=c.currency,
                    author=author,
                    note=f"dunning level {c.level} ({c.level_name})",
                    **stamp,
                )
    return run_id
