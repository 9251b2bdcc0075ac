"""Scorecard: one 0-100 score and a risk class A-E per customer, with the reason for each point.

Four factors, each 0-100 with higher safer:

- ``financial``: the financial score of the customer's latest statement dated
  on or before the as-of date (:mod:`.financials`), missing when there is none,
  when it is older than ``financial.max_statement_age_days``, or when it
  lacks inputs;
- ``behaviour``: the payment behaviour score (:mod:`.behaviour`);
- ``external``: the bureau score of ``customers.external_score`` (0-100);
- ``country``: the points of the customer's OECD class (``country.class_points``).

**Combination.** With weights ``w`` of the factors present (``W`` their sum),
each factor contributes ``points = w / W × (factor − neutral)`` and
``score = neutral + Σ points`` (the same as the weighted mean of the factors
present). Missing factors are left out and the weights re-scaled; the
explanation says which and the share of weight used. Below
``scorecard.min_weight_share`` of the total weight the customer is
``unrated`` (score null).

**Class.** The score is shown rounded half-even to 2 decimals, and the class
is read from the shown score (so a shown 80.00 is always class A):
``A >= 80 > B >= 65 > C >= 50 > D >= 35 > E`` by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..ledger.model import Ledger
from ._num import f, q
from .behaviour import BehaviourResult, behaviour_results
from .country import country_risk, load_country_table
from .financials import StatementResult, analyse_statements
from .policy import FACTORS, Policy, default_policy

__all__ = ["CustomerScore", "score_customers", "score_results"]


@dataclass(frozen=True)
class CustomerScore:
    """Exact scorecard result of one customer."""

    customer_id: str
    score: Decimal | None
    shown_score: Decimal | None
    risk_class: str
    factors: dict[str, Decimal | None]
    points: dict[str, Decimal | None]
    weight_share: Decimal
    missing: dict[str, str]
    statement: StatementResult | None
    behaviour: BehaviourResult | None
    oecd_class: int | None
    explanation: str


def _financial_factor(stmt: StatementResult | None, as_of: date, policy: Policy) -> tuple[Decimal | None, str]:
    if stmt is None:
        return None, "no financial statements"
    if as_of - stmt.period_end > timedelta(days=policy.max_statement_age_days):
        return None, (f"latest statement {stmt.period_end} is older than {policy.max_statement_age_days} days")
    if stmt.score.score is None:
        return None, f"statement {stmt.period_end} lacks {', '.join(stmt.score.missing_inputs)}"
    return stmt.score.score, ""


def _describe(factor: str, value: Decimal, res: dict[str, object]) -> str:
    if factor == "financial":
        stmt: StatementResult = res["statement"]  # type: ignore[assignment]
        z = stmt.altman
        return f"{stmt.model} {f(z.score, 3)} {z.zone}, statement {stmt.period_end}"
    if factor == "behaviour":
        beh: BehaviourResult = res["behaviour"]  # type: ignore[assignment]
        return beh.detail
    if factor == "external":
        return f"bureau score {res['external']}"
    return f"OECD class {res['oecd_class']}, {res['country']}"


def score_results(
    ledger: Ledger, as_of: date, policy: Policy | None = None, *, country_table: pl.DataFrame | None = None
) -> dict[str, CustomerScore]:
    """Exact scorecard results per customer (see :func:`score_customers`)."""
    policy = policy or default_policy()
    latest: dict[str, StatementResult] = {}
    stmt: StatementResult | None
    for stmt, _ in analyse_statements(ledger, as_of, policy=policy):
        latest[stmt.customer_id] = stmt  # sorted by period_end: the last one wins
    behaviour = behaviour_results(ledger, as_of, policy)
    customers = ledger.customers
    table = load_country_table() if country_table is None else country_table
    classes = {
        r["country"]: r for r in country_risk(customers["country"].to_list(), as_of, table).iter_rows(named=True)
    }
    scores_col = (
        customers["external_score"].to_list() if "external_score" in customers.columns else [None] * customers.height
    )
    total_weight = sum(policy.weights.values())
    out: dict[str, CustomerScore] = {}
    for cid, country, ext in zip(customers["customer_id"].to_list(), customers["country"].to_list(), scores_col):
        factors: dict[str, Decimal | None] = {}
        missing: dict[str, str] = {}
        stmt = latest.get(cid)
        factors["financial"], why = _financial_factor(stmt, as_of, policy)
        if why:
            missing["financial"] = why
        beh = behaviour.get(cid)
        factors["behaviour"] = beh.score if beh else None
        if factors["behaviour"] is None:
            missing["behaviour"] = "; ".join(beh.missing_inputs) if beh else "no ledger history"
        ext_value = None if ext is None or ext == "" else Decimal(int(ext))
        factors["external"] = ext_value
        if ext_value is None:
            missing["external"] = "no external_score"
        crow = classes.get((country or "").strip().upper())
        oecd = None if crow is None else crow["oecd_class"]
        factors["country"] = None if oecd is None else policy.country_class_points[oecd]
        if oecd is None:
            missing["country"] = crow["country_note"] if crow else "no country"
        present = {k: v for k, v in factors.items() if v is not None and policy.weights[k] > 0}
        used = sum((policy.weights[k] for k in present), Decimal(0))
        share = used / total_weight if total_weight else Decimal(0)
        points: dict[str, Decimal | None] = {k: None for k in FACTORS}
        score = None
        if present and share >= policy.min_weight_share:
            for k, v in present.items():
                points[k] = policy.weights[k] / used * (v - policy.neutral)
            score = policy.neutral + sum((p for p in points.values() if p is not None), Decimal(0))
        shown = q(score, 2)
        risk_class = policy.risk_class(shown)
        context = {"statement": stmt, "behaviour": beh, "external": ext, "oecd_class": oecd, "country": country}
        parts = [
            f"{k} {f(points[k], 2):+.2f} ({_describe(k, factors[k], context)})"  # type: ignore[arg-type]
            for k in sorted(present, key=lambda k: -abs(points[k] or Decimal(0)))
            if points[k] is not None
        ]
        if score is None:
            head = (
                f"unrated: factors present carry {f(share * 100, 1)} % of the weight, "
                f"policy needs {f(policy.min_weight_share * 100, 1)} %"
            )
        else:
            head = "; ".join([f"{shown} ({risk_class}): neutral {policy.neutral}", *parts])
        tail = [f"{k} missing ({why})" for k, why in missing.items()]
        if missing and score is not None:
            tail.append(f"weights re-scaled over {f(share * 100, 1)} % of the total")
        explanation = "; ".join([head, *tail]) if tail else head
        out[cid] = CustomerScore(
            cid, score, shown, risk_class, factors, points, share, missing, stmt, beh, oecd, explanation
        )
    return out


_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "customer_id": pl.String,
    "name": pl.String,
    "score": pl.Float64,
    "risk_class": pl.String,
    **{f"{k}_score": pl.Float64 for k in FACTORS},
    **{f"{k}_points": pl.Float64 for k in FACTORS},
    "weight_share": pl.Float64,
    "missing_factors": pl.List(pl.String),
    "z_model": pl.String,
    "z_score": pl.Float64,
    "z_zone": pl.String,
    "statement_period_end": pl.Date,
    "paydex": pl.Float64,
    "dbt": pl.Float64,
    "overdue_share": pl.Float64,
    "oecd_class": pl.Int64,
    "status": pl.String,
    "explanation": pl.String,
}


def score_customers(
    ledger: Ledger, as_of: date, policy: Policy | None = None, *, country_table: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Score every customer at ``as_of``: 0-100 score, risk class A-E, factor points and an explanation.

    Columns: ``customer_id``, ``name``, ``score`` (2 decimals, null when
    unrated), ``risk_class`` (A-E or ``unrated``), ``financial_score``,
    ``behaviour_score``, ``external_score``, ``country_score`` (the factors,
    0-100), ``*_points`` (what each factor added to or removed from the
    neutral score), ``weight_share`` (share of the policy weight present),
    ``missing_factors``, context columns (``z_model``, ``z_score``,
    ``z_zone``, ``statement_period_end``, ``paydex``, ``dbt``,
    ``overdue_share``, ``oecd_class``, ``status``) and ``explanation``.

    Args:
        ledger: the loaded ledger.
        as_of: scoring date (statements, payments and balances up to it).
        policy: credit policy (default: the shipped one).
        country_table: a country risk table instead of the shipped one.
    """
    policy = policy or default_policy()
    results = score_results(ledger, as_of, policy, country_table=country_table)
    info = {
        r["customer_id"]: r
        for r in ledger.customers.select(
            "customer_id", "name", *(["status"] if "status" in ledger.customers.columns else [])
        ).iter_rows(named=True)
    }
    rows = []
    for cid, r in results.items():
        stmt, beh = r.statement, r.behaviour
        rows.append(
            {
                "customer_id": cid,
                "name": info[cid]["name"],
                "score": f(r.score, 2),
                "risk_class": r.risk_class,
                **{f"{k}_score": f(r.factors[k], 2) for k in FACTORS},
                **{f"{k}_points": f(r.points[k], 2) for k in FACTORS},
                "weight_share": f(r.weight_share, 4),
                "missing_factors": list(r.missing),
                "z_model": stmt.model if stmt else None,
                "z_score": f(stmt.altman.score, 3) if stmt else None,
                "z_zone": stmt.altman.zone if stmt else None,
                "statement_period_end": stmt.period_end if stmt else None,
                "paydex": f(beh.paydex, 2) if beh else None,
                "dbt": f(beh.dbt, 2) if beh else None,
                "overdue_share": f(beh.overdue_share, 4) if beh else None,
                "oecd_class": r.oecd_class,
                "status": info[cid].get("status"),
                "explanation": r.explanation,
            }
        )
    return pl.DataFrame(rows, schema=_SCHEMA) if rows else pl.DataFrame(schema=_SCHEMA)
