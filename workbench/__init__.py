"""Credit & collections workbench: exact ledger calculations for credit teams.

The public verbs::

    ledger = load_ledger("path/to/ledger")          # validated, typed; ledger.report lists every issue
    kpis(ledger, date(2026, 11, 20))                # headline KPIs (CONVENTIONS §1-§6)
    aging(ledger, date(2026, 11, 20), by="customer")
    kpi_history(ledger, weekly_dates(date(2026, 11, 20), 13))
"""

import os

# Polars allocates through its own jemalloc; returning freed pages to the system at once keeps the
# resident size of a ten-million-row load close to what is live (measured: same speed). A value set
# by the user wins, and it only applies when workbench is imported before polars.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

from .aging import Buckets, aging, aging_history  # noqa: E402
from .behaviour import behaviour  # noqa: E402
from .errors import Issue, LedgerReadError, MissingRateError, WorkbenchError  # noqa: E402
from .kpis import Kpis, kpi_history, kpis, weekly_dates  # noqa: E402
from .ledger import Ledger, load_ledger  # noqa: E402
from .ledger.asof import open_items, unapplied_credit  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Buckets",
    "Issue",
    "Kpis",
    "Ledger",
    "LedgerReadError",
    "MissingRateError",
    "WorkbenchError",
    "aging",
    "aging_history",
    "behaviour",
    "kpi_history",
    "kpis",
    "load_ledger",
    "open_items",
    "unapplied_credit",
    "weekly_dates",
]
