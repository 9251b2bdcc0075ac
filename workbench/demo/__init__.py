"""Demo company generator: a realistic, deterministic B2B receivables ledger.

``generate_demo`` writes a canonical ledger folder (see docs/ledger-format.md) for
"Demo Industries Group", reporting in EUR: customers in twelve countries
billed by three selling entities in EUR, USD, GBP, BRL and MXN, three years of
invoices, credit and debit notes, payments (single, grouped, partial,
overpaid, unapplied, unidentified), allocations, daily FX rates, open orders
and customer financial statements.

Customers follow hidden behaviour profiles (prompt, slow, erratic,
deteriorating, defaulting); ``behaviour_profiles`` returns them for
notebooks and tests. The same arguments always give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from . import _world
from ._generate import DemoSummary, load_plan, run, validate

__all__ = ["DEFAULT_AS_OF", "DemoSummary", "behaviour_profiles", "generate_demo"]

DEFAULT_AS_OF = date(2026, 11, 20)


def generate_demo(
    out_dir: Path,
    *,
    as_of: date = DEFAULT_AS_OF,
    seed: int = 42,
    customers: int = 1500,
    documents: int | None = None,
    fmt: Literal["csv", "parquet"] = "csv",
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo ledger folder to ``out_dir`` and return its row counts.

    Args:
        out_dir: folder to create or overwrite (ledger.toml plus seven tables).
            Tables of the other format with the same names are removed.
        as_of: the ledger's snapshot date: history covers the three years
            before it, nothing is dated after it except due dates, expected
            invoice dates of orders, and documents' own terms.
        seed: random seed (>= 0); the same arguments give byte-identical files.
        customers: number of customers (>= 10); about 67 documents each.
        documents: target number of documents instead (within about 1 %):
            documents per customer are kept between 12 and 200, so the number
            of customers adapts (at most 50,000); ``customers`` is kept when
            it fits. 10 million documents stay within a few GB of memory.
        fmt: ``"csv"`` (amounts as "1234.50") or ``"parquet"`` (amounts as
            Decimal(18, 2), rates as Decimal(18, 6), dates as Date).
        progress: called as ``progress(stage, done, total)`` with stages
            "customers", "documents" (customers done / all), "fx_rates",
            "orders", "financials".
    """
    return run(Path(out_dir), as_of, seed, customers, documents, fmt, progress)


def behaviour_profiles(
    *, as_of: date = DEFAULT_AS_OF, seed: int = 42, customers: int = 1500, documents: int | None = None
) -> pl.DataFrame:
    """The hidden payment-behaviour profile of each customer of a demo ledger.

    Same arguments as ``generate_demo`` (those that shape the customer base);
    returns columns ``customer_id`` and ``profile`` (prompt, slow, erratic,
    deteriorating, defaulting).
    """
    validate(seed, customers, documents, "csv")
    plan = load_plan(seed, as_of, customers, documents)
    return pl.DataFrame({"customer_id": plan.ids, "profile": pl.Series(_world.PROFILES).gather(plan.profile)})
