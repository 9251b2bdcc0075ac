"""The ``workbench`` command line: a thin layer over the package.

Exit codes: 0 success; 1 the work was done but rows were quarantined
(``validate``) ; 2 the input could not be read or the run failed (the message
on stderr says which file, line or notebook cell and why).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import AsOfOpt, EntityOpt, LedgerOpt, _date, _fail, _load, _stdout_csv
from .errors import WorkbenchError

app = typer.Typer(
    help="Credit & collections workbench: load ledgers, compute exact KPIs, produce reports.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
import_app = typer.Typer(help="Turn other layouts into a canonical ledger folder.", no_args_is_help=True)
report_app = typer.Typer(help="Run a report notebook and export it to HTML and PDF.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(report_app, name="report")


class By(str, Enum):
    customer = "customer"
    entity = "entity"
    country = "country"
    collector = "collector"
    currency = "currency"


class Basis(str, Enum):
    due_date = "due_date"
    doc_date = "doc_date"


class AgingFormat(str, Enum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class DemoFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo ledger into.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Last day of the history (default 2026-11-20).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 42,
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 1500,
    documents: Annotated[Optional[int], typer.Option(help="Target number of documents (scales up to 10 million).")] = None,
    fmt: Annotated[DemoFormat, typer.Option("--format", help="Table format.")] = DemoFormat.csv,
    journal: Annotated[bool, typer.Option(
        "--journal/--no-journal",
        help="Also write 16 weeks of collections activity to journal.sqlite beside the ledger folder "
             "(replacing the demo journal there).")] = True,
) -> None:
    """Generate the demo company's ledger (deterministic by seed), and its collections journal."""
    from rich.progress import Progress

    from .demo import DEFAULT_AS_OF, generate_demo

    day = _date(as_of) if as_of else DEFAULT_AS_OF
    with Progress(transient=True) as progress:
        tasks: dict[str, int] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        summary = generate_demo(out, as_of=day, seed=seed, customers=customers, documents=documents,
                                fmt=fmt.value, progress=tick)
    typer.echo(f"demo ledger written to {out} (as of {day.isoformat()}): {summary}")
    if journal:
        from .demo.journal import seed_journal
        from .journal import Journal

        target = Path(out).resolve().parent / "journal.sqlite"
        for old in target.parent.glob("journal.sqlite*"):
            old.unlink()
        with Journal.open(target, author="demo") as book:
            counts = seed_journal(_load(out), book, day, seed=seed)
        typer.echo(f"demo journal written to {target}: {sum(counts.values())} entries {counts}")


@import_app.command("generic")
def import_generic_cmd(
    source: Annotated[Path, typer.Argument(help="Flat invoice history (CSV).", exists=True, dir_okay=False)],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (TOML).", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Ledger folder to write.")],
) -> None:
    """Import a flat invoice history with a mapping file (see LEDGER_FORMAT.md)."""
    from .importers.generic import import_generic

    result = import_generic(source, mapping, out)
    for issue in result.issues:
        typer.echo(str(issue), err=True)
    typer.echo(
        f"{result.rows_read} rows read, {result.rows_imported} imported, {result.rows_quarantined} quarantined "
        f"(amounts {result.amount_read} = {result.amount_imported} + {result.amount_quarantined}); ledger in {out}"
    )
    if result.rows_quarantined:
        raise typer.Exit(1)


@app.command()
def validate(
    ledger: LedgerOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print the load report as JSON.")] = False,
) -> None:
    """Check a ledger: per-file counts and amount totals, and every issue. Exit 1 if rows were quarantined."""
    from .ledger import load_ledger

    led = load_ledger(ledger)
    report = led.report
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for name, f in report.files.items():
            totals = "" if f.amount_read is None else f"  amounts {f.amount_read} = {f.amount_loaded} + {f.amount_quarantined}"
            typer.echo(f"{name:18} read {f.rows_read:>9}  loaded {f.rows_loaded:>9}  quarantined {f.rows_quarantined:>6}{totals}")
        for issue in report.issues:
            typer.echo(("" if issue.quarantined else "note: ") + str(issue))
    raise typer.Exit(1 if report.rows_quarantined else 0)


@app.command()
def kpis(ledger: LedgerOpt, as_of: AsOfOpt, entity: EntityOpt = None,
         as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the default output).")] = True) -> None:
    """Headline KPIs at a date: aging, AR, DSO family, CEI, behaviour."""
    from .kpis import kpis as compute

    result = compute(_load(ledger), _date(as_of), entity=entity).as_json()
    typer.echo(json.dumps(result, indent=2))


