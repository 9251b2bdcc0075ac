"""Credit & collections workbench: exact ledger calculations for credit teams.

The public verbs::

    ledger = load_ledger("path/to/ledger")          # validated, typed; ledger.report lists every issue
    kpis(ledger, date(2026, 11, 20))                # headline KPIs (CONVENTIONS §1-§6)
    aging(ledger, date(2026, 11, 20), by="customer")
    kpi_history(ledger, weekly_dates(date(2026, 11, 20), 13))
"""

from .aging import Buckets, aging, aging_history
from .behaviour import behaviour
from .errors import Issue, LedgerReadError, MissingRateError, WorkbenchError
from .kpis import Kpis, kpi_history, kpis, weekly_dates
from .ledger import Ledger, load_ledger
from .ledger.asof import open_items, unapplied_credit

__version__ = "0.1.0"

__all__ = [
    "Buckets", "Issue", "Kpis", "Ledger", "LedgerReadError", "MissingRateError", "WorkbenchError",
    "aging", "aging_history", "behaviour", "kpi_history", "kpis", "load_ledger", "open_items",
    "unapplied_credit", "weekly_dates",
]
