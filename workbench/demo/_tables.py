"""Turn one block's items and settlement into documents, payments and allocations frames.

Ids are numbered per block in date order and continue from the previous
block (``Counters``). Money stays integer cents here; the writer formats it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import _world as w
from ._customers import CustomerPlan
from ._items import Items
from ._settle import INSTALMENT, RUN, Settlement
from ._util import NEVER, padded_ids, to_date

DISPUTE_PROBABILITY = 0.03  # of open invoices
ENTITY_LEFT_EMPTY = 0.05  # share of rows whose entity defaults to the customer's
# numeric sort keys that order ids like their text: CN- < DN- < INV- and CN- < PAY-
CN_RANK, DN_RANK, INV_RANK, PAY_RANK = 0, 10**9, 2 * 10**9, 10**9


@dataclass
class Counters:
    """Last number used per id series, carried from block to block."""

    invoice: int = 0
    debit_note: int = 0
    credit_note: int = 0
    payment: int = 0


@dataclass(frozen=True)
class Block:
    """The frames of one block of customers."""

    documents: pl.DataFrame
    payments: pl.DataFrame
    allocations: pl.DataFrame


def _sequence(day: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """0-based numbers in (day, owner, position) order."""
    order = np.lexsort((np.arange(day.size), owner, day))
    seq = np.empty(day.size, dtype=np.int64)
    seq[order] = np.arange(day.size)
    return seq


def _entity(rng: np.random.Generator, plan: CustomerPlan, owner: np.ndarray) -> pl.Series:
    """The customer's entity, left empty on a few rows."""
    blank = pl.Series(rng.random(owner.size) < ENTITY_LEFT_EMPTY)
    return pl.select(pl.when(blank).then(None).otherwise(plan.frame["entity"].gather(owner))).to_series()


def _open_amounts(items: Items, settlement: Settlement) -> np.ndarray:
    """Open amount of each item at as_of (allocations are all dated <= as_of)."""
    paid = np.bincount(settlement.alloc_item, weights=settlement.alloc_amount, minlength=items.size)
    credited = np.where(items.cn_alloc_date < NEVER, items.cn_amount, 0)
    return items.amount - credited - np.rint(paid).astype(np.int64)


def build_block(
    rng: np.random.Generator, plan: CustomerPlan, items: Items, settlement: Settlement, counters: Counters
) -> Block:
    """Frames for one block; advances ``counters``."""
    n = items.size
    owner = items.owner
    is_dn = items.is_debit_note
    seq = _sequence(items.doc, owner)
    n_dn_before = np.cumsum(is_dn[np.argsort(seq)])[seq] - is_dn  # debit notes ordered before each item
    inv_no = counters.invoice + 1 + seq - n_dn_before
    dn_no = counters.debit_note + 1 + n_dn_before
    item_ids = pl.select(
        pl.when(pl.Series(is_dn)).then(padded_ids("DN-", dn_no, 7)).otherwise(padded_ids("INV-", inv_no, 8))
    ).to_series()
    ids = plan.ids
    currency = plan.frame["currency"]
    doc_date = to_date(items.doc)
    number = np.where(is_dn, dn_no, inv_no)
    item_key = np.where(is_dn, DN_RANK, INV_RANK) + number  # sorts like the id text
    reference = pl.select(
        pl.concat_str(
            [
                plan.frame["entity"].gather(owner),
                pl.lit("-"),
                doc_date.dt.year().cast(pl.String),
                pl.when(pl.Series(is_dn)).then(pl.lit("-D")).otherwise(pl.lit("-F")),
                pl.Series(number).cast(pl.String).str.zfill(7),
            ]
        )
    ).to_series()

    open_amount = _open_amounts(items, settlement)
    disputed = ~is_dn & (open_amount > 0) & (rng.random(n) < DISPUTE_PROBABILITY)
    reason = rng.integers(0, len(w.DISPUTE_REASONS), n)
    reason_s = pl.select(pl.when(pl.Series(disputed)).then(pl.Series(w.DISPUTE_REASONS).gather(reason))).to_series()
    sap_style = (rng.random(plan.size) < 0.5)[owner]
    po_rate = np.where(plan.segment[owner] == 2, 0.6, 0.9)
    has_po = ~is_dn & (rng.random(n) < po_rate) & ~(disputed & (reason == w.DISPUTE_REASONS.index("missing PO")))
    po_digits = pl.Series(rng.integers(0, 10**6, n)).cast(pl.String).str.zfill(6)
    service = plan.service[owner] & ~is_dn

    docs = pl.DataFrame(
        {
            "document_id": item_ids,
            "customer_id": ids.gather(owner),
            "doc_type": pl.select(
                pl.when(pl.Series(is_dn)).then(pl.lit("debit_note")).otherwise(pl.lit("invoice"))
            ).to_series(),
            "doc_date": doc_date,
            "due_date": to_date(items.due),
            "currency": currency.gather(owner),
            "amount": items.amount,
            "entity": _entity(rng, plan, owner),
            "reference": reference,
            "po_number": pl.select(
                pl.when(~pl.Series(has_po))
                .then(None)
                .when(pl.Series(sap_style))
                .then(pl.lit("4500") + po_digits)
                .otherwise(pl.lit("PO-") + po_digits)
            ).to_series(),
            "disputed": disputed,
            "dispute_reason": reason_s,
            "service_start": pl.select(pl.when(pl.Series(service)).then(doc_date.dt.month_start())).to_series(),
            "service_end": pl.select(pl.when(pl.Series(service)).then(doc_date.dt.month_end())).to_series(),
            "_key": item_key,
        }
    )
    credit_notes, cn_allocs = _credit_notes(rng, plan, items, item_ids, item_key, counters)
    documents = pl.concat([docs, credit_notes], how="vertical").sort("doc_date", "_key").drop("_key")
    payments, pay_allocs = _payments(rng, plan, settlement, item_ids, item_key, reference, counters)
    allocations = (
        pl.concat([pay_allocs, cn_allocs], how="vertical")
        .sort("allocation_date", "_source", "_document")
        .drop("_source", "_document")
    )
    counters.invoice += int((~is_dn).sum())
    counters.debit_note += int(is_dn.sum())
    return Block(documents, payments, allocations)


