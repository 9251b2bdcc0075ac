"""Journal entries before they are stored: the kinds, field coercion and the rules of each kind.

Everything here is pure: values in, an entry in stored form (a dict of text,
lists and mappings) or a :class:`JournalError` out. The rules that need the
database (what an update, correction, void or letter refers to) are in
:mod:`workbench.journal.store`.

Stored form: dates are ISO text ``YYYY-MM-DD``, ``recorded_at`` ISO-8601 UTC
with microseconds, amounts exact decimal text with at most
:data:`workbench.money.AMOUNT_DECIMALS` decimals, ``document_ids`` a list of
text and ``details`` a JSON-ready mapping.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workbench.calendar import FIRST_DAY, LAST_DAY, date_in_range
from workbench.errors import WorkbenchError
from workbench.money import AMOUNT_DECIMALS, MAX_AMOUNT

__all__ = [
    "AMENDMENTS",
    "CONTACT_CHANNELS",
    "CORRECTABLE_FIELDS",
    "CREDIT_KINDS",
    "CREDIT_OUTCOMES",
    "DELIVERED",
    "DELIVERY_OUTCOMES",
    "DISPUTE_STATUSES",
    "ESCALATION_ACTIONS",
    "FIELD_NORMALISERS",
    "KINDS",
    "Entry",
    "JournalError",
    "amount_text",
    "check_entry",
    "date_text",
    "fail",
    "new_entry",
    "normalise_changes",
    "timestamp_text",
]


class JournalError(WorkbenchError):
    """A journal entry is invalid, or the journal cannot be opened or written."""


KINDS: tuple[str, ...] = (
    "contact",
    "promise",
    "dispute",
    "dispute_update",
    "escalation",
    "note",
    "flag",
    "dunning_letter",
    "dunning_run",
    "delivery",
    "credit_decision",
    "credit_override",
    "limit_change",
    "workspace",
    "correction",
    "void",
)
"""Every kind of entry, in the order error messages list them."""

DELIVERY_OUTCOMES: tuple[str, ...] = ("sending", "sent", "failed", "printed", "phone_task")
"""What happened to one communication of a dunning run: about to be sent (``sending``), then ``sent`` or
``failed`` (e-mail), or ``printed`` (PDF letter written for print) or ``phone_task`` (call listed)."""

DELIVERED: tuple[str, ...] = ("sent", "printed", "phone_task")
"""The outcomes after which a communication counts as delivered (its levels advance)."""

CREDIT_KINDS: tuple[str, ...] = ("credit_decision", "credit_override", "limit_change")
"""The credit audit trail: order decisions, overrides of them, and credit-limit changes."""

CREDIT_OUTCOMES: tuple[str, ...] = ("release", "refer", "hold")
"""Outcomes of an order release decision (the same as :data:`workbench.credit.policy.OUTCOMES`)."""

CONTACT_CHANNELS: tuple[str, ...] = ("call", "email", "letter", "meeting")
DISPUTE_STATUSES: tuple[str, ...] = ("open", "in_review", "resolved", "rejected")
ESCALATION_ACTIONS: tuple[str, ...] = (
    "suspension_requested",
    "suspension_lifted",
    "agency",
    "lawyer",
    "recovered",
    "closed",
)
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "event_date",
    "amount",
    "currency",
    "document_ids",
    "next_action_date",
    "customer_id",
    "details",
)
AMENDMENTS: tuple[str, ...] = ("correction", "void")
"""The kinds that change an earlier entry instead of recording something new."""

Entry = dict[str, Any]
"""An entry in stored form (or a folded current state, see :mod:`workbench.journal.views`)."""


# --------------------------------------------------------------------------------------------
# field coercion (Python values -> stored text)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def timestamp_text(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds (``2026-11-20T09:15:00.000000Z``); naive means UTC."""
    if not isinstance(moment, datetime):
        raise JournalError(f"recorded_at must be a datetime (got {type(moment).__name__})")
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def date_text(value: Any, label: str) -> str | None:
    """A date (or datetime, or ISO date text) as ``YYYY-MM-DD``; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, date):
        if not date_in_range(value):
            raise JournalError(f"{label} {value.isoformat()} is outside the supported range {FIRST_DAY} to {LAST_DAY}")
        return value.isoformat()
    raise JournalError(f"{label} must be a date or ISO date text YYYY-MM-DD (got {value!r})")


def _decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise JournalError(f"{label} must be a Decimal, an int or decimal text, not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise JournalError(f"{label} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise JournalError(f"{label} must be a finite number (got {value!r})")
    if number < 0:
        raise JournalError(f"{label} must not be negative (got {value})")
    if number > MAX_AMOUNT:
        raise JournalError(f"{label} is above the largest amount accepted ({MAX_AMOUNT:,}): {value}")
    if int(number.as_tuple().exponent) < -AMOUNT_DECIMALS:
        raise JournalError(f"{label} has more than {AMOUNT_DECIMALS} decimals: {value}")
    return number.copy_abs() if number == 0 else number


def amount_text(value: Any, label: str) -> str | None:
    """An amount as exact decimal text (not negative, at most 3 decimals); None stays None."""
    return None if value is None else format(_decimal(value, label), "f")


def _currency(value: Any, label: str) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()):
        raise JournalError(f"{label} must be a 3-letter ISO currency code like EUR (got {value!r})")
    return value


def _customer(value: Any, label: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise JournalError(f"{label} must be non-empty text (got {value!r})")
    if "\x00" in value:
        raise JournalError(f"{label} contains a NUL byte (\\x00)")
    return value


def _document_ids(value: Any, label: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise JournalError(f"{label} must be a list of document ids, not {type(value).__name__}")
    ids = list(value)
    for item in ids:
        if not isinstance(item, str) or not item.strip():
            raise JournalError(f"{label} must hold non-empty text ids (got {item!r})")
        if "\x00" in item:
            raise JournalError(f"{label} contains a NUL byte (\\x00)")
    return ids


def _details(value: Any, label: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise JournalError(f"{label} must be a mapping with text keys (got {type(value).__name__})")
    try:
        text = json.dumps(dict(value), default=_json_default)
    except (TypeError, ValueError) as exc:
        raise JournalError(f"{label} cannot be stored as JSON: {exc}") from None
    stored = json.loads(text)
    if _has_nul(stored):
        raise JournalError(f"{label} contains a NUL byte (\\x00)")
    return stored


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


FIELD_NORMALISERS: dict[str, Callable[[Any, str], Any]] = {
    "customer_id": _customer,
    "event_date": date_text,
    "next_action_date": date_text,
    "amount": amount_text,
    "currency": _currency,
    "document_ids": _document_ids,
    "details": _details,
}
"""Coercion of each content field to its stored form: ``normaliser(value, label)``."""

_CONTENT_FIELDS = ("customer_id", "event_date", "amount", "currency", "document_ids", "next_action_date", "details")


def normalise_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a correction in stored form (raises on unknown or invalid fields)."""
    if not changes:
        raise JournalError("correction: changes must name at least one field to replace")
    result: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in CORRECTABLE_FIELDS:
            raise JournalError(
                f"correction: field {name!r} cannot be corrected (correctable: {', '.join(CORRECTABLE_FIELDS)})"
            )
        result[name] = FIELD_NORMALISERS[name](value, f"correction: changes.{name}")
    return result


