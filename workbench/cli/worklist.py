"""``workbench worklist``: each collector's prioritised customers, with the reason for each rank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from .common import (
    workspace_for,
    ForceFileOpt,
    AllowFutureOpt,
    AsOfOpt,
    JournalOpt,
    LedgerOpt,
    check_as_of,
    format_option,
    load,
    open_journal,
    out_file,
    parse_date,
    require_name,
    stdout_csv,
)
from .dunning import PolicyOpt, _policy


def worklist(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    collector: Annotated[Optional[str], typer.Option("--collector", help="Only this collector's list.")] = None,
    fmt: Annotated[Literal["csv", "xlsx"], format_option("csv (stdout or --out) or xlsx.")] = "csv",
    out: Annotated[
        Optional[Path], typer.Option("--out", help="File to write (default for xlsx: worklist-DATE.xlsx).")
    ] = None,
    policy: PolicyOpt = None,
    journal: JournalOpt = None,
    allow_future: AllowFutureOpt = False,
    force: ForceFileOpt = False,
) -> None:
    """Today's prioritised worklist per collector, with the reason for each rank."""
    from ..collections.worklist import WORKLIST_LABELS, build_worklist, inputs_from_journal
    from ..exports import write_csv, write_xlsx

    day = parse_date(as_of)
    out = out_file(out)
    space = workspace_for(ledger)
    rules = _policy(policy if policy is not None or space is None else space.collections_policy)
    led = load(ledger)
    require_name(led, "collector", collector)
    check_as_of(led, day, allow_future)
    with open_journal(journal, ledger) as book:
        inputs = inputs_from_journal(book, led, day, rules.default.promise_grace_days)
    frame = build_worklist(led, day, rules.worklist, inputs, collector=collector)
    if fmt == "xlsx":
        target = out or Path(f"worklist-{day.isoformat()}.xlsx")
        who = f" for {collector}" if collector else ""
        money = [WORKLIST_LABELS[c] for c in ("overdue", "open_total", "disputed_overdue")]
        write_xlsx(
            frame.rename(WORKLIST_LABELS),
            target,
            force=force,
            sheet="Worklist",
            money_columns=money,
            title=f"Collections worklist{who} as of {day.isoformat()} ({led.reporting_currency})",
        )
        typer.echo(str(target))
        return
    if out is not None:
        write_csv(frame, out, force=force)
        return
    stdout_csv(frame, "worklist")


def register(app: typer.Typer) -> None:
    """Add ``workbench worklist``."""
    app.command("worklist")(worklist)
