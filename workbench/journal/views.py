"""Reading the journal: stored rows folded into current states, and the typed frames built from them.

:func:`fold` turns stored rows (in id order) into the current state of every
original entry: corrections merged, voids marked, with who and when last
changed it. Each view function takes those states (already restricted to the
kinds it reads, voided ones left out) and returns a frame with exactly the
columns and types of :data:`workbench.journal.schema.VIEW_SCHEMAS` (typed even
when empty). Amounts become Int64 thousandths ("mills"). No database here:
:class:`workbench.journal.store.Journal` reads the rows and calls these.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl

from workbench.journal.chain import canonical_json
from workbench.journal.entries import AMENDMENTS, Entry
from workbench.journal.schema import ENTRY_COLUMNS, ENTRY_SCHEMA, HISTORY_SCHEMA, VIEW_SCHEMAS
from workbench.money import AMOUNT_DECIMALS

__all__ = [
    "contacts",
    "credit_decisions",
    "decode",
    "deliveries",
    "disputes",
    "dunning_letters",
    "dunning_runs",
    "entries",
    "escalations",
    "flags",
    "fold",
    "history",
    "last_run_date",
    "next_actions",
    "notes",
    "promises",
]


def frame(rows: Sequence[Mapping[str, Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly ``schema``'s columns and types (typed even when ``rows`` is empty)."""
    return pl.DataFrame({name: [row.get(name) for row in rows] for name in schema}, schema=dict(schema))


def decode(raw: Sequence[Any]) -> Entry:
    """A stored row (tuple in ENTRY_COLUMNS order) with its JSON columns parsed."""
    row = dict(zip(ENTRY_COLUMNS, raw, strict=True))
    row["document_ids"] = json.loads(row["document_ids"] or "[]")
    row["details"] = json.loads(row["details"] or "{}")
    return row


def fold(rows: Iterable[Entry]) -> dict[int, Entry]:
    """Current state of every original entry: corrections merged and voids marked, in id order."""
    states: dict[int, Entry] = {}
    for row in rows:
        if row["kind"] not in AMENDMENTS:
            states[row["id"]] = {
                **row,
                "details": dict(row["details"]),
                "document_ids": list(row["document_ids"]),
                "corrected": False,
                "voided": False,
                "last_author": row["author"],
                "last_recorded_at": row["recorded_at"],
            }
            continue
        target = states.get(row["refers_to"])
        if target is None:
            continue
        if row["kind"] == "correction":
            for name, value in row["details"].get("changes", {}).items():
                if name == "details":
                    target["details"].update(value)
                else:
                    target[name] = value
            target["corrected"] = True
        else:
            target["voided"] = True
        target["last_author"] = row["author"]
        target["last_recorded_at"] = row["recorded_at"]
    return states


def _mills(text: str | None) -> int | None:
    """Stored decimal text as integer thousandths (exact: at most 3 decimals are stored)."""
    return None if text is None else int(Decimal(text).scaleb(AMOUNT_DECIMALS))


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _latest(entries: Iterable[Entry]) -> Entry | None:
    """The entry with the latest (event_date, id), or None."""
    return max(entries, key=lambda entry: (entry["event_date"] or "", entry["id"]), default=None)


