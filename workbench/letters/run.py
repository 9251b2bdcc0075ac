"""Carry out a planned dunning run: write the letters, e-mails and run files, record it, maybe send.

The output folder of a run holds ``summary.json``, ``communications.csv``
(one row per communication with the file written), ``lines.csv`` (every
overdue item with its level, claimed or skipped and why), ``skipped.csv``
(communications not sent and why), ``phone_tasks.csv``, ``index.html`` (a
preview page) and the ``emails/``, ``letters/`` and ``statements/`` folders.
A dry run writes all of it but records nothing in the journal and sends
nothing; its summary and preview say DRY RUN.

This is presentation-side orchestration: the plan comes from
:func:`workbench.collections.dunning.plan_run`, the journal entries from
:func:`workbench.collections.run.record`, the files from
:class:`~workbench.letters.render.LetterRenderer` and the sending from
:mod:`workbench.letters.smtp`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ..collections.dunning import DunningRun, DunningState, plan_run, state_from_journal
from ..collections.model import Communication
from ..collections.policy import CollectionsPolicy
from ..collections.run import record_outbox
from ..exports import write_csv
from ..journal.reader import JournalWriter
from ..ledger.model import Ledger
from ..money import mills_to_decimal, to_money
from ..outputs import OutputFolder
from ..reference_rates import ReferenceRates
from .outbox import Delivery, deliver
from ..workspace import Letterhead
from .render import LetterRenderer
from .senders import Senders
from .smtp import SmtpSettings
from .text import LetterError

__all__ = ["RunOutcome", "carry_out", "communications_frame"]


@dataclass(frozen=True)
class RunOutcome:
    """What a carried-out run produced."""

    run: DunningRun | None
    out_dir: Path
    files: tuple[Path, ...]
    dry_run: bool
    run_id: int | None
    delivery: Delivery | None = None
    as_of: date | None = None

    @property
    def sent(self) -> int:
        """E-mails the SMTP server accepted in this pass."""
        return self.delivery.attempted["sent"] if self.delivery is not None else 0

    @property
    def complete(self) -> bool:
        """Nothing failed and nothing is uncertain (pending e-mails without SMTP settings are not failures)."""
        return self.delivery is None or not (self.delivery.failures or self.delivery.uncertain)

    def summary(self) -> dict[str, object]:
        """The run's summary (also written to ``summary.json``)."""
        head: dict[str, object] = (
            self.run.summary()
            if self.run is not None
            else {"as_of": self.as_of.isoformat() if self.as_of else None, "resumed": True}
        )
        out: dict[str, object] = {
            **head,
            "dry_run": self.dry_run,
            "run_id": self.run_id,
            "files": len(self.files),
            "sent": self.sent,
            "out_dir": str(self.out_dir),
        }
        if self.delivery is not None:
            out["delivery"] = self.delivery.as_dict()
        return out


