"""The names a user types that must exist in the ledger: entities, collectors, sales reps, customers.

A command or report asked for ``--entity NOPE`` must not answer with zeros
or an empty list: it refuses, listing what the ledger holds and, when one is
close (case-insensitive, :func:`difflib.get_close_matches`), suggesting it::

    unknown entity 'fr01' (entities in this ledger: DE01, FR01, US01); did you mean 'FR01'?

:func:`name_problem` words the refusal from a list of known names (pure);
:func:`known_names` reads that list from a :class:`~workbench.ledger.model.Ledger`;
:func:`check_name` raises :class:`UnknownNameError`, which the command line
turns into exit 2 with the message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

import polars as pl

from ..errors import WorkbenchError
from .model import Ledger

__all__ = ["NameKind", "UnknownNameError", "check_name", "known_names", "name_problem", "suggestion"]

NameKind = Literal["entity", "collector", "sales rep", "customer", "currency"]
"""What a name designates; the word used in the message."""

_PLURAL: dict[str, str] = {
    "entity": "entities",
    "collector": "collectors",
    "sales rep": "sales reps",
    "customer": "customers",
    "currency": "currencies",
}

LISTED = 12
"""Up to this many known names are listed in a message; beyond, only their count is given."""


class UnknownNameError(WorkbenchError):
    """An entity, collector, sales rep or customer that the ledger does not hold."""

    def __init__(self, kind: str, value: str, message: str) -> None:
        self.kind = kind
        self.value = value
        super().__init__(message)


def suggestion(value: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``value`` ignoring case (a case-only difference always wins), or None."""
    names = sorted(set(known))
    by_folded: dict[str, str] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), name)
    folded = value.strip().casefold()
    if folded in by_folded:
        return by_folded[folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def name_problem(kind: str, value: str, known: Iterable[str]) -> str | None:
    """Why ``value`` cannot be used as a ``kind`` of this ledger, or None when it is one of ``known``.

    The text lists the known names (only their count when there are more
    than :data:`LISTED`) and suggests the nearest one when there is one.
    """
    names = sorted(set(known))
    if value in names:
        return None
    plural = _PLURAL.get(kind, f"{kind}s")
    if not names:
        listing = f"this ledger has no {plural}"
    elif len(names) <= LISTED:
        listing = f"{plural} in this ledger: {', '.join(names)}"
    else:
        listing = f"{len(names):,} {plural} in this ledger"
    text = f"unknown {kind} {value!r} ({listing})"
    near = suggestion(value, names)
    return f"{text}; did you mean {near!r}?" if near is not None else text


def known_names(ledger: Ledger, kind: NameKind) -> list[str]:
    """The distinct names of ``kind`` in ``ledger``, sorted.

    Entities are those of documents and payments (their resolved entity) and
    of the customers table; collectors and sales reps are the customers'
    ``collector`` and ``sales_rep``; customers are the customer ids;
    currencies are the reporting currency and those the FX table has rates for.
    """
    if kind == "currency":
        rated = ledger.fx.rates.get_column("currency").unique().to_list()
        return sorted({ledger.reporting_currency, *(str(c) for c in rated if c)})
    if kind == "entity":
        columns = [ledger.documents.get_column("entity"), ledger.payments.get_column("entity")]
        if "entity" in ledger.customers.columns:
            columns.append(ledger.customers.get_column("entity"))
        series = pl.concat([c.cast(pl.String) for c in columns])
    else:
        column = {"collector": "collector", "sales rep": "sales_rep", "customer": "customer_id"}[kind]
        if column not in ledger.customers.columns:
            return []
        series = ledger.customers.get_column(column).cast(pl.String)
    return sorted(str(v) for v in series.drop_nulls().unique().to_list() if str(v) != "")


def check_name(ledger: Ledger, kind: NameKind, value: str | None) -> None:
    """Raise :class:`UnknownNameError` when ``value`` is given and is not a ``kind`` of ``ledger``."""
    if value is None:
        return
    problem = name_problem(kind, value, known_names(ledger, kind))
    if problem is not None:
        raise UnknownNameError(kind, value, problem)
