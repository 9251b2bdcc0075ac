"""The customer investigation report: one customer's account, behaviour, score, limits and exposure.

:func:`build` computes every block from a loaded ledger; the notebook
``customer_investigation`` renders what it returns (``workbench report customer``).

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
from typing import cast

import polars as pl

from workbench.outputs import atomic_write_text
from ..aging import aging
from ..behaviour import behaviour_sums, paydex, ratio, round2, settled_documents
from ..credit._common import months_before, subset
from ..credit.exposure import COMPONENTS, exposure, hold_recommendations
from ..credit.financials import financial_analysis
from ..credit.limits import REVIEW_THRESHOLD, material_change, recommend_limits
from ..credit.policy import UNRATED, Policy, default_policy
from ..credit.scorecard import CustomerScore, score_results
from ..forecast import forecast
from ..fx import to_reporting
from ..ledger.asof import unapplied_credit
from ..ledger.model import Ledger
from ..ledger.names import UnknownNameError, known_names, name_problem
from ..money import AMOUNT_DECIMALS, converted_money_column, scaled_money_column
from ..render.files import file_id
from ..render.format import money_grouped
from .weekly import open_item_view

__all__ = ["Investigation", "Params", "UnknownCustomerError", "build", "investigation_cards", "write_json"]

HISTORY_MONTHS = 24
"""Months of settled invoices shown in the payment history."""


class UnknownCustomerError(UnknownNameError, ValueError):
    """The customer id is not in the ledger's customers table (a ValueError too, as in earlier releases)."""


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


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


def identity_frame(customer: dict[str, object], limit_text: str, insured_text: str) -> pl.DataFrame:
    """The account's master data as three side-by-side (field, value) columns of text."""

    def text(key: str) -> str:
        value = customer.get(key)
        return "" if value is None else str(value)

    terms = customer.get("payment_terms_days")
    fields = [
        ("Customer", text("customer_id")),
        ("Name", text("name")),
        ("Country", text("country")),
        ("Selling entity", text("entity")),
        ("Status", text("status")),
        ("Segment", text("segment")),
        ("Collector", text("collector")),
        ("Sales rep", text("sales_rep")),
        ("Payment terms", "" if terms is None else f"{terms} days"),
        ("Credit limit", limit_text),
        ("Insured limit", insured_text),
        ("VAT id", text("vat_id")),
        ("Email", text("email")),
        ("Phone", text("phone")),
        ("Language", text("language")),
        ("Parent", text("parent_id")),
        ("External score", text("external_score")),
        ("Invoicing currency", text("currency")),
    ]
    per = -(-len(fields) // 3)
    fields += [("", "")] * (3 * per - len(fields))
    out: dict[str, list[str]] = {}
    for part in range(3):
        chunk = fields[part * per : (part + 1) * per]
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
        "document_id",
        "doc_type",
        "doc_date",
        "due_date",
        "dpd",
        "currency",
        "open_document",
        "open_reporting",
        "disputed",
        pl.col("dispute_reason").alias("reason"),
        "reference",
    )


def unapplied_view(ledger: Ledger, customer_id: str, as_of: date) -> pl.DataFrame:
    """Unapplied payments and credit notes of the customer (document and reporting currency)."""
    credit = unapplied_credit(ledger, as_of).filter(pl.col("customer_id") == customer_id)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "source_id": pl.String,
        "source_kind": pl.String,
        "date": pl.Date,
        "currency": pl.String,
        "open_document": pl.Decimal(38, 2),
        "open_reporting": pl.Decimal(38, 2),
    }
    if credit.height == 0:
        return pl.DataFrame(schema=schema)
    rates = ledger.fx.rates_on(credit["currency"].unique().to_list(), as_of)
    credit = credit.join(rates, on="currency", how="left").with_columns(
        converted_money_column(to_reporting("open"), ledger.reporting_currency).alias("open_reporting"),
        scaled_money_column(pl.col("open"), AMOUNT_DECIMALS).alias("open_document"),
    )
    return credit.sort("date", "source_id").select(*schema)


def payment_history(ledger: Ledger, customer_id: str, as_of: date, months: int = HISTORY_MONTHS) -> pl.DataFrame:
    """Invoices settled in the last ``months`` months: settlement date, days to pay, delay past due date."""
    start = months_before(as_of, months)
    settled = settled_documents(ledger).filter(
        (pl.col("customer_id") == customer_id) & (pl.col("consumed") > start) & (pl.col("consumed") <= as_of)
    )
    settled = settled.with_columns(converted_money_column(pl.col("weight"), ledger.reporting_currency))
    return settled.sort("consumed", "document_id").select(
        "document_id", pl.col("consumed").alias("settled"), "days_to_pay", "delay", pl.col("weight").alias("amount")
    )


