"""Command line of collections work: ``dunning run``, ``worklist`` and ``journal add|list|export|verify``.

Registered on the main app by :mod:`workbench.cli` through :func:`register`. The journal is chosen by
``--journal`` (a file path for SQLite, or a ``postgresql://`` URL), else the
``WORKBENCH_JOURNAL`` environment variable, else ``journal.sqlite`` beside
the ledger folder (the workspace), else ``journal.sqlite`` here.
"""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import AsOfOpt, LedgerOpt, _date, _fail, _load, _stdout_csv

dunning_app = typer.Typer(help="Dunning: reminder letters and e-mails by policy level.", no_args_is_help=True)
journal_app = typer.Typer(help="The journal of contacts, promises, disputes, escalations and letters.",
                          no_args_is_help=True)

JournalOpt = Annotated[Optional[str], typer.Option(
    "--journal", help="Journal: SQLite file path or postgresql:// URL (default: journal.sqlite beside the ledger).")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="Collections policy TOML merged over the default.",
                                                   dir_okay=False)]


def journal_target(explicit: str | None, ledger: Path | None = None) -> str:
    """Where the journal lives (see the module docstring for the order)."""
    if explicit:
        return explicit
    if os.environ.get("WORKBENCH_JOURNAL"):
        return os.environ["WORKBENCH_JOURNAL"]
    if ledger is not None:
        return str(Path(ledger).resolve().parent / "journal.sqlite")
    return "journal.sqlite"


def _journal(explicit: str | None, ledger: Path | None = None, author: str | None = None):
    from .journal import Journal

    return Journal.open(journal_target(explicit, ledger), author=author)


def _policy(path: Path | None):
    from .collections.policy import load_policy

    return load_policy(path)


@dunning_app.command("run")
def dunning_run(
    ledger: LedgerOpt, as_of: AsOfOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the letters, e-mails and run files.", file_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Preview everything; record and send nothing.")] = False,
    policy: PolicyOpt = None, journal: JournalOpt = None,
    author: Annotated[str, typer.Option("--author", help="Name recorded in the journal.")] = "dunning run",
    send: Annotated[bool, typer.Option("--send", help="Send the e-mails by SMTP (not with --dry-run).")] = False,
    smtp_host: Annotated[str, typer.Option("--smtp-host")] = "localhost",
    smtp_port: Annotated[int, typer.Option("--smtp-port")] = 25,
    smtp_user: Annotated[str, typer.Option("--smtp-user")] = "",
    smtp_password_env: Annotated[str, typer.Option("--smtp-password-env",
                                                   help="Environment variable holding the SMTP password.")] = "",
    starttls: Annotated[bool, typer.Option("--starttls")] = False,
) -> None:
    """Run dunning for a controlling date: one communication per customer, level and currency."""
    from .letters.run import carry_out
    from .reference_rates import load_reference_rates
    from .reports.sources import ledger_company

    if send and dry_run:
        _fail("--send cannot be used with --dry-run")
    day = _date(as_of)
    rules = _policy(policy)
    led = _load(ledger)
    smtp = None
    if send:
        from .letters.smtp import SmtpSettings

        smtp = SmtpSettings(host=smtp_host, port=smtp_port, starttls=starttls, username=smtp_user,
                            password_env=smtp_password_env)
    from rich.console import Console
    from rich.progress import Progress

    with _journal(journal, ledger, author) as book, Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("writing letters and e-mails", total=None)
        outcome = carry_out(led, day, rules, out, journal=book, dry_run=dry_run, company=ledger_company(ledger),
                            author=author, smtp=smtp, rates=load_reference_rates(),
                            progress=lambda done, total: bar.update(task, completed=done, total=total))
    summary = outcome.summary()
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))


class WorklistFormat(str, Enum):
    csv = "csv"
    xlsx = "xlsx"


