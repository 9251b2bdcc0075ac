"""Checks a report makes before it runs, and the warnings it shows at the top.

:func:`check_names` refuses an entity, customer, collector or sales rep the
ledger does not hold (the same :class:`~workbench.ledger.names.UnknownNameError`
as the commands), so ``workbench report weekly --entity NOPE`` stops before
any notebook runs. :func:`stale_warning` is the note a report prints when its
as-of date lies long after the ledger's last data: a report still runs then,
but says so at the top.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ..ledger.freshness import last_data_date, stale_note
from ..ledger.model import Ledger
from ..ledger.names import NameKind, check_name

__all__ = ["NAME_OPTIONS", "check_names", "stale_warning"]

NAME_OPTIONS: dict[str, NameKind] = {
    "entity": "entity",
    "customer_id": "customer",
    "collector": "collector",
    "sales_rep": "sales rep",
}
"""Report options (by parameter name) whose value must be a name of the ledger, and what kind of name."""


def check_names(ledger: Ledger, values: Mapping[str, Any]) -> None:
    """Raise :class:`~workbench.ledger.names.UnknownNameError` for the first given name ``ledger`` does not hold.

    ``values`` are a report's option values by parameter name; empty ones
    (all entities, no filter) are not checked.
    """
    for option, kind in NAME_OPTIONS.items():
        value = values.get(option)
        if isinstance(value, str) and value.strip():
            check_name(ledger, kind, value.strip())


def stale_warning(ledger: Ledger, as_of: date) -> str | None:
    """The warning for an as-of date more than 31 days after the ledger's last data, else None."""
    return stale_note(last_data_date(ledger.documents, ledger.payments, ledger.allocations), as_of)