def behaviour_trend(ledger: Ledger, customer_id: str, as_of: date) -> pl.DataFrame:
    """DBT, average delay and PAYDEX over the last 6 months and the 6 months before."""
    settled = settled_documents(ledger).filter(pl.col("customer_id") == customer_id)
    six, twelve = months_before(as_of, 6), months_before(as_of, 12)
    rows = []
    for label, first, last in (("Last 6 months", six, as_of), ("Previous 6 months", twelve, six)):
        sums = behaviour_sums(settled, last, (last - first).days).row(0, named=True)
        weight = sums["weight"] or 0
        apd = ratio(sums["w_delay"] or 0, weight)
        rows.append(
            {
                "period": label,
                "from": first + timedelta(days=1),
                "to": last,
                "invoices": int(sums["count"] or 0),
                "days_to_pay": round2(ratio(sums["w_days"] or 0, weight)),
                "dbt": round2(ratio(sums["w_dbt"] or 0, weight)),
                "average_delay": round2(apd),
                "paydex": round2(paydex(apd)),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "period": pl.String,
            "from": pl.Date,
            "to": pl.Date,
            "invoices": pl.Int64,
            "days_to_pay": pl.Float64,
            "dbt": pl.Float64,
            "average_delay": pl.Float64,
            "paydex": pl.Float64,
        },
    )


BEHAVIOUR_LABELS = {
    "period": "Period",
    "from": "From",
    "to": "To",
    "invoices": "Invoices settled",
    "days_to_pay": "Days to pay",
    "dbt": "DBT (days)",
    "average_delay": "Average delay (days)",
    "paydex": "PAYDEX",
}


def score_factor_frame(sc: CustomerScore, policy: Policy) -> pl.DataFrame:
    """One row per scorecard factor: its 0-100 value, weight, points added to the neutral score, why missing."""
    rows = []
    for factor, value in sc.factors.items():
        points = sc.points.get(factor)
        rows.append(
            {
                "factor": factor,
                "value": None if value is None else float(round(value, 2)),
                "weight": float(policy.weights[factor]),
                "points": None if points is None else float(round(points, 2)),
                "missing": sc.missing.get(factor, ""),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "factor": pl.String,
            "value": pl.Float64,
            "weight": pl.Float64,
            "points": pl.Float64,
            "missing": pl.String,
        },
    )


SCORE_LABELS = {
    "factor": "Factor",
    "value": "Factor score (0-100)",
    "weight": "Weight",
    "points": "Points vs neutral",
    "missing": "Missing because",
}


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
    return pl.DataFrame(
        [{"method": m, "basis": b, "limit": v} for m, b, v in rows],
        schema={"method": pl.String, "basis": pl.Decimal(38, 3), "limit": pl.Decimal(38, 3)},
    )


def _one(frame: pl.DataFrame, customer_id: str) -> dict[str, object]:
    rows = frame.filter(pl.col("customer_id") == customer_id)
    return rows.row(0, named=True) if rows.height else {}


@dataclass(frozen=True)
class Params:
    """What the investigation is asked for: one customer at one date."""

    as_of: date
    customer_id: str

    @classmethod
    def of(cls, as_of: date | str, customer_id: str) -> Params:
        """Parameters from notebook values (an ISO date text; surrounding blanks of the id ignored)."""
        return cls(as_of=_day(as_of), customer_id=(customer_id or "").strip())


