"""Payments and their allocations for one block of items.

Each item whose planned payment day is on or before as_of is settled by

* its own payment (most items),
* a weekly payment run of its customer grouping several items (batch payers),
* or 2-3 instalments, the later ones possibly still to come at as_of.

A few single payments exceed the item (overpayment: unapplied cash), a few
recent payments are not allocated yet, and postings lag receipt by a few days
now and then; an allocation is never dated after as_of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _world as w
from ._customers import CustomerPlan
from ._items import Items
from ._util import group_offsets, next_business_day, posting_lag, rank_in_group

SINGLE, INSTALMENT, RUN = 0, 1, 2
MIN_PARTIAL_CENTS = 20_000
OVERPAYMENT_PROBABILITY = 0.0015
UNALLOCATED_PROBABILITY = 0.04  # of payments received in the last 30 days
UNALLOCATED_WINDOW = 30


@dataclass(frozen=True)
class Settlement:
    """Payments (in id order) and allocations of one block."""

    owner: np.ndarray
    value_date: np.ndarray
    amount: np.ndarray  # cents, allocations + any overpayment
    kind: np.ndarray  # SINGLE / INSTALMENT / RUN
    first_item: np.ndarray  # an item the payment settles (for the remittance text)
    part: np.ndarray  # instalment number (1-based), 0 otherwise
    parts: np.ndarray  # number of instalments, 0 otherwise
    alloc_payment: np.ndarray  # index into the payment arrays
    alloc_item: np.ndarray
    alloc_amount: np.ndarray
    alloc_date: np.ndarray


def _instalments(rng: np.random.Generator, items: Items, idx: np.ndarray) -> tuple[np.ndarray, ...]:
    """Split the payable of items ``idx`` into 2-3 dated instalments.

    Returns (item, amount, date, part, parts) per instalment; amounts add up to
    the payable exactly.
    """
    k = np.where(rng.random(idx.size) < 0.6, 2, 3)
    item = np.repeat(idx, k)
    part = rank_in_group(k)
    starts = np.repeat(group_offsets(k), k)
    weight = rng.uniform(0.5, 1.5, item.size)
    cum_weight = np.cumsum(weight)
    before = np.concatenate([[0.0], cum_weight])[starts]
    total = np.repeat(np.add.reduceat(weight, group_offsets(k)), k)
    share_to_here = np.where(part == np.repeat(k, k) - 1, 1.0, (cum_weight - before) / total)
    payable = items.payable[item]
    cum_amount = np.floor(payable * share_to_here).astype(np.int64)
    cum_amount = np.where(part == np.repeat(k, k) - 1, payable, cum_amount)
    prev = np.where(part == 0, 0, np.concatenate([[0], cum_amount[:-1]]))
    amount = cum_amount - prev
    gap = np.where(part == 0, 0, rng.integers(10, 40, item.size))
    cum_gap = np.cumsum(gap)
    gap_before = np.concatenate([[0], cum_gap])[starts]
    day = next_business_day(items.pay[item] + cum_gap - gap_before)
    return item, amount, day, part + 1, np.repeat(k, k)


def settle(rng: np.random.Generator, plan: CustomerPlan, items: Items, as_of: int) -> Settlement:
    """Payments and allocations for ``items`` as known at ``as_of``."""
    payable = items.payable
    owner = items.owner
    paid = (items.pay <= as_of) & (payable > 0)
    risky = plan.profile[owner] != w.PROMPT
    partial = (
        paid
        & ~plan.batch[owner]
        & ~plan.direct_debit[owner]
        & (payable >= MIN_PARTIAL_CENTS)
        & (rng.random(items.size) < np.where(risky, 0.07, 0.03))
    )
    single = np.flatnonzero(paid & ~partial & ~plan.batch[owner])
    run = np.flatnonzero(paid & ~partial & plan.batch[owner])
    i_item, i_amount, i_day, i_part, i_parts = _instalments(rng, items, np.flatnonzero(partial))
    keep = i_day <= as_of
    i_item, i_amount, i_day, i_part, i_parts = (a[keep] for a in (i_item, i_amount, i_day, i_part, i_parts))

    # one row per allocation candidate; payments: singles and instalments alone, runs grouped
    row_item = np.concatenate([single, i_item, run])
    row_amount = np.concatenate([payable[single], i_amount, payable[run]])
    row_day = np.concatenate([items.pay[single], i_day, items.pay[run]])
    alone = single.size + i_item.size
    run_key = owner[run].astype(np.int64) * 1_000_000 + items.pay[run]
    _, run_group = np.unique(run_key, return_inverse=True)
    row_payment = np.concatenate([np.arange(alone), alone + run_group.reshape(-1)])
    n_pay = int(row_payment.max()) + 1 if row_payment.size else 0

    first_row = np.full(n_pay, row_item.size, dtype=np.int64)
    np.minimum.at(first_row, row_payment, np.arange(row_item.size))
    kind = np.concatenate([np.full(single.size, SINGLE), np.full(i_item.size, INSTALMENT), np.full(run.size, RUN)])
    part = np.concatenate([np.zeros(single.size, np.int64), i_part, np.zeros(run.size, np.int64)])
    parts = np.concatenate([np.zeros(single.size, np.int64), i_parts, np.zeros(run.size, np.int64)])
    p_owner = owner[row_item][first_row]
    p_day = row_day[first_row]
    p_alloc = np.rint(np.bincount(row_payment, weights=row_amount, minlength=n_pay)).astype(np.int64)
    p_kind = kind[first_row]
    over = (p_kind == SINGLE) & (rng.random(n_pay) < OVERPAYMENT_PROBABILITY)
    extra = np.maximum(100, np.rint(p_alloc * rng.uniform(0.005, 0.08, n_pay))).astype(np.int64)
    p_amount = p_alloc + np.where(over, extra, 0)

    # posting: lag, some recent receipts not yet allocated, nothing after as_of
    p_alloc_day = p_day + posting_lag(rng, n_pay)
    pending = (p_day > as_of - UNALLOCATED_WINDOW) & (rng.random(n_pay) < UNALLOCATED_PROBABILITY)
    posted = ~pending & (p_alloc_day <= as_of)

    order = np.lexsort((np.arange(n_pay), p_owner, p_day))
    number = np.empty(n_pay, dtype=np.int64)
    number[order] = np.arange(n_pay)
    rows = np.flatnonzero(posted[row_payment])
    rows = rows[np.lexsort((row_item[rows], number[row_payment[rows]]))]
    return Settlement(
        owner=p_owner[order],
        value_date=p_day[order],
        amount=p_amount[order],
        kind=p_kind[order],
        first_item=row_item[first_row][order],
        part=part[first_row][order],
        parts=parts[first_row][order],
        alloc_payment=number[row_payment[rows]],
        alloc_item=row_item[rows],
        alloc_amount=row_amount[rows],
        alloc_date=p_alloc_day[row_payment[rows]],
    )
