"""The periodic credit review: limits to change, classes that moved, customers over their limits.

:func:`build` computes the review from a loaded ledger; the notebook
``credit_review`` renders what it returns (``workbench report credit-review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..credit.exposure import exposure
from ..credit.limits import REVIEW_THRESHOLD, material_change, recommend_limits
from ..credit.policy import CLASSES, UNRATED, Policy, default_policy
from ..credit.scorecard import score_results
from ..ledger.model import Ledger

__all__ = ["REVIEW_LABELS", "Params", "Review", "build", "migration_matrix", "review_cards"]

CLASS_ORDER: tuple[str, ...] = (*CLASSES, UNRATED)


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Review:
    """Everything the periodic credit review shows."""

    ledger: Ledger
    as_of: date
    previous_as_of: date
    threshold: Decimal
    customers: pl.DataFrame
    limit_changes: pl.DataFrame
    class_changes: pl.DataFrame
    over_limits: pl.DataFrame
    migration: pl.DataFrame

    @property
    def currency(self) -> str:
        """The reporting currency (amounts at stake are in it)."""
        return self.ledger.reporting_currency

    def counts(self) -> dict[str, int]:
        """Headline counts of the review."""
        c = self.customers
        return {
            "customers": c.height,
            "limit_review": self.limit_changes.height,
            "limit_increases": self.limit_changes.filter(pl.col("direction") == "increase").height,
            "limit_decreases": self.limit_changes.filter(pl.col("direction") == "decrease").height,
            "class_changes": self.class_changes.height,
            "upgrades": self.class_changes.filter(pl.col("migration") == "upgrade").height,
            "downgrades": self.class_changes.filter(pl.col("migration") == "downgrade").height,
            "over_limit": c.filter(pl.col("over_limit")).height,
            "over_insured_limit": c.filter(pl.col("over_insured_limit")).height,
        }

    def as_json(self) -> dict[str, object]:
        """The machine-readable summary."""

        def total(frame: pl.DataFrame) -> str:
            return str(frame["at_stake"].sum() if frame.height else Decimal("0.00"))

        return {
            "as_of": self.as_of.isoformat(),
            "previous_as_of": self.previous_as_of.isoformat(),
            "reporting_currency": self.currency,
            "threshold": str(self.threshold),
            **self.counts(),
            "limit_review_at_stake": total(self.limit_changes),
            "class_changes_at_stake": total(self.class_changes),
            "over_limit_at_stake": total(self.over_limits),
            "limit_review_customers": self.limit_changes["customer_id"].to_list(),
            "class_change_customers": self.class_changes["customer_id"].to_list(),
            "over_limit_customers": self.over_limits["customer_id"].to_list(),
        }


def _migration(previous: str, current: str) -> str:
    if previous == current:
        return "same"
    if UNRATED in (previous, current):
        return "rating changed"
    return "upgrade" if CLASSES.index(current) < CLASSES.index(previous) else "downgrade"


def migration_matrix(frame: pl.DataFrame) -> pl.DataFrame:
    """Counts of customers by previous class (rows) and current class (columns), with totals."""
    counts: dict[tuple[str, str], int] = {}
    for prev, cur in zip(frame["previous_class"].to_list(), frame["risk_class"].to_list()):
        counts[(prev, cur)] = counts.get((prev, cur), 0) + 1
    rows = []
    for prev in CLASS_ORDER:
        row: dict[str, object] = {"previous_class": prev}
        for cur in CLASS_ORDER:
            row[cur] = counts.get((prev, cur), 0)
        row["total"] = sum(counts.get((prev, cur), 0) for cur in CLASS_ORDER)
        rows.append(row)
    schema = {"previous_class": pl.String, **{c: pl.Int64 for c in CLASS_ORDER}, "total": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")


@dataclass(frozen=True)
class Params:
    """What the review is asked for: the review date and the date it compares with."""

    as_of: date
    previous_as_of: date

    @classmethod
    def of(cls, as_of: date | str, previous_as_of: date | str | None = None) -> Params:
        """Parameters from notebook values; no previous date means 91 days before ``as_of``."""
        day = _day(as_of)
        return cls(as_of=day, previous_as_of=_day(previous_as_of) if previous_as_of else day - timedelta(days=91))


def build(
    led: Ledger, params: Params, *, threshold: Decimal | str | None = None, policy: Policy | None = None
) -> Review:
    """The periodic limit review.

    A customer is listed when its recommended limit differs from its current
    limit by at least ``threshold`` (default :data:`REVIEW_THRESHOLD`), when
    its risk class at ``as_of`` differs from that at ``previous_as_of``, or
    when its exposure is above its credit limit or its insured limit. Each
    list is sorted by the amount at stake in the reporting currency (the limit
    change, the exposure, or the excess).
    """
    day, prev = params.as_of, params.previous_as_of
    limit_threshold = Decimal(str(threshold)) if threshold not in (None, "") else REVIEW_THRESHOLD
    policy = policy or default_policy()
    now = score_results(led, day, policy)
    before = score_results(led, prev, policy)
    limits = recommend_limits(led, day, policy, scores=now)
    expo = exposure(led, day, policy).select(
        "customer_id",
        "exposure",
        "credit_limit",
        "headroom",
        "utilisation",
        "over_limit",
        "insured_limit",
        "uninsured_exposure",
        "over_insured_limit",
        "overdue",
    )
    base = (
        led.customers.select("customer_id", "name", "country", "collector", "status")
        .join(
            limits.select(
                "customer_id",
                "limit_currency",
                "current_limit",
                "recommended_limit",
                "change",
                "risk_class",
                "score",
                "recommended_terms_days",
                "approval_role",
            ),
            on="customer_id",
        )
        .join(expo, on="customer_id", how="left")
    )
    fx, cur = led.fx, led.reporting_currency
    rows = []
    for r in base.iter_rows(named=True):
        ccy = r["limit_currency"]
        ps = before.get(r["customer_id"])
        r["previous_class"] = ps.risk_class if ps else UNRATED
        r["previous_score"] = None if ps is None or ps.shown_score is None else float(ps.shown_score)
        r["migration"] = _migration(r["previous_class"], r["risk_class"])
        current, rec = r["current_limit"], r["recommended_limit"]
        r["material"] = material_change(current, rec, limit_threshold)
        r["change_pct"] = None if rec is None or not current else float(round((rec - current) / current, 4))
        r["direction"] = None if rec is None else ("increase" if rec > (current or 0) else "decrease")

        def rep(amount: Decimal | None) -> Decimal:
            if amount is None:
                return Decimal("0.00")
            return fx.convert_money(amount, ccy, cur, day)

        excess = (
            max(Decimal(0), (r["exposure"] or 0) - r["credit_limit"]) if r["credit_limit"] is not None else Decimal(0)
        )
        over_insured = (
            max(Decimal(0), (r["exposure"] or 0) - r["insured_limit"]) if r["insured_limit"] is not None else Decimal(0)
        )
        r["stake_limit"] = rep(abs(r["change"]) if r["change"] is not None else rec)
        r["stake_exposure"] = rep(r["exposure"])
        r["stake_over"] = rep(max(excess, over_insured))
        r["excess"] = excess
        r["over_insured_by"] = over_insured
        rows.append(r)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if frame.height == 0:
        raise ValueError("the ledger has no customers to review")
    money = pl.Decimal(38, 2)
    frame = frame.with_columns(pl.col("stake_limit", "stake_exposure", "stake_over").cast(money))

    def listed(cond: pl.Expr, stake: str) -> pl.DataFrame:
        return (
            frame.filter(cond)
            .with_columns(pl.col(stake).alias("at_stake"))
            .sort(["at_stake", "customer_id"], descending=[True, False])
        )

    limit_changes = listed(pl.col("material"), "stake_limit").select(
        "customer_id",
        "name",
        "risk_class",
        "limit_currency",
        "current_limit",
        "recommended_limit",
        "change",
        "change_pct",
        "direction",
        "recommended_terms_days",
        "approval_role",
        "at_stake",
    )
    class_changes = listed(pl.col("migration") != "same", "stake_exposure").select(
        "customer_id",
        "name",
        "previous_class",
        "risk_class",
        "previous_score",
        "score",
        "migration",
        "limit_currency",
        "exposure",
        "credit_limit",
        "at_stake",
    )
    over = listed(
        pl.col("over_limit").fill_null(False) | pl.col("over_insured_limit").fill_null(False), "stake_over"
    ).select(
        "customer_id",
        "name",
        "status",
        "risk_class",
        "limit_currency",
        "exposure",
        "credit_limit",
        "excess",
        "insured_limit",
        "over_insured_by",
        "overdue",
        "at_stake",
    )
    frame = frame.with_columns(pl.col("over_limit", "over_insured_limit").fill_null(False))
    return Review(
        ledger=led,
        as_of=day,
        previous_as_of=prev,
        threshold=limit_threshold,
        customers=frame,
        limit_changes=limit_changes,
        class_changes=class_changes,
        over_limits=over,
        migration=migration_matrix(frame),
    )


def review_cards(review: Review) -> list:
    """Headline count cards of the review."""
    from ..render.display import Card

    c = review.counts()
    return [
        Card("Customers", f"{c['customers']:,}"),
        Card(
            "Limit changes to review",
            f"{c['limit_review']:,}",
            note=f"{c['limit_increases']} up, {c['limit_decreases']} down",
        ),
        Card("Class changes", f"{c['class_changes']:,}", note=f"{c['upgrades']} up, {c['downgrades']} down"),
        Card("Over credit limit", f"{c['over_limit']:,}"),
        Card("Over insured limit", f"{c['over_insured_limit']:,}"),
    ]


REVIEW_LABELS = {
    "risk_class": "Class",
    "previous_class": "Previous class",
    "limit_currency": "Limit ccy",
    "current_limit": "Current limit",
    "recommended_limit": "Recommended",
    "change": "Change",
    "change_pct": "Change %",
    "direction": "Direction",
    "recommended_terms_days": "Terms (days)",
    "approval_role": "Approval by",
    "previous_score": "Previous score",
    "score": "Score",
    "migration": "Migration",
    "exposure": "Exposure",
    "credit_limit": "Credit limit",
    "excess": "Over limit by",
    "insured_limit": "Insured limit",
    "over_insured_by": "Over insured by",
}