def build(
    full: Ledger, params: Params, *, decisions: pl.DataFrame | None = None, policy: Policy | None = None
) -> Investigation:
    """Every block of the customer investigation report.

    Raises :class:`UnknownCustomerError` naming the customer when the ledger
    has no such customer. ``decisions`` is the journal's credit decisions
    view (:meth:`workbench.journal.Journal.credit_decisions`; ``None`` when
    there is no journal); only this customer's rows are shown.
    """
    day, cid = params.as_of, params.customer_id
    policy = policy or default_policy()
    found = full.customers.filter(pl.col("customer_id") == cid)
    if found.height == 0:
        problem = name_problem("customer", cid, known_names(full, "customer"))
        raise UnknownCustomerError("customer", cid, problem or f"unknown customer {cid!r}")
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
        schema={"component": pl.String, "included": pl.Boolean, "amount": pl.Decimal(38, 3)},
    )

    limit_text = "" if limits["current_limit"] is None else money_grouped(limits["current_limit"], ccy)  # type: ignore[arg-type]
    insured_text = "none" if limits["insured_limit"] is None else money_grouped(limits["insured_limit"], ccy)  # type: ignore[arg-type]

    items = statement_of_account(led, cid, day)
    ag = aging(led, day, by="customer").filter(pl.col("customer_id") == cid)
    fin = financial_analysis(led, day, policy=policy).filter(pl.col("customer_id") == cid).sort("period_end")

    log_frame = None
    if decisions is not None:
        log_frame = decision_rows(decisions.filter(pl.col("customer_id") == cid))

    fc = forecast(full, day)
    expected = (
        fc.items.filter(pl.col("customer_id") == cid)
        .sort("expected_date", "document_id")
        .select(
            "document_id",
            "due_date",
            "days_past_due",
            "disputed",
            "open_reporting",
            "expected_date",
            "prob_in_horizon",
            "expected_reporting",
        )
    )

    return Investigation(
        ledger=led,
        as_of=day,
        customer_id=cid,
        customer=customer,
        identity=identity_frame(customer, limit_text, insured_text),
        open_items=items,
        unapplied=unapplied_view(led, cid, day),
        aging=ag,
        payment_history=payment_history(led, cid, day),
        behaviour_trend=behaviour_trend(led, cid, day),
        score=sc,
        score_factors=score_factor_frame(sc, policy),
        limits=limits,
        limit_methods=limit_method_frame(limits),
        exposure=expo,
        exposure_components=components,
        hold_reasons=list(cast("list[str]", holds.get("reasons") or [])),
        financials=fin,
        decisions=log_frame,
        disputes=items.filter(pl.col("disputed")),
        expected_payments=expected,
    )


def report_stem(customer_id: str, as_of: date) -> str:
    """``customer_<id>_<as_of>``: the file stem of one customer's report (distinct ids, distinct stems)."""
    return f"customer_{file_id(customer_id.strip(), 'customer')}_{as_of.isoformat()}"


def summary_name(customer_id: str, as_of: date) -> str:
    """``customer_<id>_<as_of>_summary.json``: the summary carries its subject, so reports can share a folder."""
    return f"{report_stem(customer_id, as_of)}_summary.json"


DECISION_KINDS = {"credit_decision": "Order decision", "credit_override": "Override", "limit_change": "Limit change"}
"""How each credit entry kind of the journal is named in the report."""


def decision_rows(entries: pl.DataFrame) -> pl.DataFrame:
    """The journal's credit entries for display: entry id, local time, kind label, outcome, exact amount.

    ``amount`` is the order amount of decisions and overrides and the new
    limit of a limit change, exact (``Decimal(38, 3)``) from the stored text;
    ``when`` is the decision's own time as given, ``YYYY-MM-DD HH:MM (+hh:mm)``.
    """
    return entries.select(
        pl.col("id").cast(pl.String).alias("entry"),
        pl.concat_str(
            [
                pl.col("timestamp").str.slice(0, 10),
                pl.lit(" "),
                pl.col("timestamp").str.slice(11, 5),
                pl.lit(" ("),
                pl.col("timestamp").str.slice(-6),
                pl.lit(")"),
            ]
        ).alias("when"),
        pl.col("kind").replace_strict(DECISION_KINDS, default=pl.col("kind")).alias("kind"),
        "author",
        pl.col("outcome").fill_null(""),
        pl.col("amount_text").cast(pl.Decimal(38, 3)).alias("amount"),
        "currency",
        pl.col("approver").fill_null(""),
        pl.col("reason").fill_null(""),
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
        Card(
            "Exposure",
            money_short(inv.exposure.get("exposure"), ccy),  # type: ignore[arg-type]
            note=None if util is None else f"{pct(cast('float | Decimal', util))} of the limit",
        ),
        Card("Credit limit", "none" if limit is None else money_short(limit, ccy)),  # type: ignore[arg-type]
        Card("Recommended limit", "none" if rec is None else money_short(rec, ccy)),  # type: ignore[arg-type]
    ]


def write_json(path: Path, payload: dict[str, object]) -> Path:
    """Write a report's machine-readable summary."""
    return atomic_write_text(Path(path), json.dumps(payload, indent=2, default=str) + "\n")