def _credit_notes(
    rng: np.random.Generator,
    plan: CustomerPlan,
    items: Items,
    item_ids: pl.Series,
    item_key: np.ndarray,
    counters: Counters,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Credit note documents and their allocations to the credited invoices."""
    idx = np.flatnonzero(items.cn_date < NEVER)
    owner = items.owner[idx]
    numbers = counters.credit_note + 1 + _sequence(items.cn_date[idx], owner)
    cn_ids = padded_ids("CN-", numbers, 7)
    cn_date = to_date(items.cn_date[idx])
    frame = pl.DataFrame(
        {
            "document_id": cn_ids,
            "customer_id": plan.ids.gather(owner),
            "doc_type": pl.repeat("credit_note", idx.size, eager=True),
            "doc_date": cn_date,
            "due_date": cn_date,
            "currency": plan.frame["currency"].gather(owner),
            "amount": items.cn_amount[idx],
            "entity": _entity(rng, plan, owner),
            "reference": pl.select(
                pl.concat_str(
                    [
                        plan.frame["entity"].gather(owner),
                        pl.lit("-"),
                        cn_date.dt.year().cast(pl.String),
                        pl.lit("-A"),
                        pl.Series(numbers).cast(pl.String).str.zfill(7),
                    ]
                )
            ).to_series(),
            "po_number": pl.Series([None] * idx.size, dtype=pl.String),
            "disputed": np.zeros(idx.size, dtype=bool),
            "dispute_reason": pl.Series([None] * idx.size, dtype=pl.String),
            "service_start": pl.Series([None] * idx.size, dtype=pl.Date),
            "service_end": pl.Series([None] * idx.size, dtype=pl.Date),
            "_key": CN_RANK + numbers,
        }
    )
    posted = items.cn_alloc_date[idx] < NEVER
    allocs = pl.DataFrame(
        {
            "source_id": cn_ids.filter(pl.Series(posted)),
            "document_id": item_ids.gather(idx[posted]),
            "amount": items.cn_amount[idx[posted]],
            "allocation_date": to_date(items.cn_alloc_date[idx[posted]]),
            "_source": CN_RANK + numbers[posted],
            "_document": item_key[idx[posted]],
        }
    )
    counters.credit_note += int(idx.size)
    return frame, allocs


def _payments(
    rng: np.random.Generator,
    plan: CustomerPlan,
    st: Settlement,
    item_ids: pl.Series,
    item_key: np.ndarray,
    reference: pl.Series,
    counters: Counters,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Payment rows (with remittance text) and payment allocations."""
    n = st.owner.size
    pay_numbers = counters.payment + 1 + np.arange(n)
    pay_ids = padded_ids("PAY-", pay_numbers, 8)
    value_date = to_date(st.value_date)
    cust = plan.ids.gather(st.owner)
    ref = reference.gather(st.first_item)
    text = (
        pl.when(pl.Series(rng.random(n) < 0.04))
        .then(None)
        .when(pl.Series(st.kind == RUN))
        .then(pl.concat_str([pl.lit("Payment run "), cust, pl.lit(" "), value_date.cast(pl.String)]))
        .when(pl.Series(st.kind == INSTALMENT))
        .then(
            pl.concat_str(
                [
                    ref,
                    pl.lit(" instalment "),
                    pl.Series(st.part).cast(pl.String),
                    pl.lit("/"),
                    pl.Series(st.parts).cast(pl.String),
                ]
            )
        )
        .otherwise(ref)
    )
    payments = pl.DataFrame(
        {
            "payment_id": pay_ids,
            "customer_id": cust,
            "value_date": value_date,
            "currency": plan.frame["currency"].gather(st.owner),
            "amount": st.amount,
            "entity": _entity(rng, plan, st.owner),
            "reference": pl.select(text).to_series(),
            "method": pl.Series(plan.method).gather(st.owner),
        }
    )
    allocs = pl.DataFrame(
        {
            "source_id": pay_ids.gather(st.alloc_payment),
            "document_id": item_ids.gather(st.alloc_item),
            "amount": st.alloc_amount,
            "allocation_date": to_date(st.alloc_date),
            "_source": PAY_RANK + pay_numbers[st.alloc_payment],
            "_document": item_key[st.alloc_item],
        }
    )
    counters.payment += n
    return payments, allocs
