"""``workbench forecast`` and ``workbench forecast backtest``: expected cash-in per ISO week."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .common import (
    AllowFutureOpt,
    CsvJson,
    EntityOpt,
    LedgerOpt,
    check_as_of,
    fail,
    load,
    parse_date,
    require_name,
    stdout_csv,
)

forecast_app = typer.Typer(help="Cash-in forecast: expected receipts per ISO week, and its backtest.")


def _emit(frame: Any, fmt: str, meta: dict[str, object]) -> None:
    """Print a frame as CSV (exact decimals) or JSON (money as strings, ratios as numbers)."""
    from decimal import Decimal

    if fmt == "json":

        def plain(value: object) -> object:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, date):
                return value.isoformat()
            return value

        rows = [{k: plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
        typer.echo(json.dumps({**meta, "rows": rows}, indent=2))
        return
    stdout_csv(frame, "forecast")


@forecast_app.callback(invoke_without_command=True)
def forecast_cmd(
    ctx: typer.Context,
    ledger: Annotated[
        Optional[Path],
        typer.Option("--ledger", help="Canonical ledger folder (default: the workspace's ledger).", file_okay=False),
    ] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="ISO weeks forecast.")] = 13,
    entity: EntityOpt = None,
    fmt: CsvJson = "csv",
    allow_future: AllowFutureOpt = False,
) -> None:
    """Expected cash-in per ISO week by entity and currency, with its 80 % band (P10-P90)."""
    if ctx.invoked_subcommand is not None:
        return
    if as_of is None:
        fail("workbench forecast needs --as-of (or use: workbench forecast backtest ...)")
    from ..forecast import forecast

    day = parse_date(as_of)
    led = load(ledger)
    require_name(led, "entity", entity)
    check_as_of(led, day, allow_future)
    result = forecast(led, day, weeks, entity=entity)
    _emit(
        result.weekly,
        fmt,
        {"as_of": day.isoformat(), "reporting_currency": led.reporting_currency, "entity": entity, "weeks": weeks},
    )


@forecast_app.command("backtest")
def forecast_backtest_cmd(
    *,
    ledger: LedgerOpt = None,
    start: Annotated[str, typer.Option("--from", help="First as-of date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last as-of date (weekly steps from --from), YYYY-MM-DD.")],
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="ISO weeks forecast.")] = 13,
    entity: EntityOpt = None,
    fmt: CsvJson = "csv",
    allow_future: AllowFutureOpt = False,
) -> None:
    """WAPE and bias of the model and both baselines per horizon group, replaying the ledger weekly."""
    from ..forecast import backtest

    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        fail(f"--to {end} is before --from {start}")
    led = load(ledger)
    require_name(led, "entity", entity)
    check_as_of(led, last, allow_future, flag="--to")
    table = backtest(led, first, last, weeks, entity=entity)
    _emit(table, fmt, {"from": first.isoformat(), "to": last.isoformat(), "weeks": weeks, "entity": entity})


def register(app: typer.Typer) -> None:
    """Add ``workbench forecast ...``."""
    app.add_typer(forecast_app, name="forecast")
