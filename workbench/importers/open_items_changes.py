"""What an open-item export changes in a ledger: new items, settled items, changed open amounts.

The ledger remembers, per item imported from an open-item list, its open
amount as the ledger now shows it (``open_items.csv``). A new export is
compared with that memory:

- an item not seen before is **new**: a document (or, for unapplied money, a
  payment) of its original amount, with a settling allocation of
  ``original - open`` on the export's date when it is partly paid;
- an item whose open amount fell is **changed**, one that is not listed any
  more is **settled**: the difference is allocated on the export's date;
- an item whose open amount grew, or whose customer, currency or kind
  changed, is **refused** (quarantined): a ledger never re-opens an item.

Within one customer and currency, the credit notes and unapplied payments
that were used up are allocated first to the invoices that fell (oldest
first), as the ERP cleared them; what the invoices lost beyond that is paid
by a synthetic payment ``P-<document_id>-<yyyymmdd>``, the same ids for the
same export, so importing it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from workbench.importers.open_items_rules import CREDIT_KINDS

__all__ = ["Change", "Item", "Plan", "plan_changes", "synthetic_payment_id"]


@dataclass(frozen=True)
class Item:
    """One open item as the export lists it, or as the ledger remembers it.

    ``amount`` is what the ledger holds (an invoice's original amount, a
    credit's open amount when it was first imported); ``open`` is positive.
    """

    document_id: str
    customer_id: str
    doc_type: str
    currency: str
    amount: Decimal
    open: Decimal
    doc_date: date
    line: int = 0

    @property
    def is_credit(self) -> bool:
        """Credit notes and unapplied payments: money the customer has to its credit."""
        return self.doc_type in CREDIT_KINDS


@dataclass(frozen=True)
class Change:
    """One line of ``import_changes.csv``."""

    change: str  # new, changed, settled, refused, unmatched
    document_id: str
    customer_id: str
    doc_type: str
    currency: str
    open_before: Decimal | None
    open_after: Decimal | None
    allocated: Decimal
    note: str = ""


@dataclass
class Plan:
    """What to add to the ledger: new items, synthetic payments, allocations, and the new memory."""

    new_items: list[Item] = field(default_factory=list)
    payments: list[tuple[str, str, str, str, Decimal]] = field(
        default_factory=list
    )  # id, document, customer, currency, amount
    allocations: list[tuple[str, str, Decimal]] = field(default_factory=list)  # source, document, amount
    changes: list[Change] = field(default_factory=list)
    state: list[Item] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # source line -> reason


def synthetic_payment_id(document_id: str, as_of: date, taken: set[str]) -> str:
    """``P-<document_id>-<yyyymmdd>``, made unique against ``taken`` (and added to it) with ``-2``, ``-3``, ..."""
    base = f"P-{document_id}-{as_of:%Y%m%d}"
    pid, k = base, 2
    while pid in taken:
        pid, k = f"{base}-{k}", k + 1
    taken.add(pid)
    return pid


def plan_changes(previous: dict[str, Item], current: list[Item], as_of: date, taken: set[str]) -> Plan:
    """Compare the ledger's memory with an export of ``as_of`` and say what to add.

    ``taken`` holds the ids already used by documents and payments; new
    synthetic payment ids are added to it.
    """
    plan = Plan()
    # per (customer, currency): invoices that fell (id, amount) and credits used up (id, amount)
    fell: dict[tuple[str, str], list[tuple[Item, Decimal]]] = {}
    used: dict[tuple[str, str], list[tuple[Item, Decimal]]] = {}
    kept: dict[str, Item] = {}
    listed = set()
    for item in current:
        listed.add(item.document_id)
        before = previous.get(item.document_id)
        if before is None:
            plan.new_items.append(item)
            paid = item.amount - item.open
            if not item.is_credit and paid > 0:
                pid = synthetic_payment_id(item.document_id, as_of, taken)
                plan.payments.append((pid, item.document_id, item.customer_id, item.currency, paid))
                plan.allocations.append((pid, item.document_id, paid))
            plan.changes.append(_change("new", item, None, item.open, max(item.amount - item.open, Decimal(0))))
            kept[item.document_id] = item
            continue
        same = (before.customer_id, before.currency, before.doc_type) == (
            item.customer_id,
            item.currency,
            item.doc_type,
        )
        if not same:
            reason = (
                f"item '{item.document_id}' was imported as a {before.doc_type} of customer "
                f"'{before.customer_id}' in {before.currency}; an export cannot change that"
            )
        elif item.open > before.open:
            reason = f"open amount of '{item.document_id}' grew from {before.open} to {item.open}; a ledger never re-opens an item"
        else:
            reason = ""
        if reason:
            plan.refused[item.line] = reason
            plan.changes.append(_change("refused", item, before.open, item.open, Decimal(0), reason))
            kept[item.document_id] = before
            continue
        drop = before.open - item.open
        if drop:
            target = used if item.is_credit else fell
            target.setdefault((item.customer_id, item.currency), []).append((item, drop))
        kept[item.document_id] = _with_open(before, item.open)
    for doc_id, before in previous.items():
        if doc_id in listed:
            continue
        if before.open:
            target = used if before.is_credit else fell
            target.setdefault((before.customer_id, before.currency), []).append((before, before.open))
        kept[doc_id] = _with_open(before, Decimal("0.00"))
    _allocate(plan, fell, used, previous, kept, as_of, taken)
    plan.state = [item for item in kept.values() if item.open > 0]
    return plan


def _allocate(
    plan: Plan,
    fell: dict[tuple[str, str], list[tuple[Item, Decimal]]],
    used: dict[tuple[str, str], list[tuple[Item, Decimal]]],
    previous: dict[str, Item],
    kept: dict[str, Item],
    as_of: date,
    taken: set[str],
) -> None:
    """Credits used up pay the invoices that fell (oldest first); synthetic payments pay the rest."""
    allocated: dict[str, Decimal] = {}
    for key in sorted(set(fell) | set(used)):
        invoices = sorted(fell.get(key, []), key=lambda p: (p[0].doc_date, p[0].document_id))
        credits = sorted(used.get(key, []), key=lambda p: (p[0].doc_date, p[0].document_id))
        left = {inv.document_id: drop for inv, drop in invoices}
        for credit, drop in credits:
            remaining = drop
            for inv, _ in invoices:
                take = min(remaining, left[inv.document_id])
                if take <= 0:
                    continue
                plan.allocations.append((credit.document_id, inv.document_id, take))
                left[inv.document_id] -= take
                remaining -= take
                allocated[inv.document_id] = allocated.get(inv.document_id, Decimal(0)) + take
                allocated[credit.document_id] = allocated.get(credit.document_id, Decimal(0)) + take
            if remaining:  # used in the ERP against something this export does not show: kept open, said so
                kept[credit.document_id] = _with_open(
                    kept[credit.document_id], kept[credit.document_id].open + remaining
                )
        for inv, _ in invoices:
            rest = left[inv.document_id]
            if rest:
                pid = synthetic_payment_id(inv.document_id, as_of, taken)
                plan.payments.append((pid, inv.document_id, inv.customer_id, inv.currency, rest))
                plan.allocations.append((pid, inv.document_id, rest))
                allocated[inv.document_id] = allocated.get(inv.document_id, Decimal(0)) + rest
        for item, _ in invoices + credits:
            before = previous[item.document_id]
            after = kept[item.document_id].open
            done = allocated.get(item.document_id, Decimal(0))
            kind = "settled" if after == 0 else "changed"
            plan.changes.append(_change(kind, item, before.open, after, done))
        for credit, drop in credits:
            done = allocated.get(credit.document_id, Decimal(0))
            if done < drop:
                plan.changes.append(
                    _change(
                        "unmatched",
                        credit,
                        previous[credit.document_id].open,
                        kept[credit.document_id].open,
                        Decimal(0),
                        f"{drop - done} used in the ERP against items this export does not show; "
                        "the ledger keeps it open",
                    )
                )


def _with_open(item: Item, open_amount: Decimal) -> Item:
    return Item(
        item.document_id,
        item.customer_id,
        item.doc_type,
        item.currency,
        item.amount,
        open_amount,
        item.doc_date,
        item.line,
    )


def _change(
    kind: str, item: Item, before: Decimal | None, after: Decimal | None, allocated: Decimal, note: str = ""
) -> Change:
    return Change(
        kind, item.document_id, item.customer_id, item.doc_type, item.currency, before, after, allocated, note
    )
