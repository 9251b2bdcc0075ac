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

__all__ = [
    "AsOfOpt",
    "CsvJson",
    "EntityOpt",
    "JournalOpt",
    "LedgerOpt",
    "fail",
    "format_option",
    "journal_target",
    "load",
    "open_journal",
    "opt_date",
    "parse_date",
    "parse_amount_option",
    "stdout_csv",
]

LedgerOpt = Annotated[Path, typer.Option("--ledger", help="Canonical ledger folder.", file_okay=False)]
AsOfOpt = Annotated[str, typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")]
EntityOpt = Annotated[Optional[str], typer.Option("--entity", help="Only this selling entity.")]
JournalOpt = Annotated[
    Optional[str],
    typer.Option(
        "--journal", help="Journal: SQLite file path or postgresql:// URL (default: journal.sqlite beside the ledger)."
    ),
]
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


def load(path: Path) -> Ledger:
    """Load a ledger, warning on stderr when rows were quarantined."""
    from ..ledger import load_ledger

    led = load_ledger(path)
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
    """Where the journal lives: ``--journal``, else ``WORKBENCH_JOURNAL``, else beside the ledger, else here.

    A URL's password is remembered as a secret, so that no message shows it.
    """
    from ..redact import remember_url_password

    if explicit:
        remember_url_password(explicit)
        return explicit
    if os.environ.get("WORKBENCH_JOURNAL"):
        remember_url_password(os.environ["WORKBENCH_JOURNAL"])
        return os.environ["WORKBENCH_JOURNAL"]
    if ledger is not None:
        return str(Path(ledger).resolve().parent / "journal.sqlite")
    return "journal.sqlite"


def open_journal(
    explicit: str | None, ledger: Path | None = None, author: str | None = None, *, create: bool = False
) -> Journal:
    """Open the journal chosen by :func:`journal_target`; only ``create`` (``journal init``) makes a new one."""
    from ..journal import Journal

    return Journal.open(journal_target(explicit, ledger), author=author, create=create)