@app.command()
def aging(
    ledger: LedgerOpt, as_of: AsOfOpt,
    by: Annotated[By, typer.Option("--by", help="Grouping of the rows.")] = By.customer,
    fmt: Annotated[AgingFormat, typer.Option("--format", help="Output format.")] = AgingFormat.csv,
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write (required for xlsx; else stdout).")] = None,
    entity: EntityOpt = None,
    basis: Annotated[Optional[Basis], typer.Option("--basis", help="Age by days past due or days since the invoice.")] = None,
    edges: Annotated[Optional[str], typer.Option("--edges", help="Bucket edges in days, e.g. 0,30,60,90,120.")] = None,
) -> None:
    """Aging by customer, entity, country, collector or currency, in the reporting currency."""
    from .aging import DEFAULT_BUCKETS, DOC_DATE_BUCKETS, Buckets
    from .aging import aging as compute
    from .exports import write_csv, write_xlsx

    led = _load(ledger).filter_entity(entity)
    day = _date(as_of)
    basis_value = (basis or Basis.due_date).value
    if edges:
        try:
            buckets = Buckets(tuple(int(e) for e in edges.split(",")))
        except ValueError as exc:
            _fail(f"--edges {edges!r}: {exc}")
    else:
        buckets = DOC_DATE_BUCKETS if basis_value == "doc_date" else DEFAULT_BUCKETS
    frame = compute(led, day, by=by.value, buckets=buckets, basis=basis_value).drop("gross_open")
    money = [c for c in frame.columns if c not in ("customer_id", by.value)]
    if fmt is AgingFormat.xlsx:
        target = out or Path(f"aging-{by.value}-{day.isoformat()}.xlsx")
        write_xlsx(frame, target, sheet="Aging", money_columns=money,
                   title=f"Aging by {by.value} as of {day.isoformat()} ({led.reporting_currency})")
        typer.echo(str(target))
        return
    if fmt is AgingFormat.json:
        rows = [{k: (str(v) if k in money else v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
        text = json.dumps({"as_of": day.isoformat(), "reporting_currency": led.reporting_currency,
                           "by": by.value, "rows": rows}, indent=2)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)
        return
    if out is not None:
        write_csv(frame, out)
        return
    _stdout_csv(frame, "aging")


# ---------------------------------------------------------------- cash-in forecast (issue 3)

forecast_app = typer.Typer(help="Cash-in forecast: expected receipts per ISO week, and its backtest.")
app.add_typer(forecast_app, name="forecast")


class ForecastFormat(str, Enum):
    csv = "csv"
    json = "json"


def _emit(frame, fmt: ForecastFormat, meta: dict[str, object]) -> None:
    """Print a frame as CSV (exact decimals) or JSON (money as strings, ratios as numbers)."""
    from decimal import Decimal

    if fmt is ForecastFormat.json:
        def plain(value: object) -> object:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, date):
                return value.isoformat()
            return value

        rows = [{k: plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]
        typer.echo(json.dumps({**meta, "rows": rows}, indent=2))
        return
    _stdout_csv(frame, "forecast")


@forecast_app.callback(invoke_without_command=True)
def forecast_cmd(
    ctx: typer.Context,
    ledger: Annotated[Optional[Path], typer.Option("--ledger", help="Canonical ledger folder.", file_okay=False)] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="As-of date, YYYY-MM-DD (end of that day).")] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="ISO weeks forecast.")] = 13,
    entity: EntityOpt = None,
    fmt: Annotated[ForecastFormat, typer.Option("--format", help="Output format.")] = ForecastFormat.csv,
) -> None:
    """Expected cash-in per ISO week by entity and currency, with its 80 % band (P10-P90)."""
    if ctx.invoked_subcommand is not None:
        return
    if ledger is None or as_of is None:
        _fail("workbench forecast needs --ledger and --as-of (or use: workbench forecast backtest ...)")
    from .forecast import forecast

    day = _date(as_of)
    led = _load(ledger)
    result = forecast(led, day, weeks, entity=entity)
    _emit(result.weekly, fmt, {"as_of": day.isoformat(), "reporting_currency": led.reporting_currency,
                               "entity": entity, "weeks": weeks})


@forecast_app.command("backtest")
def forecast_backtest_cmd(
    ledger: LedgerOpt,
    start: Annotated[str, typer.Option("--from", help="First as-of date, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last as-of date (weekly steps from --from), YYYY-MM-DD.")],
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="ISO weeks forecast.")] = 13,
    entity: EntityOpt = None,
    fmt: Annotated[ForecastFormat, typer.Option("--format", help="Output format.")] = ForecastFormat.csv,
) -> None:
    """WAPE and bias of the model and both baselines per horizon group, replaying the ledger weekly."""
    from .forecast import backtest

    first, last = _date(start), _date(end)
    if last < first:
        _fail(f"--to {end} is before --from {start}")
    table = backtest(_load(ledger), first, last, weeks, entity=entity)
    _emit(table, fmt, {"from": first.isoformat(), "to": last.isoformat(), "weeks": weeks, "entity": entity})