def worklist(
    ledger: LedgerOpt, as_of: AsOfOpt,
    collector: Annotated[Optional[str], typer.Option("--collector", help="Only this collector's list.")] = None,
    fmt: Annotated[WorklistFormat, typer.Option("--format", help="csv (stdout or --out) or xlsx.")] = WorklistFormat.csv,
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write (default for xlsx: worklist-DATE.xlsx).")] = None,
    policy: PolicyOpt = None, journal: JournalOpt = None,
) -> None:
    """Today's prioritised worklist per collector, with the reason for each rank."""
    from .collections.worklist import WORKLIST_LABELS, build_worklist, inputs_from_journal
    from .exports import write_csv, write_xlsx

    day = _date(as_of)
    rules = _policy(policy)
    led = _load(ledger)
    with _journal(journal, ledger) as book:
        inputs = inputs_from_journal(book, led, day, rules.default.promise_grace_days)
    frame = build_worklist(led, day, rules.worklist, inputs, collector=collector)
    if fmt is WorklistFormat.xlsx:
        target = out or Path(f"worklist-{day.isoformat()}.xlsx")
        who = f" for {collector}" if collector else ""
        money = [WORKLIST_LABELS[c] for c in ("overdue", "open_total", "disputed_overdue")]
        write_xlsx(frame.rename(WORKLIST_LABELS), target, sheet="Worklist", money_columns=money,
                   title=f"Collections worklist{who} as of {day.isoformat()} ({led.reporting_currency})")
        typer.echo(str(target))
        return
    if out is not None:
        write_csv(frame, out)
        return
    _stdout_csv(frame, "worklist")


class EntryKind(str, Enum):
    contact = "contact"
    promise = "promise"
    dispute = "dispute"
    dispute_update = "dispute_update"
    escalation = "escalation"
    note = "note"
    flag = "flag"
    correction = "correction"
    void = "void"


def _opt_date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{name} {text!r} is not a date in the form YYYY-MM-DD")
        raise


def _amount(text: str | None) -> Decimal | None:
    """``--amount`` read by :func:`workbench.money.parse_amount` (sign and decimals are the journal's to check)."""
    from .money import AmountError, parse_amount

    if text is None:
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        _fail(f"--amount {text!r} is not a number" if exc.kind != "range" else f"--amount {text!r} is {exc.problem}")
        raise


@journal_app.command("add")
def journal_add(
    kind: Annotated[EntryKind, typer.Argument(help="What happened.")],
    author: Annotated[str, typer.Option("--author", help="Who records it (required).")],
    on: Annotated[str, typer.Option("--on", help="Date it happened / promised date for a promise (YYYY-MM-DD).")],
    customer: Annotated[Optional[str], typer.Option("--customer")] = None,
    channel: Annotated[str, typer.Option("--channel", help="contact: call, email, letter or meeting.")] = "call",
    text: Annotated[str, typer.Option("--text", help="Outcome, note text, reason or resolution.")] = "",
    amount: Annotated[Optional[str], typer.Option("--amount")] = None,
    currency: Annotated[Optional[str], typer.Option("--currency")] = None,
    documents: Annotated[Optional[str], typer.Option("--documents", help="Comma-separated document ids.")] = None,
    owner: Annotated[str, typer.Option("--owner", help="dispute: person in charge.")] = "",
    status: Annotated[str, typer.Option("--status", help="dispute_update: open, in_review, resolved, rejected.")] = "",
    action: Annotated[str, typer.Option("--action", help="escalation: suspension_requested, agency, lawyer...")] = "",
    partner: Annotated[str, typer.Option("--partner", help="escalation: agency or law firm.")] = "",
    flag: Annotated[str, typer.Option("--flag", help="flag: name, e.g. no_dunning.")] = "",
    value: Annotated[bool, typer.Option("--value/--clear", help="flag: set or clear.")] = True,
    refers_to: Annotated[Optional[int], typer.Option("--refers-to", help="Entry id (dispute_update, correction, void).")] = None,
    next_action: Annotated[Optional[str], typer.Option("--next-action", help="Follow-up date (YYYY-MM-DD).")] = None,
    promised_on: Annotated[Optional[str], typer.Option("--promised-on", help="promise: day it was made.")] = None,
    journal: JournalOpt = None,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")] = None,
) -> None:
    """Add one entry; prints its id. Corrections replace --amount/--on/--text of the entry --refers-to."""
    day = _opt_date(on, "--on")
    docs = [d.strip() for d in (documents or "").split(",") if d.strip()]
    money = _amount(amount)
    follow = _opt_date(next_action, "--next-action")
    with _journal(journal, ledger, author) as book:
        if kind is EntryKind.contact:
            entry = book.log_contact(customer, channel, text, on=day, next_action_date=follow, document_ids=docs)
        elif kind is EntryKind.promise:
            entry = book.add_promise(customer, money, currency, day, document_ids=docs, note=text,
                                     promised_on=_opt_date(promised_on, "--promised-on"))
        elif kind is EntryKind.dispute:
            entry = book.open_dispute(customer, docs, text, owner=owner, on=day)
        elif kind is EntryKind.dispute_update:
            entry = book.update_dispute(refers_to, status, on=day, resolution=text, credit_amount=money)
        elif kind is EntryKind.escalation:
            entry = book.escalate(customer, action, on=day, partner=partner, amount=money, currency=currency, note=text)
        elif kind is EntryKind.note:
            entry = book.add_note(customer, text, on=day, next_action_date=follow)
        elif kind is EntryKind.flag:
            entry = book.set_flag(customer, flag, value, on=day, reason=text)
        elif kind is EntryKind.void:
            entry = book.void(refers_to, text)
        else:
            changes: dict[str, object] = {"event_date": day}
            if money is not None:
                changes["amount"] = money
            entry = book.correct(refers_to, reason=text or "correction", **changes)
    typer.echo(str(entry))


