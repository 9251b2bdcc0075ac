"""Delivering a recorded dunning run: each communication's outcome recorded on its own, so nothing is faked.

A run is recorded first with every communication *pending* (one
``dunning_letter`` entry each, in one transaction: see
:func:`workbench.collections.run.record_outbox`). :func:`deliver` then
handles each pending (or failed) communication and records its outcome as a
``delivery`` entry in a small transaction of its own:

- a printed letter: ``printed`` once its PDF is in the run folder;
- a phone call: ``phone_task`` (it is on the run's phone task list);
- an e-mail: ``sending`` just before the message goes to the SMTP server,
  then ``sent`` with the Message-ID, or ``failed`` with the server's reason.
  One refused address fails that customer alone and the run goes on; when the
  connection is lost, the next message tries a new one, and when that fails
  too, every remaining e-mail is recorded ``failed`` with the reason.
  Without SMTP settings the e-mails stay pending (written as ``.eml`` only).

Rerunning the same date delivers what is still pending or failed and never
what was sent. A communication whose latest outcome is ``sending`` (the
process died between handing the message to the server and recording the
answer) is *uncertain*: it may have gone out, so it is not sent again unless
the caller asks (``resend_uncertain``), after checking the mail server's log.
That is how a kill -9 never sends a reminder twice. Levels advance only for
delivered communications (:func:`workbench.collections.dunning.delivered_letters`).
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import polars as pl

from ..collections.dunning import delivery_status
from ..journal.reader import JournalWriter
from .smtp import MailError, RecipientRefusedError, SmtpSession, SmtpSettings

__all__ = ["Delivery", "deliver", "run_status"]


@dataclass
class Delivery:
    """What one delivery pass did, and where every communication of the run now stands."""

    attempted: Counter[str] = field(default_factory=Counter)
    """Outcomes recorded in this pass, by outcome."""
    failures: list[dict[str, str]] = field(default_factory=list)
    """The communications that failed in this pass: customer, currency, channel, reason."""
    status: dict[str, int] = field(default_factory=dict)
    """Every communication of the run by its status after the pass (sent, printed, phone_task, failed, pending, uncertain)."""
    uncertain: list[dict[str, str]] = field(default_factory=list)
    """Communications whose sending was started but never answered (left alone unless resend_uncertain)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for ``summary.json``."""
        return {
            "status": dict(sorted(self.status.items())),
            "this_pass": dict(sorted(self.attempted.items())),
            "failures": self.failures,
            "uncertain": self.uncertain,
        }


def run_status(journal: JournalWriter, run_id: int) -> pl.DataFrame:
    """The letters of run ``run_id`` with their delivery status (``sending`` shown as ``uncertain``)."""
    letters = delivery_status(journal).filter(pl.col("run_id") == run_id).sort("id")
    return letters.with_columns(pl.col("status").replace("sending", "uncertain"))


def _send(
    emails: list[dict[str, Any]],
    out_dir: Path,
    smtp: SmtpSettings,
    outcome: Callable[..., None],
    progress: Callable[[int, int], None] | None,
) -> None:
    """Send the e-mails one by one, recording ``sending`` before and the answer after each."""
    broken = ""
    with SmtpSession(smtp) as session:
        for done, row in enumerate(emails, start=1):
            path = out_dir / row["file"] if row["file"] else None
            if path is None or not path.is_file():
                outcome(row, "failed", reason=f"e-mail file {row['file'] or '(none)'} is not in {out_dir}")
                continue
            if broken:
                outcome(row, "failed", reason=f"not tried: {broken}")
                continue
            message = _message(path)
            outcome(row, "sending", message_id=str(message["Message-ID"] or ""))
            try:
                sent_id = session.send(message)
            except RecipientRefusedError as exc:
                if exc.accepted_id:  # the other recipients got it: it went out, never send it again
                    outcome(row, "sent", message_id=exc.accepted_id, reason=str(exc))
                else:
                    outcome(row, "failed", reason=str(exc))
            except MailError as exc:
                outcome(row, "failed", reason=str(exc))
                try:  # the connection is gone: one new attempt decides whether the rest can go
                    session.reconnect()
                except MailError as again:
                    broken = str(again)
            else:
                outcome(row, "sent", message_id=sent_id)
            if progress is not None:
                progress(done, len(emails))


def _message(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def deliver(
    journal: JournalWriter,
    run_id: int,
    out_dir: Path,
    *,
    on: date,
    smtp: SmtpSettings | None,
    author: str,
    resend_uncertain: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Delivery:
    """Deliver the pending and failed communications of run ``run_id`` from the files in ``out_dir``."""
    result = Delivery()
    todo = run_status(journal, run_id).filter(
        pl.col("status").is_in(["pending", "failed", *(["uncertain"] if resend_uncertain else [])])
    )
    rows = list(todo.iter_rows(named=True))

    def outcome(row: dict[str, Any], what: str, *, reason: str = "", message_id: str = "") -> None:
        journal.record_delivery(
            row["id"], what, on=on, channel=row["channel"], reason=reason, message_id=message_id, author=author
        )
        if what != "sending":
            result.attempted[what] += 1
        if what == "failed":
            result.failures.append(
                {
                    "customer_id": row["customer_id"],
                    "currency": row["currency"],
                    "channel": row["channel"],
                    "reason": reason,
                }
            )

    emails = []
    for row in rows:
        if row["channel"] == "phone":
            outcome(row, "phone_task")
        elif row["channel"] == "letter":
            if row["file"] and (out_dir / row["file"]).is_file():
                outcome(row, "printed")
            else:
                outcome(row, "failed", reason=f"letter file {row['file'] or '(none)'} is not in {out_dir}")
        elif smtp is not None:
            emails.append(row)
    if emails and smtp is not None:
        _send(emails, out_dir, smtp, outcome, progress)
    final = run_status(journal, run_id)
    result.status = dict(Counter(final["status"].to_list()))
    result.uncertain = [
        {
            "customer_id": c,
            "currency": cur,
            "message": "sending was started and never answered: check the mail "
            "server's log, then rerun with --resend-uncertain to send it again",
        }
        for c, cur in final.filter(pl.col("status") == "uncertain").select("customer_id", "currency").iter_rows()
    ]
    return result
