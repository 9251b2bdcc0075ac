"""Data of the credit reports: the customer investigation and the periodic credit review.

Pure functions from a ledger and a date, like :mod:`workbench.reports.weekly`.
The notebooks ``notebooks/customer_investigation.ipynb`` and
``notebooks/credit_review.ipynb`` call :func:`build_investigation` and
:func:`build_review` and render what they return; :func:`run_customer_report`
and :func:`run_credit_review` run them through papermill and nbconvert.

Per-customer credit figures (score, limits, exposure) depend only on the
customer's own rows, so the investigation computes them on the one-customer
subset of the ledger; the expected payments come from the forecast of the
whole ledger (its curves borrow strength from similar customers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl

from ..aging import aging
from ..behaviour import behaviour_sums, paydex, ratio, round2, settled_documents
from ..ledger.asof import unapplied_credit
from ..ledger.model import Ledger
from ..money import CONVERTED_DECIMALS, cents_to_decimal, minor_units, round_scaled
from ..render.files import safe_name
from ..reports.sources import ledger_company, resolve_ledger
from ..reports.weekly import open_item_view
from ._common import convert, months_before, subset
from .exposure import COMPONENTS, exposure, hold_recommendations
from .financials import financial_analysis
from .limits import recommend_limits
from .policy import CLASSES, UNRATED, Policy, default_policy
from .scorecard import CustomerScore, score_results

__all__ = [
    "REVIEW_THRESHOLD", "Investigation", "Review", "UnknownCustomerError", "build_investigation", "build_review",
    "run_credit_review", "run_customer_report",
]

REVIEW_THRESHOLD = Decimal("0.20")
"""Relative change between the recommended and the current limit that puts a customer on the review list."""

HISTORY_MONTHS = 24
"""Months of settled invoices shown in the payment history."""

CLASS_ORDER: tuple[str, ...] = (*CLASSES, UNRATED)


class UnknownCustomerError(ValueError):
    """The customer id is not in the ledger's customers table."""


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _scaled_to_money(frame: pl.DataFrame, columns: list[str], currency: str) -> pl.DataFrame:
    places = minor_units(currency)
    return frame.with_columns(
        cents_to_decimal(round_scaled(pl.col(c), CONVERTED_DECIMALS, places), places).alias(c) for c in columns)


# --------------------------------------------------------------------------- investigation


@dataclass(frozen=True)
class Investigation:
    """Everything the customer investigation report shows, computed once."""

    ledger: Ledger
    as_of: date
    customer_id: str
    customer: dict[str, object]
    identity: pl.DataFrame
    open_items: pl.DataFrame
    unapplied: pl.DataFrame
    aging: pl.DataFrame
    payment_history: pl.DataFrame
    behaviour_trend: pl.DataFrame
    score: CustomerScore
    score_factors: pl.DataFrame
    limits: dict[str, object]
    limit_methods: pl.DataFrame
    exposure: dict[str, object]
    exposure_components: pl.DataFrame
    hold_reasons: list[str]
    financials: pl.DataFrame
    decisions: pl.DataFrame | None
    disputes: pl.DataFrame
    expected_payments: pl.DataFrame

    @property
    def currency(self) -> str:
        """The reporting currency."""
        return self.ledger.reporting_currency

    @property
    def limit_currency(self) -> str:
        """The currency of the customer's credit limit (exposure and limits are shown in it)."""
        return str(self.limits["limit_currency"])

    @property
    def name(self) -> str:
        """The customer's name as written in the ledger (escape it before showing it as HTML)."""
        return str(self.customer.get("name") or "")

    def total_open(self) -> Decimal:
        """Gross open receivables (reporting currency, as in the aging)."""
        return self.aging["gross_open"].item() if self.aging.height else Decimal("0.00")

    def overdue(self) -> Decimal:
        """Open receivables past their due date (reporting currency)."""
        return self.aging["gross_open"].item() - self.aging["current"].item() if self.aging.height else Decimal("0.00")

    def flags(self) -> dict[str, object]:
        """Decision-relevant facts about the account."""
        rec, cur = self.limits.get("recommended_limit"), self.limits.get("current_limit")
        return {
            "status": self.customer.get("status"),
            "recommend_hold": bool(self.hold_reasons),
            "hold_reasons": list(self.hold_reasons),
            "over_limit": bool(self.exposure.get("over_limit")),
            "over_insured_limit": bool(self.exposure.get("over_insured_limit")),
            "uninsured": self.exposure.get("insured_limit") is None,
            "disputed_items": self.disputes.height,
            "unrated": self.score.risk_class == UNRATED,
            "material_limit_change": material_change(cur, rec, REVIEW_THRESHOLD),  # type: ignore[arg-type]
            "max_days_past_due": self.exposure.get("max_days_past_due"),
        }

    def as_json(self) -> dict[str, object]:
        """The machine-readable summary (amounts as strings)."""
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "as_of": self.as_of.isoformat(),
            "reporting_currency": self.currency,
            "total_open": str(self.total_open()),
            "overdue": str(self.overdue()),
            "unapplied_credit": str(self.aging["unapplied_credit"].item() if self.aging.height else Decimal("0.00")),
            "score": None if self.score.shown_score is None else float(self.score.shown_score),
            "risk_class": self.score.risk_class,
            "limit_currency": self.limit_currency,
            "credit_limit": _dec(self.limits.get("current_limit")),  # type: ignore[arg-type]
            "insured_limit": _dec(self.limits.get("insured_limit")),  # type: ignore[arg-type]
            "recommended_limit": _dec(self.limits.get("recommended_limit")),  # type: ignore[arg-type]
            "recommended_terms_days": self.limits.get("recommended_terms_days"),
            "exposure": _dec(self.exposure.get("exposure")),  # type: ignore[arg-type]
            "flags": self.flags(),
        }


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


