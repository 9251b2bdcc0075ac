"""Payment behaviour score (0-100) of each customer from the ledger.

Built on the CONVENTIONS §6 measures (:mod:`workbench.behaviour`):

- **payment part**: the PAYDEX-style index of the signed average payment
  delay over documents settled in the trailing ``behaviour.window_days``
  (365); missing when fewer than ``behaviour.min_documents`` were settled.
- **overdue part**: the share of the customer's gross open amount (reporting
  currency, as-of rate) more than ``behaviour.overdue_days`` past due, mapped
  by ``behaviour.overdue_points``. Settled documents alone would flatter a
  customer who stopped paying: this part sees what is still unpaid. With
  nothing open it scores 100, but only when the payment part exists (a
  customer with too little history is not rated on an empty balance).
- **trend**: signed average delay of documents settled in the last 6 calendar
  months minus that of the 6 months before; paying later removes
  ``trend_points_per_day`` points per day (capped at ``trend_max_points``),
  paying earlier adds as much. No trend (0 points, said) when either half-year
  has fewer than ``trend_min_documents`` settled documents.

``behaviour_score = clip(weighted mean of the parts present + trend points, 0, 100)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

import polars as pl

from ..aging import Buckets, aging_exact
from ..behaviour import behaviour_sums, paydex, ratio, settled_documents
from ..ledger.model import Ledger
from ..money import converted_to_decimal
from ._common import months_before
from ._num import clip, f, interp, round_money, weighted
from .policy import Policy, default_policy

__all__ = ["BehaviourResult", "behaviour_results", "behaviour_score"]


@dataclass(frozen=True)
class BehaviourResult:
    """Exact behaviour figures of one customer (the frame shows them rounded)."""

    customer_id: str
    documents: int
    dbt: Decimal | None
    average_payment_delay: Decimal | None
    paydex: Decimal | None
    gross_open: Decimal
    overdue_beyond: Decimal
    overdue_share: Decimal | None
    delay_last_6m: Decimal | None
    delay_prev_6m: Decimal | None
    trend_days: Decimal | None
    payment_index: Decimal | None
    overdue_index: Decimal | None
    trend_points: Decimal
    score: Decimal | None
    missing_inputs: tuple[str, ...]
    detail: str


def _sums(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    return {r["customer_id"]: r for r in frame.iter_rows(named=True)}


def _open_by_customer(ledger: Ledger, as_of: date, overdue_days: int) -> dict[str, tuple[int, int]]:
    """customer_id -> (gross open, open beyond ``overdue_days`` dpd), Int128 at scale 10**15 (reporting currency)."""
    if ledger.documents.height == 0:
        return {}
    edges = (0,) if overdue_days == 0 else (0, overdue_days)
    buckets = Buckets(edges)
    long = aging_exact(ledger, [as_of], by="customer", buckets=buckets)
    beyond_label = buckets.labels[-1]
    out: dict[str, tuple[int, int]] = {}
    for row in long.filter(pl.col("bucket") != "unapplied_credit").iter_rows(named=True):
        gross, beyond = out.get(row["group"], (0, 0))
        value = int(row["value"])
        out[row["group"]] = (gross + value, beyond + (value if row["bucket"] == beyond_label else 0))
    return out


def behaviour_results(ledger: Ledger, as_of: date, policy: Policy | None = None) -> dict[str, BehaviourResult]:
    """Exact behaviour results of every customer of the ledger (see :func:`behaviour_score`)."""
    policy = policy or default_policy()
    settled = settled_documents(ledger)
    year = _sums(behaviour_sums(settled, as_of, policy.behaviour_window_days, "customer_id"))
    start6, start12 = months_before(as_of, 6), months_before(as_of, 12)
    last6 = _sums(behaviour_sums(settled, as_of, (as_of - start6).days, "customer_id"))
    prev6 = _sums(behaviour_sums(settled, start6, (start6 - start12).days, "customer_id"))
    open_amounts = _open_by_customer(ledger, as_of, policy.overdue_days)
    out: dict[str, BehaviourResult] = {}
    for cid in ledger.customers["customer_id"].to_list():
        missing: list[str] = []
        notes: list[str] = []
        y = year.get(cid)
        docs = int(y["count"]) if y else 0
        apd = ratio(y["w_delay"], y["weight"]) if y else None
        dbt = ratio(y["w_dbt"], y["weight"]) if y else None
        pdx = paydex(apd)
        payment_index = pdx if docs >= policy.behaviour_min_documents else None
        if payment_index is None:
            missing.append(
                f"payment: {docs} document(s) settled in the last {policy.behaviour_window_days} days "
                f"(need {policy.behaviour_min_documents})"
            )
        else:
            notes.append(f"PAYDEX {f(pdx, 1)} (average delay {f(apd, 1):+} d over {docs} documents)")
        gross_s, beyond_s = open_amounts.get(cid, (0, 0))
        gross, beyond = converted_to_decimal(gross_s), converted_to_decimal(beyond_s)
        share: Decimal | None = None
        overdue_index: Decimal | None = None
        if gross > 0:
            share = cast(Decimal, ratio(beyond_s, gross_s))  # not None: gross_s != 0
            overdue_index = interp(share, policy.overdue_points)
            notes.append(f"{f(share * 100, 1)} % of open more than {policy.overdue_days} days past due")
        elif payment_index is not None:
            share, overdue_index = Decimal(0), Decimal(100)
            notes.append("nothing open")
        else:
            missing.append("overdue: nothing open and no payment history")
        l6, p6 = last6.get(cid), prev6.get(cid)
        d_last = ratio(l6["w_delay"], l6["weight"]) if l6 else None
        d_prev = ratio(p6["w_delay"], p6["weight"]) if p6 else None
        trend_days: Decimal | None = None
        trend_points = Decimal(0)
        enough = (
            l6 is not None
            and l6["count"] >= policy.trend_min_documents
            and p6 is not None
            and p6["count"] >= policy.trend_min_documents
        )
        if enough and d_last is not None and d_prev is not None:
            trend_days = d_last - d_prev
            trend_points = -clip(
                trend_days * policy.trend_points_per_day, -policy.trend_max_points, policy.trend_max_points
            )
            if trend_days != 0:
                word = "later" if trend_days > 0 else "earlier"
                notes.append(
                    f"paying {f(abs(trend_days), 1)} d {word} than the previous 6 months "
                    f"({f(trend_points, 2):+} points)"
                )
        else:
            notes.append("no 6-month trend (too few settled documents)")
        base, _ = weighted([(policy.payment_weight, payment_index), (policy.overdue_weight, overdue_index)])
        score = None if base is None else clip(base + trend_points, 0, 100)
        out[cid] = BehaviourResult(
            cid,
            docs,
            dbt,
            apd,
            pdx,
            gross,
            beyond,
            share,
            d_last,
            d_prev,
            trend_days,
            payment_index,
            overdue_index,
            trend_points,
            score,
            tuple(missing),
            "; ".join(notes),
        )
    return out


_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "customer_id": pl.String,
    "documents": pl.Int64,
    "dbt": pl.Float64,
    "average_payment_delay": pl.Float64,
    "paydex": pl.Float64,
    "gross_open": pl.Decimal(38, 2),
    "overdue_beyond": pl.Decimal(38, 2),
    "overdue_share": pl.Float64,
    "delay_last_6m": pl.Float64,
    "delay_prev_6m": pl.Float64,
    "delay_trend_days": pl.Float64,
    "payment_index": pl.Float64,
    "overdue_index": pl.Float64,
    "trend_points": pl.Float64,
    "behaviour_score": pl.Float64,
    "missing_inputs": pl.List(pl.String),
    "detail": pl.String,
}


def behaviour_score(ledger: Ledger, as_of: date, policy: Policy | None = None) -> pl.DataFrame:
    """Payment behaviour score (0-100, higher is better) of every customer at ``as_of``.

    Columns: ``customer_id``, ``documents`` (settled in the window), ``dbt``,
    ``average_payment_delay``, ``paydex`` (§6, 2 decimals), ``gross_open`` and
    ``overdue_beyond`` (reporting currency), ``overdue_share``,
    ``delay_last_6m``, ``delay_prev_6m``, ``delay_trend_days``,
    ``payment_index``, ``overdue_index``, ``trend_points``,
    ``behaviour_score`` (null when there is no basis), ``missing_inputs`` and
    a readable ``detail``.
    """
    policy = policy or default_policy()
    cur = ledger.reporting_currency
    rows = [
        {
            "customer_id": r.customer_id,
            "documents": r.documents,
            "dbt": f(r.dbt, 2),
            "average_payment_delay": f(r.average_payment_delay, 2),
            "paydex": f(r.paydex, 2),
            "gross_open": round_money(r.gross_open, cur),
            "overdue_beyond": round_money(r.overdue_beyond, cur),
            "overdue_share": f(r.overdue_share, 4),
            "delay_last_6m": f(r.delay_last_6m, 2),
            "delay_prev_6m": f(r.delay_prev_6m, 2),
            "delay_trend_days": f(r.trend_days, 2),
            "payment_index": f(r.payment_index, 2),
            "overdue_index": f(r.overdue_index, 2),
            "trend_points": f(r.trend_points, 2),
            "behaviour_score": f(r.score, 2),
            "missing_inputs": list(r.missing_inputs),
            "detail": r.detail,
        }
        for r in behaviour_results(ledger, as_of, policy).values()
    ]
    return pl.DataFrame(rows, schema=_SCHEMA) if rows else pl.DataFrame(schema=_SCHEMA)
