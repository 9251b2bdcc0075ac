"""Credit limits: the three methods of CONVENTIONS §7, their average, and a recommended limit and terms.

Methods (each reported on its own, in the customer's limit currency
``credit_limit_currency``):

1. ``limit_tnw`` = ``limits.tnw_pct`` (10 %) of tangible net worth (equity −
   intangible assets) of the latest statement;
2. ``limit_working_capital`` = ``limits.working_capital_pct`` (10 %) of working
   capital (current assets − current liabilities);
3. ``limit_needs`` = expected monthly purchases × (payment terms + grace days)
   / 30, the monthly purchases being the customer's billings (invoices + debit
   notes − credit notes) with ``doc_date`` in the last ``limits.purchase_months``
   (12) calendar months, divided by 12, or by the months since the customer's
   first document when that is shorter (at least 1).

A negative TNW or working capital gives 0 for its method (said in ``notes``);
a method whose inputs are missing is left out of the average (said).

**Recommended limit** = average × ``limits.class_factor[class]``, then capped
by ``limits.max_pct_of_tnw`` of a positive TNW, by
``limits.max_multiple_of_needs`` × the needs-based limit (a large balance sheet
does not justify a limit far beyond what the customer buys from us; 0 = no
such cap) and by ``limits.class_cap[class]`` (policy currency, converted),
then rounded (``limits.rounding``: down by
default) to the step of ``limits.rounding_steps``; class E gets 0.
``capped_by`` names the caps that bit. Terms follow ``[terms.<class>]``: at most
``max_days`` (never longer than the customer's current terms), 0 meaning no
open account (prepayment or letter of credit for class E).

**Currency.** Statement amounts are converted from the statement currency to
the limit currency at the as-of rate; billings are converted to the
reporting currency at their doc-date rates (§2) and then to the limit
currency at the as-of rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..fx import to_reporting
from ..ledger.model import Ledger
from ..money import exact_sum, mills_to_decimal
from ._common import months_before
from ._num import div, fmt_amount, money_dtype, mul, round_money, round_to_step
from .policy import UNRATED, Policy, default_policy
from .scorecard import CustomerScore, score_results

__all__ = ["LimitMethods", "monthly_purchases", "recommend_limits", "round_limit", "three_method_limit"]

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LimitMethods:
    """The three §7 methods, their average (over the methods present) and notes."""

    tnw: Decimal | None
    working_capital: Decimal | None
    needs: Decimal | None
    average: Decimal | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def three_method_limit(
    tangible_net_worth: Decimal | int | None,
    working_capital: Decimal | int | None,
    monthly_purchases: Decimal | int | None,
    terms_days: int | None,
    policy: Policy | None = None,
) -> LimitMethods:
    """The three-method credit limit of CONVENTIONS §7 (unrounded).

    >>> m = three_method_limit(2_000_000, 600_000, 40_000, 60)
    >>> m.tnw, m.working_capital, m.needs, m.average
    (Decimal('200000'), Decimal('60000'), Decimal('100000'), Decimal('120000'))
    """
    policy = policy or default_policy()
    notes: list[str] = []

    def pct(value: Decimal | int | None, rate: Decimal, label: str) -> Decimal | None:
        if value is None:
            notes.append(f"{label} unknown: method left out")
            return None
        value = Decimal(value)
        if value < 0:
            notes.append(f"{label} is negative: method gives 0")
            return Decimal(0)
        return mul(value, rate) / _HUNDRED

    tnw = pct(tangible_net_worth, policy.tnw_pct, "tangible net worth")
    wc = pct(working_capital, policy.working_capital_pct, "working capital")
    needs = None
    if monthly_purchases is None or terms_days is None:
        notes.append("purchases or terms unknown: needs-based method left out")
    else:
        purchases = max(Decimal(monthly_purchases), Decimal(0))
        needs = div(mul(purchases, terms_days + policy.grace_days), 30)
    present = [v for v in (tnw, wc, needs) if v is not None]
    average = div(sum(present, Decimal(0)), len(present)) if present else None
    return LimitMethods(tnw, wc, needs, average, tuple(notes))


def round_limit(amount: Decimal, policy: Policy | None = None) -> Decimal:
    """Round a limit to the step of ``limits.rounding_steps`` that applies to it (down or nearest)."""
    policy = policy or default_policy()
    step = policy.rounding_steps[0][1]
    for start, s in policy.rounding_steps:
        if amount >= start:
            step = s
    return round_to_step(max(amount, Decimal(0)), step, policy.rounding)


def monthly_purchases(ledger: Ledger, as_of: date, policy: Policy | None = None) -> pl.DataFrame:
    """Average monthly billings per customer over the last ``limits.purchase_months`` months.

    Columns: ``customer_id``, ``billings`` (Int128, reporting currency at
    doc-date rates, scale 10**15), ``months`` (divisor: the window, or the
    months since the first document when shorter, at least 1).
    """
    policy = policy or default_policy()
    start = months_before(as_of, policy.purchase_months)
    docs = ledger.documents.filter(pl.col("doc_date") <= as_of)
    first = docs.group_by("customer_id").agg(pl.col("doc_date").min().alias("first_doc"))
    window = docs.filter(pl.col("doc_date") > start).with_columns(
        pl.when(pl.col("doc_type") == "credit_note").then(-pl.col("amount")).otherwise(pl.col("amount")).alias("signed")
    )
    per = window.group_by("customer_id", "currency", "doc_date").agg(exact_sum("signed"))
    if per.height:
        rated = ledger.fx.rates_for(per.select("currency", "doc_date").unique(), "doc_date")
        per = per.join(rated, on=["currency", "doc_date"], how="left").with_columns(
            to_reporting("signed").alias("value")
        )
        sums = per.group_by("customer_id").agg(pl.col("value").sum().alias("billings"))
    else:
        sums = pl.DataFrame(schema={"customer_id": pl.String, "billings": pl.Int128})
    window_days = (as_of - start).days
    rows = []
    billed = {r["customer_id"]: int(r["billings"]) for r in sums.iter_rows(named=True)}
    for rec in first.iter_rows(named=True):
        active_days = (as_of - rec["first_doc"]).days + 1
        months = (
            policy.purchase_months
            if active_days >= window_days
            else max(1, min(policy.purchase_months, math.ceil(active_days * 12 / 365.25)))
        )
        rows.append(
            {"customer_id": rec["customer_id"], "billings": billed.get(rec["customer_id"], 0), "months": months}
        )
    return pl.DataFrame(rows, schema={"customer_id": pl.String, "billings": pl.Int128, "months": pl.Int64})


_MONEY_COLS = (
    "current_limit",
    "insured_limit",
    "tangible_net_worth",
    "working_capital",
    "monthly_purchases",
    "limit_tnw",
    "limit_working_capital",
    "limit_needs",
    "average",
    "recommended_limit",
    "change",
)


def recommend_limits(
    ledger: Ledger,
    as_of: date,
    policy: Policy | None = None,
    *,
    scores: dict[str, CustomerScore] | None = None,
    country_table: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Three-method limits, a recommended limit and terms for every customer, in the limit currency.

    Columns: ``customer_id``, ``limit_currency``, ``current_limit``,
    ``insured_limit``, ``risk_class``, ``score``, ``statement_period_end``,
    ``tangible_net_worth``, ``working_capital``, ``monthly_purchases``,
    ``terms_days``, ``grace_days``, ``limit_tnw``, ``limit_working_capital``,
    ``limit_needs``, ``average``, ``class_factor``, ``capped_by`` (list),
    ``recommended_limit``, ``change`` (recommended − current),
    ``recommended_terms_days``, ``recommended_terms``, ``approval_role`` (who
    must approve setting the recommended limit, null if nobody), ``notes``.

    Args:
        ledger: the loaded ledger.
        as_of: date of the statements, billings and rates used.
        policy: credit policy (default: the shipped one).
        scores: precomputed :func:`~workbench.credit.scorecard.score_results`
            (computed when omitted).
        country_table: a country risk table instead of the shipped one.
    """
    policy = policy or default_policy()
    scores = scores if scores is not None else score_results(ledger, as_of, policy, country_table=country_table)
    purchases = {r["customer_id"]: r for r in monthly_purchases(ledger, as_of, policy).iter_rows(named=True)}
    fx, rows = ledger.fx, []
    for cust in ledger.customers.iter_rows(named=True):
        cid = cust["customer_id"]
        ccy = cust.get("credit_limit_currency") or ledger.reporting_currency
        sc = scores.get(cid)
        risk_class = sc.risk_class if sc else UNRATED
        notes: list[str] = []
        stmt = sc.statement if sc else None
        tnw = wc = None
        if stmt is None:
            notes.append("no financial statement")
        elif as_of - stmt.period_end > timedelta(days=policy.max_statement_age_days):
            notes.append(
                f"latest statement {stmt.period_end} is older than {policy.max_statement_age_days} days: not used"
            )
            stmt = None
        if stmt is not None:
            src = stmt.currency or ccy
            if stmt.tangible_net_worth is not None:
                tnw = fx.convert(stmt.tangible_net_worth, src, ccy, as_of)
            if stmt.working_capital is not None:
                wc = fx.convert(stmt.working_capital, src, ccy, as_of)
            if src != ccy:
                notes.append(f"statement in {src} converted to {ccy} at the {as_of} rate")
        pr = purchases.get(cid)
        monthly = None
        if pr is not None:
            monthly = div(fx.from_reporting(pr["billings"], ccy, as_of), pr["months"])
            if pr["months"] < policy.purchase_months:
                notes.append(f"purchases averaged over {pr['months']} month(s) of history")
        terms = cust.get("payment_terms_days")
        methods = three_method_limit(tnw, wc, monthly, terms, policy)
        notes.extend(methods.notes)
        factor = policy.class_factor[risk_class]
        capped: list[str] = []
        recommended = None
        if methods.average is not None:
            value = methods.average * factor
            if tnw is not None and tnw > 0:
                tnw_cap = mul(tnw, policy.max_pct_of_tnw) / _HUNDRED
                if value > tnw_cap:
                    value = tnw_cap
                    capped.append(f"{policy.max_pct_of_tnw} % of TNW")
            if methods.needs is not None and policy.max_multiple_of_needs > 0:
                needs_cap = methods.needs * policy.max_multiple_of_needs
                if value > needs_cap:
                    value = needs_cap
                    capped.append(f"{policy.max_multiple_of_needs} x needs-based limit")
            class_cap = fx.convert(policy.class_cap[risk_class], policy.currency, ccy, as_of)
            if value > class_cap:
                value = class_cap
                capped.append(f"class {risk_class} cap {fmt_amount(policy.class_cap[risk_class], policy.currency)}")
            recommended = round_limit(value, policy)
        else:
            notes.append("no method could be computed: no recommended limit")
        current = None if cust.get("credit_limit") is None else mills_to_decimal(cust["credit_limit"])
        insured = None if cust.get("insured_limit") is None else mills_to_decimal(cust["insured_limit"])
        term_rule = policy.terms[risk_class]
        rec_days = min(term_rule.max_days, terms) if terms is not None else term_rule.max_days
        approval = None
        if recommended is not None:
            approval = policy.approval_role(fx.convert(recommended, ccy, policy.currency, as_of))
        rows.append(
            {
                "customer_id": cid,
                "limit_currency": ccy,
                "current_limit": current,
                "insured_limit": insured,
                "risk_class": risk_class,
                "score": float(sc.shown_score) if sc and sc.shown_score is not None else None,
                "statement_period_end": stmt.period_end if stmt else None,
                "tangible_net_worth": tnw,
                "working_capital": wc,
                "monthly_purchases": monthly,
                "terms_days": terms,
                "grace_days": policy.grace_days,
                "limit_tnw": methods.tnw,
                "limit_working_capital": methods.working_capital,
                "limit_needs": methods.needs,
                "average": methods.average,
                "class_factor": float(factor),
                "capped_by": capped,
                "recommended_limit": recommended,
                "change": None if recommended is None or current is None else recommended - current,
                "recommended_terms_days": rec_days,
                "recommended_terms": term_rule.text,
                "approval_role": approval,
                "notes": notes,
            }
        )
    dtype = money_dtype(r["limit_currency"] for r in rows)
    for row in rows:
        for col in _MONEY_COLS:
            row[col] = round_money(row[col], row["limit_currency"])
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "customer_id": pl.String,
        "limit_currency": pl.String,
        "current_limit": dtype,
        "insured_limit": dtype,
        "risk_class": pl.String,
        "score": pl.Float64,
        "statement_period_end": pl.Date,
        "tangible_net_worth": dtype,
        "working_capital": dtype,
        "monthly_purchases": dtype,
        "terms_days": pl.Int64,
        "grace_days": pl.Int64,
        "limit_tnw": dtype,
        "limit_working_capital": dtype,
        "limit_needs": dtype,
        "average": dtype,
        "class_factor": pl.Float64,
        "capped_by": pl.List(pl.String),
        "recommended_limit": dtype,
        "change": dtype,
        "recommended_terms_days": pl.Int64,
        "recommended_terms": pl.String,
        "approval_role": pl.String,
        "notes": pl.List(pl.String),
    }
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


REVIEW_THRESHOLD = Decimal("0.20")
"""Relative change between the recommended and the current limit that makes the change material."""


def material_change(current: Decimal | None, recommended: Decimal | None, threshold: Decimal) -> bool:
    """True when the recommended limit differs from the current one by at least ``threshold`` (relative).

    A customer without a (positive) current limit changes materially when a
    positive limit is recommended; no recommendation is never a change.
    """
    if recommended is None:
        return False
    if current is None or current == 0:
        return recommended > 0
    return abs(recommended - current) >= abs(current) * threshold