# ----------------------------------------------------------------- credit (issue 5)

credit_app = typer.Typer(help="Credit risk: scores, limits, exposure, order release checks.", no_args_is_help=True)
app.add_typer(credit_app, name="credit")


class CreditFormat(str, Enum):
    csv = "csv"
    json = "json"


CreditFormatOpt = Annotated[CreditFormat, typer.Option("--format", help="Output format.")]
PolicyOpt = Annotated[Optional[Path], typer.Option(
    "--policy", help="Credit policy TOML merged over the shipped default.", dir_okay=False)]


def _credit_out(frame, fmt: CreditFormat, day: date, key: str) -> None:
    """Print a credit frame: CSV (list columns joined with '; ') or JSON (amounts as exact strings)."""
    from .credit import flat_frame, json_records

    if fmt is CreditFormat.json:
        typer.echo(json.dumps({"as_of": day.isoformat(), key: json_records(frame)}, indent=2, ensure_ascii=False))
        return
    _stdout_csv(flat_frame(frame), key)


@credit_app.command("score")
def credit_score(ledger: LedgerOpt, as_of: AsOfOpt, fmt: CreditFormatOpt = CreditFormat.csv,
                 policy: PolicyOpt = None) -> None:
    """Score every customer: 0-100 score, risk class A-E, points per factor and an explanation."""
    from .credit import load_policy, score_customers

    day = _date(as_of)
    _credit_out(score_customers(_load(ledger), day, load_policy(policy)), fmt, day, "scores")


@credit_app.command("limits")
def credit_limits(ledger: LedgerOpt, as_of: AsOfOpt, fmt: CreditFormatOpt = CreditFormat.csv,
                  policy: PolicyOpt = None) -> None:
    """Three-method credit limits, recommended limit and terms per customer (limit currency)."""
    from .credit import load_policy, recommend_limits

    day = _date(as_of)
    _credit_out(recommend_limits(_load(ledger), day, load_policy(policy)), fmt, day, "limits")


@credit_app.command("exposure")
def credit_exposure(ledger: LedgerOpt, as_of: AsOfOpt, fmt: CreditFormatOpt = CreditFormat.csv,
                    policy: PolicyOpt = None,
                    over_limit_only: Annotated[bool, typer.Option("--over-limit", help="Only customers over their credit limit.")] = False) -> None:
    """Exposure (open AR, unapplied credit, open orders, delivered not invoiced) against credit and insured limits."""
    from .credit import exposure, load_policy, over_limit

    day = _date(as_of)
    frame = exposure(_load(ledger), day, load_policy(policy))
    _credit_out(over_limit(frame) if over_limit_only else frame, fmt, day, "exposure")


@credit_app.command("check")
def credit_check(
    ledger: LedgerOpt, as_of: AsOfOpt,
    customer: Annotated[str, typer.Option("--customer", help="Customer id of the order.")],
    amount: Annotated[str, typer.Option("--amount", help="Order amount, e.g. 12500.00.")],
    currency: Annotated[Optional[str], typer.Option("--currency", help="Currency of the amount (default: the limit currency).")] = None,
    fmt: CreditFormatOpt = CreditFormat.json,
    policy: PolicyOpt = None,
) -> None:
    """Order release check: release, hold or refer, with the reasons (exit 0 whatever the outcome)."""
    from .credit import check_order, load_policy
    from .money import AmountError, parse_amount

    day = _date(as_of)
    try:
        value = parse_amount(amount, sign="positive")
    except AmountError as exc:
        if exc.kind == "range":
            _fail(f"--amount {amount!r} must be a positive amount")
        _fail(f"--amount {amount!r} is not a decimal number such as 12500.00")
        raise
    decision = check_order(_load(ledger), customer, value, day, load_policy(policy), currency=currency)
    if fmt is CreditFormat.json:
        typer.echo(json.dumps(decision.as_dict(), indent=2, ensure_ascii=False))
        return
    import polars as pl

    frame = pl.DataFrame([{
        "customer_id": decision.customer_id, "as_of": day, "outcome": decision.outcome, "finding": f.code,
        "finding_outcome": f.outcome, "message": f.message, "order_amount": decision.order_amount,
        "currency": decision.currency, "exposure_after": decision.exposure_after,
        "credit_limit": decision.credit_limit, "insured_limit": decision.insured_limit,
        "risk_class": decision.risk_class,
    } for f in decision.findings])
    _credit_out(frame, fmt, day, "check")


from .cli_collections import register as _register_collections  # noqa: E402
from .cli_reports import register_reports  # noqa: E402

_register_collections(app)
register_reports(report_app)


def main() -> None:
    """Entry point: run the app and turn workbench errors into exit code 2 with a message."""
    try:
        app()
    except WorkbenchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
