"""Exposure against the credit limit and the insured limit, the over-limit list, hold recommendations.

**Exposure** (CONVENTIONS §7) is the sum of named components, each with an
include flag in ``[exposure]`` of the policy:

- ``open_ar``: open invoices and debit notes (§1 open amounts);
- ``unapplied_credit``: the customer's unapplied payments and credit notes,
  counted negative (so ``open_ar + unapplied_credit`` is the §1 total AR);
- ``open_orders``: ``orders.csv`` rows with ``order_date`` on or before the
  as-of date (ordered, not yet invoiced) that are not flagged delivered;
- ``delivered_not_invoiced``: orders whose ``exposure.delivered_column``
  (default ``delivered``) says true/yes/1; 0 when the column does not exist.

Every component is summed per currency, converted to the reporting currency
and then to the customer's ``credit_limit_currency`` at the **as-of** rate
(balances use the closing rate, §2), and rounded half-even to the limit
currency's minor units on its own; ``exposure`` is the rounded sum of the
included components. The insured limit is in the same currency as the credit
limit (docs/ledger-format.md).

**Holds** (:func:`hold_recommendations`) follow ``[holds]``: a status in
``holds.statuses``; open amounts more than ``max_days_past_due`` past due
reaching ``min_overdue_amount``; total overdue reaching
``max_overdue_amount`` (0 = off); exposure above the credit limit (when
``holds.over_limit``); and the highest dunning level reached, which needs the
collections journal: :func:`highest_dunning_level` is the hook and returns no
level until that journal exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from ..fx import reporting_value
from ..ledger.asof import open_items, unapplied_credit
from ..ledger.model import Ledger
from ..money import exact_sum, mills_to_decimal
from ._common import truthy
from ._num import div, f, fmt_amount, money_dtype, round_money
from .policy import Policy, default_policy

__all__ = [
    "COMPONENTS",
    "CustomerExposure",
    "exposure",
    "exposure_results",
    "highest_dunning_level",
    "hold_recommendations",
    "over_limit",
]

COMPONENTS: tuple[str, ...] = ("open_ar", "unapplied_credit", "open_orders", "delivered_not_invoiced")


@dataclass(frozen=True)
class CustomerExposure:
    """Exposure of one customer in its limit currency (components rounded to minor units)."""

    customer_id: str
    currency: str
    components: dict[str, Decimal]
    included: dict[str, bool]
    exposure: Decimal
    credit_limit: Decimal | None
    insured_limit: Decimal | None
    overdue: Decimal
    overdue_beyond: Decimal
    max_days_past_due: int | None

    @property
    def headroom(self) -> Decimal | None:
        """Credit limit minus exposure (negative when over)."""
        return None if self.credit_limit is None else self.credit_limit - self.exposure

    @property
    def over_limit(self) -> bool:
        """Exposure above the credit limit (a customer without a limit is not over it)."""
        return self.credit_limit is not None and self.exposure > self.credit_limit

    @property
    def over_insured(self) -> bool:
        """Exposure above the insured limit (only when one is set)."""
        return self.insured_limit is not None and self.exposure > self.insured_limit


def highest_dunning_level(ledger: Ledger, customer_ids: Iterable[str], as_of: date) -> dict[str, int | None]:
    """HOOK: the highest dunning level reached by each customer at ``as_of``.

    Dunning levels live in the collections journal, which does not exist yet:
    this returns ``None`` (no level known) for every customer, so the
    ``holds.max_dunning_level`` rule never fires. Replace the body when the
    journal lands; callers already pass the ledger, the customers and the date.
    """
    return {cid: None for cid in customer_ids}


def _sum_by(frame: pl.DataFrame, value: str) -> dict[tuple[str, str], int]:
    if frame.height == 0:
        return {}
    agg = frame.group_by("customer_id", "currency").agg(exact_sum(value))  # Int128: exact for any row count
    return {(r["customer_id"], r["currency"]): int(r[value]) for r in agg.iter_rows(named=True)}


def exposure_results(ledger: Ledger, as_of: date, policy: Policy | None = None) -> dict[str, CustomerExposure]:
    """Exact exposure of every customer (see :func:`exposure`)."""
    policy = policy or default_policy()
    items = open_items(ledger, as_of).filter(pl.col("customer_id").is_not_null())
    items = items.with_columns((pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("dpd"))
    parts: dict[str, dict[tuple[str, str], int]] = {
        "open_ar": _sum_by(items, "open"),
        "unapplied_credit": {
            k: -v
            for k, v in _sum_by(
                unapplied_credit(ledger, as_of).filter(pl.col("customer_id").is_not_null()), "open"
            ).items()
        },
    }
    orders = ledger.orders.filter(pl.col("order_date") <= as_of) if ledger.orders.height else ledger.orders
    col = policy.delivered_column
    if orders.height and col in orders.columns:
        flag = pl.Series([truthy(v) for v in orders[col].to_list()], dtype=pl.Boolean)
        parts["delivered_not_invoiced"] = _sum_by(orders.filter(flag), "amount")
        parts["open_orders"] = _sum_by(orders.filter(~flag), "amount")
    else:
        parts["delivered_not_invoiced"] = {}
        parts["open_orders"] = _sum_by(orders, "amount") if orders.height else {}
    overdue = _sum_by(items.filter(pl.col("dpd") > 0), "open")
    beyond = _sum_by(items.filter(pl.col("dpd") > policy.max_days_past_due), "open")
    max_dpd = {
        r["customer_id"]: r["dpd"]
        for r in items.filter(pl.col("dpd") > 0).group_by("customer_id").agg(pl.col("dpd").max()).iter_rows(named=True)
    }

    fx = ledger.fx
    rate_cache: dict[str, int] = {}

    def rate(ccy: str) -> int:
        if ccy not in rate_cache:
            rate_cache[ccy] = fx.rate_scaled(ccy, as_of)
        return rate_cache[ccy]

    def to_limit(amounts: dict[tuple[str, str], int], cid: str, target: str) -> Decimal:
        total = 0  # reporting currency, scale 10**15
        same = 0  # mills already in the target currency (no conversion needed)
        for (c, ccy), value in amounts.items():
            if c != cid:
                continue
            if ccy == target:
                same += value
            else:
                total += reporting_value(value, rate(ccy))
        exact = mills_to_decimal(same)
        if total:
            exact += fx.from_reporting(total, target, as_of)
        return exact

    by_customer: dict[str, dict[str, dict[tuple[str, str], int]]] = {}
    for name, amounts in {**parts, "_overdue": overdue, "_beyond": beyond}.items():
        for key, value in amounts.items():
            by_customer.setdefault(key[0], {}).setdefault(name, {})[key] = value

    out: dict[str, CustomerExposure] = {}
    for cust in ledger.customers.iter_rows(named=True):
        cid = cust["customer_id"]
        ccy = cust.get("credit_limit_currency") or ledger.reporting_currency
        mine = by_customer.get(cid, {})
        comps = {name: round_money(to_limit(mine.get(name, {}), cid, ccy), ccy) for name in COMPONENTS}
        total = sum((v for k, v in comps.items() if policy.exposure_include[k]), Decimal(0))
        limit = None if cust.get("credit_limit") is None else round_money(mills_to_decimal(cust["credit_limit"]), ccy)
        insured = (
            None if cust.get("insured_limit") is None else round_money(mills_to_decimal(cust["insured_limit"]), ccy)
        )
        out[cid] = CustomerExposure(
            cid,
            ccy,
            comps,
            dict(policy.exposure_include),
            total,
            limit,
            insured,
            round_money(to_limit(mine.get("_overdue", {}), cid, ccy), ccy),
            round_money(to_limit(mine.get("_beyond", {}), cid, ccy), ccy),
            max_dpd.get(cid),
        )
    return out


def exposure(ledger: Ledger, as_of: date, policy: Policy | None = None) -> pl.DataFrame:
    """Exposure of every customer against its credit limit and, separately, its insured limit.

    Columns (amounts in ``limit_currency``): ``customer_id``, ``limit_currency``,
    one column per component (``open_ar``, ``unapplied_credit`` (negative),
    ``open_orders``, ``delivered_not_invoiced``), ``included`` (components
    counted, per policy), ``exposure``, ``credit_limit``, ``headroom``,
    ``utilisation`` (exposure / limit, 4 decimals), ``over_limit``,
    ``insured_limit``, ``insured_headroom``, ``uninsured_exposure`` (exposure
    above the insured limit, or the whole exposure without cover),
    ``over_insured_limit``, ``overdue``, ``overdue_beyond`` (more than
    ``holds.max_days_past_due`` past due), ``max_days_past_due``.
    """
    policy = policy or default_policy()
    res = exposure_results(ledger, as_of, policy)
    rows: list[dict[str, Any]] = []
    for e in res.values():
        uninsured = e.exposure if e.insured_limit is None else max(Decimal(0), e.exposure - e.insured_limit)
        rows.append(
            {
                "customer_id": e.customer_id,
                "limit_currency": e.currency,
                **e.components,
                "included": [k for k in COMPONENTS if e.included[k]],
                "exposure": e.exposure,
                "credit_limit": e.credit_limit,
                "headroom": e.headroom,
                "utilisation": f(div(e.exposure, e.credit_limit), 4),
                "over_limit": e.over_limit,
                "insured_limit": e.insured_limit,
                "insured_headroom": None if e.insured_limit is None else e.insured_limit - e.exposure,
                "uninsured_exposure": uninsured,
                "over_insured_limit": e.over_insured,
                "overdue": e.overdue,
                "overdue_beyond": e.overdue_beyond,
                "max_days_past_due": e.max_days_past_due,
            }
        )
    dtype = money_dtype(r["limit_currency"] for r in rows)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "customer_id": pl.String,
        "limit_currency": pl.String,
        **{c: dtype for c in COMPONENTS},
        "included": pl.List(pl.String),
        "exposure": dtype,
        "credit_limit": dtype,
        "headroom": dtype,
        "utilisation": pl.Float64,
        "over_limit": pl.Boolean,
        "insured_limit": dtype,
        "insured_headroom": dtype,
        "uninsured_exposure": dtype,
        "over_insured_limit": pl.Boolean,
        "overdue": dtype,
        "overdue_beyond": dtype,
        "max_days_past_due": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def over_limit(exposures: pl.DataFrame) -> pl.DataFrame:
    """The over-limit list: rows of an :func:`exposure` frame above their credit limit, largest excess first."""
    return (
        exposures.filter(pl.col("over_limit"))
        .with_columns((-pl.col("headroom")).alias("excess"))
        .sort("excess", descending=True)
    )


def _policy_amount(amount: Decimal, currency: str, policy: Policy, ledger: Ledger, as_of: date) -> Decimal:
    return ledger.fx.convert(amount, currency, policy.currency, as_of)


def hold_reasons(
    e: CustomerExposure, status: str | None, dunning: int | None, ledger: Ledger, as_of: date, policy: Policy
) -> list[tuple[str, str]]:
    """``(code, message)`` of every hold rule a customer breaks (codes: status, overdue, over_limit, dunning)."""
    reasons: list[tuple[str, str]] = []
    if status in policy.hold_statuses:
        reasons.append(("status", f"account status is {status}"))

    def both(amount: Decimal, converted: Decimal) -> str:
        text = fmt_amount(amount, e.currency)
        return text if e.currency == policy.currency else f"{text} ({fmt_amount(converted, policy.currency)})"

    beyond = _policy_amount(e.overdue_beyond, e.currency, policy, ledger, as_of)
    if e.overdue_beyond > 0 and beyond >= policy.min_overdue_amount:
        reasons.append(
            (
                "overdue",
                f"{both(e.overdue_beyond, beyond)} more than {policy.max_days_past_due} "
                f"days past due (oldest {e.max_days_past_due} days)",
            )
        )
    total = _policy_amount(e.overdue, e.currency, policy, ledger, as_of)
    if policy.max_overdue_amount > 0 and total >= policy.max_overdue_amount:
        reasons.append(
            (
                "overdue",
                f"{both(e.overdue, total)} overdue in total, at or above "
                f"{fmt_amount(policy.max_overdue_amount, policy.currency)}",
            )
        )
    if policy.hold_over_limit and e.over_limit:
        reasons.append(
            (
                "over_limit",
                f"exposure {fmt_amount(e.exposure, e.currency)} above the credit limit "
                f"{fmt_amount(e.credit_limit, e.currency)}",
            )
        )
    if dunning is not None and dunning >= policy.max_dunning_level:
        reasons.append(("dunning", f"dunning level {dunning} reached (policy: {policy.max_dunning_level})"))
    return reasons


def hold_recommendations(ledger: Ledger, as_of: date, policy: Policy | None = None) -> pl.DataFrame:
    """Customers whose account should be put on hold, and why.

    Columns: ``customer_id``, ``status``, ``recommend_hold``, ``reasons``
    (list of texts), ``reason_codes``, ``exposure``, ``credit_limit``,
    ``overdue_beyond``, ``max_days_past_due``, ``dunning_level`` (always null
    until the collections journal exists, see :func:`highest_dunning_level`),
    ``limit_currency``. One row per customer, holds first.
    """
    policy = policy or default_policy()
    res = exposure_results(ledger, as_of, policy)
    statuses = dict(
        zip(
            ledger.customers["customer_id"].to_list(),
            ledger.customers["status"].to_list()
            if "status" in ledger.customers.columns
            else [None] * ledger.customers.height,
        )
    )
    dunning = highest_dunning_level(ledger, list(res), as_of)
    rows: list[dict[str, Any]] = []
    for cid, e in res.items():
        reasons = hold_reasons(e, statuses.get(cid), dunning.get(cid), ledger, as_of, policy)
        rows.append(
            {
                "customer_id": cid,
                "status": statuses.get(cid),
                "recommend_hold": bool(reasons),
                "reasons": [m for _, m in reasons],
                "reason_codes": sorted({c for c, _ in reasons}),
                "exposure": e.exposure,
                "credit_limit": e.credit_limit,
                "overdue_beyond": e.overdue_beyond,
                "max_days_past_due": e.max_days_past_due,
                "dunning_level": dunning.get(cid),
                "limit_currency": e.currency,
            }
        )
    dtype = money_dtype(r["limit_currency"] for r in rows)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "customer_id": pl.String,
        "status": pl.String,
        "recommend_hold": pl.Boolean,
        "reasons": pl.List(pl.String),
        "reason_codes": pl.List(pl.String),
        "exposure": dtype,
        "credit_limit": dtype,
        "overdue_beyond": dtype,
        "max_days_past_due": pl.Int64,
        "dunning_level": pl.Int64,
        "limit_currency": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return frame.sort(["recommend_hold", "customer_id"], descending=[True, False])
