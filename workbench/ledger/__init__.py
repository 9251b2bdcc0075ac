"""The canonical ledger: loading, validation, and balances at any date."""

from .load import load_ledger
from .model import FileReport, Ledger, LoadReport

__all__ = ["FileReport", "Ledger", "LoadReport", "load_ledger"]
