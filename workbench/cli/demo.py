"""``workbench demo``: the deterministic demo company and its collections journal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from .common import format_option, load, parse_date


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo ledger into.")],
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Last day of the history (default 2026-11-20).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 42,
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 1500,
    documents: Annotated[
        Optional[int], typer.Option(help="Target number of documents (scales up to 10 million).")
    ] = None,
    fmt: Annotated[Literal["csv", "parquet"], format_option("Table format.")] = "csv",
    journal: Annotated[
        bool,
        typer.Option(
            "--journal/--no-journal",
            help="Also write 16 weeks of collections activity to journal.sqlite beside the ledger folder "
            "(replacing the demo journal there).",
        ),
    ] = True,
) -> None:
    """Generate the demo company's ledger (deterministic by seed), and its collections journal."""
    from rich.progress import Progress, TaskID

    from ..demo import DEFAULT_AS_OF, generate_demo

    day = parse_date(as_of) if as_of else DEFAULT_AS_OF
    with Progress(transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        summary = generate_demo(
            out, as_of=day, seed=seed, customers=customers, documents=documents, fmt=fmt, progress=tick
        )
    typer.echo(f"demo ledger written to {out} (as of {day.isoformat()}): {summary}")
    if journal:
        from ..demo.journal import seed_journal
        from ..journal import Journal

        target = Path(out).resolve().parent / "journal.sqlite"
        for old in target.parent.glob("journal.sqlite*"):
            old.unlink()
        with Journal.open(target, author="demo", create=True) as book:
            counts = seed_journal(load(out), book, day, seed=seed)
        typer.echo(f"demo journal written to {target}: {sum(counts.values())} entries {counts}")


def register(app: typer.Typer) -> None:
    """Add ``workbench demo``."""
    app.command()(demo)
