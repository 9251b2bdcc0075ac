"""What every report run shares: which ledger it reads, its company name, safe file names.

Kept in one place so that the rule that customer-supplied text never becomes
a path (``safe_name``) and the demo-company default exist once.
"""

from __future__ import annotations

import re
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


def safe_name(text: str, fallback: str) -> str:
    """A file-name-safe form of an id or code: letters, digits, ``_`` and ``-`` only, at most 40."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)[:40] or fallback
