"""Today's worklist: which customers each collector should chase first, and why.

Additive rule scores in the spirit of SAP collections management: every rule
of the policy's ``[worklist]`` table adds (or removes) points and says why;
customers are ranked per collector by score, then overdue amount. Money is
compared in the reporting currency at the as-of rate.

Rules: overdue amount (one point per ``overdue_points_per``, capped), age of
the oldest overdue item, bureau risk, account status, a promise broken in the
last days, a promise falling due, a planned follow-up that has come, mostly
disputed overdue (de-prioritised), a recent contact (de-prioritised), and a
large invoice falling due soon (courtesy call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..fx import reporting_value
from ..journal.reader import JournalReader
from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import converted_to_decimal, mills_to_decimal, to_money
from .policy import WorklistRules
from .promises import PROMISE_STATUS_COLUMNS


@dataclass(frozen=True)
class WorklistInputs:
    """What the journal tells the worklist (plain frames; build with :func:`inputs_from_journal`)."""

    promises: pl.DataFrame  # promise_status() output
    disputed_documents: frozenset[str]
    last_contacts: pl.DataFrame  # customer_id, last_contact (Date)
    next_actions: pl.DataFrame  # customer_id, next_action_date (Date)
    levels: pl.DataFrame  # customer_id, dunning_level (Int64)

    @classmethod
    def empty(cls) -> WorklistInputs:
        """No journal at all."""
        return cls(
            pl.DataFrame(schema=PROMISE_STATUS_COLUMNS),
            frozenset(),
            pl.DataFrame(schema={"customer_id": pl.String, "last_contact": pl.Date}),
            pl.DataFrame(schema={"customer_id": pl.String, "next_action_date": pl.Date}),
            pl.DataFrame(schema={"customer_id": pl.String, "dunning_level": pl.Int64}),
        )


#: Headers of the worklist as a person reads it (the xlsx export).
WORKLIST_LABELS = {
    "collector": "Collector",
    "rank": "Rank",
    "customer_id": "Customer",
    "name": "Name",
    "score": "Score",
    "reasons": "Why (points)",
    "next_action": "Next action",
    "overdue": "Overdue",
    "oldest_days": "Oldest (days late)",
    "open_total": "Open",
    "disputed_overdue": "Disputed overdue",
    "dunning_level": "Dunning level",
    "last_contact": "Last contact",
    "country": "Country",
    "language": "Language",
    "status": "Status",
    "email": "E-mail",
    "phone": "Phone",
}

WORKLIST_COLUMNS = (
    "collector",
    "rank",
    "customer_id",
    "name",
    "score",
    "reasons",
    "next_action",
    "overdue",
    "oldest_days",
    "open_total",
    "disputed_overdue",
    "dunning_level",
    "last_contact",
    "country",
    "language",
    "status",
    "email",
    "phone",
)


def _points_at_least(value: int, bounds: tuple[tuple[int, int], ...]) -> int:
    """Points of the highest bound that ``value`` reaches (0 when none)."""
    points = 0
    for bound, pts in bounds:
        if value >= bound:
            points = pts
    return points


def _points_below(value: int, bounds: tuple[tuple[int, int], ...]) -> int:
    """Points of the lowest bound that ``value`` is under (0 when none)."""
    for bound, pts in bounds:
        if value < bound:
            return pts
    return 0


def _amount(value: Decimal, currency: str) -> str:
    return f"{to_money(value, currency):,.2f} {currency}"


def _customer_figures(ledger: Ledger, as_of: date, disputed: frozenset[str]) -> pl.DataFrame:
    items = open_items(ledger, as_of).with_columns(
        pl.lit(as_of).alias("as_of"),
        (pl.lit(as_of) - pl.col("due_date")).dt.total_days().alias("dpd"),
        (pl.col("disputed") | pl.col("document_id").is_in(list(disputed))).alias("in_dispute"),
    )
    overdue = items.filter(pl.col("dpd") > 0)
    keys = ["as_of", "customer_id"]
    frames = [
        ledger.fx.convert_sums(items, keys).rename({"open": "open_total"}),
        ledger.fx.convert_sums(overdue, keys).rename({"open": "overdue"}),
        ledger.fx.convert_sums(overdue.filter(pl.col("in_dispute")), keys).rename({"open": "disputed_overdue"}),
        overdue.group_by(keys).agg(pl.col("dpd").max().alias("oldest_days")),
    ]
    out = frames[0]
    for frame in frames[1:]:
        out = out.join(frame, on=keys, how="left")
    return out.drop("as_of")


def _courtesy(ledger: Ledger, as_of: date, rules: WorklistRules) -> dict[str, list[str]]:
    window_end = as_of + timedelta(days=rules.courtesy_window_days)
    soon = open_items(ledger, as_of).filter((pl.col("due_date") > as_of) & (pl.col("due_date") <= window_end))
    if soon.height == 0:
        return {}
    rates = ledger.fx.rates_on(soon["currency"].unique().to_list(), as_of)
    out: dict[str, list[str]] = {}
    for cust, doc, cur, due, amount, rate in (
        soon.join(rates, on="currency")
        .sort("due_date")
        .select("customer_id", "document_id", "currency", "due_date", "open", "rate")
        .iter_rows()
    ):
        value = converted_to_decimal(reporting_value(amount, rate))
        if value >= rules.courtesy_min_amount:
            out.setdefault(cust, []).append(
                f"invoice {doc} of {_amount(mills_to_decimal(amount), cur)} falls due {due.isoformat()}"
            )
    return out


def build_worklist(
    ledger: Ledger,
    as_of: date,
    rules: WorklistRules,
    inputs: WorklistInputs | None = None,
    collector: str | None = None,
) -> pl.DataFrame:
    """The ranked worklist of every collector (or one), one row per customer to work today."""
    inputs = inputs or WorklistInputs.empty()
    reporting = ledger.reporting_currency
    figures = {
        r["customer_id"]: r for r in _customer_figures(ledger, as_of, inputs.disputed_documents).iter_rows(named=True)
    }
    courtesy = _courtesy(ledger, as_of, rules)
    promises: dict[str, list[dict]] = {}
    for row in inputs.promises.iter_rows(named=True):
        promises.setdefault(row["customer_id"], []).append(row)
    contacts = dict(inputs.last_contacts.select("customer_id", "last_contact").iter_rows())
    follow_ups = dict(inputs.next_actions.select("customer_id", "next_action_date").iter_rows())
    levels = dict(inputs.levels.select("customer_id", "dunning_level").iter_rows())

    rows = []
    for customer in ledger.customers.iter_rows(named=True):
        cust = customer["customer_id"]
        if collector is not None and customer["collector"] != collector:
            continue
        fig = figures.get(cust, {})
        overdue = converted_to_decimal(fig.get("overdue") or 0)
        score, reasons, actions = 0, [], []

        def add(points: int, why: str, action: str = "") -> None:
            nonlocal score
            if points:
                score += points
                reasons.append(f"{why} ({points:+d})")
                if action:
                    actions.append((points, action))

        if overdue > 0:
            add(
                min(rules.overdue_points_cap, int(overdue // rules.overdue_points_per)),
                f"{_amount(overdue, reporting)} overdue",
                "Call about the overdue items",
            )
            oldest = int(fig.get("oldest_days") or 0)
            add(_points_at_least(oldest, rules.age_points), f"oldest item {oldest} days past due")
            disputed = converted_to_decimal(fig.get("disputed_overdue") or 0)
            if disputed * 2 >= overdue:
                add(
                    rules.dispute_points,
                    f"{_amount(disputed, reporting)} of the overdue is disputed",
                    "Push the dispute owner for a resolution",
                )
        score_ext = customer.get("external_score")
        if score_ext is not None and (overdue > 0 or cust in courtesy):
            add(_points_below(int(score_ext), rules.risk_points), f"bureau score {score_ext}")
        status = customer.get("status") or "active"
        add(rules.status_points.get(status, 0) if overdue > 0 else 0, f"account status {status}")
        # each promise rule scores once per customer: the latest broken promise, the next one falling due
        mine = sorted(promises.get(cust, []), key=lambda p: p["pay_by"])
        broken = [
            p for p in mine if p["status"] == "broken" and (as_of - p["deadline"]).days <= rules.broken_promise_days
        ]
        if broken:
            p, more = broken[-1], len(broken) - 1
            also = f", {more} more in the last {rules.broken_promise_days} days" if more else ""
            add(
                rules.broken_promise_points,
                f"promise of {_amount(mills_to_decimal(p['amount']), p['currency'])} "
                f"due {p['pay_by'].isoformat()} broken{also}",
                "Call: promise broken, ask for a firm payment date",
            )
        due = [
            p
            for p in mine
            if p["status"] == "pending" and p["pay_by"] <= as_of + timedelta(days=rules.promise_due_window_days)
        ]
        if due:
            p = due[0]
            add(
                rules.promise_due_points,
                f"promise of {_amount(mills_to_decimal(p['amount']), p['currency'])} due {p['pay_by'].isoformat()}",
                "Check the promised payment; call if it has not arrived",
            )
        follow = follow_ups.get(cust)
        last = contacts.get(cust)
        if follow is not None and follow <= as_of and (last is None or last < follow):  # not yet followed up
            add(rules.follow_up_points, f"follow-up planned for {follow.isoformat()}", "Planned follow-up")
        if last is not None and 0 <= (as_of - last).days <= rules.recent_contact_days:
            add(rules.recent_contact_points, f"contacted on {last.isoformat()}")
        for text in courtesy.get(cust, []):
            add(rules.courtesy_points, text, "Courtesy call before the due date")
        if score <= 0 and overdue <= 0:
            continue
        next_action = max(actions, key=lambda a: a[0])[1] if actions else "Review the account"
        rows.append(
            {
                "collector": customer["collector"] or "(unassigned)",
                "customer_id": cust,
                "name": customer["name"],
                "score": score,
                "reasons": "; ".join(reasons),
                "next_action": next_action,
                "overdue": to_money(overdue, reporting),
                "oldest_days": int(fig.get("oldest_days") or 0),
                "open_total": to_money(converted_to_decimal(fig.get("open_total") or 0), reporting),
                "disputed_overdue": to_money(converted_to_decimal(fig.get("disputed_overdue") or 0), reporting),
                "dunning_level": int(levels.get(cust, 0)),
                "last_contact": last,
                "country": customer["country"],
                "language": customer.get("language") or "",
                "status": status,
                "email": customer.get("email") or "",
                "phone": customer.get("phone") or "",
            }
        )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "collector": pl.String,
        "customer_id": pl.String,
        "name": pl.String,
        "score": pl.Int64,
        "reasons": pl.String,
        "next_action": pl.String,
        "overdue": pl.Decimal(38, 2),
        "oldest_days": pl.Int64,
        "open_total": pl.Decimal(38, 2),
        "disputed_overdue": pl.Decimal(38, 2),
        "dunning_level": pl.Int64,
        "last_contact": pl.Date,
        "country": pl.String,
        "language": pl.String,
        "status": pl.String,
        "email": pl.String,
        "phone": pl.String,
    }
    frame = pl.DataFrame(rows, schema=schema)
    frame = frame.sort(["collector", "score", "overdue", "customer_id"], descending=[False, True, True, False])
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1).over("collector").cast(pl.Int64).alias("rank"))
    return frame.select(WORKLIST_COLUMNS)


def inputs_from_journal(journal: JournalReader, ledger: Ledger, as_of: date, grace_days: int) -> WorklistInputs:
    """Read what the worklist needs from the journal (entries dated after ``as_of`` ignored)."""
    from .promises import promise_status

    status = promise_status(journal.promises(), ledger.payments, as_of, grace_days)
    disputes = journal.disputes().filter((pl.col("opened_on") <= as_of) & pl.col("status").is_in(["open", "in_review"]))
    contacts = (
        journal.contacts()
        .filter(pl.col("event_date") <= as_of)
        .group_by("customer_id")
        .agg(pl.col("event_date").max().alias("last_contact"))
    )
    actions = journal.next_actions().select("customer_id", "next_action_date")
    letters = journal.dunning_letters().filter(pl.col("event_date") <= as_of)
    levels = letters.group_by("customer_id").agg(pl.col("level").max().cast(pl.Int64).alias("dunning_level"))
    return WorklistInputs(
        status, frozenset(d for docs in disputes["document_ids"].to_list() for d in docs), contacts, actions, levels
    )
