"""``workbench import generic``, ``workbench import open-items`` and ``workbench validate``: ledgers in, and checked."""

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
    """Import a flat invoice history with a mapping file (see docs/ledger-format.md)."""
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


@import_app.command("open-items")
def import_open_items_cmd(
    source: Annotated[Path, typer.Argument(help="Open-item list exported from the ERP.", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Ledger folder to write (new or empty, or with --update).")],
    preset: Annotated[
        Optional[str], typer.Option("--preset", help="Shipped mapping of an ERP export (see docs/importers.md).")
    ] = None,
    mapping: Annotated[
        Optional[Path],
        typer.Option("--mapping", help="Mapping file (TOML); laid over --preset when both are given.", dir_okay=False),
    ] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="The export's date (YYYY-MM-DD), unless a column holds it.")
    ] = None,
    update: Annotated[
        bool, typer.Option("--update", help="Bring an earlier open-item import in --out up to date with this export.")
    ] = False,
) -> None:
    """Import an ERP open-item list (aged receivables detail); with --update, apply a later export."""
    from ..errors import WorkbenchError
    from ..importers.open_items import import_open_items, open_item_mapping
    from .common import fail, parse_date

    day = parse_date(as_of, "--as-of") if as_of else None
    try:
        result = import_open_items(source, open_item_mapping(preset, mapping), out, as_of=day, update=update)
    except WorkbenchError as exc:
        fail(str(exc))
    for issue in result.issues:
        typer.echo(str(issue), err=True)
    c = result.changes
    opened = ", ".join(f"{cur} {amount}" for cur, amount in result.open_imported.items()) or "nothing"
    typer.echo(
        f"{result.rows_read} rows read, {result.rows_imported} imported, {result.rows_quarantined} quarantined; "
        f"open on {result.as_of}: {opened}; {c['new']} new, {c['changed']} changed, {c['settled']} settled, "
        f"{c['refused']} refused, {c['unmatched']} unmatched (import_changes.csv); ledger in {out}"
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
