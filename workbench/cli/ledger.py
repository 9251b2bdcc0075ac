"""``workbench import generic`` and ``workbench validate``: ledgers in, and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional, TextIO

import typer

from .common import LedgerOpt, ledger_path

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


SHOWN_ISSUES = 100
"""How many issues ``validate`` prints; ``--quarantine FILE`` writes them all."""


def validate(
    ledger: LedgerOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the load report as JSON.")] = False,
    quarantine: Annotated[
        Optional[Path],
        typer.Option("--quarantine", help="Write every issue (file, line, reason) to this CSV file.", dir_okay=False),
    ] = None,
) -> None:
    """Check a ledger: per-file counts and amount totals, and the issues. Exit 1 if rows were quarantined.

    At most the first 100 issues are printed (``issues_total`` says how many
    there are); ``--quarantine FILE`` writes all of them, formula-safe.
    """
    import csv

    from ..exports import neutralise
    from ..errors import Issue
    from ..ledger.stream import validate_ledger

    shown: list[Issue] = []
    handle: TextIO | None = None
    writer: Any = None

    def sink(batch: list[Issue]) -> None:
        nonlocal handle, writer
        shown.extend(batch[: SHOWN_ISSUES - len(shown)])
        if quarantine is not None:
            if writer is None:
                handle = quarantine.open("w", encoding="utf-8", newline="")
                writer = csv.writer(handle, lineterminator="\r\n")
                writer.writerow(["file", "line", "reason", "quarantined"])
            writer.writerows(
                [neutralise(i.file), str(i.line), neutralise(i.reason), "true" if i.quarantined else "false"]
                for i in batch
            )

    try:
        report = validate_ledger(ledger_path(ledger), sink)
        sink([])  # a clean ledger still gets its (empty) quarantine file
    except BaseException:
        if handle is not None:
            handle.close()
            quarantine.unlink(missing_ok=True)  # type: ignore[union-attr]
        raise
    if handle is not None:
        handle.close()
    total = report.issues_total
    if as_json:
        data = report.as_dict()
        data["issues"] = [i.as_dict() for i in shown]
        data["issues_total"] = total
        if quarantine is not None:
            data["quarantine_file"] = str(quarantine)
        typer.echo(json.dumps(data, indent=2))
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
        for issue in shown:
            typer.echo(("" if issue.quarantined else "note: ") + str(issue))
        if total > SHOWN_ISSUES:
            where = f"all of them are in {quarantine}" if quarantine else "--quarantine FILE writes them all"
            typer.echo(f"... {total - SHOWN_ISSUES} more issue(s) not shown ({where})")
    raise typer.Exit(1 if report.rows_quarantined else 0)


def register(app: typer.Typer) -> None:
    """Add ``workbench import ...`` and ``workbench validate``."""
    app.add_typer(import_app, name="import")
    app.command()(validate)
