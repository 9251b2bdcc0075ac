"""A believable journal for the demo company: sixteen weeks of collectors' work and dunning runs.

Deterministic by seed. Each week (Monday to Thursday) every collector works
the top of their worklist: calls that end in a promise (kept when the ledger
shows the customer paid, broken otherwise), a dispute, a voicemail with a
follow-up date, or a note. Disputes are resolved or rejected a few weeks
later. Every Friday a dunning run is recorded. Customers in litigation were
handed to a lawyer, suspended ones had a suspension requested, two
defaulting customers went to the collection agency (one with money
recovered), and two key accounts are flagged no-dunning.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from ..collections.dunning import plan_run, state_from_journal
from ..collections.policy import CollectionsPolicy, load_policy
from ..collections.run import record
from ..collections.worklist import build_worklist, inputs_from_journal
from ..journal import Journal
from ..reference_rates import load_reference_rates
from ..ledger.asof import open_items
from ..ledger.model import Ledger
from ..money import exact_sum, mills_to_decimal

WEEKS = 16
CALLS_PER_WEEK = 8
DISPUTE_REASONS = ("pricing", "quantity", "quality", "delivery", "missing PO", "duplicate billing")
LAWYERS = {"FR": "Cabinet Marceau Avocats", "DE": "Hartmann Rechtsanwälte", "GB": "Whitcombe & Hale LLP"}
AGENCY = "Atlas Recouvrement"


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


class _Seeder:
    def __init__(self, ledger: Ledger, journal: Journal, policy: CollectionsPolicy, seed: int) -> None:
        self.ledger, self.journal, self.policy = ledger, journal, policy
        self.rng = np.random.default_rng(seed)
        self.customers = {r["customer_id"]: r for r in ledger.customers.iter_rows(named=True)}
        pays = ledger.payments.filter(pl.col("customer_id").is_not_null()).sort("value_date")
        self.payments: dict[str, list[tuple[date, str, int]]] = {}
        for cust, day, cur, amount in pays.select("customer_id", "value_date", "currency", "amount").iter_rows():
            self.payments.setdefault(cust, []).append((day, cur, amount))
        self.open_disputes: list[tuple[int, date]] = []
        self.disputed: set[str] = set()

    def call(self, collector: str, cust: str, day: date, hour: int, overdue_items: pl.DataFrame) -> None:
        rng, book = self.rng, self.journal
        at = _moment(day, hour)
        roll = rng.random()
        items = overdue_items.filter(pl.col("customer_id") == cust)
        if items.height == 0:
            book.log_contact(
                cust,
                "call",
                "Account reviewed with the customer: nothing overdue left",
                on=day,
                author=collector,
                recorded_at=at,
            )
            return
        currency = items.group_by("currency").agg(exact_sum("open")).sort("open", descending=True)["currency"][0]
        overdue = int(items.filter(pl.col("currency") == currency).select(exact_sum("open")).item())
        if roll < 0.40:
            upcoming = [
                p for p in self.payments.get(cust, []) if day < p[0] <= day + timedelta(days=21) and p[1] == currency
            ]
            if upcoming:
                pay_day, _, amount = upcoming[0]
                pay_by = pay_day - timedelta(days=int(rng.integers(0, 3)))
                pay_by = max(pay_by, day + timedelta(days=1))
            else:
                amount, pay_by = overdue, day + timedelta(days=int(rng.integers(5, 11)))
            docs = items.filter(pl.col("currency") == currency).sort("due_date")["document_id"].head(3).to_list()
            book.log_contact(
                cust, "call", "Customer promised to pay", on=day, author=collector, recorded_at=at, document_ids=docs
            )
            book.add_promise(
                cust,
                mills_to_decimal(amount),
                currency,
                pay_by,
                author=collector,
                promised_on=day,
                document_ids=docs if not upcoming else (),
                recorded_at=at,
            )
        elif roll < 0.50:
            candidates = [d for d in items["document_id"].to_list() if d not in self.disputed]
            if not candidates:
                return
            doc = candidates[int(rng.integers(0, len(candidates)))]
            reason = DISPUTE_REASONS[int(rng.integers(0, len(DISPUTE_REASONS)))]
            owner = self.customers[cust].get("sales_rep") or collector
            book.log_contact(
                cust,
                "call",
                f"Customer disputes {doc}: {reason}",
                on=day,
                author=collector,
                recorded_at=at,
                document_ids=[doc],
            )
            dispute = book.open_dispute(
                cust,
                [doc],
                reason,
                owner=owner,
                on=day,
                author=collector,
                recorded_at=at,
                note="raised on a collection call",
            )
            self.disputed.add(doc)
            self.open_disputes.append((dispute, day + timedelta(days=int(rng.integers(7, 29)))))
        elif roll < 0.80:
            book.log_contact(
                cust,
                "call",
                "No answer, voicemail left",
                on=day,
                author=collector,
                recorded_at=at,
                next_action_date=day + timedelta(days=3),
            )
        else:
            book.log_contact(
                cust,
                "email",
                "Sent copies of the overdue invoices on request",
                on=day,
                author=collector,
                recorded_at=at,
            )
            book.add_note(
                cust,
                "Customer says the invoices are approved and in the next payment run",
                on=day,
                next_action_date=day + timedelta(days=7),
                author=collector,
                recorded_at=at,
            )

    def settle_disputes(self, day: date) -> None:
        still = []
        for dispute, due in self.open_disputes:
            if due <= day:
                resolved = self.rng.random() < 0.6
                self.journal.update_dispute(
                    dispute,
                    "resolved" if resolved else "rejected",
                    on=due,
                    resolution="credit note agreed" if resolved else "delivery confirmed, invoice stands",
                    author="Credit Manager",
                    recorded_at=_moment(due, 16),
                )
            else:
                still.append((dispute, due))
        self.open_disputes = still

    def escalations(self, start: date) -> None:
        book = self.journal
        for cust, row in sorted(self.customers.items()):
            status = row.get("status")
            on = start + timedelta(days=int(self.rng.integers(0, 60)))
            if status == "litigation":
                partner = LAWYERS.get(row.get("country") or "", "Whitcombe & Hale LLP")
                book.escalate(
                    cust,
                    "suspension_requested",
                    on=on - timedelta(days=30),
                    author="Credit Manager",
                    note="deliveries stopped",
                    recorded_at=_moment(on - timedelta(days=30), 10),
                )
                book.escalate(
                    cust,
                    "lawyer",
                    on=on,
                    partner=partner,
                    author="Credit Manager",
                    note="claim filed",
                    recorded_at=_moment(on, 11),
                )
            elif status == "suspended":
                book.escalate(
                    cust,
                    "suspension_requested",
                    on=on,
                    author="Credit Manager",
                    note="account suspended after the final demand",
                    recorded_at=_moment(on, 10),
                )
        defaulting = [c for c, r in sorted(self.customers.items()) if r.get("status") == "closed"][:2]
        for i, cust in enumerate(defaulting):
            on = start + timedelta(days=20 + 15 * i)
            currency = self.customers[cust]["currency"]
            book.escalate(
                cust,
                "agency",
                on=on,
                partner=AGENCY,
                amount=Decimal("8400.00"),
                currency=currency,
                author="Credit Manager",
                note="handed over after the final demand",
                recorded_at=_moment(on, 12),
            )
            if i == 0:
                later = on + timedelta(days=45)
                book.escalate(
                    cust,
                    "recovered",
                    on=later,
                    partner=AGENCY,
                    amount=Decimal("5200.00"),
                    currency=currency,
                    fees=Decimal("780.00"),
                    author="Credit Manager",
                    note="partial recovery by the agency",
                    recorded_at=_moment(later, 12),
                )
        keys = [
            c
            for c, r in sorted(self.customers.items())
            if r.get("segment") == "key account" and r.get("status") == "active"
        ][:2]
        for cust in keys:
            book.set_flag(
                cust,
                "no_dunning",
                True,
                on=start,
                reason="framework contract renegotiation",
                author="Credit Manager",
                recorded_at=_moment(start, 9),
            )


def seed_journal(
    ledger: Ledger,
    journal: Journal,
    as_of: date,
    *,
    seed: int = 42,
    policy: CollectionsPolicy | None = None,
    weeks: int = WEEKS,
) -> dict[str, int]:
    """Fill an empty journal with ``weeks`` weeks of activity ending before ``as_of``; return counts by kind."""
    policy = policy or load_policy()
    seeder = _Seeder(ledger, journal, policy, seed)
    # Fridays: the last one strictly before as_of, and `weeks` of them back
    last_friday = as_of - timedelta(days=(as_of.weekday() - 4) % 7 or 7)
    fridays = [last_friday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    with journal.batch():
        seeder.escalations(fridays[0] - timedelta(days=60))
    grace = policy.default.promise_grace_days
    rates = load_reference_rates()
    # collectors work every week up to the as-of date; the dunning runs are the Fridays before it
    for friday in [*fridays, last_friday + timedelta(weeks=1)]:
        monday = friday - timedelta(days=4)
        inputs = inputs_from_journal(journal, ledger, monday, grace)
        work = build_worklist(ledger, monday, policy.worklist, inputs)
        with journal.batch():
            for offset in range(4):
                day = monday + timedelta(days=offset)
                if day >= as_of:
                    break
                seeder.settle_disputes(day)
                overdue = open_items(ledger, day).filter((pl.col("due_date") < day) & ~pl.col("disputed"))
                for collector, group in work.group_by("collector", maintain_order=True):
                    calls = group.slice(offset * CALLS_PER_WEEK // 4, CALLS_PER_WEEK // 4)
                    for hour, cust in enumerate(calls["customer_id"].to_list(), start=9):
                        seeder.call(collector[0], cust, day, hour, overdue)
        if friday >= as_of:
            break
        state = state_from_journal(journal, ledger, friday, policy)
        run = plan_run(ledger, friday, policy, state, rates=rates)
        record(journal, run, policy, {}, "dunning run", recorded_at=_moment(friday, 18))
    counts = journal.history().group_by("kind").len()
    return dict(counts.iter_rows())
