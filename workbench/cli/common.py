"""What every command module shares: option types, date and amount parsing, ledger and journal opening, output.

Output formats are chosen with one ``--format`` option per command, typed
as a ``Literal`` of its choices (typer shows them and refuses others);
:func:`format_option` builds it so every command words it the same way.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, Optional

import typer

if TYPE_CHECKING:
    from ..journal import Journal
    from ..ledger.model import Ledger
    from ..ledger.names import NameKind
    from ..workspace import Workspace

__all__ = [
    "AllowFutureOpt",
    "AsOfOpt",
    "CsvJson",
    "EntityOpt",
    "JournalOpt",
    "LedgerOpt",
    "check_as_of",
    "fail",
    "format_option",
    "journal_target",
    "ledger_path",
    "load",
    "open_journal",
    "opt_date",
    "out_file",
    "out_folder",
    "parse_date",
    "parse_amount_option",
    "require_name",
    "stdout_csv",
    "workspace_for",
]

LedgerOpt = Annotated[
    Optional[Path],
    typer.Option("--ledger", help="Canonical ledger folder (default: the workspace's ledger).", file_okay=False),
]
AsOfOpt = Annotated[str, typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")]
EntityOpt = Annotated[Optional[str], typer.Option("--entity", help="Only this selling entity.")]
AllowFutureOpt = Annotated[
    bool,
    typer.Option(
        "--allow-future",
        help="Accept an as-of date more than 31 days after the ledger's last data (refused otherwise: stale ledger).",
    ),
]
JournalOpt = Annotated[
    Optional[str],
    typer.Option(
        "--journal", help="Journal: SQLite file path or postgresql:// URL (default: journal.sqlite beside the ledger)."
    ),
]
ForceFileOpt = Annotated[
    bool, typer.Option("--force", help="Replace the --out file when it exists (it is never replaced otherwise).")
]
"""``--force`` of the commands that write one file with ``--out``."""

JournalLedgerOpt = Annotated[
    Optional[Path], typer.Option("--ledger", help="Ledger folder (locates the default journal).")
]


def format_option(help: str = "Output format.") -> Any:
    """The ``--format`` option; annotate it with the command's choices: ``Annotated[Literal[...], format_option()]``."""
    return typer.Option("--format", help=help)


