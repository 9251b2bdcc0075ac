"""What every command-line module shares: option types, date parsing, ledger loading, CSV to stdout."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

LedgerOpt = Annotated[Path, typer.Option("--ledger", help="Canonical ledger folder.", file_okay=False)]
AsOfOpt = Annotated[str, typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")]
EntityOpt = Annotated[Optional[str], typer.Option("--entity", help="Only this selling entity.")]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of {text!r} is not a date in the form YYYY-MM-DD")
        raise  # unreachable


def _load(path: Path):
    from .ledger import load_ledger

    led = load_ledger(path)
    count = led.report.rows_quarantined
    if count:
        typer.echo(f"warning: {count} row(s) quarantined while loading {path} "
                   f"(see `workbench validate --ledger {path}`)", err=True)
    return led


def _stdout_csv(frame, name: str = "output") -> None:
    """Print a frame as the same neutralised CSV that ``--out FILE`` would write."""
    import tempfile

    from .exports import write_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(frame, Path(tmp) / f"{name}.csv")
        sys.stdout.write(path.read_text(encoding="utf-8"))
