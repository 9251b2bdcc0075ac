"""``workbench journal add|list|export|import-decisions|verify``: the journal from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, TypeVar

import typer

from .common import (
    ForceFileOpt,
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
    require_name,
    stdout_csv,
    workspace_for,
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

CUSTOMER_KINDS = frozenset({"contact", "promise", "dispute", "escalation", "note", "flag"})
"""The kinds recorded against a ``--customer``, checked against the ledger when one is known."""


def ledger_for_journal(ledger: Path | None) -> Path | None:
    """The ledger a journal command checks customers against: ``--ledger``, else the workspace's, else None."""
    if ledger is not None:
        return ledger
    space = workspace_for(None)
    return space.ledger if space is not None else None


def check_customer(customer: str, ledger: Path | None) -> None:
    """Refuse (exit 2) a customer the ledger does not hold; without a ledger, say so on stderr and go on.

    The ledger is ``--ledger``, else the workspace's. A journal may be kept
    without a ledger (entries typed from another system): then the customer
    cannot be checked, and the note says so.
    """
    from .common import load

    ledger = ledger_for_journal(ledger)
    if ledger is None:
        typer.echo(
            f"note: no ledger to check customer {customer!r} against (give --ledger or work in a workspace); "
            "recorded as given",
            err=True,
        )
        return
    require_name(load(ledger), "customer", customer)


KeyFileOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--key-file",
        help="The journal key file (default: WORKBENCH_JOURNAL_KEY_FILE, else <journal>.key beside a SQLite file).",
        dir_okay=False,
    ),
]


@journal_app.command("init")
def journal_init(
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
    key_file: KeyFileOpt = None,
    app_role: Annotated[
        Optional[str],
        typer.Option(
            "--app-role",
            help="PostgreSQL: the role the application connects as; it may read and append, nothing else.",
        ),
    ] = None,
) -> None:
    """Create the journal (a SQLite file, or the tables in a PostgreSQL database), keyed; an existing one is kept."""
    from ..journal.backends import is_postgres_url
    from ..journal.keys import key_path
    from ..journal.store import _safe_url

    target = journal_target(journal, ledger)
    shown = _safe_url(target)
    existed = not is_postgres_url(target) and Path(target).exists()
    with open_journal(journal, ledger, create=True, key_file=key_file) as book:
        count = book.history().height
        protection = book.protection()
        if app_role is not None:
            book.grant_application_role(app_role)
    if existed or count:
        typer.echo(f"journal {shown} already exists ({count} entries): kept as it is")
    else:
        typer.echo(f"journal created: {shown}")
    if protection is None:
        typer.echo("it is not keyed yet: run `workbench journal protect` to seal its next entries with a key")
    else:
        where = key_path(target, key_file)
        typer.echo(f"keyed from entry {protection.keyed_from} (key id {protection.key_id}, key file {where})")
    if app_role is not None:
        typer.echo(f"role {app_role} may read and append; it cannot alter, update, delete or disable triggers")


@journal_app.command("protect")
def journal_protect(
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Key a journal of an earlier release: its next entries are sealed with a key kept outside the database."""
    from ..journal.keys import key_path

    target = journal_target(journal, ledger)
    with open_journal(
        journal, ledger, key_file=key_file if key_file is not None and key_file.exists() else None
    ) as book:
        before = book.protection()
        protection = book.protect(key_file=key_file)
    if before is not None:
        typer.echo(f"already keyed from entry {protection.keyed_from} (key id {protection.key_id}): nothing changed")
        return
    typer.echo(
        f"keyed from entry {protection.keyed_from} (key id {protection.key_id}); "
        f"keep the key file {key_path(target, key_file)} safe and apart from the database"
    )


@journal_app.command("checkpoint")
def journal_checkpoint(
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out", help="Checkpoint log to append to (default: <journal>.checkpoints.jsonl).", dir_okay=False
        ),
    ] = None,
    journal: JournalOpt = None,
    ledger: JournalLedgerOpt = None,
    key_file: KeyFileOpt = None,
) -> None:
    """Append a signed record of the journal's head to a file kept outside the database."""
    from datetime import UTC, datetime

    from ..journal.checkpoints import append_checkpoint, default_checkpoint_log

    target = journal_target(journal, ledger)
    log = out if out is not None else default_checkpoint_log(target)
    if log is None:
        fail("a PostgreSQL journal has no default checkpoint file: give --out FILE")
    with open_journal(journal, ledger, key_file=key_file) as book:
        record = book.checkpoint(datetime.now(UTC))
    append_checkpoint(log, record)
    signed = "signed" if record["mac"] else "UNSIGNED (no journal key found)"
    typer.echo(f"checkpoint at entry {record['entry_id']} ({record['entries']} entries), {signed}, appended to {log}")
    if not record["mac"]:
        raise typer.Exit(1)


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
    if kind in CUSTOMER_KINDS and customer is not None:
        check_customer(customer, ledger)

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
    """Current entries (corrections applied, voided ones hidden), oldest first.

    ``--customer`` with no entry is checked against the ledger (``--ledger`` or
    the workspace's), so a mistyped id is refused rather than listed as empty.
    """
    with open_journal(journal, ledger) as book:
        frame = book.entries(kind=kind, customer_id=customer, since=opt_date(since, "--since"))
    if customer is not None and frame.height == 0:
        known = ledger_for_journal(ledger)
        if known is not None:
            from .common import load

            require_name(load(known), "customer", customer)
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
    force: ForceFileOpt = False,
) -> None:
    """Export the whole audit trail (every entry as stored, corrections and voids included)."""
    with open_journal(journal, ledger) as book:
        path = book.export(out, fmt, force=force)
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
    key_file: KeyFileOpt = None,
    checkpoint: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--checkpoint",
            help="A checkpoint log or a report's journal_checkpoint_*.json (repeatable; "
            "default: <journal>.checkpoints.jsonl when it exists).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Check seals, links, the key record, the guards and the checkpoints; exit 1 on any problem."""
    from ..journal.checkpoints import default_checkpoint_log, read_checkpoints

    target = journal_target(journal, ledger)
    files = list(checkpoint or [])
    default_log = default_checkpoint_log(target)
    if not files and default_log is not None and default_log.is_file():
        files = [default_log]
    records = []
    for path in files:
        if not path.is_file():
            fail(f"{path}: no such checkpoint file")
        records += read_checkpoints(path)
    with open_journal(journal, ledger, key_file=key_file) as book:
        problems = book.verify(records)
        notes = book.ownership_notes()
        count = book.history().height
    for problem in problems:
        typer.echo(problem, err=True)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    against = f", {len(records)} checkpoint(s) checked" if records else ", no checkpoint to check against"
    typer.echo(f"{count} entries, {'chain intact' if not problems else f'{len(problems)} problem(s)'}{against}")
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``workbench journal ...``."""
    app.add_typer(journal_app, name="journal")