# --------------------------------------------------------------------------------------------
# per-kind rules (pure: an entry in stored form in, JournalError out)


def fail(entry: Entry, field: str, problem: str) -> JournalError:
    """The error for ``field`` of ``entry``: ``'<kind>: <field> <problem>'``."""
    return JournalError(f"{entry['kind']}: {field} {problem}")


def _need(entry: Entry, *fields: str) -> None:
    for field in fields:
        value = entry.get(field)
        if value is None or value == [] or (isinstance(value, str) and not value.strip()):
            raise fail(entry, field, "is required")


def _text(entry: Entry, key: str, *, required: bool = True, non_empty: bool = False) -> None:
    value = entry["details"].get(key)
    if value is None:
        if required:
            raise fail(entry, f"details.{key}", "is required")
        return
    if not isinstance(value, str):
        raise fail(entry, f"details.{key}", f"must be text (got {value!r})")
    if non_empty and not value.strip():
        raise fail(entry, f"details.{key}", "must not be empty")


def _choice(entry: Entry, key: str, choices: Sequence[str]) -> None:
    value = entry["details"].get(key)
    if value not in choices:
        raise fail(entry, f"details.{key}", f"must be one of {', '.join(choices)} (got {value!r})")


def _integer(entry: Entry, key: str) -> None:
    value = entry["details"].get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise fail(entry, f"details.{key}", f"must be a non-negative integer (got {value!r})")


