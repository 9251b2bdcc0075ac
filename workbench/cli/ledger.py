"""``workbench import generic`` and ``workbench validate``: ledgers in, and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import LedgerOpt

import_app = typer.Typer(help="Turn other layouts into a canonical ledger folder.", no_args_is_help=True)


@import_app.command("generic")
def import_generic_cmd(
    source: Annotated[Path, typer.Argument(help="Flat invoice history (CSV).", exists=True, dir_okay=False)],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (TOML).", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Ledger folder to write.")],
) -> None:
    """Import a flat invoice history with a mapping file (see LEDGER_FORMAT.md)."""
    from ..importers.generic import import_generic

    result = import_generic(source, mapping, out)
    for issue in result.issues:
        typer.echo(str(issue), err=True)
    typer.echo(
        f"{result.rows_read} rows read, {result.rows_imported} imported, {result.rows_quarantined} quarantined "
        f"(amounts {result.amount_read} = {result.amount_imported} + {result.amount_quarantined}); ledger in {out}"
    )
    if result.rows_quarantined:
        raise typer.Exit(1)


def validate(
    ledger: LedgerOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print the load report as JSON.")] = False,
) -> None:
    """Check a ledger: per-file counts and amount totals, and every issue. Exit 1 if rows were quarantined."""
    from ..ledger import load_ledger

    led = load_ledger(ledger)
    report = led.report
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for name, f in report.files.items():
            totals = (
                ""
                if f.amount_read is None
                else f"  amounts {f.amount_read} = {f.amount_loaded} + {f.amount_quarantined}"
            )
            typer.echo(
                f"{name:18} read {f.rows_read:>9}  loaded {f.rows_loaded:>9}  quarantined {f.rows_quarantined:>6}{totals}"
            )
        for issue in report.issues:
            typer.echo(("" if issue.quarantined else "note: ") + str(issue))
    raise typer.Exit(1 if report.rows_quarantined else 0)


def register(app: typer.Typer) -> None:
    """Add ``workbench import ...`` and ``workbench validate``."""
    app.add_typer(import_app, name="import")
    app.command()(validate)
