"""The week's collections activity for the weekly report: actions, promises, disputes, escalations.

Pure functions over the journal's frames (read once at the edge by
:func:`read_activity`). A week is the seven days ending on the as-of date.
Amounts of promises and escalations are shown in their own currency and, for
totals, in the reporting currency at the as-of rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from ..fx import reporting_value
from ..journal.reader import JournalReader
from ..ledger.model import Ledger
from ..money import converted_to_money, mills_to_decimal
from .promises import promise_status

ACTION_COLUMNS = (
    "collector",
    "calls",
    "emails",
    "meetings",
    "letters_in",
    "promises",
    "disputes",
    "notes",
    "escalations",
    "dunning_emails",
    "dunning_letters",
    "phone_tasks",
    "total",
)


@dataclass(frozen=True)
class JournalFrames:
    """The journal views the activity needs (so calculations never read the journal themselves)."""

    contacts: pl.DataFrame
    promises: pl.DataFrame
    disputes: pl.DataFrame
    escalations: pl.DataFrame
    notes: pl.DataFrame
    letters: pl.DataFrame


@dataclass(frozen=True)
class WeekActivity:
    """Everything the weekly report shows about the week's collections work."""

    first: date
    last: date
    actions: pl.DataFrame
    promises_due: pl.DataFrame
    promise_counts: dict[str, int]
    promise_amounts: dict[str, Decimal]
    new_disputes: pl.DataFrame
    resolved_disputes: pl.DataFrame
    open_disputes: int
    escalations: pl.DataFrame
    files: pl.DataFrame

    def summary(self) -> dict[str, object]:
        """Machine-readable figures (also in the report's summary JSON)."""
        return {
            "actions": int(self.actions["total"].sum()) if self.actions.height else 0,
            "promises_due": self.promise_counts,
            "promises_due_amounts": {k: str(v) for k, v in self.promise_amounts.items()},
            "new_disputes": self.new_disputes.height,
            "resolved_disputes": self.resolved_disputes.height,
            "open_disputes": self.open_disputes,
            "escalations": self.escalations.height,
            "litigation_files": self.files.height,
        }


def read_activity(journal: JournalReader) -> JournalFrames:
    """Read the views once from an open journal."""
    return JournalFrames(
        journal.contacts(),
        journal.promises(),
        journal.disputes(),
        journal.escalations(),
        journal.notes(),
        journal.dunning_letters(),
    )


def _in(col: str, first: date, last: date) -> pl.Expr:
    return pl.col(col).is_between(first, last)


def actions_by_collector(frames: JournalFrames, ledger: Ledger, first: date, last: date) -> pl.DataFrame:
    """Per collector: contacts by channel, promises, disputes, notes, escalations and the run's letters.

    People's entries count for their author; dunning letters and phone tasks
    count for the customer's collector.
    """

    def counts(frame: pl.DataFrame, date_col: str, name: str, by: str = "author") -> pl.DataFrame:
        return (
            frame.filter(_in(date_col, first, last))
            .group_by(by)
            .len()
            .rename({by: "collector", "len": name})
            .with_columns(pl.col(name).cast(pl.Int64))
        )

    contacts = frames.contacts.filter(_in("event_date", first, last))
    parts = [
        counts(contacts.filter(pl.col("channel") == ch), "event_date", name)
        for ch, name in (("call", "calls"), ("email", "emails"), ("meeting", "meetings"), ("letter", "letters_in"))
    ]
    parts += [
        counts(frames.promises, "promised_on", "promises"),
        counts(frames.disputes, "opened_on", "disputes"),
        counts(frames.notes, "event_date", "notes"),
        counts(frames.escalations.filter(pl.col("author") != "dunning run"), "event_date", "escalations"),
    ]
    owners = ledger.customers.select("customer_id", pl.col("collector").fill_null("(unassigned)"))
    letters = frames.letters.filter(_in("event_date", first, last)).join(owners, on="customer_id", how="left")
    for channel, name in (("email", "dunning_emails"), ("letter", "dunning_letters"), ("phone", "phone_tasks")):
        parts.append(counts(letters.filter(pl.col("channel") == channel), "event_date", name, by="collector"))
    names = sorted({c for p in parts for c in p["collector"].to_list() if c is not None})
    out = pl.DataFrame({"collector": names}, schema={"collector": pl.String})
    for part in parts:
        out = out.join(part, on="collector", how="left")
    value_cols = [c for c in ACTION_COLUMNS if c not in ("collector", "total")]
    out = out.with_columns([pl.col(c).fill_null(0) for c in value_cols])
    return (
        out.with_columns(pl.sum_horizontal(value_cols).alias("total"))
        .select(ACTION_COLUMNS)
        .sort("total", descending=True)
    )


