"""Statutory late-payment interest and fixed compensation (CONVENTIONS §9).

* :mod:`workbench.collections.interest.law` — the rules of each jurisdiction
  (EU, FR, DE, UK): which reference rate and on which day, the margin, the
  fixed compensation, and which law a country's contracts fall under.
* :mod:`workbench.collections.interest.calculation` — the arithmetic: simple
  interest, actual/365, split by half-year and by balance change, rounded
  once, half-even.

The reference rates are read by :mod:`workbench.reference_rates` (the edge);
every function here takes them as ``tables`` (a mapping of table key to
:class:`~workbench.reference_rates.RateTable`, for example
:class:`~workbench.reference_rates.ReferenceRates`) and falls back to the
packaged tables when none are given. A rate needed after a table's
``checked_through`` date is taken as unchanged and reported as a warning.
This package re-exports the public names of both modules and of the tables.
"""

from __future__ import annotations

from workbench.reference_rates import (
    TABLE_KEYS,
    RateTable,
    RateTableError,
    ReferenceRates,
    load_rate_tables,
)

from .calculation import (
    InterestPart,
    InterestResult,
    late_interest,
    late_interest_at_rate,
    late_interest_on_balances,
)
from .law import (
    JURISDICTIONS,
    Compensation,
    Jurisdiction,
    fixed_compensation,
    jurisdiction_for_country,
    reference_date,
    reference_rate,
)

__all__ = [
    "JURISDICTIONS",
    "TABLE_KEYS",
    "Compensation",
    "InterestPart",
    "InterestResult",
    "Jurisdiction",
    "RateTable",
    "RateTableError",
    "ReferenceRates",
    "fixed_compensation",
    "jurisdiction_for_country",
    "late_interest",
    "late_interest_at_rate",
    "late_interest_on_balances",
    "load_rate_tables",
    "reference_date",
    "reference_rate",
]