def _check_contact(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _choice(entry, "channel", CONTACT_CHANNELS)
    _text(entry, "outcome")
    _text(entry, "contact_person", required=False)


def _check_promise(entry: Entry) -> None:
    _need(entry, "customer_id", "amount", "currency", "event_date")
    if Decimal(entry["amount"]) <= 0:
        raise fail(entry, "amount", f"must be greater than zero (got {entry['amount']})")
    if date_text(entry["details"].get("promised_on"), "promise: details.promised_on") is None:
        raise fail(entry, "details.promised_on", "is required")
    _text(entry, "note", required=False)


def _check_dispute(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date", "document_ids")
    _text(entry, "reason", non_empty=True)
    _text(entry, "owner", non_empty=True)
    if entry["details"].get("status") != "open":
        raise fail(entry, "details.status", "must be 'open' for a dispute (record a dispute_update to change it)")


def _check_dispute_update(entry: Entry) -> None:
    _need(entry, "refers_to", "event_date")
    _choice(entry, "status", DISPUTE_STATUSES)
    _text(entry, "resolution", required=False)


def _check_escalation(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _choice(entry, "action", ESCALATION_ACTIONS)
    needs_partner = entry["details"].get("action") in ("agency", "lawyer")
    _text(entry, "partner", required=needs_partner, non_empty=needs_partner)
    if entry["amount"] is not None:
        _need(entry, "currency")
    fees = entry["details"].get("fees")
    if fees is not None:
        if not isinstance(fees, str):
            raise fail(entry, "details.fees", f"must be decimal text (got {fees!r})")
        _decimal(fees, "escalation: details.fees")
    _text(entry, "note", required=False)


def _check_note(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _text(entry, "text", non_empty=True)


def _check_flag(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    _text(entry, "flag", non_empty=True)
    if not isinstance(entry["details"].get("value"), bool):
        raise fail(entry, "details.value", f"must be true or false (got {entry['details'].get('value')!r})")
    _text(entry, "reason", required=False)


def _check_dunning_letter(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date", "currency", "amount", "document_ids")
    _integer(entry, "level")
    _text(entry, "channel", non_empty=True)
    levels = entry["details"].get("levels")
    if not isinstance(levels, dict) or not all(
        isinstance(level, int) and not isinstance(level, bool) for level in levels.values()
    ):
        raise fail(entry, "details.levels", f"must map document ids to integer levels (got {levels!r})")
    _integer(entry, "run_id")
    _text(entry, "file")


def _check_dunning_run(entry: Entry) -> None:
    _need(entry, "event_date")
    _text(entry, "policy", non_empty=True)
    _integer(entry, "communications")
    if entry["details"].get("dry_run") is not False:
        raise fail(entry, "details.dry_run", "must be false: dry runs are not journaled")


def _check_delivery(entry: Entry) -> None:
    _need(entry, "refers_to", "event_date")
    _choice(entry, "outcome", DELIVERY_OUTCOMES)
    _text(entry, "channel", non_empty=True)
    _text(entry, "message_id", required=False)
    _text(entry, "reason", required=entry["details"].get("outcome") == "failed", non_empty=True)


def _check_credit_common(entry: Entry) -> None:
    _need(entry, "customer_id", "event_date")
    moment = entry["details"].get("timestamp")
    if not isinstance(moment, str):
        raise fail(entry, "details.timestamp", f"must be the decision's ISO-8601 time with its offset (got {moment!r})")
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        raise fail(entry, "details.timestamp", f"is not an ISO-8601 time: {moment!r}") from None
    if parsed.utcoffset() is None:
        raise fail(entry, "details.timestamp", f"must carry a UTC offset (got {moment!r})")
    for key in ("order_ref", "policy", "approver", "approval_required", "reason"):
        _text(entry, key, required=False)


def _check_credit_decision(entry: Entry) -> None:
    _check_credit_common(entry)
    _need(entry, "amount")
    _choice(entry, "outcome", CREDIT_OUTCOMES)
    findings = entry["details"].get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and f.get("outcome") in CREDIT_OUTCOMES for f in findings
    ):
        raise fail(entry, "details.findings", f"must list findings with an outcome (got {findings!r})")


def _check_credit_override(entry: Entry) -> None:
    _check_credit_common(entry)
    _choice(entry, "outcome", CREDIT_OUTCOMES)
    _choice(entry, "original_outcome", CREDIT_OUTCOMES)
    _text(entry, "reason", non_empty=True)


def _check_limit_change(entry: Entry) -> None:
    _check_credit_common(entry)
    _need(entry, "amount", "currency")
    _text(entry, "reason", non_empty=True)
    old = entry["details"].get("old_limit")
    if old is not None:
        if not isinstance(old, str):
            raise fail(entry, "details.old_limit", f"must be decimal text (got {old!r})")
        _decimal(old, "limit_change: details.old_limit")
    if entry["details"].get("approval_required"):
        _text(entry, "approver", non_empty=True)


def _check_correction(entry: Entry) -> None:
    _need(entry, "refers_to")
    _text(entry, "reason", non_empty=True)
    changes = entry["details"].get("changes")
    if not isinstance(changes, dict) or not changes:
        raise fail(entry, "details.changes", "must name at least one field to replace")
    normalise_changes(changes)


def _check_void(entry: Entry) -> None:
    _need(entry, "refers_to")
    _text(entry, "reason", non_empty=True)


def _check_workspace(entry: Entry) -> None:
    _need(entry, "event_date")
    _text(entry, "workspace_id", non_empty=True)
    _text(entry, "company")
    _text(entry, "ledger", non_empty=True)


_RULES: dict[str, Callable[[Entry], None]] = {
    "contact": _check_contact,
    "promise": _check_promise,
    "dispute": _check_dispute,
    "dispute_update": _check_dispute_update,
    "escalation": _check_escalation,
    "note": _check_note,
    "flag": _check_flag,
    "dunning_letter": _check_dunning_letter,
    "dunning_run": _check_dunning_run,
    "delivery": _check_delivery,
    "credit_decision": _check_credit_decision,
    "credit_override": _check_credit_override,
    "limit_change": _check_limit_change,
    "workspace": _check_workspace,
    "correction": _check_correction,
    "void": _check_void,
}


def check_entry(entry: Entry) -> None:
    """Apply the rules of ``entry``'s kind (stored form); raise :class:`JournalError` naming the field."""
    _RULES[entry["kind"]](entry)


def _apply_defaults(entry: Entry) -> None:
    """Fill the documented defaults of a new entry's details and normalise the fields they hold."""
    details = entry["details"]
    if entry["kind"] == "correction" and isinstance(details.get("changes"), dict):
        details["changes"] = normalise_changes(details["changes"])
    if entry["kind"] == "promise":
        promised_on = date_text(details.get("promised_on"), "promise: details.promised_on")
        details["promised_on"] = promised_on or entry["recorded_at"][:10]
    elif entry["kind"] == "dispute":
        details.setdefault("status", "open")
    elif entry["kind"] == "dunning_run":
        details.setdefault("dry_run", False)
    elif entry["kind"] == "dispute_update":
        details.setdefault("resolution", "")


def new_entry(
    kind: str,
    *,
    author: str | None,
    recorded_at: datetime,
    uid: str | None = None,
    refers_to: int | None = None,
    fields: Mapping[str, Any],
) -> Entry:
    """A new entry of ``kind`` in stored form, defaults filled and the kind's rules checked.

    ``fields`` holds the content fields (``customer_id``, ``event_date``,
    ``amount``, ``currency``, ``document_ids``, ``next_action_date``,
    ``details``); missing ones are empty. ``uid`` defaults to a random uuid4.
    Raises :class:`JournalError` naming the kind and the field.
    """
    if kind not in KINDS:
        raise JournalError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not isinstance(author, str) or not author.strip():
        raise JournalError(f"{kind}: author is required (pass author= or open the journal with a default author)")
    if uid is not None and (not isinstance(uid, str) or not uid.strip()):
        raise JournalError(f"{kind}: uid must be non-empty text (got {uid!r})")
    if refers_to is not None and (isinstance(refers_to, bool) or not isinstance(refers_to, int)):
        raise JournalError(f"{kind}: refers_to must be an entry id (got {refers_to!r})")
    entry: Entry = {
        "uid": uid or uuid.uuid4().hex,
        "recorded_at": timestamp_text(recorded_at),
        "author": author,
        "kind": kind,
        "refers_to": refers_to,
    }
    for name in _CONTENT_FIELDS:
        entry[name] = FIELD_NORMALISERS[name](fields.get(name), f"{kind}: {name}")
    _apply_defaults(entry)
    check_entry(entry)
    return entry
