"""Credit & collections workbench: exact ledger calculations for credit teams.

The public verbs::

    ledger = load_ledger("path/to/ledger")          # validated, typed; ledger.report lists every issue
    kpis(ledger, date(2026, 11, 20))                # headline KPIs (CONVENTIONS §1-§6)
    aging(ledger, date(2026, 11, 20), by="customer")
    kpi_history(ledger, weekly_dates(date(2026, 11, 20), 13))

The names are imported on first use (module ``__getattr__``), so that
``import workbench`` (and ``workbench --help``) does not load polars and the
calculations before they are needed.
"""

import os
import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

# Polars allocates through its own jemalloc; returning freed pages to the system at once keeps the
# resident size of a ten-million-row load close to what is live (measured: same speed). A value set
# by the user wins, and it only applies when workbench is imported before polars.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

__version__ = "0.1.0"

#: Each public name and the module that defines it.
_EXPORTS = {
    "Buckets": ".aging",
    "aging": ".aging",
    "aging_history": ".aging",
    "behaviour": ".behaviour",
    "Issue": ".errors",
    "LedgerReadError": ".errors",
    "MissingRateError": ".errors",
    "WorkbenchError": ".errors",
    "Kpis": ".kpis",
    "kpi_history": ".kpis",
    "kpis": ".kpis",
    "weekly_dates": ".kpis",
    "Ledger": ".ledger",
    "load_ledger": ".ledger",
    "open_items": ".ledger.asof",
    "unapplied_credit": ".ledger.asof",
}

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

if TYPE_CHECKING:
    from .aging import Buckets, aging, aging_history
    from .behaviour import behaviour
    from .errors import Issue, LedgerReadError, MissingRateError, WorkbenchError
    from .kpis import Kpis, kpi_history, kpis, weekly_dates
    from .ledger import Ledger, load_ledger
    from .ledger.asof import open_items, unapplied_credit


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*(n for n in globals() if n.startswith("__")), *_EXPORTS})


class _Package(types.ModuleType):
    """Keeps ``workbench.aging``, ``workbench.kpis`` and ``workbench.behaviour`` the functions.

    Importing a submodule sets the package attribute of its name to the
    module; three public functions share their module's name, and the eager
    imports of earlier releases left the function in place. So does this.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