def week_activity(frames: JournalFrames, ledger: Ledger, as_of: date, grace_days: int = 2) -> WeekActivity:
    """The activity of the seven days ending on ``as_of``."""
    first, last = as_of - timedelta(days=6), as_of
    names = ledger.customers.select("customer_id", "name", "collector")
    status = promise_status(frames.promises, ledger.payments, as_of, grace_days)
    due = (
        status.filter(_in("pay_by", first, last))
        .join(names, on="customer_id", how="left")
        .sort("pay_by", "customer_id")
    )
    counts = {s: due.filter(pl.col("status") == s).height for s in ("kept", "broken", "pending")}
    amounts = {
        s: converted_to_money(
            sum(
                reporting_value(a, ledger.fx.rate_scaled(c, as_of))
                for a, c in due.filter(pl.col("status") == s).select("amount", "currency").iter_rows()
            ),
            ledger.reporting_currency,
        )
        for s in counts
    }
    shown_due = due.select(
        "customer_id",
        "name",
        "collector",
        "currency",
        pl.col("amount").map_elements(lambda v: mills_to_decimal(v), return_dtype=pl.Decimal(38, 3)).alias("promised"),
        pl.col("paid").map_elements(lambda v: mills_to_decimal(v), return_dtype=pl.Decimal(38, 3)).alias("paid"),
        "pay_by",
        "status",
    )
    disputes = frames.disputes.join(names.select("customer_id", "name"), on="customer_id", how="left")
    new = disputes.filter(_in("opened_on", first, last)).select(
        "id",
        "customer_id",
        "name",
        pl.col("document_ids").list.join(", ").alias("documents"),
        "reason",
        "owner",
        "opened_on",
        "status",
    )
    resolved = disputes.filter(
        pl.col("status").is_in(["resolved", "rejected"]) & _in("status_date", first, last)
    ).select("id", "customer_id", "name", "reason", "owner", "opened_on", "status", "status_date", "resolution")
    open_count = disputes.filter(pl.col("status").is_in(["open", "in_review"]) & (pl.col("opened_on") <= as_of)).height
    esc = frames.escalations.filter(pl.col("event_date") <= as_of).join(
        names.select("customer_id", "name"), on="customer_id", how="left"
    )
    week_esc = (
        esc.filter(_in("event_date", first, last))
        .select(
            "event_date",
            "customer_id",
            "name",
            "action",
            "partner",
            "currency",
            pl.col("amount")
            .map_elements(lambda v: mills_to_decimal(v), return_dtype=pl.Decimal(38, 3))
            .alias("amount"),
            "author",
            "note",
        )
        .sort("event_date", "customer_id")
    )
    return WeekActivity(
        first,
        last,
        actions_by_collector(frames, ledger, first, last),
        shown_due,
        counts,
        amounts,
        new,
        resolved,
        open_count,
        week_esc,
        litigation_files(esc),
    )


def litigation_files(escalations: pl.DataFrame) -> pl.DataFrame:
    """Open agency and lawyer files: partner, since when, amount handed over, recovered and fees so far."""
    rows = []
    by_customer: dict[str, list[dict]] = {}
    for row in escalations.sort("event_date", "id").iter_rows(named=True):
        by_customer.setdefault(row["customer_id"], []).append(row)
    for cust, steps in sorted(by_customer.items()):
        handover = None
        recovered = fees = 0
        for step in steps:
            if step["action"] in ("agency", "lawyer"):
                handover, recovered, fees = step, 0, 0
            elif step["action"] == "recovered" and handover is not None:
                recovered += step["amount"] or 0
                fees += step["fees"] or 0
            elif step["action"] == "closed":
                handover = None
        if handover is not None:
            rows.append(
                {
                    "customer_id": cust,
                    "name": handover.get("name") or "",
                    "file": handover["action"],
                    "partner": handover["partner"],
                    "since": handover["event_date"],
                    "currency": handover["currency"] or "",
                    "handed_over": mills_to_decimal(handover["amount"] or 0),
                    "recovered": mills_to_decimal(recovered),
                    "fees": mills_to_decimal(fees),
                }
            )
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "customer_id": pl.String,
        "name": pl.String,
        "file": pl.String,
        "partner": pl.String,
        "since": pl.Date,
        "currency": pl.String,
        "handed_over": pl.Decimal(38, 3),
        "recovered": pl.Decimal(38, 3),
        "fees": pl.Decimal(38, 3),
    }
    return pl.DataFrame(rows, schema=schema)
