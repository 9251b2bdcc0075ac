"""``workbench journal add|list|export|import-decisions|verify``: the journal from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, TypeVar

import typer

from .common import (
    CsvJson,
    JournalLedgerOpt,
    JournalOpt,
    fail,
    format_option,
    journal_target,
    open_journal,
    opt_date,
    parse_amount_option,
    parse_date,
    stdout_csv,
)

T = TypeVar("T")

UID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""What ``journal add --uid`` accepts: plain text a script can generate and a shell cannot mangle."""

journal_app = typer.Typer(
    help="The journal of contacts, promises, disputes, escalations, letters and credit decisions.", no_args_is_help=True
)

EntryKind = Literal[
    "contact", "promise", "dispute", "dispute_update", "escalation", "note", "flag", "correction", "void"
]
"""The kinds a person records by hand (letters, runs and credit decisions are written by their own commands)."""


@journal_app.command("init")
def journal_init(
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Create the journal (a SQLite file, or the tables in a PostgreSQL database); an existing journal is kept."""
    from ..journal.backends import is_postgres_url
    from ..journal.store import _safe_url

    target = journal_target(journal, ledger)
    shown = _safe_url(target)
    existed = not is_postgres_url(target) and Path(target).exists()
    with open_journal(journal, ledger, create=True) as book:
        count = book.history().height
    if existed or count:
        typer.echo(f"journal {shown} already exists ({count} entries): kept as it is")
    else:
        typer.echo(f"journal created: {shown}")


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
    refers_to: Annotated[
        Optional[int], typer.Option("--refers-to", help="Entry id (dispute_update, correction, void).")
    ] = None,
    next_action: Annotated[Optional[str], typer.Option("--next-action", help="Follow-up date (YYYY-MM-DD).")] = None,
    promised_on: Annotated[Optional[str], typer.Option("--promised-on", help="promise: day it was made.")] = None,
    uid: Annotated[
        Optional[str],
        typer.Option(
            "--uid",
            help="Idempotency key (letters, digits, . _ : -; at most 128): a retried command with the same "
            "uid records the entry once and prints the same id.",
        ),
    ] = None,
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Add one entry; prints its id. Corrections replace --amount/--on/--text of the entry --refers-to."""
    if uid is not None and not UID_PATTERN.fullmatch(uid):
        fail(f"--uid {uid!r}: use 1 to 128 letters, digits, '.', '_', ':' or '-'")
    day = parse_date(on, "--on")
    docs = [d.strip() for d in (documents or "").split(",") if d.strip()]
    money = parse_amount_option(amount)
    follow = opt_date(next_action, "--next-action")

    def need(value: T | None, flag: str) -> T:
        if value is None:
            fail(f"journal add {kind} needs {flag}")
        return value

    with open_journal(journal, ledger, author) as book:
        if uid is not None and book.has_entry(uid):
            typer.echo(f"an entry with uid {uid} is already recorded: nothing added", err=True)
        if kind == "contact":
            entry = book.log_contact(
                need(customer, "--customer"), channel, text, on=day, next_action_date=follow, document_ids=docs, uid=uid
            )
        elif kind == "promise":
            entry = book.add_promise(
                need(customer, "--customer"),
                need(money, "--amount"),
                need(currency, "--currency"),
                day,
                document_ids=docs,
                note=text,
                promised_on=opt_date(promised_on, "--promised-on"),
                uid=uid,
            )
        elif kind == "dispute":
            entry = book.open_dispute(need(customer, "--customer"), docs, text, owner=owner, on=day, uid=uid)
        elif kind == "dispute_update":
            entry = book.update_dispute(
                need(refers_to, "--refers-to"), status, on=day, resolution=text, credit_amount=money, uid=uid
            )
        elif kind == "escalation":
            entry = book.escalate(
                need(customer, "--customer"),
                action,
                on=day,
                partner=partner,
                amount=money,
                currency=currency,
                note=text,
                uid=uid,
            )
        elif kind == "note":
            entry = book.add_note(need(customer, "--customer"), text, on=day, next_action_date=follow, uid=uid)
        elif kind == "flag":
            entry = book.set_flag(need(customer, "--customer"), flag, value, on=day, reason=text, uid=uid)
        elif kind == "void":
            entry = book.void(need(refers_to, "--refers-to"), text, uid=uid)
        else:
            changes: dict[str, Any] = {"event_date": day}
            if money is not None:
                changes["amount"] = money
            entry = book.correct(need(refers_to, "--refers-to"), reason=text or "correction", uid=uid, **changes)
    typer.echo(str(entry))


@journal_app.command("list")
def journal_list(
    customer: Annotated[Optional[str], typer.Option("--customer")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Entries dated on or after (YYYY-MM-DD).")] = None,
    fmt: CsvJson = "csv",
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Current entries (corrections applied, voided ones hidden), oldest first."""
    with open_journal(journal, ledger) as book:
        frame = book.entries(kind=kind, customer_id=customer, since=opt_date(since, "--since"))
    frame = frame.drop("amount").rename({"amount_text": "amount"})
    if fmt == "json":
        rows = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in frame.iter_rows(named=True)
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        return
    stdout_csv(frame.with_columns(frame["document_ids"].list.join(",")), "journal")


@journal_app.command("export")
def journal_export(
    out: Annotated[Path, typer.Option("--out", help="File to write.", dir_okay=False)],
    fmt: Annotated[Literal["csv", "jsonl"], format_option("csv or jsonl.")] = "csv",
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Export the whole audit trail (every entry as stored, corrections and voids included)."""
    with open_journal(journal, ledger) as book:
        path = book.export(out, fmt)
        count = book.history().height
    typer.echo(f"{count} entries written to {path}")


@journal_app.command("import-decisions")
def journal_import_decisions(
    source: Annotated[
        Path, typer.Option("--from", help="A decisions.jsonl written by an earlier release.", dir_okay=False)
    ],
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Carry a legacy credit decisions log into the journal: chain checked first, all entries or none, idempotent."""
    from ..credit.decisions import import_decisions

    if not source.is_file():
        fail(f"{source}: no such decisions log")
    with open_journal(journal, ledger) as book:
        result = import_decisions(source, book)
    typer.echo(
        f"{result.source}: {result.read} entries read, {result.added} added, "
        f"{result.already_present} already in the journal"
    )


@journal_app.command("verify")
def journal_verify(
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
) -> None:
    """Check the journal's hash chain; exit 1 when an entry was altered."""
    with open_journal(journal, ledger) as book:
        problems = book.verify()
        count = book.history().height
    for problem in problems:
        typer.echo(problem, err=True)
    typer.echo(f"{count} entries, {'chain intact' if not problems else f'{len(problems)} problem(s)'}")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``workbench journal ...``."""
    app.add_typer(journal_app, name="journal")