CsvJson = Annotated[Literal["csv", "json"], format_option()]
"""``--format csv|json``, the choice of most commands."""


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` on stderr (secrets masked) and exit with ``code`` (2: the input could not be used)."""
    from ..redact import mask_secrets

    typer.echo(f"error: {mask_secrets(message)}", err=True)
    raise typer.Exit(code)


def parse_date(text: str, flag: str = "--as-of") -> date:
    """An ISO date from an option, or a clear error naming the option."""
    from ..calendar import FIRST_DAY, LAST_DAY, date_in_range

    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(f"{flag} {text!r} is not a date in the form YYYY-MM-DD")
    if not date_in_range(day):
        fail(f"{flag} {text} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
    return day


def opt_date(text: str | None, flag: str) -> date | None:
    """:func:`parse_date` for an optional option (None stays None)."""
    return None if text is None else parse_date(text, flag)


def parse_amount_option(text: str | None, flag: str = "--amount") -> Decimal | None:
    """An amount read by :func:`workbench.money.parse_amount` (sign and decimals are the caller's to check)."""
    from ..money import AmountError, parse_amount

    if text is None:
        return None
    try:
        return parse_amount(text)
    except AmountError as exc:
        fail(f"{flag} {text!r} is not a number" if exc.kind != "range" else f"{flag} {text!r} is {exc.problem}")


def workspace_for(ledger: Path | None = None) -> Workspace | None:
    """The workspace of this command (:func:`workbench.workspace.workspace_of`), or None for a bare ledger."""
    from ..workspace import workspace_of

    return workspace_of(ledger)


def ledger_path(ledger: Path | None) -> Path:
    """``--ledger``, else the workspace's ledger; a clear error when there is neither."""
    if ledger is not None:
        return Path(ledger)
    found = workspace_for(None)
    if found is None:
        fail("no ledger: give --ledger DIR, or run inside a workspace (create one with `workbench init`)")
    return found.ledger


def load(path: Path | None) -> Ledger:
    """Load a ledger (``--ledger`` or the workspace's), warning on stderr when rows were quarantined.

    In a workspace the validated ledger is kept in its cache folder
    (``paths.cache``) and reused while the ledger's files are unchanged; a
    bare ledger folder (no workspace applies) is loaded without a cache.
    """
    from ..ledger import load_ledger

    path = ledger_path(path)
    space = workspace_for(path)
    led = load_ledger(path, cache_dir=None if space is None else space.cache)
    count = led.report.rows_quarantined
    if count:
        typer.echo(
            f"warning: {count} row(s) quarantined while loading {path} (see `workbench validate --ledger {path}`)",
            err=True,
        )
    return led


def stdout_csv(frame: Any, name: str = "output") -> None:
    """Print a frame as the same neutralised CSV that ``--out FILE`` would write."""
    import tempfile

    from ..exports import write_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(frame, Path(tmp) / f"{name}.csv")
        sys.stdout.write(path.read_text(encoding="utf-8"))


def journal_target(explicit: str | None, ledger: Path | None = None) -> str:
    """Where the journal lives: ``--journal``, ``WORKBENCH_JOURNAL``, the workspace's, beside the ledger, here.

    A URL's password is remembered as a secret, so that no message shows it.
    """
    from ..redact import remember_url_password

    if explicit:
        remember_url_password(explicit)
        return explicit
    if os.environ.get("WORKBENCH_JOURNAL"):
        remember_url_password(os.environ["WORKBENCH_JOURNAL"])
        return os.environ["WORKBENCH_JOURNAL"]
    found = workspace_for(ledger)
    if found is not None:
        return found.journal
    if ledger is not None:
        return str(Path(ledger).resolve().parent / "journal.sqlite")
    return "journal.sqlite"


def open_journal(
    explicit: str | None,
    ledger: Path | None = None,
    author: str | None = None,
    *,
    create: bool = False,
    key_file: Path | None = None,
) -> Journal:
    """Open the journal chosen by :func:`journal_target`; only ``create`` (``journal init``) makes a new one."""
    from ..journal import Journal
    from ..journal.keys import KEY_ENV, KEY_FILE_ENV

    target = journal_target(explicit, ledger)
    space = workspace_for(ledger)
    if key_file is None and not (os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)):
        if space is not None and space.journal == target and space.journal_key is not None:
            key_file = space.journal_key
    book = Journal.open(target, author=author, create=create, key_file=key_file)
    problem = binding_problem(book.workspace_binding(), space, ledger)
    if problem is not None:
        book.close()
        fail(f"journal {target}: {problem}")
    return book


def binding_problem(binding: dict[str, str] | None, space: Workspace | None, ledger: Path | None) -> str | None:
    """Why a journal bound to one workspace must not be used here (another workspace, another ledger), or None."""
    if binding is None:
        return None
    owner = f"workspace {binding['company'] or binding['workspace_id']} (id {binding['workspace_id']})"
    if space is not None and space.id != binding["workspace_id"]:
        return f"it belongs to {owner}, not to this workspace {space.company} (id {space.id}); nothing was done"
    if space is None and ledger is not None and Path(ledger).resolve() != Path(binding["ledger"]).resolve():
        return f"it belongs to {owner}, whose ledger is {binding['ledger']}, not {ledger}; nothing was done"
    return None


def require_name(led: Ledger, kind: NameKind, value: str | None) -> None:
    """Exit 2 when ``value`` (given) is not an entity, collector, sales rep or customer of ``led``.

    The message lists what the ledger holds and suggests the nearest name
    (:func:`workbench.ledger.names.name_problem`).
    """
    from ..ledger.names import known_names, name_problem

    if value is None:
        return
    problem = name_problem(kind, value, known_names(led, kind))
    if problem is not None:
        fail(problem)


def check_as_of(led: Ledger, day: date, allow_future: bool = False, flag: str = "--as-of") -> None:
    """Exit 2 when ``day`` is more than 31 days after the ledger's last data, unless ``allow_future``.

    The last data date is :func:`workbench.ledger.freshness.last_data_date`
    (documents, payment value dates, allocations).
    """
    from ..ledger.freshness import days_after_data, last_data_date

    if allow_future:
        return
    last = last_data_date(led.documents, led.payments, led.allocations)
    gap = days_after_data(last, day)
    if gap is not None and last is not None:
        fail(
            f"{flag} {day.isoformat()} is {gap} days after the ledger's last data ({last.isoformat()}): "
            "the ledger looks stale; re-import it, or pass --allow-future"
        )


def out_file(path: Path | None, flag: str = "--out") -> Path | None:
    """``--out FILE`` checked before any work: its folder must exist and it must not be a folder."""
    if path is None:
        return None
    if path.is_dir():
        fail(f"{flag} {path} is a folder: give a file name")
    parent = path.parent
    if not parent.is_dir():
        fail(f"{flag} {path}: the folder {parent} does not exist (create it first)")
    return path


def out_folder(path: Path, flag: str = "--out") -> Path:
    """``--out DIR`` checked before any work: it can be a folder we may create or write in.

    Nothing is created here (the writer does it), so a run refused later
    leaves no empty folder behind.
    """
    if path.exists() and not path.is_dir():
        fail(f"{flag} {path} is a file, not a folder")
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        fail(f"{flag} {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        fail(f"{flag} {path}: cannot write in {ancestor}")
    return path