def communications_frame(run: DunningRun, files: dict[tuple[str, str], str]) -> pl.DataFrame:
    """One row per communication, with its totals and the file written for it."""
    rows = [
        {
            "customer_id": c.customer_id,
            "customer_name": c.customer_name,
            "collector": c.collector,
            "currency": c.currency,
            "level": c.level,
            "level_name": c.level_name,
            "channel": c.channel,
            "language": c.language,
            "email": c.email,
            "phone": c.phone,
            "items": len(c.lines),
            "overdue": c.overdue_total,
            "credits": c.credit_total,
            "interest": c.interest_total,
            "compensation": c.compensation_total,
            "fee": c.fee,
            "amount_due": c.amount_due,
            "actions": ",".join(c.actions),
            "file": files.get((c.customer_id, c.currency), ""),
        }
        for c in run.communications
    ]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "customer_id": pl.String,
        "customer_name": pl.String,
        "collector": pl.String,
        "currency": pl.String,
        "level": pl.Int64,
        "level_name": pl.String,
        "channel": pl.String,
        "language": pl.String,
        "email": pl.String,
        "phone": pl.String,
        "items": pl.Int64,
        "overdue": pl.Decimal(38, 2),
        "credits": pl.Decimal(38, 2),
        "interest": pl.Decimal(38, 2),
        "compensation": pl.Decimal(38, 2),
        "fee": pl.Decimal(38, 2),
        "amount_due": pl.Decimal(38, 2),
        "actions": pl.String,
        "file": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _preview(run: DunningRun, comms: pl.DataFrame, dry_run: bool, company: str) -> str:
    """A self-contained HTML page listing the run's communications (customer text escaped)."""
    e = html.escape
    banner = "<p class='dry'>DRY RUN: nothing was recorded or sent.</p>" if dry_run else ""
    rows = []
    for r in comms.iter_rows(named=True):
        link = f"<a href='{e(r['file'])}'>{e(Path(r['file']).name)}</a>" if r["file"] else ""
        rows.append(
            f"<tr><td>{e(r['customer_id'])}</td><td>{e(r['customer_name'])}</td><td>{e(r['collector'])}</td>"
            f"<td>{r['level']} {e(r['level_name'])}</td><td>{e(r['channel'])}</td><td>{e(r['language'])}</td>"
            f"<td class='n'>{r['items']}</td><td class='n'>{r['amount_due']:,.2f} {e(r['currency'])}</td>"
            f"<td>{e(r['actions'])}</td><td>{link}</td></tr>"
        )
    skipped = "".join(
        f"<tr><td>{e(r['customer_id'])}</td><td>{e(r['currency'])}</td><td>{e(r['reason'])}</td></tr>"
        for r in run.skipped.iter_rows(named=True)
    )
    warnings = "".join(f"<li>{e(w)}</li>" for w in run.warnings)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Dunning run {run.as_of.isoformat()}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}} .n{{text-align:right}}
