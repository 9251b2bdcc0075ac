"""Settlement dates: the day each document, payment or credit note is fully allocated.

Frames in, frames out, computed once per ledger (``Ledger.receivables`` and
``Ledger.credit_sources``) and used by every as-of calculation in
:mod:`workbench.ledger.asof`. An item is open from its own date until the day
its allocations reach its amount (CONVENTIONS §1 and its fine points).
"""

from __future__ import annotations

from typing import cast

import polars as pl

__all__ = [
    "RECEIVABLE_COLUMNS",
    "build_credit_sources",
    "build_receivables",
    "consumed_dates",
    "credit_source_items",
    "receivable_items",
]

_RECEIVABLE = ("invoice", "debit_note")
#: Document columns carried into open items (the others stay on ``ledger.documents``).
RECEIVABLE_COLUMNS = (
    "key",
    "document_id",
    "customer_id",
    "doc_type",
    "doc_date",
    "due_date",
    "currency",
    "amount",
    "entity",
    "disputed",
    "dispute_reason",
)


def consumed_dates(items: pl.DataFrame, allocations: pl.DataFrame, key: str, alloc_key: str) -> pl.DataFrame:
    """``items`` with ``consumed`` (the date its allocations reach its amount, null if never)
    and ``first_allocation`` (the date of its first allocation, null if none).

    For a document ``consumed`` is its settlement date (CONVENTIONS fine
    points: the date of the completing allocation). Validation guarantees that
    allocations never exceed an item's amount, so the completing allocation is
    the last one, and only when they add up to the amount: one hash group-by,
    no sort.
    """
    per_item = (
        allocations.group_by(alloc_key)
        .agg(
            pl.col("amount").sum().alias("_allocated"),
            pl.col("allocation_date").max().alias("_last"),
            pl.col("allocation_date").min().alias("first_allocation"),
        )
        .rename({alloc_key: key})
    )
    # join on the key column alone and attach the result: no gather of the item's text columns
    found = items.select(key, "amount").join(per_item, on=key, how="left", maintain_order="left")
    return items.with_columns(
        pl.when(found["_allocated"] >= found["amount"]).then(found["_last"]).otherwise(None).alias("consumed"),
        found["first_allocation"],
    )


def build_receivables(documents: pl.DataFrame, allocations: pl.DataFrame) -> pl.DataFrame:
    """Invoices and debit notes with their settlement date (``consumed``)."""
    return consumed_dates(receivable_items(documents), allocations, "key", "document_key")


def receivable_items(documents: pl.DataFrame) -> pl.DataFrame:
    """The invoices and debit notes of ``documents`` with :data:`RECEIVABLE_COLUMNS`, in file order."""
    kept = documents.select(pl.col("doc_type").is_in(_RECEIVABLE))[:, 0]
    # first row that is not a receivable (never None: ``kept`` has a False somewhere)
    first_note = cast(int, kept.arg_min()) if not kept.all() else documents.height
    if not kept.slice(first_note).any():
        documents = documents.head(first_note)  # the loader puts credit notes last: a zero-copy slice
    else:
        documents = documents.filter(kept)
    return documents.select([c for c in RECEIVABLE_COLUMNS if c in documents.columns])


def build_credit_sources(documents: pl.DataFrame, payments: pl.DataFrame, allocations: pl.DataFrame) -> pl.DataFrame:
    """Payments and credit notes as one frame of sources with ``consumed`` dates."""
    return consumed_dates(credit_source_items(documents, payments), allocations, "key", "source_key")


def credit_source_items(documents: pl.DataFrame, payments: pl.DataFrame) -> pl.DataFrame:
    """Payments, then credit notes, as one frame of sources (key, id, kind, customer, entity, currency, date, amount)."""
    cols = ["key", "source_id", "source_kind", "customer_id", "entity", "currency", "date", "amount"]
    pays = payments.select(
        "key",
        pl.col("payment_id").alias("source_id"),
        pl.lit("payment").alias("source_kind"),
        "customer_id",
        "entity",
        "currency",
        pl.col("value_date").alias("date"),
        "amount",
    )
    notes = documents.filter(pl.col("doc_type") == "credit_note").select(
        "key",
        pl.col("document_id").alias("source_id"),
        pl.lit("credit_note").alias("source_kind"),
        "customer_id",
        "entity",
        "currency",
        pl.col("doc_date").alias("date"),
        "amount",
    )
    return pl.concat([pays.select(cols), notes.select(cols)])