def history(rows: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """Stored rows (tuples in ENTRY_COLUMNS order) exactly as stored; columns ``HISTORY_SCHEMA``."""
    return frame([dict(zip(ENTRY_COLUMNS, row, strict=True)) for row in rows], HISTORY_SCHEMA)


def entries(
    states: Iterable[Entry], customer_id: str | None = None, since: date | None = None, until: date | None = None
) -> pl.DataFrame:
    """Current states filtered by customer and event date (inclusive); columns ``ENTRY_SCHEMA``."""
    rows = []
    for state in states:
        if customer_id is not None and state["customer_id"] != customer_id:
            continue
        day = _day(state["event_date"])
        if (since is not None or until is not None) and day is None:
            continue
        if (since is not None and day < since) or (until is not None and day > until):  # type: ignore[operator]
            continue
        rows.append(
            {
                **state,
                "recorded_at": _moment(state["recorded_at"]),
                "event_date": day,
                "amount": _mills(state["amount"]),
                "amount_text": state["amount"],
                "next_action_date": _day(state["next_action_date"]),
                "details": canonical_json(state["details"]),
                "last_recorded_at": _moment(state["last_recorded_at"]),
            }
        )
    return frame(rows, ENTRY_SCHEMA)


def contacts(states: Iterable[Entry]) -> pl.DataFrame:
    """Contacts with channel, outcome and follow-up date; see ``VIEW_SCHEMAS['contacts']``."""
    rows = [
        {
            **s["details"],
            **s,
            "event_date": _day(s["event_date"]),
            "next_action_date": _day(s["next_action_date"]),
            "recorded_at": _moment(s["recorded_at"]),
            "contact_person": s["details"].get("contact_person") or "",
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["contacts"])


def promises(states: Iterable[Entry]) -> pl.DataFrame:
    """Promises to pay; see ``VIEW_SCHEMAS['promises']``."""
    rows = [
        {
            **s,
            "amount": _mills(s["amount"]),
            "amount_text": s["amount"],
            "pay_by": _day(s["event_date"]),
            "promised_on": _day(s["details"].get("promised_on")),
            "recorded_at": _moment(s["recorded_at"]),
            "note": s["details"].get("note") or "",
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["promises"])


def disputes(states: Sequence[Entry]) -> pl.DataFrame:
    """One row per dispute (of ``states``: disputes and their updates) with the status of its latest update."""
    updates: dict[int, list[Entry]] = {}
    for state in states:
        if state["kind"] == "dispute_update":
            updates.setdefault(state["refers_to"], []).append(state)
    rows = []
    for dispute in (s for s in states if s["kind"] == "dispute"):
        history = updates.get(dispute["id"], [])
        latest = _latest(history)
        credit = _latest(u for u in history if u["amount"] is not None)
        rows.append(
            {
                **dispute,
                "reason": dispute["details"].get("reason"),
                "owner": dispute["details"].get("owner"),
                "opened_on": _day(dispute["event_date"]),
                "status": latest["details"]["status"] if latest else "open",
                "status_date": _day((latest or dispute)["event_date"]),
                "resolution": (latest["details"].get("resolution") or "") if latest else "",
                "credit_amount": _mills(credit["amount"]) if credit else None,
            }
        )
    return frame(rows, VIEW_SCHEMAS["disputes"])


def escalations(states: Iterable[Entry]) -> pl.DataFrame:
    """Escalation steps; see ``VIEW_SCHEMAS['escalations']`` (amounts and fees in mills)."""
    rows = [
        {
            **s["details"],
            **s,
            "event_date": _day(s["event_date"]),
            "amount": _mills(s["amount"]),
            "partner": s["details"].get("partner") or "",
            "note": s["details"].get("note") or "",
            "fees": _mills(s["details"].get("fees")),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["escalations"])


def notes(states: Iterable[Entry]) -> pl.DataFrame:
    """Notes; see ``VIEW_SCHEMAS['notes']``."""
    rows = [
        {
            **s,
            "text": s["details"].get("text"),
            "event_date": _day(s["event_date"]),
            "next_action_date": _day(s["next_action_date"]),
            "recorded_at": _moment(s["recorded_at"]),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["notes"])


def flags(states: Iterable[Entry]) -> pl.DataFrame:
    """The latest value (by event date, then id) of each flag of each customer."""
    latest: dict[tuple[str, str], Entry] = {}
    for state in states:
        key = (state["customer_id"], state["details"]["flag"])
        current = latest.get(key)
        if current is None or (state["event_date"], state["id"]) > (current["event_date"], current["id"]):
            latest[key] = state
    rows = [
        {
            "customer_id": s["customer_id"],
            "flag": s["details"]["flag"],
            "value": s["details"]["value"],
            "event_date": _day(s["event_date"]),
            "reason": s["details"].get("reason") or "",
        }
        for _, s in sorted(latest.items())
    ]
    return frame(rows, VIEW_SCHEMAS["flags"])


def dunning_letters(states: Iterable[Entry]) -> pl.DataFrame:
    """Dunning letters; see ``VIEW_SCHEMAS['dunning_letters']`` (``levels`` as JSON text)."""
    rows = [
        {
            **s["details"],
            **s,
            "event_date": _day(s["event_date"]),
            "amount": _mills(s["amount"]),
            "levels": canonical_json(s["details"].get("levels", {})),
            "outbox": bool(s["details"].get("outbox", False)),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["dunning_letters"])


def deliveries(states: Iterable[Entry]) -> pl.DataFrame:
    """Delivery outcomes of dunning letters, in id order; see ``VIEW_SCHEMAS['deliveries']``."""
    rows = [
        {
            **s["details"],
            **s,
            "letter_id": s["refers_to"],
            "event_date": _day(s["event_date"]),
            "reason": s["details"].get("reason") or "",
            "message_id": s["details"].get("message_id") or "",
            "recorded_at": _moment(s["recorded_at"]),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["deliveries"])


def dunning_runs(states: Iterable[Entry]) -> pl.DataFrame:
    """Dunning runs; see ``VIEW_SCHEMAS['dunning_runs']``."""
    rows = [
        {
            **s["details"],
            **s,
            "as_of": _day(s["event_date"]),
            "author": s["author"],
            "recorded_at": _moment(s["recorded_at"]),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["dunning_runs"])


def last_run_date(states: Iterable[Entry]) -> date | None:
    """The latest controlling date of the dunning runs in ``states``, or None."""
    return max((_day(s["event_date"]) for s in states), default=None)  # type: ignore[type-var]


def next_actions(states: Iterable[Entry]) -> pl.DataFrame:
    """Per customer, the follow-up date set by the latest contact or note that set one.

    "Latest" is by event date, then id: a later contact that brings the
    follow-up forward replaces an earlier, later-dated plan.
    """
    latest: dict[str, Entry] = {}
    for state in states:
        if state["next_action_date"] is None:
            continue
        current = latest.get(state["customer_id"])
        if current is None or (state["event_date"], state["id"]) > (current["event_date"], current["id"]):
            latest[state["customer_id"]] = state
    rows = [
        {
            "customer_id": s["customer_id"],
            "next_action_date": _day(s["next_action_date"]),
            "source_kind": s["kind"],
            "entry_id": s["id"],
        }
        for s in sorted(latest.values(), key=lambda s: (s["next_action_date"], s["customer_id"]))
    ]
    return frame(rows, VIEW_SCHEMAS["next_actions"])


def credit_decisions(states: Iterable[Entry]) -> pl.DataFrame:
    """Credit decisions, overrides and limit changes in id order; see ``VIEW_SCHEMAS['credit_decisions']``.

    ``timestamp`` is the decision's own time with the offset it was given in;
    ``amount`` is the order amount (decisions, overrides) or the new limit
    (limit changes), in mills and as exact text; ``details`` keeps every field
    as canonical JSON.
    """
    rows = [
        {
            **s["details"],
            **s,
            "as_of": _day(s["event_date"]),
            "amount": _mills(s["amount"]),
            "amount_text": s["amount"],
            "recorded_at": _moment(s["recorded_at"]),
            "details": canonical_json(s["details"]),
        }
        for s in states
    ]
    return frame(rows, VIEW_SCHEMAS["credit_decisions"])
