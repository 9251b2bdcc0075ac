"""``workbench kpis`` and ``workbench aging``: the receivables at a date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

from .common import (
    ForceFileOpt,
    AllowFutureOpt,
    AsOfOpt,
    EntityOpt,
    LedgerOpt,
    check_as_of,
    fail,
    format_option,
    load,
    out_file,
    parse_date,
    require_name,
    stdout_csv,
)

By = Literal["customer", "entity", "country", "collector", "currency"]
Basis = Literal["due_date", "doc_date"]


def kpis(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    entity: EntityOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the default output).")] = True,
    allow_future: AllowFutureOpt = False,
) -> None:
    """Headline KPIs at a date: aging, AR, DSO family, CEI, behaviour."""
    from ..kpis import kpis as compute

    day = parse_date(as_of)
    led = load(ledger)
    require_name(led, "entity", entity)
    check_as_of(led, day, allow_future)
    result = compute(led, day, entity=entity).as_json()
    typer.echo(json.dumps(result, indent=2))


def aging(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    by: Annotated[By, typer.Option("--by", help="Grouping of the rows.")] = "customer",
    fmt: Annotated[Literal["csv", "json", "xlsx"], format_option()] = "csv",
    out: Annotated[
        Optional[Path], typer.Option("--out", help="File to write (required for xlsx; else stdout).")
    ] = None,
    entity: EntityOpt = None,
    basis: Annotated[
        Optional[Basis], typer.Option("--basis", help="Age by days past due or days since the invoice.")
    ] = None,
    edges: Annotated[Optional[str], typer.Option("--edges", help="Bucket edges in days, e.g. 0,30,60,90,120.")] = None,
    allow_future: AllowFutureOpt = False,
    force: ForceFileOpt = False,
) -> None:
    """Aging by customer, entity, country, collector or currency, in the reporting currency."""
    from ..aging import DEFAULT_BUCKETS, DOC_DATE_BUCKETS, Buckets
    from ..aging import aging as compute
    from ..exports import write_csv, write_xlsx

    day = parse_date(as_of)
    out = out_file(out)
    full = load(ledger)
    require_name(full, "entity", entity)
    check_as_of(full, day, allow_future)
    led = full.filter_entity(entity)
    basis_value = basis or "due_date"
    if edges:
        try:
            buckets = Buckets(tuple(int(e) for e in edges.split(",")))
        except ValueError as exc:
            fail(f"--edges {edges!r}: {exc}")
    else:
        buckets = DOC_DATE_BUCKETS if basis_value == "doc_date" else DEFAULT_BUCKETS
    frame = compute(led, day, by=by, buckets=buckets, basis=basis_value).drop("gross_open")
    money = [c for c in frame.columns if c not in ("customer_id", by)]
    if fmt == "xlsx":
        target = out or Path(f"aging-{by}-{day.isoformat()}.xlsx")
        write_xlsx(
            frame,
            target,
            force=force,
            sheet="Aging",
            money_columns=money,
            title=f"Aging by {by} as of {day.isoformat()} ({led.reporting_currency})",
        )
        typer.echo(str(target))
        return
    if fmt == "json":
        rows = [{k: (str(v) if k in money else v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
        text = json.dumps(
            {"as_of": day.isoformat(), "reporting_currency": led.reporting_currency, "by": by, "rows": rows}, indent=2
        )
        if out:
            from ..outputs import atomic_write_text, new_file

            atomic_write_text(new_file(out, force=force), text + "\n")
        else:
            typer.echo(text)
        return
    if out is not None:
        write_csv(frame, out, force=force)
        return
    stdout_csv(frame, "aging")


def register(app: typer.Typer) -> None:
    """Add ``workbench kpis`` and ``workbench aging``."""
    app.command()(kpis)
    app.command()(aging)
