"""What every report run shares: which ledger it reads and its company name."""

from __future__ import annotations

from pathlib import Path

from ..ledger.model import Ledger


def resolve_ledger(path: str | Path | None) -> Path:
    """The ledger folder to use: ``path``, or the built-in demo company when empty."""
    if path:
        return Path(path)
    from .demo_data import ensure_demo_ledger

    return ensure_demo_ledger()


def load_report_ledger(path: str | Path | None, reporting_currency: str | None = None) -> Ledger:
    """Load the ledger of a report, refusing a reporting currency its FX table cannot give."""
    from ..ledger import load_ledger

    ledger = load_ledger(resolve_ledger(path))
    if reporting_currency and reporting_currency != ledger.reporting_currency:
        raise ValueError(
            f"this ledger reports in {ledger.reporting_currency}; its FX table has no rates into "
            f"{reporting_currency} (leave reporting_currency empty)"
        )
    return ledger


def ledger_company(path: str | Path) -> str:
    """The company name of a ledger folder (from ledger.toml), empty when it cannot be told."""
    from ..ledger.load import read_settings

    folder = Path(path)
    return read_settings(folder)["company"] if folder.is_dir() else ""

