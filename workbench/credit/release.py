"""Order release: should a new order of a customer be released, held, or referred to a credit analyst?

:func:`check_order` evaluates one order against the customer's exposure,
limits, status, overdue items and risk class at ``as_of`` and returns a
:class:`Decision` with every finding. Each finding has an outcome from the
policy's ``[release]`` table (``hold``, ``refer`` or ``release``); the
decision is the most severe one (hold > refer > release).

Findings (codes):

- ``unknown_customer`` (missing data): the customer is not in the ledger;
- ``status``: status in ``holds.statuses`` (hold, litigation, suspended, closed);
- ``overdue``: the ``[holds]`` overdue rules (amount beyond
  ``max_days_past_due`` days, or total overdue);
- ``class_e``: risk class E;
- ``over_limit``: exposure + order above the credit limit (plus
  ``release.over_limit_tolerance_pct``);
- ``over_insured_limit``: exposure + order above the insured limit (only when
  one is set);
- ``missing_data``: no credit limit, or the customer is unrated.

The order amount is in ``currency`` (default: the limit currency) and is
converted to the limit currency at the as-of rate, like the exposure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..ledger.model import Ledger
from ..money import parse_amount
from ._common import subset
from ._num import fmt_amount
from .exposure import exposure_results, hold_reasons, highest_dunning_level
from .policy import UNRATED, Policy, default_policy
from .scorecard import score_results

__all__ = ["Decision", "Finding", "check_order"]

_SEVERITY = {"release": 0, "refer": 1, "hold": 2}


@dataclass(frozen=True)
class Finding:
    """One reason behind a decision: a code, the outcome the policy gives it, and a message."""

    code: str
    outcome: str
    message: str


@dataclass(frozen=True)
class Decision:
    """The answer for one order: ``release``, ``hold`` or ``refer``, with findings and figures.

    Amounts are in ``currency`` (the customer's limit currency), rounded to its minor units.
    """

    customer_id: str
    as_of: date
    outcome: str
    findings: tuple[Finding, ...]
    order_amount: Decimal
    currency: str | None
    exposure_before: Decimal | None = None
    exposure_after: Decimal | None = None
    credit_limit: Decimal | None = None
    insured_limit: Decimal | None = None
    risk_class: str | None = None
    score: Decimal | None = None
    policy: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        """The messages of the findings that are not plain releases."""
        return [f.message for f in self.findings if f.outcome != "release"]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (amounts as strings, dates ISO)."""

        def plain(v: Any) -> Any:
            if isinstance(v, Decimal):
                return str(v)
            if isinstance(v, date):
                return v.isoformat()
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            return v

        out = {k: plain(v) for k, v in asdict(self).items()}
        out["reasons"] = self.reasons
        return out


def check_order(
    ledger: Ledger,
    customer_id: str,
    amount: Decimal | int | str,
    as_of: date,
    policy: Policy | None = None,
    *,
    currency: str | None = None,
) -> Decision:
    """Decide whether an order of ``amount`` for ``customer_id`` is released, held or referred at ``as_of``.

    Args:
        ledger: the loaded ledger (only the customer's rows are used).
        customer_id: the ordering customer.
        amount: order amount (exact: Decimal, int or decimal text), positive.
        as_of: date of the check (exposure, score and rates as of that day).
        policy: credit policy (default: the shipped one).
        currency: currency of ``amount``; default the customer's limit currency.

    Returns a :class:`Decision`; ``decision.reasons`` lists why it is not a release.
    """
    policy = policy or default_policy()
    value = parse_amount(amount)
    if value <= 0:
        raise ValueError(f"order amount must be positive, got {amount!r}")
    outcomes = policy.release_outcomes
    known = ledger.customers.filter(ledger.customers["customer_id"] == customer_id)
    if known.height == 0:
        finding = Finding(
            "unknown_customer", outcomes["missing_data"], f"customer {customer_id!r} is not in the ledger"
        )
        outcome = "refer" if finding.outcome == "release" else finding.outcome
        return Decision(customer_id, as_of, outcome, (finding,), value, currency, policy=policy.source)
    cust = known.row(0, named=True)
    one = subset(ledger, [customer_id])
    exp = exposure_results(one, as_of, policy)[customer_id]
    ccy = exp.currency
    order = ledger.fx.convert_money(value, currency or ccy, ccy, as_of)
    score = score_results(one, as_of, policy)[customer_id]
    after = exp.exposure + order
    findings: list[Finding] = []

    for code, message in hold_reasons(
        exp, cust.get("status"), highest_dunning_level(one, [customer_id], as_of)[customer_id], one, as_of, policy
    ):
        if code == "over_limit":
            continue  # judged below with the order included
        key = "status" if code in ("status", "dunning") else "overdue"
        findings.append(Finding(code, outcomes[key], message))
    if score.risk_class == "E":
        findings.append(
            Finding(
                "class_e", outcomes["class_e"], f"risk class E (score {score.shown_score}): {policy.terms['E'].text}"
            )
        )
    if score.risk_class == UNRATED:
        findings.append(
            Finding(
                "missing_data",
                outcomes["missing_data"],
                "customer is unrated: " + "; ".join(f"{k}: {v}" for k, v in score.missing.items()),
            )
        )
    if exp.credit_limit is None:
        findings.append(Finding("missing_data", outcomes["missing_data"], "no credit limit is set"))
    else:
        allowed = exp.credit_limit * (1 + policy.over_limit_tolerance_pct / 100)
        if after > allowed:
            findings.append(
                Finding(
                    "over_limit",
                    outcomes["over_limit"],
                    f"exposure after the order {fmt_amount(after, ccy)} exceeds the credit limit "
                    f"{fmt_amount(exp.credit_limit, ccy)} by {fmt_amount(after - exp.credit_limit, ccy)}",
                )
            )
    if exp.insured_limit is not None and after > exp.insured_limit:
        findings.append(
            Finding(
                "over_insured_limit",
                outcomes["over_insured_limit"],
                f"exposure after the order {fmt_amount(after, ccy)} exceeds the insured limit "
                f"{fmt_amount(exp.insured_limit, ccy)} by {fmt_amount(after - exp.insured_limit, ccy)}",
            )
        )
    outcome = max((f.outcome for f in findings), key=_SEVERITY.__getitem__, default="release")
    if not findings:
        findings.append(
            Finding(
                "ok",
                "release",
                f"within limit: exposure after the order {fmt_amount(after, ccy)} "
                f"of {fmt_amount(exp.credit_limit, ccy)}",
            )
        )
    return Decision(
        customer_id,
        as_of,
        outcome,
        tuple(findings),
        order,
        ccy,
        exp.exposure,
        after,
        exp.credit_limit,
        exp.insured_limit,
        score.risk_class,
        score.shown_score,
        policy.source,
        {
            "components": {k: v for k, v in exp.components.items()},
            "overdue": exp.overdue,
            "overdue_beyond": exp.overdue_beyond,
            "max_days_past_due": exp.max_days_past_due,
            "order_currency": currency or ccy,
            "order_amount_original": value,
        },
    )
