"""Receivable items of a block of customers: invoices, debit notes, credit notes.

Everything is drawn as flat numpy arrays (one element per document); a
customer's documents are contiguous. Amounts are integer cents, dates are day
numbers. Each invoice or debit note gets a planned payment day from its
customer's behaviour profile (``NEVER`` when it will not be paid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _world as w
from ._customers import CustomerPlan
from ._util import NEVER, business_day_within, cents, next_business_day, posting_lag, rank_in_group, weekday

INVOICE_SIGMA = 0.8  # log-normal spread of invoice amounts around a customer's median
CREDIT_NOTE_PROBABILITY = 0.05
CREDIT_NOTE_ALLOCATED = 0.96
DETERIORATION_WINDOW = 270  # days before as_of over which delays grow


@dataclass(frozen=True)
class Items:
    """Invoices and debit notes of one block, with their credit notes and pay plan."""

    owner: np.ndarray  # global customer index
    is_debit_note: np.ndarray
    doc: np.ndarray
    due: np.ndarray
    amount: np.ndarray  # cents
    cn_amount: np.ndarray  # credit note against the item, 0 when none
    cn_date: np.ndarray  # NEVER when no credit note
    cn_alloc_date: np.ndarray  # NEVER when the credit note is not allocated by as_of
    pay: np.ndarray  # planned (first) payment day of the payable remainder, NEVER if never

    @property
    def payable(self) -> np.ndarray:
        """What payments must settle: the amount less its credit note."""
        return self.amount - self.cn_amount

    @property
    def size(self) -> int:
        return int(self.owner.size)


def _dates(
    rng: np.random.Generator, plan: CustomerPlan, owner: np.ndarray, rank: np.ndarray, is_dn: np.ndarray, as_of: int
) -> np.ndarray:
    """Document dates: invoices spread regularly over the customer's window, debit notes at random."""
    start, end = plan.start[owner], plan.end[owner]
    span = end - start + 1
    count = np.maximum(plan.n_invoices[owner], 1)
    slot = (rank + rng.random(owner.size)) / count
    slot = np.where(is_dn, rng.random(owner.size), slot)
    days = start + np.floor(slot * span).astype(np.int64)
    return business_day_within(np.minimum(days, end), as_of)


def _delays(
    rng: np.random.Generator, plan: CustomerPlan, owner: np.ndarray, due: np.ndarray, as_of: int, lo: int, hi: int
) -> np.ndarray:
    """Days between due date and payment, drawn per item from the customer's profile."""
    n = owner.size
    profile = plan.profile[owner]
    slope = rng.uniform(40.0, 80.0, hi - lo)[owner - lo]  # deteriorating: extra days at as_of
    ramp = np.clip((due - (as_of - DETERIORATION_WINDOW)) / DETERIORATION_WINDOW, 0.0, None) * slope
    erratic = np.where(rng.random(n) < 0.5, rng.normal(5.0, 10.0, n), rng.exponential(45.0, n) - 5.0)
    delay = np.select(
        [profile == w.PROMPT, profile == w.SLOW, profile == w.ERRATIC, profile == w.DETERIORATING],
        [
            rng.normal(-1.0, 4.0, n),
            rng.uniform(15.0, 40.0, n) + rng.normal(0.0, 3.0, n),
            erratic,
            rng.normal(3.0, 5.0, n) + ramp,
        ],
        default=rng.normal(18.0, 10.0, n),
    )
    return np.rint(delay).astype(np.int64)


def draw_items(rng: np.random.Generator, plan: CustomerPlan, lo: int, hi: int, as_of: int) -> Items:
    """All invoices and debit notes of customers ``lo <= i < hi`` and their credit notes."""
    counts = plan.n_invoices[lo:hi] + plan.n_debit_notes[lo:hi]
    owner = np.repeat(np.arange(lo, hi), counts)
    rank = rank_in_group(counts)
    is_dn = rank >= plan.n_invoices[owner]
    n = owner.size
    doc = _dates(rng, plan, owner, rank, is_dn, as_of)

    log_amount = np.where(
        is_dn,
        plan.log_median[owner] + np.log(0.03) + rng.normal(0.0, 0.6, n),
        plan.log_median[owner] + rng.normal(0.0, INVOICE_SIGMA, n),
    )
    amount = np.maximum(cents(np.exp(log_amount)), np.where(is_dn, 2_500, 5_000))
    due = doc + np.where(is_dn, 15, plan.terms[owner])

    # credit notes against ~5 % of invoices, partial or full
    has_cn = ~is_dn & (rng.random(n) < CREDIT_NOTE_PROBABILITY)
    cn_date = business_day_within(doc + rng.integers(2, 75, n), as_of)
    has_cn &= cn_date <= as_of
    fraction = np.where(rng.random(n) < 0.3, 1.0, rng.uniform(0.05, 0.5, n))
    cn_amount = np.where(has_cn, np.clip(np.rint(amount * fraction).astype(np.int64), 1, amount), 0)
    cn_alloc = cn_date + posting_lag(rng, n)
    allocated = has_cn & (rng.random(n) < CREDIT_NOTE_ALLOCATED) & (cn_alloc <= as_of)
    cn_date = np.where(has_cn, cn_date, NEVER)
    cn_alloc = np.where(allocated, cn_alloc, NEVER)

    # planned payment day
    pay = np.maximum(due + _delays(rng, plan, owner, due, as_of, lo, hi), doc)
    pay = np.where(plan.direct_debit[owner], due, pay)
    pay = next_business_day(pay)
    never = rng.random(n) < np.asarray(w.NEVER_PAID)[plan.profile[owner]] + np.where(is_dn, 0.08, 0.0)
    never |= pay > plan.stop[owner]
    batch = plan.batch[owner]
    pay = np.where(batch, pay + (plan.run_weekday[owner] - weekday(pay)) % 7, pay)
    pay = np.where(never, NEVER, pay)
    return Items(owner, is_dn, doc, due, amount, cn_amount, cn_date, cn_alloc, pay)