def identity_frame(customer: dict[str, object], limit_text: str, insured_text: str) -> pl.DataFrame:
    """The account's master data as three side-by-side (field, value) columns of text."""
    def text(key: str) -> str:
        value = customer.get(key)
        return "" if value is None else str(value)

    terms = customer.get("payment_terms_days")
    fields = [
        ("Customer", text("customer_id")), ("Name", text("name")), ("Country", text("country")),
        ("Selling entity", text("entity")), ("Status", text("status")), ("Segment", text("segment")),
        ("Collector", text("collector")), ("Sales rep", text("sales_rep")),
        ("Payment terms", "" if terms is None else f"{terms} days"), ("Credit limit", limit_text),
        ("Insured limit", insured_text), ("VAT id", text("vat_id")), ("Email", text("email")),
        ("Phone", text("phone")), ("Language", text("language")), ("Parent", text("parent_id")),
        ("External score", text("external_score")), ("Invoicing currency", text("currency")),
    ]
    per = -(-len(fields) // 3)
    fields += [("", "")] * (3 * per - len(fields))
    out: dict[str, list[str]] = {}
    for part in range(3):
        chunk = fields[part * per:(part + 1) * per]
        out[f"field_{part + 1}"] = [f for f, _ in chunk]
        out[f"value_{part + 1}"] = [v for _, v in chunk]
    return pl.DataFrame(out)


IDENTITY_LABELS = {f"{kind}_{i}": kind.capitalize() for kind in ("field", "value") for i in (1, 2, 3)}


def statement_of_account(ledger: Ledger, customer_id: str, as_of: date) -> pl.DataFrame:
    """Open items of the customer: dates, days past due, open amount in document and reporting currency."""
    items = open_item_view(ledger, as_of).filter(pl.col("customer_id") == customer_id)
    refs = ledger.documents.filter(pl.col("customer_id") == customer_id).select("key", "reference")
    items = items.join(refs, on="key", how="left")
    return items.sort(["due_date", "document_id"]).select(
        "document_id", "doc_type", "doc_date", "due_date", "dpd", "currency", "open_document", "open_reporting",
        "disputed", pl.col("dispute_reason").alias("reason"), "reference")


def unapplied_view(ledger: Ledger, customer_id: str, as_of: date) -> pl.DataFrame:
    """Unapplied payments and credit notes of the customer (document and reporting currency)."""
    credit = unapplied_credit(ledger, as_of).filter(pl.col("customer_id") == customer_id)
    schema = {"source_id": pl.String, "source_kind": pl.String, "date": pl.Date, "currency": pl.String,
              "open_document": pl.Decimal(38, 2), "open_reporting": pl.Decimal(38, 2)}
    if credit.height == 0:
        return pl.DataFrame(schema=schema)
    rates = ledger.fx.rates_on(credit["currency"].unique().to_list(), as_of)
    credit = credit.join(rates, on="currency", how="left").with_columns(
        (pl.col("open").cast(pl.Int128) * pl.col("rate").cast(pl.Int128)).alias("open_reporting"),
        cents_to_decimal(round_scaled(pl.col("open"), 3, 2), 2).alias("open_document"))
    credit = _scaled_to_money(credit, ["open_reporting"], ledger.reporting_currency)
    return credit.sort("date", "source_id").select(*schema)


def payment_history(ledger: Ledger, customer_id: str, as_of: date, months: int = HISTORY_MONTHS) -> pl.DataFrame:
    """Invoices settled in the last ``months`` months: settlement date, days to pay, delay past due date."""
    start = months_before(as_of, months)
    settled = settled_documents(ledger).filter(
        (pl.col("customer_id") == customer_id) & (pl.col("consumed") > start) & (pl.col("consumed") <= as_of))
    settled = _scaled_to_money(settled, ["weight"], ledger.reporting_currency)
    return settled.sort("consumed", "document_id").select(
        "document_id", pl.col("consumed").alias("settled"), "days_to_pay", "delay",
        pl.col("weight").alias("amount"))


def behaviour_trend(ledger: Ledger, customer_id: str, as_of: date) -> pl.DataFrame:
    """DBT, average delay and PAYDEX over the last 6 months and the 6 months before."""
    settled = settled_documents(ledger).filter(pl.col("customer_id") == customer_id)
    six, twelve = months_before(as_of, 6), months_before(as_of, 12)
    rows = []
    for label, first, last in (("Last 6 months", six, as_of), ("Previous 6 months", twelve, six)):
        sums = behaviour_sums(settled, last, (last - first).days).row(0, named=True)
        weight = sums["weight"] or 0
        apd = ratio(sums["w_delay"] or 0, weight)
        rows.append({
            "period": label, "from": first + timedelta(days=1), "to": last, "invoices": int(sums["count"] or 0),
            "days_to_pay": round2(ratio(sums["w_days"] or 0, weight)), "dbt": round2(ratio(sums["w_dbt"] or 0, weight)),
            "average_delay": round2(apd), "paydex": round2(paydex(apd)),
        })
    return pl.DataFrame(rows, schema={"period": pl.String, "from": pl.Date, "to": pl.Date, "invoices": pl.Int64,
                                      "days_to_pay": pl.Float64, "dbt": pl.Float64, "average_delay": pl.Float64,
                                      "paydex": pl.Float64})


BEHAVIOUR_LABELS = {"period": "Period", "from": "From", "to": "To", "invoices": "Invoices settled",
                    "days_to_pay": "Days to pay", "dbt": "DBT (days)", "average_delay": "Average delay (days)",
                    "paydex": "PAYDEX"}


def score_factor_frame(sc: CustomerScore, policy: Policy) -> pl.DataFrame:
    """One row per scorecard factor: its 0-100 value, weight, points added to the neutral score, why missing."""
    rows = []
    for factor, value in sc.factors.items():
        points = sc.points.get(factor)
        rows.append({
            "factor": factor, "value": None if value is None else float(round(value, 2)),
            "weight": float(policy.weights[factor]),
            "points": None if points is None else float(round(points, 2)),
            "missing": sc.missing.get(factor, ""),
        })
    return pl.DataFrame(rows, schema={"factor": pl.String, "value": pl.Float64, "weight": pl.Float64,
                                      "points": pl.Float64, "missing": pl.String})


SCORE_LABELS = {"factor": "Factor", "value": "Factor score (0-100)", "weight": "Weight",
                "points": "Points vs neutral", "missing": "Missing because"}


def limit_method_frame(limits: dict[str, object]) -> pl.DataFrame:
    """The three limit methods, their average, the class factor and the recommendation."""
    rows = [
        ("Tangible net worth", limits["tangible_net_worth"], limits["limit_tnw"]),
        ("Working capital", limits["working_capital"], limits["limit_working_capital"]),
        ("Needs: monthly purchases over terms + grace", limits["monthly_purchases"], limits["limit_needs"]),
        ("Average of the methods present", None, limits["average"]),
        ("Recommended (class factor, caps, rounding)", None, limits["recommended_limit"]),
        ("Current limit", None, limits["current_limit"]),
    ]
    return pl.DataFrame([{"method": m, "basis": b, "limit": v} for m, b, v in rows],
                        schema={"method": pl.String, "basis": pl.Decimal(38, 3), "limit": pl.Decimal(38, 3)})


def _one(frame: pl.DataFrame, customer_id: str) -> dict[str, object]:
    rows = frame.filter(pl.col("customer_id") == customer_id)
    return rows.row(0, named=True) if rows.height else {}


def build_investigation(ledger_path: str | Path | None, customer_id: str, as_of: date | str, *,
                        decisions: str | Path | None = None, policy: Policy | None = None) -> Investigation:
    """Load the ledger and compute every block of the customer investigation report.

    Raises :class:`UnknownCustomerError` naming ``customer_id`` when the
    ledger has no such customer. ``decisions`` is a folder holding a credit
    decisions log (``decisions.jsonl``); ``None``/empty means none configured.
    """
    from ..forecast import forecast
    from ..ledger import load_ledger
    from ..render.format import money as fmt_money
    from .decisions import DecisionLog

    day = _day(as_of)
    policy = policy or default_policy()
    cid = (customer_id or "").strip()
    full = load_ledger(resolve_ledger(ledger_path))
    found = full.customers.filter(pl.col("customer_id") == cid)
    if found.height == 0:
        raise UnknownCustomerError(f"unknown customer_id {cid!r}: it is not in the customers table of the ledger "
                                   f"({full.customers.height} customers)")
    customer = found.row(0, named=True)
    led = subset(full, [cid])

    scores = score_results(led, day, policy)
    sc = scores[cid]
    limits = _one(recommend_limits(led, day, policy, scores=scores), cid)
    expo = _one(exposure(led, day, policy), cid)
    holds = _one(hold_recommendations(led, day, policy), cid)
    ccy = str(limits["limit_currency"])
    components = pl.DataFrame(
        [{"component": k, "included": k in expo["included"], "amount": expo[k]} for k in COMPONENTS],  # type: ignore[operator]
        schema={"component": pl.String, "included": pl.Boolean, "amount": pl.Decimal(38, 3)})

    limit_text = "" if limits["current_limit"] is None else fmt_money(limits["current_limit"], ccy)  # type: ignore[arg-type]
    insured_text = "none" if limits["insured_limit"] is None else fmt_money(limits["insured_limit"], ccy)  # type: ignore[arg-type]

    items = statement_of_account(led, cid, day)
    ag = aging(led, day, by="customer").filter(pl.col("customer_id") == cid)
    fin = financial_analysis(led, day, policy=policy).filter(pl.col("customer_id") == cid).sort("period_end")

    log_frame = None
    if decisions:
        log = DecisionLog(Path(decisions), policy).frame()
        log_frame = log.filter(pl.col("customer_id") == cid).select(
            "seq", "timestamp", "kind", "author", "outcome", "new_limit", "currency", "approver", "reason")

    fc = forecast(full, day)
    expected = fc.items.filter(pl.col("customer_id") == cid).sort("expected_date", "document_id").select(
        "document_id", "due_date", "days_past_due", "disputed", "open_reporting", "expected_date",
        "prob_in_horizon", "expected_reporting")

    return Investigation(
        ledger=led, as_of=day, customer_id=cid, customer=customer,
        identity=identity_frame(customer, limit_text, insured_text),
        open_items=items, unapplied=unapplied_view(led, cid, day), aging=ag,
        payment_history=payment_history(led, cid, day), behaviour_trend=behaviour_trend(led, cid, day),
        score=sc, score_factors=score_factor_frame(sc, policy), limits=limits,
        limit_methods=limit_method_frame(limits), exposure=expo, exposure_components=components,
        hold_reasons=list(holds.get("reasons") or []), financials=fin, decisions=log_frame,
        disputes=items.filter(pl.col("disputed")), expected_payments=expected,
    )


def investigation_cards(inv: Investigation) -> list:
    """Headline cards: open, overdue, score and class, exposure, limit, recommended limit."""
    from ..render.display import Card
    from ..render.format import money_short, pct

    ccy, cur = inv.limit_currency, inv.currency
    limit = inv.limits.get("current_limit")
    util = inv.exposure.get("utilisation")
    score = "unrated" if inv.score.shown_score is None else f"{inv.score.shown_score} ({inv.score.risk_class})"
    rec = inv.limits.get("recommended_limit")
    return [
        Card("Open receivables", money_short(inv.total_open(), cur)),
        Card("Overdue", money_short(inv.overdue(), cur)),
        Card("Score (class)", score),
        Card("Exposure", money_short(inv.exposure.get("exposure"), ccy),  # type: ignore[arg-type]
             note=None if util is None else f"{pct(util)} of the limit"),
        Card("Credit limit", "none" if limit is None else money_short(limit, ccy)),  # type: ignore[arg-type]
        Card("Recommended limit", "none" if rec is None else money_short(rec, ccy)),  # type: ignore[arg-type]
    ]


def write_json(path: Path, payload: dict[str, object]) -> Path:
    """Write a report's machine-readable summary."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- review


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
            "as_of": self.as_of.isoformat(), "previous_as_of": self.previous_as_of.isoformat(),
            "reporting_currency": self.currency, "threshold": str(self.threshold), **self.counts(),
            "limit_review_at_stake": total(self.limit_changes), "class_changes_at_stake": total(self.class_changes),
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


def build_review(ledger_path: str | Path | None, as_of: date | str, previous_as_of: date | str | None = None, *,
                 threshold: Decimal | str | None = None, policy: Policy | None = None) -> Review:
    """Load the ledger and compute the periodic limit review.

    A customer is listed when its recommended limit differs from its current
    limit by at least ``threshold`` (default :data:`REVIEW_THRESHOLD`), when
    its risk class at ``as_of`` differs from that at ``previous_as_of``
    (default: 91 days earlier), or when its exposure is above its credit
    limit or its insured limit. Each list is sorted by the amount at stake in
    the reporting currency (the limit change, the exposure, or the excess).
    """
    from ..ledger import load_ledger

    day = _day(as_of)
    prev = _day(previous_as_of) if previous_as_of else day - timedelta(days=91)
    limit_threshold = Decimal(str(threshold)) if threshold not in (None, "") else REVIEW_THRESHOLD
    policy = policy or default_policy()
    led = load_ledger(resolve_ledger(ledger_path))
    now = score_results(led, day, policy)
    before = score_results(led, prev, policy)
    limits = recommend_limits(led, day, policy, scores=now)
    expo = exposure(led, day, policy).select(
        "customer_id", "exposure", "credit_limit", "headroom", "utilisation", "over_limit", "insured_limit",
        "uninsured_exposure", "over_insured_limit", "overdue")
    base = (
        led.customers.select("customer_id", "name", "country", "collector", "status")
        .join(limits.select("customer_id", "limit_currency", "current_limit", "recommended_limit", "change",
                            "risk_class", "score", "recommended_terms_days", "approval_role"), on="customer_id")
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
            value = amount if ccy == cur else convert(amount, ccy, cur, fx, day)
            return value.quantize(Decimal(1).scaleb(-minor_units(cur)))

        excess = max(Decimal(0), (r["exposure"] or 0) - r["credit_limit"]) if r["credit_limit"] is not None else Decimal(0)
        over_insured = (max(Decimal(0), (r["exposure"] or 0) - r["insured_limit"])
                        if r["insured_limit"] is not None else Decimal(0))
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
        return frame.filter(cond).with_columns(pl.col(stake).alias("at_stake")).sort(
            ["at_stake", "customer_id"], descending=[True, False])

    limit_changes = listed(pl.col("material"), "stake_limit").select(
        "customer_id", "name", "risk_class", "limit_currency", "current_limit", "recommended_limit", "change",
        "change_pct", "direction", "recommended_terms_days", "approval_role", "at_stake")
    class_changes = listed(pl.col("migration") != "same", "stake_exposure").select(
        "customer_id", "name", "previous_class", "risk_class", "previous_score", "score", "migration",
        "limit_currency", "exposure", "credit_limit", "at_stake")
    over = listed(pl.col("over_limit").fill_null(False) | pl.col("over_insured_limit").fill_null(False),
                  "stake_over").select(
        "customer_id", "name", "status", "risk_class", "limit_currency", "exposure", "credit_limit", "excess",
        "insured_limit", "over_insured_by", "overdue", "at_stake")
    frame = frame.with_columns(pl.col("over_limit", "over_insured_limit").fill_null(False))
    return Review(ledger=led, as_of=day, previous_as_of=prev, threshold=limit_threshold, customers=frame,
                  limit_changes=limit_changes, class_changes=class_changes, over_limits=over,
                  migration=migration_matrix(frame))


def review_cards(review: Review) -> list:
    """Headline count cards of the review."""
    from ..render.display import Card

    c = review.counts()
    return [
        Card("Customers", f"{c['customers']:,}"),
        Card("Limit changes to review", f"{c['limit_review']:,}",
             note=f"{c['limit_increases']} up, {c['limit_decreases']} down"),
        Card("Class changes", f"{c['class_changes']:,}", note=f"{c['upgrades']} up, {c['downgrades']} down"),
        Card("Over credit limit", f"{c['over_limit']:,}"),
        Card("Over insured limit", f"{c['over_insured_limit']:,}"),
    ]


REVIEW_LABELS = {
    "risk_class": "Class", "previous_class": "Previous class", "limit_currency": "Limit ccy",
    "current_limit": "Current limit", "recommended_limit": "Recommended", "change": "Change",
    "change_pct": "Change %", "direction": "Direction", "recommended_terms_days": "Terms (days)",
    "approval_role": "Approval by", "previous_score": "Previous score", "score": "Score", "migration": "Migration",
    "exposure": "Exposure", "credit_limit": "Credit limit", "excess": "Over limit by", "insured_limit": "Insured limit",
    "over_insured_by": "Over insured by",
}


# --------------------------------------------------------------------------- runners


def run_customer_report(ledger: Path, customer_id: str, as_of: date, out_dir: Path, *, pdf: bool = True,
                        decisions: Path | None = None):
    """Execute the customer investigation notebook and export HTML (and PDF) into ``out_dir``."""
    from ..reports.runner import PACKAGE_ROOT, run_report

    out_dir = Path(out_dir)
    params = {
        "customer_id": customer_id, "as_of": _day(as_of).isoformat(), "ledger": str(Path(ledger).resolve()),
        "decisions": str(Path(decisions).resolve()) if decisions else "", "output_dir": str(out_dir.resolve()),
        "company": ledger_company(ledger),
    }
    name = f"customer_{safe_name(customer_id, 'customer')}_{_day(as_of).isoformat()}"
    return run_report(PACKAGE_ROOT / "notebooks" / "customer_investigation.ipynb", params, out_dir, name, pdf=pdf)


def run_credit_review(ledger: Path, as_of: date, out_dir: Path, *, pdf: bool = True,
                      previous_as_of: date | None = None):
    """Execute the credit review notebook and export HTML (and PDF) into ``out_dir``."""
    from ..reports.runner import PACKAGE_ROOT, run_report

    out_dir = Path(out_dir)
    params = {
        "as_of": _day(as_of).isoformat(), "previous_as_of": _day(previous_as_of).isoformat() if previous_as_of else "",
        "ledger": str(Path(ledger).resolve()), "output_dir": str(out_dir.resolve()), "company": ledger_company(ledger),
    }
    name = f"credit_review_{_day(as_of).isoformat()}"
    return run_report(PACKAGE_ROOT / "notebooks" / "credit_review.ipynb", params, out_dir, name, pdf=pdf)
