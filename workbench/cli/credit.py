"""``workbench credit score|limits|exposure|check``: credit risk at a date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .common import (
    workspace_for,
    AllowFutureOpt,
    AsOfOpt,
    CsvJson,
    LedgerOpt,
    check_as_of,
    fail,
    load,
    parse_date,
    require_name,
    stdout_csv,
)

if TYPE_CHECKING:
    from ..ledger.model import Ledger

credit_app = typer.Typer(help="Credit risk: scores, limits, exposure, order release checks.", no_args_is_help=True)

PolicyOpt = Annotated[
    Optional[Path], typer.Option("--policy", help="Credit policy TOML merged over the shipped default.", dir_okay=False)
]


def _credit_out(frame: Any, fmt: str, day: date, key: str) -> None:
    """Print a credit frame: CSV (list columns joined with '; ') or JSON (amounts as exact strings)."""
    from ..credit import flat_frame, json_records

    if fmt == "json":
        typer.echo(json.dumps({"as_of": day.isoformat(), key: json_records(frame)}, indent=2, ensure_ascii=False))
        return
    stdout_csv(flat_frame(frame), key)


def _ledger_at(ledger: Path | None, day: date, allow_future: bool) -> Ledger:
    """The ledger of a credit command, refused when ``day`` is long after its last data (unless allowed)."""
    led = load(ledger)
    check_as_of(led, day, allow_future)
    return led


@credit_app.command("score")
def credit_score(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    fmt: CsvJson = "csv",
    policy: PolicyOpt = None,
    allow_future: AllowFutureOpt = False,
) -> None:
    """Score every customer: 0-100 score, risk class A-E, points per factor and an explanation."""
    from ..credit import load_policy, score_customers

    day = parse_date(as_of)
    _credit_out(
        score_customers(_ledger_at(ledger, day, allow_future), day, load_policy(_credit_policy(policy, ledger))),
        fmt,
        day,
        "scores",
    )


@credit_app.command("limits")
def credit_limits(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    fmt: CsvJson = "csv",
    policy: PolicyOpt = None,
    allow_future: AllowFutureOpt = False,
) -> None:
    """Three-method credit limits, recommended limit and terms per customer (limit currency)."""
    from ..credit import load_policy, recommend_limits

    day = parse_date(as_of)
    _credit_out(
        recommend_limits(_ledger_at(ledger, day, allow_future), day, load_policy(_credit_policy(policy, ledger))),
        fmt,
        day,
        "limits",
    )


@credit_app.command("exposure")
def credit_exposure(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    fmt: CsvJson = "csv",
    policy: PolicyOpt = None,
    over_limit_only: Annotated[
        bool, typer.Option("--over-limit", help="Only customers over their credit limit.")
    ] = False,
    allow_future: AllowFutureOpt = False,
) -> None:
    """Exposure (open AR, unapplied credit, open orders, delivered not invoiced) against credit and insured limits."""
    from ..credit import exposure, load_policy, over_limit

    day = parse_date(as_of)
    frame = exposure(_ledger_at(ledger, day, allow_future), day, load_policy(_credit_policy(policy, ledger)))
    _credit_out(over_limit(frame) if over_limit_only else frame, fmt, day, "exposure")


@credit_app.command("check")
def credit_check(
    *,
    ledger: LedgerOpt = None,
    as_of: AsOfOpt,
    customer: Annotated[str, typer.Option("--customer", help="Customer id of the order.")],
    amount: Annotated[str, typer.Option("--amount", help="Order amount, e.g. 12500.00.")],
    currency: Annotated[
        Optional[str], typer.Option("--currency", help="Currency of the amount (default: the limit currency).")
    ] = None,
    fmt: CsvJson = "json",
    policy: PolicyOpt = None,
    allow_future: AllowFutureOpt = False,
) -> None:
    """Order release check: release, hold or refer, with the reasons (exit 0 whatever the outcome)."""
    from ..credit import check_order, load_policy
    from ..money import MAX_AMOUNT, AmountError, parse_amount

    day = parse_date(as_of)
    try:
        value = parse_amount(amount, sign="positive")
    except AmountError as exc:
        if exc.kind == "range":
            fail(f"--amount {amount!r} must be a positive amount of at most {MAX_AMOUNT:,}")
        fail(f"--amount {amount!r} is not a decimal number such as 12500.00")
        raise
    led = _ledger_at(ledger, day, allow_future)
    require_name(led, "customer", customer)
    require_name(led, "currency", currency)
    decision = check_order(led, customer, value, day, load_policy(_credit_policy(policy, ledger)), currency=currency)
    if fmt == "json":
        typer.echo(json.dumps(decision.as_dict(), indent=2, ensure_ascii=False))
        return
    import polars as pl

    frame = pl.DataFrame(
        [
            {
                "customer_id": decision.customer_id,
                "as_of": day,
                "outcome": decision.outcome,
                "finding": f.code,
                "finding_outcome": f.outcome,
                "message": f.message,
                "order_amount": decision.order_amount,
                "currency": decision.currency,
                "exposure_after": decision.exposure_after,
                "credit_limit": decision.credit_limit,
                "insured_limit": decision.insured_limit,
                "risk_class": decision.risk_class,
            }
            for f in decision.findings
        ]
    )
    _credit_out(frame, fmt, day, "check")


def register(app: typer.Typer) -> None:
    """Add ``workbench credit ...``."""
    app.add_typer(credit_app, name="credit")


def _credit_policy(policy: Path | None, ledger: Path | None) -> Path | None:
    """``--policy``, else the workspace's credit policy, else None (the shipped default)."""
    if policy is not None:
        return policy
    space = workspace_for(ledger)
    return space.credit_policy if space is not None else None
