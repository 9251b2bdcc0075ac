"""``workbench demo``: the deterministic demo company and its collections journal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Optional

import typer

from .common import fail, format_option, load, parse_date

if TYPE_CHECKING:
    from ..workspace import Workspace


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
            "(replacing only an earlier demo's journal).",
        ),
    ] = True,
) -> None:
    """Generate the demo company's ledger (deterministic by seed), and its collections journal."""
    from rich.progress import Progress, TaskID

    from ..demo import DEFAULT_AS_OF, generate_demo

    day = parse_date(as_of) if as_of else DEFAULT_AS_OF
    root = Path(out).resolve().parent
    _refuse_what_is_not_the_demos(root, Path(out), journal)
    (root / _MARKER).parent.mkdir(parents=True, exist_ok=True)
    (root / _MARKER).write_text("This folder is the demo company's workspace (workbench demo).\n", encoding="utf-8")
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
    space = _write_demo_workspace(root, Path(out))
    if journal:
        from ..demo.journal import seed_journal
        from ..journal import Journal

        target = Path(space.journal)
        for old in _journal_files(root):
            old.unlink()
        with Journal.open(target, author="demo", create=True, key_file=space.journal_key) as book:
            book.bind_workspace(space.id, company=space.company, ledger=str(space.ledger), on=day)
            counts = seed_journal(load(out), book, day, seed=seed)
        typer.echo(f"demo journal written to {target}: {sum(counts.values())} entries {counts}")
    typer.echo(f"demo workspace: {space.file} (letterheads of {', '.join(space.entities)})")


_MARKER = Path(".workbench") / "demo"
"""The file that marks a folder as the demo's own workspace (the demo replaces only what it made)."""


def _journal_files(root: Path) -> list[Path]:
    """The demo journal's files in its workspace: the database, its WAL files, key and checkpoint log."""
    names = ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm", "journal.sqlite.checkpoints.jsonl")
    found = [root / name for name in names if (root / name).exists()]
    key = root / ".workbench" / "journal.key"
    return found + ([key] if key.exists() else [])


def _refuse_what_is_not_the_demos(root: Path, out: Path, journal: bool) -> None:
    """Stop before writing when the folders hold a workspace, a journal or files the demo did not make."""
    if (root / _MARKER).is_file():
        return
    if (root / "workbench.toml").exists():
        fail(
            f"{root} is a workspace of your own (workbench.toml): the demo writes only into its own folder; "
            "choose another --out, for example demo/ledger"
        )
    if journal and (root / "journal.sqlite").exists():
        fail(
            f"{root / 'journal.sqlite'} is a journal the demo did not create: it is never replaced; "
            "choose another --out, for example demo/ledger"
        )
    if out.exists() and any(out.iterdir()):
        fail(f"{out} already holds files the demo did not write: choose an empty or new folder")


def _write_demo_workspace(root: Path, out: Path) -> Workspace:
    """The demo's workbench.toml (its letterheads per entity), keeping the id of an earlier demo run."""
    from ..demo.letterheads import demo_letterheads
    from ..demo._world import COMPANY
    from ..workspace import load_workspace, render_workspace_toml

    file = root / "workbench.toml"
    earlier = load_workspace(file).id if file.is_file() else None
    ledger = os.path.relpath(out.resolve(), root)
    text = render_workspace_toml(COMPANY, workspace_id=earlier, ledger=ledger, entities=demo_letterheads())
    draft = root / ".workbench" / "workbench.toml.draft"
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, file)
    return load_workspace(file)


def register(app: typer.Typer) -> None:
    """Add ``workbench demo``."""
    app.command()(demo)