class ListFormat(str, Enum):
    csv = "csv"
    json = "json"


@journal_app.command("list")
def journal_list(
    customer: Annotated[Optional[str], typer.Option("--customer")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Entries dated on or after (YYYY-MM-DD).")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.csv,
    journal: JournalOpt = None,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")] = None,
) -> None:
    """Current entries (corrections applied, voided ones hidden), oldest first."""
    with _journal(journal, ledger) as book:
        frame = book.entries(kind=kind, customer_id=customer, since=_opt_date(since, "--since"))
    frame = frame.drop("amount").rename({"amount_text": "amount"})
    if fmt is ListFormat.json:
        rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                for row in frame.iter_rows(named=True)]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    _stdout_csv(frame.with_columns(frame["document_ids"].list.join(",")), "journal")


@journal_app.command("export")
def journal_export(
    out: Annotated[Path, typer.Option("--out", help="File to write.", dir_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    journal: JournalOpt = None,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")] = None,
) -> None:
    """Export the whole audit trail (every entry as stored, corrections and voids included)."""
    if fmt not in ("csv", "jsonl"):
        _fail(f"--format {fmt!r}: choose csv or jsonl")
    with _journal(journal, ledger) as book:
        path = book.export(out, fmt)
        count = book.history().height
    typer.echo(f"{count} entries written to {path}")


@journal_app.command("import-decisions")
def journal_import_decisions(
    source: Annotated[Path, typer.Option("--from", help="A decisions.jsonl written by an earlier release.",
                                         dir_okay=False)],
    journal: JournalOpt = None,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")] = None,
) -> None:
    """Carry a legacy credit decisions log into the journal: chain checked first, all entries or none, idempotent."""
    from .credit.decisions import import_decisions

    if not source.is_file():
        _fail(f"{source}: no such decisions log")
    with _journal(journal, ledger) as book:
        result = import_decisions(source, book)
    typer.echo(f"{result.source}: {result.read} entries read, {result.added} added, "
               f"{result.already_present} already in the journal")


@journal_app.command("verify")
def journal_verify(
    journal: JournalOpt = None,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")] = None,
) -> None:
    """Check the journal's hash chain; exit 1 when an entry was altered."""
    with _journal(journal, ledger) as book:
        problems = book.verify()
        count = book.history().height
    for problem in problems:
        typer.echo(problem, err=True)
    typer.echo(f"{count} entries, {'chain intact' if not problems else f'{len(problems)} problem(s)'}")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the collections commands to the main app."""
    app.add_typer(dunning_app, name="dunning")
    app.add_typer(journal_app, name="journal")
    app.command("worklist")(worklist)
