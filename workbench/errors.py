"""One error family for the workbench, and the Issue record used for data problems.

Validation never raises for bad rows: it returns ``Issue`` records (file, line,
reason) and sends the row to quarantine. Exceptions are for situations where
work cannot go on at all (a missing file, a missing column, a missing FX rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class Issue:
    """One problem found in an input file.

    ``line`` is the physical line number in the file (header = line 1), or 0
    when the problem concerns the file as a whole.
    """

    file: str
    line: int
    reason: str
    quarantined: bool = True

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``workbench validate --json``."""
        return {"file": self.file, "line": self.line, "reason": self.reason, "quarantined": self.quarantined}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


class WorkbenchError(Exception):
    """Base class of every error the workbench raises on purpose."""


class LedgerReadError(WorkbenchError):
    """The ledger (or one of its files) cannot be read at all."""


class MissingRateError(WorkbenchError):
    """No FX rate is available for a currency on or before a date."""

    def __init__(self, currency: str, on: date) -> None:
        self.currency = currency
        self.on = on
        super().__init__(
            f"no FX rate for {currency} on or before {on.isoformat()} "
            f"(add a row to fx_rates dated on or before {on.isoformat()})"
        )


class ImportMappingError(WorkbenchError):
    """An import mapping file is invalid."""


class ReportError(WorkbenchError):
    """A report run failed; the message names the failing cell."""
