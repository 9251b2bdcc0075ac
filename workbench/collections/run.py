"""A planned dunning run in the journal: the run, one letter entry per communication, the escalations.

:func:`record` is the journal side of a run, the counterpart of
:func:`workbench.collections.dunning.state_from_journal`: the next run reads
back what this one recorded. Carrying out a run (writing the letters and run
files, sending the e-mails) is :mod:`workbench.letters.run`, which calls
:func:`record` unless the run is dry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..journal.reader import JournalWriter
from .dunning import DunningRun
from .policy import CollectionsPolicy

__all__ = ["record"]


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
            channel=c.channel,
            levels={line.document_id: line.level for line in c.lines},
            run_id=run_id,
            file=files.get((c.customer_id, c.currency), ""),
            author=author,
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