.dry{{background:#fff3cd;padding:8px;border:1px solid #e0c36a}}</style></head><body>
<h1>Dunning run of {run.as_of.isoformat()}</h1><p>{e(company)} &middot; policy {e(run.policy)}</p>{banner}
<p>{len(run.communications)} communications; {run.skipped.height} not sent.</p>
{f"<p class='first'>{e(run.first_run.capitalize())}.</p>" if run.first_run else ""}
{f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else ""}
<h2>Communications</h2><table><tr><th>Customer</th><th>Name</th><th>Collector</th><th>Level</th><th>Channel</th>
<th>Language</th><th>Items</th><th>Amount due</th><th>Actions</th><th>File</th></tr>{"".join(rows)}</table>
<h2>Not sent</h2><table><tr><th>Customer</th><th>Currency</th><th>Reason</th></tr>{skipped}</table>
</body></html>"""


def carry_out(
    ledger: Ledger,
    as_of: date,
    policy: CollectionsPolicy,
    out_dir: Path,
    *,
    journal: JournalWriter | None = None,
    dry_run: bool = False,
    company: str = "",
    author: str = "dunning run",
    smtp: SmtpSettings | None = None,
    renderer: LetterRenderer | None = None,
    progress: Callable[[int, int], None] | None = None,
    rates: ReferenceRates | None = None,
    resend_uncertain: bool = False,
    letterheads: Mapping[str, Letterhead] | None = None,
    force: bool = False,
) -> RunOutcome:
    """Plan the run of ``as_of`` from the journal's state, write its files, and (unless dry) record and send it.

    ``rates`` are the reference-rate tables of the interest (default: the
    packaged ones, :func:`workbench.reference_rates.packaged_rates`).
    ``progress(done, total)`` is called as communications are written (letters take a fraction of a second each).
    ``letterheads`` are the workspace's, by entity: each communication is signed
    by its entity and asks for payment to the entity's account in its currency;
    when one is missing the run stops before writing anything, naming every
    entity and currency concerned (a ``renderer`` given by the caller signs instead).

    Unless dry, the run is recorded with every communication pending and then
    delivered one by one (:mod:`workbench.letters.outbox`); when the journal
    already holds the run of ``as_of``, nothing is planned again and what it
    still has pending or failed is delivered from the files in ``out_dir``
    (summary in ``summary_resumed.json``).

    ``out_dir`` is the run's own folder (:class:`workbench.outputs.OutputFolder`,
    keyed by the run's date): a new or empty folder, or the folder of an
    earlier pass of the same date, whose files it replaces. A folder holding
    other files, or the run of another date, is refused with
    :class:`~workbench.outputs.OutputRefusedError` before anything is written
    or recorded, unless ``force``.
    """
    if smtp is not None and smtp.username:
        smtp.password()  # a missing password stops the run before anything is recorded
    if not dry_run and journal is not None:
        earlier = journal.dunning_runs().filter(pl.col("as_of") == as_of)
        if earlier.height:  # the run of this date is recorded: deliver what it still has pending
            run_id = int(earlier["id"][0])
            folder = OutputFolder.claim(out_dir, "dunning run", key=as_of.isoformat(), force=force)
            delivery = deliver(
                journal, run_id, out_dir, on=as_of, smtp=smtp, author=author, resend_uncertain=resend_uncertain
            )
            outcome = RunOutcome(None, out_dir, (), False, run_id, delivery, as_of)
            _write_summary(folder, outcome, "summary_resumed.json")
            return outcome
    state = state_from_journal(journal, ledger, as_of, policy) if journal is not None else DunningState()
    run = plan_run(ledger, as_of, policy, state, rates=rates)
    if renderer is None:
        renderer = LetterRenderer(sender=_senders(policy, letterheads, run.communications))
    # claimed once the run is planned and signable, before anything is written or recorded
    folder = OutputFolder.claim(out_dir, "dunning run", key=as_of.isoformat(), force=force)
    for name in ("emails", "letters", "statements"):
        folder.subfolder(name)
    written = []
    total = len(run.communications)
    for done, comm in enumerate(run.communications, start=1):
        written.extend(renderer.write([comm], out_dir))
        if progress is not None:
            progress(done, total)
    files = {
        (w.customer_id, w.currency): str(w.path.relative_to(out_dir)) for w in written if w.kind in ("email", "letter")
    }
    channels = {(w.customer_id, w.currency): w.channel for w in written if w.kind in ("email", "letter")}
    comms = communications_frame(run, files)
    # the folder's checks were made by file(); these are the run's own files, replaced on a rerun
    paths = [
        write_csv(comms, folder.file("communications.csv"), force=True),
        write_csv(
            run.lines.with_columns(
                pl.col("open").map_elements(lambda v: str(to_money(mills_to_decimal(v))), return_dtype=pl.String)
            ),
            folder.file("lines.csv"),
            force=True,
        ),
        write_csv(run.skipped, folder.file("skipped.csv"), force=True),
        write_csv(comms.filter(pl.col("channel") == "phone"), folder.file("phone_tasks.csv"), force=True),
    ]
    folder.write_text("index.html", _preview(run, comms, dry_run, company))
    all_files = tuple([*paths, *(w.path for w in written)])
    if dry_run or journal is None:
        outcome = RunOutcome(run, out_dir, all_files, dry_run, None)
        _write_summary(folder, outcome)
        return outcome
    recorded = record_outbox(journal, run, policy, files, channels, author)
    outcome = RunOutcome(run, out_dir, all_files, False, recorded.run_id)
    try:
        delivery = deliver(
            journal, recorded.run_id, out_dir, on=as_of, smtp=smtp, author=author, resend_uncertain=resend_uncertain
        )
        outcome = RunOutcome(run, out_dir, all_files, False, recorded.run_id, delivery)
    finally:
        _write_summary(folder, outcome)
    return outcome


def _senders(
    policy: CollectionsPolicy, letterheads: Mapping[str, Letterhead] | None, comms: Sequence[Communication]
) -> Senders:
    """The run's senders from the workspace letterheads; refuse a run that some letter could not sign."""
    if policy.sender:
        raise LetterError(
            f"the collections policy {policy.source} has a [sender] table: letterheads and bank accounts now live "
            "in the workspace, per entity and currency (workbench.toml [entities.<code>], docs/workspace.md); "
            "move it there and remove it from the policy"
        )
    senders = Senders(letterheads or {})
    problems = senders.problems(comms)
    if problems:
        where = "" if letterheads else " (no workspace letterheads were found: run `workbench init`)"
        raise LetterError(
            f"no letter was written: {len(problems)} problem(s) with the senders{where}\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return senders


def _write_summary(folder: OutputFolder, outcome: RunOutcome, name: str = "summary.json") -> None:
    """``summary.json`` (or ``name``) in the run folder, written atomically."""
    folder.write_text(name, json.dumps(outcome.summary(), indent=2, ensure_ascii=False) + "\n")
